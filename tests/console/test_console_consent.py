"""The room in the console and its withdraw key, typed into a real terminal on real JACK.

`symphony live` runs in a pseudo-terminal (pyte reads the screen); the two
rehearsal participants appear in the ROOM list by anonymous number, `>`
selects the second and `W` withdraws their consent: the roster must say
so (no sound, no record) for them only, while the show plays on.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.console.terminal import Terminal
from tests.jack_server import jack_server

PERF = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "console.toml"


def _roster_line(screen: str, shown: str) -> str:
    for line in screen.splitlines():
        if re.match(rf"^[> ] {re.escape(shown)} ", line):
            return line
    return ""


def test_the_withdraw_key_takes_the_selected_person_out(tmp_path: Path) -> None:
    log = tmp_path / "show.session"
    with jack_server():
        term = Terminal(
            [sys.executable, "-m", "symphony", "live", str(PERF), "--record", str(log)],
            columns=150,
            lines=50,
        )
        try:
            screen = term.wait_for("W:withdraw", deadline=180.0)  # a loaded machine starts slowly
            screen = term.wait_for("sound yes  record yes")  # rehearsal people may be kept
            assert "ROOM" in screen
            first = _roster_line(term.wait_for("#2 "), "#1")
            assert first.startswith(">"), first  # the first person is selected to begin with
            term.send(">")
            term.wait_for("selected #2")
            assert _roster_line(term.text(), "#2").startswith(">")
            term.send("W")
            term.wait_for("consent of #2 withdrawn")
            screen = term.wait_for("sound no   record no")
            line = _roster_line(screen, "#2")
            assert "no sound consent" in line and "record no" in line, line
            assert "sound yes  record yes" in _roster_line(screen, "#1")
            term.send("q")
            code = term.wait()
            assert code == 0, term.text()
        finally:
            term.close()
