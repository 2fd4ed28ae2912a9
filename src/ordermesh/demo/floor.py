"""The demo's warehouse floor and carrier: what happens to the orders after they are placed.

Planned (pure, from the clock alone): the shifts of each location, the carrier's evening
tracking rounds and the promise watch just after midnight. Replayed by ``Floor`` through
the use cases a person or a partner calls, one stage per call, at the times a shift does
them: a pick list at the start of the shift, confirmed, packed, then booked with the
simulated carrier; the 3PL accepts bulky orders and reports its parcels the next working
day; the stores put click-and-collect orders on the counter and customers collect them.
Tracking rounds poll the carrier (parcels move on to delivered, a few fail and go back to
the sender); the watch raises at-risk and late alerts when they would have been raised.

Only orders that are paid (captured, or authorised where the channel captures at
shipment), not on hold and with no change still to come are worked. Warehouses work at
08:00, 12:00 and 15:00 Berlin time on weekdays and Saturday mornings: what is released
after the 15:00 shift but before the carrier's 16:00 cut-off leaves a day late. The last
shift at the central warehouse and the stores is still under way at ``now``, so every
stage of the floor shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ordermesh.channels.model import CapturePolicy
from ordermesh.demo.catalogue import CENTRAL, HAMBURG, MUNICH, STORES, THREE_PL
from ordermesh.demo.timeline import window_days
from ordermesh.flows.booking import ship
from ordermesh.flows.handoff import ReportedPackage, partner_shipped
from ordermesh.flows.resourcing import confirm_pick_list
from ordermesh.fulfilment.handoff import partner_accepted
from ordermesh.fulfilment.model import FulfilmentKind, FulfilmentStatus
from ordermesh.fulfilment.picking import MAX_ORDERS, create_pick_list
from ordermesh.fulfilment.pickup import pick_up, ready_for_pickup
from ordermesh.fulfilment.queries import get_fulfilment_order
from ordermesh.fulfilment.tables import fulfilment_orders
from ordermesh.kit.db import Transactions, UnitOfWork
from ordermesh.kit.errors import DomainError
from ordermesh.locations.service import location_by_code
from ordermesh.orders.model import FulfilmentMethod, OrderStatus
from ordermesh.orders.queries import load_order
from ordermesh.packing.service import ExternalPackage, PackRequest, pack
from ordermesh.payments.service import payment_summary
from ordermesh.shipping.accounts import create_account
from ordermesh.shipping.jobs import poll_tracking, watch_promises
from ordermesh.shipping.simulated import tracking_number

UowAt = Callable[[datetime], UnitOfWork]
S = FulfilmentStatus
FO = fulfilment_orders.c

# The account docs/shipping.md shows: the webhook example there is signed with this secret.
CARRIER = "sim"
WEBHOOK_SECRET = "whsec-0123456789abcdef"
BERLIN = ZoneInfo("Europe/Berlin")  # the floor's and the carrier's time
WAREHOUSES = (CENTRAL, HAMBURG, MUNICH)
# weekdays; Saturday the morning one only. The last one hands over before the carrier's
# 16:00 cut-off: what is released after it leaves the next working day, late.
WAREHOUSE_SHIFTS = (time(8), time(12), time(15))
STORE_SHIFTS = (time(10, 30), time(15))  # Monday to Saturday
THREE_PL_SHIFT = time(14)  # weekdays: ships what it accepted the day before
TRACKING_ROUND = time(19)  # the carrier is polled every evening, and once more at the end
WATCH = time(0, 5)  # the promise watch just after midnight: yesterday's promises are due
CONFIRM_AFTER, PACK_AFTER, SHIP_AFTER = (timedelta(minutes=m) for m in (20, 30, 40))
UNDER_WAY = timedelta(minutes=50)  # the last shift started this long before now
THREE_PL_SEQUENCE = 90_000_000  # the 3PL's own bookings with the carrier


@dataclass(frozen=True)
class Shift:
    at: datetime
    location: str
    last: bool = False  # still under way at ``now``: each stage shows


@dataclass(frozen=True)
class TrackingRound:
    at: datetime
    poll: bool = True  # False: only the promise watch (it runs all day in a real worker)


def carrier_settings(now: datetime) -> dict:
    """Berlin time, the Christmas holidays, one parcel in fifty failing delivery."""
    years = (now.year, now.year + 1)
    return {"timezone": "Europe/Berlin",
            "holidays": [f"{y}-{md}" for y in years for md in ("12-24", "12-25", "12-26")],
            "fail_postal_codes": ["99999"], "exception_rate": "0.02", "seed": 7}


def set_up_carrier(uow_at: UowAt, at: datetime, now: datetime) -> None:
    with uow_at(at) as uow:
        create_account(uow, CARRIER, "Simulated carrier", "simulated", carrier_settings(now),
                       WEBHOOK_SECRET)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, BERLIN).astimezone(UTC)


def plan_floor(now: datetime) -> list[Shift | TrackingRound]:
    planned: list[Shift | TrackingRound] = []
    for day in window_days(now):
        weekday = day.weekday()
        planned += [TrackingRound(_at(day, TRACKING_ROUND)), TrackingRound(_at(day, WATCH), False)]
        if weekday == 6:
            continue
        shifts = WAREHOUSE_SHIFTS[:1] if weekday == 5 else WAREHOUSE_SHIFTS
        planned += [Shift(_at(day, start), w) for start in shifts for w in WAREHOUSES]
        planned += [Shift(_at(day, start), s) for start in STORE_SHIFTS for s in STORES]
        if weekday < 5:
            planned.append(Shift(_at(day, THREE_PL_SHIFT), THREE_PL))
    planned = [p for p in planned if p.at + SHIP_AFTER < now - UNDER_WAY]
    planned += [*(Shift(now - UNDER_WAY, where, last=True) for where in (CENTRAL, *STORES)),
                TrackingRound(now - UNDER_WAY + SHIP_AFTER + timedelta(minutes=1))]
    return planned


class Floor:
    """Replays shifts and tracking rounds; ``waiting``: order id -> when its last planned
    change (cancellation, hold, edit) happens; the floor leaves the order alone till then."""

    def __init__(self, uow_at: UowAt, now: datetime) -> None:
        self.uow_at = uow_at
        self.now = now
        self.waiting: dict[str, datetime] = {}
        # orders found unpaid or on hold: looked at again once something happens to them
        self.blocked: set[str] = set()
        # pickup FO -> its store, the code and when the customer comes
        self.counter: dict[str, tuple[str, str, datetime]] = {}
        self.three_pl_booked = 0
        self.counts = {"pick_lists": 0, "shipped": 0, "collected": 0, "stuck": 0}

    def run(self, event: Shift | TrackingRound) -> None:
        if isinstance(event, TrackingRound):
            if event.poll:
                with self.uow_at(event.at) as uow:
                    poll_tracking(uow, 1000)
            with self.uow_at(event.at) as uow:
                watch_promises(uow, 1000)
        elif event.location == THREE_PL:
            self._three_pl(event.at)
        else:
            self._shift(event)

    def _workable(self, at: datetime, location: str, status: FulfilmentStatus) -> list:
        """(id, order id, kind, number) of the location's fulfilment orders in ``status`` that may
        be worked now, most urgent first (as a pick list would take them)."""
        with self.uow_at(at) as uow:
            location_id = location_by_code(uow, location).id
            rows = uow.execute(select(FO.id, FO.order_id, FO.kind, FO.number).where(
                FO.location_id == location_id, FO.status == status.value,
                FO.order_id.not_in(sorted(self.blocked)))
                .order_by(FO.ship_by, FO.created_at, FO.number)).all()
            return [r for r in rows if self._may_work(uow, r, at)]

    def touch(self, order_id: str) -> None:
        """Something happened to the order (paid, released, edited): look at it again."""
        self.blocked.discard(order_id)

    def _may_work(self, uow: UnitOfWork, fo, at: datetime) -> bool:
        if self.waiting.get(fo.order_id, at) > at or fo.order_id in self.blocked:
            return False
        order = load_order(uow, fo.order_id)
        paid = payment_summary(uow, fo.order_id)
        workable = (order.status != OrderStatus.ON_HOLD and paid.to_authorise.amount <= 0
                    and paid.pending.amount == 0
                    # captured at checkout, unless the channel captures as parcels leave
                    and (order.capture_policy == CapturePolicy.SHIPMENT
                         or paid.open_authorised.amount == 0))
        if not workable:
            self.blocked.add(fo.order_id)
        return workable

    def _shift(self, shift: Shift) -> None:
        self._collect(shift.at, shift.location)
        fos = self._workable(shift.at, shift.location, S.RELEASED)
        if not fos:
            return
        # the shift under way: the first few are still being picked, the rest go on
        walking = fos[:max(1, len(fos) // 4)] if shift.last and len(fos) > 1 else []
        for chunk in (walking, fos[len(walking):]):
            for start in range(0, len(chunk), MAX_ORDERS):
                self._work(shift, chunk[start:start + MAX_ORDERS], confirm=chunk is not walking)

    def _work(self, shift: Shift, fos: list, confirm: bool) -> None:
        if not fos:
            return
        with self.uow_at(shift.at) as uow:
            pick_list = create_pick_list(uow, shift.location, len(fos), [fo.id for fo in fos])
        self.counts["pick_lists"] += 1
        if not confirm:
            return
        with self.uow_at(shift.at + CONFIRM_AFTER) as uow:
            confirm_pick_list(uow, pick_list.id, {}, None)
        for index, fo in enumerate(fos):
            try:
                if fo.kind == FulfilmentKind.PICKUP:
                    self._to_counter(shift, fo.id, fo.order_id, fo.number)
                    continue
                with self.uow_at(shift.at + PACK_AFTER) as uow:
                    pack(uow, fo.id, PackRequest())
                if shift.last and index % 3 == 0:
                    continue  # packed, waiting for the next pick-up
                at = shift.at + SHIP_AFTER
                ship(Transactions(lambda at=at: self.uow_at(at)), fo.id, None, None)
                self.counts["shipped"] += 1
            except DomainError:  # e.g. no packaging fits: left for a person to look at
                self.counts["stuck"] += 1

    def _to_counter(self, shift: Shift, fo_id: str, order_id: str, number: str) -> None:
        at = shift.at + PACK_AFTER
        with self.uow_at(at) as uow:
            counter_sale = load_order(uow, order_id).fulfilment_method is FulfilmentMethod.COUNTER
            ready = ready_for_pickup(uow, fo_id, "at the counter")
        if counter_sale:  # the buyer is at the counter and carries it away
            with self.uow_at(at) as uow:
                pick_up(uow, fo_id, ready.pickup_code)
            self.counts["collected"] += 1
            return
        # customers come a few hours to three days later (by the FO number: the same
        # every time); what came to the counter in the shift under way waits
        hours = 5 + 22 * (sum(map(ord, number)) % 4)
        due = self.now + timedelta(days=1) if shift.last else at + timedelta(hours=hours)
        self.counter[fo_id] = (shift.location, ready.pickup_code, due)

    def _collect(self, at: datetime, location: str) -> None:
        for fo_id, (store, code, due) in sorted(self.counter.items()):
            if store != location or due > at:
                continue
            with self.uow_at(at) as uow:
                pick_up(uow, fo_id, code)
            del self.counter[fo_id]
            self.counts["collected"] += 1

    def _three_pl(self, at: datetime) -> None:
        """The partner ships what it accepted the day before, and accepts what is new."""
        for row in self._workable(at, THREE_PL, S.ACCEPTED):
            with self.uow_at(at) as uow:
                fo = get_fulfilment_order(uow, row.id)
            self.three_pl_booked += 1
            number = tracking_number(THREE_PL_SEQUENCE + self.three_pl_booked, 1)
            lines = sorted((ln.line_no, ln.open) for ln in fo.lines if ln.open)
            with self.uow_at(at) as uow:
                partner_shipped(uow, fo.id, [ReportedPackage(ExternalPackage(number, lines),
                                                             CARRIER)])
            self.counts["shipped"] += 1
        for fo in self._workable(at, THREE_PL, S.RELEASED):
            with self.uow_at(at) as uow:
                partner_accepted(uow, fo.id, f"VNL-{fo.number}")

    def summary(self) -> str:
        c = self.counts
        return (f"floor: {c['pick_lists']} pick lists, {c['shipped']} fulfilment orders "
                f"shipped, {c['collected']} collected in store, {len(self.counter)} waiting "
                f"at the counter")
