"""Secrets at rest: sealed with Fernet keys from the environment, readable during rotation.

``ORDERMESH_SECRET_KEYS`` holds one or more Fernet keys, comma-separated, newest first:
the first seals, every one of them opens (``MultiFernet``), so a new key is put in front,
``ordermesh secrets rotate`` re-seals what is stored, and the old key is then dropped.
A sealed value is stored as ``enc:v1:<Fernet token>``; a value without that prefix was
stored before encryption (or without a key) and is read as it is, so old rows stay
readable and are sealed the next time they are written or rotated.

The keyring belongs to an engine (as SQLite's write lock in ``kit.db`` does): the
composition root attaches it, and every unit of work on that engine finds it.
"""

from __future__ import annotations

import weakref

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine

PREFIX = "enc:v1:"


class SecretUnreadable(RuntimeError):
    """A sealed value none of the configured keys opens (a key dropped too early, or
    no key configured at all). A deployment error, not a request's: answered 500."""


class Keyring:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one Fernet key")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
        except ValueError as exc:  # not 32 url-safe base64-encoded bytes
            raise ValueError("ORDERMESH_SECRET_KEYS must be Fernet keys (32 url-safe "
                             "base64-encoded bytes each, comma-separated)") from exc

    @classmethod
    def from_setting(cls, value: str | None) -> Keyring | None:
        keys = [k for k in (value or "").split(",") if k.strip()]
        return cls(keys) if keys else None

    def seal(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable("A stored secret cannot be opened with any key of "
                                   "ORDERMESH_SECRET_KEYS") from exc

    def reseal(self, stored: str) -> str:
        """Sealed with the newest key (a plain value is sealed for the first time)."""
        if not is_sealed(stored):
            return self.seal(stored)
        try:
            return PREFIX + self._fernet.rotate(stored[len(PREFIX):].encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable("A stored secret cannot be opened with any key of "
                                   "ORDERMESH_SECRET_KEYS") from exc


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


_keyrings: weakref.WeakKeyDictionary[Engine, Keyring] = weakref.WeakKeyDictionary()


def attach(engine: Engine, keyring: Keyring | None) -> None:
    if keyring is None:
        _keyrings.pop(engine, None)
    else:
        _keyrings[engine] = keyring


def keyring_of(engine: Engine) -> Keyring | None:
    return _keyrings.get(engine)


def seal(engine: Engine, plain: str) -> str:
    """``plain`` sealed with the engine's keyring; as it is when none is configured."""
    keyring = _keyrings.get(engine)
    return keyring.seal(plain) if keyring is not None else plain


def open_secret(engine: Engine, stored: str) -> str:
    keyring = _keyrings.get(engine)
    if keyring is not None:
        return keyring.open(stored)
    if is_sealed(stored):
        raise SecretUnreadable("A stored secret is sealed but ORDERMESH_SECRET_KEYS is not set")
    return stored
