"""Gateway overhead: an authenticated read through Traefik (with forward auth) vs direct.

Run: `python -m bench.gateway [--base-url http://127.0.0.1:8000 --direct-url http://127.0.0.1:8002]`
Without URLs it starts its own stack on free ports. The read is `GET /users?ids=<self>`:
through the gateway with a Bearer token, directly with the identity headers the gateway
would add. Both runs use the same client threads in the same process, one after the other.
"""

from __future__ import annotations

import argparse

from bench.common import closed_loop, command_line, running_stack, sign_up, stack_arguments


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
        stated = {"X-User-Id": user_id, "X-User-Role": "USER"}
        run = dict(concurrency=args.concurrency, seconds=args.seconds)
        closed_loop("warm-up", lambda s: s.get(gateway + path, headers=bearer), seconds=2)
        through = closed_loop(
            "gateway (forward auth)", lambda s: s.get(gateway + path, headers=bearer), **run
        )
        straight = closed_loop(
            "direct to user service", lambda s: s.get(direct + path, headers=stated), **run
        )
    print(f"# {command_line()}")
    print(f"# GET /users?ids=<self>, {args.concurrency} threads, {args.seconds:.0f} s per path")
    print(through.line())
    print(straight.line())
    ratio = through.rate / straight.rate if straight.rate else float("nan")
    print(f"gateway/direct throughput ratio: {ratio:.2f} (goal >= 0.50)")


if __name__ == "__main__":
    main()
