/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names a plan's choices go by, in its JSON and text, argv and state. */
#include "internal.h"

const char *plan_source_name(enum libdmr_uid_source s)
{
    static const char *const names[] = {
        [LIBDMR_SOURCE_DEVICE_MODEL_USER] = "device_model_user",
        [LIBDMR_SOURCE_RANGE] = "range",
        [LIBDMR_SOURCE_DOMID_USER] = "domid_user",
        [LIBDMR_SOURCE_SHARED] = "shared",
        [LIBDMR_SOURCE_ROOT] = "root",
    };
    return names[s];
}

const char *plan_backend_name(enum libdmr_backend b)
{
    return b == LIBDMR_BACKEND_XEN ? "xen" : b == LIBDMR_BACKEND_QEMU ? "qemu" : "auto";
}

const char *plan_machine_name(enum libdmr_machine m)
{
    return m == LIBDMR_MACHINE_PC ? "pc" : "q35";
}

const char *plan_accel_name(enum libdmr_accel a)
{
    return a == LIBDMR_ACCEL_KVM ? "kvm" : a == LIBDMR_ACCEL_TCG ? "tcg" : "auto";
}
