"""Running a campaign (``messaging/campaigns.py``): the worker starts it at its time,
freezes its audience and queues one message per member; it is completed once every
message it queued is finished. It reads segments (their members, with their orders), the
consent ledger and messaging, so it lives above them.

Freezing goes a page of customers at a time, each page one transaction that locks the
campaign row first (``FOR UPDATE`` on PostgreSQL; SQLite's writers go one at a time), so
two workers take turns rather than reading the same page, and a worker that crashes
leaves the offset of the last page it committed. The audience is the segment's members
at the moment the campaign started: customers created after it are not looked at, and
every rule is evaluated as of that moment. Each member gets one row in
``campaign_recipients`` (unique per campaign and customer: whatever runs twice, nobody
is queued twice) and either a queued message or the reason they got none:

* ``no_consent``: no current marketing opt-in for the campaign's medium in the ledger of
  the person (every record merged into them); ``unsubscribed``: they withdrew it;
* ``no_address``: no e-mail address (phone number for SMS); ``undeliverable``: it
  bounced for good; ``duplicate_address``: another member has the same address and got
  the message.

The n-th message queued is due ``n // throttle_per_minute`` minutes after the start, so
the sender, which takes due messages only, sends at most the throttle per minute. The
sender asks consent, quiet hours and the frequency cap again before each attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update

from ordermesh.customers.consent import ledger_rows
from ordermesh.customers.identities import groups_of_roots, undeliverable
from ordermesh.customers.model import (
    Customer,
    Medium,
    Purpose,
    allows,
    current_consent,
)
from ordermesh.customers.segments import customers_in_order, get_segment, rules_of
from ordermesh.flows.customer_segments import evaluate_batch
from ordermesh.http.deps import Container
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.messaging.campaign_content import (
    SMS,
    language_for,
    new_token,
    render_campaign,
    unsubscribe_url,
)
from ordermesh.messaging.campaigns import CampaignStatus, counts
from ordermesh.messaging.checks import recipient_identity
from ordermesh.messaging.jobs import media_of
from ordermesh.messaging.model import MessageStatus, MessageType
from ordermesh.messaging.queueing import phone_of
from ordermesh.messaging.tables import (
    campaign_recipients,
    campaigns,
    message_history,
    messages,
)

PAGE = 100
_WAITING = (MessageStatus.QUEUED.value, MessageStatus.SENDING.value)


def due_campaigns(uow: UnitOfWork, media: frozenset[str]) -> list[tuple[str, bool]]:
    """Campaigns to work on: scheduled ones whose time has come, running ones; each with
    whether its audience is frozen already."""
    c = campaigns.c
    rows = uow.execute(select(c.id, c.status, c.scheduled_at, c.medium, c.audience_frozen)
                       .where(
        c.status.in_((CampaignStatus.SCHEDULED.value, CampaignStatus.RUNNING.value)))
        .order_by(c.scheduled_at, c.id))
    now = uow.clock.now()
    return [(r.id, bool(r.audience_frozen)) for r in rows if r.medium in media and (
        r.status == CampaignStatus.RUNNING or as_utc(r.scheduled_at) <= now)]


def _consent(uow: UnitOfWork, medium: str, roots: list[str]) -> dict[str, str | None]:
    """Per person: None when the ledger allows marketing on ``medium``, else why not."""
    groups = groups_of_roots(uow, roots)
    owner = {member: root for root, group in groups.items() for member in group}
    ledgers: dict[str, list] = {root: [] for root in roots}
    for member, entry in ledger_rows(uow, list(owner)):
        ledgers[owner[member]].append(entry)
    wanted = (Purpose.MARKETING, Medium(medium))
    out: dict[str, str | None] = {}
    for root, entries in ledgers.items():
        state = current_consent(entries)
        if allows(state, *wanted):
            out[root] = None
        else:
            out[root] = "unsubscribed" if wanted in state else "no_consent"
    return out


def _address(uow: UnitOfWork, medium: str, customer: Customer) -> str:
    if medium == SMS:
        return phone_of(uow, customer)
    return (customer.email or "").strip()


@dataclass
class _Page:
    campaign: object  # the campaign row
    public_url: str
    queued: int = 0


def _queue(uow: UnitOfWork, page: _Page, customer: Customer, address: str,
           recipient_id: int) -> bool:
    """Queue the member's message; False when another member has the address."""
    row = page.campaign
    token, hashed = new_token()
    url = unsubscribe_url(page.public_url, token)
    language, locale = language_for(row.content, row.default_language, customer.language,
                                    customer.locale)
    rendered = render_campaign(row.medium, row.content, language, locale,
                               customer.name or "", url)
    now = uow.clock.now()
    slot = row.queued + page.queued
    due = as_utc(row.started_at) + timedelta(minutes=slot // row.throttle_per_minute)
    message_id = new_id("msg")
    if insert_ignore_returning(uow, messages, ("source_event_id", "recipient", "type"),
                               "id", {
            "id": message_id, "source_event_id": row.id, "source_event_type": "campaign",
            "type": MessageType.CAMPAIGN.value, "medium": row.medium,
            "recipient": address, "customer_id": customer.id, "order_id": None,
            "order_number": None, "language": language, "locale": locale,
            "subject": rendered.subject, "body_text": rendered.text,
            "body_html": rendered.html, "status": MessageStatus.QUEUED.value,
            "reason": None, "attempts": 0, "next_attempt_at": max(due, now),
            "last_error": None, "created_at": now, "sent_at": None, "finished_at": None,
            "parts": 1, "coalesce_until": None, "dedup_key": None,
            "unsubscribe_url": url if row.medium != SMS else None}) is None:
        return False
    page.queued += 1
    uow.execute(update(campaign_recipients).where(campaign_recipients.c.id == recipient_id)
                .values(message_id=message_id, unsubscribe_hash=hashed))
    uow.execute(insert(message_history).values(
        message_id=message_id, status=MessageStatus.QUEUED.value, attempt=None,
        detail=f"campaign {row.id}", at=now))
    record_event(uow, "message.queued", "message", message_id, {
        "id": message_id, "type": MessageType.CAMPAIGN.value, "medium": row.medium,
        "customer_id": customer.id, "order_id": None, "source_event_id": row.id,
        "language": language, "campaign_id": row.id})
    return True


def _skip_reason(uow: UnitOfWork, medium: str, address: str, consent: str | None
                 ) -> str | None:
    if consent is not None:
        return consent
    if not address:
        return "no_address"
    if undeliverable(uow, recipient_identity(medium, address)) is not None:
        return "undeliverable"
    return None


def _add_member(uow: UnitOfWork, page: _Page, customer: Customer, consent: str | None
                ) -> None:
    medium = page.campaign.medium
    address = _address(uow, medium, customer)
    skipped = _skip_reason(uow, medium, address, consent)
    recipient_id = insert_ignore_returning(
        uow, campaign_recipients, ("campaign_id", "customer_id"), "id", {
            "campaign_id": page.campaign.id, "customer_id": customer.id,
            "message_id": None, "skipped": skipped, "unsubscribe_hash": None,
            "unsubscribed_at": None, "created_at": uow.clock.now()})
    if recipient_id is None or skipped is not None:
        return  # already in the audience (a page done twice), or skipped
    if not _queue(uow, page, customer, address, recipient_id[0]):
        uow.execute(update(campaign_recipients)
                    .where(campaign_recipients.c.id == recipient_id[0])
                    .values(skipped="duplicate_address"))


def _start(uow: UnitOfWork, row) -> object:
    now = uow.clock.now()
    uow.execute(update(campaigns).where(campaigns.c.id == row.id).values(
        status=CampaignStatus.RUNNING.value, started_at=now, audience_offset=0,
        updated_at=now))
    record_event(uow, "campaign.started", "campaign", row.id, {
        "id": row.id, "segment_id": row.segment_id, "medium": row.medium,
        "scheduled_at": as_utc(row.scheduled_at).isoformat()})
    return uow.execute(select(campaigns).where(campaigns.c.id == row.id)).one()


def freeze_page(uow: UnitOfWork, campaign_id: str, public_url: str, size: int = PAGE
                ) -> bool:
    """Start the campaign if it is due, then take the next page of its audience; commits.
    Whether there is more to freeze."""
    row = uow.execute(select(campaigns).where(campaigns.c.id == campaign_id)
                      .with_for_update()).first()
    now = uow.clock.now()
    if row is not None and row.status == CampaignStatus.SCHEDULED and \
            as_utc(row.scheduled_at) <= now:
        row = _start(uow, row)
    if row is None or row.status != CampaignStatus.RUNNING or row.audience_frozen:
        uow.commit()
        return False
    started = as_utc(row.started_at)
    batch = customers_in_order(uow, row.audience_offset, size)
    existing = [c for c in batch if as_utc(c.created_at) <= started]
    rules = rules_of(get_segment(uow, row.segment_id)["rules"])
    members = [m for m in evaluate_batch(uow, rules, existing, started) if m is not None]
    consent = _consent(uow, row.medium, [m.customer.id for m in members])
    page = _Page(row, public_url)
    for member in members:
        _add_member(uow, page, member.customer, consent[member.customer.id])
    done = len(batch) < size
    uow.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(
        audience_offset=row.audience_offset + len(batch), audience_frozen=int(done),
        queued=row.queued + page.queued, updated_at=now))
    if done:
        _complete_if_finished(uow, campaign_id)
    uow.commit()
    return not done


def _complete_if_finished(uow: UnitOfWork, campaign_id: str) -> bool:
    m = messages.c
    waiting = uow.execute(select(m.id).where(
        m.source_event_id == campaign_id, m.type == MessageType.CAMPAIGN.value,
        m.status.in_(_WAITING)).limit(1)).first()
    if waiting is not None:
        return False
    now = uow.clock.now()
    uow.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(
        status=CampaignStatus.COMPLETED.value, finished_at=now, updated_at=now))
    record_event(uow, "campaign.completed", "campaign", campaign_id,
                 {"id": campaign_id, **counts(uow, campaign_id)})
    return True


def complete_finished(uow: UnitOfWork, campaign_id: str) -> bool:
    """Complete a running campaign whose audience is frozen and whose every message is
    finished (sent, failed, suppressed); commits. Writes ``campaign.completed``."""
    row = uow.execute(select(campaigns).where(campaigns.c.id == campaign_id)
                      .with_for_update()).first()
    done = (row is not None and row.status == CampaignStatus.RUNNING
            and bool(row.audience_frozen) and _complete_if_finished(uow, campaign_id))
    uow.commit()
    return done


@dataclass(frozen=True)
class CampaignRun:
    """Starts due campaigns, freezes their audiences (``max_pages`` pages a pass) and
    completes the finished ones. A campaign on a medium that is not configured waits."""

    name: str = "campaigns"
    page: int = PAGE
    max_pages: int = 20

    def run_once(self, container: Container) -> int:
        media = frozenset(media_of(container.settings))
        if not media:
            return 0
        actor = f"worker:{self.name}"
        with UnitOfWork(container.engine, container.clock, actor=actor, write=False) as uow:
            due = due_campaigns(uow, media)
        pages = 0
        for campaign_id, frozen in due:
            more = not frozen
            while more and pages < self.max_pages:
                with UnitOfWork(container.engine, container.clock, actor=actor) as uow:
                    more = freeze_page(uow, campaign_id, container.settings.public_url,
                                       self.page)
                pages += 1
            if not more:
                with UnitOfWork(container.engine, container.clock, actor=actor) as uow:
                    pages += complete_finished(uow, campaign_id)
        return pages
