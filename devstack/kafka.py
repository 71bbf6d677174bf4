"""A single-node Apache Kafka broker in KRaft mode, run from the jars Maven resolved."""

from __future__ import annotations

import base64
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from devstack.supervisor import ManagedProcess

_LOG4J2 = """\
# Written by devstack: the broker logs to stdout, which the launcher appends to its log file.
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""


ADMIN_USER = "admin"


def jaas_config(users: dict[str, str]) -> str:
    """The broker's SASL/PLAIN login config: its own admin login and every known user."""
    known = " ".join(f'user_{name}="{password}"' for name, password in users.items())
    return (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="{ADMIN_USER}" password="{users[ADMIN_USER]}" {known};'
    )


def authenticated_properties(
    host: str, port: int, advertised: str, controller_port: int, users: dict[str, str]
) -> dict[str, str]:
    """server.properties of a broker that serves only known users, each only its grants.

    Clients talk SASL/PLAIN on the CLIENT listener; the controller listener stays on the
    broker's own loopback, so its unauthenticated principal (ANONYMOUS, the broker talking
    to its own controller) is reachable from nowhere else. `allow.everyone.if.no.acl.found`
    false: whoever has no grant (servicekit/broker_setup.py) may do nothing. compose.yaml
    and the Swarm stack give their broker these same settings (tests/compose checks).
    """
    return {
        "listeners": f"CLIENT://{host}:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"CLIENT://{advertised}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "CLIENT",
        "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "sasl.enabled.mechanisms": "PLAIN",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "listener.name.client.plain.sasl.jaas.config": jaas_config(users),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"User:{ADMIN_USER};User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
    }


def sasl_client_config(username: str, password: str) -> dict[str, str]:
    """librdkafka settings of a client logging in as `username`."""
    return {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.username": username,
        "sasl.password": password,
    }


def java_binary() -> str | None:
    """Path of `java`, or None."""
    return shutil.which("java")


def libs_present(libs_dir: Path) -> bool:
    """True if the broker's jars are in `libs_dir`."""
    return any(Path(libs_dir).glob("kafka_2.13-*.jar"))


class KafkaBroker:
    """Broker and controller in one JVM on 127.0.0.1:`port` (controller on `controller_port`).

    The storage in `data_dir` is formatted on first start with a cluster id
    kept there. `process` is the `ManagedProcess` to hand to a `Supervisor`.

        broker = KafkaBroker(tmp / "kafka", free_port(), free_port(), libs_dir)
        broker.start()
        broker.create_topics(["media-entry-changed"])
        broker.bootstrap  # "127.0.0.1:PORT"
        broker.stop()
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        controller_port: int,
        libs_dir: Path,
        *,
        log_path: Path | None = None,
        heap: str = "512m",
        num_partitions: int = 3,
        users: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.libs_dir = Path(libs_dir).resolve()
        self.num_partitions = num_partitions
        # {user: password} including ADMIN_USER: SASL and ACLs (authenticated_properties);
        # None: a plain listener that takes anyone (the development broker on loopback)
        self.users = users
        self.log_path = Path(log_path) if log_path else self.data_dir / "kafka.log"
        java = java_binary() or "java"
        self._java_base = [
            java,
            f"-Xmx{heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-XX:TieredStopAtLevel=1",  # the C1 compiler starts the broker noticeably faster
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            "-cp",
            f"{self.libs_dir}/*",
        ]
        self.process = ManagedProcess(
            "kafka",
            [*self._java_base, "kafka.Kafka", self.data_dir / "server.properties"],
            log_path=self.log_path,
            pid_file=self.data_dir / "broker.pid",
        )

    @property
    def bootstrap(self) -> str:
        """The bootstrap.servers string for clients."""
        return f"127.0.0.1:{self.port}"

    def server_properties(self) -> str:
        """The broker's server.properties."""
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir / "data"),
            "num.partitions": str(self.num_partitions),
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "group.initial.rebalance.delay.ms": "0",
            "log.retention.hours": "168",
        }
        if self.users:
            props["auto.create.topics.enable"] = "false"  # topics come from broker_setup
            props.update(
                authenticated_properties(
                    "127.0.0.1", self.port, self.bootstrap, self.controller_port, self.users
                )
            )
        return "".join(f"{key}={value}\n" for key, value in props.items())

    def prepare(self) -> None:
        """Write the config files and format the storage (a no-op once formatted)."""
        if not libs_present(self.libs_dir):
            raise FileNotFoundError(
                f"no Kafka jars in {self.libs_dir}: run `python -m devstack setup`"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "server.properties").write_text(self.server_properties())
        (self.data_dir / "log4j2.properties").write_text(_LOG4J2)
        id_file = self.data_dir / "cluster.id"
        if not id_file.exists() or id_file.read_text().startswith("-"):
            id_file.write_text(new_cluster_id())
        if (self.data_dir / "data" / "meta.properties").exists():
            return
        import subprocess

        result = subprocess.run(
            [
                *self._java_base,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                id_file.read_text().strip(),
                "-c",
                self.data_dir / "server.properties",
                "--ignore-formatted",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"kafka storage format failed:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout: float = 60.0) -> None:
        """Format if needed, start the JVM, block until the broker answers a metadata request."""
        self.prepare()
        self.process.start()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until `AdminClient.list_topics` answers; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if not self.process.running:
                raise RuntimeError(
                    f"kafka exited ({self.process.returncode}):\n{self.process.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"kafka not ready in {timeout:.0f} s:\n{self.process.log_tail()}"
                )
            time.sleep(0.2)

    @property
    def admin_config(self) -> dict[str, str]:
        """Client settings of the broker's admin user (empty for a broker without users)."""
        if not self.users:
            return {}
        return sasl_client_config(ADMIN_USER, self.users[ADMIN_USER])

    def is_ready(self, timeout: float = 1.0) -> bool:
        """True if the broker answers a metadata request with itself in it."""
        return broker_answers(self.bootstrap, timeout, self.admin_config)

    def create_topics(self, names: Iterable[str], partitions: int = 3) -> None:
        """Create topics that do not exist yet (replication factor 1)."""
        create_topics(self.bootstrap, names, partitions)

    def stop(self) -> None:
        """SIGTERM (controlled shutdown), SIGKILL after the stop timeout."""
        self.process.stop()

    def kill(self) -> None:
        """SIGKILL the JVM, as a crash would."""
        self.process.kill()

    def freeze(self) -> None:
        """SIGSTOP the JVM: connections stay open but nothing answers."""
        self.process.freeze()

    def thaw(self) -> None:
        """SIGCONT after `freeze`."""
        self.process.thaw()


def new_cluster_id() -> str:
    """A KRaft cluster id: a base64url UUID that never starts with "-" (read as an option)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _admin(bootstrap: str, auth: dict[str, str] | None = None):
    from confluent_kafka.admin import AdminClient

    # log_level 0: a broker that is still starting is expected; keep librdkafka's retries quiet
    config = {"bootstrap.servers": bootstrap, "log_level": 0, "socket.timeout.ms": 2000}
    return AdminClient({**config, **(auth or {})})


def broker_answers(
    bootstrap: str, timeout: float = 1.0, auth: dict[str, str] | None = None
) -> bool:
    """True if a broker at `bootstrap` answers a metadata request."""
    from confluent_kafka import KafkaException

    try:
        return bool(_admin(bootstrap, auth).list_topics(timeout=timeout).brokers)
    except KafkaException:
        return False


def create_topics(
    bootstrap: str, names: Iterable[str], partitions: int = 3, timeout: float = 30.0
) -> None:
    """Create the topics in `names` that do not exist yet on the broker at `bootstrap`."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    admin = _admin(bootstrap)
    existing = set(admin.list_topics(timeout=timeout).topics)
    wanted = [
        NewTopic(n, num_partitions=partitions, replication_factor=1)
        for n in names
        if n not in existing
    ]
    if not wanted:
        return
    for name, future in admin.create_topics(wanted, request_timeout=timeout).items():
        try:
            future.result(timeout)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise RuntimeError(f"could not create topic {name}: {exc}") from exc
