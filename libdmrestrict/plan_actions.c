/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the toolstack does when the guest powers off, reboots or crashes
 * (xl.cfg's on_poweroff, on_reboot, on_crash, on_soft_reset): xl's
 * defaults, the values the qemu backend carries, and why it refuses the
 * others. The device model itself never acts: QEMU 7.2's -action turns
 * a reboot into a shutdown, a shutdown into a pause and a panic into a
 * pause, each with its QMP event, so the per-domain watcher decides
 * (watcher.c). Pure.
 */
#include <stdio.h>

#include "internal.h"

static const char *const event_keys[LIBDMR_EVENT_COUNT] = {
    [LIBDMR_EVENT_POWEROFF] = "on_poweroff", [LIBDMR_EVENT_REBOOT] = "on_reboot",
    [LIBDMR_EVENT_CRASH] = "on_crash", [LIBDMR_EVENT_SOFT_RESET] = "on_soft_reset" };

static const char *const action_names[] = {
    [LIBDMR_ACTION_DEFAULT] = "default", [LIBDMR_ACTION_DESTROY] = "destroy",
    [LIBDMR_ACTION_RESTART] = "restart", [LIBDMR_ACTION_PRESERVE] = "preserve",
    [LIBDMR_ACTION_RENAME_RESTART] = "rename-restart",
    [LIBDMR_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
    [LIBDMR_ACTION_COREDUMP_RESTART] = "coredump-restart",
    [LIBDMR_ACTION_SOFT_RESET] = "soft-reset" };

const char *plan_action_name(enum plan_action a)
{
    static const char *const names[] = {
        [PLAN_ACTION_DESTROY] = "destroy", [PLAN_ACTION_RESTART] = "restart",
        [PLAN_ACTION_PRESERVE] = "preserve" };
    return names[a];
}

/* Why a value xl.cfg(5) knows is not carried here. */
static const char *why_not(enum libdmr_action a)
{
    switch (a) {
    case LIBDMR_ACTION_RENAME_RESTART:
        return "xl keeps the old domain under a new name and starts the new one with a new "
               "domid; here the domid and its uid go with the name, so the two cannot both exist";
    case LIBDMR_ACTION_COREDUMP_DESTROY:
    case LIBDMR_ACTION_COREDUMP_RESTART:
        return "a core dump would be QEMU's dump-guest-memory into a file the toolstack "
               "opens and hands over, which is not carried yet";
    case LIBDMR_ACTION_SOFT_RESET:
        return "a soft reset is Xen's (kexec in the guest); QEMU has no such event";
    default:
        return NULL;
    }
}

static int plan_one(const libdmr_config *c, enum libdmr_event e, enum plan_action dflt,
                    enum plan_action *ret, struct plan_verdict *v)
{
    enum libdmr_action a = c->actions[e];
    switch (a) {
    case LIBDMR_ACTION_DEFAULT:   *ret = dflt; return 0;
    case LIBDMR_ACTION_DESTROY:   *ret = PLAN_ACTION_DESTROY; return 0;
    case LIBDMR_ACTION_RESTART:   *ret = PLAN_ACTION_RESTART; return 0;
    case LIBDMR_ACTION_PRESERVE:  *ret = PLAN_ACTION_PRESERVE; return 0;
    default:
        return verdict_refuse(v, LIBDMR_ERROR_REFUSED, "%s=\"%s\" is not carried by the "
                              "qemu backend: %s (destroy, restart and preserve are)",
                              event_keys[e], action_names[a], why_not(a));
    }
}

int plan_actions(const libdmr_config *c, const libdmr_facts *f, libdmr_plan *p)
{
    struct plan_verdict *v = &p->verdict;
    if (p->backend != LIBDMR_BACKEND_QEMU)
        return 0;
    /* xl's defaults (xl_parse.c): destroy, restart, destroy. */
    int r = plan_one(c, LIBDMR_EVENT_POWEROFF, PLAN_ACTION_DESTROY, &p->on_poweroff, v);
    if (!r && !v->refusal_rc)
        r = plan_one(c, LIBDMR_EVENT_REBOOT, PLAN_ACTION_RESTART, &p->on_reboot, v);
    if (!r && !v->refusal_rc)
        r = plan_one(c, LIBDMR_EVENT_CRASH, PLAN_ACTION_DESTROY, &p->on_crash, v);
    if (r || v->refusal_rc)
        return r;
    if (c->actions[LIBDMR_EVENT_SOFT_RESET] != LIBDMR_ACTION_DEFAULT &&
        (r = verdict_notice(v, "on_soft_reset means nothing on the qemu backend: a soft "
                            "reset is Xen's, and QEMU never reports one")))
        return r;
    if (!f->qemu.action)
        return verdict_refuse(v, LIBDMR_ERROR_REFUSED, "%s has no -action reboot=,shutdown=,"
                              "panic= (QEMU 6.0+): the guest's reboot would reset it in place "
                              "and its power-off end the device model before the toolstack "
                              "acts (on_reboot, on_poweroff)", f->qemu.path);
    p->pvpanic = f->qemu.pvpanic;
    if (!p->pvpanic)
        return verdict_warn(v, "%s has no pvpanic device: a guest crash is not seen, so "
                            "on_crash (%s) never acts", f->qemu.path,
                            plan_action_name(p->on_crash));
    return 0;
}
