"""A steady request load through the gateway, recording every request's outcome and duration."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import requests


@dataclass(frozen=True)
class Outcome:
    started: float
    ended: float
    status: int | None  # None: no answer (connection error or client timeout)

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Load:
    """`rate` requests per second of GET `url` with `headers`, spread over `workers` threads."""

    url: str
    headers: dict[str, str]
    rate: float = 20.0
    workers: int = 4
    client_timeout: float = 5.0
    outcomes: list[Outcome] = field(default_factory=list)

    def __enter__(self) -> Load:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.client_timeout + 5)

    def _run(self, index: int) -> None:
        session = requests.Session()
        interval = self.workers / self.rate
        next_at = time.monotonic() + index * interval / self.workers
        while not self._stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at += interval
            started = time.monotonic()
            try:
                status = session.get(
                    self.url, headers=self.headers, timeout=self.client_timeout
                ).status_code
            except requests.RequestException:
                status = None
                session = requests.Session()
            with self._lock:
                self.outcomes.append(Outcome(started, time.monotonic(), status))

    def between(self, start: float, end: float) -> list[Outcome]:
        """Requests that started in [start, end)."""
        with self._lock:
            return [o for o in self.outcomes if start <= o.started < end]

    @staticmethod
    def failed(outcomes: list[Outcome]) -> list[Outcome]:
        return [o for o in outcomes if o.status != 200]

    def in_flight_during(self, start: float, end: float) -> int:
        """Requests under way at some moment of [start, end]."""
        with self._lock:
            return sum(1 for o in self.outcomes if o.started <= end and o.ended > start)

    @staticmethod
    def summary(outcomes: list[Outcome]) -> str:
        if not outcomes:
            return "no requests"
        durations = sorted(o.seconds for o in outcomes)
        failed = Load.failed(outcomes)
        p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
        statuses = sorted({str(o.status) for o in failed})
        return (
            f"{len(outcomes)} requests, {len(failed)} failed {statuses or ''}, "
            f"max {durations[-1]:.2f} s, p99 {p99:.2f} s"
        )
