/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host facts as JSON and back (docs/facts-json.md). The planner is pure,
 * so a saved facts file reproduces a plan exactly: the golden tests and
 * `xl-dmr create -n --facts FILE` rely on that.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"

#define FACTS_FILE_MAX (1u << 20)

static void json_user(yajl_gen g, const char *key, const struct libdmr_user *u)
{
    json_key(g, key);
    if (!u->present) {
        yajl_gen_null(g);
        return;
    }
    yajl_gen_map_open(g);
    json_kstr(g, "name", u->name);
    json_kint(g, "uid", u->uid);
    json_kint(g, "gid", u->gid);
    json_kstr(g, "group", u->group);
    yajl_gen_map_close(g);
}

static void json_subids(yajl_gen g, const char *key, const struct libdmr_subid_ranges *s)
{
    json_key(g, key);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < s->n; i++) {
        yajl_gen_map_open(g);
        json_kstr(g, "owner", s->r[i].owner);
        json_kint(g, "start", (long long)s->r[i].start);
        json_kint(g, "count", (long long)s->r[i].count);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

/* An image; for a qcow2 layer also its header (null: not read). */
static void json_images(yajl_gen g, const libdmr_facts *f)
{
    json_key(g, "images");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < f->n_images; i++) {
        const struct libdmr_image *img = &f->images[i];
        yajl_gen_map_open(g);
        json_kstr(g, "path", img->path);
        json_kstr(g, "format", img->format);
        json_kbool(g, "present", img->present);
        json_kbool(g, "regular", img->regular);
        json_kint(g, "size", (long long)img->size);
        json_key(g, "qcow2");
        if (img->header_read) {
            yajl_gen_map_open(g);
            json_kbool(g, "magic", img->qcow2.magic);
            json_kint(g, "version", img->qcow2.version);
            json_kbool(g, "encrypted", img->qcow2.encrypted);
            json_kbool(g, "data_file", img->qcow2.data_file);
            json_kstr(g, "backing_file", img->qcow2.backing_file);
            json_kstr(g, "backing_fmt", img->qcow2.backing_fmt);
            yajl_gen_map_close(g);
        } else {
            yajl_gen_null(g);
        }
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

static const char *const bridge_states[] = {
    [LIBDMR_BRIDGE_ABSENT] = "absent", [LIBDMR_BRIDGE_OK] = "bridge",
    [LIBDMR_BRIDGE_NOT_A_BRIDGE] = "not-a-bridge",
};

/* qemu backend: each NIC's bridge and tap name, and its random mac. */
static void json_nics(yajl_gen g, const libdmr_facts *f)
{
    if (!f->n_nics)
        return;  /* as before NICs had facts: the golden files stay */
    json_key(g, "nics");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < f->n_nics; i++) {
        const struct libdmr_nic_facts *n = &f->nics[i];
        char mac[18];
        mac_format(n->random_mac, mac);
        yajl_gen_map_open(g);
        json_kstr(g, "bridge", n->bridge);
        json_kstr(g, "bridge_state", bridge_states[n->bridge_state]);
        json_kstr(g, "ifname", n->ifname);
        json_kbool(g, "ifname_in_use", n->ifname_in_use);
        json_kstr(g, "random_mac", mac);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

const char *facts_probe_result_name(enum libdmr_probe_result r)
{
    return r == LIBDMR_PROBE_PASSED ? "passed" : r == LIBDMR_PROBE_FAILED ? "failed" : "unknown";
}

static void json_probe(yajl_gen g, const char *key, const struct libdmr_accel_probe *p)
{
    if (p->result == LIBDMR_PROBE_UNKNOWN && !p->detail)
        return;
    json_key(g, key);
    yajl_gen_map_open(g);
    json_kstr(g, "result", facts_probe_result_name(p->result));
    json_kstr(g, "detail", p->detail);
    yajl_gen_map_close(g);
}

void facts_json_accel(yajl_gen g, const libdmr_facts *f)
{
    json_key(g, "accel_probe");
    yajl_gen_map_open(g);
    json_probe(g, "kvm", &f->kvm_probe);
    json_probe(g, "tcg", &f->tcg_probe);
    yajl_gen_map_close(g);
}

void facts_json_qemu(yajl_gen g, const struct libdmr_qemu_caps *q)
{
    json_key(g, "qemu");
    yajl_gen_map_open(g);
    json_kstr(g, "path", q->path);
    json_kbool(g, "present", q->present);
    json_kbool(g, "runas", q->runas);
    json_kbool(g, "chroot", q->chroot);
    json_kbool(g, "run_with_user", q->run_with_user);
    json_kbool(g, "run_with_chroot", q->run_with_chroot);
    json_kbool(g, "sandbox", q->sandbox);
    json_kbool(g, "root_port_hotplug", q->root_port_hotplug);
    json_kbool(g, "vfio_iommufd", q->vfio_iommufd);
    json_kbool(g, "action", q->action);
    json_kbool(g, "pvpanic", q->pvpanic);
    json_key(g, "machines");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < q->machines.n; i++)
        json_str(g, q->machines.v[i]);
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}

static void json_pci(yajl_gen g, const libdmr_facts *f)
{
    json_key(g, "vfio_container");
    if (f->vfio_container) {
        yajl_gen_map_open(g);
        json_kint(g, "major", f->vfio_major);
        json_kint(g, "minor", f->vfio_minor);
        yajl_gen_map_close(g);
    } else {
        yajl_gen_null(g);
    }
    json_key(g, "memlock_hard");
    if (f->memlock_hard == UINT64_MAX)
        json_str(g, "unlimited");
    else
        yajl_gen_integer(g, (long long)f->memlock_hard);
    json_kbool(g, "cap_sys_resource", f->cap_sys_resource);
    json_kstr(g, "iommu_dev", f->iommu_dev);
    json_kstr(g, "pci_standin", f->pci_standin);
    json_key(g, "pci");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < f->n_pci; i++) {
        const struct libdmr_pci_host *h = &f->pci[i];
        yajl_gen_map_open(g);
        json_kstr(g, "bdf", h->bdf);
        json_kbool(g, "present", h->present);
        json_kstr(g, "sysfs_dir", h->sysfs_dir);
        json_kstr(g, "driver", h->driver);
        json_key(g, "iommu_group");
        if (h->has_group)
            yajl_gen_integer(g, h->group);
        else
            yajl_gen_null(g);
        json_key(g, "group_node");
        if (h->group_node) {
            yajl_gen_map_open(g);
            json_kint(g, "major", h->group_major);
            json_kint(g, "minor", h->group_minor);
            yajl_gen_map_close(g);
        } else {
            yajl_gen_null(g);
        }
        json_kstr(g, "vfio_cdev", h->vfio_cdev);
        json_key(g, "members");
        yajl_gen_array_open(g);
        for (size_t j = 0; j < h->n_members; j++) {
            yajl_gen_map_open(g);
            json_kstr(g, "bdf", h->members[j].bdf);
            json_kstr(g, "driver", h->members[j].driver);
            json_kbool(g, "bridge", h->members[j].bridge);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

/* "firmware": only when gathered (bios = "ovmf", rtc_timeoffset). */
static void json_firmware(yajl_gen g, const struct libdmr_fw_facts *fw)
{
    if (!fw->n_descriptors && !fw->nvram.filename && !fw->clock_known)
        return;
    json_key(g, "firmware");
    yajl_gen_map_open(g);
    json_key(g, "descriptors");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < fw->n_descriptors; i++)
        fw_descriptor_gen(g, &fw->descriptors[i]);
    yajl_gen_array_close(g);
    if (fw->nvram.filename) {
        json_key(g, "nvram");
        yajl_gen_map_open(g);
        json_kstr(g, "filename", fw->nvram.filename);
        json_kbool(g, "present", fw->nvram.present);
        json_kint(g, "size", (long long)fw->nvram.size);
        yajl_gen_map_close(g);
    }
    if (fw->clock_known) {
        json_key(g, "clock");
        yajl_gen_map_open(g);
        json_kint(g, "now", (long long)fw->now);
        json_kint(g, "local_offset", fw->local_offset);
        yajl_gen_map_close(g);
    }
    yajl_gen_map_close(g);
}

int libdmr_facts_to_json(libdmr_ctx *ctx, const libdmr_facts *f, char **ret_json)
{
    if (!ctx || !f || !ret_json)
        return LIBDMR_ERROR_INVAL;
    yajl_gen g = json_begin();
    if (!g)
        return LIBDMR_ERROR_NOMEM;
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    json_kint(g, "domid", f->domid);
    json_kbool(g, "xen_dom0", f->xen_dom0);
    json_kbool(g, "kvm_usable", f->kvm_usable);
    json_kbool(g, "cpu_lacks_virt", f->cpu_lacks_virt);
    facts_json_accel(g, f);
    json_key(g, "domids_in_use");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < f->n_domids_in_use; i++)
        yajl_gen_integer(g, f->domids_in_use[i]);
    yajl_gen_array_close(g);
    json_key(g, "users");
    yajl_gen_map_open(g);
    json_user(g, "device_model_user", &f->device_model_user);
    json_user(g, "range_base", &f->range_base);
    json_user(g, "range_uid_owner", &f->range_uid_owner);
    json_user(g, "domid_user", &f->domid_user);
    json_user(g, "shared", &f->shared);
    json_user(g, "reaper", &f->reaper);
    yajl_gen_map_close(g);
    json_kint(g, "device_model_user_processes", f->device_model_user_processes);
    json_subids(g, "subuid", &f->subuid);
    json_subids(g, "subgid", &f->subgid);
    facts_json_qemu(g, &f->qemu);
    json_images(g, f);
    json_pci(g, f);
    json_firmware(g, &f->fw);
    json_nics(g, f);
    yajl_gen_map_close(g);
    return json_finish(g, ret_json);
}

/* ---- reading back: strict, every member typed; absent means default --- */

struct reader {
    libdmr_ctx *ctx;
    int rc;
};

static yajl_val member(yajl_val obj, const char *key)
{
    const char *path[] = { key, NULL };
    return yajl_tree_get(obj, path, yajl_t_any);
}

static int bad(struct reader *rd, const char *what)
{
    libdmr_ctx *ctx = rd->ctx;
    if (!rd->rc)
        LOG(ERROR, "facts JSON: %s", what);
    rd->rc = LIBDMR_ERROR_INVAL;
    return rd->rc;
}

static bool get_bool(struct reader *rd, yajl_val obj, const char *key)
{
    yajl_val v = member(obj, key);
    if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
        bad(rd, key);
    return v && YAJL_IS_TRUE(v);
}

static uint64_t get_uint(struct reader *rd, yajl_val obj, const char *key, uint64_t max)
{
    yajl_val v = member(obj, key);
    if (!v)
        return 0;
    if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 || (uint64_t)YAJL_GET_INTEGER(v) > max) {
        bad(rd, key);
        return 0;
    }
    return YAJL_GET_INTEGER(v);
}

static char *get_str(struct reader *rd, yajl_val obj, const char *key)
{
    yajl_val v = member(obj, key);
    if (!v || YAJL_IS_NULL(v))
        return NULL;
    if (!YAJL_IS_STRING(v)) {
        bad(rd, key);
        return NULL;
    }
    const char *sv = YAJL_GET_STRING(v);
    char *s = strdup(sv ? sv : "");
    if (!s)
        rd->rc = LIBDMR_ERROR_NOMEM;
    return s;
}

static yajl_val get_array(struct reader *rd, yajl_val obj, const char *key)
{
    yajl_val v = member(obj, key);
    if (v && !YAJL_IS_ARRAY(v)) {
        bad(rd, key);
        return NULL;
    }
    return v;
}

static void read_user(struct reader *rd, yajl_val users, const char *key, struct libdmr_user *u)
{
    yajl_val v = users ? member(users, key) : NULL;
    if (!v || YAJL_IS_NULL(v))
        return;
    if (!YAJL_IS_OBJECT(v)) {
        bad(rd, key);
        return;
    }
    u->present = true;
    u->name = get_str(rd, v, "name");
    u->uid = get_uint(rd, v, "uid", UINT32_MAX);
    u->gid = get_uint(rd, v, "gid", UINT32_MAX);
    u->group = get_str(rd, v, "group");
    if (!u->name)
        bad(rd, "a user without a name");
}

static void read_subids(struct reader *rd, yajl_val root, const char *key,
                        struct libdmr_subid_ranges *s)
{
    yajl_val a = get_array(rd, root, key);
    size_t n = a ? YAJL_GET_ARRAY(a)->len : 0;
    if (!n || !(s->r = calloc(n, sizeof(*s->r))))
        return (void)(n && (rd->rc = LIBDMR_ERROR_NOMEM));
    for (size_t i = 0; i < n; i++, s->n++) {
        yajl_val e = YAJL_GET_ARRAY(a)->values[i];
        s->r[i].owner = get_str(rd, e, "owner");
        s->r[i].start = get_uint(rd, e, "start", UINT32_MAX);
        s->r[i].count = get_uint(rd, e, "count", UINT32_MAX);
    }
}

static void read_qemu(struct reader *rd, yajl_val root, struct libdmr_qemu_caps *q)
{
    yajl_val v = member(root, "qemu");
    if (!v || !YAJL_IS_OBJECT(v))
        return (void)(v && bad(rd, "qemu"));
    q->path = get_str(rd, v, "path");
    q->present = get_bool(rd, v, "present");
    q->runas = get_bool(rd, v, "runas");
    q->chroot = get_bool(rd, v, "chroot");
    q->run_with_user = get_bool(rd, v, "run_with_user");
    q->run_with_chroot = get_bool(rd, v, "run_with_chroot");
    q->sandbox = get_bool(rd, v, "sandbox");
    q->root_port_hotplug = get_bool(rd, v, "root_port_hotplug");
    q->vfio_iommufd = get_bool(rd, v, "vfio_iommufd");
    q->action = get_bool(rd, v, "action");
    q->pvpanic = get_bool(rd, v, "pvpanic");
    yajl_val m = get_array(rd, v, "machines");
    for (size_t i = 0; m && i < YAJL_GET_ARRAY(m)->len; i++) {
        yajl_val e = YAJL_GET_ARRAY(m)->values[i];
        if (!YAJL_IS_STRING(e) || strv_push(&q->machines, YAJL_GET_STRING(e)))
            bad(rd, "qemu.machines");
    }
}

static void read_qcow2(struct reader *rd, yajl_val v, struct libdmr_image *img)
{
    if (!v || YAJL_IS_NULL(v))
        return;
    if (!YAJL_IS_OBJECT(v)) {
        bad(rd, "qcow2");
        return;
    }
    struct libdmr_qcow2_header *h = &img->qcow2;
    img->header_read = true;
    h->magic = get_bool(rd, v, "magic");
    h->version = get_uint(rd, v, "version", UINT32_MAX);
    h->encrypted = get_bool(rd, v, "encrypted");
    h->data_file = get_bool(rd, v, "data_file");
    h->backing_file = get_str(rd, v, "backing_file");
    h->backing_fmt = get_str(rd, v, "backing_fmt");
}

static void read_images(struct reader *rd, yajl_val root, libdmr_facts *f)
{
    yajl_val a = get_array(rd, root, "images");
    size_t n = a ? YAJL_GET_ARRAY(a)->len : 0;
    if (!n || !(f->images = calloc(n, sizeof(*f->images))))
        return (void)(n && (rd->rc = LIBDMR_ERROR_NOMEM));
    for (size_t i = 0; i < n; i++, f->n_images++) {
        yajl_val e = YAJL_GET_ARRAY(a)->values[i];
        f->images[i].path = get_str(rd, e, "path");
        f->images[i].present = get_bool(rd, e, "present");
        f->images[i].regular = get_bool(rd, e, "regular");
        f->images[i].size = get_uint(rd, e, "size", INT64_MAX);
        f->images[i].format = get_str(rd, e, "format");
        read_qcow2(rd, member(e, "qcow2"), &f->images[i]);
        if (!f->images[i].path)
            bad(rd, "an image without a path");
    }
}

static void read_mac(struct reader *rd, yajl_val e, uint8_t ret[6])
{
    _cleanup_free_ char *text = get_str(rd, e, "random_mac");
    unsigned b[6];
    int end = -1;
    if (!text || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4],
                        &b[5], &end) != 6 || end != 17 || text[end]) {
        bad(rd, "nics: random_mac");
        return;
    }
    for (size_t i = 0; i < 6; i++)
        ret[i] = b[i];
}

static void read_nics(struct reader *rd, yajl_val root, libdmr_facts *f)
{
    yajl_val a = get_array(rd, root, "nics");
    size_t n = a ? YAJL_GET_ARRAY(a)->len : 0;
    if (!n || !(f->nics = calloc(n, sizeof(*f->nics))))
        return (void)(n && (rd->rc = LIBDMR_ERROR_NOMEM));
    for (size_t i = 0; i < n; i++, f->n_nics++) {
        yajl_val e = YAJL_GET_ARRAY(a)->values[i];
        struct libdmr_nic_facts *nf = &f->nics[i];
        nf->bridge = get_str(rd, e, "bridge");
        nf->ifname = get_str(rd, e, "ifname");
        nf->ifname_in_use = get_bool(rd, e, "ifname_in_use");
        _cleanup_free_ char *state = get_str(rd, e, "bridge_state");
        size_t k = 0;
        while (state && k < ELEMENTSOF(bridge_states) && strcmp(state, bridge_states[k]))
            k++;
        if (!nf->bridge || !nf->ifname || !state || k == ELEMENTSOF(bridge_states))
            bad(rd, "nics: a NIC needs bridge, bridge_state and ifname");
        else
            nf->bridge_state = k;
        read_mac(rd, e, nf->random_mac);
    }
}

static bool read_node(struct reader *rd, yajl_val v, unsigned *major_r, unsigned *minor_r)
{
    if (!v || YAJL_IS_NULL(v))
        return false;
    if (!YAJL_IS_OBJECT(v)) {
        bad(rd, "a device node");
        return false;
    }
    *major_r = get_uint(rd, v, "major", UINT32_MAX);
    *minor_r = get_uint(rd, v, "minor", UINT32_MAX);
    return true;
}

static void read_pci_host(struct reader *rd, yajl_val e, struct libdmr_pci_host *h)
{
    h->bdf = get_str(rd, e, "bdf");
    h->present = get_bool(rd, e, "present");
    h->sysfs_dir = get_str(rd, e, "sysfs_dir");
    h->driver = get_str(rd, e, "driver");
    yajl_val group = member(e, "iommu_group");
    if (group && !YAJL_IS_NULL(group)) {
        h->has_group = true;
        h->group = get_uint(rd, e, "iommu_group", UINT32_MAX);
    }
    h->group_node = read_node(rd, member(e, "group_node"), &h->group_major, &h->group_minor);
    h->vfio_cdev = get_str(rd, e, "vfio_cdev");
    yajl_val m = get_array(rd, e, "members");
    size_t n = m ? YAJL_GET_ARRAY(m)->len : 0;
    if (n && !(h->members = calloc(n, sizeof(*h->members)))) {
        rd->rc = LIBDMR_ERROR_NOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++, h->n_members++) {
        yajl_val x = YAJL_GET_ARRAY(m)->values[i];
        h->members[i].bdf = get_str(rd, x, "bdf");
        h->members[i].driver = get_str(rd, x, "driver");
        h->members[i].bridge = get_bool(rd, x, "bridge");
    }
    if (!h->bdf)
        bad(rd, "a pci device without a bdf");
}

static void read_pci(struct reader *rd, yajl_val root, libdmr_facts *f)
{
    f->vfio_container = read_node(rd, member(root, "vfio_container"), &f->vfio_major, &f->vfio_minor);
    yajl_val ml = member(root, "memlock_hard");
    const char *word = ml && YAJL_IS_STRING(ml) ? YAJL_GET_STRING(ml) : NULL;
    f->memlock_hard = !ml || (word && !strcmp(word, "unlimited"))
                          ? UINT64_MAX : get_uint(rd, root, "memlock_hard", INT64_MAX);
    f->cap_sys_resource = get_bool(rd, root, "cap_sys_resource");
    f->iommu_dev = get_str(rd, root, "iommu_dev");
    f->pci_standin = get_str(rd, root, "pci_standin");
    yajl_val a = get_array(rd, root, "pci");
    size_t n = a ? YAJL_GET_ARRAY(a)->len : 0;
    if (n && !(f->pci = calloc(n, sizeof(*f->pci)))) {
        rd->rc = LIBDMR_ERROR_NOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++, f->n_pci++)
        read_pci_host(rd, YAJL_GET_ARRAY(a)->values[i], &f->pci[i]);
}

static void read_domids(struct reader *rd, yajl_val root, libdmr_facts *f)
{
    yajl_val a = get_array(rd, root, "domids_in_use");
    size_t n = a ? YAJL_GET_ARRAY(a)->len : 0;
    if (!n || !(f->domids_in_use = calloc(n, sizeof(*f->domids_in_use))))
        return (void)(n && (rd->rc = LIBDMR_ERROR_NOMEM));
    for (size_t i = 0; i < n; i++) {
        yajl_val e = YAJL_GET_ARRAY(a)->values[i];
        if (!YAJL_IS_INTEGER(e) || YAJL_GET_INTEGER(e) < 0 || YAJL_GET_INTEGER(e) > UINT32_MAX)
            return (void)bad(rd, "domids_in_use");
        f->domids_in_use[f->n_domids_in_use++] = YAJL_GET_INTEGER(e);
    }
}

static void read_probe(struct reader *rd, yajl_val probes, const char *key,
                       struct libdmr_accel_probe *p)
{
    yajl_val v = probes ? member(probes, key) : NULL;
    if (!v || YAJL_IS_NULL(v))
        return;
    if (!YAJL_IS_OBJECT(v))
        return (void)bad(rd, key);
    _cleanup_free_ char *result = get_str(rd, v, "result");
    p->detail = get_str(rd, v, "detail");
    for (int r = LIBDMR_PROBE_UNKNOWN; result && r <= LIBDMR_PROBE_FAILED; r++)
        if (!strcmp(result, facts_probe_result_name(r)))
            return (void)(p->result = r);
    bad(rd, "accel_probe result (unknown, passed or failed)");
}

static void read_accel(struct reader *rd, yajl_val root, libdmr_facts *f)
{
    yajl_val v = member(root, "accel_probe");
    if (v && !YAJL_IS_OBJECT(v))
        return (void)bad(rd, "accel_probe");
    read_probe(rd, v, "kvm", &f->kvm_probe);
    read_probe(rd, v, "tcg", &f->tcg_probe);
}

int facts_json_read_accel(libdmr_ctx *ctx, yajl_val root, libdmr_facts *f)
{
    struct reader rd = { .ctx = ctx };
    read_accel(&rd, root, f);
    return rd.rc;
}

int facts_json_read_qemu(libdmr_ctx *ctx, yajl_val root, struct libdmr_qemu_caps *q)
{
    struct reader rd = { .ctx = ctx };
    read_qemu(&rd, root, q);
    return rd.rc;
}

static long long get_int(struct reader *rd, yajl_val obj, const char *key)
{
    yajl_val v = member(obj, key);
    if (v && !YAJL_IS_INTEGER(v))
        bad(rd, key);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

static void read_firmware(struct reader *rd, yajl_val root, struct libdmr_fw_facts *fw)
{
    yajl_val v = member(root, "firmware");
    if (!v || !YAJL_IS_OBJECT(v))
        return (void)(v && bad(rd, "firmware"));
    yajl_val a = get_array(rd, v, "descriptors");
    size_t n = a ? YAJL_GET_ARRAY(a)->len : 0;
    if (n && !(fw->descriptors = calloc(n, sizeof(*fw->descriptors))))
        return (void)(rd->rc = LIBDMR_ERROR_NOMEM);
    for (size_t i = 0; i < n && !rd->rc; i++, fw->n_descriptors++)
        if (fw_descriptor_parse(YAJL_GET_ARRAY(a)->values[i], &fw->descriptors[i]) ||
            !fw->descriptors[i].path)
            bad(rd, "firmware.descriptors");
    yajl_val nv = member(v, "nvram");
    if (nv && YAJL_IS_OBJECT(nv)) {
        fw->nvram.filename = get_str(rd, nv, "filename");
        fw->nvram.present = get_bool(rd, nv, "present");
        fw->nvram.size = get_uint(rd, nv, "size", UINT64_MAX >> 1);
        if (!fw->nvram.filename)
            bad(rd, "firmware.nvram.filename");
    }
    yajl_val clock = member(v, "clock");
    if (clock && YAJL_IS_OBJECT(clock)) {
        fw->clock_known = true;
        fw->now = get_int(rd, clock, "now");
        fw->local_offset = get_int(rd, clock, "local_offset");
    }
}

int libdmr_facts_from_json(libdmr_ctx *ctx, const char *json, libdmr_facts **ret_facts)
{
    if (!ctx || !json || !ret_facts)
        return LIBDMR_ERROR_INVAL;
    char err[256] = "";
    yajl_val root = yajl_tree_parse(json, err, sizeof(err));
    if (!root || !YAJL_IS_OBJECT(root)) {
        err[strcspn(err, "\n")] = '\0';  /* yajl's first line */
        LOG(ERROR, "facts JSON: %s", root ? "not an object" : err);
        yajl_tree_free(root);
        return LIBDMR_ERROR_INVAL;
    }
    libdmr_facts *f = calloc(1, sizeof(*f));
    if (!f) {
        yajl_tree_free(root);
        return LIBDMR_ERROR_NOMEM;
    }
    struct reader rd = { .ctx = ctx };
    f->domid = get_uint(&rd, root, "domid", UINT32_MAX);
    f->xen_dom0 = get_bool(&rd, root, "xen_dom0");
    f->kvm_usable = get_bool(&rd, root, "kvm_usable");
    f->cpu_lacks_virt = get_bool(&rd, root, "cpu_lacks_virt");
    read_accel(&rd, root, f);
    read_domids(&rd, root, f);
    yajl_val users = member(root, "users");
    if (users && !YAJL_IS_OBJECT(users))
        bad(&rd, "users");
    else {
        read_user(&rd, users, "device_model_user", &f->device_model_user);
        read_user(&rd, users, "range_base", &f->range_base);
        read_user(&rd, users, "range_uid_owner", &f->range_uid_owner);
        read_user(&rd, users, "domid_user", &f->domid_user);
        read_user(&rd, users, "shared", &f->shared);
        read_user(&rd, users, "reaper", &f->reaper);
    }
    f->device_model_user_processes = get_uint(&rd, root, "device_model_user_processes",
                                              UINT32_MAX);
    read_subids(&rd, root, "subuid", &f->subuid);
    read_subids(&rd, root, "subgid", &f->subgid);
    read_qemu(&rd, root, &f->qemu);
    if (!rd.rc && f->qemu.present && !f->qemu.path)
        bad(&rd, "qemu.path");
    read_images(&rd, root, f);
    read_pci(&rd, root, f);
    read_firmware(&rd, root, &f->fw);
    read_nics(&rd, root, f);
    yajl_tree_free(root);
    if (rd.rc) {
        libdmr_facts_free(f);
        return rd.rc;
    }
    *ret_facts = f;
    return 0;
}

int libdmr_facts_load(libdmr_ctx *ctx, const char *path, libdmr_facts **ret_facts)
{
    if (!ctx || !path || !ret_facts)
        return LIBDMR_ERROR_INVAL;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        LOGE(ERROR, "cannot open facts file %s", path);
        return libdmr_error_from_errno(-errno);
    }
    if (!S_ISREG(st.st_mode) || st.st_size > FACTS_FILE_MAX) {
        LOG(ERROR, "facts file %s: not a regular file of at most 1 MiB", path);
        return LIBDMR_ERROR_INVAL;
    }
    _cleanup_free_ char *buf = malloc(st.st_size + 1);
    if (!buf)
        return LIBDMR_ERROR_NOMEM;
    ssize_t n = read(fd, buf, st.st_size);
    if (n != st.st_size) {
        LOGE(ERROR, "reading facts file %s", path);
        return LIBDMR_ERROR_FAIL;
    }
    buf[n] = '\0';
    return libdmr_facts_from_json(ctx, buf, ret_facts);
}
