"""The human sentence of a sourcing decision (pure)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ordermesh.sourcing.model import EXACT_LIMIT, SourcingRule

if TYPE_CHECKING:
    from ordermesh.sourcing.engine import Context

_KEY_NAMES = {SourcingRule.FEWEST_SHIPMENTS: "fewest shipments",
              SourcingRule.DISTANCE: "distance", SourcingRule.SHIPPING_COST: "shipping cost",
              SourcingRule.PRIORITY: "priority", SourcingRule.STOCK: "stock"}


def _deciding_rule(ctx: Context, best: tuple, runner: tuple) -> str:
    ranked = [r for r in ctx.rules if r in _KEY_NAMES]
    if best[0] != runner[0]:
        return "it covers more units"
    for rule, a, b in zip(ranked, best[1:], runner[1:], strict=False):
        if a != b:
            return f"{_KEY_NAMES[rule]} ({_show(a)} against {_show(b)})"
    return "the tie-break by location id"


def _show(value) -> str:
    if isinstance(value, tuple):
        return "unknown" if value[0] == 1 else str(value[1])
    return str(abs(value) if isinstance(value, int) and value < 0 else value)



def explain(ctx: Context, reports, assignments, unsourced, method, best, runner) -> str:
    code = {r.location_id: r.code for r in reports}
    lines: dict[str, list[int]] = defaultdict(list)
    for a in assignments:
        if a.line_no not in lines[a.location_id]:
            lines[a.location_id].append(a.line_no)
    eligible = [r for r in reports if r.eligible]
    parts = []
    chain = ", ".join(r.value for r in ctx.rules)
    if lines:
        who = " and ".join(f"{code[loc]} (line{'s' if len(ls) > 1 else ''} "
                           f"{', '.join(map(str, ls))})" for loc, ls in lines.items())
        n = len(lines)
        parts.append(f"Sourced from {who}: {n} shipment{'s' if n > 1 else ''}, chosen among "
                     f"{len(eligible)} eligible location{'s' if len(eligible) != 1 else ''} "
                     f"by the rules {chain}.")
        if method.startswith("per_order") and best is not None and runner is not None:
            parts.append(f"It won on {_deciding_rule(ctx, best, runner)}.")
        elif method == "per_order_greedy":
            parts.append(f"More than {EXACT_LIMIT} locations hold stock: the set was built "
                         "greedily, the location covering most of what was left first.")
        elif len(eligible) > 1:
            parts.append(_per_line_reason(ctx, reports, lines))
    else:
        parts.append(f"No location could supply anything ({len(eligible)} eligible).")
    if unsourced:
        limit = ctx.p.settings.max_splits
        extra = (f" within max_splits {limit}" if limit is not None else "")
        parts.append("Not sourced: " + ", ".join(
            f"line {n} ({q} unit{'s' if q > 1 else ''})" for n, q in sorted(unsourced.items()))
            + f" (not enough free stock at eligible locations{extra}).")
    out = [r for r in reports if not r.eligible]
    if out:
        parts.append("Not eligible: " + "; ".join(
            f"{r.code} ({', '.join(r.reasons)})" for r in out) + ".")
    return " ".join(parts)


def _per_line_reason(ctx: Context, reports, lines) -> str:
    ranked_rules = [r for r in ctx.rules if r in _KEY_NAMES]
    first = next(iter(lines))
    mine = next(r for r in reports if r.location_id == first)
    others = [r for r in reports if r.eligible and r.location_id != first]
    if not ranked_rules or not others:
        return ""
    for rule in ranked_rules:
        name = {SourcingRule.DISTANCE: "distance_km", SourcingRule.STOCK: "stock_units",
                SourcingRule.PRIORITY: "priority",
                SourcingRule.SHIPPING_COST: "shipping_cost"}.get(rule)
        if name is None:
            continue
        values = {r.scores.get(name) for r in others} | {mine.scores.get(name)}
        if len(values) > 1 and mine.scores.get(name) is not None:
            other = ", ".join(f"{r.code} {r.scores.get(name)}" for r in others)
            return (f"{mine.code} ranked first on {_KEY_NAMES[rule]} "
                    f"({mine.scores.get(name)}; {other}).")
    return f"{mine.code} ranked first by location id (every rule tied)."

