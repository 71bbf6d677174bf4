"""Accounts: `/auth/me`, deletion with its `user-deleted` event, admins from the CLI."""

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests
from confluent_kafka import Consumer, Producer

from auth_service import cli
from auth_service.models import db, outbox
from servicekit.relay import OutboxRelay, producer_config
from tests.auth_service.support import PASSWORD, decode_token, unique_email
from tests.helpers import ROOT, assert_problem, identity, service_key_env


@pytest.fixture
def admin(app, auth, monkeypatch):
    """A signed-in ADMIN made by the CLI: (userId, accessToken)."""
    email = unique_email("admin")
    monkeypatch.setenv(cli.PASSWORD_ENV, PASSWORD)
    assert cli.main(["create-admin", "--email", email, "--display-name", "Root"], app=app) == 0
    body = auth.signin(email).get_json()
    return body["userId"], body["accessToken"]


def test_me_returns_the_account_without_secrets(auth):
    email = unique_email("Me")
    body = auth.signup(email=email)
    response = auth.through_gateway("GET", "/auth/me", body["accessToken"])
    assert response.status_code == 200
    assert response.get_json() == {"userId": body["userId"], "email": email, "role": "USER"}


@pytest.mark.parametrize("headers", [{}, identity(uuid.uuid4())])
def test_me_without_a_live_identity_is_401(client, headers):
    assert_problem(client.get("/auth/me", headers=headers), 401)


def test_user_deletes_own_account_and_its_tokens_die_at_once(auth, user_service):
    email = unique_email()
    body = auth.signup(email=email)
    token, user_id = body["accessToken"], body["userId"]
    second = auth.signin(email).get_json()["accessToken"]
    response = auth.through_gateway("DELETE", f"/auth/users/{user_id}", token)
    assert response.status_code == 204 and response.data == b""
    for old in (token, second):
        assert_problem(auth.verify("GET", "/auth/me", token=old), 401)
    assert_problem(auth.signin(email), 401)
    assert auth.signup(email=email)["userId"] != user_id


def test_user_cannot_delete_someone_else(auth):
    victim = auth.signup()
    attacker = auth.signup()
    uri = f"/auth/users/{victim['userId']}"
    assert_problem(auth.through_gateway("DELETE", uri, attacker["accessToken"]), 403)
    assert auth.verify("GET", "/auth/me", token=victim["accessToken"]).status_code == 200


def test_admin_deletes_another_account(auth, admin):
    victim = auth.signup()
    uri = f"/auth/users/{victim['userId']}"
    assert auth.through_gateway("DELETE", uri, admin[1]).status_code == 204
    assert_problem(auth.verify("GET", "/auth/me", token=victim["accessToken"]), 401)


@pytest.mark.parametrize("path", [f"/auth/users/{uuid.uuid4()}", "/auth/users/not-a-uuid"])
def test_admin_deleting_an_unknown_account_is_404(client, admin, path):
    assert_problem(client.delete(path, headers=identity(admin[0], "ADMIN")), 404)


def test_admin_cli_creates_an_admin_with_a_profile(app, admin, auth, user_service):
    user_id, token = admin
    claims = decode_token(token)
    assert claims["role"] == "ADMIN"
    check = auth.verify("GET", "/auth/me", token=token)
    assert check.headers["X-User-Role"] == "ADMIN"
    assert auth.through_gateway("GET", "/auth/me", token).get_json()["role"] == "ADMIN"
    profile = requests.get(f"{user_service.url}/users/{user_id}", timeout=5).json()
    assert profile["displayName"] == "Root"


@pytest.mark.parametrize(
    "email, password, message",
    [("not-an-email", PASSWORD, "Invalid"), (unique_email(), "short", "Invalid")],
)
def test_admin_cli_rejects_bad_input(app, monkeypatch, capsys, email, password, message):
    monkeypatch.setenv(cli.PASSWORD_ENV, password)
    assert cli.main(["create-admin", "--email", email, "--display-name", "X"], app=app) == 1
    assert message in capsys.readouterr().err


def test_flask_cli_refuses_a_taken_email(app, auth, monkeypatch):
    email = unique_email()
    auth.signup(email=email)
    monkeypatch.setenv(cli.PASSWORD_ENV, PASSWORD)
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", email.upper(), "--display-name", "Dup"]
    )
    assert result.exit_code != 0 and "already exists" in result.output


def test_admin_cli_runs_as_a_module(app, service_env, user_service, auth):
    email = unique_email("module")
    env = {
        **os.environ,
        **service_env,
        **service_key_env("auth"),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "USER_SERVICE_URL": user_service.url,
        cli.PASSWORD_ENV: PASSWORD,
    }
    done = subprocess.run(
        [sys.executable, "-m", "auth_service.cli", "create-admin", "--email", email,
         "--display-name", "Mod"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    token = auth.signin(email).get_json()["accessToken"]
    assert auth.verify("GET", "/auth/me", token=token).headers["X-User-Role"] == "ADMIN"


def read_events(kafka_bootstrap: str, topic: str, key: str, deadline_s: float = 15) -> list:
    """Every message on `topic` with `key`, read from the start until the partitions' end."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"auth-test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.partition.eof": True,
        }
    )
    consumer.subscribe([topic])
    found, at_end, deadline = [], False, time.monotonic() + deadline_s
    try:
        while time.monotonic() < deadline and not (at_end and found):
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                at_end = True
                continue
            if msg.key() == key.encode():
                found.append(json.loads(msg.value()))
    finally:
        consumer.close()
    return found


def test_deletion_publishes_exactly_one_user_deleted_event(
    app, auth, admin, kafka_bootstrap, topic_prefix
):
    user_id = auth.signup()["userId"]
    uri = f"/auth/users/{user_id}"
    assert auth.through_gateway("DELETE", uri, admin[1]).status_code == 204
    assert_problem(auth.client.delete(uri, headers=identity(admin[0], "ADMIN")), 404)
    with app.app_context():
        engine = db.engine
    relay = OutboxRelay(
        engine, outbox, Producer(producer_config(kafka_bootstrap)), topic_prefix=topic_prefix
    )
    while relay.publish_batch():
        pass
    events = read_events(kafka_bootstrap, topic_prefix + "user-deleted", user_id)
    assert len(events) == 1
    event = events[0]
    assert set(event) == {"eventId", "type", "occurredAt", "userId"}
    assert event["type"] == "user.deleted" and event["userId"] == user_id
    assert event["occurredAt"].endswith("Z") and uuid.UUID(event["eventId"])


def test_openapi_document_lists_auth_routes_but_not_verify(client):
    doc = client.get("/auth/openapi.json").get_json()
    assert {"/auth/signup", "/auth/signin", "/auth/me", "/auth/users/{user_id}"} <= set(
        doc["paths"]
    )
    assert "/verify" not in doc["paths"]


def test_readiness_depends_on_the_database_not_the_broker(client):
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert set(ready.get_json()["checks"]) == {"database"}


def test_worker_process_publishes_the_outbox(app, auth, service_env, kafka_bootstrap, topic_prefix):
    env = {
        **os.environ,
        **service_env,
        **service_key_env("auth"),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "auth_service.worker"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        body = auth.signup()
        uri = f"/auth/users/{body['userId']}"
        assert auth.through_gateway("DELETE", uri, body["accessToken"]).status_code == 204
        events = read_events(kafka_bootstrap, topic_prefix + "user-deleted", body["userId"])
        assert [e["userId"] for e in events] == [body["userId"]]
    finally:
        worker.terminate()
        assert worker.wait(timeout=20) == 0, worker.stderr.read()[-2000:]
