"""The whole system on one machine: PostgreSQL, Kafka, migrations, services, workers, Traefik.

stack = LocalStack(var_dir=tmp, port_base=free_port_block(90))
stack.start()                       # blocks until every step is ready
stack.env_for("user")               # the environment user-service runs with
stack.process("user-service").kill()  # the supervisor restarts it with backoff
stack.stop()                        # reverse order, nothing left behind
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from devstack import devsecrets
from devstack.consul import ConsulAgent, ConsulTokens
from devstack.consulbin import find_consul
from devstack.kafka import (
    KafkaBroker,
    broker_answers,
    create_topics,
    java_binary,
    libs_present,
)
from devstack.ports import POSTGRES_PORT_OFFSET
from devstack.postgres import ExternalPostgres, PostgresServer
from devstack.services import (
    CONSUL_HTTP_PORT_OFFSET,
    CONSUL_SERF_PORT_OFFSET,
    CONSUL_SERVER_PORT_OFFSET,
    DASHBOARD_PORT_OFFSET,
    DEFAULT_KAFKA_PORT,
    DEFAULT_PORT_BASE,
    SERVICES,
    VERIFY_PORT_OFFSET,
    ServiceSpec,
)
from devstack.supervisor import ManagedProcess, Supervisor
from devstack.traefik import (
    DEV_CORS_ORIGINS,
    GatewayLimits,
    dashboard_login,
    dashboard_users,
    traefik_binary,
    write_config,
)
from devstack.traefik import cors_origins as parse_cors_origins
from servicekit.contract import TOPICS

REPO_ROOT = Path(__file__).resolve().parent.parent


class StartupError(RuntimeError):
    """A step of `LocalStack.start` failed; the message carries the process's log tail."""


class LocalStack:
    """Runs the system under one supervisor; every address is on 127.0.0.1.

    var_dir: where data (var_dir/data), logs (var_dir/log), runtime files
      (var_dir/run) and the development secrets live; Kafka jars are read from
      `kafka_libs` (default REPO_ROOT/var/cache/kafka-libs).
    port_base: gateway port; service ports are port_base + offset, the Traefik
      dashboard port_base + 80, PostgreSQL (if private) `postgres_port`
      (default port_base + 432).
    postgres_url / kafka_bootstrap: an existing server or broker to use instead
      of starting one; default from WLT_POSTGRES_URL / KAFKA_BOOTSTRAP_SERVERS.
    discovery: "consul" (default: a Consul agent on port_base + 500 with ACLs, every
      instance registers itself, Traefik routes through its Consul Catalog provider,
      services find each other through it) or "static" (fixed addresses, file-provider
      servers); default from DISCOVERY. Without a consul binary it falls back to static
      and says so loudly.
    from_environment: False ignores WLT_POSTGRES_URL, KAFKA_BOOTSTRAP_SERVERS,
      KAFKA_TOPIC_PREFIX and DISCOVERY (tests that must start their own servers).
    cors_origins: origins a browser app may call the gateway from; default
      WLT_CORS_ORIGINS (comma-separated), else the development origins (port 3000).
    postgres_settings: extra server settings of a private PostgreSQL (benchmarks turn on
      auto_explain with them).
    strict: raise StartupError when a service fails to become ready (tests);
      when False, warn and let the supervisor keep retrying (`make run`).
    """

    def __init__(
        self,
        var_dir: Path,
        *,
        port_base: int = DEFAULT_PORT_BASE,
        kafka_port: int = DEFAULT_KAFKA_PORT,
        kafka_controller_port: int | None = None,
        postgres_port: int | None = None,
        services: Sequence[ServiceSpec] = SERVICES,
        with_traefik: bool = True,
        with_workers: bool = True,
        postgres_url: str | None = None,
        kafka_bootstrap: str | None = None,
        kafka_libs: Path | None = None,
        topic_prefix: str | None = None,
        discovery: str | None = None,
        gateway_limits: GatewayLimits | None = None,
        cors_origins: Sequence[str] | None = None,
        gunicorn_workers: int = 2,
        postgres_settings: Mapping[str, str] | None = None,
        ready_timeout: float = 60.0,
        strict: bool = True,
        from_environment: bool = True,
        log=print,
    ) -> None:
        self.var_dir = Path(var_dir).resolve()
        self.port_base = port_base
        self.kafka_port = kafka_port
        self.kafka_controller_port = kafka_controller_port or kafka_port + 1
        self.postgres_port = postgres_port or port_base + POSTGRES_PORT_OFFSET
        self.services = tuple(services)
        self.with_traefik = with_traefik
        self.with_workers = with_workers
        self.gunicorn_workers = gunicorn_workers
        self.ready_timeout = ready_timeout
        self.strict = strict
        self.log = log
        environ = os.environ if from_environment else {}
        self.topic_prefix = (
            environ.get("KAFKA_TOPIC_PREFIX", "") if topic_prefix is None else topic_prefix
        )
        self.kafka_libs = (
            Path(kafka_libs) if kafka_libs else REPO_ROOT / "var" / "cache" / "kafka-libs"
        )
        self.log_dir = self.var_dir / "log"
        self.run_dir = self.var_dir / "run"
        postgres_url = environ.get("WLT_POSTGRES_URL") if postgres_url is None else postgres_url
        self.postgres: PostgresServer | ExternalPostgres = (
            ExternalPostgres(postgres_url)
            if postgres_url
            else PostgresServer(
                self.var_dir / "data" / "postgres",
                self.postgres_port,
                log_path=self.log_dir / "postgres.log",
                settings=postgres_settings,
            )
        )
        env_bootstrap = environ.get("KAFKA_BOOTSTRAP_SERVERS")
        self.external_kafka = kafka_bootstrap if kafka_bootstrap is not None else env_bootstrap
        self.kafka: KafkaBroker | None = None
        self.discovery = environ.get("DISCOVERY", "consul") if discovery is None else discovery
        if self.discovery not in ("consul", "static"):
            raise ValueError(f"DISCOVERY must be consul or static, not {self.discovery!r}")
        self.gateway_limits = gateway_limits or GatewayLimits()
        if cors_origins is None:
            cors_origins = parse_cors_origins(environ.get("WLT_CORS_ORIGINS")) or DEV_CORS_ORIGINS
        self.cors_origins = tuple(cors_origins)
        self.consul: ConsulAgent | None = None
        self.consul_tokens: ConsulTokens | None = None
        self.supervisor = Supervisor(log=log)
        self._secrets: dict[str, str] = {}
        self._started = False
        self.warnings: list[str] = []  # said during start-up; the ready banner counts them

    # -- addresses and environment -----------------------------------------

    @property
    def gateway_url(self) -> str:
        """Public entry point (Traefik)."""
        return f"http://127.0.0.1:{self.port_base}"

    @property
    def dashboard_port(self) -> int:
        """Traefik dashboard port."""
        return self.port_base + DASHBOARD_PORT_OFFSET

    @property
    def verify_url(self) -> str:
        """The forward-auth processes of the auth service (the gateway calls /verify here)."""
        return f"http://127.0.0.1:{self.port_base + VERIFY_PORT_OFFSET}"

    @property
    def dashboard_login(self) -> tuple[str, str]:
        """(user, password) of the Traefik dashboard and its API (development, generated)."""
        return dashboard_login(self.var_dir / "dev-gateway.env")

    def dashboard_api(self, path: str):
        """Decoded JSON of a GET on Traefik's API (e.g. "/api/http/routers"), or None."""
        user, password = self.dashboard_login
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.dashboard_port}{path}",
            headers={"Authorization": f"Basic {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return json.load(response)
        except (OSError, ValueError):
            return None

    def service_url(self, name: str) -> str:
        """Direct address of one service, bypassing the gateway."""
        return f"http://127.0.0.1:{self.port_base + self._spec(name).port_offset}"

    @property
    def kafka_bootstrap(self) -> str:
        """bootstrap.servers the services get; empty when no broker is available."""
        if self.external_kafka is not None:
            return self.external_kafka
        return self.kafka.bootstrap if self.kafka else ""

    def topic(self, name: str) -> str:
        """A contract topic name with KAFKA_TOPIC_PREFIX applied."""
        return f"{self.topic_prefix}{name}"

    def env_for(self, name: str) -> dict[str, str]:
        """The full environment of service `name`'s processes (web, worker, migrations)."""
        spec = self._spec(name)
        self._load_secrets()
        env = dict(os.environ)
        env.update(
            {
                "WLT_ENV": "development",
                "WLT_SERVICE_NAME": spec.name,
                "WLT_CREDENTIALS_PER_MINUTE": str(self.gateway_limits.credentials_per_minute),
                "DATABASE_URL": self.postgres.url(f"wlt_{spec.name}"),
                "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
                "KAFKA_TOPIC_PREFIX": self.topic_prefix,
                "DISCOVERY": self.discovery,
                "PROMETHEUS_MULTIPROC_DIR": str(self.run_dir / "prom" / spec.name),
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
                ),
                "PYTHONUNBUFFERED": "1",
                **devsecrets.for_service(spec.name, self._secrets),
            }
        )
        if self.discovery == "consul":
            assert self.consul is not None and self.consul_tokens is not None
            env.update(
                {
                    "CONSUL_HTTP_ADDR": self.consul.url,
                    "CONSUL_HTTP_TOKEN": self.consul_tokens.of(spec.name),
                    "WLT_ADVERTISE_ADDRESS": "127.0.0.1",
                    "WLT_ROUTE_PREFIX": spec.prefix or "",
                }
            )
            for other in SERVICES:  # peers come from Consul, not from fixed addresses
                env.pop(other.env_url_var, None)
            return env
        for variable in ("CONSUL_HTTP_ADDR", "CONSUL_HTTP_TOKEN"):
            env.pop(variable, None)
        for other in SERVICES:
            env[other.env_url_var] = f"http://127.0.0.1:{self.port_base + other.port_offset}"
        return env

    def process(self, name: str) -> ManagedProcess:
        """A supervised process: postgres, kafka, traefik, <name>-service, <name>-worker."""
        return self.supervisor[name]

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Start every step in order, each blocking until really ready; stop all on failure."""
        self._started = True
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop everything in reverse order: SIGTERM (SIGINT for PostgreSQL), SIGKILL after 10 s.

        The gateway goes first, then every service and worker at once (each web server
        drains for a few seconds after leaving Consul), then Kafka, PostgreSQL and Consul.
        """
        if not self._started:
            return
        with self._step("stopped everything"):
            if "traefik" in self.supervisor.processes:
                self.supervisor["traefik"].stop()
            self.supervisor.stop_together(
                [
                    p
                    for n, p in self.supervisor.processes.items()
                    if n.endswith(("-service", "-worker"))
                ]
            )
            self.supervisor.stop_all()
        self._started = False

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- steps -------------------------------------------------------------

    def _start(self) -> None:
        for folder in (self.log_dir, self.run_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self._load_secrets()  # its loud line comes first
        self._start_consul()
        if isinstance(self.postgres, PostgresServer):
            with self._step(f"postgres ready on 127.0.0.1:{self.postgres.port}"):
                self.supervisor.add(self.postgres.process)
                self.postgres.start(self.ready_timeout)
        else:
            with self._step("external postgres (WLT_POSTGRES_URL) ready"):
                self.postgres.start(self.ready_timeout)
        with self._step("databases ready"):
            for spec in self.services:
                self.postgres.create_database(f"wlt_{spec.name}")
        self._start_kafka()
        for spec in self.services:
            self._migrate(spec)
        self._start_services()
        if self.with_workers:
            self._start_workers()
        if self.with_traefik:
            self._start_traefik()

    def _start_consul(self) -> None:
        if self.discovery != "consul":
            self._warn("DISCOVERY=static: no Consul; fixed addresses and file-provider routes")
            return
        binary, source = find_consul()
        if binary is None:
            self.discovery = "static"
            self._warn(
                f"NO CONSUL ({source}): running on STATIC discovery, not the deployed"
                " topology; `make setup` builds Consul when Go is installed"
            )
            return
        http_port = self.port_base + CONSUL_HTTP_PORT_OFFSET
        with self._step(f"consul ready on 127.0.0.1:{http_port} (UI /ui/; binary from {source})"):
            self.consul_tokens = ConsulTokens.load_or_create(self.var_dir / "dev-consul-tokens.env")
            self.consul = ConsulAgent(
                binary,
                self.var_dir / "data" / "consul",
                http_port=http_port,
                serf_port=self.port_base + CONSUL_SERF_PORT_OFFSET,
                server_port=self.port_base + CONSUL_SERVER_PORT_OFFSET,
                tokens=self.consul_tokens,
                log_path=self.log_dir / "consul.log",
            )
            self.supervisor.add(self.consul.process)
            self.consul.start(self.ready_timeout)

    def registered(self, name: str) -> list[dict]:
        """The passing instances of `name` in Consul (empty on static discovery)."""
        if self.consul is None:
            return []
        return self.consul.get(f"/v1/health/service/{name}?passing=1") or []

    def _start_kafka(self) -> None:
        if self.external_kafka is not None:
            if not self.external_kafka:
                self._warn(
                    "KAFKA_BOOTSTRAP_SERVERS is empty: no broker, statistics will not update"
                )
                return
            with self._step(f"external kafka {self.external_kafka} answers"):
                self._wait(lambda: broker_answers(self.external_kafka), "kafka metadata", None)
        elif not java_binary() or not libs_present(self.kafka_libs):
            why = (
                "java is not installed"
                if not java_binary()
                else f"no Kafka jars in {self.kafka_libs}"
            )
            self._warn(
                f"NO KAFKA BROKER ({why}): events will not flow and statistics will NOT update"
            )
            return
        else:
            with self._step(f"kafka ready on {self.kafka_port}"):
                self.kafka = KafkaBroker(
                    self.var_dir / "data" / "kafka",
                    self.kafka_port,
                    self.kafka_controller_port,
                    self.kafka_libs,
                    log_path=self.log_dir / "kafka.log",
                )
                self.supervisor.add(self.kafka.process)
                self.kafka.start(max(self.ready_timeout, 90))
        with self._step("topics ready"):
            create_topics(self.kafka_bootstrap, [self.topic(t) for t in TOPICS], partitions=3)

    def _migrate(self, spec: ServiceSpec) -> None:
        import subprocess

        if not (REPO_ROOT / spec.package / "migrations").is_dir():
            self._warn(f"{spec.package} has no migrations/ folder yet: skipping its migrations")
            return
        log_path = self.log_dir / f"migrate-{spec.name}.log"
        t0 = time.monotonic()
        with open(log_path, "ab") as log:
            result = subprocess.run(
                [sys.executable, "-m", "servicekit.migrate", spec.package],
                env=self.env_for(spec.name),
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
            )
        took = f"({time.monotonic() - t0:.1f} s)"
        if result.returncode == 0:
            self.log(f"[devstack] migrated {spec.package} {took}")
        else:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
            self._fail(
                f"migrations of {spec.package} failed ({result.returncode}); {log_path}:\n{tail}"
            )

    def _start_services(self) -> None:
        started = []
        with self._step("services ready"):
            for spec in self.services:
                if not _module_exists(spec.package, "wsgi"):
                    self._warn(
                        f"{spec.package}.wsgi does not exist yet: {spec.name}-service not started"
                    )
                    continue
                prom_dir = self.run_dir / "prom" / spec.name
                shutil.rmtree(prom_dir, ignore_errors=True)
                prom_dir.mkdir(parents=True)
                argv = self._gunicorn_argv(spec, self.port_base + spec.port_offset)
                process = self._add(f"{spec.name}-service", argv, self.env_for(spec.name))
                started.append((spec, process))
                if spec.name == "auth":
                    started.append((spec, self._start_verify(spec)))
            for spec, process in started:
                base = self.verify_url if process.name == "auth-verify" else None
                url = f"{base or self.service_url(spec.name)}/health/live"
                t0 = time.monotonic()
                ok = self._wait(
                    lambda url=url: _http_status(url) == 200, f"{process.name} live", process
                )
                if ok:
                    self.log(f"  {process.name} live on {url} ({time.monotonic() - t0:.1f} s)")
            if self.consul is not None:
                for spec, process in started:
                    name = "auth-verify" if process.name == "auth-verify" else spec.name
                    self._wait(
                        lambda name=name: bool(self.registered(name)),
                        f"{process.name} passing in Consul",
                        process,
                    )

    def _start_verify(self, spec: ServiceSpec) -> ManagedProcess:
        """auth's forward-auth processes: /verify only, on workers no request body can hold."""
        env = self.env_for(spec.name)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(self.run_dir / "prom" / "auth-verify")
        shutil.rmtree(env["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True)
        env["WLT_SERVICE_NAME"] = "auth-verify"
        env["WLT_ROUTE_PREFIX"] = ""  # registered for its health, never routed
        argv = self._gunicorn_argv(
            spec, self.port_base + VERIFY_PORT_OFFSET, app="auth_service.verify_wsgi:app"
        )
        return self._add("auth-verify", argv, env)

    def _gunicorn_argv(self, spec: ServiceSpec, port: int, app: str | None = None) -> list[str]:
        conf = REPO_ROOT / "servicekit" / "gunicorn_conf.py"
        return [
            sys.executable,
            "-m",
            "gunicorn",
            *(["-c", str(conf)] if conf.exists() else []),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(self.gunicorn_workers),
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            app or f"{spec.package}.wsgi:app",
        ]

    def add_instance(self, name: str, port: int) -> ManagedProcess:
        """Start one more instance of service `name` on `port` (a second replica), unsupervised.

        On Consul discovery it registers itself and the gateway balances over both; the
        caller stops or kills it.
        """
        spec = self._spec(name)
        env = self.env_for(name)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(self.run_dir / "prom" / f"{name}-{port}")
        shutil.rmtree(env["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True)
        process = ManagedProcess(
            f"{name}-service-{port}",
            self._gunicorn_argv(spec, port),
            env=env,
            cwd=REPO_ROOT,
            log_path=self.log_dir / f"{name}-service-{port}.log",
            auto_restart=False,
        )
        process.start()
        return process

    def _start_workers(self) -> None:
        with self._step("workers started"):
            for spec in self.services:
                if not spec.has_worker:
                    continue
                if not _module_exists(spec.package, "worker"):
                    self._warn(
                        f"{spec.package}.worker does not exist yet: {spec.name}-worker not started"
                    )
                    continue
                self._add(
                    f"{spec.name}-worker",
                    [sys.executable, "-m", f"{spec.package}.worker"],
                    self.env_for(spec.name),
                )

    def _start_traefik(self) -> None:
        with self._step(
            f"traefik ready on {self.gateway_url} (dashboard 127.0.0.1:{self.dashboard_port})"
        ):
            config_dir = self.run_dir / "traefik"
            consul = None
            if self.consul is not None and self.consul_tokens is not None:
                consul = (f"127.0.0.1:{self.consul.http_port}", self.consul_tokens.of("traefik"))
            static, _ = write_config(
                config_dir,
                self.services,
                port_base=self.port_base,
                dashboard_port=self.dashboard_port,
                log_dir=self.log_dir,
                consul=consul,
                limits=self.gateway_limits,
                dashboard=dashboard_users(*self.dashboard_login),
                verify_url=self.verify_url,
                cors=self.cors_origins,
            )
            process = self._add(
                "traefik", [traefik_binary(), f"--configFile={static}"], dict(os.environ)
            )
            prefix = next((s.prefix for s in self.services if s.name == "user"), None) or "/users"
            url = f"{self.gateway_url}{prefix}/openapi.json"
            routers = "/api/http/routers?per_page=1000"
            services = "/api/http/services?per_page=1000"
            routed = [s.name for s in self.services if s.prefix]
            expected = {f"{name}@file" for name in routed}
            expected |= {"deny-internal@file", "catch-all@file"}
            backends = {f"{name}@consulcatalog" for name in routed} if consul else set()

            def routing() -> bool:
                # before the file provider's routers are in, Traefik itself answers 404
                loaded = {router.get("name") for router in self.dashboard_api(routers) or []}
                found = {service.get("name") for service in self.dashboard_api(services) or []}
                return expected <= loaded and backends <= found and _http_status(url) is not None

            self._wait(routing, "traefik routes", process)

    # -- helpers -----------------------------------------------------------

    def _add(self, name: str, argv: list, env: dict[str, str]) -> ManagedProcess:
        process = ManagedProcess(
            name,
            argv,
            env=env,
            cwd=REPO_ROOT,
            log_path=self.log_dir / f"{name}.log",
            pid_file=self.run_dir / "pids" / f"{name}.pid",
        )
        self.supervisor.add(process)
        process.start()
        return process

    def _wait(self, ready, what: str, process: ManagedProcess | None) -> bool:
        deadline = time.monotonic() + self.ready_timeout
        while not ready():
            crash_loop = process is not None and process.restarts >= 3
            if time.monotonic() > deadline or crash_loop:
                tail = process.log_tail() if process else ""
                where = f" (log {process.log_path})" if process else ""
                why = (
                    "keeps crashing"
                    if crash_loop
                    else f"not ready after {self.ready_timeout:.0f} s"
                )
                self._fail(f"{what}: {why}{where}\n{tail}")
                return False
            time.sleep(0.2)
        return True

    def _fail(self, message: str) -> None:
        if self.strict:
            raise StartupError(message)
        self._warn(message)

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        self.log(f"WARNING: {message}")

    def _load_secrets(self) -> None:
        if not self._secrets:
            self._secrets = devsecrets.load_or_create(
                self.var_dir / "dev-secrets.env", log=self.log
            )

    def _spec(self, name: str) -> ServiceSpec:
        for spec in SERVICES:
            if spec.name == name:
                return spec
        raise KeyError(f"unknown service {name!r}")

    @contextmanager
    def _step(self, what: str) -> Iterator[None]:
        t0 = time.monotonic()
        yield
        self.log(f"[devstack] {what} ({time.monotonic() - t0:.1f} s)")


def _module_exists(package: str, module: str) -> bool:
    base = REPO_ROOT / package
    return (base / f"{module}.py").exists() or (base / module / "__init__.py").exists()


def _http_status(url: str, timeout: float = 2.0) -> int | None:
    """HTTP status of a GET, or None if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None
