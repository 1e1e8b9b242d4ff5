/* Version, status text, context, allocation and error recording. */
#include "internal/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned hs_version_number(void) { return HS_VERSION_NUMBER; }
const char *hs_version_string(void) { return HS_VERSION_STRING; }

const char *hs_status_str(hs_status s)
{
    switch (s) {
    case HS_OK: return "ok";
    case HS_ERR_INVALID_ARG: return "invalid argument";
    case HS_ERR_NOMEM: return "out of memory";
    case HS_ERR_IO: return "input/output error";
    case HS_ERR_FORMAT: return "unknown or wrong format";
    case HS_ERR_TRUNCATED: return "truncated input";
    case HS_ERR_CORRUPT: return "corrupt input";
    case HS_ERR_UNSUPPORTED: return "unsupported feature";
    case HS_ERR_LIMIT: return "input exceeds a limit";
    case HS_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case HS_ERR_NO_FINGERPRINT: return "no fingerprint found";
    case HS_ERR_NO_FACE: return "no face found";
    case HS_ERR_CHECKSUM: return "checksum mismatch";
    case HS_ERR_SIGNATURE: return "signature does not verify";
    case HS_ERR_DECRYPT: return "decryption failed (wrong key or altered data)";
    case HS_ERR_ROLLBACK: return "rollback refused (older version)";
    case HS_ERR_NOT_FOUND: return "not found";
    case HS_ERR_EXISTS: return "already exists";
    case HS_ERR_MODEL: return "model missing, corrupt or of the wrong shape";
    case HS_ERR_NOT_BUILT: return "feature not built into this library";
    case HS_ERR_INTERNAL: return "internal error";
    case HS_ERR_STATE: return "object in the wrong state";
    case HS_ERR_VERSION: return "format version not supported";
    case HS_ERR_THREAD: return "thread could not be started";
    case HS_ERR_UNAVAILABLE: return "service unavailable: no answer in time";
    case HS_ERR_LOCKED: return "locked by another writer";
    case HS_ERR_FULL: return "store full (size or count limit)";
    case HS_ERR_REPLAY: return "replayed message";
    case HS_ERR_REVOKED: return "key unknown or revoked";
    default: return "unknown status";
    }
}

/* ---- allocation ------------------------------------------------------- */

static void *std_malloc(void *o, size_t n) { (void)o; return malloc(n); }
static void *std_realloc(void *o, void *p, size_t n) { (void)o; return realloc(p, n); }
static void std_free(void *o, void *p) { (void)o; free(p); }

static const hs_allocator default_alloc = {std_malloc, std_realloc, std_free, NULL};

const hs_allocator *hs__default_allocator(void) { return &default_alloc; }

const hs_allocator *hs__ctx_allocator(const hs_ctx *ctx)
{
    return ctx ? &ctx->alloc : &default_alloc;
}

bool hs__mul_ok(size_t n, size_t size, size_t *out)
{
    if (size != 0 && n > SIZE_MAX / size)
        return false;
    *out = n * size;
    return true;
}

void *hs__malloc(const hs_allocator *a, size_t size)
{
    return a->malloc_fn(a->opaque, size ? size : 1);
}

void *hs__calloc(const hs_allocator *a, size_t n, size_t size)
{
    size_t total;
    if (!hs__mul_ok(n, size, &total))
        return NULL;
    void *p = hs__malloc(a, total);
    if (p)
        memset(p, 0, total);
    return p;
}

void *hs__object_alloc(hs_ctx *ctx, hs_status *st, size_t size, size_t alloc_offset)
{
    const hs_allocator *a = hs__ctx_allocator(ctx);
    unsigned char *o = hs__calloc(a, 1, size);
    if (!o) {
        *st = hs__error(ctx, HS_ERR_NOMEM, "out of memory (%zu bytes)", size);
        return NULL;
    }
    memcpy(o + alloc_offset, a, sizeof *a);
    *st = HS_OK;
    return o;
}

void hs__object_free(void *obj, size_t alloc_offset, size_t wipe)
{
    if (!obj)
        return;
    hs_allocator a; /* the object's copy is wiped with it */
    memcpy(&a, (unsigned char *)obj + alloc_offset, sizeof a);
    hs__free_wiped(&a, obj, wipe);
}

hs_status hs__out_and_input(hs_ctx *ctx, void *out, const void *in, const char *what)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    /* *out = NULL through memcpy: out is an hs_x ** seen as void * */
    void *const none = NULL;
    memcpy(out, &none, sizeof none);
    if (!in)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s is NULL", what);
    return HS_OK;
}

void *hs__object_new(hs_ctx *ctx, hs_status *st, void *out, size_t size, size_t alloc_offset)
{
    static const char present = 0;
    *st = hs__out_and_input(ctx, out, &present, "");
    return *st ? NULL : hs__object_alloc(ctx, st, size, alloc_offset);
}

hs_status hs__memdup(hs_ctx *ctx, const hs_allocator *a, void *out, const void *src, size_t n)
{
    void *copy = n ? hs__malloc(a, n) : NULL;
    if (copy)
        memcpy(copy, src, n);
    memcpy(out, &copy, sizeof copy);
    return n && !copy ? hs__error(ctx, HS_ERR_NOMEM, "out of memory") : HS_OK;
}

bool hs__slots_grow(const hs_allocator *a, uint32_t **slots, uint32_t *cap, uint64_t need,
                    uint32_t first)
{
    if (need > (1u << 31))
        return false;
    size_t ncap = hs__grown_cap(*cap, (size_t)need, first, (size_t)1 << 31);
    uint32_t *v = hs__calloc(a, ncap, sizeof *v);
    if (!v)
        return false;
    hs__free(a, *slots);
    *slots = v;
    *cap = (uint32_t)ncap;
    return true;
}

void *hs__realloc(const hs_allocator *a, void *ptr, size_t size)
{
    return a->realloc_fn(a->opaque, ptr, size ? size : 1);
}

bool hs__array_room(const hs_allocator *a, void *arr, uint32_t n, uint32_t *cap, size_t elem,
                    uint32_t first)
{
    if (n < *cap)
        return true;
    uint32_t ncap = *cap ? *cap * 2 : first;
    void *old;
    memcpy(&old, arr, sizeof old);
    void *p = hs__realloc(a, old, (size_t)ncap * elem);
    if (!p)
        return false;
    memcpy(arr, &p, sizeof p);
    *cap = ncap;
    return true;
}

size_t hs__utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint32_t c = s[0];
    size_t len;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) {
        len = 2;
        c &= 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        c &= 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        c &= 0x07u;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[k] & 0x3fu);
    }
    /* overlong forms, surrogates, beyond U+10FFFF */
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
        return 0;
    *cp = c;
    return len;
}

void hs__free(const hs_allocator *a, void *ptr)
{
    if (ptr)
        a->free_fn(a->opaque, ptr);
}

void hs__free_wiped(const hs_allocator *a, void *ptr, size_t n)
{
    if (!ptr)
        return;
    hs__memzero(ptr, n);
    a->free_fn(a->opaque, ptr);
}

void hs__memzero(void *p, size_t n)
{
#if defined(__GNUC__) || defined(__clang__)
    /* memset at full speed (wiping a million-finger list byte by byte took
     * seconds), then an empty asm that may read the memory, so the compiler
     * cannot drop the stores as dead */
    if (!n)
        return;
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--)
        *v++ = 0;
#endif
}

/* ---- context ---------------------------------------------------------- */

struct limit_desc {
    uint64_t def, min, max;
};

static const struct limit_desc limit_table[] = {
    {0, 0, 0},                                    /* unused 0 */
    {64ull << 20, 1, 1ull << 32},                 /* MAX_PIXELS */
    {32768, 1, 1u << 20},                         /* MAX_DIMENSION */
    {255, 1, 65535},                              /* MAX_MINUTIAE */
    {1u << 20, 64, 1ull << 32},                   /* MAX_TEMPLATE_BYTES */
    {1ull << 30, 1024, 1ull << 40},               /* MAX_FILE_BYTES */
    {32, 1, 255},                                 /* MAX_VIEWS */
};
#define LIMIT_KEYS ((int)(sizeof limit_table / sizeof limit_table[0]))

static const char *const limit_names[] = {
    "", "max_pixels", "max_dimension", "max_minutiae", "max_template_bytes",
    "max_file_bytes", "max_views",
};

HS__DEFINE_BOUNDS(hs_limit_bounds, uint64_t, hs_limit, limit_table, min, max)

hs_status hs_ctx_new(hs_ctx **out, const hs_allocator *alloc)
{
    if (!out)
        return HS_ERR_INVALID_ARG;
    *out = NULL;
    if (alloc && (!alloc->malloc_fn || !alloc->realloc_fn || !alloc->free_fn))
        return HS_ERR_INVALID_ARG;
    const hs_allocator *a = alloc ? alloc : &default_alloc;
    hs_ctx *ctx = hs__malloc(a, sizeof *ctx);
    if (!ctx)
        return HS_ERR_NOMEM;
    memset(ctx, 0, sizeof *ctx);
    ctx->alloc = *a;
    for (int k = 1; k < LIMIT_KEYS; k++)
        ctx->limits[k] = limit_table[k].def;
    *out = ctx;
    return HS_OK;
}

void hs_ctx_free(hs_ctx *ctx)
{
    HS__OBJECT_FREE(ctx, hs_ctx, 0);
}

hs_status hs_ctx_set_limit(hs_ctx *ctx, hs_limit key, uint64_t value)
{
    if (!ctx || (int)key <= 0 || (int)key >= LIMIT_KEYS)
        return ctx ? hs__error(ctx, HS_ERR_INVALID_ARG,
                               "unknown limit key %d (known: 1..%d)", (int)key, LIMIT_KEYS - 1)
                   : HS_ERR_INVALID_ARG;
    if (value < limit_table[key].min || value > limit_table[key].max)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "limit %s: value %llu outside the allowed range [%llu, %llu]",
                         limit_names[key],
                         (unsigned long long)value,
                         (unsigned long long)limit_table[key].min,
                         (unsigned long long)limit_table[key].max);
    ctx->limits[key] = value;
    return HS_OK;
}

uint64_t hs__limit(const hs_ctx *ctx, int key)
{
    if (key <= 0 || key >= LIMIT_KEYS)
        return 0;
    return ctx ? ctx->limits[key] : limit_table[key].def;
}

hs_status hs_ctx_get_limit(const hs_ctx *ctx, uint64_t *value, hs_limit key)
{
    if (!value || (int)key <= 0 || (int)key >= LIMIT_KEYS)
        return HS_ERR_INVALID_ARG;
    *value = hs__limit(ctx, (int)key);
    return HS_OK;
}

/* ---- quoting ------------------------------------------------------------- */

const char *hs__quote(char *buf, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (cap < 8) {
        if (cap)
            buf[0] = '\0';
        return buf;
    }
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        /* room for one escape, the closing quote, "..." and the NUL */
        if (o + 4 + 5 > cap) {
            memcpy(buf + o, "\"...", 4);
            o += 4;
            buf[o] = '\0';
            return buf;
        }
        if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
            buf[o++] = (char)*p;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[*p >> 4];
            buf[o++] = hex[*p & 15];
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* ---- versioned structs ------------------------------------------------- */

/* The caller's struct_size, checked the same way for input and output. */
static hs_status struct_size_of(hs_ctx *ctx, uint32_t *n, const void *s, size_t cur_size,
                                size_t min_size, const char *name)
{
    memcpy(n, s, sizeof *n);
    if (*n < min_size || *n % 4 != 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "%s.struct_size %u: expected %zu (the 1.0 size) or more, a multiple of 4 "
                         "(this library's is %zu)",
                         name, *n, min_size, cur_size);
    return HS_OK;
}

hs_status hs__struct_in(hs_ctx *ctx, void *dst, size_t cur_size, const void *src,
                        size_t min_size, const char *name)
{
    if (!src)
        return HS_OK;
    uint32_t n;
    hs_status st = struct_size_of(ctx, &n, src, cur_size, min_size, name);
    if (st)
        return st;
    if (n > cur_size) {
        const unsigned char *tail = (const unsigned char *)src + cur_size;
        for (size_t i = 0; i < n - cur_size; i++)
            if (tail[i])
                return hs__error(ctx, HS_ERR_UNSUPPORTED,
                                 "%s: a field beyond byte %zu is set; it needs a newer library",
                                 name, cur_size);
        n = (uint32_t)cur_size;
    }
    /* dst holds the defaults; the caller's bytes replace what it has. */
    memcpy((unsigned char *)dst + sizeof n, (const unsigned char *)src + sizeof n, n - sizeof n);
    return HS_OK;
}

hs_status hs__struct_out(hs_ctx *ctx, void *dst, const void *src, size_t cur_size,
                         size_t min_size, const char *name)
{
    uint32_t n;
    hs_status st = struct_size_of(ctx, &n, dst, cur_size, min_size, name);
    if (st)
        return st;
    /* A caller built against a newer header learns from struct_size how much
     * this library filled; its bytes beyond that are left as they were. */
    uint32_t fill = n < cur_size ? n : (uint32_t)cur_size;
    memcpy((unsigned char *)dst + sizeof n, (const unsigned char *)src + sizeof n, fill - sizeof n);
    memcpy(dst, &fill, sizeof fill);
    return HS_OK;
}

const char *hs_ctx_last_error(const hs_ctx *ctx)
{
    return ctx ? ctx->last_error : "";
}

hs_status hs_ctx_last_status(const hs_ctx *ctx)
{
    return ctx ? ctx->last_status : HS_OK;
}

void hs_ctx_clear_error(hs_ctx *ctx)
{
    if (ctx) {
        ctx->last_status = HS_OK;
        ctx->last_error[0] = '\0';
    }
}

hs_status hs_ctx_set_error(hs_ctx *ctx, hs_status status, const char *message)
{
    return hs__error(ctx, status, "%s", message ? message : "");
}

hs_status hs__verror(hs_ctx *ctx, hs_status status, const char *fmt, va_list ap)
{
    if (ctx) {
        ctx->last_status = status;
        vsnprintf(ctx->last_error, sizeof ctx->last_error, fmt, ap);
    }
    return status;
}

hs_status hs__error_prefix(hs_ctx *ctx, hs_status status, const char *prefix)
{
    if (!ctx || !ctx->last_error[0])
        return status;
    char tmp[HS__ERRMSG_MAX];
    snprintf(tmp, sizeof tmp, "%s", ctx->last_error);
    return hs__error(ctx, status, "%s: %s", prefix, tmp);
}

hs_status hs__error(hs_ctx *ctx, hs_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hs__verror(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}
