/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: an xl.cfg, through libxlutil and the planner, to the plan's
 * JSON and text. The host's facts are fixed (a golden facts file with
 * VFIO devices), so what varies is only what a user may write. Each input
 * also holds the key scanner against libxlutil (scan_check.h): a
 * disagreement aborts, so the fuzzer reports it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "xl_cfg.h"
#include "../unit/scan_check.h"

/* libxlutil asserts on a NUL inside a string (xl_cfg.c refuses any NUL
 * before it gets there), so only NUL-free inputs are compared. */
static void scan_agrees(const uint8_t *data, size_t size)
{
    char why[256];
    if (!memchr(data, '\0', size) && scan_check((const char *)data, size, why, sizeof(why)) < 0) {
        fprintf(stderr, "key scanner and libxlutil disagree: %s\n", why);
        abort();
    }
}

static libdmr_facts *facts_fixed(libdmr_ctx *ctx)
{
    const char *path = getenv("FUZZ_FACTS");
    libdmr_facts *f = NULL;
    if (libdmr_facts_load(ctx, path ? path : "tests/unit/plans/vfio-topology.facts", &f))
        abort();
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    libdmr_ctx *ctx = fuzz_ctx();
    static libdmr_facts *facts;
    static char cfg[64];
    if (!facts) {
        facts = facts_fixed(ctx);
        snprintf(cfg, sizeof(cfg), "/tmp/dmr-fuzz-plan-%d.cfg", (int)getpid());
    }
    FILE *f = fopen(cfg, "w");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    scan_agrees(data, size);
    libdmr_config *c = NULL;
    if (xl_config_load(ctx, cfg, NULL, 0, &c) == 0) {
        libdmr_plan *p = NULL;
        if (libdmr_plan_compute(ctx, c, facts, &p) == 0) {
            char *json = NULL, *text = NULL;
            libdmr_plan_to_json(ctx, p, &json);
            libdmr_plan_to_text(ctx, p, &text);
            free(json);
            free(text);
            libdmr_plan_free(p);
        }
        libdmr_config_free(c);
    }
    unlink(cfg);
    return 0;
}
