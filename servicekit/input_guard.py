"""Refuse request bodies and queries no view could handle, before any view sees them.

One check at the door answers for every route of every service, whatever its method:

- JSON nested deeper than `MAX_DEPTH` (400): the parser recurses, and 50,000 `[` would
  end in a RecursionError (a 500) in the parser, the validators or the serialiser.
- a number literal longer than `MAX_NUMBER_CHARS` (422): Python refuses to turn more
  than 4,300 digits into an int with a ValueError nobody catches, and no field of
  this API takes a number anywhere near that long.
- text PostgreSQL cannot store (422): JSON may legally carry `\\u0000` and unpaired
  surrogates (`\\udadc`), and a query string `%00`; they would fail deep inside a
  transaction.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request

from .errors import DomainError, Unprocessable

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40

_UNSTORABLE = "Text must not contain NUL characters or unpaired surrogates."
_TOO_LONG = f"Numbers must have at most {MAX_NUMBER_CHARS} characters."


class MalformedJson(DomainError):
    status, title = 400, "Malformed JSON"


class _Oversized:
    """Stands in for a number literal too long to convert, so its field can be named."""


_OVERSIZED = _Oversized()


def _int(literal: str) -> int | _Oversized:
    return int(literal) if len(literal) <= MAX_NUMBER_CHARS else _OVERSIZED


def _float(literal: str) -> float | _Oversized:
    return float(literal) if len(literal) <= MAX_NUMBER_CHARS else _OVERSIZED


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_tree(body: Any) -> None:
    """Walk the parsed body without recursion: depth first, then each value's content."""
    stack: list[tuple[Any, str, int]] = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MalformedJson(f"The request body nests deeper than {MAX_DEPTH} levels.")
        if value is _OVERSIZED:
            raise Unprocessable(_TOO_LONG, errors={path or "body": [_TOO_LONG]})
        if isinstance(value, str) and _unstorable(value):
            raise Unprocessable(_UNSTORABLE, errors={path or "body": [_UNSTORABLE]})
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if _unstorable(str(key)):
                    raise Unprocessable(_UNSTORABLE, errors={where: [_UNSTORABLE]})
                stack.append((item, where, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))


def _parse_body() -> Any:
    """The JSON body, parsed once with bounded numbers (None when empty).

    A body that says it is JSON and is not is refused here even on routes that take no
    body: the routes' own parser would convert long numbers before finding the error.
    """
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        return json.loads(data, parse_int=_int, parse_float=_float)
    except RecursionError:
        raise MalformedJson(f"The request body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        raise MalformedJson("The request body is not valid JSON.") from None


def _check_request() -> None:
    for name, value in request.args.items(multi=True):
        if _unstorable(name) or _unstorable(value):
            raise Unprocessable(_UNSTORABLE, errors={"query": [_UNSTORABLE]})
    if request.is_json:
        _check_tree(_parse_body())


def install_input_guard(app: Flask) -> None:
    """Check every request's query and JSON body before any view runs."""
    app.before_request(_check_request)
