/* Subject records (the serialised form shared by files, packages and the
 * in-memory list) and the first-stage filter codes. Layout: see
 * docs/watchlist-format.md. */
#include "internal/match.h"
#include "internal/template.h"
#include "internal/watchlist.h"
#include "hotspot/face.h"

#include <math.h>
#include <string.h>

#define TWO_PI 6.28318530717958647692

static float rdf32(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                 ((uint32_t)p[3] << 24);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- filter codes -------------------------------------------------------
 * Each minutia is paired with its k nearest neighbours at 8..128 pixels
 * (after scaling to 500 ppi; k = min(8, 256 / minutiae)). A pair gives a 16-bit code: distance in 16
 * bins of 7.5 px, and the directions of both minutiae relative to the line
 * joining them in 64 bins each. Codes do not change under rotation or
 * translation of the print. */
#define CODE_DMIN 8.0
#define CODE_DMAX 128.0
#define CODE_DBIN 7.5

static uint32_t angle_bin(double a)
{
    a = fmod(a, TWO_PI);
    if (a < 0)
        a += TWO_PI;
    uint32_t b = (uint32_t)(a * (64.0 / TWO_PI));
    return b > 63 ? 63 : b;
}

/* Direction of a pair's line in 256 bins (stored codes' pose byte). */
static uint8_t dir_byte(double t)
{
    long b = lrint(t * (256.0 / TWO_PI));
    return (uint8_t)((unsigned long)b & 255u);
}

uint32_t hs__wl_codes(const hs_minutia *m, uint32_t n, uint32_t ppi_x, uint32_t ppi_y,
                      uint16_t *codes)
{
    return hs__wl_codes_dir(m, n, ppi_x, ppi_y, codes, NULL, NULL, NULL);
}

uint32_t hs__wl_codes_dir(const hs_minutia *m, uint32_t n, uint32_t ppi_x, uint32_t ppi_y,
                          uint16_t *codes, uint8_t *dir, float *theta_out, uint8_t *first)
{
    if (n < 2 || !ppi_x || !ppi_y)
        return 0;
    if (n > HS_WATCHLIST_MINUTIAE_MAX)
        n = HS_WATCHLIST_MINUTIAE_MAX;
    uint32_t k = HS__WL_CODES_MAX / n;
    /* at most 508 - 2n codes, so that 8 bytes per minutia and 4 per code
     * stay within 2 KiB per finger (only matters above 126 minutiae) */
    uint32_t cap = 508 - 2 * n < HS__WL_CODES_MAX ? 508 - 2 * n : HS__WL_CODES_MAX;
    if (k > 8)
        k = 8;
    if (k < 1)
        k = 1;
    double sx = 500.0 / ppi_x, sy = 500.0 / ppi_y;
    uint32_t nc = 0;
    for (uint32_t i = 0; i < n && nc < cap; i++) {
        /* k nearest neighbours by insertion into a tiny sorted list */
        double bd[8];
        uint32_t bj[8];
        uint32_t nb = 0;
        double xi = m[i].x * sx, yi = m[i].y * sy;
        for (uint32_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            double dx = m[j].x * sx - xi, dy = m[j].y * sy - yi;
            double d = sqrt(dx * dx + dy * dy);
            if (d < CODE_DMIN || d >= CODE_DMAX)
                continue;
            if (nb == k && d >= bd[nb - 1])
                continue;
            uint32_t p = nb < k ? nb++ : k - 1;
            while (p > 0 && bd[p - 1] > d) {
                bd[p] = bd[p - 1];
                bj[p] = bj[p - 1];
                p--;
            }
            bd[p] = d;
            bj[p] = j;
        }
        for (uint32_t q = 0; q < nb && nc < cap; q++) {
            uint32_t j = bj[q];
            double dx = m[j].x * sx - xi, dy = m[j].y * sy - yi;
            double theta = atan2(-dy, dx);
            uint32_t dq = (uint32_t)((bd[q] - CODE_DMIN) / CODE_DBIN);
            if (dq > 15)
                dq = 15;
            uint32_t aq = angle_bin((double)m[i].angle - theta);
            uint32_t bq = angle_bin((double)m[j].angle - theta);
            if (dir)
                dir[nc] = dir_byte(theta);
            if (theta_out)
                theta_out[nc] = (float)theta;
            if (first)
                first[nc] = (uint8_t)i;
            codes[nc++] = (uint16_t)((dq << 12) | (aq << 6) | bq);
        }
    }
    return nc;
}

/* ---- reading validated records ----------------------------------------- */

uint32_t hs__wl_finger_read(const uint8_t *rec, uint32_t off, hs__wl_fview *f)
{
    const uint8_t *p = rec + off;
    f->position = p[0];
    f->impression = p[1];
    f->quality = p[2];
    f->count = p[3];
    f->width = hs__get_le16(p + 4);
    f->height = hs__get_le16(p + 6);
    f->ppi_x = hs__get_le16(p + 8);
    f->ppi_y = hs__get_le16(p + 10);
    f->ncodes = hs__get_le16(p + 12);
    f->flags = hs__get_le16(p + 14);
    f->minutiae = p + HS__WL_FINGER_HDR;
    f->codes = f->minutiae + (size_t)f->count * HS__WL_MINUTIA_BYTES;
    f->dirs = f->flags & HS__WL_FINGER_POSE ? f->codes + 2 * (size_t)f->ncodes : NULL;
    f->firsts = f->dirs ? f->dirs + f->ncodes : NULL;
    off += HS__WL_FINGER_HDR + f->count * HS__WL_MINUTIA_BYTES + f->ncodes * (f->dirs ? 4u : 2u);
    f->field = NULL;
    f->field_len = 0;
    if (f->flags & HS__WL_FINGER_FIELD) {
        f->field = rec + off;
        f->field_len = HS__FIELD_HDR + hs__get_le16(f->field + 4) * hs__get_le16(f->field + 6);
        off += f->field_len;
    }
    return off;
}

_Static_assert(HS__WL_FIELD_CELLS_MAX <= HS__SCRATCH_FIELD_CELLS,
               "a search's scratch holds every field a list stores");

uint32_t hs__wl_record_format(const hs__wl_entry *e)
{
    uint32_t fmt = 1, off = e->fingers_off + 1;
    for (uint32_t g = 0; g < e->nfingers; g++) {
        hs__wl_fview f;
        off = hs__wl_finger_read(e->rec, off, &f);
        if (f.flags & HS__WL_FINGER_FIELD)
            return 3;
        if (f.flags & HS__WL_FINGER_POSE)
            fmt = 2;
    }
    return fmt;
}

void hs__wl_minutia_read(const hs__wl_fview *f, uint32_t i, hs_minutia *m)
{
    const uint8_t *p = f->minutiae + (size_t)i * HS__WL_MINUTIA_BYTES;
    m->x = (float)hs__get_le16(p) * 0.5f;
    m->y = (float)hs__get_le16(p + 2) * 0.5f;
    m->angle = (float)((double)hs__get_le16(p + 4) * (TWO_PI / 65536.0));
    m->type = p[6];
    m->quality = p[7];
    m->reserved[0] = m->reserved[1] = 0;
}

void hs__wl_face_read(const hs__wl_entry *e, uint32_t j, uint32_t *dim, uint32_t *model,
                      float *scale, const int8_t **vals)
{
    uint32_t off = e->faces_off + 1;
    for (uint32_t i = 0;; i++) {
        uint32_t d = hs__get_le16(e->rec + off);
        if (i == j) {
            *dim = d;
            *model = hs__get_le16(e->rec + off + 2);
            *scale = rdf32(e->rec + off + 4);
            *vals = (const int8_t *)(e->rec + off + 8);
            return;
        }
        off += 8 + d;
    }
}

/* ---- validation --------------------------------------------------------- */

/* The count byte that opens the fingers or the faces of a record, at most
 * max, and its offset in *off; NULL, or why the record is bad (cut, many). */
static const char *section_start(hs__reader *r, uint32_t *off, uint8_t *n, unsigned max,
                                 const char *cut, const char *many)
{
    *off = (uint32_t)r->pos;
    *n = hs__rd_u8(r);
    if (r->overrun)
        return cut;
    return *n > max ? many : NULL;
}

const char *hs__wl_record_check(const uint8_t *rec, uint32_t len, uint32_t fmt, hs__wl_entry *e)
{
    hs__reader r;
    hs__reader_init(&r, rec, len);
    uint8_t idn = hs__rd_u8(&r);
    if (r.overrun)
        return "record ends in the id";
    if (idn < 1 || idn > HS_WATCHLIST_ID_MAX)
        return "subject id length outside 1..128";
    if (hs__reader_left(&r) < (size_t)idn + 1)
        return "record ends in the id";
    if (!hs__wl_id_ok(rec + r.pos, idn))
        return "subject id is not valid UTF-8 or holds a refused character";
    if (rec[r.pos + idn] != 0)
        return "subject id not terminated";
    hs__skip(&r, (size_t)idn + 1);
    uint8_t nf = hs__rd_u8(&r);
    if (nf > HS_WATCHLIST_FIELDS_MAX)
        return "too many fields";
    for (uint32_t i = 0; i < nf; i++) {
        uint8_t kn = hs__rd_u8(&r);
        if (r.overrun || hs__reader_left(&r) < (size_t)kn + 1)
            return "record ends in a field";
        if (kn < 1 || kn > HS_WATCHLIST_KEY_MAX)
            return "field key length outside 1..32";
        for (uint32_t k = 0; k < kn; k++) {
            uint8_t c = rec[r.pos + k];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                  c == '-'))
                return "bad character in a field key";
        }
        if (rec[r.pos + kn] != 0)
            return "field key not terminated";
        hs__skip(&r, (size_t)kn + 1);
        uint16_t vn = hs__rd_le16(&r);
        if (r.overrun || hs__reader_left(&r) < (size_t)vn + 1)
            return "record ends in a field";
        if (vn > HS_WATCHLIST_VALUE_MAX)
            return "field value too long";
        if (!hs__wl_value_ok(rec + r.pos, vn) || rec[r.pos + vn] != 0)
            return "field value is not valid UTF-8";
        hs__skip(&r, (size_t)vn + 1);
    }
    if (r.overrun)
        return "record ends in the fields";
    uint8_t nfing;
    const char *why = section_start(&r, &e->fingers_off, &nfing, HS_WATCHLIST_FINGERS_MAX,
                                    "record ends before the fingers", "more than ten fingers");
    if (why)
        return why;
    uint32_t seen = 0;
    for (uint32_t i = 0; i < nfing; i++) {
        if (hs__reader_left(&r) < HS__WL_FINGER_HDR)
            return "record ends in a finger";
        const uint8_t *p = rec + r.pos;
        uint32_t pos = p[0], q = p[2], cnt = p[3];
        uint32_t w = hs__get_le16(p + 4), h = hs__get_le16(p + 6), px = hs__get_le16(p + 8), py = hs__get_le16(p + 10);
        uint32_t nc = hs__get_le16(p + 12);
        if (pos > 10)
            return "finger position above 10";
        if (pos && (seen & (1u << pos)))
            return "finger position repeated";
        seen |= pos ? (1u << pos) : 0;
        if (q > 100)
            return "finger quality above 100";
        if (p[1] > 3 && p[1] != 8)
            return "impression type not 0-3 or 8";
        if (cnt > HS_WATCHLIST_MINUTIAE_MAX)
            return "more than 128 minutiae";
        if (w > 32768 || h > 32768)
            return "image size above 32768";
        if (px < 1 || px > 10000 || py < 1 || py > 10000)
            return "resolution outside 1..10000 ppi";
        if (nc > HS__WL_CODES_MAX)
            return "more than 256 filter codes";
        uint32_t flags = hs__get_le16(p + 14);
        uint32_t known = (fmt >= 2 ? (uint32_t)HS__WL_FINGER_POSE : 0u) |
                         (fmt >= 3 ? (uint32_t)HS__WL_FINGER_FIELD : 0u);
        if (flags & ~known)
            return "unknown finger flags";
        bool pose = flags & HS__WL_FINGER_POSE;
        if (pose && 8 * cnt + 4 * nc > 2032)
            return "finger larger than 2 KiB";
        hs__skip(&r, HS__WL_FINGER_HDR);
        size_t body = (size_t)cnt * HS__WL_MINUTIA_BYTES + (size_t)nc * (pose ? 4 : 2);
        if (hs__reader_left(&r) < body)
            return "record ends in a finger";
        const uint8_t *mp = rec + r.pos;
        if (pose)
            for (uint32_t k = 0; k < nc; k++)
                if (mp[(size_t)cnt * HS__WL_MINUTIA_BYTES + 3 * (size_t)nc + k] >= cnt)
                    return "filter code of a minutia that does not exist";
        for (uint32_t k = 0; k < cnt; k++, mp += HS__WL_MINUTIA_BYTES) {
            if (w && hs__get_le16(mp) > 2 * w)
                return "minutia x beyond the image width";
            if (h && hs__get_le16(mp + 2) > 2 * h)
                return "minutia y beyond the image height";
            if (mp[6] > HS_MINUTIA_BIFURCATION)
                return "unknown minutia type";
            if (mp[7] > 100)
                return "minutia quality above 100";
        }
        hs__skip(&r, body);
        if (flags & HS__WL_FINGER_FIELD) {
            if (px != py)
                return "orientation field on a finger of two resolutions";
            if (hs__reader_left(&r) < HS__FIELD_HDR)
                return "record ends in an orientation field";
            const uint8_t *fb = rec + r.pos;
            size_t cells = (size_t)hs__get_le16(fb + 4) * hs__get_le16(fb + 6);
            if (cells > HS__WL_FIELD_CELLS_MAX)
                return "orientation field of more than 4,096 cells";
            if (hs__reader_left(&r) < HS__FIELD_HDR + cells)
                return "record ends in an orientation field";
            uint32_t fh[5], c64;
            if (hs__field_block_check(fb, HS__FIELD_HDR + cells, px, fh, &c64))
                return "bad orientation field";
            hs__skip(&r, HS__FIELD_HDR + cells);
        }
    }
    uint8_t nface;
    why = section_start(&r, &e->faces_off, &nface, HS_WATCHLIST_FACES_MAX,
                        "record ends before the faces", "too many faces");
    if (why)
        return why;
    for (uint32_t i = 0; i < nface; i++) {
        uint16_t d = hs__rd_le16(&r);
        hs__rd_le16(&r); /* model id: any value */
        float scale = hs__rd_lef32(&r);
        if (r.overrun)
            return "record ends in a face";
        if (d < 1 || d > HS_WATCHLIST_FACE_DIM_MAX)
            return "face dimension outside 1..1024";
        if (!isfinite(scale) || !(scale > 0))
            return "face scale not finite and positive";
        if (hs__reader_left(&r) < d)
            return "record ends in a face";
        bool nonzero = false;
        for (uint32_t k = 0; k < d; k++)
            nonzero = nonzero || rec[r.pos + k] != 0;
        if (!nonzero)
            return "face embedding is all zero";
        hs__skip(&r, d);
    }
    if (hs__reader_left(&r) != 0)
        return "bytes after the end of the record";
    e->nfingers = nfing;
    e->nfaces = nface;
    e->id_len = idn;
    return NULL;
}

/* ---- building ------------------------------------------------------------ */

hs_status hs__wl_record_build(hs_ctx *ctx, const hs_allocator *a, const hs_watchlist_subject *s,
                              uint8_t **rec, uint32_t *len)
{
    *rec = NULL;
    *len = 0;
    hs__writer w;
    hs__writer_init(&w, a);
    size_t idn = strlen(s->id);
    hs__wr_u8(&w, (uint8_t)idn);
    hs__wr_bytes(&w, s->id, idn + 1);
    hs__wr_u8(&w, (uint8_t)s->nfields);
    for (uint32_t i = 0; i < s->nfields; i++) {
        size_t kn = strlen(s->key[i]), vn = strlen(s->value[i]);
        hs__wr_u8(&w, (uint8_t)kn);
        hs__wr_bytes(&w, s->key[i], kn + 1);
        hs__wr_le16(&w, (uint16_t)vn);
        hs__wr_bytes(&w, s->value[i], vn + 1);
    }
    hs__wr_u8(&w, (uint8_t)s->nfingers);
    for (uint32_t i = 0; i < s->nfingers; i++) {
        const hs__wl_bfinger *f = &s->finger[i];
        uint16_t codes[HS__WL_CODES_MAX];
        uint8_t dirs[HS__WL_CODES_MAX], firsts[HS__WL_CODES_MAX];
        uint32_t nc =
            hs__wl_codes_dir(f->m, f->count, f->ppi_x, f->ppi_y, codes, dirs, NULL, firsts);
        hs__wr_u8(&w, (uint8_t)f->position);
        hs__wr_u8(&w, (uint8_t)f->impression);
        hs__wr_u8(&w, (uint8_t)f->quality);
        hs__wr_u8(&w, (uint8_t)f->count);
        hs__wr_le16(&w, (uint16_t)f->width);
        hs__wr_le16(&w, (uint16_t)f->height);
        hs__wr_le16(&w, (uint16_t)f->ppi_x);
        hs__wr_le16(&w, (uint16_t)f->ppi_y);
        hs__wr_le16(&w, (uint16_t)nc);
        hs__wr_le16(&w, (uint16_t)(HS__WL_FINGER_POSE | (f->field_len ? HS__WL_FINGER_FIELD : 0)));
        for (uint32_t k = 0; k < f->count; k++) {
            const hs_minutia *m = &f->m[k];
            /* values were quantised when the finger was added */
            hs__wr_le16(&w, (uint16_t)lrint((double)m->x * 2.0));
            hs__wr_le16(&w, (uint16_t)lrint((double)m->y * 2.0));
            hs__wr_le16(&w, (uint16_t)((uint32_t)lrint((double)m->angle * (65536.0 / TWO_PI)) &
                                       0xffffu));
            hs__wr_u8(&w, m->type);
            hs__wr_u8(&w, m->quality);
        }
        for (uint32_t k = 0; k < nc; k++)
            hs__wr_le16(&w, codes[k]);
        hs__wr_bytes(&w, dirs, nc);
        hs__wr_bytes(&w, firsts, nc);
        hs__wr_bytes(&w, f->field, f->field_len);
    }
    hs__wr_u8(&w, (uint8_t)s->nfaces);
    for (uint32_t i = 0; i < s->nfaces; i++) {
        int8_t q[HS_WATCHLIST_FACE_DIM_MAX];
        float scale = 0;
        if (hs_face_quantize(ctx, q, &scale, s->face[i], s->face_dim[i]) != HS_OK) {
            w.failed = true;
            break;
        }
        hs__wr_le16(&w, (uint16_t)s->face_dim[i]);
        hs__wr_le16(&w, (uint16_t)s->face_model[i]);
        hs__wr_lef32(&w, scale);
        hs__wr_bytes(&w, q, s->face_dim[i]);
        hs__memzero(q, sizeof q);
    }
    if (w.failed) {
        hs__writer_free(&w);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    *rec = w.buf;
    *len = (uint32_t)w.len;
    return HS_OK;
}

hs_status hs__wl_record_to_subject(hs_ctx *ctx, const uint8_t *rec, uint32_t len,
                                   hs_watchlist_subject **out)
{
    (void)len;
    hs_status st;
    hs_watchlist_subject *s = HS__OBJECT_NEW(ctx, &st, out, hs_watchlist_subject);
    if (!s)
        return st;
    const hs_allocator *a = &s->alloc;
    uint32_t off = 0;
    uint32_t idn = rec[off++];
    memcpy(s->id, rec + off, idn);
    s->id[idn] = 0;
    off += idn + 1;
    s->nfields = rec[off++];
    for (uint32_t i = 0; i < s->nfields; i++) {
        uint32_t kn = rec[off++];
        memcpy(s->key[i], rec + off, kn);
        s->key[i][kn] = 0;
        off += kn + 1;
        uint32_t vn = hs__get_le16(rec + off);
        off += 2;
        memcpy(s->value[i], rec + off, vn);
        s->value[i][vn] = 0;
        off += vn + 1;
    }
    s->nfingers = rec[off++];
    for (uint32_t i = 0; i < s->nfingers; i++) {
        hs__wl_fview fv;
        off = hs__wl_finger_read(rec, off, &fv);
        hs__wl_bfinger *f = &s->finger[i];
        f->position = fv.position;
        f->impression = fv.impression;
        f->quality = fv.quality;
        f->width = fv.width;
        f->height = fv.height;
        f->ppi_x = fv.ppi_x;
        f->ppi_y = fv.ppi_y;
        f->count = fv.count;
        for (uint32_t k = 0; k < fv.count; k++)
            hs__wl_minutia_read(&fv, k, &f->m[k]);
        f->field_len = fv.field_len;
        if (fv.field_len)
            memcpy(f->field, fv.field, fv.field_len);
    }
    uint32_t nfaces = rec[off++];
    for (uint32_t i = 0; i < nfaces; i++) {
        uint32_t d = hs__get_le16(rec + off), model = hs__get_le16(rec + off + 2);
        float scale = rdf32(rec + off + 4);
        float *v = hs__malloc(a, (size_t)d * sizeof *v);
        if (!v) {
            hs_watchlist_subject_free(s);
            return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        }
        st = hs_face_dequantize(ctx, v, (const int8_t *)(rec + off + 8), scale, d);
        if (st) {
            hs__free(a, v);
            hs_watchlist_subject_free(s);
            return st;
        }
        off += 8 + d;
        s->face[i] = v;
        s->face_dim[i] = d;
        s->face_model[i] = model;
        s->nfaces++;
    }
    *out = s;
    return HS_OK;
}
