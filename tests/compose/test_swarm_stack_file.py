"""deploy/swarm/stack.yml read as Swarm reads it: every task gets what the code reads.

The stack repeats compose.yaml's services with Swarm's own means (secrets as files the
entrypoint turns into variables, no depends_on), so it can drift from the code while
compose.yaml stays right: these checks are compose's, applied to the stack.
"""

from __future__ import annotations

import pytest

from devstack.services import SERVICES
from tests.compose.conftest import load
from tests.compose.test_compose_file import SERVICE_NAMES, environment_reads


@pytest.fixture(scope="module")
def stack() -> dict:
    return load("deploy/swarm/stack.yml")


def provided(task: dict) -> set[str]:
    """Variables a task of this service starts with: its environment and secret targets."""
    names = set(task.get("environment") or {})
    for secret in task.get("secrets") or []:
        names.add(secret["target"] if isinstance(secret, dict) else secret)
    return names


@pytest.mark.parametrize("spec", SERVICES, ids=SERVICE_NAMES)
def test_every_variable_the_code_reads_is_provided_to_each_task(stack, spec):
    needed = environment_reads("servicekit", spec.package)
    tasks = [f"{spec.name}-service", f"{spec.name}-worker"]
    if spec.name == "auth":
        tasks.append("auth-verify")
    for name in tasks:
        missing = needed - provided(stack["services"][name])
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_every_secret_a_task_names_is_declared_external(stack):
    declared = stack["secrets"]
    for name, task in stack["services"].items():
        for secret in task.get("secrets") or []:
            source = secret["source"] if isinstance(secret, dict) else secret
            assert declared.get(source, {}).get("external") is True, (name, source)


def test_private_keys_reach_only_their_owner(stack):
    signing = {"WLT_TOKEN_SIGNING_KEY", "WLT_ASSERTION_SIGNING_KEY"}
    for name, task in stack["services"].items():
        targets = provided(task)
        if not name.startswith("auth-"):
            assert not signing & targets, f"{name} is given an auth signing key"
        for secret in task.get("secrets") or []:
            if isinstance(secret, dict) and secret["target"] == "WLT_SERVICE_KEY":
                owner = name.rsplit("-", 1)[0]
                assert secret["source"] == f"wlt_{owner.replace('-verify', '')}_service_key"


def test_forward_auth_has_its_own_tasks_as_in_compose(stack):
    verify = stack["services"]["auth-verify"]
    assert "auth_service.verify_wsgi:app" in verify["command"]
    assert verify["environment"]["WLT_SERVICE_NAME"] == "auth-verify"


def test_the_dashboard_login_comes_from_a_secret(stack):
    traefik = stack["services"]["traefik"]
    assert "wlt_dashboard_users" in [
        s["source"] if isinstance(s, dict) else s for s in traefik["secrets"]
    ]
    assert "WLT_DASHBOARD_USERS" in " ".join(traefik["command"])
