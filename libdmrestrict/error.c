/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error codes: their names, their sentences, and the one errno mapping. */
#include "internal.h"

static const struct {
    int code;
    const char *name;
    const char *text;
} error_table[] = {
#define LIBDMR__ERROR_ROW(name, value, text) { value, #name, text },
    LIBDMR_ERROR_LIST(LIBDMR__ERROR_ROW)
#undef LIBDMR__ERROR_ROW
};

static int error_index(int rc)
{
    for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
        if (error_table[i].code == rc)
            return (int)i;
    return 0;  /* NONSPECIFIC */
}

const char *libdmr_strerror(int rc)
{
    return rc == 0 ? "success" : error_table[error_index(rc)].text;
}

const char *libdmr_error_name(int rc)
{
    return rc == 0 ? "OK" : error_table[error_index(rc)].name;
}

int libdmr_error_from_errno(int negative_errno)
{
    switch (negative_errno) {
    case 0:       return 0;
    case -ENOMEM: return LIBDMR_ERROR_NOMEM;
    case -EINVAL:
    case -ERANGE: return LIBDMR_ERROR_INVAL;
    case -ENOENT:
    case -ESRCH:  return LIBDMR_ERROR_NOTFOUND;
    case -EACCES:
    case -EPERM:  return LIBDMR_ERROR_PERM;
    case -EBUSY:
    case -EDEADLK:   /* the lock, taken again by its holder */
    case -EEXIST: return LIBDMR_ERROR_BUSY;
    case -ETIMEDOUT: return LIBDMR_ERROR_TIMEDOUT;
    default:      return LIBDMR_ERROR_FAIL;
    }
}
