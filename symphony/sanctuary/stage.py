"""One running show of the player: engine, control, MIDI, supervision, the master's caps.

`symphony play` keeps one `Stage` at a time: a reload (SIGHUP) fades the
current one out, stops it and starts a new one from the new file. A stage
is the live command's show (`live.show_parts`: the same engine process,
control process and MIDI process, supervised the same way) without the
console and without a session log (a sanctuary runs for weeks: nothing of
its visitors is kept), plus what the player puts over the master:

- the fade (`Fader`): every start fades in from `START_DB` over at least
  `FADE_IN_SECONDS` (the engine also limits the master's rise), every stop
  fades out over `FADE_OUT_SECONDS`;
- the programme's quiet-hours cap (`sanctuary.programme`);
- the house limit's cap (`sanctuary.hearing.LaeqGuard`);
- safe mode: after a crash loop (more than 5 restarts in 10 minutes) the
  sources are closed (no biosignals: the empty room plays the scenes) and
  the master is capped at `safe_mode_cap_db`: a quiet ambient bed.

The master's value is the lowest of all of them and of what the show asks.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symphony.engine.levels import POWER, power_lufs
from symphony.engine.realtime import EngineProcess, RealtimeOptions
from symphony.live.supervisor import Supervisor
from symphony.mapping.layout import MASTER_GAIN
from symphony.performance.loader import Performance
from symphony.sanctuary.hearing import LaeqGuard
from symphony.sanctuary.programme import DayClock, ProgrammeRunner, looped_cues

if TYPE_CHECKING:
    from symphony.live.midi_process import MidiProcess

START_DB = -30.0  # where every start's fade-in begins (audible, far below the show)
FADE_IN_SECONDS = 3.0  # at least; the engine's rise limit may make it longer
FADE_OUT_SECONDS = 0.8
ENGINE_START_SECONDS = 60.0  # a loaded machine boots slowly; the supervisor retries after
REHEARSAL_SECONDS = 300.0  # simulated people (--participants), made up front, stay this long


@dataclass
class Fader:
    """The player's own envelope over the master, in dB (pure, from a clock)."""

    began: float | None = None  # the first frame the control process sent (set then)
    out_from: tuple[float, float] | None = None  # (when, level) the fade-out began

    def level(self, now: float) -> float:
        if self.began is None:
            self.began = now
        if self.out_from is not None:
            at, level = self.out_from
            done = min(1.0, (now - at) / FADE_OUT_SECONDS)
            return level + (MASTER_GAIN.low - level) * done
        done = min(1.0, max(0.0, (now - self.began) / FADE_IN_SECONDS))
        return START_DB + (0.0 - START_DB) * done

    def fade_out(self, now: float) -> None:
        if self.out_from is None:
            self.out_from = (now, self.level(now))

    def faded_out(self, now: float) -> bool:
        return self.out_from is not None and now - self.out_from[0] >= FADE_OUT_SECONDS


@dataclass(frozen=True)
class StageOptions:
    audio: RealtimeOptions
    controller: Path | None = None
    midi_api: str = "jack"
    participants: int | None = None  # simulated people (rehearsal)
    day_speed: float = 1.0
    day_start: float | None = None


def _play_performance(performance: Performance) -> Performance:
    """What the control process conducts: with programme parts, the scenes come from
    the programme (the timeline is not played); otherwise the timeline as written."""
    programme = performance.spec.programme
    if programme is None or not programme.parts:
        return performance
    spec = performance.spec.model_copy(update={"timeline": []})
    return dataclasses.replace(performance, spec=spec)


class Stage:
    """One performance playing (module docstring). Build it, `step()` it, `stop()` it."""

    def __init__(
        self, performance: Performance, options: StageOptions, say: Callable[..., None]
    ) -> None:
        self.performance = performance
        self.spec = performance.spec
        self.say = say
        seed = self.spec.performance.seed
        self.engine = EngineProcess(performance.path, options.audio, seed=seed)
        played = _play_performance(performance)
        master = played_master(played)
        self.engine.preset(master, START_DB)
        self.engine.spawn()
        # The control side's imports (features, scipy) while the engine boots.
        from symphony.live.control import LiveControl
        from symphony.live.show_parts import start_midi, supervision
        from symphony.performance.sources import live_sources

        self.engine.start(timeout=ENGINE_START_SECONDS)
        self.started = time.monotonic()
        self.fader = Fader()
        sources: list[Any] = []  # no sensors: the visitors' moods and the scenes
        problems: list[str] = []
        if options.participants is not None or self.spec.sources:
            sources, problems = live_sources(
                performance.spec,
                performance.path,
                options.participants,
                seed,
                self.clock,
                REHEARSAL_SECONDS,
            )
        for problem in problems:
            say("source", problem, warning=True)
        self.sources = sources
        self.control = LiveControl(
            played,
            sources,
            self.engine.send,
            self.clock,
            rehearsal=options.participants is not None,
        )
        self.control.master_cap = START_DB
        self.midi: MidiProcess | None = None
        self._midi_ready: list[MidiProcess] = []
        self._stopped = False
        self.supervisor = Supervisor()
        self.supervisor.watch(self.engine, on_ready=self.control.resync)
        # The MIDI process boots in the background: the show does not wait for it.
        self._midi_thread = threading.Thread(
            target=self._start_midi, args=(options, start_midi), name="start-midi", daemon=True
        )
        self._midi_thread.start()
        self.supervise = supervision(
            self.supervisor, self.engine, self.control, lambda text: say("restart", text)
        )
        programme = self.spec.programme
        self.programme = programme
        self.day = DayClock(self.clock, options.day_speed, options.day_start)
        self.runner = ProgrammeRunner(programme, self.day) if programme is not None else None
        self.guard = LaeqGuard(self.spec.sanctuary)
        self.safe = False
        self.paused = False  # the operator's pause: silence until resumed
        self.scene = ""
        self._second = 0.0
        self._show_checked = 0.0

    def _start_midi(self, options: StageOptions, start: Callable[..., Any]) -> None:
        try:
            midi = start(
                options.controller,
                self.performance,
                self.engine,
                self.control,
                options.midi_api,
                lambda text: self.say("midi", text),
            )
        except Exception as exc:  # a controller that cannot start never stops the sound
            self.say("midi", f"MIDI not started: {exc}", warning=True)
            return
        if midi is not None and self._stopped:  # the stage ended while it booted
            midi.child.stop(1.0)
        elif midi is not None:
            self._midi_ready.append(midi)

    def clock(self) -> float:
        return time.monotonic() - self.started

    def _close_sources(self) -> None:
        for source in self.sources:
            source.close()

    def fade_out(self) -> None:
        self.fader.fade_out(self.clock())

    def faded_out(self) -> bool:
        return self.fader.faded_out(self.clock())

    def step(self) -> None:
        """Between control frames (called from `LiveControl.run`'s stop check)."""
        if self._midi_ready:  # the MIDI process is up: supervise it from now on
            self.midi = self._midi_ready.pop()
            self.supervisor.watch(self.midi)
        self.supervise()
        now = self.clock()
        quiet = self.runner.now.cap_db if self.runner is not None else 0.0
        caps = [self.fader.level(now), quiet, self.guard.cap_db]
        if self.safe:
            caps.append(self.spec.sanctuary.safe_mode_cap_db)
        if self.paused:
            caps.append(MASTER_GAIN.low)
        self.control.master_cap = min(caps)
        if now - self._second >= 1.0:
            self._second = now
            self._each_second(now)

    def _each_second(self, now: float) -> None:
        power = float(self.engine.levels[POWER])
        self.guard.update(power_lufs(power) if self.engine.clock.advancing(1.0) else -math.inf)
        if self.runner is not None:
            for scene, fade in self.runner.due():
                self.call_scene(scene, fade, now)
        programme = self.programme
        if programme is not None and programme.timeline == "loop" and not programme.parts:
            duration = self.spec.performance.duration
            for cue in looped_cues(self.spec.timeline, duration, self._show_checked, now):
                self.call_scene(cue.scene, cue.crossfade, now)
            self._show_checked = now
        if not self.safe and self.supervisor.crash_loop:
            self.enter_safe_mode()

    def call_scene(self, scene: str, fade: float, now: float) -> None:
        """Cue a scene now, over `fade` seconds, in the conductor and its public twin."""
        spec = self.spec.scenes[scene]
        for conductor in self.control.performer.conductors:
            conductor.scenes.add_cue(spec, now, fade)
        self.control.performer.state.called = (now, scene)
        self.scene = scene
        self.say("scene", f"scene {scene} (fade {fade:.0f} s)", scene=scene, fade=fade)

    def scene_fade(self, scene: str) -> float:
        """The fade of a scene called by the operator: its programme part's, else its cue's."""
        programme = self.programme
        if programme is not None:
            for part in programme.parts:
                if part.scene == scene:
                    return programme.fade if part.fade is None else part.fade
        return next((c.crossfade for c in self.spec.timeline if c.scene == scene), 5.0)

    def enter_safe_mode(self) -> None:
        """A crash loop: a quiet ambient bed without biosignals (module docstring)."""
        self.safe = True
        sources, self.sources = self.sources, []
        self.control.sources = []

        def close() -> None:
            for source in sources:
                source.close()

        threading.Thread(target=close, name="close-sources", daemon=True).start()
        self.say(
            "safe_mode",
            f"safe mode: {self.supervisor.recent()} restarts in "
            f"{self.supervisor.window / 60:.0f} min; a quiet bed without biosignals",
            warning=True,
            restarts=self.supervisor.restarts,
            last_error=self.supervisor.last_error(),
        )

    def stop(self, seconds: float) -> None:
        """Stop every process of this stage within `seconds`."""
        from symphony.live.show_parts import stop_show

        self._stopped = True
        if self._midi_ready:
            self.midi = self._midi_ready.pop()
        stop_show(self.engine, self.midi, None, self._close_sources, None, seconds)

    def health(self) -> dict[str, Any]:
        """What `/health` and the status line report (counts and levels only)."""
        clock = self.engine.clock
        at = self.runner.now if self.runner is not None else None
        levels = self.engine.levels
        return {
            "advancing": clock.advancing(0.5),
            "jack": clock.state,
            "last_block_age": clock.last_block_age(),
            "blocks": clock.blocks(),
            "rebuilds": clock.rebuilds,
            "scene": self.scene or self.control.state.scene,
            "next_scene": at.next_scene if at is not None else self.control.state.next_scene,
            "quiet": at.quiet if at is not None else False,
            "participants": dict(self.control.state.counts),
            "peak": float(levels[0]),
            "lufs": power_lufs(float(levels[POWER])),
            "laeq": self.guard.laeq,
            "spl": self.guard.level,
            "laeq_cap_db": self.guard.cap_db,
            "master_cap_db": self.control.master_cap,
            "restarts": self.supervisor.restarts,
            "last_error": self.supervisor.last_error(),
            "safe_mode": self.safe,
        }


def played_master(performance: Performance) -> int:
    from symphony.mapping.layout import ControlLayout

    return ControlLayout(performance.spec, performance.patches).index("master.gain_db")
