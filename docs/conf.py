"""Sphinx configuration for mpcore's documentation site.

Build (from the repository root, with mpcore and docs/requirements.txt installed):
``sphinx-build -W --keep-going -b html docs docs/_build/html``.

The API reference is generated here from the package itself: every name in ``mpcore.__all__``
must be placed in one of the groups of ``API_GROUPS`` (the build stops naming any that is not,
so a new public function cannot be left out of the reference), and every public submodule with an
``__all__`` (``mpcore.datasets``, ``mpcore.plot``, ...) gets a section listing all its names.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import mpcore

HERE = Path(__file__).resolve().parent

project = "mpcore"
author = "the mpcore developers"
copyright = "the mpcore developers"  # noqa: A001 (Sphinx's name)
release = mpcore.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# the _*_generated.rst files are parts of api.rst, performance.rst and cli.rst, not pages
exclude_patterns = ["_build", "_api_generated.rst", "_performance_generated.rst",
                    "_cli_generated.rst", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "py:obj"  # `name` in docstrings links to the object where one exists

html_theme = "pydata_sphinx_theme"
html_title = f"mpcore {release}"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
html_show_sourcelink = False

# -- autodoc / autosummary / numpydoc -------------------------------------------------------
autosummary_generate = ["api.rst", "_api_generated.rst"]
autosummary_imported_members = True  # the public names live in private modules
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False  # the class template lists the members (autodoc)
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Validate every public docstring while building; with -W a defect fails the build.  Left out:
# See Also / Examples / Extended Summary being absent (not defects), and PR04 "parameter has no
# type": twins such as mstumped document the parameters they share with mstump as one line,
# "T, m, include, ... As in :func:`mstump`", which carries no type on purpose.
numpydoc_validation_checks = {"all", "SA01", "EX01", "ES01", "PR04", "GL08"}
# Dunder methods and the attribute docstrings of properties are not public API pages.
numpydoc_validation_exclude = {r"\.__\w+__$"}
numpydoc_xref_param_type = False

# -- sphinx-gallery: the examples/ scripts, run at build time ------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # plot_*.py run at build time.  examples/quickstart.py is the README's first command, not
    # a gallery script (its docstring has no title; it writes a figure file of its own): the
    # getting-started page shows it.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|quickstart\.py",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
}

# -- the API reference, generated from the package -----------------------------------------
# Titles and the order of the top-level names on the reference page.  Every name of
# mpcore.__all__ must appear exactly once; check_api_groups() stops the build otherwise.
API_GROUPS = {
    "Matrix profiles": ["stump", "aamp", "mass", "mparray"],
    "Motifs, discords and matches": ["motifs", "aamp_motifs", "discords", "match", "aamp_match"],
    "Chains and regimes": ["allc", "atsc", "fluss", "floss"],
    "Anytime and streaming profiles": [
        "scrump", "scraamp", "prescrump", "prescraamp", "stumpi", "aampi", "stumpi_ab",
    ],
    "Multi-dimensional profiles": [
        "mstump", "maamp", "subspace", "maamp_subspace", "mdl", "maamp_mdl", "mmotifs",
        "aamp_mmotifs",
    ],
    "Comparing and summarizing series": [
        "mpdist", "aampdist", "snippets", "aampdist_snippets", "ostinato", "aamp_ostinato",
        "stimp", "aamp_stimp",
    ],
    "NVIDIA GPUs": [
        "gpu_available", "gpu_stump", "gpu_aamp", "gpu_mpdist", "gpu_aampdist", "gpu_ostinato",
        "gpu_aamp_ostinato", "gpu_stimp", "gpu_aamp_stimp",
    ],
    "Dask clusters": [
        "stumped", "aamped", "mstumped", "maamped", "mpdisted", "aampdisted", "ostinatoed",
        "aamp_ostinatoed", "stimped", "aamp_stimped",
    ],
    "Threads and configuration": ["set_num_threads", "get_num_threads", "threads", "show_config"],
}
# Public submodules that are not a Python API: the command line has its own page (cli.rst).
NOT_API_SUBMODULES = {"cli", "__main__"}


class APIReferenceError(Exception):
    """The reference does not match the package's public names."""


def check_api_groups(groups: dict[str, list[str]], public: list[str]) -> None:
    """Raise APIReferenceError unless ``groups`` holds every name of ``public`` exactly once."""
    listed = [n for names in groups.values() for n in names]
    missing = sorted(set(public) - set(listed))
    unknown = sorted(set(listed) - set(public))
    twice = sorted({n for n in listed if listed.count(n) > 1})
    problems = []
    if missing:
        problems.append(f"public names missing from API_GROUPS in docs/conf.py: {missing}")
    if unknown:
        problems.append(f"names in API_GROUPS that mpcore.__all__ lacks: {unknown}")
    if twice:
        problems.append(f"names listed twice in API_GROUPS: {twice}")
    if problems:
        raise APIReferenceError("; ".join(problems))


def public_submodules() -> list[str]:
    """The public (no leading underscore) submodules of the installed mpcore package."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(mpcore.__path__)
        if not info.name.startswith("_") and info.name not in NOT_API_SUBMODULES
    )


def _autosummary(module: str, names: list[str]) -> str:
    lines = [f".. currentmodule:: {module}", "", ".. autosummary::", "   :toctree: generated",
             "   :nosignatures:", ""]
    lines += [f"   {n}" for n in names]
    return "\n".join(lines) + "\n\n"


def write_api_sections() -> Path:
    """Write the reference's sections to docs/_api_generated.rst (not in git)."""
    check_api_groups(API_GROUPS, list(mpcore.__all__))
    out = []
    for title, names in API_GROUPS.items():
        out.append(f"{title}\n{'-' * len(title)}\n\n")
        out.append(_autosummary("mpcore", names))
    for sub in public_submodules():
        # A submodule that fails to import (mpcore.plot without matplotlib) fails the build:
        # the reference must be complete.
        module = importlib.import_module(f"mpcore.{sub}")
        names = getattr(module, "__all__", None)
        if not names:
            raise APIReferenceError(f"mpcore.{sub} has no __all__: the reference cannot list it")
        title = f"``mpcore.{sub}``"
        summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        out.append(f"{title}\n{'-' * len(title)}\n\n{summary}\n\n")
        out.append(_autosummary(f"mpcore.{sub}", sorted(names)))
    path = HERE / "_api_generated.rst"
    text = "".join(out)
    if not path.exists() or path.read_text() != text:  # unchanged: no rebuild of api.rst
        path.write_text(text)
    return path


write_api_sections()


# -- the performance page's tables, taken from README.md ------------------------------------
# README.md holds the measured tables (benchmarks/table.py writes the CPU one); the page shows
# them as they are there, so the two never disagree.  A table counts when its header names
# mpcore; the README section it sits in titles it.  The lines benchmarks/table.py writes above
# its table (machine, versions, threads, statistic, command) come along.
README_TABLE_TITLES = {
    "Performance": "Matrix profiles: stump, aamp, top-k, AB-join",
    "Multi-dimensional profiles": "Multi-dimensional profiles: mstump, maamp",
    "Motifs, matches, discords, chains and regimes": "Motifs, matches, discords, chains, regimes",
}
_META = ("Machine:", "Versions:", "Threads:", "Statistic:", "Command:")


def _rst_inline(text: str) -> str:
    """Markdown inline code to reST literals; other Markdown in these cells is plain text."""
    import re

    return re.sub(r"`([^`]+)`", r"``\1``", text.strip())


def readme_tables(readme: Path) -> list[tuple[str, list[str], list[list[str]]]]:
    """(section title, lines above, rows) of every benchmark table in README.md."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    section, found, i = "", [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("|") and i + 1 < len(lines) and set(lines[i + 1]) <= set("|-: "):
            rows = []
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                if j != i + 1:  # skip the |---| rule
                    rows.append([_rst_inline(c) for c in lines[j].strip().strip("|").split("|")])
                j += 1
            if any("mpcore" in c for c in rows[0]):
                above, k = [], i - 1
                while k >= 0 and not lines[k].strip():
                    k -= 1
                while k >= 0 and lines[k].startswith(_META):
                    above.insert(0, _rst_inline(lines[k].rstrip()))
                    k -= 1
                found.append((section, above, rows))
            i = j
            continue
        i += 1
    return found


def write_performance_tables() -> None:
    tables = readme_tables(HERE.parent / "README.md")
    if not tables:
        raise APIReferenceError("README.md has no benchmark table: docs/performance.rst is empty")
    out, seen = [], set()
    for section, above, rows in tables:
        title = README_TABLE_TITLES.get(section, section)
        if title not in seen:
            seen.add(title)
            out.append(f"{title}\n{'~' * len(title)}\n\n")
        if above:
            out.append("| " + "\n| ".join(above) + "\n\n")
        width = len(rows[0])
        out.append(".. list-table::\n   :header-rows: 1\n\n")
        for row in rows:
            row = (row + [""] * width)[:width]
            out.append("   * - " + "\n     - ".join(c or "\\" for c in row) + "\n")
        out.append("\n")
    path = HERE / "_performance_generated.rst"
    text = "".join(out)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


write_performance_tables()


# -- the command line page: the help texts of the installed ``mpcore`` command --------------
# cli.rst includes what ``python -m mpcore [COMMAND] --help`` prints, so the page always says what
# the installed command does.  A subcommand that no longer answers --help fails the build.
CLI_COMMANDS = ["profile", "motifs", "discords", "regimes"]


def _help(*args: str) -> str:
    import subprocess

    env = dict(os.environ, COLUMNS="100")
    run = subprocess.run([sys.executable, "-m", "mpcore", *args, "--help"], capture_output=True,
                         text=True, env=env, cwd=HERE)
    if run.returncode != 0:
        raise APIReferenceError(f"python -m mpcore {' '.join(args)} --help failed: "
                                f"{run.stderr.strip() or run.stdout.strip()}")
    return run.stdout


def write_cli_help() -> None:
    import importlib.util

    out = []
    if importlib.util.find_spec("mpcore.__main__") is None:
        out.append(".. note::\n\n   This build of mpcore has no command line "
                   "(``mpcore.__main__`` is missing).\n")
    else:
        top = _help()
        for name in CLI_COMMANDS:
            if name not in top:
                raise APIReferenceError(f"mpcore --help does not list the {name} command")
        for title, args in [("mpcore", ())] + [(f"mpcore {c}", (c,)) for c in CLI_COMMANDS]:
            text = _help(*args)
            out.append(f"``{title} --help``\n{'~' * (len(title) + 11)}\n\n")
            out.append(".. code-block:: text\n\n")
            out.extend(f"   {line}".rstrip() + "\n" for line in text.splitlines())
            out.append("\n")
    path = HERE / "_cli_generated.rst"
    text = "".join(out)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


write_cli_help()

# The gallery's scripts import mpcore from the installed package, never from src/ (the
# extension modules exist only in the installed copy).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != (HERE.parent / "src")]
os.environ.setdefault("MPLBACKEND", "Agg")
