"""Guessing passwords is throttled without letting strangers lock the owner out.

- per account and client: five attempts, then that client is refused (429) for the
  window, even with the right password;
- per account: attempts from everywhere only slow down (a delay that doubles up to a
  minute), so the owner on their own client still gets in within seconds;
- per client: twenty attempts across accounts;
- the attempt is counted before the password is checked, in one statement, so a burst of
  simultaneous guesses gets no more checks than the limits allow;
- the client is the address the gateway saw: `X-Forwarded-For` counts only from the
  gateway, so rotating it straight at the auth port does not make a new client.

Each test signs in from a loopback address of its own (127.x.y.z), so its attempts never
throttle other tests' clients."""

from __future__ import annotations

import math
import threading
import time
import uuid

import requests

from tests.helpers import PASSWORD, another_loopback_address, client_from, sign_up

from .support import assert_problem

MAX_PER_PAIR = 5
ACCOUNT_FREE = 5
MAX_PER_CLIENT = 20
BURST = 16


def _assert_throttled(response) -> int:
    assert_problem(response, 429)
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    return retry_after


def sign_in_patiently(session: requests.Session, url: str, body: dict, patience_s: float = 20):
    """Sign in as a patient person would: try again every second or so, for a while.

    Retry-After is not relied on: the gateway's own rate-limit page may stand in for the
    auth service's answer (and its Retry-After) on these routes.
    """
    deadline = time.monotonic() + patience_s
    while True:
        response = session.post(url, json=body, timeout=10)
        if response.status_code != 429 or time.monotonic() + 1 > deadline:
            return response
        time.sleep(min(1.0, int(response.headers["Retry-After"])))


def test_repeated_wrong_passwords_throttle_the_guessing_client(gateway):
    victim = sign_up(gateway, "Victim")
    attacker = client_from(another_loopback_address())
    signin = f"{gateway}/auth/signin"
    for attempt in range(MAX_PER_PAIR):
        # a forged X-Forwarded-For must not make each guess look like a new client
        spoof = {"X-Forwarded-For": f"10.0.0.{attempt}", "X-Real-Ip": f"10.0.1.{attempt}"}
        guess = {"email": victim.email, "password": f"guess number {attempt}"}
        assert_problem(attacker.post(signin, json=guess, headers=spoof, timeout=10), 401)
    _assert_throttled(
        attacker.post(signin, json={"email": victim.email, "password": "one more"}, timeout=10)
    )
    # however patient (past the account's delay), the guessing client stays refused
    right = {"email": victim.email.upper(), "password": PASSWORD}
    _assert_throttled(sign_in_patiently(attacker, signin, right, patience_s=8))
    # ... and the victim's existing token keeps working
    assert victim.get("/auth/me").status_code == 200


def test_strangers_guessing_cannot_lock_the_owner_out(gateway):
    owner = sign_up(gateway, "Owner")
    signin = f"{gateway}/auth/signin"
    for _ in range(3):  # three strangers, each up to its own limit
        stranger = client_from(another_loopback_address())
        for attempt in range(MAX_PER_PAIR):
            guess = {"email": owner.email, "password": f"guess {attempt}"}
            response = stranger.post(signin, json=guess, timeout=10)
            assert response.status_code in (401, 429), response.text
    # the account's delay never grows past a minute, however many strangers guess
    right = {"email": owner.email, "password": PASSWORD}
    mine = sign_in_patiently(client_from(another_loopback_address()), signin, right, 65)
    assert mine.status_code == 200, (mine.status_code, mine.headers.get("Retry-After"))
    assert mine.json()["userId"] == owner.user_id


def _burst(gateway: str, email: str, sources: list[str]) -> list[int]:
    """BURST wrong guesses for one account, released at the same moment."""
    start = threading.Barrier(len(sources))
    statuses: list[int] = []
    sessions = [client_from(source) for source in sources]

    def guess(session: requests.Session) -> None:
        body = {"email": email, "password": "a wrong guess"}
        start.wait()
        statuses.append(session.post(f"{gateway}/auth/signin", json=body, timeout=30).status_code)

    threads = [threading.Thread(target=guess, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_simultaneous_guesses_from_one_client_get_at_most_five_password_checks(gateway):
    victim = sign_up(gateway, "Burst")
    statuses = _burst(gateway, victim.email, [another_loopback_address()] * BURST)
    assert set(statuses) <= {401, 429}, statuses
    # a 401 is a password that was checked and found wrong
    assert 1 <= statuses.count(401) <= MAX_PER_PAIR, statuses


def test_simultaneous_guesses_from_many_clients_get_at_most_five_password_checks(gateway):
    victim = sign_up(gateway, "Swarm")
    began = time.monotonic()
    statuses = _burst(gateway, victim.email, [another_loopback_address() for _ in range(BURST)])
    lasted = time.monotonic() - began
    assert set(statuses) <= {401, 429}, statuses
    # Across clients the account only slows guessing: after the five free checks the k-th
    # more waits until 2**k - 1 s after the fifth. A burst the machine spreads over
    # `lasted` seconds may earn those; without the counter all BURST would be checked.
    earned = int(math.log2(lasted + 1))
    assert 1 <= statuses.count(401) <= ACCOUNT_FREE + earned, (statuses, lasted)


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


def test_rotating_forwarded_for_straight_at_the_auth_port_is_still_one_client(stack, gateway):
    """A process on the host (not the gateway) sends its own X-Forwarded-For: ignored."""
    bystander = sign_up(gateway, "Direct")
    attacker = client_from(another_loopback_address())
    signin = stack.service_url("auth") + "/auth/signin"
    for attempt in range(MAX_PER_CLIENT):
        spoof = {"X-Forwarded-For": f"203.0.113.{attempt + 1}"}
        guess = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "guess"}
        assert_problem(attacker.post(signin, json=guess, headers=spoof, timeout=10), 401)
    right = {"email": bystander.email, "password": PASSWORD}
    fresh = {"X-Forwarded-For": "198.51.100.7, 198.51.100.8"}
    _assert_throttled(attacker.post(signin, json=right, headers=fresh, timeout=10))
    # the same account from the gateway (another client) is fine
    assert requests.post(f"{gateway}/auth/signin", json=right, timeout=10).status_code == 200
