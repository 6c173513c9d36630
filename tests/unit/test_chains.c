/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qcow2 backing chains on fabricated facts: the planner turns a disk's
 * chain into one read-only resource per layer below the top, linked top
 * to bottom, or refuses the chain naming the layer at fault. Also the
 * pure rules the gatherer and the planner share: where a backing name
 * resolves, and which names QEMU reads as a protocol.
 */
#include "testutil.h"

/* A layer as facts_images.c would record it: a qcow2 layer has its header
 * (backing_file, backing_fmt), a raw one none; absent: not there. */
struct layer {
    const char *path, *format, *backing_file, *backing_fmt;
    bool absent, not_qcow2, encrypted, data_file;
};

struct chain_case {
    const char *name;
    const char *target;        /* the cfg's disk */
    enum libdmr_disk_format format;
    bool readwrite, cdrom;
    struct layer layers[20];
    int rc;                    /* the refusal's code, 0: planned */
    const char *refusal;       /* a part of its message */
    const char *chain[20];     /* planned: the resource paths, top first */
};

#define Q(p, bf, fmt) { .path = (p), .format = "qcow2", .backing_file = (bf), .backing_fmt = (fmt) }
#define R(p) { .path = (p), .format = "raw" }

static const struct chain_case cases[] = {
    { "three-layer-chain", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/top.qcow2", "mid.qcow2", "qcow2"), Q("/srv/vm/mid.qcow2", "/srv/base/base.raw", "raw"),
        R("/srv/base/base.raw") },
      0, NULL, { "/srv/vm/top.qcow2", "/srv/vm/mid.qcow2", "/srv/base/base.raw" } },
    { "relative-names-resolve-against-the-overlay", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/top.qcow2", "./layers//mid.qcow2", "qcow2"),
        Q("/srv/vm/layers/mid.qcow2", "../../base/base.raw", "raw"), R("/srv/vm/layers/../../base/base.raw") },
      0, NULL, { "/srv/vm/top.qcow2", "/srv/vm/layers/mid.qcow2", "/srv/vm/layers/../../base/base.raw" } },
    { "qcow2-without-backing-is-one-layer", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/top.qcow2", NULL, NULL) }, 0, NULL, { "/srv/vm/top.qcow2" } },
    { "raw-ends-the-chain", "/srv/vm/disk.raw", LIBDMR_FORMAT_RAW, true, false,
      { R("/srv/vm/disk.raw") }, 0, NULL, { "/srv/vm/disk.raw" } },
    { "missing-layer-is-named", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/top.qcow2", "mid.qcow2", "qcow2"), Q("/srv/vm/mid.qcow2", "gone.raw", "raw"),
        { .path = "/srv/vm/gone.raw", .format = "raw", .absent = true } },
      LIBDMR_ERROR_NOTFOUND, "backing layer /srv/vm/gone.raw (named by /srv/vm/mid.qcow2) does not exist", { NULL } },
    { "layer-not-in-the-facts-is-missing", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/top.qcow2", "elsewhere.raw", "raw") },
      LIBDMR_ERROR_NOTFOUND, "backing layer /srv/vm/elsewhere.raw (named by /srv/vm/top.qcow2)", { NULL } },
    { "loop-is-named", "/srv/vm/a.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/a.qcow2", "b.qcow2", "qcow2"), Q("/srv/vm/b.qcow2", "./a.qcow2", "qcow2") },
      LIBDMR_ERROR_INVAL, "the backing chain loops: /srv/vm/b.qcow2 names /srv/vm/a.qcow2", { NULL } },
    { "self-loop", "/srv/vm/a.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/a.qcow2", "a.qcow2", "qcow2") },
      LIBDMR_ERROR_INVAL, "loops: /srv/vm/a.qcow2 names /srv/vm/a.qcow2", { NULL } },
    { "no-backing-fmt-is-named", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/top.qcow2", "mid.qcow2", "qcow2"), Q("/srv/vm/mid.qcow2", "base.raw", NULL),
        R("/srv/vm/base.raw") },
      LIBDMR_ERROR_INVAL, "/srv/vm/mid.qcow2 names its backing file base.raw without its format", { NULL } },
    { "unknown-backing-fmt", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/top.qcow2", "base.vmdk", "vmdk") },
      LIBDMR_ERROR_INVAL, "names backing file base.vmdk of format vmdk", { NULL } },
    { "protocol-backing-name", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/top.qcow2", "nbd:localhost:10809", "raw") },
      LIBDMR_ERROR_INVAL, "nbd:localhost:10809, which QEMU reads as a protocol", { NULL } },
    { "not-qcow2-is-never-probed", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { { .path = "/srv/vm/top.qcow2", .format = "qcow2", .not_qcow2 = true } },
      LIBDMR_ERROR_INVAL, "/srv/vm/top.qcow2 is not a qcow2 image", { NULL } },
    { "encrypted-layer", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/srv/vm/top.qcow2", "mid.qcow2", "qcow2"),
        { .path = "/srv/vm/mid.qcow2", .format = "qcow2", .encrypted = true } },
      LIBDMR_ERROR_INVAL, "/srv/vm/mid.qcow2 is an encrypted qcow2 image", { NULL } },
    { "data-file-layer", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2, true, false,
      { { .path = "/srv/vm/top.qcow2", .format = "qcow2", .data_file = true } },
      LIBDMR_ERROR_INVAL, "/srv/vm/top.qcow2 has an external data file (data-file)", { NULL } },
    { "cdrom-with-backing", "/srv/vm/cd.qcow2", LIBDMR_FORMAT_QCOW2, false, true,
      { Q("/srv/vm/cd.qcow2", "cd.raw", "raw"), R("/srv/vm/cd.raw") },
      LIBDMR_ERROR_INVAL, "cdrom hdc: /srv/vm/cd.qcow2 has a backing file (cd.raw)", { NULL } },
    { "seventeen-layers-too-deep", "/c/l0", LIBDMR_FORMAT_QCOW2, true, false,
      { Q("/c/l0", "l1", "qcow2"), Q("/c/l1", "l2", "qcow2"), Q("/c/l2", "l3", "qcow2"),
        Q("/c/l3", "l4", "qcow2"), Q("/c/l4", "l5", "qcow2"), Q("/c/l5", "l6", "qcow2"),
        Q("/c/l6", "l7", "qcow2"), Q("/c/l7", "l8", "qcow2"), Q("/c/l8", "l9", "qcow2"),
        Q("/c/l9", "l10", "qcow2"), Q("/c/l10", "l11", "qcow2"), Q("/c/l11", "l12", "qcow2"),
        Q("/c/l12", "l13", "qcow2"), Q("/c/l13", "l14", "qcow2"), Q("/c/l14", "l15", "qcow2"),
        Q("/c/l15", "l16", "qcow2"), R("/c/l16") },
      LIBDMR_ERROR_INVAL, "deeper than 16 layers (/c/l15 names /c/l16)", { NULL } },
};

static void facts_fill(const struct chain_case *t, libdmr_facts *f, struct libdmr_image *imgs)
{
    *f = (libdmr_facts){ .images = imgs };
    for (const struct layer *l = t->layers; l->path; l++, f->n_images++) {
        struct libdmr_image *img = &imgs[f->n_images];
        bool qcow2 = !strcmp(l->format, "qcow2");
        *img = (struct libdmr_image){
            .path = (char *)l->path, .format = (char *)l->format, .present = !l->absent,
            .regular = !l->absent, .size = l->absent ? 0 : 1 << 20,
            .header_read = qcow2 && !l->absent,
            .qcow2 = { .magic = !l->not_qcow2, .version = 3, .encrypted = l->encrypted,
                       .data_file = l->data_file, .backing_file = (char *)l->backing_file,
                       .backing_fmt = (char *)l->backing_fmt },
        };
    }
}

/* What plan_resources put in the plan. */
/* What the stage put in a plan on the stack, freed as the library frees a plan. */
static void plan_drop(libdmr_plan *p)
{
    libdmr_plan *heap = malloc(sizeof(*heap));
    assert_non_null(heap);
    *heap = *p;
    libdmr_plan_free(heap);
}

static void run_chain_case(void **state)
{
    const struct chain_case *t = *state;
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    libdmr_config *c = NULL;
    assert_int_equal(libdmr_config_new(ctx, "chain1", &c), 0);
    assert_int_equal(libdmr_config_add_disk(ctx, c, t->cdrom ? "hdc" : "hda", t->target,
                                            t->format, t->cdrom ? LIBDMR_DISK_CDROM
                                            : t->readwrite ? LIBDMR_DISK_READWRITE : 0), 0);
    struct libdmr_image imgs[ELEMENTSOF(t->layers)];
    libdmr_facts f;
    facts_fill(t, &f, imgs);
    libdmr_plan p = { .domid = 1, .backend = LIBDMR_BACKEND_QEMU };
    assert_int_equal(plan_resources(c, &f, &p), 0);
    if (t->rc) {
        assert_int_equal(p.verdict.refusal_rc, t->rc);
        if (!strstr(p.verdict.refusal, t->refusal))
            print_message("refusal \"%s\" lacks \"%s\"\n", p.verdict.refusal, t->refusal);
        assert_non_null(strstr(p.verdict.refusal, t->refusal));
    } else {
        assert_int_equal(p.verdict.refusal_rc, 0);
        /* the disk's image: the first resource after the QMP sockets */
        int r = 0;
        while (p.resources[r].kind == PLAN_RES_QMP_LISTEN || p.resources[r].kind == PLAN_RES_QMP_EVENTS)
            r++;
        for (size_t i = 0; t->chain[i]; i++, r = p.resources[r].backing) {
            assert_true(r > 0);
            assert_string_equal(p.resources[r].path, t->chain[i]);
            /* Only the top is writable, and only as the disk says. */
            assert_int_equal(p.resources[r].writable, i == 0 && t->readwrite);
            assert_int_equal(p.resources[r].kind, i ? PLAN_RES_BACKING : PLAN_RES_DISK);
            assert_int_equal(p.resources[r].fdset, i + 1);
        }
        assert_int_equal(r, -1);
    }
    plan_drop(&p);
    libdmr_config_free(c);
    test_ctx_free(ctx, lg);
}

/* Another disk's writable image cannot be a layer below: its writes
 * would change what the overlay reads. */
static void test_writable_layer_refused(void **state)
{
    (void)state;
    xentoollog_logger_stdiostream *lg;
    libdmr_ctx *ctx = test_ctx(&lg);
    libdmr_config *c = NULL;
    assert_int_equal(libdmr_config_new(ctx, "chain2", &c), 0);
    assert_int_equal(libdmr_config_add_disk(ctx, c, "hda", "/srv/vm/top.qcow2",
                                            LIBDMR_FORMAT_QCOW2, LIBDMR_DISK_READWRITE), 0);
    assert_int_equal(libdmr_config_add_disk(ctx, c, "hdb", "/srv/vm/base.raw",
                                            LIBDMR_FORMAT_RAW, LIBDMR_DISK_READWRITE), 0);
    struct chain_case t = { .layers = { Q("/srv/vm/top.qcow2", "base.raw", "raw"),
                                        R("/srv/vm/base.raw") } };
    struct libdmr_image imgs[4];
    libdmr_facts f;
    facts_fill(&t, &f, imgs);
    libdmr_plan p = { .domid = 1, .backend = LIBDMR_BACKEND_QEMU };
    assert_int_equal(plan_resources(c, &f, &p), 0);
    assert_int_equal(p.verdict.refusal_rc, LIBDMR_ERROR_INVAL);
    assert_non_null(strstr(p.verdict.refusal, "backing layer /srv/vm/base.raw is disk hdb's "
                                              "writable image"));
    plan_drop(&p);
    libdmr_config_free(c);
    test_ctx_free(ctx, lg);
}

/* RLIMIT_FSIZE of a restricted DM: the writable top of a chain lifts it
 * (qcow2 grows); a read-only chain, whose layers are never written,
 * leaves libxl's 256 KiB. */
static void test_chain_fsize(void **state)
{
    (void)state;
    for (int rw = 0; rw < 2; rw++) {
        xentoollog_logger_stdiostream *lg;
        libdmr_ctx *ctx = test_ctx(&lg);
        libdmr_config *c = NULL;
        assert_int_equal(libdmr_config_new(ctx, "chain3", &c), 0);
        assert_int_equal(libdmr_config_add_disk(ctx, c, "hda", "/srv/vm/top.qcow2", LIBDMR_FORMAT_QCOW2,
                                                rw ? LIBDMR_DISK_READWRITE : 0), 0);
        const struct chain_case t = { .layers = { Q("/srv/vm/top.qcow2", "base.raw", "raw"),
                                                  R("/srv/vm/base.raw") } };
        struct libdmr_image imgs[4];
        libdmr_facts f;
        facts_fill(&t, &f, imgs);
        libdmr_plan p = { .domid = 1, .backend = LIBDMR_BACKEND_QEMU, .restricted = true };
        assert_int_equal(plan_limits(c, &f, &p), 0);
        assert_string_equal(p.rlimits[0].name, "FSIZE");
        assert_true(p.rlimits[0].value == (rw ? UINT64_MAX : LIBDMR_LIBXL_FSIZE));
        free(p.rlimits);
        verdict_clear(&p.verdict);
        libdmr_config_free(c);
        test_ctx_free(ctx, lg);
    }
}

static void test_backing_path(void **state)
{
    (void)state;
    static const struct { const char *overlay, *name, *want; } rows[] = {
        { "/srv/vm/top.qcow2", "base.raw", "/srv/vm/base.raw" },
        { "/srv/vm/top.qcow2", "/abs/base.raw", "/abs/base.raw" },
        { "/srv/vm/top.qcow2", "./sub//base.raw", "/srv/vm/sub/base.raw" },
        { "/srv/vm/top.qcow2", "../base.raw", "/srv/vm/../base.raw" },
        { "top.qcow2", "base.raw", "base.raw" },
        { "vm/top.qcow2", "./base.raw", "vm/base.raw" },
        { "/top.qcow2", "base.raw", "/base.raw" },
        { "/srv/vm/top.qcow2", "//abs/./x", "/abs/x" },
    };
    for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
        char *got = image_backing_path(rows[i].overlay, rows[i].name);
        assert_non_null(got);
        assert_string_equal(got, rows[i].want);
        free(got);
    }
    assert_true(image_name_is_protocol("nbd:localhost:10809"));
    assert_true(image_name_is_protocol("json:{\"driver\":\"file\"}"));
    assert_false(image_name_is_protocol("./a:b"));
    assert_false(image_name_is_protocol("/srv/a:b"));
    assert_false(image_name_is_protocol("base.raw"));
}

int main(void)
{
    struct CMUnitTest tests[ELEMENTSOF(cases) + 3];
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        tests[i] = (struct CMUnitTest){ .name = cases[i].name, .test_func = run_chain_case,
                                        .initial_state = (void *)&cases[i] };
    tests[ELEMENTSOF(cases)] = (struct CMUnitTest)cmocka_unit_test(test_backing_path);
    tests[ELEMENTSOF(cases) + 1] = (struct CMUnitTest)cmocka_unit_test(test_writable_layer_refused);
    tests[ELEMENTSOF(cases) + 2] = (struct CMUnitTest)cmocka_unit_test(test_chain_fsize);
    return _cmocka_run_group_tests("qcow2 chains", tests, ELEMENTSOF(tests), NULL, NULL);
}
