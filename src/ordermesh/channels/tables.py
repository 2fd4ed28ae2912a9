from sqlalchemy import Column, String, Table

from ordermesh.kit.db import metadata
from ordermesh.kit.types import UtcDateTime

channels = Table(
    "channels",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
