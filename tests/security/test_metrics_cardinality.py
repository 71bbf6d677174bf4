"""Anonymous requests through the gateway cannot grow a service's metric series."""

import re
import uuid

import requests

SERIES = re.compile(r"^flask_http_request_duration_seconds_count\{([^}]*)\}", re.M)


def user_service_series(stack) -> set[str]:
    text = requests.get(f"{stack.service_url('user')}/metrics", timeout=5).text
    return set(SERIES.findall(text))


def test_a_hundred_random_profile_ids_add_no_metric_series(stack, gateway):
    requests.get(f"{gateway}/users/{uuid.uuid4()}", timeout=5)
    before = user_service_series(stack)
    for _ in range(100):
        assert requests.get(f"{gateway}/users/{uuid.uuid4()}", timeout=5).status_code == 404
    after = user_service_series(stack)
    assert after - before == set(), sorted(after - before)[:5]
    assert any('route="/users/<uuid:user_id>"' in labels for labels in after), sorted(after)
