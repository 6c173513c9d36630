/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Does an accelerator run guests? KVM_CREATE_VM says only that /dev/kvm
 * makes VMs: a paravirtual KVM (kvm_pvm, on a host without vmx/svm) makes
 * them too, and runs SeaBIOS and a real-mode boot sector, but a guest out
 * of real mode barely moves (measured: 1.3 M loop iterations a second,
 * where TCG does 300 M and hardware KVM more). So the probe guest is a
 * boot sector that switches to protected mode and then does work: 50
 * rounds of 1 M iterations, a '.' on the debug port after each. The
 * accelerator passes when the guest says 'D' within PROBE_BOUND_MS of
 * QEMU's start; otherwise the markers say how far it got. TCG is the
 * control: when it fails too, the probe, not KVM, is what failed.
 *
 * Only host check probes (seconds on a kvm_pvm host); it stores the
 * results in the probe cache (facts_qemu_cache.c), and every plan reads
 * them from there with a key that a new kernel, a module change or a new
 * QEMU invalidates. A plan finding no entry still gets cpu_lacks_virt,
 * read from /proc/cpuinfo: cheap, and the planner warns on it.
 */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "internal.h"

#define PROBE_BOUND_MS 3000
#define PROBE_ROUNDS 50             /* of 1 M iterations, in protected mode */

extern char **environ;

/* The probe guest, loaded by SeaBIOS at 0x7c00. Markers go to port 0xe9
 * (isa-debugcon; SeaBIOS logs on 0x402); port 0xf4 (isa-debug-exit) ends
 * QEMU. Assembled from:
 *   cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,0x7c00
 *   mov al,'R'; out 0xe9,al              ; real mode: proves nothing yet
 *   lgdt [gdtdesc]; mov eax,cr0; or al,1; mov cr0,eax; jmp dword 8:pm
 * pm (bits 32):
 *   mov ax,0x10; mov ds,ax; mov ss,ax
 *   mov al,'P'; out 0xe9,al              ; in protected mode
 *   mov ebx,50
 * outer: mov ecx,1000000
 * inner: dec ecx; jnz inner
 *   mov al,'.'; out 0xe9,al; dec ebx; jnz outer
 *   mov al,'D'; out 0xe9,al              ; the work is done
 *   xor al,al; out 0xf4,al; hlt; jmp $-1
 * gdt (0x50): null; code 0-4G; data 0-4G.  gdtdesc (0x68): 23, 0x7c50 */
static const unsigned char probe_sector[512] = {
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x7c,
    0xb0, 'R', 0xe6, 0xe9,
    0x66, 0x0f, 0x01, 0x16, 0x68, 0x7c,
    0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0,
    0x66, 0xea, 0x24, 0x7c, 0x00, 0x00, 0x08, 0x00,
    /* 0x24 */ 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xd0,
    0xb0, 'P', 0xe6, 0xe9,
    0xbb, PROBE_ROUNDS, 0x00, 0x00, 0x00,
    /* 0x35 */ 0xb9, 0x40, 0x42, 0x0f, 0x00,
    /* 0x3a */ 0x49, 0x75, 0xfd,
    0xb0, '.', 0xe6, 0xe9, 0x4b, 0x75, 0xf1,
    0xb0, 'D', 0xe6, 0xe9,
    0x30, 0xc0, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd,
    [0x50] = 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,
    [0x68] = 0x17, 0x00, 0x50, 0x7c, 0x00, 0x00,
    [0x1fe] = 0x55, 0xaa,
};

static char *sysroot_path(libdmr_ctx *ctx, const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", strcmp(ctx->sysroot, "/") ? ctx->sysroot : "", path);
    return buf;
}

/* The first "flags" line of /proc/cpuinfo has neither vmx nor svm. */
static bool cpu_lacks_virt(libdmr_ctx *ctx)
{
    char path[4096], line[8192];
    FILE *f = fopen(sysroot_path(ctx, "/proc/cpuinfo", path, sizeof(path)), "re");
    bool lacks = false;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "flags", 5)) {
            lacks = !strstr(line, " vmx") && !strstr(line, " svm");
            break;
        }
    if (f)
        fclose(f);
    return lacks;
}

static int strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What the result depends on besides QEMU: the kernel, its KVM modules,
 * the CPU's virtualisation flags. */
static void host_key(libdmr_ctx *ctx, bool lacks_virt, char *buf, size_t size)
{
    struct utsname u;
    if (uname(&u) < 0)
        u = (struct utsname){ 0 };
    int off = snprintf(buf, size, "%s %s;%s;modules", u.release, u.version,
                       lacks_virt ? "no vmx/svm" : "vmx/svm");
    char path[4096];
    DIR *d = opendir(sysroot_path(ctx, "/sys/module", path, sizeof(path)));
    struct strv names = { 0 };
    for (struct dirent *e; d && (e = readdir(d));)
        if (!strncmp(e->d_name, "kvm", 3) && strv_push(&names, e->d_name))
            break;
    if (d)
        closedir(d);
    qsort(names.v, names.n, sizeof(*names.v), strcmp_ptr);
    for (size_t i = 0; i < names.n && off > 0 && (size_t)off < size; i++)
        off += snprintf(buf + off, size - off, " %s", names.v[i]);
    strv_clear(&names);
}

void facts_accel_gather(libdmr_ctx *ctx, libdmr_facts *facts)
{
    const struct libdmr_qemu_caps *q = &facts->qemu;
    struct stat st;
    if (!facts->kvm_usable || facts->xen_dom0)
        return;  /* nothing of KVM's to judge */
    facts->cpu_lacks_virt = cpu_lacks_virt(ctx);
    char key[1024];
    host_key(ctx, facts->cpu_lacks_virt, key, sizeof(key));
    if (q->present && q->path && stat(q->path, &st) == 0)
        accel_cache_load(ctx, q->path, &st, key, facts);
}

/* ---- the probe, for host check ---------------------------------------- */

struct probe_run {
    pid_t pid;
    int out;               /* the debug port's bytes, on a pipe */
    int err;               /* QEMU's stderr, a memfd read after it ended */
    long start_ms, p_ms, d_ms;
    bool real, prot, done, exited;
    unsigned rounds;
};

static int probe_spawn(libdmr_ctx *ctx, const char *qemu, const char *accel,
                       struct probe_run *run)
{
    errno = 0;
    _cleanup_close_ int disk = memfd_create("xl-dmr-probe", MFD_CLOEXEC);
    int pipefd[2] = { -1, -1 };
    run->err = memfd_create("xl-dmr-probe-err", MFD_CLOEXEC);
    if (disk < 0 || run->err < 0 || write(disk, probe_sector, sizeof(probe_sector)) != sizeof(probe_sector) ||
        pipe2(pipefd, O_CLOEXEC) < 0)
        return errno ? -errno : -EIO;
    run->out = pipefd[0];
    /* Above the targets first: a caller with 0, 1 or 2 closed could have
     * been given one of them, and the dup2s below would cross. */
    int high_write = fcntl(pipefd[1], F_DUPFD_CLOEXEC, 10);
    int high_disk = fcntl(disk, F_DUPFD_CLOEXEC, 10);
    safe_close(pipefd[1]);
    pipefd[1] = high_write;
    safe_close(disk);
    disk = high_disk;
    int high_err = fcntl(run->err, F_DUPFD_CLOEXEC, 10);
    safe_close(run->err);
    run->err = high_err;
    if (pipefd[1] < 0 || disk < 0 || run->err < 0) {
        safe_close(pipefd[1]);
        return -EMFILE;
    }
    /* The disk is the memfd as fd 3: nothing is left on any filesystem. */
    const char *argv[] = { qemu, "-nodefaults", "-no-user-config", "-display", "none",
                           "-machine", "pc", "-accel", accel, "-m", "16", "-no-reboot",
                           "-drive", "file=/dev/fd/3,format=raw,if=ide", "-debugcon", "stdio",
                           "-device", "isa-debug-exit,iobase=0xf4,iosize=1", NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, run->err, 2);
    posix_spawn_file_actions_adddup2(&fa, disk, 3);
    run->start_ms = monotonic_ms();
    int r = posix_spawn(&run->pid, qemu, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    safe_close(pipefd[1]);
    if (r)
        run->pid = 0;
    return -r;
}

/* Read markers until 'D', EOF or the bound. */
static void probe_watch(struct probe_run *run)
{
    for (;;) {
        long left = run->start_ms + PROBE_BOUND_MS - monotonic_ms();
        struct pollfd p = { .fd = run->out, .events = POLLIN };
        int r = left > 0 ? poll(&p, 1, left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        char buf[256];
        ssize_t n = r > 0 ? read(run->out, buf, sizeof(buf)) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            run->exited = r > 0;  /* EOF: QEMU ended before the bound */
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            run->real |= buf[i] == 'R';
            if (buf[i] == 'P' && !run->prot)
                run->p_ms = monotonic_ms() - run->start_ms, run->prot = true;
            run->rounds += buf[i] == '.';
            if (buf[i] == 'D' && !run->done)
                run->d_ms = monotonic_ms() - run->start_ms, run->done = true;
        }
        if (run->done)
            return;
    }
}

/* QEMU's first line on stderr, for when it ended on its own. */
static void first_err_line(int fd, char *buf, size_t size)
{
    ssize_t n = pread(fd, buf, size - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
}

static int probe_verdict(const struct probe_run *run, const char *accel,
                         struct libdmr_accel_probe *p)
{
    char err[256];
    first_err_line(run->err, err, sizeof(err));
    double bound = PROBE_BOUND_MS / 1000.0;
    int n;
    p->result = run->done ? LIBDMR_PROBE_PASSED : LIBDMR_PROBE_FAILED;
    if (run->done)
        n = asprintf(&p->detail, "a probe guest reached protected mode in %.2f s and ran "
                     "%u M loop iterations there in %.2f s", run->p_ms / 1000.0, PROBE_ROUNDS,
                     (run->d_ms - run->p_ms) / 1000.0);
    else if (run->exited && !run->real)
        n = asprintf(&p->detail, "QEMU -accel %s ended before the probe guest ran%s%s", accel,
                     err[0] ? ": " : "", err);
    else if (!run->real)
        n = asprintf(&p->detail, "a probe guest's boot sector did not run within %.0f s", bound);
    else if (!run->prot)
        n = asprintf(&p->detail, "a probe guest ran in real mode but did not reach protected "
                     "mode within %.0f s", bound);
    else
        n = asprintf(&p->detail, "a probe guest reached protected mode in %.2f s but ran only "
                     "%u M of %u M loop iterations within %.0f s", run->p_ms / 1000.0,
                     run->rounds, PROBE_ROUNDS, bound);
    if (n < 0)
        p->detail = NULL;
    return n < 0 ? -ENOMEM : 0;
}

/* Run the probe guest under accel; the process is killed and reaped
 * whatever happens. */
static int probe_one(libdmr_ctx *ctx, const char *qemu, const char *accel,
                     struct libdmr_accel_probe *p)
{
    struct probe_run run = { .out = -1, .err = -1 };
    int r = probe_spawn(ctx, qemu, accel, &run);
    if (!r)
        probe_watch(&run);
    if (run.pid > 0) {
        kill(run.pid, SIGKILL);
        int status;
        wait_child(run.pid, &status);
    }
    if (!r)
        r = probe_verdict(&run, accel, p);
    else if (r != -ENOMEM)  /* unknown, and why */
        r = asprintf(&p->detail, "cannot run %s for a probe: %s", qemu, strerror(-r)) < 0
            ? (p->detail = NULL, -ENOMEM) : 0;
    safe_close(run.out);
    safe_close(run.err);
    LOG(DEBUG, "accelerator %s: %s", accel, p->detail ? p->detail : "not probed");
    return r;
}

int facts_accel_probe(libdmr_ctx *ctx, libdmr_facts *facts)
{
    const struct libdmr_qemu_caps *q = &facts->qemu;
    struct stat st;
    if (!q->present || !q->path || stat(q->path, &st) < 0)
        return 0;  /* host check says QEMU is missing */
    if (facts->xen_dom0)
        return 0;  /* the xen backend: Xen runs the guest, QEMU is its device model */
    free(facts->kvm_probe.detail);
    free(facts->tcg_probe.detail);
    facts->kvm_probe = facts->tcg_probe = (struct libdmr_accel_probe){ 0 };
    facts->cpu_lacks_virt = facts->kvm_usable && cpu_lacks_virt(ctx);
    int r = probe_one(ctx, q->path, "tcg", &facts->tcg_probe);
    if (!r && facts->kvm_usable)
        r = probe_one(ctx, q->path, "kvm", &facts->kvm_probe);
    if (r)
        return libdmr_error_from_errno(r);
    /* KVM failing where TCG fails too says nothing of KVM. */
    if (facts->kvm_probe.result == LIBDMR_PROBE_FAILED &&
        facts->tcg_probe.result != LIBDMR_PROBE_PASSED)
        facts->kvm_probe.result = LIBDMR_PROBE_UNKNOWN;
    char key[1024];
    host_key(ctx, facts->cpu_lacks_virt, key, sizeof(key));
    accel_cache_store(ctx, q->path, &st, key, facts);
    return 0;
}
