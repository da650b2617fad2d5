"""symphony: participants' biosignals drive a generative pyo soundscape.

The package follows the signal flow, one subpackage per stage:
inputs -> features -> collective -> mapping -> engine (patches, master) -> file or speakers.
`performance` ties the stages together for a show described in a TOML file.
"""

__version__ = "0.1.0"
