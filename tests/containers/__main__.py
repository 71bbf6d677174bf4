"""`make test-containers` and `make test-swarm`: real engine, real images, real faults.

    python -m tests.containers compose   # compose.yaml: up, e2e suite, container faults, down -v
    python -m tests.containers swarm     # deploy/swarm stack on a one-node swarm

Installs what is missing (Debian's docker.io, the compose plugin from its Go module),
starts dockerd when none runs (and stops it again), builds the stand-ins where the
official images cannot be pulled, then runs the suites. Every phase prints its duration;
the table at the end is also written to var/containers/phases-<mode>.md. Exit status:
0 only if every phase passed; pytest's "no tests collected" (5) counts as a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.containers import engine, images
from tests.containers.compose import (
    Project,
    free_port,
    gateway_config_for_tests,
    write_env_file,
    write_override,
)
from tests.containers.phases import phase, say, table

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "containers"
COMPOSE_PROJECT = "wlt-containers-test"
E2E_SKIPPED = [
    # stops processes of the local stack's supervisor: no such thing behind compose
    "tests/e2e/test_deletion_with_stopped_worker.py",
]


def pytest(*args: str, env: dict[str, str]) -> None:
    """Run pytest in a child process; AssertionError unless every test passed."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        env={**os.environ, **env},
        cwd=ROOT,
    )
    if result.returncode == 5:
        raise AssertionError("pytest collected no tests: a run that tests nothing is not a pass")
    if result.returncode != 0:
        raise AssertionError(f"pytest {' '.join(args)} exited with {result.returncode}")


def prepare() -> subprocess.Popen | None:
    """Engine, compose plugin, running dockerd, third-party images; the dockerd started."""
    with phase("engine install"):
        engine.ensure_engine_installed()
    with phase("compose plugin"):
        engine.ensure_compose_plugin()
    with phase("engine start"):
        started = engine.start_engine(VAR)
    with phase("stand-in images (incl. debootstrap)"):
        images.ensure_standins()
    return started


def memory_figures(project: Project) -> None:
    """Print each container's memory use and the total (docker stats, one sample)."""
    ids = project.compose("ps", "-q").stdout.split()
    out = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *ids],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    units = {"B": 1 / 2**20, "KiB": 1 / 2**10, "MiB": 1.0, "GiB": 2**10}
    total = 0.0
    for line in sorted(out.splitlines()):
        match = re.match(r"(\S+) ([\d.]+)(\w+) /", line)
        if not match:
            continue
        mib = float(match[2]) * units.get(match[3], 1.0)
        total += mib
        say(f"memory {match[1]}: {mib:.0f} MiB")
    say(f"memory total: {total:.0f} MiB over {len(ids)} containers")


def leftovers(label: str) -> dict[str, list[str]]:
    """Containers, volumes and networks still carrying `label`."""
    found = {}
    for kind in ("container", "volume", "network"):
        args = ["docker", kind, "ls", "-q", "--filter", f"label={label}"]
        if kind == "container":
            args = ["docker", "ps", "-aq", "--filter", f"label={label}"]
        found[kind] = subprocess.run(args, capture_output=True, text=True).stdout.split()
    return {kind: ids for kind, ids in found.items() if ids}


def run_compose() -> None:
    """compose.yaml: build, up --wait, the e2e suite, the container faults, down -v."""
    VAR.mkdir(parents=True, exist_ok=True)
    env_dir = Path(tempfile.mkdtemp(prefix="wlt-compose-"))
    ports = {"gateway": free_port(), "dashboard": free_port(), "consul": free_port()}
    write_env_file(env_dir / ".env", ports)
    gateway = gateway_config_for_tests(env_dir / "traefik")
    override = write_override(env_dir / "compose.test.yaml", gateway)
    project = Project(COMPOSE_PROJECT, env_dir / ".env", (ROOT / "compose.yaml", override))
    label = f"com.docker.compose.project={COMPOSE_PROJECT}"
    try:
        # a run that died half-way must not leave its containers to this one
        project.compose("down", "-v", "--remove-orphans", check=False)
        with phase("app image"):
            images.stage_build_ca()
            project.compose("build")
        with phase("up to healthy"):
            project.compose("up", "-d", "--wait", "--wait-timeout", "300", timeout=400)
        memory_figures(project)
        suite_env = {
            "WLT_TEST_GATEWAY": project.gateway,
            "WLT_CONTAINER_TESTS": "compose",
            "WLT_COMPOSE_PROJECT": project.name,
            "WLT_COMPOSE_ENV_FILE": str(project.env_file),
        }
        ignores = [f"--ignore={path}" for path in E2E_SKIPPED]
        failures = []
        # both suites run whatever the first gives: each failure is its own finding
        for name, args in [
            ("e2e suite through the compose gateway", ("tests/e2e", "-q", *ignores)),
            ("container faults", ("tests/containers", "-v", "-s", "-p", "no:randomly")),
        ]:
            try:
                with phase(name):
                    pytest(*args, env=suite_env)
            except AssertionError as exc:
                failures.append(str(exc))
        if failures:
            raise AssertionError("; ".join(failures))
    finally:
        with phase("teardown (down -v)"):
            if project.compose("ps", "-aq", check=False).stdout.strip():
                logs = project.compose("logs", "--no-color", "--timestamps", check=False)
                (VAR / "compose.log").write_text(logs.stdout + logs.stderr)
            project.compose("down", "-v", "--remove-orphans", "--timeout", "30", check=False)
            left = leftovers(label)
            assert not left, f"left behind: {left}"
            shutil.rmtree(env_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "compose"
    if mode not in ("compose", "swarm"):
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("DOCKER_BUILDKIT", "0")  # classic builder: no buildx here
    failed = False
    started = None
    try:
        started = prepare()
        if mode == "compose":
            run_compose()
        else:
            from tests.containers.swarm_stack import run_swarm

            run_swarm()
    except (AssertionError, engine.EngineUnavailable, subprocess.CalledProcessError) as exc:
        print(f"[containers] FAILED: {exc}", file=sys.stderr, flush=True)
        failed = True
    finally:
        with phase("engine stop"):
            engine.stop_engine(started)
        summary = table()
        print(summary, flush=True)
        VAR.mkdir(parents=True, exist_ok=True)
        (VAR / f"phases-{mode}.md").write_text(summary + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
