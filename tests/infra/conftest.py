"""Fixtures for the launcher's own tests: real processes on free ports, data under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def short_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short temporary folder (PostgreSQL and Kafka paths stay well under socket limits)."""
    return tmp_path_factory.mktemp("infra")
