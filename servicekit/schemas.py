"""Schema pieces every service's API uses: UTC times with `Z`, pagination, cursors, names."""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from .errors import Unprocessable

MAX_PAGE = 200
DEFAULT_PAGE = 50


class UtcDateTime(fields.DateTime):
    """ISO 8601 in UTC ending in `Z`, as the contract writes times."""

    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        text = value.astimezone(UTC).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z")


DISPLAY_NAME_MAX = 50
# Bidirectional embeddings, overrides and isolates: they reorder the text around a name
# wherever it is shown (a name that makes "Alice accepted" read "detpecca ecilA").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Controls (ANSI escapes, newlines, tabs) and line or paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


class DisplayName(fields.String):
    """A person's display name: NFC, trimmed, 1 to 50 characters, something visible.

    Format characters (category Cf: zero-width spaces, joiners) are kept, since some
    scripts need them, but a name of only those and spaces is blank. Controls and
    bidi overrides are refused outright rather than stripped, so what the person typed
    is either stored as typed (up to normalisation) or refused.
    """

    default_error_messages = {
        "blank": "Must not be blank.",
        "length": f"Must be 1 to {DISPLAY_NAME_MAX} characters.",
        "control": "Must not contain control, line-break or bidi-override characters.",
    }

    def __init__(self, **kwargs: Any):
        # Checked again after normalisation; here so the OpenAPI document shows the bounds.
        kwargs.setdefault("validate", validate.Length(min=1, max=DISPLAY_NAME_MAX))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = unicodedata.normalize("NFC", super()._deserialize(value, attr, data, **kwargs))
        text = text.strip()
        if any(
            c in _BIDI_CONTROLS or unicodedata.category(c) in _FORBIDDEN_CATEGORIES for c in text
        ):
            raise self.make_error("control")
        if not 1 <= len(text) <= DISPLAY_NAME_MAX:
            raise self.make_error("blank" if not text else "length")
        visible = [c for c in text if unicodedata.category(c) != "Cf" and not c.isspace()]
        if not visible:
            raise self.make_error("blank")
        return text


class PageArgs(Schema):
    """`?limit=` (1..200, default 50) and `?cursor=`."""

    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=DEFAULT_PAGE, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(load_default=None, validate=validate.Length(max=512))


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for the position after `values` (the last item's sort key)."""
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    """The sort key inside a cursor; 422 for anything this API did not hand out."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != length:
        raise Unprocessable("The cursor is not valid.", errors={"cursor": ["Not a valid cursor."]})
    return values


def comma_separated(value: str, *, max_items: int, field: str) -> list[str]:
    """Split `?ids=a,b,c`; 422 when empty or over `max_items`."""
    items = [part.strip() for part in value.split(",") if part.strip()]
    if not items:
        raise Unprocessable(f"{field} is empty.", errors={field: ["Give at least one id."]})
    if len(items) > max_items:
        raise Unprocessable(
            f"At most {max_items} ids.", errors={field: [f"At most {max_items} ids."]}
        )
    return list(dict.fromkeys(items))
