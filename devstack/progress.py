"""Long set-up commands that say how far they are (standard library only: bootstrap uses it).

A first `make run` installs the Python packages, fetches the broker's jars and may build
Consul: minutes each. Their own output is kept (for a failure, or in a log file), and one
short line goes to the terminal every few seconds instead: what the step counted so far
(packages collected, artifacts downloaded, modules fetched) and how long it has run.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO


def run_with_progress(
    argv: Sequence[str],
    *,
    label: str,
    counts: str | None = None,
    unit: str = "lines",
    total: int | None = None,
    every_s: float = 10.0,
    cwd: Path | str | None = None,
    log_file: IO[str] | None = None,
    say: Callable[[str], None] = lambda line: print(line, flush=True),
) -> subprocess.CompletedProcess:
    """Run `argv`, printing `[setup]   label: N unit (of total), T s` while it runs.

    `counts` is a regular expression; each output line matching it counts one. The output
    goes to `log_file` when given, else it is returned in the result's `stdout`.
    """
    pattern = re.compile(counts) if counts else None
    kept: list[str] = []
    state = {"count": 0}
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
    )

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if log_file is not None:
                log_file.write(line)
            else:
                kept.append(line)
            if pattern is not None and pattern.search(line):
                state["count"] += 1

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    t0 = time.monotonic()
    while True:
        try:
            process.wait(timeout=every_s)
            break
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - t0
            if pattern is None:
                say(f"[setup]   {label}: still running ({elapsed:.0f} s)")
                continue
            of = f" of about {total}" if total else ""
            say(f"[setup]   {label}: {state['count']}{of} {unit} so far ({elapsed:.0f} s)")
    reader.join(timeout=5)
    return subprocess.CompletedProcess(list(argv), process.returncode, "".join(kept), "")
