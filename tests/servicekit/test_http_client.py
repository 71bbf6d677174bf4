"""The service-to-service client: timeout, request id passed on, breaker, no POST retries."""

import time

import pytest
from flask import Flask, jsonify, request

from devstack.ports import free_port
from servicekit.discovery import StaticDiscovery
from servicekit.errors import ServiceUnavailable
from servicekit.http import ServiceClient


@pytest.fixture
def echo(live_server):
    app = Flask("echo")
    app.calls = []

    @app.route("/echo", methods=["GET", "POST"])
    def echo_view():
        app.calls.append(request.method)
        return jsonify(
            requestId=request.headers.get("X-Request-Id"),
            token=request.headers.get("X-Service-Token"),
        )

    @app.get("/boom")
    def boom():
        app.calls.append("boom")
        return "no", 500

    server = live_server(app)
    return app, server


def client_for(url, **kwargs):
    return ServiceClient(StaticDiscovery({"peer": url}), lambda callee: f"for-{callee}", **kwargs)


def test_call_carries_service_credential_and_request_id(echo):
    app, server = echo
    flask_app = Flask("caller")
    with flask_app.test_request_context():
        from flask import g

        g.request_id = "req-123"
        body = client_for(server.url).get("peer", "/echo").json()
    assert body == {"requestId": "req-123", "token": "for-peer"}


def test_frozen_peer_fails_within_about_a_second(slow_server):
    client = client_for(slow_server, timeout_s=1.0)
    started = time.perf_counter()
    with pytest.raises(ServiceUnavailable):
        client.get("peer", "/anything")
    assert time.perf_counter() - started < 2.0


def test_server_error_is_unavailable_and_post_is_sent_once(echo):
    app, server = echo
    with pytest.raises(ServiceUnavailable):
        client_for(server.url).get("peer", "/boom")
    client_for(server.url).post("peer", "/echo", json={})
    assert app.calls.count("POST") == 1


def test_breaker_opens_after_repeated_failures_and_fails_fast():
    client = client_for(f"http://127.0.0.1:{free_port()}", fail_max=3, reset_timeout_s=30)
    for _ in range(3):
        with pytest.raises(ServiceUnavailable):
            client.get("peer", "/x")
    started = time.perf_counter()
    with pytest.raises(ServiceUnavailable):
        client.get("peer", "/x")
    assert time.perf_counter() - started < 0.05


def test_unknown_service_name_is_unavailable():
    with pytest.raises(ServiceUnavailable):
        client_for("http://127.0.0.1:1").get("nobody", "/x")
