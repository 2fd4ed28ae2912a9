"""The packing proposal: which packaging, how many packages, what goes where, and why."""

from collections import Counter
from decimal import Decimal

import pytest

from ordermesh.kit.money import Money
from ordermesh.packing.marks import COOLANT_NOTE, DEFAULT_HAZMAT_MARK
from ordermesh.packing.model import (
    PackagingHandling,
    PackagingType,
    PackItem,
    check_override,
    propose,
)
from ordermesh.shipping.model import ParcelLimits

H = PackagingHandling


def box(code, dims, max_g, own_g, cost, handling=(), gift=False, active=True):
    return PackagingType(code=code, name=code.title(), length_mm=dims[0], width_mm=dims[1],
                         height_mm=dims[2], max_weight_g=max_g, own_weight_g=own_g,
                         cost=Money.of(Decimal(cost), "EUR"), handling=frozenset(handling),
                         gift_wrap=gift, active=active)


MAILER = box("MAILER", (250, 180, 30), 1000, 30, "0.20")
BOX_S = box("BOX-S", (200, 150, 100), 5000, 150, "0.50")
BOX_M = box("BOX-M", (400, 300, 200), 15000, 400, "1.00")
GIFT_M = box("GIFT-M", (400, 300, 200), 15000, 450, "2.00", gift=True)
PADDED_M = box("PADDED-M", (400, 300, 200), 15000, 500, "1.80", [H.PADDED])
DG_BOX = box("DG-BOX", (300, 200, 150), 10000, 600, "4.00", [H.CERTIFIED])
COOL_M = box("COOL-M", (400, 300, 300), 12000, 900, "6.00", [H.INSULATED])
CRATE = box("CRATE", (1200, 800, 1000), 200000, 15000, "15.00", [H.OVERSIZE])
ALL = [MAILER, BOX_S, BOX_M, GIFT_M, PADDED_M, DG_BOX, COOL_M, CRATE]


def item(line_no, sku, quantity=1, dims=(100, 80, 20), weight=200, handling=(), mark=None):
    return PackItem(line_no=line_no, sku=sku, name=sku.title(), quantity=quantity,
                    dimensions_mm=dims, weight_g=weight, handling=frozenset(handling),
                    hazmat_mark=mark)


def units_in(proposal):
    total: Counter = Counter()
    for p in proposal.packages:
        for no, q in p.lines:
            total[no] += q
    return dict(total)


def test_a_small_flat_item_goes_in_the_cheapest_packaging_that_fits():
    proposal = propose([item(1, "SOCKS")], ALL)
    [package] = proposal.packages
    assert package.packaging_code == "MAILER"
    assert package.weight_g == 200 + 30
    assert "cheapest" in package.why and not proposal.warnings


def test_an_item_longer_than_the_cheap_box_goes_in_the_next_one_and_says_why():
    [package] = propose([item(1, "POSTER-TUBE", dims=(380, 80, 80))], ALL).packages
    assert package.packaging_code == "BOX-M"
    assert "MAILER: too small" in package.why and "BOX-S: too small" in package.why


def test_the_largest_item_dimension_must_fit_the_box_largest_dimension():
    # 260 mm fits nowhere in the mailer (250) even though the volume would
    [package] = propose([item(1, "RULER", dims=(260, 20, 5), weight=50)], ALL).packages
    assert package.packaging_code == "BOX-S" or package.packaging_code == "BOX-M"
    assert package.packaging_code != "MAILER"


def test_volume_is_filled_only_up_to_the_fill_factor():
    # 4 units of 1 litre: 4 l > 3 l * 0.8 of BOX-S, so BOX-M (24 l)
    [package] = propose([item(1, "BRICK", 4, dims=(100, 100, 100), weight=100)], ALL).packages
    assert package.packaging_code == "BOX-M"
    assert package.lines == ((1, 4),)
    # 2 units: 2 l <= 2.4 l usable in BOX-S
    [small] = propose([item(1, "BRICK", 2, dims=(100, 100, 100), weight=100)], ALL).packages
    assert small.packaging_code == "BOX-S"


def test_the_weight_limit_counts_the_packaging_own_weight():
    # 4.9 kg + 150 g packaging > 5 kg of BOX-S
    [package] = propose([item(1, "DUMBBELL", dims=(150, 100, 90), weight=4900)], ALL).packages
    assert package.packaging_code == "BOX-M"
    assert "BOX-S: too heavy" in package.why


def test_units_that_do_not_fit_one_box_are_spread_over_several():
    proposal = propose([item(1, "KETTLEBELL", 5, dims=(200, 200, 200), weight=8000)], ALL)
    assert len(proposal.packages) == 5  # 8 kg each: one per BOX-M (15 kg max)
    assert units_in(proposal) == {1: 5}
    assert all(p.packaging_code == "BOX-M" for p in proposal.packages)


def test_fragile_goods_get_padded_packaging_and_fragile_marks():
    proposal = propose([item(1, "VASE", dims=(300, 150, 150), handling=["fragile"]),
                        item(2, "BOOK", dims=(200, 140, 30))], ALL)
    [package] = proposal.packages
    assert package.packaging_code == "PADDED-M"
    assert package.lines == ((1, 1), (2, 1))
    assert package.marks == ("FRAGILE", "THIS WAY UP")
    assert H.PADDED in package.requires


def test_hazmat_goods_travel_alone_in_certified_packaging_with_their_mark():
    proposal = propose([
        item(1, "POWERBANK", 2, handling=["hazmat"],
             mark="UN3481 Lithium ion batteries packed with equipment"),
        item(2, "LIGHTER-GAS", handling=["hazmat"]),
        item(3, "T-SHIRT", dims=(250, 150, 20)),
    ], ALL, gift_wrap=True)
    by_line = {p.lines: p for p in proposal.packages}
    assert set(by_line) == {((1, 2),), ((2, 1),), ((3, 1),)}
    lithium = by_line[((1, 2),)]
    assert lithium.packaging_code == "DG-BOX"
    assert "UN3481 Lithium ion batteries packed with equipment" in lithium.marks
    assert lithium.gift_wrap is False  # dangerous goods are never gift-wrapped
    assert by_line[((2, 1),)].marks == (DEFAULT_HAZMAT_MARK,)
    assert by_line[((3, 1),)].gift_wrap is True


def test_cold_chain_goods_go_insulated_with_coolant_separately_from_the_rest():
    proposal = propose([item(1, "VACCINE", 3, handling=["cold_chain"]),
                        item(2, "CHEESE", handling=["perishable"]),
                        item(3, "MUG", handling=["fragile"])], ALL)
    cold = next(p for p in proposal.packages if (1, 3) in p.lines)
    assert cold.packaging_code == "COOL-M"
    assert (2, 1) in cold.lines  # perishable and cold chain share insulated packaging
    assert "KEEP COLD" in cold.marks and "PERISHABLE" in cold.marks
    assert COOLANT_NOTE in cold.notes
    mug = next(p for p in proposal.packages if (3, 1) in p.lines)
    assert mug.packaging_code == "PADDED-M" and "KEEP COLD" not in mug.marks


def test_an_item_too_big_for_any_packaging_and_for_the_carrier_ships_alone_oversize():
    proposal = propose([item(1, "SOFA", dims=(2200, 900, 800), weight=60000),
                        item(2, "CUSHION", dims=(400, 300, 150), weight=500)], ALL,
                       limits=ParcelLimits())
    sofa = next(p for p in proposal.packages if (1, 1) in p.lines)
    assert sofa.packaging is None
    assert sofa.lines == ((1, 1),)
    assert sofa.dimensions_mm == (2200, 900, 800)
    assert sofa.weight_g == 60000
    assert "OVERSIZE" in sofa.marks
    assert sofa.why.startswith("No packaging fits")
    assert "length 220 cm > 120 cm" in sofa.why and "weight 60 kg > 31.5 kg" in sofa.why


def test_an_item_that_fits_no_box_but_is_a_normal_parcel_is_not_marked_oversize():
    [package] = propose([item(1, "LAMP", dims=(300, 200, 450), weight=1800)],
                        [MAILER, BOX_S], limits=ParcelLimits()).packages
    assert package.packaging is None and package.dimensions_mm == (300, 200, 450)
    assert "OVERSIZE" not in package.marks
    assert "oversize" not in package.why


@pytest.mark.parametrize(("dims", "weight", "why"), [
    ((1210, 100, 100), 1000, "length 121 cm > 120 cm"),
    ((1000, 450, 100), 1000, None),  # length + girth 100 + 2 x (45 + 10) = 210 cm
    ((1000, 500, 510), 1000, "length + girth 302 cm > 300 cm"),
    ((1200, 450, 450), 31500, None),  # exactly at every limit
    ((300, 200, 100), 31501, "weight 31.501 kg > 31.5 kg"),
    (None, None, None),  # unknown size and weight are not held against a package
])
def test_a_package_is_oversize_only_beyond_the_carrier_parcel_limits(dims, weight, why):
    assert ParcelLimits().exceeded_by(dims, weight) == why


def test_oversize_goods_get_oversize_packaging_one_unit_each():
    proposal = propose([item(1, "BIKE", 2, dims=(1100, 600, 250), weight=12000,
                             handling=["oversize"])], ALL)
    assert [p.packaging_code for p in proposal.packages] == ["CRATE", "CRATE"]
    assert all(p.lines == ((1, 1),) for p in proposal.packages)


def test_gift_wrap_chooses_gift_capable_packaging():
    [package] = propose([item(1, "SCARF", dims=(300, 200, 50))], ALL, gift_wrap=True).packages
    assert package.packaging_code == "GIFT-M" and package.gift_wrap
    assert "Gift wrap" in package.notes


def test_gift_wrap_that_fits_nowhere_is_dropped_with_a_warning():
    [package] = propose([item(1, "LAMP", dims=(450, 100, 100), weight=900)],
                        [*ALL, box("BOX-L", (600, 400, 400), 30000, 900, "2.50")],
                        gift_wrap=True).packages
    assert package.packaging_code == "BOX-L" and not package.gift_wrap
    assert "no gift-wrap capable packaging fits" in package.warnings[0]


def test_missing_dimensions_and_weight_are_said_and_the_weight_is_an_estimate():
    proposal = propose([item(1, "MYSTERY", dims=None, weight=None)], ALL)
    [package] = proposal.packages
    assert package.packaging_code == "MAILER"
    assert package.weight_g == 30 and package.weight_estimated
    assert any("no dimensions" in w for w in proposal.warnings)
    assert any("no weight" in w for w in proposal.warnings)


def test_inactive_packaging_is_never_proposed():
    inactive_mailer = box("MAILER", (250, 180, 30), 1000, 30, "0.20", active=False)
    [package] = propose([item(1, "SOCKS")], [inactive_mailer, BOX_S]).packages
    assert package.packaging_code == "BOX-S"


def test_without_any_packaging_what_may_travel_together_shares_one_package_unmarked():
    proposal = propose([item(1, "SOCKS", 2), item(2, "VASE", handling={"fragile"}),
                        item(3, "ACID", handling={"hazmat"})], [])
    general, hazmat = proposal.packages
    assert (general.packaging, hazmat.packaging) == (None, None)
    assert dict(general.lines) == {1: 2, 2: 1} and dict(hazmat.lines) == {3: 1}
    assert "OVERSIZE" not in general.marks and "FRAGILE" in general.marks
    assert general.dimensions_mm is None and "No packaging types" in general.why
    assert any("No active packaging" in w for w in proposal.warnings)


@pytest.mark.parametrize("quantities", [(1, 1, 1), (7, 0, 3), (12, 5, 9), (30, 2, 1)])
def test_every_unit_is_in_exactly_one_package(quantities):
    items = [item(1, "A", quantities[0], dims=(120, 100, 60), weight=700),
             item(2, "B", quantities[1], dims=(300, 200, 100), weight=2500,
                  handling=["fragile"]),
             item(3, "C", quantities[2], handling=["cold_chain"], weight=400)]
    items = [i for i in items if i.quantity]
    proposal = propose(items, ALL)
    assert units_in(proposal) == {i.line_no: i.quantity for i in items}
    for p in proposal.packages:
        assert p.packaging is not None
        assert p.weight_g <= p.packaging.max_weight_g


def test_the_packer_may_override_but_gets_warnings_for_what_does_not_fit():
    vase = item(1, "VASE", dims=(300, 150, 150), weight=14800, handling=["fragile"])
    package = check_override(BOX_M, [(vase, 1)], gift_wrap=True)
    assert package.packaging_code == "BOX-M"
    assert package.why.startswith("Chosen by the packer")
    assert any("not padded" in w for w in package.warnings)
    assert any("not gift-wrap capable" in w for w in package.warnings)
    assert package.marks == ("FRAGILE", "THIS WAY UP")


def test_an_override_may_not_mix_hazmat_or_put_it_in_uncertified_packaging():
    battery = item(1, "BATTERY", handling=["hazmat"])
    with pytest.raises(ValueError, match="packed alone"):
        check_override(DG_BOX, [(battery, 1), (item(2, "BOOK"), 1)], gift_wrap=False)
    with pytest.raises(ValueError, match="certified"):
        check_override(BOX_M, [(battery, 1)], gift_wrap=False)
    assert check_override(DG_BOX, [(battery, 2)], gift_wrap=False).lines == ((1, 2),)


def test_units_share_a_bigger_box_rather_than_travel_in_several_cheap_ones():
    # each book alone fits the mailer, but one box for all is cheaper than three parcels
    proposal = propose([item(1, "BOOK", 2, dims=(240, 170, 40), weight=600),
                        item(2, "TEE", dims=(240, 170, 20), weight=200)], ALL)
    [package] = proposal.packages
    assert package.packaging_code == "BOX-M" and package.lines == ((1, 2), (2, 1))


def test_a_package_of_its_own_wins_when_sharing_needs_much_dearer_packaging():
    proposal = propose([item(1, "KETTLEBELL", 2, dims=(200, 200, 200), weight=8000)], ALL,
                       package_cost=Decimal("5"))
    assert [p.packaging_code for p in proposal.packages] == ["BOX-M", "BOX-M"]
    together = propose([item(1, "KETTLEBELL", 2, dims=(200, 200, 200), weight=8000)], ALL,
                       package_cost=Decimal("20"))
    assert [p.packaging_code for p in together.packages] == ["CRATE"]


def test_hazmat_without_certified_packaging_is_flagged():
    proposal = propose([item(1, "BATTERY", handling=["hazmat"])], [MAILER, BOX_M])
    [package] = proposal.packages
    assert package.packaging is None
    assert any("No certified packaging fits line(s) 1" in w for w in proposal.warnings)
