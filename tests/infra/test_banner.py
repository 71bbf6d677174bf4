"""`make run` says where things are: the ready banner, and progress of long set-up steps."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from devstack.banner import banner
from devstack.progress import run_with_progress


def fake_stack(*, consul: bool = True, broker: bool = True, warnings=()) -> SimpleNamespace:
    return SimpleNamespace(
        gateway_url="http://127.0.0.1:13000",
        dashboard_port=13080,
        var_dir=Path("/repo/var"),
        log_dir=Path("/repo/var/log"),
        consul=SimpleNamespace(url="http://127.0.0.1:13500") if consul else None,
        discovery="consul" if consul else "static",
        kafka_bootstrap="127.0.0.1:9092" if broker else "",
        cors_origins=("http://localhost:3000",),
        warnings=list(warnings),
    )


def test_banner_lists_gateway_docs_dashboard_consul_and_logs():
    text = "\n".join(banner(fake_stack()))

    assert "gateway            http://127.0.0.1:13000" in text
    assert "http://127.0.0.1:13000/docs" in text
    assert "http://127.0.0.1:13080/dashboard/" in text and "/repo/var/dev-gateway.env" in text
    assert "http://127.0.0.1:13500/ui/" in text
    assert "/repo/var/log/" in text
    assert "DEGRADED" not in text


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"broker": False}, "NO BROKER"),
        ({"consul": False}, "STATIC DISCOVERY"),
        ({"warnings": ["user-service not ready"]}, "1 during start-up"),
    ],
)
def test_banner_says_what_is_degraded(changes, says):
    assert says in "\n".join(banner(fake_stack(**changes)))


def test_banner_of_a_real_stack_names_addresses_that_answer(stack):
    lines = banner(stack)
    by_name = {line.split()[0]: line.split() for line in lines if line.startswith("  ")}

    docs = next(word for word in by_name["API"] if word.startswith("http"))
    assert requests.get(docs, timeout=10).status_code == 200
    dashboard = next(word for word in by_name["Traefik"] if word.startswith("http"))
    assert requests.get(dashboard, timeout=10).status_code == 401  # its login is named
    if stack.consul is not None:
        consul = next(word for word in by_name["Consul"] if word.startswith("http"))
        assert requests.get(consul, timeout=10).status_code == 200


def test_a_long_step_prints_its_progress_while_it_runs():
    said: list[str] = []
    script = (
        "import time\n"
        "for i in range(6):\n"
        "    print('Collecting p%d' % i, flush=True)\n"
        "    time.sleep(0.25)\n"
    )

    result = run_with_progress(
        [sys.executable, "-c", script],
        label="pip",
        counts=r"^Collecting ",
        unit="packages",
        total=6,
        every_s=0.5,
        say=said.append,
    )

    assert result.returncode == 0 and result.stdout.count("Collecting") == 6
    assert len(said) >= 2
    assert all(
        line.startswith("[setup]   pip: ") and "of about 6 packages" in line for line in said
    )
    counts = [int(line.split(": ")[1].split()[0]) for line in said]
    assert counts == sorted(counts) and counts[-1] >= 2
