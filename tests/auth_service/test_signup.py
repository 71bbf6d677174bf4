"""Sign-up: one account here and one profile in the user service, or nothing at all."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests
from sqlalchemy import select

from auth_service.models import Account, db
from devstack.ports import free_port
from tests.auth_service.support import PASSWORD, unique_email
from tests.helpers import assert_problem, identity


def account_count(app, email: str) -> int:
    with app.app_context():
        rows = db.session.scalars(select(Account).where(Account.email_key == email.lower()))
        return len(list(rows))


def test_signup_creates_account_and_profile_with_one_id(client, user_service):
    email = unique_email()
    response = client.post(
        "/auth/signup", json={"email": email, "password": PASSWORD, "displayName": " Ann "}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {
        "userId", "email", "displayName", "accessToken", "tokenType", "expiresIn",
        "refreshToken", "refreshExpiresIn",
    }  # fmt: skip
    assert body["email"] == email and body["displayName"] == "Ann"
    assert body["tokenType"] == "Bearer" and body["expiresIn"] == 900
    profile = requests.get(f"{user_service.url}/users/{body['userId']}", timeout=5).json()
    assert profile["displayName"] == "Ann"


def test_password_is_stored_as_argon2id_and_never_returned(app, auth):
    body = auth.signup()
    assert PASSWORD not in str(body) and "password" not in str(body).lower()
    with app.app_context():
        account = db.session.get(Account, uuid.UUID(body["userId"]))
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a" * 250 + "@x.io"}, "email"),
        ({"email": 5}, "email"),
        ({"password": "short77"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"password": 12345678}, "password"),
        ({"displayName": ""}, "displayName"),
        ({"displayName": "   "}, "displayName"),
        ({"displayName": "x" * 51}, "displayName"),
        ({"displayName": None}, "displayName"),
        ({"role": "ADMIN"}, "role"),
    ],
)
def test_invalid_signup_is_422_naming_the_field(client, changes, field):
    body = {"email": unique_email(), "password": PASSWORD, "displayName": "Val", **changes}
    problem = assert_problem(client.post("/auth/signup", json=body), 422)
    assert field in problem["errors"]
    if isinstance(body["email"], str):
        assert account_count(client.application, body["email"]) == 0


@pytest.mark.parametrize("data", ["{oops", "[]", "null", '"text"'])
def test_malformed_signup_bodies_are_problems_not_500(client, data):
    response = client.post("/auth/signup", data=data, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_email_taken_in_another_case_is_409(auth, client):
    email = unique_email("Case")
    auth.signup(email=email)
    response = client.post(
        "/auth/signup",
        json={"email": email.upper(), "password": PASSWORD, "displayName": "Dup"},
    )
    assert_problem(response, 409)
    assert account_count(client.application, email) == 1


def test_user_service_down_is_503_and_leaves_nothing(make_app):
    app = make_app("auth_service", USER_SERVICE_URL=f"http://127.0.0.1:{free_port()}")
    email = unique_email()
    response = app.test_client().post(
        "/auth/signup", json={"email": email, "password": PASSWORD, "displayName": "Down"}
    )
    assert_problem(response, 503)
    assert account_count(app, email) == 0


def test_frozen_user_service_is_503_without_waiting_for_it(make_app, slow_server):
    app = make_app("auth_service", USER_SERVICE_URL=slow_server)
    email = unique_email()
    started = time.monotonic()
    response = app.test_client().post(
        "/auth/signup", json={"email": email, "password": PASSWORD, "displayName": "Slow"}
    )
    # About 1.1 s here (hash + 1 s read timeout); the margin absorbs a loaded CI machine,
    # and the peer would only answer after 3 s.
    assert time.monotonic() - started < 2.0
    assert_problem(response, 503)
    assert account_count(app, email) == 0
    # the PUT may still land when the peer wakes: its undo is queued durably
    with app.app_context():
        from auth_service.models import db, outbox

        rows = db.session.execute(
            select(outbox.c.topic, outbox.c.payload).order_by(outbox.c.id.desc()).limit(1)
        ).all()
    assert rows[0].topic == "user-deleted" and rows[0].payload["type"] == "user.deleted"


@pytest.fixture
def commit_fails_for(app, postgres):
    """A deferred trigger that makes COMMIT fail (unique violation) for emails starting `late-`."""
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    ddl = """
        CREATE OR REPLACE FUNCTION test_fail_late() RETURNS trigger AS $$
        BEGIN RAISE unique_violation USING MESSAGE = 'taken at commit'; END $$ LANGUAGE plpgsql;
        CREATE CONSTRAINT TRIGGER test_fail_late AFTER INSERT ON accounts
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.email_key LIKE 'late-%') EXECUTE FUNCTION test_fail_late();
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(ddl)
    yield
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER test_fail_late ON accounts; DROP FUNCTION test_fail_late();")


def test_failed_commit_removes_the_profile_again_and_is_409(client, user_service, commit_fails_for):
    tag = uuid.uuid4().hex[:10]
    email = f"late-{tag}@example.com"
    response = client.post(
        "/auth/signup", json={"email": email, "password": PASSWORD, "displayName": f"Late{tag}"}
    )
    assert_problem(response, 409)
    assert account_count(client.application, email) == 0
    # The profile was created before the commit failed; the compensation removed it.
    found = requests.get(
        f"{user_service.url}/users?q=Late{tag}", headers=identity(uuid.uuid4()), timeout=5
    )
    assert found.status_code == 200 and found.json()["items"] == []


def test_concurrent_signups_with_one_email_make_one_account(app):
    email = unique_email("race")
    barrier = threading.Barrier(4)

    def attempt(case: str) -> int:
        client = app.test_client()
        barrier.wait()
        return client.post(
            "/auth/signup",
            json={"email": getattr(email, case)(), "password": PASSWORD, "displayName": "Race"},
        ).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(attempt, ["lower", "upper", "lower", "title"]))
    assert codes == [201, 409, 409, 409]
    assert account_count(app, email) == 1
