"""The master safety chain, with the real pyo engine rendering offline.

Whatever a patch or a control value does, the output stays finite, under the
ceiling in true peak, free of DC, and its gain never leaps up.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from symphony.analysis.meters import true_peak_dbtp

SR = 48000


def seconds(x: np.ndarray, a: float, b: float) -> np.ndarray:
    return x[int(a * SR) : int(b * SR)]


@pytest.mark.parametrize("ceiling", [-1.0, -6.0])
def test_poisoned_audio_never_reaches_the_output(render_patch, ceiling: float) -> None:
    changes = [(1.0, "x.mode", 1.0), (2.0, "x.mode", 0.0), (3.0, "x.mode", 2.0)]
    changes += [(4.0, "x.mode", 0.0), (5.0, "x.mode", 3.0), (6.0, "x.mode", 4.0)]
    changes += [(7.0, "x.mode", 0.0)]
    x = render_patch("chaos", changes, duration=8.0, output={"ceiling_dbtp": ceiling}, gain_db=6.0)
    assert np.all(np.isfinite(x))
    assert true_peak_dbtp(x, SR) <= ceiling
    # The sound comes back after each poison: the clean sine is there again.
    for a, b in [(0.2, 0.9), (2.5, 2.9), (4.5, 4.9), (7.5, 7.9)]:
        rms = math.sqrt(float(np.mean(seconds(x, a, b) ** 2)))
        assert rms > 0.05, (a, b, rms)
    # NaN is silenced, not passed on as full-scale noise.
    assert np.max(np.abs(seconds(x, 1.2, 1.9))) < 1e-3


def test_loud_square_is_limited_to_the_ceiling_in_true_peak(render_patch) -> None:
    x = render_patch("chaos", [(0.0, "x.mode", 4.0)], duration=3.0, gain_db=6.0)
    assert true_peak_dbtp(x, SR) <= -1.0
    assert np.max(np.abs(x)) > 10 ** (-4.0 / 20)  # limited, not muted


def test_dc_is_blocked(render_patch) -> None:
    # +inf is clamped to a constant by the scrub: a pure DC step the chain must remove.
    x = render_patch("chaos", [(0.0, "x.mode", 2.0)], duration=4.0)
    assert abs(float(np.mean(seconds(x, 2.0, 4.0)))) < 1e-3


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 1e30, -1e30])
def test_non_finite_and_huge_parameter_values_are_contained(render_patch, bad: float) -> None:
    reference = render_patch("tone", [(0.5, "x.freq", 440.0)], duration=1.5)
    poisoned = render_patch(
        "tone", [(0.5, "x.freq", bad), (0.7, "x.amp", bad), (0.9, "x.gain_db", bad)], duration=1.5
    )
    assert np.all(np.isfinite(poisoned))
    assert true_peak_dbtp(poisoned, SR) <= -1.0
    if not math.isfinite(bad):
        # Replaced by the last good value: exactly the reference render.
        np.testing.assert_array_equal(poisoned, reference)


def test_master_gain_cannot_leap_up(render_patch) -> None:
    x = render_patch(
        "tone",
        [(0.0, "master.gain_db", -60.0), (1.0, "master.gain_db", 0.0)],
        duration=3.0,
        output={"max_gain_rise_db_per_s": 6.0},
    )
    block = 256
    env = np.array(
        [np.max(np.abs(x[i : i + block])) for i in range(int(1.1 * SR), int(3.0 * SR), block)]
    )
    env_db = 20 * np.log10(np.maximum(env, 1e-9))
    # 6 dB/s: two seconds after the jump the gain has risen ~12 dB, not 60.
    assert env_db[-1] - env_db[0] == pytest.approx(6.0 * (len(env) - 1) * block / SR, abs=1.5)


def test_patches_cannot_call_out(tmp_path) -> None:
    from symphony.engine.offline import render_offline
    from symphony.engine.patch import load_patch
    from symphony.errors import PatchError
    from symphony.mapping.layout import ControlLayout
    from symphony.mapping.schedule import Schedule
    from symphony.performance.schema import PerformanceSpec

    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "PARAMS = ()\n\ndef build(ctx):\n    s = ctx.pyo.Sine(440).out()\n"
        "    ctx.keep(s)\n    return ctx.spread(s, 0.5)\n"
    )
    spec = PerformanceSpec.model_validate(
        {"performance": {"duration": 1}, "layers": [{"name": "s", "patch": "sneaky"}]}
    )
    patches = {"s": load_patch(sneaky)}
    layout = ControlLayout(spec, patches)
    with pytest.raises(PatchError, match=r"called \.out\(\)"):
        render_offline(
            spec,
            patches,
            layout,
            layout.initial_values(spec, spec.output),
            Schedule.empty(),
            tmp_path / "s.wav",
            1.0,
            seed=1,
        )
