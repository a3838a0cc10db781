"""Every ```python block of docs/clients/python.md runs, against the real server, in a fresh workspace."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

DOC = REPO / "docs" / "clients" / "python.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.S | re.M)


def test_doc_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_doc_block_runs(index, server_bin, workspace):
    env = dict(os.environ, W=str(workspace))
    r = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=workspace, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, f"block {index}:\n{BLOCKS[index]}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}"
    assert r.stdout.strip(), "the example printed nothing"
