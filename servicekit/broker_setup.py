"""The broker's topics and who may use them: `python -m servicekit.broker_setup` (kafka-init).

Run once per deployment (compose's and Swarm's kafka-init) with the broker's admin
credentials (KAFKA_SASL_USERNAME/PASSWORD of the admin user). It creates the contract
topics that are missing and grants each service exactly what its code does, nothing more:

- a topic is written only by the service whose outbox publishes it (`user-deleted` by
  auth, `media-entry-changed` by the two list services, `friendship-changed` by friends),
  so no other holder of broker credentials can forge a deletion or a change;
- a service reads only the topics its worker consumes, in its own consumer group;
- nobody else gets anything: the broker authorizes with deny-by-default
  (`allow.everyone.if.no.acl.found=false`), and a client without credentials is refused at
  the SASL handshake.

Idempotent: a second run finds the topics and the ACLs in place and changes nothing, so
`up --scale` re-running the one-shot costs one round trip.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from servicekit.config import kafka_auth_setting
from servicekit.contract import FRIENDSHIP_CHANGED, MEDIA_ENTRY_CHANGED, TOPICS, USER_DELETED

PARTITIONS = 6  # up to 6 worker replicas of one service share a topic's load

# service (= its broker user) -> the topics it writes, the topics it reads
WRITES: dict[str, tuple[str, ...]] = {
    "auth": (USER_DELETED,),
    "watchlist": (MEDIA_ENTRY_CHANGED,),
    "friendswatchlist": (MEDIA_ENTRY_CHANGED,),
    "friends": (FRIENDSHIP_CHANGED,),
}
READS: dict[str, tuple[str, ...]] = {
    "user": (USER_DELETED,),
    "watchlist": (USER_DELETED,),
    "friends": (USER_DELETED,),
    "friendswatchlist": (USER_DELETED,),
    "mediastatistics": (MEDIA_ENTRY_CHANGED,),
    "activity": (MEDIA_ENTRY_CHANGED, FRIENDSHIP_CHANGED, USER_DELETED),
}
# the consumer group each reader commits its offsets in (its worker's GROUP_ID)
GROUPS: dict[str, str] = {name: f"{name}-service" for name in READS}


def _allow(principal: str, kind: ResourceType, name: str, operation: AclOperation) -> AclBinding:
    return AclBinding(
        kind,
        name,
        ResourcePatternType.LITERAL,
        f"User:{principal}",
        "*",
        operation,
        AclPermissionType.ALLOW,
    )


def wanted_acls(topic_prefix: str = "") -> list[AclBinding]:
    """Every grant of the table above (READ and WRITE imply DESCRIBE)."""
    bindings = []
    for service, topics in WRITES.items():
        for topic in topics:
            bindings.append(
                _allow(service, ResourceType.TOPIC, topic_prefix + topic, AclOperation.WRITE)
            )
    for service, topics in READS.items():
        for topic in topics:
            bindings.append(
                _allow(service, ResourceType.TOPIC, topic_prefix + topic, AclOperation.READ)
            )
        bindings.append(_allow(service, ResourceType.GROUP, GROUPS[service], AclOperation.READ))
    return bindings


def set_up(admin: AdminClient, topic_prefix: str = "", timeout_s: float = 15.0) -> list[str]:
    """Create the missing topics and ACLs; the lines to print about what was done."""
    names = [topic_prefix + name for name in TOPICS]
    existing = admin.list_topics(timeout=timeout_s).topics
    missing = [NewTopic(n, num_partitions=PARTITIONS, replication_factor=1) for n in names]
    missing = [topic for topic in missing if topic.topic not in existing]
    report = []
    if missing:
        for future in admin.create_topics(missing, request_timeout=timeout_s).values():
            future.result()
        report.append("created topics " + ", ".join(topic.topic for topic in missing))
    wanted = wanted_acls(topic_prefix)
    for future in admin.create_acls(wanted, request_timeout=timeout_s).values():
        future.result()  # creating an existing binding again is a no-op
    _wait_applied(admin, wanted, timeout_s)
    report.append(f"topics present: {', '.join(names)}; {len(wanted)} grants in place")
    return report


def every_binding() -> AclBindingFilter:
    """The filter that matches every ACL binding on the broker."""
    # None matches any name, principal and host (confluent-kafka's hints say str only)
    anything: Any = None
    return AclBindingFilter(
        ResourceType.ANY, anything, ResourcePatternType.ANY, anything, anything,
        AclOperation.ANY, AclPermissionType.ANY,
    )  # fmt: skip


def _wait_applied(admin: AdminClient, wanted: list[AclBinding], timeout_s: float) -> None:
    """Return once the broker authorizes with every binding in `wanted`.

    A created ACL is a record in the metadata log that the broker's authorizer applies a
    moment later (measured here: a write refused right after creation, allowed 3 s later),
    so the one-shot ends only when the broker lists them all: services started after it
    find their grants in force.
    """
    every = every_binding()
    deadline = time.monotonic() + timeout_s
    while True:
        listed = set(admin.describe_acls(every, request_timeout=timeout_s).result())
        if set(wanted) <= listed:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the broker lists {len(listed)} of {len(wanted)} grants")
        time.sleep(0.2)


def main() -> int:
    environ = dict(os.environ)
    config: dict[str, str | int | float | bool] = {
        "bootstrap.servers": environ["KAFKA_BOOTSTRAP_SERVERS"],
        **kafka_auth_setting(environ, environ.get("WLT_ENV", "production")),
    }
    for line in set_up(AdminClient(config), environ.get("KAFKA_TOPIC_PREFIX", "")):
        print(f"broker_setup: {line}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
