"""Rate limits per API key and per client address answer 429 with Retry-After; an
unknown key costs a database trip once, and an address that tries many is stopped."""

from __future__ import annotations

from sqlalchemy import event

from tests.helpers import ok


def _is_429(response) -> bool:
    return (response.status_code == 429
            and response.headers["content-type"] == "application/problem+json"
            and response.json()["code"] == "rate-limited")


def _new_key(client, name: str, role: str = "operator") -> str:
    return ok(client.post("/api/v1/api-keys", json={"name": name, "role": role}), 201)["key"]


def test_an_api_key_over_its_limit_gets_429_with_retry_after_and_others_do_not(serve):
    client, _ = serve(rate_limit_per_key="4/minute", rate_limit_per_address="")
    other = _new_key(client, "other")  # the admin key's first request

    answers = [client.get("/api/v1/channels") for _ in range(4)]
    others = client.get("/api/v1/channels", headers={"Authorization": f"Bearer {other}"})

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert _is_429(refused), refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Limit"] == "4"
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.json()["limit"] == "key"
    assert "4 per 1 minute" in refused.json()["detail"]
    assert others.status_code == 200


def test_a_refused_request_changes_nothing(serve):
    client, _ = serve(rate_limit_per_key="2/minute", rate_limit_per_address="")
    body = {"code": "web", "name": "Web", "kind": "web", "currency": "EUR"}
    assert client.post("/api/v1/channels", json=body).status_code == 201

    refused = [client.post("/api/v1/channels", json={**body, "code": f"c{i}"})
               for i in range(2)]

    assert refused[0].status_code == 201 and _is_429(refused[1])
    with_other = _fresh_admin_view(serve)
    assert sorted(c["code"] for c in with_other["items"]) == ["c0", "web"]


def _fresh_admin_view(serve) -> dict:
    reader, _ = serve(rate_limit_per_key="", rate_limit_per_address="")
    return ok(reader.get("/api/v1/channels"))


def test_a_client_address_over_its_limit_gets_429_before_any_work_and_health_is_spared(
        serve):
    client, _ = serve(rate_limit_per_key="", rate_limit_per_address="3/minute")

    answers = [client.get("/api/v1/channels", headers={"Authorization": ""})
               for _ in range(3)]
    keyed = client.get("/api/v1/channels")
    health = client.get("/health")

    assert [a.status_code for a in answers] == [401, 401, 401]
    assert _is_429(keyed), keyed.text
    assert keyed.json()["limit"] == "address"
    assert int(keyed.headers["Retry-After"]) >= 1
    assert health.status_code == 200


def test_a_repeated_unknown_key_is_looked_up_once_and_new_ones_are_stopped_per_address(
        serve):
    client, container = serve(rate_limit_per_key="", rate_limit_per_address="",
                              auth_failures_per_address="3/minute")
    viewer = _new_key(client, "viewer", "viewer")  # made before; not yet used
    assert client.get("/api/v1/channels").status_code == 200  # the admin key, now cached
    lookups: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "api_keys" in statement:
            lookups.append(statement)

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        same = [client.get("/api/v1/channels", headers={"Authorization": "Bearer om_wrong"})
                for _ in range(5)]
        assert len(lookups) == 1  # the first time only: then the cache knows it is bad
        others = [client.get("/api/v1/channels",
                             headers={"Authorization": f"Bearer om_guess_{i}"})
                  for i in range(4)]
        assert len(lookups) == 3  # two more lookups, then no more for this address
    finally:
        event.remove(container.engine, "before_cursor_execute", count)

    assert all(a.status_code == 401 for a in same)
    assert same[0].json() == same[-1].json()  # the cached answer is the same answer
    assert [a.status_code for a in others] == [401, 401, 429, 429]
    assert others[-1].json()["limit"] == "auth-failures"
    assert client.get("/api/v1/channels").status_code == 200  # a cached good key still works
    # A good key this process has not seen lately is not looked up from this address
    # either, until the window passes: the price of keeping guesses cheap.
    assert _is_429(client.get("/api/v1/channels",
                              headers={"Authorization": f"Bearer {viewer}"}))


def test_the_default_limits_admit_a_normal_client(serve):
    client, _ = serve()

    answers = [client.get("/api/v1/channels") for _ in range(20)]

    assert all(a.status_code == 200 for a in answers)


def test_every_api_operation_documents_its_429_and_503_with_retry_after(client):
    schema = client.get("/openapi.json").json()

    operations = [(path, method, operation) for path, item in schema["paths"].items()
                  if path.startswith("/api/v1/") for method, operation in item.items()]

    assert len(operations) > 100
    for path, method, operation in operations:
        for status in ("429", "503"):
            answer = operation["responses"].get(status)
            assert answer is not None, f"{method.upper()} {path} lacks {status}"
            assert "Retry-After" in answer["headers"]
