"""Containers restarted under the running system: app (defect 1), Consul, Kafka, a database.

Each test restarts one container of the shared project and waits for the system to be
whole again before it ends, so the next test starts from a healthy stack.
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest
import requests

from tests.containers.compose import ROUTED, SERVICE_NAMES, eventually
from tests.e2e.support import add_media, counters, new_media_id, personal_list, stats_become
from tests.helpers import sign_up

CONSUL_BACK_WITHIN_S = 20.0  # the bound: every instance registered and routed again
GUNICORN_ERROR = re.compile(r"\[\d+\] \[ERROR\]")


def routed_everywhere(project) -> None:
    """Every service has a passing instance that Traefik routes to."""
    for name, prefix in ROUTED.items():
        assert project.passing(name), f"{name}: no passing instance in Consul"
        answer = requests.get(f"{project.gateway}{prefix}/openapi.json", timeout=3)
        assert answer.status_code == 200, (prefix, answer.status_code)


@pytest.mark.parametrize("service", ["watchlist-service", "watchlist-worker"])
def test_an_app_container_restarted_comes_back_healthy_instead_of_crash_looping(project, service):
    (container,) = project.containers(service)
    restarts_before = project.restart_count(container)
    project.docker("restart", container)
    since = project.state(container)["StartedAt"]

    seconds = project.wait_healthy(container, timeout=90)
    time.sleep(5)  # a crash loop would show as another restart by now

    print(f"{service}: healthy {seconds:.1f} s after docker restart")
    assert project.restart_count(container) == restarts_before
    logs = project.logs(container, since=since)
    assert "PermissionError" not in logs, logs[-2000:]
    if service.endswith("-service"):
        eventually(lambda: routed_everywhere(project), timeout=30)


def test_web_containers_start_without_gunicorn_errors(project):
    # gunicorn's control socket wanted to write under a read-only $HOME (defect 2)
    for name in SERVICE_NAMES:
        for container in project.containers(f"{name}-service"):
            errors = [
                line for line in project.logs(container).splitlines() if GUNICORN_ERROR.search(line)
            ]
            assert not errors, f"{container}: {errors[:3]}"


def test_consul_restarted_every_instance_is_registered_and_routed_again_within_20_s(project):
    before = {name: project.passing(name) for name in SERVICE_NAMES}
    assert all(before.values()), before
    (consul,) = project.containers("consul")

    project.docker("restart", consul)
    t0 = time.monotonic()

    def all_back() -> None:
        now = {name: project.passing(name) for name in SERVICE_NAMES}
        assert now == before, now
        routed_everywhere(project)

    eventually(all_back, timeout=60, interval=0.5)
    seconds = time.monotonic() - t0
    print(f"consul restart: every instance registered and routed {seconds:.1f} s after it started")
    assert seconds <= CONSUL_BACK_WITHIN_S


def test_kafka_restarted_loses_no_event_and_the_statistics_are_exact_after(project):
    api = sign_up(project.gateway, "Kafka")
    list_id = personal_list(api)
    path = f"/watchlists/{list_id}"
    media = [new_media_id() for _ in range(6)]
    add_media(api, path, media[0], status="watching", rating=8)
    add_media(api, path, media[1])

    (kafka,) = project.containers("kafka")
    restart = subprocess.Popen(["docker", "restart", kafka], stdout=subprocess.DEVNULL)
    try:
        # written while the broker is going down and away: they wait in the outbox
        add_media(api, path, media[2], status="watched", rating=6)
        add_media(api, path, media[3])
        changed = api.patch(f"{path}/media/{media[0]}", json={"status": "watched"})
        assert changed.status_code == 200, changed.text
    finally:
        assert restart.wait(timeout=120) == 0
    project.wait_healthy(kafka, timeout=120)
    add_media(api, path, media[4], status="on_hold")
    add_media(api, path, media[5], rating=10)

    expected = {
        media[0]: counters(status={"watched": 1}, ratings=(8,)),
        media[1]: counters(status={"added": 1}),
        media[2]: counters(status={"watched": 1}, ratings=(6,)),
        media[3]: counters(status={"added": 1}),
        media[4]: counters(status={"onHold": 1}),
        media[5]: counters(status={"added": 1}, ratings=(10,)),
    }
    for media_id, wanted in expected.items():
        stats_become(project.gateway, media_id, wanted, timeout=90)


def test_a_database_restarted_the_service_recovers_and_keeps_its_data(project):
    api = sign_up(project.gateway, "Durable")
    list_id = personal_list(api, "Kept")
    (database,) = project.containers("watchlist-db")
    (web,) = project.containers("watchlist-service")
    restarts_before = project.restart_count(web)

    project.docker("restart", database)
    t0 = time.monotonic()

    def served() -> None:
        answer = api.get(f"/watchlists/{list_id}")
        assert answer.status_code == 200, answer.status_code
        assert answer.json()["name"] == "Kept"

    eventually(served, timeout=60, interval=0.5)
    print(f"watchlist-db restart: served again {time.monotonic() - t0:.1f} s after it started")
    created = api.post("/watchlists", json={"name": "After"})
    assert created.status_code == 201, created.text
    assert project.restart_count(web) == restarts_before
    project.wait_healthy(web, timeout=60)
