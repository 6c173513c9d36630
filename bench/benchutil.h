/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clock, samples as JSON and a cpuacct cgroup per arm, for the benchmarks.
 * The statistics (medians, bootstrap intervals, verdicts) are bench/stats.py's:
 * the C benchmarks only write raw samples. */
#ifndef DMR_BENCHUTIL_H
#define DMR_BENCHUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One series of samples: what an arm measured, run after run. */
struct series {
    const char *name;
    double *v;
    int n;
};

static inline void series_add(struct series *s, double x)
{
    s->v[s->n++] = x;
}

/* {"NAME": [samples...], ...} plus the integers given, to path. */
static inline int series_write(const char *path, const struct series *s, size_t n,
                               const char *int_name, long long int_value)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return -1;
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    if (int_name) {
        yajl_gen_string(g, (const unsigned char *)int_name, strlen(int_name));
        yajl_gen_integer(g, int_value);
    }
    for (size_t i = 0; i < n; i++) {
        yajl_gen_string(g, (const unsigned char *)s[i].name, strlen(s[i].name));
        yajl_gen_array_open(g);
        for (int k = 0; k < s[i].n; k++)
            yajl_gen_double(g, s[i].v[k]);
        yajl_gen_array_close(g);
    }
    yajl_gen_map_close(g);
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(g, &buf, &len);
    FILE *f = fopen(path, "w");
    int r = f && fwrite(buf, 1, len, f) == len ? 0 : -1;
    if (f && fclose(f))
        r = -1;
    yajl_gen_free(g);
    return r;
}

/*
 * A cpuacct cgroup (v1, as on these machines) for one arm: every process a
 * start runs is born in it (the bench moves itself in first) and stays there,
 * so its usage counts all of them (QEMU, a logger, a watcher, a
 * grandchild) and nothing else.
 */
#define CPUACCT_ROOT "/sys/fs/cgroup/cpuacct"

static inline int cgroup_make(const char *name, char *dir, size_t size)
{
    snprintf(dir, size, CPUACCT_ROOT "/%s", name);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* This process's cpuacct cgroup directory, from /proc/self/cgroup. */
static inline int cgroup_of_self(char *dir, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[512];
    int r = -1;
    while (f && r && fgets(line, sizeof(line), f)) {
        char *ctrl = strchr(line, ':'), *path = ctrl ? strchr(ctrl + 1, ':') : NULL;
        if (!path)
            continue;
        *path++ = '\0';
        path[strcspn(path, "\n")] = '\0';
        if (strstr(ctrl + 1, "cpuacct")) {
            snprintf(dir, size, CPUACCT_ROOT "%s", strcmp(path, "/") ? path : "");
            r = 0;
        }
    }
    if (f)
        fclose(f);
    return r;
}

/* Move this process (all its threads) into the cgroup; its children are born there. */
static inline int cgroup_join(const char *dir)
{
    char path[512], pid[32];
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    int r = fd >= 0 && write(fd, pid, n) == n ? 0 : -1;
    if (fd >= 0)
        close(fd);
    return r;
}

/* CPU used by the cgroup's processes, dead or alive, since it was made (ms). */
static inline double cgroup_cpu_ms(const char *dir)
{
    char path[512], buf[64];
    snprintf(path, sizeof(path), "%s/cpuacct.usage", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return strtoull(buf, NULL, 10) / 1e6;
}

#endif
