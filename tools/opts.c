/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Subcommand options as xl takes them (xl.h SWITCH_FOREACH_OPT,
 * def_getopt): GNU getopt_long with permutation, so options may follow
 * the operands and "--" ends them; -h/--help on every subcommand.
 */
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "xl-dmr.h"

static void opts_tables(struct opts *o)
{
    /* ':' first: a missing argument comes back as ':', not '?', so the
     * error line can say which. No '+': GNU permutation is the point. */
    char *s = o->shortopts;
    *s++ = ':';
    *s++ = 'h';
    size_t n = 0;
    o->longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
    for (const struct cmd_opt *p = o->cmd->opts; p && p->val && n < OPTS_MAX + 1; p++) {
        if (p->val < OPT_LONG_ONLY) {
            *s++ = (char)p->val;
            if (p->arg)
                *s++ = ':';
        }
        if (p->name)
            o->longopts[n++] = (struct option){ p->name, p->arg ? required_argument : no_argument,
                                                NULL, p->val };
    }
    *s = '\0';
    o->longopts[n] = (struct option){ 0 };
}

void opts_begin(struct opts *o, const struct command *cmd, int argc, char **argv)
{
    *o = (struct opts){ .cmd = cmd, .argc = argc, .argv = argv };
    opts_tables(o);
    /* getopt keeps its place in globals: the dispatcher's own pass over
     * the global options left optind and glibc's hidden cursor in the
     * middle of another argv. optind = 0 (not 1) makes glibc start over
     * completely, including its permutation state and any half-read
     * cluster of short options. */
    optind = 0;
    opterr = 0;  /* one line of ours instead of getopt's */
}

static int opts_fail(struct opts *o, int c)
{
    const char *name = o->cmd->name;
    /* A short option's letter is optopt: inside a cluster (-nZp) optind
     * has not moved past it, so the word before is not its word. A long
     * option's error names the word just read. */
    const char *word = optind > 0 && optind <= o->argc ? o->argv[optind - 1] : "";
    bool is_long = !strncmp(word, "--", 2);
    if (c == ':' && !is_long && optopt > ' ' && optopt < 127)
        usage_error(name, "option -%c needs an argument", optopt);
    else if (c == ':')
        usage_error(name, "option %s needs an argument", word);
    else if (!is_long && optopt > ' ' && optopt < 127)
        usage_error(name, "unknown option -%c", optopt);
    else
        usage_error(name, "unknown option %s", word);
    o->status = EXIT_USAGE;
    return -1;
}

static int opts_count(struct opts *o)
{
    const struct command *cmd = o->cmd;
    int n = o->argc - o->first;
    if (n >= cmd->min_operands && (cmd->max_operands < 0 || n <= cmd->max_operands)) {
        if (!cmd->root || !root_missing(cmd->name))
            return 0;
        o->status = EXIT_ERROR;
        return -1;
    }
    if (n > 0 && cmd->max_operands >= 0 && n > cmd->max_operands)
        usage_error(cmd->name, "too many arguments (\"%s\"): takes %s", o->argv[o->first + cmd->max_operands],
                    cmd->operands[0] ? cmd->operands : "none");
    else
        usage_error(cmd->name, "takes %s", cmd->operands);
    o->status = EXIT_USAGE;
    return -1;
}

int opts_next(struct opts *o)
{
    int c = getopt_long(o->argc, o->argv, o->shortopts, o->longopts, NULL);
    o->arg = optarg;
    if (c == 'h') {
        opts_usage(o->cmd, stdout);
        o->status = EXIT_OK;
        return -1;
    }
    if (c == '?' || c == ':')
        return opts_fail(o, c);
    if (c != -1)
        return c;
    o->first = optind;
    return opts_count(o);
}

int opts_operands(const struct command *cmd, int argc, char **argv, int *ret_status)
{
    struct opts p;
    opts_begin(&p, cmd, argc, argv);
    if (opts_next(&p) < 0) {
        *ret_status = p.status;
        return -1;
    }
    return p.first;
}

void opts_usage(const struct command *cmd, FILE *out)
{
    fprintf(out, "Usage: xl-dmr %s [OPTIONS]%s%s\n\n%s\n\nOptions (anywhere after %s; -- ends them):\n",
            cmd->name, cmd->operands[0] ? " " : "", cmd->operands, cmd->summary, cmd->name);
    for (const struct cmd_opt *p = cmd->opts; p && p->val; p++) {
        char left[64];
        if (p->val < OPT_LONG_ONLY && p->name)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", p->val, p->name, p->arg ? " " : "",
                     p->arg ? p->arg : "");
        else if (p->val < OPT_LONG_ONLY)
            snprintf(left, sizeof(left), "-%c%s%s", p->val, p->arg ? " " : "", p->arg ? p->arg : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", p->name, p->arg ? " " : "",
                     p->arg ? p->arg : "");
        fprintf(out, "  %-22s %s\n", left, p->help);
    }
    fprintf(out, "  %-22s %s\n", "-h, --help", "print this and exit");
}

bool root_missing(const char *cmd)
{
    if (geteuid() == 0)
        return false;
    fprintf(stderr, "xl-dmr %s: needs root (run it as root or with sudo)\n", cmd);
    return true;
}
