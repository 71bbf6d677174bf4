"""Helpers the compose tests import; fixtures stay in conftest.py."""

from __future__ import annotations

from typing import Any

import yaml

from tests.helpers import ROOT

ONE_SHOT = "no"  # restart policy that marks a run-to-completion container


def load(relative: str) -> dict[str, Any]:
    """A YAML file of the repository, merge keys resolved."""
    return yaml.safe_load((ROOT / relative).read_text())
