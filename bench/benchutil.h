/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clock and medians for the benchmarks. */
#ifndef DMR_BENCHUTIL_H
#define DMR_BENCHUTIL_H

#include <stdlib.h>
#include <time.h>

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v. */
static inline double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median, min and max of v (sorted in place). */
struct stats {
    double median, min, max;
};

static inline struct stats stats_of(double *v, int n)
{
    double m = median(v, n);
    return (struct stats){ .median = m, .min = v[0], .max = v[n - 1] };
}

#endif
