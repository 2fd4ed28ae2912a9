"""Likely duplicates of a customer, for a person to review and merge: other customers
whose name or e-mail is close to theirs (rapidfuzz), or who share their phone. Nothing is
merged here: a match by similarity is a candidate, never a rule."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, utils
from sqlalchemy import func, or_, select

from ordermesh.customers.identities import group_of
from ordermesh.customers.service import get_customer
from ordermesh.customers.tables import customers
from ordermesh.kit.db import UnitOfWork

THRESHOLD = 85  # out of 100
SCANNED = 500  # customers compared at most (those sharing a name word or e-mail start)
SHOWN = 10


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    name: str | None
    email: str | None
    score: int
    reasons: list[str]


def _local(email: str | None) -> str:
    return email.split("@", 1)[0] if email else ""


def duplicate_candidates(uow: UnitOfWork, customer_id: str) -> list[Candidate]:
    """Up to ``SHOWN`` candidates, best first: customers not merged or erased, outside this
    customer's merge group, that share a name word or the start of the e-mail (the block
    compared), scored by the closer of name (token order ignored) and e-mail local part,
    or 100 for the same phone."""
    get_customer(uow, customer_id)  # 404 first
    me = get_customer(uow, group_of(uow, customer_id)[0])
    group = set(group_of(uow, me.id))
    words = [w for w in utils.default_process(me.name or "").split() if len(w) >= 3]
    local = _local(me.email)
    block = [func.lower(customers.c.name).contains(w, autoescape=True) for w in words]
    if len(local) >= 3:
        block.append(customers.c.email.startswith(local[:3], autoescape=True))
    if me.phone:
        block.append(customers.c.phone == me.phone)
    if not block:
        return []
    rows = uow.execute(select(customers.c.id, customers.c.name, customers.c.email,
                              customers.c.phone)
                       .where(or_(*block), customers.c.merged_into.is_(None),
                              customers.c.erased_at.is_(None),
                              customers.c.id.not_in(group))
                       .order_by(customers.c.created_at.desc()).limit(SCANNED))
    found = []
    for row in rows:
        reasons, score = [], 0
        if me.name and row.name:
            by_name = int(fuzz.token_sort_ratio(me.name, row.name,
                                                processor=utils.default_process))
            if by_name >= THRESHOLD:
                reasons.append(f"name {by_name}")
                score = max(score, by_name)
        if local and row.email:
            by_email = int(fuzz.ratio(local, _local(row.email)))
            if by_email >= THRESHOLD:
                reasons.append(f"e-mail {by_email}")
                score = max(score, by_email)
        if me.phone and row.phone == me.phone:
            reasons.append("same phone")
            score = 100
        if reasons:
            found.append(Candidate(row.id, row.name, row.email, score, reasons))
    found.sort(key=lambda c: (-c.score, c.customer_id))
    return found[:SHOWN]
