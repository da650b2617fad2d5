"""The room in the console: who is there, how they are heard, what they agreed to (pure).

One line per person, by the name the performance gives them or an
anonymous number (`live/show_status.Names`), never anything they did not
give. One of them is *selected* (the `<` and `>` keys move it); `W`
withdraws that person's consent, both `sound` and `record`, in one key: it
is the one action a host needs when someone asks to be taken out now.
"""

from __future__ import annotations

from collections.abc import Sequence

from symphony.live.show_status import RosterLine

MARK = ">"


def selected_or_first(roster: Sequence[RosterLine], selected: str) -> str:
    """The selection, kept while that person is in the room, else the first one (or "")."""
    shown = [line.shown_as for line in roster]
    if selected in shown:
        return selected
    return shown[0] if shown else ""


def move_selection(roster: Sequence[RosterLine], selected: str, step: int) -> str:
    """The person `step` lines below (negative: above) the selection, wrapping around."""
    shown = [line.shown_as for line in roster]
    if not shown:
        return ""
    # No selection (or that person left) reads as the first, as the screen marks it.
    at = shown.index(selected) if selected in shown else 0
    return shown[(at + step) % len(shown)]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def roster_lines(roster: Sequence[RosterLine], selected: str) -> list[str]:
    """'> #2   heard        100%  sound yes  record no', one per person."""
    if not roster:
        return ["  nobody in the room (the performance's neutral bed plays)"]
    who = max(len(line.shown_as) for line in roster)
    status = max(len(line.status) for line in roster)
    lines = []
    for line in roster:
        mark = MARK if line.shown_as == selected else " "
        lines.append(
            f"{mark} {line.shown_as:<{who}}  {line.status:<{status}}  {100 * line.gain:3.0f}%"
            f"  sound {_yes(line.sound):<3}  record {_yes(line.record)}"
        )
    return lines
