"""Each service's OpenAPI document is public at its gateway prefix."""

import pytest
import requests

PREFIXES = [
    "/auth",
    "/users",
    "/watchlists",
    "/friends",
    "/friendswatchlists",
    "/mediastatistics",
]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_openapi_document_is_public_at_each_prefix(gateway, prefix):
    response = requests.get(f"{gateway}{prefix}/openapi.json", timeout=10)
    assert response.status_code == 200, response.text[:200]
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert any(path.startswith(prefix) for path in document["paths"]), list(document["paths"])
