"""Gateway overhead: an authenticated read through Traefik (with forward auth) vs direct.

Run: `python -m bench.gateway [--base-url http://127.0.0.1:8000 --direct-url http://127.0.0.1:8002]`
Without URLs it starts its own stack on free ports. The read is `GET /users?ids=<self>`:
through the gateway with a Bearer token, directly with the identity headers the gateway
would add (a signed assertion made with the auth service's key, renewed every 5 s). Both
runs use the same client threads in the same process, one after the other.
"""

from __future__ import annotations

import argparse

from bench.common import (
    LoadResult,
    StatedIdentity,
    assertion_key,
    closed_loop,
    command_line,
    running_stack,
    sign_up,
    stack_arguments,
)

ROUNDS = 5


def merge(results: list[LoadResult]) -> LoadResult:
    """One result from several rounds of the same path."""
    return LoadResult(
        results[0].label,
        sum(r.requests for r in results),
        sum(r.errors for r in results),
        sum(r.seconds for r in results),
        [ms for r in results for ms in r.latencies_ms],
    )


def main() -> None:
    """Print throughput and latency of both paths and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    stack_arguments(parser)
    parser.add_argument("--direct-url", help="the user service itself (default: the stack's)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with running_stack(args.base_url) as (gateway, stack):
        direct = args.direct_url or (stack.service_url("user") if stack else None)
        if not direct:
            parser.error("--direct-url is needed with --base-url")
        user_id, token = sign_up(gateway)
        path = f"/users?ids={user_id}"
        bearer = {"Authorization": f"Bearer {token}"}
        stated = StatedIdentity(assertion_key(stack), user_id)
        calls = {
            "gateway (forward auth)": lambda s: s.get(gateway + path, headers=bearer),
            "direct to user service": lambda s: s.get(direct + path, headers=stated()),
        }
        for call in calls.values():
            closed_loop("warm-up", call, concurrency=args.concurrency, seconds=1)
        # Alternate short rounds so drift on a shared machine falls on both paths alike.
        rounds = {label: [] for label in calls}
        for _ in range(ROUNDS):
            for label, call in calls.items():
                rounds[label].append(
                    closed_loop(
                        label, call, concurrency=args.concurrency, seconds=args.seconds / ROUNDS
                    )
                )
        through, straight = (merge(rounds[label]) for label in calls)
    print(f"# {command_line()}")
    print(
        f"# GET /users?ids=<self>, {args.concurrency} threads, {args.seconds:.0f} s per path "
        f"in {ROUNDS} alternating rounds"
    )
    print(through.line())
    print(straight.line())
    ratio = through.rate / straight.rate if straight.rate else float("nan")
    print(f"gateway/direct throughput ratio: {ratio:.2f} (goal >= 0.50)")


if __name__ == "__main__":
    main()
