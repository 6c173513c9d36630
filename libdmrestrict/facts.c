/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Gathering the host facts a plan needs: each kind by its own module. */
#include <string.h>

#include "internal.h"

int libdmr_facts_gather(libdmr_ctx *ctx, const libdmr_config *config,
                        libdmr_facts **ret_facts)
{
    if (!ctx || !config || !ret_facts)
        return LIBDMR_ERROR_INVAL;
    libdmr_facts *f = calloc(1, sizeof(*f));
    if (!f)
        return LIBDMR_ERROR_NOMEM;

    /* Domains first: the users to look up depend on the domid. */
    int rc = facts_domains_gather(ctx, config, f);
    if (!rc) rc = facts_users_gather(ctx, config, f);
    if (!rc) rc = facts_subid_gather(ctx, f);
    if (!rc) rc = facts_qemu_gather(ctx, config, f);
    if (!rc) rc = facts_images_gather(ctx, config, f);
    if (!rc) rc = facts_pci_gather(ctx, config, f);
    if (!rc) rc = facts_firmware_gather(ctx, config, f);
    if (!rc) rc = facts_net_gather(ctx, config, f);
    if (rc) {
        libdmr_facts_free(f);
        return rc;
    }
    *ret_facts = f;
    return 0;
}

void facts_user_clear(struct libdmr_user *u)
{
    free(u->name);
    free(u->group);
    memset(u, 0, sizeof(*u));
}

static void subid_ranges_clear(struct libdmr_subid_ranges *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->r[i].owner);
    free(s->r);
    s->r = NULL;
    s->n = 0;
}

void libdmr_facts_free(libdmr_facts *f)
{
    if (!f)
        return;
    facts_clear(f);
    free(f);
}

void facts_clear(libdmr_facts *f)
{
    free(f->domids_in_use);
    facts_user_clear(&f->device_model_user);
    facts_user_clear(&f->range_base);
    facts_user_clear(&f->range_uid_owner);
    facts_user_clear(&f->domid_user);
    facts_user_clear(&f->shared);
    facts_user_clear(&f->reaper);
    subid_ranges_clear(&f->subuid);
    subid_ranges_clear(&f->subgid);
    free(f->qemu.path);
    strv_clear(&f->qemu.machines);
    free(f->kvm_probe.detail);
    free(f->tcg_probe.detail);
    for (size_t i = 0; i < f->n_images; i++) {
        free(f->images[i].path);
        free(f->images[i].format);
        free(f->images[i].qcow2.backing_file);
        free(f->images[i].qcow2.backing_fmt);
    }
    free(f->images);
    facts_pci_clear(f);
    facts_firmware_clear(&f->fw);
    facts_net_clear(f);
}
