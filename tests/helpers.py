"""Small helpers tests import: gateway identity headers, the service credential."""

from __future__ import annotations

import secrets
import uuid

SERVICE_TOKEN = "test-service-token-" + secrets.token_hex(16)
JWT_SECRET = "test-jwt-secret-" + secrets.token_hex(16)


def identity(user_id: uuid.UUID | str, role: str = "USER") -> dict[str, str]:
    """Headers the gateway adds for a signed-in user (unit tests bypass the gateway)."""
    return {"X-User-Id": str(user_id), "X-User-Role": role}


def service_headers() -> dict[str, str]:
    """Headers of a trusted internal caller."""
    return {"X-Service-Token": SERVICE_TOKEN}


def assert_problem(response, status: int) -> dict:
    """Assert an RFC 9457 problem document with this status; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["type"] and "detail" in body
    return body
