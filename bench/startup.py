"""How long `make run` takes until the gateway answers: `python -m bench.startup`.

Runs the README's `make run` (in this checkout, on a free port base) and times it from
the command's start until a request through the gateway (forward auth, a route found
through Consul, a service's database) answers 200, then stops it with Ctrl-C as a user
would. Two starts, one after the other:

- **fresh data**: `var/data` moved aside first, so PostgreSQL's cluster, the databases'
  migrations, Kafka's storage and Consul's state are all made anew (installed packages,
  the Kafka jars and the Consul binary stay cached);
- **warm**: the same again with the data the first start left, everything cached.

The data set aside is put back afterwards. The cold figure of a machine that has
nothing yet (packages, jars, the Consul build) is `.ci/run`'s set-up phase plus the
fresh-data start.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import time

import requests

from bench.common import ROOT, command_line

PROBE = "/mediastatistics/top?limit=1"


def free_base() -> int:
    from devstack.ports import free_port_base

    return free_port_base()


def one_start(port_base: int, timeout: float) -> tuple[float, int]:
    """Seconds from `make run` to the gateway's first 200, and the exit code after Ctrl-C."""
    log = open(ROOT / "var" / "bench-startup.log", "ab")
    began = time.perf_counter()
    process = subprocess.Popen(
        ["make", "run", f"PORT_BASE={port_base}"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port_base}{PROBE}"
    elapsed = float("nan")
    try:
        while time.perf_counter() - began < timeout and process.poll() is None:
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    elapsed = time.perf_counter() - began
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            code = process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            code = process.wait()
        log.close()
    return elapsed, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    data = ROOT / "var" / "data"
    aside = ROOT / "var" / f"data.bench-aside-{os.getpid()}"
    (ROOT / "var").mkdir(exist_ok=True)
    if data.exists():
        data.rename(aside)
    try:
        fresh, fresh_code = one_start(free_base(), args.timeout)
        warm, warm_code = one_start(free_base(), args.timeout)
    finally:
        if aside.exists():
            shutil.rmtree(data, ignore_errors=True)
            aside.rename(data)
    print(f"# {command_line()}")
    print(f"# until GET {PROBE} through the gateway answers 200; log in var/bench-startup.log")
    print(f"make run, fresh data   {fresh:6.1f} s  (exit after Ctrl-C: {fresh_code})")
    print(f"make run, warm         {warm:6.1f} s  (exit after Ctrl-C: {warm_code})")
    print(f"warm start goal < 20 s: {'met' if warm < 20 else 'missed'}")


if __name__ == "__main__":
    main()
