"""The Examples sections of mpcore's docstrings, run as doctests against the installed package.

Every module of the installed ``mpcore`` package is imported and searched for docstring examples
(functions, classes, methods, properties); each docstring with examples is one test, so a failure
names the object.  Options: ``NORMALIZE_WHITESPACE | ELLIPSIS``, with NumPy's print options fixed
to its defaults, so the examples read as a user's session would print them.

Modules that need an optional dependency (``mpcore.plot``: matplotlib) are skipped when it is
missing; any other import failure is a failed test.

The ``>>>`` examples of the documentation pages (``docs/*.rst``, where the source tree is at hand)
run the same way, one test per page.
"""
from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import mpcore

# module name prefix -> the optional package it needs
OPTIONAL = {"mpcore.plot": "matplotlib"}
# docstring -> the optional package its example needs: fluss/floss fit their default idealized
# arc curve with scipy.stats, which mpcore does not require (the free-threaded CI job and the
# wheel tests run without it)
OPTIONAL_EXAMPLES = {
    "mpcore._algos.regimes.fluss": "scipy",
    "mpcore._algos.regimes.floss": "scipy",
}

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _module_names() -> list[str]:
    names = ["mpcore"]
    for info in pkgutil.walk_packages(mpcore.__path__, "mpcore."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue  # runs the command line when imported
        if info.name == "mpcore._mpcore_cuda":
            continue  # the CUDA kernels: a plain shared library for ctypes, not a module
        names.append(info.name)
    return sorted(names)


def _needs(name: str) -> str | None:
    for prefix, package in OPTIONAL.items():
        if name == prefix or name.startswith(prefix + "."):
            return package
    return None


def _importable(package: str) -> bool:
    try:
        importlib.import_module(package)
    except ImportError:
        return False
    return True


def _collect():
    """(id, module name, test name) of every docstring with examples; optional modules whose
    dependency is missing become one skipped entry each."""
    found = []
    finder = doctest.DocTestFinder(exclude_empty=True)
    for name in _module_names():
        needs = _needs(name)
        try:
            module = importlib.import_module(name)
        except ImportError:
            if needs is not None and not _importable(needs):
                found.append(pytest.param(name, None, id=name, marks=pytest.mark.skip(
                    reason=f"{name} needs {needs}, which is not installed")))
                continue
            raise
        for test in finder.find(module, name):
            if test.examples:
                found.append(pytest.param(name, test.name, id=test.name))
    return found


CASES = _collect()


def test_examples_were_found():
    # the public functions carry examples: an empty collection means the finder broke
    names = {c.values[1] for c in CASES}
    for expected in ("mpcore._api.stump", "mpcore._algos.motifs.motifs",
                     "mpcore.datasets.ecg"):
        assert expected in names, f"no doctest collected for {expected}"


@pytest.mark.parametrize("module_name, test_name", CASES)
def test_docstring_examples(module_name, test_name):
    if test_name in OPTIONAL_EXAMPLES:
        pytest.importorskip(OPTIONAL_EXAMPLES[test_name])
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    (test,) = [t for t in finder.find(module, module_name) if t.name == test_name]
    _run(test)


def _pages():
    if not DOCS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason="no docs/ next to tests/"))]
    return [pytest.param(p, id=p.name) for p in sorted(DOCS.glob("*.rst"))
            if ">>> " in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("page", _pages())
def test_documentation_page_examples(page):
    text = page.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, page.stem, str(page), 0)
    assert test.examples
    _run(test)


def _run(test):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    output = []
    state = np.random.get_state()
    with np.printoptions(precision=8, threshold=1000, edgeitems=3, linewidth=75,
                         suppress=False, nanstr="nan", infstr="inf", sign="-",
                         floatmode="maxprec", legacy=False):
        try:
            result = runner.run(test, out=output.append, clear_globs=True)
        finally:
            np.random.set_state(state)  # examples that seed NumPy leave others unaffected
    assert result.failed == 0, "".join(output)
