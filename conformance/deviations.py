"""mpcore's deliberate deviations from STUMPY 1.14.1, run as strict expected failures.

Each entry maps a STUMPY test (``module::function``, optionally with ``[params]``) to the reason.
Keep this list short: a STUMPY test that fails for any other reason is a bug in mpcore.
``strict`` xfail means an entry that starts passing fails the run, so the list never goes stale.
"""

_INT_INPUT = (
    "mpcore converts integer (and other real) input to float64, as NumPy functions do; STUMPY "
    "raises TypeError. Rejecting a valid time series only because of its dtype helps nobody, "
    "and the conversion is exact for every integer below 2**53."
)

DEVIATIONS = {
    "test_stump.py::test_stump_int_input": _INT_INPUT,
    "test_aamp.py::test_aamp_int_input": _INT_INPUT,
    "test_stumped.py::test_stumped_int_input": _INT_INPUT,
    "test_aamped.py::test_aamp_int_input": _INT_INPUT,  # sic: STUMPY named it so
    # Run only where numba sees a CUDA device (skipped elsewhere).
    "test_gpu_stump.py::test_gpu_stump_int_input": _INT_INPUT,
    "test_gpu_aamp.py::test_gpu_aamp_int_input": _INT_INPUT,
}
