"""Polling each shop platform for the orders its webhooks missed (a worker job).

Per active connector account whose poll is due, one pass:

1. **Claim** (a transaction): the account's poll state is leased to this worker and a
   walk starts if none is under way (``connectors.polls``).
2. **Read a page** of the orders updated since the mark less
   ``ORDERMESH_CONNECTOR_POLL_OVERLAP_S`` (the platform's clock may run behind ours),
   with no transaction open and the connector timeout.
3. **Take in** each order through the webhooks' own path
   (``flows.channel_orders.receive_polled``): placed once whichever way it came.
4. **Record the page** (a transaction): the cursor moves on; after the last page the mark
   moves to when the walk started. At most ``ORDERMESH_CONNECTOR_POLL_MAX_PAGES`` pages a
   pass; a longer walk goes on at the next pass from its recorded cursor.

A platform that does not answer with a page (429, 5xx, a timeout, a refusal) moves
nothing but the time of the next try: its Retry-After, or a doubling backoff, and the
error shows in the connector's health. A worker that dies between 2 and 4 leaves the
cursor where it was, its lease runs out, and the page is read again.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from ordermesh.connectors import accounts, polls
from ordermesh.connectors.model import Account, CallResult, Connector, PolledPage
from ordermesh.connectors.platforms import connector_for
from ordermesh.flows.channel_orders import receive_polled
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork

log = logging.getLogger("ordermesh.connectors")
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class PollSettings:
    interval: timedelta
    overlap: timedelta
    page_size: int
    max_pages: int
    timeout_s: float
    retry_base: timedelta

    @classmethod
    def of(cls, container: Container) -> PollSettings:
        s = container.settings
        return cls(timedelta(seconds=s.connector_poll_interval_s),
                   timedelta(seconds=s.connector_poll_overlap_s), s.connector_poll_page_size,
                   s.connector_poll_max_pages, s.connector_timeout_s,
                   timedelta(seconds=s.connector_retry_base_s))

    @property
    def lease(self) -> timedelta:
        """Long enough for a pass of ``max_pages`` slow pages and their orders."""
        return timedelta(seconds=self.timeout_s * self.max_pages * 2 + 60)

    def retry_at(self, now: datetime, failures: int, result: CallResult) -> datetime:
        if result.retry_after_s is not None:
            return now + min(timedelta(seconds=result.retry_after_s), MAX_BACKOFF)
        step = min(MAX_BACKOFF, self.retry_base * 2 ** min(failures, 16))
        return now + step * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class ConnectorPoll:
    name: str = "connector-poll"

    def run_once(self, container: Container) -> int:
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            active = accounts.active_accounts(uow)
            due = set(polls.due(uow, [account.id for account in active]))
        config = PollSettings.of(container)
        return sum(self.poll(container, account, config)
                   for account in active if account.id in due)

    def poll(self, container: Container, account: Account, config: PollSettings) -> int:
        """One pass over ``account`` if its poll is due: the orders taken in."""
        with self._uow(container) as uow:
            claimed = polls.claim(uow, account.id, config.lease)
            taken_since = polls.connected_at(uow, account.id) - config.overlap
            uow.commit()
        if claimed is None:
            return 0
        assert claimed.walk_started_at is not None
        connector = connector_for(account)
        since = claimed.mark - config.overlap
        cursor, taken = claimed.cursor, 0
        with httpx.Client(timeout=httpx.Timeout(config.timeout_s),
                          follow_redirects=False) as client:
            for _ in range(config.max_pages):
                page = connector.poll_orders(client, since, cursor, config.page_size)
                if not page.result.ok:
                    self._failed(container, account, config, claimed.failures, cursor, page)
                    return taken
                taken += self.take_in(container, account, connector, page, taken_since)
                with self._uow(container) as uow:
                    polls.record_page(uow, account.id, claimed.walk_started_at,
                                      page.next_cursor, len(page.orders))
                    uow.commit()
                cursor = page.next_cursor
                if cursor is None:
                    break
        with self._uow(container) as uow:  # more pages: on at the next pass
            now = uow.clock.now()
            polls.release(uow, account.id, now if cursor else now + config.interval)
            uow.commit()
        return taken

    @staticmethod
    def take_in(container: Container, account: Account, connector: Connector,
                page: PolledPage, taken_since: datetime) -> int:
        for polled in page.orders:
            receive_polled(container, account, connector, polled, taken_since)
        return len(page.orders)

    def _failed(self, container: Container, account: Account, config: PollSettings,
                failures: int, cursor: str | None, page: PolledPage) -> None:
        result = page.result
        log.warning("connector %s: polling for orders failed: %s %s", account.code,
                    result.status_code, result.detail)
        with self._uow(container) as uow:
            polls.record_failure(uow, account.id, result,
                                 config.retry_at(uow.clock.now(), failures, result),
                                 restart_walk=cursor is not None and result.final)
            uow.commit()

    def _uow(self, container: Container) -> UnitOfWork:
        return UnitOfWork(container.engine, container.clock, actor=f"worker:{self.name}")
