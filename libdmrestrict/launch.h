/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The modules that carry a plan out, and undo it. */
#ifndef LIBDMR_LAUNCH_H
#define LIBDMR_LAUNCH_H

#include <sys/types.h>

#include "internal.h"

/* chroot.c: the per-domain chroot, made and removed with openat. */
int chroot_prepare(libdmr_ctx *ctx, uint32_t domid, const char *path, mode_t mode);
int chroot_remove(libdmr_ctx *ctx, const char *path);
/* In the DM's private mount namespace (the spawned child, before exec):
 * make what the plan lists in its chroot. -errno, and the entry that failed. */
int chroot_populate(const char *root, const struct plan_chroot *ch, const char **ret_failed);
/* Undo what chroot_populate made of ch (not the tmpfs); the first -errno. */
int chroot_depopulate(const char *root, const struct plan_chroot *ch);
/* Populate (or undo) ch in a running DM's namespace, through its pidfd. */
int chroot_change_in_dm(libdmr_ctx *ctx, uint32_t domid, int dm_pidfd, const char *root,
                        const struct plan_chroot *ch, bool undo);

/* net_tap.c: the tap of a planned NIC, made, on its bridge and up: its
 * descriptor (the tap lives as long as a copy of it), or -errno, logged,
 * with nothing left. */
int net_tap_create(libdmr_ctx *ctx, uint32_t domid, const struct plan_tap *tap);
/* Is there an interface of that name in this network namespace? */
bool net_tap_exists(const char *ifname);

/* proc.c: a process we did not fork, held by a pidfd checked against
 * its start time, so a reused pid is never mistaken for it. */
struct proc_ref {
    pid_t pid;
    uint64_t start;        /* /proc/<pid>/stat starttime */
};
/* What the toolstack reads of /proc/<pid>/stat, in clock ticks. */
struct proc_stat {
    char state;            /* R, S, D, Z, ... */
    uint64_t utime, stime;
    uint64_t start;        /* after boot */
};
/* -ESRCH when it is gone, -EIO when the file does not parse, or what
 * opening or reading it failed with. */
int proc_stat_read(pid_t pid, struct proc_stat *ret);
int proc_start_time(pid_t pid, uint64_t *ret);
/* Is p a zombie (exited, its parent still to reap it) whose real uid is uid? */
bool proc_is_zombie_of(const struct proc_ref *p, uid_t uid);
int proc_self(struct proc_ref *ret);
/* each() for every descriptor of pid, with its link's target and its
 * entry in /proc/PID/fd (dirfd, name); stops at each()'s first non-zero. */
int proc_fds_each(pid_t pid, int (*each)(int fd, const char *target, int dirfd,
                                          const char *name, void *arg), void *arg);
/* Its effective uid; -ESRCH when it is gone. */
int proc_uid(pid_t pid, uid_t *ret);
/* Every live process (not a zombie) whose real, effective or saved uid is
 * uid, from /proc: the reaper's list and the audit's. */
int proc_pids_of_uid(uid_t uid, pid_t **ret, size_t *ret_n);
/* Is pid, now, such a process? */
bool proc_has_uid(pid_t pid, uid_t uid);
int proc_open(const struct proc_ref *p);           /* pidfd, or -ESRCH */
/* A pidfd for pid, and (once held) who it is: ret's pid and start time. */
int proc_open_pid(pid_t pid, struct proc_ref *ret);
/* The pidfd *held if it holds one, else proc_open(p) kept in *held for
 * the rest of the call: one identity check per process and call. */
int proc_hold(const struct proc_ref *p, int *held);
/* Has it exited (a zombie counts), or does it within timeout_ms? */
bool proc_exited(const struct proc_ref *p, int timeout_ms);
bool proc_held_exited(int pidfd, int timeout_ms);
/* Wait up to timeout_ms for the process to exit; SIGKILL it if kill_after. */
int proc_wait_exit(libdmr_ctx *ctx, const struct proc_ref *p, int timeout_ms,
                   bool kill_after);
int proc_held_wait_exit(libdmr_ctx *ctx, pid_t pid, int pidfd, int timeout_ms,
                        bool kill_after);

/* spawn.c: main(arg, report_fd) in a process that is not the caller's
 * child, run only once the caller holds it (*ret_pidfd, and ret with its
 * start time) and go->before (if any) returned 0 for it (-errno: it is
 * not started, and report[0] is SPAWN_REFUSED). until_exec: also wait
 * until it exec'd (the control socket is close-on-exec) or reported
 * {step, errno} on report_fd before dying. On failure, -errno and
 * report[0] the child's step (0: none), and only once the child is gone. */
#define SPAWN_REFUSED (-1)
struct spawn_go {
    int (*before)(void *arg, const struct proc_ref *child);
    void *arg;
};
int spawn_detached(void (*main_fn)(void *arg, int report_fd), void *arg, bool until_exec,
                   const struct spawn_go *go, struct proc_ref *ret, int *ret_pidfd,
                   int report[2]);
/* QEMU, with exactly the planned descriptors, and its keeper (ret_keeper,
 * set before go->before runs): the process that is QEMU's parent, reaps
 * it the moment it exits, and then exits itself. -ESRCH: it exec'd and
 * died at once (ret and *ret_pidfd are set; nothing is logged: the caller
 * says so, with its log). Other failures are logged, leave no process
 * (the keeper too is waited for, 1 s), and may leave ret naming the dead
 * child (and go->before's record of it). */
int spawn_dm(libdmr_ctx *ctx, const libdmr_plan *plan, const int *resource_fds,
             int out_fd, const struct spawn_go *go, struct proc_ref *ret, int *ret_pidfd,
             struct proc_ref *ret_keeper);

/* logger.c: the per-domain process that drains QEMU's output to its log,
 * holds the guest's serial port (logged too) and serves its console. It
 * ends once QEMU is gone, after the DM's last line: waited for this long. */
#define LOGGER_DRAIN_TIMEOUT_MS 2000
/* The DM's keeper exits the moment it has reaped the DM: one that has not
 * within this is killed. */
#define KEEPER_END_TIMEOUT_MS 1000
struct logger_console {
    int serial;            /* the logger's end of the serial socketpair */
    int listener;          /* the console socket, bound and listening */
};
/* The first byte a console client reads: attached, or why not. */
#define LOGGER_CONSOLE_ATTACHED 'A'
#define LOGGER_CONSOLE_BUSY 'B'       /* another client is attached */
#define LOGGER_CONSOLE_GONE 'G'       /* the serial port has closed (QEMU exits) */
#define LOGGER_CONSOLE_DENIED 'D'     /* not root */
/* console NULL: no serial port. The caller keeps its descriptors (the
 * logger has its own copies) and gets the pipe's write end for QEMU. */
int logger_start(libdmr_ctx *ctx, uint32_t domid, const char *log_path,
                 const struct logger_console *console, int *ret_write_fd,
                 struct proc_ref *ret, int *ret_pidfd);
/* The last lines of a log, for an error message. */
int log_tail(const char *log_path, size_t max_bytes, char **ret);

/* reaper.c: kill every process of a uid, from a uid no DM has. */
/* Whether the kernel counts no task (process, thread or zombie) whose
 * real uid is uid, but the zombies among exited (processes of the uid
 * the caller saw exit, which their parent may not have reaped yet): a
 * forked child takes the uid and forks under RLIMIT_NPROC, in the same
 * time however many processes the host runs. false when it counts some,
 * or could not tell: then read /proc. It does not see a task whose
 * effective or saved uid alone is uid (only root makes one), nor one in a
 * user namespace another user made (the plan's uid_counted says whether
 * that can be; design.md, "Reaping: asking the kernel first"). Each probe
 * ends within PROBE_TIMEOUT_MS (500 ms) even when a process of the uid
 * stops its child; a zombie of exited reaped meanwhile asks again (at
 * most n_exited + 1 probes). */
bool kernel_counts_no_task(uid_t uid, const struct proc_ref *exited, size_t n_exited);
/* How many live processes it killed (their pids in pids), or -errno. The
 * caller holds run_lock: reapers share a real uid and must not overlap. */
int reaper_kill_uid(libdmr_ctx *ctx, uint32_t domid, uid_t dm_uid, uid_t reaper_uid,
                    char *pids, size_t pids_size);

/* state.c: what a running domain is, in /run/xl-dmr/domains/<domid>.json. */
struct dm_state {
    uint32_t domid;
    enum libdmr_backend backend;   /* whose operations carry it */
    bool foreign;          /* recorded for another toolstack, which stops it */
    char *name;
    long memory_mb;
    long vcpus;
    struct proc_ref dm;
    struct proc_ref logger;
    struct proc_ref keeper;    /* qemu backend: the DM's parent, which reaps it (spawn.c) */
    struct proc_ref watcher;       /* watcher.c's root parent; pid 0: none */
    /* The guest's run state (state_run_write): 'p', 's', 'c', or 0. */
    char run;
    char *qmp_path;
    char *console_path;    /* the logger's console socket; NULL: no serial port */
    char *qmp_events_path; /* the watcher's monitor; NULL: none (an older state) */
    char *chroot;
    char *log_path;
    uid_t dm_uid;
    gid_t dm_gid;
    char *dm_user;
    char *source;
    bool kill_by_uid;
    bool uid_counted;      /* the plan's: the kernel's count of its tasks sees them all */
    bool has_reaper;
    uid_t reaper_uid;
    struct dm_pci pci;     /* as pci-attach/-detach last left it */
    bool starting;         /* reserved by a create still starting its DM */
    struct proc_ref creator;  /* that create */
    /* What the audit holds the DM to, from its plan (unknown in a state
     * file older than the audit). */
    bool expect_known;
    bool restricted, sandbox, chroot_tmpfs;
    bool xen_interfaces;   /* qemu-xen: Xen's device nodes are its own */
    bool serial_pty;       /* its own pty for the guest's serial (serial="pty") */
    size_t taps;           /* NICs whose /dev/net/tun it holds (xen: opens itself) */
    struct strv tap_names; /* qemu backend: the taps the toolstack made for it */
    char *vnc_address;     /* where its own VNC server listens; NULL: none */
    unsigned vnc_port_min, vnc_port_max;
    struct plan_rlimit rlimits[8];
    size_t n_rlimits;
    struct strv resources; /* paths of the descriptors it was given (its serial
                            * socketpair end as "socket:[INODE]") */
};
/* watcher.c: the per-domain watcher (qemu backend), started before the
 * guest first runs; s->watcher names it. 0 or -errno (logged). */
enum { W_READY = 'k', W_POWEROFF = 'P', W_REBOOT = 'R', W_CRASH = 'C' };
int watcher_start(libdmr_ctx *ctx, const libdmr_plan *p, struct dm_state *s);
/* lifecycle.c, in the watcher: act on one event as the plan says, under
 * the lock. 1: this watcher is done (the domain is gone or restarted). */
int lifecycle_guest_event(libdmr_ctx *ctx, const libdmr_plan *p, const struct proc_ref *dm,
                          char event);
/* lifecycle.c: destroy the domains whose watcher died and whose guest has
 * stopped or DM is gone (list, create and destroy call it). Takes the lock. */
int lifecycle_reap_unwatched(libdmr_ctx *ctx);
/* reaper.c: a destroyed domain's uid, when its plan kills by uid: 0 or -errno. */
int reap_domain_uid(libdmr_ctx *ctx, const struct dm_state *s);
/* The guest's run state beside the record: 'p' paused, 's' shut down,
 * 'c' crashed (both preserved), 0 running (the file removed). */
int state_run_write(libdmr_ctx *ctx, uint32_t domid, char run);
/* The state's audit expectations, from the plan (before state_write). */
int state_expect_from_plan(struct dm_state *s, const libdmr_plan *plan);
/* The record (N.json); with a plan (the record's first write), then that
 * plan's file (N.plan.json), the record taken back if it cannot be. */
int state_write(libdmr_ctx *ctx, const struct dm_state *s, const libdmr_plan *plan);
/* -ENOENT (logged as "no such domain") when the domain is not running. */
int state_read(libdmr_ctx *ctx, uint32_t domid, struct dm_state *ret);
int state_remove(libdmr_ctx *ctx, uint32_t domid);
/* The state file's text as it is (libdmr_domain_describe). */
int state_text_read(libdmr_ctx *ctx, uint32_t domid, char **ret_text);
/* The plan the record was made from (N.plan.json); *ret_text NULL: none
 * (a record being made or destroyed, or one from before the plan had a
 * file of its own, which holds it as its member "plan"). */
int state_plan_text_read(libdmr_ctx *ctx, uint32_t domid, char **ret_text);
/* Is there a state file for domid (quietly)? */
bool state_exists(uint32_t domid);
/* Save a domain's changed PCI record (<domid>.pci.json, read by state_read). */
int state_pci_write(libdmr_ctx *ctx, uint32_t domid, const struct dm_pci *pci);
/* Every readable state file; one that is not is warned about, or, with
 * skipped, the first is named there instead ("" when none). */
int state_list(libdmr_ctx *ctx, struct dm_state **ret, size_t *ret_n, char *skipped,
               size_t skipped_size);
/* each() for every <domid>.json of the state directory (dirfd, name), until
 * it returns non-zero; no directory, no domains. The one scan of it. */
int state_dir_scan(int (*each)(uint32_t domid, int dirfd, const char *name, void *arg),
                   void *arg);
void state_clear(struct dm_state *s);
void state_list_free(struct dm_state *s, size_t n);

/* The host-wide lock (a flock on /run/xl-dmr). Every create, destroy,
 * record and forget holds it, which also serialises reapers. A context
 * that holds it gets -EDEADLK from run_lock instead of waiting for itself. */
struct held_lock {
    libdmr_ctx *ctx;
    int fd;                /* < 0: not held */
};
int run_lock(libdmr_ctx *ctx, struct held_lock *ret);
/* Take it again after run_unlock (no-op while held). */
int run_relock(struct held_lock *l);
void run_unlock(struct held_lock *l);
#define _cleanup_unlock_ _cleanup_(run_unlock)
/* Remove /run/xl-dmr and its domains directory when empty (under the
 * lock, which run_lock makes them for): nothing outlives the last domain. */
void run_dirs_release(void);

/* The processes that are a device model of this domain (-xen-domid N). */
int proc_pids_of_xen_domid(uint32_t domid, pid_t **ret, size_t *ret_n);

/* pci_hotplug.c: carry out an attach plan on the running DM (held by
 * pidfd); on failure everything done is undone. */
int pci_attach_execute(libdmr_ctx *ctx, struct dm_state *s, int pidfd,
                       const struct pci_attach_plan *ap);

#endif
