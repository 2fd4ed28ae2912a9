"""What customers think: the answer of ``GET /api/v1/feedback/insights`` (the same
``feedback.insights.insights``) for a product, category, carrier, location or channel and
a period, and the latest feedback about it with links to the customers and orders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from ordermesh.backoffice.model import Permission
from ordermesh.backoffice.web import PageContext, need
from ordermesh.channels.service import find_channel
from ordermesh.customers.tables import customers
from ordermesh.feedback.insights import About, insights
from ordermesh.feedback.model import TOPIC_LABELS
from ordermesh.feedback.tables import feedback
from ordermesh.http.problems import status_for
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError, InvalidInput
from ordermesh.locations.service import find_location
from ordermesh.orders.model import order_number
from ordermesh.orders.tables import orders

router = APIRouter()
Viewer = Annotated[PageContext, Depends(need(Permission.VIEW))]
LATEST = 25
MAX_REF = 64
FILTERS = ("sku", "category", "carrier", "location", "channel")


def _day(field: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput.for_field(field, f"'{value}' is not a date (YYYY-MM-DD)") from None


def latest_feedback(uow: UnitOfWork, about: About, since: datetime, until: datetime
                    ) -> list[dict]:
    """The newest pieces in the window about the subject, with their order's number."""
    f = feedback
    query = (select(f, orders.c.seq, customers.c.name.label("customer_name"))
             .outerjoin(orders, orders.c.id == f.c.order_id)
             .outerjoin(customers, customers.c.id == f.c.customer_id)
             .where(f.c.received_at >= since, f.c.received_at <= until)
             .order_by(f.c.received_at.desc(), f.c.id.desc()).limit(LATEST))
    if about.sku:
        query = query.where(f.c.sku == about.sku)
    if about.category:
        query = query.where(f.c.category == about.category)
    if about.carrier:
        query = query.where(f.c.carrier == about.carrier)
    if about.channel:
        query = query.where(f.c.channel_id == find_channel(uow, about.channel).id)
    if about.location:
        query = query.where(f.c.location_id == find_location(uow, about.location).id)
    return [{"received_at": as_utc(r.received_at), "kind": r.kind, "score": r.score,
             "text": r.text, "sku": r.sku, "category": r.category, "carrier": r.carrier,
             "customer_id": r.customer_id, "customer_name": r.customer_name,
             "sentiment": r.sentiment_milli / 1000 if r.sentiment_milli is not None else None,
             "topics": [TOPIC_LABELS.get(t["code"], t["code"]) for t in r.topics],
             "order": order_number(r.seq) if r.seq is not None else None}
            for r in uow.execute(query)]


@router.get("/feedback")
def feedback_page(page: Viewer, sku: str = "", category: str = "", carrier: str = "",
                  location: str = "", channel: str = "", since: str = "", until: str = "",
                  period: str = "month") -> HTMLResponse:
    typed = {"sku": sku, "category": category, "carrier": carrier, "location": location,
             "channel": channel, "since": since, "until": until, "period": period}
    for name in FILTERS:
        if len(typed[name]) > MAX_REF:
            raise InvalidInput.for_field(name, f"at most {MAX_REF} characters")
    try:
        first, last = _day("since", since), _day("until", until)
        about = About(sku=sku.strip() or None, category=category.strip() or None,
                      carrier=carrier.strip() or None,
                      location=location.strip() or None, channel=channel.strip() or None,
                      since=datetime.combine(first, time(), UTC) if first else None,
                      until=(datetime.combine(last + timedelta(days=1), time(), UTC)
                             if last else None), period=period)
        with page.read() as uow:
            found = insights(uow, about)
            latest = latest_feedback(uow, about, found["since"], found["until"])
    except DomainError as exc:  # an unknown product, channel or location, a bad period
        return page.render("feedback.html", status_for(exc), found=None, latest=[],
                           typed=typed, error=exc.detail)
    return page.render("feedback.html", found=found, latest=latest, typed=typed)
