"""Fixtures of the Consul backend's tests: a started ConsulDouble and a settable clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.consul.consul_double import ConsulDouble


@pytest.fixture
def consul_double() -> Iterator[ConsulDouble]:
    """A ConsulDouble listening on a free port, stopped after the test."""
    double = ConsulDouble().start()
    try:
        yield double
    finally:
        double.stop()


class FakeClock:
    """A monotonic clock the test moves by hand, so cache expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when the test says so."""
    return FakeClock()
