#!/usr/bin/env python3
"""A small, real backtest: a moving-average crossover on a synthetic price series.

Standard library only. It follows backtest-rpc's calling convention: params arrive as `--key value`,
the output directory as `--output_dir` (also in $BACKTEST_OUTPUT_DIR), and it writes the files the
built-in `backtest` validation profile checks: trades.csv, pnl.csv, summary.csv and metadata.json.

    python3 sma_crossover.py --days 120 --fast 5 --slow 20 --capital 1000000 --output_dir out/
"""
import argparse
import csv
import datetime as dt
import json
import math
import os
import random
import sys


def trading_days(start, count):
    days, d = [], start
    while len(days) < count:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def main():
    ap = argparse.ArgumentParser(description="SMA crossover on a synthetic series")
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--fast", type=int, default=3)
    ap.add_argument("--slow", type=int, default=10)
    ap.add_argument("--capital", type=float, default=1_000_000.0)
    ap.add_argument("--qty", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--start_date", default="2024-01-01")
    ap.add_argument("--output_dir", default=os.environ.get("BACKTEST_OUTPUT_DIR", "results"))
    a = ap.parse_args()
    if a.fast >= a.slow:
        print("ERROR: --fast must be smaller than --slow", file=sys.stderr)
        return 2

    rng = random.Random(a.seed)
    days = trading_days(dt.date.fromisoformat(a.start_date), a.days)
    price, prices = 20000.0, []
    for _ in days:
        price *= math.exp(rng.gauss(0.0003, 0.012))
        prices.append(round(price, 2))
    print(f"Starting backtest: sma {a.fast}/{a.slow} over {len(days)} days, run {os.environ.get('BACKTEST_RUN_ID', '-')}", flush=True)

    trades, position, entry = [], None, None
    for i, day in enumerate(days):
        if i >= a.slow:
            fast = sum(prices[i - a.fast:i]) / a.fast
            slow = sum(prices[i - a.slow:i]) / a.slow
            want = "long" if fast > slow else "short"
            if position != want:
                if position is not None:
                    sign = 1 if position == "long" else -1
                    pnl = round(sign * (prices[i] - entry[1]) * a.qty, 2)
                    trades.append((entry[0], day, position, entry[1], prices[i], pnl))
                position, entry = want, (day, prices[i])
        print(f"Processing day {i + 1}/{len(days)} ({day})", flush=True)

    os.makedirs(a.output_dir, exist_ok=True)
    with open(os.path.join(a.output_dir, "trades.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["entry_time", "exit_time", "side", "entry_price", "exit_price", "qty", "pnl"])
        for e, x, side, ep, xp, pnl in trades:
            w.writerow([f"{e}T09:30:00", f"{x}T15:30:00", side, f"{ep:.2f}", f"{xp:.2f}", a.qty, f"{pnl:.2f}"])

    daily = {d: 0.0 for d in days}
    for _, x, _, _, _, pnl in trades:
        daily[x] += pnl
    cum, peak, max_dd, rows = 0.0, a.capital, 0.0, []
    for d in days:
        cum = round(cum + daily[d], 2)
        equity = a.capital + cum
        peak = max(peak, equity)
        max_dd = min(max_dd, equity - peak)
        rows.append((d, daily[d], cum))
    with open(os.path.join(a.output_dir, "pnl.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date", "pnl", "cumulative_pnl"])
        for d, p, c in rows:
            w.writerow([d.isoformat(), f"{p:.2f}", f"{c:.2f}"])

    wins = [t for t in trades if t[5] > 0]
    total = round(sum(t[5] for t in trades), 2)
    rets = [p / a.capital for _, p, _ in rows]
    mean = sum(rets) / len(rets)
    sd = math.sqrt(sum((r - mean) ** 2 for r in rets) / max(1, len(rets) - 1))
    metrics = [
        ("total_pnl", f"{total:.2f}"), ("total_trades", len(trades)), ("winning_trades", len(wins)),
        ("win_rate", f"{100.0 * len(wins) / max(1, len(trades)):.2f}"), ("max_drawdown", f"{max_dd:.2f}"),
        ("sharpe_ratio", f"{(mean / sd * math.sqrt(252)) if sd else 0.0:.3f}"), ("capital", f"{a.capital:.2f}"),
    ]
    with open(os.path.join(a.output_dir, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["metric", "value"])
        w.writerows(metrics)
    with open(os.path.join(a.output_dir, "metadata.json"), "w") as f:
        json.dump({"run_id": os.environ.get("BACKTEST_RUN_ID"), "strategy": "sma_crossover",
                   "parameters": vars(a), "execution_timestamp": dt.datetime.now().isoformat(timespec="seconds")}, f, indent=2)
    print(f"Backtest complete: {len(trades)} trades, total_pnl={total:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
