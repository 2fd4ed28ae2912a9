from sqlalchemy import Column, ForeignKey, String, Table

from ordermesh.kit.db import metadata
from ordermesh.kit.types import UtcDateTime

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),  # the actor it records
    Column("role", String(20), nullable=False),
    Column("prefix", String(12), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    # role supplier only: the supplier whose drop-ship orders the key may see and answer
    Column("supplier_id", String(40), ForeignKey("suppliers.id")),
)
