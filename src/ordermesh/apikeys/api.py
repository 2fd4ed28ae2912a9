from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.apikeys import service
from ordermesh.apikeys.model import ApiKey, Role
from ordermesh.http.deps import AdminContext

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"])


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    role: Role
    supplier: str | None = Field(
        None, max_length=40, description="Role supplier only: the supplier (id or code) "
        "whose drop-ship orders the key may see and answer (docs/dropship.md)")


class ApiKeyRead(BaseModel):
    id: str
    name: str
    role: Role
    prefix: str = Field(description="First characters of the key, to recognise it")
    created_at: datetime
    revoked_at: datetime | None
    supplier_id: str | None = Field(None, description="Role supplier: the key's supplier")

    @classmethod
    def of(cls, k: ApiKey) -> ApiKeyRead:
        return cls(id=k.id, name=k.name, role=k.role, prefix=k.prefix,
                   created_at=k.created_at, revoked_at=k.revoked_at,
                   supplier_id=k.supplier_id)


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret. Shown once; only its hash is stored.")


class ApiKeyList(BaseModel):
    items: list[ApiKeyRead]


@router.post("", status_code=201, summary="Create an API key (admin)")
def create_api_key(body: ApiKeyCreate, ctx: AdminContext) -> ApiKeyCreated:
    idem = ctx.idempotency(body)
    key, secret = ctx.run(lambda uow: service.create_api_key(uow, body.name, body.role, idem,
                                                                   body.supplier))
    return ApiKeyCreated(**ApiKeyRead.of(key).model_dump(), key=secret)


@router.get("", summary="List API keys (admin)")
def list_api_keys(ctx: AdminContext) -> ApiKeyList:
    with ctx.read_uow() as uow:
        return ApiKeyList(items=[ApiKeyRead.of(k) for k in service.list_api_keys(uow)])


@router.post("/{key_id}/revoke", summary="Revoke an API key (admin)")
def revoke_api_key(key_id: str, ctx: AdminContext) -> ApiKeyRead:
    revoked = ctx.run(lambda uow: service.revoke_api_key(uow, key_id))
    ctx.container.principals.clear()  # this process at once; others within the cache TTL
    return ApiKeyRead.of(revoked)
