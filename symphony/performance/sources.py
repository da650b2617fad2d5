"""The `[[sources]]` of a performance: checked on load, built for render, live and monitor.

The schema (`schema.SourceSpec`) knows the keys every source has (name, kind,
consent); the backend named by `kind` knows its own (`board`, `streams`,
`path`, ...). `check_sources` asks each backend to validate its keys without
opening a device, and turns its complaint into the file-line-key error every
other performance mistake gives. Paths in a source (a recording, a sensor
profile file) are relative to the performance file, like patch paths.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from symphony.collective.consent import Consent
from symphony.errors import PerformanceError, SymphonyError
from symphony.inputs.source import Source
from symphony.inputs.sources import check_source, make_source, open_source
from symphony.performance.schema import PerformanceSpec, SourceSpec, is_consent_table
from symphony.performance.simulation import participant_script
from symphony.performance.toml_lines import KeyPath, TomlLines

# Sources that only exist while a device or a sender is there: they cannot be
# rendered offline (a render needs the whole signal before it starts).
LIVE_ONLY = frozenset({"brainflow", "lsl", "osc"})
# Sources that can be read to the end at full speed.
REPLAYABLE = frozenset({"recording", "simulated"})


def backend_spec(source: SourceSpec, performance_path: Path) -> dict[str, Any]:
    """The dict a backend's `from_spec` takes, with file paths made absolute."""
    spec = source.backend_keys()
    base = Path(performance_path).resolve().parent
    if source.kind == "recording" and isinstance(spec.get("path"), str):
        spec["path"] = str(base / spec["path"])
    profile = spec.get("profile")
    if isinstance(profile, str) and profile.endswith(".toml"):
        spec["profile"] = str(base / profile)
    return spec


def show_spec(source: SourceSpec, spec: PerformanceSpec, path: Path) -> dict[str, Any]:
    """`backend_spec`, with a simulated group as long as the show and on its seed by default."""
    keys = backend_spec(source, path)
    if source.kind == "simulated":
        keys.setdefault("duration", max(spec.performance.duration, 1.0))
        keys.setdefault("seed", spec.performance.seed)
    return keys


def _key_path(index: int, key: str | None) -> KeyPath:
    parts: list[str | int] = ["sources", index]
    for part in (key or "").split("."):
        if part:
            parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def _dotted(loc: KeyPath) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def check_sources(spec: PerformanceSpec, path: Path, lines: TomlLines) -> None:
    """Every source's backend keys are valid; names are unique. Opens no device."""
    seen: set[str] = set()
    for i, source in enumerate(spec.sources):
        if source.name in seen:
            loc: KeyPath = ("sources", i, "name")
            raise PerformanceError(
                f"two sources are named '{source.name}'",
                where=path,
                line=lines.line_of(loc),
                key=_dotted(loc),
                expected="a name of its own for each source",
            )
        seen.add(source.name)
        try:
            check_source(backend_spec(source, path))
        except PerformanceError:
            raise
        except SymphonyError as exc:
            raise _located(exc, source, i, path, lines) from None


def _located(
    exc: SymphonyError, source: SourceSpec, index: int, path: Path, lines: TomlLines
) -> PerformanceError:
    """A backend's complaint, pointed at the performance file's line and key."""
    loc = _key_path(index, exc.key)
    message = exc.message
    # Errors about another file (a profile, a recording) keep naming it.
    if exc.where is not None and not str(exc.where).startswith("source '"):
        place = str(exc.where) + (f":{exc.line}" if exc.line else "")
        message = f"{message} ({place})"
    return PerformanceError(
        f"source '{source.name}' ({source.kind}): {message}",
        where=path,
        line=lines.line_of(loc),
        key=_dotted(loc),
        expected=exc.expected,
    )


def source_line(spec: PerformanceSpec, path: Path, index: int, key: str = "kind") -> int | None:
    """The line of a source's key in the performance file, for errors raised later."""
    try:
        lines = TomlLines(Path(path).read_text(encoding="utf-8"))
    except OSError:
        return None
    return lines.line_of(("sources", index, key))


def require_replayable(spec: PerformanceSpec, path: Path) -> None:
    """Refuse to render live-only sources, saying which one and what to do instead."""
    for i, source in enumerate(spec.sources):
        if source.kind in LIVE_ONLY:
            hint = (
                'a recording of it (kind = "recording", path = ...; a BrainFlow file with '
                'format = "brainflow"), or --participants N to render N simulated participants'
            )
            raise PerformanceError(
                f"source '{source.name}' is a live {source.kind} source and cannot be rendered",
                where=path,
                line=source_line(spec, path, i),
                key=f"sources[{i}].kind",
                expected=hint,
            )


def open_sources(
    spec: PerformanceSpec, path: Path, clock: Callable[[], float]
) -> tuple[list[Source], list[str]]:
    """Build and open every source for a live show; one that fails is left out, not fatal.

    Devices are never waited for here: BrainFlow and LSL sources connect in
    their own threads and keep retrying with backoff, so a headset switched on
    mid-show joins then. What can fail at once (a recording that does not
    read, an OSC port already taken) is reported in the returned problems and
    the show plays on with the other sources.
    """
    opened: list[Source] = []
    problems: list[str] = []
    for source in spec.sources:
        try:
            keys = show_spec(source, spec, path)
            if source.kind in REPLAYABLE:
                keys["fast"] = False  # live: recordings play on the show clock
            built = make_source(keys, clock)
            built.open()
        except (SymphonyError, OSError) as exc:
            problems.append(f"source '{source.name}' ({source.kind}) not started: {exc}")
            continue
        opened.append(built)
    return opened, problems


def live_sources(
    spec: PerformanceSpec,
    path: Path,
    participants: int | None,
    seed: int,
    clock: Callable[[], float],
    duration: float | None = None,
) -> tuple[list[Source], list[str]]:
    """What `symphony live` plays from: the performance's sources, or simulated people.

    With no `[[sources]]`, or with `--participants N`, a simulated group
    follows the scenes' states (the rehearsal mode); otherwise every source
    is opened (`open_sources`). Simulated bodies are made up front, so they
    are made only for `duration` (the show's `--duration`) when given: a
    day-long performance would otherwise fill memory before it starts.
    """
    if spec.sources and participants is None:
        return open_sources(spec, path, clock)
    script = [{"at": c.at, "state": c.state, "ramp": c.ramp} for c in participant_script(spec)]
    simulated = {
        "kind": "simulated",
        "participants": participants or spec.participants.count,
        "duration": duration or spec.performance.duration,
        "seed": seed,
        "script": script or [{"state": "calm"}],
    }
    return [open_source(simulated, clock)], []


def consent_of(spec: PerformanceSpec) -> Callable[[str, str], bool]:
    """(source name, participant) -> may their raw signals be kept? False unless said so."""
    by_name = {s.name: s for s in spec.sources}

    def consents(source: str, participant: str) -> bool:
        entry = by_name.get(source)
        return entry is not None and entry.consents(participant)

    return consents


def anyone_consents(spec: PerformanceSpec) -> bool:
    """Could any participant's raw signals be kept in this performance?"""
    return any(s.consent_summary()[0] or s.consent_summary()[1] for s in spec.sources)


class ParticipantConsent:
    """Each participant's consent by default, from the sources that deliver them.

    A person fed by several sources (a headband and a chest strap) keeps
    what *every* one of those entries grants: one `record = false` is
    enough to keep nothing. Simulated rehearsal participants (no
    `[[sources]]`, or `--participants N`) are nobody's body: they may be
    kept. `seen` is called as sources deliver; the `ConsentBook` asks
    `__call__`.
    """

    def __init__(self, spec: PerformanceSpec, rehearsal: bool) -> None:
        self.rehearsal = rehearsal or not spec.sources
        self.by_name = {s.name: s for s in spec.sources}
        self.sources_of: dict[str, set[str]] = {}
        self._known: dict[str, Consent] = {}  # asked every room update: worked out once

    def seen(self, source: str, participant: str) -> None:
        sources = self.sources_of.setdefault(participant, set())
        if source not in sources:
            sources.add(source)
            self._known.pop(participant, None)

    def __call__(self, participant: str) -> Consent:
        known = self._known.get(participant)
        if known is None:
            known = self._known[participant] = self._work_out(participant)
        return known

    def _work_out(self, participant: str) -> Consent:
        if self.rehearsal:
            return Consent(sound=True, record=True)
        entries = [
            self.by_name[s] for s in self.sources_of.get(participant, ()) if s in self.by_name
        ]
        if not entries:
            return Consent(sound=True, record=False)
        grants = [e.consent_for(participant) for e in entries]
        return Consent(sound=all(g[0] for g in grants), record=all(g[1] for g in grants))


def named_participants(spec: PerformanceSpec) -> frozenset[str]:
    """Participants the performance file itself names (a source's `participant`, a
    stream's, a consent table's keys): the console may show these names; anyone
    else (a phone's own id, a stream's guess) is shown by an anonymous number."""
    names: set[str] = set()
    for source in spec.sources:
        keys = source.model_extra or {}
        if isinstance(keys.get("participant"), str):
            names.add(keys["participant"])
        for stream in keys.get("streams", []) or []:
            if isinstance(stream, dict) and isinstance(stream.get("participant"), str):
                names.add(stream["participant"])
        if isinstance(source.consent, dict) and not is_consent_table(source.consent):
            names.update(source.consent)
    return frozenset(names)
