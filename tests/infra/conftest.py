"""Fixtures for the launcher's own tests: real processes on free ports, data under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.supervisor import group_alive, pid_alive


def assert_nothing_left(pid: int) -> None:
    """The process and every member of its process group are gone."""
    assert not pid_alive(pid), f"pid {pid} still running"
    assert not group_alive(pid), f"process group {pid} still has members"


@pytest.fixture
def short_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short temporary folder (PostgreSQL and Kafka paths stay well under socket limits)."""
    return tmp_path_factory.mktemp("infra")
