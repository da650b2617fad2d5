"""The source registry: lazy backends, and clear errors for typos."""

from __future__ import annotations

import pytest

from symphony.errors import SymphonyError
from symphony.inputs.sources import BACKENDS, make_source
from symphony.inputs.sources.common import Backoff


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(SymphonyError) as info:
        make_source({"kind": "lsi", "name": "heads"})
    text = str(info.value)
    assert "unknown source kind 'lsi'" in text and "did you mean 'lsl'" in text
    for kind in BACKENDS:
        assert kind in text


def test_unknown_spec_key_is_named() -> None:
    with pytest.raises(SymphonyError, match=r"source 'band'.*key 'prot'.*port"):
        make_source({"kind": "osc", "name": "band", "prot": 5000})
    with pytest.raises(SymphonyError, match="unknown BrainFlow board 'CYTON'"):
        make_source({"kind": "brainflow", "board": "CYTON"})
    with pytest.raises(SymphonyError, match=r"script\.0\.state"):
        make_source({"kind": "simulated", "script": [{"state": "sleepy"}]})


def test_backoff_doubles_to_eight_seconds() -> None:
    backoff = Backoff()
    assert [backoff.delay() for _ in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    backoff.reset()
    assert backoff.delay() == 0.5
