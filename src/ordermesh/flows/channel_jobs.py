"""Worker jobs of the connectors: record what platforms must hear, then tell them.

``ConnectorSync`` records intents (``flows.channel_sync``) and reads each platform's
listings when they are due; ``ConnectorPushes`` sends due pushes, each call with the
``ORDERMESH_CONNECTOR_TIMEOUT_S`` timeout and no transaction open, and records what came
of it (``connectors.pushes``). ``flows.channel_poll.ConnectorPoll`` asks each platform
for the orders its webhooks missed. All three are registered in ``worker.default_jobs``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import httpx

from ordermesh.connectors import accounts, listings, pushes
from ordermesh.connectors.model import (
    Account,
    CallResult,
    FulfilmentNotice,
    PushKind,
    RefundedLine,
    RefundNotice,
    RetryPolicy,
    ShippedLine,
    StockLevel,
)
from ordermesh.connectors.platforms import connector_for
from ordermesh.flows.channel_sync import record_from_events, record_stock_levels, stock_due
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import assign_positions
from ordermesh.settings import Settings

log = logging.getLogger("ordermesh.connectors")


def policy_of(settings: Settings) -> RetryPolicy:
    return RetryPolicy(max_attempts=settings.connector_max_attempts,
                       base=timedelta(seconds=settings.connector_retry_base_s),
                       timeout_s=settings.connector_timeout_s,
                       lease=timedelta(seconds=settings.connector_timeout_s * 4 + 60))


def _client(policy: RetryPolicy) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(policy.timeout_s), follow_redirects=False)


@dataclass(frozen=True)
class ConnectorSync:
    name: str = "connector-sync"
    batch: int = 500
    max_batches: int = 20

    def run_once(self, container: Container) -> int:
        actor = f"worker:{self.name}"
        new_uow = lambda: UnitOfWork(container.engine, container.clock, actor=actor)  # noqa: E731
        with new_uow() as uow:
            assign_positions(uow)
        total = 0
        for _ in range(self.max_batches):
            with new_uow() as uow:
                read, followed = record_from_events(uow, self.batch)
            total += followed
            if read < self.batch:
                break
        settings = container.settings
        with new_uow() as uow:
            active = accounts.active_accounts(uow)
        for account in active:
            self._refresh_listings(container, account, policy_of(settings))
            with new_uow() as uow:
                if stock_due(uow, account,
                             timedelta(seconds=settings.connector_stock_interval_s)):
                    total += record_stock_levels(uow, account)
        return total

    def _refresh_listings(self, container: Container, account: Account,
                          policy: RetryPolicy) -> None:
        every = timedelta(minutes=container.settings.connector_listings_refresh_minutes)
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            refreshed, _ = listings.refreshed_at(uow, account.id)
        if refreshed is not None and container.clock.now() - refreshed < every:
            return
        try:
            with _client(policy) as client:
                found = connector_for(account).listings(client)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            log.warning("connector %s: reading its listings failed: %s", account.code, exc)
            return  # tried again on the next pass; health shows the stale listings
        with UnitOfWork(container.engine, container.clock,
                        actor=f"worker:{self.name}") as uow:
            listings.replace_listings(uow, account.id, found)
            uow.commit()


def _send(client: httpx.Client, account: Account, push: pushes.Push,
          listing: dict | None) -> CallResult:
    connector = connector_for(account)
    p = push.payload
    if push.kind is PushKind.STOCK:
        if listing is None:
            return CallResult(None, "the platform no longer lists this SKU", give_up=True)
        return connector.push_stock(client, StockLevel(p["sku"], p["available"], listing))
    if push.kind is PushKind.FULFILMENT:
        return connector.push_fulfilment(client, FulfilmentNotice(
            push.subject, [ShippedLine(ln["sku"], ln["quantity"], ln["platform_line_id"])
                           for ln in p["lines"]],
            p.get("carrier"), p.get("tracking_number"), p.get("tracking_url"),
            p.get("complete", False), p.get("shipment_id"), push.created_at))
    if push.kind is PushKind.REFUND:
        return connector.push_refund(client, refund_notice(push))
    return connector.push_cancellation(client, push.subject, p.get("reason"))


def refund_notice(push: pushes.Push) -> RefundNotice:
    p = push.payload
    return RefundNotice(push.subject, p["refund_id"], Decimal(p["amount"]), p["currency"],
                        [RefundedLine(ln["platform_line_id"], ln["quantity"],
                                      Decimal(ln["amount"]), Decimal(ln["tax"]))
                         for ln in p["lines"]], p.get("reason"))


@dataclass(frozen=True)
class ConnectorPushes:
    name: str = "connector-pushes"
    batch: int = 50
    max_batches: int = 10

    def run_once(self, container: Container) -> int:
        policy = policy_of(container.settings)
        total = 0
        with _client(policy) as client:
            for _ in range(self.max_batches):
                claimed = self._claim(container, policy)
                for push, account, listing in claimed:
                    result = _send(client, account, push, listing)
                    with UnitOfWork(container.engine, container.clock,
                                    actor=f"worker:{self.name}") as uow:
                        if result.ok and push.kind is PushKind.STOCK:
                            listings.note_pushed(uow, account.id, push.subject,
                                                 push.payload["available"])
                        pushes.record_outcome(uow, push, result, policy)
                total += len(claimed)
                if len(claimed) < self.batch:
                    break
        return total

    def _claim(self, container: Container, policy: RetryPolicy
               ) -> list[tuple[pushes.Push, Account, dict | None]]:
        with UnitOfWork(container.engine, container.clock,
                        actor=f"worker:{self.name}") as uow:
            claimed = pushes.claim_due(uow, self.batch, policy)
            found = []
            for push in claimed:
                account = accounts.account_by_id(uow, push.account_id)
                listing = listings.listing(uow, account.id, push.subject) \
                    if push.kind is PushKind.STOCK else None
                found.append((push, account, listing))
            return found
