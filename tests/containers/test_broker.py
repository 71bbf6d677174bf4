"""The compose broker (issue 12, item 16): a process on the compose network cannot forge events.

Run from inside app containers, with their real environment: the user service's worker
holds that service's broker login (a stolen credential), and the same container without
any login stands for any other process on the network. That the owner (auth) still
publishes is shown by the e2e suite's account deletions through the same broker.
"""

from __future__ import annotations

import subprocess

# Produce one `user.deleted` with the container's login (or none) and print the outcome.
FORGE = """
import json, os, sys, uuid
from confluent_kafka import KafkaException, Producer
from servicekit.config import kafka_auth_setting
auth = kafka_auth_setting(os.environ, "development") if sys.argv[1] == "login" else {}
config = {"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"], **auth,
          "message.timeout.ms": 8000, "enable.idempotence": True}
outcome = []
try:
    producer = Producer(config)
    event = {"eventId": str(uuid.uuid4()), "type": "user.deleted", "userId": str(uuid.uuid4())}
    producer.produce("user-deleted", json.dumps(event).encode(),
                     on_delivery=lambda error, _m: outcome.append(error))
    producer.flush(15)
    error = outcome[0] if outcome else None
    print("OUTCOME", error.name() if error else "DELIVERED" if outcome else "NONE")
except (KafkaException, SystemError) as exc:
    cause = exc if isinstance(exc, KafkaException) else exc.__cause__
    print("OUTCOME", cause.args[0].name())
"""


def forge(project, service: str, mode: str) -> str:
    (container,) = project.containers(service)
    result = subprocess.run(
        ["docker", "exec", container, "python", "-c", FORGE, mode],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if line.startswith("OUTCOME")]
    assert lines, result.stdout + result.stderr
    return lines[-1].split()[1]


def test_a_stolen_user_service_login_cannot_publish_an_account_deletion(project):
    assert forge(project, "user-worker", "login") in (
        "TOPIC_AUTHORIZATION_FAILED",
        "CLUSTER_AUTHORIZATION_FAILED",
    )


def test_a_process_without_a_login_gets_nothing_from_the_broker(project):
    # no SASL handshake: the broker drops the connection, nothing is ever delivered
    assert forge(project, "user-worker", "none") in ("_MSG_TIMED_OUT", "_TRANSPORT", "NONE")
