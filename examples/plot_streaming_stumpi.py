"""
Streaming: flag unusual heartbeats as they arrive
=================================================

:class:`mpcore.stumpi` keeps a matrix profile up to date as points arrive.  With
``egress=True`` it slides: the oldest point leaves for every new one, so memory and the cost of
an update (one compiled pass over the window) stay fixed.  The *left* profile of the newest
window, its distance to the most similar window seen before it, is an online anomaly score: a
beat unlike any beat in the last ten seconds scores high the moment it is complete.
"""

import matplotlib.pyplot as plt
import numpy as np

import mpcore

ecg = mpcore.datasets.ecg()
fs, m = 360, 180
history = 10 * fs  # the sliding window: the last ten seconds
stream = mpcore.stumpi(ecg.values[:history], m, egress=True)

arrivals = ecg.values[history : history + 50 * fs]  # the next 50 seconds, point by point
score = np.empty(len(arrivals))
for n, value in enumerate(arrivals):
    stream.update(value)
    score[n] = stream.left_P_[-1]  # the newest window against everything before it

start = history + np.arange(len(arrivals)) - m + 1  # where the newest window starts
alarms = np.flatnonzero(score > 12.0)
events = alarms[np.insert(np.diff(alarms) > fs, 0, True)]  # the first alarm of each event
print(f"{len(arrivals):,} points streamed, one update each")
print("alarms (score > 12) at:", ", ".join(ecg.time_of(start[a]) for a in events))

# %%
# The anomaly score follows every arriving point; its peaks are the beats and artifacts that
# look like nothing in the preceding ten seconds.  The noise burst at 28.7 s and the beat at
# 53.6 s are also among the top discords of the whole recording, found by the batch profile in
# the motifs and discords example.
fig, (ax_T, ax_s) = plt.subplots(2, 1, sharex=True, figsize=(10, 4.5))
ax_T.plot(ecg.time[history : history + len(arrivals)], arrivals, lw=0.4, color="0.3")
ax_T.set_ylabel("ECG (mV)")
ax_s.plot(ecg.time[start], score, lw=0.5, color="tab:red")
ax_s.axhline(12.0, color="0.5", ls="--")
ax_s.set_ylabel("left profile of\nthe newest window")
ax_s.set_xlabel("time (s)")
fig.tight_layout()
plt.show()
