"""compose.yaml and the compose gateway config, parsed once per session."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

ONE_SHOT = "no"  # restart policy that marks a run-to-completion container


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping, as docker compose does.

    PyYAML keeps the last of two equal keys without a word; compose refuses the file. A
    test reading the file with PyYAML would check a file that compose never runs.
    """

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<:` may repeat
                continue
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load(relative: str) -> dict[str, Any]:
    """A YAML file of the repository, merge keys resolved, no key written twice."""
    return yaml.load((ROOT / relative).read_text(), Loader=UniqueKeyLoader)  # noqa: S506


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """compose.yaml as docker compose reads it (before variable interpolation)."""
    return load("compose.yaml")


@pytest.fixture(scope="session")
def containers(compose) -> dict[str, dict[str, Any]]:
    """The `services:` mapping of compose.yaml."""
    return compose["services"]
