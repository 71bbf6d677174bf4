"""Gateway overhead: an authenticated read through Traefik (with forward auth) vs direct.

Run: `python -m bench.gateway [--base-url http://127.0.0.1:8000 --direct-url http://127.0.0.1:8002]`
Without URLs it starts its own stack on free ports. The read is `GET /users?ids=<self>`:
through the gateway with a Bearer token, directly with the identity headers the gateway
would add (a signed assertion made with the auth service's key, renewed every 5 s). Both
runs use the same client threads in the same process, one after the other.
"""

from __future__ import annotations

import argparse
import time

from bench.common import (
    LoadResult,
    MemorySampler,
    StatedIdentity,
    assertion_key,
    closed_loop,
    command_line,
    running_stack,
    sign_up,
    stack_arguments,
)

ROUNDS = 5
SETTLE_S = 20.0


def cpu_seconds(stack) -> dict[str, float]:
    """CPU time (user + system) used so far by each process of the stack and by this
    client, gunicorn workers added to their service and PostgreSQL's backends summed."""
    import psutil

    found: dict[str, float] = {}
    processes = MemorySampler(stack).processes() if stack else {}
    processes["client (this process)"] = psutil.Process()
    for name, proc in processes.items():
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        group = name.split(" (child")[0]
        found[group] = found.get(group, 0.0) + times.user + times.system
    return found


def cpu_table(used: dict[str, dict[str, float]], requests: dict[str, int]) -> list[str]:
    """Milliseconds of CPU per request, per process, for each path (largest first)."""
    labels = list(used)
    names = sorted(
        {n for u in used.values() for n in u},
        key=lambda n: -max(u.get(n, 0) for u in used.values()),
    )
    lines = ["# CPU per request (ms), by process: " + " | ".join(labels)]
    for name in names:
        cells = [used[label].get(name, 0.0) * 1000 / max(requests[label], 1) for label in labels]
        if max(cells) >= 0.05:
            lines.append(f"#   {name:<36}" + "".join(f"{c:9.2f}" for c in cells))
    totals = [sum(used[label].values()) * 1000 / max(requests[label], 1) for label in labels]
    lines.append(f"#   {'total':<36}" + "".join(f"{c:9.2f}" for c in totals))
    return lines


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
        if stack:  # a fresh stack's workers join their groups for a while: not the load's
            time.sleep(SETTLE_S)
        for call in calls.values():
            closed_loop("warm-up", call, concurrency=args.concurrency, seconds=1)
        # Alternate short rounds so drift on a shared machine falls on both paths alike.
        rounds: dict[str, list[LoadResult]] = {label: [] for label in calls}
        used: dict[str, dict[str, float]] = {label: {} for label in calls}
        for _ in range(ROUNDS):
            for label, call in calls.items():
                before = cpu_seconds(stack)
                rounds[label].append(
                    closed_loop(
                        label, call, concurrency=args.concurrency, seconds=args.seconds / ROUNDS
                    )
                )
                for name, seconds in cpu_seconds(stack).items():
                    spent = seconds - before.get(name, seconds)
                    used[label][name] = used[label].get(name, 0.0) + spent
        through, straight = (merge(rounds[label]) for label in calls)
    print(f"# {command_line()}")
    print(
        f"# GET /users?ids=<self>, {args.concurrency} threads, {args.seconds:.0f} s per path "
        f"in {ROUNDS} alternating rounds"
    )
    print(through.line())
    print(straight.line())
    ratio = through.rate / straight.rate if straight.rate else float("nan")
    print(f"gateway/direct throughput ratio: {ratio:.2f} (goal >= 0.70)")
    if stack:
        print("\n".join(cpu_table(used, {r.label: r.requests for r in (through, straight)})))


if __name__ == "__main__":
    main()
