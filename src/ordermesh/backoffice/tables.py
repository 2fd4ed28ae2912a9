from sqlalchemy import Column, ForeignKey, Index, String, Table

from ordermesh.kit.db import metadata
from ordermesh.kit.types import UtcDateTime

backoffice_users = Table(
    "backoffice_users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),  # set: cannot sign in, has no sessions
)

# Server-side sessions: the cookie carries a random token, the table only its hash.
backoffice_sessions = Table(
    "backoffice_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(40), ForeignKey("backoffice_users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

# Failed sign-ins, per e-mail (known or not), for throttling.
backoffice_login_failures = Table(
    "backoffice_login_failures",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
    Index("ix_backoffice_login_failures_email_failed_at", "email", "failed_at"),
)
