#!/usr/bin/env python3
"""Test strategy: the fixture outputs (clean, so the run completes) plus ``blob.bin``, a binary result file of
every byte value, larger than one ``read`` chunk (1 MiB), so downloads take several chunks. Deterministic, and
it imports make_outputs as a module, so a rerun (from the captured code) reproduces it. Exits 0.

    binary_outputs.py [--blob_bytes 2621447] [--output_dir DIR]
"""
import argparse
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("FIXTURES_DIR", str(Path(__file__).resolve().parent.parent)))
import make_outputs  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--blob_bytes", type=int, default=2_621_447)  # 2.5 MiB and a few odd bytes
ap.add_argument("--output_dir", default=os.environ.get("BACKTEST_OUTPUT_DIR", "results"))
a, _ = ap.parse_known_args()
print("writing outputs and blob.bin", flush=True)
make_outputs.generate(a.output_dir, trades=30, days=20, seed=1)
rng = random.Random(1)
blob = bytes(range(256)) + b"\r\n\x00\xff" + bytes(rng.getrandbits(8) for _ in range(max(0, a.blob_bytes - 260)))
(Path(a.output_dir) / "blob.bin").write_bytes(blob[:a.blob_bytes])
print(f"done: blob.bin {a.blob_bytes} bytes", flush=True)
