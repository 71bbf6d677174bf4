"""The stand-in images: one per third-party image compose.yaml names, documented, lint-clean."""

from __future__ import annotations

import subprocess

import pytest

from tests.compose.test_dockerfile import hadolint
from tests.containers.images import APP_IMAGE, STANDIN_IMAGES, STANDINS
from tests.helpers import ROOT

BY_TAG = {standin.tag: standin for standin in STANDIN_IMAGES}


def test_every_third_party_image_of_compose_and_the_app_base_has_a_stand_in(containers):
    named = {c["image"] for c in containers.values() if "image" in c} - {APP_IMAGE}
    assert named | {"python:3.11-slim-bookworm"} == set(BY_TAG)


@pytest.mark.parametrize("tag", sorted(BY_TAG))
def test_each_stand_in_says_what_it_stands_in_for_and_what_it_honours(tag):
    text = (STANDINS / BY_TAG[tag].folder / "Dockerfile").read_text()
    assert text.startswith(f"# Stand-in for {tag},")
    assert "honour" in text
    assert "FROM wlt-standin/debian:bookworm" in text


def test_hadolint_passes_on_the_stand_ins():
    # DL3008: a stand-in takes the distribution's current package, like the base it mimics
    dockerfiles = sorted(str(p) for p in STANDINS.glob("*/Dockerfile"))
    result = subprocess.run(
        [hadolint(), "--failure-threshold", "info", "--ignore", "DL3008", *dockerfiles],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
