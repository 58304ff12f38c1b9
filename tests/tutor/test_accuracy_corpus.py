"""The accuracy corpus (fixtures/accuracy/) as `make accuracy` reads it: through
scripts/accuracy.py, which checks its problem files with the problem-set importer, so
this test needs Django (tests/phases/test_accuracy_harness.py tests the counting)."""

import json
import subprocess
import sys
from pathlib import Path

from phases.corpus import accuracy

ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_corpus_file_is_well_formed():
    """Every design under fixtures/accuracy/ has valid labels and documents that pass
    their shape checks, and every problem file there is one the importer accepts."""
    run = subprocess.run(
        [sys.executable, "scripts/accuracy.py", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(run.stdout)
    assert report["corpus_errors"] == []
    assert run.returncode == 0, run.stderr
    folders = [p for p in (ROOT / "fixtures" / "accuracy").iterdir() if p.is_dir()]
    assert len(report["results"]) == len(folders)
    for result in report["results"]:
        assert all(f["planted"] >= accuracy.MIN_PLANTED for f in result["flawed"])


def test_no_sound_design_is_told_it_is_wrong():
    """The product's worst bug is an error on a sound design: `accuracy.py --strict`
    fails on any, and lists them."""
    run = subprocess.run(
        [sys.executable, "scripts/accuracy.py", "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    false_errors = [line for line in run.stdout.splitlines() if "false error  " in line]
    assert false_errors == [], "\n".join(false_errors)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr
