"""The console end to end: `symphony live` in a real pseudo-terminal on a real JACK server.

Keys are typed into the terminal; the screen is read through a terminal
emulator (pyte) and the effect of each key is read back from the session
log, i.e. what the engine really applied.
"""

from __future__ import annotations

import sys
from pathlib import Path

from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.console.terminal import Terminal
from tests.jack_server import jack_server

PERF = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "console.toml"


def test_scene_key_panic_and_master_back_reach_the_engine(tmp_path: Path) -> None:
    log = tmp_path / "show.session"
    with jack_server():
        term = Terminal(
            [sys.executable, "-m", "symphony", "live", str(PERF), "--record", str(log)],
            columns=150,
            lines=45,
        )
        try:
            screen = term.wait_for("PARAMETERS")
            assert "scene open" in screen and "scenes 1:open 2:close" in screen
            screen = term.wait_for(
                "heart pulls x1.00: heart_rate"
            )  # the mapping explained, numbers too
            assert "xruns n/a" not in screen  # on JACK the xruns are counted
            term.wait_for("short-term")
            term.send("2")
            screen = term.wait_for("scene close")
            term.wait_for("heart pulls x0.50")  # the close scene halves the mapping's depth
            term.send(" ")
            term.wait_for("master PANIC")
            term.send("r")
            term.wait_for("master back to the show's level")
            term.send("q")
            assert term.wait() == 0
        finally:
            term.close()
    perf = load_performance(PERF)
    layout = ControlLayout(perf.spec, perf.patches)
    schedule = read_session(log).schedule
    applied = list(zip(schedule.targets.tolist(), schedule.values.tolist(), strict=True))
    amp = [v for t, v in applied if t == layout.index("tone.amp")]
    # Only the key can call "close" (it is not on the timeline): tone.amp glides to 0.4.
    assert amp and max(amp) > 0.39, amp[-5:]
    master = [v for t, v in applied if t == layout.index("master.gain_db")]
    panic = master.index(-60.0)
    assert any(v > -60.0 for v in master[panic:]), "the master never came back after panic"


def test_ctrl_c_ends_the_show_cleanly_and_gives_the_terminal_back(tmp_path: Path) -> None:
    log = tmp_path / "show.session"
    with jack_server():
        term = Terminal(
            [sys.executable, "-m", "symphony", "live", str(PERF), "--record", str(log)],
            columns=120,
            lines=40,
        )
        try:
            term.wait_for("PARAMETERS")
            term.send("\x03")  # SIGINT to every process of the show, as in a real terminal
            assert term.wait() == 0
            screen = term.text()
        finally:
            term.close()
    assert "session log written" in screen
    assert "Traceback" not in screen and "KeyboardInterrupt" not in screen
    assert read_session(log).duration > 0


def test_a_console_that_cannot_start_leaves_status_lines_and_the_show(tmp_path: Path) -> None:
    log = tmp_path / "show.session"
    with jack_server():
        term = Terminal(
            [sys.executable, "-m", "symphony", "live", str(PERF), "--record", str(log)],
            columns=120,
            lines=40,
            env={"TERM": "no-such-terminal"},  # curses cannot drive it
        )
        try:
            term.wait_for("the console failed during the show")
            screen = term.wait_for("people")  # the status line of --no-console
            assert "scene open" in screen
            term.send("\x03")
            assert term.wait() == 0
        finally:
            term.close()
    assert read_session(log).duration > 0
