"""The latency probe performance on the real pyo engine (offline server).

It must be truly silent (the master chain included) until a click is fired,
and the click must start in the very block the engine applies it: that is
what makes it a latency probe. With the limiter's default 5 ms look-ahead the
same click comes 5 ms (240 frames at 48 kHz, give or take one) later.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from symphony.engine.offline import render_offline
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import Schedule
from symphony.performance.loader import Performance, load_performance

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "performances" / "latency-probe.toml"
SILENT = 1e-4
ONSET = 0.01  # the benchmark's threshold (-40 dBFS)


def _render(
    perf: Performance, tmp_path: Path, fire_blocks: list[int], seconds: float = 2.0
) -> npt.NDArray[np.float64]:
    spec = perf.spec
    layout = ControlLayout(spec, perf.patches)
    voice = layout.voices["probe.click"][0]
    blocks, targets, values = [], [], []
    for b in fire_blocks:  # what the MIDI router sends for note 60, velocity 100
        for target, value in ((voice.pan, 0.5), (voice.velocity, 100 / 127), (voice.fire, 1.0)):
            blocks.append(b)
            targets.append(target)
            values.append(value)
    schedule = Schedule(
        np.array(blocks, dtype=np.int64),
        np.array(targets, dtype=np.int64),
        np.array(values, dtype=np.float64),
    )
    out = tmp_path / f"probe-{len(fire_blocks)}.wav"
    initial = layout.initial_values(spec, spec.output)
    render_offline(spec, perf.patches, layout, initial, schedule, out, seconds, seed=1)
    data, rate = sf.read(out, always_2d=True, dtype="float64")
    assert rate == spec.output.sample_rate
    return np.asarray(data)


@pytest.fixture(scope="module")
def probe() -> Performance:
    return load_performance(PROBE)


def test_probe_is_silent_without_a_note(probe: Performance, tmp_path: Path) -> None:
    audio = _render(probe, tmp_path, [], seconds=3.0)
    assert audio.shape[1] == probe.spec.output.channels
    assert len(audio) >= 3 * 48000 - 64
    assert float(np.abs(audio).max()) < SILENT


def test_click_starts_in_the_block_it_is_applied(probe: Performance, tmp_path: Path) -> None:
    bs = probe.spec.output.block_size
    fires = [100, 400, 700]
    audio = _render(probe, tmp_path, fires)
    loud = np.abs(audio[:, 0]) > ONSET
    starts = [i for i in np.flatnonzero(loud) if not loud[max(0, i - 200) : i].any()]
    assert [s // bs for s in starts] == fires, starts
    # Exact silence up to the first block, then the click from the block's first samples.
    assert float(np.abs(audio[: fires[0] * bs]).max()) < SILENT
    for block in fires:
        assert float(np.abs(audio[block * bs : block * bs + 4, 0]).max()) > ONSET
    # Every output gets the click; and it is short: 4 ms, and the master's DC
    # blocker's faint tail below -80 dBFS within 20 ms.
    assert float(np.abs(audio[fires[0] * bs : fires[0] * bs + 8, 1]).max()) > ONSET
    tail = audio[fires[0] * bs + 960 : fires[1] * bs]
    assert float(np.abs(tail).max()) < SILENT
    assert float(np.abs(audio).max()) < 10 ** (-2 / 20)  # under the final clamp


def test_default_lookahead_delays_the_click_by_5_ms(probe: Performance, tmp_path: Path) -> None:
    spec = probe.spec.model_copy(
        update={"output": probe.spec.output.model_copy(update={"limiter_lookahead_ms": 5.0})}
    )
    delayed = Performance(spec=spec, path=probe.path, patches=probe.patches)
    bs = spec.output.block_size
    now = _render(probe, tmp_path, [200], seconds=1.0)
    (tmp_path / "lookahead").mkdir()
    later = _render(delayed, tmp_path / "lookahead", [200], seconds=1.0)
    first_now = int(np.flatnonzero(np.abs(now[:, 0]) > ONSET)[0])
    first_later = int(np.flatnonzero(np.abs(later[:, 0]) > ONSET)[0])
    assert first_now // bs == 200
    assert abs(first_later - first_now - 240) <= 1  # pyo rounds 5 ms to 239 frames
