"""The shipped rate data (``tax/data/rates.csv``) and loading it into ``tax_rates``.

Migration 0004 calls ``seed_rates`` once. Later rate changes go through the API
(``service.add_rate``) or a new migration, never by editing rows the data already has.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources

import sqlalchemy as sa
from sqlalchemy import Connection

from ordermesh.kit.ids import new_id
from ordermesh.kit.types import MoneyAmount, UtcDateTime

COLUMNS = ("country", "region", "tax_class", "jurisdiction", "name", "rate_percent",
           "valid_from", "valid_to", "source")

# The table as migration 0004 created it; kept here so that the migration does not
# change meaning when ``tables.py`` moves on.
_tax_rates_0004 = sa.table(
    "tax_rates",
    sa.column("id", sa.String), sa.column("country", sa.String), sa.column("region", sa.String),
    sa.column("tax_class", sa.String), sa.column("jurisdiction", sa.String),
    sa.column("name", sa.String), sa.column("rate_percent", MoneyAmount),
    sa.column("valid_from", sa.Date), sa.column("valid_to", sa.Date),
    sa.column("source", sa.String), sa.column("created_at", UtcDateTime),
)


@dataclass(frozen=True)
class RateRow:
    country: str
    region: str  # '' for the whole country
    tax_class: str
    jurisdiction: str
    name: str
    rate_percent: Decimal
    valid_from: date
    valid_to: date | None
    source: str


def read_rates(text: str | None = None) -> list[RateRow]:
    """The shipped rate rows (or those of ``text``, a CSV with the same header)."""
    if text is None:
        text = resources.files("ordermesh.tax").joinpath("data/rates.csv").read_text("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"rates.csv must have the columns {', '.join(COLUMNS)}")
    return [
        RateRow(
            country=r["country"], region=r["region"], tax_class=r["tax_class"],
            jurisdiction=r["jurisdiction"], name=r["name"],
            rate_percent=Decimal(r["rate_percent"]),
            valid_from=date.fromisoformat(r["valid_from"]),
            valid_to=date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
            source=r["source"],
        )
        for r in reader
    ]


def seed_rates(connection: Connection, rows: list[RateRow] | None = None) -> int:
    """Insert the shipped rates into an empty ``tax_rates``; returns how many rows.

    Does nothing (and returns 0) when the table already has rows, so running it twice
    loads nothing twice. Does not commit: the caller's transaction (the migration's) does.
    """
    if connection.execute(sa.select(sa.func.count()).select_from(_tax_rates_0004)).scalar():
        return 0
    rows = read_rates() if rows is None else rows
    now = datetime.now(UTC)
    connection.execute(sa.insert(_tax_rates_0004), [
        {"id": new_id("txr"), "country": r.country, "region": r.region,
         "tax_class": r.tax_class, "jurisdiction": r.jurisdiction, "name": r.name,
         "rate_percent": r.rate_percent, "valid_from": r.valid_from, "valid_to": r.valid_to,
         "source": r.source, "created_at": now}
        for r in rows
    ])
    return len(rows)
