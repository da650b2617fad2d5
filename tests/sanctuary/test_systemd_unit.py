"""The systemd unit in the repo passes `systemd-analyze verify` with nothing on stderr.

Real part: Debian's systemd-analyze (scripts/setup.sh installs it) on the
unit as shipped, with only its install paths pointed at this checkout (verify
checks that ExecStart exists). A misspelt key only warns, so any stderr
output fails the test; the second test shows such a warning is caught.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "hardware" / "systemd" / "symphony-play.service"

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze missing: scripts/setup.sh"
)


def installed(text: str, tmp_path: Path) -> Path:
    """The unit as installed at this checkout (ExecStart must exist for verify)."""
    program = Path(sys.executable).parent / "symphony"
    text = text.replace("/opt/symphony/.venv/bin/symphony", str(program))
    text = text.replace("/opt/symphony", str(ROOT))
    path = tmp_path / "symphony-play.service"
    path.write_text(text)
    return path


def verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )


def test_the_unit_verifies_clean(tmp_path: Path) -> None:
    text = UNIT.read_text()
    keys = {line.split("=", 1)[0] for line in text.splitlines() if "=" in line}
    settings = dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )
    assert settings["Type"] == "notify" and settings["Restart"] == "always"
    assert int(settings["WatchdogSec"]) > 0
    assert {"StartLimitIntervalSec", "StartLimitBurst", "LimitRTPRIO", "LimitMEMLOCK"} <= keys
    assert settings["ExecReload"].endswith("-HUP $MAINPID")
    result = verify(installed(text, tmp_path))
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_a_misspelt_key_is_caught(tmp_path: Path) -> None:
    text = UNIT.read_text().replace("WatchdogSec=", "WatchdogSecs=")
    result = verify(installed(text, tmp_path))
    assert result.stderr != ""
