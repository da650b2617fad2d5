"""LED feedback: light the buttons of the active scene and the toggled layers.

Pure: `LedFeedback.update` takes the show's state and returns the raw MIDI
messages to send, only for LEDs whose state changed, because controllers
have slow MIDI inputs (some drop bytes under bursts) and a full refresh on
every scene change would flicker. After a hot-plug the device's LEDs are
unknown, so `refresh()` forgets what was sent and the next update sends all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from symphony.midi.profiles import ControllerProfile, Led


def led_message(led: Led, lit: bool) -> list[int]:
    """The raw message that sets one LED."""
    status = (0xB0 if led.message == "cc" else 0x90) | (led.channel - 1)
    return [status, led.number, led.on if lit else led.off]


def desired_leds(
    profile: ControllerProfile, scene: str | None, layers_on: Collection[str]
) -> dict[str, bool]:
    """Which bound LEDs should be lit, by control name.

    A scene button is lit while its scene is active; a layer button while its
    layer is toggled on. Other bound LEDs (panic, one-shots) stay dark.
    """
    state: dict[str, bool] = {}
    for name, binding in profile.spec.bindings.items():
        control = profile.controls[name]
        if control.led is None:
            continue
        if binding.verb == "scene":
            state[name] = binding.argument == scene
        elif binding.verb == "layer":
            state[name] = binding.argument in layers_on
        else:
            state[name] = False
    return state


class LedFeedback:
    """Remembers what was sent so only changes go out."""

    def __init__(self, profile: ControllerProfile) -> None:
        self.profile = profile
        self._sent: dict[str, bool] = {}

    def update(self, scene: str | None, layers_on: Collection[str]) -> list[list[int]]:
        """Messages that bring the device's LEDs to the show's state."""
        out: list[list[int]] = []
        for name, lit in desired_leds(self.profile, scene, layers_on).items():
            if self._sent.get(name) is lit:
                continue
            led = self.profile.controls[name].led
            assert led is not None  # desired_leds only lists controls with an LED
            out.append(led_message(led, lit))
            self._sent[name] = lit
        return out

    def refresh(self) -> None:
        """Forget the device's state (after reconnecting): the next update sends all."""
        self._sent.clear()


ShowState = tuple[str | None, Collection[str]]


class LedDriver:
    """Thin device code around `LedFeedback`: poll the show's state, send what changed.

    `send` returns how many messages went out; fewer than asked means the
    device is not there (unplugged, or no output port), so everything is
    forgotten and sent again once it is. `request_refresh` (any thread) asks
    for a full resend at the next poll, for a device that just came back
    with its LEDs in an unknown state.
    """

    def __init__(
        self,
        feedback: LedFeedback,
        send: Callable[[list[list[int]]], int],
        state: Callable[[], ShowState],
    ) -> None:
        self.feedback = feedback
        self.send = send
        self.state = state
        self.sent = 0
        self._last: ShowState | None = None
        self._refresh = False

    def request_refresh(self) -> None:
        self._refresh = True

    def poll(self) -> int:
        """One step: how many LED messages went out."""
        if self._refresh:
            self._refresh = False
            self.feedback.refresh()
            self._last = None
        state = self.state()
        if state == self._last:
            return 0
        messages = self.feedback.update(*state)
        sent = self.send(messages) if messages else 0
        if sent < len(messages):
            self.feedback.refresh()
            self._last = None
        else:
            self._last = state
        self.sent += sent
        return sent
