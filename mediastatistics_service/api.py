"""HTTP routes of the media statistics service: public reads, internal reconciliation.

`GET /users/{userId}/stats` (a person's figures) is served here too: the events that
keep it arrive here, not at the user service.

Titles are `/{mediaType}/{mediaId}` and `?ids=movie:603,tv:1399`. The untyped forms
(`/{mediaId}`, bare ids) read the movie of that id and answer with `Deprecation` and a
`Link` to the typed form, for one release.
"""

from __future__ import annotations

import uuid

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

from servicekit.deprecation import UNTYPED_TITLES_DEPRECATED, deprecation_headers
from servicekit.identity import current_identity, service_credential_required
from servicekit.schemas import comma_separated

from . import person_stats, reconcile, services
from .schemas import (
    BatchArgs,
    MediaStatsList,
    MediaStatsOut,
    PersonStatsArgs,
    PersonStatsOut,
    ReconcileOut,
    TopArgs,
    TrendingArgs,
    TrendingOut,
)

blp = ApiBlueprint(
    "mediastatistics", __name__, url_prefix="/mediastatistics", description="Media counters"
)
# under the user service's prefix; the gateway routes exactly /users/{uuid}/stats here
people = ApiBlueprint("people", __name__, url_prefix="/users", description="Per-person figures")
internal = Blueprint("internal", __name__, url_prefix="/internal")


def _deprecated(successor: str) -> dict[str, str]:
    return deprecation_headers(successor, UNTYPED_TITLES_DEPRECATED)


@blp.route("", methods=["GET"])
@blp.arguments(BatchArgs, location="query", as_kwargs=True)
@blp.response(200, MediaStatsList)
def batch_stats(ids: str):
    """Counters of several titles (`?ids=movie:603,tv:1399`, at most 100), in the order asked.

    A bare id (`?ids=603`) is the movie of that id, deprecated.
    """
    raw = comma_separated(ids, max_items=services.MAX_BATCH, field="ids")
    titles, bare = services.parse_ids(raw)
    body = {"items": services.get_many(titles=titles)}
    if not bare:
        return body
    typed = ",".join(f"{t}:{m}" for m, t in titles)
    return body, 200, _deprecated(f"/mediastatistics?ids={typed}")


@blp.route("/top", methods=["GET"])
@blp.arguments(TopArgs, location="query", as_kwargs=True)
@blp.response(200, MediaStatsList)
def top_media(status: str | None, mediaType: str | None, limit: int):  # noqa: N803
    """The most tracked titles, overall or in one status, of both types or one."""
    return {"items": services.top(status=status, media_type=mediaType, limit=limit)}


@blp.route("/trending", methods=["GET"])
@blp.arguments(TrendingArgs, location="query", as_kwargs=True)
@blp.response(200, TrendingOut)
def trending(period: str, mediaType: str | None, limit: int):  # noqa: N803
    """The titles most added or started in the last day, week or month, most first."""
    return services.trending_titles(period=period, media_type=mediaType, limit=limit)


@blp.route("/<media_type>/<int:media_id>", methods=["GET"])
@blp.response(200, MediaStatsOut)
def title_stats(media_type: str, media_id: int):
    """Counters of one title (`movie` or `tv`); zeros for a title nobody tracks."""
    return services.get_one(media_type=media_type, media_id=media_id)


@blp.route("/<int:media_id>", methods=["GET"])
@blp.doc(deprecated=True)
@blp.response(200, MediaStatsOut)
def media_stats(media_id: int):
    """Counters of the movie `media_id` (deprecated: use `/movie/{mediaId}`)."""
    stats = services.get_one(media_type="movie", media_id=media_id)
    return stats, 200, _deprecated(f"/mediastatistics/movie/{media_id}")


@people.route("/<uuid:user_id>/stats", methods=["GET"])
@people.arguments(PersonStatsArgs, location="query", as_kwargs=True)
@people.response(200, PersonStatsOut)
def user_stats(user_id: uuid.UUID, months: int):
    """A person's figures: all of them for themself, friends' and public lists' for others."""
    identity = current_identity()
    reader = person_stats.reader_of(user_id, identity.user_id if identity else None)
    return person_stats.person_stats(person=user_id, reader=reader, months=months)


@internal.post("/reconcile")
# run by an operator or a scheduler holding the statistics service's own credential
@service_credential_required("mediastatistics")
def run_reconcile():
    """Rebuild counters that differ from the list services' own counts."""
    return ReconcileOut().dump(reconcile.reconcile())
