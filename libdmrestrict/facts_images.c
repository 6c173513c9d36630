/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disk images, kernel and ramdisk a config names: whether they exist, whether they are
 * files (RLIMIT_FSIZE applies) and how big. Looked at only; launch opens
 * them and checks again what it opened.
 */
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

static int image_add(libdmr_facts *facts, const char *path)
{
    if (!path || facts_image_find(facts, path))
        return 0;
    struct libdmr_image *img = &facts->images[facts->n_images];
    if (!(img->path = strdup(path)))
        return LIBDMR_ERROR_NOMEM;
    facts->n_images++;
    struct stat st;
    if (stat(path, &st) < 0)
        return 0;
    img->present = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
    img->regular = S_ISREG(st.st_mode);
    img->size = img->regular ? (uint64_t)st.st_size : 0;
    return 0;
}

int facts_images_gather(libdmr_ctx *ctx, const libdmr_config *config,
                        libdmr_facts *facts)
{
    (void)ctx;
    facts->images = calloc(config->n_disks + 2, sizeof(*facts->images));
    if (!facts->images)
        return LIBDMR_ERROR_NOMEM;
    int rc = image_add(facts, config->kernel);
    if (!rc)
        rc = image_add(facts, config->ramdisk);
    for (size_t i = 0; !rc && i < config->n_disks; i++)
        rc = image_add(facts, config->disks[i].target);
    return rc;
}
