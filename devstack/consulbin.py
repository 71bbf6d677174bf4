"""Finding or building the `consul` binary (standard library only: `make setup` runs it first).

Order: `WLT_CONSUL_BIN`, then a `consul` on PATH of version 1.14 or later, then the
cached build, then (setup only) a build of Consul v1.14.11 from its Go module.
v1.14.11 is the newest line that is MPL-2.0 down to every module it needs; 1.15 and
later pull in modules under a licence that is not open source, so they are never built.
The build goes through a wrapper module because Consul's go.mod has `replace` lines,
which `go install ...@version` refuses. The binary is cached outside the repository
(`$XDG_CACHE_HOME/wlt`, default ~/.cache/wlt), where CI runs on the same machine find it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from devstack.progress import run_with_progress

CONSUL_VERSION = "1.14.11"
MIN_VERSION = (1, 14)
_WRAPPER_GO_MOD = f"""module local/consulbuild

go 1.20

require github.com/hashicorp/consul v{CONSUL_VERSION}
"""
_WRAPPER_TOOLS = """//go:build tools

package tools

import _ "github.com/hashicorp/consul"
"""


def cache_root() -> Path:
    """Where builds are kept between runs (not tracked, not under the clone)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wlt"


def cached_binary() -> Path:
    """The path a build of CONSUL_VERSION is cached at."""
    return cache_root() / f"consul-{CONSUL_VERSION}" / "consul"


def binary_version(path: str | Path) -> tuple[int, int, int] | None:
    """`consul version`'s (major, minor, patch), or None if it does not run."""
    try:
        out = subprocess.run(
            [str(path), "version"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"Consul v(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in found.groups()) if found else None  # type: ignore[return-value]


def find_consul() -> tuple[Path | None, str]:
    """The binary to run and where it came from; (None, reason) when there is none."""
    explicit = os.environ.get("WLT_CONSUL_BIN")
    if explicit:
        if binary_version(explicit) is None:
            return None, f"WLT_CONSUL_BIN={explicit} does not run"
        return Path(explicit), "WLT_CONSUL_BIN"
    on_path = shutil.which("consul")
    if on_path:
        version = binary_version(on_path)
        if version and version[:2] >= MIN_VERSION:
            return Path(on_path), "PATH"
    cached = cached_binary()
    if cached.exists() and binary_version(cached):
        return cached, f"cache {cached}"
    why = "no consul on PATH, no WLT_CONSUL_BIN and no cached build"
    if not shutil.which("go"):
        why += ", and no Go toolchain to build one"
    return None, why


def build_consul(log=print) -> Path:
    """Build Consul CONSUL_VERSION from its Go module into the cache; each step is timed."""
    go = shutil.which("go")
    if not go:
        raise FileNotFoundError("go is not installed: cannot build Consul")
    work = cache_root() / f"consul-{CONSUL_VERSION}-build"
    work.mkdir(parents=True, exist_ok=True)
    (work / "go.mod").write_text(_WRAPPER_GO_MOD)
    (work / "tools.go").write_text(_WRAPPER_TOOLS)
    target = cached_binary()
    target.parent.mkdir(parents=True, exist_ok=True)
    log_path = work / "build.log"
    log(
        f"[setup] building Consul v{CONSUL_VERSION} from its Go module"
        f" (first time about 7 minutes on 2 cores; log {log_path})"
    )
    # (what, argv, output lines that count as progress: `go mod tidy` names each module)
    steps = [
        ("downloaded Consul's modules (go mod tidy)", [go, "mod", "tidy"], r"go: downloading "),
        (
            f"compiled consul v{CONSUL_VERSION}",
            [go, "build", "-o", str(target) + ".part", "github.com/hashicorp/consul"],
            None,
        ),
    ]
    with open(log_path, "w") as log_file:
        for what, argv, counts in steps:
            t0 = time.monotonic()
            result = run_with_progress(
                argv, label=f"consul {argv[1]}", counts=counts, unit="modules",
                every_s=15, cwd=work, log_file=log_file, say=log,
            )  # fmt: skip
            if result.returncode != 0:
                raise subprocess.CalledProcessError(result.returncode, argv)
            log(f"[setup]   {what} ({time.monotonic() - t0:.1f} s)")
    os.replace(str(target) + ".part", target)
    return target
