/* Internal layout of watchlists and subjects, shared by lib/watchlist/. */
#ifndef HOTSPOT_INTERNAL_WATCHLIST_H
#define HOTSPOT_INTERNAL_WATCHLIST_H

#include "hotspot/match.h"
#include "hotspot/watchlist.h"
#include "internal/core.h"

#include <pthread.h>

#include <stdbool.h>

/* Codes of the first-stage filter kept per finger (see signature.c). */
#define HS__WL_CODES_MAX 256
/* Bytes of the fixed part of a stored finger, and of one stored minutia. */
#define HS__WL_FINGER_HDR 16
#define HS__WL_MINUTIA_BYTES 8
/* Finger flag (format 2): each code is followed by its pose bytes. */
#define HS__WL_FINGER_POSE 1
/* Finger flag (format 3): the finger's ridge orientation field follows, a
 * template HS__TBLOCK_FIELD block as it is (internal/template.h). */
#define HS__WL_FINGER_FIELD 2
/* Most cells of a stored field (64 x 64 cells of 16 px: over 2 inches
 * square at 500 ppi, more than any finger); a larger one is not stored. */
#define HS__WL_FIELD_CELLS_MAX 4096
#define HS__WL_FIELD_BYTES_MAX (12 + HS__WL_FIELD_CELLS_MAX)

typedef struct hs__wl_bfinger {
    uint32_t position, impression, quality;
    uint32_t width, height, ppi_x, ppi_y;
    uint32_t count;
    hs_minutia m[HS_WATCHLIST_MINUTIAE_MAX]; /* already quantised */
    uint32_t field_len; /* 0: no orientation field */
    uint8_t field[HS__WL_FIELD_BYTES_MAX];
} hs__wl_bfinger;

struct hs_watchlist_subject {
    hs_allocator alloc;
    char id[HS_WATCHLIST_ID_MAX + 1];
    uint32_t nfields;
    char key[HS_WATCHLIST_FIELDS_MAX][HS_WATCHLIST_KEY_MAX + 1];
    char value[HS_WATCHLIST_FIELDS_MAX][HS_WATCHLIST_VALUE_MAX + 1];
    uint32_t nfingers;
    hs__wl_bfinger finger[HS_WATCHLIST_FINGERS_MAX];
    uint32_t nfaces;
    uint32_t face_dim[HS_WATCHLIST_FACES_MAX];
    uint32_t face_model[HS_WATCHLIST_FACES_MAX];
    float *face[HS_WATCHLIST_FACES_MAX]; /* unit length, as stored (int8) */
};

/* One subject of a list: its serialised record (the bytes after the record
 * length, see docs/watchlist-format.md), validated when it entered the list.
 * The record lives either in its own allocation (owned) or inside the
 * buffer of a loaded file. */
typedef struct hs__wl_entry {
    const uint8_t *rec;
    uint32_t len;
    uint32_t fingers_off; /* offset of the finger-count byte */
    uint32_t faces_off;   /* offset of the face-count byte */
    uint8_t nfingers;
    uint8_t nfaces;
    uint8_t owned;
    uint8_t id_len;
} hs__wl_entry;

struct hs_watchlist {
    hs_allocator alloc;
    uint64_t version;
    uint32_t file_format; /* version it was loaded from (new lists: current) */
    hs__wl_entry *e;
    uint32_t n, cap;
    uint32_t *hash;       /* open addressing; entry index + 1, 0 = empty */
    uint32_t hcap;        /* power of two */
    uint64_t nfingers;
    uint64_t rec_bytes;
    uint32_t nfmt[4];     /* records by the lowest format that holds them (1-3) */
    uint8_t *blob;        /* buffer of a loaded file (records point into it) */
    size_t blob_size;
    int save_fault;       /* HOTSPOT_TESTING builds: hs__watchlist_set_save_fault */
    /* optional prepared-matcher cache (hs_watchlist_cache_prepared):
     * HS_WATCHLIST_FINGERS_MAX slots per entry; NULL when absent */
    hs_finger_prepared **cache;
    uint64_t cache_bytes;
    /* Readers-writer lock, writer preference (list.c): every public call
     * takes it; internal helpers never do (no nested locking). */
    pthread_rwlock_t lock;
    /* stored faces per dimension, so a probe of a dimension the list does
     * not hold is refused instead of silently ignored */
    uint32_t face_dims[HS_WATCHLIST_FACE_DIM_MAX + 1];
    uint32_t nfaces;
};

/* Count (+1) or uncount (-1) the faces of entry e in wl->face_dims. */
void hs__wl_face_dims_update(hs_watchlist *wl, const hs__wl_entry *e, int sign);

void hs__wl_rdlock(const hs_watchlist *wl);
void hs__wl_wrlock(hs_watchlist *wl);
void hs__wl_unlock(const hs_watchlist *wl);
/* hs_watchlist_encode without taking the lock (the caller holds it). */
hs_status hs__wl_encode(hs_ctx *ctx, void *buf, size_t *size, const hs_watchlist *wl);

/* Drop the prepared cache (any modification of the list does). */
void hs__wl_cache_drop(hs_watchlist *wl);

/* A stored finger as read from a record. */
typedef struct hs__wl_fview {
    uint32_t position, impression, quality, count;
    uint32_t width, height, ppi_x, ppi_y;
    uint32_t ncodes, flags;
    const uint8_t *minutiae; /* count * 8 bytes */
    const uint8_t *codes;    /* ncodes * 2 bytes, little-endian */
    /* pose bytes (NULL in fingers without HS__WL_FINGER_POSE): per code the
     * direction of the pair's line in 256 bins and its first minutia */
    const uint8_t *dirs, *firsts;
    /* the ridge orientation field block (HS__WL_FINGER_FIELD), validated:
     * NULL with field_len 0 when the finger has none */
    const uint8_t *field;
    uint32_t field_len;
} hs__wl_fview;

/* Decode the finger at rec+off into *f; returns the offset after it. The
 * record must have been validated. */
uint32_t hs__wl_finger_read(const uint8_t *rec, uint32_t off, hs__wl_fview *f);
/* Dequantise minutia i of a stored finger. */
void hs__wl_minutia_read(const hs__wl_fview *f, uint32_t i, hs_minutia *m);
/* Face j of an entry: dimension, model, int8 scale and the int8 values. */
void hs__wl_face_read(const hs__wl_entry *e, uint32_t j, uint32_t *dim, uint32_t *model,
                      float *scale, const int8_t **vals);

/* Validate a record body of len bytes as found in a file or package of
 * format version fmt (1 to 3: pose bytes allowed from 2 on, fields from 3
 * on); fills the
 * offsets of *e (not rec, owned). Returns NULL or a static reason. */
const char *hs__wl_record_check(const uint8_t *rec, uint32_t len, uint32_t fmt, hs__wl_entry *e);
/* Format version of the files, packages and records this library writes. */
#define HS__WL_FORMAT 3
/* The version a new list is written in until a finger needs a later one
 * (list.c: the oldest version that holds the content, so that readers of
 * 1.0 keep reading lists without orientation fields). */
#define HS__WL_FORMAT_BASE 2
/* Lowest format version that holds a validated record: 3 when a finger
 * has an orientation field, else 2 when one has pose bytes (every record
 * this library builds has them), else 1. Derived when a record enters or
 * leaves a list rather than stored with each entry (a million subjects). */
uint32_t hs__wl_record_format(const hs__wl_entry *e);
/* Format version the list is written in (list.c). */
uint32_t hs__wl_list_format(const hs_watchlist *wl);
/* Serialise a subject to a record body (allocated with a); *len its size. */
hs_status hs__wl_record_build(hs_ctx *ctx, const hs_allocator *a,
                              const hs_watchlist_subject *s, uint8_t **rec, uint32_t *len);
/* Parse a validated record into a new subject. */
hs_status hs__wl_record_to_subject(hs_ctx *ctx, const uint8_t *rec, uint32_t len,
                                   hs_watchlist_subject **out);

/* List internals used by the package code. */
hs_status hs__wl_insert_entry(hs_ctx *ctx, hs_watchlist *wl, const uint8_t *rec, uint32_t len,
                              bool copy, bool replace);
long hs__wl_find(const hs_watchlist *wl, const char *id, size_t id_len);
hs_status hs__wl_remove_index(hs_watchlist *wl, uint32_t i);
/* Apply a delta payload of a package of format version fmt. */
hs_status hs__wl_delta_apply(hs_ctx *ctx, hs_watchlist *wl, const uint8_t *p, size_t size,
                             uint32_t fmt);
hs_status hs__wl_clone(hs_ctx *ctx, const hs_watchlist *src, hs_watchlist **out);

/* Filter signature: minutia-pair codes of a finger (at most
 * HS__WL_CODES_MAX), computed from minutiae at their resolution. */
uint32_t hs__wl_codes(const hs_minutia *m, uint32_t n, uint32_t ppi_x, uint32_t ppi_y,
                      uint16_t *codes);

/* The same codes, and for each the direction of the line joining the pair
 * in 256 bins and in radians, and the index of the pair's first minutia (each
 * output may be NULL): the second filter stage votes on the rotation and
 * translation between probe and stored finger with them. */
uint32_t hs__wl_codes_dir(const hs_minutia *m, uint32_t n, uint32_t ppi_x, uint32_t ppi_y,
                          uint16_t *codes, uint8_t *dir, float *theta, uint8_t *first);

/* UTF-8 check (no NUL, no C0 controls except none allowed). */
bool hs__wl_utf8_ok(const uint8_t *s, size_t n);
/* Subject id text: UTF-8 without C0/C1 controls, bidirectional controls or
 * invisible format characters (subject.c lists them). */
bool hs__wl_id_ok(const uint8_t *s, size_t n);
/* Field value text: UTF-8 without C0/C1 controls. */
bool hs__wl_value_ok(const uint8_t *s, size_t n);
/* The format version in bytes 4-5 of a list or package header p (at least
 * 6 bytes), refused outside 1..HS__WL_FORMAT; what names the kind of file
 * in the error. */
hs_status hs__wl_format_version(hs_ctx *ctx, const uint8_t *p, const char *what, uint32_t *fv);

#ifdef HOTSPOT_TESTING
/* Test hook (HOTSPOT_TESTING builds only): make the next save of this list
 * fail at a stage (1 = after writing half of the temporary file, 2 = before
 * the rename); 0 disables. */
void hs__watchlist_set_save_fault(hs_watchlist *wl, int stage);
#endif

#endif
