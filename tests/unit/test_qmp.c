/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The QMP client against a hostile peer: a fake QMP server on a socketpair
 * (a forked child following a script) feeds it malformed, oversized,
 * mismatched, flooding, truncated and silent input. Each case must end in
 * its expected, clear error within its timeout, without a crash or a leak
 * (the suite also runs under ASan).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "fdset.h"
#include "testutil.h"

#define GREETING "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n"
#define T_MS 400

/* ---- the fake server's side --------------------------------------------- */

static void srv_send(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len) {
        ssize_t n = write(fd, s, len);
        if (n <= 0)
            _exit(1);
        s += n;
        len -= n;
    }
}

/* Read one command line; return its id (-1 if none); count any fd it carried. */
static int srv_read(int fd, int *ret_fds)
{
    char line[65536];
    size_t len = 0;
    int fds = 0;
    while (len < sizeof(line) - 1) {
        char control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { .iov_base = line + len, .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = control, .msg_controllen = sizeof(control) };
        if (recvmsg(fd, &msg, 0) <= 0)
            _exit(0);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (c && c->cmsg_type == SCM_RIGHTS) {
            int got;
            memcpy(&got, CMSG_DATA(c), sizeof(int));
            close(got);
            fds++;
        }
        if (line[len++] == '\n')
            break;
    }
    line[len] = '\0';
    if (ret_fds)
        *ret_fds = fds;
    const char *id = strstr(line, "\"id\":");
    return id ? atoi(id + 5) : -1;
}

static void srv_reply(int fd, int id, const char *ret)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "{\"return\": %s, \"id\": %d}\n", ret, id);
    srv_send(fd, buf);
}

/* Greeting and capabilities, done right. */
static void srv_handshake(int fd)
{
    srv_send(fd, GREETING);
    srv_reply(fd, srv_read(fd, NULL), "{}");
}

static void srv_hang(void) { sleep(5); _exit(0); }

/* ---- the cases ----------------------------------------------------------- */

static void s_no_greeting(int fd) { (void)fd; srv_hang(); }
static void s_greeting_array(int fd) { srv_send(fd, "[1, 2]\n"); srv_hang(); }
static void s_greeting_not_qmp(int fd) { srv_send(fd, "{\"foo\": 1}\n"); srv_hang(); }
static void s_endless_line(int fd)
{
    char chunk[65536];
    memset(chunk, ' ', sizeof(chunk) - 1);
    chunk[sizeof(chunk) - 1] = '\0';
    srv_send(fd, "{\"QMP\": \"");
    for (int i = 0; i < 40; i++)
        srv_send(fd, chunk);
    srv_hang();
}
static void s_invalid_utf8(int fd) { srv_send(fd, "{\"QMP\": {\"v\": \"\xff\xfe\xc3\"}}\n"); srv_hang(); }
static void s_deep_nesting(int fd)
{
    /* One write: 200000 small ones could outlast the client's deadline. */
    static char msg[200000 + 16] = "{\"QMP\": ";
    size_t n = strlen(msg);
    memset(msg + n, '[', 200000);
    msg[n + 200000] = '\n';
    srv_send(fd, msg);
    srv_hang();
}
static void s_truncated_json(int fd) { srv_send(fd, "{\"QMP\": {\n"); srv_hang(); }
static void s_garbage(int fd) { srv_send(fd, "this is not json\n"); srv_hang(); }
static void s_nul_in_line(int fd) { srv_send(fd, "{\"QMP\": {}}"); srv_send(fd, "\0"); write(fd, "\0x\n", 3); srv_hang(); }
static void s_close_after_greeting(int fd) { srv_send(fd, GREETING); _exit(0); }
static void s_wrong_id(int fd) { srv_send(fd, GREETING); srv_read(fd, NULL); srv_reply(fd, 999, "{}"); srv_hang(); }
static void s_no_id(int fd) { srv_send(fd, GREETING); srv_read(fd, NULL); srv_send(fd, "{\"return\": {}}\n"); srv_hang(); }
static void s_string_id(int fd) { srv_send(fd, GREETING); srv_read(fd, NULL); srv_send(fd, "{\"return\": {}, \"id\": \"1\"}\n"); srv_hang(); }
static void s_both(int fd)
{
    srv_send(fd, GREETING);
    int id = srv_read(fd, NULL);
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"return\": {}, \"error\": {\"desc\": \"x\"}, \"id\": %d}\n", id);
    srv_send(fd, buf);
    srv_hang();
}
static void s_neither(int fd)
{
    srv_send(fd, GREETING);
    char buf[64];
    snprintf(buf, sizeof(buf), "{\"id\": %d}\n", srv_read(fd, NULL));
    srv_send(fd, buf);
    srv_hang();
}
static void s_error_reply(int fd)
{
    srv_send(fd, GREETING);
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"error\": {\"class\": \"GenericError\", \"desc\": \"nope\"}, \"id\": %d}\n",
             srv_read(fd, NULL));
    srv_send(fd, buf);
    srv_hang();
}
static void s_error_no_desc(int fd)
{
    srv_send(fd, GREETING);
    char buf[64];
    snprintf(buf, sizeof(buf), "{\"error\": {}, \"id\": %d}\n", srv_read(fd, NULL));
    srv_send(fd, buf);
    srv_hang();
}
static void s_close_mid_reply(int fd) { srv_handshake(fd); srv_read(fd, NULL); srv_send(fd, "{\"return\": {\"sta"); _exit(0); }
static void s_event_flood(int fd)
{
    srv_handshake(fd);
    srv_read(fd, NULL);
    for (int i = 0; i < 1000; i++)
        srv_send(fd, "{\"event\": \"FLOOD\", \"data\": {}}\n");
    srv_hang();
}
static void s_events_then_reply(int fd)
{
    srv_handshake(fd);
    int id = srv_read(fd, NULL);
    for (int i = 0; i < 10; i++)
        srv_send(fd, "{\"event\": \"STOP\"}\n");
    srv_reply(fd, id, "{\"status\": \"running\"}");
    srv_hang();
}
static void s_event_without_name(int fd)
{
    srv_handshake(fd);
    srv_read(fd, NULL);
    srv_send(fd, "{\"event\": 42}\n");
    srv_hang();
}
static void s_reply_never_comes(int fd) { srv_handshake(fd); srv_read(fd, NULL); srv_hang(); }
static void s_slow_drip(int fd)
{
    srv_handshake(fd);
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"return\": {\"status\": \"running\"}, \"id\": %d}\n", srv_read(fd, NULL));
    for (const char *p = buf; *p; p++) {
        write(fd, p, 1);
        usleep(2000);
    }
    srv_hang();
}
static void s_two_in_one_write(int fd)
{
    srv_handshake(fd);
    char buf[160];
    snprintf(buf, sizeof(buf), "{\"event\": \"RESUME\"}\n{\"return\": {}, \"id\": %d}\n", srv_read(fd, NULL));
    srv_send(fd, buf);
    srv_hang();
}
static void s_add_fd_ok(int fd)
{
    srv_handshake(fd);
    int fds = 0, id = srv_read(fd, &fds);
    srv_reply(fd, id, fds == 1 ? "{\"fdset-id\": 7, \"fd\": 12}" : "\"no fd came\"");
    srv_hang();
}
static void s_add_fd_no_fdset(int fd) { srv_handshake(fd); srv_reply(fd, srv_read(fd, NULL), "{\"fd\": 12}"); srv_hang(); }
static void s_broken_then_more(int fd) { srv_handshake(fd); srv_read(fd, NULL); srv_reply(fd, 12345, "{}"); srv_hang(); }

enum op { OP_CONNECT, OP_COMMAND, OP_ADD_FD, OP_COMMAND_TWICE };

struct qcase {
    const char *name;
    void (*server)(int fd);
    enum op op;
    int rc;                /* expected */
    size_t events;         /* expected unread events after success */
};

static const struct qcase cases[] = {
    { "no-greeting-times-out", s_no_greeting, OP_CONNECT, LIBDMR_ERROR_TIMEDOUT, 0 },
    { "greeting-not-an-object", s_greeting_array, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "greeting-without-QMP", s_greeting_not_qmp, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "endless-line-capped", s_endless_line, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "invalid-utf8", s_invalid_utf8, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "deep-nesting-refused-before-parsing", s_deep_nesting, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "truncated-json", s_truncated_json, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "not-json", s_garbage, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "nul-byte-in-a-line", s_nul_in_line, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "close-after-greeting", s_close_after_greeting, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "reply-with-wrong-id", s_wrong_id, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "reply-without-id", s_no_id, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "reply-with-string-id", s_string_id, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "reply-with-return-and-error", s_both, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "reply-with-neither", s_neither, OP_CONNECT, LIBDMR_ERROR_QEMU_API, 0 },
    { "error-reply", s_error_reply, OP_CONNECT, LIBDMR_ERROR_FAIL, 0 },
    { "error-reply-without-desc", s_error_no_desc, OP_CONNECT, LIBDMR_ERROR_FAIL, 0 },
    { "closing-mid-reply", s_close_mid_reply, OP_COMMAND, LIBDMR_ERROR_QEMU_API, 0 },
    { "event-flood", s_event_flood, OP_COMMAND, LIBDMR_ERROR_QEMU_API, 0 },
    { "events-queued-not-lost", s_events_then_reply, OP_COMMAND, 0, 10 },
    { "event-without-a-name", s_event_without_name, OP_COMMAND, LIBDMR_ERROR_QEMU_API, 0 },
    { "reply-never-comes", s_reply_never_comes, OP_COMMAND, LIBDMR_ERROR_TIMEDOUT, 0 },
    { "slow-drip-reply-is-fine", s_slow_drip, OP_COMMAND, 0, 0 },
    { "event-and-reply-in-one-write", s_two_in_one_write, OP_COMMAND, 0, 1 },
    { "add-fd-sends-the-fd-with-the-command", s_add_fd_ok, OP_ADD_FD, 0, 0 },
    { "add-fd-reply-without-fdset-id", s_add_fd_no_fdset, OP_ADD_FD, LIBDMR_ERROR_QEMU_API, 0 },
    { "after-a-protocol-error-nothing-more", s_broken_then_more, OP_COMMAND_TWICE, LIBDMR_ERROR_QEMU_API, 0 },
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_op(libdmr_ctx *ctx, const struct qcase *c, int fd, size_t *ret_events)
{
    struct libdmr_qmp *q = NULL;
    int rc = qmp_open_fd(ctx, 1, &fd, T_MS, &q);
    assert_int_equal(fd, -EBADF);  /* taken, even on failure */
    if (rc || c->op == OP_CONNECT) {
        qmp_close(q);
        return rc;
    }
    if (c->op == OP_ADD_FD) {
        int passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int64_t set = -1;
        rc = fdset_add(ctx, q, 1, &passed, "raw:/dev/null", &set);
        assert_int_equal(passed, -EBADF);  /* ours is closed either way */
        if (!rc)
            assert_int_equal(set, 7);
    } else {
        yajl_val ret = NULL;
        rc = qmp_execute(q, "query-status", NULL, T_MS, &ret);
        yajl_tree_free(ret);
        if (c->op == OP_COMMAND_TWICE) {
            assert_int_equal(rc, LIBDMR_ERROR_QEMU_API);
            long t0 = now_ms();
            rc = qmp_execute(q, "query-status", NULL, T_MS, NULL);
            assert_true(now_ms() - t0 < 50);  /* fails fast, no wait */
        }
    }
    struct strv events;
    *ret_events = qmp_events_take(q, &events);
    strv_clear(&events);
    qmp_close(q);
    return rc;
}

static void run_case(void **state)
{
    const struct qcase *c = *state;
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        close(sv[0]);
        c->server(sv[1]);
        _exit(0);
    }
    close(sv[1]);
    long t0 = now_ms();
    size_t events = 0;
    int rc = run_op(ctx, c, sv[0], &events);
    long took = now_ms() - t0;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (rc != c->rc)
        print_message("%s: got %s, want %s\n", c->name, libdmr_error_name(rc), libdmr_error_name(c->rc));
    assert_int_equal(rc, c->rc);
    if (!rc)
        assert_int_equal(events, c->events);
    else
        assert_non_null(libdmr_ctx_last_error(ctx));
    assert_true(took < 3 * T_MS + 1000);  /* within its timeout, whatever the peer does */
    test_ctx_free(ctx, lg);
}

/*
 * A batch whose connection fails half way, then a reconnect, as QEMU's
 * single-client monitor behaves: the first connection answers the first
 * of three commands and closes; the second gets the replies QEMU still
 * had for the other two, one even before its greeting, one before its
 * own reply. The batch says which command was answered; the new
 * connection numbers on, skips the stale replies, and works.
 */
static void reconnect_server(int listener)
{
    alarm(10);  /* never outlive a client that failed half way */
    int c = accept(listener, NULL, NULL);
    srv_handshake(c);                          /* id 1 */
    int first = srv_read(c, NULL);             /* query-status, id 2 */
    int second = srv_read(c, NULL);            /* query-block, id 3 */
    int third = srv_read(c, NULL);             /* query-fdsets, id 4 */
    srv_reply(c, first, "{}");
    close(c);
    c = accept(listener, NULL, NULL);
    srv_reply(c, second, "[]");                /* meant for the first connection */
    srv_send(c, GREETING);
    int caps = srv_read(c, NULL);
    srv_reply(c, third, "[]");                 /* so is this */
    if (caps != third + 1)                     /* numbered on, not from 1 */
        srv_send(c, "{\"error\": {\"desc\": \"ids start again\"}, \"id\": 5}\n");
    srv_reply(c, caps, "{}");
    int next = srv_read(c, NULL);
    srv_reply(c, next, "{\"status\": \"running\"}");
    srv_hang();
}

static void batch_answered_then_reconnect(void **state)
{
    (void)state;
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    char dir[] = "/tmp/dmr-qmp-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/qmp.sock", dir);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(listener, 2), 0);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        reconnect_server(listener);
        _exit(0);
    }
    close(listener);
    struct libdmr_qmp *q = NULL, *fresh = NULL;
    assert_int_equal(qmp_connect(ctx, 1, sa.sun_path, T_MS, &q), 0);
    struct qmp_cmd cmds[] = { { .command = "query-status" }, { .command = "query-block" },
                              { .command = "query-fdsets" } };
    assert_int_equal(qmp_execute_batch(q, cmds, 3, -1, T_MS), LIBDMR_ERROR_QEMU_API);
    assert_true(cmds[0].answered);
    assert_int_equal(cmds[0].rc, 0);
    assert_false(cmds[1].answered);
    assert_false(cmds[2].answered);
    assert_int_equal(qmp_reconnect(q, T_MS, &fresh), 0);
    yajl_val ret = NULL;
    assert_int_equal(qmp_execute(fresh, "query-status", NULL, T_MS, &ret), 0);
    const char *path[] = { "status", NULL };
    assert_string_equal(YAJL_GET_STRING(yajl_tree_get(ret, path, yajl_t_string)), "running");
    yajl_tree_free(ret);
    qmp_close(fresh);
    qmp_close(q);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(sa.sun_path);
    rmdir(dir);
    test_ctx_free(ctx, lg);
}

int main(void)
{
    struct CMUnitTest tests[ELEMENTSOF(cases) + 1];
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        tests[i] = (struct CMUnitTest){ .name = cases[i].name, .test_func = run_case,
                                        .initial_state = (void *)&cases[i] };
    tests[ELEMENTSOF(cases)] = (struct CMUnitTest){
        .name = "batch-says-what-was-answered-and-a-reconnect-skips-stale-replies",
        .test_func = batch_answered_then_reconnect };
    return _cmocka_run_group_tests("QMP client against a hostile peer", tests,
                                   ELEMENTSOF(tests), NULL, NULL);
}
