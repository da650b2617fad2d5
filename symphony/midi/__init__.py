"""MIDI for live performance: parsing, takeover, profiles, feedback, learn, ports.

The logic modules (`messages`, `takeover`, `feedback`, `learn`, `profiles`)
are pure and do no I/O; only `ports` talks to devices. Where this runs is
bound by docs/architecture.md, fact 3: the MIDI callback either lives in the
engine process and only enqueues, or in a process that does nothing else, so
the hot path from a fader to the sound never waits on a busy Python
interpreter.
"""
