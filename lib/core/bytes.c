/* Bounded byte readers and writers, whole-file I/O, CRC-32C. */
#include "internal/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reader ------------------------------------------------------------ */

void hs__reader_init(hs__reader *r, const void *data, size_t size)
{
    r->p = (const uint8_t *)data;
    r->size = data ? size : 0;
    r->pos = 0;
    r->overrun = false;
}

size_t hs__reader_left(const hs__reader *r) { return r->size - r->pos; }

static const uint8_t *take(hs__reader *r, size_t n)
{
    if (r->overrun || n > r->size - r->pos) {
        r->overrun = true;
        r->pos = r->size;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint8_t hs__rd_u8(hs__reader *r)
{
    const uint8_t *p = take(r, 1);
    return p ? p[0] : 0;
}

uint16_t hs__rd_be16(hs__reader *r)
{
    const uint8_t *p = take(r, 2);
    return (uint16_t)(p ? (p[0] << 8) | p[1] : 0);
}

uint32_t hs__rd_be24(hs__reader *r)
{
    const uint8_t *p = take(r, 3);
    return p ? ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2] : 0;
}

uint32_t hs__rd_be32(hs__reader *r)
{
    const uint8_t *p = take(r, 4);
    return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
                   ((uint32_t)p[2] << 8) | p[3]
             : 0;
}

uint16_t hs__rd_le16(hs__reader *r)
{
    const uint8_t *p = take(r, 2);
    return (uint16_t)(p ? p[0] | (p[1] << 8) : 0);
}

uint32_t hs__rd_le32(hs__reader *r)
{
    const uint8_t *p = take(r, 4);
    return p ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                   ((uint32_t)p[3] << 24)
             : 0;
}

uint64_t hs__rd_le64(hs__reader *r)
{
    uint64_t lo = hs__rd_le32(r);
    uint64_t hi = hs__rd_le32(r);
    return lo | (hi << 32);
}

float hs__rd_lef32(hs__reader *r)
{
    uint32_t u = hs__rd_le32(r);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

bool hs__rd_bytes(hs__reader *r, void *dst, size_t n)
{
    const uint8_t *p = take(r, n);
    if (!p)
        return false;
    if (n)
        memcpy(dst, p, n);
    return true;
}

bool hs__skip(hs__reader *r, size_t n) { return take(r, n) != NULL || n == 0; }

/* ---- writer ------------------------------------------------------------ */

void hs__writer_init(hs__writer *w, const hs_allocator *alloc)
{
    memset(w, 0, sizeof *w);
    w->alloc = alloc;
}

void hs__writer_free(hs__writer *w)
{
    /* Encoded templates and images are biometric data: wipe them. */
    if (w->alloc && w->buf) {
        hs__memzero(w->buf, w->cap);
        hs__free(w->alloc, w->buf);
    }
    w->buf = NULL;
    w->len = w->cap = 0;
}

static bool reserve(hs__writer *w, size_t n)
{
    if (w->failed)
        return false;
    if (n > SIZE_MAX - w->len) {
        w->failed = true;
        return false;
    }
    if (!w->alloc)
        return true; /* counting only */
    size_t need = w->len + n;
    if (need <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *nb = hs__realloc(w->alloc, w->buf, cap);
    if (!nb) {
        w->failed = true;
        return false;
    }
    w->buf = nb;
    w->cap = cap;
    return true;
}

void hs__wr_bytes(hs__writer *w, const void *src, size_t n)
{
    if (!reserve(w, n))
        return;
    if (w->alloc && n)
        memcpy(w->buf + w->len, src, n);
    w->len += n;
}

void hs__wr_u8(hs__writer *w, uint8_t v) { hs__wr_bytes(w, &v, 1); }

void hs__wr_be16(hs__writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    hs__wr_bytes(w, b, 2);
}

void hs__wr_be24(hs__writer *w, uint32_t v)
{
    uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    hs__wr_bytes(w, b, 3);
}

void hs__wr_be32(hs__writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    hs__wr_bytes(w, b, 4);
}

void hs__wr_le16(hs__writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    hs__wr_bytes(w, b, 2);
}

void hs__wr_le32(hs__writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    hs__wr_bytes(w, b, 4);
}

void hs__wr_le64(hs__writer *w, uint64_t v)
{
    hs__wr_le32(w, (uint32_t)v);
    hs__wr_le32(w, (uint32_t)(v >> 32));
}

void hs__wr_lef32(hs__writer *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    hs__wr_le32(w, u);
}

void hs__wr_patch_be32(hs__writer *w, size_t off, uint32_t v)
{
    if (!w->alloc || w->failed || off > w->len || w->len - off < 4)
        return;
    uint8_t *b = w->buf + off;
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

void hs__wr_patch_le32(hs__writer *w, size_t off, uint32_t v)
{
    if (!w->alloc || w->failed || off > w->len || w->len - off < 4)
        return;
    uint8_t *b = w->buf + off;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

hs_status hs__writer_output(hs_ctx *ctx, const hs__writer *w, void *buf, size_t *size)
{
    if (!size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "size pointer is NULL");
    if (w->failed)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory while encoding");
    if (!buf) {
        *size = w->len;
        return HS_OK;
    }
    if (*size < w->len) {
        size_t have = *size;
        *size = w->len;
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL,
                         "output needs %zu bytes, buffer has %zu", w->len, have);
    }
    if (w->len)
        memcpy(buf, w->buf, w->len);
    *size = w->len;
    return HS_OK;
}

/* ---- files ------------------------------------------------------------- */

hs_status hs__read_file(hs_ctx *ctx, const char *path, uint8_t **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    if (!path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f)
        return hs__error(ctx, HS_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return hs__error(ctx, HS_ERR_IO, "%s: not a regular file", path);
    }
    uint64_t max = hs__limit(ctx, HS_LIMIT_MAX_FILE_BYTES);
    if ((uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX) {
        fclose(f);
        return hs__error(ctx, HS_ERR_LIMIT, "%s: %lld bytes exceeds the file limit of %llu",
                         path, (long long)st.st_size, (unsigned long long)max);
    }
    size_t n = (size_t)st.st_size;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    uint8_t *buf = hs__malloc(a, n);
    if (!buf) {
        fclose(f);
        return hs__error(ctx, HS_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, n);
    }
    size_t got = n ? fread(buf, 1, n, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (got != n || err) {
        hs__free(a, buf);
        return hs__error(ctx, HS_ERR_IO, "%s: read error", path);
    }
    *data = buf;
    *size = n;
    return HS_OK;
}

hs_status hs__write_file_atomic(hs_ctx *ctx, const char *path, const void *data, size_t size)
{
    if (!path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "path is NULL");
    size_t plen = strlen(path);
    const hs_allocator *a = hs__ctx_allocator(ctx);
    char *tmp = hs__malloc(a, plen + 16);
    if (!tmp)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        hs_status s = hs__error(ctx, HS_ERR_IO, "%s: %s", tmp, strerror(errno));
        hs__free(a, tmp);
        return s;
    }
    const uint8_t *p = (const uint8_t *)data;
    size_t left = size;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            hs_status s = hs__error(ctx, HS_ERR_IO, "%s: write failed: %s", tmp, strerror(e));
            hs__free(a, tmp);
            return s;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        hs_status s = hs__error(ctx, HS_ERR_IO, "%s: fsync/close failed", tmp);
        hs__free(a, tmp);
        return s;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        hs_status s = hs__error(ctx, HS_ERR_IO, "%s: rename failed: %s", path, strerror(e));
        hs__free(a, tmp);
        return s;
    }
    hs__free(a, tmp);
    return HS_OK;
}

/* ---- CRC-32C ----------------------------------------------------------- */

/* Bitwise-reflected CRC-32C, polynomial 0x82F63B78, computed with a small
 * nibble table built at compile time so there is no mutable global state. */
static const uint32_t crc32c_nibble[16] = {
    0x00000000u, 0x105ec76fu, 0x20bd8edeu, 0x30e349b1u,
    0x417b1dbcu, 0x5125dad3u, 0x61c69362u, 0x7198540du,
    0x82f63b78u, 0x92a8fc17u, 0xa24bb5a6u, 0xb21572c9u,
    0xc38d26c4u, 0xd3d3e1abu, 0xe330a81au, 0xf36e6f75u,
};

uint32_t hs__crc32c(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
        crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
    }
    return ~crc;
}
