"""A Muse headset taken off drives that person's EEG quality down at once.

Real OSC packets (python-osc over loopback UDP) in Mind Monitor's layout go
to the real OSC source, which the live control process polls (its
`poll_sources`, as in a show) into its feature extractor; the clock is
virtual, so the show time of each packet is known. The EEG itself stays
plausible throughout (a headset lying on a table still sends numbers), so
only the headset's own hints can tell: `touching_forehead` 0 must bring the
quality to 0 from the frames the hint came with, and `horseshoe` with one of
four electrodes "bad" (4) must cap it at 0.75.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from symphony.inputs.sources import open_source
from symphony.live.control import LiveControl
from symphony.performance.loader import load_performance

RING8 = Path(__file__).resolve().parents[2] / "performances" / "ring8.toml"
FS = 256  # Mind Monitor's EEG rate
BLOCK = 0.1  # s of EEG sent between polls


@pytest.fixture
def rig() -> Iterator[tuple[dict[str, float], SimpleUDPClient, LiveControl]]:
    now = {"t": 0.0}
    source = open_source({"kind": "osc", "port": 0, "participant": "muse1"}, clock=lambda: now["t"])
    control = LiveControl(
        load_performance(RING8), [source], lambda t, v: True, lambda: now["t"], rehearsal=False
    )
    yield now, SimpleUDPClient("127.0.0.1", source.port), control  # type: ignore[attr-defined]
    source.close()


def _eeg(n0: int, n: int) -> list[list[float]]:
    """Frames n0 .. n0 + n of four channels: alpha and beta over noise, in microvolts."""
    rng = np.random.default_rng(n0)
    t = (n0 + np.arange(n)) / FS
    base = 12 * np.sin(2 * np.pi * 10 * t) + 5 * np.sin(2 * np.pi * 21 * t)
    return (base[:, None] + rng.normal(0, 3, (n, 4))).tolist()


def test_headset_off_and_bad_electrode_cap_eeg_quality(rig) -> None:
    now, client, control = rig
    script = {
        4.0: ("/muse/elements/touching_forehead", [0]),
        6.0: ("/muse/elements/touching_forehead", [1]),
        8.0: ("/muse/elements/horseshoe", [1.0, 1.0, 1.0, 4.0]),
    }
    sent, times, quality = 0, [], []
    for k in range(1, 111):
        t = round(k * BLOCK, 6)
        hint = script.get(round(t - BLOCK, 6))
        if hint is not None:  # sent with the EEG of the block that starts then
            client.send_message(*hint)
        upto = round(t * FS)
        for frame in _eeg(sent, upto - sent):
            client.send_message("/muse/eeg", frame)
        sent = upto
        now["t"] = t
        time.sleep(0.03)  # let the server thread take the packets (stamped at `now`)
        control.poll_sources()
        track = control.features.pull(t).get("muse1")
        if track is not None and track.n_frames:
            times.append(track.times())
            quality.append(track.values["quality"])
    tt, q = np.concatenate(times), np.concatenate(quality)
    on = (tt > 3.0) & (tt < 3.9)
    assert q[on].min() > 0.8, q[on]
    # Until shortly before it is put back on: a packet is stamped when the server thread
    # takes it, and on a loaded machine the next block's hint can be stamped a little early.
    off = (tt >= 4.1) & (tt < 5.8)
    assert np.all(q[off] == 0.0), q[off]
    back = (tt > 7.0) & (tt < 7.9)
    assert q[back].min() > 0.8  # the EEG never degraded: quality returns with the headset
    bad = (tt >= 8.1) & (tt < 11.0)
    assert bad.sum() > 100
    assert np.all(q[bad] <= 0.75) and q[bad].min() > 0.5, q[bad]
