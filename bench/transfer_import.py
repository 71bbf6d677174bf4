"""Import of 10,000 entries through the gateway, statistics after, and the export back.

Run: `python -m bench.transfer_import [--base-url http://127.0.0.1:8000] [--entries 10000]`.
Without `--base-url` it starts its own stack. It signs up a fresh account, posts one
Trakt export of `--entries` films (each a new title) to `POST /watchlists/import`, then
polls `/mediastatistics/movie/{id}` of the last title until the statistics count it,
streams `GET /watchlists/export` back, and imports the same file again (all unchanged).
Goal: import >= 1,000 entries/s.
"""

from __future__ import annotations

import argparse
import json
import random
import time

import requests

from bench.common import command_line, running_stack, sign_up, stack_arguments


def trakt_file(count: int) -> tuple[bytes, list[int]]:
    """A Trakt watchlist export of `count` new films; the file and their TMDB ids."""
    start = random.randrange(10**12, 2**60)
    ids = list(range(start, start + count))
    items = [
        {"rank": i + 1, "type": "movie", "movie": {"title": f"Film {m}", "ids": {"tmdb": m}}}
        for i, m in enumerate(ids)
    ]
    return json.dumps(items).encode(), ids


def timed_import(gateway: str, token: str, data: bytes) -> tuple[float, dict]:
    """Seconds one import took, and its report."""
    began = time.perf_counter()
    response = requests.post(
        f"{gateway}/watchlists/import?format=trakt",
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
        timeout=300,
    )
    spent = time.perf_counter() - began
    response.raise_for_status()
    return spent, response.json()


def seconds_until_counted(gateway: str, media_id: int, limit_s: float = 300.0) -> float:
    """Seconds until the statistics service counts the title (added once)."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit_s:
        body = requests.get(f"{gateway}/mediastatistics/movie/{media_id}", timeout=10).json()
        if body.get("added") == 1:
            return time.perf_counter() - began
        time.sleep(0.2)
    return float("nan")


def main() -> None:
    """Print the import's time and rate, the statistics' lag, the export and a re-import."""
    parser = argparse.ArgumentParser(description=__doc__)
    stack_arguments(parser)
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    data, ids = trakt_file(args.entries)
    with running_stack(args.base_url) as (gateway, _stack):
        _user, token = sign_up(gateway)
        spent, report = timed_import(gateway, token, data)
        lag = seconds_until_counted(gateway, ids[-1])
        began = time.perf_counter()
        exported = requests.get(
            f"{gateway}/watchlists/export?format=json",
            headers={"Authorization": f"Bearer {token}"},
            timeout=300,
        )
        export_s = time.perf_counter() - began
        again_s, again = timed_import(gateway, token, data)
    print(f"# {command_line()}")
    print(f"# one Trakt file of {args.entries} films, {len(data) / 1e6:.1f} MB")
    print(f"import: {spent:.2f} s, {report['created'] / spent:.0f} entries/s (goal >= 1000)")
    print(f"statistics count the last title {lag:.2f} s after the import answered")
    print(f"export: {export_s:.2f} s, {len(exported.content) / 1e6:.1f} MB")
    print(
        f"same file again: {again_s:.2f} s, {again['skipped']} unchanged, "
        f"{again['created']} created"
    )


if __name__ == "__main__":
    main()
