"""Small public time series bundled with mpcore, for examples, tests and first steps.

Each loader returns a :class:`Dataset`: the values as a float64 array, the time of every sample,
and where the data come from and under which license. ``SOURCES.md`` beside the files says the
same.

========================  ==========  =========================================================
loader                    samples     what
========================  ==========  =========================================================
:func:`ecg`               108,000     5 minutes of an electrocardiogram at 360 Hz (MIT-BIH
                                      Arrhythmia Database, record 208, lead MLII), in mV
:func:`co2`               2,284       weekly atmospheric CO2 at Mauna Loa, 1958-2001, in ppmv
                                      (59 missing weeks are NaN)
========================  ==========  =========================================================
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

__all__ = ["Dataset", "co2", "ecg"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A bundled time series with its sample times and provenance.

    ``np.asarray(dataset)`` gives the values, so a dataset can be passed wherever a series is
    expected, e.g. ``mpcore.stump(mpcore.datasets.ecg(), m=360)``.

    Parameters
    ----------
    name, values, time, unit, sampling, description, source, license
        The attributes below.  The loaders (:func:`ecg`, :func:`co2`) build datasets; there is
        rarely a reason to build one by hand.

    Attributes
    ----------
    name : str
        Short name of the series.
    values : numpy.ndarray
        The samples, float64, read-only. Missing samples are NaN.
    time : numpy.ndarray
        The time of every sample: seconds from the start (float64) for signals sampled at a fixed
        rate, calendar dates (``datetime64[D]``) for dated records.
    unit : str
        Unit of ``values``.
    sampling : str
        How the series was sampled, in words.
    description : str
        What the series shows.
    source : str
        Where the data come from, with the citation its publishers ask for.
    license : str
        The license the data are distributed under.
    """

    name: str
    values: np.ndarray = field(repr=False)
    time: np.ndarray = field(repr=False)
    unit: str
    sampling: str
    description: str = field(repr=False)
    source: str = field(repr=False)
    license: str

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self.values, dtype=dtype)
        return np.asarray(self.values, dtype=dtype)

    def __len__(self) -> int:
        return len(self.values)

    def time_of(self, index: int) -> str:
        """Say when sample ``index`` was taken, in words fit for a report.

        Parameters
        ----------
        index : int
            A sample (or window start) index into ``values``.

        Returns
        -------
        str
            ``"12.345 s"`` for sampled signals, ``"1987-06-13"`` for dated records.

        Examples
        --------
        >>> from mpcore import datasets
        >>> datasets.ecg().time_of(720)
        '2.000 s'
        >>> datasets.co2().time_of(0)
        '1958-03-29'
        """
        t = self.time[int(index)]
        if np.issubdtype(self.time.dtype, np.datetime64):
            return str(t)
        return f"{float(t):.3f} s"


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


_ECG_FS = 360.0  # samples per second
_ECG_GAIN = 200.0  # ADC units per mV (the MIT-BIH header's gain for this record)
_ECG_BASELINE = 1024  # ADC zero level


def ecg() -> Dataset:
    """Load five minutes of a real electrocardiogram: 108,000 samples at 360 Hz, in mV.

    The excerpt (19:35 to 24:35) of record 208, lead MLII, of the MIT-BIH Arrhythmia Database
    holds normal beats, premature ventricular contractions (beats of another shape) and noise
    artifacts: a good first series for motifs (two near-identical beats) and discords (the most
    unusual beat).

    Returns
    -------
    Dataset
        ``values`` in mV (float64), ``time`` in seconds from the start of the excerpt.

    Notes
    -----
    Source: the MIT-BIH Arrhythmia Database on PhysioNet, record 208, distributed under the Open
    Data Commons Attribution License v1.0. Please cite Moody GB, Mark RG, "The impact of the
    MIT-BIH Arrhythmia Database", IEEE Eng in Med and Biol 20(3):45-50 (2001), doi:10.13026/C2F305,
    and Goldberger AL et al., "PhysioBank, PhysioToolkit, and PhysioNet", Circulation
    101(23):e215-e220 (2000). The same excerpt is SciPy's ``electrocardiogram()``; mpcore stores
    the raw 11-bit ADC values and converts them with the record's gain (200 per mV) and baseline
    (1024).

    Examples
    --------
    >>> from mpcore import datasets
    >>> ecg = datasets.ecg()
    >>> len(ecg), ecg.unit, ecg.sampling
    (108000, 'mV', '360 Hz')
    >>> print(ecg.values[:3])
    [-0.245 -0.215 -0.185]
    """
    with resources.files(__name__).joinpath("mitdb_208_mlii.npz").open("rb") as f:
        adc = np.load(f)["adc"]
    values = (adc.astype(np.float64) - _ECG_BASELINE) / _ECG_GAIN
    return Dataset(
        name="ecg",
        values=_frozen(values),
        time=_frozen(np.arange(values.size) / _ECG_FS),
        unit="mV",
        sampling="360 Hz",
        description="Electrocardiogram, MIT-BIH Arrhythmia Database record 208, lead MLII, "
        "19:35 to 24:35: normal beats, premature ventricular contractions and noise artifacts.",
        source="MIT-BIH Arrhythmia Database (Moody & Mark 2001, doi:10.13026/C2F305) on "
        "PhysioNet (Goldberger et al. 2000)",
        license="Open Data Commons Attribution License v1.0",
    )


def co2() -> Dataset:
    """Load the weekly atmospheric CO2 record of Mauna Loa, Hawaii, March 1958 to December 2001.

    2,284 weekly means in ppmv: a rising trend with a yearly cycle, a classic series for motifs
    across years and for regime changes. The 59 weeks without enough clean measurements are NaN;
    windows that contain them get an infinite matrix-profile distance, as in STUMPY.

    Returns
    -------
    Dataset
        ``values`` in ppmv (float64, NaN where missing), ``time`` as ``datetime64[D]`` dates.

    Notes
    -----
    Source: Keeling, C.D. and T.P. Whorf (2004), "Atmospheric CO2 concentrations derived from
    flask air samples at sites in the SIO network", in Trends: A Compendium of Data on Global
    Change, Carbon Dioxide Information Analysis Center, Oak Ridge National Laboratory, U.S.
    Department of Energy. Public domain. The same table ships with statsmodels as
    ``statsmodels.datasets.co2``.

    Examples
    --------
    >>> import numpy as np
    >>> from mpcore import datasets
    >>> co2 = datasets.co2()
    >>> len(co2), int(np.isnan(co2.values).sum()), str(co2.time[-1])
    (2284, 59, '2001-12-29')
    """
    with resources.files(__name__).joinpath("maunaloa_co2_weekly.csv").open(
        "r", encoding="ascii", newline=""
    ) as f:
        rows = list(csv.reader(f))[1:]
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:8]}" for d, _ in rows], dtype="datetime64[D]")
    values = np.array([float(v) if v else np.nan for _, v in rows], dtype=np.float64)
    return Dataset(
        name="co2",
        values=_frozen(values),
        time=_frozen(dates),
        unit="ppmv",
        sampling="weekly",
        description="Atmospheric CO2 from continuous air samples at Mauna Loa Observatory, "
        "Hawaii, weekly means, March 1958 to December 2001 (missing weeks are NaN).",
        source="Keeling & Whorf (2004), Trends: A Compendium of Data on Global Change, CDIAC, "
        "Oak Ridge National Laboratory",
        license="Public domain",
    )
