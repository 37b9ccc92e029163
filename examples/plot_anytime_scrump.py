"""
Anytime profiles: a good answer early
=====================================

:class:`mpcore.scrump` computes the matrix profile a slice of diagonals at a time, so a long
computation can be stopped once the answer is good enough.  With ``pre_scrump=True`` it first
runs preSCRIMP, which alone already finds most nearest neighbours.  Every distance it reports is
the exact distance to the neighbour it found, so the approximate profile only comes down
towards the exact one, never below it.

Here: the first minute of the bundled ECG, one update (a tenth of the diagonals) at a time.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

import mpcore

T = mpcore.datasets.ecg().values[: 60 * 360]
m = 180
exact = mpcore.stump(T, m).P_

np.random.seed(0)  # scrump draws its diagonals from NumPy's global random state, as STUMPY
start = time.perf_counter()
approx = mpcore.scrump(T, m, percentage=0.1, pre_scrump=True)
done, error, seconds = [0.0], [np.mean(approx.P_ - exact)], [time.perf_counter() - start]
for step in range(1, 11):
    approx.update()
    done.append(0.1 * step)
    error.append(np.mean(approx.P_ - exact))
    seconds.append(time.perf_counter() - start)
    assert np.all(approx.P_ >= exact - 1e-9)  # never below the exact profile

print(f"after preSCRIMP: mean excess distance {error[0]:.4f}")
print(f"after 10% of the diagonals: {error[1]:.4f}; after all of them: {error[-1]:.1e}")
print(f"{seconds[-1]:.2f} s in all")

# %%
# The mean excess over the exact profile falls fast: preSCRIMP and the first tenth of the
# diagonals find most of the nearest neighbours; at 100 % the profile is the exact one.
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(np.array(done) * 100, error, marker="o")
ax.set_xlabel("diagonals computed (%)")
ax.set_ylabel("mean(approx - exact)")
ax.set_yscale("symlog", linthresh=1e-3)
fig.tight_layout()
plt.show()
