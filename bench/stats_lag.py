"""Media statistics end-to-end lag: from a list write's answer to the counter showing it.

Run: `python -m bench.stats_lag [--base-url http://127.0.0.1:8000] [--rate 100 --seconds 20]`.
Without `--base-url` it starts its own stack. One signed-up user adds media to a list
(and moves earlier ones to `watched`) at `--rate` writes/s through the gateway; one
poller reads `GET /mediastatistics?ids=` every 20 ms for the writes not yet visible.
Lag runs from the write's 201/200 to the first read that shows it (outbox relay, Kafka,
consumer, database, read), so it includes up to one poll interval. A move to `watched`
of a media whose add is not yet visible replaces that add's measurement.
Goals: at 500 writes/s, p50 < 150 ms, p99 < 500 ms. "reached" is the rate of answered
writes (the schedule asks for `--rate`; a stack that cannot keep up answers fewer).
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.common import command_line, running_stack, sign_up, stack_arguments


class Tracker:
    """Writes waiting to show in the counters, and the lags of those that did."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[int, tuple[float, str]] = {}
        self.lags_ms: list[float] = []
        self.failed_writes = 0

    def expect(self, media_id: int, field: str) -> None:
        with self.lock:
            self.pending[media_id] = (time.perf_counter(), field)

    def poll(self, session: requests.Session, gateway: str) -> None:
        with self.lock:
            wanted = list(self.pending)[:100]
        if not wanted:
            return
        response = session.get(
            f"{gateway}/mediastatistics?ids={','.join(map(str, wanted))}", timeout=5
        )
        now = time.perf_counter()
        for item in response.json()["items"]:
            with self.lock:
                started, field = self.pending.get(item["mediaId"], (None, ""))
                if started is not None and item[field] >= 1:
                    del self.pending[item["mediaId"]]
                    self.lags_ms.append((now - started) * 1000)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    """Write at a fixed rate, poll the counters, print lag percentiles."""
    parser = argparse.ArgumentParser(description=__doc__)
    stack_arguments(parser)
    parser.add_argument("--rate", type=float, default=100.0, help="writes per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with running_stack(args.base_url) as (gateway, _stack):
        _user, token = sign_up(gateway, "LagBench")
        auth = {"Authorization": f"Bearer {token}"}
        setup = requests.Session()
        created = setup.post(f"{gateway}/watchlists", json={"name": "lag"}, headers=auth)
        created.raise_for_status()
        list_url = f"{gateway}/watchlists/{created.json()['listId']}/media"
        base = random.randint(10**9, 2 * 10**9)
        tracker = Tracker()
        local = threading.local()
        added: list[int] = []
        answered: list[float] = []  # when each successful write's answer came

        def session() -> requests.Session:
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return local.session

        def write(i: int) -> None:
            try:
                try:
                    media_id = added.pop(0) if i % 2 == 1 else None
                except IndexError:  # nothing added yet: add instead
                    media_id = None
                if media_id is not None:
                    r = session().patch(
                        f"{list_url}/{media_id}", json={"status": "watched"}, headers=auth
                    )
                    ok, field = r.status_code == 200, "watched"
                else:
                    media_id = base + i
                    r = session().post(
                        list_url, json={"mediaId": media_id, "status": "watching"}, headers=auth
                    )
                    ok, field = r.status_code == 201, "watching"
            except requests.RequestException:
                ok = False
            if not ok:
                tracker.failed_writes += 1
                return
            answered.append(time.perf_counter())
            tracker.expect(media_id, field)
            if field == "watching":
                added.append(media_id)

        stop = threading.Event()

        def poller() -> None:
            reads = requests.Session()
            while not stop.is_set():
                tracker.poll(reads, gateway)
                stop.wait(0.02)

        polling = threading.Thread(target=poller, daemon=True)
        polling.start()
        total = int(args.rate * args.seconds)
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for i in range(total):
                delay = began + i / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(write, i)
            asked = total / (time.perf_counter() - began)  # the schedule, all submitted
        pool_done = time.perf_counter()
        # the rate the stack served, not the rate the schedule asked for
        reached = len(answered) / (max(answered, default=pool_done) - began)
        deadline = time.perf_counter() + 15
        while tracker.pending and time.perf_counter() < deadline:
            time.sleep(0.05)
        stop.set()
        polling.join()
    lags = tracker.lags_ms
    print(f"# {command_line()}")
    print(
        f"# {total} writes asked at {asked:.0f}/s through the gateway (16 client threads), "
        f"poll every 20 ms; reached {reached:.0f} writes/s"
    )
    print(
        f"write 2xx -> counter visible: p50 {percentile(lags, 50):.0f} ms  "
        f"p99 {percentile(lags, 99):.0f} ms  max {max(lags, default=float('nan')):.0f} ms  "
        f"(seen {len(lags)}, never seen {len(tracker.pending)}, failed writes "
        f"{tracker.failed_writes}); goals p50 < 150 ms, p99 < 500 ms"
    )


if __name__ == "__main__":
    main()
