/* Internal layout of hs_template, shared by the template codecs and by other
 * modules that attach data to views (the matcher's prepared form). */
#ifndef HOTSPOT_INTERNAL_TEMPLATE_H
#define HOTSPOT_INTERNAL_TEMPLATE_H

#include "hotspot/template.h"
#include "internal/core.h"

typedef struct hs__view {
    hs_view_info info;   /* minutia_count kept equal to count */
    hs_minutia *minutiae;
    uint32_t count;
    /* Typed optional blocks, stored back to back exactly as in the native
     * format: u16le type, u16le flags, u32le length, data. Owned; may be
     * NULL. Use the hs__template_block_* functions, never edit directly. */
    uint8_t *ext;
    size_t ext_size;
} hs__view;

struct hs_template {
    hs_allocator alloc;
    hs__view *views;
    uint32_t nviews;
    uint32_t cap;
    /* Record-level header fields of the standard formats, kept so that a
     * decoded record re-encodes to the same bytes. 0 when unknown. */
    uint16_t capture_equipment; /* 4 bits compliance, 12 bits device id */
    uint32_t cbeff_product_id;  /* ANSI: owner (high 16) and type (low 16) */
};

/* Validate one minutia against a view's info; NULL on success or a static
 * reason on failure. */
const char *hs__minutia_check(const hs_minutia *m, const hs_view_info *info);

/* ---- Typed optional blocks on a view ----------------------------------
 * A view carries any number of typed opaque blocks (at most one per type).
 * They are written to and read from the native .hst format unchanged, and
 * survive hs_template_clone(). Types 0x0000 and 0xFFFF are invalid. */
#define HS__TBLOCK_FMR_EDB   0x0001 /* ISO/ANSI extended data block, see fmr.c */
#define HS__TBLOCK_FMR_QALG  0x0002 /* ANSI 2009 view: quality algorithm vendor+id, 4 bytes */
#define HS__TBLOCK_MATCHER   0x0010 /* the matcher's prepared form (match module) */
#define HS__TBLOCK_FIELD     0x0011 /* coarse ridge orientation field (since 1.1), below */
#define HS__TBLOCK_PRIVATE   0x8000 /* 0x8000-0xFFFE: application/experimental */
/* HS__TBLOCK_FIELD, written by the extractor, read by hs_finger_prepare():
 *   u8  version (1), u8 zero
 *   u16 cell size in the view's pixels, 1/16 px units (cells are square)
 *   u16 gw, gh    cells of the grid (1-256 each)
 *   u16 x0, y0    grid offset in cells from the image's top-left corner
 *   gw*gh bytes   row-major from the top: 0 = no ridges there, else bits
 *                 0-5 the ridge orientation q (angle q * pi / 64,
 *                 counter-clockwise from the x axis, y up) and bits 6-7
 *                 its coherence class 1-3 (low, middle, high; never 0
 *                 in a cell with ridges)
 * Little-endian; the block is exactly 12 + gw*gh bytes. hs_finger_prepare()
 * also needs the cell to measure 8-64 px at 500 ppi and the grid to end
 * within 32,000 px; it ignores the field of a view whose x and y
 * resolutions differ. */
#define HS__FIELD_HDR        12
#define HS__FIELD_MAX_DIM    256   /* 4096 px of 16 px cells: the extractor's largest image */

/* The framing of a HS__TBLOCK_FIELD block of n bytes at b: its five u16
 * (cell size, gw, gh, x0, y0) into h; false unless it is of version 1 and
 * exactly 12 + gw * gh bytes long. The rest is hs_finger_prepare()'s to
 * check. */
static inline bool hs__field_header(const uint8_t *b, size_t n, uint32_t h[5])
{
    if (n < HS__FIELD_HDR || b[0] != 1)
        return false;
    for (int k = 0; k < 5; k++)
        h[k] = hs__get_le16(b + 2 + 2 * k);
    return n == HS__FIELD_HDR + (size_t)h[1] * h[2];
}
#define HS__TBLOCK_HDR       8      /* bytes of type+flags+length per block */
#define HS__TBLOCK_MAX_DATA  0x7FFFFFFFu

/* Attach (or replace) block @type on view @view with a copy of @size bytes.
 * Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND (view), HS_ERR_LIMIT (the
 * template would exceed HS_LIMIT_MAX_TEMPLATE_BYTES), HS_ERR_NOMEM; the
 * template is unchanged on failure. */
hs_status hs__template_block_set(hs_ctx *ctx, hs_template *t, uint32_t view, uint16_t type,
                                 const void *data, size_t size);

/* Data of block @type on view @view, owned by the template (valid until the
 * view's blocks change); NULL with *size 0 when absent. */
const void *hs__template_block_get(const hs_template *t, uint32_t view, uint16_t type,
                                   size_t *size);

/* Remove block @type from view @view; HS_ERR_NOT_FOUND when absent. */
hs_status hs__template_block_remove(hs_template *t, uint32_t view, uint16_t type);

/* Walk the blocks of a raw block area: returns false at the end or on a
 * malformed block (*bad set true). */
typedef struct hs__tblock {
    uint16_t type;
    uint16_t flags;
    const uint8_t *data;
    size_t size;
} hs__tblock;
bool hs__tblock_next(const uint8_t *area, size_t area_size, size_t *pos, hs__tblock *b,
                     bool *bad);

/* Replace the whole block area of a view with a copy (used by decoders);
 * the area must already be valid. */
hs_status hs__template_set_ext(hs_ctx *ctx, hs_template *t, uint32_t view, const uint8_t *area,
                               size_t size);

/* ---- Codecs (lib/template/ codec files) --------------------------------------- */
hs_status hs__hst_encode(hs_ctx *ctx, const hs_template *t, hs__writer *w);
hs_status hs__hst_decode(hs_ctx *ctx, hs_template **out, const uint8_t *p, size_t n);
/* Standard records ("FMR\0"): format is one of the ISO/ANSI formats. */
hs_status hs__fmr_encode(hs_ctx *ctx, const hs_template *t, uint32_t format, hs__writer *w);
hs_status hs__fmr_decode(hs_ctx *ctx, hs_template **out, const uint8_t *p, size_t n,
                         uint32_t format);
/* Which FMR format a buffer starting with "FMR\0" holds (0: unknown
 * version); the rule is documented in docs/template-format.md. */
uint32_t hs__fmr_detect(const uint8_t *p, size_t n);

#endif
