"""`symphony learn`: walk the performer through each control and write a profile.

The prompts are a list of control names (`--controls`), a template profile's
controls (its bindings come along), or a performance's parameters (each
bound to its parameter). For each prompt the performer moves the control;
the learn state machine (symphony.midi.learn) guesses what it is, and the
guess is accepted with Enter, or by itself after a pause in the stream
(`--pause`; never while the guess is ambiguous). s skips, u undoes, c clears,
w writes what is learned so far, q quits without writing. Keys may come
from a pipe (a script); when they run out, pauses go on accepting.
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import re
import time
from pathlib import Path
from typing import Any

from symphony.console.learning import describe
from symphony.errors import SymphonyError
from symphony.midi.learn import Detected, LearnSession
from symphony.midi.profiles import Binding

CONTROL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")  # as profiles.Name
KEY_HELP = "Enter: accept  s: skip  u: undo  c: clear  w: write now  q: quit without writing"
TICK = 0.05


def performance_prompts(path: Path) -> tuple[list[str], dict[str, Binding]]:
    """One control per continuous parameter of a performance, bound to it."""
    from symphony.mapping.layout import ControlLayout
    from symphony.performance.loader import load_performance

    perf = load_performance(path)
    layout = ControlLayout(perf.spec, perf.patches)
    prompts: list[str] = []
    bindings: dict[str, Binding] = {}
    for target in layout.continuous():
        control = target.name.replace(".", "_")
        action = "master" if target.kind == "master" else f"param:{target.name}"
        prompts.append(control)
        bindings[control] = Binding(action=action)
    return prompts, bindings


def plan(args: argparse.Namespace) -> tuple[list[str], dict[str, Binding], str | None, str]:
    """Prompts, bindings, the default port and the profile's name, from the options."""
    chosen = [x for x in (args.controls, args.template, args.performance) if x is not None]
    if len(chosen) != 1:
        raise SymphonyError(
            "say what to learn with exactly one of --controls, --template or --performance",
            where="learn",
        )
    if args.controls is not None:
        prompts = [c.strip() for c in args.controls.split(",") if c.strip()]
        bindings: dict[str, Binding] = {}
        port, name = None, args.port or "controller"
    elif args.template is not None:
        from symphony.midi.profiles import load_profile

        template = load_profile(args.template)
        prompts = list(template.controls)
        bindings = dict(template.spec.bindings)
        port, name = template.spec.controller.port, template.spec.controller.name
    else:
        prompts, bindings = performance_prompts(args.performance)
        port, name = None, args.port or "controller"
    if not prompts:
        raise SymphonyError("nothing to learn: no control names given", where="learn")
    for control in prompts:
        if not CONTROL_NAME.match(control):
            raise SymphonyError(
                f"'{control}' cannot name a control",
                where="learn",
                expected="letters, digits, '_' and '-', not starting with a digit",
            )
    return prompts, bindings, port, args.name or name


class Walk:
    """The learn loop: MIDI from a queue, keys from the terminal, lines to stdout."""

    def __init__(self, session: LearnSession, pause: float) -> None:
        self.session = session
        self.pause = pause
        self.said: str = ""
        self.last_heard = 0.0
        self.guess: Detected | None = None

    def say(self, text: str) -> None:
        print(text, flush=True)

    def prompt(self) -> None:
        self.guess = None
        self.said = ""
        self.say(self.session.instruction())

    def hear(self, port: str, data: list[int], now: float) -> None:
        before = self.session.heard
        self.guess = self.session.feed(port, data)
        if self.session.heard != before:
            self.last_heard = now
        text = describe(self.guess) if self.guess else ""
        if text and text != self.said:
            self.said = text
            self.say(f"  heard: {text}")

    def due(self, now: float) -> bool:
        """Accept by itself: a sure guess and a pause in the stream."""
        g = self.guess
        return (
            self.pause > 0
            and g is not None
            and not g.ambiguous
            and now - self.last_heard >= self.pause
        )

    def key(self, key: str) -> str | None:
        """Apply one key; returns "write" or "quit" when the walk ends."""
        s = self.session
        if key == "ENTER":
            if self.guess is None:
                self.say("  nothing heard yet: move the control, or s to skip")
                return None
            self.accept()
        elif key == "s":
            s.skip()
        elif key == "u":
            s.undo()
            self.say("  undone")
        elif key == "c":
            s.clear()
            self.say("  cleared: starting again")
        elif key == "w":
            return "write"
        elif key == "EOF" and self.pause > 0:  # a script's keys ran out: pauses accept
            self.say("  no more keys: each control is accepted after a pause")
            return None
        elif key in ("q", "EOF"):
            return "quit"
        else:
            return None
        if s.done:
            return "write"
        self.prompt()
        return None

    def accept(self) -> None:
        name = self.session.current
        got = self.session.accept()
        self.say(f"  learned {name}: {describe(got)}")


def run_learn(args: argparse.Namespace) -> int:
    from symphony.console.keyboard import single_keys
    from symphony.midi.ports import MidiInput

    prompts, bindings, template_port, name = plan(args)
    port = args.port or template_port
    if port is None:
        raise SymphonyError(
            "which controller? give --port (a substring of its port name)", where="learn"
        )
    out: Path = args.output
    if out.exists() and not args.force:
        raise SymphonyError(f"{out} exists; use --force to replace it", where="learn")
    heard: queue.Queue[tuple[str, list[int]]] = queue.Queue(maxsize=4096)
    midi: Any = None

    def on_message(data: list[int]) -> None:
        with contextlib.suppress(queue.Full):
            heard.put_nowait((midi.connected_to or port, list(data)))

    midi = MidiInput(port, on_message, api=args.midi_api, client_name="symphony-learn")
    connected = midi.open()
    session = LearnSession(prompts, port)
    walk = Walk(session, args.pause)
    print(f"learning from '{connected}'; {KEY_HELP}", flush=True)
    walk.prompt()
    ending: str | None = None
    try:
        with single_keys() as keyboard:
            while ending is None:
                for key in keyboard.keys(TICK):
                    ending = ending or walk.key(key)
                now = time.monotonic()
                while ending is None:
                    try:
                        source, data = heard.get_nowait()
                    except queue.Empty:
                        break
                    walk.hear(source, data, now)
                if ending is None and walk.due(now):
                    walk.accept()
                    ending = "write" if session.done else None
                    if ending is None:
                        walk.prompt()
    finally:
        midi.close()
    if ending == "quit":
        print("nothing written", flush=True)
        return 1
    session.write(out, name, bindings)
    print(f"profile written: {out} ({len(session.learned)} of {len(prompts)} controls)", flush=True)
    return 0
