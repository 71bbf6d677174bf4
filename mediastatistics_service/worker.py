"""The media statistics worker: `python -m mediastatistics_service.worker`.

It consumes `media-entry-changed` with the kit's exactly-once loop; it has no outbox.
`servicekit.worker.run_worker` builds the kit's plain consumer, so this worker builds
its own to add lag recording and a shorter poll wait (events show sooner).
Optional settings: `WLT_STATS_GROUP_ID` (consumer group), `WLT_CONSUMER_INSTANCE_ID`
(static membership: a restarted worker takes its partitions back at once) and
`WLT_CONSUMER_SESSION_TIMEOUT_MS`.
"""

from __future__ import annotations

import logging
import signal
import threading

from confluent_kafka import Consumer

from servicekit.app import settings_of
from servicekit.consumer import consumer_config
from servicekit.topics import MEDIA_ENTRY_CHANGED

from . import create_app
from .events import on_media_entry_changed
from .models import db, dead_letters, processed_events
from .progress import ProgressRecordingConsumer, consumer_group

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
POLL_TIMEOUT_S = 0.05


def build_consumer(app, **overrides) -> ProgressRecordingConsumer:
    """The service's consumer loop, subscribed and ready to poll."""
    settings = settings_of(app)
    extra = settings.extra
    if extra.get("WLT_CONSUMER_INSTANCE_ID"):
        overrides.setdefault("group.instance.id", extra["WLT_CONSUMER_INSTANCE_ID"])
    if extra.get("WLT_CONSUMER_SESSION_TIMEOUT_MS"):
        overrides.setdefault("session.timeout.ms", int(extra["WLT_CONSUMER_SESSION_TIMEOUT_MS"]))
    consumer = Consumer(
        consumer_config(settings.kafka_bootstrap, consumer_group(extra), **overrides)
    )
    with app.app_context():
        engine = db.engine
    return ProgressRecordingConsumer(
        engine,
        consumer,
        {MEDIA_ENTRY_CHANGED: on_media_entry_changed},
        processed=processed_events,
        dead_letters=dead_letters,
        topic_prefix=settings.topic_prefix,
        batch_size=BATCH_SIZE,
        poll_timeout_s=POLL_TIMEOUT_S,
    )


def main() -> None:
    """Consume until SIGTERM or SIGINT."""
    app = create_app()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if not settings_of(app).kafka_bootstrap:
        log.warning("no broker configured (KAFKA_BOOTSTRAP_SERVERS): nothing to consume")
        stop.wait()
        return
    loop = build_consumer(app)
    log.info("media statistics worker started")
    loop.run(stop)


if __name__ == "__main__":
    main()
