"""pytest plugin: run STUMPY's own test modules with STUMPY's public names resolved to mpcore's.

Loaded by ``conformance/run.py`` (``-p mpcore_conformance``) in a pytest process whose ``sys.path``
starts with the unpacked STUMPY sdist, so ``stumpy`` and the tests' ``naive.py`` are STUMPY's own.

How names are swapped: while pytest imports a test module, ``sys.modules["stumpy"]`` and the
submodules that define the provided names (``stumpy.stump``, ``stumpy.core`` for ``mass``, ...)
are replaced by *views*: modules that answer the provided names with mpcore's objects and
delegate everything else, at call time, to the real module. Every import form in STUMPY's tests
(``from stumpy import a``, ``from stumpy.stump import stump``, parenthesised lists, imports under
``if cuda.is_available():``, ``import stumpy`` then ``stumpy.stump(...)``, ``core.mass(...)``)
goes through ``sys.modules`` and so binds mpcore's objects, while STUMPY itself and ``naive.py``
(imported before any view is installed) keep calling STUMPY's own code. After each import the
module's globals are checked for a STUMPY object that slipped through (reported as a leak).

Environment:
  MPCORE_CONFORMANCE_REPORT  JSON file the results are written to (required)
  MPCORE_CONFORMANCE_QUICK   keep at most this many parametrizations per test function
  MPCORE_CONFORMANCE_BREAK   comma-separated mpcore names to break on purpose (their first array
                             argument gets noise added), to show the harness really calls mpcore
"""
import ast
import functools
import importlib
import json
import os
import sys
import types

import pytest

# Names STUMPY exports besides its lazily imported functions: the result class lives in its own
# submodule and the tests import it from there.
_EXTRA_PUBLIC = {"mparray": "mparray"}


def stumpy_public_names(stumpy_pkg_dir):
    """STUMPY's public names -> the submodule defining each, read from its ``__init__.py``.

    Parsed rather than imported so the GPU names are included on machines without CUDA.
    """
    with open(os.path.join(stumpy_pkg_dir, "__init__.py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    names = dict(_EXTRA_PUBLIC)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and all(
            isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
            for k, v in zip(node.keys, node.values)
        ):
            names.update({k.value: v.value for k, v in zip(node.keys, node.values)})
    return names


def names_used(test_file, public):
    """The public STUMPY names a test module uses, by any import or attribute form."""
    with open(test_file, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    used = set()
    aliases = {}  # local name -> stumpy module it is bound to ("stumpy", "stumpy.core", ...)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "stumpy" or a.name.startswith("stumpy."):
                    aliases[a.asname or "stumpy"] = a.name if a.asname else "stumpy"
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module != "stumpy" and not node.module.startswith("stumpy."):
                continue
            for a in node.names:
                if a.name in public and (
                    node.module == "stumpy" or public[a.name] == node.module[len("stumpy.") :]
                ):
                    used.add(a.name)
                elif node.module == "stumpy":
                    aliases[a.asname or a.name] = f"stumpy.{a.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            mod = aliases.get(node.value.id)
            if mod is None or node.attr not in public:
                continue
            if mod == "stumpy" or public[node.attr] == mod[len("stumpy.") :]:
                used.add(node.attr)
    return used


def provided_names(public):
    import mpcore

    return sorted(set(mpcore.__all__) & set(public))


class _View(types.ModuleType):
    """A stand-in for a STUMPY module: overridden names are mpcore's, the rest is delegated."""

    def __init__(self, real, overrides):
        super().__init__(real.__name__, real.__doc__)
        self.__dict__["_real"] = real
        self.__dict__["_overrides"] = overrides

    def __getattr__(self, name):
        overrides = self.__dict__["_overrides"]
        if name in overrides:
            return overrides[name]
        return getattr(self.__dict__["_real"], name)

    def __setattr__(self, name, value):  # e.g. a test setting a config value: reach STUMPY
        setattr(self.__dict__["_real"], name, value)

    def __dir__(self):
        return sorted(set(dir(self.__dict__["_real"])) | set(self.__dict__["_overrides"]))


def _break(fn, name):
    """``fn`` computing on a slightly wrong input: what a subtly broken mpcore would do."""
    import numpy as np

    @functools.wraps(fn)
    def broken(*args, **kwargs):
        args = list(args)
        for i, a in enumerate(args):
            if isinstance(a, (list, np.ndarray)) or hasattr(a, "__array__"):
                x = np.array(a, dtype=np.float64)
                if x.ndim >= 1 and x.size > 1:
                    noise = np.random.default_rng(0).standard_normal(x.shape)
                    args[i] = x + 1e-2 * noise * (np.nanstd(x[np.isfinite(x)]) or 1.0)
                    break
        return fn(*args, **kwargs)

    return broken


class _Plugin:
    def __init__(self, report_path):
        import stumpy

        import mpcore

        self.report_path = report_path
        self.unstable = set()  # node ids of Unstable deviations (non-strict xfails)
        self.public = stumpy_public_names(os.path.dirname(stumpy.__file__))
        self.provided = provided_names(self.public)
        self.calls = dict.fromkeys(self.provided, 0)
        self.outcomes = {}
        self.durations = {}
        self.leaks = []
        self.collect_errors = {}
        self.stale = []
        self.module_skips = {}
        broken = {b for b in os.environ.get("MPCORE_CONFORMANCE_BREAK", "").split(",") if b}
        if broken - set(self.provided):
            raise pytest.UsageError(f"cannot break names mpcore does not provide: {broken}")

        # Import all of STUMPY first: a STUMPY module first imported while the views are in
        # sys.modules would bind them (`from . import core`) and call mpcore from inside STUMPY.
        for sub in sorted(set(self.public.values())):
            try:
                importlib.import_module(f"stumpy.{sub}")
            except Exception:  # e.g. a GPU module that cannot import here
                pass

        # STUMPY's object for each provided name, and mpcore's (counted, maybe broken) stand-in.
        self.originals, overrides = {}, {}
        for name in self.provided:
            try:
                defining = importlib.import_module(f"stumpy.{self.public[name]}")
                self.originals[name] = getattr(defining, name)
            except Exception:  # e.g. a GPU module that cannot import here: nothing to swap in it
                pass
            obj = getattr(mpcore, name)
            if isinstance(obj, types.FunctionType):
                if name in broken:
                    obj = _break(obj, name)
                obj = self._counted(obj, name)
            overrides[name] = obj

        # One view per STUMPY module defining a provided name, and one for the package.
        self.views = {}
        for name in self.provided:
            modname = f"stumpy.{self.public[name]}"
            real = sys.modules.get(modname)
            if real is None or name not in self.originals:
                continue
            if modname not in self.views:
                self.views[modname] = _View(real, {})
            self.views[modname].__dict__["_overrides"][name] = overrides[name]
        package = dict(overrides)
        for modname, view in self.views.items():
            package.setdefault(modname.split(".", 1)[1], view)
        self.views["stumpy"] = _View(sys.modules["stumpy"], package)

    def _counted(self, fn, name):
        calls = self.calls

        @functools.wraps(fn)
        def counted(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        return counted

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector):
        if not isinstance(collector, pytest.Module):
            yield
            return
        saved = {name: sys.modules[name] for name in self.views}
        sys.modules.update(self.views)
        try:
            outcome = yield
        finally:
            sys.modules.update(saved)
        module = getattr(collector, "_obj", None)
        if module is not None:
            stumpy_objs = {id(v): k for k, v in self.originals.items()}
            for var, value in vars(module).items():
                if id(value) in stumpy_objs:
                    name = stumpy_objs[id(value)]
                    self.leaks.append(f"{collector.path.name}: {var} is STUMPY's {name}")
        rep = outcome.get_result()
        if rep.failed:
            self.collect_errors[collector.path.name] = str(rep.longrepr)[-2000:]
        elif rep.skipped:  # a module-level skip, e.g. the GPU modules without a CUDA device
            self.module_skips[collector.path.name] = str(rep.longrepr[-1]) if isinstance(
                rep.longrepr, tuple) else str(rep.longrepr)

    @pytest.hookimpl(tryfirst=True)  # before -k/-m deselect anything: deviations see all tests
    def pytest_collection_modifyitems(self, session, config, items):
        from deviations import DEVIATIONS, Unstable

        matched = set()
        for item in items:
            base = item.path.name
            original = getattr(item, "originalname", item.name)
            keys = [k for k in (f"{base}::{item.name}", f"{base}::{original}") if k in DEVIATIONS]
            matched.update(keys)
            if keys:
                reason = f"deliberate deviation: {DEVIATIONS[keys[0]]}"
                # Unstable: whether the test trips over the deviation depends on NumPy's global
                # random state, which the tests run before it consumed; it may pass
                unstable = isinstance(DEVIATIONS[keys[0]], Unstable)
                if unstable:
                    self.unstable.add(item.nodeid)
                item.add_marker(pytest.mark.xfail(reason=reason, strict=not unstable))

        # An entry for a module that ran but naming no test there is stale: report it.
        modules = {item.path.name for item in items}
        self.stale = sorted(
            k for k in DEVIATIONS if k.split("::")[0] in modules and k not in matched)

        quick = int(os.environ.get("MPCORE_CONFORMANCE_QUICK", "0") or 0)
        if quick > 0:
            # Keep `quick` evenly spaced parametrizations of each test function (deterministic).
            groups = {}
            for item in items:
                key = (item.path.name, getattr(item, "originalname", item.name))
                groups.setdefault(key, []).append(item)
            keep = set()
            for group in groups.values():
                step = max(1, len(group) / quick)
                keep.update(id(group[int(i * step)]) for i in range(min(quick, len(group))))
            deselected = [it for it in items if id(it) not in keep]
            items[:] = [it for it in items if id(it) in keep]
            config.hook.pytest_deselected(items=deselected)

    def pytest_runtest_logreport(self, report):
        rank = {"passed": 0, "skipped": 1, "xfailed": 1, "xpassed": 2, "failed": 3, "error": 3}
        if report.failed:
            outcome = "failed" if report.when == "call" else "error"
        elif hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
            if outcome == "xpassed" and report.nodeid in self.unstable:
                outcome = "passed"
        elif report.skipped:
            outcome = "skipped"
        elif report.when == "call":
            outcome = "passed"
        else:
            return
        previous = self.outcomes.get(report.nodeid)
        if previous is None or rank[outcome] > rank[previous]:
            self.outcomes[report.nodeid] = outcome
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session):
        with open(self.report_path, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "provided": self.provided,
                    "calls": self.calls,
                    "outcomes": self.outcomes,
                    "durations": self.durations,
                    "leaks": self.leaks,
                    "stale_deviations": self.stale,
                    "module_skips": self.module_skips,
                    "collect_errors": self.collect_errors,
                },
                f,
                indent=1,
            )


def pytest_configure(config):
    report = os.environ.get("MPCORE_CONFORMANCE_REPORT")
    if not report:
        raise pytest.UsageError("MPCORE_CONFORMANCE_REPORT is not set; run conformance/run.py")
    # naive.py must bind STUMPY's own modules: import it before any view is installed.
    importlib.import_module("naive")
    config.pluginmanager.register(_Plugin(report), "mpcore-conformance")
