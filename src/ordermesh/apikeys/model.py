"""API keys and the roles they carry."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

KEY_PREFIX = "om_"


class Role(enum.StrEnum):
    ADMIN = "admin"  # everything, including API keys
    OPERATOR = "operator"  # reads and writes business data
    VIEWER = "viewer"  # reads only
    SUPPLIER = "supplier"  # a supplier's partner key: its own drop-ship orders, nothing else


WRITE_ROLES = frozenset({Role.ADMIN, Role.OPERATOR})
STAFF_ROLES = frozenset({Role.ADMIN, Role.OPERATOR, Role.VIEWER})  # the seller's own people
ADMIN_ROLES = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    id: str
    name: str
    role: Role
    supplier_id: str | None = None  # role supplier: the supplier the key speaks for

    @property
    def actor(self) -> str:
        return f"apikey:{self.name}"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    supplier_id: str | None = None


def generate_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is safe: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()
