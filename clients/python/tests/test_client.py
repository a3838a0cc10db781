"""The Python client against the real server binary, with real scripts."""
import threading
from pathlib import Path

import pytest

import backtest_rpc as bt
from backtest_rpc import (Client, LogEvent, ProgressEvent, RunFinished, RunNotFound, ScriptNotFound,
                          ScriptOutsideWorkspace, StatusEvent)

from conftest import SMALL


def test_run_streams_statuses_lines_and_results(client):
    handle = client.run("scripts/strategy_analyzer.py", SMALL, tags=["client-test"])
    # `run` answers "queued"; the handle's status is live, so on a busy machine it may have moved on already.
    assert handle.run_id and handle.output_dir
    assert handle.status in ("queued", "running", "validating", "completed"), handle.status
    statuses, lines, progress = [], [], []
    for ev in handle.events(timeout=60):
        if isinstance(ev, StatusEvent):
            statuses.append(ev.status)
        elif isinstance(ev, LogEvent):
            lines.extend(ev.lines)
        elif isinstance(ev, ProgressEvent):
            progress.append(ev)
    assert statuses[-1] == "completed", statuses
    assert statuses.index("running") < statuses.index("completed")
    assert [ln.seq for ln in lines] == list(range(len(lines)))  # every line once, in order
    texts = [ln.text for ln in lines]
    assert texts[0].startswith("Starting backtest")
    assert any(t.startswith("Processing day 23/23") for t in texts)
    assert {ln.stream for ln in lines} == {"stdout", "stderr"}  # the WARNING lines go to stderr
    assert progress and any(p.fraction is not None for p in progress)

    record = handle.wait(timeout=10)
    assert isinstance(record, bt.RunRecord)
    assert record.status == "completed" and record.exit_code == 0 and record.tags == ["client-test"]
    assert record.params == SMALL

    names = {f.path for f in handle.files()}
    assert {"trades.csv", "summary.csv", "pnl.csv", "metadata.json"} <= names
    trades = handle.read_csv("trades.csv")
    assert len(trades) == 40
    on_disk = Path(handle.output_dir, "pnl.csv").read_bytes()
    assert handle.read("pnl.csv", chunk_size=97) == on_disk  # many chunks reassemble byte for byte


def test_wait_with_progress_callback(client):
    seen = []
    record = client.run("scripts/strategy_analyzer.py", SMALL).wait(timeout=60, progress=seen.append)
    assert record.status == "completed"
    assert any(isinstance(e, ProgressEvent) for e in seen)
    assert isinstance(seen[-1], StatusEvent) and seen[-1].status == "completed"


def test_failed_run_says_why(client):
    handle = client.run("scripts/crash.py", {"code": 3})
    lines = list(handle.lines(timeout=60))
    assert any(ln.stream == "stderr" and ln.text.startswith("ERROR: simulated failure") for ln in lines)
    record = handle.wait(timeout=10)
    assert record.status == "failed" and record.failure == "exit_code" and record.exit_code == 3
    assert handle.final.failure == "exit_code"


def test_cancel_a_hanging_run(client):
    handle = client.run("scripts/hang.py")
    lines = handle.lines(timeout=30)
    assert next(lines).text.startswith("hang.py pid=")  # it is running: cancel a live process
    handle.cancel()
    record = handle.wait(timeout=30)
    assert record.status == "cancelled"
    with pytest.raises(RunFinished) as info:
        handle.cancel()
    assert info.value.code == 2006


def test_errors_are_typed_with_code_and_data(client):
    with pytest.raises(RunNotFound) as info:
        client.status("19990101_000000_000")
    assert info.value.code == 2001 and info.value.data["run_id"] == "19990101_000000_000"
    with pytest.raises(ScriptNotFound) as info:
        client.run("scripts/no_such_strategy.py")
    assert info.value.data["script"] == "scripts/no_such_strategy.py"
    with pytest.raises(ScriptOutsideWorkspace):
        client.run("../outside.py")
    with pytest.raises(bt.InvalidParams):
        client.call("status", {})


def test_result_file_errors(client):
    handle = client.run("scripts/strategy_analyzer.py", SMALL)
    handle.wait(timeout=60)
    with pytest.raises(bt.PathOutsideRun):
        handle.read("../run.json")
    with pytest.raises(bt.RunFileNotFound):
        handle.read("nope.csv")


def test_list_logs_and_status(client):
    a = client.run("scripts/strategy_analyzer.py", SMALL, tags=["listed"])
    b = client.run("scripts/crash.py")
    a.wait(timeout=60)
    b.wait(timeout=60)
    page = client.list()
    ids = [r.run_id for r in page.runs]
    assert page.total >= 2 and a.run_id in ids and b.run_id in ids
    assert ids == sorted(ids, reverse=True)  # newest first by default
    failed = client.list(status="failed")
    assert [r.run_id for r in failed.runs] == [b.run_id]
    assert [r.run_id for r in client.list(tag="listed").runs] == [a.run_id]

    full = client.logs(a.run_id)
    assert full.complete and full.total_lines == len(full.lines)
    tail = client.logs(a.run_id, tail=3)
    assert [ln.text for ln in tail.lines] == [ln.text for ln in full.lines[-3:]]
    after = client.logs(a.run_id, after_seq=full.lines[-4].seq)
    assert [ln.seq for ln in after.lines] == [ln.seq for ln in full.lines[-3:]]
    assert client.status(a.run_id).status == "completed"


def test_follow_from_a_second_client_sees_backlog_and_end(server_bin, workspace, client):
    handle = client.run("scripts/hang.py")
    assert next(handle.lines(timeout=30)).text.startswith("hang.py")
    with Client(workspace, timeout=30) as other:
        followed = other.follow(handle.run_id)
        it = followed.lines(timeout=30)
        assert next(it).text.startswith("hang.py")  # lines written before following
        assert next(it).text == "hanging"
        other.cancel(handle.run_id)
        assert list(it) == []  # nothing more, then the final status ends the stream
        assert followed.final.status == "cancelled"
    assert handle.wait(timeout=30).status == "cancelled"


def test_follow_a_finished_run(client):
    first = client.run("scripts/crash.py")
    first.wait(timeout=60)
    again = client.follow(first.run_id)
    texts = [ln.text for ln in again.lines(timeout=10)]
    assert texts[:3] == ["Processing day 1/10", "Processing day 2/10", "Processing day 3/10"]
    assert again.final.status == "failed"


def test_many_lines_arrive_in_order(client):
    handle = client.run("scripts/log_flood.py", {"lines": 20000})
    seqs = [ln.seq for ln in handle.lines(timeout=60)]
    assert seqs == list(range(20000))
    assert handle.final.terminal


def test_validate_names_files(client):
    handle = client.run("scripts/crash.py", {"partial": True})
    handle.wait(timeout=60)
    report = client.validate(handle.run_id)
    assert isinstance(report, bt.ValidationReport) and report.valid is False
    files = {i.file for i in report.issues() if i.severity == "error"}
    assert {"summary.csv", "pnl.csv"} <= files
    good = client.run("scripts/strategy_analyzer.py", SMALL)
    good.wait(timeout=60)
    assert client.validate(good.run_id).valid is True


@pytest.mark.parametrize("defect", ["null_pnl", "empty_trades", "huge_loss"])
def test_each_finding_once_from_real_reports(client, defect):
    """Real reports (a run of make_outputs.py with one defect): issues() has one row per finding the server
    reported, though the report carries each twice (errors/warnings strings and structured issues)."""
    handle = client.run("scripts/defective.py", {"defect": defect, "days": 40})
    record = handle.wait(timeout=60, progress=False)
    assert record.status == ("completed" if defect == "huge_loss" else "failed")
    for raw in (record.validation, client.validate(handle.run_id).to_dict()):
        reported = raw["issues"]
        assert reported and len(reported) == len(raw["errors"]) + len(raw["warnings"])
        issues = bt.ValidationReport.from_json(raw).issues()
        assert len(issues) == len(reported)
        assert [(i.severity, i.file, i.line, i.rule) for i in issues] == [
            (r["severity"], r["file"], r["line"], r["rule"]) for r in reported]
        # The message without the location the server writes in front of it; str() puts it back.
        assert [str(i) for i in issues] == [r["message"] for r in reported]
        assert all(not i.message.startswith(i.file) for i in issues)
        assert sorted(str(i) for i in issues if i.severity == "error") == sorted(raw["errors"])
        assert sorted(str(i) for i in issues if i.severity == "warning") == sorted(raw["warnings"])
        assert bt.ValidationReport.from_json(raw).counts() == {"error": len(raw["errors"]),
                                                               "warning": len(raw["warnings"])}
        # A report without issues (an older server): the strings, each once, give the same findings.
        legacy = bt.ValidationReport.from_json({k: v for k, v in raw.items() if k != "issues"}).issues()
        assert sorted((i.severity, i.file, i.line, i.message) for i in legacy) == sorted(
            (i.severity, i.file, i.line, i.message) for i in issues)


def test_read_chunks_stream_a_file(client):
    handle = client.run("scripts/binary_outputs.py", {"blob_bytes": 300_000})
    record = handle.wait(timeout=60, progress=False)
    on_disk = (Path(record.output_dir) / "blob.bin").read_bytes()
    chunks = list(client.read_chunks(handle.run_id, "blob.bin", chunk_size=100_000))
    assert [len(c) for c in chunks] == [100_000, 100_000, 100_000] and b"".join(chunks) == on_disk
    assert handle.read("blob.bin") == on_disk


def test_calls_from_many_threads_while_a_run_streams(client):
    handle = client.run("scripts/log_flood.py", {"lines": 5000})
    errors = []

    def poll():
        try:
            for _ in range(20):
                assert client.status(handle.run_id).run_id == handle.run_id
                client.health()
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for t in threads:
        t.start()
    count = sum(1 for _ in handle.lines(timeout=60))
    for t in threads:
        t.join(30)
    assert not errors and count == 5000


def test_run_goes_on_after_the_client_closes(server_bin, workspace):
    with Client(workspace, timeout=30) as first:
        handle = first.run("scripts/strategy_analyzer.py", dict(SMALL, sleep=1.0))
        run_id = handle.run_id
        next(handle.lines(timeout=30))  # it has started
    with Client(workspace, timeout=30) as second:
        record = second.follow(run_id).wait(timeout=60)
        assert record.status == "completed"


def test_health_and_initialize(client, workspace):
    assert client.server_info.serverInfo.get("name")
    h = client.health()
    assert h.status == "ok" and Path(h.workspace).resolve() == workspace.resolve()


def _optional(method, fn):
    """Methods of later issues (compare, report, rerun): skip, naming the method, while the server lacks them."""
    try:
        return fn()
    except bt.MethodNotFound:
        pytest.skip(f"server has no {method} yet")


def test_compare_rerun_report(client):
    a = client.run("scripts/strategy_analyzer.py", SMALL)
    b = client.run("scripts/strategy_analyzer.py", dict(SMALL, seed=7))
    a.wait(timeout=60)
    b.wait(timeout=60)
    table = _optional("compare", lambda: client.compare([a.run_id, b.run_id]))
    assert table.columns and len(table.rows) == 2
    assert {r.get("run_id") for r in table.records()} == {a.run_id, b.run_id}
    again = _optional("rerun", lambda: client.rerun(a.run_id))
    assert again.run_id != a.run_id and again.wait(timeout=60).params == SMALL
    report = _optional("report", lambda: client.report(a.run_id))
    assert Path(report.path).is_file()
