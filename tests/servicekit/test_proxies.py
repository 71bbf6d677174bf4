"""The client behind our proxies: the right-most forwarded hop no trusted proxy added."""

import pytest

from servicekit.proxies import TrustedProxies

GATEWAY = TrustedProxies.parse("127.0.0.1, 10.9.0.0/16, localhost")


@pytest.mark.parametrize(
    "peer, forwarded, client",
    [
        ("203.0.113.5", "", "203.0.113.5"),  # no proxy: the peer is the client
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # an untrusted peer's header is ignored
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),  # the gateway says who it saw
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own claim first
        ("127.0.0.1", "198.51.100.1, 10.9.3.4", "198.51.100.1"),  # two of our proxies
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "garbage, 198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "198.51.100.1, garbage", "127.0.0.1"),
        ("::1", "198.51.100.1", "::1"),  # ::1 is not in this list
    ],
)
def test_the_client_is_the_right_most_untrusted_hop(peer, forwarded, client):
    assert GATEWAY.client_address(peer, forwarded) == client


def test_host_names_are_resolved():
    assert GATEWAY.trusts("127.0.0.1") and TrustedProxies.parse("localhost").trusts("127.0.0.1")


@pytest.mark.parametrize("text", ["10.0.0.0/33", "bad name!", "a/b"])
def test_malformed_entries_are_refused(text):
    with pytest.raises(ValueError):
        TrustedProxies.parse(text)
