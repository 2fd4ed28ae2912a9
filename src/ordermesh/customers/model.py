"""Customers, recognised across channels by e-mail first, then phone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_PHONE_NOISE = re.compile(r"[\s().\-/]")


@dataclass(frozen=True)
class Customer:
    id: str
    email: str | None
    phone: str | None
    name: str | None
    created_at: datetime
    updated_at: datetime


def normalise_email(email: str | None) -> str | None:
    return email.strip().lower() if email and email.strip() else None


def normalise_phone(phone: str | None) -> str | None:
    """Drop formatting so '+49 (30) 1234-5' and '+4930 12345' match; keep a leading '+'."""
    if not phone or not phone.strip():
        return None
    return _PHONE_NOISE.sub("", phone.strip())
