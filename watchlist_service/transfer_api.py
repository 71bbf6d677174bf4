"""HTTP routes to take the caller's personal lists out (export) and bring lists in (import)."""

from __future__ import annotations

from flask import Response, request, stream_with_context
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, fields, validate

from servicekit.body_limits import allow_body
from servicekit.identity import BEARER, caller_id, login_required

from . import export, formats, transfer

MAX_IMPORT_BYTES = 10 * 1024 * 1024
IMPORT_FORMATS = ("json", "trakt", "letterboxd", "mal")
_MEDIA = {"json": "application/json", "csv": "text/csv"}

transfer_blp = ApiBlueprint(
    "watchlist-transfer",
    __name__,
    url_prefix="/watchlists",
    description="Export and import of personal lists",
)


class ExportArgs(Schema):
    """`GET /watchlists/export?format=json|csv`."""

    format = fields.String(load_default="json", validate=validate.OneOf(tuple(_MEDIA)))


class ExportEntry(Schema):
    """One entry in an export (docs/export.schema.json)."""

    mediaType = fields.String()
    mediaId = fields.Integer()
    status = fields.String()
    rating = fields.Integer(allow_none=True)
    progress = fields.Integer(allow_none=True)
    episodeProgress = fields.Dict(allow_none=True)
    notes = fields.String(allow_none=True)
    timesWatched = fields.Integer()
    lastWatchedAt = fields.String(allow_none=True)
    addedAt = fields.String()
    watches = fields.List(fields.String())


class ExportList(Schema):
    """One list in an export."""

    listId = fields.UUID()
    name = fields.String()
    createdAt = fields.String()
    entries = fields.List(fields.Nested(ExportEntry))


class ExportDocument(Schema):
    """The JSON export (CSV: one row per entry, see docs/api.md)."""

    format = fields.String()
    schemaVersion = fields.Integer()
    exportedAt = fields.String()
    userId = fields.UUID()
    lists = fields.List(fields.Nested(ExportList))


class ImportArgs(Schema):
    """`POST /watchlists/import?format=`: the file is the raw request body."""

    format = fields.String(required=True, validate=validate.OneOf(IMPORT_FORMATS))


class ImportRowOut(Schema):
    """What the import did with one row of the file."""

    row = fields.String()
    list = fields.String()
    mediaType = fields.String()
    mediaId = fields.Integer()
    result = fields.String(metadata={"enum": ["created", "updated", "skipped"]})
    reason = fields.String()


class ImportListOut(Schema):
    """A list the import filed rows in."""

    listId = fields.UUID()
    name = fields.String()
    created = fields.Boolean()


class ImportReport(Schema):
    """The import's report: totals, the lists, and each row's result."""

    format = fields.String()
    created = fields.Integer()
    updated = fields.Integer()
    skipped = fields.Integer()
    lists = fields.List(fields.Nested(ImportListOut))
    rows = fields.List(fields.Nested(ImportRowOut))


# `doc` replaces the response documented by `response`: both media types are named here
_EXPORT_RESPONSE = {
    "description": "The export: JSON (docs/export.schema.json) or CSV, one row per entry",
    "content": {
        "application/json": {"schema": ExportDocument},
        "text/csv": {"schema": {"type": "string"}},
    },
}
_FILE_BODY = {
    "required": True,
    "description": "The exported file itself (any Content-Type), up to 10 MB.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


@transfer_blp.route("/export", methods=["GET"])
@login_required
@transfer_blp.arguments(ExportArgs, location="query", as_kwargs=True)
@transfer_blp.response(200, ExportDocument)
@transfer_blp.doc(security=BEARER, responses={"200": _EXPORT_RESPONSE})
def export_watchlists(format: str):
    """All the caller's lists with entries, notes and watches, streamed as JSON or CSV."""
    owner_id = caller_id()
    pieces = export.export_json(owner_id) if format == "json" else export.export_csv(owner_id)
    name = f"watchlists.{format}"
    return Response(
        stream_with_context(pieces),
        mimetype=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@transfer_blp.route("/import", methods=["POST"])
@allow_body(MAX_IMPORT_BYTES)
@login_required
@transfer_blp.arguments(ImportArgs, location="query", as_kwargs=True)
@transfer_blp.response(200, ImportReport)
@transfer_blp.alt_response(413, description="The file is over 10 MB")
@transfer_blp.alt_response(422, description="A bad file: `row` names the first bad row")
@transfer_blp.doc(security=BEARER, requestBody=_FILE_BODY)
def import_watchlists(format: str):
    """Import a file of this project's JSON, Trakt JSON, Letterboxd CSV or MyAnimeList XML."""
    rows = formats.parse(format, request.get_data(cache=False))
    report = transfer.import_rows(owner_id=caller_id(), format_name=format, rows=rows)
    return report.totals()
