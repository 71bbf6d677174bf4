"""Who the client is behind our own proxies: the right-most address not one of them.

`X-Forwarded-For` is a list any client can start; each proxy appends the address it
was connected from. Only hops added by a trusted proxy (the gateway) are believed:
walk from the connection's own peer leftwards while the hop is trusted, and the first
untrusted address is the client. A caller that is not a trusted proxy is the client
itself, whatever it writes in the header.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_RESOLVE_EVERY_S = 30.0
MAX_HOPS = 20


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass
class TrustedProxies:
    """Addresses, networks and host names (resolved now and then) of our own proxies."""

    networks: tuple[IpNetwork, ...] = ()
    hostnames: tuple[str, ...] = ()
    _resolved: frozenset[str] = field(default_factory=frozenset)
    _resolved_at: float = -1e9
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """`127.0.0.1,10.0.0.0/8,traefik`: addresses, CIDR networks or host names."""
        networks: list[IpNetwork] = []
        hostnames: list[str] = []
        for entry in filter(None, (part.strip() for part in text.split(","))):
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not all(c.isalnum() or c in "-." for c in entry):
                    raise ValueError(f"{entry!r} is neither an address nor a host name") from None
                hostnames.append(entry)
        return cls(tuple(networks), tuple(hostnames))

    def _host_addresses(self) -> frozenset[str]:
        if not self.hostnames:
            return frozenset()
        now = time.monotonic()
        with self._lock:
            if now - self._resolved_at < _RESOLVE_EVERY_S:
                return self._resolved
            found: set[str] = set()
            for name in self.hostnames:
                try:
                    found.update(str(info[4][0]) for info in socket.getaddrinfo(name, None))
                except OSError:
                    pass  # not resolvable right now: trust nothing under that name
            self._resolved, self._resolved_at = frozenset(found), now
            return self._resolved

    def trusts(self, address: str) -> bool:
        """True when `address` is one of our proxies."""
        parsed = _address(address)
        if parsed is None:
            return False
        if any(parsed in network for network in self.networks):
            return True
        return str(parsed) in self._host_addresses()

    def client_address(self, peer: str | None, forwarded_for: str) -> str:
        """The right-most address of `forwarded_for` + `peer` that is not a trusted proxy."""
        peer = peer or "unknown"
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()][-MAX_HOPS:]
        client = peer
        for hop in reversed(hops):
            if _address(hop) is None:
                break  # garbage is where the believable part of the chain ends
            client = hop
            if not self.trusts(hop):
                break
        return client
