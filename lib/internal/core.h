/*
 * Internal helpers shared by all modules: allocation through a context's
 * allocator, error recording, bounded byte readers and writers.
 * Never installed. Internal names carry the hs__ prefix.
 */
#ifndef HOTSPOT_INTERNAL_CORE_H
#define HOTSPOT_INTERNAL_CORE_H

#include "hotspot/common.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS__ERRMSG_MAX 256

struct hs_ctx {
    hs_allocator alloc;
    uint64_t limits[8]; /* indexed by HS_LIMIT_* key */
    hs_status last_status;
    char last_error[HS__ERRMSG_MAX];
};

/* The allocator used when no context (or a NULL allocator) is given. */
const hs_allocator *hs__default_allocator(void);

/* The allocator of ctx, or the default one when ctx is NULL. */
const hs_allocator *hs__ctx_allocator(const hs_ctx *ctx);

/* Allocation through an allocator (never NULL: use hs__ctx_allocator). Sizes
 * are checked for overflow; a zero size allocates one byte. */
void *hs__malloc(const hs_allocator *a, size_t size);
void *hs__calloc(const hs_allocator *a, size_t n, size_t size); /* zeroed */
void *hs__realloc(const hs_allocator *a, void *ptr, size_t size);
void hs__free(const hs_allocator *a, void *ptr);
/* Frees ptr (NULL: nothing) after wiping its first n bytes: for a buffer
 * that held biometric data, keys or sealed records. */
void hs__free_wiped(const hs_allocator *a, void *ptr, size_t n);
/* Room for one more element in a growing array of elem-byte elements that
 * holds n of *cap: when it is full, *arr (a T **) is reallocated to twice
 * *cap elements (first when empty). False, with nothing changed, when out of
 * memory. HS__ARRAY_ROOM passes the array and its element size. */
bool hs__array_room(const hs_allocator *a, void *arr, uint32_t n, uint32_t *cap, size_t elem,
                    uint32_t first);
#define HS__ARRAY_ROOM(a, arr, n, cap, first) \
    hs__array_room((a), &(arr), (n), &(cap), sizeof *(arr), (first))
/* The capacity a growing array moves to when it must hold want items: cap
 * (first when 0) doubled until it does, but at most max (want <= max). */
static inline size_t hs__grown_cap(size_t cap, size_t want, size_t first, size_t max)
{
    size_t n = cap ? cap : first;
    while (n < want)
        n *= 2;
    return n < max ? n : max;
}
/* Replaces the slot table of a linear-probing index (entry index + 1 in
 * each uint32_t slot, 0 = empty) by a zeroed one of at least need slots:
 * *cap (first when 0; both powers of two) doubled until it holds need. The
 * caller then puts its entries back. False, with nothing changed, when out
 * of memory or beyond 2^31 slots. */
bool hs__slots_grow(const hs_allocator *a, uint32_t **slots, uint32_t *cap, uint64_t need,
                    uint32_t first);

/* Little-endian integers at p (a byte buffer of any alignment). */
static inline uint16_t hs__get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t hs__get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static inline uint64_t hs__get_le64(const uint8_t *p)
{
    return (uint64_t)hs__get_le32(p) | ((uint64_t)hs__get_le32(p + 4) << 32);
}
static inline void hs__put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void hs__put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void hs__put_le64(uint8_t *p, uint64_t v)
{
    hs__put_le32(p, (uint32_t)v);
    hs__put_le32(p + 4, (uint32_t)(v >> 32));
}

/* The code point *cp that the n > 0 bytes at s begin with, in well-formed
 * UTF-8; returns its length in bytes (1-4), or 0 for a bad lead or
 * continuation byte, a cut-off sequence, an overlong form, a surrogate or a
 * value beyond U+10FFFF. */
size_t hs__utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
/* A new library object: size zeroed bytes from the ctx's allocator, with a
 * copy of that allocator written into the object's hs_allocator member at
 * alloc_offset (objects free themselves with it and may outlive the ctx).
 * NULL on failure, with *st = HS_ERR_NOMEM and the ctx's error set; *st =
 * HS_OK otherwise. */
void *hs__object_alloc(hs_ctx *ctx, hs_status *st, size_t size, size_t alloc_offset);
/* The start of a public constructor: refuses a NULL out (HS_ERR_INVALID_ARG),
 * sets *out to NULL, then hs__object_alloc. out is the caller's hs_x **. */
void *hs__object_new(hs_ctx *ctx, hs_status *st, void *out, size_t size, size_t alloc_offset);
/* The argument check that opens a function with an hs_x **out and one
 * required input: HS_ERR_INVALID_ARG when out is NULL; else *out = NULL, then
 * HS_ERR_INVALID_ARG ("<what> is NULL") when in is NULL; HS_OK otherwise. */
hs_status hs__out_and_input(hs_ctx *ctx, void *out, const void *in, const char *what);
#define HS__OBJECT_ALLOC(ctx, st, type) \
    ((type *)hs__object_alloc((ctx), (st), sizeof(type), offsetof(type, alloc)))
#define HS__OBJECT_NEW(ctx, st, out, type) \
    ((type *)hs__object_new((ctx), (st), (out), sizeof(type), offsetof(type, alloc)))
/* The end of a destructor, the mirror of hs__object_alloc: wipes the first
 * wipe bytes of obj (0: nothing to wipe), then frees obj with the copy of the
 * allocator it holds at alloc_offset. Nothing when obj is NULL. The members
 * obj owns are freed before, through &obj->alloc. */
void hs__object_free(void *obj, size_t alloc_offset, size_t wipe);
#define HS__OBJECT_FREE(obj, type, wipe) hs__object_free((obj), offsetof(type, alloc), (wipe))
/* *out (a T **) = a copy of the n bytes at src, allocated from a; NULL when
 * n is 0. HS_ERR_NOMEM ("out of memory") with *out NULL on failure. */
hs_status hs__memdup(hs_ctx *ctx, const hs_allocator *a, void *out, const void *src, size_t n);
/* Zero memory the compiler may not optimise away (for biometric data). */
void hs__memzero(void *p, size_t n);
/* n*size without overflow; false on overflow. */
bool hs__mul_ok(size_t n, size_t size, size_t *out);

/* Record an error on ctx (if not NULL) and return status, so that callers can
 * write `return hs__error(ctx, HS_ERR_FORMAT, "bad magic in %s", name);`. */
hs_status hs__error(hs_ctx *ctx, hs_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Puts "prefix: " before the ctx's last error message (a loader naming its
 * file), keeping status; returns status. Nothing when ctx is NULL or has no
 * message. */
hs_status hs__error_prefix(hs_ctx *ctx, hs_status status, const char *prefix);
hs_status hs__verror(hs_ctx *ctx, hs_status status, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 0)))
#endif
    ;

/* Defines the bounds query of a tunable (hs_limit_bounds and every
 * hs_*_param_bounds), hs_status name(type *min_value, type *max_value,
 * key_type key), over table: row key (from 1; row 0 unused) holds the lowest
 * and highest value in its members lo and hi. HS_ERR_INVALID_ARG when the
 * key is outside the table or both outputs are NULL. */
#define HS__DEFINE_BOUNDS(name, type, key_type, table, lo, hi)                              \
    hs_status name(type *min_value, type *max_value, key_type key)                          \
    {                                                                                      \
        if ((int)key <= 0 || (int)key >= (int)(sizeof(table) / sizeof(table)[0]) ||        \
            (!min_value && !max_value))                                                    \
            return HS_ERR_INVALID_ARG;                                                     \
        if (min_value)                                                                     \
            *min_value = (table)[key].lo;                                                  \
        if (max_value)                                                                     \
            *max_value = (table)[key].hi;                                                  \
        return HS_OK;                                                                      \
    }

/* Limit value for ctx (defaults when ctx is NULL). */
uint64_t hs__limit(const hs_ctx *ctx, int key);

/* Untrusted text (a subject id, a field key, a file name) as a quoted,
 * printable-ASCII string for an error message: bytes outside 0x20..0x7e,
 * quotes and backslashes become \xNN, so that no message carries terminal
 * escapes, bidirectional overrides or look-alike invisible characters; cut
 * with "..." to fit @p cap bytes (at least 8). Returns buf. */
const char *hs__quote(char *buf, size_t cap, const char *s);

/* Versioned structs (docs/conventions.md, section 6). Every public struct
 * that begins with struct_size goes through these two, so that every one
 * accepts the same sizes and says the same thing when it cannot.
 *
 * hs__struct_in: @p dst (cur_size bytes) holds the defaults; the caller's
 * @p src replaces them as far as its struct_size reaches. Sizes from
 * min_size (the 1.0 size) to cur_size are accepted; a larger size only when
 * every byte beyond cur_size is zero (a newer caller leaving new fields at
 * their defaults), else HS_ERR_UNSUPPORTED. A NULL src (options not given)
 * leaves the defaults.
 *
 * hs__struct_out: copy @p src (cur_size bytes, fully filled by the library)
 * into the caller's @p dst as far as dst->struct_size reaches, and set
 * dst->struct_size to the bytes filled: a caller with a newer, larger struct
 * learns what this library knows, and its bytes beyond are left untouched. */
hs_status hs__struct_in(hs_ctx *ctx, void *dst, size_t cur_size, const void *src,
                        size_t min_size, const char *name);
hs_status hs__struct_out(hs_ctx *ctx, void *dst, const void *src, size_t cur_size,
                         size_t min_size, const char *name);

/* Size of a struct up to and including member m: the first published size
 * of a versioned struct is written as HS__SIZE_TO(type, last 1.0 member). */
#define HS__SIZE_TO(type, m) (offsetof(type, m) + sizeof(((type *)0)->m))

/* Read a whole regular file into memory allocated with the ctx allocator,
 * refusing other file types (without blocking on a FIFO) and files over
 * HS_LIMIT_MAX_FILE_BYTES before allocating. The caller frees with hs__free. */
hs_status hs__read_file(hs_ctx *ctx, const char *path, uint8_t **data, size_t *size);
/* The loaders' shape: reads path whole (hs__read_file), hands the bytes to
 * decode(ctx, out, data, size, arg), then wipes and frees them (a file's
 * bytes are a face or a fingerprint too); decode's status. */
typedef hs_status (*hs__decode_fn)(hs_ctx *ctx, void *out, const uint8_t *data, size_t size,
                                   const void *arg);
hs_status hs__load_file(hs_ctx *ctx, void *out, const char *path, hs__decode_fn decode,
                        const void *arg);

/* The one atomic-save routine. hs__atomic_open creates a temporary file in
 * path's directory: an unnamed one (O_TMPFILE) where the file system has
 * them, so that a process killed while writing leaves nothing behind, else
 * ".<name>.hs-<random>.tmp" (O_CREAT | O_EXCL | O_NOFOLLOW); mode 0600 with
 * HS_FILE_PRIVATE, else 0666 less the umask. The caller writes af->fd, then
 * hs__atomic_commit fsyncs, gives the file its random name (unnamed case),
 * renames it over path and fsyncs the directory, or hs__atomic_abort drops
 * it. Both commit and abort release af; a failed commit removes the
 * temporary. hs_file_lock_acquire() removes the named temporaries a killed
 * writer of the same path left. */
typedef struct hs__atomic_file {
    int fd;
    int unnamed; /* O_TMPFILE, not linked yet */
    char *tmp, *dir;
    const char *path;
    const hs_allocator *alloc;
} hs__atomic_file;

hs_status hs__atomic_open(hs_ctx *ctx, hs__atomic_file *af, const char *path, uint32_t flags);
hs_status hs__atomic_commit(hs_ctx *ctx, hs__atomic_file *af);
void hs__atomic_abort(hs__atomic_file *af);

/* Write a whole buffer to path through the atomic-save routine. */
hs_status hs__write_file_atomic(hs_ctx *ctx, const char *path, const void *data, size_t size,
                                uint32_t flags);

/* ---- Bounded big-/little-endian reader -------------------------------- */
typedef struct hs__reader {
    const uint8_t *p;
    size_t size;
    size_t pos;
    bool overrun; /* set once a read went past the end; reads then give 0 */
} hs__reader;

void hs__reader_init(hs__reader *r, const void *data, size_t size);
size_t hs__reader_left(const hs__reader *r);
uint8_t hs__rd_u8(hs__reader *r);
uint16_t hs__rd_be16(hs__reader *r);
uint32_t hs__rd_be24(hs__reader *r);
uint32_t hs__rd_be32(hs__reader *r);
uint16_t hs__rd_le16(hs__reader *r);
uint32_t hs__rd_le32(hs__reader *r);
uint64_t hs__rd_le64(hs__reader *r);
float hs__rd_lef32(hs__reader *r);
bool hs__rd_bytes(hs__reader *r, void *dst, size_t n);
bool hs__skip(hs__reader *r, size_t n);

/* ---- Growable byte writer (allocator-backed, or counting only) -------- */
typedef struct hs__writer {
    const hs_allocator *alloc; /* NULL: counting only (size query) */
    uint8_t *buf;
    size_t len;
    size_t cap;
    bool failed; /* allocation failure */
} hs__writer;

void hs__writer_init(hs__writer *w, const hs_allocator *alloc);
void hs__writer_free(hs__writer *w);
void hs__wr_bytes(hs__writer *w, const void *src, size_t n);
void hs__wr_u8(hs__writer *w, uint8_t v);
void hs__wr_be16(hs__writer *w, uint16_t v);
void hs__wr_be24(hs__writer *w, uint32_t v);
void hs__wr_be32(hs__writer *w, uint32_t v);
void hs__wr_le16(hs__writer *w, uint16_t v);
void hs__wr_le32(hs__writer *w, uint32_t v);
void hs__wr_le64(hs__writer *w, uint64_t v);
void hs__wr_lef32(hs__writer *w, float v);
/* Overwrite already-written bytes at offset (for back-patched lengths). */
void hs__wr_patch_be32(hs__writer *w, size_t off, uint32_t v);
void hs__wr_patch_le32(hs__writer *w, size_t off, uint32_t v);

/* Copy a finished writer into a caller buffer with the two-call size query:
 * buf NULL -> *size = needed, HS_OK; *size too small -> HS_ERR_BUFFER_TOO_SMALL
 * with *size = needed. */
hs_status hs__writer_output(hs_ctx *ctx, const hs__writer *w, void *buf, size_t *size);

/* CRC-32C (Castagnoli), as used by the native template and watchlist formats:
 * crc is the value of the data before (0 to start). Uses the CPU's CRC
 * instruction when it has one; hs__crc32c_portable is the table version
 * (same results, for tests). */
uint32_t hs__crc32c(uint32_t crc, const void *data, size_t n);
uint32_t hs__crc32c_portable(uint32_t crc, const void *data, size_t n);

#endif /* HOTSPOT_INTERNAL_CORE_H */
