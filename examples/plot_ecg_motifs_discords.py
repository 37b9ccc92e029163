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
# The recording with its matrix profile beneath; the first motif's windows are green, the
# discords red.
t = ecg.time
fig, (ax_T, ax_P) = plt.subplots(2, 1, sharex=True, figsize=(10, 5), height_ratios=[2, 1])
ax_T.plot(t, ecg.values, lw=0.3, color="0.3")
for i in motif_indices[0][motif_indices[0] >= 0]:
    ax_T.plot(t[i : i + m], ecg.values[i : i + m], color="tab:green", lw=1)
for i in discord_indices:
    ax_T.plot(t[i : i + m], ecg.values[i : i + m], color="tab:red", lw=1)
ax_T.set_ylabel("ECG (mV)")
ax_P.plot(t[: len(mp)], mp.P_, lw=0.3, color="tab:blue")
ax_P.set_ylabel("matrix profile")
ax_P.set_xlabel("time (s)")
fig.tight_layout()

# %%
# Side by side, each window z-normalized (as the distance sees them): the motif's windows are
# the same normal beat, the discords an artifact and beats unlike any other.
fig, (ax_m, ax_d) = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)


def znorm(w):
    return (w - w.mean()) / w.std()


for i in motif_indices[0][motif_indices[0] >= 0]:
    ax_m.plot(znorm(ecg.values[i : i + m]), lw=1, label=ecg.time_of(i))
ax_m.set_title("top motif and its matches")
ax_m.legend(fontsize="small")
for i in discord_indices:
    ax_d.plot(znorm(ecg.values[i : i + m]), lw=1, label=ecg.time_of(i))
ax_d.set_title("top discords")
ax_d.legend(fontsize="small")
fig.tight_layout()
plt.show()
