/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disk images, kernel and ramdisk a config names: whether they exist,
 * whether they are files (RLIMIT_FSIZE applies) and how big; for a qcow2
 * image also what its header says, and the layers of its backing chain,
 * followed as QEMU would (docs/facts-json.md). Looked at only: launch
 * opens them and checks again what it opened, and the planner judges.
 *
 * Formats are never probed: a header is read only when the cfg, or the
 * backing_fmt of the overlay above, calls the layer qcow2. A raw image is
 * the guest's to write, and reading it as a header would let the guest
 * name files for root to open.
 */
#include <endian.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define QCOW2_MAGIC          0x514649fbu   /* "QFI\xfb" */
#define QCOW2_V2_HEADER_LEN  72u
#define QCOW2_V3_HEADER_MIN  104u
#define QCOW2_EXT_BACKING_FMT 0xe2792acau
#define QCOW2_EXT_DATA_FILE   0x44415441u
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
/* QEMU's own limit on the backing file name (qcow2.c: 1023). */
#define QCOW2_BACKING_NAME_MAX 1023u
/* Extensions sit in the first cluster; we read at most this much of it. */
#define QCOW2_HEADER_READ_MAX (64u * 1024)

static uint32_t be32_at(const uint8_t *b, size_t off)
{
    uint32_t v;
    memcpy(&v, b + off, sizeof(v));
    return be32toh(v);
}

static uint64_t be64_at(const uint8_t *b, size_t off)
{
    uint64_t v;
    memcpy(&v, b + off, sizeof(v));
    return be64toh(v);
}

/* The header extensions from start to end (of what was read): the
 * backing format and an external data file. Stops at the end marker or
 * at an extension that does not fit. */
static int qcow2_extensions(const uint8_t *b, size_t start, size_t end,
                            struct libdmr_qcow2_header *h)
{
    while (start + 8 <= end) {
        uint32_t type = be32_at(b, start), len = be32_at(b, start + 4);
        if (!type || len > end - start - 8)
            return 0;
        if (type == QCOW2_EXT_BACKING_FMT && !h->backing_fmt &&
            !(h->backing_fmt = strndup((const char *)b + start + 8, len)))
            return -ENOMEM;
        if (type == QCOW2_EXT_DATA_FILE)
            h->data_file = true;
        start += 8 + (((size_t)len + 7) & ~(size_t)7);
    }
    return 0;
}

/* The backing file name: at most QEMU's 1023 bytes, read where the header says. */
static int qcow2_backing_name(int fd, uint64_t offset, uint32_t size, struct libdmr_qcow2_header *h)
{
    if (!offset || !size)
        return 0;
    if (size > QCOW2_BACKING_NAME_MAX || offset > INT64_MAX)
        return -EINVAL;
    char name[QCOW2_BACKING_NAME_MAX + 1];
    if (pread(fd, name, size, (off_t)offset) != (ssize_t)size)
        return -EIO;
    return (h->backing_file = strndup(name, size)) ? 0 : -ENOMEM;
}

/* 0 and the header (magic false: not a qcow2 image of version 2 or 3),
 * -EIO/-EINVAL when it could not be read whole, -ENOMEM. */
static int qcow2_header_read(int fd, struct libdmr_qcow2_header *h)
{
    _cleanup_free_ uint8_t *b = malloc(QCOW2_HEADER_READ_MAX);
    if (!b)
        return -ENOMEM;
    ssize_t n = pread(fd, b, QCOW2_HEADER_READ_MAX, 0);
    if (n < (ssize_t)QCOW2_V2_HEADER_LEN)
        return n < 0 ? -EIO : 0;  /* too short to be one */
    h->version = be32_at(b, 4);
    h->magic = be32_at(b, 0) == QCOW2_MAGIC && (h->version == 2 || h->version == 3);
    if (!h->magic)
        return 0;
    uint64_t backing_offset = be64_at(b, 8);
    uint32_t cluster_bits = be32_at(b, 20);
    h->encrypted = be32_at(b, 32) != 0;
    size_t header_len = QCOW2_V2_HEADER_LEN;
    if (h->version == 3) {
        if (n < (ssize_t)QCOW2_V3_HEADER_MIN)
            return -EINVAL;
        h->data_file = be64_at(b, 72) & QCOW2_INCOMPAT_DATA_FILE;
        header_len = be32_at(b, 100);
    }
    /* Extensions end where the backing name starts, or with the first cluster. */
    uint64_t end = cluster_bits >= 9 && cluster_bits <= 21 ? 1ull << cluster_bits : 0;
    if (backing_offset && backing_offset < end)
        end = backing_offset;
    if (end > (uint64_t)n)
        end = (uint64_t)n;
    int r = header_len < end ? qcow2_extensions(b, header_len, end, h) : 0;
    return r ? r : qcow2_backing_name(fd, backing_offset, be32_at(b, 16), h);
}

/* Opened, not stat()ed by name: what is described is what was opened.
 * O_NONBLOCK: a FIFO named as an image must not hang the gatherer. Not
 * O_NOFOLLOW: a layer is found as QEMU finds it, symlinks and all (the
 * cfg's images are often links); whoever wrote a header could as well
 * have named the link's target, and every layer is shown in the plan. */
static int image_look(struct libdmr_image *img, bool qcow2)
{
    _cleanup_close_ int fd = open(img->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return 0;
    img->present = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
    img->regular = S_ISREG(st.st_mode);
    img->size = img->regular ? (uint64_t)st.st_size : 0;
    if (!qcow2 || !img->present)
        return 0;
    int r = qcow2_header_read(fd, &img->qcow2);
    img->header_read = r == 0;
    return r == -ENOMEM ? r : 0;
}

/* The image at path (added, or already there); its index in *ret. A
 * qcow2 layer's header is read once, whichever reference asks first. */
static int image_add(libdmr_facts *facts, const char *path, const char *format, size_t *ret)
{
    const struct libdmr_image *found = facts_image_find(facts, path);
    size_t i = found ? (size_t)(found - facts->images) : facts->n_images;
    bool qcow2 = format && !strcmp(format, "qcow2");
    *ret = i;
    if (found && (!qcow2 || found->header_read))
        return 0;
    if (!found) {
        struct libdmr_image *grown = realloc(facts->images, (i + 1) * sizeof(*grown));
        if (!grown)
            return -ENOMEM;
        facts->images = grown;
        grown[i] = (struct libdmr_image){ 0 };
        facts->n_images++;
        if (!(grown[i].path = strdup(path)) || (format && !(grown[i].format = strdup(format))))
            return -ENOMEM;
    }
    return image_look(&facts->images[i], qcow2);
}

/* A disk's image and the layers below it, as far as QEMU would find them;
 * one past LIBDMR_CHAIN_MAX, so that the planner sees a chain too deep
 * (or a loop: the walk does not stop at a layer seen before). */
static int chain_add(libdmr_facts *facts, const char *target, const char *format)
{
    _cleanup_free_ char *path = strdup(target), *fmt = strdup(format);
    if (!path || !fmt)
        return -ENOMEM;
    for (unsigned depth = 0; depth <= LIBDMR_CHAIN_MAX; depth++) {
        size_t i;
        int r = image_add(facts, path, fmt, &i);
        if (r)
            return r;
        const struct libdmr_image *img = &facts->images[i];
        const struct libdmr_qcow2_header *h = &img->qcow2;
        if (!img->header_read || !h->magic || !h->backing_file || !h->backing_fmt ||
            image_name_is_protocol(h->backing_file) ||
            (strcmp(h->backing_fmt, "raw") && strcmp(h->backing_fmt, "qcow2")) ||
            strcmp(fmt, "qcow2"))
            return 0;
        char *next = image_backing_path(path, h->backing_file);
        char *next_fmt = strdup(h->backing_fmt);
        free(path);
        free(fmt);
        path = next;
        fmt = next_fmt;
        if (!path || !fmt)
            return -ENOMEM;
    }
    return 0;
}

int facts_images_gather(libdmr_ctx *ctx, const libdmr_config *config,
                        libdmr_facts *facts)
{
    (void)ctx;
    size_t unused;
    int r = config->kernel ? image_add(facts, config->kernel, NULL, &unused) : 0;
    if (!r && config->ramdisk)
        r = image_add(facts, config->ramdisk, NULL, &unused);
    for (size_t i = 0; !r && i < config->n_disks; i++) {
        const struct libdmr_disk *d = &config->disks[i];
        if (d->target)
            r = chain_add(facts, d->target, d->format == LIBDMR_FORMAT_QCOW2 ? "qcow2" : "raw");
    }
    return r ? libdmr_error_from_errno(r) : 0;
}
