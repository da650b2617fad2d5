"""Cross-reference checks: everything a performance names must exist.

The schema says a mapping target is written 'layer.param'; only here, with
the patches loaded, can we say that 'drone.brightnes' does not exist and
that 'drone.brightness' was probably meant.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from symphony.collective.names import COLLECTIVE_FEATURES, CYCLIC_FEATURES
from symphony.engine.patch import PatchSpec
from symphony.errors import PerformanceError
from symphony.mapping.layout import ControlLayout
from symphony.performance.output_checks import check_outputs
from symphony.performance.room_checks import check_macros, check_speakers, check_voices
from symphony.performance.schema import PerformanceSpec
from symphony.performance.toml_lines import KeyPath, TomlLines
from symphony.sanctuary.spec import check_programme


class _Reporter:
    def __init__(self, path: Path, lines: TomlLines) -> None:
        self.path = path
        self.lines = lines

    def fail(self, message: str, loc: KeyPath, expected: str | None = None) -> PerformanceError:
        key = ""
        for part in loc:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        return PerformanceError(
            message, where=self.path, line=self.lines.line_of(loc), key=key, expected=expected
        )


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "one of: " + ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")


def _check_target(
    name: str,
    value: float | None,
    layout: ControlLayout,
    report: _Reporter,
    loc: KeyPath,
) -> None:
    known = [t.name for t in layout.continuous()]
    target = layout.by_name.get(name)
    if target is None or target.kind not in ("param", "gain", "master"):
        raise report.fail(f"no parameter '{name}'", loc, _suggest(name, known))
    if value is not None:
        p = target.param
        if not p.low <= value <= p.high:
            raise report.fail(
                f"{value:g} is outside the range of '{name}'",
                loc,
                f"{p.low:g} to {p.high:g} {p.unit}".rstrip(),
            )


def check_references(
    spec: PerformanceSpec, patches: dict[str, PatchSpec], path: Path, lines: TomlLines
) -> None:
    report = _Reporter(path, lines)
    names = [layer.name for layer in spec.layers]
    for i, layer in enumerate(spec.layers):
        if names.count(layer.name) > 1:
            raise report.fail(f"layer name '{layer.name}' is used twice", ("layers", i, "name"))
        if layer.channels is not None:
            n = spec.output.channels
            if not layer.channels or any(not 1 <= c <= n for c in layer.channels):
                raise report.fail(
                    "output channels out of range", ("layers", i, "channels"), f"numbers 1 to {n}"
                )
            if len(set(layer.channels)) != len(layer.channels):
                raise report.fail("an output channel is listed twice", ("layers", i, "channels"))
    check_speakers(spec, report.fail)
    check_outputs(spec, report.fail)
    check_programme(spec, report.fail)
    check_voices(spec, patches, report.fail)
    layout = ControlLayout(spec, patches)
    check_macros(spec, layout, report.fail)
    for i, layer in enumerate(spec.layers):
        for key, value in layer.params.items():
            _check_target(
                f"{layer.name}.{key}", value, layout, report, ("layers", i, "params", key)
            )

    labels = [m.label for m in spec.mappings]
    for i, m in enumerate(spec.mappings):
        if labels.count(m.label) > 1:
            raise report.fail(f"two mappings are named '{m.label}'", ("mappings", i, "name"))
        feature = m.source.split(".", 1)[1]
        if feature not in COLLECTIVE_FEATURES:
            raise report.fail(
                f"unknown feature '{m.source}'",
                ("mappings", i, "source"),
                _suggest(feature, sorted(COLLECTIVE_FEATURES)),
            )
        _check_target(m.target, None, layout, report, ("mappings", i, "target"))
        if feature in CYCLIC_FEATURES and m.smoothing > 0:
            raise report.fail(
                f"'{m.source}' wraps from 1 to 0 each cycle; smoothing it would sweep "
                "back through the whole cycle",
                ("mappings", i, "smoothing"),
                "smoothing = 0 (let the patch smooth the phase on the circle)",
            )
        if m.mode == "set":
            p = layout.by_name[m.target].param
            for bound in m.out_range:
                if not p.low <= bound <= p.high:
                    raise report.fail(
                        f"out_range {list(m.out_range)} leaves the range of '{m.target}'",
                        ("mappings", i, "out_range"),
                        f"values within {p.low:g} to {p.high:g} {p.unit}".rstrip(),
                    )

    for i, trig in enumerate(spec.triggers):
        layer_name, event = trig.target.split(".", 1)
        patch = patches.get(layer_name)
        events = [e.name for e in patch.events] if patch else []
        if patch is None or event not in events:
            known = [f"{n}.{e.name}" for n, p in patches.items() for e in p.events]
            raise report.fail(
                f"no event '{trig.target}'", ("triggers", i, "target"), _suggest(trig.target, known)
            )

    if spec.midi is not None:
        for note, target in spec.midi.notes.items():
            layer_name, event = target.split(".", 1)
            patch = patches.get(layer_name)
            if patch is None or event not in [e.name for e in patch.events]:
                known = [f"{n}.{e.name}" for n, p in patches.items() for e in p.events]
                raise report.fail(
                    f"no event '{target}'",
                    ("midi", "notes", note),
                    _suggest(target, known) if known else "a layer whose patch has EVENTS",
                )

    for scene_name, scene in spec.scenes.items():
        for key, value in scene.params.items():
            _check_target(key, value, layout, report, ("scenes", scene_name, "params", key))
        for key in scene.mappings:
            if key not in labels:
                raise report.fail(
                    f"scene sets the depth of unknown mapping '{key}'",
                    ("scenes", scene_name, "mappings", key),
                    _suggest(key, labels),
                )
        if scene.dropouts > spec.participants.count:
            raise report.fail(
                "more dropouts than participants",
                ("scenes", scene_name, "dropouts"),
                f"at most {spec.participants.count}",
            )

    previous = -1.0
    for i, cue in enumerate(spec.timeline):
        if cue.scene not in spec.scenes:
            raise report.fail(
                f"unknown scene '{cue.scene}'",
                ("timeline", i, "scene"),
                _suggest(cue.scene, sorted(spec.scenes)),
            )
        if cue.at < previous:
            raise report.fail("cues must be in time order", ("timeline", i, "at"))
        if cue.at >= spec.performance.duration:
            raise report.fail(
                "cue starts after the end of the performance",
                ("timeline", i, "at"),
                f"a time before {spec.performance.duration:g} s",
            )
        previous = cue.at
