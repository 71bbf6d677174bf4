"""Request metrics are labelled by route template: clients cannot add series."""

import re
import uuid

from tests.helpers import identity

SERIES = re.compile(rb"^flask_http_request_duration_seconds_count\{([^}]*)\}", re.M)


def series(client) -> set[bytes]:
    """The label sets of the request-duration histogram on this app's /metrics."""
    return set(SERIES.findall(client.get("/metrics").data))


def test_random_ids_and_paths_add_no_series(make_app):
    client = make_app("user_service").test_client()
    client.get(f"/users/{uuid.uuid4()}")
    client.get(f"/no-such-path/{uuid.uuid4()}")
    before = series(client)
    for _ in range(50):
        client.get(f"/users/{uuid.uuid4()}")
        client.get(f"/no-such-path/{uuid.uuid4()}")
        client.open(f"/users/{uuid.uuid4()}", method=f"X{uuid.uuid4().hex[:8].upper()}")
    after = series(client)
    assert len(after - before) <= 1, after - before  # the invented-method series, once
    text = b" ".join(after)
    assert b'route="/users/<uuid:user_id>"' in text
    assert b'route="<unmatched>"' in text
    assert b'method="<other>"' in text
    assert not re.search(rb"[0-9a-f]{8}-[0-9a-f]{4}-", text), "a raw id became a label"


def test_a_route_refused_by_the_input_guard_is_still_counted(make_app):
    client = make_app("user_service").test_client()
    user_id = uuid.uuid4()
    client.get("/users?q=a%00", headers=identity(user_id))
    assert b'route="/users",status="422"' in b" ".join(series(client))
