/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Questions the planner asks of gathered facts. Pure: it links without
 * the gatherers. */
#include <string.h>

#include "internal.h"

const struct libdmr_image *facts_image_find(const libdmr_facts *facts,
                                            const char *path)
{
    for (size_t i = 0; i < facts->n_images; i++)
        if (!strcmp(facts->images[i].path, path))
            return &facts->images[i];
    return NULL;
}

bool facts_domid_in_use(const libdmr_facts *facts, uint32_t domid)
{
    for (size_t i = 0; i < facts->n_domids_in_use; i++)
        if (facts->domids_in_use[i] == domid)
            return true;
    return false;
}

bool image_name_is_protocol(const char *name)
{
    return name[strcspn(name, ":/")] == ':';
}

/* Drops "." components and empty ones (doubled slashes) in place; ".."
 * stays, since it means something else past a symlink. */
static void path_drop_dots(char *path)
{
    char *out = path, *in = path;
    bool absolute = *in == '/';
    if (absolute)
        *out++ = *in++;
    while (*in) {
        size_t n = strcspn(in, "/");
        bool skip = n == 0 || (n == 1 && in[0] == '.');
        if (!skip) {
            if (out > path && out[-1] != '/')
                *out++ = '/';
            memmove(out, in, n);
            out += n;
        }
        in += n + (in[n] == '/');
    }
    if (out == path)
        *out++ = '.';
    *out = '\0';
}

char *image_backing_path(const char *overlay, const char *name)
{
    const char *slash = strrchr(overlay, '/');
    size_t dir = name[0] == '/' || !slash ? 0 : (size_t)(slash - overlay) + 1;
    char *path = malloc(dir + strlen(name) + 1);
    if (!path)
        return NULL;
    memcpy(path, overlay, dir);
    strcpy(path + dir, name);
    path_drop_dots(path);
    return path;
}
