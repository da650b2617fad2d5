"""`python -m symphony`: the same CLI as the `symphony` script, for checkouts run in place."""

import sys

from symphony.cli import main

sys.exit(main())
