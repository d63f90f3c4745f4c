"""Opaque keyset cursors: the sort key of the last row, base64url-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime


class CursorError(ValueError):
    pass


def encode_cursor(kind: str, when: date, row_id: str) -> str:
    raw = json.dumps([kind, when.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, token: str) -> tuple[date, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        token_kind, when, row_id = value
        if token_kind != kind or not isinstance(row_id, str):
            raise ValueError("cursor from another listing")
        return date.fromisoformat(when), row_id
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError) as exc:
        raise CursorError(
            "`cursor` is not a cursor this listing issued; pass the `next_cursor` value of a "
            "previous response unchanged"
        ) from exc


def encode_change_cursor(at: datetime, kind: str, row_id: str) -> str:
    """A /changes cursor: the (instant, kind, id) of the last change of a page."""
    return encode_cursor("changes", at, f"{kind}:{row_id}")


def decode_change_cursor(token: str, kinds: tuple[str, ...]) -> tuple[datetime, str, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        token_kind, when, key = value
        kind, sep, row_id = key.partition(":")
        at = datetime.fromisoformat(when)
        if token_kind != "changes" or not sep or kind not in kinds or at.tzinfo is None:
            raise ValueError("not a /changes cursor")
        return at.astimezone(UTC), kind, row_id
    except (ValueError, TypeError, AttributeError, OverflowError, binascii.Error,
            UnicodeEncodeError) as exc:  # fmt: skip
        raise CursorError(
            "`cursor` is not a cursor this listing issued; pass the `next_cursor` value of a "
            "previous response unchanged"
        ) from exc
