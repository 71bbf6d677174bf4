"""Through the gateway: no second account for one mailbox, no invisible or control names."""

import uuid

import pytest
import requests

from tests.helpers import PASSWORD

from .support import assert_problem


def signup(gateway, email, name="Uni"):
    return requests.post(
        f"{gateway}/auth/signup",
        json={"email": email, "password": PASSWORD, "displayName": name},
        timeout=10,
    )


def test_a_fullwidth_domain_or_local_part_cannot_open_a_second_account(gateway):
    local = f"carol{uuid.uuid4().hex[:8]}"
    assert signup(gateway, f"{local}@example.com").status_code == 201
    assert_problem(signup(gateway, f"{local}@ｅｘａｍｐｌｅ.ｃｏｍ"), 409)
    wide_local = "".join(chr(ord(c) + 0xFEE0) for c in local)
    assert_problem(signup(gateway, f"{wide_local}@example.com"), 409)


@pytest.mark.parametrize(
    "name",
    ["\u200b\u200b", "Eve\u202egnp.exe", "\x1b[31mroot", "a\rb"],
    ids=["zero-width only", "RTL override", "ANSI escape", "carriage return"],
)
def test_invisible_or_control_display_names_are_refused(gateway, world, name):
    response = signup(gateway, f"n{uuid.uuid4().hex[:10]}@example.com", name)
    assert "displayName" in assert_problem(response, 422)["errors"]
    rename = world.bob.patch(f"/users/{world.bob.user_id}", json={"displayName": name})
    assert "displayName" in assert_problem(rename, 422)["errors"]
    assert world.bob.get(f"/users/{world.bob.user_id}").json()["displayName"] == "Bob"
