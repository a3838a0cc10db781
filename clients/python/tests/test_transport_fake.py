"""Transport cases the real server cannot easily be made to produce, against tests/fake_server.py:
out-of-order answers to many threads, dropped log lines filled from ``logs``, a server that dies while
requests wait, and a request from the server.

The fake runs in this process behind a MemoryTransport (no process to start: fast, and its state is the
test's own); the cases where a process matters (exit code, stderr, startup) also run it as a subprocess,
and one runs the session over plain OS pipes."""
import os
import sys
import threading
from pathlib import Path

import pytest

import backtest_rpc
from backtest_rpc import (Client, ConnectionLost, LogEvent, MemoryTransport, RunNotFound, StatusEvent,
                          SubprocessTransport, Transport)

from fake_server import FakeServer

FAKE = [sys.executable, str(Path(__file__).with_name("fake_server.py"))]


def memory_client():
    return Client(transport=MemoryTransport(FakeServer().serve), timeout=10)


def process_client():
    return Client(command=FAKE, timeout=10)


@pytest.fixture
def fake():
    c = memory_client()
    yield c
    c.close()


@pytest.fixture(params=["memory", "process"])
def any_fake(request):
    """The fake both ways: in this process and as a subprocess."""
    c = memory_client() if request.param == "memory" else process_client()
    yield c
    c.close()


def test_initialize_and_typed_result_keeps_unknown_fields(any_fake):
    fake = any_fake
def test_initialize_and_typed_result_keeps_unknown_fields(fake):
    assert fake.server_info.serverInfo["name"] == "fake"
    h = fake.health()
    assert isinstance(h, backtest_rpc.Health) and h.max_parallel == 2
    assert h.extra == {"fake_extra": 1}


def test_answers_out_of_order_reach_their_callers_from_many_threads(fake):
    # Later requests are answered first (shorter delays), so a client that matched answers by order
    # instead of by id would hand threads each other's results.
    results, errors = {}, []

    def worker(i):
        try:
            results[i] = fake.call("echo", {"value": i, "delay": (20 - i) * 0.01})["value"]
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors
    assert results == {i: i for i in range(20)}


def test_error_answer_becomes_subclass_with_code_and_data(fake):
    with pytest.raises(RunNotFound) as info:
        fake.status("nope")
    assert info.value.code == 2001 and info.value.data == {"run_id": "nope"}
    assert isinstance(info.value, backtest_rpc.RPCError)


def test_notifications_right_after_the_answer_are_not_lost(fake):
    # The fake writes run/status and all log lines immediately after the run answer.
    handle = fake.run("fake.py", {"lines": 25})
    events = list(handle.events(timeout=5))
    statuses = [e.status for e in events if isinstance(e, StatusEvent)]
    assert statuses == ["queued", "running", "validating", "completed"]
    assert [ln.text for e in events if isinstance(e, LogEvent) for ln in e.lines] == [f"line {i}" for i in range(25)]


def test_dropped_lines_are_filled_in_order(fake):
    handle = fake.run("fake.py", {"lines": 60, "drop_from": 12, "drop_count": 17})
    seqs = [ln.seq for ln in handle.lines(timeout=5)]
    assert seqs == list(range(60))


def test_dropped_lines_at_the_end_are_filled_before_final_status(fake):
    handle = fake.run("fake.py", {"lines": 30, "drop_from": 25, "drop_count": 5})
    seqs = [ln.seq for ln in handle.lines(timeout=5)]
    assert seqs == list(range(30))
    assert handle.final.status == "completed"


def test_per_run_callback_gets_every_event_from_the_first(fake):
    seen = []
    handle = fake.run("fake.py", {"lines": 12}, on_event=seen.append)
    handle.wait(timeout=5)
    assert [e.status for e in seen if isinstance(e, StatusEvent)] == ["queued", "running", "validating",
                                                                       "completed"]
    assert sum(len(e.lines) for e in seen if isinstance(e, LogEvent)) == 12


def test_wait_reports_progress_to_a_callback(fake):
    seen = []
    handle = fake.run("fake.py", {"lines": 40})
    handle.wait(timeout=5, progress=seen.append)
    assert seen and isinstance(seen[-1], StatusEvent) and seen[-1].status == "completed"


def test_server_death_fails_waiting_calls_with_its_stderr(any_fake):
    fake = any_fake
    with pytest.raises(ConnectionLost) as info:
        fake.call("die")
    assert info.value.returncode == 3
    assert "dying on purpose" in info.value.stderr_tail
    with pytest.raises(ConnectionLost):
        fake.health()
    assert not fake.alive


def test_server_request_gets_method_not_found(fake):
    reply = fake.call("ask")["client_said"]
    assert reply["id"] == "srv-1" and reply["error"]["code"] == -32601


def test_close_ends_the_server_with_shutdown_and_exit(any_fake):
    assert any_fake.alive
    assert any_fake.close() == 0
    assert not any_fake.alive
    with pytest.raises(ConnectionLost):
        any_fake.health()


def test_the_transport_of_a_client_is_its_choice():
    c = process_client()
    try:
        assert isinstance(c.conn.transport, SubprocessTransport) and c.conn.transport.pid > 0
        assert c.conn.proc is c.conn.transport.proc  # as before the split
    finally:
        c.close()
    with pytest.raises(TypeError):
        Client(command=FAKE, transport=MemoryTransport(FakeServer().serve))


def test_session_over_plain_os_pipes():
    # Any pair of byte streams will do: here two OS pipes, the fake serving them on a thread.
    to_server_r, to_server_w = os.pipe()
    to_client_r, to_client_w = os.pipe()
    server_in, server_out = os.fdopen(to_server_r, "rb"), os.fdopen(to_client_w, "wb")

    def serve():
        with server_in, server_out:
            FakeServer().serve(server_in, server_out, None)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    c = Client(transport=Transport(os.fdopen(to_client_r, "rb"), os.fdopen(to_server_w, "wb")), timeout=10)
    assert c.server_info.serverInfo["name"] == "fake"
    assert [ln.seq for ln in c.run("fake.py", {"lines": 23}).lines(timeout=5)] == list(range(23))
    assert c.close() is None  # plain streams have no exit code
    t.join(5)
    assert not t.is_alive()


def test_memory_transport_reports_what_the_server_function_did():
    def crash(stdin, stdout, stderr):
        stdin.readline()
        raise RuntimeError("boom")

    c = Client(transport=MemoryTransport(crash), initialize=False, timeout=5)
    with pytest.raises(ConnectionLost) as info:
        c.health()
    assert info.value.returncode == 1 and "RuntimeError: boom" in info.value.stderr_tail
    c.close()

    def exits(stdin, stdout, stderr):
        sys.exit(7)

    t = MemoryTransport(exits)
    assert t.wait(5) == 7 and not t.alive


def test_parse_assignments():
    from backtest_rpc.render import parse_assignments
    assert parse_assignments(["capital=1000000", "strategy=iron_condor", "fast", "d=2024-01-01",
                              "xs=[1,2]", "off=false"]) == {
        "capital": 1000000, "strategy": "iron_condor", "fast": True, "d": "2024-01-01", "xs": [1, 2],
        "off": False}


def test_validation_issue_parsing():
    from backtest_rpc.types import ValidationReport
    rep = ValidationReport.from_json({"valid": False, "errors": ["pnl.csv:1043: cumulative_pnl is empty",
                                                                  {"file": "trades.csv", "line": 3,
                                                                   "message": "bad"}],
                                      "warnings": ["metadata.json: missing"]})
    got = [(i.severity, i.file, i.line, i.message) for i in rep.issues()]
    assert got == [("error", "pnl.csv", 1043, "cumulative_pnl is empty"), ("error", "trades.csv", 3, "bad"),
                   ("warning", "metadata.json", None, "missing")]


def test_where_and_order_by_reach_list_and_compare(fake):
    where, order_by = "metrics.sharpe > 1 and params.fast = 10", "metrics.sharpe desc"
    assert fake.list(where=where, order_by=order_by, limit=5).extra["asked"] == {
        "where": where, "order_by": order_by, "limit": 5}
    assert fake.compare(where=where, order_by=order_by, tag="t").extra["asked"] == {
        "where": where, "order_by": order_by, "tag": "t"}
    assert fake.list().extra["asked"] == {}  # nothing sent that was not given


def test_sweep_events_before_its_answer_reach_the_handle(fake):
    """The fake announces the whole sweep (every run completed) before it answers ``sweep``: the handle
    still has them, and waits for nothing."""
    h = fake.sweep("fake.py", {"x": [0.5, 2, 1]}, rank_by="metrics.sharpe")
    assert h.progress is not None and h.progress.completed == 3 and h.done
    assert h.statuses == {r: "completed" for r in h.run_ids}
    final = h.wait(timeout=5, progress=False)
    assert final.completed == 3
    assert [r["params.x"] for r in h.rows()] == [2, 1, 0.5]  # best sharpe first
    assert [r["params.x"] for r in h.rows("metrics.sharpe asc")] == [0.5, 1, 2]


def test_sweep_wait_asks_the_server_when_no_notification_comes(fake, monkeypatch):
    import backtest_rpc.sweep as sweep_module
    monkeypatch.setattr(sweep_module, "POLL_SECONDS", 0.05)
    h = fake.sweep("fake.py", {"x": [1, 2]}, params={"quiet": True})
    assert h.progress is None and not h.done
    seen = []
    final = h.wait(timeout=5, progress=seen.append)
    assert final.completed == 2 and seen and seen[-1].finished
