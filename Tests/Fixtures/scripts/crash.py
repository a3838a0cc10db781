#!/usr/bin/env python3
"""Fail part way through.  For exit-code and stderr handling.

    crash.py [--mode exit|exception] [--code 3] [--partial]

Prints "Processing day 1/10" .. "Processing day 3/10" on stdout, then:
  --mode exit (default)  one "ERROR: simulated failure ..." line on stderr,
                         exit with --code (default 3);
  --mode exception       raises RuntimeError: a traceback on stderr, exit 1.
--partial first writes a trades.csv with 2 trades (and nothing else) into
--output_dir, else $BACKTEST_OUTPUT_DIR, else ./results.
Unknown arguments are ignored.  Standard library only.
"""
import argparse
import os
import sys
from pathlib import Path

PARTIAL_TRADES = (
    "entry_time,exit_time,symbol,strike,option_type,qty,pnl\n"
    "2024-01-02T09:20:00,2024-01-02T10:05:00,NIFTY,21700,CE,50,1250.00\n"
    "2024-01-03T09:31:00,2024-01-03T11:45:00,BANKNIFTY,47500,PE,15,-430.50\n"
)


def main():
    ap = argparse.ArgumentParser(prog="crash.py")
    ap.add_argument("--mode", choices=("exit", "exception"), default="exit")
    ap.add_argument("--code", type=int, default=3)
    ap.add_argument("--partial", action="store_true")
    ap.add_argument("--output_dir", default=None)
    args, _ = ap.parse_known_args()

    if args.partial:
        out = Path(args.output_dir or os.environ.get("BACKTEST_OUTPUT_DIR") or "results")
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "trades.csv", "w", encoding="utf-8", newline="\n") as f:
            f.write(PARTIAL_TRADES)
    for day in (1, 2, 3):
        print(f"Processing day {day}/10", flush=True)
    if args.mode == "exception":
        raise RuntimeError("simulated failure on day 4/10: the price feed returned no rows")
    print(f"ERROR: simulated failure on day 4/10, exiting with code {args.code}",
          file=sys.stderr, flush=True)
    return args.code


if __name__ == "__main__":
    sys.exit(main())
