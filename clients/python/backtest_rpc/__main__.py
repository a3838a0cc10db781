"""``python -m backtest_rpc ...``: the command-line client (see cli.py)."""
import sys

from .cli import main

sys.exit(main())
