"""Every problem `type` the code can produce resolves to a page through the real gateway."""

from __future__ import annotations

import ast
from http import HTTPStatus

import pytest
import requests
from werkzeug.exceptions import default_exceptions

import servicekit.errors
from servicekit.problem_types import PROBLEM_PAGES, PROBLEM_TYPES, problem_type
from tests.helpers import ROOT

SERVICE_CODE = [ROOT / "servicekit", *sorted(ROOT.glob("*_service"))]
# The statuses the gateway answers with itself (servicekit/health.py's gateway pages).
GATEWAY_STATUSES = [404, 413, 429, 500, 502, 503, 504]
# Statuses no route of ours produces: about:blank, nothing more to say.
NOTHING_TO_SAY = {
    406,
    408,
    410,
    411,
    412,
    414,
    416,
    417,
    418,
    421,
    423,
    424,
    428,
    431,
    451,
    501,
    505,
}


def titles_in_code() -> set[tuple[int, str]]:
    """(status, title) of every `problem(<status>, "<title>", ...)` call with literals."""
    found = set()
    for folder in SERVICE_CODE:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "problem"
                    and len(node.args) >= 2
                    and all(isinstance(a, ast.Constant) for a in node.args[:2])
                ):
                    found.add((node.args[0].value, node.args[1].value))
    return found


def domain_errors() -> set[tuple[int, str]]:
    """(status, title) of every DomainError subclass the services define."""
    import importlib

    for folder in SERVICE_CODE:
        for path in folder.rglob("*.py"):
            if "migrations" not in path.parts and not path.name.endswith(
                ("wsgi.py", "__main__.py")
            ):
                module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                importlib.import_module(module.removesuffix(".__init__"))
    seen, todo = set(), [servicekit.errors.DomainError]
    while todo:
        cls = todo.pop()
        seen.add((cls.status, cls.title))
        todo.extend(cls.__subclasses__())
    return seen


def every_problem() -> set[tuple[int, str]]:
    """Every (status, title) a problem document of ours can carry."""
    werkzeug = {(code, cls().name) for code, cls in default_exceptions.items()}
    gateway = {(status, HTTPStatus(status).phrase) for status in GATEWAY_STATUSES}
    return titles_in_code() | domain_errors() | werkzeug | gateway


def test_the_scan_finds_titles_of_calls_errors_and_gateway_pages():
    problems = every_problem()

    assert (400, "Malformed JSON") in problems  # a DomainError subclass
    assert (429, "Too Many Requests") in problems  # auth's gate.py calls problem()
    assert (504, "Gateway Timeout") in problems  # a gateway page


def test_every_problem_of_ours_points_to_a_page_unless_there_is_nothing_to_say():
    blank = {
        (status, title)
        for status, title in every_problem()
        if problem_type(status, title) == "about:blank"
    }

    assert {status for status, _ in blank} <= NOTHING_TO_SAY, blank


@pytest.fixture(scope="module")
def produced_types() -> list[str]:
    return sorted({problem_type(status, title) for status, title in every_problem()})


def test_every_type_the_code_can_produce_resolves_through_the_gateway(stack, produced_types):
    for type_uri in produced_types:
        if type_uri == "about:blank":
            continue
        assert type_uri.startswith(PROBLEM_PAGES)
        page = requests.get(f"{stack.gateway_url}{type_uri}", timeout=10)
        kind = PROBLEM_TYPES[type_uri.removeprefix(PROBLEM_PAGES)]
        assert page.status_code == 200, (type_uri, page.status_code)
        assert page.headers["Content-Type"].startswith("text/html")
        assert f"<h1>{kind.title}</h1>" in page.text
        assert "HTTP status" in page.text


def test_a_real_error_names_a_type_that_resolves_through_the_gateway(stack):
    problem = requests.get(f"{stack.gateway_url}/watchlists", timeout=10)

    assert problem.status_code == 401
    page = requests.get(f"{stack.gateway_url}{problem.json()['type']}", timeout=10)
    assert page.status_code == 200 and "<h1>Unauthorized</h1>" in page.text


@pytest.mark.parametrize("path", ["/problems/no-such-problem", "/problems/NOT-FOUND"])
def test_an_unknown_problem_page_is_a_404_problem_document(stack, path):
    answer = requests.get(f"{stack.gateway_url}{path}", timeout=10)

    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/problem+json")
