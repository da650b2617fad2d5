"""The ROOM list and the withdraw key, in process: `Console.press` (the real key handling)
queues the change, and `LiveControl` applies it to the person the console shows as `#2`.

The same path runs end to end in a pseudo-terminal on JACK in test_console_consent.py.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from symphony.collective.consent import Consent
from symphony.collective.intake import ConsentChange
from symphony.console.app import Console
from symphony.console.roster import move_selection, roster_lines, selected_or_first
from symphony.console.view import Gauges
from symphony.live.control import LiveControl
from symphony.live.show_status import RosterLine
from symphony.performance.loader import load_performance

PERF = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "console.toml"
ROSTER = [
    RosterLine("#1", "heard", 1.0, True, False),
    RosterLine("#2", "fading in", 0.5, True, False),
    RosterLine("#3", "gated", 0.0, True, True),
]


def test_selection_wraps_and_follows_who_is_there() -> None:
    assert selected_or_first(ROSTER, "") == "#1"
    assert selected_or_first(ROSTER, "#3") == "#3"
    assert selected_or_first(ROSTER, "#9") == "#1"  # gone: the first one
    assert move_selection(ROSTER, "#3", 1) == "#1" and move_selection(ROSTER, "#1", -1) == "#3"
    assert move_selection(ROSTER, "#9", 1) == "#2"  # from the first, which the screen marks
    assert selected_or_first([], "#1") == "" and move_selection([], "", 1) == ""
    lines = roster_lines(ROSTER, "#2")
    assert lines[1].startswith("> #2  fading in") and lines[1].endswith("sound yes  record no")
    assert "nobody in the room" in roster_lines([], "")[0]


def test_the_withdraw_key_reaches_the_person_the_console_shows(tmp_path: Path) -> None:
    perf = load_performance(PERF)
    control = LiveControl(perf, [], lambda *a: True, lambda: 0.0, rehearsal=True)
    for person in ("p01", "p02", "p03"):
        control.names(person)  # as the console has listed them: #1, #2, #3
    keys: queue.Queue[object] = queue.Queue()
    console = Console(perf.spec, 60.0, Gauges(engine_pid=0), queue.Queue(), keys, threading.Event())
    console.state.roster = list(ROSTER)
    console.press(">")
    assert console.selected == "#2"
    console.press("W")
    assert "consent of #2 withdrawn" in console.message
    command = keys.get_nowait()
    assert command == ConsentChange("#2", sound=False, record=False)
    control.apply_command(command, 0.0)
    assert control.book.get("p02") == Consent(sound=False, record=False)
    assert control.book.get("p01") == Consent(sound=True, record=True)  # rehearsal: kept
    control.apply_command(ConsentChange("#7", sound=False, record=False), 0.0)  # nobody: said
