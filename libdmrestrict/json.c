/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The yajl generator every JSON writer of the library starts from (json.h):
 * the plan's, the facts', the state's, the audit's, and the QMP commands of
 * cdrom, fdset and PCI hot-plug. */
#include <string.h>

#include "json.h"

yajl_gen json_begin(void)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g)
        yajl_gen_config(g, yajl_gen_beautify, 0);
    return g;
}

int json_finish(yajl_gen g, char **ret)
{
    const unsigned char *buf;
    size_t len;
    int rc = yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok ? 0 : LIBDMR_ERROR_FAIL;
    if (!rc) {
        *ret = strndup((const char *)buf, len);
        rc = *ret ? 0 : LIBDMR_ERROR_NOMEM;
    }
    yajl_gen_free(g);
    return rc;
}
