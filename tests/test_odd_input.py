"""Odd and malformed arguments and files, as a new user would try them, through the real CLI.

Every command answers each with exactly one line on stderr naming the file
(and line), key or option, and exit status 2, never a traceback. Each case
runs the real CLI (`symphony.cli.main`) in its own process, forked from one
driver that did the imports once (`tests/cli_fork.py`); none starts the
engine or opens a device (those answers come before any process starts).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = "performances/demo.toml"
FILES = {
    "syntax.toml": b'[performance\ntitle = "x"\n',
    "badtype.toml": b'[performance]\ntitle = "x"\nduration = 10\n'
    b'[[layers]]\nname = "a"\npatch = "drone"\ngain_db = "loud"\n',
    "unknown.toml": b'[performance]\ntitle = "x"\nduration = 10\nbogus = 1\n'
    b'[[layers]]\nname = "a"\npatch = "drone"\n',
    "empty.toml": b"",
    "nonutf.toml": b"\xff\xfe\x00[performance]",
    "bad.csv": b"t,ppg\n0,1\nx,y\n",
    "badctl.toml": b'name = "x"\n[controls.a]\ncc = "q"\n',
    "session.log": b"\xda\xff not a session\n",
}

# (arguments with {d} for the folder of FILES, what the one line must name)
CASES: list[tuple[str, str]] = [
    ("render nope.toml -o {d}/x.wav", "nope.toml"),
    ("render {d} -o {d}/x.wav", "{d}"),
    ("render {d}/syntax.toml -o {d}/x.wav", "syntax.toml:1"),
    ("render {d}/badtype.toml -o {d}/x.wav", "badtype.toml:7"),
    ("render {d}/unknown.toml -o {d}/x.wav", "unknown.toml:4"),
    ("render {d}/empty.toml -o {d}/x.wav", "empty.toml"),
    ("render {d}/nonutf.toml -o {d}/x.wav", "nonutf.toml"),
    (f"render {DEMO} -o {{d}}/x.mp3", "x.mp3"),
    (f"render {DEMO} -o {{d}}", "{d}"),
    (f"render {DEMO} -o {{d}}/empty.toml/x.wav", "x.wav"),
    (f"render {DEMO} -o {{d}}/x.wav --duration abc", "--duration"),
    (f"render {DEMO} -o {{d}}/x.wav --duration -1", "--duration"),
    (f"render {DEMO} -o {{d}}/x.wav --duration 0.001", "--duration"),
    (f"render {DEMO} -o {{d}}/x.wav --seed -3", "--seed"),
    (f"render {DEMO} -o {{d}}/x.wav --participants many", "--participants"),
    (f"render {DEMO} -o {{d}}/x.wav --participants 100000", "--participants"),
    (f"render {DEMO} -o {{d}}/x.wav --session {{d}}/nope", "nope"),
    (f"render {DEMO} -o {{d}}/x.wav --session {{d}}/session.log", "session.log"),
    (f"render {DEMO} -o {{d}}/x.wav --plot {{d}}/empty.toml/p.png", "p.png"),
    (f"render {DEMO}", "-o/--output"),
    (f"render {DEMO} -o {{d}}/x.wav --bogus", "--bogus"),
    ("check nope.toml", "nope.toml"),
    ("check {d}", "{d}"),
    ("check {d}/syntax.toml", "syntax.toml:1"),
    ("check {d}/nonutf.toml", "nonutf.toml"),
    ("monitor {d}/nope.csv --fast", "nope.csv"),
    ("monitor {d}/bad.csv --fast", "bad.csv"),
    ("monitor bogus:key=1", "bogus:key=1"),
    ("monitor osc:port=abc", "port"),
    ("monitor osc:port=99999", "port"),
    (f"monitor {DEMO}:nosuch", DEMO),
    ("monitor simulated:abc", "simulated:abc"),
    ("monitor simulated:2 --duration x", "--duration"),
    ("monitor {d}/nonutf.toml", "nonutf.toml"),
    ("devices --wait abc", "--wait"),
    ("devices --wait -1", "--wait"),
    ("devices --wait 0 nope.toml", "nope.toml"),
    ("devices --wait 0 {d}/syntax.toml", "syntax.toml:1"),
    ("live nope.toml", "nope.toml"),
    ("live {d}/syntax.toml", "syntax.toml:1"),
    ("live {d}/unknown.toml", "unknown.toml:4"),
    (f"live {DEMO} --buffer x", "--buffer"),
    (f"live {DEMO} --buffer 0", "--buffer"),
    (f"live {DEMO} --controller {{d}}/nope.toml", "nope.toml"),
    (f"live {DEMO} --controller {{d}}/badctl.toml", "badctl.toml"),
    (f"live {DEMO} --audio alsa", "--audio"),
    (f"live {DEMO} --duration -2", "--duration"),
    (f"live {DEMO} --participants -1", "--participants"),
    ("learn -o {d}/c.toml --template {d}/nope.toml", "nope.toml"),
    ("learn -o {d}/c.toml --template {d}/badctl.toml", "badctl.toml"),
    ("learn -o {d}/c.toml --performance {d}/syntax.toml", "syntax.toml:1"),
    ("learn -o {d}/c.toml --pause x", "--pause"),
    ("learn -o {d}/c.toml --pause -1", "--pause"),
    ("learn", "-o/--output"),
    ("patches {d}/nope", "nope"),
    ("bogus", "bogus"),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("odd")
    for name, data in FILES.items():
        (d / name).write_bytes(data)
    return d


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symphony", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def answers(folder: Path) -> dict[str, dict[str, Any]]:
    """Every case's (code, stdout, stderr), each from its own forked process."""
    argvs = [[a.replace("{d}", str(folder)) for a in line.split()] for line, _ in CASES]
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "cli_fork.py")],
        input=json.dumps(argvs),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return dict(zip([line for line, _ in CASES], json.loads(done.stdout), strict=True))


@pytest.mark.parametrize(("line", "names"), CASES, ids=[c[0] for c in CASES])
def test_odd_input_gets_one_line_and_status_2(
    answers: dict[str, dict[str, Any]], folder: Path, line: str, names: str
) -> None:
    done = answers[line]
    stderr = str(done["stderr"])
    err = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr
    assert done["code"] == 2, (done["code"], stderr)
    assert len(err) == 1, stderr
    assert names.replace("{d}", str(folder)) in err[0], err[0]
    assert err[0].startswith("symphony"), err[0]


def test_the_sweep_runs_the_real_cli_as_python_m_symphony_does(folder: Path) -> None:
    """One case the slow way, a fresh interpreter: the forked driver answers the same."""
    line = "check {d}/syntax.toml"
    done = _run([a.replace("{d}", str(folder)) for a in line.split()])
    assert done.returncode == 2 and "syntax.toml:1" in done.stderr


def test_a_render_shorter_than_a_second_renders(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    done = _run(["render", DEMO, "-o", str(out), "--duration", "0.5", "--quiet"])
    assert done.returncode == 0, done.stderr
    import soundfile as sf

    info = sf.info(str(out))
    # 0.5 s at the demo's 48 kHz, in whole audio blocks of 256 (24 064 frames)
    assert 24000 <= info.frames < 24000 + 256, info.frames
