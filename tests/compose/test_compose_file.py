"""compose.yaml: health checks, one database per service, ordered start, closed ports, env."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from devstack.services import SERVICES
from tests.compose.support import ONE_SHOT
from tests.helpers import ROOT

SERVICE_NAMES = [spec.name for spec in SERVICES]
# Reads of the environment in our code: os.environ["X"], environ.get("X"), os.getenv("X"),
# "X" in os.environ, load_settings' _secret(...) and the typed readers' *_setting(environ,
# "X", ...) (keys, int_setting, float_setting).
ENV_READ_PATTERNS = [
    re.compile(r"""_secret\(\s*\w+\s*,\s*["']([A-Z][A-Z0-9_]*)["']"""),
    re.compile(r"""_setting\(\s*[\w.]+\s*,\s*["']([A-Z][A-Z0-9_]*)["']"""),
    re.compile(r"""environ(?:\.get)?\s*[\[(]\s*["']([A-Z][A-Z0-9_]*)["']"""),
    re.compile(r"""getenv\(\s*["']([A-Z][A-Z0-9_]*)["']"""),
    re.compile(r"""["']([A-Z][A-Z0-9_]*)["']\s+(?:not\s+)?in\s+(?:os\.)?environ\b"""),
]


def app_containers(name: str) -> list[str]:
    """The containers that run one service's code."""
    return [f"{name}-migrate", f"{name}-service", f"{name}-worker"]


def uninterpolated(value: str) -> str:
    """`value` with every ${...} compose substitution replaced by a placeholder."""
    return re.sub(r"\$\{[^}]*\}", "x", value)


def environment_reads(*packages: str) -> set[str]:
    """Every environment variable the code of `packages` reads."""
    sources = [path for package in packages for path in ROOT.glob(f"{package}/**/*.py")]
    names: set[str] = set()
    for path in sources:
        text = path.read_text()
        for pattern in ENV_READ_PATTERNS:
            names.update(pattern.findall(text))
    return names


def test_environment_scan_finds_the_settings_every_service_loads():
    assert {"DATABASE_URL", "WLT_SERVICE_KEY", "DISCOVERY", "PROMETHEUS_MULTIPROC_DIR"} <= (
        environment_reads("servicekit")
    )
    assert {"WLT_TOKEN_SIGNING_KEY", "WLT_TRUSTED_PROXIES"} <= environment_reads("auth_service")


@pytest.mark.parametrize("spec", SERVICES, ids=SERVICE_NAMES)
def test_every_variable_the_code_reads_is_provided_to_each_container(containers, spec):
    needed = environment_reads("servicekit", spec.package)
    for container in app_containers(spec.name):
        missing = needed - set(containers[container]["environment"])
        assert not missing, f"{container} lacks {sorted(missing)}"


def test_discovery_is_consul_so_no_static_service_urls_are_needed(containers):
    for name in SERVICE_NAMES:
        env = containers[f"{name}-service"]["environment"]
        assert env["DISCOVERY"] == "consul"
        assert env["CONSUL_HTTP_ADDR"] == "http://consul:8500"
        assert not [key for key in env if key.endswith("_SERVICE_URL")]


def test_every_long_running_container_has_a_health_check(containers):
    for name, container in containers.items():
        check = container.get("healthcheck", {})
        if container.get("restart") == ONE_SHOT:
            assert check.get("disable") is True, name
        else:
            assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_one_shot_containers_are_awaited_to_completion_by_someone(containers):
    awaited = {
        dependency
        for container in containers.values()
        for dependency, how in container.get("depends_on", {}).items()
        if how["condition"] == "service_completed_successfully"
    }
    one_shots = {name for name, c in containers.items() if c.get("restart") == ONE_SHOT}

    assert one_shots == awaited


def test_every_dependency_is_awaited_healthy_or_completed(containers):
    for name, container in containers.items():
        depends_on = container.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for dependency, how in depends_on.items():
            condition = how["condition"]
            if containers[dependency].get("restart") == ONE_SHOT:
                assert condition == "service_completed_successfully", (name, dependency)
            else:
                assert condition == "service_healthy", (name, dependency)


def test_only_traefik_publishes_ports_and_its_admin_ports_stay_on_loopback(containers):
    publishing = {name for name, c in containers.items() if c.get("ports") or c.get("network_mode")}
    assert publishing == {"traefik"}

    ports = containers["traefik"]["ports"]
    admin = [p for p in ports if not p.endswith(":8000")]
    assert {p.rsplit(":", 1)[1] for p in admin} == {"8080", "8500"}
    assert all(p.startswith("127.0.0.1:") for p in admin)


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_has_a_database_of_its_own(containers, compose, name):
    db = containers[f"{name}-db"]
    assert db["image"] == "postgres:18"
    (volume,) = db["volumes"]
    assert volume.split(":")[0] in compose["volumes"]
    for container in app_containers(name):
        url = containers[container]["environment"]["DATABASE_URL"]
        assert urlsplit(uninterpolated(url)).hostname == f"{name}-db"


def test_no_two_services_share_a_database_volume_or_password(containers):
    dbs = [containers[f"{name}-db"] for name in SERVICE_NAMES]
    volumes = [db["volumes"][0].split(":")[0] for db in dbs]
    passwords = [db["environment"]["POSTGRES_PASSWORD"] for db in dbs]

    assert len(set(volumes)) == len(SERVICES)
    assert len(set(passwords)) == len(SERVICES)


@pytest.mark.parametrize("spec", SERVICES, ids=SERVICE_NAMES)
def test_each_service_runs_gunicorn_and_its_worker_after_its_migrations(containers, spec):
    web, worker, migrate = (
        containers[f"{spec.name}-{role}"] for role in ("service", "worker", "migrate")
    )

    assert web["command"][:3] == ["gunicorn", "-c", "servicekit/gunicorn_conf.py"]
    assert web["command"][-1] == f"{spec.package}.wsgi:app"
    assert worker["command"] == ["python", "-m", f"{spec.package}.worker"]
    assert migrate["command"] == ["python", "-m", "servicekit.migrate", spec.package]
    for container in (web, worker):
        assert container["depends_on"][f"{spec.name}-migrate"] == {
            "condition": "service_completed_successfully"
        }


@pytest.mark.parametrize("spec", SERVICES, ids=SERVICE_NAMES)
def test_each_service_registers_under_its_table_name_and_prefix(containers, spec):
    env = containers[f"{spec.name}-service"]["environment"]

    assert env["WLT_SERVICE_NAME"] == spec.name
    assert env["WLT_ROUTE_PREFIX"] == (spec.prefix or "")


def test_replicas_can_scale_without_fixed_names(containers):
    for name in SERVICE_NAMES:
        for role in ("service", "worker"):
            assert "container_name" not in containers[f"{name}-{role}"]


@pytest.mark.parametrize(
    "variable",
    [
        "WLT_TOKEN_SIGNING_KEY",
        "WLT_ASSERTION_SIGNING_KEY",
        "WLT_ASSERTION_PUBLIC_KEY",
        "WLT_SERVICE_PUBLIC_KEYS",
        *[f"{name.upper()}_SERVICE_KEY" for name in SERVICE_NAMES],
        *[f"{name.upper()}_DB_PASSWORD" for name in SERVICE_NAMES],
        "KAFKA_ADMIN_PASSWORD",
        *[f"{name.upper()}_KAFKA_PASSWORD" for name in SERVICE_NAMES],
    ],
)
def test_secrets_must_come_from_the_env_file_and_are_documented(variable):
    compose_text = (ROOT / "compose.yaml").read_text()
    example = (ROOT / ".env.example").read_text()

    assert f"${{{variable}:?" in compose_text
    assert f"${{{variable}}}" not in compose_text and f"${{{variable}:-" not in compose_text
    assert re.search(rf"^{variable}=", example, re.MULTILINE)


def test_services_run_in_production_mode_by_default(containers):
    assert containers["user-service"]["environment"]["WLT_ENV"] == "${WLT_ENV:-production}"


def test_kafka_runs_in_kraft_mode_and_contract_topics_are_created(containers):
    kafka = containers["kafka"]["environment"]
    assert containers["kafka"]["image"] == "apache/kafka:4.4.0"
    assert set(kafka["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    # topics and grants come from the kit's one-shot, run with the admin login
    assert containers["kafka-init"]["command"] == ["python", "-m", "servicekit.broker_setup"]
    assert containers["kafka-init"]["environment"]["KAFKA_SASL_USERNAME"] == "admin"


def broker_properties(environment: dict[str, str]) -> dict[str, str]:
    """server.properties lines as the Kafka image makes them from KAFKA_* variables."""
    props = {}
    for name, value in environment.items():
        if not name.startswith("KAFKA_") or name.endswith("_OPTS"):
            continue
        key = name.removeprefix("KAFKA_").lower()
        key = key.replace("___", "-").replace("__", "@").replace("_", ".").replace("@", "_")
        props[key] = str(value)
    return props


def test_the_broker_authenticates_and_authorizes_as_the_tested_local_one(containers):
    from devstack.kafka import authenticated_properties

    compose_props = broker_properties(containers["kafka"]["environment"])
    tested = authenticated_properties("", 9092, "kafka:9092", 9093, {"admin": "x"})
    jaas = compose_props.pop("listener.name.client.plain.sasl.jaas.config")
    tested.pop("listener.name.client.plain.sasl.jaas.config")
    for key, value in tested.items():
        assert compose_props.get(key) == value, key
    # the broker knows the admin and every service, each by its own password variable
    for name in ["admin", *SERVICE_NAMES]:
        variable = "KAFKA_ADMIN_PASSWORD" if name == "admin" else f"{name.upper()}_KAFKA_PASSWORD"
        assert f'user_{name}="${{{variable}:?' in jaas, name


@pytest.mark.parametrize("spec", SERVICES, ids=SERVICE_NAMES)
def test_each_service_logs_in_to_the_broker_as_itself(containers, spec):
    from servicekit import broker_setup

    for container in app_containers(spec.name):
        env = containers[container]["environment"]
        assert env["KAFKA_SASL_USERNAME"] == spec.name, container
        assert env["KAFKA_SASL_PASSWORD"].startswith(f"${{{spec.name.upper()}_KAFKA_PASSWORD:?")
    granted = set(broker_setup.WRITES) | set(broker_setup.READS)
    assert spec.name in granted


def test_consul_runs_with_its_ui_behind_the_gateway(containers):
    assert containers["consul"]["image"] == "hashicorp/consul:1.20"
    assert "-ui" in containers["consul"]["command"]
    assert "ports" not in containers["consul"]


def test_the_app_image_is_built_by_one_service_that_every_app_container_waits_for(containers):
    # 18 services naming `build: .` made a cold `docker compose build` build it 18 times
    builders = [name for name, c in containers.items() if "build" in c]
    assert builders == ["app-image"]
    image = containers["app-image"]["image"]
    for name, container in containers.items():
        if container.get("image") == image and name != "app-image":
            assert container.get("pull_policy") == "never", name
            assert _waits_for(containers, name, "app-image"), name


def _waits_for(containers, name: str, target: str) -> bool:
    """`name` depends on `target`, directly or through its dependencies."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        for dependency in containers[current].get("depends_on", {}):
            if dependency == target:
                return True
            if dependency not in seen:
                seen.add(dependency)
                todo.append(dependency)
    return False


def test_the_metrics_tmpfs_belongs_to_the_app_user_so_a_restart_cannot_make_it_root_owned(
    containers,
):
    for name in SERVICE_NAMES:
        for container in app_containers(name):
            mounts = [m for m in containers[container]["tmpfs"] if m.startswith("/run/metrics")]
            assert mounts == ["/run/metrics:uid=10001,gid=10001,mode=0700"], container


def test_health_checks_and_one_shots_start_no_jvm(containers):
    # a JVM every few seconds for the Kafka check, two per `up --scale` for the topics
    kafka_check = " ".join(containers["kafka"]["healthcheck"]["test"])
    assert "/opt/kafka/bin" not in kafka_check and "/dev/tcp/" in kafka_check
    assert containers["kafka-init"]["command"][0] == "python"
    assert containers["kafka-init"]["image"] == containers["user-service"]["image"]
