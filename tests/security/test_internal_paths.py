"""`/internal/` is never routed: under every prefix and in every spelling or encoding the
gateway answers itself (404, or 400 for encodings Traefik refuses outright) and no
service ever sees the request."""

from __future__ import annotations

import json
import uuid

import pytest

from .support import raw_request

PREFIXES = ["", "/auth", "/users", "/watchlists", "/friends", "/friendswatchlists"]
PREFIXES += ["/mediastatistics"]

# spelling -> (path template with {p} the prefix and {rest} the target, gateway status)
# 400: Traefik refuses encoded slashes, backslashes and percent signs before routing
# (entryPoints.web.http.encodedCharacters), which is just as good as 404.
SPELLINGS = {
    "plain": ("{p}/internal/{rest}", 404),
    "upper case": ("{p}/INTERNAL/{rest}", 404),
    "mixed case": ("{p}/InTeRnAl/{rest}", 404),
    "encoded letter": ("{p}/%69nternal/{rest}", 404),
    "encoded letters": ("{p}/%49%4E%54%45%52%4E%41%4C/{rest}", 404),
    "dot segment": ("{p}/./internal/{rest}", 404),
    "dot-dot segment": ("{p}/x/../internal/{rest}", 404),
    "encoded dot-dot": ("{p}/x/%2e%2e/internal/{rest}", 404),
    "half-encoded dot-dot": ("{p}/x/.%2e/internal/{rest}", 404),
    "double slash": ("{p}//internal/{rest}", 404),
    "triple slash": ("{p}///internal//{rest}", 404),
    "path parameter before": ("{p};x=1/internal/{rest}", 404),
    "path parameter on segment": ("{p}/internal;x=1/{rest}", 404),
    "empty path parameter": ("{p}/;/internal/{rest}", 404),
    "encoded slash": ("{p}%2finternal/{rest}", 400),
    "encoded slash after dot-dot": ("{p}/x/..%2finternal/{rest}", 400),
    "double-encoded slash": ("{p}%252finternal/{rest}", 400),
    "double-encoded dot-dot": ("{p}/x/%252e%252e/internal/{rest}", 400),
    "encoded backslash": ("{p}%5cinternal/{rest}", 400),
    "raw backslash": ("{p}\\internal/{rest}", 400),
    "trailing slash": ("{p}/internal/{rest}/", 404),
}

# a real internal route of a service for each prefix: what a leak would reach
TARGETS = {
    "": ("GET", "users?ids={nonce}"),
    "/auth": ("GET", "users?ids={nonce}"),
    "/users": ("PUT", "users/{nonce}"),
    "/watchlists": ("GET", "media-counts?ids={nonce}"),
    "/friends": ("GET", "media-counts?ids={nonce}"),
    "/friendswatchlists": ("GET", "media-counts?ids={nonce}"),
    "/mediastatistics": ("POST", "reconcile?nonce={nonce}"),
}


@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize("prefix", PREFIXES, ids=[p or "(root)" for p in PREFIXES])
def test_internal_paths_never_reach_a_service(
    gateway, world, recorded, service_logs, prefix, spelling
):
    template, status = SPELLINGS[spelling]
    method, rest = TARGETS[prefix]
    nonce = str(uuid.uuid4())
    path = template.format(p=prefix, rest=rest.format(nonce=nonce))
    headers = [("Authorization", f"Bearer {world.alice.token}")]
    body = b"{}" if method in ("PUT", "POST") else None
    if body is not None:
        headers.append(("Content-Type", "application/json"))
    if not path.startswith("/"):
        status = 400  # "(root)" + ";x=1/...": not even a valid request target
    answer = raw_request(recorded, gateway, method, path, headers, body)
    assert answer.status == status, (path, answer.status, answer.text[:200])
    # a service refusing a missing service credential would answer 403 with this detail
    assert "for other services only" not in answer.text
    if status == 404:  # the gateway's own not-found: a problem document, not the service's
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert json.loads(answer.text)["status"] == 404
    service_logs.assert_never_seen(nonce)
