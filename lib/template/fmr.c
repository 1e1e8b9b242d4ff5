/* Standard finger minutiae records ("FMR\0"): ISO/IEC 19794-2:2005,
 * ANSI/INCITS 378-2004 and ANSI/INCITS 378-2009 (version "030"), read and
 * written; ISO/IEC 19794-2:2011 (also "030") read. Byte layouts, the rule
 * telling the formats apart and the rounding rules are in
 * docs/template-format.md. Every length and count is checked against the
 * bytes present and the ctx limits before use. */
#include "internal/template.h"

#include <math.h>
#include <string.h>

#define TWO_PI 6.28318530717958647692
#define MAX_COORD 0x3FFF

/* Layout family of a format. */
static bool is_iso(uint32_t f)
{
    return f == HS_TEMPLATE_FORMAT_ISO19794_2_2005 || f == HS_TEMPLATE_FORMAT_ISO19794_2_2011;
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint32_t be16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }

uint32_t hs__fmr_detect(const uint8_t *p, size_t n)
{
    if (n < 8 || memcmp(p, "FMR", 4) != 0)
        return 0;
    if (!memcmp(p + 4, " 20", 4)) {
        if (n < 12)
            return HS_TEMPLATE_FORMAT_ISO19794_2_2005;
        /* ISO 2005 has a 4-byte length at offset 8; ANSI 2004 a 2-byte one,
         * or 0x0000 followed by a 4-byte one. Records under 64 KiB: ISO has
         * 0x0000 in bytes 8-9 and ANSI (2-byte form) does not. */
        if (be16(p + 8) != 0)
            return be32(p + 8) == n ? HS_TEMPLATE_FORMAT_ISO19794_2_2005
                                    : HS_TEMPLATE_FORMAT_ANSI378_2004;
        if (be32(p + 8) == n)
            return HS_TEMPLATE_FORMAT_ISO19794_2_2005;
        if (n >= 14 && be32(p + 10) == n)
            return HS_TEMPLATE_FORMAT_ANSI378_2004;
        /* Neither length matches the data (truncated or padded input): an
         * ISO length is at least its 24-byte header, while bytes 8-11 of the
         * ANSI 6-byte form hold the high half of a length >= 64 KiB, which
         * is below 24 for any record under 1.5 MiB. */
        return be32(p + 8) >= 24 ? HS_TEMPLATE_FORMAT_ISO19794_2_2005
                                 : HS_TEMPLATE_FORMAT_ANSI378_2004;
    }
    if (!memcmp(p + 4, "030", 4)) {
        /* ISO 2011: length(4) + representation count(2) + certification
         * flag(1) + first representation length(4). ANSI 2009: length(4) +
         * CBEFF product id(4) + equipment(2) + view count(1) + reserved(1). */
        if (n < 19 || p[14] > 1 || be16(p + 12) == 0)
            return HS_TEMPLATE_FORMAT_ANSI378_2009;
        /* ISO 2011 when the representation lengths chain exactly to the
         * end of the data, or the first one at least fits (a damaged ISO
         * record still gets ISO error messages). */
        size_t pos = 15;
        uint32_t reps = be16(p + 12);
        for (uint32_t i = 0; i < reps && pos <= n - 4; i++) {
            uint32_t l = be32(p + pos);
            if (l < 32 || l > n - pos)
                break;
            pos += l;
            if (i + 1 == reps && pos == n)
                return HS_TEMPLATE_FORMAT_ISO19794_2_2011;
        }
        return pos > 15 && be32(p + 8) != n ? HS_TEMPLATE_FORMAT_ISO19794_2_2011
                                             : HS_TEMPLATE_FORMAT_ANSI378_2009;
    }
    return 0;
}

/* ---- decoding ------------------------------------------------------- */

typedef struct dec {
    hs_ctx *ctx;
    uint32_t format;
    const char *fname;
    hs__reader r;   /* limited to the record length */
    hs_template *t;
    hs_minutia *mins; /* scratch, 255 entries */
} dec;

static hs_status need(dec *d, size_t n, const char *what, uint32_t view)
{
    if (hs__reader_left(&d->r) < n)
        return hs__error(d->ctx, HS_ERR_TRUNCATED,
                         "%s: record ends inside %s of view %u (offset %zu, %zu bytes needed, %zu left)",
                         d->fname, what, view, d->r.pos, n, hs__reader_left(&d->r));
    return HS_OK;
}

static uint32_t ppcm_to_ppi(uint32_t ppcm) { return (ppcm * 254 + 50) / 100; }

/* The record's count of views (what: its name in the format) within the
 * ctx's HS_LIMIT_MAX_VIEWS. */
static hs_status views_within_limit(dec *d, uint32_t nviews, const char *what)
{
    uint64_t max = hs__limit(d->ctx, HS_LIMIT_MAX_VIEWS);
    if (nviews > max)
        return hs__error(d->ctx, HS_ERR_LIMIT, "%s: %u %s exceed the limit of %llu", d->fname,
                         nviews, what, (unsigned long long)max);
    return HS_OK;
}

static hs_status check_res(dec *d, uint32_t xr, uint32_t yr, uint32_t view)
{
    if (!xr || !yr)
        return hs__error(d->ctx, HS_ERR_CORRUPT, "%s: view %u: zero resolution (%ux%u ppcm)",
                         d->fname, view, xr, yr);
    if (ppcm_to_ppi(xr) > 10000 || ppcm_to_ppi(yr) > 10000)
        return hs__error(d->ctx, HS_ERR_UNSUPPORTED,
                         "%s: view %u: resolution %ux%u ppcm beyond 10000 ppi", d->fname, view, xr,
                         yr);
    return HS_OK;
}

static hs_status check_view_fields(dec *d, const hs_view_info *vi, uint32_t view)
{
    if (vi->finger_position > 10)
        return hs__error(d->ctx, HS_ERR_CORRUPT,
                         "%s: view %u: finger position %u is not a single finger (0-10)", d->fname,
                         view, vi->finger_position);
    uint32_t it = vi->impression_type;
    if (!(it <= 3 || it == 8))
        return hs__error(d->ctx, HS_ERR_CORRUPT, "%s: view %u: impression type %u is reserved",
                         d->fname, view, it);
    if (vi->quality > 100)
        return hs__error(d->ctx, HS_ERR_CORRUPT, "%s: view %u: finger quality %u above 100",
                         d->fname, view, vi->quality);
    if (vi->view_number > 15)
        return hs__error(d->ctx, HS_ERR_CORRUPT, "%s: view %u: view number %u above 15", d->fname,
                         view, vi->view_number);
    return HS_OK;
}

/* Minutiae: 2 bits type + 14 bits x, 2 bits reserved + 14 bits y, angle,
 * then quality when qual is true. */
static hs_status read_minutiae(dec *d, const hs_view_info *vi, uint32_t view, uint32_t count,
                               bool qual)
{
    for (uint32_t i = 0; i < count; i++) {
        uint32_t tx = hs__rd_be16(&d->r), ty = hs__rd_be16(&d->r);
        uint32_t a = hs__rd_u8(&d->r);
        uint32_t q = qual ? hs__rd_u8(&d->r) : 0;
        uint32_t type = tx >> 14;
        if (type == 3)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: view %u minutia %u: type 3 is reserved", d->fname, view, i);
        if (ty >> 14)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: view %u minutia %u: reserved bits above y are set", d->fname,
                             view, i);
        float ang;
        if (is_iso(d->format)) {
            ang = (float)((double)a * (TWO_PI / 256.0));
        } else {
            if (a >= 180)
                return hs__error(d->ctx, HS_ERR_CORRUPT,
                                 "%s: view %u minutia %u: angle %u beyond 179 (2-degree units)",
                                 d->fname, view, i, a);
            ang = (float)((double)a * (TWO_PI / 180.0));
        }
        if ((d->format == HS_TEMPLATE_FORMAT_ISO19794_2_2011 ||
             d->format == HS_TEMPLATE_FORMAT_ANSI378_2009) &&
            q >= 254)
            q = 0; /* 254: not reported, 255: failed to compute */
        if (q > 100)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: view %u minutia %u: quality %u above 100", d->fname, view, i, q);
        hs_minutia *m = &d->mins[i];
        memset(m, 0, sizeof *m);
        m->x = (float)(tx & MAX_COORD);
        m->y = (float)(ty & MAX_COORD);
        m->angle = ang;
        m->type = (uint8_t)type;
        m->quality = (uint8_t)q;
        const char *why = hs__minutia_check(m, vi);
        if (why)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: view %u minutia %u at (%u, %u): %s (image %ux%u)", d->fname,
                             view, i, tx & MAX_COORD, ty & MAX_COORD, why, vi->width, vi->height);
    }
    return HS_OK;
}

/* Our orientation field (block HS__TBLOCK_FIELD) travels in the extended
 * data as a vendor area (types 0x0100-0xFFFF are vendor-defined): type
 * FIELD_AREA, then the magic "HSOF" and the block's bytes. Written when the
 * view has a field and no extended data of its own (a decoded record's is
 * written back as read, with the area if it had one); read back into the
 * field block when it parses. */
#define FIELD_AREA 0x4853u /* "HS" */
static const uint8_t FIELD_MAGIC[4] = {'H', 'S', 'O', 'F'};

/* Bytes of the field's area for view vi (0: none written). */
static size_t field_area_bytes(const hs_template *t, uint32_t vi, const uint8_t **field,
                               size_t *fsz)
{
    *field = NULL;
    *fsz = 0;
    size_t n;
    if (hs__template_block_get(t, vi, HS__TBLOCK_FMR_EDB, &n))
        return 0;
    const uint8_t *f = hs__template_block_get(t, vi, HS__TBLOCK_FIELD, &n);
    if (!f || n < HS__FIELD_HDR || n + 8u > 0xFFFFu)
        return 0;
    *field = f;
    *fsz = n;
    return 8u + n;
}

/* The field block carried by area a (type, len bytes with its header), or
 * NULL; *fsz its size. Only the block's framing is checked here: the
 * matcher checks the rest when it prepares the view. */
static const uint8_t *field_in_area(const uint8_t *a, uint32_t type, uint32_t len, size_t *fsz)
{
    uint32_t h[5];
    if (type != FIELD_AREA || len < 8u + HS__FIELD_HDR || memcmp(a + 4, FIELD_MAGIC, 4) ||
        !hs__field_header(a + 8, len - 8u, h))
        return NULL;
    *fsz = len - 8u;
    return a + 8;
}

/* Check that an extended data block is a sequence of areas (type, length
 * including the 4 header bytes, data); *field gets the first of them that
 * carries our orientation field (FIELD_AREA, above), *fsz its size, or
 * NULL. */
static hs_status check_edb(dec *d, const uint8_t *p, size_t n, uint32_t view,
                           const uint8_t **field, size_t *fsz)
{
    size_t pos = 0;
    *field = NULL;
    while (pos < n) {
        if (n - pos < 4)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: view %u: extended data ends inside an area header", d->fname,
                             view);
        uint32_t type = be16(p + pos), len = be16(p + pos + 2);
        if (type == 0)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: view %u: extended data area type 0 is reserved", d->fname, view);
        if (len < 4 || len > n - pos)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: view %u: extended data area of type 0x%04x claims %u bytes, %zu left",
                             d->fname, view, type, len, n - pos);
        if (!*field)
            *field = field_in_area(p + pos, type, len, fsz);
        pos += len;
    }
    return HS_OK;
}

/* Extended data block: u16 length, then that many bytes. Kept as block
 * HS__TBLOCK_FMR_EDB = u8 source format, u16le declared length, content.
 * The last view's block runs to the end of the record: a declared length
 * that disagrees there is kept as read, so that such records (the NIST
 * samples have them) decode and re-encode to the same bytes. */
static hs_status read_edb(dec *d, uint32_t view, bool last)
{
    hs_status s = need(d, 2, "the extended data length", view);
    if (s)
        return s;
    uint32_t len = hs__rd_be16(&d->r);
    size_t left = hs__reader_left(&d->r);
    size_t take = len;
    bool exact = true;
    if (last && left != len) {
        take = left;
        exact = false;
    } else if (len > left) {
        return hs__error(d->ctx, HS_ERR_CORRUPT,
                         "%s: view %u: extended data claims %u bytes, the record has %zu left",
                         d->fname, view, len, left);
    }
    const uint8_t *p = d->r.p + d->r.pos;
    const uint8_t *f = NULL;
    size_t fsz = 0;
    if (exact && (s = check_edb(d, p, take, view, &f, &fsz)))
        return s;
    hs__skip(&d->r, take);
    if (!take && len == 0)
        return HS_OK;
    const hs_allocator *a = hs__ctx_allocator(d->ctx);
    uint8_t *blk = hs__malloc(a, take + 3);
    if (!blk)
        return hs__error(d->ctx, HS_ERR_NOMEM, "out of memory");
    blk[0] = (uint8_t)d->format;
    blk[1] = (uint8_t)len;
    blk[2] = (uint8_t)(len >> 8);
    if (take)
        memcpy(blk + 3, p, take);
    s = hs__template_block_set(d->ctx, d->t, d->t->nviews - 1, HS__TBLOCK_FMR_EDB, blk,
                               take + 3);
    hs__free_wiped(a, blk, take + 3);
    if (!s && f)
        s = hs__template_block_set(d->ctx, d->t, d->t->nviews - 1, HS__TBLOCK_FIELD, f, fsz);
    return s;
}

static hs_status add_view(dec *d, const hs_view_info *vi, uint32_t count)
{
    hs_status s = hs_template_add_view(d->ctx, d->t, vi, d->mins, count);
    if (s == HS_ERR_INVALID_ARG) /* pre-checked; keep the decoder's code */
        s = hs__error(d->ctx, HS_ERR_CORRUPT, "%s: %s", d->fname, hs_ctx_last_error(d->ctx));
    return s;
}

static hs_status check_count(dec *d, uint32_t count, uint32_t view)
{
    uint64_t lim = hs__limit(d->ctx, HS_LIMIT_MAX_MINUTIAE);
    if (count > lim)
        return hs__error(d->ctx, HS_ERR_LIMIT, "%s: view %u has %u minutiae, the limit is %llu",
                         d->fname, view, count, (unsigned long long)lim);
    return HS_OK;
}

static hs_status decode_2004(dec *d, uint32_t nviews, const hs_view_info *base)
{
    for (uint32_t v = 0; v < nviews; v++) {
        hs_status s = need(d, 4, "the view header", v);
        if (s)
            return s;
        hs_view_info vi = *base;
        vi.finger_position = hs__rd_u8(&d->r);
        uint32_t b = hs__rd_u8(&d->r);
        vi.view_number = b >> 4;
        vi.impression_type = b & 15;
        vi.quality = hs__rd_u8(&d->r);
        uint32_t count = hs__rd_u8(&d->r);
        if ((s = check_view_fields(d, &vi, v)) || (s = check_count(d, count, v)) ||
            (s = need(d, (size_t)count * 6, "the minutiae", v)) ||
            (s = read_minutiae(d, &vi, v, count, true)) || (s = add_view(d, &vi, count)) ||
            (s = read_edb(d, v, v + 1 == nviews)))
            return s;
    }
    return HS_OK;
}

static hs_status decode_ansi2009(dec *d, uint32_t nviews)
{
    for (uint32_t v = 0; v < nviews; v++) {
        hs_status s = need(d, 17, "the view header", v);
        if (s)
            return s;
        hs_view_info vi;
        memset(&vi, 0, sizeof vi);
        vi.struct_size = sizeof vi;
        vi.finger_position = hs__rd_u8(&d->r);
        vi.view_number = hs__rd_u8(&d->r);
        vi.impression_type = hs__rd_u8(&d->r);
        vi.quality = hs__rd_u8(&d->r);
        /* Block 0x0002: quality vendor and algorithm id, then the raw view
         * quality when it is 254 (not reported) or 255 (failed). */
        uint8_t qalg[5];
        hs__rd_bytes(&d->r, qalg, 4);
        size_t qn = 4;
        if (vi.quality >= 254) {
            qalg[4] = (uint8_t)vi.quality;
            qn = 5;
            vi.quality = 0;
        }
        vi.width = hs__rd_be16(&d->r);
        vi.height = hs__rd_be16(&d->r);
        uint32_t xr = hs__rd_be16(&d->r), yr = hs__rd_be16(&d->r);
        uint32_t count = hs__rd_u8(&d->r);
        if ((s = check_res(d, xr, yr, v)))
            return s;
        vi.ppi_x = ppcm_to_ppi(xr);
        vi.ppi_y = ppcm_to_ppi(yr);
        if ((s = check_view_fields(d, &vi, v)) || (s = check_count(d, count, v)) ||
            (s = need(d, (size_t)count * 6, "the minutiae", v)) ||
            (s = read_minutiae(d, &vi, v, count, true)) || (s = add_view(d, &vi, count)))
            return s;
        if ((be32(qalg) || qn == 5) &&
            (s = hs__template_block_set(d->ctx, d->t, v, HS__TBLOCK_FMR_QALG, qalg, qn)))
            return s;
        if ((s = read_edb(d, v, v + 1 == nviews)))
            return s;
    }
    return HS_OK;
}

static hs_status decode_iso2011(dec *d, uint32_t nviews, bool certflag)
{
    for (uint32_t v = 0; v < nviews; v++) {
        hs_status s = need(d, 4, "the representation length", v);
        if (s)
            return s;
        size_t start = d->r.pos;
        uint32_t replen = hs__rd_be32(&d->r);
        if (replen < 4 || replen - 4 > hs__reader_left(&d->r))
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: representation %u claims %u bytes, the record has %zu left",
                             d->fname, v, replen, hs__reader_left(&d->r) + 4);
        /* Read inside the representation only. */
        hs__reader outer = d->r;
        hs__reader_init(&d->r, d->r.p + start, replen);
        hs__skip(&d->r, 4);
        if ((s = need(d, 9 + 1 + 2 + 2 + 1, "the representation header", v)))
            return s;
        hs__skip(&d->r, 9 + 1 + 2 + 2); /* capture date, device technology/vendor/type */
        uint32_t nq = hs__rd_u8(&d->r);
        if ((s = need(d, (size_t)nq * 5, "the quality blocks", v)))
            return s;
        hs_view_info vi;
        memset(&vi, 0, sizeof vi);
        vi.struct_size = sizeof vi;
        for (uint32_t i = 0; i < nq; i++) {
            uint32_t q = hs__rd_u8(&d->r);
            hs__skip(&d->r, 4);
            if (i == 0)
                vi.quality = q > 100 ? 0 : q; /* 255: failed to compute */
        }
        if (certflag) {
            if ((s = need(d, 1, "the certification blocks", v)))
                return s;
            uint32_t nc = hs__rd_u8(&d->r);
            if ((s = need(d, (size_t)nc * 3, "the certification blocks", v)))
                return s;
            hs__skip(&d->r, (size_t)nc * 3);
        }
        if ((s = need(d, 13, "the representation header", v)))
            return s;
        vi.finger_position = hs__rd_u8(&d->r);
        vi.view_number = hs__rd_u8(&d->r);
        uint32_t xr = hs__rd_be16(&d->r), yr = hs__rd_be16(&d->r);
        vi.impression_type = hs__rd_u8(&d->r);
        vi.width = hs__rd_be16(&d->r);
        vi.height = hs__rd_be16(&d->r);
        uint32_t fieldlen = hs__rd_u8(&d->r) >> 4; /* low 4 bits: ridge ending type */
        uint32_t count = hs__rd_u8(&d->r);
        if ((s = check_res(d, xr, yr, v)))
            return s;
        vi.ppi_x = ppcm_to_ppi(xr);
        vi.ppi_y = ppcm_to_ppi(yr);
        if (fieldlen != 5 && fieldlen != 6)
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: representation %u: minutia field length %u (5 or 6 expected)",
                             d->fname, v, fieldlen);
        if ((s = check_view_fields(d, &vi, v)) || (s = check_count(d, count, v)) ||
            (s = need(d, (size_t)count * fieldlen, "the minutiae", v)) ||
            (s = read_minutiae(d, &vi, v, count, fieldlen == 6)) || (s = add_view(d, &vi, count)))
            return s;
        /* The extended data block ends the representation exactly. */
        if ((s = read_edb(d, v, false)))
            return s;
        if (hs__reader_left(&d->r))
            return hs__error(d->ctx, HS_ERR_CORRUPT,
                             "%s: representation %u: %zu bytes after its extended data", d->fname,
                             v, hs__reader_left(&d->r));
        d->r = outer;
        hs__skip(&d->r, replen - 4);
    }
    return HS_OK;
}

hs_status hs__fmr_decode(hs_ctx *ctx, hs_template **out, const uint8_t *p, size_t n,
                         uint32_t format)
{
    *out = NULL;
    dec d;
    memset(&d, 0, sizeof d);
    d.ctx = ctx;
    d.format = format;
    d.fname = hs_template_format_name(format);
    hs__reader_init(&d.r, p, n);
    hs__skip(&d.r, 8);
    bool ansi2004 = format == HS_TEMPLATE_FORMAT_ANSI378_2004;
    size_t hdr = format == HS_TEMPLATE_FORMAT_ISO19794_2_2005 ? 24
                 : ansi2004                                   ? 26
                 : format == HS_TEMPLATE_FORMAT_ANSI378_2009  ? 20
                                                              : 15;
    if (n < (ansi2004 ? 10 : 12))
        return hs__error(ctx, HS_ERR_TRUNCATED, "%s: %zu bytes end inside the record length",
                         d.fname, n);
    uint64_t len;
    if (ansi2004) {
        len = hs__rd_be16(&d.r);
        if (!len) {
            if (n < 14)
                return hs__error(ctx, HS_ERR_TRUNCATED,
                                 "%s: %zu bytes end inside the 6-byte record length", d.fname, n);
            len = hs__rd_be32(&d.r);
            hdr = 30;
            if (len < 0x10000)
                return hs__error(ctx, HS_ERR_CORRUPT,
                                 "%s: 6-byte length form holds %llu, below 65536", d.fname,
                                 (unsigned long long)len);
        }
    } else {
        len = hs__rd_be32(&d.r);
    }
    if (len > hs__limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES))
        return hs__error(ctx, HS_ERR_LIMIT, "%s: record length %llu exceeds the limit of %llu",
                         d.fname, (unsigned long long)len,
                         (unsigned long long)hs__limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES));
    if (len > n)
        return hs__error(ctx, HS_ERR_TRUNCATED, "%s: record length %llu, only %zu bytes given",
                         d.fname, (unsigned long long)len, n);
    if (len < n)
        return hs__error(ctx, HS_ERR_CORRUPT, "%s: record length %llu, but %zu bytes given",
                         d.fname, (unsigned long long)len, n);
    if (len < hdr)
        return hs__error(ctx, HS_ERR_TRUNCATED, "%s: record length %llu is shorter than its header",
                         d.fname, (unsigned long long)len);
    hs_status s = hs_template_new(ctx, &d.t);
    if (s)
        return s;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    d.mins = hs__malloc(a, 255 * sizeof *d.mins);
    if (!d.mins) {
        hs_template_free(d.t);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    uint32_t nviews;
    hs_view_info base;
    memset(&base, 0, sizeof base);
    base.struct_size = sizeof base;
    if (format == HS_TEMPLATE_FORMAT_ISO19794_2_2011) {
        nviews = hs__rd_be16(&d.r);
        uint32_t cert = hs__rd_u8(&d.r);
        if (cert > 1)
            s = hs__error(ctx, HS_ERR_CORRUPT, "%s: certification flag %u (0 or 1 expected)",
                          d.fname, cert);
        if (!s)
            s = views_within_limit(&d, nviews, "representations");
        if (!s)
            s = decode_iso2011(&d, nviews, cert == 1);
    } else {
        if (format != HS_TEMPLATE_FORMAT_ISO19794_2_2005)
            d.t->cbeff_product_id = hs__rd_be32(&d.r);
        d.t->capture_equipment = hs__rd_be16(&d.r);
        if (format != HS_TEMPLATE_FORMAT_ANSI378_2009) {
            base.width = hs__rd_be16(&d.r);
            base.height = hs__rd_be16(&d.r);
            uint32_t xr = hs__rd_be16(&d.r), yr = hs__rd_be16(&d.r);
            s = check_res(&d, xr, yr, 0);
            base.ppi_x = ppcm_to_ppi(xr);
            base.ppi_y = ppcm_to_ppi(yr);
        }
        nviews = hs__rd_u8(&d.r);
        uint32_t reserved = hs__rd_u8(&d.r);
        if (!s && reserved)
            s = hs__error(ctx, HS_ERR_CORRUPT, "%s: reserved header byte is 0x%02x, not 0",
                          d.fname, reserved);
        if (!s)
            s = views_within_limit(&d, nviews, "finger views");
        if (!s)
            s = format == HS_TEMPLATE_FORMAT_ANSI378_2009 ? decode_ansi2009(&d, nviews)
                                                          : decode_2004(&d, nviews, &base);
    }
    if (!s && hs__reader_left(&d.r))
        s = hs__error(ctx, HS_ERR_CORRUPT, "%s: %zu bytes left after the last view", d.fname,
                      hs__reader_left(&d.r));
    hs__free_wiped(a, d.mins, 255 * sizeof *d.mins);
    if (s) {
        hs_template_free(d.t);
        return s;
    }
    *out = d.t;
    return HS_OK;
}

/* ---- encoding ------------------------------------------------------- */

/* ppi -> ppcm, rounded to nearest (never 0). */
static uint32_t ppi_to_ppcm(uint32_t ppi)
{
    uint32_t c = (ppi * 100 + 127) / 254;
    return c ? c : 1;
}

/* Round a coordinate to the nearest whole pixel. */
static uint32_t round_coord(float v)
{
    if (!(v > 0.0f))
        return 0;
    double r = floor((double)v + 0.5);
    return r > 65535.0 ? 65535u : (uint32_t)r;
}

static uint32_t encode_angle(float a, bool iso)
{
    double units = iso ? 256.0 : 180.0;
    double k = floor((double)a * (units / TWO_PI) + 0.5);
    if (k < 0.0)
        k = 0.0;
    uint32_t u = (uint32_t)k;
    return u % (uint32_t)units;
}

static hs_status write_minutiae(hs_ctx *ctx, const hs__view *v, uint32_t vi, bool iso,
                                const char *fname, hs__writer *w)
{
    for (uint32_t i = 0; i < v->count; i++) {
        const hs_minutia *m = &v->minutiae[i];
        uint32_t x = round_coord(m->x), y = round_coord(m->y);
        if (x > MAX_COORD || y > MAX_COORD)
            return hs__error(ctx, HS_ERR_UNSUPPORTED,
                             "%s: view %u minutia %u at (%u, %u) beyond the 14-bit range", fname,
                             vi, i, x, y);
        hs__wr_be16(w, (uint16_t)(((uint32_t)m->type << 14) | x));
        hs__wr_be16(w, (uint16_t)y);
        hs__wr_u8(w, (uint8_t)encode_angle(m->angle, iso));
        hs__wr_u8(w, m->quality);
    }
    return HS_OK;
}

/* Extended data areas parse back to back without a remainder. */
static bool areas_ok(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    while (pos < n) {
        if (n - pos < 4)
            return false;
        uint32_t len = be16(p + pos + 2);
        if (be16(p + pos) == 0 || len < 4 || len > n - pos)
            return false;
        pos += len;
    }
    return true;
}

/* Core and delta data (area type 2) differ between the families:
 *  - ANSI 378: per group (cores, then deltas) an information byte, type in
 *    bits 7-6 (1 = with angles, for the whole group), bits 5-4 zero, count
 *    in bits 3-0; then per point x and y (14 bits each) and, when typed so,
 *    one angle (core) or three (delta);
 *  - ISO 19794-2: per group a count byte; then per point x with bit 14 set
 *    when this point has angles, y, and its angles.
 * A conversion is possible when the data parses exactly and every group
 * has at most 15 points that all have angles or all have none; it keeps
 * the size. */
static bool core_delta_convertible(const uint8_t *p, size_t n, bool src_iso)
{
    size_t pos = 0;
    for (uint32_t part = 0; part < 2; part++) {
        if (pos >= n)
            return false;
        uint32_t h = p[pos++], count, has;
        if (src_iso) {
            count = h;
            if (count > 15)
                return false;
            has = count && n - pos >= 2 ? (p[pos] >> 6) : 0;
        } else {
            count = h & 15;
            has = h >> 6;
            if (h & 0x30)
                return false;
        }
        if (has > 1)
            return false;
        for (uint32_t i = 0; i < count; i++) {
            if (n - pos < 4)
                return false;
            uint32_t top = p[pos] >> 6;
            if (src_iso ? top != has : top != 0)
                return false;
            size_t each = 4 + (has ? (part ? 3u : 1u) : 0u);
            if (n - pos < each)
                return false;
            pos += each;
        }
    }
    return pos == n;
}

/* Rewrite convertible core/delta data in place into the other family's
 * layout, angles rescaled to its unit. */
static void core_delta_convert(uint8_t *p, size_t n, bool src_iso)
{
    size_t pos = 0;
    for (uint32_t part = 0; part < 2 && pos < n; part++) {
        uint32_t h = p[pos], count, has;
        if (src_iso) {
            count = h;
            has = count ? (uint32_t)(p[pos + 1] >> 6) : 0;
            p[pos] = (uint8_t)((has << 6) | count);
        } else {
            count = h & 15;
            has = h >> 6;
            p[pos] = (uint8_t)count;
        }
        pos++;
        uint32_t nang = has ? (part ? 3u : 1u) : 0u;
        for (uint32_t i = 0; i < count; i++) {
            if (src_iso)
                p[pos] &= 0x3F;
            else
                p[pos] = (uint8_t)(p[pos] | (has << 6));
            pos += 4;
            for (uint32_t k = 0; k < nang; k++, pos++) {
                double deg = src_iso ? p[pos] * (360.0 / 256.0) : p[pos] * 2.0;
                float rad = (float)(deg * (TWO_PI / 360.0));
                p[pos] = (uint8_t)encode_angle(rad, !src_iso);
            }
        }
    }
}

static hs_status write_edb(hs_ctx *ctx, const hs_template *t, uint32_t vi, bool last,
                           uint32_t format, const char *fname, hs__writer *w)
{
    size_t n;
    const uint8_t *b = hs__template_block_get(t, vi, HS__TBLOCK_FMR_EDB, &n);
    if (!b || n < 3) {
        const uint8_t *f;
        size_t fsz, area = field_area_bytes(t, vi, &f, &fsz);
        hs__wr_be16(w, (uint16_t)area);
        if (area) {
            hs__wr_be16(w, (uint16_t)FIELD_AREA);
            hs__wr_be16(w, (uint16_t)area);
            hs__wr_bytes(w, FIELD_MAGIC, 4);
            hs__wr_bytes(w, f, fsz);
        }
        return HS_OK;
    }
    uint32_t declared = (uint32_t)b[1] | ((uint32_t)b[2] << 8);
    size_t content = n - 3;
    if (!last || content > 0xFFFF)
        declared = (uint32_t)content;
    if (content > 0xFFFF && !last)
        return hs__error(ctx, HS_ERR_UNSUPPORTED,
                         "%s: view %u: extended data of %zu bytes beyond 65535", fname, vi,
                         content);
    /* Only the last view may carry extended data kept as read from a
     * record whose lengths disagreed (see read_edb). */
    if (!last && !areas_ok(b + 3, content))
        return hs__error(ctx, HS_ERR_UNSUPPORTED,
                         "%s: view %u: its extended data (kept as read) is malformed and can "
                         "only be written as the last view",
                         fname, vi);
    hs__wr_be16(w, (uint16_t)declared);
    bool src_iso = is_iso(b[0]), dst_iso = is_iso(format);
    if (src_iso == dst_iso || !areas_ok(b + 3, content)) {
        hs__wr_bytes(w, b + 3, content);
        return HS_OK;
    }
    size_t pos = 0;
    while (pos < content) {
        const uint8_t *a = b + 3 + pos;
        uint32_t len = be16(a + 2);
        if (be16(a) == 2 && core_delta_convertible(a + 4, len - 4, src_iso)) {
            size_t start = w->len;
            hs__wr_bytes(w, a, len);
            if (w->buf && !w->failed)
                core_delta_convert(w->buf + start + 4, len - 4, src_iso);
        } else {
            hs__wr_bytes(w, a, len);
        }
        pos += len;
    }
    return HS_OK;
}

static hs_status check_encodable(hs_ctx *ctx, const hs_template *t, uint32_t format,
                                 const char *fname)
{
    if (t->nviews > 255)
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "%s: %u views, the format holds 255", fname,
                         t->nviews);
    for (uint32_t i = 0; i < t->nviews; i++) {
        const hs_view_info *a = &t->views[i].info, *b = &t->views[0].info;
        if (t->views[i].count > 255)
            return hs__error(ctx, HS_ERR_UNSUPPORTED, "%s: view %u has %u minutiae (255 at most)",
                             fname, i, t->views[i].count);
        if (a->width > 0xFFFF || a->height > 0xFFFF)
            return hs__error(ctx, HS_ERR_UNSUPPORTED, "%s: view %u: image %ux%u beyond 16 bits",
                             fname, i, a->width, a->height);
        if (a->impression_type > 15)
            return hs__error(ctx, HS_ERR_UNSUPPORTED, "%s: view %u: impression type %u", fname,
                             i, a->impression_type);
        if (format != HS_TEMPLATE_FORMAT_ANSI378_2009 &&
            (a->width != b->width || a->height != b->height ||
             ppi_to_ppcm(a->ppi_x) != ppi_to_ppcm(b->ppi_x) ||
             ppi_to_ppcm(a->ppi_y) != ppi_to_ppcm(b->ppi_y)))
            return hs__error(ctx, HS_ERR_UNSUPPORTED,
                             "%s: views 0 and %u differ in image size or resolution; the format "
                             "holds one per record",
                             fname, i);
    }
    return HS_OK;
}

hs_status hs__fmr_encode(hs_ctx *ctx, const hs_template *t, uint32_t format, hs__writer *w)
{
    const char *fname = hs_template_format_name(format);
    hs_status s = check_encodable(ctx, t, format, fname);
    if (s)
        return s;
    bool iso = is_iso(format);
    bool a2009 = format == HS_TEMPLATE_FORMAT_ANSI378_2009;
    /* Body size first: the ANSI 2004 length form depends on it. */
    size_t body = 0;
    for (uint32_t i = 0; i < t->nviews; i++) {
        size_t n;
        const uint8_t *b = hs__template_block_get(t, i, HS__TBLOCK_FMR_EDB, &n);
        const uint8_t *f;
        size_t fsz, area = field_area_bytes(t, i, &f, &fsz);
        body += (a2009 ? 17 : 4) + (size_t)t->views[i].count * 6 + 2 + (b && n >= 3 ? n - 3 : area);
    }
    size_t hdr = iso ? 24 : a2009 ? 20 : 26;
    size_t total = hdr + body;
    bool long_form = false;
    if (format == HS_TEMPLATE_FORMAT_ANSI378_2004 && total > 0xFFFF) {
        long_form = true;
        total += 4;
    }
    if (total > 0xFFFFFFFFu)
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "%s: record too large", fname);
    hs__wr_bytes(w, "FMR", 4);
    hs__wr_bytes(w, a2009 ? "030" : " 20", 4);
    if (format == HS_TEMPLATE_FORMAT_ANSI378_2004) {
        if (long_form) {
            hs__wr_be16(w, 0);
            hs__wr_be32(w, (uint32_t)total);
        } else {
            hs__wr_be16(w, (uint16_t)total);
        }
    } else {
        hs__wr_be32(w, (uint32_t)total);
    }
    if (!iso)
        hs__wr_be32(w, t->cbeff_product_id);
    hs__wr_be16(w, t->capture_equipment);
    if (!a2009) {
        const hs_view_info *b = t->nviews ? &t->views[0].info : NULL;
        hs__wr_be16(w, (uint16_t)(b ? b->width : 0));
        hs__wr_be16(w, (uint16_t)(b ? b->height : 0));
        hs__wr_be16(w, (uint16_t)ppi_to_ppcm(b ? b->ppi_x : 500));
        hs__wr_be16(w, (uint16_t)ppi_to_ppcm(b ? b->ppi_y : 500));
    }
    hs__wr_u8(w, (uint8_t)t->nviews);
    hs__wr_u8(w, 0);
    for (uint32_t i = 0; i < t->nviews; i++) {
        const hs__view *v = &t->views[i];
        hs__wr_u8(w, (uint8_t)v->info.finger_position);
        if (a2009) {
            hs__wr_u8(w, (uint8_t)v->info.view_number);
            hs__wr_u8(w, (uint8_t)v->info.impression_type);
            size_t qn;
            const uint8_t *q = hs__template_block_get(t, i, HS__TBLOCK_FMR_QALG, &qn);
            if (q && qn == 5 && v->info.quality == 0 && q[4] >= 254)
                hs__wr_u8(w, q[4]);
            else
                hs__wr_u8(w, (uint8_t)v->info.quality);
            if (q && (qn == 4 || qn == 5))
                hs__wr_bytes(w, q, 4);
            else
                hs__wr_be32(w, 0);
            hs__wr_be16(w, (uint16_t)v->info.width);
            hs__wr_be16(w, (uint16_t)v->info.height);
            hs__wr_be16(w, (uint16_t)ppi_to_ppcm(v->info.ppi_x));
            hs__wr_be16(w, (uint16_t)ppi_to_ppcm(v->info.ppi_y));
        } else {
            hs__wr_u8(w, (uint8_t)((v->info.view_number << 4) | v->info.impression_type));
            hs__wr_u8(w, (uint8_t)v->info.quality);
        }
        hs__wr_u8(w, (uint8_t)v->count);
        if ((s = write_minutiae(ctx, v, i, iso, fname, w)) ||
            (s = write_edb(ctx, t, i, i + 1 == t->nviews, format, fname, w)))
            return s;
    }
    if (!w->failed && w->len != total)
        return hs__error(ctx, HS_ERR_INTERNAL, "%s: wrote %zu bytes, expected %zu", fname, w->len,
                         total);
    return HS_OK;
}
