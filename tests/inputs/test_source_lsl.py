"""LSL source against real outlets on loopback: resolve by name and type, lose and resume."""

from __future__ import annotations

import itertools
import time
import uuid

import numpy as np
import pylsl
import pytest

from symphony.inputs.source import SignalChunk
from symphony.inputs.sources import open_source
from symphony.inputs.sources.lsl_source import LslSource, lsl_routes


def _outlet(name: str, stype: str, channels: int, rate: float) -> pylsl.StreamOutlet:
    info = pylsl.StreamInfo(name, stype, channels, rate, "float32", f"{name}-src")
    return pylsl.StreamOutlet(info)


def _pump(
    outlet: pylsl.StreamOutlet, source: LslSource, seconds: float, width: int
) -> list[SignalChunk]:
    chunks: list[SignalChunk] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        outlet.push_chunk(np.ones((4, width)).tolist())
        chunks += source.poll()
        time.sleep(1 / 16)
    return chunks


def test_routes_by_type_and_profile() -> None:
    assert lsl_routes("EEG", 4, [], None)[0].channels == (0, 1, 2, 3)
    assert lsl_routes("GSR", 1, [], None)[0].kind == "eda"
    assert lsl_routes("Markers", 1, [], None) == []
    from symphony.inputs.profiles import load_profile

    routes = lsl_routes("PPG", 3, [], load_profile("muse2"))
    assert routes[0].kind == "ppg" and routes[0].channels == (1,)


def test_resolve_by_name_then_reconnect() -> None:
    tag = uuid.uuid4().hex[:8]
    ppg_name = f"ppg-{tag}"
    ppg = _outlet(ppg_name, "PPG", 1, 64.0)
    source = open_source(
        {
            "kind": "lsl",
            "streams": [
                {"name": ppg_name, "participant": "ana"},
            ],
            "stall_timeout": 2.0,
        }
    )
    assert isinstance(source, LslSource)
    try:
        chunks = []
        end = time.monotonic() + 5.0
        while time.monotonic() < end and not any(c.participant == "ana" for c in chunks):
            chunks += _pump(ppg, source, 0.3, 1)
        assert any(c.participant == "ana" and c.signal.kind == "ppg" for c in chunks)
        got = [c.signal for c in chunks if c.participant == "ana"]
        assert got[0].rate == 64.0 and got[0].data.ndim == 1

        del ppg  # the outlet goes away ...
        deadline = time.monotonic() + 5.0
        while source.status().connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not source.status().connected and "lost" in (source.status().error or "")
        source.poll()  # drop what arrived before the loss
        ppg = _outlet(ppg_name, "PPG", 1, 64.0)  # ... and a new one with the same name appears
        back = time.monotonic()
        resumed: list[SignalChunk] = []
        while time.monotonic() - back < 10.0 and not resumed:
            resumed += _pump(ppg, source, 0.3, 1)
        assert resumed, "no data within 10 s of the outlet's return"
        print(f"LSL resumed {time.monotonic() - back:.2f} s after the outlet returned")
        assert source.status().reconnects >= 1
    finally:
        source.close()


def test_resolve_by_type() -> None:
    tag = uuid.uuid4().hex[:8]
    outlet = _outlet(f"muse-{tag}", "EEG", 4, 256.0)
    source = open_source({"kind": "lsl", "streams": [{"source_id": f"muse-{tag}-src"}]})
    typed = open_source({"kind": "lsl", "streams": [{"type": "EEG", "participant": "cy"}]})
    assert isinstance(source, LslSource) and isinstance(typed, LslSource)
    try:
        chunks: list[SignalChunk] = []
        end = time.monotonic() + 6.0
        while time.monotonic() < end and not (
            any(c.participant == "cy" for c in chunks)
            and any(c.participant != "cy" for c in chunks)
        ):
            outlet.push_chunk(np.ones((8, 4)).tolist())
            chunks += source.poll() + typed.poll()
            time.sleep(1 / 32)
        eeg = [c.signal for c in chunks if c.participant == "cy"]
        assert eeg and eeg[0].data.shape[0] == 4 and eeg[0].rate == 256.0
        assert any(c.participant == f"muse-{tag}-src" for c in chunks)
    finally:
        source.close()
        typed.close()


def test_jittered_stamps_give_chunks_laid_end_to_end() -> None:
    """Sender stamps that wobble by a few ms must not read as gaps or overlaps: the
    feature extractors turn a one-sample gap into NaN (bad signal)."""
    tag = uuid.uuid4().hex[:8]
    outlet = _outlet(f"jitter-{tag}", "PPG", 1, 64.0)
    source = open_source({"kind": "lsl", "streams": [{"name": f"jitter-{tag}"}]})
    rng = np.random.default_rng(7)
    try:
        chunks: list[SignalChunk] = []
        sent = 0
        began = time.monotonic()
        end = began + 8.0
        while time.monotonic() < end and sum(c.signal.n_samples for c in chunks) < 256:
            now = pylsl.local_clock()
            stamps = now - (np.arange(8)[::-1] / 64.0) + rng.uniform(-0.004, 0.004)
            outlet.push_chunk([[float(sent + i)] for i in range(8)], stamps.tolist())
            sent += 8
            chunks += source.poll()
            time.sleep(8 / 64)
        assert sum(c.signal.n_samples for c in chunks) >= 64, "no data arrived"
        for before, after in itertools.pairwise(chunks):
            expected = before.signal.start + before.signal.n_samples / 64.0
            assert after.signal.start == pytest.approx(expected, abs=1e-9)
        values = np.concatenate([c.signal.data for c in chunks])
        np.testing.assert_array_equal(np.diff(values), 1.0)  # nothing lost, nothing twice
    finally:
        source.close()
