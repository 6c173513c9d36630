/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers with no policy in them. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sys/wait.h>
#include <time.h>

#include "internal.h"

static int strv_take(struct strv *sv, char *s)
{
    char **v = realloc(sv->v, (sv->n + 2) * sizeof(*v));
    if (!v) {
        free(s);
        return -ENOMEM;
    }
    v[sv->n++] = s;
    v[sv->n] = NULL;
    sv->v = v;
    return 0;
}

int strv_push(struct strv *sv, const char *s)
{
    char *copy = strdup(s);
    return copy ? strv_take(sv, copy) : -ENOMEM;
}

int strv_pushf(struct strv *sv, const char *fmt, ...)
{
    char *s;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    return r < 0 ? -ENOMEM : strv_take(sv, s);
}

void strv_clear(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

char *strdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int parse_ulong_strict(const char *s, unsigned long min, unsigned long max,
                       unsigned long *ret)
{
    /* strtoul accepts leading blanks and a minus sign; we do not. */
    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end)
        return -EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return -ERANGE;
    *ret = v;
    return 0;
}

int strv_push_all(struct strv *sv, const struct strv *from)
{
    for (size_t i = 0; i < from->n; i++)
        if (strv_push(sv, from->v[i]))
            return -ENOMEM;
    return 0;
}

int wait_child(pid_t pid, int *ret_status)
{
    int status = 0;
    pid_t r;
    while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    /* ECHILD: the caller reaps children it did not fork, or ignores
     * SIGCHLD (libdmrestrict.h says not to): the status is unknown. */
    if (r < 0)
        return -errno;
    *ret_status = status;
    return 0;
}

long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
