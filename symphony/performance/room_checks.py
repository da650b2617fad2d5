"""Cross-reference checks for the room's parts of a performance: speakers, voices, macros.

Like `semantics.py`, each check reports the first problem with the file's
line and key (through the `Fail` callable it is given), before anything
renders: a speaker list one angle short, a voice parameter the patch does not
have, a macro whose range leaves its parameter's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from symphony.collective.voicing import CYCLIC_PERSON_FEATURES
from symphony.engine.patch import PatchSpec
from symphony.engine.speakers import LayoutError
from symphony.errors import PerformanceError
from symphony.features.simple import FEATURES
from symphony.mapping.layout import ControlLayout
from symphony.performance.schema import PerformanceSpec
from symphony.performance.toml_lines import KeyPath

Fail = Callable[[str, KeyPath, "str | None"], PerformanceError]
# Per-person features a voice may follow (quality and stale gate the voice instead).
VOICE_FEATURES = tuple(name for name in FEATURES if name not in ("quality", "stale"))
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


def _suggest(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "one of: " + ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")


def check_speakers(spec: PerformanceSpec, fail: Fail) -> None:
    """The layout fits `channels`, and every layer's channels can place a sound."""
    out = spec.output
    if out.layout is not None and out.speakers is not None:
        raise fail(
            "give either a named layout or speaker angles, not both",
            ("output", "speakers"),
            "remove 'layout' (the angles say where the speakers are)",
        )
    if out.speakers is not None and len(out.speakers) != out.channels:
        raise fail(
            f"{len(out.speakers)} speaker angles for {out.channels} channels",
            ("output", "speakers"),
            f"one angle per channel ({out.channels}), degrees clockwise from the front",
        )
    key = "speakers" if out.speakers is not None else "layout"
    try:
        layout = out.speaker_layout()
    except LayoutError as exc:
        raise fail(str(exc), ("output", key), None) from None
    for i, layer in enumerate(spec.layers):
        if layer.channels is None or len(layer.channels) in (1, 2, out.channels):
            continue
        try:
            layout.subset([c - 1 for c in layer.channels])
        except LayoutError as exc:
            raise fail(
                f"the layer's speakers do not form a ring: {exc}",
                ("layers", i, "channels"),
                "1 or 2 channels, or speakers all around the room",
            ) from None


def check_voices(spec: PerformanceSpec, patches: dict[str, PatchSpec], fail: Fail) -> None:
    """Every `[[voices]]` entry names a voice family, and maps features onto its parameters."""
    seen: set[str] = set()
    for i, entry in enumerate(spec.voices):
        layer_name, family_name = entry.target.split(".", 1)
        patch = patches.get(layer_name)
        families = [f.name for f in patch.voice_families] if patch else []
        if patch is None or family_name not in families:
            known = [f"{n}.{f.name}" for n, p in patches.items() for f in p.voice_families]
            raise fail(
                f"no voice family '{entry.target}'",
                ("voices", i, "target"),
                _suggest(entry.target, known) if known else "a layer whose patch has VOICES",
            )
        if entry.target in seen:
            raise fail(
                f"'{entry.target}' has two [[voices]] entries", ("voices", i, "target"), None
            )
        seen.add(entry.target)
        family = patch.family(family_name)
        for name, mapping in entry.params.items():
            loc: KeyPath = ("voices", i, "params", name)
            if name not in family.param_names:
                raise fail(
                    f"voice family '{entry.target}' has no parameter '{name}'",
                    loc,
                    _suggest(name, list(family.param_names)) if family.params else "none",
                )
            if mapping.source not in VOICE_FEATURES:
                raise fail(
                    f"unknown per-person feature '{mapping.source}'",
                    (*loc, "source"),
                    _suggest(mapping.source, list(VOICE_FEATURES)),
                )
            if mapping.source in CYCLIC_PERSON_FEATURES and (
                mapping.in_range or mapping.out_range or mapping.invert or mapping.curve != "linear"
            ):
                raise fail(
                    f"'{mapping.source}' wraps from 1 to 0 each cycle; it passes through as it is",
                    loc,
                    f'{name} = {{ source = "{mapping.source}" }}',
                )
            p = family.param(name)
            for bound in mapping.out_range or ():
                if not p.low <= bound <= p.high:
                    raise fail(
                        f"out_range {list(mapping.out_range or ())} leaves the range of '{name}'",
                        (*loc, "out_range"),
                        f"values within {p.low:g} to {p.high:g} {p.unit}".rstrip(),
                    )


def check_macros(spec: PerformanceSpec, layout: ControlLayout, fail: Fail) -> None:
    """Every macro moves existing parameters, within their ranges, as its mode needs."""
    known = [t.name for t in layout.continuous()]
    for name, macro in spec.macros.items():
        if not _NAME.match(name):
            raise fail(
                f"macro name '{name}' is not a name", ("macros", name), "letters, digits, _ -"
            )
        for k, target in enumerate(macro.targets):
            loc: KeyPath = ("macros", name, "targets", k)
            t = layout.by_name.get(target.target)
            if t is None or t.kind not in ("param", "gain", "master"):
                raise fail(
                    f"no parameter '{target.target}'",
                    (*loc, "target"),
                    _suggest(target.target, known),
                )
            if macro.mode == "crossfade":
                if target.to is None or target.range is not None:
                    raise fail(
                        "a crossfade macro blends each target towards 'to'",
                        loc,
                        f'{{ target = "{target.target}", to = VALUE }}',
                    )
                values: tuple[float, ...] = (target.to,)
            else:
                if target.range is None or target.to is not None:
                    raise fail(
                        f"a '{macro.mode}' macro moves each target over a 'range'",
                        loc,
                        f'{{ target = "{target.target}", range = [AT_0, AT_1] }}',
                    )
                values = target.range
            p = t.param
            for v in values:
                if not p.low <= v <= p.high:
                    raise fail(
                        f"{v:g} is outside the range of '{target.target}'",
                        (*loc, "to" if macro.mode == "crossfade" else "range"),
                        f"{p.low:g} to {p.high:g} {p.unit}".rstrip(),
                    )
        names = [t.target for t in macro.targets]
        for k, moved in enumerate(names):
            if names.index(moved) != k:
                raise fail(f"macro moves '{moved}' twice", ("macros", name, "targets", k), None)
