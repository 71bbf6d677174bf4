"""A service's worker process: its outbox relay and its event consumers.

Kept out of gunicorn on purpose: confluent-kafka's threads do not survive a fork,
and a slow consumer must never take a web worker's place.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from confluent_kafka import Consumer, Producer
from flask import Flask
from sqlalchemy import Table

from .app import settings_of
from .consumer import EventConsumer, Handler, consumer_config
from .relay import OutboxRelay, producer_config

log = logging.getLogger(__name__)


def run_worker(
    app: Flask,
    db,
    *,
    outbox: Table | None = None,
    handlers: dict[str, Handler] | None = None,
    processed: Table | None = None,
    dead_letters: Table | None = None,
    group_id: str | None = None,
    consumer_factory: Callable[[Flask], EventConsumer] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run the relay and the consumers until SIGTERM/SIGINT (or `stop`).

    `consumer_factory` builds a service's own consumer loop (a subclass, other batch
    settings) in place of the plain one made from `handlers`.
    """
    settings = settings_of(app)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    if not settings.kafka_bootstrap:
        log.warning("no broker configured (KAFKA_BOOTSTRAP_SERVERS): events wait in the outbox")
        stop.wait()
        return
    with app.app_context():
        engine = db.engine
    threads: list[threading.Thread] = []
    if outbox is not None:
        producer = Producer(producer_config(settings.kafka_bootstrap, **settings.kafka_auth))
        relay = OutboxRelay(engine, outbox, producer, topic_prefix=settings.topic_prefix)
        threads.append(threading.Thread(target=relay.run, args=(stop,), name="relay"))
    loop: EventConsumer | None = None
    if consumer_factory is not None:
        loop = consumer_factory(app)
    elif handlers:
        assert processed is not None and dead_letters is not None and group_id
        consumer = Consumer(
            consumer_config(settings.kafka_bootstrap, group_id, **settings.kafka_auth)
        )
        loop = EventConsumer(
            engine,
            consumer,
            handlers,
            processed=processed,
            dead_letters=dead_letters,
            topic_prefix=settings.topic_prefix,
        )
    if loop is not None:
        threads.append(threading.Thread(target=loop.run, args=(stop,), name="consumer"))
    for thread in threads:
        thread.start()
    log.info("worker started: %s", ", ".join(t.name for t in threads) or "nothing to do")
    stop.wait()
    for thread in threads:
        thread.join(timeout=15)
