"""The control process publishes what the LEDs show, whoever changed it.

Scenes come from the timeline, from controller buttons and from console keys
(all through `LiveControl.apply_command`); layers are muted the same way. A
real `LiveControl` runs its frames here (no sources, no engine: changes are
collected), and the MIDI process's view is read from the same shared array.
"""

from __future__ import annotations

import multiprocessing as mp

from symphony.live.control import LiveControl
from symphony.live.midi_router import Command
from symphony.live.show_state import ShowBoard, board_size
from symphony.performance.loader import load_performance
from tests.live.show import PADS


def test_scene_and_layers_reach_the_board_from_timeline_buttons_and_keys() -> None:
    perf = load_performance(PADS)
    now = {"t": 0.0}
    control = LiveControl(perf, [], lambda target, value: True, lambda: now["t"])
    layers = [layer.name for layer in perf.spec.layers]
    shared = mp.get_context("spawn").Array("i", board_size(layers), lock=False)
    control.board = ShowBoard(list(perf.spec.scenes), layers, shared)
    control.board.clear()
    midi_view = ShowBoard(list(perf.spec.scenes), layers, shared)

    def at(t: float, *commands: Command) -> tuple[str | None, frozenset[str]]:
        now["t"] = t
        for command in commands:
            control.apply_command(command, t)
        control.step()
        return midi_view.read()

    assert at(0.1) == ("a", frozenset({"tone", "pad"}))  # the timeline's first cue
    assert at(1.0, Command("scene", "b")) == ("b", frozenset({"tone", "pad"}))  # a button
    assert at(2.0, Command("layer", "pad")) == ("b", frozenset({"tone"}))  # muted
    assert at(3.0, Command("scene", "a"), Command("layer", "pad")) == (
        "a",
        frozenset({"tone", "pad"}),
    )
    assert at(240.5) == ("b", frozenset({"tone", "pad"}))  # the timeline's next cue wins
    assert at(241.0, Command("scene", "nowhere")) == ("b", frozenset({"tone", "pad"}))
