"""Idempotency-Key, the kit's mechanism on a real service (the watchlist app) and database."""

from __future__ import annotations

import secrets
import threading
import uuid

import pytest
import requests
from sqlalchemy import func, insert, select, update

from servicekit.idempotency import HEADER, REPLAYED_HEADER
from servicekit.idempotency_store import prune
from tests.helpers import assert_problem, identity
from tests.watchlist_service.support import Caller
from watchlist_service.models import db, idempotency_keys


@pytest.fixture
def app(make_app):
    """The watchlist service on its own test database."""
    return make_app("watchlist_service")


@pytest.fixture
def caller(app) -> Caller:
    """A fresh signed-in user."""
    return Caller(app.test_client())


@pytest.fixture
def media_id():
    """Factory of media ids no other test uses."""
    return lambda: secrets.randbelow(10**12) + 10**12


def create(caller: Caller, key: str | None, name: str = "Films"):
    headers = {**caller.headers, **({HEADER: key} if key is not None else {})}
    return caller.client.post("/watchlists", json={"name": name}, headers=headers)


def list_count(caller: Caller) -> int:
    response = caller.request("GET", "/watchlists")
    assert response.status_code == 200
    return len(response.get_json()["items"])


def stored_keys(app, key: str) -> int:
    with app.app_context():
        query = select(func.count()).where(idempotency_keys.c.key == key)
        return db.session.scalar(query.select_from(idempotency_keys))


def test_same_key_and_body_replays_the_first_answer_and_creates_nothing(caller):
    key = str(uuid.uuid4())
    first = create(caller, key)
    again = create(caller, key)
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers[REPLAYED_HEADER] == "true"
    assert REPLAYED_HEADER not in first.headers
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert list_count(caller) == 1


def test_same_key_with_another_body_is_422_and_creates_nothing(caller):
    key = str(uuid.uuid4())
    assert create(caller, key, "Films").status_code == 201
    body = assert_problem(create(caller, key, "Series"), 422)
    assert HEADER in body["errors"]
    assert list_count(caller) == 1


def test_without_the_header_every_post_creates(caller):
    assert create(caller, None).status_code == create(caller, None).status_code == 201
    assert list_count(caller) == 2


def test_two_users_with_one_key_are_independent(app, caller):
    other = Caller(app.test_client())
    key = "shared-key"
    mine, theirs = create(caller, key), create(other, key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["listId"] != theirs.get_json()["listId"]
    assert REPLAYED_HEADER not in theirs.headers
    assert list_count(caller) == list_count(other) == 1


def test_one_key_on_two_routes_is_two_keys(caller, media_id):
    key = str(uuid.uuid4())
    list_id = create(caller, key).get_json()["listId"]
    headers = {**caller.headers, HEADER: key}
    entry = caller.client.post(
        f"/watchlists/{list_id}/media", json={"mediaId": media_id()}, headers=headers
    )
    assert entry.status_code == 201 and REPLAYED_HEADER not in entry.headers


@pytest.mark.parametrize(
    "key", ["", " ", "a" * 256, "two words", "tab\there", "caf\u00e9"], ids=repr
)
def test_a_malformed_key_is_400_and_creates_nothing(caller, key):
    assert_problem(create(caller, key), 400)
    assert list_count(caller) == 0


def test_the_longest_key_is_accepted(caller):
    key = "~" * 255
    assert create(caller, key).status_code == 201
    assert create(caller, key).headers[REPLAYED_HEADER] == "true"


def test_a_failed_request_keeps_no_key_and_may_be_retried(app, caller, media_id):
    key = str(uuid.uuid4())
    headers = {**caller.headers, HEADER: key}
    missing = f"/watchlists/{uuid.uuid4()}/media"
    assert_problem(caller.client.post(missing, json={"mediaId": media_id()}, headers=headers), 404)
    assert stored_keys(app, key) == 0
    assert_problem(caller.client.post("/watchlists", json={"name": ""}, headers=headers), 422)
    assert stored_keys(app, key) == 0
    assert create(caller, key).status_code == 201
    assert stored_keys(app, key) == 1


def test_concurrent_requests_with_one_key_create_once(app, live_server):
    server = live_server(app)
    owner = Caller(app.test_client())
    headers = {**identity(owner.user_id), HEADER: str(uuid.uuid4())}
    start = threading.Barrier(8)
    answers: list = [None] * 8

    def post(i: int) -> None:
        with requests.Session() as http:
            start.wait()
            answers[i] = http.post(
                f"{server.url}/watchlists", json={"name": "Race"}, headers=headers, timeout=10
            )

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert list_count(owner) == 1
    done = [a for a in answers if a.status_code == 201]
    assert done and all(a.status_code in (201, 409) for a in answers)
    assert len({a.content for a in done}) == 1
    assert sum(REPLAYED_HEADER not in a.headers for a in done) == 1
    for lost in (a for a in answers if a.status_code == 409):
        assert lost.headers["Retry-After"] == "1"


def age(app, key: str, hours: int) -> None:
    with app.app_context():
        db.session.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key)
            .values(created_at=func.now() - func.make_interval(0, 0, 0, 0, hours))
        )
        db.session.commit()


def test_an_expired_key_does_not_replay_and_is_replaced(app, caller):
    key = str(uuid.uuid4())
    first = create(caller, key)
    age(app, key, 25)
    again = create(caller, key)
    assert again.status_code == 201 and REPLAYED_HEADER not in again.headers
    assert again.get_json()["listId"] != first.get_json()["listId"]
    assert list_count(caller) == 2
    assert create(caller, key).get_data() == again.get_data()


def test_a_keyed_request_prunes_expired_keys(app, caller):
    stale = [f"stale-{uuid.uuid4()}" for _ in range(3)]
    with app.app_context():
        rows = [
            {"scope": "anonymous", "endpoint": "POST /x", "key": k, "fingerprint": "0" * 64}
            for k in stale
        ]
        db.session.execute(insert(idempotency_keys), rows)
        db.session.commit()
    for key in stale:
        age(app, key, 25)
    fresh = str(uuid.uuid4())
    assert create(caller, fresh).status_code == 201
    assert [stored_keys(app, key) for key in stale] == [0, 0, 0]
    assert stored_keys(app, fresh) == 1


def test_prune_keeps_keys_younger_than_a_day(app, caller):
    key = str(uuid.uuid4())
    create(caller, key)
    age(app, key, 23)
    with app.app_context():
        prune(db.session, idempotency_keys, batch=1000)
        db.session.commit()
    assert stored_keys(app, key) == 1
    assert create(caller, key).headers[REPLAYED_HEADER] == "true"


def test_the_stored_answer_is_not_readable_from_the_table(app, caller):
    key = str(uuid.uuid4())
    name = f"Secret {uuid.uuid4()}"
    create(caller, key, name)
    with app.app_context():
        row = db.session.execute(
            select(idempotency_keys).where(idempotency_keys.c.key == key)
        ).one()
    assert name.encode() not in row.body
    assert row.status == 201 and row.headers["Content-Type"] == "application/json"


def test_a_key_commits_with_its_work_so_a_crash_before_the_answer_is_kept_repeats_nothing(
    app, caller, monkeypatch
):
    from servicekit.idempotency import Idempotency

    def die(*_args, **_kwargs):
        raise RuntimeError("the process died before it stored the answer")

    key = str(uuid.uuid4())
    with monkeypatch.context() as patched:
        patched.setattr(Idempotency, "_store", die)
        assert_problem(create(caller, key), 500)
    assert list_count(caller) == 1  # the work committed, with its key

    body = assert_problem(create(caller, key), 409)
    assert "not kept" in body["detail"]
    assert list_count(caller) == 1


def test_a_request_that_waits_too_long_for_its_key_is_409_with_retry_after(
    app, caller, monkeypatch
):
    import servicekit.idempotency as idempotency

    monkeypatch.setattr(idempotency, "LOCK_WAIT_MS", 100)
    key = str(uuid.uuid4())
    name = "\n".join((f"user:{caller.user_id}", "POST /watchlists", key))
    with app.app_context(), db.engine.connect() as holder:  # the first request, still working
        holder.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(name, 0))))
        waited = create(caller, key)
        holder.rollback()
    assert_problem(waited, 409)
    assert waited.headers["Retry-After"] == "1"
    assert list_count(caller) == 0
    assert create(caller, key).status_code == 201
