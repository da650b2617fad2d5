"""The visitors' page in Debian's chromium, headless, driven by Playwright.

A phone-sized page: drag on the pad, and the mood reaches the room's queue;
see the room's picture once three people share; take the mood out. The
browser is the system's (`apt-get install chromium`, see scripts/setup.sh):
a browser download is not possible here. The room's status snapshots are
written by the test (in a show, the play command's control loop writes them
from the room). With SYMPHONY_SCREENSHOT=1 the
screenshot is written to docs/visitors-page.png for the README.
"""

from __future__ import annotations

import os
import queue
import shutil
from pathlib import Path

import pytest

from symphony.collective.intake import Leave, Mood
from tests.sanctuary.helpers import audience_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "visitors-page.png"

sync_api = pytest.importorskip("playwright.sync_api")


def _last_mood(moods: queue.Queue) -> Mood:
    """Wait for a mood, then keep the newest of those that follow straight after."""
    found = moods.get(timeout=10.0)
    while True:
        try:
            found = moods.get(timeout=0.5)
        except queue.Empty:
            break
    assert isinstance(found, Mood)
    return found


def _room(count: int) -> dict:
    return {
        "collective": {
            "mood_valence": {"value": 0.45, "unit": ""},
            "mood_arousal": {"value": 0.3, "unit": ""},
            "mood_valence_spread": {"value": 0.4, "unit": ""},
            "mood_count": {"value": count, "unit": ""},
        }
    }


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="needs Debian's chromium (setup.sh)")
def test_a_phone_sets_a_mood_sees_the_room_and_takes_it_out(tmp_path: Path) -> None:
    with audience_server(picture_every=0.2) as served, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
            )
            page = context.new_page()
            page.goto(served.url + "/")
            page.wait_for_selector("#conn:text('connected')")
            box = page.locator("#pad").bounding_box()
            assert box is not None
            # drag from the centre to the upper right: pleasant and lively
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            for step in range(1, 11):
                page.mouse.move(
                    box["x"] + box["width"] * (0.5 + 0.03 * step),
                    box["y"] + box["height"] * (0.5 - 0.03 * step),
                )
            page.mouse.up()
            mood = _last_mood(served.moods)
            assert mood.valence == pytest.approx(0.6, abs=0.05)
            assert mood.arousal == pytest.approx(0.6, abs=0.05)
            assert mood.device.startswith("web-")

            served.status.put(_room(2))
            page.wait_for_selector("#roomtext:text('Waiting for more people')")
            served.status.put(_room(3))
            page.wait_for_selector("#roomtext:text('3 people share their mood')")
            assert page.locator("#glow").is_visible()
            page.wait_for_timeout(2500)  # the picture glides over 2 s: photograph it settled
            shot = tmp_path / "visitors-page.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get("SYMPHONY_SCREENSHOT") == "1":
                DOCS.parent.mkdir(exist_ok=True)
                shutil.copyfile(shot, DOCS)

            page.click("#leave")
            left = served.moods.get(timeout=10.0)
            assert left == Leave(mood.device)
            page.wait_for_selector("#mine:text('out of the room')")
        finally:
            browser.close()
