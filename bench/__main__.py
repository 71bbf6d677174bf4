"""`make bench`: every benchmark against one fresh stack, and `bench/RESULTS.md`.

Starts a LocalStack on free ports with its own PostgreSQL and Kafka broker, runs each
benchmark as its own process against it (the command line of each is printed and kept
in the report), samples the resident memory of every process of the stack at rest and
while the load runs, and writes the raw figures to `bench/RESULTS.md`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench.common import MemorySampler, running_stack

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
KEPT = "# Measured on their own"  # make bench rewrites RESULTS.md above this heading only


def run_benchmark(module: str, args: list[str]) -> tuple[str, str]:
    """Run `python -m bench.<module> args`; return (command, output)."""
    argv = [sys.executable, "-m", f"bench.{module}", *args]
    command = "python -m bench." + module + " " + " ".join(args)
    print(f"== {command}", flush=True)
    started = time.perf_counter()
    result = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL
    )
    output = result.stdout.strip()
    if result.returncode != 0:
        output += f"\n(exit {result.returncode})\n" + result.stderr.strip()[-2000:]
    print(output, flush=True)
    print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    return command, output


def memory_table(at_rest: dict, under_load: dict) -> str:
    """Markdown rows: each process, at rest and peak under load."""
    rows = [
        "| process | RSS at rest (MB) | PSS at rest (MB) | peak RSS under load (MB) "
        "| peak PSS under load (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in sorted(set(at_rest) | set(under_load)):
        rest = at_rest.get(name, (float("nan"),) * 2)
        load = under_load.get(name, (float("nan"),) * 2)
        rows.append(f"| {name} | {rest[0]:.0f} | {rest[1]:.0f} | {load[0]:.0f} | {load[1]:.0f} |")
    return "\n".join(rows)


def main() -> None:
    """Run everything and write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs (smoke test)")
    args = parser.parse_args()
    seconds = "4" if args.quick else "10"
    # the catch-up backlog follows the scale: 1,000,000 events at BENCH_SCALE=1 (the goal's)
    scale = float(os.environ.get("BENCH_SCALE", "0.1"))
    backlog = str(max(10_000, int(1_000_000 * scale)))
    print("starting a fresh stack...", flush=True)
    with running_stack(None) as (gateway, stack):
        time.sleep(3)
        sampler = MemorySampler(stack)
        at_rest = sampler.sample()
        postgres = stack.postgres.url("").rstrip("/")
        kafka = stack.kafka_bootstrap
        runs: list[tuple[str, str]] = []
        with sampler:
            runs.append(
                run_benchmark(
                    "gateway",
                    [
                        "--base-url",
                        gateway,
                        "--direct-url",
                        stack.service_url("user"),
                        "--seconds",
                        seconds,
                    ],
                )
            )
            runs.append(run_benchmark("watchlist_reads", ["--base-url", gateway]))
            runs.append(
                run_benchmark(
                    "list_pages",
                    [
                        "--base-url",
                        gateway,
                        "--database-url",
                        stack.env_for("watchlist")["DATABASE_URL"],
                    ],
                )
            )
            runs.append(
                run_benchmark(
                    "stats_lag",
                    [
                        "--base-url",
                        gateway,
                        "--rate",
                        "500",
                        "--seconds",
                        "6" if not args.quick else "3",  # 500/s asked: thousands of writes
                    ],
                )
            )
            runs.append(run_benchmark("transfer_import", ["--base-url", gateway]))
        under_load = sampler.peak
        runs.append(
            run_benchmark("watchlist_relay", ["--postgres-url", postgres, "--kafka", kafka])
        )
        runs.append(
            run_benchmark(
                "stats_catchup", ["--postgres", postgres, "--kafka", kafka, "--events", backlog]
            )
        )
        runs.append(run_benchmark("friends_list", ["--postgres-url", postgres]))
    service_pss = [
        pss
        for name, (_rss, pss) in under_load.items()
        if name.endswith(("-service", "-worker")) or "-service (child" in name
    ]
    goals = summary(runs, max(service_pss, default=float("nan")))
    print(goals)
    write_report(runs, memory_table(at_rest, under_load), goals)


# (goal, benchmark module, regex on its output, how to read the figure, test it meets)
GOALS = [
    (
        "gateway keeps >= 0.7 of direct throughput",
        "gateway",
        r"throughput ratio: ([\d.]+)",
        "{}",
        lambda v: v >= 0.7,
    ),
    (
        "1,000-entry list read < 4x a 10-entry one (p50)",
        "watchlist_reads",
        r"ratio big/small p50: ([\d.]+)x",
        "{}x",
        lambda v: v < 4,
    ),
    (
        "first page of a 10,000-entry list < 2x a 10-entry one (p50)",
        "list_pages",
        r"first page \(list\): p50 ([\d.]+)x",
        "{}x",
        lambda v: v < 2,
    ),
    (
        "entry additions through the gateway (no goal)",
        "watchlist_reads",
        r"-> (\d+) entries/s",
        "{}/s",
        None,
    ),
    (
        "relay drains >= 5,000 events/s",
        "watchlist_relay",
        r"->\s+([\d,]+) events/s",
        "{}/s",
        lambda v: v >= 5000,
    ),
    (
        "statistics catch-up >= 50,000 events/s (1,000,000 at BENCH_SCALE=1)",
        "stats_catchup",
        r"consumer applied\s+(\d+) events/s",
        "{}/s",
        lambda v: v >= 50000,
    ),
    (
        "catch-up >= 0.15 of a bare consumer",
        "stats_catchup",
        r"applied/bare ratio: ([\d.]+)",
        "{}",
        lambda v: v >= 0.15,
    ),
    (
        "writes/s the lag run reached (asked 500)",
        "stats_lag",
        r"reached ([\d.]+) writes/s",
        "{}/s",
        None,
    ),
    ("event lag p50 < 150 ms", "stats_lag", r"p50 (\d+) ms", "{} ms", lambda v: v < 150),
    ("event lag p99 < 500 ms", "stats_lag", r"p99 (\d+) ms", "{} ms", lambda v: v < 500),
    (
        "500 friends < 3x 10 friends (p50)",
        "friends_list",
        r"ratio 500/10 \(default page\): p50 ([\d.]+)x",
        "{}x",
        lambda v: v < 3,
    ),
]


def summary(runs: list[tuple[str, str]], peak_service_pss: float) -> str:
    """The goals table: each goal, the figure this run measured, met or not."""
    import re

    rows = ["| goal | measured | met |", "|---|---:|---|"]
    for goal, module, pattern, shape, test in GOALS:
        output = next(
            (out for cmd, out in runs if cmd.startswith(f"python -m bench.{module} ")), ""
        )
        match = re.search(pattern, output)
        if not match:
            rows.append(f"| {goal} | not measured | no |")
            continue
        value = float(match.group(1).replace(",", ""))
        verdict = "—" if test is None else ("yes" if test(value) else "**no**")
        rows.append(f"| {goal} | {shape.format(match.group(1))} | {verdict} |")
    verdict = "yes" if peak_service_pss < 100 else "**no**"
    rows.append(
        f"| < 100 MB per service process under load (peak PSS) | {peak_service_pss:.0f} MB "
        f"| {verdict} |"
    )
    return "\n".join(rows)


def write_report(runs: list[tuple[str, str]], memory: str, goals: str = "") -> None:
    """`bench/RESULTS.md`: the machine, each benchmark's raw output, memory per process."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` ({now}) on {platform.node()}: {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}. "
        "One fresh stack (own PostgreSQL and Kafka), gunicorn 2 workers x 4 threads per "
        "service; client and servers share the same cores, so absolute figures are low and "
        "noisy; the ratios compare two things measured in the same run.",
        "",
        "Goals: gateway keeps >= 0.7 of direct throughput; a 1,000-entry list reads in < 4x "
        "a 10-entry one; the first page of a 10,000-entry list < 2x a 10-entry one; "
        "relay drains >= 5,000 events/s; catch-up of 1,000,000 events >= 50,000 events/s "
        "and >= 0.15 of a bare read; event lag at 500 writes/s p50 < 150 ms, p99 < 500 ms; "
        "500 friends < 3x 10 friends; < 100 MB per service process under load.",
        "",
    ]
    if goals:
        lines += ["## Goals", "", goals, ""]
    for command, output in runs:
        lines += [f"## `{command}`", "", "```", output, "```", ""]
    lines += [
        "## Memory of every process",
        "",
        "At rest: after start-up, before any benchmark. Under load: the peak sampled every "
        "0.5 s during the gateway, list-read and lag benchmarks. PSS shares each shared page "
        "among the processes that map it, so it is the fairer per-process figure.",
        "",
        memory,
        "",
    ]
    # what was measured on its own (below this heading) stays: it is not re-run here
    kept = RESULTS.read_text().partition(KEPT)[2] if RESULTS.exists() else ""
    RESULTS.write_text("\n".join(lines) + ("\n" + KEPT + kept if kept else ""))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
