from sqlalchemy import Boolean, Column, Float, String, Table

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, UtcDateTime

locations = Table(
    "locations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("address", JsonColumn),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("can_ship", Boolean, nullable=False),
    Column("can_pickup", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
