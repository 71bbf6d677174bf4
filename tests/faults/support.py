"""Helpers of the fault suite: polling with a deadline, timed calls, exact statistics.

The statistics a case expects are computed from the lists as the API shows them at the
end (every entry, personal and shared), never from what the test believes it wrote, so
a write whose outcome the client could not know (answered 503 but committed) still
counts exactly once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import requests

from tests.helpers import Api

T = TypeVar("T")

STATUS_FIELDS = {
    "added": "added",
    "watching": "watching",
    "watched": "watched",
    "on_hold": "onHold",
    "dropped": "dropped",
}
PROBLEM = "application/problem+json"


def eventually(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.2) -> T:
    """Call `check` until it returns without an AssertionError (or a connection error)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, requests.RequestException):
            if time.monotonic() > deadline:
                raise
        time.sleep(interval)


def timed(call: Callable[[], T]) -> tuple[T, float]:
    """The result of `call` and how many seconds it took."""
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@dataclass
class Tracked:
    """The lists a case wrote to and the media it touched; what the statistics must say."""

    gateway: str
    lists: list[tuple[Api, str]] = field(default_factory=list)  # (reader, list path)
    media: set[int] = field(default_factory=set)

    def add_list(self, reader: Api, path: str) -> None:
        self.lists.append((reader, path))

    def entries(self) -> list[dict]:
        """Every entry of every tracked list, read through the API."""
        found = []
        for reader, path in self.lists:
            response = reader.get(path)
            if response.status_code == 404:  # a list deleted by the case holds nothing
                continue
            assert response.status_code == 200, (path, response.status_code, response.text)
            found += reader.all_media(path)  # the list shows only its first page
        return found

    def expected(self) -> dict[int, dict]:
        """The counters the contract implies for each touched media."""
        expected = {m: _zero(m) for m in self.media}
        ratings: dict[int, list[int]] = {m: [] for m in self.media}
        for entry in self.entries():
            media_id = entry["mediaId"]
            if media_id not in expected:
                continue
            expected[media_id][STATUS_FIELDS[entry["status"]]] += 1
            expected[media_id]["total"] += 1
            if entry["rating"] is not None:
                ratings[media_id].append(entry["rating"])
        for media_id, given in ratings.items():
            expected[media_id]["ratingCount"] = len(given)
            expected[media_id]["ratingAverage"] = (
                round(sum(given) / len(given), 2) if given else None
            )
        return expected

    def actual(self) -> dict[int, dict]:
        """The counters the statistics service shows for each touched media."""
        ids = sorted(self.media)
        shown: dict[int, dict] = {}
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            response = requests.get(
                f"{self.gateway}/mediastatistics",
                params={"ids": ",".join(map(str, chunk))},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            for item in response.json()["items"]:
                shown[item["mediaId"]] = {key: item[key] for key in _zero(0)}
        return shown

    def assert_exact(self) -> None:
        """The statistics equal the counts implied by the lists, for every touched media."""
        assert self.media, "the case touched no media: nothing would be checked"
        expected, actual = self.expected(), self.actual()
        wrong = {m: (actual.get(m), expected[m]) for m in expected if actual.get(m) != expected[m]}
        assert not wrong, f"statistics differ (shown, expected): {wrong}"

    def assert_exact_eventually(self, timeout: float = 60.0) -> None:
        """Wait until the events have arrived, then the statistics are exact."""
        eventually(self.assert_exact, timeout, interval=0.3)


def _zero(media_id: int) -> dict:
    return {
        "mediaId": media_id,
        **{name: 0 for name in STATUS_FIELDS.values()},
        "total": 0,
        "ratingCount": 0,
        "ratingAverage": None,
    }


def metric_value(text: str, name: str, labels: dict[str, str] | None = None) -> float:
    """Sum of the samples of one metric (optionally with these labels) in Prometheus text."""
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name != name:
                continue
            if labels and any(sample.labels.get(k) != v for k, v in labels.items()):
                continue
            total += sample.value
    return total


def assert_no_stack_trace(response: requests.Response) -> None:
    """Never an HTML error page or a Python traceback."""
    assert "Traceback" not in response.text and "<html" not in response.text.lower(), (
        response.status_code,
        response.text[:300],
    )


class Writer:
    """Changes the entries of one list in a fixed pseudo-random sequence, through the gateway.

    It keeps what it believes the list holds only to choose valid next steps; a step
    whose outcome it cannot know (a 503 that may have committed) is settled by the next
    answer (409: it is there, 404: it is not).
    """

    STATUSES = tuple(STATUS_FIELDS)

    def __init__(self, api: Api, path: str, media_ids: Iterable[int], seed: int):
        self.api = api
        self.path = path
        self.media_ids = sorted(media_ids)
        self.rng = random.Random(seed)
        self.present: set[int] = set()

    def _change(self) -> dict:
        change: dict = {"status": self.rng.choice(self.STATUSES)}
        if self.rng.random() < 0.7:
            change["rating"] = self.rng.choice([None, *range(1, 11)])
        return change

    def step(self) -> requests.Response:
        """One add, change or removal; the answer."""
        media_id = self.rng.choice(self.media_ids)
        if media_id not in self.present:
            response = self.api.post(
                f"{self.path}/media", json={"mediaId": media_id, **self._change()}
            )
            if response.status_code in (201, 409):
                self.present.add(media_id)
        elif self.rng.random() < 0.75:
            response = self.api.patch(f"{self.path}/media/{media_id}", json=self._change())
            if response.status_code == 404:
                self.present.discard(media_id)
        else:
            response = self.api.delete(f"{self.path}/media/{media_id}")
            if response.status_code in (204, 404):
                self.present.discard(media_id)
        return response
