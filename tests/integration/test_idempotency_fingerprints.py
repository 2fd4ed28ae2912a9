"""The fingerprint stored with an Idempotency-Key is an HMAC under a server secret, not a
bare hash of the body; keys stored before, and under a secret being rotated out, still
replay."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import select

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.idempotency import Fingerprints, idempotency_keys
from tests.helpers import ok

SECRET = "idempotency-secret-0123456789abcdef"
OLD_SECRET = "the-old-idempotency-secret-0123456789"
CHANNEL = {"code": "web", "name": "Web", "kind": "web", "currency": "EUR"}
KEY = {"Idempotency-Key": "create-web-1"}


def _stored(container) -> str:
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return uow.execute(select(idempotency_keys.c.fingerprint)).scalar_one()


def test_the_stored_fingerprint_is_keyed_and_a_retry_still_gets_the_first_answer(serve):
    client, container = serve(idempotency_secrets=SECRET)

    first = ok(client.post("/api/v1/channels", json=CHANNEL, headers=KEY), 201)
    again = ok(client.post("/api/v1/channels", json=CHANNEL, headers=KEY), 201)
    other = client.post("/api/v1/channels", json={**CHANNEL, "name": "Other"}, headers=KEY)

    stored = _stored(container)
    assert stored.startswith("h1:") and len(stored) <= 64  # fits the column as it is
    assert again["id"] == first["id"]
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency-key-reused"


def test_a_key_stored_before_fingerprints_were_keyed_still_replays(serve):
    before, _ = serve()  # no secret at all: the unkeyed SHA-256 of earlier releases
    first = ok(before.post("/api/v1/channels", json=CHANNEL, headers=KEY), 201)
    after, container = serve(idempotency_secrets=SECRET)

    again = ok(after.post("/api/v1/channels", json=CHANNEL, headers=KEY), 201)

    unkeyed = _stored(container)
    assert len(unkeyed) == 64 and int(unkeyed, 16) >= 0  # the bare SHA-256, in hex
    assert again["id"] == first["id"]
    assert after.post("/api/v1/channels", json={**CHANNEL, "name": "Other"},
                      headers=KEY).status_code == 422


def test_a_key_stored_under_a_secret_being_rotated_out_replays_while_it_is_listed(serve):
    old, _ = serve(idempotency_secrets=OLD_SECRET)
    first = ok(old.post("/api/v1/channels", json=CHANNEL, headers=KEY), 201)
    rotating, _ = serve(idempotency_secrets=f"{SECRET},{OLD_SECRET}")
    rotated, _ = serve(idempotency_secrets=SECRET)

    during = rotating.post("/api/v1/channels", json=CHANNEL, headers=KEY)
    after = rotated.post("/api/v1/channels", json=CHANNEL, headers=KEY)

    assert ok(during, 201)["id"] == first["id"]
    assert after.status_code == 422  # the old secret gone: the body cannot be recognised


def test_without_their_own_secret_fingerprints_are_keyed_by_the_secret_keys(serve):
    client, container = serve(secret_keys=Fernet.generate_key().decode())

    ok(client.post("/api/v1/channels", json=CHANNEL, headers=KEY), 201)

    stored = _stored(container)
    assert stored.startswith("h1:")
    assert stored != Fingerprints([SECRET.encode()]).key("p", "k", "e", CHANNEL).fingerprint
