"""Brute-force references for the analysis layer, written plainly in NumPy from the definitions
(STUMPY 1.14's documented semantics): every distance from ``naive.distance_matrix`` (long double,
window by window), every search a literal loop of argmin/argmax and exclusion zones.
"""
from __future__ import annotations

import math

import numpy as np

import naive


def excl(m):
    return math.ceil(m / 4)


def blank(a, i, zone, value=np.inf):
    a[max(0, i - zone) : i + zone + 1] = value


def distance_profile(Q, T, normalize=True, p=2.0, const_T=None, const_Q=None):
    """Distances from the query ``Q`` to every window of ``T`` (float64 of long double)."""
    Q = np.asarray(Q, dtype=np.float64)
    D = naive.distance_matrix(Q, Q.shape[0], T, normalize, p, const_Q, const_T)
    return D[0].astype(np.float64)


def default_threshold(D):
    D = np.where(np.isinf(D), np.nan, D)
    with np.errstate(all="ignore"):
        return max(np.nanmean(D) - 2.0 * np.nanstd(D), np.nanmin(D))


def find_matches(D, zone, max_distance=None, max_matches=None, query_idx=None, atol=1e-8):
    """The definition: take the closest window (lowest index on ties; the query's own window
    first when known) while within ``max_distance + atol``, blank around it, repeat."""
    D = np.array(D, dtype=np.float64)
    if max_distance is None:
        max_distance = default_threshold(D)
    elif callable(max_distance):
        max_distance = max_distance(D.copy())
    limit = np.inf if max_matches is None else max_matches
    out = []
    c = query_idx if query_idx is not None else int(np.argmin(D))
    while len(out) < limit:
        if not np.isfinite(D[c]) or D[c] > max_distance + atol:
            break
        out.append((float(D[c]), int(c)))
        blank(D, c, zone)
        c = int(np.argmin(D))
    return out


def match(Q, T, max_distance=None, max_matches=None, query_idx=None, normalize=True, p=2.0,
          atol=1e-8):
    D = distance_profile(Q, T, normalize, p)
    if query_idx is not None:
        D[query_idx] = 0.0
    return find_matches(D, excl(len(Q)), max_distance, max_matches, query_idx, atol)


def motifs(T, P, m, min_neighbors=1, max_distance=None, cutoff=None, max_matches=10,
           max_motifs=1, normalize=True, p=2.0, atol=1e-8):
    """STUMPY's motif loop, literally: lists of (distances, indices) per motif."""
    T = np.asarray(T, dtype=np.float64)
    P = np.array(P, dtype=np.float64)
    if max_matches is None:
        max_matches = len(P)
    if cutoff is None:
        cutoff = default_threshold(P)
    found = []
    Tz = np.where(np.isfinite(T), T, 0.0)
    for _ in range(len(P)):
        if len(found) >= max_motifs:
            break
        c = int(np.argmin(P))
        if not np.isfinite(P[c]) or P[c] > cutoff:
            break
        if isinstance(max_distance, float) and P[c] > max_distance:
            break
        D = distance_profile(Tz[c : c + m], T, normalize, p)
        D[c] = 0.0
        ask = max_matches if normalize else None  # STUMPY's aamp_motifs asks for all
        hits = find_matches(D, excl(m), max_distance, ask, c, atol)
        if len(hits) > min_neighbors:
            found.append(hits[:max_matches])
        for _, i in hits or [(np.nan, c)]:
            blank(P, i, excl(m))
    return found


def discords(P, k, zone):
    """The top-k finite profile values, each blanking ``zone`` on both sides."""
    P = np.array(P, dtype=np.float64)
    P[~np.isfinite(P)] = -np.inf
    out = []
    while len(out) < k:
        i = int(np.argmax(P))  # ties: lowest index
        if P[i] == -np.inf:
            break
        out.append((float(P[i]), i))
        blank(P, i, zone, -np.inf)
    return out


def nnmark(I):
    out = np.zeros(len(I), dtype=np.int64)
    for i, j in enumerate(I):
        j = i if j < 0 else j
        out[min(i, j)] += 1
        out[max(i, j)] -= 1
    return np.cumsum(out)


def atsc(IL, IR, j):
    chain = [j]
    for _ in range(len(IL)):
        r = IR[j]
        if r == -1 or IL[r] != j:
            break
        j = r
        chain.append(j)
    return np.array(chain, dtype=np.int64)


def allc(IL, IR):
    """All chains (as a set of tuples) and the longest (first longest start)."""
    n = len(IL)
    L = np.ones(n, dtype=np.int64)
    chains = set()
    for i in range(n):
        if L[i] != 1:
            continue
        chain = atsc(IL, IR, i)
        for j in chain[1:]:
            L[j] = -1
            L[i] += 1
        chains.add(tuple(chain))
    return chains, atsc(IL, IR, int(np.argmax(L)))


def cac(I, L, excl_factor, iac):
    CAC = np.minimum(nnmark(I) / np.where(iac == 0, 1e-10, iac), 1.0)
    if excl_factor > 0:
        CAC[: L * excl_factor] = 1.0
        CAC[-L * excl_factor :] = 1.0
    return CAC


def rea(cac, n_regimes, L, excl_factor):
    cac = list(cac)
    locs = []
    for _ in range(n_regimes - 1):
        i = cac.index(min(cac))
        locs.append(i)
        for j in range(max(i - L * excl_factor, 0), min(i + L * excl_factor, len(cac))):
            cac[j] = 1.0
    return np.array(locs, dtype=np.int64)


def right_profile(T, m, normalize=True, p=2.0):
    """Each window's nearest neighbour to its right (outside the exclusion zone): (P, I)."""
    D = naive.distance_matrix(T, m, None, normalize, p).astype(np.float64)
    l = D.shape[0]
    P = np.full(l, np.inf)
    I = np.full(l, -1, dtype=np.int64)
    for i in range(l):
        row = D[i].copy()
        row[: i + excl(m) + 1] = np.inf
        j = int(np.argmin(row))
        if np.isfinite(row[j]):
            P[i], I[i] = row[j], j
    return P, I
