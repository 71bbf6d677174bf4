"""What every benchmark shares: a stack to measure, a closed-loop load generator, figures."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent


def command_line() -> str:
    """The command that produced these figures, to print beside them."""
    return "python -m " + __import__("__main__").__spec__.name + " " + shlex.join(sys.argv[1:])


def stack_arguments(parser: argparse.ArgumentParser) -> None:
    """`--base-url` of a running stack; without it the benchmark starts its own."""
    parser.add_argument("--base-url", help="gateway of a running stack (default: start one)")


@contextlib.contextmanager
def running_stack(
    base_url: str | None,
    *,
    discovery: str = "consul",
    postgres_settings: dict[str, str] | None = None,
) -> Iterator[tuple[str, object | None]]:
    """The gateway URL to measure and, when we started it, the LocalStack itself.

    A stack started here has its own PostgreSQL and Kafka on free ports, whatever the
    environment names, so the figures come from a fresh system; `discovery` as LocalStack's.
    """
    if base_url:
        yield base_url.rstrip("/"), None
        return
    from devstack.ports import free_port, free_port_base
    from devstack.stack import LocalStack
    from devstack.traefik import GatewayLimits

    # one load generator is one client address: the per-client limits would measure themselves
    unlimited = GatewayLimits(per_second=10**6, burst=10**6, credentials_per_minute=10**6)

    with tempfile.TemporaryDirectory(prefix="wlt-bench-") as tmp:
        stack = LocalStack(
            Path(tmp),
            port_base=free_port_base(),
            kafka_port=free_port(),
            kafka_controller_port=free_port(),
            postgres_port=free_port(),
            topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
            discovery=discovery,
            gateway_limits=unlimited,
            postgres_settings=postgres_settings,
            from_environment=False,
            log=lambda *a, **k: None,
        )
        stack.start()
        try:
            yield stack.gateway_url, stack
        finally:
            stack.stop()


def sign_up(gateway: str, name: str = "Bench") -> tuple[str, str]:
    """A fresh account on the stack: (user id, access token)."""
    response = requests.post(
        f"{gateway}/auth/signup",
        json={
            "email": f"bench-{uuid.uuid4().hex}@example.com",
            "password": "benchmark-password",
            "displayName": name,
        },
        timeout=10,
    )
    response.raise_for_status()
    body = response.json()
    return body["userId"], body["accessToken"]


@dataclass
class LoadResult:
    """Figures of one closed-loop run."""

    label: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency percentile in milliseconds."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self) -> str:
        """One printable row."""
        return (
            f"{self.label:<28} {self.rate:>9.0f} req/s  p50 {self.percentile(50):6.2f} ms  "
            f"p99 {self.percentile(99):6.2f} ms  errors {self.errors}"
        )


def closed_loop(
    label: str,
    make_call: Callable[[requests.Session], requests.Response],
    *,
    concurrency: int = 8,
    seconds: float = 10.0,
    expect: int = 200,
) -> LoadResult:
    """`concurrency` threads each calling back-to-back for `seconds` (bounded, stops itself)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        session = requests.Session()
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                ok = make_call(session).status_code == expect
            except requests.RequestException:
                ok = False
            mine.append((time.perf_counter() - started) * 1000)
            bad += not ok
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(label, len(latencies), errors, time.perf_counter() - began, latencies)


class StatedIdentity:
    """The identity headers the gateway adds, for calls straight to a service's port: an
    assertion signed with the auth service's key (not bound to one request), renewed
    every few seconds so the signing stays out of the measured calls."""

    RENEW_S = 5.0

    def __init__(self, assertion_key: str, user_id: str, role: str = "USER"):
        from servicekit import keys

        self._key = keys.private_key(assertion_key)
        self._user_id, self._role = str(user_id), role
        self._headers: dict[str, str] = {}
        self._made = -1e9
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, str]:
        import jwt

        with self._lock:
            if time.monotonic() - self._made > self.RENEW_S:
                now = int(time.time())
                claims = {"iss": "watchlist-tracker-auth", "aud": "internal", "iat": now}
                claims |= {"sub": self._user_id, "role": self._role, "exp": now + 10}
                self._headers = {
                    "X-User-Id": self._user_id,
                    "X-User-Role": self._role,
                    "X-User-Assertion": jwt.encode(claims, self._key, algorithm="EdDSA"),
                }
                self._made = time.monotonic()
            return self._headers


def assertion_key(stack) -> str:
    """The auth service's assertion key: the local stack's, else WLT_ASSERTION_SIGNING_KEY."""
    import os

    if stack is not None:
        return stack.env_for("auth")["WLT_ASSERTION_SIGNING_KEY"]
    key = os.environ.get("WLT_ASSERTION_SIGNING_KEY", "")
    if not key:
        sys.exit("set WLT_ASSERTION_SIGNING_KEY (var/dev-secrets.env) to call services directly")
    return key


class MemorySampler:
    """Highest resident and proportional set size seen per process of the stack."""

    def __init__(self, stack: Any):
        self.stack = stack
        self.peak: dict[str, tuple[float, float]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def processes(self) -> dict[str, psutil.Process]:
        """Every OS process of the stack, named by supervisor process and role."""
        found: dict[str, psutil.Process] = {}
        for managed in self.stack.supervisor.processes.values():
            if managed.pid is None:
                continue
            try:
                root = psutil.Process(managed.pid)
                found[managed.name] = root
                for i, child in enumerate(root.children(recursive=True)):
                    found[f"{managed.name} (child {i + 1})"] = child
            except psutil.Error:
                continue
        return found

    def sample(self) -> dict[str, tuple[float, float]]:
        """(RSS MB, PSS MB) of each process now; PostgreSQL's backends summed as one."""
        figures: dict[str, tuple[float, float]] = {}
        for name, proc in self.processes().items():
            try:
                info = proc.memory_full_info()
            except psutil.Error:
                continue
            rss, pss = info.rss / 2**20, getattr(info, "pss", info.rss) / 2**20
            if name.startswith("postgres"):
                name = "postgres (server and all backends, summed)"
                old = figures.get(name, (0.0, 0.0))
                rss, pss = old[0] + rss, old[1] + pss
            figures[name] = (rss, pss)
        return figures

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for name, (rss, pss) in self.sample().items():
                old = self.peak.get(name, (0.0, 0.0))
                self.peak[name] = (max(old[0], rss), max(old[1], pss))

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
