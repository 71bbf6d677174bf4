"""`/verify`, the gateway's forward-auth check: public routes, tokens, hidden paths."""

import base64
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import psycopg
import pytest
from werkzeug.test import Client, EnvironBuilder, TestResponse

from auth_service.verify import passed
from servicekit import keys
from servicekit.assertions import request_binding
from tests.auth_service.support import make_token
from tests.helpers import ASSERTION_SIGNING_KEY, TOKEN_SIGNING_KEY, assert_problem

PROTECTED = ("GET", "/watchlists")


@pytest.fixture(params=["flask", "fast path"])
def client(request, app):
    """Every test here runs twice: against the Flask app, and through the forward-auth
    processes' entry point, which answers a passing `/verify` without Flask."""
    if request.param == "flask":
        return app.test_client()

    def entry_point(environ, start_response):
        return passed(app, environ, start_response) or app(environ, start_response)

    return Client(entry_point, TestResponse)


def identity_headers(response) -> dict:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("x-user-")}


def edited_payload(token: str) -> str:
    """The same signature over a payload changed to claim ADMIN."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def long_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


BAD_TOKENS = {
    "alg none": lambda sub: jwt.encode({**jwt.decode(make_token(sub=sub), options={
        "verify_signature": False})}, None, algorithm="none"),
    "wrong key": lambda sub: make_token(key=keys.private_key(keys.generate()), sub=sub),
    "HS256 keyed with the public key": lambda sub: make_token(
        key=keys.public_of(TOKEN_SIGNING_KEY), algorithm="HS256", sub=sub),
    "HS512": lambda sub: make_token(key="x" * 64, algorithm="HS512", sub=sub),
    "no token version": lambda sub: make_token(sub=sub, ver=None),
    "newer token version": lambda sub: make_token(sub=sub, ver=1),
    "token version not a number": lambda sub: make_token(sub=sub, ver="0"),
    "edited payload": lambda sub: edited_payload(make_token(sub=sub)),
    "expired": lambda sub: make_token(sub=sub, iat=long_ago(), exp=long_ago()),
    "wrong audience": lambda sub: make_token(sub=sub, aud="someone-else"),
    "wrong issuer": lambda sub: make_token(sub=sub, iss="evil"),
    "no exp": lambda sub: make_token(sub=sub, exp=None),
    "no iat": lambda sub: make_token(sub=sub, iat=None),
    "no aud": lambda sub: make_token(sub=sub, aud=None),
    "no sub": lambda sub: make_token(sub=None),
    "sub not a uuid": lambda sub: make_token(sub="admin"),
    "garbage": lambda sub: "not.a.token",
    "empty": lambda sub: "",
    "huge": lambda sub: "a" * 10_000,
}  # fmt: skip


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_bad_tokens_are_401_with_a_bearer_challenge(auth, kind):
    user_id = auth.signup()["userId"]
    response = auth.verify(*PROTECTED, token=BAD_TOKENS[kind](user_id))
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert identity_headers(response) == {}


@pytest.mark.parametrize(
    "authorization", [None, "Basic dXNlcjpwYXNz", "Bearer", "Token abc", "bearer"]
)
def test_missing_or_non_bearer_authorization_is_401(client, authorization):
    headers = {"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/watchlists"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = client.get("/verify", headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_valid_token_passes_with_identity_headers(client, auth):
    body = auth.signup()
    response = client.get(
        "/verify",
        headers={
            "X-Forwarded-Method": "GET",
            "X-Forwarded-Uri": "/watchlists?limit=5",
            "Authorization": f"bearer {body['accessToken']}",
        },
    )
    assert response.status_code == 200 and response.data == b""
    headers = identity_headers(response)
    assertion = headers.pop("X-User-Assertion")
    assert headers == {"X-User-Id": body["userId"], "X-User-Role": "USER"}
    public = keys.private_key(ASSERTION_SIGNING_KEY).public_key()
    claims = jwt.decode(assertion, public, algorithms=["EdDSA"], audience="internal")
    assert claims["sub"] == body["userId"] and claims["role"] == "USER"
    assert claims["req"] == request_binding("GET", "/watchlists")
    assert 0 < claims["exp"] - claims["iat"] <= 10


def test_token_of_a_never_existing_account_is_401(auth):
    assert_problem(auth.verify(*PROTECTED, token=make_token()), 401)


PUBLIC = [
    ("POST", "/auth/signup"),
    ("POST", "/auth/signin"),
    ("GET", f"/users/{uuid.uuid4()}"),
    ("HEAD", "/users/anything"),
    ("GET", "/mediastatistics"),
    ("GET", "/mediastatistics?ids=1,2,3"),
    ("GET", "/mediastatistics/42"),
    ("HEAD", "/mediastatistics/top?status=watching&limit=10"),
    ("GET", "/mediastatistics/tv/1399"),
    ("GET", "/mediastatistics?ids=movie:603,tv:1399"),
    ("GET", "/mediastatistics/trending?period=week&mediaType=tv"),
    ("GET", f"/users/{uuid.uuid4()}/stats?months=3"),
    # what a list's visibility may show to anyone: the service answers 404 when it does not
    ("GET", f"/watchlists/{uuid.uuid4()}"),
    ("HEAD", f"/watchlists/{uuid.uuid4()}"),
    ("GET", f"/watchlists/{uuid.uuid4()}/media?status=watched&cursor=x"),
    ("GET", f"/users/{uuid.uuid4()}/watchlists?limit=5"),
    *[
        ("GET", f"/{p}/openapi.json")
        for p in ("auth", "users", "watchlists", "friends", "friendswatchlists", "mediastatistics")
    ],
]


@pytest.mark.parametrize("method, uri", PUBLIC)
def test_public_routes_pass_without_identity(auth, method, uri):
    response = auth.verify(method, uri)
    assert response.status_code == 200
    assert identity_headers(response) == {}


@pytest.mark.parametrize("method, uri", PUBLIC[:3])
def test_public_routes_with_a_valid_token_get_identity(auth, method, uri):
    body = auth.signup()
    response = auth.verify(method, uri, token=body["accessToken"])
    assert response.status_code == 200
    assert identity_headers(response)["X-User-Id"] == body["userId"]


def test_a_persons_stats_pass_the_readers_identity_when_a_token_is_sent(auth):
    body = auth.signup()
    response = auth.verify("GET", f"/users/{uuid.uuid4()}/stats", token=body["accessToken"])
    assert response.status_code == 200
    assert identity_headers(response)["X-User-Id"] == body["userId"]


@pytest.mark.parametrize(
    "uri", [f"/watchlists/{uuid.uuid4()}", f"/users/{uuid.uuid4()}/watchlists"]
)
def test_list_reads_pass_the_readers_identity_when_a_token_is_sent(auth, uri):
    body = auth.signup()
    response = auth.verify("GET", uri, token=body["accessToken"])
    assert response.status_code == 200
    assert identity_headers(response)["X-User-Id"] == body["userId"]


def test_public_route_with_a_bad_token_still_passes_anonymously(auth):
    response = auth.verify("GET", "/mediastatistics/1", token="garbage")
    assert response.status_code == 200 and identity_headers(response) == {}


@pytest.mark.parametrize(
    "method, uri",
    [
        ("GET", f"/users?ids={uuid.uuid4()}"),
        ("GET", "/users?q=ann"),
        ("GET", "/users"),
        ("GET", "/users/a/b"),
        ("GET", f"/users/{uuid.uuid4()}/stats/x"),
        ("PATCH", f"/users/{uuid.uuid4()}/stats"),
        ("GET", f"/watchlists/{uuid.uuid4()}/stats"),
        ("GET", "/watchlists"),
        ("GET", "/watchlists/not-a-uuid"),
        ("GET", "/watchlists/not-a-uuid/media"),
        ("GET", f"/watchlists/{uuid.uuid4()}/media/movie/1"),
        ("GET", f"/watchlists/{uuid.uuid4()}/media/movie/1/watches"),
        ("PATCH", f"/watchlists/{uuid.uuid4()}"),
        ("DELETE", f"/watchlists/{uuid.uuid4()}"),
        ("POST", f"/watchlists/{uuid.uuid4()}/media"),
        ("GET", "/users/not-a-uuid/watchlists"),
        ("GET", f"/users/{uuid.uuid4()}/watchlists/x"),
        ("GET", f"/friendswatchlists/{uuid.uuid4()}"),
        ("GET", "/users/"),
        ("GET", "/users/.."),
        ("GET", "/mediastatistics/../watchlists"),
        ("PATCH", f"/users/{uuid.uuid4()}"),
        ("DELETE", "/mediastatistics/1"),
        ("POST", "/mediastatistics"),
        ("GET", "/auth/me"),
        ("GET", "/auth/signup"),
        ("POST", "/auth/signup/extra"),
        ("DELETE", f"/auth/users/{uuid.uuid4()}"),
        ("GET", "/watchlists/openapi.json/x"),
        ("GET", "/elsewhere/openapi.json"),
        ("POST", "/friends/requests"),
        ("GET", "/"),
        ("GET", ""),
        ("", "/users/x"),
    ],
)
def test_everything_else_needs_a_token(auth, method, uri):
    assert_problem(auth.verify(method, uri), 401)


@pytest.mark.parametrize(
    "uri",
    [
        "/internal/users",
        "/users/internal",
        "/users/INTERNAL/x",
        "/auth/Internal?x=1",
        "/users/%2e%2e/internal",
        "/users/abc%2Fdef",
        "/mediastatistics/%34%32",
    ],
)
def test_internal_and_encoded_paths_are_404_even_with_a_token(auth, uri):
    token = auth.signup()["accessToken"]
    response = auth.verify("GET", uri, token=token)
    assert_problem(response, 404)
    assert identity_headers(response) == {}


def test_encoded_query_is_not_an_encoded_path(auth):
    assert auth.verify("GET", "/mediastatistics/top?status=on%5Fhold").status_code == 200


def test_verify_calls_are_not_logged_at_info(auth, caplog):
    token = auth.signup()["accessToken"]
    caplog.set_level(logging.INFO, logger="access")
    auth.verify(*PROTECTED, token=token)
    auth.client.get("/auth/openapi.json")
    paths = [r.msg.get("path") for r in caplog.records if isinstance(r.msg, dict)]
    assert "/auth/openapi.json" in paths and "/verify" not in paths


def test_verify_survives_its_database_connections_being_killed(app, auth):
    token = auth.signup()["accessToken"]
    assert auth.verify(*PROTECTED, token=token).status_code == 200
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 1
    assert auth.verify(*PROTECTED, token=token).status_code == 200


def test_refusal_names_the_clients_path_not_verify(auth):
    body = auth.verify("GET", "/watchlists/abc?limit=2").get_json()
    assert body["status"] == 401 and body["instance"] == "/watchlists/abc"


def test_a_token_checked_before_still_expires_on_time(auth):
    import time

    user_id = auth.signup()["userId"]
    token = make_token(sub=user_id, exp=datetime.now(UTC) + timedelta(seconds=1.5))
    assert auth.verify(*PROTECTED, token=token).status_code == 200  # checked and remembered
    time.sleep(2)
    assert auth.verify(*PROTECTED, token=token).status_code == 401


def test_an_edited_copy_of_a_remembered_token_is_refused(auth):
    token = auth.signup()["accessToken"]
    assert auth.verify(*PROTECTED, token=token).status_code == 200
    header, payload, signature = token.split(".")
    edited = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert auth.verify(*PROTECTED, token=edited).status_code == 401


def test_a_repeated_request_gets_the_same_assertion_and_another_request_a_new_one(auth):
    token = auth.signup()["accessToken"]
    first = auth.verify("GET", "/watchlists", token=token).headers["X-User-Assertion"]
    again = auth.verify("GET", "/watchlists?limit=5", token=token).headers["X-User-Assertion"]
    other = auth.verify("GET", "/friends", token=token).headers["X-User-Assertion"]
    assert first == again and other != first


def test_the_entry_point_answers_a_passing_caller_itself_and_leaves_the_rest_to_the_app(app, auth):
    token = auth.signup()["accessToken"]
    answered: list = []

    def call(uri: str, authorization: str, method: str = "GET"):
        headers = {"X-Forwarded-Method": method, "X-Forwarded-Uri": uri}
        environ = EnvironBuilder("/verify", headers={**headers, "Authorization": authorization})
        answered.clear()
        return passed(app, environ.get_environ(), lambda *a: answered.append(a))

    assert call("/watchlists", f"Bearer {token}") == [b""]
    status, headers = answered[0]
    assert status == "200 OK" and {"X-User-Id", "X-User-Assertion"} <= dict(headers).keys()
    for uri, authorization, method in [
        ("/watchlists", "Bearer not.a.token", "GET"),  # the app's 401
        ("/watchlists", "", "GET"),
        ("/internal/users", f"Bearer {token}", "GET"),  # the app's 404
        ("/auth/signin", f"Bearer {token}", "POST"),  # counted by the app's gate
    ]:
        assert call(uri, authorization, method) is None and not answered, uri
