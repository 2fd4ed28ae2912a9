"""Passwords after the first: a person changes their own, an admin sets a temporary one or
forces a reset, and a reset link (``password_resets``) sets a new one.

Whatever sets a password makes every open reset link void and ends the person's other
sessions (all of them, except the one changing its own password), so a password that
leaked stops working everywhere at once. Each change writes its event; the password and
its hash are never in one.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, insert, select, update

from ordermesh.backoffice.model import FAILURE_WINDOW, MAX_FAILURES, User
from ordermesh.backoffice.people import locked_user
from ordermesh.backoffice.service import (
    TooManyAttempts,
    check_new_password,
    hash_password,
    password_matches,
)
from ordermesh.backoffice.tables import (
    backoffice_login_failures,
    backoffice_password_resets,
    backoffice_sessions,
    backoffice_users,
)
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event

U = backoffice_users


def store_password(uow: UnitOfWork, user_id: str, password_hash: str, *,
                   must_change: bool, keep_session: str | None = None) -> int:
    """The user's new password hash; their open reset links void; their sessions ended
    (but ``keep_session``). Returns how many sessions ended. Does not commit."""
    now = uow.clock.now()
    uow.execute(update(U).where(U.c.id == user_id).values(
        password_hash=password_hash, must_change_password=must_change))
    r = backoffice_password_resets.c
    uow.execute(update(backoffice_password_resets)
                .where(r.user_id == user_id, r.used_at.is_(None)).values(used_at=now))
    sessions = delete(backoffice_sessions).where(backoffice_sessions.c.user_id == user_id)
    if keep_session is not None:
        sessions = sessions.where(backoffice_sessions.c.token_hash != keep_session)
    return uow.execute(sessions).rowcount


def change_own_password(uow: UnitOfWork, user: User, session_id: str, current: str,
                        new: str) -> int:
    """The signed-in person's new password, their current one checked (a wrong one counts
    as a failed sign-in, and is refused like one after too many); their other sessions
    end. Returns how many ended; commits."""
    now = uow.clock.now()
    f = backoffice_login_failures.c
    failures = uow.execute(select(func.count()).select_from(backoffice_login_failures)
                           .where(f.email == user.email,
                                  f.failed_at > now - FAILURE_WINDOW)).scalar_one()
    if failures >= MAX_FAILURES:
        raise TooManyAttempts("Too many wrong passwords for this account; try again in "
                              f"{int(FAILURE_WINDOW.total_seconds() // 60)} minutes")
    row = uow.execute(select(U.c.password_hash, U.c.must_change_password)
                      .where(U.c.id == user.id).with_for_update()).first()
    if row is None:
        raise NotFound("Your account no longer exists")
    if not password_matches(row.password_hash, current):
        uow.execute(insert(backoffice_login_failures).values(
            id=new_id("lgf"), email=user.email, failed_at=now))
        uow.commit()
        raise InvalidInput.for_field("current_password", "the current password is wrong")
    check_new_password(new, "new_password")
    if new == current:
        raise InvalidInput.for_field("new_password",
                                     "the new password must differ from the current one")
    ended = store_password(uow, user.id, hash_password(new), must_change=False,
                           keep_session=session_id)
    record_event(uow, "user.password_changed", "user", user.id,
                 {"email": user.email, "sessions_ended": ended})
    uow.commit()
    return ended


def set_temporary_password(uow: UnitOfWork, user_id: str, password: str, by: User) -> User:
    """An admin gives a person a password to hand over; the person's sessions end and
    their first page after signing in with it asks them for a new one. Commits."""
    check_new_password(password, "temporary_password")
    user = locked_user(uow, user_id, by)
    if user.disabled_at is not None:
        raise Conflict(f"{user.email} is disabled: enable them first")
    ended = store_password(uow, user.id, hash_password(password), must_change=True)
    uow.execute(delete(backoffice_login_failures)
                .where(backoffice_login_failures.c.email == user.email))
    record_event(uow, "user.temporary_password_set", "user", user.id,
                 {"email": user.email, "sessions_ended": ended})
    uow.commit()
    return user


def unusable_password_hash() -> str:
    """A hash of a random secret nobody knows: the password it replaces stops working,
    and checking it costs as much as any other (nothing to tell by the answer's time)."""
    return hash_password(secrets.token_urlsafe(32))
