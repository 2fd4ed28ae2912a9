"""Routes of campaigns: write one, send a test, schedule it, cancel it, read it with its
counts. The worker runs it (``flows/campaigns.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.messaging import campaigns as service
from ordermesh.messaging.campaign_schemas import (
    CampaignCreate,
    CampaignPatch,
    CampaignRead,
    SendTestIn,
    SendTestRead,
)
from ordermesh.messaging.campaigns import CampaignStatus
from ordermesh.messaging.jobs import media_of

router = APIRouter(prefix="/api/v1/campaigns", tags=["messaging"])
_REFUSED = {404: {"description": "No such campaign"},
            409: {"description": "Not possible in the campaign's status"}}
_BAD = {422: {"description": "An unknown segment, content that does not render with a "
                             "sample customer (the error per field), a time in the past"}}


@router.post("", status_code=201, summary="Write a campaign (a draft)", responses=_BAD)
def create_campaign(body: CampaignCreate, ctx: WriteContext) -> CampaignRead:
    """A message to a saved segment, by e-mail or SMS, with its content per language
    (sandboxed Jinja2, checked now by rendering it with a sample customer), its throttle
    and the time to send it. It sends nothing until it is scheduled. Writes
    `campaign.created`."""
    fields = body.changes()
    return CampaignRead(**ctx.run_committed(lambda uow: service.create_campaign(uow, fields)))


@router.get("", summary="List campaigns, newest first")
def list_campaigns(ctx: ReadContext, status: CampaignStatus | None = None
                   ) -> list[CampaignRead]:
    with ctx.read_uow() as uow:
        return [CampaignRead(**c) for c in service.list_campaigns(
            uow, status.value if status else None)]


@router.get("/{campaign_id}", summary="One campaign with its counts", responses=_REFUSED)
def get_campaign(campaign_id: str, ctx: ReadContext) -> CampaignRead:
    """Its audience (members looked at so far), queued, sent, failed, and why members got
    no message (`skipped`)."""
    with ctx.read_uow() as uow:
        return CampaignRead(**service.get_campaign(uow, campaign_id))


@router.patch("/{campaign_id}", summary="Edit a draft or scheduled campaign",
              responses={**_REFUSED, **_BAD})
def update_campaign(campaign_id: str, body: CampaignPatch, ctx: WriteContext
                    ) -> CampaignRead:
    """Only what is given changes; the content is checked as it will be. A running,
    completed or cancelled campaign is a 409. Writes `campaign.updated`."""
    changes = body.changes()
    return CampaignRead(**ctx.run_committed(
        lambda uow: service.update_campaign(uow, campaign_id, changes)))


@router.post("/{campaign_id}/test-send", status_code=202, summary="Send the campaign to "
             "one address, as a test", responses={**_REFUSED, 422: {
                 "description": "Not an address of the medium, a language it is not "
                                "written in"}})
def test_send(campaign_id: str, body: SendTestIn, ctx: WriteContext) -> SendTestRead:
    """Queues the message, rendered in `language` for a sample customer named "Ada
    Lovelace", to `address` alone,
    marked as a test ("[Test]" before the subject or the SMS); the worker sends it like any
    message, whatever the campaign's status. No customer is written to. Writes
    `message.queued`."""
    configured = frozenset(media_of(ctx.container.settings))
    public_url = ctx.container.settings.public_url

    def work(uow):
        row = service.get_campaign(uow, campaign_id)
        service.refuse_unless_configured(row["medium"], configured)
        return service.queue_test_send(uow, campaign_id, body.address, body.language,
                                       public_url)
    return SendTestRead(**ctx.run_committed(work))


@router.post("/{campaign_id}/schedule", summary="Schedule a draft campaign",
             responses=_REFUSED | {422: {"description": "It has no time yet"}})
def schedule_campaign(campaign_id: str, ctx: WriteContext) -> CampaignRead:
    """The worker starts it at its `scheduled_at` (at once when that has passed); its
    medium must be configured. Scheduling it again changes nothing. Writes
    `campaign.scheduled`."""
    configured = frozenset(media_of(ctx.container.settings))

    def work(uow):
        service.refuse_unless_configured(service.get_campaign(uow, campaign_id)["medium"],
                                         configured)
        return service.schedule_campaign(uow, campaign_id)
    return CampaignRead(**ctx.run_committed(work))


@router.post("/{campaign_id}/cancel", summary="Cancel a campaign", responses=_REFUSED)
def cancel_campaign(campaign_id: str, ctx: WriteContext) -> CampaignRead:
    """A draft, scheduled or running campaign stops: nothing more is queued and its queued
    messages are suppressed (`reason`: the campaign was cancelled). Writes
    `campaign.cancelled`."""
    return CampaignRead(**ctx.run_committed(
        lambda uow: service.cancel_campaign(uow, campaign_id)))
