#!/usr/bin/env python3
"""A well-behaved stand-in backtest: progress on stdout, two warnings on stderr,
valid outputs, exit 0.

    strategy_analyzer.py [--strategy iron_condor] [--start_date 2024-01-01]
                         [--end_date 2024-12-31] [--capital 1000000]
                         [--output_dir DIR] [--trades 500] [--sleep 0] [--seed 42]

Arguments are parsed strictly: an unknown one exits 2 with the usage on
stderr, as does a date range without a Monday-to-Friday day in it.
Outputs go to --output_dir, else $BACKTEST_OUTPUT_DIR, else ./results.
--sleep seconds are spread over the simulated days.

The files are written by make_outputs.py, looked for in the parent of this
script's folder, else in $FIXTURES_DIR.  Standard library only.
"""
import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path


def _load_generator():
    """make_outputs.py from the parent of this script's folder, else $FIXTURES_DIR, else the import path."""
    tried = [str(Path(__file__).resolve().parent.parent)]
    if os.environ.get("FIXTURES_DIR"):
        tried.append(os.environ["FIXTURES_DIR"])
    folder = next((d for d in tried if (Path(d) / "make_outputs.py").is_file()), None)
    if folder is None:
        # A rerun runs a captured copy of this script, with the captured make_outputs on PYTHONPATH.
        try:
            import make_outputs
            return make_outputs
        except ImportError:
            pass
        sys.stderr.write(f"strategy_analyzer.py: no make_outputs.py in {' or '.join(tried)} "
                         "(keep the fixtures folder together, or set FIXTURES_DIR)\n")
        sys.exit(2)
    sys.path.insert(0, folder)
    import make_outputs
    return make_outputs


def _date(text):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date")


def say(text, stream=None):
    print(text, file=stream or sys.stdout, flush=True)


def main():
    ap = argparse.ArgumentParser(prog="strategy_analyzer.py",
                                 description="Stand-in options strategy backtest.")
    ap.add_argument("--strategy", default="iron_condor")
    ap.add_argument("--start_date", type=_date, default=dt.date(2024, 1, 1))
    ap.add_argument("--end_date", type=_date, default=dt.date(2024, 12, 31))
    ap.add_argument("--capital", type=float, default=1_000_000.0)
    ap.add_argument("--output_dir", default=None)
    ap.add_argument("--trades", type=int, default=500)
    ap.add_argument("--sleep", type=float, default=0.0, help="seconds to spend, spread over the days")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    if args.trades < 0:
        ap.error("--trades must not be negative")
    if args.capital <= 0:
        ap.error("--capital must be positive")
    mo = _load_generator()
    days = mo.weekdays_between(args.start_date, args.end_date)
    if not days:
        say(f"ERROR: no Monday-to-Friday day between {args.start_date} and {args.end_date}", sys.stderr)
        return 2
    out_dir = args.output_dir or os.environ.get("BACKTEST_OUTPUT_DIR") or "results"
    n = len(days)

    say(f"Starting backtest: strategy={args.strategy} from {args.start_date} to {args.end_date} "
        f"({n} days), capital={args.capital:.2f}, trades={args.trades}, seed={args.seed}, "
        f"run_id={os.environ.get('BACKTEST_RUN_ID', '-')}")
    say(f"Output directory: {out_dir}")
    say(f"WARNING: slippage model not calibrated for {args.strategy}; assuming 0.05%", sys.stderr)

    pause = args.sleep / n if args.sleep > 0 else 0.0
    shown = 0
    for i, day in enumerate(days, 1):
        say(f"Processing day {i}/{n} ({day})")
        tenth = i * 10 // n * 10
        if tenth > shown:
            say(f"progress: {tenth}%")
            shown = tenth
        if i == (n + 1) // 2:
            say(f"WARNING: option chain for {day} is incomplete; missing strikes interpolated", sys.stderr)
        if pause:
            time.sleep(pause)

    stats = mo.generate(
        out_dir, trades=args.trades, seed=args.seed, dates=days, capital=args.capital,
        strategy=args.strategy,
        parameters={"strategy": args.strategy, "start_date": args.start_date.isoformat(),
                    "end_date": args.end_date.isoformat(), "capital": args.capital,
                    "trades": args.trades, "sleep": args.sleep, "seed": args.seed},
    )
    say(f"Backtest complete: {stats['trades']} trades over {n} days, "
        f"total_pnl={stats['total_pnl']:.2f}, max_drawdown_pct={stats['max_drawdown_pct']:.2f}, "
        f"outputs in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
