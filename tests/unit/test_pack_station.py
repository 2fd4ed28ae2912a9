"""The pack station's parcel: how it is written in a page's address, and what a scan adds."""

from __future__ import annotations

import pytest

from ordermesh.backoffice.pack_station import (
    StationLine,
    encode_parcel,
    parse_parcel,
    parse_quantity,
    scan_into,
)
from ordermesh.kit.errors import InvalidInput


def line(no: int, sku: str, to_pack: int, in_parcel: int = 0, packed: int = 0) -> StationLine:
    return StationLine(no, sku, f"Product {sku}", to_pack + packed, packed, to_pack, in_parcel)


def test_a_parcel_reads_back_as_it_was_written_and_repeated_lines_add_up():
    assert parse_parcel(encode_parcel({3: 1, 1: 2})) == {1: 2, 3: 1}
    assert encode_parcel({1: 2, 3: 1}) == "1:2,3:1"
    assert parse_parcel(" 1:1, 1:2 ") == {1: 3}
    assert parse_parcel("") == {} and encode_parcel({2: 0}) == ""


@pytest.mark.parametrize("raw", ["1", "1:", "a:1", "1:0", "1:-1", "1:2;2:1", "1:9999999"])
def test_a_parcel_that_is_not_lines_and_units_is_bad_input(raw):
    with pytest.raises(InvalidInput) as refused:
        parse_parcel(raw)
    assert refused.value.errors[0].field == "parcel"


@pytest.mark.parametrize("raw, units", [("", 1), (" 3 ", 3), ("999", 999)])
def test_the_units_of_a_scan_default_to_one(raw, units):
    assert parse_quantity(raw) == units


@pytest.mark.parametrize("raw", ["0", "1000", "-1", "1.5", "two"])
def test_units_outside_one_to_999_are_refused(raw):
    with pytest.raises(InvalidInput, match="a whole number from 1 to 999"):
        parse_quantity(raw)


def test_a_sku_on_two_lines_fills_the_first_line_with_room_then_the_next():
    lines = [line(1, "TEE", 2, in_parcel=1), line(2, "TEE", 3)]
    assert scan_into(lines, {1: 1}, "tee", 3, "FO-000001-1") == {1: 2, 2: 2}


def test_a_wrong_item_names_what_the_order_still_needs():
    lines = [line(1, "TEE", 1, in_parcel=1), line(2, "MUG", 1)]
    with pytest.raises(InvalidInput) as refused:
        scan_into(lines, {1: 1}, "BOOK", 1, "FO-000001-1")
    assert refused.value.detail == ("Wrong item: 'BOOK' is not on FO-000001-1. Put it aside; "
                                    "this order still needs MUG.")
    assert refused.value.errors[0].code == "wrong_item"


def test_a_unit_beyond_what_was_picked_and_not_yet_packed_is_refused():
    lines = [line(1, "TEE", 1, in_parcel=1, packed=2)]
    with pytest.raises(InvalidInput) as refused:
        scan_into(lines, {1: 1}, "TEE", 1, "FO-000001-1")
    assert refused.value.detail == (
        "Too many: 1 more unit(s) of TEE do not fit this order (1 picked and not yet packed, "
        "1 of them already in this parcel; 2 packed in earlier parcels). Put it back.")


def test_an_empty_scan_asks_for_an_item():
    with pytest.raises(InvalidInput, match="scan an item"):
        scan_into([line(1, "TEE", 1)], {}, "  ", 1, "FO-000001-1")
