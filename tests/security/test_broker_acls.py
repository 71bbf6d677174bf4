"""Who may publish and read on the broker: SASL logins and the ACLs of servicekit.broker_setup.

A real broker with the settings compose.yaml and the Swarm stack give theirs
(devstack.kafka.authenticated_properties), set up by the same one-shot they run. Forged
events are refused by the broker itself: a service's credentials write only the topics that
service owns, and a client without credentials gets nothing.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from devstack.kafka import ADMIN_USER, KafkaBroker, sasl_client_config
from devstack.ports import free_port
from servicekit import broker_setup
from servicekit.contract import FRIENDSHIP_CHANGED, MEDIA_ENTRY_CHANGED, USER_DELETED
from tests.helpers import ROOT

SERVICES = ("auth", "user", "watchlist", "friends", "friendswatchlist", "mediastatistics")


@pytest.fixture(scope="module")
def broker(tmp_path_factory) -> Iterator[KafkaBroker]:
    users = {name: secrets.token_hex(16) for name in (ADMIN_USER, *SERVICES)}
    broker = KafkaBroker(
        tmp_path_factory.mktemp("kafka-sasl"),
        free_port(),
        free_port(),
        ROOT / "var" / "cache" / "kafka-libs",
        num_partitions=1,
        users=users,
    )
    broker.start(timeout=120)
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap, **broker.admin_config})
        broker_setup.set_up(admin)
        yield broker
    finally:
        broker.stop()


def login(broker: KafkaBroker, user: str, password: str | None = None) -> dict[str, str]:
    """Client settings of `user` (its real password unless another is given)."""
    return {
        "bootstrap.servers": broker.bootstrap,
        **sasl_client_config(user, password or broker.users[user]),
    }


REFUSED = (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.CLUSTER_AUTHORIZATION_FAILED)


def publish(config: dict[str, str], topic: str) -> KafkaError | None:
    """Produce one event and wait for its delivery report: None, or the broker's error.

    An idempotent producer first asks for a producer id, which the broker grants only to
    a user that may write some topic: one that may write none is refused there
    (CLUSTER_AUTHORIZATION_FAILED, fatal), one that may write others at the topic.
    """
    outcome: list[KafkaError | None] = []
    producer = Producer({**config, "message.timeout.ms": 8000, "enable.idempotence": True})
    event = {"eventId": str(uuid.uuid4()), "type": "user.deleted", "userId": str(uuid.uuid4())}
    try:
        producer.produce(
            topic, json.dumps(event).encode(), on_delivery=lambda e, _m: outcome.append(e)
        )
        producer.flush(15)
    except (KafkaException, SystemError) as exc:  # the fatal error surfaces from a callback
        cause = exc if isinstance(exc, KafkaException) else exc.__cause__
        assert isinstance(cause, KafkaException), exc
        error: KafkaError = cause.args[0]
        # the exception's traceback holds this frame and so the producer: break the cycle
        # now, or the producer outlives the broker and retries until garbage collection
        del cause
        return error
    assert outcome, "no delivery report"
    return outcome[0]


def read_one(config: dict[str, str], topic: str, group: str) -> KafkaError | None:
    """Subscribe in `group` and poll: None once a message arrives, or the error seen."""
    consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "earliest"})
    try:
        consumer.subscribe([topic])
        for _ in range(30):
            message = consumer.poll(0.5)
            if message is None:
                continue
            return message.error()
        return KafkaError(KafkaError._TIMED_OUT)
    finally:
        consumer.close()


@pytest.mark.parametrize(
    ("service", "topic"),
    [
        ("auth", USER_DELETED),
        ("watchlist", MEDIA_ENTRY_CHANGED),
        ("friendswatchlist", MEDIA_ENTRY_CHANGED),
        ("friends", FRIENDSHIP_CHANGED),
    ],
)
def test_a_service_publishes_the_events_it_owns(broker, service, topic):
    assert publish(login(broker, service), topic) is None


@pytest.mark.parametrize(
    "service", ["user", "watchlist", "friends", "friendswatchlist", "mediastatistics"]
)
def test_no_other_service_can_forge_an_account_deletion(broker, service):
    error = publish(login(broker, service), USER_DELETED)
    assert error is not None and error.code() in REFUSED, error


@pytest.mark.parametrize("service", ["auth", "user", "friends", "mediastatistics"])
def test_only_the_list_services_publish_list_changes(broker, service):
    error = publish(login(broker, service), MEDIA_ENTRY_CHANGED)
    assert error is not None and error.code() in REFUSED, error


@pytest.mark.parametrize(
    "service", ["auth", "user", "watchlist", "friendswatchlist", "mediastatistics"]
)
def test_only_the_friends_service_announces_friendships(broker, service):
    error = publish(login(broker, service), FRIENDSHIP_CHANGED)
    assert error is not None and error.code() in REFUSED, error


def test_a_client_with_a_wrong_password_or_none_is_refused(broker):
    wrong = publish(login(broker, "auth", password="not-" + broker.users["auth"]), USER_DELETED)
    assert wrong is not None
    assert wrong.code() in (KafkaError._MSG_TIMED_OUT, KafkaError._AUTHENTICATION)
    with pytest.raises(KafkaException):
        # a plain client on the SASL listener never gets past the handshake
        AdminClient({"bootstrap.servers": broker.bootstrap, "socket.timeout.ms": 2000}).list_topics(
            timeout=4
        )


def test_a_consumer_reads_its_topic_in_its_own_group_only(broker):
    assert publish(login(broker, "auth"), USER_DELETED) is None
    assert read_one(login(broker, "user"), USER_DELETED, "user-service") is None
    stolen = read_one(login(broker, "user"), USER_DELETED, "watchlist-service")
    assert stolen is not None and stolen.code() == KafkaError.GROUP_AUTHORIZATION_FAILED
    other = read_one(login(broker, "mediastatistics"), USER_DELETED, "mediastatistics-service")
    assert other is not None and other.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_setting_up_again_changes_nothing(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap, **broker.admin_config})
    report = broker_setup.set_up(admin)
    assert not any(line.startswith("created") for line in report)
    bindings = admin.describe_acls(broker_setup.every_binding(), request_timeout=10).result()
    assert len(bindings) == len(broker_setup.wanted_acls())
