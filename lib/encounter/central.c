/* Batches of sealed encounters and the central side: the registry of device
 * keys, the set of ids already opened, opening records and batches.
 * Byte layouts: docs/encounter-format.md. */
#include "internal/encounter.h"
#include "internal/encounter_wire.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HOTSPOT_HAVE_SODIUM
#include <sodium.h>
#endif

/* ---- batch framing ----------------------------------------------------------- */

hs_status hs_encounter_batch_encode(hs_ctx *ctx, void *buf, size_t *size,
                                    const void *const *sealed, const size_t *sizes, uint32_t count)
{
    if (!size || (count && (!sealed || !sizes)))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_batch_encode: NULL argument");
    if (count > HS_ENCOUNTER_BATCH_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "hs_encounter_batch_encode: %u records, at most %d",
                         count, HS_ENCOUNTER_BATCH_MAX);
    uint64_t total = HS__BATCH_HEADER + 4;
    for (uint32_t i = 0; i < count; i++) {
        if (!sealed[i])
            return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_batch_encode: record %u NULL",
                             i);
        hs__enc_header h;
        hs_status s = hs__enc_parse_header(ctx, &h, sealed[i], sizes[i]);
#ifdef HOTSPOT_HAVE_SODIUM
        if (!s)
            s = hs__enc_verify(ctx, &h, sealed[i]);
#else
        if (!s)
            s = hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
#endif
        if (s) {
            char msg[HS__ERRMSG_MAX];
            snprintf(msg, sizeof msg, "record %u of %u: %s", i, count, hs_ctx_last_error(ctx));
            return hs__error(ctx, s, "%s", msg);
        }
        total += 8 + (uint64_t)sizes[i];
    }
    if (total > UINT32_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "hs_encounter_batch_encode: beyond 2^32 bytes");
    if (!buf) {
        *size = (size_t)total;
        return HS_OK;
    }
    if (*size < total) {
        *size = (size_t)total;
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "hs_encounter_batch_encode: %llu bytes",
                         (unsigned long long)total);
    }
    uint8_t *p = buf;
    memcpy(p, HS__ENC_BATCH_MAGIC, 4);
    p[4] = HS__ENC_VERSION;
    p[5] = 0;
    p[6] = p[7] = 0;
    hs__put_le32(p + 8, count);
    size_t off = HS__BATCH_HEADER;
    for (uint32_t i = 0; i < count; i++) {
        hs__put_le32(p + off, (uint32_t)sizes[i]);
        memcpy(p + off + 4, sealed[i], sizes[i]);
        hs__put_le32(p + off + 4 + sizes[i], hs__crc32c(0, sealed[i], sizes[i]));
        off += 8 + sizes[i];
    }
    hs__put_le32(p + off, hs__crc32c(0, p, off));
    *size = off + 4;
    return HS_OK;
}

/* Walk the framing: record offsets into offs/lens (count entries) when given;
 * rec_bad[i] set when record i's own checksum fails (a failing record is an
 * error unless rec_bad is given). */
static hs_status batch_walk(hs_ctx *ctx, uint32_t *count_out, size_t *offs, size_t *lens,
                            uint8_t *rec_bad, const uint8_t *p, size_t size)
{
    if (size < 4)
        return hs__error(ctx, HS_ERR_TRUNCATED, "batch: %zu bytes, shorter than its magic", size);
    if (memcmp(p, HS__ENC_BATCH_MAGIC, 4))
        return hs__error(ctx, HS_ERR_FORMAT, "batch: wrong magic (not an encounter batch)");
    if (size < HS__BATCH_HEADER + 4)
        return hs__error(ctx, HS_ERR_TRUNCATED, "batch: %zu bytes, shorter than its header",
                         size);
    unsigned ver = (unsigned)p[4] | (unsigned)p[5] << 8;
    if (ver > HS__ENC_VERSION)
        return hs__error(ctx, HS_ERR_VERSION, "batch: version %u, this library reads 1", ver);
    if (ver != HS__ENC_VERSION || p[6] || p[7])
        return hs__error(ctx, HS_ERR_CORRUPT, "batch: version %u or reserved bytes at offset 6",
                         ver);
    uint32_t count = hs__get_le32(p + 8);
    if (count > HS_ENCOUNTER_BATCH_MAX)
        return hs__error(ctx, HS_ERR_CORRUPT, "batch: count %u at offset 8, at most %d", count,
                         HS_ENCOUNTER_BATCH_MAX);
    size_t off = HS__BATCH_HEADER;
    int any_bad = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (size - off < 4 + 4)
            return hs__error(ctx, HS_ERR_TRUNCATED,
                             "batch: record %u of %u at offset %zu: the file ends in its length",
                             i, count, off);
        uint32_t len = hs__get_le32(p + off);
        if ((uint64_t)len + 8 + 4 > size - off)
            return hs__error(ctx, HS_ERR_TRUNCATED,
                             "batch: record %u of %u at offset %zu: %u bytes, the file ends "
                             "%zu bytes later",
                             i, count, off, len, size - off - 4);
        uint32_t crc = hs__get_le32(p + off + 4 + len);
        int bad = hs__crc32c(0, p + off + 4, len) != crc;
        if (bad && !rec_bad)
            return hs__error(ctx, HS_ERR_CHECKSUM,
                             "batch: record %u of %u at offset %zu: checksum mismatch", i, count,
                             off);
        if (rec_bad)
            rec_bad[i] = (uint8_t)bad;
        any_bad |= bad;
        if (offs)
            offs[i] = off + 4;
        if (lens)
            lens[i] = len;
        off += 8 + (size_t)len;
    }
    if (size - off != 4)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "batch: %zu bytes after record %u of %u (offset %zu), 4 expected",
                         size - off, count ? count - 1 : 0, count, off);
    if (hs__crc32c(0, p, off) != hs__get_le32(p + off) && !any_bad)
        return hs__error(ctx, HS_ERR_CHECKSUM,
                         "batch: file checksum mismatch in the header (offsets 0-11) or the "
                         "record lengths");
    *count_out = count;
    return HS_OK;
}

hs_status hs_encounter_batch_record(hs_ctx *ctx, const uint8_t **record, size_t *record_size,
                                    uint32_t *count, const void *data, size_t size, uint32_t index)
{
    if (!count || (!data && size))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_batch_record: NULL argument");
    uint32_t n = 0;
    hs_status s = batch_walk(ctx, &n, NULL, NULL, NULL, data, size);
    if (s)
        return s;
    *count = n;
    if (index == UINT32_MAX)
        return HS_OK;
    if (index >= n)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "batch: no record %u (%u records)", index, n);
    if (!record || !record_size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_batch_record: NULL argument");
    const uint8_t *p = data;
    size_t off = HS__BATCH_HEADER;
    for (uint32_t i = 0; i < index; i++)
        off += 8 + (size_t)hs__get_le32(p + off);
    *record = p + off + 4;
    *record_size = hs__get_le32(p + off);
    return HS_OK;
}

/* ---- registry ------------------------------------------------------------------ */

typedef struct reg_entry {
    uint8_t key[32];
    char name[65];
    int revoked;
} reg_entry;

struct hs_encounter_registry {
    hs_allocator alloc;
    reg_entry *e;
    uint32_t n, cap;
};

#define REGISTRY_MAX 100000u

/* The registry and the seen-id set are both an allocator and one growable
 * array: one constructor and one destructor serve both. */
static hs_status array_object_new(hs_ctx *ctx, void *out, size_t size, size_t alloc_offset)
{
    hs_status st;
    void *o = hs__object_new(ctx, &st, out, size, alloc_offset);
    if (o)
        memcpy(out, &o, sizeof o);
    return st;
}

static void array_object_free(void *object, const hs_allocator *alloc, void *array)
{
    if (!object)
        return;
    hs_allocator a = *alloc;
    hs__free(&a, array);
    hs__free(&a, object);
}

hs_status hs_encounter_registry_new(hs_ctx *ctx, hs_encounter_registry **out)
{
    return array_object_new(ctx, out, sizeof **out, offsetof(hs_encounter_registry, alloc));
}

void hs_encounter_registry_free(hs_encounter_registry *r)
{
    array_object_free(r, r ? &r->alloc : NULL, r ? r->e : NULL);
}

static reg_entry *reg_find(const hs_encounter_registry *r, const uint8_t key[32])
{
    for (uint32_t i = 0; i < r->n; i++)
        if (!memcmp(r->e[i].key, key, 32))
            return &r->e[i];
    return NULL;
}

static reg_entry *reg_find_name(const hs_encounter_registry *r, const char *name)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (!strcmp(r->e[i].name, name))
            return &r->e[i];
    return NULL;
}

static int name_ok(const char *name)
{
    size_t n = strnlen(name, 65);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static hs_status reg_push(hs_ctx *ctx, hs_encounter_registry *r, const uint8_t key[32],
                          const char *name, int revoked)
{
    if (r->n >= REGISTRY_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "registry: more than %u keys", REGISTRY_MAX);
    if (!HS__ARRAY_ROOM(&r->alloc, r->e, r->n, r->cap, 16))
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory for the registry");
    reg_entry *en = &r->e[r->n++];
    memset(en, 0, sizeof *en);
    memcpy(en->key, key, 32);
    memcpy(en->name, name, strlen(name));
    en->revoked = revoked;
    return HS_OK;
}

hs_status hs_encounter_registry_add(hs_ctx *ctx, hs_encounter_registry *r,
                                    const uint8_t device_public[32], const char *name)
{
    if (!r || !device_public || !name || !name_ok(name))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_registry_add: NULL argument, or a name not 1-64 bytes of "
                         "[A-Za-z0-9_.-]");
    if (reg_find(r, device_public) || reg_find_name(r, name))
        return hs__error(ctx, HS_ERR_EXISTS, "registry: key or name %s already present", name);
    return reg_push(ctx, r, device_public, name, 0);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int unhex(uint8_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int v = 0;
        for (int j = 0; j < 2; j++) {
            char c = s[2 * i + (size_t)j];
            int x = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (x < 0)
                return 0;
            v = v * 16 + x;
        }
        out[i] = (uint8_t)v;
    }
    return 1;
}

hs_status hs_encounter_registry_revoke(hs_ctx *ctx, hs_encounter_registry *r,
                                       const uint8_t device_public[32])
{
    if (!r || !device_public)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_registry_revoke: NULL argument");
    reg_entry *en = reg_find(r, device_public);
    if (en) {
        en->revoked = 1;
        return HS_OK;
    }
    char name[65];
    hex(name, device_public, 32);
    return reg_push(ctx, r, device_public, name, 1);
}

int32_t hs_encounter_registry_lookup(const hs_encounter_registry *r, const char **name,
                                     const uint8_t device_public[32])
{
    if (name)
        *name = NULL;
    if (!r || !device_public)
        return 0;
    const reg_entry *en = reg_find(r, device_public);
    if (!en)
        return 0;
    if (name)
        *name = en->name;
    return en->revoked ? -1 : 1;
}

/* A device key file: 32 raw bytes, or text holding "sign <64 hex>" on a
 * line, or one 64-hex-digit line. */
static int parse_device_key(uint8_t key[32], const uint8_t *p, size_t n)
{
    if (n == 32) {
        memcpy(key, p, 32);
        return 1;
    }
    if (n > 4096)
        return 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != '\n')
            j++;
        size_t len = j - i;
        const char *line = (const char *)p + i;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            len--;
        if (len == 64 && unhex(key, line, 32))
            return 1;
        if (len == 69 && !memcmp(line, "sign ", 5) && unhex(key, line + 5, 32))
            return 1;
        i = j + 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static hs_status load_revoked(hs_ctx *ctx, hs_encounter_registry *r, const char *path)
{
    uint8_t *data = NULL;
    size_t size = 0;
    hs_status s = hs__read_file(ctx, path, &data, &size);
    if (s)
        return s;
    size_t i = 0;
    unsigned lineno = 0;
    while (!s && i < size) {
        size_t j = i;
        while (j < size && data[j] != '\n')
            j++;
        lineno++;
        char line[130];
        size_t len = j - i;
        const char *src = (const char *)data + i;
        while (len && (src[len - 1] == '\r' || src[len - 1] == ' ' || src[len - 1] == '\t'))
            len--;
        while (len && (*src == ' ' || *src == '\t'))
            src++, len--;
        i = j + 1;
        if (!len || *src == '#')
            continue;
        if (len >= sizeof line) {
            s = hs__error(ctx, HS_ERR_FORMAT, "revoked: line %u too long", lineno);
            break;
        }
        memcpy(line, src, len);
        line[len] = 0;
        uint8_t key[32];
        if (len == 64 && unhex(key, line, 32)) {
            s = hs_encounter_registry_revoke(ctx, r, key);
            continue;
        }
        reg_entry *en = name_ok(line) ? reg_find_name(r, line) : NULL;
        if (!en) {
            char q[80];
            s = hs__error(ctx, HS_ERR_FORMAT,
                          "revoked: line %u names %s, neither a key nor a known device", lineno,
                          hs__quote(q, sizeof q, line));
        } else
            en->revoked = 1;
    }
    hs__free(hs__ctx_allocator(ctx), data);
    return s;
}

hs_status hs_encounter_registry_load(hs_ctx *ctx, hs_encounter_registry **out, const char *dir)
{
    if (!out || !dir)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_registry_load: NULL argument");
    *out = NULL;
    char q[96];
    DIR *d = opendir(dir);
    if (!d)
        return hs__error(ctx, HS_ERR_IO, "cannot read the device directory %s",
                         hs__quote(q, sizeof q, dir));
    hs_encounter_registry *r = NULL;
    hs_status s = hs_encounter_registry_new(ctx, &r);
    /* names sorted, so that errors and duplicates are reported the same way
     * on every file system */
    const hs_allocator *a = hs__ctx_allocator(ctx);
    char **names = NULL;
    size_t nn = 0, cap = 0;
    int has_revoked = 0;
    struct dirent *de;
    while (!s && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (!strcmp(de->d_name, "revoked")) {
            has_revoked = 1;
            continue;
        }
        if (len <= 4 || strcmp(de->d_name + len - 4, ".pub"))
            continue;
        if (nn == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nw = hs__realloc(a, names, nc * sizeof *nw);
            if (!nw) {
                s = hs__error(ctx, HS_ERR_NOMEM, "out of memory listing %s", dir);
                break;
            }
            names = nw;
            cap = nc;
        }
        names[nn] = hs__malloc(a, len + 1);
        if (!names[nn]) {
            s = hs__error(ctx, HS_ERR_NOMEM, "out of memory listing %s", dir);
            break;
        }
        memcpy(names[nn++], de->d_name, len + 1);
    }
    closedir(d);
    if (!s && nn)
        qsort(names, nn, sizeof *names, cmp_str);
    size_t dl = strlen(dir);
    char *path = s ? NULL : hs__malloc(a, dl + 2 + 256 + 8);
    if (!s && !path)
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < nn; i++) {
        size_t len = strlen(names[i]);
        if (len > 256)
            continue;
        snprintf(path, dl + 2 + 256 + 8, "%s/%s", dir, names[i]);
        uint8_t *data = NULL;
        size_t size = 0;
        s = hs__read_file(ctx, path, &data, &size);
        if (s)
            break;
        uint8_t key[32];
        int ok = parse_device_key(key, data, size);
        hs__free(a, data);
        names[i][len - 4] = 0;
        if (!ok)
            s = hs__error(ctx, HS_ERR_FORMAT, "%s.pub holds no device key",
                          hs__quote(q, sizeof q, names[i]));
        else if (!name_ok(names[i]))
            s = hs__error(ctx, HS_ERR_FORMAT, "device file name %s is not [A-Za-z0-9_.-]{1,64}",
                          hs__quote(q, sizeof q, names[i]));
        else
            s = hs_encounter_registry_add(ctx, r, key, names[i]);
    }
    if (!s && has_revoked) {
        snprintf(path, dl + 2 + 256 + 8, "%s/revoked", dir);
        s = load_revoked(ctx, r, path);
    }
    hs__free(a, path);
    for (size_t i = 0; i < nn; i++)
        hs__free(a, names[i]);
    hs__free(a, names);
    if (s) {
        hs_encounter_registry_free(r);
        return s;
    }
    *out = r;
    return HS_OK;
}

/* ---- seen ids ---------------------------------------------------------------------- */

struct hs_encounter_seen {
    hs_allocator alloc;
    uint8_t *ids; /* sorted, 16 bytes each */
    uint32_t n, cap;
};

#define SEEN_MAX (1u << 24)

hs_status hs_encounter_seen_new(hs_ctx *ctx, hs_encounter_seen **out)
{
    return array_object_new(ctx, out, sizeof **out, offsetof(hs_encounter_seen, alloc));
}

void hs_encounter_seen_free(hs_encounter_seen *s)
{
    array_object_free(s, s ? &s->alloc : NULL, s ? s->ids : NULL);
}

/* Index of id, or -(insertion point) - 1. */
static int64_t seen_find(const hs_encounter_seen *s, const uint8_t *id)
{
    int64_t lo = 0, hi = (int64_t)s->n - 1;
    while (lo <= hi) {
        int64_t mid = (lo + hi) / 2;
        int c = memcmp(s->ids + (size_t)mid * 16, id, 16);
        if (!c)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

int32_t hs_encounter_seen_contains(const hs_encounter_seen *s,
                                   const uint8_t id[HS_ENCOUNTER_ID_BYTES])
{
    return s && id && seen_find(s, id) >= 0;
}

uint32_t hs_encounter_seen_count(const hs_encounter_seen *s) { return s ? s->n : 0; }

static hs_status seen_reserve(hs_ctx *ctx, hs_encounter_seen *s, uint32_t want)
{
    if (want <= s->cap)
        return HS_OK;
    uint32_t cap = (uint32_t)hs__grown_cap(s->cap, want, 64, SEEN_MAX);
    uint8_t *n = hs__realloc(&s->alloc, s->ids, (size_t)cap * 16);
    if (!n)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory for the seen ids");
    s->ids = n;
    s->cap = cap;
    return HS_OK;
}

hs_status hs_encounter_seen_add(hs_ctx *ctx, hs_encounter_seen *s,
                                const uint8_t id[HS_ENCOUNTER_ID_BYTES])
{
    if (!s || !id)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_seen_add: NULL argument");
    int64_t at = seen_find(s, id);
    if (at >= 0)
        return hs__error(ctx, HS_ERR_EXISTS, "seen ids: already present");
    if (s->n >= SEEN_MAX)
        return hs__error(ctx, HS_ERR_LIMIT, "seen ids: more than %u", SEEN_MAX);
    hs_status st = seen_reserve(ctx, s, s->n + 1);
    if (st)
        return st;
    size_t pos = (size_t)(-at - 1);
    memmove(s->ids + (pos + 1) * 16, s->ids + pos * 16, (s->n - pos) * 16);
    memcpy(s->ids + pos * 16, id, 16);
    s->n++;
    return HS_OK;
}

static void seen_remove(hs_encounter_seen *s, const uint8_t *id)
{
    int64_t at = seen_find(s, id);
    if (at < 0)
        return;
    size_t pos = (size_t)at;
    memmove(s->ids + pos * 16, s->ids + (pos + 1) * 16, (s->n - pos - 1) * 16);
    s->n--;
}

hs_status hs_encounter_seen_save(hs_ctx *ctx, const char *path, const hs_encounter_seen *s)
{
    if (!path || !s)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_seen_save: NULL argument");
    hs__writer w;
    hs__writer_init(&w, hs__ctx_allocator(ctx));
    hs__wr_bytes(&w, HS__SEEN_MAGIC, 4);
    hs__wr_le16(&w, HS__ENC_VERSION);
    hs__wr_le16(&w, 0);
    hs__wr_le32(&w, s->n);
    hs__wr_bytes(&w, s->ids, (size_t)s->n * 16);
    if (!w.failed)
        hs__wr_le32(&w, hs__crc32c(0, w.buf, w.len));
    hs_status st = w.failed ? hs__error(ctx, HS_ERR_NOMEM, "out of memory saving the seen ids")
                            : hs__write_file_atomic(ctx, path, w.buf, w.len, HS_FILE_PRIVATE);
    hs__writer_free(&w);
    return st;
}

/* hs__decode_fn of hs_encounter_seen_load(); arg is the path, for messages. */
static hs_status seen_decode(hs_ctx *ctx, void *out, const uint8_t *data, size_t size,
                             const void *arg)
{
    char q[96];
    const char *path = hs__quote(q, sizeof q, arg);
    if (size < 16 || memcmp(data, HS__SEEN_MAGIC, 4))
        return hs__error(ctx, HS_ERR_FORMAT, "%s: not a seen-ids file", path);
    if (data[4] != HS__ENC_VERSION || data[5] || data[6] || data[7])
        return hs__error(ctx,
                         data[4] > HS__ENC_VERSION || data[5] ? HS_ERR_VERSION : HS_ERR_CORRUPT,
                         "%s: version or reserved bytes", path);
    uint32_t n = hs__get_le32(data + 8);
    if (n > SEEN_MAX || (uint64_t)n * 16 + 16 != size)
        return hs__error(ctx, HS_ERR_CORRUPT, "%s: %u ids disagree with %zu bytes", path, n,
                         size);
    if (hs__crc32c(0, data, size - 4) != hs__get_le32(data + size - 4))
        return hs__error(ctx, HS_ERR_CHECKSUM, "%s: checksum mismatch", path);
    for (uint32_t i = 1; i < n; i++)
        if (memcmp(data + 12 + (size_t)(i - 1) * 16, data + 12 + (size_t)i * 16, 16) >= 0)
            return hs__error(ctx, HS_ERR_CORRUPT, "%s: ids not sorted at %u", path, i);
    hs_encounter_seen *s = NULL;
    hs_status st = hs_encounter_seen_new(ctx, &s);
    if (!st)
        st = seen_reserve(ctx, s, n ? n : 1);
    if (st) {
        hs_encounter_seen_free(s);
        return st;
    }
    memcpy(s->ids, data + 12, (size_t)n * 16);
    s->n = n;
    *(hs_encounter_seen **)out = s;
    return HS_OK;
}

hs_status hs_encounter_seen_load(hs_ctx *ctx, hs_encounter_seen **out, const char *path,
                                 uint32_t flags)
{
    hs_status st = hs__out_and_input(ctx, out, path, "path");
    if (!st && (flags & ~HS_ENCOUNTER_SEEN_CREATE))
        st = hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_seen_load: unknown flag");
    if (st)
        return st;
    struct stat sb;
    if ((flags & HS_ENCOUNTER_SEEN_CREATE) && lstat(path, &sb) != 0 && errno == ENOENT)
        return hs_encounter_seen_new(ctx, out);
    return hs__load_file(ctx, out, path, seen_decode, path);
}

/* ---- opening ------------------------------------------------------------------------- */

typedef struct batch_item {
    hs_status status;
    int has_header;
    hs__enc_header h; /* pointers inside are cleared: the data is not kept */
    char reason[HS__ERRMSG_MAX];
    hs_encounter *e;
    hs_nist *tx;
} batch_item;

struct hs_encounter_batch {
    hs_allocator alloc;
    uint32_t n;
    batch_item *items;
};

#ifdef HOTSPOT_HAVE_SODIUM

/* Open with the header already parsed into h (signature not yet checked). */
static hs_status open_parsed(hs_ctx *ctx, hs_encounter **encounter, hs_nist **transaction,
                             const hs__enc_header *h, const uint8_t *p,
                             const uint8_t authority_box_secret[32],
                             const hs_encounter_registry *registry, hs_encounter_seen *seen)
{
    char kh[65];
    hex(kh, h->device_public, 8);
    const char *name = NULL;
    int32_t state = hs_encounter_registry_lookup(registry, &name, h->device_public);
    if (state == 0)
        return hs__error(ctx, HS_ERR_REVOKED, "unknown device (key %s...)", kh);
    if (state < 0)
        return hs__error(ctx, HS_ERR_REVOKED, "device %s is revoked", name);
    hs_status s = hs__enc_verify(ctx, h, p);
    if (s)
        return hs__error(ctx, s, "device %s: the signature does not verify", name);
    if (seen && hs_encounter_seen_contains(seen, h->id))
        return hs__error(ctx, HS_ERR_REPLAY, "device %s: encounter already opened (replay)",
                         name);
    uint8_t pk[32];
    crypto_scalarmult_base(pk, authority_box_secret);
    size_t plain_size = h->cipher_size - HS__ENC_SEALBYTES;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    uint8_t *plain = hs__malloc(a, plain_size);
    if (!plain)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory for a plaintext of %zu bytes",
                         plain_size);
    if (crypto_box_seal_open(plain, h->cipher, h->cipher_size, pk, authority_box_secret)) {
        hs__free(a, plain);
        return hs__error(ctx, HS_ERR_DECRYPT,
                         "device %s: cannot decrypt (another authority's key, or altered)", name);
    }
    hs_encounter *e = NULL;
    hs_nist *tx = NULL;
    s = hs__encounter_alloc(ctx, &e);
    uint8_t inner_key[32];
    const uint8_t *txb = NULL;
    size_t txn = 0;
    if (!s)
        s = hs__enc_read_plain(ctx, e, inner_key, &txb, &txn, plain, plain_size);
    if (!s && (memcmp(inner_key, h->device_public, 32) || memcmp(e->id, h->id, 16) ||
               e->time_ms != h->time_ms || e->decision != h->decision ||
               e->ncand != h->candidate_count || strcmp(e->text[HS_ENCOUNTER_TEXT_SHOWN], h->shown)))
        s = hs__error(ctx, HS_ERR_CORRUPT,
                      "device %s: the sealed content disagrees with the plain header", name);
    if (!s && transaction)
        s = hs_nist_decode(ctx, &tx, NULL, txb, txn, 0);
    if (!s && seen)
        s = hs_encounter_seen_add(ctx, seen, h->id);
    sodium_memzero(plain, plain_size);
    hs__free(a, plain);
    if (s) {
        hs_nist_free(tx);
        hs_encounter_free(e);
        return s;
    }
    *encounter = e;
    if (transaction)
        *transaction = tx;
    return HS_OK;
}

hs_status hs_encounter_open(hs_ctx *ctx, hs_encounter **encounter, hs_nist **transaction,
                            const void *sealed, size_t size, const uint8_t authority_box_secret[32],
                            const hs_encounter_registry *registry, hs_encounter_seen *seen)
{
    if (!encounter)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_open: encounter is NULL");
    *encounter = NULL;
    if (transaction)
        *transaction = NULL;
    if ((!sealed && size) || !authority_box_secret || !registry)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_open: NULL argument");
    if (sodium_init() < 0)
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    hs__enc_header h;
    hs_status s = hs__enc_parse_header(ctx, &h, sealed, size);
    if (s)
        return s;
    return open_parsed(ctx, encounter, transaction, &h, sealed, authority_box_secret, registry,
                       seen);
}

void hs_encounter_batch_free(hs_encounter_batch *b)
{
    if (!b)
        return;
    for (uint32_t i = 0; i < b->n; i++) {
        hs_encounter_free(b->items[i].e);
        hs_nist_free(b->items[i].tx);
    }
    hs__free_wiped(&b->alloc, b->items, (size_t)b->n * sizeof *b->items);
    HS__OBJECT_FREE(b, hs_encounter_batch, 0);
}

hs_status hs_encounter_batch_open(hs_ctx *ctx, hs_encounter_batch **out, const void *data,
                                  size_t size, const uint8_t authority_box_secret[32],
                                  const hs_encounter_registry *registry, hs_encounter_seen *seen,
                                  uint32_t flags)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_batch_open: out is NULL");
    *out = NULL;
    if ((!data && size) || !authority_box_secret || !registry || flags)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_batch_open: bad argument");
    if (sodium_init() < 0)
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    const hs_allocator *a = hs__ctx_allocator(ctx);
    /* the framing first, without allocating per record */
    uint32_t count = 0;
    hs_status s = HS_OK;
    size_t probe = size < HS__BATCH_HEADER ? 0 : hs__get_le32((const uint8_t *)data + 8);
    if (probe > HS_ENCOUNTER_BATCH_MAX)
        probe = HS_ENCOUNTER_BATCH_MAX + 1; /* batch_walk reports it */
    size_t slots = probe ? probe : 1;
    size_t *offs = hs__calloc(a, slots, sizeof *offs);
    size_t *lens = hs__calloc(a, slots, sizeof *lens);
    uint8_t *bad = hs__calloc(a, slots, 1);
    hs_status bst = HS_OK;
    hs_encounter_batch *b = HS__OBJECT_ALLOC(ctx, &bst, hs_encounter_batch);
    if (!offs || !lens || !bad || !b) {
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory opening a batch");
        goto done;
    }
    s = batch_walk(ctx, &count, offs, lens, bad, data, size);
    if (s)
        goto done;
    b->items = hs__calloc(a, count ? count : 1, sizeof *b->items);
    if (!b->items) {
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory opening a batch");
        goto done;
    }
    b->n = count;
    const uint8_t *p = data;
    for (uint32_t i = 0; i < count; i++) {
        batch_item *it = &b->items[i];
        const uint8_t *rec = p + offs[i];
        hs_status rs;
        if (bad[i])
            rs = hs__error(ctx, HS_ERR_CHECKSUM, "checksum mismatch (damaged in transit)");
        else {
            rs = hs__enc_parse_header(ctx, &it->h, rec, lens[i]);
            if (!rs) {
                it->has_header = 1;
                rs = open_parsed(ctx, &it->e, &it->tx, &it->h, rec, authority_box_secret,
                                 registry, seen);
            }
        }
        it->h.cipher = it->h.sig = NULL;
        it->status = rs;
        if (rs == HS_ERR_NOMEM) {
            s = rs;
            goto done;
        }
        if (rs) {
            snprintf(it->reason, sizeof it->reason, "record %u at offset %zu: %s", i,
                     offs[i] - 4, hs_ctx_last_error(ctx));
        }
    }
    hs_ctx_clear_error(ctx);
done:
    hs__free(a, offs);
    hs__free(a, lens);
    hs__free(a, bad);
    if (s) {
        /* leave seen as it was: forget the ids this call added */
        if (b && seen)
            for (uint32_t i = 0; i < b->n; i++)
                if (b->items[i].e)
                    seen_remove(seen, b->items[i].h.id);
        hs_encounter_batch_free(b);
        return s;
    }
    *out = b;
    return HS_OK;
}

#else

hs_status hs_encounter_open(hs_ctx *ctx, hs_encounter **encounter, hs_nist **transaction,
                            const void *sealed, size_t size, const uint8_t authority_box_secret[32],
                            const hs_encounter_registry *registry, hs_encounter_seen *seen)
{
    if (encounter)
        *encounter = NULL;
    if (transaction)
        *transaction = NULL;
    (void)sealed, (void)size, (void)authority_box_secret, (void)registry, (void)seen;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}

void hs_encounter_batch_free(hs_encounter_batch *b) { (void)b; }

hs_status hs_encounter_batch_open(hs_ctx *ctx, hs_encounter_batch **out, const void *data,
                                  size_t size, const uint8_t authority_box_secret[32],
                                  const hs_encounter_registry *registry, hs_encounter_seen *seen,
                                  uint32_t flags)
{
    if (out)
        *out = NULL;
    (void)data, (void)size, (void)authority_box_secret, (void)registry, (void)seen, (void)flags;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}
#endif

uint32_t hs_encounter_batch_count(const hs_encounter_batch *b) { return b ? b->n : 0; }

hs_status hs_encounter_batch_status(const hs_encounter_batch *b, const char **reason,
                                    uint32_t index)
{
    if (!b)
        return HS_ERR_INVALID_ARG;
    if (index >= b->n)
        return HS_ERR_NOT_FOUND;
    if (reason)
        *reason = b->items[index].reason;
    return b->items[index].status;
}

hs_status hs_encounter_batch_receipt(const hs_encounter_batch *b, hs_encounter_receipt *receipt,
                                     uint32_t index)
{
    if (!b || !receipt || receipt->struct_size < sizeof *receipt || receipt->struct_size % 4)
        return HS_ERR_INVALID_ARG;
    if (index >= b->n || !b->items[index].has_header)
        return HS_ERR_NOT_FOUND;
#ifdef HOTSPOT_HAVE_SODIUM
    return hs__enc_receipt_out(NULL, receipt, &b->items[index].h);
#else
    return HS_ERR_NOT_FOUND;
#endif
}

const hs_encounter *hs_encounter_batch_encounter(const hs_encounter_batch *b, uint32_t index)
{
    return b && index < b->n ? b->items[index].e : NULL;
}

const hs_nist *hs_encounter_batch_transaction(const hs_encounter_batch *b, uint32_t index)
{
    return b && index < b->n ? b->items[index].tx : NULL;
}
