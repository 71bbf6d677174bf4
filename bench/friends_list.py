"""Benchmark: latency of `GET /friends` for a user with 10 and with 500 friends.

Prints p50/p99 per case, the 500/10 ratio (goal: under 3x) and how many calls each
response made to the user service (one batch call per page of up to 100 friends).

In-process (default): the friends app under Flask's test client, the real user
service behind a werkzeug server in a thread, both on fresh databases of a real
PostgreSQL (`--postgres-url`, else a private server started from devstack):

    .venv/bin/python bench/friends_list.py [--postgres-url postgresql://...] [-n 300]

Against running services (`make run`): the friends service's own port with the
identity headers the gateway would add, profiles created through the user service's
internal endpoint as the auth service (needs the stack's development keys in the
environment: `set -a; . var/dev-secrets.env; set +a`):

    .venv/bin/python bench/friends_list.py --base-url http://127.0.0.1:8004 \
        --user-url http://127.0.0.1:8002
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = (10, 500)


class CountingApp:
    """WSGI middleware counting requests that reach the user service."""

    def __init__(self, app):
        self.app, self.count = app, 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.count += 1
        return self.app(environ, start_response)


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0..100) of `samples`, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def measure(get: Callable[[], int], runs: int) -> list[float]:
    """Milliseconds of `runs` calls after a short warm-up; every call must answer 200."""
    for _ in range(min(20, runs)):
        get()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        status = get()
        samples.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return samples


class Keys:
    """Signs what the gateway and the auth service would send (benchmark use only)."""

    def __init__(self, assertion_key: str, auth_service_key: str):
        from servicekit import keys
        from servicekit.assertions import CredentialSigner

        self._assertion_key = keys.private_key(assertion_key)
        self._credentials = CredentialSigner("auth", keys.private_key(auth_service_key))

    def identity(self, user_id: uuid.UUID) -> dict[str, str]:
        """Identity headers with an assertion not bound to one request."""
        import jwt

        now = int(time.time())
        claims = {"iss": "watchlist-tracker-auth", "aud": "internal", "sub": str(user_id)}
        claims |= {"role": "USER", "iat": now, "exp": now + 10}
        assertion = jwt.encode(claims, self._assertion_key, algorithm="EdDSA")
        return {"X-User-Id": str(user_id), "X-User-Role": "USER", "X-User-Assertion": assertion}

    def credential(self) -> str:
        """The auth service's credential for the user service."""
        return self._credentials.for_service("user")


def make_profiles(user_url: str, keys: Keys, count: int) -> list[uuid.UUID]:
    """Create `count` profiles through the user service's internal endpoint."""
    ids, session = [], requests.Session()
    for i in range(count):
        user_id = uuid.uuid4()
        response = session.put(
            f"{user_url}/internal/users/{user_id}",
            json={"displayName": f"Bench friend {i}"},
            headers={"X-Service-Token": keys.credential()},
            timeout=5,
        )
        response.raise_for_status()
        ids.append(user_id)
    return ids


def report(results: dict, calls: dict) -> None:
    """Print one line per case and the ratio."""
    print(f"{'case':<34}{'p50 ms':>9}{'p99 ms':>9}{'calls/resp':>12}")
    for name, samples in results.items():
        p50, p99 = statistics.median(samples), percentile(samples, 99)
        print(f"{name:<34}{p50:>9.2f}{p99:>9.2f}{calls.get(name, 'n/a')!s:>12}")
    small, big = results["10 friends, default page"], results["500 friends, default page"]
    ratio = statistics.median(big) / statistics.median(small)
    ratio99 = percentile(big, 99) / percentile(small, 99)
    print(f"ratio 500/10 (default page): p50 {ratio:.2f}x, p99 {ratio99:.2f}x (goal < 3x)")


def cases(users: dict[int, uuid.UUID]) -> dict[str, tuple[uuid.UUID, str, int]]:
    """Case name -> (user, query, pages walked per sample)."""
    return {
        "10 friends, default page": (users[10], "", 1),
        "500 friends, default page": (users[500], "", 1),
        "500 friends, ?limit=200": (users[500], "?limit=200", 1),
        "500 friends, all pages of 200": (users[500], "?limit=200", 3),
    }


def walker(get_page: Callable[[str], tuple[int, str | None]], query: str, pages: int):
    """A sample that reads `pages` pages in a row by their cursors."""

    def run() -> int:
        url, status = query, 200
        for _ in range(pages):
            status, cursor = get_page(url)
            if cursor is None:
                break
            url = f"{query}&cursor={cursor}"
        return status

    return run


def in_process(args) -> None:
    """Run against the apps in this process on fresh databases."""
    from werkzeug.serving import make_server

    from servicekit.migrate import upgrade

    server = None
    base = args.postgres_url
    if not base:
        from devstack.ports import free_port
        from devstack.postgres import PostgresServer

        server = PostgresServer(Path(tempfile.mkdtemp(prefix="bench-pg-")), free_port())
        server.start()
        base = server.url("")
    base = base.rstrip("/")
    tag = secrets.token_hex(3)
    urls = {}
    for package in ("user_service", "friends_service"):
        name = f"bench_{tag}_{package}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        urls[package] = f"{base}/{name}"
        upgrade(package, urls[package])
    from tests.helpers import ASSERTION_SIGNING_KEY, KEY_ENV, SERVICE_KEYS

    bench_keys = Keys(ASSERTION_SIGNING_KEY, SERVICE_KEYS["auth"])
    env = {"WLT_ENV": "test", **KEY_ENV, "WLT_LOG_LEVEL": "ERROR"}
    try:
        import friends_service
        import user_service

        counting = CountingApp(
            user_service.create_app({**env, "DATABASE_URL": urls["user_service"]})
        )
        http = make_server("127.0.0.1", 0, counting, threaded=True)
        threading.Thread(
            target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        user_url = f"http://127.0.0.1:{http.server_port}"
        app = friends_service.create_app(
            {
                **env,
                "WLT_SERVICE_KEY": SERVICE_KEYS["friends"],
                "DATABASE_URL": urls["friends_service"],
                "USER_SERVICE_URL": user_url,
            }
        )
        client = app.test_client()
        users = {}
        with psycopg.connect(urls["friends_service"], autocommit=True) as conn:
            for size in SIZES:
                users[size] = uuid.uuid4()
                for friend in make_profiles(user_url, bench_keys, size):
                    low, high = sorted((users[size], friend))
                    conn.execute(
                        "INSERT INTO friendships (id, user_low, user_high, requester_id, state,"
                        " accepted_at) VALUES (%s, %s, %s, %s, 'accepted', clock_timestamp())",
                        (uuid.uuid4(), low, high, friend),
                    )
            conn.execute("ANALYZE friendships")

        results, calls = {}, {}
        for name, (user, query, pages) in cases(users).items():

            def get_page(url, user=user):
                response = client.get(f"/friends{url}", headers=bench_keys.identity(user))
                body = response.get_json()
                assert not body.get("degraded"), "user service degraded during the benchmark"
                return response.status_code, body["nextCursor"]

            sample = walker(get_page, query, pages)
            results[name] = measure(sample, args.runs)
            before = counting.count
            sample()
            calls[name] = counting.count - before
        report(results, calls)
        http.shutdown()
        with app.app_context():
            from friends_service.models import db

            db.engine.dispose()
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            for package in urls:
                conn.execute(f'DROP DATABASE IF EXISTS "bench_{tag}_{package}" WITH (FORCE)')
        if server is not None:
            server.stop()


def against_stack(args) -> None:
    """Run against running services; friendships are made through the friends API."""
    assertion_key = os.environ.get("WLT_ASSERTION_SIGNING_KEY", "")
    auth_key = os.environ.get("AUTH_SERVICE_KEY", "")
    if not assertion_key or not auth_key:
        sys.exit("set WLT_ASSERTION_SIGNING_KEY and AUTH_SERVICE_KEY (var/dev-secrets.env)")
    bench_keys = Keys(assertion_key, auth_key)
    session = requests.Session()
    users = {}
    for size in SIZES:
        [me] = make_profiles(args.user_url, bench_keys, 1)
        users[size] = me
        for friend in make_profiles(args.user_url, bench_keys, size):
            sent = session.post(
                f"{args.base_url}/friends/requests",
                json={"userId": str(me)},
                headers=bench_keys.identity(friend),
            )
            sent.raise_for_status()
            request_id = sent.json()["requestId"]
            session.post(
                f"{args.base_url}/friends/requests/{request_id}/accept",
                headers=bench_keys.identity(me),
            ).raise_for_status()
    results = {}
    for name, (user, query, pages) in cases(users).items():

        def get_page(url, user=user):
            response = session.get(
                f"{args.base_url}/friends{url}", headers=bench_keys.identity(user)
            )
            return response.status_code, response.json()["nextCursor"]

        results[name] = measure(walker(get_page, query, pages), args.runs)
    report(results, {})


def main() -> None:
    """Parse the command line and run one mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("WLT_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--base-url", help="a running friends service (its own port)")
    parser.add_argument("--user-url", default="http://127.0.0.1:8002")
    parser.add_argument("-n", "--runs", type=int, default=300)
    args = parser.parse_args()
    if args.base_url:
        against_stack(args)
    else:
        in_process(args)


if __name__ == "__main__":
    main()
