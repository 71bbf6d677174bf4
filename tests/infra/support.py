"""Helpers the infra tests import; fixtures stay in conftest.py."""

from __future__ import annotations

from devstack.supervisor import group_alive, pid_alive


def assert_nothing_left(pid: int) -> None:
    """The process and every member of its process group are gone."""
    assert not pid_alive(pid), f"pid {pid} still running"
    assert not group_alive(pid), f"process group {pid} still has members"
