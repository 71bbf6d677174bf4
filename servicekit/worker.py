"""A service's worker process: its outbox relay and its event consumers.

Kept out of gunicorn on purpose: confluent-kafka's threads do not survive a fork,
and a slow consumer must never take a web worker's place. A worker is made of parts,
each built once the broker is known and run in a thread of its own: `relay(...)`
publishes the outbox, `consumer(...)` applies events with the kit's loop, and a
service with a loop of its own gives `Part("consumer", build)`.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from confluent_kafka import Consumer, Producer
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, Table

from .app import settings_of
from .consumer import EventConsumer, consumer_config
from .messages import Handler
from .relay import OutboxRelay, producer_config

log = logging.getLogger(__name__)


class Loop(Protocol):
    """Something that runs until `stop` is set."""

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set."""


@dataclass(frozen=True)
class Part:
    """One loop of a worker: its thread name and how to build it for an app."""

    name: str
    build: Callable[[Flask], Loop]


def _engine(app: Flask, db: SQLAlchemy) -> Engine:
    with app.app_context():
        return db.engine


def relay(db: SQLAlchemy, outbox: Table) -> Part:
    """Publish the rows of `outbox` to the broker."""

    def build(app: Flask) -> Loop:
        settings = settings_of(app)
        producer = Producer(producer_config(settings.kafka_bootstrap, **settings.kafka_auth))
        return OutboxRelay(_engine(app, db), outbox, producer, topic_prefix=settings.topic_prefix)

    return Part("relay", build)


def consumer(
    db: SQLAlchemy,
    handlers: dict[str, Handler],
    *,
    processed: Table,
    dead_letters: Table,
    group_id: str,
) -> Part:
    """Apply the events of each topic in `handlers` exactly once, as consumer group `group_id`."""

    def build(app: Flask) -> Loop:
        settings = settings_of(app)
        auth = settings.kafka_auth
        kafka = Consumer(consumer_config(settings.kafka_bootstrap, group_id, **auth))
        return EventConsumer(
            _engine(app, db),
            kafka,
            handlers,
            processed=processed,
            dead_letters=dead_letters,
            topic_prefix=settings.topic_prefix,
        )

    return Part("consumer", build)


def run_worker(app: Flask, *parts: Part, stop: threading.Event | None = None) -> None:
    """Run the parts until SIGTERM/SIGINT (or `stop`); without a broker, just wait."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    if not settings_of(app).kafka_bootstrap:
        log.warning("no broker configured (KAFKA_BOOTSTRAP_SERVERS): events wait in the outbox")
        stop.wait()
        return
    threads = [
        threading.Thread(target=part.build(app).run, args=(stop,), name=part.name) for part in parts
    ]
    for thread in threads:
        thread.start()
    log.info("worker started: %s", ", ".join(t.name for t in threads) or "nothing to do")
    stop.wait()
    for thread in threads:
        thread.join(timeout=15)
