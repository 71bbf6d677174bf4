"""The system under faults: broker, statistics, user, auth and database outages, a relay crash.

Each case breaks one part of a private stack (see conftest), keeps using the public API
through the real gateway, restores the part, and ends with exact statistics for every
media it touched (computed from the lists as the API shows them) and no lost write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from devstack.stack import REPO_ROOT
from tests.faults.support import (
    PROBLEM,
    Tracked,
    Writer,
    assert_no_stack_trace,
    eventually,
    metric_value,
    timed,
)
from tests.helpers import PASSWORD, Api

pytestmark = pytest.mark.slow

OK = (200, 201, 204)


def new_list(api: Api, name: str) -> str:
    """A personal list of `api`'s user; its path."""
    response = api.post("/watchlists", json={"name": name})
    assert response.status_code == 201, response.text
    return f"/watchlists/{response.json()['listId']}"


def tracked_writer(gateway: str, api: Api, name: str, media: range, seed: int):
    """A new list, the tracker that checks its statistics, and a writer changing it."""
    path = new_list(api, name)
    tracked = Tracked(gateway, media=set(media))
    tracked.add_list(api, path)
    return tracked, Writer(api, path, media, seed)


def steps_answer_quickly(writer: Writer, count: int, limit_s: float) -> list[str]:
    """Run `count` writer steps; a description of each one that failed or was slow."""
    problems = []
    for _ in range(count):
        response, took = timed(writer.step)
        if response.status_code not in OK or took > limit_s:
            problems.append(f"{response.request.method} {response.status_code} in {took:.2f} s")
    return problems


# -- 1. the broker frozen, then stopped -----------------------------------------------------


def test_writes_answer_quickly_while_the_broker_is_frozen_or_stopped_and_events_arrive_after(
    fault_stack, gateway, alice
):
    tracked, writer = tracked_writer(gateway, alice, "Broker outage", range(1000, 1012), seed=1)
    assert steps_answer_quickly(writer, 6, 1.0) == []
    tracked.assert_exact_eventually()
    before = tracked.actual()
    kafka = fault_stack.kafka
    try:
        kafka.freeze()
        while_frozen = steps_answer_quickly(writer, 15, 1.0)
        assert tracked.expected() != before, "the outage writes changed nothing to check"
        assert tracked.actual() == before, "counters moved while the broker was frozen"
        kafka.stop()  # woken to stop, it may still take what the relay sent while frozen
        while_stopped = steps_answer_quickly(writer, 15, 1.0)
    finally:
        kafka.start()
    assert while_frozen == [] and while_stopped == []
    tracked.assert_exact_eventually(timeout=90)


# -- 2. the statistics processes killed during a stream of changes ---------------------------


class Stream:
    """A writer stepping in a thread until stopped; the answers it got."""

    def __init__(self, writer: Writer):
        self.writer = writer
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.statuses.append(self.writer.step().status_code)

    def __enter__(self) -> Stream:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def wait_for_steps(self, count: int, timeout: float = 30.0) -> None:
        target = len(self.statuses) + count
        eventually(lambda: _at_least(len(self.statuses), target), timeout, interval=0.05)


def _at_least(value: int, target: int) -> None:
    assert value >= target, (value, target)


def test_statistics_stay_exact_when_the_statistics_processes_are_killed_mid_stream(
    fault_stack, gateway, alice
):
    tracked, writer = tracked_writer(gateway, alice, "Kill stats", range(2000, 2015), seed=2)
    names = ["mediastatistics-worker", "mediastatistics-service"] * 2
    restarts = {name: fault_stack.process(name).restarts for name in set(names)}
    with Stream(writer) as stream:
        for name in names:
            process = fault_stack.process(name)
            stream.wait_for_steps(15)
            killed = process.pid
            process.kill()  # SIGKILL to the whole group, mid-batch as likely as not
            eventually(lambda p=process, k=killed: _restarted(p, k), timeout=30)
        stream.wait_for_steps(15)
    assert set(stream.statuses) <= set(OK), stream.statuses
    for name, before in restarts.items():
        assert fault_stack.process(name).restarts == before + 2
    tracked.assert_exact_eventually(timeout=90)


def _restarted(process, killed_pid: int) -> None:
    assert process.running and process.pid != killed_pid


# -- 3. the user service frozen -------------------------------------------------------------


@pytest.fixture
def friends(alice, bob) -> None:
    """alice and bob are friends."""
    asked = alice.post("/friends/requests", json={"userId": bob.user_id})
    assert asked.status_code == 201, asked.text
    accepted = bob.post(f"/friends/requests/{asked.json()['requestId']}/accept")
    assert accepted.status_code == 200, accepted.text


@pytest.fixture
def friends_sharing_a_list(alice, bob, friends) -> str:
    """alice and bob are friends; alice invited bob to a shared list (still pending)."""
    shared = alice.post("/friendswatchlists", json={"name": "Ours", "friendId": bob.user_id})
    assert shared.status_code == 201, shared.text
    return f"/friendswatchlists/{shared.json()['listId']}"


@pytest.mark.parametrize(("path", "media_id"), [("/friends", 3001), ("/friendswatchlists", 3002)])
def test_reads_needing_display_names_answer_degraded_in_time_while_the_user_service_is_frozen(
    fault_stack, gateway, alice, bob, friends_sharing_a_list, path, media_id
):
    tracked = Tracked(gateway, media={media_id})
    tracked.add_list(alice, friends_sharing_a_list)
    user_service = fault_stack.process("user-service")
    user_service.freeze()
    try:
        read, read_took = timed(lambda: alice.get(path))
        added, add_took = timed(
            lambda: alice.post(
                f"{friends_sharing_a_list}/media", json={"mediaId": media_id, "rating": 7}
            )
        )
    finally:
        user_service.thaw()
    assert read.status_code == 200, read.text
    assert read_took < 1.5, f"{path} took {read_took:.2f} s"
    body = read.json()
    assert body["degraded"] is True
    assert len(body["items"]) == 1
    assert added.status_code == 201 and add_took < 1.0, (added.status_code, add_took)
    tracked.assert_exact_eventually()


def test_sign_up_answers_503_and_leaves_nothing_behind_while_the_user_service_is_frozen(
    fault_stack, gateway, alice
):
    tag = uuid.uuid4().hex[:10]
    email, name = f"frozen-{tag}@example.com", f"Frozen{tag}"
    signup = {"email": email, "password": PASSWORD, "displayName": name}
    signin = {"email": email, "password": PASSWORD}
    user_service = fault_stack.process("user-service")
    user_service.freeze()
    try:
        refused, took = timed(
            lambda: requests.post(f"{gateway}/auth/signup", json=signup, timeout=10)
        )
        signed_in = requests.post(f"{gateway}/auth/signin", json=signin, timeout=10)
    finally:
        user_service.thaw()
    assert refused.status_code == 503, refused.text
    assert refused.headers["Content-Type"].startswith(PROBLEM)
    assert took < 3.0, f"sign-up took {took:.2f} s"
    assert signed_in.status_code == 401

    def signs_up() -> dict:
        response = requests.post(f"{gateway}/auth/signup", json=signup, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()

    account = eventually(signs_up, timeout=15, interval=0.5)
    profiles = alice.get("/users", params={"q": name})
    assert profiles.status_code == 200, profiles.text
    assert [p["userId"] for p in profiles.json()["items"]] == [account["userId"]], (
        "a profile was left behind by the refused sign-up"
    )


# -- 4. the auth service down ---------------------------------------------------------------

MADE_WHILE_AUTH_WAS_DOWN = "made while auth was down"

# (method, path, body): {list} is alice's list holding media 4001 (watching, 8) and 4002
REFUSED_WHILE_AUTH_IS_DOWN = [
    ("GET", "/watchlists", None),
    ("POST", "/watchlists", {"name": MADE_WHILE_AUTH_WAS_DOWN}),
    ("PATCH", "{list}/media/4001", {"status": "dropped", "rating": 1}),
    ("DELETE", "{list}/media/4002", None),
    ("POST", "{list}/media", {"mediaId": 4003, "status": "watched"}),
    ("GET", "/auth/me", None),
    ("POST", "/auth/signin", {"email": "{email}", "password": PASSWORD}),
    ("POST", "/auth/signup", {"email": "x{email}", "password": PASSWORD, "displayName": "X"}),
    ("GET", "/users/{me}", None),
    ("GET", "/mediastatistics/4001", None),
    ("GET", "/users/openapi.json", None),
]


def test_the_gateway_refuses_every_request_while_auth_is_down_and_none_reaches_a_service(
    fault_stack, gateway, alice
):
    path = new_list(alice, "Auth outage")
    tracked = Tracked(gateway, media={4001, 4002, 4003})
    tracked.add_list(alice, path)
    for media_id in (4001, 4002):
        added = alice.post(f"{path}/media", json={"mediaId": media_id, "status": "watching"})
        assert added.status_code == 201
    assert alice.patch(f"{path}/media/4001", json={"rating": 8}).status_code == 200
    tracked.assert_exact_eventually()
    before = alice.get(path).json()["media"]

    def fill(value):
        if not isinstance(value, str):
            return value
        return value.format(list=path, me=alice.user_id, email=alice.email)

    # the auth service is down: its API and its forward-auth (auth-verify) processes
    parts = [fault_stack.process("auth-service"), fault_stack.process("auth-verify")]
    for auth in parts:
        auth.pause_restarts()
        auth.stop()
    spoof = {"X-User-Id": alice.user_id, "X-User-Role": "ADMIN"}  # must not help either
    answers = []
    try:
        for method, template, body in REFUSED_WHILE_AUTH_IS_DOWN:
            request = {
                "method": method,
                "path": fill(template),
                "json": {k: fill(v) for k, v in body.items()} if body else None,
                "headers": dict(spoof),
            }
            response, took = timed(lambda r=request: alice.request(**r))
            answers.append((method, template, response.status_code, round(took, 2)))
    finally:
        for auth in parts:
            auth.start()
            auth.resume_restarts()
    let_through = [a for a in answers if 200 <= a[2] < 300 or a[3] > 2.0]
    assert let_through == [], f"answered 2xx or slowly while auth was down: {let_through}"

    eventually(lambda: _status(alice.get("/auth/me"), 200), timeout=30)
    names = [item["name"] for item in alice.get("/watchlists").json()["items"]]
    assert MADE_WHILE_AUTH_WAS_DOWN not in names
    assert alice.get(path).json()["media"] == before
    never_signed_up = requests.post(
        f"{gateway}/auth/signin",
        json={"email": "x" + alice.email, "password": PASSWORD},
        timeout=10,
    )
    assert never_signed_up.status_code == 401
    tracked.assert_exact_eventually()


def _status(response: requests.Response, expected: int) -> None:
    assert response.status_code == expected, (response.status_code, response.text[:200])


# -- 5. PostgreSQL restarted under load -----------------------------------------------------


class Load:
    """In threads: one adds a new media to a list over and over, others read the list."""

    def __init__(self, api: Api, path: str, first_media: int, readers: int = 3):
        self.api, self.path = api, path
        self.next_media = first_media
        self.answers: list[tuple[str, int | None, requests.Response]] = []
        self.acknowledged: list[int] = []
        self.attempted: list[int] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._write, daemon=True)]
        self._threads += [threading.Thread(target=self._read, daemon=True) for _ in range(readers)]

    def _write(self) -> None:
        api = Api(self.api.gateway, self.api.token, self.api.user_id)  # a session per thread
        while not self._stop.is_set():
            media_id = self.next_media
            self.next_media += 1
            self.attempted.append(media_id)
            write = api.post(
                f"{self.path}/media",
                json={"mediaId": media_id, "status": "watching", "rating": media_id % 10 + 1},
            )
            self.answers.append(("write", media_id, write))
            if write.status_code == 201:
                self.acknowledged.append(media_id)
            else:
                self._stop.wait(0.05)  # an outage: do not spin

    def _read(self) -> None:
        api = Api(self.api.gateway, self.api.token, self.api.user_id)
        while not self._stop.is_set():
            read = api.get(self.path)
            self.answers.append(("read", None, read))
            if read.status_code != 200:
                self._stop.wait(0.05)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def wait_for_writes(self, count: int, timeout: float) -> None:
        target = len(self.acknowledged) + count
        eventually(lambda: _at_least(len(self.acknowledged), target), timeout, interval=0.05)


RESTARTS = 2


def test_services_ride_out_a_postgresql_restart_under_load_without_being_restarted(
    fault_stack, gateway, alice
):
    path = new_list(alice, "Database restart")
    pids = {
        name: process.pid
        for name, process in fault_stack.supervisor.processes.items()
        if name != "postgres"
    }
    with Load(alice, path, first_media=5000) as load:
        load.wait_for_writes(10, timeout=30)
        for _ in range(RESTARTS):
            fault_stack.postgres.restart()
            load.wait_for_writes(10, timeout=60)
    unexpected = [
        (kind, media_id, response.status_code, response.text[:200])
        for kind, media_id, response in load.answers
        if response.status_code not in OK
        and not (
            response.status_code == 503
            and response.headers.get("Content-Type", "").startswith(PROBLEM)
        )
    ]
    assert unexpected == [], "answers other than success or a 503 problem document"
    for _, _, response in load.answers:
        assert_no_stack_trace(response)
    now = {name: fault_stack.process(name).pid for name in pids}
    assert now == pids, "a process was restarted"
    present = {entry["mediaId"] for entry in alice.all_media(path)}
    assert set(load.acknowledged) <= present, sorted(set(load.acknowledged) - present)
    tracked = Tracked(gateway, media=set(load.attempted))
    tracked.add_list(alice, path)
    tracked.assert_exact_eventually(timeout=60)


def _idle_in_transaction(fault_stack, service: str) -> None:
    with fault_stack.postgres.connect() as conn:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = %s AND state = 'idle in transaction'",
            (service,),
        ).fetchone()[0]
    assert waiting >= 1


def test_a_read_whose_transaction_a_postgresql_restart_ends_still_answers_a_problem_document(
    fault_stack, alice, friends
):
    """Deterministic: the friends service holds its read transaction open while it waits
    (up to 1 s) for display names from a frozen user service; PostgreSQL restarts then."""
    user_service = fault_stack.process("user-service")
    user_service.freeze()
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(alice.get, "/friends")
            eventually(lambda: _idle_in_transaction(fault_stack, "friends"), 1.0, 0.02)
            fault_stack.postgres.restart()
            response = pending.result(15)
    finally:
        user_service.thaw()
    assert_no_stack_trace(response)
    if response.status_code == 200:
        assert response.json()["degraded"] is True
    else:
        assert response.status_code == 503, (response.status_code, response.text[:200])
        assert response.headers["Content-Type"].startswith(PROBLEM)


HEALTH_CHECK_INTERVAL_S = 5.0  # Traefik's, devstack/traefik.py


def test_while_postgresql_is_down_the_gateway_answers_503_problem_documents(fault_stack, gateway):
    """Longer than one health-check interval, so the gateway has noticed too."""
    answers = []
    fault_stack.postgres.stop()
    try:
        deadline = time.monotonic() + HEALTH_CHECK_INTERVAL_S + 2
        while time.monotonic() < deadline:
            response = requests.get(f"{gateway}/mediastatistics/5", timeout=5)
            answers.append((response.status_code, response.headers.get("Content-Type")))
            time.sleep(0.25)
    finally:
        fault_stack.postgres.start()
    wrong = {a for a in answers if a[0] != 503 or not (a[1] or "").startswith(PROBLEM)}
    assert wrong == set(), f"{len(answers)} answers, these are not 503 problem documents"


# -- 6. a relay killed between publishing and marking rows sent ------------------------------


def _unsent(fault_stack) -> int:
    with fault_stack.postgres.connect("wlt_watchlist") as conn:
        return conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]


def _all_sent(fault_stack) -> None:
    assert _unsent(fault_stack) == 0


def _duplicates(fault_stack) -> float:
    text = requests.get(f"{fault_stack.service_url('mediastatistics')}/metrics", timeout=5).text
    return metric_value(text, "wlt_events_duplicate_total", {"topic": "media-entry-changed"})


def test_a_relay_killed_after_the_broker_acknowledged_republishes_and_nothing_counts_twice(
    fault_stack, gateway, alice, tmp_path
):
    tracked, writer = tracked_writer(gateway, alice, "Relay crash", range(6000, 6008), seed=6)
    relay_worker = fault_stack.process("watchlist-worker")
    relay_worker.pause_restarts()
    relay_worker.stop()  # the stack's relay publishes nothing until the crash is over
    child = None
    try:
        assert steps_answer_quickly(writer, 20, 1.0) == []
        unsent = _unsent(fault_stack)
        assert unsent >= 10
        duplicates_before = _duplicates(fault_stack)
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.stalling_relay", "watchlist_service"],
            cwd=REPO_ROOT,
            env=fault_stack.env_for("watchlist"),
            stdout=subprocess.PIPE,
            stderr=(tmp_path / "relay.log").open("wb"),
            text=True,
        )
        line = _read_line(child, timeout=30)
        assert line == f"acknowledged {unsent} failed 0 pending 0", (line, tmp_path)
        assert _unsent(fault_stack) == unsent  # published, not yet marked
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        eventually(lambda: _no_relay_connection(fault_stack), timeout=10)
        assert _unsent(fault_stack) == unsent  # the crash left them unsent
        tracked.assert_exact_eventually()  # the first publication arrived
    finally:
        if child and child.poll() is None:
            child.kill()
        relay_worker.start()
        relay_worker.resume_restarts()
    eventually(lambda: _all_sent(fault_stack), timeout=30)
    eventually(lambda: _at_least(_duplicates(fault_stack) - duplicates_before, unsent), timeout=30)
    tracked.assert_exact()


def _read_line(child: subprocess.Popen, timeout: float) -> str:
    """The child's first line of output, or a failure after `timeout` seconds."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(child.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert found, f"the relay printed nothing in {timeout} s"
    return found[0].strip()


def _no_relay_connection(fault_stack) -> None:
    """PostgreSQL has ended the killed relay's session (and rolled back its UPDATE)."""
    with fault_stack.postgres.connect("wlt_watchlist") as conn:
        locks = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        ).fetchone()[0]
    assert locks == 0
