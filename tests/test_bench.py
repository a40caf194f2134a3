"""`make bench` is a documented command, so the suite runs it too: small, once, for its shape.

Its numbers are not checked here (a timing is a measurement, not a behaviour; `make bench
CHECK=1` judges them). What is checked is that the runner builds a data set, serves it with
gunicorn, drives every target with wrk, answers every URL as it should (a 200, or the 404 a hidden
draft must be) and prints a row for every measurement — in a throw-away copy of the tree, whose
processes it stops itself.
"""

import os
import shutil
import subprocess
import sys

import pytest

from tests.test_boot import fresh_copy, newcomer_environment

TARGETS = [
    "a static page",
    "b article, cached",
    "c article, signed in",
    "d home",
    "d tag",
    "d tag index",
    "d search",
    "d feed",
    "d sitemap index",
    "e public 1 MiB asset",
    "f static 1 MiB file",
    "g private 1 MiB asset",
    "search p50",
    "tag index p50",
    "sitemap page p50",
    "admin list p50",
    "hidden / missing draft, signed in",
    "RSS growth, 100 MiB download",
    "non-2xx responses and socket errors",
]


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (.ci/run installs it)"
)
@pytest.mark.skipif(
    "DATABASE_URL" in os.environ,
    reason="the bench brings its own databases, so it runs once: in the embedded pass",
)
def test_the_bench_serves_every_target_and_prints_its_row(tmp_path):
    tree = fresh_copy(tmp_path / "embargo")
    command = [sys.executable, "bench/run.py", "--only", "embedded", "--sizes", "demo"]
    command += ["--duration", "1", "--rounds", "1", "--skip-in-process"]
    result = subprocess.run(
        command, cwd=tree, env=newcomer_environment(), capture_output=True, text=True, timeout=900
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "answered" not in output, output[-4000:]  # every URL gave the status it must
    for target in TARGETS:
        assert f"| embedded demo: {target}" in output or f"| embedded: {target}" in output, target
