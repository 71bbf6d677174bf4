"""The Docker engine and the compose plugin: installed when missing, dockerd started when none runs.

Debian's docker.io gives dockerd (20.10); the compose v2 plugin is not packaged, so it is
built once from its Go module and cached (CACHE/compose), then copied to the CLI's plugin
folder. A dockerd this module starts is stopped again by `stop_engine`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.containers.phases import say

CACHE = Path(os.environ.get("WLT_CACHE_DIR", Path.home() / ".cache" / "wlt"))
COMPOSE_VERSION = "v2.32.4"
COMPOSE_MODULE = f"github.com/docker/compose/v2/cmd@{COMPOSE_VERSION}"
PLUGIN = Path.home() / ".docker" / "cli-plugins" / "docker-compose"


class EngineUnavailable(RuntimeError):
    """No Docker engine can be had here: the container tests fail, they do not skip."""


def run(*args: str, check: bool = True, timeout: float | None = None, **kw):
    """subprocess.run with text output captured."""
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout, **kw)


def apt_install(*packages: str) -> None:
    """Install Debian packages (root only)."""
    if os.geteuid() != 0:
        raise EngineUnavailable(f"{' '.join(packages)} missing and not root: install them first")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not os.environ.get("APT_UPDATED"):
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        os.environ["APT_UPDATED"] = "1"
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def ensure_engine_installed() -> None:
    """dockerd and a docker client on PATH (Debian's docker.io when missing)."""
    if shutil.which("dockerd") and shutil.which("docker"):
        say(f"engine present: {shutil.which('dockerd')}")
        return
    say("installing Debian's docker.io")
    apt_install("docker.io")


def ensure_compose_plugin() -> None:
    """`docker compose` works: the cached build, or a fresh `go install` of the plugin."""
    if run("docker", "compose", "version", check=False).returncode == 0:
        say(run("docker", "compose", "version").stdout.strip())
        return
    built = CACHE / "compose" / COMPOSE_VERSION / "cmd"
    if not built.exists():
        go = shutil.which("go") or "/usr/local/go/bin/go"
        if not Path(go).exists():
            raise EngineUnavailable("the compose plugin is missing and Go is not installed")
        say(f"building the compose plugin: go install {COMPOSE_MODULE}")
        env = {**os.environ, "GOBIN": str(built.parent), "GOFLAGS": "-trimpath"}
        subprocess.run([go, "install", COMPOSE_MODULE], check=True, env=env)
    PLUGIN.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built, PLUGIN)
    say(run("docker", "compose", "version").stdout.strip())


def engine_answers() -> bool:
    """The docker client reaches an engine."""
    try:
        return (
            run(
                "docker", "info", "--format", "{{.ServerVersion}}", check=False, timeout=20
            ).returncode
            == 0
        )
    except subprocess.TimeoutExpired:
        return False


def start_engine(log_dir: Path) -> subprocess.Popen | None:
    """Start dockerd unless one answers; the process started, or None."""
    if engine_answers():
        say("using the running Docker engine")
        return None
    if os.geteuid() != 0:
        raise EngineUnavailable("no Docker engine answers and dockerd needs root here")
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / "dockerd.log", "ab")  # noqa: SIM115 - lives as long as dockerd
    process = subprocess.Popen(
        ["dockerd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while not engine_answers():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise EngineUnavailable(f"dockerd did not start: see {log_dir / 'dockerd.log'}")
        time.sleep(0.5)
    say(f"started dockerd (pid {process.pid})")
    return process


def stop_engine(process: subprocess.Popen | None) -> None:
    """Stop a dockerd `start_engine` started (its containers are gone by then)."""
    if process is None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    say(f"stopped dockerd (pid {process.pid})")
