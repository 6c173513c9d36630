/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which domids are taken, and whether this host is a Xen dom0. Taken are
 * those with a state file and, on a dom0, those xenstore lists and those
 * libxl freed less than a minute ago (it refuses them).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <xenstore.h>

#include "launch.h"

bool host_is_xen_dom0(void)
{
    char buf[256] = "";
    int fd = open("/proc/xen/capabilities", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    safe_close(fd);
    return n > 0 && strstr(buf, "control_d");
}

static int domids_add(libdmr_facts *f, uint32_t domid)
{
    if (facts_domid_in_use(f, domid))
        return 0;
    uint32_t *grown = realloc(f->domids_in_use, (f->n_domids_in_use + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    size_t i = f->n_domids_in_use;
    while (i > 0 && grown[i - 1] > domid) {
        grown[i] = grown[i - 1];
        i--;
    }
    grown[i] = domid;
    f->domids_in_use = grown;
    f->n_domids_in_use++;
    return 0;
}

static int domid_of_state_file(uint32_t domid, int dirfd, const char *name, void *facts)
{
    (void)dirfd, (void)name;
    return domids_add(facts, domid);
}

/* <domid>.json files in the state directory (written by create). */
static int domids_from_state_dir(libdmr_facts *f)
{
    return state_dir_scan(domid_of_state_file, f);
}

/* The domains Xen has: xenstore's /local/domain (the library links no libxl). */
static int domids_from_xenstore(libdmr_ctx *ctx, libdmr_facts *f)
{
    struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
    if (!xs) {
        LOGE(ERROR, "this is a Xen dom0 but xenstore cannot be opened");
        return -EIO;
    }
    unsigned n = 0;
    char **names = xs_directory(xs, XBT_NULL, "/local/domain", &n);
    int r = names ? 0 : -EIO;
    if (r)
        LOG(ERROR, "xenstore cannot list the domains");
    for (unsigned i = 0; !r && i < n; i++) {
        unsigned long domid;
        if (!parse_ulong_strict(names[i], 0, UINT32_MAX, &domid))
            r = domids_add(f, (uint32_t)domid);
    }
    free(names);
    xs_close(xs);
    return r;
}

/*
 * libxl refuses a domid it freed at most LIBXL_DOMID_REUSE_TIMEOUT seconds
 * ago (default 60; the variable is read from the environment, as libxl
 * does: it runs in this process) when it is asked for by number
 * (libxl__is_domid_recent). Its history file holds "SEC DOMID" lines, SEC
 * on CLOCK_MONOTONIC. "At most" matters: an entry exactly 60 s old is still
 * recent to libxl (a domid planned in that second was refused).
 */
#define LIBXL_DOMID_HISTORY LIBDMR_XEN_RUN_DIR "/domid-history"

/* As libxl__get_domid_reuse_timeout: an unsigned int (so "-1" is 2^32-1). */
long facts_libxl_domid_reuse_timeout(void)
{
    const char *env = getenv("LIBXL_DOMID_REUSE_TIMEOUT");
    return env ? (long)(unsigned int)strtol(env, NULL, 0) : 60;
}

int facts_domids_from_history(libdmr_facts *f, FILE *history, long now, long timeout)
{
    unsigned long sec;
    unsigned domid;
    int r = 0;
    while (!r && fscanf(history, "%lu %u", &sec, &domid) == 2)
        /* Unsigned, as libxl compares: an entry from the future is not recent. */
        if ((unsigned long)now - sec <= (unsigned long)timeout &&
            domid >= LIBDMR_DOMID_MIN && domid <= LIBDMR_DOMID_MAX)
            r = domids_add(f, domid);
    return r;
}

static int domids_from_libxl_history(libdmr_facts *f)
{
    FILE *h = fopen(LIBXL_DOMID_HISTORY, "re");
    if (!h)
        return errno == ENOENT ? 0 : -errno;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int r = facts_domids_from_history(f, h, now.tv_sec, facts_libxl_domid_reuse_timeout());
    fclose(h);
    return r;
}

int facts_domains_gather(libdmr_ctx *ctx, const libdmr_config *config,
                         libdmr_facts *facts)
{
    facts->xen_dom0 = host_is_xen_dom0();
    int r = domids_from_state_dir(facts);
    if (r)
        LOGEV(ERROR, -r, "reading %s", LIBDMR_STATE_DIR);
    if (!r && facts->xen_dom0)
        r = domids_from_xenstore(ctx, facts);
    if (!r && facts->xen_dom0 && (r = domids_from_libxl_history(facts)))
        LOGEV(ERROR, -r, "reading %s", LIBXL_DOMID_HISTORY);
    if (r)
        return libdmr_error_from_errno(r);

    /* The domid the plan is for; the planner refuses one that is taken. A
     * toolstack that chooses its own domids is never given one. */
    facts->domid = config->requested_domid;
    if (config->toolstack_domid)
        return 0;
    for (uint32_t d = LIBDMR_DOMID_MIN; !facts->domid && d <= LIBDMR_DOMID_MAX; d++)
        if (!facts_domid_in_use(facts, d))
            facts->domid = d;
    if (!facts->domid) {
        LOG(ERROR, "no free domid");
        return LIBDMR_ERROR_BUSY;
    }
    return 0;
}
