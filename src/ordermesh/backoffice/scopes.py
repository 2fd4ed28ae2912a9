"""The locations and channels a back-office user is limited to.

A user limited to locations sees only those locations' stock, fulfilment orders, pack
station queue, and orders with units reserved or fulfilment orders there; limited to
channels, only those channels' orders. No location (or no channel) means all of them.
Scopes narrow what a role sees; they never add a permission. An admin sets them
(``user.scope_changed``, with the admin as actor); the CLI sets them when creating a user.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, insert, select

from ordermesh.backoffice.model import User, UserRole
from ordermesh.backoffice.people import locked_user
from ordermesh.backoffice.service import add_user
from ordermesh.backoffice.tables import backoffice_user_scopes
from ordermesh.channels.tables import channels
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.outbox import record_event
from ordermesh.locations.tables import locations

S = backoffice_user_scopes
MAX_SCOPE = 200


def _ids_of(uow: UnitOfWork, table, codes: Iterable[str], field: str) -> dict[str, str]:
    """``{code: id}`` of each code, refused when one is unknown."""
    wanted = sorted({c.strip() for c in codes if c.strip()})
    if len(wanted) > MAX_SCOPE:
        raise InvalidInput.for_field(field, f"at most {MAX_SCOPE} {field}s")
    found = dict(uow.execute(select(table.c.code, table.c.id)
                             .where(table.c.code.in_(wanted))).all()) if wanted else {}
    if unknown := [c for c in wanted if c not in found]:
        raise InvalidInput.for_field(field, f"no {field} '{unknown[0][:40]}'")
    return found


def store_scope(uow: UnitOfWork, user_id: str, location_codes: Iterable[str],
                channel_codes: Iterable[str]) -> tuple[list[str], list[str]]:
    """Replace the user's scope; the codes as stored, sorted. Does not commit."""
    locs = _ids_of(uow, locations, location_codes, "location")
    chans = _ids_of(uow, channels, channel_codes, "channel")
    uow.execute(delete(S).where(S.c.user_id == user_id))
    rows = ([{"user_id": user_id, "kind": "location", "ref_id": i} for i in locs.values()]
            + [{"user_id": user_id, "kind": "channel", "ref_id": i} for i in chans.values()])
    if rows:
        uow.execute(insert(S), rows)
    return sorted(locs), sorted(chans)


def scope_codes(uow: UnitOfWork, user_id: str) -> tuple[list[str], list[str]]:
    """The codes of the user's locations and channels, sorted."""
    locs = uow.execute(select(locations.c.code).join(S, S.c.ref_id == locations.c.id)
                       .where(S.c.user_id == user_id, S.c.kind == "location")
                       .order_by(locations.c.code)).scalars().all()
    chans = uow.execute(select(channels.c.code).join(S, S.c.ref_id == channels.c.id)
                        .where(S.c.user_id == user_id, S.c.kind == "channel")
                        .order_by(channels.c.code)).scalars().all()
    return list(locs), list(chans)


def set_scope(uow: UnitOfWork, user_id: str, location_codes: Iterable[str],
              channel_codes: Iterable[str], by: User) -> tuple[list[str], list[str]]:
    """An admin limits a person to these locations and channels (none: all). Commits."""
    user = locked_user(uow, user_id, by)
    before = scope_codes(uow, user.id)
    after = store_scope(uow, user.id, location_codes, channel_codes)
    if after != before:
        record_event(uow, "user.scope_changed", "user", user.id,
                     {"email": user.email, "locations": after[0], "channels": after[1]})
    uow.commit()
    return after


def create_scoped_user(uow: UnitOfWork, email: str, password: str, role: UserRole,
                       location_codes: Iterable[str], channel_codes: Iterable[str]) -> User:
    """``ordermesh user create --location X --channel Y``: the user and their scope in
    one transaction (an unknown code creates nothing). Commits."""
    user = add_user(uow, email, password, role)
    locs, chans = store_scope(uow, user.id, location_codes, channel_codes)
    if locs or chans:
        record_event(uow, "user.scope_changed", "user", user.id,
                     {"email": user.email, "locations": locs, "channels": chans})
    uow.commit()
    return user
