/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef XL_DMR_H
#define XL_DMR_H

#include <libdmrestrict.h>

#include "opts.h"

/* Exit statuses, the same for every subcommand (xl-dmr(1), EXIT STATUS). */
enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,      /* an error, bad input or a policy refusal */
    EXIT_USAGE = 2,
    EXIT_CHECK_FAILED = 3, /* the check ran and found a failure */
};

struct xl_dmr {
    libdmr_ctx *ctx;
    const char *progname;
    const struct command *cmd;  /* the subcommand running */
};

int main_create(struct xl_dmr *x, int argc, char **argv);
int main_destroy(struct xl_dmr *x, int argc, char **argv);
int main_pause(struct xl_dmr *x, int argc, char **argv);
int main_unpause(struct xl_dmr *x, int argc, char **argv);
int main_shutdown(struct xl_dmr *x, int argc, char **argv);
int main_reboot(struct xl_dmr *x, int argc, char **argv);
int main_list(struct xl_dmr *x, int argc, char **argv);
int main_console(struct xl_dmr *x, int argc, char **argv);
int main_cd_insert(struct xl_dmr *x, int argc, char **argv);
int main_cd_eject(struct xl_dmr *x, int argc, char **argv);
int main_pci_assignable_add(struct xl_dmr *x, int argc, char **argv);
int main_pci_assignable_remove(struct xl_dmr *x, int argc, char **argv);
int main_pci_assignable_list(struct xl_dmr *x, int argc, char **argv);
int main_pci_attach(struct xl_dmr *x, int argc, char **argv);
int main_pci_detach(struct xl_dmr *x, int argc, char **argv);
int main_pci_list(struct xl_dmr *x, int argc, char **argv);

int main_info(struct xl_dmr *x, int argc, char **argv);
int main_dm_audit(struct xl_dmr *x, int argc, char **argv);
int main_host(struct xl_dmr *x, int argc, char **argv);

/* Each subcommand's options, next to the code that reads them. */
extern const struct cmd_opt opts_create[], opts_list[], opts_console[], opts_wait[],
    opts_dm_audit[], opts_host[];

/* True (and the one line said) when the caller is not root: commands
 * that change or reach into domains, before they touch /run/xl-dmr. */
bool root_missing(const char *cmd);

/* {"error":{"code":"INVAL","message":"..."}} on stdout, for --json callers. */
void print_json_error(int rc, const char *message);
/* Print "xl-dmr: error: ..." (usage problems: see usage_error). */
void usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
