"""The process's log format: readable lines, or one JSON object per line.

``ORDERMESH_LOG_FORMAT=json`` makes every line an object with ``time``, ``level``,
``logger`` and ``message``, plus the fields a line carries (the access log's
``request_id``, ``method``, ``route``, ``status``, ``duration_ms``) and, for an error,
its ``traceback``. SQL parameters never reach a line: the engine hides them from its
errors (``kit/db.py``) and SQLAlchemy's own statement logging stays off.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import IO, Any

import orjson

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The attributes every LogRecord has; whatever else a record holds came from ``extra``.
# uvicorn adds "color_message" (its message with terminal colours) to its own lines.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure(log_format: str, level: int = logging.INFO, stream: IO[str] | None = None,
              *, access_log: bool = True) -> None:
    """Send every logger's lines to ``stream`` (stderr) in ``log_format`` ("text" or
    "json"); uvicorn's loggers too, so a JSON deployment has no line that is not JSON.
    ``access_log``: whether each request is logged (``ordermesh.access``)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Our access log replaces uvicorn's: it knows the route template and the request id.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("ordermesh.access").disabled = not access_log
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def configure_under_uvicorn(log_format: str) -> None:
    """``configure`` as uvicorn was told: its ``--log-level`` and ``--no-access-log``
    (uvicorn has set up its loggers in this process before it builds the app)."""
    configure(log_format, logging.getLogger("uvicorn.error").level or logging.INFO,
              access_log=bool(logging.getLogger("uvicorn.access").handlers))

