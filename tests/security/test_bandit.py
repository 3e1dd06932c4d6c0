"""Bandit finds nothing in the project's code (reviewed skips in bandit.yaml)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CONFIG = Path(__file__).with_name("bandit.yaml")
PACKAGES = [
    "common",
    "mediatools",
    "accounts",
    "catalog",
    "playback",
    "licensing",
    "editorial",
    "recommendations",
    "artists",
    "web",
    "streamify",
]


def test_bandit_is_clean():
    bandit = Path(sys.executable).with_name("bandit")
    if not bandit.exists():
        pytest.skip("bandit is not installed (requirements-dev.txt)")
    packages = [name for name in PACKAGES if (ROOT / name).is_dir()]
    result = subprocess.run(
        [str(bandit), "-c", str(CONFIG), "-r", *packages, "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert not findings, "\n".join(findings)
    assert not report["errors"], report["errors"]
