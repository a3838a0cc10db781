#!/usr/bin/env python3
"""Print numbered log lines as fast as possible, then exit 0.  Writes no output files.

    log_flood.py [--lines 1000000] [--line-bytes N] [--stderr-every K]

stdout gets "log line 000000042 processing tick", numbered from 0, written in
chunks of 10,000 lines.  --line-bytes N pads every line with dots to exactly N
bytes, the newline included (a line is never cut below its unpadded length).
--stderr-every K also writes "stderr line 000000042" to stderr for every line
whose number is a multiple of K.  Unknown arguments are ignored.  Standard
library only.
"""
import argparse
import sys

CHUNK = 10_000


def main():
    ap = argparse.ArgumentParser(prog="log_flood.py")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--line-bytes", "--line_bytes", dest="line_bytes", type=int, default=0)
    ap.add_argument("--stderr-every", "--stderr_every", dest="stderr_every", type=int, default=0)
    args, _ = ap.parse_known_args()

    out = sys.stdout.buffer
    err = sys.stderr.buffer
    every = args.stderr_every
    # "log line %09d processing tick" is 34 bytes; pad to line_bytes - 1 before the newline.
    pad = max(0, args.line_bytes - 35) if args.line_bytes > 0 else 0
    fmt = ("log line %09d processing tick" + "." * pad + "\n").encode()
    for first in range(0, max(args.lines, 0), CHUNK):
        last = min(first + CHUNK, args.lines)
        out.write(b"".join([fmt % i for i in range(first, last)]))
        if every > 0:
            picked = range(first + (-first) % every, last, every)
            if picked:
                out.flush()
                err.write(b"".join([b"stderr line %09d\n" % i for i in picked]))
                err.flush()
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
