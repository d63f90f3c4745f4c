"""Opaque keyset cursors: the sort key of the last row, base64url-encoded JSON.

A cursor of a newest-first listing (`order=desc`) carries a fourth element, "desc", so that
it cannot be read in the other direction, where it would silently skip or repeat rows;
an oldest-first cursor has three, as it always had."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime

DESC = "desc"


class CursorError(ValueError):
    pass


class CursorOrderError(CursorError):
    """A cursor issued for the other `order`."""


def encode_cursor(kind: str, when: date, row_id: str, descending: bool = False) -> str:
    value = [kind, when.isoformat(), row_id, *([DESC] if descending else [])]
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, token: str, descending: bool = False) -> tuple[date, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if isinstance(value, list) and len(value) == 4 and value[3] == DESC:
            value, issued_descending = value[:3], True
        else:
            issued_descending = False
        token_kind, when, row_id = value
        if token_kind != kind or not isinstance(row_id, str):
            raise ValueError("cursor from another listing")
        decoded = date.fromisoformat(when), row_id
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError) as exc:
        raise CursorError(
            "`cursor` is not a cursor this listing issued; pass the `next_cursor` value of a "
            "previous response unchanged"
        ) from exc
    if issued_descending != descending:
        issued, given = ("desc", "asc") if issued_descending else ("asc", "desc")
        raise CursorOrderError(
            f"`cursor` was issued for order={issued} and this request asks for "
            f"order={given}; repeat the request that gave the cursor with only `cursor` "
            f"changed, or drop `cursor` to start from the {'newest' if descending else 'oldest'}"
        )
    return decoded


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
