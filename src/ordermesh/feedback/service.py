"""Recording feedback: the answer to a request (through its link), and feedback an agent
enters or a channel's ratings imported through the API. Each piece is tied to the
customer and, where it applies, the order, line, product, shipment, carrier, location and
channel; its text is collated (sentiment, topics) as it is stored. Alerts are raised in
the same transaction when a subject turns negative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ordermesh.catalog.service import get_product
from ordermesh.channels.service import find_channel
from ordermesh.customers.service import get_customer
from ordermesh.feedback.collation import collate
from ordermesh.feedback.model import (
    ALERT_MIN_SAMPLE,
    ALERT_SHARE,
    ALERT_WINDOW_DAYS,
    BadToken,
    Kind,
    RequestStatus,
    Source,
    UsedToken,
    check_piece,
    is_negative,
    read_token,
)
from ordermesh.feedback.tables import feedback, feedback_alerts, feedback_requests
from ordermesh.fulfilment.queries import fulfilment_for_order
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.orders.queries import load_order, order_ref
from ordermesh.shipping.service import get_shipment


@dataclass(frozen=True)
class Piece:
    kind: Kind
    score: int | None = None
    text: str | None = None
    line_no: int | None = None


@dataclass(frozen=True)
class Entered:
    """Feedback an agent enters or a channel's rating imported."""

    source: Source
    customer_id: str
    piece: Piece
    order: str | None = None  # id or number
    channel: str | None = None  # id or code; an order's channel when it has one
    external_ref: str | None = None  # the channel's id of the rating: imported once
    received_at: datetime | None = None


def _clean(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def _row(uow: UnitOfWork, source: Source, piece: Piece, ties: dict, lines: dict[int, dict],
         received_at: datetime) -> dict:
    text = _clean(piece.text)
    sentiment, topics = collate(text)
    line = lines.get(piece.line_no) if piece.line_no is not None else None
    product = get_product(uow, line["product_id"]) if line else None
    return {"id": new_id("fbk"), "source": source.value, "kind": piece.kind.value,
            "score": piece.score, "text": text, "line_no": piece.line_no,
            "product_id": product.id if product else None,
            "sku": product.sku if product else None,
            "category": product.category if product else None,
            "sentiment_milli": sentiment, "topics": topics, "actor": uow.actor,
            "received_at": received_at, "created_at": uow.clock.now(), **ties}


def _store(uow: UnitOfWork, rows: list[dict]) -> None:
    uow.execute(feedback.insert(), rows)
    for row in rows:
        record_event(uow, "feedback.received", "feedback", row["id"], {
            "id": row["id"], "source": row["source"], "kind": row["kind"],
            "score": row["score"], "text": row["text"], "customer_id": row["customer_id"],
            "order_id": row["order_id"], "line_no": row["line_no"], "sku": row["sku"],
            "carrier": row["carrier"], "location_id": row["location_id"],
            "channel_id": row["channel_id"], "request_id": row["request_id"],
            "sentiment": (row["sentiment_milli"] / 1000
                          if row["sentiment_milli"] is not None else None),
            "topics": [t["code"] for t in row["topics"]]})
    _check_alerts(uow, rows)


def _check_lines(pieces: list[Piece], lines: dict[int, dict], order_number: str) -> None:
    for i, piece in enumerate(pieces):
        check_piece(piece.kind, piece.score, piece.text, f"pieces[{i}]")
        if piece.kind == Kind.PRODUCT_RATING and piece.line_no is None:
            raise InvalidInput.for_field(f"pieces[{i}].line_no", "a product rating names "
                                         "the order line it is about")
        if piece.line_no is not None and piece.line_no not in lines:
            raise InvalidInput.for_field(f"pieces[{i}].line_no", f"order {order_number} has "
                                         f"no line {piece.line_no} to give feedback on",
                                         "not_in_order")


# --- the answer through a link ------------------------------------------------------

def open_request(uow: UnitOfWork, secret: str | None, token: str):
    """The request a link is for, if it may still be answered (BadToken otherwise)."""
    if secret is None:
        raise BadToken("Feedback links are not enabled on this server")
    request_id = read_token(secret, token, uow.clock.now())
    query = select(feedback_requests).where(feedback_requests.c.id == request_id)
    row = uow.execute(query.with_for_update() if uow.write else query).first()
    if row is None:  # signed by us, but the request is gone
        raise BadToken("This feedback link is not one we sent")
    if row.status == RequestStatus.ANSWERED:
        raise UsedToken("This feedback link was used already: thank you, we have your "
                        "answer")
    if row.status != RequestStatus.SENT:
        raise BadToken("This feedback link is not one we sent")
    return row


def answer_request(uow: UnitOfWork, secret: str | None, token: str,
                   pieces: list[Piece]) -> list[dict]:
    """Store the answer to a request and use up its link; commits."""
    row = open_request(uow, secret, token)
    lines = {line["line_no"]: line for line in row.lines}
    pieces = [p for p in pieces if p.score is not None or _clean(p.text)]
    if not pieces:
        raise InvalidInput.for_field("pieces", "answer at least one question")
    _check_lines(pieces, lines, row.order_number)
    used = uow.execute(update(feedback_requests).where(
        feedback_requests.c.id == row.id,
        feedback_requests.c.status == RequestStatus.SENT.value,
    ).values(status=RequestStatus.ANSWERED.value, answered_at=uow.clock.now())).rowcount
    if used != 1:
        raise UsedToken("This feedback link was used already")
    ties = {"request_id": row.id, "customer_id": row.customer_id, "order_id": row.order_id,
            "shipment_id": row.shipment_id, "carrier": row.carrier,
            "location_id": row.location_id, "channel_id": row.channel_id,
            "external_ref": None}
    rows = [_row(uow, Source.REQUEST, p, ties, lines, uow.clock.now()) for p in pieces]
    _store(uow, rows)
    uow.commit()
    return [feedback_read(r) for r in rows]


# --- entered by an agent or imported ------------------------------------------------

def _order_ties(uow: UnitOfWork, order, line_no: int | None) -> dict:
    """Shipment, carrier and location of the fulfilment order that carried the line (or
    the order's only one)."""
    fos = fulfilment_for_order(uow, order.id)
    if line_no is not None:
        fos = [fo for fo in fos if any(ln.line_no == line_no for ln in fo.lines)]
    if len(fos) != 1:
        return {"shipment_id": None, "carrier": None, "location_id": None}
    fo = fos[0]
    try:
        shipment_id, carrier = (s := get_shipment(uow, fo.id)).id, s.carrier
    except NotFound:
        shipment_id, carrier = None, fo.carrier
    return {"shipment_id": shipment_id, "carrier": carrier, "location_id": fo.location_id}


def record_feedback(uow: UnitOfWork, cmd: Entered,
                    idem: idempotency.IdempotencyKey | None = None) -> dict:
    """Store one piece an agent entered or a channel sent; commits."""
    if cmd.source == Source.REQUEST:
        raise InvalidInput.for_field("source", "answers to a request come through its link")
    if prior := idempotency.claim(uow, idem):
        return get_feedback(uow, prior.resource_id)
    try:
        customer = get_customer(uow, cmd.customer_id)
    except NotFound as exc:
        raise InvalidInput.for_field("customer_id", exc.detail, "unknown") from exc
    lines: dict[int, dict] = {}
    ties = {"request_id": None, "customer_id": customer.id, "order_id": None,
            "shipment_id": None, "carrier": None, "location_id": None, "channel_id": None,
            "external_ref": cmd.external_ref}
    if cmd.order is not None:
        try:
            order = load_order(uow, order_ref(uow, cmd.order).id)
        except NotFound as exc:
            raise InvalidInput.for_field("order", exc.detail, "unknown") from exc
        if order.customer_id != customer.id:
            raise InvalidInput.for_field("order", f"order {order.number} is not an order of "
                                         f"customer {customer.id}", "not_the_customers")
        lines = {ln.line_no: {"product_id": ln.product_id} for ln in order.lines}
        ties |= {"order_id": order.id, "channel_id": order.channel_id,
                 **_order_ties(uow, order, cmd.piece.line_no)}
        _check_lines([cmd.piece], lines, order.number)
    else:
        check_piece(cmd.piece.kind, cmd.piece.score, cmd.piece.text, "pieces[0]")
        if cmd.piece.line_no is not None or cmd.piece.kind == Kind.PRODUCT_RATING:
            raise InvalidInput.for_field("order", "feedback about a line names its order")
    if cmd.channel is not None:
        try:
            channel = find_channel(uow, cmd.channel)
        except NotFound as exc:
            raise InvalidInput.for_field("channel", exc.detail, "unknown") from exc
        if ties["channel_id"] not in (None, channel.id):
            raise InvalidInput.for_field("channel", "the order came through another channel")
        ties["channel_id"] = channel.id
    if cmd.source == Source.IMPORT and ties["channel_id"] is None:
        raise InvalidInput.for_field("channel", "imported feedback names its channel")
    if cmd.external_ref is not None:
        twin = uow.execute(select(feedback.c.id).where(
            feedback.c.channel_id == ties["channel_id"],
            feedback.c.external_ref == cmd.external_ref)).first()
        if twin is not None:
            raise Conflict(f"Feedback '{cmd.external_ref}' of this channel was imported "
                           f"already ({twin.id})", extra={"feedback_id": twin.id})
    now = uow.clock.now()
    received = cmd.received_at or now
    if received > now:
        raise InvalidInput.for_field("received_at", "is in the future")
    row = _row(uow, cmd.source, cmd.piece, ties, lines, received)
    _store(uow, [row])
    if idem is not None:
        idempotency.complete(uow, idem, "feedback", row["id"], 201)
    uow.commit()
    return feedback_read(row)


# --- alerts -------------------------------------------------------------------------

_SUBJECTS = (("product", "product_id"), ("carrier", "carrier"), ("location", "location_id"))


def _check_alerts(uow: UnitOfWork, rows: list[dict]) -> None:
    """Raise ``feedback.alert_raised`` for each subject of ``rows`` whose recent
    feedback is negative beyond the threshold (model.ALERT_*), once a month."""
    now = uow.clock.now()
    since = now - timedelta(days=ALERT_WINDOW_DAYS)
    month = now.strftime("%Y-%m")
    for kind, column in _SUBJECTS:
        for subject in sorted({r[column] for r in rows if r[column]}):
            recent = list(uow.execute(select(
                feedback.c.kind, feedback.c.score, feedback.c.sentiment_milli, feedback.c.sku)
                .where(feedback.c[column] == subject, feedback.c.received_at >= since)))
            negative = sum(1 for r in recent if is_negative(
                r.kind, r.score, r.sentiment_milli / 1000 if r.sentiment_milli is not None
                else None))
            if len(recent) < ALERT_MIN_SAMPLE or negative < ALERT_SHARE * len(recent):
                continue
            alert_id = new_id("fba")
            if insert_ignore_returning(uow, feedback_alerts, ("subject_kind", "subject",
                                                              "month"), "id", {
                    "id": alert_id, "subject_kind": kind, "subject": subject, "month": month,
                    "negative": negative, "sample": len(recent), "raised_at": now}) is None:
                continue
            record_event(uow, "feedback.alert_raised", "feedback_alert", alert_id, {
                "id": alert_id, "subject_kind": kind, "subject": subject,
                "sku": next((r.sku for r in recent if r.sku), None) if kind == "product"
                else None, "negative": negative, "sample": len(recent),
                "negative_share": round(negative / len(recent), 3),
                "window_days": ALERT_WINDOW_DAYS})


# --- reading ------------------------------------------------------------------------

def feedback_read(row) -> dict:
    data = dict(row) if isinstance(row, dict) else dict(row._mapping)
    milli = data.pop("sentiment_milli")
    data["sentiment"] = milli / 1000 if milli is not None else None
    for key in ("received_at", "created_at"):
        data[key] = as_utc(data[key])
    return data


def get_feedback(uow: UnitOfWork, feedback_id: str) -> dict:
    row = uow.execute(select(feedback).where(feedback.c.id == feedback_id)).first()
    if row is None:
        raise NotFound(f"No feedback '{feedback_id}'")
    return feedback_read(row)


def list_feedback(uow: UnitOfWork, *, customer_id: str | None = None,
                  order_id: str | None = None, sku: str | None = None,
                  carrier: str | None = None, kind: str | None = None,
                  limit: int = 50) -> list[dict]:
    """Newest first."""
    query = select(feedback).order_by(feedback.c.received_at.desc(), feedback.c.id.desc())
    for column, value in (("customer_id", customer_id), ("order_id", order_id),
                          ("sku", sku), ("carrier", carrier), ("kind", kind)):
        if value is not None:
            query = query.where(feedback.c[column] == value)
    return [feedback_read(r) for r in uow.execute(query.limit(limit))]
