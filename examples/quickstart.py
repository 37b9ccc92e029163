"""Find the motif (two most similar heartbeats) and the discord (the most unusual beat) in five
minutes of a real electrocardiogram, MIT-BIH Arrhythmia Database record 208, bundled with mpcore.

Run: ``python examples/quickstart.py [figure.png]``. With matplotlib installed it also draws the
series with its matrix profile beneath, the motif and the discord highlighted, into
``quickstart.png`` (or the path given).
"""
import sys
import time

import numpy as np

import mpcore

ecg = mpcore.datasets.ecg()  # 108,000 samples at 360 Hz, in mV
m = 180  # half a second: one QRS complex with its P and T waves

start = time.perf_counter()
mp = mpcore.stump(ecg.values, m)  # all windows against all others, all cores
elapsed = time.perf_counter() - start

motif = int(np.argmin(mp.P_))  # the window whose nearest neighbour is nearest of all
neighbour = int(mp.I_[motif])
discord = int(np.argmax(np.where(np.isfinite(mp.P_), mp.P_, -np.inf)))  # farthest from all
cells = (len(mp) ** 2) / 2

print(f"mpcore {mpcore.__version__}: {ecg.description}")
print(f"matrix profile of {len(ecg):,} samples, m = {m} ({m / 360:.2f} s): {elapsed:.2f} s, "
      f"{cells / elapsed:.2e} cells/s")
print(f"top motif:   the beats at {ecg.time_of(motif)} and {ecg.time_of(neighbour)} "
      f"(z-normalized distance {mp.P_[motif]:.3f})")
print(f"top discord: the beat at {ecg.time_of(discord)} "
      f"(distance {mp.P_[discord]:.3f} to its nearest match)")

try:
    import matplotlib
except ImportError:
    print("matplotlib is not installed: `pip install mpcore[plot]` to draw the figure")
else:
    matplotlib.use("Agg")
    path = sys.argv[1] if len(sys.argv) > 1 else "quickstart.png"
    fig = mpcore.plot.profile(ecg, mp, title="ECG, MIT-BIH record 208: top motif and discord")
    fig.savefig(path, dpi=100)
    print(f"figure: {path}")
