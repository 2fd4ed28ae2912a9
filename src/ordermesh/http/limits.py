"""Guards in front of every handler: body size, and characters no database can store."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A JSON "\u0000" escape that is not itself escaped (an even number of backslashes before).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_URL_NUL = re.compile(rb"%00")


def _problem(status: int, code: str, title: str, detail: str, path: str) -> bytes:
    return json.dumps({"type": f"urn:ordermesh:problem:{code}", "title": title,
                       "status": status, "detail": detail, "instance": path,
                       "code": code}).encode()


class RequestGuard:
    """Reads the whole body (JSON APIs have small ones) and refuses, before any handler:

    * a body above ``max_bytes`` (413), whether declared in Content-Length or streamed;
    * a NUL character in the body, path or query (422): PostgreSQL cannot store it in text.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
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
        raw_target = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if b"\x00" in body or _JSON_NUL.search(body) or _URL_NUL.search(raw_target):
            await self._reply(send, 422, _problem(
                422, "nul-character", "Invalid input",
                "Text may not contain NUL (U+0000) characters", path))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, path: str, send: Send) -> None:
        await self._reply(send, 413, _problem(
            413, "request-too-large", "Request too large",
            f"The request body exceeds {self.max_bytes} bytes", path))

    @staticmethod
    async def _reply(send: Send, status: int, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ]})
        await send({"type": "http.response.body", "body": body})
