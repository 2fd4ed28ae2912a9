"""Customer routes: list, profile, addresses, identities, consent, merges, saved
segments.

``GET /customers/{id}`` (the whole picture with orders), the export and the erasure read
orders too: they are in ``flows/customers_api.py``, and so are a segment's members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ordermesh.customers import consent, merging, profile, segments, service
from ordermesh.customers.duplicates import duplicate_candidates
from ordermesh.customers.identities import identities_of
from ordermesh.customers.schemas import (
    AddressCreate,
    AddressRead,
    ConsentCreate,
    ConsentEntryRead,
    ConsentNow,
    ConsentRead,
    CustomerPage,
    CustomerPatch,
    CustomerRead,
    DuplicateRead,
    IdentityCreate,
    IdentityRead,
    MergeCreate,
    MergeRead,
)
from ordermesh.customers.segment_schemas import SegmentCreate, SegmentRead
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.kit import idempotency
from ordermesh.kit.errors import NotFound
from ordermesh.kit.idempotency import IdempotencyKey
from ordermesh.kit.pagination import MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])
merges_router = APIRouter(prefix="/api/v1/customer-merges", tags=["customers"])

_NOT_FOUND = {404: {"description": "No such customer"}}
_CHANGE = {**_NOT_FOUND, 409: {"description": "The customer was erased"},
           422: {"description": "Bad input; nothing changed"}}


def _committed(ctx, work):
    return ctx.run_committed(work)


def _once(ctx, idem: IdempotencyKey | None, kind: str, status: int, work, read):
    """``work`` committed at most once per ``Idempotency-Key``: a retry with the same key
    and body answers with what the first one created (``read`` by its id, as it is now);
    the key with another body is refused (422 idempotency-key-reused)."""
    def run(uow):
        if prior := idempotency.claim(uow, idem):
            found = read(uow, prior.resource_id)
            if found is None:
                raise NotFound(f"What the request with Idempotency-Key '{idem.key}' "
                               "created was removed since")
            return found
        result = work(uow)
        resource_id = result["id"] if isinstance(result, dict) else result.id
        idempotency.complete(uow, idem, kind, resource_id, status)
        uow.commit()
        return result
    return ctx.run(run)


def _by_id(items: list[dict], wanted: str) -> dict | None:
    return next((i for i in items if i["id"] == wanted), None)


@router.get("", summary="List customers, newest first")
def list_customers(
    ctx: ReadContext,
    email: Annotated[str | None, Query(max_length=254)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CustomerPage:
    """Customers merged into another are left out, unless asked for by `email`."""
    with ctx.read_uow() as uow:
        page = service.list_customers(uow, email=email, limit=limit, cursor=cursor)
    return CustomerPage(items=[CustomerRead.of(c) for c in page.items],
                        next_cursor=page.next_cursor)


@router.patch("/{customer_id}", summary="Change a customer's profile", responses=_CHANGE)
def update_customer(customer_id: str, body: CustomerPatch, ctx: WriteContext) -> CustomerRead:
    """Name, language and locale, preferred channel and contact medium, contact hours,
    notes, tags and treatment preferences (gift wrap, no calls, accessibility needs…).
    Writes `customer.updated` naming the fields that changed."""
    changes, idem = body.changes(), ctx.idempotency(body)
    return CustomerRead.of(_once(
        ctx, idem, "customer", 200,
        lambda uow: profile.update_profile(uow, customer_id, changes),
        service.get_customer))


@router.post("/{customer_id}/addresses", status_code=201, summary="Add an address",
             responses=_CHANGE)
def add_address(customer_id: str, body: AddressCreate, ctx: WriteContext) -> AddressRead:
    """`default: true` makes it the default address (the previous one stops being it)."""
    address, idem = body.address.model_dump(exclude_none=True), ctx.idempotency(body)
    return AddressRead(**_once(
        ctx, idem, "customer_address", 201,
        lambda uow: profile.add_address(uow, customer_id, address, body.label, body.default),
        lambda uow, rid: _by_id(profile.addresses_of(uow, [customer_id]), rid)))


@router.delete("/{customer_id}/addresses/{address_id}", status_code=204,
               summary="Remove an address", responses=_CHANGE)
def remove_address(customer_id: str, address_id: str, ctx: WriteContext) -> Response:
    _committed(ctx, lambda uow: profile.remove_address(uow, customer_id, address_id))
    return Response(status_code=204)


@router.post("/{customer_id}/identities", status_code=201,
             summary="Add an identity the customer uses",
             responses={**_CHANGE, 409: {"description": "Another customer has it, or the "
                                                        "customer was erased"}})
def add_identity(customer_id: str, body: IdentityCreate, ctx: WriteContext) -> IdentityRead:
    """An e-mail, a phone (E.164 after parsing; with `+` and the country code) or a
    channel's account id (`channel` names the channel). Orders bearing it find this
    customer from then on."""
    idem = ctx.idempotency(body)
    return IdentityRead(**_once(
        ctx, idem, "customer_identity", 201,
        lambda uow: profile.add_identity(uow, customer_id, body.kind, body.value,
                                         body.channel),
        lambda uow, rid: _by_id(identities_of(uow, [customer_id]), rid)))


@router.delete("/{customer_id}/identities/{identity_id}", status_code=204,
               summary="Remove an identity", responses=_CHANGE)
def remove_identity(customer_id: str, identity_id: str, ctx: WriteContext) -> Response:
    _committed(ctx, lambda uow: profile.remove_identity(uow, customer_id, identity_id))
    return Response(status_code=204)


@router.get("/{customer_id}/consents", summary="Consent now and its ledger",
            responses=_NOT_FOUND)
def get_consents(customer_id: str, ctx: ReadContext) -> ConsentRead:
    """`current`: for every purpose and medium whether the customer may be contacted now;
    `ledger`: every opt-in and withdrawal it is computed from, oldest first (of every
    customer record merged into this one too)."""
    with ctx.read_uow() as uow:
        service.get_customer(uow, customer_id)
        state = consent.consent_state(uow, customer_id)
    return ConsentRead(current=[ConsentNow(**c) for c in state["current"]],
                       ledger=[ConsentEntryRead.of(e) for e in state["ledger"]])


@router.post("/{customer_id}/consents", status_code=201,
             summary="Record an opt-in or a withdrawal", responses=_CHANGE)
def record_consent(customer_id: str, body: ConsentCreate, ctx: WriteContext
                   ) -> ConsentEntryRead:
    """Appends to the ledger (nothing is ever changed in it). Writes
    `customer.consent_recorded`."""
    idem = ctx.idempotency(body)
    return ConsentEntryRead.of(_once(
        ctx, idem, "customer_consent", 201,
        lambda uow: consent.record_consent(
            uow, customer_id, purpose=body.purpose, medium=body.medium,
            granted=body.granted, level=body.level, source_channel=body.source_channel,
            proof=body.proof),
        consent.consent_entry))


@router.post("/{customer_id}/merges", status_code=201,
             summary="Merge a duplicate into this customer",
             responses={**_CHANGE, 409: {"description": "One of them is merged already, or "
                                                        "erased"}})
def merge_customer(customer_id: str, body: MergeCreate, ctx: WriteContext) -> MergeRead:
    """Links `customer_id` of the body to this customer: nothing is copied or overwritten,
    and `POST /customer-merges/{merge_id}/undo` separates them again. Writes
    `customer.merged`."""
    idem = ctx.idempotency(body)
    return MergeRead(**_once(
        ctx, idem, "customer_merge", 201,
        lambda uow: merging.merge(uow, customer_id, body.customer_id, body.reason),
        merging.get_merge))


@merges_router.post("/{merge_id}/undo", summary="Undo a merge",
                    responses={404: {"description": "No such merge"},
                               409: {"description": "Already undone"}})
def undo_merge(merge_id: str, ctx: WriteContext) -> MergeRead:
    """The merged customer stands alone again, with everything it had. Writes
    `customer.unmerged`."""
    return MergeRead(**_committed(ctx, lambda uow: merging.unmerge(uow, merge_id)))


@router.get("/{customer_id}/duplicates", summary="Likely duplicates, for review",
            responses=_NOT_FOUND)
def list_duplicates(customer_id: str, ctx: ReadContext) -> list[DuplicateRead]:
    """Other customers whose name or e-mail is close to this one's (rapidfuzz, 85 of 100
    or more), or who share the phone, best first: candidates for a person to merge,
    never merged automatically."""
    with ctx.read_uow() as uow:
        found = duplicate_candidates(uow, customer_id)
    return [DuplicateRead(customer_id=c.customer_id, name=c.name, email=c.email,
                          score=c.score, reasons=c.reasons) for c in found]


segments_router = APIRouter(prefix="/api/v1/segments", tags=["customers"])


@segments_router.post("", status_code=201, summary="Save a segment of customers",
                      responses={409: {"description": "A segment has that name already"},
                                 422: {"description": "Rules that cannot be evaluated: "
                                                      "none, an unknown channel, SKU, RFM "
                                                      "bucket, purpose or medium, an empty "
                                                      "range"}})
def create_segment(body: SegmentCreate, ctx: WriteContext) -> SegmentRead:
    """Rules over the customer profile, every one of which a member meets: RFM bucket,
    channel, country shipped to, lifetime spend (net), last order before/after, product
    bought, consent. Saved, not evaluated: `GET /segments/{id}/customers` evaluates them
    on demand. Writes `segment.created`."""
    rules, idem = body.rules.to_rules(), ctx.idempotency(body)
    return SegmentRead(**_once(ctx, idem, "segment", 201,
                               lambda uow: segments.create_segment(uow, body.name, rules),
                               segments.get_segment))


@segments_router.get("", summary="List saved segments, by name")
def list_segments(ctx: ReadContext) -> list[SegmentRead]:
    with ctx.read_uow() as uow:
        return [SegmentRead(**s) for s in segments.list_segments(uow)]


@segments_router.get("/{segment_id}", summary="One saved segment",
                     responses={404: {"description": "No such segment"}})
def get_segment(segment_id: str, ctx: ReadContext) -> SegmentRead:
    with ctx.read_uow() as uow:
        return SegmentRead(**segments.get_segment(uow, segment_id))
