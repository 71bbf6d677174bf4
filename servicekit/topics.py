"""Contract topic names (docs/api.md, "Events").

Each consumer defines the event fields it reads itself.
"""

MEDIA_ENTRY_CHANGED = "media-entry-changed"
USER_DELETED = "user-deleted"
