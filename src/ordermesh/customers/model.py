"""Customers, recognised across channels by the identities they used; their profile and
the consent rules. No database, no web."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import phonenumbers

from ordermesh.kit.errors import InvalidInput


class IdentityKind(enum.StrEnum):
    ACCOUNT = "account"  # a channel's own id for the buyer: marketplace buyer id, shop customer id
    EMAIL = "email"
    PHONE = "phone"


class Purpose(enum.StrEnum):
    TRANSACTIONAL = "transactional"  # about an order: confirmation, shipping, returns
    MARKETING = "marketing"
    FEEDBACK = "feedback"  # review and survey requests
    PROFILING = "profiling"  # segmenting and personalising from what they bought


class Medium(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    PUSH = "push"


class OptInLevel(enum.StrEnum):
    SINGLE = "single"  # ticked a box
    CONFIRMED = "confirmed"  # and confirmed it (double opt-in link, signed form)


@dataclass(frozen=True)
class Customer:
    id: str
    email: str | None
    phone: str | None
    name: str | None
    created_at: datetime
    updated_at: datetime
    language: str | None = None
    locale: str | None = None
    preferred_channel: str | None = None
    preferred_contact: str | None = None
    contact_hours: dict[str, Any] | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    preferences: dict[str, Any] = field(default_factory=dict)
    source_channel: str | None = None
    merged_into: str | None = None
    erased_at: datetime | None = None
    version: int = 1


@dataclass(frozen=True)
class Identity:
    kind: IdentityKind
    channel: str  # "" unless an account
    value: str


@dataclass(frozen=True)
class ConsentEntry:
    purpose: Purpose
    medium: Medium
    granted: bool
    level: OptInLevel | None
    source_channel: str
    proof: dict[str, Any] | None
    recorded_at: datetime
    recorded_by: str
    id: str | None = None  # the ledger entry's id


def normalise_email(email: str | None) -> str | None:
    return email.strip().lower() if email and email.strip() else None


def normalise_phone(phone: str | None, region: str | None = None,
                    field_name: str = "phone") -> str | None:
    """The number in E.164 ('+442079460018'), parsed with libphonenumber. A number without
    '+' is read as a national number of ``region`` (the shipping country) or, where that
    country dials out with it, an international prefix ('0044…'). A number that cannot be
    parsed or has the wrong length for its country is bad input."""
    if not phone or not phone.strip():
        return None
    try:
        parsed = phonenumbers.parse(phone.strip(), region.upper() if region else None)
    except phonenumbers.NumberParseException:
        hint = "" if region or phone.strip().startswith("+") else (
            " (a number without '+' needs a country: give it as +<country code>…)")
        raise InvalidInput.for_field(
            field_name, f"'{phone}' is not a phone number{hint}", "invalid_phone") from None
    # "local only" lengths (dialled without the area code) are not numbers we can call back
    if (phonenumbers.is_possible_number_with_reason(parsed)
            != phonenumbers.ValidationResult.IS_POSSIBLE):
        raise InvalidInput.for_field(
            field_name, f"'{phone}' has the wrong number of digits for a phone number of "
            f"+{parsed.country_code}", "invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_ACCOUNT = re.compile(r"^[^\s]{1,100}$")


def identity_of(kind: str, value: str, channel: str | None = None,
                region: str | None = None) -> Identity:
    """An identity as stored: e-mails in lower case, phones in E.164, accounts per channel."""
    try:
        k = IdentityKind(kind)
    except ValueError:
        raise InvalidInput.for_field("kind", f"Unknown identity kind '{kind}' (one of "
                                     f"{', '.join(IdentityKind)})", "unknown_kind") from None
    if k is IdentityKind.ACCOUNT:
        if not channel:
            raise InvalidInput.for_field("channel", "an account identity names its channel",
                                         "missing")
        if not _ACCOUNT.match(value):
            raise InvalidInput.for_field("value", "an account id is 1-100 characters without "
                                         "spaces", "invalid")
        return Identity(k, channel, value)
    if k is IdentityKind.EMAIL:
        email = normalise_email(value)
        if not email or "@" not in email or len(email) > 254:
            raise InvalidInput.for_field("value", f"'{value}' is not an e-mail address",
                                         "invalid_email")
        return Identity(k, "", email)
    return Identity(k, "", normalise_phone(value, region, "value") or "")


def parse_purpose(value: str, field_name: str = "purpose") -> Purpose:
    try:
        return Purpose(value)
    except ValueError:
        raise InvalidInput.for_field(field_name, f"Unknown purpose '{value}' (one of "
                                     f"{', '.join(Purpose)})", "unknown_purpose") from None


def parse_medium(value: str, field_name: str = "medium") -> Medium:
    try:
        return Medium(value)
    except ValueError:
        raise InvalidInput.for_field(field_name, f"Unknown medium '{value}' (one of "
                                     f"{', '.join(Medium)})", "unknown_medium") from None


def current_consent(entries: list[ConsentEntry]) -> dict[tuple[Purpose, Medium], ConsentEntry]:
    """The newest entry per (purpose, medium) of a ledger given oldest first: the ledger is
    append-only, this is its state."""
    state: dict[tuple[Purpose, Medium], ConsentEntry] = {}
    for entry in entries:
        state[(entry.purpose, entry.medium)] = entry
    return state


def allows(state: dict[tuple[Purpose, Medium], ConsentEntry], purpose: Purpose,
           medium: Medium) -> bool:
    """Transactional messages need no opt-in: they are allowed unless the customer objected
    (a withdrawal for that medium). Every other purpose needs a current opt-in."""
    entry = state.get((purpose, medium))
    if purpose is Purpose.TRANSACTIONAL:
        return entry is None or entry.granted
    return entry is not None and entry.granted


def check_merge(survivor: Customer, duplicate: Customer) -> None:
    if survivor.id == duplicate.id:
        raise InvalidInput.for_field("customer_id", "a customer cannot be merged into itself",
                                     "same_customer")
