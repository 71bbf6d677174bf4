"""HTTP routes of the media statistics service: public reads, internal reconciliation."""

from __future__ import annotations

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

from servicekit.identity import service_credential_required
from servicekit.schemas import comma_separated

from . import reconcile, services
from .schemas import BatchArgs, MediaStatsList, MediaStatsOut, ReconcileOut, TopArgs

blp = ApiBlueprint(
    "mediastatistics", __name__, url_prefix="/mediastatistics", description="Media counters"
)
internal = Blueprint("internal", __name__, url_prefix="/internal")


@blp.route("", methods=["GET"])
@blp.arguments(BatchArgs, location="query", as_kwargs=True)
@blp.response(200, MediaStatsList)
def batch_stats(ids: str):
    """Counters of several media (`?ids=1,2,3`, at most 100), in the order asked."""
    raw = comma_separated(ids, max_items=services.MAX_BATCH, field="ids")
    return {"items": services.get_many(media_ids=services.parse_ids(raw))}


@blp.route("/top", methods=["GET"])
@blp.arguments(TopArgs, location="query", as_kwargs=True)
@blp.response(200, MediaStatsList)
def top_media(status: str | None, limit: int):
    """The most tracked media, overall or in one status."""
    return {"items": services.top(status=status, limit=limit)}


@blp.route("/<int:media_id>", methods=["GET"])
@blp.response(200, MediaStatsOut)
def media_stats(media_id: int):
    """Counters of one media; zeros for a media nobody tracks."""
    return services.get_one(media_id=media_id)


@internal.post("/reconcile")
# run by an operator or a scheduler holding the statistics service's own credential
@service_credential_required("mediastatistics")
def run_reconcile():
    """Rebuild counters that differ from the list services' own counts."""
    return ReconcileOut().dump(reconcile.reconcile())
