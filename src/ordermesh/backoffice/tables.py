from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    false,
)

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
    # 0048: set with a temporary password an admin chose: every page asks for a new one
    Column("must_change_password", Boolean, nullable=False, server_default=false()),
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

# 0048: "Forgot your password?" requests, known e-mail or not (for throttling). A known,
# active user's request holds the SHA-256 of a single-use token that expires; the e-mail
# carrying the token is sent after the request commits and its outcome recorded here.
backoffice_password_resets = Table(
    "backoffice_password_resets",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(254), nullable=False),
    Column("user_id", String(40), ForeignKey("backoffice_users.id")),  # None: unknown
    Column("token_hash", String(64), unique=True),
    Column("requested_by", String(260), nullable=False),  # the person, or the admin
    Column("client_address", String(64)),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),  # used, or made void by a later reset or password
    Column("mail_status", String(12), nullable=False),  # none, queued, sent, failed
    Column("mail_attempts", Integer, nullable=False, server_default="0"),
    Column("mail_error", String(300)),
    Index("ix_backoffice_password_resets_email_requested_at", "email", "requested_at"),
    Index("ix_backoffice_password_resets_address_requested_at", "client_address",
          "requested_at"),
)

# 0048: the locations and channels a user is limited to (none of a kind: all of them).
backoffice_user_scopes = Table(
    "backoffice_user_scopes",
    metadata,
    Column("user_id", String(40), ForeignKey("backoffice_users.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # location, channel
    Column("ref_id", String(40), nullable=False),  # the location's or channel's id
    PrimaryKeyConstraint("user_id", "kind", "ref_id"),
)
