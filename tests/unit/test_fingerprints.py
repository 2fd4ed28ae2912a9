"""Keyed fingerprints of request bodies: stable, keyed, and recognised under every listed
key and in the unkeyed form stored before."""

from __future__ import annotations

from ordermesh.kit.idempotency import Fingerprints, fingerprint

BODY = {"b": [1, 2], "a": "4111 1111 1111 1111"}


def test_a_fingerprint_does_not_depend_on_key_order_but_on_the_secret() -> None:
    one = Fingerprints([b"first-secret"]).key("p", "k", "e", BODY)
    same = Fingerprints([b"first-secret"]).key("p", "k", "e", {"a": BODY["a"], "b": [1, 2]})
    other = Fingerprints([b"other-secret"]).key("p", "k", "e", BODY)

    assert one.fingerprint == same.fingerprint
    assert one.fingerprint != other.fingerprint
    assert one.fingerprint.startswith("h1:") and len(one.fingerprint) == 46


def test_every_listed_secret_and_the_unkeyed_form_are_recognised_and_nothing_else() -> None:
    made_before = Fingerprints([b"old"]).key("p", "k", "e", BODY).fingerprint
    now = Fingerprints([b"new", b"old"]).key("p", "k", "e", BODY)

    assert now.fingerprint != made_before
    assert now.matches(made_before)
    assert now.matches(fingerprint(BODY))
    assert not now.matches(Fingerprints([b"stranger"]).key("p", "k", "e", BODY).fingerprint)
    assert not now.matches(fingerprint({**BODY, "a": "4111 1111 1111 1112"}))


def test_without_any_secret_the_fingerprint_is_the_unkeyed_hash() -> None:
    unkeyed = Fingerprints.from_secrets(None, None).key("p", "k", "e", BODY)

    assert unkeyed.fingerprint == fingerprint(BODY)


def test_secrets_keys_derive_one_hmac_key_each_in_their_order() -> None:
    derived = Fingerprints.from_secrets(None, "fernet-one, fernet-two")
    own = Fingerprints.from_secrets("mine-0123456789abcdef0123456789ab", "fernet-one")

    assert len(derived.keys) == 2 and b"fernet-one" not in derived.keys
    assert own.keys == [b"mine-0123456789abcdef0123456789ab"]
