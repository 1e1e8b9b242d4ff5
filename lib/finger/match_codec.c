/*
 * Prepared-template codec and the score calibration table.
 *
 * Layout (little-endian), HS__PREPARED_BYTES(n) = 16 + 48 n bytes:
 *   "HSFP"  magic
 *   u8      format version (1)
 *   u8      direction sections per cylinder (HS__CYL_ND)
 *   u16     minutia count n
 *   u8      finger position (0-10)
 *   u8[3]   zero
 *   n x     i16 x, i16 y (500 ppi, y up), u8 angle (2*pi/256), u8 type,
 *           u8 quality, u8 zero
 *   n x     u64 mask, u64 bits[HS__CYL_ND]
 *   (version 2 only: the orientation field, since 1.1)
 *   u16     gw, gh  grid cells (1-256 each)
 *   u16     x0, y0  grid offset, cells
 *   u16     cell width and height in the prepared frame, 1/64 px (equal,
 *           512-4096: 8-64 px)
 *   gw*gh   grid bytes (HS__TBLOCK_FIELD's, internal/template.h)
 *   u32     CRC-32C of everything before it
 * Version 1 is written when the template has no field (other extractors'
 * records, older templates), so those encodings are unchanged; both
 * versions are read.
 * The decoder trusts nothing: it checks every length, the CRC, the value
 * ranges and that each cylinder's values lie inside its mask.
 */
#include "internal/match.h"
#include "internal/template.h"

#include <math.h>
#include <string.h>

#define PREP_VERSION 2u
#define FIELD_HDR 12u

static size_t encoded_size(const hs_finger_prepared *p)
{
    return HS__PREPARED_BYTES(p->count) + (p->fd ? FIELD_HDR + (size_t)p->fd->gw * p->fd->gh : 0);
}

hs_status hs_finger_prepared_encode(hs_ctx *ctx, void *buf, size_t *size,
                                    const hs_finger_prepared *p)
{
    if (!p || !size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "prepared template or size is NULL");
    size_t need = encoded_size(p);
    if (!buf) {
        *size = need;
        return HS_OK;
    }
    if (*size < need) {
        *size = need;
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "need %zu bytes", need);
    }
    uint8_t *o = buf;
    memcpy(o, "HSFP", 4);
    o[4] = (uint8_t)(p->fd ? 2u : 1u);
    o[5] = (uint8_t)HS__CYL_ND;
    o[6] = (uint8_t)(p->count & 0xffu);
    o[7] = (uint8_t)(p->count >> 8);
    o[8] = (uint8_t)p->position;
    o[9] = o[10] = o[11] = 0;
    uint8_t *q = o + HS__PREPARED_HEADER;
    for (uint32_t i = 0; i < p->count; i++) {
        const hs__pmin *m = &p->min[i];
        uint16_t x = (uint16_t)m->x, y = (uint16_t)m->y;
        q[0] = (uint8_t)(x & 0xffu);
        q[1] = (uint8_t)(x >> 8);
        q[2] = (uint8_t)(y & 0xffu);
        q[3] = (uint8_t)(y >> 8);
        q[4] = m->angle;
        q[5] = m->type;
        q[6] = m->quality;
        q[7] = 0;
        q += 8;
    }
    for (uint32_t i = 0; i < p->count; i++) {
        for (uint32_t k = 0; k < HS__CYL_WORDS; k++) {
            uint64_t w = p->cyl[k * p->count + i];
            for (int b = 0; b < 8; b++)
                *q++ = (uint8_t)(w >> (8 * b));
        }
    }
    if (p->fd) {
        /* the cells are square: their width and height are the same */
        const uint16_t h[6] = {p->fd->gw, p->fd->gh, p->fd->x0, p->fd->y0, p->fd->c64, p->fd->c64};
        for (int k = 0; k < 6; k++, q += 2)
            hs__put_le16(q, h[k]);
        memcpy(q, p->fd->grid, (size_t)p->fd->gw * p->fd->gh);
        q += (size_t)p->fd->gw * p->fd->gh;
    }
    uint32_t crc = hs__crc32c(0, o, (size_t)(q - o));
    for (int b = 0; b < 4; b++)
        *q++ = (uint8_t)(crc >> (8 * b));
    *size = need;
    return HS_OK;
}

hs_status hs_finger_prepared_decode(hs_ctx *ctx, hs_finger_prepared **out, const void *buf,
                                    size_t size)
{
    const uint8_t *in = buf;
    hs_status st = hs__out_and_input(ctx, out, in, "buffer");
    if (st)
        return st;
    if (size < 4 || memcmp(in, "HSFP", 4) != 0)
        return hs__error(ctx, HS_ERR_FORMAT, "not a prepared fingerprint (magic)");
    if (size < HS__PREPARED_HEADER + 4)
        return hs__error(ctx, HS_ERR_TRUNCATED, "prepared fingerprint header truncated");
    if (in[4] > PREP_VERSION)
        return hs__error(ctx, HS_ERR_VERSION, "prepared format version %u is newer than %u",
                         in[4], PREP_VERSION);
    if (in[4] < 1 || in[5] != HS__CYL_ND)
        return hs__error(ctx, HS_ERR_CORRUPT, "bad prepared version or cylinder shape");
    uint32_t n = (uint32_t)in[6] | ((uint32_t)in[7] << 8);
    if (n > hs__limit(ctx, HS_LIMIT_MAX_MINUTIAE) || n > 255)
        return hs__error(ctx, HS_ERR_LIMIT, "%u minutiae exceed the limit", n);
    size_t need = HS__PREPARED_BYTES(n);
    /* version 2: the field's header after the cylinders, its grid after it */
    uint32_t fh[6] = {0, 0, 0, 0, 0, 0};
    const uint8_t *grid = NULL;
    if (in[4] == 2) {
        size_t at = need - 4;
        if (size < need + FIELD_HDR)
            return hs__error(ctx, HS_ERR_TRUNCATED, "prepared fingerprint truncated");
        for (int k = 0; k < 6; k++)
            fh[k] = hs__get_le16(in + at + 2 * k);
        if (!fh[0] || !fh[1] || fh[0] > HS__FIELD_MAX_DIM || fh[1] > HS__FIELD_MAX_DIM ||
            fh[4] != fh[5])
            return hs__error(ctx, HS_ERR_CORRUPT, "bad orientation field geometry");
        grid = in + at + FIELD_HDR;
        need += FIELD_HDR + (size_t)fh[0] * fh[1];
    }
    if (size < need)
        return hs__error(ctx, HS_ERR_TRUNCATED, "prepared fingerprint truncated");
    const char *why = grid ? hs__field_check(grid, fh[0], fh[1], fh[2], fh[3], fh[4]) : NULL;
    if (why)
        return hs__error(ctx, HS_ERR_CORRUPT, "orientation field: %s", why);
    if (size > need)
        return hs__error(ctx, HS_ERR_CORRUPT, "trailing bytes after prepared fingerprint");
    if (in[8] > 10 || in[9] || in[10] || in[11])
        return hs__error(ctx, HS_ERR_CORRUPT, "bad finger position or reserved bytes");
    const uint8_t *c = in + need - 4;
    uint32_t crc = (uint32_t)c[0] | ((uint32_t)c[1] << 8) | ((uint32_t)c[2] << 16) |
                   ((uint32_t)c[3] << 24);
    if (hs__crc32c(0, in, need - 4) != crc)
        return hs__error(ctx, HS_ERR_CHECKSUM, "prepared fingerprint CRC mismatch");
    const uint8_t *q = in + HS__PREPARED_HEADER;
    for (uint32_t i = 0; i < n; i++)
        if (q[8 * i + 5] > HS_MINUTIA_BIFURCATION || q[8 * i + 6] > 100 || q[8 * i + 7])
            return hs__error(ctx, HS_ERR_CORRUPT, "bad minutia %u", i);
    hs_finger_prepared *p = hs__prepared_new_field(hs__ctx_allocator(ctx), n, grid, fh[0], fh[1],
                                                   fh[2], fh[3], fh[4]);
    if (!p)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    p->position = in[8];
    for (uint32_t i = 0; i < n; i++, q += 8) {
        p->min[i].x = (int16_t)(uint16_t)((uint32_t)q[0] | ((uint32_t)q[1] << 8));
        p->min[i].y = (int16_t)(uint16_t)((uint32_t)q[2] | ((uint32_t)q[3] << 8));
        p->min[i].angle = q[4];
        p->min[i].type = q[5];
        p->min[i].quality = q[6];
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t w[HS__CYL_WORDS];
        for (int k = 0; k < HS__CYL_WORDS; k++) {
            uint64_t v = 0;
            for (int b = 0; b < 8; b++)
                v |= (uint64_t)q[b] << (8 * b);
            w[k] = v;
            q += 8;
        }
        for (uint32_t k = 0; k < HS__CYL_WORDS; k++) {
            if (w[k] & ~w[0]) {
                hs_finger_prepared_free(p);
                return hs__error(ctx, HS_ERR_CORRUPT, "cylinder %u has values outside its mask",
                                 i);
            }
            p->cyl[k * n + i] = w[k];
        }
        p->min[i].nvalid = (uint8_t)__builtin_popcountll(w[0]);
    }
    *out = p;
    return HS_OK;
}

/* Calibration: score thresholds at FMR 1e-2 .. 1e-6 (one per decade). The
 * first three are empirical thresholds of 127,680 impostor scores from three
 * sources counted with equal weight, FMR(t) = mean over the sources of the
 * share of their impostors scoring >= t: all cross-finger pairs of the
 * SecuGen ISO templates of the eight FVC B sets, of our extractor on the same
 * images, and of our extractor on the Neurotechnology set (bench_match
 * --calibrate). Equal weights keep the largest source (Neurotechnology, with
 * the lowest impostor scores) from making the thresholds optimistic for the
 * others. 1e-5 and 1e-6 extrapolate an exponential tail from the 1e-4 point
 * with a decay of 0.0183 per e-fold, which puts the largest impostor score
 * seen (0.1768, 1 in 23,040 ISO pairs: 1.4e-5 in the mixture) at 1.1e-5.
 * docs/finger-matching.md has the derivation. Between decades the threshold
 * is interpolated linearly in log10(FMR). Re-derived on 2026-12-06 after
 * the score gained its local-similarity weight and its quality-weighted
 * minutia counts, again after the constrained affine refit (which
 * raises impostor scores a little too), again after the extractor's
 * local ridge period and the floor of 10 on the expected counts, and again
 * (1e-2 and 1e-3; 1e-4 and the tail unchanged) after the orientation
 * anchor, which only adds alignments and so raises a few impostor scores. */
static const float fmr_thresholds[5] = {0.0599f, 0.0962f, 0.1364f, 0.1785f, 0.2207f};

float hs__finger_threshold(double fmr)
{
    if (!(fmr == fmr) || fmr >= 1e-2)
        return fmr_thresholds[0];
    if (fmr <= 1e-6)
        return fmr_thresholds[4];
    double d = -log10(fmr) - 2.0; /* 0 .. 4 */
    int k = (int)d;
    if (k >= 4)
        return fmr_thresholds[4];
    double f = d - k;
    return (float)((1.0 - f) * fmr_thresholds[k] + f * fmr_thresholds[k + 1]);
}

hs_status hs_finger_threshold_for_fmr(float *threshold, double fmr)
{
    /* A NaN or out-of-range rate is a caller's bug; giving back the loosest
     * threshold would turn it into a silent flood of false hits. */
    if (!threshold || !(fmr > 0.0 && fmr < 1.0))
        return HS_ERR_INVALID_ARG;
    *threshold = hs__finger_threshold(fmr);
    return HS_OK;
}
