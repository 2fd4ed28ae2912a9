"""The simulated carrier: services, quotes, tracking numbers, deterministic progression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.shipping.carriers import build_adapter, service_for_level
from ordermesh.shipping.model import (
    PackageSpec,
    Parcel,
    ShipmentSpec,
    TrackingStatus,
    UnknownCarrierStatus,
)
from ordermesh.shipping.simulated import (
    SimulatedCarrier,
    tracking_number,
    valid_tracking_number,
)
from ordermesh.shipping.tracking import shipment_status

THU_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DE = {"country": "DE", "postal_code": "10115"}


def spec(service="sim-standard", weights=(400,), seq=7, destination=DE, at=THU_NOON):
    return ShipmentSpec("FO-000001-1", service, {"country": "DE"}, destination,
                        tuple(PackageSpec(f"pkg{i}", w) for i, w in enumerate(weights)),
                        "EUR", seq, at)


def test_services_have_levels_transit_days_and_cut_offs():
    carrier = SimulatedCarrier()
    by_code = {s.code: s for s in carrier.services()}
    assert set(by_code) == {"sim-standard", "sim-express", "sim-economy"}
    assert (by_code["sim-standard"].transit_days, str(by_code["sim-standard"].cutoff)) == \
        (3, "16:00:00")
    assert (by_code["sim-express"].transit_days, str(by_code["sim-express"].cutoff)) == \
        (1, "14:00:00")
    assert service_for_level(carrier, "express").code == "sim-express"
    assert service_for_level(carrier, "economy").code == "sim-economy"


def test_quotes_depend_on_weight_and_zone():
    carrier = SimulatedCarrier()
    quotes = {q.service: q.price for q in carrier.quote(spec(weights=(400, 1500)))}
    # standard: 2 x 4.90 + 1 kg + 2 kg
    assert quotes["sim-standard"] == Money.of("12.80", "EUR")
    assert quotes["sim-express"] == Money.of("25.80", "EUR")
    abroad = {q.service: q.price for q in carrier.quote(spec(destination={"country": "FR"}))}
    assert abroad["sim-standard"] == Money.of("11.80", "EUR")


def test_tracking_numbers_are_deterministic_with_a_luhn_check_digit():
    booking = SimulatedCarrier().book(spec(weights=(100, 200), seq=42))
    assert booking.tracking_numbers == {"pkg0": tracking_number(42, 1),
                                        "pkg1": tracking_number(42, 2)}
    assert booking.tracking_numbers == SimulatedCarrier().book(
        spec(weights=(100, 200), seq=42)).tracking_numbers
    assert all(valid_tracking_number(n) for n in booking.tracking_numbers.values())
    number = tracking_number(42, 1)
    tampered = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not valid_tracking_number(tampered)


def test_pick_up_is_booked_before_the_cut_off_of_the_next_pick_up_day():
    carrier = SimulatedCarrier()
    today = carrier.book(spec(at=THU_NOON)).pickup
    assert (today.start, today.end) == (THU_NOON + timedelta(hours=2),
                                        THU_NOON + timedelta(hours=4))
    friday_evening = datetime(2026, 11, 27, 18, tzinfo=UTC)
    monday = carrier.book(spec(at=friday_evening)).pickup
    assert monday.end == datetime(2026, 11, 30, 16, tzinfo=UTC)


def _parcel(destination=DE, service="sim-standard", at=THU_NOON):
    return Parcel(tracking_number(1, 1), service, at, destination)


def test_tracking_progresses_with_the_clock_to_delivery():
    carrier = SimulatedCarrier()
    parcel = _parcel()
    assert [e.carrier_status for e in carrier.track(parcel, THU_NOON)] == ["LBL"]
    assert [e.carrier_status for e in carrier.track(parcel, THU_NOON + timedelta(hours=5))] \
        == ["LBL", "PCK"]
    history = carrier.track(parcel, datetime(2026, 12, 10, tzinfo=UTC))
    assert [e.carrier_status for e in history] == ["LBL", "PCK", "DEP", "ARR", "OFD", "DLV"]
    delivered = history[-1]
    assert delivered.occurred_at == datetime(2026, 12, 1, 13, tzinfo=UTC)
    assert carrier.normalise(delivered.carrier_status) == TrackingStatus.DELIVERED
    assert len({e.event_id for e in history}) == 6
    assert history == carrier.track(parcel, datetime(2026, 12, 10, tzinfo=UTC))


def test_delay_days_push_the_delivery():
    carrier = SimulatedCarrier.from_settings({"delay_days": 2})
    history = carrier.track(_parcel(), datetime(2026, 12, 10, tzinfo=UTC))
    assert history[-1].occurred_at == datetime(2026, 12, 3, 13, tzinfo=UTC)


def test_postal_code_exceptions_fail_or_damage_the_delivery():
    carrier = SimulatedCarrier.from_settings({"fail_postal_codes": ["10 115"],
                                              "damage_postal_codes": ["80331"]})
    later = datetime(2026, 12, 20, tzinfo=UTC)
    failed = [e.carrier_status for e in carrier.track(_parcel(), later)]
    assert failed[-3:] == ["OFD", "NDL", "RTS"]
    damaged = [e.carrier_status for e in carrier.track(
        _parcel({"country": "DE", "postal_code": "80331"}), later)]
    assert damaged[-1] == "DMG"
    fine = [e.carrier_status for e in carrier.track(
        _parcel({"country": "DE", "postal_code": "20095"}), later)]
    assert fine[-1] == "DLV"


def test_a_seeded_exception_rate_is_reproducible():
    carrier = SimulatedCarrier.from_settings({"exception_rate": "0.3", "seed": 4})
    later = datetime(2026, 12, 20, tzinfo=UTC)

    def outcomes(c):
        return [c.track(Parcel(tracking_number(n, 1), "sim-standard", THU_NOON, DE),
                        later)[-1].carrier_status for n in range(1, 201)]

    first = outcomes(carrier)
    assert first == outcomes(SimulatedCarrier.from_settings({"exception_rate": "0.3",
                                                             "seed": 4}))
    share = first.count("RTS") / len(first)
    assert 0.2 < share < 0.4
    assert outcomes(SimulatedCarrier.from_settings({"exception_rate": "0.3", "seed": 5})) \
        != first


def test_unknown_carrier_status_is_refused():
    with pytest.raises(UnknownCarrierStatus) as err:
        SimulatedCarrier().normalise("XYZ")
    assert isinstance(err.value, InvalidInput)


@pytest.mark.parametrize("settings", [
    {"delay_days": -1}, {"delay_days": "2"}, {"exception_rate": "1.5"},
    {"exception_rate": "lots"}, {"timezone": "Nowhere/City"}, {"holidays": ["someday"]},
    {"fail_postal_codes": "10115"}, {"seed": 1.5},
])
def test_bad_settings_are_invalid_input(settings):
    with pytest.raises(InvalidInput):
        build_adapter("simulated", settings)


def test_an_unknown_adapter_is_invalid_input():
    with pytest.raises(InvalidInput):
        build_adapter("ups", {})


def test_shipment_status_is_the_least_advanced_parcel_unless_one_has_an_exception():
    S = TrackingStatus
    assert shipment_status([S.DELIVERED, S.OUT_FOR_DELIVERY]) == S.OUT_FOR_DELIVERY
    assert shipment_status([S.DELIVERED, S.DELIVERED]) == S.DELIVERED
    assert shipment_status([S.DELIVERED, S.DAMAGED]) == S.DAMAGED
    assert shipment_status([S.IN_TRANSIT]) == S.IN_TRANSIT


def test_exception_rate_zero_never_fails():
    carrier = SimulatedCarrier.from_settings({"exception_rate": "0"})
    assert carrier.exception_rate == Decimal(0)
