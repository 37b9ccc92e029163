"""
Motifs and discords in a real ECG
=================================

Five minutes of an electrocardiogram (MIT-BIH Arrhythmia Database, record 208, bundled as
:func:`mpcore.datasets.ecg`) hold hundreds of heartbeats: normal beats, premature ventricular
contractions (PVCs, beats of another shape) and a few noise artifacts.  The matrix profile says,
for every half-second window, how far it is from its most similar window elsewhere in the
recording: its lowest values are *motifs* (beats repeated almost exactly), its highest values
*discords* (windows like nothing else).
"""

import matplotlib.pyplot as plt
import numpy as np

import mpcore

ecg = mpcore.datasets.ecg()
m = 180  # 0.5 s at 360 Hz: one QRS complex with its P and T waves
mp = mpcore.stump(ecg, m)  # all windows against all others, on every core
print(f"{len(ecg):,} samples, {len(mp):,} windows of {m}")

# %%
# The top motif
# -------------
# :func:`mpcore.motifs` takes the window with the lowest profile value and collects the windows
# within ``max_distance`` of it, closest first: the motif and its matches (``max_motifs`` asks
# for more motifs, each away from the ones before).
motif_distances, motif_indices = mpcore.motifs(ecg, mp.P_, max_motifs=1, max_matches=5)
d, i = motif_distances[0], motif_indices[0]
print("top motif:", ", ".join(ecg.time_of(j) for j in i[i >= 0]))
print("distances:", np.round(d[i >= 0], 3))

# %%
# The top discords
# ----------------
# :func:`mpcore.discords` takes the windows farthest from their nearest neighbour, one per
# event: after each one, the windows within ``excl_zone`` of it are skipped (one second here,
# so that one artifact does not give three discords).
discord_distances, discord_indices = mpcore.discords(ecg, m, k=3, mp=mp, excl_zone=360)
for d, i in zip(discord_distances, discord_indices):
    print(f"discord at {ecg.time_of(i)}: {d:.2f} from its nearest neighbour")

# %%
# Where they are
# --------------
# :func:`mpcore.plot.profile` draws the recording with its matrix profile beneath, the top
# motif pair and the top discord shaded.
fig = mpcore.plot.profile(ecg, mp, motifs=1, discords=1)

# %%
# Side by side, each window z-normalized (as the distance sees them):
# :func:`mpcore.plot.motifs` overlays the motif's occurrences, the same normal beat each time ...
fig = mpcore.plot.motifs(ecg, m, mp, max_motifs=1, max_matches=5)

# %%
# ... and :func:`mpcore.plot.discords` each discord beside its nearest neighbour: a burst of
# noise and two beats unlike any other.
fig = mpcore.plot.discords(ecg, m, mp, k=3, excl_zone=360)
plt.show()
