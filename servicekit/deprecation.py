"""Deprecated routes: the headers that tell a client to move on (RFC 9745, RFC 8288).

A route kept for one release after its successor exists answers as before, plus
`Deprecation: @<epoch>` (when it was deprecated) and `Link: <successor>;
rel="successor-version"`, so clients and proxies can find and log their stale calls.
"""

from __future__ import annotations

from datetime import UTC, datetime

# When the untyped title routes (`.../{mediaId}`) gave way to `.../{mediaType}/{mediaId}`.
UNTYPED_TITLES_DEPRECATED = datetime(2026, 12, 1, tzinfo=UTC)


def deprecation_headers(successor: str, since: datetime) -> dict[str, str]:
    """`Deprecation` and `Link` headers pointing a client to `successor` (a path)."""
    return {
        "Deprecation": f"@{int(since.timestamp())}",
        "Link": f'<{successor}>; rel="successor-version"',
    }
