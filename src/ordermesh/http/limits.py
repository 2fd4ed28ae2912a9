"""Guards in front of every handler: body size, and characters no database can store."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordermesh.http.asgi import HttpMiddleware
from ordermesh.http.problems import problem_body, send_problem

# A JSON "\u0000" escape that is not itself escaped (an even number of backslashes before).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_NUL_MESSAGE = "may not contain NUL (U+0000) characters"
# A digit, then an exponent: maybe a JSON number like 0E-1000000000 (or text in a string)
_EXPONENT = re.compile(rb"[0-9][eE][+-]?[0-9]")
MAX_EXPONENT = 100  # |exponent| of a JSON number; beyond, no amount or measure is meant

_PLATFORM_PING = re.compile(rb"webhook_id=\d{1,20}")
_CONNECTOR_HOOK = re.compile(r"/api/v1/connectors/[^/]+/webhooks")


def _absurd_exponents(body: bytes) -> list[str]:
    """JSON number literals whose exponent is beyond ±MAX_EXPONENT: ``0E-1000000000``
    would become 0.0 (a price of zero) and ``1E400`` infinity, silently."""
    found: list[str] = []

    def number(literal: str) -> float:
        exponent = literal.lower().partition("e")[2]
        if exponent and abs(int(exponent)) > MAX_EXPONENT:
            found.append(literal)
        return float(literal)

    with contextlib.suppress(ValueError, RecursionError):  # malformed: the handler's 400
        json.loads(body, parse_float=number)
    return found


def _problem(status: int, code: str, title: str, detail: str, path: str,
             **extra: Any) -> dict[str, Any]:
    return problem_body(status, code, title, detail, path, **extra)


def _nul_fields(value: Any, path: str = "") -> list[str]:
    """Where in a parsed JSON document a string (or key) holds a NUL character."""
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            found += [name] if "\x00" in key else _nul_fields(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _nul_fields(item, f"{path}.{i}" if path else str(i))
    return found


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _charset(content_type: bytes) -> str | None:
    """The ``charset`` parameter of a Content-Type, lower case, unquoted; None if absent."""
    for param in content_type.split(b";")[1:]:
        name, _, value = param.partition(b"=")
        if name.strip().lower() == b"charset":
            return value.strip().strip(b'"').decode("latin-1").lower()
    return None


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";")[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


class RequestGuard(HttpMiddleware):
    """Reads the whole body (JSON APIs have small ones) and refuses, before any handler:

    * a body above ``max_bytes`` (413), whether declared in Content-Length or streamed;
    * a body that is not declared as JSON, or declared in a charset other than UTF-8 (415);
    * a NUL character in the body, path or query (422, naming each field): PostgreSQL
      cannot store it in text, and no identifier or name needs it.

    Under ``form_prefix`` (one or several: the back office, the feedback page) a body may
    also be an HTML form (``application/x-www-form-urlencoded``); its fields are checked
    for NUL characters.
    """

    def __init__(self, app: ASGIApp, max_bytes: int,
                 form_prefix: str | tuple[str, ...] | None = None) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.form_prefix = form_prefix

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(path, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(path, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        refusal = (self._check_form(scope, body) if self._is_form(path, headers)
                   else self._check_json(scope, headers, body))
        if refusal is not None:
            await self._reply(send, refusal[0], refusal[1])
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _is_form(self, path: str, headers: dict[bytes, bytes]) -> bool:
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        return (self.form_prefix is not None and path.startswith(self.form_prefix)
                and media == b"application/x-www-form-urlencoded")

    def _check_form(self, scope: Scope, body: bytes) -> tuple[int, dict[str, Any]] | None:
        fields = self._nul_fields(scope, b"") + [
            f"form.{k}" for k, v in parse_qsl(body.decode("latin-1"), keep_blank_values=True)
            if "\x00" in k or "\x00" in v]
        return self._nul_refusal(scope, fields) if fields else None

    def _check_json(self, scope: Scope, headers: dict[bytes, bytes],
                    body: bytes) -> tuple[int, dict[str, Any]] | None:
        path = scope.get("path", "")
        content_type = headers.get(b"content-type", b"")
        if _PLATFORM_PING.fullmatch(body) and _CONNECTOR_HOOK.fullmatch(path):
            return None  # WooCommerce tests a webhook address with this form body
        if body.strip() and not _is_json(content_type):
            return 415, _problem(
                415, "unsupported-media-type", "Unsupported media type",
                "Send the body as JSON with 'Content-Type: application/json'", path)
        if body.strip() and _charset(content_type) not in (None, "utf-8", "utf8"):
            # JSON is UTF-8 (RFC 8259); a body declared otherwise would be read as
            # something its sender did not mean, even when its bytes happen to decode.
            return 415, _problem(
                415, "unsupported-charset", "Unsupported media type",
                "A JSON body is UTF-8: send 'Content-Type: application/json' without a "
                "charset or with 'charset=utf-8'", path)
        if body and (b"\x00" in body or not _is_utf8(body)):
            return 400, _problem(
                400, "malformed-json", "Malformed JSON",
                "The body must be JSON encoded as UTF-8, without NUL bytes", path)
        if fields := self._nul_fields(scope, body):
            return self._nul_refusal(scope, fields)
        if _EXPONENT.search(body) and (numbers := _absurd_exponents(body)):
            message = f"a number's exponent may be at most ±{MAX_EXPONENT}"
            return 422, _problem(
                422, "validation-failed", "Invalid input",
                f"body: {message}: {', '.join(n[:40] for n in numbers[:5])}", path,
                errors=[{"field": "body", "message": f"{message}: {n[:40]}",
                         "code": "number_exponent"} for n in numbers[:20]])
        return None

    @staticmethod
    def _nul_refusal(scope: Scope, fields: list[str]) -> tuple[int, dict[str, Any]]:
        return 422, _problem(
            422, "nul-character", "Invalid input",
            f"{', '.join(fields)}: {_NUL_MESSAGE}", scope.get("path", ""),
            errors=[{"field": f, "message": _NUL_MESSAGE, "code": "nul_character"}
                    for f in fields])

    @staticmethod
    def _nul_fields(scope: Scope, body: bytes) -> list[str]:
        fields = []
        if b"\x00" in unquote_to_bytes(scope.get("raw_path", b"")):
            fields.append("path")
        query = scope.get("query_string", b"").decode("latin-1")
        fields += [f"query.{k}" for k, v in parse_qsl(query, keep_blank_values=True)
                   if "\x00" in k or "\x00" in v]
        if _JSON_NUL.search(body):
            # Malformed (or absurdly nested) JSON: the handler refuses it with a 400.
            with contextlib.suppress(ValueError, RecursionError):
                fields += _nul_fields(json.loads(body))
        return fields

    async def _too_large(self, path: str, send: Send) -> None:
        await self._reply(send, 413, _problem(
            413, "request-too-large", "Request too large",
            f"The request body exceeds {self.max_bytes} bytes", path))

    @staticmethod
    async def _reply(send: Send, status: int, body: dict[str, Any]) -> None:
        await send_problem(send, status, body)
