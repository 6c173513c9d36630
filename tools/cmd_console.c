/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl-dmr console: the guest's serial console, as xl console gives it.
 * The terminal goes raw (every key, ^C too, is the guest's), bytes are
 * copied both ways, and Ctrl-] leaves. The terminal is restored however
 * the copy ends: Ctrl-], the console closing (the device model exited),
 * an error, or SIGTERM/SIGHUP/SIGINT/SIGQUIT, taken through a signalfd
 * so that the one exit path restores it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "xl-dmr.h"

#define ESCAPE_CHAR 0x1d   /* Ctrl-], xl console's */

/* The terminal as it was, when stdin is one. */
struct term {
    bool raw;
    struct termios saved;
};

static void term_raw(struct term *t)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
        return;
    struct termios raw = t->saved;
    cfmakeraw(&raw);
    t->raw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
}

static void term_restore(struct term *t)
{
    if (t->raw)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved);
    t->raw = false;
}

static bool write_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        buf += w;
        n -= w;
    }
    return true;
}

enum copy_end { COPY_ON, COPY_ESCAPE, COPY_CLOSED, COPY_SIGNAL, COPY_ERROR };

/* The user typed: up to Ctrl-], to the guest. stdin's EOF (not a
 * terminal) only stops this direction. */
static enum copy_end from_user(int console, bool *user_open)
{
    char buf[4096];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
        return COPY_ON;
    if (n <= 0) {
        *user_open = false;
        return n < 0 ? COPY_ERROR : COPY_ON;
    }
    char *esc = memchr(buf, ESCAPE_CHAR, n);
    size_t len = esc ? (size_t)(esc - buf) : (size_t)n;
    if (!write_all(console, buf, len))
        return COPY_CLOSED;
    return esc ? COPY_ESCAPE : COPY_ON;
}

static enum copy_end from_guest(int console)
{
    char buf[8192];
    ssize_t n = read(console, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
        return COPY_ON;
    if (n <= 0)
        return COPY_CLOSED;
    return write_all(STDOUT_FILENO, buf, n) ? COPY_ON : COPY_ERROR;
}

static enum copy_end copy_loop(int console, int sigfd)
{
    bool user_open = true;
    enum copy_end end = COPY_ON;
    while (end == COPY_ON) {
        struct pollfd pfd[3] = {
            { user_open ? STDIN_FILENO : -1, POLLIN, 0 },
            { console, POLLIN, 0 },
            { sigfd, POLLIN, 0 },
        };
        if (poll(pfd, 3, -1) < 0) {
            end = errno == EINTR ? COPY_ON : COPY_ERROR;
            continue;
        }
        if (pfd[2].revents)
            end = COPY_SIGNAL;
        else if (pfd[1].revents)
            end = from_guest(console);
        else if (pfd[0].revents)
            end = from_user(console, &user_open);
    }
    return end;
}

static int console_session(int console, uint32_t domid)
{
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGQUIT);
    sigprocmask(SIG_BLOCK, &sigs, &old);
    int sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sigfd < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        fprintf(stderr, "xl-dmr console: signalfd: %s\n", strerror(errno));
        return EXIT_ERROR;
    }
    struct term t = { 0 };
    term_raw(&t);
    enum copy_end end = copy_loop(console, sigfd);
    term_restore(&t);
    close(sigfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (end == COPY_CLOSED)
        fprintf(stderr, "\nxl-dmr console: domain %u's console closed (its device model "
                "exited)\n", domid);
    return end == COPY_ESCAPE || end == COPY_CLOSED ? EXIT_OK : EXIT_ERROR;
}

const struct cmd_opt opts_console[] = {
    { 't', "type", "TYPE", "the console type: serial, the one there is" },
    { 'n', "num", "NUM", "the console number: 0, the one there is" },
    { 0 },
};

/* xl console's options, as far as they mean something here: the one
 * serial console there is. */
static int console_option(int c, const char *arg)
{
    if (c == 't' && strcmp(arg, "serial")) {
        usage_error("console", "-t %s: the qemu backend has only the serial console "
                    "(-t serial)", arg);
        return -1;
    }
    if (c == 'n' && strcmp(arg, "0")) {
        usage_error("console", "-n %s: the guest has one serial console, 0", arg);
        return -1;
    }
    return 0;
}

int main_console(struct xl_dmr *x, int argc, char **argv)
{
    struct opts p;
    int c;
    opts_begin(&p, x->cmd, argc, argv);
    while ((c = opts_next(&p)) > 0)
        if (console_option(c, p.arg))
            return EXIT_USAGE;
    if (c < 0)
        return p.status;
    int i = p.first;
    uint32_t domid;
    int console = -1;
    int rc = libdmr_domain_lookup(x->ctx, argv[i], &domid);
    if (!rc)
        rc = libdmr_domain_console_open(x->ctx, domid, &console);
    if (rc)
        return EXIT_ERROR;
    int status = console_session(console, domid);
    close(console);
    return status;
}
