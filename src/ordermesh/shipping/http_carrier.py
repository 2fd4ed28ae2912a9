"""A carrier reached over HTTP: the adapter a real carrier's API plugs into.

A carrier account with ``"adapter": "http"`` (see docs/shipping.md, "A carrier over
HTTP"). Settings: ``base_url`` (required), ``timeout_s`` (each call as a whole, default
10, at most 50), ``timezone`` and ``holidays`` (its calendar), ``api_key`` (secret: sent
as a bearer token, encrypted at rest). The services are the simulated carrier's codes
(``sim-express``, ``sim-standard``, ``sim-economy``). The carrier's API, JSON both ways:

* ``POST /v1/shipments`` ``{reference, service, account, sequence, ready_at, origin,
  destination, packages: [{package_id, weight_g, dimensions_mm}]}`` with an
  ``Idempotency-Key`` header -> ``{label_reference, booked_at, pickup: {start, end},
  parcels: [{package_id, tracking_number}]}``; the same key gets the first booking;
* ``POST /v1/rates`` (the same body, no key) -> ``{rates: [{service, price, currency,
  transit_days}]}``;
* ``GET /v1/parcels/{tracking_number}/events`` -> ``{events: [{id, status,
  occurred_at, description, location}]}`` with the simulated carrier's status codes.

No answer (a timeout, a refused or dropped connection, a 5xx, a 409 or 429, a body that
is not the answer) raises ``CarrierUnavailable``: whether it booked is unknown, and it is
asked again with the same key. Another 4xx is the carrier refusing the booking itself:
``InvalidInput``, nothing booked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from ordermesh.kit.clock import as_utc
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.http_answers import json_answer
from ordermesh.kit.money import Money
from ordermesh.shipping import booking_intents
from ordermesh.shipping.model import (
    Booking,
    Calendar,
    CarrierEvent,
    CarrierService,
    CarrierUnavailable,
    Parcel,
    PickupWindow,
    RateQuote,
    ShipmentSpec,
    TrackingStatus,
)
from ordermesh.shipping.simulated import SERVICES, SimulatedCarrier

DEFAULT_TIMEOUT_S = 10.0
MAX_TIMEOUT_S = 50.0  # below the booking intent's lease, so no two calls overlap
MAX_MESSAGE = 300
PUBLIC_SETTINGS = frozenset({"base_url", "timeout_s", "timezone", "holidays"})


@dataclass(frozen=True)
class HttpCarrier:
    base_url: str
    timeout_s: float = DEFAULT_TIMEOUT_S
    api_key: str | None = None
    calendar: Calendar = field(default_factory=Calendar)
    transport: httpx.BaseTransport | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> HttpCarrier:
        base_url = settings.get("base_url")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise InvalidInput.for_field("settings.base_url",
                                         "base_url must be an http:// or https:// URL")
        timeout = settings.get("timeout_s", DEFAULT_TIMEOUT_S)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not (
                0 < timeout <= MAX_TIMEOUT_S):
            raise InvalidInput.for_field("settings.timeout_s",
                                         f"timeout_s must be a number of seconds up to "
                                         f"{MAX_TIMEOUT_S:g}")
        calendar = SimulatedCarrier.from_settings(
            {k: settings[k] for k in ("timezone", "holidays") if k in settings}).calendar
        api_key = settings.get("api_key")
        return cls(base_url.rstrip("/"), float(timeout), str(api_key) if api_key else None,
                   calendar)

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None,
              key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": key} if key else {}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"

        def send() -> httpx.Response:
            with httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(self.timeout_s),
                              transport=self.transport) as client:
                return client.request(method, path, json=body, headers=headers)

        status, answer = json_answer(send, self.timeout_s, CarrierUnavailable, "carrier")
        if status >= 400:
            message = str(answer.get("message") or answer.get("detail") or "refused")
            raise InvalidInput.for_field("carrier", f"The carrier refused the request: "
                                         f"{message}"[:MAX_MESSAGE], "carrier_refused")
        return answer

    # -- the adapter interface -------------------------------------------------------

    def services(self) -> list[CarrierService]:
        return list(SERVICES)

    def quote(self, shipment: ShipmentSpec) -> list[RateQuote]:
        answer = self._send("POST", "/v1/rates", _body(shipment))
        try:
            return [RateQuote(r["service"], Money.of(Decimal(str(r["price"])), r["currency"]),
                              int(r["transit_days"])) for r in answer["rates"]]
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise CarrierUnavailable("the carrier's rates are not readable") from exc

    def book(self, shipment: ShipmentSpec, idempotency_key: str | None = None) -> Booking:
        answer = self._send("POST", "/v1/shipments", _body(shipment), idempotency_key)
        try:
            numbers = {p["package_id"]: str(p["tracking_number"]) for p in answer["parcels"]}
            pickup = answer["pickup"]
            booking = Booking(numbers, PickupWindow(_when(pickup["start"]),
                                                    _when(pickup["end"])),
                              str(answer["label_reference"]), _when(answer["booked_at"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise CarrierUnavailable(f"the carrier's booking is not readable: "
                                     f"{answer}"[:MAX_MESSAGE]) from exc
        if set(numbers) != {p.package_id for p in shipment.packages}:
            raise CarrierUnavailable("the carrier's booking does not name every package")
        return booking

    def track(self, parcel: Parcel, now: datetime) -> list[CarrierEvent]:
        answer = self._send("GET", f"/v1/parcels/{parcel.tracking_number}/events")
        events = [CarrierEvent(
            str(e["id"]), parcel.tracking_number, str(e["status"]), _when(e["occurred_at"]),
            str(e.get("description") or ""), e.get("location"),
            date.fromisoformat(e["estimated_delivery"]) if e.get("estimated_delivery")
            else None) for e in answer.get("events") or []]
        return sorted((e for e in events if e.occurred_at <= now),
                      key=lambda e: e.occurred_at)

    def normalise(self, carrier_status: str) -> TrackingStatus:
        return SimulatedCarrier().normalise(carrier_status)


def _body(shipment: ShipmentSpec) -> dict[str, Any]:
    return booking_intents.spec_data(shipment)


def _when(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value))
