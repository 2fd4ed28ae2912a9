"""What one channel may sell: safety stock, sources, quotas and exclusions."""

from __future__ import annotations

from ordermesh.inventory.allocation import ChannelRule, RuleKind, StockRow, channel_availability

QUOTA_10 = {"mkt": ChannelRule(RuleKind.QUOTA, units=10)}


def test_a_quota_is_set_aside_where_its_channel_can_be_served_from():
    rows = [StockRow("ber", 11, 0), StockRow("ham", 9, 0)]
    web = channel_availability(rows, "web", QUOTA_10, {}, None, {"mkt": frozenset({"ber"})})
    assert web.available == 10
    assert web.by_location == {"ber": 1, "ham": 9}
    mkt = channel_availability(rows, "mkt", QUOTA_10, {}, frozenset({"ber"}))
    assert mkt.available == 10


def test_a_quota_its_channel_cannot_reach_sets_nothing_aside():
    rows = [StockRow("ber", 10, 0)]
    web = channel_availability(rows, "web", QUOTA_10, {}, None, {"mkt": frozenset({"par"})})
    assert web.available == 10 and web.fenced_for_others == 0
    assert channel_availability(rows, "mkt", QUOTA_10, {}, frozenset({"par"})).available == 0


def test_the_quota_is_taken_first_from_locations_the_asking_channel_cannot_use():
    rows = [StockRow("ber", 10, 0), StockRow("ham", 10, 0)]
    web = channel_availability(rows, "web", QUOTA_10, {}, frozenset({"ber"}), {})
    assert web.available == 10 and web.fenced_for_others == 0
    assert web.free_elsewhere == 10


def test_a_share_quota_counts_safety_stock_out_and_the_channels_own_reservations_in():
    rows = [StockRow("ber", 100, 30, safety=20)]
    rules = {"mkt": ChannelRule(RuleKind.QUOTA, share_bp=5000)}
    mkt = channel_availability(rows, "mkt", rules, {"mkt": 30})
    assert mkt.quota is not None and (mkt.quota.allocated, mkt.quota.remaining) == (40, 10)
    assert mkt.available == 10
    web = channel_availability(rows, "web", rules, {"mkt": 30})
    assert (web.available, web.fenced_for_others, web.safety) == (40, 10, 20)


def test_an_excluded_channel_sells_nothing_and_others_are_not_limited_by_it():
    rows = [StockRow("ber", 5, 0)]
    rules = {"mkt": ChannelRule(RuleKind.EXCLUDE)}
    assert channel_availability(rows, "mkt", rules, {}).available == 0
    assert channel_availability(rows, "web", rules, {}).available == 5
