"""Password reset links: asked for on "Forgot your password?" or forced by an admin, used
once to set a new password.

A request is recorded first (``backoffice_password_resets``: who, when, from where, the
SHA-256 of a random token, its expiry) and committed; the e-mail carrying the token goes
out after that, outside any transaction (``reset_mail``), and its outcome is recorded in
a new one. The token itself is never stored: a link lost with a crashed process before its
e-mail went out is asked for again. An unknown or disabled e-mail is recorded too (for
throttling) but gets no token and no e-mail, and the person asking sees the same answer.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update

from ordermesh.backoffice.model import (
    MAX_RESETS_PER_ADDRESS,
    MAX_RESETS_PER_EMAIL,
    RESET_LIFETIME,
    RESET_WINDOW,
    User,
    normalise_email,
)
from ordermesh.backoffice.passwords import store_password, unusable_password_hash
from ordermesh.backoffice.people import locked_user
from ordermesh.backoffice.service import check_new_password, hash_password, user_from_row
from ordermesh.backoffice.tables import (
    backoffice_login_failures,
    backoffice_password_resets,
    backoffice_users,
)
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, DomainError
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event

R = backoffice_password_resets
MAX_MAIL_ERROR = 300


class TooManyResetRequests(DomainError):
    code = "too-many-reset-requests"
    title = "Too many password reset requests"


class ResetLinkInvalid(DomainError):
    code = "reset-link-invalid"
    title = "This link does not work any more"


LINK_INVALID = ("This password reset link does not work any more: it was used already, "
                "it expired (a link works for 30 minutes), a newer password replaced it, or "
                "it was mistyped. Ask for a new one.")


@dataclass(frozen=True)
class ResetMail:
    """What the e-mail needs, after the request committed; the token only lives here."""

    reset_id: str
    email: str
    token: str
    requested_at: datetime
    expires_at: datetime
    forced: bool


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _throttle(uow: UnitOfWork, email: str, client_address: str | None) -> None:
    since = uow.clock.now() - RESET_WINDOW
    by_email = uow.execute(select(func.count()).select_from(R).where(
        R.c.email == email, R.c.requested_at > since)).scalar_one()
    by_address = uow.execute(select(func.count()).select_from(R).where(
        R.c.client_address == client_address, R.c.requested_at > since)
    ).scalar_one() if client_address else 0
    if by_email >= MAX_RESETS_PER_EMAIL or by_address >= MAX_RESETS_PER_ADDRESS:
        raise TooManyResetRequests(
            "Too many password reset requests for this e-mail or from this address; try "
            f"again in {int(RESET_WINDOW.total_seconds() // 60)} minutes. A link already "
            "sent still works.")


def _new_link(uow: UnitOfWork, user: User, requested_by: str, client_address: str | None,
              forced: bool) -> ResetMail:
    now = uow.clock.now()
    token = secrets.token_urlsafe(32)
    mail = ResetMail(new_id("pwr"), user.email, token, now, now + RESET_LIFETIME, forced)
    uow.execute(insert(R).values(
        id=mail.reset_id, email=user.email, user_id=user.id, token_hash=token_hash(token),
        requested_by=requested_by[:260], client_address=client_address,
        requested_at=now, expires_at=mail.expires_at, mail_status="queued"))
    return mail


def request_reset(uow: UnitOfWork, email: str, client_address: str | None
                  ) -> ResetMail | None:
    """"Forgot your password?": a link for an active user's e-mail, ``None`` (and no
    event) for any other; both recorded and throttled alike. Commits."""
    email = normalise_email(email)[:254]
    client_address = client_address[:64] if client_address else None
    _throttle(uow, email, client_address)
    row = uow.execute(select(backoffice_users)
                      .where(backoffice_users.c.email == email)).first()
    if row is None or row.disabled_at is not None:
        now = uow.clock.now()
        uow.execute(insert(R).values(
            id=new_id("pwr"), email=email, user_id=None, token_hash=None,
            requested_by="anonymous", client_address=client_address, requested_at=now,
            expires_at=now, mail_status="none"))
        uow.commit()
        return None
    user = user_from_row(row)
    mail = _new_link(uow, user, "anonymous", client_address, forced=False)
    record_event(uow, "user.password_reset_requested", "user", user.id,
                 {"email": user.email, "forced": False, "sessions_ended": 0,
                  "expires_at": mail.expires_at.isoformat()})
    uow.commit()
    return mail


def force_reset(uow: UnitOfWork, user_id: str, by: User) -> ResetMail:
    """An admin makes a person choose a new password: the current one stops working at
    once, every session of theirs ends, and a reset link goes to their e-mail. Commits."""
    user = locked_user(uow, user_id, by)
    if user.disabled_at is not None:
        raise Conflict(f"{user.email} is disabled: enable them first")
    ended = store_password(uow, user.id, unusable_password_hash(), must_change=False)
    mail = _new_link(uow, user, by.actor, None, forced=True)
    record_event(uow, "user.password_reset_requested", "user", user.id,
                 {"email": user.email, "forced": True, "sessions_ended": ended,
                  "expires_at": mail.expires_at.isoformat()})
    uow.commit()
    return mail


def link_user(uow: UnitOfWork, token: str) -> tuple[str, User]:
    """The open reset request of ``token`` and its user; ``ResetLinkInvalid`` otherwise."""
    row = uow.execute(select(R.c.id, R.c.used_at, R.c.expires_at, R.c.user_id)
                      .where(R.c.token_hash == token_hash(token[:200]))
                      .with_for_update()).first() if token else None
    if row is None or row.used_at is not None or row.user_id is None \
            or as_utc(row.expires_at) <= uow.clock.now():
        raise ResetLinkInvalid(LINK_INVALID)
    user = uow.execute(select(backoffice_users)
                       .where(backoffice_users.c.id == row.user_id)).first()
    if user is None or user.disabled_at is not None:
        raise ResetLinkInvalid(LINK_INVALID)
    return row.id, user_from_row(user)


def reset_password(uow: UnitOfWork, token: str, new_password: str) -> User:
    """The new password of the link's user: the link and any other open link of theirs
    become void, every session of theirs ends, failed sign-ins are forgotten. Acts as
    the person (``user:<e-mail>``). Commits."""
    _reset_id, user = link_user(uow, token)
    check_new_password(new_password, "new_password")
    ended = store_password(uow, user.id, hash_password(new_password), must_change=False)
    uow.execute(delete(backoffice_login_failures)
                .where(backoffice_login_failures.c.email == user.email))
    uow.actor = user.actor
    record_event(uow, "user.password_reset", "user", user.id,
                 {"email": user.email, "sessions_ended": ended})
    uow.commit()
    return user


def record_mail(uow: UnitOfWork, reset_id: str, attempts: int, error: str | None) -> None:
    """What became of a reset link's e-mail; commits."""
    uow.execute(update(R).where(R.c.id == reset_id).values(
        mail_status="sent" if error is None else "failed", mail_attempts=attempts,
        mail_error=error[:MAX_MAIL_ERROR] if error else None))
    uow.commit()
