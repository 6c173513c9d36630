/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner alone: how many plans a second, and how much memory a plan
 * takes, over N distinct configs (names, memory, vCPUs, machine,
 * dm_restrict, spare ports) read beforehand; the host's facts gathered
 * once, the domid changed for each plan. Only libdmr_plan_compute is
 * timed: it is pure, so this is its own cost.
 *
 * Usage: bench_plan N OUT.json   (root, in a namespace whose passwd has
 * xen-qemuuser-range-base: see bench/run)
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchutil.h"
#include "internal.h"
#include "xl_cfg.h"

static long status_kb(const char *field)
{
    char buf[4096], key[32];
    FILE *f = fopen("/proc/self/status", "re");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    snprintf(key, sizeof(key), "\n%s:", field);
    const char *p = strstr(buf, key);
    return p ? atol(p + strlen(key)) : -1;
}

static libdmr_config *config_for(libdmr_ctx *ctx, const char *dir, int i)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/g%d.cfg", dir, i);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f, "name = \"g%d\"\ntype = \"hvm\"\nmemory = %d\nvcpus = %d\nmachine = \"%s\"\ndm_restrict = %d\n"
               "pci_hotplug_ports = %d\naccel = \"tcg\"\n",
            i, 64 << (i % 6), 1 + i % 8, i % 2 ? "pc" : "q35", i % 10 != 0, i % 2 ? 0 : i % 5);
    fclose(f);
    libdmr_config *c = NULL;
    if (xl_config_load(ctx, path, NULL, 0, &c))
        c = NULL;
    unlink(path);
    return c;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_plan N OUT.json\n");
        return 2;
    }
    int n = atoi(argv[1]);
    xentoollog_logger_stdiostream *lg = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    libdmr_ctx *ctx;
    char dir[] = "/tmp/dmr-bench-plan.XXXXXX";
    if (n < 1 || libdmr_ctx_alloc(&ctx, LIBDMR_VERSION, 0, (xentoollog_logger *)lg) || !mkdtemp(dir))
        return 1;
    libdmr_config **configs = calloc(n, sizeof(*configs));
    libdmr_plan **plans = calloc(n, sizeof(*plans));
    for (int i = 0; i < n; i++)
        if (!(configs[i] = config_for(ctx, dir, i)))
            return 1;
    rmdir(dir);
    libdmr_facts *f;
    if (libdmr_facts_gather(ctx, configs[0], &f))
        return 1;

    long rss_before = status_kb("VmRSS");
    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
        f->domid = 1 + i % LIBDMR_DOMID_MAX;
        if (libdmr_plan_compute(ctx, configs[i], f, &plans[i]) || libdmr_plan_refusal(plans[i], NULL))
            return fprintf(stderr, "plan %d failed or was refused\n", i), 1;
    }
    double held_ms = now_ms() - t0;
    long rss_held = status_kb("VmRSS");
    for (int i = 0; i < n; i++)
        libdmr_plan_free(plans[i]);
    /* Steady state: each plan freed before the next. */
    t0 = now_ms();
    for (int i = 0; i < n; i++) {
        f->domid = 1 + i % LIBDMR_DOMID_MAX;
        libdmr_plan *p;
        libdmr_plan_compute(ctx, configs[i], f, &p);
        libdmr_plan_free(p);
    }
    double steady_ms = now_ms() - t0;
    double per_s = n / (steady_ms / 1e3), per_s_held = n / (held_ms / 1e3);
    double bytes = (rss_held - rss_before) * 1024.0 / n;
    printf("planner: %d configs, %.0f plans/s (%.2f us each; %.0f plans/s keeping them all), "
           "%.0f bytes of RSS per kept plan, peak RSS %ld KiB (goal >= 100000 plans/s)\n",
           n, per_s, steady_ms * 1e3 / n, per_s_held, bytes, status_kb("VmHWM"));
    FILE *out = fopen(argv[2], "w");
    if (out) {
        fprintf(out, "{\"configs\": %d, \"plans_per_s\": %.0f, \"plans_per_s_kept\": %.0f, "
                     "\"us_per_plan\": %.3f, \"rss_bytes_per_plan\": %.0f, \"peak_rss_kib\": %ld, "
                     "\"goal_plans_per_s\": 100000}\n",
                n, per_s, per_s_held, steady_ms * 1e3 / n, bytes, status_kb("VmHWM"));
        fclose(out);
    }
    for (int i = 0; i < n; i++)
        libdmr_config_free(configs[i]);
    free(configs);
    free(plans);
    libdmr_facts_free(f);
    libdmr_ctx_free(ctx);
    xtl_logger_destroy((xentoollog_logger *)lg);
    return 0;
}
