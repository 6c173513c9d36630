/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef XL_DMR_OPTS_H
#define XL_DMR_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* One option of a subcommand, declared once: getopt_long's tables, the
 * usage text and the completion all come from it. */
struct cmd_opt {
    int val;               /* the short option, or OPT_LONG_ONLY + n */
    const char *name;      /* the long option */
    const char *arg;       /* NULL: takes none; else its name in the usage */
    const char *help;
};
#define OPT_LONG_ONLY 256

struct xl_dmr;
struct command {
    const char *name;
    int (*main)(struct xl_dmr *x, int argc, char **argv);
    const char *operands;        /* as the synopsis shows them */
    int min_operands, max_operands; /* max -1: any number */
    const struct cmd_opt *opts;  /* ends with { 0 }; -h/--help is added */
    bool root;                   /* needs root (create, host: decided by each) */
    const char *summary;
};

#define OPTS_MAX 16

/* A getopt_long pass over one subcommand's argv (argv[0] its name). */
struct opts {
    const struct command *cmd;
    int argc;
    char **argv;
    char shortopts[2 * OPTS_MAX + 4];
    struct option longopts[OPTS_MAX + 2];
    const char *arg;     /* the current option's argument */
    int first;           /* after the last option: the first operand */
    int status;          /* when opts_next returns -1: the exit status */
};

void opts_begin(struct opts *o, const struct command *cmd, int argc, char **argv);
/* The next option's val (its argument in o->arg); 0 when the options are
 * done and the operands counted (argv[o->first..argc)); -1 when the
 * command must end with o->status: after --help (0) or a usage error (2). */
int opts_next(struct opts *o);
/* For a command whose only option is -h: the first operand's index, or
 * -1 with *ret_status (--help, usage error). */
int opts_operands(const struct command *cmd, int argc, char **argv, int *ret_status);
void opts_usage(const struct command *cmd, FILE *out);

#endif
