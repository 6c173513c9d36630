/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: the QMP client against whatever a hostile QEMU may send. The
 * input is the whole byte stream from "QEMU": greeting, replies, events.
 * The client connects (greeting, qmp_capabilities), runs a command, a
 * pipelined batch, and waits for an event; every read has its deadline.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    libdmr_ctx *ctx = fuzz_ctx();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 0;
    /* The whole stream up front (the socket buffer holds it), then EOF. */
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0)
            break;
        off += n;
    }
    close(sv[1]);
    struct libdmr_qmp *q = NULL;
    if (qmp_open_fd(ctx, 1, &sv[0], 50, &q) == 0) {
        yajl_val ret = NULL;
        qmp_execute(q, "query-status", NULL, 50, &ret);
        yajl_tree_free(ret);
        struct qmp_cmd cmds[] = { { .command = "query-block" }, { .command = "query-fdsets" } };
        qmp_execute_batch(q, cmds, 2, -1, 50);
        qmp_wait_event(q, "DEVICE_DELETED", "hostdev0", 50);
        struct strv events;
        qmp_events_take(q, &events);
        strv_clear(&events);
        qmp_close(q);
    }
    if (sv[0] >= 0)
        close(sv[0]);
    return 0;
}
