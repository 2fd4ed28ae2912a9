"""Campaigns: a message to the members of a segment, sent under the customer's marketing
consent for its medium, from a scheduled time, at most ``throttle_per_minute`` a minute.

A campaign is a ``draft`` while it is written, ``scheduled`` once its time is set and it
is scheduled, ``running`` from the moment the worker starts freezing its audience
(``flows/campaigns.py``), ``completed`` when every message it queued is finished, or
``cancelled`` (a draft, scheduled or running campaign; its queued messages are
suppressed). Only a draft or a scheduled campaign can be edited. Its messages are
ordinary messages (type ``campaign``, purpose marketing): the sender sends them, asks
consent again before each attempt, and they are listed with every other message.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from ordermesh.customers.segments import get_segment
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.messaging.campaign_content import (
    MEDIA,
    SAMPLE,
    check_content,
    render_campaign,
    unsubscribe_url,
)
from ordermesh.messaging.model import MessageStatus, MessageType
from ordermesh.messaging.tables import (
    campaign_recipients,
    campaigns,
    message_history,
    messages,
)


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


EDITABLE = (CampaignStatus.DRAFT.value, CampaignStatus.SCHEDULED.value)
CANCELLABLE = (*EDITABLE, CampaignStatus.RUNNING.value)
CANCELLED_REASON = "the campaign was cancelled"
TEST_SOURCE = "campaign.test"  # the source_event_type of a test send
_EMAIL = r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+"
_PHONE = r"\+?[0-9][0-9 ]{5,19}"
_WAITING = (MessageStatus.QUEUED.value, MessageStatus.SENDING.value)
# Why a member got no message, as counted; the first four are decided when the audience
# is frozen, the others when a queued message meets a rule before its attempt.
SKIP_REASONS = ("no_consent", "unsubscribed", "no_address", "undeliverable",
                "duplicate_address", "frequency_cap", "cancelled")


def _lock(uow: UnitOfWork, campaign_id: str):
    query = select(campaigns).where(campaigns.c.id == campaign_id)
    row = uow.execute(query.with_for_update()).first()
    if row is None:
        raise NotFound(f"Campaign '{campaign_id}' does not exist")
    return row


def _check(uow: UnitOfWork, fields: dict[str, Any]) -> None:
    if "medium" in fields and fields["medium"] not in MEDIA:
        raise InvalidInput.for_field("medium", f"Unknown medium '{fields['medium']}' "
                                     "(email or sms)", "unknown_medium")
    if "segment_id" in fields:
        try:
            get_segment(uow, fields["segment_id"])
        except NotFound:
            raise InvalidInput.for_field("segment_id", f"Segment '{fields['segment_id']}' "
                                         "does not exist", "unknown_segment") from None
    check_content(fields["medium"], fields["content"], fields["default_language"])
    at = fields.get("scheduled_at")
    if at is not None and as_utc(at) < uow.clock.now():
        raise InvalidInput.for_field("scheduled_at", "is in the past", "in_the_past")


def create_campaign(uow: UnitOfWork, fields: dict[str, Any]) -> dict:
    """A draft campaign (checked first). Writes ``campaign.created``."""
    _check(uow, fields)
    now = uow.clock.now()
    campaign_id = new_id("cmp")
    uow.execute(insert(campaigns).values(
        id=campaign_id, status=CampaignStatus.DRAFT.value, version=1, created_at=now,
        created_by=uow.actor, updated_at=now, audience_frozen=0, queued=0, **fields))
    record_event(uow, "campaign.created", "campaign", campaign_id,
                 {"id": campaign_id, "name": fields["name"],
                  "segment_id": fields["segment_id"], "medium": fields["medium"]})
    return get_campaign(uow, campaign_id)


def update_campaign(uow: UnitOfWork, campaign_id: str, changes: dict[str, Any]) -> dict:
    """Change a draft or scheduled campaign (a scheduled one stays scheduled, at its new
    time); the content is checked whole, as it will be. Writes ``campaign.updated``."""
    row = _lock(uow, campaign_id)
    for key, value in changes.items():
        if value is None and key != "scheduled_at":
            raise InvalidInput.for_field(key, "cannot be null (leave it out to keep it)",
                                         "null")
    if row.status not in EDITABLE:
        raise IllegalTransition(f"Campaign '{campaign_id}' is {row.status}: only a draft "
                                "or a scheduled campaign can be edited")
    fields = {k: getattr(row, k) for k in ("name", "segment_id", "medium", "content",
                                           "default_language", "throttle_per_minute",
                                           "scheduled_at")} | changes
    _check(uow, {k: v for k, v in fields.items() if k in changes or k in (
        "medium", "content", "default_language")})
    if row.status == CampaignStatus.SCHEDULED and fields["scheduled_at"] is None:
        raise InvalidInput.for_field("scheduled_at", "a scheduled campaign keeps a time",
                                     "missing")
    uow.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(
        **changes, version=row.version + 1, updated_at=uow.clock.now()))
    record_event(uow, "campaign.updated", "campaign", campaign_id,
                 {"id": campaign_id, "changed": sorted(changes), "version": row.version + 1})
    return get_campaign(uow, campaign_id)


def schedule_campaign(uow: UnitOfWork, campaign_id: str) -> dict:
    """A draft with a time becomes scheduled: the worker starts it at that time.
    Scheduling it again changes nothing. Writes ``campaign.scheduled``."""
    row = _lock(uow, campaign_id)
    if row.status == CampaignStatus.SCHEDULED:
        return get_campaign(uow, campaign_id)
    if row.status != CampaignStatus.DRAFT:
        raise IllegalTransition(f"Campaign '{campaign_id}' is {row.status}: only a draft "
                                "can be scheduled")
    if row.scheduled_at is None:
        raise InvalidInput.for_field("scheduled_at", "set the time to send it first",
                                     "missing")
    uow.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(
        status=CampaignStatus.SCHEDULED.value, updated_at=uow.clock.now()))
    record_event(uow, "campaign.scheduled", "campaign", campaign_id, {
        "id": campaign_id, "scheduled_at": as_utc(row.scheduled_at).isoformat(),
        "segment_id": row.segment_id, "medium": row.medium})
    return get_campaign(uow, campaign_id)


def cancel_campaign(uow: UnitOfWork, campaign_id: str) -> dict:
    """Stop a campaign: nothing more is frozen or queued, and its queued messages are
    suppressed (a message a sender is handing over at this moment still goes). Writes
    ``campaign.cancelled``."""
    row = _lock(uow, campaign_id)
    if row.status not in CANCELLABLE:
        raise IllegalTransition(f"Campaign '{campaign_id}' is {row.status}: it can no "
                                "longer be cancelled")
    now = uow.clock.now()
    m = messages.c
    waiting = [r.id for r in uow.execute(select(m.id).where(
        m.source_event_id == campaign_id, m.type == MessageType.CAMPAIGN.value,
        m.status == MessageStatus.QUEUED.value).with_for_update())]
    if waiting:
        uow.execute(update(messages).where(
            m.id.in_(waiting), m.status == MessageStatus.QUEUED.value).values(
            status=MessageStatus.SUPPRESSED.value, reason=CANCELLED_REASON,
            next_attempt_at=None, finished_at=now))
        uow.execute(insert(message_history), [
            {"message_id": i, "status": MessageStatus.SUPPRESSED.value, "attempt": None,
             "detail": CANCELLED_REASON, "at": now} for i in waiting])
    uow.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(
        status=CampaignStatus.CANCELLED.value, finished_at=now, updated_at=now))
    record_event(uow, "campaign.cancelled", "campaign", campaign_id, {
        "id": campaign_id, "was": row.status, "suppressed": len(waiting)})
    return get_campaign(uow, campaign_id)


def queue_test_send(uow: UnitOfWork, campaign_id: str, address: str, language: str | None,
              public_url: str) -> dict:
    """Queue the campaign's message to ``address`` alone, marked as a test: "[Test]" in
    the subject, rendered for the sample customer (``SAMPLE``), no customer record, an
    unsubscribe link that leads nowhere. The sender sends it
    like any message. Writes ``message.queued``."""
    row = _lock(uow, campaign_id)
    if not re.fullmatch(_PHONE if row.medium == "sms" else _EMAIL, address):
        what = "a phone number" if row.medium == "sms" else "an e-mail address"
        raise InvalidInput.for_field("address", f"not {what}", "invalid_address")
    language = language or row.default_language
    if language not in row.content:
        raise InvalidInput.for_field("language", f"the campaign has no content in "
                                     f"'{language}'", "missing_language")
    rendered = render_campaign(row.medium, row.content, language, language,
                               SAMPLE["name"], unsubscribe_url(public_url, "test-send"))
    subject = f"[Test] {rendered.subject}" if row.medium == "email" else ""
    text = rendered.text if row.medium == "email" else f"[Test] {rendered.text}"
    now = uow.clock.now()
    message_id = new_id("msg")
    uow.execute(insert(messages).values(
        id=message_id, source_event_id=new_id("cts"), source_event_type=TEST_SOURCE,
        type=MessageType.CAMPAIGN.value, medium=row.medium, recipient=address,
        customer_id=None, order_id=None, order_number=None, language=language,
        locale=language, subject=subject, body_text=text, body_html=rendered.html,
        status=MessageStatus.QUEUED.value, reason=None, attempts=0, next_attempt_at=now,
        last_error=None, created_at=now, parts=1, unsubscribe_url=None))
    uow.execute(insert(message_history).values(
        message_id=message_id, status=MessageStatus.QUEUED.value, attempt=None,
        detail=f"a test of campaign {campaign_id}", at=now))
    record_event(uow, "message.queued", "message", message_id, {
        "id": message_id, "type": MessageType.CAMPAIGN.value, "medium": row.medium,
        "customer_id": None, "order_id": None, "source_event_id": campaign_id,
        "language": language, "campaign_id": campaign_id, "test": True})
    return {"message_id": message_id, "campaign_id": campaign_id, "recipient": address,
            "medium": row.medium, "language": language, "subject": subject,
            "status": MessageStatus.QUEUED.value}


def _when(value: datetime | None):
    return as_utc(value) if value is not None else None


def skip_reason_of(reason: str | None) -> str:
    """How a message suppressed before its attempt is counted."""
    text = reason or ""
    if text == CANCELLED_REASON:
        return "cancelled"
    if text.startswith("frequency cap"):
        return "frequency_cap"
    if "bounced" in text:
        return "undeliverable"
    return "unsubscribed"  # consent withdrawn after the message was queued


def counts(uow: UnitOfWork, campaign_id: str) -> dict:
    r, m = campaign_recipients.c, messages.c
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    audience = 0
    for reason, n in uow.execute(select(r.skipped, func.count()).where(
            r.campaign_id == campaign_id).group_by(r.skipped)):
        audience += n
        if reason is not None:
            skipped[reason] += n
    out = {"audience": audience, "queued": 0, "waiting_quiet_hours": 0, "sent": 0,
           "delivered": 0, "failed": 0}
    rows = uow.execute(select(m.status, m.reason).where(
        m.source_event_id == campaign_id, m.type == MessageType.CAMPAIGN.value))
    for status, reason in rows:
        if status in _WAITING:
            out["queued"] += 1
            if (reason or "").startswith("deferred"):
                out["waiting_quiet_hours"] += 1
        elif status in (MessageStatus.SENT.value, MessageStatus.DELIVERED.value):
            out["sent"] += 1
            out["delivered"] += status == MessageStatus.DELIVERED.value
        elif status in (MessageStatus.FAILED.value, MessageStatus.BOUNCED.value):
            out["failed"] += 1
        elif status == MessageStatus.SUPPRESSED.value:
            skipped[skip_reason_of(reason)] += 1
    return {**out, "skipped": skipped}


def _read(row) -> dict:
    return {"id": row.id, "name": row.name, "segment_id": row.segment_id,
            "medium": row.medium, "content": row.content,
            "default_language": row.default_language,
            "throttle_per_minute": row.throttle_per_minute,
            "scheduled_at": _when(row.scheduled_at), "status": row.status,
            "version": row.version, "created_at": as_utc(row.created_at),
            "created_by": row.created_by, "updated_at": as_utc(row.updated_at),
            "started_at": _when(row.started_at), "finished_at": _when(row.finished_at),
            "audience_frozen": bool(row.audience_frozen)}


def get_campaign(uow: UnitOfWork, campaign_id: str) -> dict:
    row = uow.execute(select(campaigns).where(campaigns.c.id == campaign_id)).first()
    if row is None:
        raise NotFound(f"Campaign '{campaign_id}' does not exist")
    return {**_read(row), "counts": counts(uow, campaign_id)}


def list_campaigns(uow: UnitOfWork, status: str | None = None) -> list[dict]:
    """Newest first, without counts."""
    query = select(campaigns).order_by(campaigns.c.created_at.desc(), campaigns.c.id)
    if status is not None:
        query = query.where(campaigns.c.status == status)
    return [_read(r) for r in uow.execute(query.limit(500))]


def refuse_unless_configured(medium: str, configured: frozenset[str]) -> None:
    if medium not in configured:
        raise Conflict(f"No {medium} medium is configured (ORDERMESH_SMTP_HOST, "
                       "ORDERMESH_SMS_PROVIDER_URL): nothing could be sent",
                       extra={"reason": "medium_not_configured"})
