"""The realtime driver on a real JACK server (dummy backend), in its own process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symphony.engine.realtime import EngineProcess, RealtimeOptions
from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from tests.jack_server import Capture, jack_server

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "mini.toml"


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def test_engine_plays_on_jack_and_follows_control_changes() -> None:
    perf = load_performance(MINI)
    layout = ControlLayout(perf.spec, perf.patches)
    with jack_server() as server:
        engine = EngineProcess(MINI, RealtimeOptions(audio="jack", client_name="symphony"))
        engine.start()
        try:
            import jack

            probe = jack.Client("lister", no_start_server=True, servername=server)
            names = [p.name for p in probe.get_ports("symphony:")]
            probe.close()
            assert names == ["symphony:out_1", "symphony:out_2"]
            mic = Capture(server, names)
            try:
                before = mic.record(0.6)
                engine.send(layout.index("tone.amp"), 0.0)
                mic.record(0.3)  # let the 50 ms smoothing settle
                silent = mic.record(0.6)
                engine.send(layout.index("tone.amp"), float("nan"))  # must be ignored
                engine.send(layout.index("tone.amp"), 0.5)
                mic.record(0.3)
                loud = mic.record(0.6)
            finally:
                mic.close()
        finally:
            engine.stop()
    assert before.shape[0] > 0.3 * 48000
    assert rms(before) > 0.01
    assert rms(silent) < 1e-4
    assert rms(loud) > 1.5 * rms(before)
    assert np.all(np.isfinite(loud))
    assert np.max(np.abs(loud)) <= 10 ** (-1.0 / 20)


def test_missing_jack_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from symphony.errors import SymphonyError

    monkeypatch.setenv("JACK_DEFAULT_SERVER", "no-such-server-here")
    engine = EngineProcess(MINI, RealtimeOptions(audio="jack"))
    with pytest.raises(SymphonyError, match="did not start"):
        engine.start(timeout=8.0)
