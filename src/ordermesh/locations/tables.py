from sqlalchemy import Boolean, Column, Float, Integer, String, Table, text

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
    # fulfilment settings (sourcing, capacity, pick-ups, carriers): see FulfilmentSettings
    Column("priority", Integer, nullable=False, server_default=text("100")),
    Column("daily_capacity", Integer),
    Column("regions", JsonColumn),
    Column("pickup_hold_days", Integer, nullable=False, server_default=text("3")),
    Column("carrier", String(40)),
    Column("carrier_service", String(40)),
    Column("processing_days", Integer, nullable=False, server_default=text("0")),
    info={"config": True},  # kit.config_cache
)
