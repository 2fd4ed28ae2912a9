"""ORDERMESH_LOG_FORMAT=json: every log line is one JSON object; each request's line has
its request id, route template, status and duration; SQL parameters never reach a line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ordermesh.http import logs
from ordermesh.kit.db import UnitOfWork
from ordermesh.settings import Settings
from tests.helpers import make_channel

CARD = "4111111111111111"


@pytest.fixture
def json_logs() -> Iterator[Callable[[], list[dict]]]:
    """Logging as ``ORDERMESH_LOG_FORMAT=json`` sets it; the lines written since asked."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    written = io.StringIO()
    logs.configure(Settings(log_format="json").log_format, stream=written)

    def lines() -> list[dict]:
        text = written.getvalue()
        written.seek(0)
        written.truncate()
        return [json.loads(line) for line in text.splitlines() if line]

    yield lines
    root.handlers[:], level = saved
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = False


def test_each_request_is_one_json_line_with_its_id_route_status_and_duration(
        client, json_logs):
    web = make_channel(client)
    json_logs()

    client.get(f"/api/v1/channels/{web['id']}", headers={"X-Request-Id": "trace-42"})
    client.get("/api/v1/channels/nope", headers={"X-Request-Id": "trace-43"})
    lines = json_logs()

    access = {line["request_id"]: line for line in lines if line["logger"] == "ordermesh.access"}
    found = access["trace-42"]
    assert found["route"] == "/api/v1/channels/{channel_id}"
    assert found["method"] == "GET"
    assert found["status"] == 200
    assert isinstance(found["duration_ms"], float) and found["duration_ms"] >= 0
    assert found["level"] == "INFO" and found["time"].endswith("+00:00")
    assert access["trace-43"]["status"] == 404
    ours = [line for line in lines if line["logger"].startswith("ordermesh")]
    assert web["id"] not in json.dumps(ours)  # the template, never the raw path


def test_a_failed_statement_logs_its_sql_but_never_its_parameters(container, json_logs):
    with pytest.raises(DBAPIError) as failed, \
            UnitOfWork(container.engine, container.clock, write=False) as uow:
        uow.execute(text("SELECT * FROM no_such_table WHERE card = :card"), {"card": CARD})
    logging.getLogger("ordermesh.http").error("unhandled", exc_info=failed.value)

    line = json_logs()[-1]
    assert "no_such_table" in line["traceback"]
    assert CARD not in line["traceback"] and CARD not in str(failed.value)


def test_the_server_logs_as_uvicorn_was_told_its_level_and_whether_to_log_access(json_logs):
    uvicorn_error, uvicorn_access = (logging.getLogger("uvicorn.error"),
                                     logging.getLogger("uvicorn.access"))
    saved = uvicorn_error.level, uvicorn_access.handlers[:]
    try:
        uvicorn_error.setLevel(logging.WARNING)  # as --log-level warning --no-access-log
        uvicorn_access.handlers[:] = []
        logs.configure_under_uvicorn("json")
        quiet = (logging.getLogger().level, logging.getLogger("ordermesh.access").disabled)

        uvicorn_error.setLevel(logging.INFO)  # as uvicorn's defaults
        uvicorn_access.handlers[:] = [logging.NullHandler()]
        logs.configure_under_uvicorn("json")
        told = (logging.getLogger().level, logging.getLogger("ordermesh.access").disabled)
    finally:
        uvicorn_error.setLevel(saved[0])
        uvicorn_access.handlers[:] = saved[1]
        logging.getLogger("ordermesh.access").disabled = False

    assert quiet == (logging.WARNING, True)
    assert told == (logging.INFO, False)
