#!/usr/bin/env python3
"""A tiny stand-in for backtest-rpc, for transport cases the real server cannot easily be made to produce:
answers out of order, dropped log notifications, a server that dies mid-request, a server-to-client
request. NDJSON only. Runs are simulated: ``run {script, params: {lines, drop_from, drop_count}}``
emits queued → running, ``lines`` log lines in batches of 10 (leaving out ``drop_count`` lines from
``drop_from`` and saying ``dropped`` on the next batch), then completed. ``logs`` serves every line.

Extra methods: ``echo {value, delay}`` (answers after ``delay`` s on its own thread), ``die`` (exits 3
without answering), ``ask`` (sends the client a request and answers with the client's reply).
"""
import json
import sys
import threading
import time

out_lock = threading.Lock()
runs = {}
counter = [0]
asked = {}


def send(msg):
    with out_lock:
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()


def notify(method, params):
    send({"jsonrpc": "2.0", "method": method, "params": params})


def status(run_id, new, prev):
    runs[run_id]["status"] = new
    notify("run/status", {"run_id": run_id, "status": new, "previous": prev, "at": "2026-01-01T00:00:00.000Z",
                          "exit_code": 0 if new == "completed" else None})


def simulate(run_id, p):
    n = int(p.get("lines", 25))
    drop_from = p.get("drop_from")
    drop_count = int(p.get("drop_count", 0))
    status(run_id, "running", "queued")
    lines = runs[run_id]["lines"]
    batch, pending_drop = [], 0
    for seq in range(n):
        line = {"seq": seq, "stream": "stdout" if seq % 7 else "stderr", "at": "2026-01-01T00:00:00.000Z",
                "text": f"line {seq}"}
        lines.append(line)
        if drop_from is not None and drop_from <= seq < drop_from + drop_count:
            pending_drop += 1
            continue
        if seq % 5 == 0:
            notify("run/progress", {"run_id": run_id, "current": seq, "total": n, "message": f"line {seq}/{n}"})
        batch.append(line)
        if len(batch) == 10:
            params = {"run_id": run_id, "lines": batch}
            if pending_drop:
                params["dropped"], pending_drop = pending_drop, 0
            notify("run/log", params)
            batch = []
    if batch or pending_drop:
        params = {"run_id": run_id, "lines": batch}
        if pending_drop:
            params["dropped"] = pending_drop
        notify("run/log", params)
    status(run_id, "validating", "running")
    status(run_id, "completed", "validating")


def handle(msg):
    method, rid, p = msg.get("method"), msg.get("id"), msg.get("params") or {}
    if rid is None:
        return
    def ok(result):
        send({"jsonrpc": "2.0", "id": rid, "result": result})
    def err(code, message, data=None):
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message, "data": data}})
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
        counter[0] += 1
        run_id = f"20260101_000000_{counter[0]:03d}"
        runs[run_id] = {"status": "queued", "lines": []}
        ok({"run_id": run_id, "status": "queued", "run_dir": f"/fake/{run_id}",
            "output_dir": f"/fake/{run_id}/results"})
        # Notifications follow the answer immediately, as the real server's may.
        notify("run/status", {"run_id": run_id, "status": "queued", "previous": None, "at": "x"})
        simulate(run_id, p.get("params") or {})
    elif method == "status":
        r = runs.get(p.get("run_id"))
        if r is None:
            return err(2001, "run not found", {"run_id": p.get("run_id")})
        ok({"run_id": p["run_id"], "script": "fake.py", "status": r["status"], "created_at": "x",
            "run_dir": "/fake", "output_dir": "/fake/results", "brand_new_field": True})
    elif method == "logs":
        r = runs.get(p.get("run_id"))
        if r is None:
            return err(2001, "run not found", {"run_id": p.get("run_id")})
        after = p.get("after_seq", -1)
        limit = p.get("limit", 1000)
        sel = [ln for ln in r["lines"] if ln["seq"] > after][:limit]
        ok({"run_id": p["run_id"], "lines": sel, "total_lines": len(r["lines"]),
            "next_seq": (sel[-1]["seq"] + 1) if sel else after + 1,
            "complete": r["status"] == "completed" and (not sel or sel[-1]["seq"] == len(r["lines"]) - 1)})
    elif method == "die":
        sys.stderr.write("fake server: dying on purpose\n")
        sys.stderr.flush()
        sys.stdout.flush()
        import os
        os._exit(3)
    elif method == "ask":
        send({"jsonrpc": "2.0", "id": "srv-1", "method": "client/whoami", "params": {}})
        asked["reply_to"] = rid
    else:
        err(-32601, "method not found", {"method": method})


def main():
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        msg = json.loads(raw)
        if "method" not in msg and msg.get("id") == "srv-1":
            send({"jsonrpc": "2.0", "id": asked.pop("reply_to"), "result": {"client_said": msg}})
            continue
        if msg.get("method") == "exit":
            return
        handle(msg)


if __name__ == "__main__":
    main()
