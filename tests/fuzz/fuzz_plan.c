/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: an xl.cfg, through libxlutil and the planner, to the plan's
 * JSON and text. The host's facts are fixed (a golden facts file with
 * VFIO devices), so what varies is only what a user may write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "xl_cfg.h"

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
