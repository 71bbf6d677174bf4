"""The user service's worker process: `python -m user_service.worker`."""

from servicekit.contract import USER_DELETED
from servicekit.worker import consumer, run_worker

from . import create_app
from .events import on_user_deleted
from .models import db, dead_letters, processed_events


def main() -> None:
    """Consume `user-deleted` until stopped."""
    run_worker(
        create_app(),
        consumer(
            db,
            {USER_DELETED: on_user_deleted},
            processed=processed_events,
            dead_letters=dead_letters,
            group_id="user-service",
        ),
    )


if __name__ == "__main__":
    main()
