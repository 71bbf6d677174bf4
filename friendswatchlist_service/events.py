"""Events this service produces: `media-entry-changed`, written to the outbox with the change.

Each side of an event names the person the entry counts for in the statistics
(`userId`: the list's current owner) and the event names who made the change
(`actorId`); a hand-over of the list changes only the person, so it is an event too.
"""

from __future__ import annotations

from servicekit.contract import EntryEvents

from .models import outbox

entry_events = EntryEvents("friendswatchlist", outbox)
