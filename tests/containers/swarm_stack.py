"""`make test-swarm`: deploy/swarm/stack.yml on a one-node swarm on loopback, tested, removed.

Makes the swarm (`docker swarm init` on 127.0.0.1) unless this engine is in one already,
labels the node for the stateful services, creates the secrets from fresh random values,
deploys the stack, reaches its gateway through a forwarder published on 127.0.0.1 only,
runs the e2e suite and the Swarm tests (scale, rolling update under load), then removes the
stack, its volumes and secrets, and leaves the swarm it made.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import requests

from servicekit.keys import env_block
from tests.containers import images
from tests.containers.compose import (
    DASHBOARD_USER,
    ROUTED,
    SERVICE_NAMES,
    TEST_CREDENTIALS_PER_MINUTE,
    eventually,
    free_port,
    gateway_config_for_tests,
    htpasswd_sha,
)
from tests.containers.phases import phase, say

ROOT = Path(__file__).resolve().parents[2]
STACK = "wltswarm"
STACK_FILE = ROOT / "deploy" / "swarm" / "stack.yml"
FORWARDER = f"{STACK}-loopback"
LABEL = f"wlt.test={STACK}"


def docker(*args: str, check: bool = True, timeout: float = 300) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout.strip()


def stack_keys() -> tuple[dict[str, str], dict[str, str]]:
    """Fresh Ed25519 keys: (the private ones as Swarm secrets, the public ones as variables)."""
    keys = env_block()
    private = {
        "wlt_token_signing_key": keys["WLT_TOKEN_SIGNING_KEY"],
        "wlt_assertion_signing_key": keys["WLT_ASSERTION_SIGNING_KEY"],
    }
    private.update(
        {f"wlt_{name}_service_key": keys[f"{name.upper()}_SERVICE_KEY"] for name in SERVICE_NAMES}
    )
    public = {name: keys[name] for name in ("WLT_ASSERTION_PUBLIC_KEY", "WLT_SERVICE_PUBLIC_KEYS")}
    return private, public


def stack_secrets(private_keys: dict[str, str], dashboard_password: str) -> dict[str, str]:
    """Fresh values for every secret the stack declares."""
    values = {
        **private_keys,
        "wlt_consul_management_token": str(uuid.uuid4()),
        "wlt_consul_token_traefik": str(uuid.uuid4()),
        "wlt_dashboard_users": htpasswd_sha(DASHBOARD_USER, dashboard_password),
        "wlt_kafka_admin_password": secrets.token_hex(32),
    }
    for name in SERVICE_NAMES:
        password = secrets.token_hex(32)
        values[f"wlt_consul_token_{name}"] = str(uuid.uuid4())
        values[f"wlt_{name}_kafka_password"] = secrets.token_hex(32)
        values[f"wlt_{name}_db_password"] = password
        values[f"wlt_{name}_database_url"] = (
            f"postgresql://{name}_service:{password}@{name}-db:5432/{name}_service"
        )
    management = values["wlt_consul_management_token"]
    tokens = {"initial_management": management, "agent": management}
    values["wlt_consul_acl_config"] = json.dumps({"acl": {"tokens": tokens}})
    return values


def converged() -> None:
    """Every replicated service runs all its replicas, every job completed."""
    lines = docker("service", "ls", "--filter", f"label=com.docker.stack.namespace={STACK}",
                   "--format", "{{.Name}}|{{.Mode}}|{{.Replicas}}").splitlines()  # fmt: skip
    assert lines, "no services yet"
    for line in lines:
        name, mode, replicas = line.split("|")
        if "job" in mode:  # "replicated job": "0/1 (1/1 completed)"
            done, wanted = replicas.split("(")[1].split()[0].split("/")
            assert done == wanted, line
        else:  # "1/1", or "2/1" while a start-first update overlaps
            running, wanted = replicas.split()[0].split("/")
            assert running == wanted, line


def routed(gateway: str) -> None:
    for prefix in ROUTED.values():
        answer = requests.get(f"{gateway}{prefix}/openapi.json", timeout=3)
        assert answer.status_code == 200, (prefix, answer.status_code)


def run_swarm() -> None:
    """The whole Swarm run; AssertionError on the first failed phase."""
    var = ROOT / "var" / "containers"
    var.mkdir(parents=True, exist_ok=True)
    made_swarm = False
    ports = {"gateway": free_port(), "dashboard": free_port(), "consul": free_port()}
    private_keys, public_keys = stack_keys()
    dashboard_password = secrets.token_hex(24)
    values = stack_secrets(private_keys, dashboard_password)
    # the gateway config with the suites' roomier rate limits, as the compose run uses
    gateway = gateway_config_for_tests(Path(tempfile.mkdtemp(prefix="wlt-swarm-")) / "traefik")
    try:
        with phase("swarm init"):
            if docker("info", "--format", "{{.Swarm.LocalNodeState}}") != "active":
                docker("swarm", "init", "--advertise-addr", "127.0.0.1",
                       "--listen-addr", "127.0.0.1:2377")  # fmt: skip
                made_swarm = True
            node = docker("info", "--format", "{{.Swarm.NodeID}}")
            docker("node", "update", "--label-add", "wlt.data=true", node)
        with phase("app image"):
            images.stage_build_ca()
            docker("build", "-q", "-t", images.APP_IMAGE, str(ROOT), timeout=900)
        with phase("swarm secrets"):
            for name, value in values.items():
                subprocess.run(
                    ["docker", "secret", "create", "--label", LABEL, name, "-"],
                    input=value, text=True, capture_output=True, check=True,
                )  # fmt: skip
        with phase("swarm stack up to healthy"):
            # one task per service on this shared two-core host; the tests scale one out
            deploy_env = {
                "WLT_WEB_REPLICAS": "1",
                "WLT_GATEWAY_REPLICAS": "1",
                "WLT_TRAEFIK_DYNAMIC": str(gateway / "dynamic.yml"),
                "WLT_CREDENTIALS_PER_MINUTE": str(TEST_CREDENTIALS_PER_MINUTE),
                **public_keys,
            }
            subprocess.run(
                ["docker", "stack", "deploy", "--resolve-image", "never",
                 "-c", str(STACK_FILE), STACK],
                env={**os.environ, **deploy_env}, check=True, capture_output=True, text=True,
            )  # fmt: skip
            docker(
                "run", "-d", "--name", FORWARDER, "--label", LABEL,
                "--network", f"{STACK}_backend", "--read-only", "--cap-drop", "ALL",
                "-p", f"127.0.0.1:{ports['gateway']}:8000",
                "-p", f"127.0.0.1:{ports['dashboard']}:8080",
                "-p", f"127.0.0.1:{ports['consul']}:8500",
                "-v", f"{ROOT / 'tests' / 'containers' / 'forward.py'}:/forward.py:ro",
                "python:3.11-slim-bookworm", "python", "/forward.py",
                "8000=tasks.traefik:8000", "8080=tasks.traefik:8080", "8500=tasks.traefik:8500",
            )  # fmt: skip
            gateway = f"http://127.0.0.1:{ports['gateway']}"
            eventually(converged, timeout=1200, interval=3)
            eventually(lambda: routed(gateway), timeout=120, interval=1)
        suite_env = {
            "WLT_TEST_GATEWAY": gateway,
            "WLT_CONTAINER_TESTS": "swarm",
            "WLT_SWARM_STACK": STACK,
            "WLT_SWARM_DASHBOARD": f"http://127.0.0.1:{ports['dashboard']}",
            "WLT_SWARM_CONSUL": f"http://127.0.0.1:{ports['consul']}",
            "WLT_SWARM_CONSUL_TOKEN": values["wlt_consul_management_token"],
            "WLT_TEST_DASHBOARD_PASSWORD": dashboard_password,
        }
        with phase("e2e suite through the swarm gateway"):
            pytest("tests/e2e", "-q", "--ignore=tests/e2e/test_deletion_with_stopped_worker.py",
                   env=suite_env)  # fmt: skip
        with phase("swarm scale and rolling update"):
            pytest("tests/containers/swarm", "-v", "-s", "-p", "no:randomly", env=suite_env)
    finally:
        with phase("swarm teardown"):
            teardown(made_swarm, var)


def pytest(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        env={**os.environ, **env}, cwd=ROOT,
    )  # fmt: skip
    if result.returncode == 5:
        raise AssertionError("pytest collected no tests: a run that tests nothing is not a pass")
    if result.returncode != 0:
        raise AssertionError(f"pytest {' '.join(args)} exited with {result.returncode}")


def teardown(made_swarm: bool, var: Path) -> None:
    """Remove the forwarder, the stack, its volumes and secrets; leave a swarm made here."""
    # the stack's containers' logs, for a failure's post-mortem (docker service logs can
    # hang while tasks restart; plain docker logs of each container cannot)
    label = f"label=com.docker.stack.namespace={STACK}"
    logs = []
    for container in docker("ps", "-aq", "--filter", label, check=False).split():
        name = docker("inspect", "-f", "{{.Name}}", container, check=False)
        result = subprocess.run(
            ["docker", "logs", "--timestamps", "--tail", "300", container],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        logs.append(f"==> {name}\n{result.stdout}{result.stderr}")
    (var / "swarm.log").write_text("\n".join(logs))
    docker("rm", "-f", "-v", FORWARDER, check=False)
    docker("stack", "rm", STACK, check=False)

    def gone() -> None:
        assert not docker("service", "ls", "-q", "--filter", label, check=False)
        # finished job tasks keep their containers after `stack rm`
        exited = docker("ps", "-aq", "--filter", label, "--filter", "status=exited", check=False)
        if exited:
            docker("rm", "-f", "-v", *exited.split(), check=False)
        assert not docker("ps", "-aq", "--filter", label, check=False)
        assert not docker("network", "ls", "-q", "--filter", label, check=False)

    try:
        eventually(gone, timeout=180, interval=2)
    finally:
        cleanup(made_swarm, label)


def cleanup(made_swarm: bool, label: str) -> None:
    """Volumes, secrets and the swarm itself, after the stack's containers are gone."""
    leftover = docker("ps", "-aq", "--filter", label, check=False).split()
    if leftover:
        docker("rm", "-f", "-v", *leftover, check=False)
    for volume in docker("volume", "ls", "-q", "--filter", label, check=False).split():
        docker("volume", "rm", volume, check=False)
    for secret in docker("secret", "ls", "-q", "--filter", f"label={LABEL}", check=False).split():
        docker("secret", "rm", secret, check=False)
    if made_swarm:
        docker("swarm", "leave", "--force", check=False)
        # swarm init made it; leaving does not remove it
        docker("network", "rm", "docker_gwbridge", check=False)
    left = {
        kind: docker(*args, check=False)
        for kind, args in {
            "containers": ("ps", "-aq", "--filter", label),
            "volumes": ("volume", "ls", "-q", "--filter", label),
            "networks": ("network", "ls", "-q", "--filter", label),
        }.items()
    }
    left = {kind: ids for kind, ids in left.items() if ids}
    assert not left, f"left behind: {left}"
    say("stack, volumes and secrets removed" + (", swarm left" if made_swarm else ""))
