"""Delivery reports of the SMS provider: ``POST /api/v1/sms/status``, signed.

The signature (``X-Sms-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>`` with
``ORDERMESH_SMS_CALLBACK_SECRET``) is checked before any transaction; a missing secret, a
missing header and a wrong signature get the same 401. A report moves an SMS that was
``sent`` (the provider took it) to ``delivered`` or ``failed``; a report about a message
still being handed over (``sending``) is a 409, so the provider tries again later; a
report repeated, or arriving after the final status, changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import insert, select, update

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthenticated
from ordermesh.kit.outbox import record_event
from ordermesh.messaging.model import MessageStatus
from ordermesh.messaging.tables import message_history, messages

SIGNATURE_HEADER = "X-Sms-Signature"
REFUSED = "The delivery report's signature is missing or does not match the body"
_NO_SECRET = b"no secret: compared all the same, in constant time"


class StatusReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=100, description="The provider's message id")
    reference: str = Field(min_length=1, max_length=40,
                           description="Our message id, as sent with the SMS")
    status: Literal["sent", "delivered", "failed"]
    error: str | None = Field(None, max_length=300,
                              description="Why it failed, in the provider's words")
    at: AwareDatetime | None = Field(None, description="When it happened at the provider")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str | None, raw: bytes, given: str | None) -> None:
    expected = sign(secret or _NO_SECRET.decode(), raw)
    matches = hmac.compare_digest(expected.encode(), (given or "").strip().encode())
    if not (secret and given and matches):
        raise Unauthenticated(REFUSED)


def parse(raw: bytes) -> StatusReport:
    try:
        return StatusReport.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidInput("The delivery report is invalid", errors=[
            FieldError(".".join(str(p) for p in ("body", *e["loc"])), e["msg"], e["type"])
            for e in exc.errors()]) from exc


def apply_report(uow: UnitOfWork, report: StatusReport) -> dict:
    """Move the SMS as the report says; does not commit. The message as it is now."""
    m = messages.c
    row = uow.execute(select(messages).where(m.id == report.reference, m.medium == "sms")
                      .with_for_update()).first()
    if row is None or (row.provider_id is not None and row.provider_id != report.id):
        raise NotFound(f"No SMS '{report.reference}' with provider id '{report.id}'")
    if row.status in (MessageStatus.QUEUED.value, MessageStatus.SENDING.value):
        raise Conflict(f"SMS '{row.id}' is still being handed over: report again later",
                       extra={"reason": "not_sent_yet"})
    if row.status != MessageStatus.SENT.value or report.status == "sent":
        return _state(row.id, row.status, False)
    now = uow.clock.now()
    at = as_utc(report.at) if report.at else now
    payload = {"id": row.id, "type": row.type, "customer_id": row.customer_id,
               "order_id": row.order_id, "attempts": row.attempts}
    if report.status == "delivered":
        status, values = MessageStatus.DELIVERED, {"delivered_at": at}
        record_event(uow, "message.delivered", "message", row.id,
                     {**payload, "delivered_at": at.isoformat()})
    else:
        status, values = MessageStatus.FAILED, {"last_error": report.error or "failed"}
        record_event(uow, "message.failed", "message", row.id,
                     {**payload, "error": values["last_error"]})
    uow.execute(update(messages).where(m.id == row.id).values(
        status=status.value, finished_at=now, **values))
    uow.execute(insert(message_history).values(
        message_id=row.id, status=status.value, attempt=None, detail=report.error, at=at))
    return _state(row.id, status.value, True)


def _state(message_id: str, status: str, changed: bool) -> dict:
    return {"id": message_id, "status": status, "changed": changed}
