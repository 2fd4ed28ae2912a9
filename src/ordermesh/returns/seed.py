"""The return reasons a new database starts with (the migration loads them; more may be
added through the API)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

DEFAULT_REASONS = (
    ("damaged_in_transit", "Damaged in transit"),
    ("defective", "Defective"),
    ("wrong_item", "Wrong item sent"),
    ("not_as_described", "Not as described"),
    ("size_or_fit", "Size or fit"),
    ("changed_mind", "Changed mind"),
    ("arrived_late", "Arrived late"),
    ("other", "Other"),
)

# the table as migration 0021 creates it, so that the migration never depends on later code
_return_reasons_0021 = sa.table("return_reasons", sa.column("code"), sa.column("label"),
                                sa.column("position"))


def seed_reasons(connection: Connection) -> int:
    """Insert the default reasons into an empty ``return_reasons``; returns how many.
    Does nothing when it has rows; does not commit."""
    if connection.execute(sa.select(sa.func.count()).select_from(_return_reasons_0021)
                          ).scalar():
        return 0
    connection.execute(sa.insert(_return_reasons_0021), [
        {"code": code, "label": label, "position": i + 1}
        for i, (code, label) in enumerate(DEFAULT_REASONS)])
    return len(DEFAULT_REASONS)
