"""What a SCHED_IDLE process costs a JACK client's xruns, with and without `GiveWay`.

The live control process runs at SCHED_IDLE and computes in bursts (a
feature pull of 16 participants is about 4 ms of numpy). On a kernel without
wake-up preemption (``Dynamic Preempt: none``, as on this machine) a JACK
thread that wakes during such a burst waits for the burst to end, whatever
the burst's priority. ``symphony.live.priority.GiveWay`` offers the CPU
(``sched_yield``) every 0.2 ms while the control process works.

On a private JACK dummy server (non-realtime, as in the tests) the bare
pyo + python-rtmidi client of ``benchmarks/latency.py`` plays while its
meter probes it and counts the server's xruns, next to one of:

- **nothing**: the bare client alone (the baseline);
- **idle burner**: a SCHED_IDLE process busy for a ``--burst`` of numpy work
  every 20 ms (the control process's shape), never yielding;
- **idle burner + GiveWay**: the same burst inside ``with GiveWay()``.

Variants alternate over ``--rounds`` (ABBA), each with a fresh bare client.

Usage: python benchmarks/give_way.py [--period 64] [--seconds 30] [--rounds 2] [--burst 4]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

BURNER = r"""
import os, sys, time
import numpy as np
sys.path.insert(0, sys.argv[3])
from symphony.live.priority import GiveWay
os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
burst, give_way = float(sys.argv[1]) / 1000, sys.argv[2] == "yes"
courtesy = GiveWay()
if give_way:
    courtesy.install()
data = np.random.default_rng(0).random(20000)
while True:
    start = time.perf_counter()
    with courtesy:
        while time.perf_counter() - start < burst:
            np.sort(data)
    time.sleep(max(0.0, 0.02 - (time.perf_counter() - start)))
"""

VARIANTS = ("nothing", "idle burner", "idle burner + GiveWay")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--burst", type=float, default=4.0, help="ms of work every 20 ms")
    args = parser.parse_args()

    import latency

    xruns = {v: 0 for v in VARIANTS}
    seconds = {v: 0.0 for v in VARIANTS}
    burner_cpu = {v: 0.0 for v in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp, latency.jack_dummy(args.period, False):
        folder = Path(tmp)
        script = folder / "burner.py"
        script.write_text(BURNER)
        for rnd in range(args.rounds):
            for variant in VARIANTS if rnd % 2 == 0 else VARIANTS[::-1]:
                burner = None
                if variant != "nothing":
                    give_way = "yes" if variant.endswith("GiveWay") else "no"
                    cmd = [sys.executable, str(script), str(args.burst), give_way, str(ROOT)]
                    burner = subprocess.Popen(cmd)
                with latency.bare_client(args.period, folder) as proc:
                    if not latency.wait_for_ports(list(latency.PORTS["bare"]), 60, proc):
                        print("the bare client did not start", file=sys.stderr)
                        return 1
                    time.sleep(1.0)
                    meter = latency.Meter(*latency.PORTS["bare"])
                    before = _cpu(burner)
                    stats = meter.run(args.seconds)
                    after = _cpu(burner)
                    meter.close()
                if burner is not None:
                    burner.kill()
                    burner.wait()
                xruns[variant] += stats.xruns
                seconds[variant] += stats.seconds
                burner_cpu[variant] += after - before
                print(f"round {rnd + 1}: {variant}: {stats.xruns} xruns", file=sys.stderr)
    print(f"period {args.period} frames, {args.rounds} x {args.seconds:.0f} s per variant")
    print(f"{'next to the bare client':24s} {'xruns/min':>10s} {'burner CPU %':>13s}")
    for v in VARIANTS:
        minutes = seconds[v] / 60
        cpu = f"{100 * burner_cpu[v] / seconds[v]:.1f}" if v != "nothing" else "-"
        print(f"{v:24s} {xruns[v] / minutes:10.1f} {cpu:>13s}")
    return 0


def _cpu(proc: subprocess.Popen[bytes] | None) -> float:
    """CPU seconds a process has used (user + system), from /proc."""
    if proc is None:
        return 0.0
    import os

    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    raise SystemExit(main())
