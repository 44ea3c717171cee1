from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def test_package_type_checks_strictly():
    """The public API is typed: mypy --strict (configured in setup.cfg) passes."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "searchlib"], cwd=PROJECT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
