"""A held note's release is a short fade, not a click: the router's own changes
for a gate (note-on, then the release an unplug causes) rendered by the real
engine offline, where no xrun can cut the audio, sample-exact and repeatable.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile as sf

from symphony.engine.offline import render_offline
from symphony.live.midi_router import Router
from symphony.mapping.layout import LAYER_GAIN, ControlLayout
from symphony.mapping.schedule import Schedule
from symphony.midi.messages import NoteOn
from symphony.midi.profiles import load_profile
from symphony.performance.loader import load_performance
from tests.live.show import PADS, PADS_PROFILE

SR, BS = 48000, 256
PRESS_BLOCK, RELEASE_BLOCK = 20, 200  # 0.107 s and 1.067 s
RELEASE_AT = RELEASE_BLOCK * BS  # first sample of the release block


def test_a_gate_released_by_an_unplug_fades_out_without_a_click(tmp_path: Path) -> None:
    perf = load_performance(PADS)
    spec = perf.spec.model_copy(update={"scenes": {}, "timeline": [], "mappings": []})
    layout = ControlLayout(spec, perf.patches)
    router = Router(load_profile(PADS_PROFILE), layout, lambda target: math.nan)
    pressed, _ = router.route(NoteOn(1, 36, 127))
    released, _ = router.release_all()  # what the MIDI process does when the device vanishes
    changes = [(PRESS_BLOCK, c) for c in pressed] + [(RELEASE_BLOCK, c) for c in released]
    schedule = Schedule(
        np.array([b for b, _ in changes], dtype=np.int64),
        np.array([c.target for _, c in changes], dtype=np.int64),
        np.array([c.value for _, c in changes]),
    )
    out = tmp_path / "gate.wav"
    initial = layout.initial_values(spec, spec.output)
    initial[layout.index("tone.gain_db")] = LAYER_GAIN.low  # only the pad layer sounds
    render_offline(spec, perf.patches, layout, initial, schedule, out, 1.6, seed=5)
    x, _ = sf.read(out, always_2d=True)
    left = np.asarray(x[:, 0], dtype=np.float64)

    def peak(start: float, end: float) -> float:
        return float(np.abs(left[int(start * SR) : int(end * SR)]).max())

    held = peak(0.6, 1.0)
    assert held > 0.05, "the gate never opened"
    release = RELEASE_AT / SR
    # A fade: 10 ms in, most of the sound is still there; 25 ms in, about half
    # (the layer gain glides linearly over LAYER_GAIN.smoothing = 50 ms) ...
    assert peak(release + 0.005, release + 0.010) > 0.7 * held
    assert 0.3 * held < peak(release + 0.020, release + 0.030) < 0.7 * held
    # ... and short: 80 ms in, the note is more than 60 dB down.
    assert peak(release + 0.08, 1.6) < held * 1e-3
    # No click: no sample-to-sample jump across the release larger than the
    # held sine's own (a cut would jump by up to the whole 660 Hz amplitude).
    steady = float(np.abs(np.diff(left[int(0.6 * SR) : int(1.0 * SR)])).max())
    across = float(np.abs(np.diff(left[RELEASE_AT - BS : RELEASE_AT + 4800])).max())
    assert across <= 1.01 * steady
