"""The sourcing engine itself (pure): eligibility, the per-line and per-order searches,
the candidates' scores. See ``sourcing.model`` for how the rules combine."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from itertools import combinations

from ordermesh.kit.money import Money
from ordermesh.sourcing.explain import explain
from ordermesh.sourcing.model import (
    EXACT_LIMIT,
    Assignment,
    CandidateReport,
    Demand,
    Destination,
    Site,
    SourcingProblem,
    SourcingResult,
    SourcingRule,
    haversine_km,
)


def _ineligible(site: Site, dest: Destination, rules: tuple[SourcingRule, ...]) -> list[str]:
    reasons = []
    if dest.pickup_location_id is not None:
        if site.id != dest.pickup_location_id:
            reasons.append("not the pick-up location")
        elif not site.can_pickup:
            reasons.append("does not hand over pick-ups")
    elif not site.can_ship:
        reasons.append("does not ship")
    # No destination known (a sale without an address): a region limit cannot apply.
    if dest.pickup_location_id is None and site.regions is not None and dest.country:
        country = (dest.country or "").upper()
        if not (country in site.regions or (dest.region_code in site.regions)):
            reasons.append(f"does not serve {dest.label()}")
    if SourcingRule.CAPACITY in rules and site.capacity_left == 0:
        reasons.append(f"daily capacity used up ({site.used_today}/{site.daily_capacity})")
    return reasons


class Context:
    """The problem with its per-site numbers worked out once."""

    def __init__(self, problem: SourcingProblem) -> None:
        self.p = problem
        self.rules = problem.settings.rules
        dest = problem.destination
        self.km: dict[str, float | None] = {}
        for s in problem.sites:
            known = None not in (s.latitude, s.longitude, dest.latitude, dest.longitude)
            self.km[s.id] = (round(haversine_km(s.latitude, s.longitude, dest.latitude,
                                                dest.longitude), 1) if known else None)
        self.by_id = {s.id: s for s in problem.sites}
        self.weight = {d.product_id: d.weight_g or 0 for d in problem.demands}

    def cost(self, site_id: str, grams: int) -> Decimal | None:
        rates = self.p.settings.rates
        km = self.km[site_id]
        if rates is None:
            return None
        if km is None:
            return rates.shipment_base.amount if grams == 0 else None
        return (rates.shipment_base.amount + rates.per_kg_100km.amount
                * Decimal(grams) / 1000 * Decimal(str(km)) / 100)

    def site_key(self, site_id: str, product_id: str, free: dict, quantity: int) -> tuple:
        """How the chain ranks a location for ``quantity`` units of a product."""
        site = self.by_id[site_id]
        key: list = []
        for rule in self.rules:
            if rule is SourcingRule.DISTANCE:
                km = self.km[site_id]
                key.append((0, km) if km is not None else (1, 0.0))
            elif rule is SourcingRule.SHIPPING_COST:
                cost = self.cost(site_id, quantity * self.weight.get(product_id, 0))
                key.append((0, cost) if cost is not None else (1, 0))
            elif rule is SourcingRule.STOCK:
                key.append(-free.get(site_id, 0))
            elif rule is SourcingRule.PRIORITY:
                key.append(site.priority)
        key.append(site_id)
        return tuple(key)


def _plan(ctx: Context, sites: list[str], free: dict[str, dict[str, int]],
          caps: dict[str, int]) -> tuple[list[Assignment], dict[int, int]]:
    """Each product's units at the best-ranked of ``sites`` that has them all, else split
    in rank order; ``free`` and ``caps`` are used up as units are planned."""
    groups: dict[tuple[str, frozenset[str]], list[Demand]] = defaultdict(list)
    for d in ctx.p.demands:
        groups[(d.product_id, d.exclude)].append(d)
    assignments: list[Assignment] = []
    unsourced: dict[int, int] = {}
    for (product_id, exclude), demands in sorted(groups.items(), key=lambda g: g[1][0].line_no):
        stock = free.setdefault(product_id, {})
        wanted = sum(d.quantity for d in demands)
        take = min(wanted, caps.get(product_id, 0))
        usable = [s for s in sites if s not in exclude and stock.get(s, 0) > 0]
        ranked = sorted(usable, key=lambda s: ctx.site_key(s, product_id, stock, take))
        plan: list[tuple[str, int]] = []
        whole = next((s for s in ranked if stock[s] >= take), None)
        if take and whole is not None:
            plan = [(whole, take)]
        else:
            left = take
            for s in ranked:
                if left == 0:
                    break
                units = min(stock[s], left)
                plan.append((s, units))
                left -= units
        taken = sum(u for _, u in plan)
        for s, units in plan:
            stock[s] -= units
        caps[product_id] = caps.get(product_id, 0) - taken
        pool = [[s, u] for s, u in sorted(plan)]  # by location id, as reserve did
        for d in sorted(demands, key=lambda x: x.line_no):  # share out in line order
            need = d.quantity
            for slot in pool:
                give = min(need, slot[1])
                if give:
                    assignments.append(Assignment(slot[0], d.line_no, give))
                    slot[1] -= give
                    need -= give
            if need:
                unsourced[d.line_no] = unsourced.get(d.line_no, 0) + need
    return assignments, unsourced


def _copy(problem: SourcingProblem) -> tuple[dict, dict]:
    return ({p: dict(locs) for p, locs in problem.free.items()}, dict(problem.caps))


def _set_key(ctx: Context, assignments: list[Assignment]) -> tuple:
    """How the chain ranks a set of shipments (see the module docstring)."""
    units: dict[str, int] = defaultdict(int)
    grams: dict[str, int] = defaultdict(int)
    product = {d.line_no: d.product_id for d in ctx.p.demands}
    for a in assignments:
        units[a.location_id] += a.quantity
        grams[a.location_id] += a.quantity * ctx.weight.get(product[a.line_no], 0)
    total = sum(units.values()) or 1
    key: list = [-sum(units.values())]
    for rule in ctx.rules:
        if rule is SourcingRule.FEWEST_SHIPMENTS:
            key.append(len(units))
        elif rule is SourcingRule.DISTANCE:
            kms = [ctx.km[s] for s in units]
            key.append((1, 0.0) if None in kms else
                       (0, round(sum(ctx.km[s] * u for s, u in units.items()) / total, 1)))
        elif rule is SourcingRule.SHIPPING_COST:
            costs = [ctx.cost(s, grams[s]) for s in units]
            key.append((1, 0) if None in costs else (0, sum(costs, Decimal(0))))
        elif rule is SourcingRule.PRIORITY:
            key.append(round(sum(ctx.by_id[s].priority * u for s, u in units.items()) / total,
                             2))
        elif rule is SourcingRule.STOCK:
            key.append(-sum(sum(ctx.p.free.get(d.product_id, {}).get(s, 0)
                                for d in ctx.p.demands) for s in units))
    key.append(tuple(sorted(units)))
    return tuple(key)


def _per_order(ctx: Context, eligible: list[str]) -> tuple[list, dict, str, tuple | None,
                                                            tuple | None]:
    wanted = {d.product_id for d in ctx.p.demands}
    holders = [s for s in eligible if any(ctx.p.free.get(p, {}).get(s, 0) > 0 for p in wanted)]
    max_splits = ctx.p.settings.max_splits
    limit = len(holders) if max_splits is None else min(max_splits + 1, len(holders))
    if len(holders) <= EXACT_LIMIT:
        best = runner = None
        for size in range(1, limit + 1):
            for subset in combinations(holders, size):
                free, caps = _copy(ctx.p)
                assignments, unsourced = _plan(ctx, list(subset), free, caps)
                if {a.location_id for a in assignments} != set(subset):
                    continue  # a smaller set does the same
                entry = (_set_key(ctx, assignments), assignments, unsourced)
                if best is None or entry[0] < best[0]:
                    best, runner = entry, best
                elif runner is None or entry[0] < runner[0]:
                    runner = entry
        if best is None:
            free, caps = _copy(ctx.p)
            assignments, unsourced = _plan(ctx, [], free, caps)
            return assignments, unsourced, "per_order_exact", None, None
        return (best[1], best[2], "per_order_exact", best[0],
                runner[0] if runner is not None else None)
    chosen: list[str] = []
    free, caps = _copy(ctx.p)
    remaining = {d.line_no: d.quantity for d in ctx.p.demands}
    while len(chosen) < limit and any(remaining.values()):
        cover = {s: _covers(ctx, free, remaining, s) for s in holders if s not in chosen}
        options = [s for s, units in cover.items() if units > 0]
        if not options:
            break
        pick = min(options, key=lambda s: (-cover[s], ctx.site_key(s, "", {}, 0)))
        chosen.append(pick)
        trial_free, trial_caps = _copy(ctx.p)
        assignments, unsourced = _plan(ctx, chosen, trial_free, trial_caps)
        remaining = {d.line_no: unsourced.get(d.line_no, 0) for d in ctx.p.demands}
    free, caps = _copy(ctx.p)
    assignments, unsourced = _plan(ctx, chosen, free, caps)
    return assignments, unsourced, "per_order_greedy", _set_key(ctx, assignments), None


def _covers(ctx: Context, free: dict, remaining: dict[int, int], site: str) -> int:
    return sum(min(q, free.get(d.product_id, {}).get(site, 0))
               for d in ctx.p.demands if (q := remaining[d.line_no]) and site not in d.exclude)


def _scores(ctx: Context, site: Site, covered: int) -> dict[str, object]:
    grams = sum(min(d.quantity, ctx.p.free.get(d.product_id, {}).get(site.id, 0))
                * (d.weight_g or 0) for d in ctx.p.demands)
    scores: dict[str, object] = {}
    for rule in ctx.rules:
        if rule is SourcingRule.DISTANCE:
            scores["distance_km"] = ctx.km[site.id]
        elif rule is SourcingRule.SHIPPING_COST:
            cost = ctx.cost(site.id, grams)
            scores["shipping_cost"] = (str(Money.of(cost, ctx.p.settings.rates.shipment_base
                                                    .currency).amount)
                                       if cost is not None else None)
        elif rule is SourcingRule.STOCK:
            scores["stock_units"] = covered
        elif rule is SourcingRule.PRIORITY:
            scores["priority"] = site.priority
        elif rule is SourcingRule.CAPACITY:
            scores["capacity_left"] = site.capacity_left
    return scores



def decide(problem: SourcingProblem) -> SourcingResult:
    ctx = Context(problem)
    reasons: dict[str, list[str]] = {}
    covered: dict[str, int] = {}
    for site in problem.sites:
        why = _ineligible(site, problem.destination, ctx.rules)
        covered[site.id] = sum(
            min(d.quantity, problem.free.get(d.product_id, {}).get(site.id, 0))
            for d in problem.demands if site.id not in d.exclude)
        if all(site.id in d.exclude for d in problem.demands):
            why.append("excluded: it gave these units back before")
        elif covered[site.id] == 0:
            why.append("no free stock of the requested items for this channel")
        reasons[site.id] = why
    eligible = [s.id for s in problem.sites if not reasons[s.id]]
    best_key = runner_key = None
    if problem.settings.per_order:
        assignments, unsourced, method, best_key, runner_key = _per_order(ctx, eligible)
    else:
        free, caps = _copy(problem)
        assignments, unsourced = _plan(ctx, eligible, free, caps)
        method = "per_line"
    units: dict[str, int] = defaultdict(int)
    for a in assignments:
        units[a.location_id] += a.quantity
    reports = tuple(
        CandidateReport(s.id, s.code, not reasons[s.id], tuple(reasons[s.id]),
                        _scores(ctx, s, covered[s.id]), s.id in units, units.get(s.id, 0))
        for s in sorted(problem.sites, key=lambda x: (not units.get(x.id), bool(reasons[x.id]),
                                                      x.code)))
    first = problem.demands[0].product_id if problem.demands else ""
    rank = {s: i for i, s in enumerate(sorted(
        (s.id for s in problem.sites),
        key=lambda s: ctx.site_key(s, first, problem.free.get(first, {}), 0)))}
    text = explain(ctx, reports, sorted(assignments, key=lambda a: (a.line_no,
                                                                     rank[a.location_id])),
                    unsourced, method, best_key, runner_key)
    return SourcingResult(tuple(sorted(assignments, key=lambda a: (a.line_no, a.location_id))),
                          unsourced, reports, text, method)


