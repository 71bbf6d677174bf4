"""Benchmark: what an Idempotency-Key costs on `POST /watchlists`, through the gateway.

Three closed loops against one user: creations without a key, creations each with a new
key (the lock, the key row written with the work, the sealed answer stored), and replays
of one key (the lock and a lookup, no work). Prints rate and latency of each and the
keyed/unkeyed ratio.

    .venv/bin/python -m bench.idempotency [--base-url http://127.0.0.1:8000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import uuid

import requests

from bench.common import closed_loop, command_line, running_stack, sign_up, stack_arguments


def main() -> None:
    """Run the three loops and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    stack_arguments(parser)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with running_stack(args.base_url) as (gateway, _stack):
        _user_id, token = sign_up(gateway)
        auth = {"Authorization": f"Bearer {token}"}
        url, body = f"{gateway}/watchlists", {"name": "Bench"}
        replayed = {**auth, "Idempotency-Key": str(uuid.uuid4())}
        requests.post(url, json=body, headers=replayed, timeout=10).raise_for_status()

        def plain(http: requests.Session) -> requests.Response:
            return http.post(url, json=body, headers=auth, timeout=10)

        def keyed(http: requests.Session) -> requests.Response:
            headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
            return http.post(url, json=body, headers=headers, timeout=10)

        def replay(http: requests.Session) -> requests.Response:
            return http.post(url, json=body, headers=replayed, timeout=10)

        loops = [("no key", plain), ("new key each", keyed), ("replay of one key", replay)]
        results = [
            closed_loop(label, call, concurrency=args.concurrency, seconds=args.seconds, expect=201)
            for label, call in loops
        ]
    print(f"# {command_line()}")
    print(f"# POST /watchlists, {args.concurrency} threads, {args.seconds:g} s per loop")
    for result in results:
        print(result.line())
    plain_p50, keyed_p50 = results[0].percentile(50), results[1].percentile(50)
    print(f"keyed/unkeyed p50 latency: {keyed_p50 / plain_p50:.2f}x")


if __name__ == "__main__":
    main()
