"""The gateway on the Consul topology next to the file-provider one, in one run.

Run: `python -m bench.discovery [--seconds 10]`
Starts a stack with `discovery="consul"` (Consul Catalog provider, as deployed) and then one
with `discovery="static"` (file-provider servers), each on free ports with its own
PostgreSQL and Kafka, and measures on each the public read `GET /users/<id>` through the
gateway (forward auth) against the user service directly, in alternating rounds.
"""

from __future__ import annotations

import argparse

from bench.common import closed_loop, command_line, running_stack, sign_up
from bench.gateway import ROUNDS, merge


def measure(discovery: str, seconds: float, concurrency: int) -> tuple[float, str, str]:
    """(gateway/direct ratio, gateway line, direct line) on a fresh stack."""
    with running_stack(None, discovery=discovery) as (gateway, stack):
        user_id, _ = sign_up(gateway)
        calls = {
            "gateway": lambda s: s.get(f"{gateway}/users/{user_id}"),
            "direct": lambda s: s.get(f"{stack.service_url('user')}/users/{user_id}"),
        }
        for call in calls.values():
            closed_loop("warm-up", call, concurrency=concurrency, seconds=1)
        rounds = {label: [] for label in calls}
        for _ in range(ROUNDS):
            for label, call in calls.items():
                rounds[label].append(
                    closed_loop(
                        f"{discovery}: {label}",
                        call,
                        concurrency=concurrency,
                        seconds=seconds / ROUNDS,
                    )
                )
    through, straight = (merge(rounds[label]) for label in calls)
    return through.rate / straight.rate, through.line(), straight.line()


def main() -> None:
    """Print both topologies' gateway/direct ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    results = {mode: measure(mode, args.seconds, args.concurrency) for mode in ("consul", "static")}
    print(f"# {command_line()}")
    print(f"# GET /users/<id>, {args.concurrency} threads, {args.seconds:.0f} s per path")
    for _ratio, through, straight in results.values():
        print(through)
        print(straight)
    for mode, (ratio, _, _) in results.items():
        print(f"{mode}: gateway/direct throughput ratio {ratio:.2f}")
    print(f"consul/static ratio of ratios: {results['consul'][0] / results['static'][0]:.2f}")


if __name__ == "__main__":
    main()
