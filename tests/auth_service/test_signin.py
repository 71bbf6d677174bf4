"""Sign-in: a token for good credentials, one answer for bad ones, throttling in the database."""

import threading

import pytest
from sqlalchemy import select

from auth_service import throttle
from auth_service.models import SigninAttempt, db
from tests.auth_service.support import PASSWORD, decode_token, random_ip, unique_email
from tests.helpers import assert_problem


def attempts(app, key: str) -> int:
    with app.app_context():
        row = db.session.scalar(select(SigninAttempt).where(SigninAttempt.key == key))
        return row.attempts if row else 0


def age(app, key: str, seconds: float) -> None:
    """Move a counter's clock back, as if its attempts were `seconds` older."""
    with app.app_context():
        db.session.execute(
            SigninAttempt.__table__.update()
            .where(SigninAttempt.key == key)
            .values(
                last_attempt=SigninAttempt.last_attempt
                - db.func.make_interval(0, 0, 0, 0, 0, 0, seconds),
                window_start=SigninAttempt.window_start
                - db.func.make_interval(0, 0, 0, 0, 0, 0, seconds),
            )
        )
        db.session.commit()


def test_signin_returns_a_token_for_the_account(auth):
    email = unique_email()
    user_id = auth.signup(email=email)["userId"]
    response = auth.signin(email.upper())
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {
        "userId",
        "accessToken",
        "tokenType",
        "expiresIn",
        "refreshToken",
        "refreshExpiresIn",
    }
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


def test_five_wrong_passwords_from_one_client_lock_that_client_out_of_the_account(app, auth):
    email, ip = unique_email("Throttle"), random_ip()
    auth.signup(email=email)
    for _ in range(throttle.MAX_PER_PAIR):
        assert_problem(auth.signin(email, "wrong password", ip=ip), 401)
    keys = throttle.attempt_keys(email=email, client=ip)
    assert attempts(app, keys.pair) == throttle.MAX_PER_PAIR
    age(app, keys.account, throttle.MAX_DELAY_S)  # past the account's delay: the pair decides
    blocked = auth.signin(email.upper(), PASSWORD, ip=ip)
    assert_problem(blocked, 429)
    assert throttle.MAX_DELAY_S < int(blocked.headers["Retry-After"]) <= 900


def test_strangers_guessing_only_delay_the_owner_on_another_client(app, auth):
    email, attacker = unique_email("Owner"), random_ip()
    auth.signup(email=email)
    for _ in range(throttle.MAX_PER_PAIR):
        assert_problem(auth.signin(email, "wrong password", ip=attacker), 401)
    owner = random_ip()
    delayed = auth.signin(email, PASSWORD, ip=owner)
    assert_problem(delayed, 429)
    assert int(delayed.headers["Retry-After"]) == 1
    age(app, throttle.attempt_keys(email=email, client=owner).account, 1)
    assert auth.signin(email, PASSWORD, ip=owner).status_code == 200


def test_the_accounts_delay_doubles_up_to_a_minute(app, auth):
    email = unique_email("Doubling")
    auth.signup(email=email)
    key = throttle.attempt_keys(email=email, client="x").account
    waits = []
    for _ in range(throttle.ACCOUNT_FREE + 8):
        response = auth.signin(email, "wrong password")  # a new client each time
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            age(app, key, waits[-1])
            response = auth.signin(email, "wrong password")
        assert_problem(response, 401)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]


def test_success_forgets_the_account_and_the_pair(app, auth):
    email, ip = unique_email(), random_ip()
    auth.signup(email=email)
    for _ in range(4):
        auth.signin(email, "wrong password", ip=ip)
    assert auth.signin(email, ip=ip).status_code == 200
    keys = throttle.attempt_keys(email=email, client=ip)
    assert attempts(app, keys.account) == attempts(app, keys.pair) == 0
    assert attempts(app, keys.client) == 4
    assert_problem(auth.signin(email, "wrong password", ip=ip), 401)


def test_twenty_attempts_from_one_client_throttle_it_for_any_email(app, auth):
    ip = random_ip()
    email = unique_email()
    auth.signup(email=email)
    for _ in range(throttle.MAX_PER_CLIENT):
        assert_problem(auth.signin(unique_email(), "wrong password", ip=ip), 401)
    assert attempts(app, "client:" + ip) == throttle.MAX_PER_CLIENT
    # the gateway appends the address it saw: the left part is the client's own claim
    blocked = auth.signin(email, PASSWORD, ip=f"192.0.2.1, {ip}")
    assert_problem(blocked, 429)
    assert int(blocked.headers["Retry-After"]) > 0
    assert auth.signin(email, PASSWORD, ip=random_ip()).status_code == 200


def test_two_app_instances_share_one_count(make_app, user_service, app, auth):
    email, ip = unique_email(), random_ip()
    auth.signup(email=email)
    other = make_app("auth_service", USER_SERVICE_URL=user_service.url).test_client()
    for i in range(throttle.MAX_PER_PAIR):
        client = auth.client if i % 2 else other
        response = client.post(
            "/auth/signin",
            json={"email": email, "password": "wrong password"},
            headers={"X-Forwarded-For": ip},
        )
        assert_problem(response, 401)
    age(app, throttle.attempt_keys(email=email, client=ip).account, throttle.MAX_DELAY_S)
    assert_problem(auth.signin(email, ip=ip), 429)


def test_an_expired_window_starts_counting_again(app, auth):
    email, ip = unique_email(), random_ip()
    auth.signup(email=email)
    for _ in range(throttle.MAX_PER_PAIR):
        auth.signin(email, "wrong password", ip=ip)
    keys = throttle.attempt_keys(email=email, client=ip)
    for key in (keys.account, keys.pair, keys.client):
        age(app, key, 16 * 60)
    assert_problem(auth.signin(email, "wrong password", ip=ip), 401)
    assert attempts(app, keys.pair) == attempts(app, keys.account) == 1


@pytest.mark.parametrize("one_client", [True, False], ids=["one client", "many clients"])
def test_simultaneous_guesses_get_at_most_the_allowed_password_checks(app, auth, one_client):
    email, ip = unique_email("Burst"), random_ip()
    auth.signup(email=email)
    start = threading.Barrier(16)
    statuses = []

    def guess() -> None:
        client = app.test_client()
        start.wait()
        response = client.post(
            "/auth/signin",
            json={"email": email, "password": "wrong password"},
            headers={"X-Forwarded-For": ip if one_client else random_ip()},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) <= throttle.ACCOUNT_FREE
