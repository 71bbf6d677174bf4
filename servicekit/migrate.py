"""Alembic migrations, one history per service, kept in `<package>/migrations/`.

`python -m servicekit.migrate <package>` upgrades that service's database to head;
`python -m servicekit.migrate <package> revision "message"` autogenerates a revision.
A PostgreSQL advisory lock lets replicas start together without racing.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, text

from .db import normalise_url

_MIGRATION_LOCK_ID = 0x31A7E


def alembic_config(package: str, database_url: str | None = None) -> Config:
    """The Alembic configuration of one service package."""
    module = importlib.import_module(package)
    folder = Path(module.__file__ or package).parent / "migrations"
    config = Config()
    config.set_main_option("script_location", str(folder))
    url = database_url or os.environ.get("DATABASE_URL", "")
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(package: str, database_url: str | None = None) -> None:
    """Bring a service's database to the newest schema."""
    command.upgrade(alembic_config(package, database_url), "head")


def run_migrations(target_metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py` (online mode only)."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic_config sets sqlalchemy.url; it is missing")
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        conn.commit()
        try:
            context.configure(connection=conn, target_metadata=target_metadata, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
            conn.commit()
    engine.dispose()


def main(argv: list[str]) -> int:
    """Command line: `<package> [revision "message"]`."""
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    package = argv[0]
    if len(argv) >= 3 and argv[1] == "revision":
        command.revision(alembic_config(package), message=argv[2], autogenerate=True)
    else:
        upgrade(package)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
