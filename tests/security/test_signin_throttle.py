"""Guessing passwords is throttled per email and per client, and a throttled sign-in is
refused even with the right password. Each test signs in from a loopback address of its
own (127.x.y.z), so its failures never throttle other tests' clients."""

from __future__ import annotations

import uuid

from tests.helpers import PASSWORD, another_loopback_address, client_from, sign_up

from .conftest import assert_problem

MAX_PER_EMAIL = 5  # the contract says "repeated failures"; the auth service allows 5
MAX_PER_CLIENT = 20


def _assert_throttled(response) -> None:
    assert_problem(response, 429)
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60


def test_repeated_wrong_passwords_for_one_email_are_throttled(gateway):
    victim = sign_up(gateway, "Victim")
    attacker = client_from(another_loopback_address())
    signin = f"{gateway}/auth/signin"
    for attempt in range(MAX_PER_EMAIL):
        # a forged X-Forwarded-For must not make each guess look like a new client
        spoof = {"X-Forwarded-For": f"10.0.0.{attempt}", "X-Real-Ip": f"10.0.1.{attempt}"}
        guess = {"email": victim.email, "password": f"guess number {attempt}"}
        assert_problem(attacker.post(signin, json=guess, headers=spoof, timeout=10), 401)
    _assert_throttled(
        attacker.post(signin, json={"email": victim.email, "password": "one more"}, timeout=10)
    )
    right = {"email": victim.email.upper(), "password": PASSWORD}
    _assert_throttled(attacker.post(signin, json=right, timeout=10))
    # the lock is on the email, whoever asks
    _assert_throttled(client_from(another_loopback_address()).post(signin, json=right, timeout=10))
    # ... and the victim's existing token keeps working
    assert victim.get("/auth/me").status_code == 200


def test_one_client_guessing_many_emails_is_throttled(gateway):
    bystander = sign_up(gateway, "Bystander")
    attacker = client_from(another_loopback_address())
    signin = f"{gateway}/auth/signin"
    for attempt in range(MAX_PER_CLIENT):
        spoof = {"X-Forwarded-For": f"10.1.0.{attempt}", "Forwarded": f"for=10.2.0.{attempt}"}
        guess = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "guess"}
        assert_problem(attacker.post(signin, json=guess, headers=spoof, timeout=10), 401)
    right = {"email": bystander.email, "password": PASSWORD}
    _assert_throttled(attacker.post(signin, json=right, timeout=10))
    # other clients are not throttled by this one's guesses
    other = client_from(another_loopback_address()).post(signin, json=right, timeout=10)
    assert other.status_code == 200 and other.json()["userId"] == bystander.user_id
