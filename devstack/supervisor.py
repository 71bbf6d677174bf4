"""Child processes: one process group each, logs to a file, restarts with backoff.

`ManagedProcess` works on its own (tests start and kill one); a `Supervisor`
watches a set of them, restarts the ones that die and stops them all in
reverse order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 10.0
BACKOFF_RESET_AFTER = 30.0  # seconds up before a crash counts as a fresh start
STOP_TIMEOUT = 10.0


class ManagedProcess:
    """One child process in its own process group, logging to `log_path`.

    `stop_signal` goes to the group leader first (SIGINT for PostgreSQL's fast
    shutdown, SIGTERM elsewhere); whatever is left of the group after
    `stop_timeout` seconds gets SIGKILL. With `pid_file`, a process left over
    by a launcher that was itself killed is ended before a new one starts.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
        stop_timeout: float = STOP_TIMEOUT,
        pid_file: Path | None = None,
        auto_restart: bool = True,
    ) -> None:
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.user = user
        self.stop_signal = stop_signal
        self.stop_timeout = stop_timeout
        self.pid_file = pid_file
        self.auto_restart = auto_restart
        self.restarts = 0
        self._popen: subprocess.Popen[bytes] | None = None
        self._wanted = False  # the supervisor restarts it only while wanted
        self._paused = False
        self._frozen = False
        self._started_at = 0.0
        self._backoff = BACKOFF_FIRST
        self._restart_at: float | None = None
        self._lock = threading.RLock()

    # -- state -------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """Pid of the group leader, or None when not running."""
        with self._lock:
            return self._popen.pid if self.running else None

    @property
    def running(self) -> bool:
        """True while the group leader is alive (a frozen process is alive)."""
        with self._lock:
            return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        """Exit status of the last run, None while running or never started."""
        with self._lock:
            return None if self._popen is None else self._popen.poll()

    # -- control -----------------------------------------------------------

    def start(self) -> None:
        """Start the process (no-op if it runs); auto-restart applies from now on."""
        with self._lock:
            self._wanted = True
            self._restart_at = None
            if self.running:
                return
            self._end_leftover()
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "ab") as log:
                banner = (
                    f"\n--- {time.strftime('%F %T')} starting {self.name}: {' '.join(self.argv)}\n"
                )
                log.write(banner.encode())
                log.flush()
                self._popen = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    cwd=self.cwd,
                    user=self.user,
                    group=self.user,
                    extra_groups=[] if self.user else None,
                    start_new_session=True,  # own process group, and Ctrl-C reaches only us
                )
            self._frozen = False
            self._started_at = time.monotonic()
            if self.pid_file:
                self.pid_file.parent.mkdir(parents=True, exist_ok=True)
                self.pid_file.write_text(f"{self._popen.pid}\n{' '.join(self.argv)}\n")

    def stop(self, timeout: float | None = None) -> int | None:
        """Stop gracefully, SIGKILL after `timeout`, leave nothing of its group; its exit status."""
        with self._lock:
            self._wanted = False
            self._restart_at = None
            popen = self._popen
        if popen is None:
            return None
        timeout = self.stop_timeout if timeout is None else timeout
        if popen.poll() is None:
            _signal_pid(popen.pid, self.stop_signal)
            _signal_pid(popen.pid, signal.SIGCONT)  # a frozen process must wake to see it
            try:
                popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(popen.pid, signal.SIGKILL)
                popen.wait()
        self._end_group(popen.pid)
        with self._lock:
            self._frozen = False
            if self.pid_file:
                self.pid_file.unlink(missing_ok=True)
        return popen.returncode

    def kill(self) -> None:
        """SIGKILL the whole group at once, as a crash would; the supervisor may restart it."""
        with self._lock:
            popen = self._popen
        if popen is not None and popen.poll() is None:
            _signal_group(popen.pid, signal.SIGKILL)
            popen.wait()
            # the leader's children die a moment later; a restart before they are gone
            # finds their resources still held (PostgreSQL's shared memory, ports)
            deadline = time.monotonic() + 5
            while group_alive(popen.pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            self._frozen = False

    def freeze(self) -> None:
        """SIGSTOP the group: it stays alive but answers nothing."""
        with self._lock:
            if self.running:
                _signal_group(self._popen.pid, signal.SIGSTOP)
                self._frozen = True

    def thaw(self) -> None:
        """SIGCONT the group after `freeze`."""
        with self._lock:
            if self.running:
                _signal_group(self._popen.pid, signal.SIGCONT)
            self._frozen = False

    def pause_restarts(self) -> None:
        """Keep the supervisor from restarting this process until `resume_restarts`."""
        with self._lock:
            self._paused = True
            self._restart_at = None

    def resume_restarts(self) -> None:
        """Let the supervisor restart this process again if it is down."""
        with self._lock:
            self._paused = False

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the current run to end; its status, or None on timeout."""
        popen = self._popen
        if popen is None:
            return None
        try:
            return popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of its log, for error messages."""
        try:
            data = self.log_path.read_bytes()[-16384:]
        except OSError:
            return ""
        return "\n".join(data.decode(errors="replace").splitlines()[-lines:])

    # -- supervision -------------------------------------------------------

    def check(self, now: float) -> str | None:
        """Restart if it died while wanted (with backoff); a message when something happened."""
        with self._lock:
            if not self._wanted or self._paused or self._popen is None or not self.auto_restart:
                return None
            if self._popen.poll() is None:
                return None
            if self._restart_at is None:
                uptime = now - self._started_at
                if uptime >= BACKOFF_RESET_AFTER:
                    self._backoff = BACKOFF_FIRST
                delay = self._backoff
                self._backoff = min(self._backoff * 2, BACKOFF_MAX)
                self._restart_at = now + delay
                self._end_group(self._popen.pid)
                return (
                    f"{self.name} exited with {self._popen.returncode}; restarting in {delay:.1f} s"
                )
            if now < self._restart_at:
                return None
            self.restarts += 1
            self.start()
            return f"{self.name} restarted (pid {self._popen.pid})"

    def _end_group(self, pgid: int) -> None:
        """Kill what is left of a process group whose leader is gone (orphaned workers)."""
        if group_alive(pgid):
            _signal_group(pgid, signal.SIGTERM)
            _signal_group(pgid, signal.SIGCONT)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and group_alive(pgid):
                time.sleep(0.05)
            _signal_group(pgid, signal.SIGKILL)

    def _end_leftover(self) -> None:
        """End the process a killed launcher left behind, if the pid file still names it."""
        if not self.pid_file or not self.pid_file.exists():
            return
        try:
            pid_text, cmdline = self.pid_file.read_text().split("\n", 1)
            pid = int(pid_text)
            alive_cmd = (
                Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            )
        except (OSError, ValueError):
            self.pid_file.unlink(missing_ok=True)
            return
        if alive_cmd == cmdline.strip():
            _signal_group(pid, signal.SIGCONT)
            _signal_pid(pid, self.stop_signal)
            deadline = time.monotonic() + self.stop_timeout
            while time.monotonic() < deadline and pid_alive(pid):
                time.sleep(0.1)
            _signal_group(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


class Supervisor:
    """Watches processes in a thread; restarts the dead; stops all in reverse order."""

    def __init__(self, log=print, interval: float = 0.2) -> None:
        self.processes: dict[str, ManagedProcess] = {}
        self._log = log
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, process: ManagedProcess) -> ManagedProcess:
        """Register a process (started or not) under its name; start order is add order."""
        self.processes[process.name] = process
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._watch, name="devstack-supervisor", daemon=True
            )
            self._thread.start()
        return process

    def __getitem__(self, name: str) -> ManagedProcess:
        return self.processes[name]

    def stop_together(
        self, processes: Sequence[ManagedProcess], timeout: float = STOP_TIMEOUT
    ) -> None:
        """Stop several processes at once (each drains on its own), not one after another."""
        threads = [
            threading.Thread(target=process.stop, args=(timeout,), name=f"stop-{process.name}")
            for process in processes
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def stop_all(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the watcher, then every process, last added first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for process in reversed(list(self.processes.values())):
            process.stop(timeout)

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            now = time.monotonic()
            for process in list(self.processes.values()):
                try:
                    message = process.check(now)
                except OSError as exc:
                    message = f"{process.name} could not be restarted: {exc}"
                if message:
                    self._log(f"[supervisor] {message}")


def group_alive(pgid: int) -> bool:
    """True if a live (not zombie) process is in the process group `pgid`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def pid_alive(pid: int) -> bool:
    """True if process `pid` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _signal_pid(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False
