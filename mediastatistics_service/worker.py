"""The media statistics worker: `python -m mediastatistics_service.worker`.

It consumes `media-entry-changed` with the kit's exactly-once loop; it has no outbox.
`build_consumer` gives `servicekit.worker.run_worker` the service's own loop: the kit's,
with lag recording and larger batches for catch-up.
Optional settings: `WLT_STATS_GROUP_ID` (consumer group), `WLT_CONSUMER_INSTANCE_ID`
(static membership: a restarted worker takes its partitions back at once) and
`WLT_CONSUMER_SESSION_TIMEOUT_MS`.
"""

from __future__ import annotations

from confluent_kafka import Consumer

from servicekit.app import settings_of
from servicekit.consumer import consumer_config
from servicekit.topics import MEDIA_ENTRY_CHANGED
from servicekit.worker import run_worker

from . import create_app
from .events import on_media_entry_changed
from .models import db, dead_letters, processed_events
from .progress import ProgressRecordingConsumer, consumer_group

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
        consumer_config(
            settings.kafka_bootstrap, consumer_group(extra), **settings.kafka_auth, **overrides
        )
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
    run_worker(create_app(), db, consumer_factory=build_consumer)


if __name__ == "__main__":
    main()
