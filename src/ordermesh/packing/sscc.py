"""GS1 SSCC-18: numbering of logistic units (packages).

An SSCC is 18 digits: an extension digit (0-9, the owner's choice), the GS1 company
prefix (7 to 10 digits, allocated by GS1), a serial reference filling the rest, and a
check digit by the GS1 mod-10 algorithm (python-stdnum's ``ean.calc_check_digit``: the
same weights 3,1,3,... from the right as EAN-13, for any length).

Serials come from a counter per (company prefix, extension digit), taken with a
conditional ``UPDATE ... WHERE next_serial + n <= last_serial + 1`` inside the packing
transaction: concurrent packers get distinct serials (the row is locked until commit), a
rolled-back packing gives its serials back, and a committed serial is never reused, also
not after the prefix is changed and changed back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from stdnum import ean

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning, upsert
from ordermesh.packing.tables import sscc_counters, sscc_settings

SETTINGS_ID = "default"
FIRST_SERIAL = 1  # serial 0 is valid too; starting at 1 reads better on the first labels


def check_digit(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("an SSCC without its check digit is 17 digits")
    return ean.calc_check_digit(first17)


def is_valid(sscc: str) -> bool:
    return (isinstance(sscc, str) and len(sscc) == 18 and sscc.isdigit()
            and check_digit(sscc[:17]) == sscc[17])


def serial_digits(company_prefix: str) -> int:
    return 16 - len(company_prefix)


def last_serial(company_prefix: str) -> int:
    return 10 ** serial_digits(company_prefix) - 1


def make_sscc(extension_digit: int, company_prefix: str, serial: int) -> str:
    if not 0 <= extension_digit <= 9:
        raise ValueError("the extension digit is 0 to 9")
    if not (7 <= len(company_prefix) <= 10 and company_prefix.isdigit()):
        raise ValueError("a GS1 company prefix is 7 to 10 digits")
    if not 0 <= serial <= last_serial(company_prefix):
        raise ValueError(f"serial {serial} does not fit {serial_digits(company_prefix)} digits")
    body = f"{extension_digit}{company_prefix}{serial:0{serial_digits(company_prefix)}d}"
    return body + check_digit(body)


def human_readable(sscc: str) -> str:
    """``(00) 354123450000000014`` as printed under a GS1-128 barcode."""
    return f"(00) {sscc}"


def gs1_element(sscc: str) -> str:
    """The element string the barcode encodes: AI 00 and the 18 digits."""
    return "00" + sscc


@dataclass(frozen=True)
class SsccSettings:
    extension_digit: int
    company_prefix: str
    next_serial: int
    last_serial: int
    updated_at: datetime | None

    @property
    def remaining(self) -> int:
        return self.last_serial + 1 - self.next_serial


def get_settings(uow: UnitOfWork) -> SsccSettings:
    row = uow.execute(select(sscc_settings).where(sscc_settings.c.id == SETTINGS_ID)).first()
    if row is None:
        raise NotFound("SSCC numbering is not set up: PUT /api/v1/sscc-settings with the "
                       "GS1 company prefix")
    counter = uow.execute(select(sscc_counters).where(
        sscc_counters.c.company_prefix == row.company_prefix,
        sscc_counters.c.extension_digit == row.extension_digit)).one()
    return SsccSettings(row.extension_digit, row.company_prefix, counter.next_serial,
                        counter.last_serial, as_utc(row.updated_at))


def put_settings(uow: UnitOfWork, extension_digit: int, company_prefix: str,
                 next_serial: int | None = None, serial_limit: int | None = None
                 ) -> SsccSettings:
    """Set the prefix and extension digit new SSCCs use. ``next_serial`` may only move a
    counter forward (serials are never reused); ``serial_limit`` caps the range (e.g. a
    block of serials reserved for this system). Commits."""
    if not (7 <= len(company_prefix) <= 10 and company_prefix.isdigit()):
        raise InvalidInput.for_field("company_prefix", "a GS1 company prefix is 7 to 10 digits")
    top = last_serial(company_prefix)
    limit = top if serial_limit is None else serial_limit
    if not 0 <= limit <= top:
        raise InvalidInput.for_field(
            "serial_limit", f"with a {len(company_prefix)}-digit prefix serials have "
            f"{serial_digits(company_prefix)} digits: at most {top}")
    if next_serial is not None and not 0 <= next_serial <= limit + 1:
        raise InvalidInput.for_field("next_serial", f"must be between 0 and {limit + 1}")
    key = (sscc_counters.c.company_prefix == company_prefix,
           sscc_counters.c.extension_digit == extension_digit)
    inserted = insert_ignore_returning(
        uow, sscc_counters, ("company_prefix", "extension_digit"), "next_serial",
        {"company_prefix": company_prefix, "extension_digit": extension_digit,
         "next_serial": FIRST_SERIAL if next_serial is None else next_serial,
         "last_serial": limit})
    if inserted is None:
        current = uow.execute(select(sscc_counters.c.next_serial).where(*key)
                              .with_for_update()).scalar_one()
        if next_serial is not None and next_serial < current:
            raise Conflict(f"Serials below {current} may already be in use with this prefix "
                           "and extension digit: the counter only moves forward",
                           extra={"next_serial": current})
        if limit + 1 < max(current, next_serial or 0):
            raise Conflict(f"serial_limit {limit} is below serials already handed out "
                           f"(next is {current})", extra={"next_serial": current})
        uow.execute(update(sscc_counters).where(*key).values(
            next_serial=max(current, next_serial or 0), last_serial=limit))
    now = uow.clock.now()
    uow.execute(upsert(uow, sscc_settings, ["id"], {
        "id": SETTINGS_ID, "extension_digit": extension_digit,
        "company_prefix": company_prefix, "updated_at": now},
        ["extension_digit", "company_prefix", "updated_at"]))
    settings = get_settings(uow)
    record_event(uow, "packing.sscc_settings_changed", "sscc_settings", SETTINGS_ID, {
        "extension_digit": extension_digit, "company_prefix": company_prefix,
        "next_serial": settings.next_serial, "last_serial": settings.last_serial})
    uow.commit()
    return settings


def allocate(uow: UnitOfWork, count: int) -> list[str]:
    """``count`` new SSCCs, inside the caller's transaction (no commit). A range without
    ``count`` serials left is a Conflict, and nothing is taken; so is numbering that was
    never set up."""
    try:
        settings = get_settings(uow)
    except NotFound as exc:
        raise Conflict(exc.detail) from None
    c = sscc_counters.c
    taken = uow.execute(
        update(sscc_counters)
        .where(c.company_prefix == settings.company_prefix,
               c.extension_digit == settings.extension_digit,
               c.next_serial + count <= c.last_serial + 1)
        .values(next_serial=c.next_serial + count)
        .returning(c.next_serial)).first()
    if taken is None:
        left = get_settings(uow).remaining
        raise Conflict(
            f"The SSCC serial range of prefix {settings.company_prefix} (extension digit "
            f"{settings.extension_digit}) is exhausted: {left} serial(s) left, {count} "
            "needed. Set a new extension digit or company prefix in /api/v1/sscc-settings",
            extra={"remaining": left, "needed": count})
    first = taken.next_serial - count
    return [make_sscc(settings.extension_digit, settings.company_prefix, serial)
            for serial in range(first, first + count)]
