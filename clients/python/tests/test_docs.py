"""Every ```python block of docs/clients/python.md runs, against the real server, in a fresh workspace; so
does every ```sh block (the command line), with ``backtest-rpc-py`` on PATH as an installed package puts it."""
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

DOC = REPO / "docs" / "clients" / "python.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.S | re.M)
SH_BLOCKS = re.findall(r"^```sh\n(.*?)^```", DOC.read_text(), flags=re.S | re.M)


def test_doc_has_examples():
    assert len(BLOCKS) >= 3
    assert len(SH_BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_doc_block_runs(index, server_bin, workspace):
    env = dict(os.environ, W=str(workspace))
    r = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=workspace, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, f"block {index}:\n{BLOCKS[index]}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
    assert r.stdout.strip(), "the example printed nothing"


@pytest.mark.parametrize("index", range(len(SH_BLOCKS)))
def test_cli_doc_block_runs(index, server_bin, workspace, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "backtest-rpc-py"  # what `pip install` makes of [project.scripts]
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m backtest_rpc "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, W=str(workspace), PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    r = subprocess.run(["bash", "-eo", "pipefail", "-c", SH_BLOCKS[index]], cwd=workspace, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"block {index}:\n{SH_BLOCKS[index]}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
    assert r.stdout.strip(), "the example printed nothing"
