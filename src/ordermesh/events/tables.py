"""Where each relay has got to in the outbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from ordermesh.kit.db import metadata
from ordermesh.kit.types import UtcDateTime

# One row per relay ("webhooks", "nats"): the last outbox position it has handed on, and
# (for a relay that publishes outside a transaction) who holds it until when.
relay_cursors = Table(
    "relay_cursors",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("leased_by", String(40)),
    Column("leased_until", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
)
