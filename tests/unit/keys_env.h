/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the key-table tests (test_xen_keys, test_qemu_keys): a cfg
 * file of the test's own, and the plan for a cfg text on a host the golden
 * facts describe.
 */
#ifndef DMR_KEYS_ENV_H
#define DMR_KEYS_ENV_H

#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"
#include "xl_cfg.h"
#include "xl_cfg_keys.h"

struct env {
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx;
    char path[64];
};

static inline int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    e->ctx = test_ctx(&e->lg);
    strcpy(e->path, "/tmp/dmr-keys-XXXXXX.cfg");
    int fd = mkstemps(e->path, 4);
    assert_true(fd >= 0);
    close(fd);
    *state = e;
    return 0;
}

static inline int teardown(void **state)
{
    struct env *e = *state;
    unlink(e->path);
    test_ctx_free(e->ctx, e->lg);
    free(e);
    return 0;
}

/* The plan for cfg text (and overrides) on the host FACTS.facts describes. */
static inline libdmr_plan *plan_with(struct env *e, const char *text, const char *const *ov, size_t n,
                              const char *facts_name)
{
    FILE *f = fopen(e->path, "we");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char facts_path[4096];
    snprintf(facts_path, sizeof(facts_path), "%s/tests/unit/plans/%s.facts",
             getenv("srcdir") ? getenv("srcdir") : ".", facts_name);
    char *facts_json = test_slurp(facts_path);
    assert_non_null(facts_json);
    libdmr_config *c = NULL;
    libdmr_facts *facts = NULL;
    libdmr_plan *plan = NULL;
    int rc = xl_config_load(e->ctx, e->path, ov, n, &c);
    if (rc)
        print_message("load: %s\n", libdmr_ctx_last_error(e->ctx));
    assert_int_equal(rc, 0);
    assert_int_equal(libdmr_facts_from_json(e->ctx, facts_json, &facts), 0);
    assert_int_equal(libdmr_plan_compute(e->ctx, c, facts, &plan), 0);
    libdmr_facts_free(facts);
    libdmr_config_free(c);
    free(facts_json);
    return plan;
}

static inline libdmr_plan *plan_of(struct env *e, const char *text, const char *facts_name)
{
    return plan_with(e, text, NULL, 0, facts_name);
}

#endif
