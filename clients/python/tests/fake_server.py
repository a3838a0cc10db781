#!/usr/bin/env python3
"""A tiny stand-in for backtest-rpc, for transport cases the real server cannot easily be made to produce:
answers out of order, dropped log notifications, a server that dies mid-request, a server-to-client
request. NDJSON only. Runs are simulated: ``run {script, params: {lines, drop_from, drop_count}}``
emits queued → running, ``lines`` log lines in batches of 10 (leaving out ``drop_count`` lines from
``drop_from`` and saying ``dropped`` on the next batch), then completed. ``logs`` serves every line.

Extra methods: ``echo {value, delay}`` (answers after ``delay`` s on its own thread), ``die`` (exits 3
without answering, after a line on stderr), ``ask`` (sends the client a request and answers with the
client's reply). ``list`` and ``compare`` answer nothing found and echo their params as ``asked``.

Sweeps: ``sweep {grid}`` makes one run per value of the grid's first name and sends its first
``sweep/progress`` (and each run's ``run/status``: completed, as if from the cache) *before* its answer, as
the real server may; with ``params.quiet`` it sends nothing at all, and ``status {sweep_id}`` tells how it
ended. ``status {run_id}`` of a sweep's run answers a record with ``metrics.sharpe`` = the value.

Two ways to run it, the same code: in this process, ``MemoryTransport(FakeServer().serve)`` (each
FakeServer has its own runs), or as a process, ``python fake_server.py`` (stdio).
"""
import json
import sys
import threading
import time


class FakeServer:
    def __init__(self):
        self.out = None
        self.err = None
        self.out_lock = threading.Lock()
        self.runs = {}
        self.counter = 0
        self.asked = {}
        self.sweeps = {}

    # ---- wire --------------------------------------------------------------------------------------------

    def send(self, msg):
        frame = (json.dumps(msg) + "\n").encode("utf-8")
        with self.out_lock:
            try:
                self.out.write(frame)
                self.out.flush()
            except (OSError, ValueError):  # the client has gone; nobody to tell
                pass

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    # ---- simulated runs ------------------------------------------------------------------------------------

    def status(self, run_id, new, prev):
        self.runs[run_id]["status"] = new
        self.notify("run/status", {"run_id": run_id, "status": new, "previous": prev,
                                   "at": "2026-01-01T00:00:00.000Z",
                                   "exit_code": 0 if new == "completed" else None})

    def simulate(self, run_id, p):
        n = int(p.get("lines", 25))
        drop_from = p.get("drop_from")
        drop_count = int(p.get("drop_count", 0))
        self.status(run_id, "running", "queued")
        lines = self.runs[run_id]["lines"]
        batch, pending_drop = [], 0
        for seq in range(n):
            line = {"seq": seq, "stream": "stdout" if seq % 7 else "stderr", "at": "2026-01-01T00:00:00.000Z",
                    "text": f"line {seq}"}
            lines.append(line)
            if drop_from is not None and drop_from <= seq < drop_from + drop_count:
                pending_drop += 1
                continue
            if seq % 5 == 0:
                self.notify("run/progress", {"run_id": run_id, "current": seq, "total": n,
                                             "message": f"line {seq}/{n}"})
            batch.append(line)
            if len(batch) == 10:
                params = {"run_id": run_id, "lines": batch}
                if pending_drop:
                    params["dropped"], pending_drop = pending_drop, 0
                self.notify("run/log", params)
                batch = []
        if batch or pending_drop:
            params = {"run_id": run_id, "lines": batch}
            if pending_drop:
                params["dropped"] = pending_drop
            self.notify("run/log", params)
        self.status(run_id, "validating", "running")
        self.status(run_id, "completed", "validating")

    def sweep(self, p, ok):
        self.counter += 1
        stem = f"20260101_000000_{self.counter:03d}"
        sweep_id = f"sweep_{stem}"
        name, values = next(iter(p["grid"].items()))
        run_ids = [f"{stem}__{n:04d}" for n in range(1, len(values) + 1)]
        self.sweeps[sweep_id] = len(run_ids)
        for run_id, v in zip(run_ids, values):
            self.runs[run_id] = {"status": "completed", "lines": [], "params": {name: v},
                                 "metrics": {"sharpe": v}}
        if not (p.get("params") or {}).get("quiet"):
            n = len(run_ids)
            for i, run_id in enumerate(run_ids):
                self.notify("run/status", {"run_id": run_id, "status": "completed", "previous": "queued",
                                           "at": "x"})
                self.notify("sweep/progress", {"sweep_id": sweep_id, "total": n, "queued": n - i - 1,
                                               "running": 0, "completed": i + 1, "failed": 0, "cancelled": 0})
        ok({"sweep_id": sweep_id, "run_ids": run_ids, "total": len(run_ids)})

    # ---- methods -------------------------------------------------------------------------------------------

    def handle(self, msg):
        """Answers one request; returns an exit code when the server is to end at once."""
        method, rid, p = msg.get("method"), msg.get("id"), msg.get("params") or {}
        if rid is None:
            return None

        def ok(result):
            self.send({"jsonrpc": "2.0", "id": rid, "result": result})

        def err(code, message, data=None):
            self.send({"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message, "data": data}})

        if method == "initialize":
            ok({"serverInfo": {"name": "fake", "version": "0"}, "protocol_version": "1",
                "capabilities": {"methods": [], "notifications": [], "framing": "ndjson"}})
        elif method == "shutdown":
            ok(None)
        elif method == "health":
            ok({"status": "ok", "version": "0", "uptime_s": 1.0, "active_runs": 0, "queued_runs": 0,
                "max_parallel": 2, "workspace": "/fake", "fake_extra": 1})
        elif method == "echo":
            def later():
                time.sleep(float(p.get("delay", 0)))
                ok({"value": p.get("value")})
            threading.Thread(target=later, daemon=True).start()
        elif method == "run":
            self.counter += 1
            run_id = f"20260101_000000_{self.counter:03d}"
            self.runs[run_id] = {"status": "queued", "lines": []}
            ok({"run_id": run_id, "status": "queued", "run_dir": f"/fake/{run_id}",
                "output_dir": f"/fake/{run_id}/results"})
            # Notifications follow the answer immediately, as the real server's may.
            self.notify("run/status", {"run_id": run_id, "status": "queued", "previous": None, "at": "x"})
            self.simulate(run_id, p.get("params") or {})
        elif method in ("list", "compare"):
            ok({"total": 0, "runs": [], "columns": [], "rows": [], "asked": p})
        elif method == "sweep":
            self.sweep(p, ok)
        elif method == "status" and "sweep_id" in p:
            n = self.sweeps[p["sweep_id"]]
            ok({"sweep_id": p["sweep_id"], "script": "fake.py", "created_at": "x", "rank_by": None, "total": n,
                "queued": 0, "running": 0, "completed": n, "failed": 0, "cancelled": 0, "best": None})
        elif method == "status":
            r = self.runs.get(p.get("run_id"))
            if r is None:
                return err(2001, "run not found", {"run_id": p.get("run_id")})
            ok({"run_id": p["run_id"], "script": "fake.py", "status": r["status"], "created_at": "x",
                "run_dir": "/fake", "output_dir": "/fake/results", "brand_new_field": True,
                "params": r.get("params", {}), "metrics": r.get("metrics")})
        elif method == "logs":
            r = self.runs.get(p.get("run_id"))
            if r is None:
                return err(2001, "run not found", {"run_id": p.get("run_id")})
            after = p.get("after_seq", -1)
            limit = p.get("limit", 1000)
            sel = [ln for ln in r["lines"] if ln["seq"] > after][:limit]
            ok({"run_id": p["run_id"], "lines": sel, "total_lines": len(r["lines"]),
                "next_seq": (sel[-1]["seq"] + 1) if sel else after + 1,
                "complete": r["status"] == "completed" and (not sel or sel[-1]["seq"] == len(r["lines"]) - 1)})
        elif method == "die":
            self.err.write(b"fake server: dying on purpose\n")
            self.err.flush()
            return 3
        elif method == "ask":
            self.send({"jsonrpc": "2.0", "id": "srv-1", "method": "client/whoami", "params": {}})
            self.asked["reply_to"] = rid
        else:
            err(-32601, "method not found", {"method": method})
        return None

    def serve(self, stdin, stdout, stderr):
        """Serves NDJSON from ``stdin`` (bytes lines) until its end or ``exit``; returns the exit code."""
        self.out, self.err = stdout, stderr
        for raw in stdin:
            raw = raw.strip()
            if not raw:
                continue
            msg = json.loads(raw)
            if "method" not in msg and msg.get("id") == "srv-1":
                self.send({"jsonrpc": "2.0", "id": self.asked.pop("reply_to"), "result": {"client_said": msg}})
                continue
            if msg.get("method") == "exit":
                return 0
            code = self.handle(msg)
            if code is not None:
                return code
        return 0


if __name__ == "__main__":
    code = FakeServer().serve(sys.stdin.buffer, sys.stdout.buffer, sys.stderr.buffer)
    sys.stdout.flush()
    sys.stderr.flush()
    import os
    os._exit(code)  # at once, like a crash: no waiting for the echo threads
