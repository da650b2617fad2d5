"""Every person's voice through the real pyo engine: where the layout says, and no clicks.

A fixture patch (tests/fixtures/patches/people.py) sings one sine per voice,
each at a frequency set through its own voice parameter; the measured
amplitude of each frequency on each output channel must be the voice's level
times the layout's gain at its seat (stereo: the square-root law; rings:
pairwise VBAP), for stereo, quad, an even ring of 8 and an irregular ring.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from symphony.engine.offline import render_offline
from symphony.engine.patch import load_patch
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import Schedule
from symphony.performance.schema import PerformanceSpec
from tests.engine.test_no_clicks import max_crackle, max_jump

ROOT = Path(__file__).resolve().parents[2]
PATCHES = ROOT / "tests" / "fixtures" / "patches"
SR, BS = 48000, 256
FREQS = (300.0, 500.0, 700.0, 1100.0)  # on the 10 Hz grid of a 4800-sample window
SEATS = (0.0, 0.3, 0.55, 0.81)
AMP = 0.1  # four voices on one speaker stay far below the limiter
IRREGULAR = [-30, 30, 75, 120, 170, -150, -110, -70]
LAYOUTS = {
    "stereo": {"channels": 2},
    "quad": {"channels": 4, "layout": "quad"},
    "ring8": {"channels": 8, "layout": "ring"},
    "irregular": {"channels": 8, "speakers": IRREGULAR},
}


def spec_for(output: dict[str, object], patch: str = "people", count: int = 4) -> PerformanceSpec:
    family = {"people": "tone", "swells": "swell"}[patch]
    return PerformanceSpec.model_validate(
        {
            "performance": {"duration": 4},
            "output": output,
            "layers": [
                {"name": "x", "patch": patch, "params": {"amp": AMP} if patch == "people" else {}}
            ],
            "voices": [{"target": f"x.{family}", "count": count, "fade": 0.5}],
        }
    )


def render(
    spec: PerformanceSpec,
    changes: Sequence[tuple[float, str, float]],
    path: Path,
    duration: float,
    patch: Path = PATCHES / "people.py",
) -> np.ndarray:
    patches = {"x": load_patch(patch)}
    layout = ControlLayout(spec, patches)
    initial = layout.initial_values(spec, spec.output)
    changes = sorted(changes, key=lambda c: c[0])  # the hook plays a schedule in block order
    schedule = Schedule(
        np.array([int(t * SR) // BS for t, _, _ in changes], dtype=np.int64),
        np.array([layout.index(n) for _, n, _ in changes], dtype=np.int64),
        np.array([v for _, _, v in changes], dtype=np.float64),
    )
    render_offline(spec, patches, layout, initial, schedule, path, duration, seed=3)
    data, _ = sf.read(path, always_2d=True)
    return np.asarray(data, dtype=np.float64)


def amplitude(x: np.ndarray, freq: float) -> np.ndarray:
    """Per-channel amplitude of one sine: its projection on cos and sin over whole
    windows of 4800 samples (a whole number of periods of every test frequency, so
    the other voices project to zero); the median over windows."""
    size = 4800
    t = np.arange(size) / SR
    c, s = np.cos(2 * np.pi * freq * t), np.sin(2 * np.pi * freq * t)
    out = []
    for start in range(0, x.shape[0] - size + 1, size):
        seg = x[start : start + size]
        out.append(2.0 / size * np.hypot(c @ seg, s @ seg))
    return np.median(np.array(out), axis=0)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_each_voice_sounds_where_the_layout_puts_its_seat(name: str, tmp_path: Path) -> None:
    spec = spec_for(LAYOUTS[name])
    changes = []
    for v, (freq, seat) in enumerate(zip(FREQS, SEATS, strict=True)):
        changes += [
            (0.0, f"x.tone#{v}.freq", freq),
            (0.0, f"x.tone#{v}.seat", seat),
            (0.0, f"x.tone#{v}.level", 1.0 - 0.2 * v),
        ]
    x = render(spec, changes, tmp_path / f"{name}.wav", 2.2)
    layout = spec.output.speaker_layout()
    steady = x[int(1.0 * SR) :]  # after the level's 0.5 s fade-in
    for v, (freq, seat) in enumerate(zip(FREQS, SEATS, strict=True)):
        expected = np.array(layout.gains(seat))
        measured = amplitude(steady, freq)
        # Where: the share of each speaker (the master's DC blocker takes 0.7 % at
        # 300 Hz from every channel alike). How loud: the voice's level.
        total = float(np.linalg.norm(measured))
        np.testing.assert_allclose(measured / total, expected, atol=1e-3, err_msg=f"{name} {v}")
        assert total == pytest.approx(AMP * (1.0 - 0.2 * v), rel=0.01)
        loudest = set(np.argsort(measured)[-2:])
        assert {int(c) for c in np.flatnonzero(expected > 1e-3)} <= loudest


def test_voice_parameters_and_levels_reach_the_engine(tmp_path: Path) -> None:
    spec = spec_for(LAYOUTS["ring8"], count=2)
    changes = [
        (0.0, "x.tone#0.freq", 500.0), (0.0, "x.tone#0.seat", 0.25), (0.0, "x.tone#0.level", 1.0),
        (0.0, "x.tone#1.level", 0.0),  # silent: nobody holds voice 1
        (1.5, "x.tone#0.freq", 700.0), (1.5, "x.tone#0.depth", 0.5),
    ]  # fmt: skip
    x = render(spec, changes, tmp_path / "params.wav", 3.0)
    before, after = x[int(0.7 * SR) : int(1.5 * SR)], x[int(1.7 * SR) :]
    assert amplitude(before, 500.0)[2] == pytest.approx(AMP, abs=2e-4)  # 0.25 = channel 3
    assert amplitude(after, 500.0)[2] < 1e-3
    assert amplitude(after, 700.0)[2] == pytest.approx(AMP * 0.5, abs=2e-4)
    assert amplitude(x[int(0.7 * SR) :], 440.0).max() < 1e-4  # voice 1 (default pitch) is silent


@pytest.mark.parametrize("layout", ["stereo", "ring8"])
def test_a_voice_whose_person_leaves_fades_without_a_click(layout: str, tmp_path: Path) -> None:
    """The shipped swells patch: a person's level drops from 1 to 0 in one room update."""
    spec = spec_for(LAYOUTS[layout], patch="swells", count=1)
    spec = spec.model_copy(update={"voices": [spec.voices[0].model_copy(update={"fade": 2.0})]})
    swells = ROOT / "patches" / "swells.py"
    base = [(0.0, "x.swell#0.seat", 0.3), (0.0, "x.swell#0.level", 1.0)]
    breath = [(t, "x.swell#0.phase", (t / 4.0) % 1.0) for t in np.arange(0.0, 8.0, 0.04)]
    held = render(spec, base + breath, tmp_path / "held.wav", 8.0, swells)
    left = render(
        spec, [*base, *breath, (4.0, "x.swell#0.level", 0.0)], tmp_path / "left.wav", 8.0, swells
    )
    assert np.all(np.isfinite(left))
    for metric in (max_jump, max_crackle):
        reference = metric(held, 2.0, 8.0)
        measured = metric(left, 4.0, 8.0)
        assert measured <= 1.25 * reference + 1e-4, (metric.__name__, measured, reference)
    # And it did fade: silent once the 2 s glide is over (the reverb tail aside).
    assert np.sqrt(np.mean(left[int(7.0 * SR) :] ** 2)) < 0.1 * np.sqrt(
        np.mean(held[int(7.0 * SR) :] ** 2)
    )


@pytest.mark.parametrize("name", ["quad", "ring8", "irregular"])
def test_pyos_own_ring_output_lands_on_the_real_speakers(name: str, tmp_path: Path) -> None:
    """SPan (and Particle) assume an even ring; `from_ring` maps their streams by VBAP."""
    output = LAYOUTS[name]
    n = int(output["channels"])  # type: ignore[call-overload]
    spec = PerformanceSpec.model_validate(
        {"performance": {"duration": 2}, "output": output, "layers": [{"name": "x", "patch": "r"}]}
    )
    layout = spec.output.speaker_layout()
    for k in (1, n - 1):  # on one of the even ring's points: one stream only
        x = render(spec, [(0.0, "x.pos", k / n)], tmp_path / f"{k}.wav", 1.5, PATCHES / "ringed.py")
        measured = amplitude(x[int(0.5 * SR) :], 500.0)
        total = float(np.linalg.norm(measured))
        np.testing.assert_allclose(measured / total, layout.gains(k / n), atol=1e-3)
