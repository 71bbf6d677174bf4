"""The friends service's worker process: `python -m friends_service.worker`."""

from __future__ import annotations

import threading

from flask import Flask

from servicekit.contract import USER_DELETED
from servicekit.worker import consumer, relay, run_worker

from . import create_app
from .events import on_user_deleted
from .models import db, dead_letters, outbox, processed_events

GROUP_ID = "friends-service"


def run(app: Flask, *, stop: threading.Event | None = None, group_id: str = GROUP_ID) -> None:
    """Relay the outbox (`friendship-changed`) and consume `user-deleted` until stopped."""
    part = consumer(
        db,
        {USER_DELETED: on_user_deleted},
        processed=processed_events,
        dead_letters=dead_letters,
        group_id=group_id,
    )
    run_worker(app, relay(db, outbox), part, stop=stop)


def main() -> None:
    """Run the worker with settings from the environment."""
    run(create_app())


if __name__ == "__main__":
    main()
