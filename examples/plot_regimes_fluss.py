"""
Regime changes with FLUSS
=========================

:func:`mpcore.fluss` segments a series where its behaviour changes.  Each window's nearest
neighbour (the matrix profile index) is drawn as an arc; few arcs cross the boundary between two
regimes, because windows of one regime find their neighbours within it.  The *corrected arc
curve* counts the arcs over every point against what random neighbours would give: its lowest
points are the regime changes.

To have a change whose time we know, this example splices two stretches of the bundled ECG: the
first 30 seconds as recorded, then the next 45 seconds played back 1.5 times faster, as if the
heart rate jumped by half at t = 30 s.
"""

import matplotlib.pyplot as plt
import numpy as np

import mpcore

ecg = mpcore.datasets.ecg()
fs = 360  # samples per second
before = ecg.values[: 30 * fs]
later = ecg.values[30 * fs : 75 * fs]
faster = np.interp(np.arange(0, len(later) - 1, 1.5), np.arange(len(later)), later)[: 30 * fs]
T = np.concatenate([before, faster])

# %%
# The matrix profile index, then the corrected arc curve and the change it finds.  ``L`` is the
# length of one "unit" of behaviour, about one beat here.
m = 360
mp = mpcore.stump(T, m)
cac, regime_locs = mpcore.fluss(mp.I_, L=m, n_regimes=2)
print(f"regime change found at {regime_locs[0] / fs:.2f} s (spliced at 30.00 s)")

# %%
# :func:`mpcore.plot.regimes` draws the series with the boundary and the corrected arc curve
# beneath (x in samples: the splice is at sample 10,800).
fig = mpcore.plot.regimes(T, m, mp=mp, n_regimes=2)
plt.show()

# %%
# :class:`mpcore.floss` computes the same curve on a stream, one point at a time, with arcs
# pointing forward in time only.
