#!/usr/bin/env python3
"""Sleep until killed.  For cancellation and timeout tests.

    hang.py [--ignore-term]

Prints "hang.py pid=<pid> ignore_term=<True|False>" and "hanging", both
flushed, then waits for signals forever.  With --ignore-term SIGTERM is
ignored, so only SIGKILL ends it.  Unknown arguments are ignored.  Standard
library only.
"""
import argparse
import os
import signal
import sys


def main():
    ap = argparse.ArgumentParser(prog="hang.py")
    ap.add_argument("--ignore-term", "--ignore_term", dest="ignore_term", action="store_true")
    args, _ = ap.parse_known_args()
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(f"hang.py pid={os.getpid()} ignore_term={args.ignore_term}", flush=True)
    print("hanging", flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main())
