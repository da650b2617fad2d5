"""Keyboard fallbacks: which key does what, from the performance itself.

Scenes get 1..9 in timeline order (then any scene not on the timeline), the
first eight layers get the home row a s d f g h j k as mute toggles. Keys
are strings: a printable character, or a name for special keys ("UP").
"""

from __future__ import annotations

from dataclasses import dataclass

from symphony.mapping.layout import MASTER_GAIN
from symphony.performance.schema import PerformanceSpec

LAYER_KEYS = "asdfghjk"
MASTER_STEP_DB = 1.0
PANIC_KEYS = (" ", "!")
WITHDRAW_KEY = "W"  # shift-w: one deliberate key, never hit by a slip on the home row


@dataclass(frozen=True)
class Action:
    """kind: scene/layer (name), panic, master (value: dB step), release,
    learn, quit, scroll (value: rows), select (value: +-1 person), withdraw
    (the selected person's sound and record consent)."""

    kind: str
    name: str = ""
    value: float = 0.0


def scene_order(spec: PerformanceSpec) -> list[str]:
    order: list[str] = []
    for cue in spec.timeline:
        if cue.scene not in order:
            order.append(cue.scene)
    return order + [s for s in spec.scenes if s not in order]


def keymap(spec: PerformanceSpec) -> dict[str, Action]:
    keys: dict[str, Action] = {}
    for i, scene in enumerate(scene_order(spec)[:9]):
        keys[str(i + 1)] = Action("scene", scene)
    for key, layer in zip(LAYER_KEYS, [layer.name for layer in spec.layers], strict=False):
        keys[key] = Action("layer", layer)
    for key in PANIC_KEYS:
        keys[key] = Action("panic")
    keys["+"] = keys["="] = Action("master", value=MASTER_STEP_DB)
    keys["-"] = Action("master", value=-MASTER_STEP_DB)
    keys["r"] = Action("release")
    keys["l"] = Action("learn")
    keys["q"] = Action("quit")
    keys["<"] = keys[","] = Action("select", value=-1)
    keys[">"] = keys["."] = Action("select", value=1)
    keys[WITHDRAW_KEY] = Action("withdraw")
    keys["UP"] = Action("scroll", value=-1)
    keys["DOWN"] = Action("scroll", value=1)
    keys["PGUP"] = Action("scroll", value=-10)
    keys["PGDN"] = Action("scroll", value=10)
    return keys


def key_help(spec: PerformanceSpec) -> str:
    """The keys, most urgent first (a narrow terminal wraps the rest)."""
    scenes = scene_order(spec)[:9]
    layers = [layer.name for layer in spec.layers][: len(LAYER_KEYS)]
    parts = ["q:quit  space:PANIC  r:master back  +/-:master  l:learn"]
    parts.append(f"</>:select person  {WITHDRAW_KEY}:withdraw their consent")
    parts.append("scenes " + " ".join(f"{i + 1}:{s}" for i, s in enumerate(scenes)))
    if layers:
        pairs = zip(LAYER_KEYS, layers, strict=False)
        parts.append("mute " + " ".join(f"{k}:{n}" for k, n in pairs))
    return "  ".join(parts)


def master_after(current_db: float, step_db: float) -> float:
    """The master level one step up or down, inside the master's range."""
    return min(MASTER_GAIN.high, max(MASTER_GAIN.low, current_db + step_db))


# In learn mode the same keyboard means something else.
LEARN_KEYS = {
    "ENTER": "accept",
    "s": "skip",
    "u": "undo",
    "c": "clear",
    "w": "write",
    "ESC": "cancel",
    "x": "cancel",
}
LEARN_HELP = "enter:accept  s:skip  u:undo  c:clear  w:write profile  esc:cancel"
