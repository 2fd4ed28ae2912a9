"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from ordermesh.kit.errors import InvalidInput

T = TypeVar("T")

MAX_PAGE_SIZE = 200
_MAX_POSITION = 2**63 - 1  # what a BIGINT column can compare against


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        prefix, _, value = text.partition(":")
        number = int(value)
        if prefix != "v1" or not 0 <= number <= _MAX_POSITION:
            raise ValueError(prefix)
        return number
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field("query.cursor", "cursor is not one this API returned") from exc


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
