"""MIDI learn inside the running console (the show keeps playing).

While learning, the MIDI process stops routing the controller and forwards
its raw messages, with the name of the port they came from, to this side
(`LearnTap`); `LearnSession.feed` keeps only those from the controller's
port, so nothing else (another device, a clock, the biosignal bridges)
can be learned by mistake. The prompts are the controls of the current
profile; the result is written beside the session log, never over it.
"""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Any

from symphony.console.keys import LEARN_HELP
from symphony.errors import SymphonyError
from symphony.midi.learn import Detected, LearnSession

MAX_MESSAGES_PER_FRAME = 512


def describe(d: Detected | None) -> str:
    if d is None:
        return "nothing yet: move the control (both ways for an encoder)"
    number = f"{d.number}" if d.message != "cc14" else f"{d.number}/{d.number + 32}"
    text = f"{d.kind}: {d.message} {number} on channel {d.channel}"
    if d.encoding:
        text += f", {d.encoding}"
    if d.ambiguous:
        text += " (turn it both ways to be sure)"
    return text


class ConsoleLearn:
    """One learn session at a time, driven by the console's keys."""

    help = LEARN_HELP

    def __init__(self, tap: Any, prompts: list[str], port: str, name: str, out_path: Path) -> None:
        self.tap = tap
        self.prompts = prompts
        self.port = port
        self.name = name
        self.out_path = out_path
        self.session: LearnSession | None = None
        self.guess: Detected | None = None
        self.heard = 0

    @property
    def active(self) -> bool:
        return self.session is not None

    def begin(self) -> str:
        if not self.prompts:
            return "learn: the profile names no controls to learn"
        self.session = LearnSession(list(self.prompts), self.port)
        self.guess = None
        self._discard()
        self.tap.learning.value = 1
        return "learn: the controller teaches now and does not play"

    def stop(self) -> None:
        self.tap.learning.value = 0
        self.session = None

    def _discard(self) -> None:
        for _ in range(MAX_MESSAGES_PER_FRAME):
            try:
                self.tap.raw.get_nowait()
            except queue.Empty:
                return

    def drain(self) -> None:
        """Feed what the controller sent since the last frame."""
        if self.session is None:
            return
        for _ in range(MAX_MESSAGES_PER_FRAME):
            try:
                port, data = self.tap.raw.get_nowait()
            except queue.Empty:
                return
            self.heard += 1
            self.guess = self.session.feed(port, data)

    def key(self, step: str) -> str:
        s = self.session
        if s is None:
            return ""
        if step == "accept":
            try:
                got = s.accept()
            except ValueError as exc:
                return f"learn: {exc}"
            self.guess = None
            return f"learned {describe(got)}"
        if step == "skip":
            s.skip()
        elif step == "undo":
            s.undo()
        elif step == "clear":
            s.clear()
        elif step == "write":
            try:
                s.write(self.out_path, self.name)
            except (SymphonyError, OSError) as exc:  # learn again or cancel; the show goes on
                return f"learn: cannot write {self.out_path}: {exc}"
            self.stop()
            return f"learn: profile written to {self.out_path}"
        elif step == "cancel":
            self.stop()
            return "learn cancelled; the controller plays again"
        self.guess = s.guess()
        return f"learn: {step}"

    def lines(self) -> list[str]:
        s = self.session
        if s is None:
            return []
        out = [
            f"controller port '{self.port}' only; writing {self.out_path}",
            s.instruction(),
            f"heard: {describe(self.guess)}" if not s.done else "press w to write the profile",
            "",
        ]
        for name in self.prompts:
            d = s.learned.get(name)
            mark = ">" if name == s.current else " "
            out.append(f" {mark} {name:<16} {describe(d) if d else '-'}")
        return out
