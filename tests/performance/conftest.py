from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MINI = (FIXTURES / "performances" / "mini.toml").read_text()


@pytest.fixture
def show(tmp_path: Path) -> Callable[..., Path]:
    """Write a variant of the mini performance next to a copy of the test patches."""
    shutil.copytree(FIXTURES / "patches", tmp_path / "patches")
    (tmp_path / "performances").mkdir()

    def write(text: str | None = None, replace: tuple[str, str] | None = None) -> Path:
        body = MINI if text is None else text
        if replace is not None:
            assert replace[0] in body, f"fixture text {replace[0]!r} not found"
            body = body.replace(replace[0], replace[1])
        path = tmp_path / "performances" / "show.toml"
        path.write_text(body)
        return path

    return write
