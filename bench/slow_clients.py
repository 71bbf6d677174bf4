"""Other clients while slow bodies hold the gateway: `GET /users/<id>` at rest and under attack.

Run: `python -m bench.slow_clients [--base-url http://127.0.0.1:8000] [--slow 24]`
Without a URL it starts its own stack on free ports. The attack is `--slow` connections that
send `POST /auth/signup` with `Content-Length: 65536` and then a byte every second, each
opened again as soon as the gateway drops it (its read timeout), for the whole measurement.
Both phases read through the same client threads in one run; the ratio compares them.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from urllib.parse import urlsplit

from bench.common import closed_loop, command_line, running_stack, sign_up, stack_arguments


class SlowBodies:
    """Keeps `count` slow-body connections open against `gateway` until stopped."""

    def __init__(self, gateway: str, count: int) -> None:
        parts = urlsplit(gateway)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.count = count
        self.stop = threading.Event()
        self.reopened = 0
        self._threads = [threading.Thread(target=self._hold, daemon=True) for _ in range(count)]

    def _hold(self) -> None:
        while not self.stop.is_set():
            try:
                with socket.create_connection(self.address, timeout=5) as sock:
                    sock.sendall(
                        b"POST /auth/signup HTTP/1.1\r\nHost: bench\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 65536\r\n\r\n{"
                    )
                    while not self.stop.wait(1.0):
                        sock.sendall(b" ")
            except OSError:
                self.reopened += 1  # the gateway dropped it: come back at once

    def __enter__(self) -> SlowBodies:
        for thread in self._threads:
            thread.start()
        time.sleep(1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()


def main() -> None:
    """Print p50/p99 of other clients' reads at rest and during the attack, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    stack_arguments(parser)
    parser.add_argument("--slow", type=int, default=24, help="slow-body connections")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with running_stack(args.base_url) as (gateway, _stack):
        user_id, _token = sign_up(gateway)
        url = f"{gateway}/users/{user_id}"

        def read(session):
            return session.get(url, timeout=15)

        closed_loop("warm-up", read, concurrency=args.concurrency, seconds=1)
        rest = closed_loop("at rest", read, concurrency=args.concurrency, seconds=args.seconds)
        with SlowBodies(gateway, args.slow) as attack:
            under = closed_loop(
                f"{args.slow} slow bodies", read, concurrency=args.concurrency, seconds=args.seconds
            )
    print(f"# {command_line()}")
    print(
        f"# GET /users/<id> through the gateway, {args.concurrency} threads,"
        f" {args.seconds:.0f} s each"
    )
    print(rest.line())
    print(under.line())
    print(f"slow connections dropped by the gateway and reopened: {attack.reopened}")
    for p in (50, 99):
        ratio = under.percentile(p) / rest.percentile(p)
        print(f"p{p} under attack / at rest: {ratio:.2f} (goal p50 <= 2.0)")


if __name__ == "__main__":
    main()
