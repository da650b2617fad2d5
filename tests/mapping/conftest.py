from __future__ import annotations

from pathlib import Path

import pytest

from symphony.performance.loader import Performance, load_performance

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "mini.toml"


@pytest.fixture(scope="session")
def mini() -> Performance:
    return load_performance(MINI)
