"""``python -m mpcore``: the same command line as the ``mpcore`` console script."""
import sys

from .cli import main

sys.exit(main())
