"""The media statistics worker: `python -m mediastatistics_service.worker`.

It consumes `media-entry-changed` with the kit's exactly-once loop; it has no outbox.
`build_consumer` makes the service's own loop: the kit's, with lag recording and larger
batches for catch-up, tuned by the settings of `config.StatsSettings`.
"""

from __future__ import annotations

from confluent_kafka import Consumer

from servicekit.app import settings_of
from servicekit.consumer import consumer_config
from servicekit.contract import MEDIA_ENTRY_CHANGED
from servicekit.worker import Part, run_worker

from . import create_app
from .config import stats_settings
from .events import on_media_entry_changed
from .models import db, dead_letters, processed_events
from .progress import ProgressRecordingConsumer

BATCH_SIZE = 5000
POLL_TIMEOUT_S = 0.05


def build_consumer(app, **overrides) -> ProgressRecordingConsumer:
    """The service's consumer loop, subscribed and ready to poll."""
    settings, own = settings_of(app), stats_settings(app)
    if own.consumer_instance_id:
        overrides.setdefault("group.instance.id", own.consumer_instance_id)
    if own.consumer_session_timeout_ms:
        overrides.setdefault("session.timeout.ms", own.consumer_session_timeout_ms)
    consumer = Consumer(
        consumer_config(settings.kafka_bootstrap, own.group_id, **settings.kafka_auth, **overrides)
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
    run_worker(create_app(), Part("consumer", build_consumer))


if __name__ == "__main__":
    main()
