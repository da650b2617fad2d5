"""What the room may send out (`collective/outgoing.py`): only what 3 or more people carry."""

from __future__ import annotations

import math

from symphony.collective.outgoing import PREFIX, event_messages, feature_messages
from symphony.collective.room import RoomFrame, Trigger


def _frame(owners: dict[str, frozenset[str]], triggers: list[Trigger]) -> RoomFrame:
    values = {"heart_rate": 71.0, "arousal": math.nan, "count": 4.0, "heart_sync": 0.4}
    presence = dict.fromkeys(values, 1.0)
    return RoomFrame(1.0, values, presence, owners, [], triggers)


def test_owned_unknown_and_unasked_features_stay_in_the_room() -> None:
    frame = _frame({"heart_sync": frozenset({"a", "b"})}, [])
    sent = dict(feature_messages(frame))
    # NaN (nobody carries it) and owned (fewer than 3 carry it) are not sent.
    assert sent == {f"{PREFIX}heart_rate": 71.0, f"{PREFIX}count": 4.0}
    assert dict(feature_messages(frame, ["count"])) == {f"{PREFIX}count": 4.0}
    # The head count goes with presence: the few people it counts are theirs.
    few = _frame({"presence": frozenset({"a", "b"})}, [])
    assert f"{PREFIX}count" not in dict(feature_messages(few))


def test_heartbeats_go_out_anonymously_only_over_three_and_with_record_consent() -> None:
    beats = [Trigger("a", 0.9, 1.0), Trigger("b", 0.95, 0.5), Trigger("c", 0.97, 1.0)]
    room = _frame({}, beats)
    assert event_messages(room, lambda p: p != "c") == [
        (f"{PREFIX}heartbeat", 1.0),
        (f"{PREFIX}heartbeat", 0.5),
    ]
    few = _frame({"heart_rate": frozenset({"a", "b"})}, beats)
    assert event_messages(few, lambda p: True) == []


def test_the_rooms_convergence_goes_out_with_or_without_heartbeats() -> None:
    frame = _frame({"heart_rate": frozenset({"a", "b"})}, [Trigger("a", 0.9, 1.0)])
    frame.events = [Trigger("", 1.0, 1.0, "convergence")]
    assert event_messages(frame, lambda p: True) == [(f"{PREFIX}convergence", 1.0)]
