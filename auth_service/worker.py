"""The auth service's worker process: `python -m auth_service.worker`."""

from servicekit.worker import relay, run_worker

from . import create_app
from .models import db, outbox


def main() -> None:
    """Publish the outbox (`user-deleted`) until stopped; this service consumes nothing."""
    run_worker(create_app(), relay(db, outbox))


if __name__ == "__main__":
    main()
