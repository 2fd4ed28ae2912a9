"""A request id on every request: in the ``X-Request-Id`` response header, in the body of
an error the server logs, and in that log line, so a caller's report finds the traceback.

A caller's own ``X-Request-Id`` (1 to 64 letters, digits, ``.``, ``_``, ``:``, ``-``) is
kept, so one id can follow a request through a proxy; anything else is replaced."""

from __future__ import annotations

import re
import uuid

from starlette.types import Message, Receive, Scope, Send

from ordermesh.http.asgi import HttpMiddleware

HEADER = "X-Request-Id"
SCOPE_KEY = "ordermesh.request_id"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_of(scope: Scope) -> str:
    """This request's id (one is made up when the middleware did not run)."""
    return scope.setdefault(SCOPE_KEY, uuid.uuid4().hex)


class RequestId(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope.get("headers", [])).get(HEADER.lower().encode(), b"")
        given_text = given.decode("latin-1")
        scope[SCOPE_KEY] = given_text if _ACCEPTED.fullmatch(given_text) else uuid.uuid4().hex
        header = (HEADER.lower().encode(), scope[SCOPE_KEY].encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != header[0]]
                message["headers"] = [*headers, header]
            await send(message)

        await self.app(scope, receive, send_with_id)
