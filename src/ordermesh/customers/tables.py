from sqlalchemy import Column, String, Table

from ordermesh.kit.db import metadata
from ordermesh.kit.types import UtcDateTime

customers = Table(
    "customers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(254), unique=True),
    Column("phone", String(32), index=True),
    Column("name", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
