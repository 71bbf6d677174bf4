"""Readiness: the database is required; the broker is reported but not required."""

from devstack.ports import free_port


def test_ready_with_database_and_broker(make_app):
    body = make_app("user_service").test_client().get("/health/ready").get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


def test_broker_away_is_degraded_but_still_ready(make_app):
    app = make_app("user_service", KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    response = app.test_client().get("/health/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == {
        "ok": False,
        "critical": False,
        "details": body["checks"]["broker"]["details"],
    }
    assert "unreachable" in body["checks"]["broker"]["details"]


def test_database_away_is_not_ready(make_app):
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    response = make_app("user_service", DATABASE_URL=closed).test_client().get("/health/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["checks"]["database"]["ok"] is False
