"""The client against the contract (protocol/openrpc.json) and the package's own shape.

The contract facts the clients use (error codes, run statuses, method and notification names) are generated
by clients/generate_contract.py into backtest_rpc/_contract.py and the Neovim plugin's contract.lua: a
contract change without regenerating fails here. No server needed."""
import ast
import copy
import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
import typing
from pathlib import Path

import backtest_rpc
from backtest_rpc import _contract, errors
from backtest_rpc.client import Client
from backtest_rpc.types import EVENT_TYPES, StatusEvent

from conftest import REPO

CLIENTS = REPO / "clients"
GENERATOR = CLIENTS / "generate_contract.py"
CONTRACT = REPO / "protocol" / "openrpc.json"
PACKAGE = Path(backtest_rpc.__file__).resolve().parent
GENERATED = [Path("python/backtest_rpc/_contract.py"), Path("nvim/lua/backtest_rpc/contract.lua")]
HEADER = "generated from protocol/openrpc.json by clients/generate_contract.py — do not edit"


def generate(out_dir, contract=CONTRACT, *extra):
    return subprocess.run([sys.executable, str(GENERATOR), "--contract", str(contract), "--out-dir", str(out_dir),
                           *extra], capture_output=True, text=True, timeout=60)


# ---- the generated files ---------------------------------------------------------------------------------

def test_checked_in_contract_files_are_what_the_generator_makes(tmp_path):
    r = generate(tmp_path)
    assert r.returncode == 0, r.stderr
    for rel in GENERATED:
        fresh, checked_in = (tmp_path / rel).read_bytes(), (CLIENTS / rel).read_bytes()
        assert fresh == checked_in, f"clients/{rel} is stale: run python3 clients/generate_contract.py"
        assert HEADER in checked_in.decode("utf-8").splitlines()[0]
    assert generate(CLIENTS, CONTRACT, "--check").returncode == 0


def test_generated_facts_are_the_contract_s():
    doc = json.loads(CONTRACT.read_text(encoding="utf-8"))
    for name, spec in doc["components"]["errors"].items():
        assert _contract.ERROR_CODES[name] == spec["code"]
    listed = {e["code"] for m in doc["methods"] for e in m.get("errors") or []}
    assert listed <= set(_contract.ERROR_CODES.values())
    assert list(_contract.METHODS) == [m["name"] for m in doc["methods"]]
    assert list(_contract.NOTIFICATIONS) == [n["name"] for n in doc["x-notifications"]]
    assert list(_contract.CLIENT_NOTIFICATIONS) == [n["name"] for n in doc["x-client-notifications"]]
    assert _contract.TERMINAL_STATUSES < set(_contract.ALL_STATUSES)
    assert list(_contract.ALL_STATUSES) == doc["x-run-statuses"]["all"]
    assert _contract.TERMINAL_STATUSES == set(doc["x-run-statuses"]["terminal"])


def test_generator_takes_statuses_from_x_run_statuses_when_there(tmp_path):
    doc = json.loads(CONTRACT.read_text(encoding="utf-8"))
    doc["x-run-statuses"] = {"all": ["queued", "running", "completed", "failed", "cancelled", "archived"],
                             "terminal": ["completed", "failed", "cancelled", "archived"]}
    (tmp_path / "c.json").write_text(json.dumps(doc))
    assert generate(tmp_path / "out", tmp_path / "c.json").returncode == 0
    ns = {}
    exec((tmp_path / "out" / GENERATED[0]).read_text(encoding="utf-8"), ns)
    assert ns["ALL_STATUSES"] == ("queued", "running", "completed", "failed", "cancelled", "archived")
    assert ns["TERMINAL_STATUSES"] == {"completed", "failed", "cancelled", "archived"}
    lua = (tmp_path / "out" / GENERATED[1]).read_text(encoding="utf-8")
    assert re.search(r'terminal_statuses = \{\s*"completed",\s*"failed",\s*"cancelled",\s*"archived",\s*\}', lua)


def test_generator_refuses_an_unnamed_or_contradictory_error(tmp_path):
    doc = json.loads(CONTRACT.read_text(encoding="utf-8"))
    unnamed = copy.deepcopy(doc)
    unnamed["methods"][0].setdefault("errors", []).append({"code": 2999, "message": "new and unnamed"})
    clash = copy.deepcopy(doc)
    clash["components"]["errors"]["run_not_found"] = {"code": 2099, "message": "moved"}
    bad_terminal = copy.deepcopy(doc)
    bad_terminal["x-run-statuses"] = {"all": ["queued", "completed"], "terminal": ["completed", "gone"]}
    no_statuses = copy.deepcopy(doc)
    del no_statuses["x-run-statuses"]
    for i, d in enumerate([unnamed, clash, bad_terminal, no_statuses]):
        (tmp_path / f"{i}.json").write_text(json.dumps(d))
        r = generate(tmp_path / f"out{i}", tmp_path / f"{i}.json")
        assert r.returncode == 2 and "generate_contract" in r.stderr, (i, r.stderr)
        assert not (tmp_path / f"out{i}").exists()


# ---- the client follows the contract -----------------------------------------------------------------------

def test_every_contract_error_has_its_exception_class():
    assert set(errors.ERROR_CLASSES) == set(_contract.ERROR_CODES), "a class per contract error, no others"
    for name, code in _contract.ERROR_CODES.items():
        cls = errors.ERROR_CLASSES[name]
        assert issubclass(cls, errors.RPCError) and cls.error_name == name and cls.code == code
        assert errors.error_class(code) is cls
        assert getattr(backtest_rpc, cls.__name__) is cls, f"{cls.__name__} is not exported by the package"
        exc = errors.error_from_response({"code": code, "message": "m", "data": {"x": 1}}, "status")
        assert type(exc) is cls and exc.code == code and exc.data == {"x": 1} and exc.method == "status"
    assert type(errors.error_from_response({"code": 4242, "message": "?"})) is errors.RPCError


def test_statuses_and_notifications_come_from_the_contract():
    for status in _contract.ALL_STATUSES:
        assert StatusEvent(status=status).terminal == (status in _contract.TERMINAL_STATUSES)
    assert set(EVENT_TYPES) == set(_contract.NOTIFICATIONS)


def test_every_contract_method_has_a_client_call():
    aliases = {"rpc.discover": "discover"}
    for method in _contract.METHODS:
        assert callable(getattr(Client, aliases.get(method, method), None)), f"Client has no call for {method}"


# ---- the package's shape -----------------------------------------------------------------------------------

def public_modules():
    return [m.name for m in pkgutil.iter_modules([str(PACKAGE)]) if not m.name.startswith("_")]


def test_every_public_module_says_what_it_exports():
    assert {"client", "handle", "errors", "types", "session", "transport", "backend"} <= set(public_modules())
    for name in public_modules() + ["_contract", "_version"]:
        mod = importlib.import_module(f"backtest_rpc.{name}")
        assert hasattr(mod, "__all__"), f"backtest_rpc.{name} has no __all__"
        for exported in mod.__all__:
            obj = getattr(mod, exported)  # every listed name exists
            for lib in (typing, dataclasses):
                assert getattr(lib, exported, None) is not obj, f"{name} exports {lib.__name__}.{exported}"
    ns = {}
    exec("from backtest_rpc import *", ns)
    assert set(ns) - {"__builtins__"} == set(backtest_rpc.__all__)
    assert not {"Any", "Dict", "Optional", "Type", "annotations"} & set(ns)


def test_the_package_imports_have_no_cycle():
    graph = {}
    for path in PACKAGE.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(a.name for a in node.names)
        graph[path.stem] = deps & {p.stem for p in PACKAGE.glob("*.py")}
    graph["__init__"] = set()  # the package imports everything; nothing imports it back (checked below)
    assert all("__init__" not in deps for deps in graph.values())
    done, active = set(), []

    def visit(mod):
        assert mod not in active, "import cycle: " + " -> ".join(active[active.index(mod):] + [mod])
        if mod in done:
            return
        active.append(mod)
        for dep in sorted(graph[mod]):
            visit(dep)
        active.pop()
        done.add(mod)

    for mod in sorted(graph):
        visit(mod)
    assert "client" not in graph["handle"]


def test_version_has_one_source_and_type_hints_ship():
    assert (PACKAGE / "py.typed").is_file()
    from backtest_rpc._version import __version__
    assert backtest_rpc.__version__ == __version__ and re.fullmatch(r"\d+\.\d+\.\d+\S*", __version__)
    text = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:  # Python < 3.11: the same facts, read as text
        assert re.search(r'^dynamic\s*=\s*\["version"\]', text, re.M)
        assert re.search(r'version\s*=\s*\{\s*attr\s*=\s*"backtest_rpc\._version\.__version__"', text)
        assert re.search(r'^backtest_rpc\s*=\s*\["py\.typed"\]', text, re.M)
        assert not re.search(r'^version\s*=', text, re.M)
        return
    meta = tomllib.loads(text)
    assert "version" not in meta["project"] and meta["project"]["dynamic"] == ["version"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "backtest_rpc._version.__version__"}
    assert "py.typed" in meta["tool"]["setuptools"]["package-data"]["backtest_rpc"]


def test_handles_need_only_the_backend_interfaces():
    from backtest_rpc.backend import RunBackend, SweepBackend
    from backtest_rpc.handle import RunHandle
    from backtest_rpc.sweep import SweepHandle
    for handle, backend in ((RunHandle, RunBackend), (SweepHandle, SweepBackend)):
        wanted = {n for n, _ in inspect.getmembers(backend, inspect.isfunction) if not n.startswith("_")}
        assert wanted and all(callable(getattr(Client, n)) for n in wanted)
        for name in wanted:  # the client's call takes what the interface promises
            promised = set(inspect.signature(getattr(backend, name)).parameters)
            assert promised <= set(inspect.signature(getattr(Client, name)).parameters), name
        assert inspect.signature(handle).parameters["client"].annotation in (backend.__name__, backend)
