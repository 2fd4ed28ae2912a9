"""Back-office users: create them, sign them in (throttled), and keep their sessions.

Passwords are hashed with Argon2id (argon2-cffi). A session is a random token in an
HttpOnly cookie; the database keeps only its SHA-256, its expiry and the session's CSRF
token, so any number of server processes share sessions and signing out ends one
everywhere.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select

from ordermesh.backoffice.model import (
    FAILURE_WINDOW,
    MAX_FAILURES,
    MAX_PASSWORD,
    MIN_PASSWORD,
    SESSION_LIFETIME,
    Session,
    User,
    UserRole,
    normalise_email,
)
from ordermesh.backoffice.tables import (
    backoffice_login_failures,
    backoffice_sessions,
    backoffice_user_scopes,
    backoffice_users,
)
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, DomainError, InvalidInput, Unauthenticated
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a wrong e-mail costs as much time
    as a wrong password and the answer's timing says nothing either. Made at the first
    sign-in, not at import: hashing takes a worker's start a few hundred milliseconds."""
    return _hasher.hash("no-such-user-password")


SIGN_IN_FAILED = "The e-mail or the password is wrong"


class TooManyAttempts(DomainError):
    code = "too-many-attempts"
    title = "Too many failed sign-ins"


def user_from_row(row) -> User:
    return User(row.id, row.email, UserRole(row.role), as_utc(row.created_at),
                as_utc(row.disabled_at) if row.disabled_at else None,
                bool(row.must_change_password))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, field: str = "password") -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput.for_field(
            field, f"the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def create_user(uow: UnitOfWork, email: str, password: str, role: UserRole) -> User:
    user = add_user(uow, email, password, role)
    uow.commit()
    return user


def add_user(uow: UnitOfWork, email: str, password: str, role: UserRole) -> User:
    """A new user and its ``user.created`` event; does not commit."""
    email = normalise_email(email)
    if not 3 <= len(email) <= 254 or "@" not in email.strip("@"):
        raise InvalidInput.for_field("email", "the e-mail must be an e-mail address")
    check_new_password(password)
    if uow.execute(select(backoffice_users.c.id)
                   .where(backoffice_users.c.email == email)).first():
        raise Conflict(f"A user with the e-mail '{email}' already exists")
    user = User(new_id("usr"), email, role, uow.clock.now())
    uow.execute(insert(backoffice_users).values(
        id=user.id, email=email, password_hash=_hasher.hash(password), role=role.value,
        created_at=user.created_at))
    record_event(uow, "user.created", "user", user.id, {"email": email, "role": role.value})
    return user


def find_user(uow: UnitOfWork, email: str) -> User | None:
    row = uow.execute(select(backoffice_users)
                      .where(backoffice_users.c.email == normalise_email(email))).first()
    return user_from_row(row) if row else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(uow: UnitOfWork, email: str, password: str) -> tuple[Session, str]:
    """A new session and its token (for the cookie), or ``Unauthenticated`` with the same
    message whether the e-mail is unknown or the password wrong; ``TooManyAttempts``
    after ``MAX_FAILURES`` failures for the e-mail within ``FAILURE_WINDOW``. A failure
    is recorded and committed; nothing else changes."""
    email = normalise_email(email)[:254]
    now = uow.clock.now()
    since = now - FAILURE_WINDOW
    failures = uow.execute(
        select(func.count()).select_from(backoffice_login_failures)
        .where(backoffice_login_failures.c.email == email,
               backoffice_login_failures.c.failed_at > since)).scalar_one()
    if failures >= MAX_FAILURES:
        raise TooManyAttempts(
            "Too many failed sign-ins for this e-mail; try again in "
            f"{int(FAILURE_WINDOW.total_seconds() // 60)} minutes")
    row = uow.execute(select(backoffice_users)
                      .where(backoffice_users.c.email == email)).first()
    try:
        _hasher.verify(row.password_hash if row else _dummy_hash(), password[:MAX_PASSWORD])
        ok = row is not None and row.disabled_at is None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        uow.execute(insert(backoffice_login_failures).values(
            id=new_id("lgf"), email=email, failed_at=now))
        uow.commit()
        raise Unauthenticated(SIGN_IN_FAILED)
    uow.execute(delete(backoffice_login_failures)
                .where(backoffice_login_failures.c.email == email))
    uow.execute(delete(backoffice_sessions).where(backoffice_sessions.c.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session = Session(_token_hash(token), user_from_row(row), secrets.token_urlsafe(32),
                      now + SESSION_LIFETIME)
    uow.execute(insert(backoffice_sessions).values(
        token_hash=session.id, user_id=row.id, csrf_token=session.csrf_token,
        created_at=now, expires_at=session.expires_at))
    uow.commit()
    return session, token


def session_for(uow: UnitOfWork, token: str) -> Session | None:
    """The live session of a cookie's token; ``None`` when unknown or expired."""
    if not token:
        return None
    row = uow.execute(
        select(backoffice_sessions, backoffice_users.c.email, backoffice_users.c.role,
               backoffice_users.c.created_at.label("user_created_at"),
               backoffice_users.c.must_change_password)
        .join(backoffice_users, backoffice_users.c.id == backoffice_sessions.c.user_id)
        .where(backoffice_sessions.c.token_hash == _token_hash(token),
               backoffice_users.c.disabled_at.is_(None))).first()
    if row is None or as_utc(row.expires_at) <= uow.clock.now():
        return None
    locations, channels = scopes_of(uow, row.user_id)
    user = User(row.user_id, row.email, UserRole(row.role), as_utc(row.user_created_at),
                None, bool(row.must_change_password), locations, channels)
    return Session(row.token_hash, user, row.csrf_token, as_utc(row.expires_at))


def scopes_of(uow: UnitOfWork, user_id: str) -> tuple[frozenset[str], frozenset[str]]:
    """The ids of the locations and of the channels ``user_id`` is limited to."""
    s = backoffice_user_scopes.c
    rows = uow.execute(select(s.kind, s.ref_id).where(s.user_id == user_id)).all()
    return (frozenset(r.ref_id for r in rows if r.kind == "location"),
            frozenset(r.ref_id for r in rows if r.kind == "channel"))


def sign_out(uow: UnitOfWork, token: str) -> None:
    uow.execute(delete(backoffice_sessions)
                .where(backoffice_sessions.c.token_hash == _token_hash(token)))
    uow.commit()


def csrf_matches(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf_token.encode(), sent.encode())
