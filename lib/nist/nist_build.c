/* Builders: an INT-I search transaction (CPS/NPS) from the library's own
 * objects. Finger images are WSQ-coded at 500 ppi through hs_image_encode()
 * when this build has the WSQ encoder (HS_IMAGE_FORMAT_WSQ); the face JPEG
 * is stored as given; minutiae become Type-9 standard-format records. */
#include "internal/nist.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PI 3.14159265358979323846

typedef struct bld {
    hs_ctx *ctx;
    hs_nist *n;
    hs__nist_record *r;
    hs_status s;
} bld;

static void field(bld *b, uint32_t num, const void *val, size_t len)
{
    if (!b->s)
        b->s = hs__nist_add_field(b->ctx, b->n, b->r, num, NULL, val, len);
}

static void fieldf(bld *b, uint32_t num, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void fieldf(bld *b, uint32_t num, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof buf) {
        if (!b->s)
            b->s = hs__error(b->ctx, HS_ERR_INVALID_ARG, "field %u: value too long", num);
        return;
    }
    field(b, num, buf, (size_t)k);
}

static void record(bld *b, uint32_t type)
{
    if (!b->s)
        b->s = hs__nist_add_record(b->ctx, b->n, type, &b->r);
    if (!b->s)
        field(b, 1, "0", 1);
}

/* DAT, GMT and TCN (YY + 12-digit serial + check character) of a
 * transaction built at @p when (seconds since 1970, UTC). */
typedef struct stamp {
    char date[9], gmt[16], tcn[16];
} stamp;

static hs_status make_stamp(hs_ctx *ctx, stamp *st, int64_t when, uint64_t serial,
                            const char *fn)
{
    if (!hs__nist_gmt(when, st->gmt) || memcmp(st->gmt, "2000", 4) < 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: date out of range", fn);
    memcpy(st->date, st->gmt, 8);
    st->date[8] = 0;
    char digits[48];
    if (serial > 999999999999ull ||
        snprintf(digits, sizeof digits, "%.2s%012llu", st->gmt + 2,
                 (unsigned long long)serial) != 14)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: TCN serial over 12 digits", fn);
    memcpy(st->tcn, digits, 14);
    st->tcn[14] = hs_nist_tcn_check(digits);
    st->tcn[15] = 0;
    return HS_OK;
}

/* A new transaction with its Type-1 record and VER 0502 (none on failure). */
static hs_status start(bld *b, hs_ctx *ctx)
{
    b->ctx = ctx;
    b->r = NULL;
    b->s = hs_nist_new(ctx, &b->n);
    if (b->s)
        return b->s;
    record(b, 1);
    field(b, 2, "0502", 4);
    if (b->s) {
        hs_nist_free(b->n);
        b->n = NULL;
    }
    return b->s;
}

/* The INT-I Type-1 fields every built transaction has: NSR, NTR (00.00:
 * no images of Types 3-7), DOM INT-I 6.00, GMT, DCS 3 UTF-8. */
static void type1_common(bld *b, const stamp *st)
{
    field(b, 11, "00.00", 5);
    field(b, 12, "00.00", 5);
    field(b, 13, "INT-I\x1f" "06.00", 11);
    field(b, 14, st->gmt, 15);
    field(b, 15, "3\x1fUTF-8", 7);
}

static bool text_ok(const char *s, size_t max)
{
    if (!s || !*s || strlen(s) > max)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20)
            return false;
    return true;
}

#ifdef HS_IMAGE_FORMAT_WSQ
/* A copy of @p img at 500 ppi (INT-I's WSQ resolution), pixel centres
 * aligned: src = (dst + 0.5) / s - 0.5 with s = 500 / ppi. Bilinear when
 * enlarging or shrinking a little; when shrinking by more than 1.25 each
 * sample averages the box of source pixels it covers, so ridges do not
 * alias. */
static hs_status resample_500(hs_ctx *ctx, hs_image **out, const hs_image *img)
{
    uint32_t ppi = hs_image_ppi(img);
    double sc = 500.0 / ppi;
    uint32_t sw = hs_image_width(img), sh = hs_image_height(img), st = hs_image_stride(img);
    uint32_t w = (uint32_t)lround(sw * sc), h = (uint32_t)lround(sh * sc);
    if (ppi < 150 || ppi > 2000 || w < 1 || h < 1)
        return hs__error(ctx, HS_ERR_UNSUPPORTED,
                         "hs_nist_build_search: a finger image of %u ppi cannot be brought to "
                         "500 ppi (150-2000 ppi accepted)", ppi);
    hs_status s = hs_image_new(ctx, out, w, h, 500, 255);
    if (s)
        return s;
    const uint8_t *src = hs_image_pixels(img);
    uint8_t *dst = hs_image_pixels_mut(*out);
    uint32_t dstride = hs_image_stride(*out);
    int box = sc < 0.8 ? (int)lround(1.0 / sc) : 1;
    for (uint32_t y = 0; y < h; y++) {
        double fy = (y + 0.5) / sc - 0.5;
        for (uint32_t x = 0; x < w; x++) {
            double fx = (x + 0.5) / sc - 0.5, v;
            if (box > 1) {
                long x0 = lround(fx) - box / 2, y0 = lround(fy) - box / 2;
                double sum = 0;
                int cnt = 0;
                for (long yy = y0; yy < y0 + box; yy++)
                    for (long xx = x0; xx < x0 + box; xx++)
                        if (yy >= 0 && yy < (long)sh && xx >= 0 && xx < (long)sw) {
                            sum += src[(size_t)yy * st + (size_t)xx];
                            cnt++;
                        }
                v = cnt ? sum / cnt : 255.0;
            } else {
                double cx = fx < 0 ? 0 : (fx > sw - 1 ? sw - 1 : fx);
                double cy = fy < 0 ? 0 : (fy > sh - 1 ? sh - 1 : fy);
                uint32_t x0 = (uint32_t)cx, y0 = (uint32_t)cy;
                uint32_t x1 = x0 + 1 < sw ? x0 + 1 : x0, y1 = y0 + 1 < sh ? y0 + 1 : y0;
                double ax = cx - x0, ay = cy - y0;
                const uint8_t *r0 = src + (size_t)y0 * st, *r1 = src + (size_t)y1 * st;
                double top = r0[x0] + ax * (r0[x1] - r0[x0]);
                double bot = r1[x0] + ax * (r1[x1] - r1[x0]);
                v = top + ay * (bot - top);
            }
            dst[(size_t)y * dstride + x] = (uint8_t)lround(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
    }
    return HS_OK;
}
#endif

/* The start of a builder fn: *out NULL (HS_ERR_INVALID_ARG when out is),
 * and the caller's options (NULL: the defaults) as the current struct in *o;
 * every size from 1.0's (up to `impression`) on is accepted. */
static hs_status build_start(hs_ctx *ctx, hs_nist **out, hs_nist_build_options *o,
                             const hs_nist_build_options *opts, const char *fn)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = NULL;
    *o = (hs_nist_build_options)HS_NIST_BUILD_OPTIONS_INIT;
    return hs__struct_in(ctx, o, sizeof *o, opts, HS__SIZE_TO(hs_nist_build_options, impression),
                         "hs_nist_build_options");
}

hs_status hs_nist_build_search(hs_ctx *ctx, hs_nist **out, const char *tot, const char *ori,
                               const char *ori_name, const char *dai, const char *dai_name,
                               uint64_t tcn_serial, int64_t when,
                               const hs_nist_finger *fingers, uint32_t finger_count,
                               const void *face_jpeg, size_t face_size,
                               const hs_template *minutiae, const hs_nist_build_options *opts)
{
    hs_nist_build_options o;
    hs_status s = build_start(ctx, out, &o, opts, "hs_nist_build_search");
    if (s)
        return s;
    if (!tot || (strcmp(tot, "CPS") && strcmp(tot, "NPS")))
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "hs_nist_build_search: TOT must be CPS or NPS");
    if (!text_ok(ori, 64) || !text_ok(dai, 64) || !text_ok(ori_name, 125) ||
        !text_ok(dai_name, 125))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_nist_build_search: ORI, DAI and their names must be 1-64 and "
                         "1-125 printable characters");
    for (int i = 0; i < 3; i++)
        if ((o.dai_country[0] && (o.dai_country[i] < 'A' || o.dai_country[i] > 'Z')) ||
            (o.ori_country[0] && (o.ori_country[i] < 'A' || o.ori_country[i] > 'Z')))
            return hs__error(ctx, HS_ERR_INVALID_ARG,
                             "hs_nist_build_search: countries are three capital letters");
    if (tcn_serial > 999999999999ull)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_build_search: TCN serial over 12 digits");
    if (o.priority > 9 || (o.impression != 0 && o.impression != 1 && o.impression != 8 &&
                           o.impression != 24 && o.impression != 25))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_nist_build_search: priority 0-9, impression 0, 1, 8, 24 or 25");
    if ((finger_count && !fingers) || finger_count > 14 || (face_size && !face_jpeg))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_build_search: 0-14 fingers");
    for (uint32_t i = 0; i < finger_count; i++)
        if (!fingers[i].image || fingers[i].position < 1 || fingers[i].position > 14 ||
            (fingers[i].quality > 100 && fingers[i].quality != 254 && fingers[i].quality != 255))
            return hs__error(ctx, HS_ERR_INVALID_ARG,
                             "hs_nist_build_search: finger %u needs an image, position 1-14 and "
                             "quality 0-100 or 255",
                             i);
    uint32_t face_w = 0, face_h = 0;
    if (face_jpeg) {
        const uint8_t *fp = face_jpeg;
        if (face_size < 4 || fp[0] != 0xFF || fp[1] != 0xD8)
            return hs__error(ctx, HS_ERR_FORMAT, "hs_nist_build_search: the face is not a JPEG");
        hs_image *fi;
        s = hs_image_decode(ctx, &fi, face_jpeg, face_size, 0);
        if (s)
            return s;
        face_w = hs_image_width(fi);
        face_h = hs_image_height(fi);
        hs_image_free(fi);
    }

    stamp st;
    s = make_stamp(ctx, &st, when, tcn_serial, "hs_nist_build_search");
    if (s)
        return s;
    const char *date = st.date;
    bld b;
    if ((s = start(&b, ctx)) != HS_OK)
        return s;
    hs_nist *n = b.n;
    field(&b, 3, "1\x1f" "0", 3); /* rewritten by the encoder from the records */
    fieldf(&b, 4, "%s", tot);
    field(&b, 5, date, 8);
    if (o.priority)
        fieldf(&b, 6, "%u", o.priority);
    fieldf(&b, 7, "%s", dai);
    fieldf(&b, 8, "%s", ori);
    field(&b, 9, st.tcn, 15);
    type1_common(&b, &st);
    if (o.dai_country[0] || o.ori_country[0])
        fieldf(&b, 17, "%s\x1f%s\x1f%.3s\x1f%.3s", dai_name, ori_name, o.dai_country,
               o.ori_country);
    else
        fieldf(&b, 17, "%s\x1f%s", dai_name, ori_name);

    record(&b, 2);
    field(&b, 2, "00", 2);
    uint32_t idc = 1;

    hs__writer enc;
    hs__writer_init(&enc, &n->alloc);
    for (uint32_t i = 0; i < finger_count && !b.s; i++) {
#ifdef HS_IMAGE_FORMAT_WSQ
        const hs_image *img = fingers[i].image;
        hs_image_encode_options eo = HS_IMAGE_ENCODE_OPTIONS_INIT;
        if (o.wsq_bitrate > 0)
            eo.wsq_bitrate = o.wsq_bitrate;
        hs_image *scaled = NULL;
        if (hs_image_ppi(img) && hs_image_ppi(img) != 500) {
            b.s = resample_500(ctx, &scaled, img);
            if (b.s)
                break;
            img = scaled;
        }
        size_t need = 0;
        b.s = hs_image_encode(ctx, NULL, &need, img, HS_IMAGE_FORMAT_WSQ, &eo);
        uint8_t *wsq = b.s ? NULL : hs__malloc(&n->alloc, need);
        if (!b.s && !wsq)
            b.s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        if (!b.s)
            b.s = hs_image_encode(ctx, wsq, &need, img, HS_IMAGE_FORMAT_WSQ, &eo);
        record(&b, 14);
        fieldf(&b, 2, "%02u", idc++);
        fieldf(&b, 3, "%u", o.impression);
        fieldf(&b, 4, "%s", ori);
        field(&b, 5, date, 8);
        fieldf(&b, 6, "%u", hs_image_width(img));
        fieldf(&b, 7, "%u", hs_image_height(img));
        field(&b, 8, "1", 1);
        field(&b, 9, "500", 3);
        field(&b, 10, "500", 3);
        field(&b, 11, "WSQ20", 5);
        field(&b, 12, "8", 1);
        fieldf(&b, 13, "%u", fingers[i].position);
        if (fingers[i].quality != 255)
            fieldf(&b, 22, "%u\x1f%u", fingers[i].position, fingers[i].quality);
        field(&b, 999, wsq, need);
        hs__free(&n->alloc, wsq);
        hs_image_free(scaled);
#else
        b.s = hs__error(ctx, HS_ERR_NOT_BUILT,
                        "hs_nist_build_search: this build has no WSQ encoder for finger images");
#endif
    }
    hs__writer_free(&enc);

    if (face_jpeg && !b.s) {
        record(&b, 10);
        fieldf(&b, 2, "%02u", idc++);
        field(&b, 3, "FACE", 4);
        fieldf(&b, 4, "%s", ori);
        field(&b, 5, date, 8);
        fieldf(&b, 6, "%u", face_w);
        fieldf(&b, 7, "%u", face_h);
        field(&b, 8, "0", 1);
        field(&b, 9, "1", 1);
        field(&b, 10, "1", 1);
        field(&b, 11, "JPEGB", 5);
        field(&b, 12, "SRGB", 4);
        field(&b, 13, "1", 1);
        field(&b, 20, "F", 1);
        field(&b, 999, face_jpeg, face_size);
    }

    uint32_t views = minutiae ? hs_template_view_count(minutiae) : 0;
    for (uint32_t v = 0; v < views && !b.s; v++) {
        hs_view_info vi = HS_VIEW_INFO_INIT;
        b.s = hs_template_view_info(minutiae, &vi, v);
        if (b.s)
            break;
        uint32_t count;
        const hs_minutia *m = hs_template_minutiae(minutiae, &count, v);
        if (count > 999) {
            b.s = hs__error(ctx, HS_ERR_UNSUPPORTED, "view %u: more than 999 minutiae", v);
            break;
        }
        /* The Type-9 record shares the IDC of the finger image of the same
         * position, when there is one. */
        uint32_t vidc = idc;
        for (uint32_t k = 0; k < finger_count; k++)
            if (fingers[k].position == vi.finger_position)
                vidc = k + 1;
        if (vidc == idc)
            idc++;
        record(&b, 9);
        fieldf(&b, 2, "%02u", vidc);
        fieldf(&b, 3, "%u", vi.impression_type <= 3 ? vi.impression_type : 0);
        field(&b, 4, "S", 1);
        field(&b, 5, "LIBHOTSPOT\x1f" "A", 12);
        fieldf(&b, 6, "%u", vi.finger_position);
        field(&b, 7, "T\x1fUN", 4);
        fieldf(&b, 10, "%u", count);
        field(&b, 11, "0", 1);
        hs__writer w;
        hs__writer_init(&w, &n->alloc);
        double mm_per_px = vi.ppi_x ? 25.4 / vi.ppi_x : 25.4 / 500;
        for (uint32_t k = 0; k < count; k++) {
            double fy = (double)vi.height - 1 - m[k].y;
            long x = lround(m[k].x * mm_per_px * 100), yy = lround((fy < 0 ? 0 : fy) * mm_per_px * 100);
            long t = lround(m[k].angle * 180.0 / PI) % 360;
            char buf[64];
            int len = snprintf(buf, sizeof buf, "%s%03u\x1f%04ld%04ld%03ld\x1f%u\x1f%c", k ? "\x1e" : "",
                               k + 1, x > 9999 ? 9999 : x, yy > 9999 ? 9999 : yy, t,
                               (unsigned)m[k].quality * 63u / 100u,
                               m[k].type == HS_MINUTIA_ENDING
                                   ? 'A'
                                   : (m[k].type == HS_MINUTIA_BIFURCATION ? 'B' : 'D'));
            hs__wr_bytes(&w, buf, (size_t)len);
        }
        if (w.failed)
            b.s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
        field(&b, 12, w.buf, w.len);
        if (w.buf)
            hs__memzero(w.buf, w.len);
        hs__writer_free(&w);
    }

    if (b.s) {
        hs_nist_free(n);
        return b.s;
    }
    /* CNT from the records as built. */
    hs__writer cw;
    hs__writer_init(&cw, &n->alloc);
    char buf[32];
    int k = snprintf(buf, sizeof buf, "1\x1f%u", n->nr - 1);
    hs__wr_bytes(&cw, buf, (size_t)k);
    for (uint32_t i = 1; i < n->nr; i++) {
        uint32_t ridc = 0;
        hs__nist_item_u32(hs__nist_find(&n->r[i], 2), 0, 0, &ridc);
        k = snprintf(buf, sizeof buf, "\x1e%u\x1f%02u", n->r[i].type, ridc);
        hs__wr_bytes(&cw, buf, (size_t)k);
    }
    s = cw.failed ? hs__error(ctx, HS_ERR_NOMEM, "out of memory")
                  : hs_nist_field_set(ctx, n, 0, 3, cw.buf, cw.len);
    hs__writer_free(&cw);
    if (s) {
        hs_nist_free(n);
        return s;
    }
    *out = n;
    return HS_OK;
}

/* A copy of an item of the search's Type-1 (NUL-terminated). */
static bool item_text(const hs_nist *n, uint32_t field, uint32_t item, char *buf, size_t size)
{
    const hs__nist_field *f = n->nr ? hs__nist_find(&n->r[0], field) : NULL;
    const uint8_t *p;
    size_t len;
    if (!f || !hs__nist_item_span(f->val, f->len, 0, item, &p, &len) || len == 0 || len >= size)
        return false;
    memcpy(buf, p, len);
    buf[len] = 0;
    return true;
}

/* Text of an option for a field of the answer: NULL or 1..max bytes, no
 * control characters, no white space at either end (the XML encoding
 * collapses it), digits only when @p digits. */
static bool opt_text_ok(const char *s, size_t max, bool digits)
{
    if (!s)
        return true;
    size_t len = strlen(s);
    if (!text_ok(s, max) || s[0] == ' ' || s[len - 1] == ' ')
        return false;
    for (size_t i = 0; i < len; i++)
        if ((digits && (s[i] < '0' || s[i] > '9')) || s[i] == 0x7f)
            return false;
    return true;
}

static bool has_separator(const char *s)
{
    return strpbrk(s, "\x1c\x1d\x1e\x1f") != NULL;
}

/* The SRE answering @p search: the summary form (every hit's id in 2.065)
 * when @p hit is UINT32_MAX, else the detail of hit @p hit (0-based among
 * the hit candidates, in the result's order). */
static hs_status build_sre(hs_ctx *ctx, hs_nist **out, const hs_nist *search,
                           const hs_watchlist_result *result, uint32_t hit, uint64_t tcn_serial,
                           int64_t when, const hs_nist_build_options *o, const char *fn)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: out is NULL", fn);
    *out = NULL;
    if (!search || !result || tcn_serial > 999999999999ull)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%s: bad arguments", fn);
    char tot[8], tcn[64], ori[128], dai[128], an[4][128];
    if (search->nr == 0 || search->r[0].type != 1 || !item_text(search, 4, 0, tot, sizeof tot) ||
        !item_text(search, 9, 0, tcn, sizeof tcn) || !item_text(search, 8, 0, ori, sizeof ori) ||
        !item_text(search, 7, 0, dai, sizeof dai))
        return hs__error(ctx, HS_ERR_NOT_FOUND, "%s: the search lacks TOT, TCN, ORI or DAI", fn);
    for (uint32_t i = 0; i < 4; i++)
        if (!item_text(search, 17, i, an[i], sizeof an[i]))
            an[i][0] = 0;
    uint32_t count = hs_watchlist_result_count(result), hits = 0;
    /* The hit this answer details, and how many there are (CTQ). */
    hs_watchlist_candidate pick = HS_WATCHLIST_CANDIDATE_INIT;
    pick.id = NULL;
    for (uint32_t i = 0; i < count; i++) {
        hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
        hs_status cs = hs_watchlist_result_candidate(result, &c, i);
        if (cs)
            return hs__error(ctx, cs, "%s: candidate %u unreadable", fn, i);
        if (!c.hit || !c.id)
            continue;
        if (has_separator(c.id))
            return hs__error(ctx, HS_ERR_CORRUPT, "%s: candidate %u: separator inside the subject id",
                             fn, i);
        if (hits++ == hit)
            pick = c;
    }
    const char *country = NULL;
    if (hit != UINT32_MAX) {
        if (!pick.id)
            return hs__error(ctx, HS_ERR_NOT_FOUND, "%s: no hit %u (the result has %u)", fn, hit,
                             hits);
        if (strlen(pick.id) > 32 || pick.id[0] == ' ' || pick.id[strlen(pick.id) - 1] == ' ')
            return hs__error(ctx, HS_ERR_INVALID_ARG,
                             "%s: the subject id is over 32 bytes or has white space at an end "
                             "(2.010 CRN, 2.090 IRN)", fn);
        if (!(o->result_flags & HS_NIST_RESULT_IRN)) {
            country = o->subject_country[0] ? o->subject_country : an[2];
            bool ok = strlen(country) == 3;
            for (int i = 0; ok && i < 3; i++)
                ok = country[i] >= 'A' && country[i] <= 'Z';
            if (!ok)
                return hs__error(ctx, HS_ERR_INVALID_ARG,
                                 "%s: 2.010 CRN needs a country: subject_country, or the search's "
                                 "ANM with the destination's country", fn);
        }
        /* (text_ok refuses control characters, the separators among them) */
        if (!opt_text_ok(o->contact_phone, 64, true) || !opt_text_ok(o->contact_org, 64, false) ||
            !opt_text_ok(o->contact_person, 64, false) || !opt_text_ok(o->contact_text, 64, false))
            return hs__error(ctx, HS_ERR_INVALID_ARG,
                             "%s: contact items are 1-64 characters without separators, control "
                             "characters or white space at an end; the telephone number digits",
                             fn);
    }
    stamp st;
    hs_status s = make_stamp(ctx, &st, when, tcn_serial, fn);
    if (s)
        return s;
    bld b;
    if ((s = start(&b, ctx)) != HS_OK)
        return s;
    hs_nist *n = b.n;
    field(&b, 3, "1\x1f" "1\x1e" "2\x1f" "00", 8);
    field(&b, 4, "SRE", 3);
    field(&b, 5, st.date, 8);
    fieldf(&b, 7, "%s", ori);
    fieldf(&b, 8, "%s", dai);
    field(&b, 9, st.tcn, 15);
    fieldf(&b, 10, "%s", tcn);
    type1_common(&b, &st);
    if (an[0][0] && an[1][0]) {
        if (an[2][0] && an[3][0])
            fieldf(&b, 17, "%s\x1f%s\x1f%s\x1f%s", an[1], an[0], an[3], an[2]);
        else
            fieldf(&b, 17, "%s\x1f%s", an[1], an[0]);
    }
    record(&b, 2);
    field(&b, 2, "00", 2);
    if (hit != UINT32_MAX) {
        /* One candidate per SRE (INT-I 2.064): its reference in 2.010 CRN
         * (country, id) or 2.090 IRN, the contact point in 2.063 INF. */
        if (country)
            fieldf(&b, 10, "%s\x1f%s", country, pick.id);
        /* INF items up to the last one given (the XML reader keeps no
         * trailing empty items). */
        const char *inf[4] = {o->contact_phone, o->contact_org, o->contact_person,
                              o->contact_text};
        int last = 3;
        while (last >= 0 && !inf[last])
            last--;
        if (last >= 0) {
            char v[4 * 65 + 4];
            size_t k = 0;
            for (int i = 0; i <= last; i++) {
                size_t l = inf[i] ? strlen(inf[i]) : 0; /* at most 64, checked above */
                if (i)
                    v[k++] = HS__NIST_US;
                memcpy(v + k, inf[i] ? inf[i] : "", l);
                k += l;
            }
            field(&b, 63, v, k);
        }
        fieldf(&b, 64, "%u\x1f%s\x1f%u\x1f%s\x1fI", hit + 1,
               (o->result_flags & HS_NIST_RESULT_VERIFIED) ? "true" : "false", hits, tot);
        if (!country)
            fieldf(&b, 90, "%s", pick.id);
    } else {
        hs__writer w;
        hs__writer_init(&w, &n->alloc);
        for (uint32_t i = 0, k = 0; i < count && !b.s; i++) {
            hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
            b.s = hs_watchlist_result_candidate(result, &c, i);
            if (b.s || !c.hit || !c.id)
                continue;
            if (k++)
                hs__wr_u8(&w, HS__NIST_RS);
            hs__wr_bytes(&w, c.id, strlen(c.id));
        }
        fieldf(&b, 64, "1\x1f" "false\x1f%u\x1f%s\x1f%s", count, tot, hits ? "I" : "N");
        if (hits && !b.s) {
            if (w.failed)
                b.s = hs__error(ctx, HS_ERR_NOMEM, "out of memory");
            field(&b, 65, w.buf, w.len);
        }
        hs__writer_free(&w);
    }
    if (b.s) {
        hs_nist_free(n);
        return b.s;
    }
    *out = n;
    return HS_OK;
}

hs_status hs_nist_build_result(hs_ctx *ctx, hs_nist **out, const hs_nist *search,
                               const hs_watchlist_result *result, uint64_t tcn_serial,
                               int64_t when)
{
    hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
    return build_sre(ctx, out, search, result, UINT32_MAX, tcn_serial, when, &o,
                     "hs_nist_build_result");
}

hs_status hs_nist_build_result_hit(hs_ctx *ctx, hs_nist **out, const hs_nist *search,
                                   const hs_watchlist_result *result, uint32_t hit,
                                   uint64_t tcn_serial, int64_t when,
                                   const hs_nist_build_options *opts)
{
    hs_nist_build_options o;
    hs_status s = build_start(ctx, out, &o, opts, "hs_nist_build_result_hit");
    if (s)
        return s;
    if (hit == UINT32_MAX)
        return hs__error(ctx, HS_ERR_NOT_FOUND, "hs_nist_build_result_hit: no hit %u", hit);
    return build_sre(ctx, out, search, result, hit, tcn_serial, when, &o,
                     "hs_nist_build_result_hit");
}
