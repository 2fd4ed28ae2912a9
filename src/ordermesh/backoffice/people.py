"""The people who sign in, as an admin manages them: their roles, and disabling them.

Every change writes its event with the admin as the actor. Nobody changes or disables
their own account here (another admin does), and the last active admin stays an admin,
so the back office can never be locked out of its own user management.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from ordermesh.backoffice.model import User, UserRole
from ordermesh.backoffice.service import user_from_row
from ordermesh.backoffice.tables import backoffice_sessions, backoffice_users
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, NotFound
from ordermesh.kit.outbox import record_event

U = backoffice_users


def list_users(uow: UnitOfWork) -> list[User]:
    """Everyone, active ones first, each group by e-mail."""
    rows = uow.execute(select(U).order_by(U.c.disabled_at.is_not(None), U.c.email)).all()
    return [user_from_row(row) for row in rows]


def locked_user(uow: UnitOfWork, user_id: str, by: User) -> User:
    row = uow.execute(select(U).where(U.c.id == user_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"No back-office user '{user_id}'")
    if row.id == by.id:
        raise Conflict("You cannot change or disable your own account; ask another admin")
    return user_from_row(row)


def _keep_an_admin(uow: UnitOfWork, user: User) -> None:
    """Refuse when ``user`` is the last active admin (the admins are locked first, so two
    admins demoting each other at once cannot both win)."""
    if user.role is not UserRole.ADMIN or user.disabled_at is not None:
        return
    admins = uow.execute(select(U.c.id).where(U.c.role == UserRole.ADMIN.value,
                                              U.c.disabled_at.is_(None))
                         .order_by(U.c.id).with_for_update()).scalars().all()
    if len(admins) <= 1:
        raise Conflict(f"{user.email} is the last active admin: make someone else an admin "
                       "first")


def change_role(uow: UnitOfWork, user_id: str, role: UserRole, by: User) -> User:
    user = locked_user(uow, user_id, by)
    if user.role is role:
        return user
    if role is not UserRole.ADMIN:
        _keep_an_admin(uow, user)
    uow.execute(update(U).where(U.c.id == user.id).values(role=role.value))
    record_event(uow, "user.role_changed", "user", user.id,
                 {"email": user.email, "from_role": user.role.value, "role": role.value})
    uow.commit()
    return User(user.id, user.email, role, user.created_at, user.disabled_at)


def disable_user(uow: UnitOfWork, user_id: str, by: User) -> User:
    """The user cannot sign in any more, and every session they have ends now."""
    user = locked_user(uow, user_id, by)
    if user.disabled_at is not None:
        return user
    _keep_an_admin(uow, user)
    now = uow.clock.now()
    uow.execute(update(U).where(U.c.id == user.id).values(disabled_at=now))
    ended = uow.execute(delete(backoffice_sessions)
                        .where(backoffice_sessions.c.user_id == user.id)).rowcount
    record_event(uow, "user.disabled", "user", user.id,
                 {"email": user.email, "sessions_ended": ended})
    uow.commit()
    return User(user.id, user.email, user.role, user.created_at, now)


def enable_user(uow: UnitOfWork, user_id: str, by: User) -> User:
    user = locked_user(uow, user_id, by)
    if user.disabled_at is None:
        return user
    uow.execute(update(U).where(U.c.id == user.id).values(disabled_at=None))
    record_event(uow, "user.enabled", "user", user.id, {"email": user.email})
    uow.commit()
    return User(user.id, user.email, user.role, user.created_at, None)

