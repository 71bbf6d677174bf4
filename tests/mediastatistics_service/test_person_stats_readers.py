"""Who reads which of a person's figures: the owner all, a friend friends' and public lists',
anyone else the public ones; the real friends service answers, over HTTP."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from mediastatistics_service.worker import build_consumer
from tests.friends_service.support import insert_friendship
from tests.helpers import LiveServer, identity
from tests.mediastatistics_service.support import drain, produce
from tests.mediastatistics_service.test_person_stats import Person


@pytest.fixture(scope="module")
def friends_service(make_app, create_database):
    """The real friends service over HTTP, and a connection to its database."""
    app = make_app("friends_service", USER_SERVICE_URL="http://127.0.0.1:9")
    server = LiveServer(app)
    with psycopg.connect(create_database("friends_service"), autocommit=True) as conn:
        server.conn = conn
        yield server
    server.stop()


@pytest.fixture
def app(make_app, stats_env, friends_service):
    """The statistics service asking the live friends service about friendships."""
    return make_app("mediastatistics_service", **stats_env, FRIENDS_SERVICE_URL=friends_service.url)


@pytest.fixture
def ann(app, stats_env, kafka_bootstrap):
    """A person with a title in each kind of list, their events applied."""
    person = Person()
    person.add(81, "watching", 9)
    person.add(82, "watched", 8, visibility="friends")
    person.add(83, "added", 6, visibility="public")
    person.add(83, "added", visibility="private")  # the same title in a private list too
    produce(kafka_bootstrap, stats_env["KAFKA_TOPIC_PREFIX"], person.events)
    loop = build_consumer(app)
    drain(loop, len(person.events))
    loop.close()
    return person


def read(app, person, reader):
    headers = {} if reader is None else identity(reader)
    response = app.test_client().get(f"/users/{person.id}/stats", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body["visibleTo"], body["degraded"], body["total"], body["ratingAverage"]


def test_owner_friend_stranger_and_anonymous_each_read_their_part(app, ann, friends_service):
    friend, stranger, asking = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    insert_friendship(friends_service.conn, uuid.UUID(ann.id), friend)
    insert_friendship(friends_service.conn, asking, uuid.UUID(ann.id), pending=True)

    assert read(app, ann, ann.id) == ("owner", False, 3, 7.67)
    assert read(app, ann, friend) == ("friends", False, 2, 7.0)
    assert read(app, ann, stranger) == ("public", False, 1, 6.0)
    assert read(app, ann, asking) == ("public", False, 1, 6.0)  # a request is not a friendship
    assert read(app, ann, None) == ("public", False, 1, 6.0)


def test_a_friend_reads_as_a_stranger_marked_degraded_while_friends_is_down(
    make_app, stats_env, ann, friends_service
):
    friend = uuid.uuid4()
    insert_friendship(friends_service.conn, uuid.UUID(ann.id), friend)
    stopped = LiveServer(make_app("friends_service", USER_SERVICE_URL="http://127.0.0.1:9"))
    stopped.stop()
    app = make_app("mediastatistics_service", **stats_env, FRIENDS_SERVICE_URL=stopped.url)

    assert read(app, ann, friend) == ("public", True, 1, 6.0)
    assert read(app, ann, ann.id) == ("owner", False, 3, 7.67)  # no call needed
