"""Sign-in: a token for good credentials, one answer for bad ones, throttling in the database."""

import pytest
from sqlalchemy import select

from auth_service.models import SigninFailure, db
from tests.auth_service.conftest import PASSWORD, decode_token, random_ip, unique_email
from tests.helpers import assert_problem


def failures(app, key: str) -> int:
    with app.app_context():
        row = db.session.scalar(select(SigninFailure).where(SigninFailure.key == key))
        return row.failures if row else 0


def test_signin_returns_a_token_for_the_account(auth):
    email = unique_email()
    user_id = auth.signup(email=email)["userId"]
    response = auth.signin(email.upper())
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"userId", "accessToken", "tokenType", "expiresIn"}
    assert body["userId"] == user_id and body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 900
    claims = decode_token(body["accessToken"])
    assert claims["sub"] == user_id and claims["role"] == "USER"
    assert claims["iss"] == "watchlist-tracker-auth" and claims["jti"]
    assert claims["exp"] - claims["iat"] == 900


def test_unknown_email_and_wrong_password_get_the_same_401(auth):
    email = unique_email()
    auth.signup(email=email)
    wrong = auth.signin(email, "wrong password")
    unknown = auth.signin(unique_email(), PASSWORD)
    assert_problem(wrong, 401)
    assert_problem(unknown, 401)
    assert wrong.get_json() == unknown.get_json()
    assert PASSWORD not in wrong.get_data(as_text=True)


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "a@b.co"}, {"email": 1, "password": "x"}, {"email": "", "password": "x"},
     {"email": "a@b.co", "password": "x" * 129}, {"email": "a@b.co", "password": "p", "x": 1}],
)  # fmt: skip
def test_invalid_signin_body_is_422(client, body):
    assert_problem(client.post("/auth/signin", json=body), 422)


def test_five_failures_for_an_email_give_429_even_with_the_right_password(app, auth):
    email = unique_email("Throttle")
    auth.signup(email=email)
    for _ in range(5):
        assert_problem(auth.signin(email, "wrong password"), 401)
    assert failures(app, "email:" + email.lower()) == 5
    blocked = auth.signin(email.upper(), PASSWORD)
    assert_problem(blocked, 429)
    assert 0 < int(blocked.headers["Retry-After"]) <= 900


def test_success_clears_the_email_counter(app, auth):
    email = unique_email()
    auth.signup(email=email)
    for _ in range(4):
        auth.signin(email, "wrong password")
    assert auth.signin(email).status_code == 200
    assert failures(app, "email:" + email.lower()) == 0
    assert_problem(auth.signin(email, "wrong password"), 401)


def test_twenty_failures_from_one_client_throttle_it_for_any_email(app, auth):
    ip = random_ip()
    email = unique_email()
    auth.signup(email=email)
    for _ in range(20):
        assert_problem(auth.signin(unique_email(), "wrong password", ip=ip), 401)
    assert failures(app, "client:" + ip) == 20
    blocked = auth.signin(email, PASSWORD, ip=f"{ip}, 192.0.2.1")
    assert_problem(blocked, 429)
    assert int(blocked.headers["Retry-After"]) > 0
    assert auth.signin(email, PASSWORD, ip=random_ip()).status_code == 200


def test_two_app_instances_share_one_count(make_app, user_service, auth):
    email = unique_email()
    auth.signup(email=email)
    other = make_app("auth_service", USER_SERVICE_URL=user_service.url).test_client()
    for i in range(5):
        client = auth.client if i % 2 else other
        response = client.post(
            "/auth/signin",
            json={"email": email, "password": "wrong password"},
            headers={"X-Forwarded-For": random_ip()},
        )
        assert_problem(response, 401)
    assert_problem(auth.signin(email), 429)


def test_an_expired_window_starts_counting_again(app, auth):
    email = unique_email()
    auth.signup(email=email)
    for _ in range(5):
        auth.signin(email, "wrong password")
    with app.app_context():
        db.session.execute(
            SigninFailure.__table__.update()
            .where(SigninFailure.key == "email:" + email.lower())
            .values(window_start=db.func.now() - db.text("interval '16 minutes'"))
        )
        db.session.commit()
    assert_problem(auth.signin(email, "wrong password"), 401)
    assert failures(app, "email:" + email.lower()) == 1
