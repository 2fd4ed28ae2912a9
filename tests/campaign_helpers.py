"""Scaffolding for campaign tests: customers with and without marketing consent, a
segment of everyone, a campaign written, scheduled and run by the worker."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from ordermesh.customers.service import match_or_create
from ordermesh.flows.campaigns import CampaignRun
from tests.helpers import ok

EVERYONE = {"rfm": ["prospect", "new", "champion", "loyal", "active", "at_risk", "lapsed"]}
CONTENT = {
    "en": {"subject": "Winter sale, {{ name }}",
           "text": "Hello {{ name }},\n\neverything is 20% off until Sunday."},
    "de": {"subject": "Winterschlussverkauf, {{ name }}",
           "text": "Hallo {{ name }},\n\nalles 20 % günstiger bis Sonntag."},
}


def customers(uow, *people: tuple[str, str]) -> list[str]:
    """Customer records for (name, e-mail) pairs, oldest first; their ids."""
    ids = []
    for name, email in people:
        with uow() as work:
            ids.append(match_or_create(work, email=email, phone=None, name=name))
            work.commit()
    return ids


def consent(client, customer_id: str, granted: bool = True, medium: str = "email") -> None:
    ok(client.post(f"/api/v1/customers/{customer_id}/consents", json={
        "purpose": "marketing", "medium": medium, "granted": granted,
        "level": "single" if granted else None, "source_channel": "direct"}), 201)


def segment(client, name: str = "everyone") -> str:
    return ok(client.post("/api/v1/segments", json={"name": name, "rules": EVERYONE}),
              201)["id"]


def campaign_body(seg: str, container, **changes) -> dict:
    at = container.clock.now() + timedelta(hours=1)
    return {"name": "Winter sale", "segment_id": seg, "medium": "email",
            "content": CONTENT, "default_language": "en", "throttle_per_minute": 100,
            "scheduled_at": at.isoformat(), **changes}


def create(client, seg: str, container, **changes) -> dict:
    return ok(client.post("/api/v1/campaigns",
                          json=campaign_body(seg, container, **changes)), 201)


def schedule(client, campaign_id: str) -> dict:
    return ok(client.post(f"/api/v1/campaigns/{campaign_id}/schedule"))


def run(container, page: int = 100) -> int:
    return CampaignRun(page=page).run_once(container)


def at_its_time(container, campaign: dict) -> None:
    container.clock.set(_parse(campaign["scheduled_at"]))


def _parse(value: str):
    from datetime import datetime
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def counts(client, campaign_id: str) -> dict:
    return ok(client.get(f"/api/v1/campaigns/{campaign_id}"))["counts"]


def unsubscribe_path(mail) -> str:
    """The path of the one-click link of a received e-mail (its List-Unsubscribe)."""
    return urlsplit(str(mail["List-Unsubscribe"]).strip().strip("<>").strip()).path
