"""The Python examples of the READMEs (the repository's "Python" section and the package's
README) and of the package docstring run and do what they say."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
from conftest import REPO, finish, python

import fmap

READMES = [REPO / "README.md", REPO / "crates" / "fmap-py" / "README.md"]


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def _cases():
    for path in READMES:
        if not path.is_file():
            continue
        for i, block in enumerate(python_blocks(path)):
            yield pytest.param(block, id=f"{path.relative_to(REPO)}#{i}")


@pytest.mark.parametrize("block", list(_cases()))
def test_readme_example_runs(block):
    if "numpy" in block:
        pytest.importorskip("numpy")
    # In a process of its own: the examples use fixed names, which go with the process.
    out = finish(python(block))
    if "[1. 2. 3.]" in block:
        assert out.strip() == "[1. 2. 3.]"


def test_readmes_have_examples():
    if not READMES[0].is_file():
        pytest.skip("not in the source tree")
    assert python_blocks(READMES[0]) and python_blocks(READMES[1])


def test_package_docstring():
    failures, tried = doctest.testmod(fmap, verbose=False, report=True)
    assert tried > 0 and failures == 0
