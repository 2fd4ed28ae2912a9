"""Every operation admits exactly the callers its entry in http/access_table.py names.

One walk per database calls every operation of the OpenAPI document (and the routes kept
out of it) with no key, a bad key and a key of each role, and compares what came back
with the roles table of docs/api-conventions.md, the contract users read. That table must
also equal ``ACCESS``, which the server enforces: since the code table decides access, a
role changed there alone would pass a walk that took its expectations from it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import create_engine

from ordermesh.apikeys.model import Role
from ordermesh.app import create_app
from ordermesh.http.access import ACCESS, TABLE_FILE, Access, AccessTableError
from ordermesh.http.deps import Container
from ordermesh.kit.clock import FixedClock
from ordermesh.settings import Settings
from tests.conftest import ADMIN_KEY, START

DOCS_PAGE = Path(__file__).parents[2] / "docs" / "api-conventions.md"
METHODS = {"get", "post", "put", "patch", "delete"}
DENIED = {401, 403}
MARKERS = ("<!-- access-table:start -->\n", "\n<!-- access-table:end -->")


def _fill(path: str, parameters: list[dict]) -> str:
    """The path with a plausible value in each parameter: a number where it takes one."""
    types = {p["name"]: p.get("schema", {}).get("type") for p in parameters
             if p.get("in") == "path"}
    return re.sub(r"\{(\w+)(:\w+)?\}",
                  lambda m: "1" if types.get(m[1]) == "integer" else f"no-such-{m[1]}", path)


def _operations(client: TestClient) -> list[tuple[str, str, dict | None]]:
    """(operation, url, its OpenAPI entry) for every operation in the OpenAPI document,
    then for the routes the table names that the document leaves out (the docs)."""
    schema = client.get("/openapi.json").json()
    found = [(f"{method.upper()} {path}", _fill(path, entry.get("parameters", [])), entry)
             for path, item in schema["paths"].items()
             for method, entry in item.items() if method in METHODS]
    in_schema = {operation for operation, _, _ in found}
    return found + [(operation, _fill(operation.split(" ", 1)[1], []), None)
                    for operation in ACCESS if operation not in in_schema]


def _documented() -> dict[str, Access]:
    """The roles table of the API conventions page, as operation -> Access."""
    page = DOCS_PAGE.read_text()
    assert MARKERS[0] in page and MARKERS[1] in page, f"{DOCS_PAGE} lost its table markers"
    table = page[page.index(MARKERS[0]) + len(MARKERS[0]):page.index(MARKERS[1])]
    rows = re.findall(r"^\| `([A-Z]+ [^`]+)` \| ([^|]+) \|$", table, re.MULTILINE)
    return {operation: Access(who) for operation, who in rows}


def _is_problem(response: Response, status: int) -> bool:
    return (response.status_code == status
            and response.headers["content-type"].startswith("application/problem+json")
            and response.json()["status"] == status)


def _judge(operation: str, rule: Access, answers: dict[str, Response]) -> list[str]:
    def wrong(caller: str, expected: str) -> str:
        got = answers[caller]
        return (f"{operation} with {caller}: expected {expected}, got "
                f"{got.status_code} {got.text[:120]}")

    # the signature decides, not a key
    if rule in (Access.CARRIER, Access.SMS_PROVIDER, Access.PLATFORM):
        first = answers["no key"].status_code
        return [wrong(caller, f"{first} as without a key") for caller, answer
                in answers.items() if answer.status_code != first or first == 403]
    if rule is Access.SCRAPER:  # its own token decides (none here: 404); keys open nothing
        return [wrong(caller, "404 problem+json, metrics being off") for caller, answer
                in answers.items() if not _is_problem(answer, 404)]
    if rule is Access.PUBLIC:
        return [wrong(caller, "an answer without 401/403") for caller, answer
                in answers.items() if answer.status_code in DENIED]
    failures = [wrong(caller, "401 problem+json") for caller in ("no key", "a bad key")
                if not _is_problem(answers[caller], 401)]
    for role in Role:
        answer = answers[f"the {role} key"]
        if role in rule.roles and answer.status_code in DENIED:
            failures.append(wrong(f"the {role} key", "the role check to pass"))
        if role not in rule.roles and not _is_problem(answer, 403):
            failures.append(wrong(f"the {role} key", "403 problem+json"))
    return failures


def test_every_operation_admits_exactly_the_roles_the_access_table_names(
    container: Container,
) -> None:
    with TestClient(create_app(container)) as client:
        keys = {}
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        assert client.post("/api/v1/suppliers", headers=admin, json={
            "code": "ACME", "name": "Acme", "currency": "EUR"}).status_code == 201
        for role in Role:
            body = {"name": f"{role}-key", "role": role}
            if role is Role.SUPPLIER:  # a partner key speaks for one supplier
                body["supplier"] = "ACME"
            created = client.post("/api/v1/api-keys", json=body, headers=admin)
            assert created.status_code == 201, created.text
            keys[f"the {role} key"] = created.json()["key"]
        callers = {"no key": None, "a bad key": "om_not-a-key-anyone-was-given", **keys}

        failures: list[str] = []
        documented = _documented()
        operations = _operations(client)
        for operation, url, entry in operations:
            if operation not in ACCESS:
                failures.append(f"{operation} is not in the access table: add "
                                f"'\"{operation}\": VIEWER|OPERATOR|ADMIN,' to ACCESS "
                                f"in {TABLE_FILE}, and its row to {DOCS_PAGE.name}")
                continue
            rule = documented.get(operation)
            if rule is None:
                failures.append(f"{operation} has no row in the roles table of "
                                f"{DOCS_PAGE.name}: add '| `{operation}` | "
                                f"{ACCESS[operation].value} |'")
                continue
            if ACCESS[operation] is not rule:
                failures.append(f"{operation} is for {ACCESS[operation].value} in "
                                f"{TABLE_FILE} but for {rule.value} in {DOCS_PAGE.name}")
            if entry is not None and (entry.get("x-roles") != sorted(rule.roles)
                                      or "Who may call it:** " + rule.value
                                      not in entry.get("description", "")):
                failures.append(f"{operation}: the OpenAPI document does not say it is "
                                f"for {rule.value}")
            method = operation.split(" ", 1)[0]
            answers = {
                caller: client.request(method, url, headers={"Authorization": f"Bearer {key}"}
                                       if key else {})
                for caller, key in callers.items()}
            failures += _judge(operation, rule, answers)

    assert not failures, "\n".join(failures)
    assert len(operations) == len(ACCESS)
    refund = "POST /api/v1/orders/{order_id}/refunds"
    assert (refund, "/api/v1/orders/no-such-order_id/refunds") in [
        (operation, url) for operation, url, _ in operations]


@pytest.fixture
def offline_container() -> Container:
    """Enough to build the app: none of these tests reaches the database."""
    return Container(Settings(database_url="sqlite://"), create_engine("sqlite://"),
                     FixedClock(START))


def test_a_route_missing_from_the_access_table_stops_the_app_saying_what_to_add(
    offline_container: Container, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(ACCESS, "POST /api/v1/orders/{order_id}/refunds")

    with pytest.raises(AccessTableError) as refused:
        create_app(offline_container)

    message = str(refused.value)
    assert TABLE_FILE in message
    assert ("POST /api/v1/orders/{order_id}/refunds has no entry: add "
            "'\"POST /api/v1/orders/{order_id}/refunds\": VIEWER|OPERATOR|ADMIN|PUBLIC,'"
            in message)


def test_an_entry_without_a_route_stops_the_app(
    offline_container: Container, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(ACCESS, "DELETE /api/v1/orders/{order_id}", Access.ADMIN)

    with pytest.raises(AccessTableError, match=r"DELETE /api/v1/orders/\{order_id\} is in "
                                               "ACCESS but no route serves it: remove it"):
        create_app(offline_container)


def test_an_entry_that_disagrees_with_whether_the_route_checks_a_key_stops_the_app(
    offline_container: Container, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(ACCESS, "GET /health", Access.VIEWER)
    monkeypatch.setitem(ACCESS, "GET /api/v1/orders", Access.PUBLIC)

    with pytest.raises(AccessTableError) as refused:
        create_app(offline_container)

    message = str(refused.value)
    assert ("GET /health is listed for viewer, operator, admin but its endpoint takes no "
            "Context, so no key would be checked") in message
    assert ("GET /api/v1/orders is listed for anyone, no key but its endpoint takes a "
            "Context and would demand a key") in message


def _docs_table() -> str:
    order = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    def place(operation: str) -> tuple[str, int]:
        method, path = operation.split(" ", 1)
        return path, order.index(method)

    rows = [f"| `{operation}` | {ACCESS[operation].value} |"
            for operation in sorted(ACCESS, key=place)]
    return "\n".join(["| operation | who may call it |", "| --- | --- |", *rows])


def test_the_roles_table_in_the_api_conventions_page_is_the_access_table() -> None:
    page = DOCS_PAGE.read_text()
    shown = page[page.index(MARKERS[0]) + len(MARKERS[0]):page.index(MARKERS[1])]

    assert shown == _docs_table(), (
        f"docs/api-conventions.md shows another table than {TABLE_FILE}; put this between "
        f"the markers:\n{_docs_table()}")
