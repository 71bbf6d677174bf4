"""Refuse text PostgreSQL cannot store before any view sees it.

JSON may legally carry `\\u0000` and unpaired surrogates (`\\udadc`), and a query string
may carry `%00`; PostgreSQL text can hold neither, so they would fail deep inside a
transaction. One check at the door answers 422 for every route of every service.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from .errors import Unprocessable

_MESSAGE = "Text must not contain NUL characters or unpaired surrogates."


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_bad_path(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if _unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _unstorable(str(key)):
                return where
            found = _first_bad_path(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_bad_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


def _check_request() -> None:
    for name, value in request.args.items(multi=True):
        if _unstorable(name) or _unstorable(value):
            raise Unprocessable(_MESSAGE, errors={"query": [_MESSAGE]})
    if request.is_json and request.content_length:
        body = request.get_json(silent=True, cache=True)
        bad = _first_bad_path(body, "")
        if bad is not None:
            raise Unprocessable(_MESSAGE, errors={bad or "body": [_MESSAGE]})


def install_input_guard(app: Flask) -> None:
    """Check every request's query and JSON body for unstorable text."""
    app.before_request(_check_request)
