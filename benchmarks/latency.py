"""Note-to-sound latency and xruns of `symphony live`, against a bare pyo + rtmidi client.

For each period (64 and 256 frames at 48 kHz) a private JACK server on the
dummy driver is started, and on it, one after the other:

- **symphony**: the full live command, ``symphony live
  performances/latency-probe.toml --participants 16`` with its session log,
  and its console when this checkout has one (it runs under a
  pseudo-terminal, so a curses UI draws; the table says which ran). The
  probe performance is silent except a 4 ms click on note 60, channel 1,
  through the default MIDI mapping (MIDI process -> engine queue -> next
  block).
- **bare**: a plain pyo + python-rtmidi client (no symphony code): the
  rtmidi JACK callback fires a pyo ``Trig`` that plays the same click. This
  is the physical limit: a JACK client that reacts to MIDI in its next cycle.
- **symphony, look-ahead 5 ms**: the same probe with the master limiter's
  default look-ahead, latency only, to show what that setting costs a show.

Each is measured by two clients of its own: this script's meter (a JACK
client sending note 60 at the first frame of a cycle and finding the first
sample above -40 dBFS on the system's ``out_1``; it also counts the server's
xruns for ``--minutes`` while it probes), then ``shared/tools/latency_probe.py``
as an independent referee (it sends 7 frames into a cycle, so its "one
period" reads as period - 7 frames).

Symphony and bare alternate in ``--rounds`` rounds (ABBA ...), each a fresh
start of the system, so the drifting load of a shared machine hits both
alike; ``--minutes`` is each system's total probing time.

Targets (reported, not enforced): median = 1 period, p99 <= 2 periods, xruns
<= 1.1x the bare client's in the same run. Exit status 1 if anything failed
to measure.

Usage: python benchmarks/latency.py [--minutes 10] [--rounds 4] [--quick] [--periods 64 256]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import math
import os
import pty
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "performances" / "latency-probe.toml"
REFEREE = ROOT.parent / "shared" / "tools" / "latency_probe.py"
RATE = 48000
NOTE_ON = (0x90, 60, 100)
NOTE_OFF = (0x80, 60, 0)
THRESHOLD = 0.01  # -40 dBFS: the click peaks near -8 dBFS
QUIET = 0.001
SETTLE_S = 0.05  # quiet before each note
MISS_S = 1.0  # no onset within this long: a miss

sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------- pure parts


@dataclass
class Stats:
    """Latencies in frames of one system at one period."""

    period: int
    frames: list[int] = field(default_factory=list)
    misses: int = 0
    xruns: int = 0
    seconds: float = 0.0

    @property
    def n(self) -> int:
        return len(self.frames)

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.frames, q)) if self.frames else math.nan

    @property
    def xruns_per_minute(self) -> float:
        return self.xruns * 60.0 / self.seconds if self.seconds > 0 else math.nan


def first_onset(block: np.ndarray, threshold: float) -> int | None:
    """Index of the first sample whose magnitude exceeds `threshold`, or None."""
    hits = np.flatnonzero(np.abs(block) > threshold)
    return int(hits[0]) if hits.size else None


def cell(frames: float, period: int) -> str:
    """'57 (0.89)': frames and periods."""
    if math.isnan(frames):
        return "-"
    return f"{frames:.0f} ({frames / period:.2f})"


def table(rows: list[dict[str, Any]]) -> str:
    """The result table, Markdown, one row per system and period."""
    head = (
        "| system | period | n | misses | median | p99 | max | referee median / p99 | xruns/min |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for r in rows:
        s: Stats = r["stats"]
        p = s.period
        ref = r.get("referee") or {}
        if "median_periods" in ref:
            referee = f"{ref['median_periods']:.2f} / {ref['p99_periods']:.2f}"
        else:
            referee = "-" if r.get("referee") is None else "failed"
        xr = "-" if r.get("latency_only") else f"{s.xruns_per_minute:.1f}"
        lines.append(
            f"| {r['system']} | {p} | {s.n} | {s.misses} | {cell(s.percentile(50), p)} | "
            f"{cell(s.percentile(99), p)} | {cell(max(s.frames, default=math.nan), p)} | "
            f"{referee} | {xr} |"
        )
    return "\n".join(lines)


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """The issue's targets against what was measured (symphony vs bare, per period)."""
    out = []
    by = {(r["system"], r["stats"].period): r["stats"] for r in rows}
    for (system, period), s in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if system != "symphony" or not s.frames:
            continue
        med, p99 = s.percentile(50) / period, s.percentile(99) / period
        line = (
            f"{period} frames: median {med:.2f} periods "
            f"({'meets' if med <= 1.0 + 1e-9 else 'misses'} 1), "
            f"p99 {p99:.2f} ({'meets' if p99 <= 2.0 else 'misses'} <= 2)"
        )
        bare = by.get(("bare", period))
        if bare is not None and bare.seconds > 0 and s.seconds > 0:
            a, b = s.xruns_per_minute, bare.xruns_per_minute
            ratio = a / b if b > 0 else (1.0 if a == 0 else math.inf)
            line += f", xruns {a:.1f}/min vs bare {b:.1f}/min = {ratio:.2f}x "
            line += f"({'meets' if ratio <= 1.1 else 'misses'} <= 1.1x)"
        out.append(line)
    return out


# --------------------------------------------------------------------------- the meter


class Meter:
    """A JACK client that plays note 60 into a system and times its sound.

    Its process callback: wait for SETTLE_S of quiet, write note-on at frame 0
    of a cycle, look for the first sample above THRESHOLD in the following
    cycles, then note-off. Latency = cycles since the note x period + the
    onset's index. The server's xruns are counted while it runs.
    """

    def __init__(self, midi_to: str, audio_from: str, name: str = "latency_meter") -> None:
        import jack

        self.client = jack.Client(name, no_start_server=True)
        self.period = self.client.blocksize
        self.midi_out = self.client.midi_outports.register("out")
        self.audio_in = self.client.inports.register("in")
        self.stats = Stats(self.period)
        self.running = False
        self._phase = "settle"
        self._quiet = 0
        self._waited = 0
        settle = max(1, math.ceil(SETTLE_S * self.client.samplerate / self.period))
        miss = math.ceil(MISS_S * self.client.samplerate / self.period)

        @self.client.set_process_callback
        def process(frames: int) -> None:
            self.midi_out.clear_buffer()
            if not self.running:
                return
            x = self.audio_in.get_array()
            if self._phase == "settle":
                self._quiet = self._quiet + 1 if float(np.max(np.abs(x))) < QUIET else 0
                if self._quiet >= settle:
                    self.midi_out.write_midi_event(0, bytes(NOTE_ON))
                    self._waited, self._phase = 0, "wait"
                return
            self._waited += 1
            onset = first_onset(x, THRESHOLD)
            if onset is not None:
                # Cycles of audio since the note (its frame 0), not JACK's frame
                # clock, which can stall or jump around xruns.
                self.stats.frames.append(self._waited * frames + onset)
            elif self._waited < miss:
                return
            else:
                self.stats.misses += 1
            self.midi_out.write_midi_event(0, bytes(NOTE_OFF))
            self._phase, self._quiet = "settle", 0

        @self.client.set_xrun_callback
        def xrun(delay: float) -> None:
            if self.running:
                self.stats.xruns += 1

        self.client.activate()
        self.client.connect(self.midi_out, midi_to)
        self.client.connect(audio_from, self.audio_in)

    def run(self, seconds: float, count: int | None = None) -> Stats:
        """Probe for `seconds`, or until `count` latencies are measured."""
        start = time.monotonic()
        self.running = True
        try:
            while time.monotonic() - start < seconds:
                if count is not None and self.stats.n >= count:
                    break
                time.sleep(0.05)
        finally:
            self.running = False
        self.stats.seconds = time.monotonic() - start
        return self.stats

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


def wait_for_ports(names: list[str], timeout: float, alive: subprocess.Popen[bytes]) -> bool:
    import jack

    client = jack.Client("latency_watch", no_start_server=True)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and alive.poll() is None:
            present = {p.name for p in client.get_ports()}
            if all(n in present for n in names):
                return True
            time.sleep(0.25)
        return False
    finally:
        client.close()


def run_referee(midi_to: str, audio_from: str, count: int, referee: Path) -> dict[str, Any]:
    """shared/tools/latency_probe.py's JSON line, or {'error': ...}."""
    if not referee.is_file():
        return {"error": f"referee not found: {referee}"}
    try:
        done = subprocess.run(
            [
                *(sys.executable, str(referee), "--midi-to", midi_to, "--audio-from", audio_from),
                *("--note", "60", "--count", str(count), "--timeout", str(max(60, count))),
            ],
            capture_output=True,
            text=True,
            timeout=max(60, count) + 30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": "referee timed out"}
    lines = done.stdout.strip().splitlines()
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": f"referee said: {done.stderr.strip()[-300:]}"}
    if done.returncode != 0:
        result["error"] = f"referee measured {result.get('measured')} of {count}"
    return result


# --------------------------------------------------------------------------- systems under test


def has_console() -> bool:
    return (ROOT / "symphony" / "console").is_dir()


@contextlib.contextmanager
def symphony_live(
    performance: Path, period: int, seconds: float, folder: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """The full live command under a pseudo-terminal (console if there is one)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    cmd = [sys.executable, "-m", "symphony", "live", str(performance), "--participants", "16"]
    cmd += ["--buffer", str(period), "--duration", f"{seconds:.0f}"]
    record = folder / f"probe-{period}-{time.monotonic_ns()}.session"  # one log per show
    cmd += ["--record", str(record)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    log = (folder / f"live-{period}.log").open("wb")
    proc = subprocess.Popen(
        cmd, stdin=slave, stdout=slave, stderr=log, env=env, cwd=folder, start_new_session=True
    )
    os.close(slave)

    def drain() -> None:  # a full pty would block the console's writes
        with contextlib.suppress(OSError):
            while os.read(master, 65536):
                pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield proc
    finally:
        stop(proc)
        os.close(master)
        log.close()


BARE_CLIENT = r"""
import math, os, signal, sys, threading
os.environ.setdefault("PYO_GUI_WX", "0")
import pyo, rtmidi
period = int(sys.argv[1])
s = pyo.Server(sr=48000, nchnls=2, buffersize=period, duplex=0, audio="jack", jackname="bare")
s.setJackAuto(False, False)
s.boot()
s.setJackOutputPortNames(["out_1", "out_2"])
n = 1024  # the probe patch's click: a 2 kHz cosine over 4 ms, decaying 5 e-folds
table = pyo.DataTable(n, init=[math.exp(-5 * i / n) * math.cos(2 * math.pi * 8 * i / n)
                               for i in range(n - 1)] + [0.0])
trig = pyo.Trig()
velocity = pyo.Sig(0.0)
click = pyo.TrigEnv(trig, table=table, dur=0.004, interp=1, mul=velocity * 0.5)
out = pyo.Mix(click, voices=2).out()
def on_midi(message, _data=None):
    data = message[0]
    if len(data) == 3 and data[0] & 0xF0 == 0x90 and data[1] == 60 and data[2] > 0:
        velocity.value = data[2] / 127.0
        trig.play()
midi = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="bare-midi")
midi.open_virtual_port("midi_in")
midi.set_callback(on_midi)
s.start()
stop = threading.Event()
signal.signal(signal.SIGINT, lambda *a: stop.set())
signal.signal(signal.SIGTERM, lambda *a: stop.set())
stop.wait()
midi.close_port()
s.stop()
"""


@contextlib.contextmanager
def bare_client(period: int, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    script = folder / "bare_client.py"
    script.write_text(BARE_CLIENT)
    log = (folder / f"bare-{period}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(period)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def lookahead_copy(folder: Path, ms: float) -> Path:
    """The probe performance with another limiter look-ahead, beside its patch."""
    text = PROBE.read_text().replace("limiter_lookahead_ms = 0", f"limiter_lookahead_ms = {ms:g}")
    text = text.replace('patch = "probe"', f'patch = "{ROOT / "patches" / "probe.py"}"')
    path = folder / f"latency-probe-lookahead-{ms:g}.toml"
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- the run


def measure(
    system: str,
    proc: subprocess.Popen[bytes],
    midi_to: str,
    audio_from: str,
    period: int,
    seconds: float,
    count: int,
    referee: Path | None,
) -> dict[str, Any]:
    row: dict[str, Any] = {"system": system, "stats": Stats(period), "referee": None}
    if not wait_for_ports([midi_to, audio_from], 120.0, proc):
        row["error"] = f"{system}: ports {midi_to}, {audio_from} never appeared"
        return row
    time.sleep(2.0)  # first blocks, first features
    meter = Meter(midi_to, audio_from)
    try:
        if seconds > 0:
            row["stats"] = meter.run(seconds)
        else:  # latency only: `count` notes, no xrun window
            row["stats"] = meter.run(count * 0.5 + 30.0, count=count)
    finally:
        meter.close()
    if referee is not None:
        row["referee"] = run_referee(midi_to, audio_from, count, referee)
    s, ref = row["stats"], row["referee"]
    print(f"  {system} at {period}: {s.n} notes, {s.xruns} xruns, {ref}", file=sys.stderr)
    return row


PORTS = {
    "symphony": ("symphony-midi:midi_in", "symphony:out_1"),
    "bare": ("bare-midi:midi_in", "bare:out_1"),
}


def merge(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Add one round's measurement of a system to its row."""
    s, p = total["stats"], part["stats"]
    s.frames.extend(p.frames)
    s.misses += p.misses
    s.xruns += p.xruns
    s.seconds += p.seconds
    if part.get("referee") is not None:
        total["referee"] = part["referee"]
    if "error" in part:
        total["error"] = part["error"]


@contextlib.contextmanager
def jack_dummy(period: int, realtime: bool) -> Iterator[str]:
    """A private JACK dummy server; `realtime` runs its threads SCHED_FIFO (jackd -R).

    Without realtime (the tests' setting: docs/architecture.md, fact 7) every
    audio thread competes with every other process on equal terms; a show rig
    runs JACK in realtime, so the audio threads preempt the control process.
    """
    import shutil

    import jack

    from tests.jack_server import clean_stale_jack_shm

    clean_stale_jack_shm()
    name = f"symphony-latency-{os.getpid()}-{period}"
    mode = ["-R", "-P", "70"] if realtime else ["--no-realtime"]
    jackd = shutil.which("jackd") or "jackd"
    cmd = [jackd, "-n", name, *mode, "-d", "dummy", "-r", str(RATE), "-p", str(period)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        for _ in range(100):
            try:
                jack.Client("probe", no_start_server=True, servername=name).close()
                break
            except jack.JackOpenError:
                if proc.poll() is not None:
                    raise RuntimeError(f"jackd did not start: {' '.join(cmd)}") from None
                time.sleep(0.1)
        yield name
    finally:
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_period(period: int, args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    """Symphony and bare in alternating rounds on one server, then the look-ahead row.

    The machine's load drifts (other work, thermal); alternating the systems
    in rounds, ABBA, lets the drift hit both alike. The referee runs in the
    last round of each.
    """
    rows = {name: {"system": name, "stats": Stats(period), "referee": None} for name in PORTS}
    slice_s = args.minutes * 60.0 / args.rounds
    with jack_dummy(period, args.realtime):
        for r in range(args.rounds):
            order = ["symphony", "bare"] if r % 2 == 0 else ["bare", "symphony"]
            for name in order:
                referee = args.referee if r == args.rounds - 1 else None
                if name == "symphony":
                    show = slice_s + args.count * 0.2 + 120.0
                    system = symphony_live(PROBE, period, show, folder)
                else:
                    system = bare_client(period, folder)
                with system as proc:
                    part = measure(name, proc, *PORTS[name], period, slice_s, args.count, referee)
                merge(rows[name], part)
        out = list(rows.values())
        if not args.no_lookahead_row:
            perf = lookahead_copy(folder, 5.0)
            with symphony_live(perf, period, args.count * 0.2 + 120.0, folder) as proc:
                row = measure("symphony", proc, *PORTS["symphony"], period, 0.0, args.count, None)
            row["system"] = "symphony, look-ahead 5 ms"
            row["latency_only"] = True
            out.append(row)
    return out


def failures(rows: list[dict[str, Any]]) -> list[str]:
    out = [r["error"] for r in rows if "error" in r]
    for r in rows:
        if "error" not in r and r["stats"].n == 0:
            out.append(f"{r['system']} at {r['stats'].period}: no note measured")
        ref = r.get("referee")
        if ref is not None and "error" in ref:
            out.append(f"{r['system']} at {r['stats'].period}: {ref['error']}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="probe and count xruns this long"
    )
    parser.add_argument("--quick", action="store_true", help="a short run (1 min per system)")
    parser.add_argument("--periods", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--count", type=int, default=100, help="referee notes per system")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (ABBA)")
    parser.add_argument("--referee", type=Path, default=REFEREE)
    parser.add_argument("--no-lookahead-row", action="store_true")
    parser.add_argument(
        "--realtime", action="store_true", help="jackd -R (SCHED_FIFO), as on a show rig"
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.count, args.rounds = 1.0, 30, 2
    console = "the console (curses, under a pty)" if has_console() else "status lines (no console)"
    print(f"symphony live ran with {console}; {args.minutes:g} min per system", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="symphony-latency-") as tmp:
        for period in args.periods:
            rows.extend(run_period(period, args, Path(tmp)))
        problems = failures(rows)
        if problems:
            for name in ("live-64.log", "live-256.log"):
                log = Path(tmp) / name
                if log.is_file():
                    print(f"--- {name}\n{log.read_text()[-1500:]}", file=sys.stderr)
    mode = "realtime (-R)" if args.realtime else "--no-realtime"
    print(
        f"\nJACK dummy {mode}, {RATE} Hz; symphony live with {console}, 16 simulated participants, "
        f"session log; {args.minutes:g} min per system; latency in frames (periods)\n"
    )
    print(table(rows))
    print()
    for line in verdicts(rows):
        print(line)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "system": r["system"],
                        "period": r["stats"].period,
                        "frames": r["stats"].frames,
                        "misses": r["stats"].misses,
                        "xruns": r["stats"].xruns,
                        "seconds": r["stats"].seconds,
                        "referee": r.get("referee"),
                    }
                    for r in rows
                ],
                indent=1,
            )
        )
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
