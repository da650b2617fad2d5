"""The show state a controller's LEDs show, from the control process to the MIDI process.

Scenes change from the timeline, from controller buttons and from console
keys, and layers are muted from buttons and keys: only the control process
knows the result. It writes it once per control frame into a tiny shared
array of ints (no lock, no queue: a write is a handful of integer stores);
the MIDI process reads it a few times a second and sends LED messages for
what changed. A read that lands mid-write sees a mix of two frames and is
corrected by the next read, so no lock is needed and the control process
never waits on the MIDI process (or the other way round).

Layout: slot 0 is the active scene's index in the performance's scene list
(-1: none), then one slot per layer in performance order (1 = sounding,
0 = muted).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

NO_SCENE = -1


def board_size(layers: Sequence[str]) -> int:
    """How many ints the shared array needs for this performance."""
    return 1 + len(layers)


class ShowBoard:
    """Read and write the active scene and the layers that are on, in a shared int array."""

    def __init__(self, scenes: Sequence[str], layers: Sequence[str], array: Any) -> None:
        if len(array) < board_size(layers):
            raise ValueError(f"the show board needs {board_size(layers)} slots, got {len(array)}")
        self.scenes = list(scenes)
        self.layers = list(layers)
        self.scene_index = {name: i for i, name in enumerate(self.scenes)}
        self.array = array

    def clear(self) -> None:
        """No scene, every layer on: the writer's starting state (a reader never clears)."""
        self.array[0] = NO_SCENE
        for i in range(len(self.layers)):
            self.array[1 + i] = 1

    def write(self, scene: str | None, layers_on: Collection[str]) -> None:
        """Publish the state (control process, once per frame)."""
        array = self.array
        index = self.scene_index.get(scene, NO_SCENE) if scene else NO_SCENE
        if array[0] != index:
            array[0] = index
        for i, layer in enumerate(self.layers):
            on = 1 if layer in layers_on else 0
            if array[1 + i] != on:
                array[1 + i] = on

    def read(self) -> tuple[str | None, frozenset[str]]:
        """The latest published state (MIDI process)."""
        array = self.array
        index = int(array[0])
        scene = self.scenes[index] if 0 <= index < len(self.scenes) else None
        on = frozenset(layer for i, layer in enumerate(self.layers) if array[1 + i])
        return scene, on
