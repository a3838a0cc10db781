#!/usr/bin/env python3
"""Test strategy: writes the fixture outputs with one injected defect (make_outputs.py --defect NAME), so
validation fails with errors that name a file and a line. Exits 0.

    defective.py --defect null_pnl [--trades 30] --output_dir DIR
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("FIXTURES_DIR", str(Path(__file__).resolve().parent.parent)))
import make_outputs  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--defect", default="null_pnl")
ap.add_argument("--trades", type=int, default=30)
ap.add_argument("--days", type=int, default=20)
ap.add_argument("--output_dir", default=os.environ.get("BACKTEST_OUTPUT_DIR", "results"))
a, _ = ap.parse_known_args()
print(f"writing outputs with defect {a.defect}", flush=True)
make_outputs.generate(a.output_dir, trades=a.trades, days=a.days, seed=1, defect=a.defect)
print("done", flush=True)
