"""Workers of one call raise their tables' thresholds to each other's before each band
(_engine.Peers, mp_run_worker): a worker then skips candidates a peer has already beaten.
That may change what each worker's tables hold, never the merged tables."""
import numpy as np
import pytest
from conftest import random_walk

from mpcore import _config, _engine, _pipeline
from mpcore._prepare import prepare_job
from test_seeds import _hard_series


def _run(job, tables, bands, peers=None, me=0):
    counters = np.zeros(2, dtype=np.int64)
    cancel = np.zeros(1, dtype=np.intc)
    assert _engine.run_worker(_config.kernel_index(), job.mode, job.m, job.p, job.reseed,
                              job.series, job.passes, np.ascontiguousarray(bands), counters,
                              tables, cancel, peers, me)
    return tables


def _empty_rows(tables):
    return sum(int((t.I.reshape(t.l, t.k)[:, 0] < 0).sum()) for t in tables)


CASES = [dict(normalize=True, k=1), dict(normalize=True, k=3), dict(normalize=False, p=2.0, k=1),
         dict(normalize=False, p=1.0, k=2), dict(normalize=True, k=1, ab=True),
         dict(normalize=False, p=3.0, k=1, ab=True)]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("kind", ["walk", "hard"])
def test_peers_change_no_merged_entry(case, kind):
    """The hardest case for the rule: worker 0 runs every other band to its end before worker
    1 starts, so worker 1 begins from worker 0's final thresholds.  Merged, the two equal one
    worker's tables over all bands, bitwise; worker 1 alone holds fewer entries than without
    its peer (the rule did something)."""
    case = dict(case)
    ab = case.pop("ab", False)
    T = random_walk(3000, seed=4) if kind == "walk" else _hard_series(4300, seed=4300)
    B = random_walk(1700, seed=5) if ab else None
    job = prepare_job(T, 24, B, not ab, case["normalize"], case.get("p", 2.0), case["k"],
                      None, None)
    bands = job.bands
    first, second = bands[0::2], bands[1::2]
    ref = _run(job, job.new_tables(), bands)

    peers = _engine.Peers(2, len(ref))
    t0 = _run(job, job.new_tables(), first, peers, 0)
    t1 = _run(job, job.new_tables(), second, peers, 1)
    alone = _run(job, job.new_tables(), second)
    assert _empty_rows(t1) > _empty_rows(alone)

    merged = _pipeline.merge(job, [t0, t1])
    for got, want in zip(merged, ref):
        np.testing.assert_array_equal(got.P, want.P)
        np.testing.assert_array_equal(got.I, want.I)


def test_peers_argument_errors():
    job = prepare_job(random_walk(600, seed=1), 16, None, True, True, 2.0, 1, None, None)
    tables = job.new_tables()
    with pytest.raises(ValueError, match="workers"):
        _engine.Peers(0, 2)
    with pytest.raises(ValueError, match="no such worker"):
        _run(job, tables, job.bands, _engine.Peers(2, len(tables)), 2)
    with pytest.raises(ValueError, match="number of tables"):
        _run(job, tables, job.bands, _engine.Peers(2, len(tables) + 1), 0)
