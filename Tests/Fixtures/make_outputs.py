#!/usr/bin/env python3
"""Write synthetic backtest outputs, clean or with one named defect.

    make_outputs.py OUT_DIR [--trades 1000] [--days 252] [--seed 42]
                    [--start-date 2020-01-01] [--capital 1000000] [--strategy NAME]
                    [--defect NAME] [--no-metadata] [--quiet]
    make_outputs.py --list-defects

OUT_DIR receives trades.csv, summary.csv, pnl.csv and metadata.json in the
formats of this folder's README.  The CSV files depend only on the arguments
(byte for byte); metadata.json also carries the time it was written.

Importable as well:

    import make_outputs
    stats = make_outputs.generate("out", trades=400, days=60, seed=1, dates=None)

Python 3 standard library only.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import time
from array import array
from pathlib import Path
from random import Random

# --------------------------------------------------------------------------
# Defects.  Positions are fixed so that tests can name the lines they expect
# (n = trades, d = days, data rows are 0-based, file line = row + 2).

DEFECTS = {
    "missing_column": "trades.csv: the pnl column is left out of the header and every row",
    "null_pnl": "trades.csv: rows n//3, n//2 and 2*n//3 have an empty pnl",
    "unsorted_dates": "pnl.csv: rows d//2-1 and d//2 change places",
    "date_gap": "pnl.csv: row d//2 is removed, the other cumulative_pnl values are kept (needs 3 days)",
    "nan_last_cumulative": "pnl.csv: the last row's cumulative_pnl is empty",
    "empty_trades": "trades.csv: the header and no trades (55 bytes)",
    "tiny_file": "pnl.csv: the header and the first row only (under 100 bytes)",
    "bad_csv_quote": 'trades.csv: row n//2 opens a " before its symbol that is never closed',
    "missing_metric": "summary.csv: the max_drawdown row is left out",
    "huge_loss": "trades.csv: row n//2 loses 25000.00; pnl.csv and summary.csv agree with it",
    "deep_drawdown": "pnl.csv: row 2*d//3 loses about 45% of equity (a 45% drawdown); summary.csv follows, trades.csv does not",
    "not_json_metadata": "metadata.json: cut off half way",
}

# Smallest sizes a defect needs: (days, trades).
_DEFECT_NEEDS = {
    "missing_column": (1, 1),
    "null_pnl": (1, 1),
    "unsorted_dates": (2, 0),
    "date_gap": (3, 0),
    "bad_csv_quote": (1, 1),
    "huge_loss": (1, 1),
    "deep_drawdown": (2, 0),
}

# --------------------------------------------------------------------------
# The synthetic market.

TRADES_COLUMNS = ("entry_time", "exit_time", "symbol", "strike", "option_type", "qty", "pnl")
PNL_COLUMNS = ("date", "pnl", "cumulative_pnl")
SUMMARY_METRICS = (
    "total_pnl", "total_trades", "winning_trades", "losing_trades", "win_rate",
    "avg_trade_pnl", "best_trade", "worst_trade", "profit_factor", "max_drawdown",
    "max_drawdown_pct", "sharpe_ratio", "trading_days", "start_date", "end_date", "capital",
)

# symbol, strike step, lot size, first spot
UNDERLYINGS = (
    ("NIFTY", 50, 25, 18000.0),
    ("BANKNIFTY", 100, 15, 42000.0),
    ("FINNIFTY", 50, 40, 19000.0),
)
STRIKE_OFFSETS = 11          # strikes from 5 steps below the money to 5 above
MAX_LOTS = 4

OPEN_SECOND = 9 * 3600 + 15 * 60      # 09:15:00
SESSION_SECONDS = 6 * 3600 + 15 * 60  # until 15:30:00
MIN_HOLD = 60                         # seconds between entry and exit, at least
ENTRY_CHOICES = SESSION_SECONDS - MIN_HOLD + 1

# Per-lot pnl in cents: DRIFT plus a triangular spread of +-SPREAD.  The drift
# keeps the equity rising, so clean data stays far from the 30 % drawdown rule.
DRIFT_CENTS = 6_000
SPREAD_CENTS = 250_000
STOP_LOSS_CENTS = -900_000            # no clean trade loses more than 9000.00
HUGE_LOSS_CENTS = -2_500_000
DEEP_DRAWDOWN_SHARE = 45              # percent drawdown of the deep_drawdown defect

DEFAULT_CAPITAL = 1_000_000.0
RANDOM_FIELDS = 5                     # 16-bit random numbers used per trade

_CLOCK = None
_PER_LOT = None
_PICK_STRIKE = None
_PICK_CONTRACT = None
_CONTRACT_TAIL = None
_CONTRACT_LOTS = None


def _tables():
    """Lookup tables shared by every call (built once)."""
    global _CLOCK, _PER_LOT, _PICK_STRIKE, _PICK_CONTRACT, _CONTRACT_TAIL, _CONTRACT_LOTS
    if _CLOCK is not None:
        return
    clock = []
    for s in range(SESSION_SECONDS + 1):
        t = OPEN_SECOND + s
        clock.append(f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}")
    _CLOCK = clock
    # index u1 + u2 of two 16-bit uniforms -> triangular per-lot pnl in cents
    _PER_LOT = [DRIFT_CENTS + (t - 65535) * SPREAD_CENTS // 65535 for t in range(2 * 65535 + 1)]
    # one 16-bit number -> (underlying, strike offset) and (underlying, side, lots)
    per_symbol = 2 * MAX_LOTS
    strike_pick, contract_pick = [], []
    for v in range(65536):
        s = v % 3
        off = v // 3 % STRIKE_OFFSETS
        q = v // (3 * STRIKE_OFFSETS) % per_symbol
        strike_pick.append(s * STRIKE_OFFSETS + off)
        contract_pick.append(s * per_symbol + q)
    _PICK_STRIKE, _PICK_CONTRACT = strike_pick, contract_pick
    tails, lots = [], []
    for _, _, lot, _ in UNDERLYINGS:
        for q in range(per_symbol):
            side = "CE" if q % 2 == 0 else "PE"
            n = 1 + q // 2
            tails.append(f"{side},{n * lot},")
            lots.append(n)
    _CONTRACT_TAIL, _CONTRACT_LOTS = tails, lots


# --------------------------------------------------------------------------
# Calendar and formatting.

def weekdays(start: dt.date, n: int) -> list[dt.date]:
    """The first n Monday-to-Friday dates from start on (no holidays)."""
    out = []
    d = start
    step = dt.timedelta(days=1)
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += step
    return out


def weekdays_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every Monday-to-Friday date from start to end, both included (no holidays)."""
    out = []
    d = start
    step = dt.timedelta(days=1)
    while d <= end:
        if d.weekday() < 5:
            out.append(d)
        d += step
    return out


# Older names of the two calendar helpers.
trading_days = weekdays
trading_days_between = weekdays_between


def money(cents: int) -> str:
    """Integer cents as a two-decimal amount: -48712 -> '-487.12'."""
    return f"{cents / 100:.2f}"


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _slots(k: int, cache: dict) -> tuple:
    """k entry slots that cover the session in order: (first second, width) of each."""
    got = cache.get(k)
    if got is None:
        starts = [j * ENTRY_CHOICES // k for j in range(k + 1)]
        got = (starts[:-1], [b - a for a, b in zip(starts, starts[1:])])
        cache[k] = got
    return got


# --------------------------------------------------------------------------
# Statistics.

def drawdown(daily_cents: list[int], capital_cents: int) -> tuple[int, float]:
    """Worst (amount in cents, percent of the peak) of equity = capital + cumulative pnl.

    The capital itself is the first peak.  Both values are <= 0 and are worst
    independently (they can fall on different days)."""
    peak = equity = capital_cents
    worst_amount = 0
    worst_pct = 0.0
    for c in daily_cents:
        equity += c
        if equity >= peak:
            peak = equity
            continue
        fall = equity - peak
        if fall < worst_amount:
            worst_amount = fall
        if peak > 0:
            pct = fall * 100.0 / peak
            if pct < worst_pct:
                worst_pct = pct
    return worst_amount, worst_pct


def sharpe(daily_cents: list[int]) -> float:
    """Annualised Sharpe ratio of the daily pnl (sample deviation, 252 days a year)."""
    n = len(daily_cents)
    if n < 2:
        return 0.0
    mean = sum(daily_cents) / n
    var = sum((c - mean) ** 2 for c in daily_cents) / (n - 1)
    if var <= 0:
        return 0.0
    return mean / math.sqrt(var) * math.sqrt(252)


# --------------------------------------------------------------------------
# The generator.

def generate(out_dir, trades: int = 1000, days: int = 252, seed: int = 42,
             start_date="2020-01-01", capital: float = DEFAULT_CAPITAL,
             strategy: str = "synthetic", defect: str | None = None, dates=None,
             metadata: bool = True, parameters: dict | None = None,
             run_id: str | None = None) -> dict:
    """Write trades.csv, pnl.csv, summary.csv and (unless metadata=False) metadata.json.

    dates, when given, is the list of trading days (date objects or ISO
    strings) and replaces the Monday-to-Friday calendar; days is then ignored.
    parameters are merged into metadata.json's parameters.  run_id defaults to
    $BACKTEST_RUN_ID.  Returns a dict of what was written.
    """
    t0 = time.perf_counter()
    if defect is not None and defect not in DEFECTS:
        raise ValueError(f"unknown defect {defect!r} (known: {', '.join(DEFECTS)})")
    if dates is None:
        if days < 1:
            raise ValueError("days must be at least 1")
        dates = weekdays(_as_date(start_date), days)
    else:
        dates = [_as_date(d) for d in dates]
        if not dates:
            raise ValueError("dates is empty")
    if trades < 0:
        raise ValueError("trades must not be negative")
    if defect == "empty_trades":
        trades = 0
    n_days = len(dates)
    need_days, need_trades = _DEFECT_NEEDS.get(defect, (1, 0))
    if n_days < need_days:
        raise ValueError(f"defect {defect} needs at least {need_days} days")
    if trades < need_trades:
        raise ValueError(f"defect {defect} needs at least {need_trades} trade")
    if defect == "not_json_metadata" and not metadata:
        raise ValueError("defect not_json_metadata needs metadata.json")
    capital = float(capital)
    capital_cents = round(capital * 100)

    _tables()
    clock, per_lot = _CLOCK, _PER_LOT
    pick_strike, pick_contract = _PICK_STRIKE, _PICK_CONTRACT
    contract_tail, contract_lots = _CONTRACT_TAIL, _CONTRACT_LOTS
    stop = STOP_LOSS_CENTS

    # Trades whose row a defect changes: index -> kind, handled as their day is written.
    marks: dict[int, str] = {}
    if defect == "null_pnl":
        for i in (trades // 3, trades // 2, 2 * trades // 3):
            marks[i] = "null"
    elif defect == "huge_loss":
        marks[trades // 2] = "huge"
    elif defect == "bad_csv_quote":
        marks[trades // 2] = "quote"
    pending = sorted(marks)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = Random(seed)
    uniform = rng.random
    randbytes = rng.randbytes
    swap_bytes = sys.byteorder != "little"   # same numbers on every platform
    spots = [u[3] for u in UNDERLYINGS]
    slot_cache: dict = {}

    date_strs = [d.isoformat() for d in dates]
    daily: list[int] = []          # pnl of each day, cents
    cents: list = []               # pnl of each trade, cents (None: left empty)
    done = 0                       # trades written so far
    header = ",".join(TRADES_COLUMNS[:-1] if defect == "missing_column" else TRADES_COLUMNS) + "\n"

    with open(out / "trades.csv", "w", encoding="utf-8", newline="\n") as f:
        write = f.write
        write(header)
        for di, ds in enumerate(date_strs):
            # The underlyings move every day, traded or not.
            for s in range(3):
                spots[s] *= 1.0 + (uniform() - 0.5) * 0.02
            k = (di + 1) * trades // n_days - di * trades // n_days
            if k == 0:
                daily.append(0)
                continue
            heads = []
            for (sym, step, _, _), spot in zip(UNDERLYINGS, spots):
                atm = int(spot / step + 0.5)
                heads.extend(f"{sym},{(atm + o - 5) * step}," for o in range(STRIKE_OFFSETS))
            pre = ds + "T"
            starts, widths = _slots(k, slot_cache)
            r = array("H")
            r.frombytes(randbytes(2 * RANDOM_FIELDS * k))
            if swap_bytes:
                r.byteswap()
            rows = []
            row = rows.append
            day_cents = []
            keep = day_cents.append
            for lo, width, ue, ux, uc, u1, u2 in zip(
                    starts, widths, r[0::5], r[1::5], r[2::5], r[3::5], r[4::5]):
                e = lo + (ue * width >> 16)
                x = e + MIN_HOLD + (ux * (ENTRY_CHOICES - e) >> 16)
                q = pick_contract[uc]
                c = per_lot[u1 + u2] * contract_lots[q]
                if c < stop:
                    c = stop
                keep(c)
                row(f"{pre}{clock[e]},{pre}{clock[x]},{heads[pick_strike[uc]]}{contract_tail[q]}{c / 100:.2f}\n")
            end = done + k
            while pending and pending[0] < end:
                i = pending.pop(0)
                j = i - done
                line = rows[j]
                kind = marks[i]
                if kind == "null":
                    rows[j] = line[:line.rindex(",") + 1] + "\n"
                    day_cents[j] = None
                elif kind == "huge":
                    rows[j] = line[:line.rindex(",") + 1] + money(HUGE_LOSS_CENTS) + "\n"
                    day_cents[j] = HUGE_LOSS_CENTS
                elif kind == "quote":
                    entry, exit_, rest = line.split(",", 2)
                    rows[j] = f'{entry},{exit_},"{rest}'
            if defect == "missing_column":
                rows = [ln[:ln.rindex(",")] + "\n" for ln in rows]
            write("".join(rows))
            daily.append(sum(c for c in day_cents if c is not None) if marks else sum(day_cents))
            cents.extend(day_cents)
            done = end

    # Day 2*d//3 takes an extra loss sized so that equity, at its lowest from
    # that day on, is DEEP_DRAWDOWN_SHARE % below the peak before it: the
    # drawdown is then 45 % and the day's loss about 45 % of equity.
    if defect == "deep_drawdown":
        m = 2 * n_days // 3
        equity = [capital_cents]
        for c in daily:
            equity.append(equity[-1] + c)
        peak = max(equity[: m + 1])
        low = min(equity[m + 1:])
        daily[m] -= low - peak * (100 - DEEP_DRAWDOWN_SHARE) // 100

    # pnl.csv
    rows = []
    cum = 0
    for ds, c in zip(date_strs, daily):
        cum += c
        rows.append([ds, money(c), money(cum)])
    total = cum
    if defect == "unsorted_dates":
        m = n_days // 2
        rows[m - 1], rows[m] = rows[m], rows[m - 1]
    elif defect == "date_gap":
        del rows[n_days // 2]
    elif defect == "nan_last_cumulative":
        rows[-1][2] = ""
    elif defect == "tiny_file":
        rows = rows[:1]
    with open(out / "pnl.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(PNL_COLUMNS) + "\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))

    # summary.csv
    priced = [c for c in cents if c is not None] if marks else cents
    wins = [c for c in priced if c > 0]
    losses = [c for c in priced if c < 0]
    gross_win, gross_loss = sum(wins), -sum(losses)
    dd_amount, dd_pct = drawdown(daily, capital_cents)
    sr = sharpe(daily)
    values = {
        "total_pnl": money(total),
        "total_trades": str(trades),
        "winning_trades": str(len(wins)),
        "losing_trades": str(len(losses)),
        "win_rate": f"{100.0 * len(wins) / len(priced) if priced else 0.0:.2f}",
        "avg_trade_pnl": f"{sum(priced) / len(priced) / 100 if priced else 0.0:.2f}",
        "best_trade": money(max(priced) if priced else 0),
        "worst_trade": money(min(priced) if priced else 0),
        "profit_factor": f"{gross_win / gross_loss if gross_loss else 0.0:.4f}",
        "max_drawdown": money(dd_amount),
        "max_drawdown_pct": f"{dd_pct:.4f}",
        "sharpe_ratio": f"{sr:.4f}",
        "trading_days": str(n_days),
        "start_date": date_strs[0],
        "end_date": date_strs[-1],
        "capital": f"{capital:.2f}",
    }
    if defect == "missing_metric":
        del values["max_drawdown"]
    with open(out / "summary.csv", "w", encoding="utf-8", newline="\n") as f:
        f.write("metric,value\n" + "".join(f"{k},{v}\n" for k, v in values.items()))

    # metadata.json
    if metadata:
        params = {"capital": capital, "trades": trades, "days": n_days, "seed": seed,
                  "start_date": date_strs[0]}
        params.update(parameters or {})
        params["capital"] = capital
        doc = {
            "run_id": run_id if run_id is not None else os.environ.get("BACKTEST_RUN_ID"),
            "strategy": strategy,
            "parameters": params,
            "execution_timestamp": dt.datetime.now().isoformat(timespec="seconds"),
            "generator": {"name": "make_outputs.py", "seed": seed, "trades": trades,
                          "days": n_days, "defect": defect},
            "python_version": platform.python_version(),
        }
        text = json.dumps(doc, indent=2) + "\n"
        if defect == "not_json_metadata":
            text = text[: len(text) // 2]
        with open(out / "metadata.json", "w", encoding="utf-8", newline="\n") as f:
            f.write(text)

    names = ("trades.csv", "summary.csv", "pnl.csv") + (("metadata.json",) if metadata else ())
    return {
        "out_dir": str(out),
        "trades": trades,
        "days": n_days,
        "start_date": date_strs[0],
        "end_date": date_strs[-1],
        "capital": capital,
        "total_pnl": total / 100,
        "total_pnl_cents": total,
        "win_rate": float(values["win_rate"]),
        "max_drawdown": dd_amount / 100,
        "max_drawdown_pct": dd_pct,
        "sharpe_ratio": sr,
        "defect": defect,
        "files": {n: (out / n).stat().st_size for n in names},
        "seconds": time.perf_counter() - t0,
    }


# --------------------------------------------------------------------------
# Command line.

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="make_outputs.py",
        description="Write synthetic backtest outputs (trades.csv, summary.csv, pnl.csv, metadata.json).")
    ap.add_argument("out_dir", nargs="?", help="folder to write into (created when missing)")
    ap.add_argument("--trades", type=int, default=1000, help="number of trades (default 1000)")
    ap.add_argument("--days", type=int, default=252, help="number of Mon-Fri trading days (default 252)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--start-date", default="2020-01-01", help="first calendar date (default 2020-01-01)")
    ap.add_argument("--capital", type=float, default=DEFAULT_CAPITAL, help="capital (default 1000000)")
    ap.add_argument("--strategy", default="synthetic", help="strategy name for metadata.json")
    ap.add_argument("--defect", choices=list(DEFECTS), metavar="NAME", help="inject one defect (see --list-defects)")
    ap.add_argument("--no-metadata", action="store_true", help="do not write metadata.json")
    ap.add_argument("--list-defects", action="store_true", help="print one line per defect and exit")
    ap.add_argument("--quiet", action="store_true", help="print nothing on success")
    a = ap.parse_args(argv)
    if a.list_defects:
        for name, what in DEFECTS.items():
            print(f"{name}  {what}")
        return 0
    if not a.out_dir:
        ap.error("OUT_DIR is required")
    try:
        start = dt.date.fromisoformat(a.start_date)
    except ValueError:
        ap.error(f"--start-date {a.start_date!r} is not a valid YYYY-MM-DD date")
    try:
        st = generate(a.out_dir, trades=a.trades, days=a.days, seed=a.seed, start_date=start,
                      capital=a.capital, strategy=a.strategy, defect=a.defect,
                      metadata=not a.no_metadata)
    except ValueError as e:
        ap.error(str(e))
    if not a.quiet:
        sizes = ", ".join(f"{k} {v} B" for k, v in st["files"].items())
        print(f"wrote {st['out_dir']}: {st['trades']} trades over {st['days']} days "
              f"({st['start_date']}..{st['end_date']}), total_pnl {st['total_pnl']:.2f}, "
              f"defect {st['defect'] or 'none'}, {st['seconds']:.2f} s; {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
