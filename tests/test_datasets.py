"""The bundled series load with the right length, values, units and times, read-only."""
import numpy as np
import pytest

import mpcore
from mpcore import datasets


def test_ecg_values_and_times():
    ecg = datasets.ecg()
    assert len(ecg) == 108_000 and ecg.values.dtype == np.float64
    # SciPy's electrocardiogram() starts -0.245, -0.215, -0.185 mV and ends -0.405, -0.395, -0.385
    np.testing.assert_array_equal(ecg.values[:3], [-0.245, -0.215, -0.185])
    np.testing.assert_array_equal(ecg.values[-3:], [-0.405, -0.395, -0.385])
    assert np.isfinite(ecg.values).all()
    assert abs(ecg.values.mean() - -0.16510875) < 1e-9 and abs(ecg.values.std() - 0.5992473991177294) < 1e-9
    assert ecg.time[360] == 1.0 and ecg.time_of(720) == "2.000 s"
    assert ecg.unit == "mV" and "Attribution" in ecg.license


def test_co2_values_and_dates():
    co2 = datasets.co2()
    assert len(co2) == 2284
    assert co2.time.dtype == np.dtype("datetime64[D]")
    assert str(co2.time[0]) == "1958-03-29" and str(co2.time[-1]) == "2001-12-29"
    assert np.all(np.diff(co2.time) > np.timedelta64(0, "D"))
    assert int(np.isnan(co2.values).sum()) == 59
    assert co2.values[0] == 316.1 and co2.values[-1] == 371.5
    assert 310 < np.nanmin(co2.values) and np.nanmax(co2.values) < 380
    assert co2.time_of(1) == "1958-04-05"


@pytest.mark.parametrize("load", [datasets.ecg, datasets.co2])
def test_read_only_and_array_protocol(load):
    ds = load()
    with pytest.raises(ValueError):
        ds.values[0] = 0.0
    np.testing.assert_array_equal(np.asarray(ds), ds.values)
    copy = np.array(ds, copy=True)
    copy[0] = 1.0  # a copy is writable and leaves the dataset alone
    assert load().values[0] == ds.values[0]


def test_a_dataset_is_a_series_for_stump():
    co2 = datasets.co2()
    mp = mpcore.stump(co2, 52)
    np.testing.assert_array_equal(mp.P_, mpcore.stump(co2.values, 52).P_)
    # windows holding a missing week get an infinite distance, as in STUMPY
    assert np.isinf(mp.P_[np.isnan(co2.values[:len(mp)])]).all()


def test_mpcore_datasets_attribute():
    assert mpcore.datasets is datasets
