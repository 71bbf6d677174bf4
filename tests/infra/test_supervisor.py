"""ManagedProcess and Supervisor with real child processes (sh and sleep)."""

from __future__ import annotations

import time

from devstack.supervisor import ManagedProcess, Supervisor
from tests.infra.support import assert_nothing_left

# a parent that spawns a child: stopping must take the child with it
# (the marker is printed as "up" + "1" so the log's banner line, which shows argv, never matches)
SHELL_WITH_CHILD = ["sh", "-c", "sleep 300 & echo up$((0+1)); wait"]


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_stop_leaves_no_process_of_the_group(tmp_path):
    process = ManagedProcess("sh", SHELL_WITH_CHILD, log_path=tmp_path / "sh.log")
    process.start()
    pid = process.pid
    _wait_for(lambda: "up1" in process.log_tail())
    process.stop(timeout=2)
    assert_nothing_left(pid)


def test_process_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path):
    process = ManagedProcess(
        "stubborn",
        ["sh", "-c", "trap '' TERM; echo up$((0+1)); sleep 300"],
        log_path=tmp_path / "s.log",
    )
    process.start()
    pid = process.pid
    _wait_for(lambda: "up1" in process.log_tail())
    t0 = time.monotonic()
    process.stop(timeout=1)
    assert 0.9 < time.monotonic() - t0 < 5
    assert_nothing_left(pid)


def test_supervisor_restarts_a_killed_process_and_stops_all(tmp_path):
    supervisor = Supervisor(log=lambda line: None, interval=0.05)
    process = supervisor.add(ManagedProcess("sh", SHELL_WITH_CHILD, log_path=tmp_path / "sh.log"))
    process.start()
    first = process.pid
    process.kill()
    _wait_for(lambda: process.pid is not None and process.pid != first)
    assert process.restarts == 1
    assert_nothing_left(first)
    second = process.pid
    supervisor.stop_all(timeout=2)
    assert_nothing_left(second)


def test_paused_restarts_leave_a_dead_process_down(tmp_path):
    supervisor = Supervisor(log=lambda line: None, interval=0.05)
    process = supervisor.add(ManagedProcess("sh", SHELL_WITH_CHILD, log_path=tmp_path / "sh.log"))
    process.start()
    process.pause_restarts()
    process.kill()
    time.sleep(1.0)
    assert not process.running
    process.resume_restarts()
    _wait_for(lambda: process.running)
    supervisor.stop_all(timeout=2)


def test_freeze_and_thaw_stop_and_continue_the_process(tmp_path):
    process = ManagedProcess("sleep", ["sleep", "300"], log_path=tmp_path / "sleep.log")
    process.start()

    def state() -> str:
        return open(f"/proc/{process.pid}/stat").read().rsplit(")", 1)[1].split()[0]

    process.freeze()
    _wait_for(lambda: state() == "T", timeout=5)
    process.thaw()
    _wait_for(lambda: state() in ("S", "R"), timeout=5)
    process.freeze()
    pid = process.pid
    process.stop(timeout=2)  # a frozen process is woken so it can obey SIGTERM
    assert_nothing_left(pid)
