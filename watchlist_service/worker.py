"""The watchlist service's worker process: `python -m watchlist_service.worker`."""

from servicekit.contract import USER_DELETED
from servicekit.worker import Part, consumer, relay, run_worker

from . import create_app
from .consumers import on_user_deleted
from .models import db, dead_letters, outbox, processed_events


def parts() -> list[Part]:
    """The outbox relay and the `user-deleted` consumer."""
    return [
        relay(db, outbox),
        consumer(
            db,
            {USER_DELETED: on_user_deleted},
            processed=processed_events,
            dead_letters=dead_letters,
            group_id="watchlist-service",
        ),
    ]


def main() -> None:
    """Relay the outbox and consume `user-deleted` until stopped."""
    run_worker(create_app(), *parts())


if __name__ == "__main__":
    main()
