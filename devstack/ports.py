"""Free TCP ports on 127.0.0.1, so tests never clash with `make run` or each other."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable

from devstack.services import (
    CONSUL_HTTP_PORT_OFFSET,
    CONSUL_SERF_PORT_OFFSET,
    CONSUL_SERVER_PORT_OFFSET,
    DASHBOARD_PORT_OFFSET,
    SERVICES,
)

POSTGRES_PORT_OFFSET = 432  # 8432 with the default port base
STACK_OFFSETS = (
    0,
    *(s.port_offset for s in SERVICES),
    DASHBOARD_PORT_OFFSET,
    POSTGRES_PORT_OFFSET,
    CONSUL_HTTP_PORT_OFFSET,
    CONSUL_SERF_PORT_OFFSET,
    CONSUL_SERVER_PORT_OFFSET,
)


def free_port() -> int:
    """A port nothing listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_base(
    offsets: Iterable[int] = STACK_OFFSETS, low: int = 20000, high: int = 32000
) -> int:
    """A port base whose base + offset ports are all free (below Linux's ephemeral range)."""
    offsets = tuple(offsets)
    rng = random.SystemRandom()
    for _ in range(200):
        base = rng.randrange(low, high - max(offsets))
        if all(_bindable(base + offset) for offset in offsets):
            return base
    raise RuntimeError("no free block of ports found")
