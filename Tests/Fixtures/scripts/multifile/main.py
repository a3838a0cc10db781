#!/usr/bin/env python3
"""Multi-file example strategy: SMA crossover on a synthetic NIFTY series.

    python3 main.py [--output_dir DIR] [--days 60] [--seed 11]

It imports one module of each kind on purpose: the standard library, numpy
(third party, not shipped), and the local package utils (whose indicators
module imports its helpers module relatively).  config/params.json is read
through a path relative to this file, so no import finds it; strategy.yaml
lists every file.

One trade a day once the slow average exists: long (CE) when the fast
average is above the slow one, short (PE) otherwise.  Outputs (trades.csv,
pnl.csv, summary.csv, metadata.json) go to --output_dir, else
$BACKTEST_OUTPUT_DIR, else ./results.  Unknown arguments are ignored.
"""
import argparse
import datetime as dt
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

from utils.indicators import sma

HERE = Path(__file__).resolve().parent


def weekdays(start, n):
    days, d = [], start
    while len(days) < n:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def money(cents):
    return f"{cents / 100:.2f}"


def main():
    params = json.loads((HERE / "config" / "params.json").read_text(encoding="utf-8"))
    ap = argparse.ArgumentParser(prog="main.py", description="SMA crossover (multi-file example)")
    ap.add_argument("--output_dir", default=None)
    ap.add_argument("--days", type=int, default=params["days"])
    ap.add_argument("--seed", type=int, default=params["seed"])
    args, unknown = ap.parse_known_args()
    if unknown:
        print(f"WARNING: ignoring arguments {' '.join(unknown)}", file=sys.stderr, flush=True)
    if args.days < 1:
        ap.error("--days must be at least 1")
    out = Path(args.output_dir or os.environ.get("BACKTEST_OUTPUT_DIR") or "results")
    out.mkdir(parents=True, exist_ok=True)

    days = weekdays(dt.date.fromisoformat(params["start_date"]), args.days)
    rng = np.random.default_rng(args.seed)
    steps = rng.normal(params["daily_drift"], params["daily_vol"], len(days) + 1)
    closes = (params["start_price"] * np.exp(np.cumsum(steps))).tolist()
    fast = sma(closes, params["fast_window"])
    slow = sma(closes, params["slow_window"])
    qty, step = params["qty"], params["strike_step"]
    stop_cents = -round(params["stop_loss"] * 100)
    capital = float(params["capital"])

    rows, trade_cents, daily = [], [], []
    for i, day in enumerate(days):
        print(f"Processing day {i + 1}/{len(days)} ({day})", flush=True)
        if slow[i] is None:
            daily.append(0)
            continue
        side = 1 if fast[i] > slow[i] else -1
        cents = max(round(side * (closes[i + 1] - closes[i]) * qty * 100), stop_cents)
        strike = int(round(closes[i] / step)) * step
        rows.append(f"{day}T09:20:00,{day}T15:15:00,{params['symbol']},{strike},"
                    f"{'CE' if side > 0 else 'PE'},{qty},{money(cents)}\n")
        trade_cents.append(cents)
        daily.append(cents)

    with open(out / "trades.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write("entry_time,exit_time,symbol,strike,option_type,qty,pnl\n" + "".join(rows))

    daily_arr = np.array(daily, dtype=np.int64)
    cum = np.cumsum(daily_arr)
    with open(out / "pnl.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write("date,pnl,cumulative_pnl\n")
        f.write("".join(f"{d},{money(int(p))},{money(int(c))}\n" for d, p, c in zip(days, daily_arr, cum)))

    capital_cents = round(capital * 100)
    equity = capital_cents + cum
    peak = np.maximum.accumulate(np.concatenate(([capital_cents], equity)))[1:]
    fall = equity - peak
    trades = np.array(trade_cents, dtype=np.int64)
    wins, losses = trades[trades > 0], trades[trades < 0]
    sd = float(daily_arr.std(ddof=1)) if len(daily_arr) > 1 else 0.0
    sharpe = float(daily_arr.mean()) / sd * math.sqrt(252) if sd > 0 else 0.0
    total = int(cum[-1])
    metrics = [
        ("total_pnl", money(total)),
        ("total_trades", str(len(trades))),
        ("winning_trades", str(len(wins))),
        ("losing_trades", str(len(losses))),
        ("win_rate", f"{100.0 * len(wins) / len(trades) if len(trades) else 0.0:.2f}"),
        ("avg_trade_pnl", f"{total / len(trades) / 100 if len(trades) else 0.0:.2f}"),
        ("best_trade", money(int(trades.max()) if len(trades) else 0)),
        ("worst_trade", money(int(trades.min()) if len(trades) else 0)),
        ("profit_factor", f"{int(wins.sum()) / -int(losses.sum()) if len(losses) else 0.0:.4f}"),
        ("max_drawdown", money(int(fall.min()))),
        ("max_drawdown_pct", f"{float((fall / peak).min()) * 100:.4f}"),
        ("sharpe_ratio", f"{sharpe:.4f}"),
        ("trading_days", str(len(days))),
        ("start_date", days[0].isoformat()),
        ("end_date", days[-1].isoformat()),
        ("capital", f"{capital:.2f}"),
    ]
    with open(out / "summary.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write("metric,value\n" + "".join(f"{k},{v}\n" for k, v in metrics))

    meta = {
        "run_id": os.environ.get("BACKTEST_RUN_ID"),
        "strategy": "sma_crossover",
        "parameters": dict(params, days=args.days, seed=args.seed, capital=capital),
        "execution_timestamp": dt.datetime.now().isoformat(timespec="seconds"),
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
    }
    with open(out / "metadata.json", "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(meta, indent=2) + "\n")
    print(f"Done: {len(trades)} trades over {len(days)} days, total_pnl={money(total)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
