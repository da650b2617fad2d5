"""Key map from a performance, and the screen laid out from a known snapshot."""

from __future__ import annotations

import math
from pathlib import Path

from symphony.console.history import History
from symphony.console.keys import Action, key_help, keymap, master_after, scene_order
from symphony.console.screen import ConsoleView, ParamRow, health_lines, render
from symphony.console.sparkline import BLOCKS
from symphony.console.system import CpuMeter, cpu_ticks
from symphony.performance.loader import load_performance

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "performances" / "demo.toml"


def test_scenes_take_digits_in_timeline_order_and_layers_the_home_row() -> None:
    spec = load_performance(DEMO).spec
    order = scene_order(spec)
    assert order[:3] == ["gathering", "rising", "glitch"]
    keys = keymap(spec)
    assert keys["1"] == Action("scene", "gathering")
    assert keys[str(len(order))] == Action("scene", order[-1])
    assert keys["a"] == Action("layer", spec.layers[0].name)
    assert keys[" "] == keys["!"] == Action("panic")
    assert keys["q"].kind == "quit" and keys["l"].kind == "learn"
    assert "1:gathering" in key_help(spec) and "space:PANIC" in key_help(spec)


def test_master_steps_stay_in_range() -> None:
    assert master_after(-6.0, 1.0) == -5.0
    assert master_after(-0.5, 1.0) == 0.0
    assert master_after(-60.0, -1.0) == -60.0


def _view() -> ConsoleView:
    history = History()
    for hr in (40.0, 90.0, 140.0):
        history.add({"collective.heart_rate": hr, "p01.heart_rate": hr})
    return ConsoleView(
        title="Convergence",
        time=75.0,
        duration=600.0,
        scene="gathering",
        next_scene="rising at 120 s",
        people=1,
        collective={"heart_rate": 140.0, "count": 1.0},
        participants={"p01": {"heart_rate": 140.0, "quality": 1.0}},
        history=history,
        params=[ParamRow(f"layer.p{i}", float(i), "scene", f"scene {i}") for i in range(30)],
        peak_dbfs=-12.04,
        lufs=-math.inf,
        master_db=-3.0,
        cpu={"engine": 12.4, "control": None},
        xruns=None,
        midi_ms=0.123,
        period_ms=5.33,
        help="q:quit",
    )


def test_screen_shows_show_health_features_and_scrolls_parameters() -> None:
    lines = render(_view(), 100, 30)
    assert len(lines) == 30 and all(len(line) <= 100 for line in lines)
    assert lines[0].startswith("Convergence  1:15 / 10:00  scene gathering  next rising at 120 s")
    health = lines[1] + "\n" + lines[2]
    assert "out peak -12.0 dBFS" in health and "short-term -inf LUFS" in health
    assert "cpu engine 12% control -" in health and "xruns n/a (not JACK)" in health
    assert "midi 0.12 ms in->queue + 5.3 ms period" in health
    hr = next(line for line in lines if line.startswith("  heart_rate"))
    assert hr.endswith(BLOCKS[0] + BLOCKS[4] + BLOCKS[7])  # 40, 90, 140 on the 40..140 scale
    header = next(i for i, line in enumerate(lines) if line.startswith("PARAMETERS"))
    shown = lines[header + 1 : -1]
    assert shown[0].startswith("  layer.p0 ") and "of 30" in lines[header]
    view = _view()
    view.scroll = 100  # past the end: the last page
    lines = render(view, 100, 30)
    assert lines[-2].startswith("  layer.p29 ")
    assert lines[-1] == "q:quit"


def test_panic_and_tiny_screens() -> None:
    view = _view()
    view.panic = True
    assert "master PANIC" in health_lines(view)[0]
    assert render(view, 20, 3) == [line[:20] for line in render(view, 20, 3)]
    assert len(render(view, 20, 3)) == 3


def test_cpu_ticks_from_this_process() -> None:
    stat = Path("/proc/self/stat").read_text()
    ticks = cpu_ticks(stat)
    assert ticks >= 0
    assert cpu_ticks("1 (a b) c) S " + " ".join(["0"] * 10) + " 7 5 0") == 12
    meter = CpuMeter(2**22 + 12345)  # no such process
    assert meter.read() is None


def test_key_help_wraps_on_narrow_terminals_most_urgent_first() -> None:
    spec = load_performance(DEMO).spec
    view = _view()
    view.help = key_help(spec)
    lines = render(view, 60, 40)
    start = next(i for i, line in enumerate(lines) if line.startswith("q:quit  space:PANIC"))
    shown = " ".join(lines[start:])
    assert start < len(lines) - 1, "a help line this long must wrap at 60 columns"
    for key in ["1:gathering", "6:ending", "a:drone", "f:mosaic"]:
        assert key in shown
