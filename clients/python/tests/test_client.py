"""The Python client against the real server binary, with real scripts."""
import json
import threading
import time
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


# ---- sweeps, delete, tag -------------------------------------------------------------------------------

# sma_crossover.py (docs/examples) over 40 days: fast >= slow exits 2, so (5, 4) fails and the rest complete.
GRID = {"fast": [2, 3, 5], "slow": [4, 10]}
DAYS = {"days": 40}


def on_disk(record):
    """The run's record as its supervisor wrote it (run.json), read without the server."""
    return json.loads((Path(record.run_dir) / "run.json").read_text())


def test_sweep_waits_for_every_run_and_ranks_them(client):
    h = client.sweep("sma_crossover.py", GRID, params=DAYS, rank_by="metrics.sharpe", cache="off")
    assert isinstance(h, bt.SweepHandle) and h.sweep_id.startswith("sweep_") and h.total == 6
    # Run ids are <stem>__<n> of sweep_<stem>, one per set, the last grid name varying fastest.
    stem = h.sweep_id[len("sweep_"):]
    assert h.run_ids == [f"{stem}__{n:04d}" for n in range(1, 7)]
    seen = []
    final = h.wait(timeout=120, progress=seen.append)
    assert isinstance(final, bt.SweepStatus) and final.sweep_id == h.sweep_id
    assert (final.total, final.completed, final.failed, final.cancelled, final.queued, final.running) == (
        6, 5, 1, 0, 0, 0)
    assert final.script == "sma_crossover.py" and final.rank_by == "metrics.sharpe"
    # Live progress: counts only grow towards the end, each report differs from the one before.
    assert seen and all(isinstance(p, bt.SweepProgress) for p in seen)
    assert [p.ended for p in seen] == sorted(p.ended for p in seen) and seen[-1].finished
    assert all(a.counts() != b.counts() for a, b in zip(seen, seen[1:]))
    assert h.done and h.progress.finished
    assert h.statuses == {r: ("failed" if r.endswith("__0005") else "completed") for r in h.run_ids}

    records = h.records()
    assert [r.run_id for r in records] == h.run_ids
    assert [(r.params["fast"], r.params["slow"]) for r in records] == [(2, 4), (2, 10), (3, 4), (3, 10), (5, 4),
                                                                       (5, 10)]
    assert all(r.sweep_id == h.sweep_id and r.cached_from is None for r in records)
    rows = h.rows()
    sharpe = {r.run_id: on_disk(r)["metrics"]["sharpe"] for r in records if r.status == "completed"}
    ranked = sorted(sharpe, key=lambda i: (-sharpe[i], h.run_ids.index(i)))
    assert [r["run_id"] for r in rows] == ranked + [h.run_ids[4]]  # best first, the failed run last
    assert rows[0]["run_id"] == final.best.run_id and final.best.value == sharpe[ranked[0]]
    assert final.best.metric == "metrics.sharpe"
    best = rows[0]
    assert best["status"] == "completed" and best["params.days"] == 40 and "summary.total_pnl" in best
    assert set(best) >= {"run_id", "status", "params.fast", "params.slow", "metrics.sharpe", "metrics.cagr"}
    assert rows[-1]["status"] == "failed" and "metrics.sharpe" not in rows[-1]
    # Another field and direction; the same rows as a DataFrame when pandas is there.
    by_dd = h.rows("metrics.max_drawdown asc")
    dd = [r["metrics.max_drawdown"] for r in by_dd if "metrics.max_drawdown" in r]
    assert dd == sorted(dd)
    table = h.results()
    pandas = pytest.importorskip("pandas")
    assert isinstance(table, pandas.DataFrame) and list(table["run_id"]) == [r["run_id"] for r in rows]


def test_sweep_cache_rerun_and_delete(client):
    first = client.sweep("sma_crossover.py", GRID, params=DAYS)
    first.wait(timeout=120, progress=False)
    again = client.sweep("sma_crossover.py", GRID, params=DAYS)  # cache "reuse" is the sweep default
    final = again.wait(timeout=120, progress=False)
    assert (final.completed, final.failed) == (5, 1)
    by_set = dict(zip(again.run_ids, first.run_ids))
    for r in again.records():
        # Completed runs are answered from the first sweep's; a failed run is no cache entry, so it ran again.
        assert r.cached_from == (by_set[r.run_id] if r.status == "completed" else None)
    refreshed = client.sweep("sma_crossover.py", {"fast": [2, 3]}, params=dict(DAYS, slow=10), cache="refresh")
    refreshed.wait(timeout=120, progress=False)
    assert [r.cached_from for r in refreshed.records()] == [None, None]

    new = again.rerun()  # only="failed"
    assert len(new) == 1 and new[0] not in by_set and again.run_ids[-1] == new[0] and again.total == 7
    final = again.wait(timeout=120, progress=False)
    assert (final.total, final.completed, final.failed) == (7, 5, 2)
    rerun = client.status(new[0])
    assert rerun.sweep_id == again.sweep_id and rerun.extra["rerun_of"] == again.run_ids[4]

    dirs = [Path(r.run_dir) for r in again.records()]
    deleted = again.delete()
    assert sorted(deleted) == sorted(again.run_ids)
    assert dirs and not any(d.exists() for d in dirs)
    listed = {r.run_id for r in client.list(limit=1000).runs}
    assert not listed & set(deleted) and set(first.run_ids) <= listed  # the first sweep's runs are untouched
    # Deleting by ids; a run deleted is unknown afterwards.
    one = client.run("sma_crossover.py", dict(DAYS, fast=2, slow=10)).wait(timeout=60, progress=False)
    assert client.delete([one.run_id]) == [one.run_id]
    with pytest.raises(RunNotFound):
        client.status(one.run_id)
    with pytest.raises(RunNotFound):
        client.delete([one.run_id])


def test_deleted_sweep_runs_stay_deleted(server_bin, workspace, client):
    h = client.sweep("sma_crossover.py", {"fast": [2, 3]}, params=dict(DAYS, slow=10), cache="off")
    h.wait(timeout=120, progress=False)
    assert sorted(h.delete()) == sorted(h.run_ids)
    with Client(workspace, timeout=30) as later:  # a server that opens the workspace afresh
        time.sleep(1)
        for run_id in h.run_ids:
            with pytest.raises(RunNotFound):
                later.status(run_id)
        assert later.sweep_status(h.sweep_id).total == 0


def test_cancel_a_sweep_and_delete_refuses_active_runs(client):
    h = client.sweep("scripts/hang.py", {"n": [1, 2, 3]}, cache="off")
    deadline = time.monotonic() + 60
    while "running" not in h.statuses.values():
        assert time.monotonic() < deadline, h.statuses
        time.sleep(0.05)
    running = [r for r, s in h.statuses.items() if s == "running"]
    with pytest.raises(bt.RunsActive) as info:
        client.delete(h.run_ids)
    assert info.value.code == 2014 and set(running) <= set(info.value.run_ids) <= set(h.run_ids)
    assert all(Path(r.run_dir).is_dir() for r in h.records() if r.run_id in running)  # nothing deleted
    assert client.delete(sweep_id=h.sweep_id) == []  # by sweep: only the ended runs, none yet
    after = h.cancel()
    assert isinstance(after, bt.SweepStatus)
    final = h.wait(timeout=60, progress=False)
    assert (final.total, final.cancelled, final.queued, final.running) == (3, 3, 0, 0)
    assert final.best is None  # no rank_by
    assert sorted(h.delete()) == sorted(h.run_ids)


def test_sweep_errors(client):
    with pytest.raises(bt.SweepNotFound) as info:
        client.sweep_status("sweep_19990101_000000_000")
    assert info.value.code == 2013 and info.value.data["sweep_id"] == "sweep_19990101_000000_000"
    with pytest.raises(bt.SweepNotFound):
        client.delete(sweep_id="sweep_19990101_000000_000")
    with pytest.raises(ScriptNotFound):
        client.sweep("no_such.py", {"a": [1, 2]})
    with pytest.raises(ValueError):  # refused before anything starts
        client.sweep("sma_crossover.py", GRID, rank_by="sharpe")
    with pytest.raises(bt.InvalidParams):  # a name in both the grid and params
        client.sweep("sma_crossover.py", GRID, params={"fast": 1})
    assert client.list().total == 0


def test_param_sets_and_sample(client):
    sets = [{"fast": 2, "slow": 10}, {"fast": 3, "slow": 12}]
    h = client.sweep("sma_crossover.py", param_sets=sets, params=DAYS, rank_by="params.slow asc")
    h.wait(timeout=120, progress=False)
    assert [{k: r.params[k] for k in ("fast", "slow")} for r in h.records()] == sets
    assert [r["params.slow"] for r in h.rows()] == [10, 12]
    grid = {"fast": [2, 3, 4], "slow": [10, 20, 30]}
    a = client.sweep("sma_crossover.py", grid, sample={"n": 4, "seed": 7}, params=DAYS)
    b = client.sweep("sma_crossover.py", grid, sample={"n": 4, "seed": 7}, params=DAYS)
    a.wait(timeout=120, progress=False)
    b.wait(timeout=120, progress=False)
    assert a.total == 4 and [r.params for r in a.records()] == [r.params for r in b.records()]


def test_tag_edits_an_ended_run(client):
    handle = client.run("sma_crossover.py", dict(DAYS, fast=2, slow=10), tags=["a"], note="first")
    handle.wait(timeout=60, progress=False)
    record = client.tag(handle.run_id, add=["b", "c"], remove=["a"])
    assert record.tags == ["b", "c"] and record.note == "first"
    assert client.tag(handle.run_id, note="second").note == "second"
    record = client.tag(handle.run_id, note=None)  # None removes the note
    assert record.note is None and record.tags == ["b", "c"]
    assert on_disk(record)["tags"] == ["b", "c"] and on_disk(record).get("note") is None
    assert [r.run_id for r in client.list(tag="c").runs] == [handle.run_id]
    hanging = client.run("scripts/hang.py")
    next(hanging.lines(timeout=30))
    with pytest.raises(bt.RunNotFinished):
        client.tag(hanging.run_id, add=["x"])
    hanging.cancel()
    with pytest.raises(RunNotFound):
        client.tag("19990101_000000_000", add=["x"])


def test_run_with_the_cache(client):
    first = client.run("sma_crossover.py", dict(DAYS, fast=2, slow=10), cache="reuse").wait(timeout=60,
                                                                                            progress=False)
    second = client.run("sma_crossover.py", dict(DAYS, fast=2, slow=10), cache="reuse").wait(timeout=60,
                                                                                             progress=False)
    assert first.cached_from is None and first.cache_key and second.cached_from == first.run_id
    assert second.metrics == first.metrics and second.summary == first.summary
    third = client.run("sma_crossover.py", dict(DAYS, fast=2, slow=10)).wait(timeout=60, progress=False)
    assert third.cached_from is None  # "off" is the default for run
