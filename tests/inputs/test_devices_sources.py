"""`symphony devices PERFORMANCE`: the performance's sources, tried for a moment."""

from __future__ import annotations

from pathlib import Path

from symphony.commands.devices import source_lines

ROOT = Path(__file__).resolve().parents[2]
CIRCLE = ROOT / "performances" / "recordings" / "circle.signals"
TONE = ROOT / "tests" / "fixtures" / "patches" / "tone.py"


def test_sources_report_who_sends_and_who_is_missing(tmp_path: Path) -> None:
    show = tmp_path / "show.toml"
    show.write_text(
        f"""
[performance]
duration = 60

[[sources]]
name = "board"
kind = "brainflow"
board = "SYNTHETIC_BOARD"
participant = "zoe"

[[sources]]
name = "circle"
kind = "recording"
path = "{CIRCLE}"

[[sources]]
name = "strap"
kind = "lsl"
streams = [{{ name = "symphony-test-no-such-stream", participant = "x" }}]
resolve_timeout = 0.5

[[layers]]
name = "tone"
patch = "{TONE}"
"""
    )
    lines = source_lines(show, 3.0)
    text = "\n".join(lines)
    board = next(line for line in lines if line.startswith("board"))
    assert "connected;" in board and "zoe ppg" in board and "samples" in board
    circle = next(line for line in lines if line.startswith("circle"))
    assert "anna ppg" in circle and "chloe resp" in circle
    strap = next(line for line in lines if line.startswith("strap"))
    assert "not connected; no data" in strap
    # (its "last problem" line appears once the first resolve has timed out)
    assert "Traceback" not in text
