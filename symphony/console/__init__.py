"""The performer console: a terminal UI for `symphony live` (works over SSH).

Pure parts (sparklines, explanations, key map, screen layout, /proc CPU)
are separate from the curses shell (`app`), so they are tested with numbers.
"""
