"""The pure helpers behind sweeps, no server needed: ``rank_by`` as the server ranks, ``name=a,b,c`` words,
equity curves with the server's capital rule, and the overlay chart."""
import json

import pytest

from backtest_rpc.charts import overlay_svg
from backtest_rpc.equity import DEFAULT_CAPITAL, capital_of, equity_curve
from backtest_rpc.grid import parse_grid
from backtest_rpc.ranking import RankKey, rank_rows


def test_ranking_matches_the_server_s_rule():
    rows = [{"run_id": "a", "metrics.x": 1.0}, {"run_id": "b"}, {"run_id": "c", "metrics.x": "3"},
            {"run_id": "d", "metrics.x": 3}, {"run_id": "e", "metrics.x": float("nan")}]
    assert [r["run_id"] for r in rank_rows(rows, "metrics.x")] == ["c", "d", "a", "b", "e"]
    assert [r["run_id"] for r in rank_rows(rows, "metrics.x ASC")] == ["a", "c", "d", "b", "e"]
    assert rank_rows(rows, None) == rows
    assert RankKey.parse("summary.total_pnl asc") == RankKey("summary.total_pnl", True)
    for bad in ["sharpe", "metrics.", "other.x", "metrics.x up", "metrics.x asc more", "", "metrics.a.b"]:
        with pytest.raises(ValueError):
            RankKey.parse(bad)


def test_parse_grid():
    grid, fixed = parse_grid(["fast=5,10,20", "slow=50,100", "w=0.5,1e3", "on=true,false", "mode=a,b",
                              "days=60", "name=iron_condor", "flag", "x=NaN,Infinity", "q=\"a\",null"])
    assert grid == {"fast": [5, 10, 20], "slow": [50, 100], "w": [0.5, 1000.0], "on": [True, False],
                    "mode": ["a", "b"], "x": ["NaN", "Infinity"], "q": ["a", None]}
    assert fixed == {"days": 60, "name": "iron_condor", "flag": True}
    assert all(type(v) is int for v in grid["fast"])
    assert parse_grid(["xs=[1]"])[1] == {"xs": "[1]"}  # an array is no scalar: text (commas split values)
    for bad in (["=1,2"], ["a=1", "a=2,3"]):
        with pytest.raises(ValueError):
            parse_grid(bad)


def test_capital_follows_the_server_s_rule():
    meta = json.dumps({"parameters": {"cash": 250000, "capital": "x"}}).encode()
    assert capital_of({"capital": 500000, "cash": 1}) == 500000
    assert capital_of({"capital": "0", "initial_capital": "750000"}) == 750000  # positive only; text counts
    assert capital_of({"capital": True}, meta) == 250000  # not a number: metadata.json's parameters next
    assert capital_of({}, b"not json") == capital_of(None) == DEFAULT_CAPITAL == 1_000_000
    assert capital_of({"starting_cash": float("inf")}) == DEFAULT_CAPITAL


def test_equity_curve_is_capital_plus_cumulative_pnl():
    pnl = b"Date, PnL ,Cumulative_PnL\n2024-01-02,10,10\n2024-01-03,,\n2024-01-04,-5,5\n2024-01-05,nan,nan\n"
    assert equity_curve(pnl, 1000.0) == [("2024-01-02", 1010.0), ("2024-01-04", 1005.0)]
    no_cum = b"date,pnl\n2024-01-02,10\n2024-01-03,-4\n"
    assert equity_curve(no_cum, 100.0) == [("2024-01-02", 110.0), ("2024-01-03", 106.0)]
    assert equity_curve(b"", 1.0) == []


def test_overlay_svg_puts_runs_on_one_date_axis():
    a = ("fast=2", [("2024-01-01", 100.0), ("2024-01-03", 120.0)])
    b = ("fast=3 <x>", [("2024-01-02", 90.0), ("2024-01-03", 95.0)])
    svg = overlay_svg([a, b, ("empty", [])], width=600, height=200, title="t")
    assert svg.startswith("<svg") and svg.count("<polyline") == 2 and "fast=3 &lt;x&gt;" in svg
    assert ">2024-01-01<" in svg and ">2024-01-03<" in svg and ">120<" in svg and ">90<" in svg
    # b starts on the second date: half way along the axis (80 px left pad, 600 - 80 - 230 = 290 px wide).
    points = [p.split('points="')[1].split('"')[0].split() for p in svg.split("<polyline")[1:]]
    assert points[0][0].startswith("80.0,") and points[1][0].startswith(f"{80 + 290 / 2:.1f},")
