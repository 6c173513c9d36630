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
