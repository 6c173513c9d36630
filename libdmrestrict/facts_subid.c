/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Subordinate id ranges (/etc/subuid, /etc/subgid; shadow-utils' format
 * "owner:start:count"). A device model's uid inside one of them could be
 * taken by that owner's rootless containers: see docs/security.md.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int subid_parse_line(char *line, struct libdmr_subid_range *out)
{
    char *save = NULL;
    char *owner = strtok_r(line, ":", &save);
    char *start = strtok_r(NULL, ":", &save);
    char *count = strtok_r(NULL, ":\n", &save);
    unsigned long s, c;
    if (!owner || !start || !count || strtok_r(NULL, "\n", &save) ||
        parse_ulong_strict(start, 0, UINT32_MAX, &s) ||
        parse_ulong_strict(count, 1, UINT32_MAX, &c))
        return -EINVAL;
    out->owner = strdup(owner);
    out->start = s;
    out->count = c;
    return out->owner ? 0 : -ENOMEM;
}

static int subid_read(libdmr_ctx *ctx, const char *path,
                      struct libdmr_subid_ranges *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT ? 0 : (LOGE(ERROR, "opening %s", path), -errno);
    FILE *f = fdopen(fd, "r");
    if (!f) {
        safe_close(fd);
        return -ENOMEM;
    }
    char *line = NULL;
    size_t cap = 0;
    int r = 0;
    for (unsigned lineno = 1; getline(&line, &cap, f) > 0; lineno++) {
        if (line[0] == '\n' || line[0] == '#')
            continue;
        struct libdmr_subid_range *grown =
            realloc(out->r, (out->n + 1) * sizeof(*grown));
        if (!grown) {
            r = -ENOMEM;
            break;
        }
        out->r = grown;
        r = subid_parse_line(line, &out->r[out->n]);
        if (r == -EINVAL) {
            /* shadow-utils skips such lines too; say so, go on. */
            LOG(WARN, "%s:%u: not owner:start:count, ignored", path, lineno);
            r = 0;
            continue;
        }
        if (r)
            break;
        out->n++;
    }
    free(line);
    fclose(f);
    return r;
}

int facts_subid_gather(libdmr_ctx *ctx, libdmr_facts *facts)
{
    int r = subid_read(ctx, "/etc/subuid", &facts->subuid);
    if (!r)
        r = subid_read(ctx, "/etc/subgid", &facts->subgid);
    return libdmr_error_from_errno(r);
}
