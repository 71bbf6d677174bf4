"""The activity service's worker: `python -m activity_service.worker`.

It consumes with the kit's exactly-once loop and has no outbox: the feed produces nothing.
"""

from __future__ import annotations

import threading

from flask import Flask

from servicekit.contract import FRIENDSHIP_CHANGED, MEDIA_ENTRY_CHANGED, USER_DELETED
from servicekit.messages import Handler
from servicekit.worker import Part, consumer, run_worker

from . import create_app
from .apply import on_friendship_changed, on_media_entry_changed, on_user_deleted
from .models import db, dead_letters, processed_events

GROUP_ID = "activity-service"


HANDLERS: dict[str, Handler] = {
    MEDIA_ENTRY_CHANGED: on_media_entry_changed,
    FRIENDSHIP_CHANGED: on_friendship_changed,
    USER_DELETED: on_user_deleted,
}


def consumer_part(group_id: str = GROUP_ID) -> Part:
    """The loop that follows the three topics, as consumer group `group_id`."""
    return consumer(
        db, HANDLERS, processed=processed_events, dead_letters=dead_letters, group_id=group_id
    )


def run(app: Flask, *, stop: threading.Event | None = None, group_id: str = GROUP_ID) -> None:
    """Follow the three topics until stopped."""
    run_worker(app, consumer_part(group_id), stop=stop)


def main() -> None:
    """Run the worker with settings from the environment."""
    run(create_app())


if __name__ == "__main__":
    main()
