#!/usr/bin/env python3
"""Start two grandchild processes and wait for them.  For environment
inheritance and process-tree cancellation.

    spawner.py [--sleep 30] [--delay 0.5]

Each grandchild is `python -c ...` (subprocess.Popen) with this process's
environment, stdout and stderr.  Grandchild n (1 and 2):
  1. waits --delay seconds,
  2. writes $BACKTEST_OUTPUT_DIR/grandchild_<n>.started:
     "pid=<pid> ppid=<ppid> run_id=<$BACKTEST_RUN_ID>",
  3. sleeps --sleep seconds,
  4. writes $BACKTEST_OUTPUT_DIR/grandchild_<n>.finished.
Without BACKTEST_OUTPUT_DIR a grandchild exits 4 and writes nothing; there is
deliberately no fallback to --output_dir.  The parent writes spawner.pids
(its own pid, then the two grandchild pids, one per line) into
$BACKTEST_OUTPUT_DIR, waits for both grandchildren and exits 0, or with the
first non-zero grandchild exit code.  No CSV outputs.  Unknown arguments are
ignored.  Standard library only.
"""
import argparse
import os
import subprocess
import sys

GRANDCHILD = r"""
import os, sys, time
n, delay, nap = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
folder = os.environ.get("BACKTEST_OUTPUT_DIR")
if not folder:
    print(f"grandchild {n}: BACKTEST_OUTPUT_DIR is not set", file=sys.stderr, flush=True)
    sys.exit(4)
time.sleep(delay)
with open(os.path.join(folder, f"grandchild_{n}.started"), "w") as f:
    f.write(f"pid={os.getpid()} ppid={os.getppid()} run_id={os.environ.get('BACKTEST_RUN_ID', '')}\n")
print(f"grandchild {n} pid={os.getpid()} started", flush=True)
time.sleep(nap)
with open(os.path.join(folder, f"grandchild_{n}.finished"), "w") as f:
    f.write(f"pid={os.getpid()}\n")
print(f"grandchild {n} pid={os.getpid()} finished", flush=True)
"""


def main():
    ap = argparse.ArgumentParser(prog="spawner.py")
    ap.add_argument("--sleep", type=float, default=30.0)
    ap.add_argument("--delay", type=float, default=0.5)
    args, _ = ap.parse_known_args()

    folder = os.environ.get("BACKTEST_OUTPUT_DIR")
    print(f"spawner pid={os.getpid()} run_id={os.environ.get('BACKTEST_RUN_ID')} output_dir={folder}",
          flush=True)
    if folder:
        os.makedirs(folder, exist_ok=True)
    kids = [subprocess.Popen([sys.executable, "-c", GRANDCHILD, str(n), str(args.delay), str(args.sleep)])
            for n in (1, 2)]
    print(f"grandchildren: {kids[0].pid} {kids[1].pid}", flush=True)
    if folder:
        with open(os.path.join(folder, "spawner.pids"), "w") as f:
            f.write("".join(f"{pid}\n" for pid in (os.getpid(), kids[0].pid, kids[1].pid)))
    codes = [k.wait() for k in kids]
    print(f"grandchildren exited: {codes[0]} {codes[1]}", flush=True)
    return next((c for c in codes if c != 0), 0)


if __name__ == "__main__":
    sys.exit(main())
