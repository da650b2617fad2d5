"""OSC source: real UDP packets on loopback from python-osc and liblo's oscsend."""

from __future__ import annotations

import logging
import math
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from symphony.inputs.source import SignalChunk
from symphony.inputs.sources import open_source
from symphony.inputs.sources.osc_buffer import Stamper
from symphony.inputs.sources.osc_paths import OscHints, OscProblem, OscSamples, parse_message
from symphony.inputs.sources.osc_source import OscSource


@pytest.fixture
def osc() -> Iterator[OscSource]:
    source = open_source({"kind": "osc", "port": 0, "participant": "muse1"})
    assert isinstance(source, OscSource)
    yield source
    source.close()


def _collect(source: OscSource, until: int, timeout: float = 3.0) -> list[SignalChunk]:
    chunks: list[SignalChunk] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunks += source.poll()
        if sum(c.signal.n_samples for c in chunks) >= until:
            break
        time.sleep(0.02)
    return chunks


def test_parse_paths_pure() -> None:
    eeg = parse_message("/muse/eeg", [1.0, 2.0, 3.0, 4.0, 9.0])
    assert eeg == OscSamples(None, "eeg", (1.0, 2.0, 3.0, 4.0), frame=True, rate=256.0)
    shoe = parse_message("/muse/elements/horseshoe", [1.0, 2.0, 4.0, 1.0])
    assert isinstance(shoe, OscHints) and shoe.hints["contact_AF7"] == 0.5
    assert shoe.hints["contact_AF8"] == 0.0
    on = parse_message("/muse/elements/touching_forehead", [1])
    assert isinstance(on, OscHints) and on.hints == {"headset_on": 1.0}
    bci = parse_message("/openbci/time-series-raw/ch2", [1.0, 2.0])
    assert isinstance(bci, OscSamples) and bci.channel == 2 and bci.values == (1.0, 2.0)
    gen = parse_message("/symphony/anna/resp", [1, 2.5])
    assert gen == OscSamples("anna", "resp", (1.0, 2.5))
    assert isinstance(parse_message("/symphony/anna/pulse", [1.0]), OscProblem)
    assert isinstance(parse_message("/muse/eeg", [1.0, 2.0]), OscProblem)
    assert isinstance(parse_message("/muse/eeg", [1.0, "x", 3.0, 4.0]), OscProblem)
    assert isinstance(parse_message("/symphony/a/ppg", [math.nan]), OscProblem)
    assert isinstance(parse_message("/elsewhere", [1.0]), OscProblem)


def test_stamper_lays_blocks_end_to_end_and_reanchors() -> None:
    stamper = Stamper(10.0)
    assert stamper.place(5, 1.0) == pytest.approx(0.5)
    assert stamper.place(5, 1.53) == pytest.approx(1.0)  # jitter: continues the run
    assert stamper.place(5, 9.0) == pytest.approx(8.5)  # gap: re-anchored


def test_muse_stream_with_hints(osc: OscSource) -> None:
    client = SimpleUDPClient("127.0.0.1", osc.port)
    client.send_message("/muse/elements/horseshoe", [1.0, 1.0, 2.0, 4.0])
    for i in range(256):
        client.send_message("/muse/eeg", [float(i), 1.0, 2.0, 3.0])
    for _ in range(64):
        client.send_message("/muse/ppg", [0.0, 5.0, 7.0])
    chunks = _collect(osc, 256 + 64)
    eeg = [c for c in chunks if c.signal.kind == "eeg"]
    data = np.hstack([c.signal.data for c in eeg])
    assert data.shape == (4, 256) and np.array_equal(data[0], np.arange(256.0))
    assert eeg[0].signal.rate == 256.0 and eeg[0].participant == "muse1"
    assert any(c.hints.get("contact_TP10") == 0.0 for c in chunks)
    ppg = np.hstack([c.signal.data for c in chunks if c.signal.kind == "ppg"])
    assert ppg.shape == (64,) and set(ppg.tolist()) == {5.0}
    assert osc.status().connected and osc.problems == {}


def test_openbci_and_generic_schema(osc: OscSource) -> None:
    client = SimpleUDPClient("127.0.0.1", osc.port)
    for ch in range(4):
        client.send_message(f"/openbci/time-series-raw/ch{ch}", [float(ch)] * 50)
        client.send_message(f"/openbci/time-series-filtered/ch{ch}", [9.0] * 50)
    client.send_message("/symphony/anna/ppg", [1.0, 2.0, 3.0])
    client.send_message("/symphony/anna/hint/headset_on", [1.0])
    client.send_message("/symphony/anna/ppg", [4, 5])
    time.sleep(0.3)  # let all four channels arrive: a poll in between takes the ones seen
    chunks = _collect(osc, 55)
    bci = [c for c in chunks if c.signal.kind == "eeg"]
    assert bci[0].signal.data.shape == (4, 50) and bci[0].signal.rate == 250.0
    assert np.array_equal(bci[0].signal.data[:, 0], [0.0, 1.0, 2.0, 3.0])
    anna = [c for c in chunks if c.participant == "anna"]
    assert np.array_equal(np.hstack([c.signal.data for c in anna]), [1, 2, 3, 4, 5])
    assert anna[0].hints == {"headset_on": 1.0}


@pytest.mark.skipif(shutil.which("oscsend") is None, reason="liblo-tools (oscsend) not installed")
def test_oscsend_from_liblo(osc: OscSource) -> None:
    for args in (["fff", "0.1", "0.2", "0.3"], ["ii", "4", "5"]):
        subprocess.run(
            ["oscsend", "localhost", str(osc.port), "/symphony/bob/resp", *args], check=True
        )
    chunks = _collect(osc, 5)
    data = np.hstack([c.signal.data for c in chunks])
    assert np.allclose(data, [0.1, 0.2, 0.3, 4.0, 5.0])
    assert chunks[0].signal.rate == 25.0 and chunks[0].participant == "bob"


def test_malformed_packets_are_counted_and_logged_once(
    osc: OscSource, caplog: pytest.LogCaptureFixture
) -> None:
    client = SimpleUDPClient("127.0.0.1", osc.port)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            client.send_message("/symphony/anna/ppg", ["oops"])
            client.send_message("/symphony/anna/eda", [float("nan")])
            client.send_message("/nowhere", [1.0])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
            raw.sendto(b"\x00garbage", ("127.0.0.1", osc.port))
        if shutil.which("oscsend"):
            subprocess.run(["oscsend", "localhost", str(osc.port), "/muse/eeg", "s", "x"])
        client.send_message("/symphony/anna/eda", [2.0])  # the source still works
        chunks = _collect(osc, 1)
    assert [c.signal.data.tolist() for c in chunks] == [[2.0]]
    assert osc.problems["/symphony/anna/ppg"] == 3
    assert osc.problems["/symphony/anna/eda"] == 3
    assert osc.problems["/nowhere"] == 3 and osc.problems["<not OSC>"] == 1
    warnings = [r.getMessage() for r in caplog.records if "OSC port" in r.getMessage()]
    assert sum("/symphony/anna/ppg" in w for w in warnings) == 1
    assert all(f"OSC port {osc.port}" in w for w in warnings)
    assert "expected a number" in warnings[0]
    assert f"OSC port {osc.port}" in (osc.status().error or "")
