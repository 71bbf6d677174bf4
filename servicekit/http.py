"""Calls from one service to another: discovery, a short timeout, safe retries, a breaker.

Only idempotent methods are retried (and only when the connection failed, so a slow
answer is not waited for twice); after repeated failures the breaker opens and
callers get `ServiceUnavailable` at once instead of waiting on a dead peer. Every call
carries this service's own credential, made for the service called.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pybreaker
import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .discovery import Discovery
from .errors import ServiceUnavailable
from .identity import SERVICE_TOKEN_HEADER
from .logging import REQUEST_ID_HEADER, current_request_id

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
CONNECT_TIMEOUT_S = 0.5


class _Breakers:
    def __init__(self, fail_max: int, reset_timeout: float):
        self._lock = threading.Lock()
        self._by_name: dict[str, pybreaker.CircuitBreaker] = {}
        self._fail_max = fail_max
        self._reset_timeout = reset_timeout

    def __getitem__(self, name: str) -> pybreaker.CircuitBreaker:
        with self._lock:
            if name not in self._by_name:
                self._by_name[name] = pybreaker.CircuitBreaker(
                    fail_max=self._fail_max, reset_timeout=self._reset_timeout, name=name
                )
            return self._by_name[name]


class ServiceClient:
    """HTTP client for service-to-service calls, one per process."""

    def __init__(
        self,
        discovery: Discovery,
        credential: Callable[[str], str],
        *,
        timeout_s: float = 1.0,
        fail_max: int = 5,
        reset_timeout_s: float = 5.0,
    ):
        self._discovery = discovery
        self._credential = credential
        self._timeout = (CONNECT_TIMEOUT_S, timeout_s)
        self._breakers = _Breakers(fail_max, reset_timeout_s)
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            retry = Retry(
                total=2,
                connect=2,
                read=0,
                status=0,
                other=0,
                allowed_methods=IDEMPOTENT_METHODS,
                backoff_factor=0.05,
                raise_on_status=False,
            )
            session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=10))
            session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=10))
            self._local.session = session
        return session

    def request(self, method: str, service: str, path: str, **kwargs: Any) -> requests.Response:
        """Call `service`; a 5xx, a timeout or an open breaker raise ServiceUnavailable."""
        method = method.upper()
        headers = {SERVICE_TOKEN_HEADER: self._credential(service), **kwargs.pop("headers", {})}
        request_id = current_request_id()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        session = self._session()
        timeout = kwargs.pop("timeout", self._timeout)
        if method not in IDEMPOTENT_METHODS:
            # A POST that reached the peer must never be sent twice.
            kwargs.setdefault("allow_redirects", False)

        def call() -> requests.Response:
            url = self._discovery.resolve(service) + path
            response = session.request(method, url, headers=headers, timeout=timeout, **kwargs)
            if response.status_code >= 500:
                raise ServiceUnavailable(f"The {service} service answered {response.status_code}.")
            return response

        try:
            return self._breakers[service].call(call)
        except pybreaker.CircuitBreakerError:
            raise ServiceUnavailable(f"The {service} service is unavailable.") from None
        except requests.RequestException as exc:
            log.warning("call to %s failed: %s", service, exc.__class__.__name__)
            raise ServiceUnavailable(f"The {service} service is unavailable.") from None

    def get(self, service: str, path: str, **kwargs: Any) -> requests.Response:
        """GET, retried on connection failure."""
        return self.request("GET", service, path, **kwargs)

    def put(self, service: str, path: str, **kwargs: Any) -> requests.Response:
        """PUT (idempotent by contract of the peer), retried on connection failure."""
        return self.request("PUT", service, path, **kwargs)

    def post(self, service: str, path: str, **kwargs: Any) -> requests.Response:
        """POST, never retried."""
        return self.request("POST", service, path, **kwargs)

    def delete(self, service: str, path: str, **kwargs: Any) -> requests.Response:
        """DELETE, retried on connection failure."""
        return self.request("DELETE", service, path, **kwargs)


def service_client() -> ServiceClient:
    """The current app's client."""
    client: ServiceClient = current_app.extensions["wlt_service_client"]
    return client
