"""Named, timed steps of the container runs, printed as they end and as a table at the end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

_done: list[tuple[str, float, str]] = []


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block; print `[containers] name: N s` when it ends, ok or not."""
    t0 = time.monotonic()
    outcome = "failed"
    try:
        yield
        outcome = "ok"
    finally:
        elapsed = time.monotonic() - t0
        _done.append((name, elapsed, outcome))
        print(f"[containers] {name}: {elapsed:.1f} s ({outcome})", flush=True)


def say(message: str) -> None:
    """One progress line."""
    print(f"[containers] {message}", flush=True)


def table() -> str:
    """Every phase so far as a Markdown table."""
    lines = ["| phase | seconds | outcome |", "|---|---:|---|"]
    lines += [f"| {name} | {seconds:.1f} | {outcome} |" for name, seconds, outcome in _done]
    total = sum(seconds for _, seconds, _ in _done)
    lines.append(f"| total | {total:.1f} | |")
    return "\n".join(lines)
