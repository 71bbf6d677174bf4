"""Settings only the statistics service reads, on top of the shared ones.

`WLT_STATS_GROUP_ID` (the worker's consumer group), `WLT_CONSUMER_INSTANCE_ID` (static
membership: a restarted worker takes its partitions back at once),
`WLT_CONSUMER_SESSION_TIMEOUT_MS`, and reconciliation's `WLT_RECONCILE_SETTLE_S` (longer
than the outbox relay's delay) and `WLT_RECONCILE_CATCHUP_TIMEOUT_S`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Flask

from servicekit.config import float_setting, int_setting

DEFAULT_GROUP_ID = "mediastatistics-service"


@dataclass(frozen=True)
class StatsSettings:
    """What the statistics worker and reconciliation are tuned with."""

    group_id: str = DEFAULT_GROUP_ID
    consumer_instance_id: str = ""
    consumer_session_timeout_ms: int | None = None
    reconcile_settle_s: float = 5.0
    reconcile_catchup_timeout_s: float = 30.0


def load_stats_settings(environ: Mapping[str, str]) -> StatsSettings:
    """Read the statistics settings; ConfigError names a malformed one."""
    timeout_ms = int_setting(environ, "WLT_CONSUMER_SESSION_TIMEOUT_MS", 0)
    return StatsSettings(
        group_id=environ.get("WLT_STATS_GROUP_ID") or DEFAULT_GROUP_ID,
        consumer_instance_id=environ.get("WLT_CONSUMER_INSTANCE_ID", ""),
        consumer_session_timeout_ms=timeout_ms or None,
        reconcile_settle_s=float_setting(environ, "WLT_RECONCILE_SETTLE_S", 5.0),
        reconcile_catchup_timeout_s=float_setting(environ, "WLT_RECONCILE_CATCHUP_TIMEOUT_S", 30.0),
    )


def install_stats_settings(app: Flask, environ: Mapping[str, str]) -> None:
    """Load the statistics settings onto the app (see `stats_settings`)."""
    app.extensions["stats_settings"] = load_stats_settings(environ)


def stats_settings(app: Flask) -> StatsSettings:
    """The app's statistics settings."""
    settings: StatsSettings = app.extensions["stats_settings"]
    return settings
