"""The worker as a real process: catch-up after an outage, and a SIGKILL mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import text

from mediastatistics_service.models import db
from tests.helpers import ROOT
from tests.mediastatistics_service.support import Ledger, produce, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def start_worker(service_env, stats_env, tmp_path):
    """Factory: start `python -m mediastatistics_service.worker` for this test's deployment."""
    started: list[subprocess.Popen] = []
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env |= service_env | stats_env
    env |= {"WLT_CONSUMER_INSTANCE_ID": "stats-worker-1", "WLT_CONSUMER_SESSION_TIMEOUT_MS": "6000"}

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediastatistics_service.worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def scalar(app, sql: str):
    with app.app_context():
        return db.session.execute(text(sql)).scalar_one()


def all_exact(client, ledger: Ledger, media_ids) -> bool:
    ids = ",".join(map(str, media_ids))
    items = client.get(f"/mediastatistics?ids={ids}").get_json()["items"]
    return all(
        {k: v for k, v in item.items() if k != "updatedAt"} == ledger.expected(item["mediaId"])
        for item in items
    )


def test_thousand_changes_made_while_the_service_is_down_end_exact(
    app, client, prefix, kafka_bootstrap, start_worker
):
    media_ids = list(range(1, 41))
    ledger = Ledger()
    ledger.random_walk(media_ids, 1000)
    produce(kafka_bootstrap, prefix, ledger.events)
    worker = start_worker()
    wait_until(lambda: scalar(app, "SELECT count(*) FROM processed_events") == 1000, 60)
    assert all_exact(client, ledger, media_ids)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(20) == 0


def test_worker_killed_mid_batch_resumes_and_ends_exact(
    app, client, prefix, kafka_bootstrap, start_worker
):
    media_ids = list(range(1, 301))
    ledger = Ledger()
    ledger.random_walk(media_ids, 20_000, seed=11)
    produce(kafka_bootstrap, prefix, ledger.events)
    worker = start_worker()
    database = app.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[1]
    in_batch = (
        f"SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = '{database}' "
        "AND application_name = 'mediastatistics' AND xact_start IS NOT NULL "
        "AND pid <> pg_backend_pid()"
    )
    wait_until(lambda: scalar(app, "SELECT count(*) FROM processed_events") > 0, 60, 0.02)
    wait_until(lambda: scalar(app, in_batch), 30, 0.005)
    worker.kill()
    worker.wait(10)
    applied_at_kill = scalar(app, "SELECT count(*) FROM processed_events")
    assert 0 < applied_at_kill < len(ledger.events)

    start_worker()
    wait_until(
        lambda: scalar(app, "SELECT count(*) FROM processed_events") == len(ledger.events), 90
    )
    assert all_exact(client, ledger, media_ids[:100])
    assert all_exact(client, ledger, media_ids[100:200])
    assert all_exact(client, ledger, media_ids[200:])
