"""Latency against data size, open loop: `python -m bench.scale [--scale 0.1]`.

For each size of 1%, 10% and 100% of `bench.seed_data`'s full set, up to `--scale`
(`BENCH_SCALE` in `make bench`): a fresh stack, the data seeded and the statistics
reconciled, then every route below at a fixed rate for a few seconds, each through the
gateway as a signed-in seeded user. The load is open loop: requests leave on a schedule
whatever the answers do, and a latency runs from a request's scheduled start, so a slow
answer delays the ones queued behind it and shows in p99 instead of slowing the client.
Then the mixed workload (80% reads) at rising rates: the highest rate whose p99 stays
under 100 ms is the stack's capacity at that size.

Writes `bench/scale.md` (the table, with this command) and `bench/scale.png` (p99 against
size per route, and capacity against size). A 404 or 409 where the route may give one
(a title already in the list) counts as an answer, anything else as an error.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.common import MemorySampler, command_line, running_stack
from bench.seed_data import FIRST_MEDIA_ID, PASSWORD, Dataset, Sizes, generate, load

ROOT = Path(__file__).resolve().parent.parent
SIZES = (0.01, 0.1, 1.0)
P99_CAPACITY_MS = 100.0
MIXED_RATES = (10, 15, 20, 30, 40, 60, 80, 100, 150, 200, 300)
MIXED_SAMPLES = 150  # at least, per step: a p99 of fewer is little more than the maximum
SIGNED_IN = 24  # seeded users the load acts as


@dataclass
class Timing:
    """Latencies of one open-loop run, from each request's scheduled start."""

    label: str
    rate: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


Call = Callable[[requests.Session], requests.Response]


def open_loop(label: str, next_call: Callable[[], Call], rate: float, seconds: float) -> Timing:
    """Start `rate` calls a second for `seconds`, on schedule, whatever the answers do."""
    timing = Timing(label, rate)
    lock = threading.Lock()
    local = threading.local()

    def run(call: Call, due: float) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        try:
            ok = call(session).status_code < 500
        except requests.RequestException:
            ok = False
        elapsed = (time.perf_counter() - due) * 1000
        with lock:
            timing.latencies_ms.append(elapsed)
            timing.errors += not ok

    count = max(1, int(rate * seconds))
    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.perf_counter() + 0.05
        for i in range(count):
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(run, next_call(), due)
    return timing


class Workload:
    """The routes, as seeded users: each `route()` gives the next call of that route."""

    def __init__(self, gateway: str, data: Dataset, rng: random.Random):
        self.gateway, self.data, self.rng = gateway, data, rng
        index = {user: number for number, user in enumerate(data.users)}
        # owners of shared lists: they have personal lists, friends and a shared list too
        owners = list(dict.fromkeys(row[2] for row in data.shared_lists))[:SIGNED_IN]
        owners += [u for u in data.users if u not in set(owners)][: SIGNED_IN - len(owners)]
        self.users = [(user, self._token(index[user])) for user in owners]
        self.lists: dict[object, list] = {user: [] for user, _ in self.users}
        self.shared: dict[object, list] = {user: [] for user, _ in self.users}
        for row in data.lists:
            self.lists.get(row[1], []).append(row[0])
        for row in data.shared_lists:
            self.shared.get(row[2], []).append(row[0])
        self.held: dict[object, list[int]] = {}
        for list_id, media_id, *_ in itertools.chain(data.entries, data.shared_entries):
            self.held.setdefault(list_id, []).append(media_id)
        self.popular = [FIRST_MEDIA_ID + rank for rank in range(50)]
        self._new_media = itertools.count(FIRST_MEDIA_ID + 10_000_000)
        self._pending: list[tuple[str, str]] = []  # (request id, addressee token)
        self._pairs = itertools.combinations(range(len(self.users)), 2)

    def _token(self, number: int) -> str:
        answer = requests.post(
            self.gateway + "/auth/signin",
            json={"email": f"user{number}@bench.example", "password": PASSWORD},
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["accessToken"]

    def _as(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _someone(self, with_lists: bool = True) -> tuple[object, str]:
        candidates = [u for u in self.users if self.lists[u[0]]] if with_lists else self.users
        return self.rng.choice(candidates or self.users)

    def get(self, path: Callable[[object], str]) -> Callable[[], Call]:
        def next_call() -> Call:
            user, token = self._someone()
            url = self.gateway + path(user)
            return lambda s: s.get(url, headers=self._as(token), timeout=30)

        return next_call

    def a_list(self, user) -> str:
        return str(self.rng.choice(self.lists[user]))

    def reads(self) -> dict[str, Callable[[], Call]]:
        batch = ",".join(str(m) for m in self.popular[:20])
        return {
            "GET /watchlists": self.get(lambda u: "/watchlists"),
            "GET /watchlists/{id}": self.get(lambda u: f"/watchlists/{self.a_list(u)}"),
            "GET /watchlists/{id}/media": self.get(
                lambda u: f"/watchlists/{self.a_list(u)}/media?sort=rating&order=desc"
            ),
            "GET /friends": self.get(lambda u: "/friends"),
            "GET /friendswatchlists": self.get(lambda u: "/friendswatchlists"),
            "GET /users/{id}": self.get(lambda u: f"/users/{self.rng.choice(self.data.users)}"),
            "GET /mediastatistics/{id}": self.get(
                lambda u: f"/mediastatistics/{self.rng.choice(self.popular)}"
            ),
            "GET /mediastatistics?ids= (20)": self.get(lambda u: f"/mediastatistics?ids={batch}"),
            "GET /mediastatistics/top": self.get(lambda u: "/mediastatistics/top?limit=10"),
            "GET /mediastatistics/trending": self.get(
                lambda u: "/mediastatistics/trending?period=week"
            ),
        }

    def signin(self) -> Call:
        number = self.rng.randrange(len(self.data.users))
        body = {"email": f"user{number}@bench.example", "password": PASSWORD}
        return lambda s: s.post(self.gateway + "/auth/signin", json=body, timeout=30)

    def add_entry(self) -> Call:
        user, token = self._someone()
        url = f"{self.gateway}/watchlists/{self.a_list(user)}/media"
        body = {"mediaId": next(self._new_media)}
        return lambda s: s.post(url, json=body, headers=self._as(token), timeout=30)

    def change_status(self) -> Call:
        user, token = self._someone()
        list_id = self.a_list(user)
        media = self.held.get(self.rng.choice(self.lists[user])) or [self.popular[0]]
        url = f"{self.gateway}/watchlists/{list_id}/media/{self.rng.choice(media)}"
        body = {"status": self.rng.choice(["watching", "watched", "on_hold"])}
        return lambda s: s.patch(url, json=body, headers=self._as(token), timeout=30)

    def friend_request(self) -> Call:
        a, b = next(self._pairs, (0, 1))
        (_, token), (addressee, their_token) = self.users[a], self.users[b]

        def call(s: requests.Session) -> requests.Response:
            answer = s.post(
                self.gateway + "/friends/requests",
                json={"userId": str(addressee)},
                headers=self._as(token),
                timeout=30,
            )
            if answer.status_code == 201:
                self._pending.append((answer.json()["requestId"], their_token))
            return answer

        return call

    def accept(self) -> Call:
        if not self._pending:
            return self.get(lambda u: "/friends/requests")()
        request_id, token = self._pending.pop()
        url = f"{self.gateway}/friends/requests/{request_id}/accept"
        return lambda s: s.post(url, headers=self._as(token), timeout=30)

    def shared_edit(self) -> Call:
        owners = [u for u in self.users if self.shared[u[0]]]
        user, token = self.rng.choice(owners)
        list_id = self.rng.choice(self.shared[user])
        media = self.held.get(list_id) or [self.popular[0]]
        url = f"{self.gateway}/friendswatchlists/{list_id}/media/{self.rng.choice(media)}"
        body = {"rating": self.rng.randint(1, 10)}
        return lambda s: s.patch(url, json=body, headers=self._as(token), timeout=30)

    def writes(self) -> dict[str, tuple[Callable[[], Call], float]]:
        """Write routes with their rate relative to the reads' (sign-in hashes: slower)."""
        return {
            "POST /auth/signin": (self.signin, 0.1),
            "POST /watchlists/{id}/media": (self.add_entry, 1.0),
            "PATCH /watchlists/{id}/media/{m}": (self.change_status, 1.0),
            "POST /friends/requests": (self.friend_request, 0.5),
            "POST /friends/requests/{id}/accept": (self.accept, 0.5),
            "PATCH /friendswatchlists/{id}/media/{m}": (self.shared_edit, 1.0),
        }

    def mixed(self) -> Callable[[], Call]:
        reads = list(self.reads().values())
        writes = [self.add_entry, self.change_status, self.shared_edit]

        def next_call() -> Call:
            if self.rng.random() < 0.8:
                return self.rng.choice(reads)()
            return self.rng.choice(writes)()

        return next_call


# --explain: every statement slower than this is logged with its plan and real row counts,
# and every lock wait longer than deadlock_timeout is logged too.
EXPLAIN_SETTINGS = {
    "shared_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "40ms",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "off",
    "auto_explain.log_nested_statements": "on",
    "log_lock_waits": "on",
    "deadlock_timeout": "20ms",
}
INFRASTRUCTURE = ("postgres", "kafka", "traefik", "consul")


@dataclass
class SizeResult:
    """One size's figures: each route's timing, the mixed ladder, memory, slow plans."""

    timings: dict[str, Timing]
    capacity: float
    ladder: list[Timing]
    peak_memory: dict[str, tuple[float, float]]
    plans: list[tuple[float, str]]

    @property
    def peak_service_pss(self) -> tuple[str, float]:
        """The largest peak PSS of a service or worker process (not PostgreSQL, Kafka...)."""
        ours = {
            name: pss
            for name, (_rss, pss) in self.peak_memory.items()
            if not name.startswith(INFRASTRUCTURE)
        }
        name = max(ours, key=ours.__getitem__, default="none")
        return name, ours.get(name, float("nan"))


def measure(scale: float, rate: float, seconds: float, seed: int, explain: bool) -> SizeResult:
    """One size: every route's timing and the mixed workload's capacity (requests/s)."""
    sizes = Sizes().scaled(scale)
    data = generate(sizes, seed)
    settings = EXPLAIN_SETTINGS if explain else None
    with running_stack(None, postgres_settings=settings) as (gateway, stack):
        assert stack is not None
        urls = {name: stack.env_for(name)["DATABASE_URL"] for name in (
            "auth", "user", "watchlist", "friends", "friendswatchlist")}  # fmt: skip
        load(data, urls)
        _reconcile(stack)
        work = Workload(gateway, data, random.Random(seed))
        timings: dict[str, Timing] = {}
        for label, next_call in work.reads().items():
            timings[label] = open_loop(label, next_call, rate, seconds)
            print(_line(scale, timings[label]), flush=True)
        for label, (next_call, share) in work.writes().items():
            timings[label] = open_loop(label, next_call, rate * share, seconds)
            print(_line(scale, timings[label]), flush=True)
        capacity, ladder = 0.0, []
        with MemorySampler(stack) as memory:
            for mixed_rate in MIXED_RATES:
                step_seconds = max(seconds, MIXED_SAMPLES / mixed_rate)
                mixed = open_loop("mixed", work.mixed(), mixed_rate, step_seconds)
                ladder.append(mixed)
                print(_line(scale, mixed), flush=True)
                if mixed.percentile(99) >= P99_CAPACITY_MS or mixed.errors:
                    break
                capacity = mixed_rate
        plans = slow_plans(stack.log_dir / "postgres.log") if explain else []
    return SizeResult(timings, capacity, ladder, memory.peak, plans)


def slow_plans(log: Path, keep: int = 12) -> list[tuple[float, str]]:
    """The slowest statements auto_explain logged (ms, plan), and every lock wait."""
    entries: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        if line.strip().startswith("Query Text:") and len(line) > 400:
            line = line[:400] + " ..."
        if line[:1].isdigit() or not entries:  # a new log entry starts with its timestamp
            entries.append(line)
        else:
            entries[-1] += "\n" + line
    found = []
    for entry in entries:
        if "plan:" in entry and "duration:" in entry:
            ms = float(entry.split("duration:", 1)[1].split("ms", 1)[0])
            found.append((ms, entry))
        elif "still waiting for" in entry or "acquired " in entry and " after " in entry:
            found.append((float("inf"), entry))
    waits = [f for f in found if f[0] == float("inf")]
    plans = sorted((f for f in found if f[0] != float("inf")), key=lambda f: -f[0])
    return plans[:keep] + waits[:keep]


def _reconcile(stack) -> None:
    from servicekit import keys
    from servicekit.assertions import CredentialSigner

    key = keys.private_key(stack.env_for("mediastatistics")["WLT_SERVICE_KEY"])
    token = CredentialSigner("mediastatistics", key).for_service("mediastatistics")
    answer = requests.post(
        stack.service_url("mediastatistics") + "/internal/reconcile",
        headers={"X-Service-Token": token},
        timeout=3600,
    )
    if answer.status_code != 200:
        sys.exit(f"reconciliation answered {answer.status_code}: {answer.text}")


def _line(scale: float, t: Timing) -> str:
    return (
        f"{scale:>5.0%} {t.label:<40} {t.rate:6.1f}/s  p50 {t.percentile(50):7.1f} ms"
        f"  p99 {t.percentile(99):7.1f} ms  errors {t.errors}"
    )


def report(results: dict[float, SizeResult], command: str) -> str:
    """The markdown table: p50/p99 per route and size, growth, and capacity."""
    scales = sorted(results)
    longest = max(len(results[s].ladder) for s in scales)
    head = " | ".join(f"{s:.0%} p50 / p99 ms" for s in scales)
    lines = [
        "# Scale benchmark",
        "",
        f"`{command}`, on {os.cpu_count()} cores; sizes are fractions of bench.seed_data's full "
        "set (100,000 users, 200,000 lists, 1,000,000 entries, 50,000 friendships, 20,000 "
        "shared lists). Open loop: latency from each request's scheduled start.",
        "",
        f"| route | {head} | p99 growth (largest / smallest) |",
        "|---|" + "---:|" * len(scales) + "---:|",
    ]
    for label in results[scales[0]].timings:
        cells = []
        for s in scales:
            t = results[s].timings[label]
            cells.append(
                f"{t.percentile(50):.1f} / {t.percentile(99):.1f}"
                + (f" ({t.errors} errors)" if t.errors else "")
            )
        first, last = results[scales[0]].timings[label], results[scales[-1]].timings[label]
        growth = (
            last.percentile(99) / first.percentile(99) if first.percentile(99) else float("nan")
        )
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {growth:.2f}x |")
    lines += [
        "",
        f"Mixed workload (80% reads), highest rate with p99 < {P99_CAPACITY_MS:.0f} ms: "
        + ", ".join(f"{s:.0%}: {results[s].capacity:.0f}/s" for s in scales),
        "",
        "| size | " + " | ".join(f"{r:g}/s p50 / p99 ms" for r in MIXED_RATES[:longest]) + " |",
        "|---|" + "---:|" * longest,
    ]
    for s in scales:
        steps = {t.rate: t for t in results[s].ladder}
        cells = [
            f"{steps[r].percentile(50):.0f} / {steps[r].percentile(99):.0f}" if r in steps else ""
            for r in MIXED_RATES[:longest]
        ]
        lines.append(f"| {s:.0%} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Peak memory per process under the mixed load (MB, RSS / PSS; PostgreSQL summed):",
        "",
        "| process | " + " | ".join(f"{s:.0%}" for s in scales) + " |",
        "|---|" + "---:|" * len(scales),
    ]
    for name in sorted({n for s in scales for n in results[s].peak_memory}):
        cells = []
        for s in scales:
            rss, pss = results[s].peak_memory.get(name, (float("nan"),) * 2)
            cells.append(f"{rss:.0f} / {pss:.0f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    name, pss = results[scales[-1]].peak_service_pss
    lines += [
        "",
        f"Largest service or worker process at {scales[-1]:.0%}: {name}, {pss:.0f} MB PSS "
        f"(goal < 100 MB: {'met' if pss < 100 else 'missed'}).",
        "",
        "![p99 against size](scale.png)",
    ]
    return "\n".join(lines) + "\n"


def plans_report(results: dict[float, SizeResult], command: str) -> str:
    """The slow statements auto_explain logged at each size, slowest first."""
    lines = [f"# Slow statements under `{command}`", ""]
    for s in sorted(results):
        lines += [f"## {s:.0%}", ""]
        for _ms, entry in results[s].plans or [(0.0, "(none slower than the threshold)")]:
            lines += ["```", entry[:6000], "```", ""]
    return "\n".join(lines)


def chart(results: dict[float, SizeResult], path: Path) -> None:
    """p99 per route against size, and capacity against size, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    scales = sorted(results)
    entries = [s * Sizes().entries for s in scales]
    figure, (latency, capacity) = pyplot.subplots(1, 2, figsize=(14, 6))
    latency.set_prop_cycle(color=pyplot.get_cmap("tab20").colors)
    for label in results[scales[0]].timings:
        latency.plot(
            entries,
            [results[s].timings[label].percentile(99) for s in scales],
            marker="o",
            label=label,
        )
    latency.set(
        xscale="log", yscale="log", xlabel="entries", ylabel="p99 ms", title="p99 per route"
    )
    latency.legend(fontsize=7)
    capacity.plot(entries, [results[s].capacity for s in scales], marker="o")
    capacity.set(
        xscale="log", xlabel="entries", ylabel="requests/s", title="mixed: rate with p99 < 100 ms"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", 0.1)))
    parser.add_argument("--rate", type=float, default=20.0, help="reads per second per route")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="log slow statements' plans and lock waits (auto_explain) into scale-plans.md",
    )
    args = parser.parse_args()
    command = command_line()
    print(f"# {command}")
    results = {}
    for scale in [s for s in SIZES if s <= args.scale + 1e-9] or [args.scale]:
        results[scale] = measure(scale, args.rate, args.seconds, args.seed, args.explain)
    (args.out / "scale.md").write_text(report(results, command))
    chart(results, args.out / "scale.png")
    if args.explain:
        (args.out / "scale-plans.md").write_text(plans_report(results, command))
    print(f"wrote {args.out / 'scale.md'} and {args.out / 'scale.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
