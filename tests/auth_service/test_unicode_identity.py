"""One mailbox is one account however its address is typed; display names are visible text."""

import uuid

import pytest
import requests

from auth_service.emails import email_key
from tests.auth_service.support import PASSWORD
from tests.helpers import assert_problem

# Letters and digits only: dots and the @ stay ASCII, as in the address the issue reports.
FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F) if chr(c).isalnum()})


def fullwidth(text: str) -> str:
    return text.translate(FULLWIDTH)


@pytest.mark.parametrize(
    "typed, key",
    [
        ("Carol@Example.COM", "carol@example.com"),
        ("carol@ｅｘａｍｐｌｅ.ｃｏｍ", "carol@example.com"),
        ("ＣＡＲＯＬ@example.com", "carol@example.com"),
        ("Straße@Bücher.de", "strasse@xn--bcher-kva.de"),
        ("ﬁ@example.com", "fi@example.com"),
    ],
)
def test_email_key_folds_case_width_and_the_domain(typed, key):
    assert email_key(typed) == key


def variants(local: str, domain: str) -> list[str]:
    return [
        f"{local}@{fullwidth(domain)}",
        f"{fullwidth(local)}@{domain}",
        f"{fullwidth(local.upper())}@{fullwidth(domain.upper())}",
    ]


@pytest.mark.parametrize("variant", range(3))
def test_a_fullwidth_spelling_of_a_taken_address_is_409(auth, client, variant):
    local = f"carol{uuid.uuid4().hex[:8]}"
    auth.signup(email=f"{local}@example.com")
    other = variants(local, "example.com")[variant]
    response = client.post(
        "/auth/signup", json={"email": other, "password": PASSWORD, "displayName": "Twin"}
    )
    assert_problem(response, 409)


def test_sign_in_with_another_spelling_opens_the_same_account(auth):
    local = f"dora{uuid.uuid4().hex[:8]}"
    body = auth.signup(email=f"{local}@example.com")
    for other in variants(local, "example.com"):
        response = auth.signin(other)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["userId"] == body["userId"]


BAD_NAMES = {
    "only zero-width spaces": "\u200b\u200b\u200b",
    "zero-width joiners and spaces": " \u200d \ufeff ",
    "right-to-left override": "Bob\u202eevil",
    "left-to-right isolate": "\u2066Bob",
    "ANSI escape": "\x1b[31mRed",
    "newline": "Bo\nb",
    "tab": "Bo\tb",
    "line separator": "Bo\u2028b",
    "DEL": "Bob\x7f",
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_invisible_or_control_display_names_are_422_at_sign_up(client, name):
    email = f"n{uuid.uuid4().hex[:10]}@example.com"
    response = client.post(
        "/auth/signup", json={"email": email, "password": PASSWORD, "displayName": name}
    )
    assert "displayName" in assert_problem(response, 422)["errors"]


def test_display_names_are_stored_nfc(auth, user_service):
    body = auth.signup(name="Zoe\u0308 \u200dx")
    profile = requests.get(f"{user_service.url}/users/{body['userId']}", timeout=5).json()
    assert profile["displayName"] == "Zo\u00eb \u200dx" == body["displayName"]
