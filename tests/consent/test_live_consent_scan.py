"""The consent scan of a live show on a real JACK server (issue 10, "What it must show" 3).

Three people send PPG over OSC to a real `symphony live` (its own process,
a real `jackd -d dummy`, a dedicated TMPDIR):

- anna consented to `record` and keeps it: her raw samples, her beats and
  a lane following her heart rate must be found (or the scan proves nothing);
- ben never consented to `record`: nothing of his may be anywhere;
- chloe consented, then withdraws halfway with `/symphony/chloe/consent 0 0`
  over OSC: nothing of hers may be left either, not even what was kept
  before she withdrew.

Every file the run wrote is scanned (session log, the raw signals folder,
the show's own output, the temp dir, and the shared memory it left behind): for
raw samples (text or binary floats), beat times, trigger events at their
beats, and any lane that follows their heart rate. Heart rates are chosen
so the room's median is anna's while all three are heard (ben above,
chloe below): a median over 3 or more people is the room's and may be kept.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from pythonosc.udp_client import SimpleUDPClient

from symphony.session.log import read_session
from tests.consent.scan import (
    PPG_RATE,
    Body,
    beat_match,
    beat_time_traces,
    best_correlation,
    event_rate,
    lanes,
    owned_lines,
    pulse_body,
    raw_traces,
    sine,
    square,
    triangle,
    written_files,
)
from tests.jack_server import jack_server

LIVE = (sys.executable, "-m", "symphony.cli", "live")
PATCHES = Path(__file__).resolve().parents[1] / "fixtures" / "patches"
SHOW = 70.0  # s of signals sent
WITHDRAW = 50.0  # s: chloe withdraws (everyone is heard from about 20 s on)
FOLLOWS = 0.7  # |r| above which a lane follows someone's heart rate
KEPT = 0.6  # |r| a consenting person's lane reaches at least (others stay under 0.5)
BEATS = 0.6  # share of someone's beats an event train follows: their heartbeat
WINDOW = 0.1  # s: a trigger fires at the first room update after the beat is found


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _performance(tmp: Path, port: int) -> Path:
    text = f"""
[performance]
title = "consent scan"
duration = 300
seed = 5

[participants]
voices = 3

[[sources]]
name = "phones"
kind = "osc"
port = {port}
consent = {{ anna = true, chloe = true }}   # ben is not asked: he never consented

[[layers]]
name = "tone"
patch = "{PATCHES / "tone.py"}"
gain_db = -6

[[mappings]]
name = "heart"
source = "collective.heart_rate"
target = "tone.freq"
in_range = [40, 140]
out_range = [200, 800]
smoothing = 0.3

[[triggers]]
source = "heartbeat"
target = "tone.ping"
"""
    path = tmp / "show.toml"
    path.write_text(text)
    return path


def _bodies() -> dict[str, Body]:
    return {
        "anna": pulse_body("anna", sine(80.0, 20.0, 13.0), SHOW, 34567.0, 1),
        "ben": pulse_body("ben", square(115.0, 145.0, 10.0), SHOW, 12345.0, 2),
        "chloe": pulse_body("chloe", triangle(42.0, 55.0, 17.0), SHOW, 23456.0, 3),
    }


def _play(show: Path, log: Path, port: int, tmpdir: Path, out: Path) -> tuple[int, float]:
    """Run the show, send the bodies in real time, withdraw chloe halfway; the exit code
    and the wall-clock time the bodies began."""
    bodies = _bodies()
    env = {**os.environ, "TMPDIR": str(tmpdir), "TMP": str(tmpdir), "TEMP": str(tmpdir)}
    with out.open("w") as output:
        live = subprocess.Popen(
            [*LIVE, str(show), "--duration", "300", "--no-console", "--record", str(log)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            _wait_started(live, out)
            began = _send(live, bodies, port)
            live.send_signal(2)  # SIGINT: the show ends as a performer ends it
            return live.wait(60), began
        finally:
            if live.poll() is None:
                live.kill()
                live.wait()


def _wait_started(live: subprocess.Popen[bytes], out: Path) -> None:
    """Until the show says it plays (the OSC port listens by then)."""
    deadline = time.monotonic() + 60.0  # a guard against a hang, not a measurement
    while "symphony live: consent scan" not in out.read_text(errors="replace"):
        assert live.poll() is None, out.read_text(errors="replace")[-2000:]
        assert time.monotonic() < deadline, "the show did not start"
        time.sleep(0.05)


def _send(live: subprocess.Popen[bytes], bodies: dict[str, Body], port: int) -> float:
    osc = SimpleUDPClient("127.0.0.1", port)
    n = int(SHOW * PPG_RATE)
    sent = 0
    withdrawn = False
    wall = time.time()
    began = time.monotonic()
    while live.poll() is None and sent < n:
        elapsed = time.monotonic() - began
        due = min(n, int(elapsed * PPG_RATE))
        if due > sent:
            for body in bodies.values():
                values = [float(v) for v in body.ppg[sent:due]]
                osc.send_message(f"/symphony/{body.name}/ppg", values)
            sent = due
        if not withdrawn and elapsed >= WITHDRAW:
            osc.send_message("/symphony/chloe/consent", [0, 0])
            withdrawn = True
        time.sleep(0.02)
    assert live.poll() is None, "the show ended before the bodies were sent"
    return wall


def test_live_show_keeps_nothing_of_who_did_not_consent_or_withdrew(tmp_path: Path) -> None:
    port = _free_udp_port()
    show = _performance(tmp_path, port)
    log = tmp_path / "show.session"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out = tmp_path / "live-output.txt"
    shm_before = set(Path("/dev/shm").iterdir())
    with jack_server():
        code, began = _play(show, log, port, tmpdir, out)
    # Shared memory the show left (the engine's rings); JACK's own (servers of other
    # runs too, 100 MB each) holds audio buffers, not ours to scan.
    shm_left = [
        p
        for p in Path("/dev/shm").iterdir()
        if p not in shm_before and p.is_file() and not p.name.startswith("jack")
    ]
    files = written_files([tmp_path, *shm_left])
    said = out.read_text(errors="replace")
    assert code == 0, said[-3000:]
    session = read_session(log)
    assert session.duration > SHOW, f"the show played {session.duration:.0f} s: {said[-2000:]}"
    status = [line for line in said.splitlines() if " people heard " in line]
    assert status and "no sound 1" in status[-1], status[-3:]  # chloe's withdrawal held
    bodies = _bodies()
    anna, ben, chloe = bodies["anna"], bodies["ben"], bodies["chloe"]
    # Our own inputs are not the run's output: the test's performance file only.
    files = [p for p in files if p != show]

    # Raw samples: anna's are kept beside the session log, nobody else's anywhere.
    assert raw_traces(anna, [tmp_path / "show.signals" / "anna-ppg.csv"]), "anna was not kept"
    assert sorted(p.name for p in (tmp_path / "show.signals").iterdir()) == ["anna-ppg.csv"]
    for body in (ben, chloe):
        assert raw_traces(body, files) == [], body.name
        assert beat_time_traces(body, files) == [], body.name

    # The session log: every lane and every event train, against everyone's heart.
    header = session.header
    start = began - header.started  # the bodies' t = 0 in the log's time, to a second or so
    schedule = session.schedule
    per_block = header.block_size / header.sample_rate
    by_lane = lanes(header.targets, schedule.blocks, schedule.targets, schedule.values, per_block)
    assert "tone.freq" in by_lane, sorted(by_lane)
    r_anna = best_correlation(*by_lane["tone.freq"], anna, start, (20.0, WITHDRAW))
    assert r_anna > KEPT, f"tone.freq does not follow anna's heart (r = {r_anna:.2f})"
    for name, (times, values) in by_lane.items():
        for body in (ben, chloe):
            r = best_correlation(times, values, body, start, (0.0, SHOW))
            assert r < FOLLOWS, f"{name} follows {body.name}'s heart rate (r = {r:.2f})"
    # Event trains: a heartbeat trigger per beat *is* someone's heart rhythm. The control
    # loop fires a beat when it finds it (late, in batches on a loaded machine), so a
    # train is compared by its rate, and by its timing for those who must not be there.
    trains = {name: times for name, (times, _) in by_lane.items() if name.endswith(".fire")}
    assert trains, sorted(by_lane)
    kept = owned_lines(log, "anna", header.targets, ".fire")
    assert kept > 0.5 * anna.beats.size, f"anna's beats are not in the log ({kept} kept)"
    # Any lane whose changes are sparse could carry beat times in *when* it changes
    # (a voice's velocity, its pan): all of them, not only the triggers.
    sparse = {
        name: times
        for name, (times, _) in by_lane.items()
        if times.size > 5 and float(np.median(np.diff(times))) >= 0.2
    }
    assert set(trains) <= set(sparse), sorted(sparse)
    for name, times in sparse.items():
        for body in (ben, chloe):
            share = beat_match(times, body, start, (0.0, SHOW), WINDOW)
            assert share < BEATS, f"{name} follows {body.name}'s beats ({share:.0%})"
            grid, rate = event_rate(times, start, start + SHOW)
            r = best_correlation(grid, rate, body, start, (0.0, SHOW))
            assert r < FOLLOWS, f"{name} beats at {body.name}'s heart rate (r = {r:.2f})"
    rates = [event_rate(times, start, start + SHOW) for times in trains.values()]
    r_anna = max(best_correlation(g, r, anna, start, (15.0, SHOW - 4.0)) for g, r in rates)
    assert r_anna > KEPT, f"no event train beats at anna's heart rate (r = {r_anna:.2f})"
    for body in (ben, chloe):
        assert owned_lines(log, body.name, header.targets, "") == 0, body.name
