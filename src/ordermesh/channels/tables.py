from sqlalchemy import Column, ForeignKey, String, Table, text

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
    # Money settings (channels.model.ChannelMoney), read fresh by every order.
    Column("pricing_mode", String(10), nullable=False, server_default=text("'inclusive'")),
    Column("capture_policy", String(10), nullable=False, server_default=text("'order'")),
    Column("tax_point", String(10), nullable=False, server_default=text("'order'")),
    Column("legal_entity_id", String(40), ForeignKey("legal_entities.id")),
    info={"config": True},  # kit.config_cache
)
