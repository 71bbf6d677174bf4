"""Fixtures of the shared-watchlist tests: the real user service over HTTP, people, lists."""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict

import pytest
import requests
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from friendswatchlist_service.models import db, outbox
from servicekit.contract import MEDIA_ENTRY_CHANGED
from servicekit.relay import OutboxRelay, producer_config
from tests.helpers import LiveServer, identity, service_headers


class CountingMiddleware:
    """Wraps the user service's WSGI app and records the path of each request it serves."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.requests: list[str] = []

    def __call__(self, environ, start_response):
        self.requests.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return self.wsgi_app(environ, start_response)

    def batch_lookups(self) -> int:
        """How many batch name lookups reached the user service."""
        return self.requests.count("GET /internal/users")


@pytest.fixture(scope="module")
def user_service(make_app):
    """The real user service over HTTP, counting the requests it gets (one per module:
    stopping a server takes half a second)."""
    user_app = make_app("user_service")
    counter = CountingMiddleware(user_app.wsgi_app)
    user_app.wsgi_app = counter
    server = LiveServer(user_app)
    server.counter = counter
    server.user_app = user_app
    yield server
    server.stop()


@pytest.fixture(scope="module")
def friends_service(make_app, user_service):
    """The real friends service over HTTP, which an invite asks whether two are friends."""
    server = LiveServer(make_app("friends_service", USER_SERVICE_URL=user_service.url))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(make_app, user_service, friends_service):
    """The shared-watchlist service, asking the live user service for names (one per module:
    building an app dominates a test's time; tests that break the user service build their own)."""
    return make_app(
        "friendswatchlist_service",
        USER_SERVICE_URL=user_service.url,
        FRIENDS_SERVICE_URL=friends_service.url,
    )


def befriend(friends_url: str, a, b) -> None:
    """Make `a` and `b` accepted friends through the friends service's public routes.

    A request checks `b` in the user service within its 1 s budget; on a loaded machine
    that can time out (503), which says nothing about the code under test: ask again.
    """
    for _ in range(5):
        sent = requests.post(
            f"{friends_url}/friends/requests",
            json={"userId": str(b)},
            headers=identity(a),
            timeout=5,
        )
        if sent.status_code != 503:
            break
        time.sleep(0.5)
    if sent.status_code == 201:
        request_id = sent.json()["requestId"]
        sent = requests.post(
            f"{friends_url}/friends/requests/{request_id}/accept", headers=identity(b), timeout=5
        )
    assert sent.status_code == 200, sent.text


@pytest.fixture(scope="module")
def client(app):
    """Flask test client (no gateway: identity comes from test headers)."""
    return app.test_client()


@pytest.fixture(scope="module")
def make_user(user_service):
    """Factory: a profile in the user service; returns its id."""
    users = user_service.user_app.test_client()

    def make(name: str = "Someone") -> uuid.UUID:
        user_id = uuid.uuid4()
        response = users.put(
            f"/internal/users/{user_id}", json={"displayName": name}, headers=service_headers()
        )
        assert response.status_code == 201
        return user_id

    return make


class Lists:
    """Actions on shared lists as one person or another (like the Flask tutorial's AuthActions)."""

    def __init__(self, client, friends_url: str):
        self.client = client
        self.friends_url = friends_url
        self._befriended: set[frozenset] = set()

    def befriend(self, a, b) -> None:
        """Make two people friends (once per pair), as an invite requires."""
        pair = frozenset((str(a), str(b)))
        if pair not in self._befriended:
            befriend(self.friends_url, a, b)
            self._befriended.add(pair)

    def create(self, owner, friend, name: str = "Movie night") -> str:
        """A pending list from `owner` inviting `friend` (made friends first); returns its id."""
        self.befriend(owner, friend)
        response = self.client.post(
            "/friendswatchlists",
            json={"name": name, "friendId": str(friend)},
            headers=identity(owner),
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["listId"]

    def active(self, owner, member, name: str = "Shared") -> str:
        """A list `member` has accepted."""
        list_id = self.create(owner, member, name)
        response = self.client.post(
            f"/friendswatchlists/{list_id}/accept", headers=identity(member)
        )
        assert response.status_code == 200, response.get_json()
        return list_id

    def group(self, owner, friends, name: str = "Group") -> str:
        """A pending list from `owner` inviting every one of `friends`; returns its id."""
        for friend in friends:
            self.befriend(owner, friend)
        response = self.client.post(
            "/friendswatchlists",
            json={"name": name, "friendIds": [str(f) for f in friends]},
            headers=identity(owner),
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["listId"]

    def active_group(self, owner, members, name: str = "Group") -> str:
        """A list every one of `members` accepted, in that order."""
        list_id = self.group(owner, members, name)
        for member in members:
            response = self.client.post(
                f"/friendswatchlists/{list_id}/accept", headers=identity(member)
            )
            assert response.status_code == 200, response.get_json()
        return list_id

    def add(self, who, list_id: str, media_id: int, **fields) -> dict:
        """Add a media entry."""
        response = self.client.post(
            f"/friendswatchlists/{list_id}/media",
            json={"mediaId": media_id, **fields},
            headers=identity(who),
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def get(self, who, list_id: str):
        """The list as `who` sees it (the response)."""
        return self.client.get(f"/friendswatchlists/{list_id}", headers=identity(who))

    def overview(self, who) -> dict:
        """`GET /friendswatchlists` as `who`."""
        response = self.client.get("/friendswatchlists", headers=identity(who))
        assert response.status_code == 200
        return response.get_json()


@pytest.fixture(scope="module")
def lists(client, friends_service):
    """Shared-list actions on the test client."""
    return Lists(client, friends_service.url)


class EventReader:
    """Reads `media-entry-changed` back from the real broker, grouped by listId."""

    def __init__(self, bootstrap: str, topic: str):
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        deadline = time.monotonic() + 15
        partitions = []
        while not partitions and time.monotonic() < deadline:
            meta = admin.list_topics(topic, timeout=5).topics.get(topic)
            partitions = list(meta.partitions) if meta and not meta.error else []
            if not partitions:
                time.sleep(0.1)
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"fwl-test-{uuid.uuid4()}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        self._consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        self.by_list: dict[str, list[tuple[str, dict]]] = defaultdict(list)

    def read(self, list_id: str, count: int, timeout_s: float = 15) -> list[dict]:
        """Wait until `count` events of `list_id` arrived; return their values in order."""
        deadline = time.monotonic() + timeout_s
        while len(self.by_list[list_id]) < count and time.monotonic() < deadline:
            for msg in self._consumer.consume(500, 0.2):
                if msg.error() is None:
                    body = json.loads(msg.value())
                    self.by_list[body.get("listId")].append((msg.key().decode(), body))
        got = self.by_list[list_id]
        assert len(got) >= count, f"only {len(got)} of {count} events for {list_id}"
        for key, body in got:
            assert key == str(body["mediaId"])
        return [body for _, body in got]

    def close(self) -> None:
        """Leave the broker."""
        self._consumer.close()


@pytest.fixture(scope="module")
def event_reader(kafka_bootstrap, topic_prefix):
    """One reader for the module: the topic is shared by every test of the session."""
    reader = EventReader(kafka_bootstrap, topic_prefix + MEDIA_ENTRY_CHANGED)
    yield reader
    reader.close()


@pytest.fixture
def publish(app, kafka_bootstrap, topic_prefix):
    """Run the real outbox relay until the outbox is drained."""
    with app.app_context():
        engine = db.engine
    relay = OutboxRelay(
        engine, outbox, Producer(producer_config(kafka_bootstrap)), topic_prefix=topic_prefix
    )

    def drain() -> None:
        while relay.publish_batch():
            pass
        assert relay.last_failures == 0

    return drain
