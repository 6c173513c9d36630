# SPDX-License-Identifier: GPL-2.0-or-later
"""The one place a benchmark's samples become a verdict.

A measurement is a median with a 95% bootstrap interval: the samples (or,
for a comparison, the interleaved pairs) are resampled with replacement
2000 times with a fixed seed, and the interval is the 2.5th and 97.5th
percentiles of the resampled medians. A goal "at most G" is met when the
interval's upper bound is within G: noise can hide a miss, never make one
look met. Fewer than 30 samples (QUICK=1) give figures and no verdict."""
import random
import statistics

RESAMPLES = 2000
MIN_FOR_VERDICT = 30


def interval(samples, stat=statistics.median):
    """(point, low, high) of stat over samples, bootstrap 95%."""
    rng = random.Random(19)
    n = len(samples)
    boots = sorted(stat([samples[rng.randrange(n)] for _ in range(n)]) for _ in range(RESAMPLES))
    return stat(samples), boots[int(0.025 * RESAMPLES)], boots[int(0.975 * RESAMPLES) - 1]


def ratio_of_pairs(num, den):
    """Per-pair ratios num[i] / den[i] of interleaved pairs, and their interval."""
    return interval([a / b for a, b in zip(num, den)])


def difference_of_pairs(a, b):
    return interval([x - y for x, y in zip(a, b)])


def ratio_of_medians(num, den):
    """Two independent sets (not pairs): each resampled on its own."""
    rng = random.Random(23)
    boots = []
    for _ in range(RESAMPLES):
        n = statistics.median([num[rng.randrange(len(num))] for _ in num])
        d = statistics.median([den[rng.randrange(len(den))] for _ in den])
        boots.append(n / d)
    boots.sort()
    return (statistics.median(num) / statistics.median(den), boots[int(0.025 * RESAMPLES)],
            boots[int(0.975 * RESAMPLES) - 1])


def interval_of(stat, *groups):
    """(point, low, high) of stat(*groups), bootstrap 95%: each group (one
    bench's interleaved pairs, as tuples; or one set of samples) is
    resampled on its own, pairs kept whole."""
    rng = random.Random(29)
    boots = sorted(stat(*[[g[rng.randrange(len(g))] for _ in g] for g in groups])
                   for _ in range(RESAMPLES))
    return stat(*groups), boots[int(0.025 * RESAMPLES)], boots[int(0.975 * RESAMPLES) - 1]


def beyond(iv, goal):
    """Wording for a least-possible figure against a goal 'at most goal'."""
    if iv[1] > goal:
        return "more than the goal of %s by its whole interval: not reachable this way" % goal
    return "not shown to be more than the goal of %s" % goal


def verdict(iv, goal, n):
    """'yes' / 'no' by the upper bound, or why there is none."""
    if n < MIN_FOR_VERDICT:
        return "no verdict (n=%d < %d)" % (n, MIN_FOR_VERDICT)
    return "yes" if iv[2] <= goal else "no"


def fmt(iv, digits=2, unit=""):
    return "%.*f%s [%.*f–%.*f]" % (digits, iv[0], unit, digits, iv[1], digits, iv[2])
