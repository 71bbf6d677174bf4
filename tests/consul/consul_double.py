"""ConsulDouble: a test double of the three Consul agent HTTP endpoints our code calls.

No Consul server can run on these machines, so this stands in for one, speaking the
documented request and response shapes (developer.hashicorp.com/consul/api-docs):

- `PUT /v1/agent/service/register`: JSON body with `Name` (required), `ID`, `Address`,
  `Port`, `Tags`, `Check` or `Checks`; an HTTP check needs `HTTP` and `Interval`.
  Consul matches body keys case-insensitively (py-consul sends `name`, `id`, `checks`).
  A new check starts `critical`, as in Consul, until the test passes it.
- `PUT /v1/agent/service/deregister/:service_id`: 404 for an unknown id.
- `GET /v1/health/service/:service[?passing]`: `[{"Node", "Service", "Checks"}]` with an
  `X-Consul-Index` header; `passing` drops entries with any non-passing check.

Any other method on those paths is 405, as Consul answers. It plays the health checks
by hand (`set_status`) instead of polling them, and `stop()` makes it unreachable.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

NODE = {
    "ID": "40e4a748-2192-161a-0510-9bf59fe950b5",
    "Node": "consul-double",
    "Address": "10.1.10.12",
    "Datacenter": "dc1",
    "TaggedAddresses": {"lan": "10.1.10.12", "wan": "10.1.10.12"},
    "Meta": {},
}
SERF_CHECK = {
    "Node": "consul-double",
    "CheckID": "serfHealth",
    "Name": "Serf Health Status",
    "Status": "passing",
    "Notes": "",
    "Output": "Agent alive and reachable",
    "ServiceID": "",
    "ServiceName": "",
    "ServiceTags": [],
}


def _pascal(body: dict[str, Any], *names: str) -> dict[str, Any]:
    """Pick `names` from `body` matching keys case-insensitively, as Consul's decoder does."""
    lowered = {key.lower(): value for key, value in body.items()}
    return {name: lowered[name.lower()] for name in names if name.lower() in lowered}


@dataclass
class Instance:
    """One registered service instance and its check as the agent keeps them."""

    service: dict[str, Any]
    checks: list[dict[str, Any]]
    status: str = "critical"


@dataclass
class ConsulDouble:
    """The double's state; `url` is its agent address once started."""

    instances: dict[str, Instance] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    index: int = 1
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> ConsulDouble:
        """Listen on a free loopback port."""
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):  # noqa: N802 (http.server's naming)
                double._handle(self, "PUT")

            def do_GET(self):  # noqa: N802
                double._handle(self, "GET")

            def do_POST(self):  # noqa: N802
                double._handle(self, "POST")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop answering: connections are refused from now on."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def set_status(self, service_id: str, status: str) -> None:
        """Play the agent's check result for one instance: passing, warning or critical."""
        with self._lock:
            self.instances[service_id].status = status
            self.index += 1

    def registered(self, name: str) -> list[dict[str, Any]]:
        """Registered instances of service `name`, as `Service` objects."""
        with self._lock:
            return [i.service for i in self.instances.values() if i.service["Service"] == name]

    # Request handling

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        with self._lock:
            self.requests.append((method, handler.path))
            failure = self.fail_next.pop(0) if self.fail_next else None
        if failure is not None:
            return self._reply(handler, failure, "No cluster leader")
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        path = parts.path
        if path == "/v1/agent/service/register":
            if method != "PUT":
                return self._reply(handler, 405, "method not allowed")
            return self._register(handler, raw)
        if path.startswith("/v1/agent/service/deregister/"):
            if method != "PUT":
                return self._reply(handler, 405, "method not allowed")
            return self._deregister(handler, path.rsplit("/", 1)[1])
        if path.startswith("/v1/health/service/"):
            if method != "GET":
                return self._reply(handler, 405, "method not allowed")
            passing = "passing" in parse_qs(parts.query, keep_blank_values=True)
            return self._health(handler, path.rsplit("/", 1)[1], passing)
        return self._reply(handler, 404, "Invalid URL path")

    def _register(self, handler, raw: bytes) -> None:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._reply(handler, 400, "Request decode failed")
        fields = _pascal(body, "Name", "ID", "Address", "Port", "Tags", "Meta", "Check", "Checks")
        if not fields.get("Name"):
            return self._reply(handler, 400, "Missing service name")
        raw_checks = ([fields["Check"]] if fields.get("Check") else []) + (
            fields.get("Checks") or []
        )
        checks = []
        for number, raw_check in enumerate(raw_checks, start=1):
            check = _pascal(
                raw_check, "HTTP", "Interval", "Timeout", "DeregisterCriticalServiceAfter", "Status"
            )
            if not check.get("HTTP") or not check.get("Interval"):
                return self._reply(handler, 400, "Invalid check: HTTP checks need an Interval")
            check["Number"] = number
            checks.append(check)
        service_id = fields.get("ID") or fields["Name"]
        service = {
            "ID": service_id,
            "Service": fields["Name"],
            "Tags": fields.get("Tags") or [],
            "Address": fields.get("Address") or "",
            "Meta": fields.get("Meta") or {},
            "Port": int(fields.get("Port") or 0),
            "Weights": {"Passing": 1, "Warning": 1},
            "EnableTagOverride": False,
        }
        with self._lock:
            initial = checks[0].get("Status", "critical") if checks else "passing"
            self.instances[service_id] = Instance(service=service, checks=checks, status=initial)
            self.index += 1
        return self._reply(handler, 200, "")

    def _deregister(self, handler, service_id: str) -> None:
        with self._lock:
            if self.instances.pop(service_id, None) is None:
                return self._reply(handler, 404, f'Unknown service ID "{service_id}"')
            self.index += 1
        return self._reply(handler, 200, "")

    def _health(self, handler, name: str, passing: bool) -> None:
        with self._lock:
            entries = []
            for instance in self.instances.values():
                if instance.service["Service"] != name:
                    continue
                if passing and instance.status != "passing":
                    continue
                service_checks = [
                    {
                        "Node": NODE["Node"],
                        "CheckID": f"service:{instance.service['ID']}",
                        "Name": f"Service '{name}' check",
                        "Status": instance.status,
                        "Notes": "",
                        "Output": "",
                        "ServiceID": instance.service["ID"],
                        "ServiceName": name,
                        "ServiceTags": instance.service["Tags"],
                        "Type": "http",
                    }
                    for _check in instance.checks
                ]
                entries.append(
                    {
                        "Node": dict(NODE),
                        "Service": dict(instance.service),
                        "Checks": [dict(SERF_CHECK), *service_checks],
                    }
                )
            index = self.index
        return self._reply(handler, 200, json.dumps(entries), index=index)

    @staticmethod
    def _reply(handler, status: int, body: str, *, index: int | None = None) -> None:
        data = body.encode()
        handler.send_response(status)
        is_json = body.startswith(("[", "{"))
        handler.send_header("Content-Type", "application/json" if is_json else "text/plain")
        if index is not None:
            handler.send_header("X-Consul-Index", str(index))
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
