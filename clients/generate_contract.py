#!/usr/bin/env python3
"""Writes the contract facts the clients rely on, from protocol/openrpc.json, so they are never repeated by hand:

    clients/python/backtest_rpc/_contract.py     ERROR_CODES, ALL_STATUSES, TERMINAL_STATUSES, METHODS,
                                                 NOTIFICATIONS, CLIENT_NOTIFICATIONS
    clients/nvim/lua/backtest_rpc/contract.lua   the same facts as a Lua table

    python3 clients/generate_contract.py             regenerate both files in place
    python3 clients/generate_contract.py --check     exit 1 (naming them) when the checked-in files are stale
    python3 clients/generate_contract.py --out-dir D write D/python/... and D/nvim/... instead (tests use this)
    python3 clients/generate_contract.py --contract F   read another contract file

Standard library only. The output depends on nothing but the contract (no dates, no paths), so generating
twice gives the same bytes and a test can compare a fresh generation with the checked-in files.

Where the facts come from:
  * error codes: ``components.errors`` (name → {code, message, data}): the transport's and the application's.
    A code a method lists (``methods[].errors``) that is not named there, or a name with two codes, is an error.
  * statuses: ``x-run-statuses`` ({"all": [...], "terminal": [...]}); a contract without it is an error.
  * method names: ``methods[].name``; notifications: ``x-notifications[].name`` (server → client) and
    ``x-client-notifications[].name`` (client → server).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
DEFAULT_CONTRACT = HERE.parent / "protocol" / "openrpc.json"
PYTHON_OUT = Path("python") / "backtest_rpc" / "_contract.py"
LUA_OUT = Path("nvim") / "lua" / "backtest_rpc" / "contract.lua"
HEADER = "generated from protocol/openrpc.json by clients/generate_contract.py — do not edit"

class ContractError(Exception):
    """The contract lacks or contradicts a fact the clients need."""


class Facts:
    def __init__(self, error_codes: List[Tuple[str, int]], all_statuses: List[str], terminal: List[str],
                 statuses_source: str, methods: List[str], notifications: List[str],
                 client_notifications: List[str]):
        self.error_codes = error_codes
        self.all_statuses = all_statuses
        self.terminal = terminal
        self.statuses_source = statuses_source
        self.methods = methods
        self.notifications = notifications
        self.client_notifications = client_notifications


# ---- reading the contract --------------------------------------------------------------------------------

def _error_codes(doc: Dict[str, Any]) -> List[Tuple[str, int]]:
    by_name: Dict[str, int] = {}
    by_code: Dict[int, str] = {}

    def add(name: str, code: Any, where: str) -> None:
        if not isinstance(code, int) or isinstance(code, bool):
            raise ContractError(f"{where}: error {name!r} has no integer code")
        if by_name.get(name, code) != code:
            raise ContractError(f"{where}: error {name!r} has codes {by_name[name]} and {code}")
        if by_code.get(code, name) != name:
            raise ContractError(f"{where}: code {code} is named both {by_code[code]!r} and {name!r}")
        by_name[name], by_code[code] = code, name

    for name, spec in ((doc.get("components") or {}).get("errors") or {}).items():
        add(name, (spec or {}).get("code"), "components.errors")
    for method in doc.get("methods") or []:
        for err in method.get("errors") or []:
            code = err.get("code")
            if code not in by_code:
                raise ContractError(f"method {method.get('name')!r} lists error code {code} that the contract "
                                    "names nowhere (components.errors)")
    if not by_name:
        raise ContractError("no error codes in the contract")
    return sorted(by_name.items(), key=lambda kv: (kv[1], kv[0]))


def _statuses(doc: Dict[str, Any]) -> Tuple[List[str], List[str], str]:
    declared = doc.get("x-run-statuses")
    if not isinstance(declared, dict):
        raise ContractError("the contract has no x-run-statuses")
    all_statuses = list(declared.get("all") or [])
    terminal = list(declared.get("terminal") or [])
    source = "x-run-statuses"
    if not all_statuses or not all(isinstance(s, str) for s in all_statuses):
        raise ContractError(f"run statuses: {all_statuses!r}")
    missing = [s for s in terminal if s not in all_statuses]
    if not terminal or missing:
        raise ContractError(f"terminal statuses {terminal!r} are not among the statuses {all_statuses!r}")
    return all_statuses, terminal, source


def _names(items: Any, where: str) -> List[str]:
    names = [item.get("name") for item in items or []]
    if not all(isinstance(n, str) and n for n in names):
        raise ContractError(f"{where}: an entry without a name")
    return names


def read_facts(doc: Dict[str, Any]) -> Facts:
    all_statuses, terminal, source = _statuses(doc)
    methods = _names(doc.get("methods"), "methods")
    if not methods:
        raise ContractError("no methods in the contract")
    return Facts(_error_codes(doc), all_statuses, terminal, source, methods,
                 _names(doc.get("x-notifications"), "x-notifications"),
                 _names(doc.get("x-client-notifications"), "x-client-notifications"))


# ---- writing ---------------------------------------------------------------------------------------------

def _comment(prefix: str, text: str) -> List[str]:
    return [prefix + line for line in textwrap.wrap(text, 110 - len(prefix))]


def _py_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid Python string literal


def _py_tuple(items: List[str], indent: str = "    ") -> str:
    if not items:
        return "()"
    return "(\n" + "".join(f"{indent}{_py_str(s)},\n" for s in items) + ")"


def python_source(f: Facts) -> str:
    out = [f"# {HEADER}",
           '"""The facts of the backtest-rpc contract (protocol/openrpc.json) this client relies on.',
           "",
           "Regenerate with ``python3 clients/generate_contract.py`` after the contract changes; the test suite",
           'fails while this file is stale."""',
           "from types import MappingProxyType",
           "from typing import FrozenSet, Mapping, Tuple",
           "",
           '__all__ = ["ERROR_CODES", "ALL_STATUSES", "TERMINAL_STATUSES", "METHODS", "NOTIFICATIONS",',
           '           "CLIENT_NOTIFICATIONS"]',
           "",
           "#: Every error code the server may answer, by its contract name (snake_case).",
           "ERROR_CODES: Mapping[str, int] = MappingProxyType({"]
    out += [f"    {_py_str(name)}: {code}," for name, code in f.error_codes]
    out += ["})",
            "",
            *_comment("# ", "Statuses from: " + f.statuses_source),
            "#: Every status a run can have.",
            f"ALL_STATUSES: Tuple[str, ...] = {_py_tuple(f.all_statuses)}",
            "#: The statuses a run ends in: nothing about the run changes after them.",
            "TERMINAL_STATUSES: FrozenSet[str] = frozenset({" + ", ".join(_py_str(s) for s in f.terminal) + "})",
            "",
            "#: The methods a client may call.",
            f"METHODS: Tuple[str, ...] = {_py_tuple(f.methods)}",
            "#: The notifications the server sends (server → client).",
            f"NOTIFICATIONS: Tuple[str, ...] = {_py_tuple(f.notifications)}",
            "#: The notifications a client may send (client → server).",
            f"CLIENT_NOTIFICATIONS: Tuple[str, ...] = {_py_tuple(f.client_notifications)}",
            ""]
    return "\n".join(out)


def _lua_str(s: str) -> str:
    out = []
    for byte in s.encode("utf-8"):
        ch = chr(byte)
        if ch in "\\\"":
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _lua_key(s: str) -> str:
    return s if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s) and s not in _LUA_KEYWORDS else f"[{_lua_str(s)}]"


_LUA_KEYWORDS = {"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
                 "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}


def _lua_list(items: List[str]) -> str:
    if not items:
        return "{}"
    return "{\n" + "".join(f"    {_lua_str(s)},\n" for s in items) + "  }"


def lua_source(f: Facts) -> str:
    out = [f"-- {HEADER}",
           "-- The facts of the backtest-rpc contract (protocol/openrpc.json) the plugin relies on.",
           "-- Regenerate with `python3 clients/generate_contract.py` after the contract changes.",
           "return {",
           "  -- Every error code the server may answer, by its contract name.",
           "  error_codes = {"]
    out += [f"    {_lua_key(name)} = {code}," for name, code in f.error_codes]
    out += ["  },",
            *_comment("  -- ", "Statuses from: " + f.statuses_source),
            "  -- Every status a run can have.",
            f"  all_statuses = {_lua_list(f.all_statuses)},",
            "  -- The statuses a run ends in: nothing about the run changes after them.",
            f"  terminal_statuses = {_lua_list(f.terminal)},",
            "  -- The methods a client may call.",
            f"  methods = {_lua_list(f.methods)},",
            "  -- The notifications the server sends (server -> client).",
            f"  notifications = {_lua_list(f.notifications)},",
            "  -- The notifications a client may send (client -> server).",
            f"  client_notifications = {_lua_list(f.client_notifications)},",
            "}",
            ""]
    return "\n".join(out)


def outputs(contract: Path) -> Dict[Path, str]:
    """Relative output path → file text."""
    with open(contract, encoding="utf-8") as fh:
        doc = json.load(fh)
    facts = read_facts(doc)
    return {PYTHON_OUT: python_source(facts), LUA_OUT: lua_source(facts)}


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Generate the clients' contract files from protocol/openrpc.json.")
    p.add_argument("--contract", type=Path, default=DEFAULT_CONTRACT, help="the OpenRPC document")
    p.add_argument("--out-dir", type=Path, default=HERE, help="the clients/ directory to write under")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file differs")
    a = p.parse_args(argv)
    try:
        files = outputs(a.contract)
    except (OSError, ValueError, ContractError) as exc:
        print(f"generate_contract: {a.contract}: {exc}", file=sys.stderr)
        return 2
    stale = []
    for rel, text in files.items():
        path = a.out_dir / rel
        data = text.encode("utf-8")
        if a.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
            print(f"wrote {path}")
    if stale:
        print("stale (regenerate with python3 clients/generate_contract.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
