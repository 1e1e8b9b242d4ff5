/* Templates: the container, the native format, ISO/IEC 19794-2 and
 * ANSI/INCITS 378 codecs, conversions, hostile input. */
#include "testutil.h"
#include "internal/template.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEG (3.14159265358979323846 / 180.0)

/* A synthetic template: views of n minutiae on a w x h image. */
static hs_template *make_template(uint32_t nviews, uint32_t n, uint32_t w, uint32_t h, uint32_t ppi)
{
    hs_template *t;
    assert_int_equal(hs_template_new(NULL, &t), HS_OK);
    for (uint32_t v = 0; v < nviews; v++) {
        hs_minutia m[255];
        for (uint32_t i = 0; i < n; i++) {
            memset(&m[i], 0, sizeof m[i]);
            m[i].x = (float)((i * 37 + v * 11) % w) + 0.37f * (float)(i % 3);
            m[i].y = (float)((i * 53 + v * 7) % h) + 0.21f * (float)(i % 4);
            m[i].angle = (float)fmod((double)i * 0.731 + 0.05, 2 * 3.14159265358979);
            m[i].type = (uint8_t)(1 + i % 2);
            m[i].quality = (uint8_t)((i * 7) % 101);
        }
        hs_view_info vi = {sizeof vi, w, h, ppi, ppi, 1 + v % 10, v % 16, 0, 60 + v, 0};
        assert_int_equal(hs_template_add_view(NULL, t, &vi, m, n), HS_OK);
    }
    return t;
}

static uint8_t *encode(const hs_template *t, uint32_t format, size_t *size)
{
    size_t n = 0;
    assert_int_equal(hs_template_encode(NULL, NULL, &n, t, format), HS_OK);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    size_t small = n - 1;
    assert_int_equal(hs_template_encode(NULL, buf, &small, t, format), HS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(small, n);
    assert_int_equal(hs_template_encode(NULL, buf, &n, t, format), HS_OK);
    *size = n;
    return buf;
}

static void assert_view(const hs_template *t, uint32_t v, uint32_t pos, uint32_t viewno,
                        uint32_t imp, uint32_t q, uint32_t count, uint32_t w, uint32_t h,
                        uint32_t ppi)
{
    hs_view_info vi = {sizeof vi, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(hs_template_view_info(t, &vi, v), HS_OK);
    assert_int_equal(vi.finger_position, pos);
    assert_int_equal(vi.view_number, viewno);
    assert_int_equal(vi.impression_type, imp);
    assert_int_equal(vi.quality, q);
    assert_int_equal(vi.minutia_count, count);
    assert_int_equal(vi.width, w);
    assert_int_equal(vi.height, h);
    assert_int_equal(vi.ppi_x, ppi);
    assert_int_equal(vi.ppi_y, ppi);
}

static void assert_minutia(const hs_template *t, uint32_t v, uint32_t i, uint8_t type, float x,
                           float y, double deg, uint8_t q)
{
    uint32_t n;
    const hs_minutia *m = hs_template_minutiae(t, &n, v);
    assert_true(i < n);
    assert_int_equal(m[i].type, type);
    assert_true(m[i].x == x);
    assert_true(m[i].y == y);
    assert_true(fabs(m[i].angle - deg * DEG) < 1e-5);
    assert_int_equal(m[i].quality, q);
}

/* Decode a shared sample, check it re-encodes to the same bytes. */
static hs_template *load_sample(const char *name, uint32_t want_format)
{
    char path[512], rel[128];
    snprintf(rel, sizeof rel, "fingerprint/format-samples/%s", name);
    if (!tu_shared(rel, path, sizeof path))
        return NULL;
    size_t size;
    uint8_t *data = tu_read(path, &size);
    assert_non_null(data);
    hs_template *t = NULL;
    uint32_t f = 0;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_status s = hs_template_decode(ctx, &t, &f, data, size);
    if (s)
        printf("%s: %s\n", name, hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    assert_int_equal(f, want_format);
    size_t n;
    uint8_t *again = encode(t, f, &n);
    assert_int_equal(n, size);
    assert_memory_equal(again, data, size);
    free(again);
    free(data);
    hs_ctx_free(ctx);
    return t;
}

/* Expected values read by hand from hex dumps of the NIST libbiomeval
 * samples (see docs/template-format.md for the layouts). */
static void test_nist_iso2005(void **state)
{
    (void)state;
    hs_template *t = load_sample("fmr.iso2005", HS_TEMPLATE_FORMAT_ISO19794_2_2005);
    if (!t) {
        skip();
        return;
    }
    assert_int_equal(hs_template_view_count(t), 2);
    assert_int_equal(t->capture_equipment, 0x00b5);
    /* 197 ppcm = 500.38 ppi -> 500 */
    assert_view(t, 0, 7, 0, 0, 90, 27, 512, 512, 500);
    assert_view(t, 1, 2, 0, 0, 70, 22, 512, 512, 500);
    /* 40 64 00 0e 50 5a: ending at (100, 14), 80 * 360/256 = 112.5 deg, q 90 */
    assert_minutia(t, 0, 0, HS_MINUTIA_ENDING, 100, 14, 112.5, 90);
    /* 40 a4 00 11 3d 50: ending at (164, 17), 61 units, q 80 */
    assert_minutia(t, 0, 1, HS_MINUTIA_ENDING, 164, 17, 61 * 360.0 / 256, 80);
    /* 80 37 00 12 10 5a: bifurcation at (55, 18) */
    assert_minutia(t, 0, 2, HS_MINUTIA_BIFURCATION, 55, 18, 16 * 360.0 / 256, 90);
    /* view 1 carries a core/delta extended data area (type 2) */
    size_t n;
    const uint8_t *edb = hs__template_block_get(t, 1, HS__TBLOCK_FMR_EDB, &n);
    assert_non_null(edb);
    assert_true(n > 7);
    assert_int_equal(edb[3], 0x00);
    assert_int_equal(edb[4], 0x02);
    assert_null(hs__template_block_get(t, 0, HS__TBLOCK_FMR_EDB, &n));
    hs_template_free(t);
}

static void test_nist_ansi2004(void **state)
{
    (void)state;
    hs_template *t = load_sample("fmr.ansi2004", HS_TEMPLATE_FORMAT_ANSI378_2004);
    if (!t) {
        skip();
        return;
    }
    assert_int_equal(hs_template_view_count(t), 3);
    assert_int_equal(t->cbeff_product_id, 0x00420011);
    assert_int_equal(t->capture_equipment, 0x00b5);
    assert_view(t, 0, 7, 0, 0, 90, 27, 512, 512, 500);
    assert_view(t, 1, 2, 0, 0, 70, 22, 512, 512, 500);
    assert_view(t, 2, 3, 0, 1, 69, 28, 512, 512, 500);
    /* 40 64 00 0e 38 5a: 56 * 2 = 112 deg */
    assert_minutia(t, 0, 0, HS_MINUTIA_ENDING, 100, 14, 112, 90);
    assert_minutia(t, 0, 1, HS_MINUTIA_ENDING, 164, 17, 86, 80);
    hs_template_free(t);
}

static void test_nist_ansi2009(void **state)
{
    (void)state;
    hs_template *t = load_sample("fmr.ansi2007", HS_TEMPLATE_FORMAT_ANSI378_2009);
    if (!t) {
        skip();
        return;
    }
    assert_int_equal(hs_template_view_count(t), 2);
    assert_int_equal(t->cbeff_product_id, 0x00420011);
    assert_view(t, 0, 7, 0, 0, 90, 27, 512, 512, 500);
    assert_view(t, 1, 2, 0, 0, 70, 22, 512, 512, 500);
    assert_minutia(t, 0, 0, HS_MINUTIA_ENDING, 100, 14, 112, 90);
    size_t n;
    const uint8_t *q = hs__template_block_get(t, 0, HS__TBLOCK_FMR_QALG, &n);
    assert_non_null(q);
    assert_int_equal(n, 4);
    assert_memory_equal(q, "\x00\x06\x00\x37", 4);
    /* ridge-count area 0001 000b on the last view */
    const uint8_t *edb = hs__template_block_get(t, 1, HS__TBLOCK_FMR_EDB, &n);
    assert_non_null(edb);
    assert_int_equal(n, 3 + 11);
    hs_template_free(t);
}

/* ISO 2005 and ANSI 2004 samples hold the same minutiae: the converted
 * angles agree within the coarser unit. */
static void test_nist_iso_vs_ansi(void **state)
{
    (void)state;
    char p1[512], p2[512];
    if (!tu_shared("fingerprint/format-samples/fmr.iso2005", p1, sizeof p1) ||
        !tu_shared("fingerprint/format-samples/fmr.ansi2004", p2, sizeof p2)) {
        skip();
        return;
    }
    hs_template *a, *b;
    assert_int_equal(hs_template_load(NULL, &a, NULL, p1), HS_OK);
    assert_int_equal(hs_template_load(NULL, &b, NULL, p2), HS_OK);
    for (uint32_t v = 0; v < 2; v++) {
        uint32_t na, nb;
        const hs_minutia *ma = hs_template_minutiae(a, &na, v);
        const hs_minutia *mb = hs_template_minutiae(b, &nb, v);
        assert_int_equal(na, nb);
        for (uint32_t i = 0; i < na; i++) {
            assert_true(ma[i].x == mb[i].x && ma[i].y == mb[i].y);
            double d = fabs((double)ma[i].angle - (double)mb[i].angle);
            assert_true(d < 2.0 * DEG);
        }
    }
    hs_template_free(a);
    hs_template_free(b);
}

static void test_secugen_all(void **state)
{
    (void)state;
    char root[512];
    if (!tu_shared("fingerprint/iso19794-2-secugen", root, sizeof root)) {
        skip();
        return;
    }
    DIR *d = opendir(root);
    assert_non_null(d);
    struct dirent *e;
    int files = 0, minutiae = 0;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", root, e->d_name);
        DIR *d2 = opendir(sub);
        if (!d2)
            continue;
        struct dirent *f;
        while ((f = readdir(d2))) {
            size_t l = strlen(f->d_name);
            if (l < 4 || strcmp(f->d_name + l - 4, ".iso"))
                continue;
            char path[1600];
            snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
            size_t size;
            uint8_t *data = tu_read(path, &size);
            assert_non_null(data);
            hs_template *t;
            uint32_t fmt;
            hs_status s = hs_template_decode(ctx, &t, &fmt, data, size);
            if (s)
                printf("%s: %s\n", path, hs_ctx_last_error(ctx));
            assert_int_equal(s, HS_OK);
            assert_int_equal(fmt, HS_TEMPLATE_FORMAT_ISO19794_2_2005);
            assert_true(hs_template_view_count(t) >= 1);
            uint32_t n;
            hs_template_minutiae(t, &n, 0);
            minutiae += (int)n;
            size_t n2;
            uint8_t *again = encode(t, fmt, &n2);
            assert_int_equal(n2, size);
            assert_memory_equal(again, data, size);
            free(again);
            free(data);
            hs_template_free(t);
            files++;
        }
        closedir(d2);
    }
    closedir(d);
    hs_ctx_free(ctx);
    printf("decoded %d SecuGen ISO templates, %d minutiae\n", files, minutiae);
    assert_int_equal(files, 640);
}

/* native -> hst -> native is exact; native -> ISO/ANSI -> native moves no
 * minutia more than half a pixel per axis and half an angle unit. */
static void test_round_trips(void **state)
{
    (void)state;
    hs_template *t = make_template(3, 60, 400, 500, 500);
    assert_int_equal(hs__template_block_set(NULL, t, 1, HS__TBLOCK_MATCHER, "prep", 4), HS_OK);
    assert_int_equal(hs__template_block_set(NULL, t, 1, 0x9000, "x", 1), HS_OK);
    const uint32_t formats[] = {HS_TEMPLATE_FORMAT_HST, HS_TEMPLATE_FORMAT_ISO19794_2_2005,
                                HS_TEMPLATE_FORMAT_ANSI378_2004, HS_TEMPLATE_FORMAT_ANSI378_2009};
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++) {
        size_t n;
        uint8_t *buf = encode(t, formats[k], &n);
        hs_template *u;
        uint32_t f;
        assert_int_equal(hs_template_decode(NULL, &u, &f, buf, n), HS_OK);
        assert_int_equal(f, formats[k]);
        assert_int_equal(hs_template_view_count(u), 3);
        double unit = formats[k] == HS_TEMPLATE_FORMAT_ISO19794_2_2005 ? 360.0 / 256 : 2.0;
        for (uint32_t v = 0; v < 3; v++) {
            uint32_t na, nb;
            const hs_minutia *a = hs_template_minutiae(t, &na, v);
            const hs_minutia *b = hs_template_minutiae(u, &nb, v);
            assert_int_equal(na, nb);
            hs_view_info ia = {sizeof ia, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ib = ia;
            hs_template_view_info(t, &ia, v);
            hs_template_view_info(u, &ib, v);
            assert_int_equal(ia.finger_position, ib.finger_position);
            assert_int_equal(ia.quality, ib.quality);
            assert_int_equal(ia.width, ib.width);
            for (uint32_t i = 0; i < na; i++) {
                if (formats[k] == HS_TEMPLATE_FORMAT_HST) {
                    assert_memory_equal(&a[i], &b[i], sizeof a[i]);
                    continue;
                }
                assert_true(fabsf(a[i].x - b[i].x) <= 0.5f);
                assert_true(fabsf(a[i].y - b[i].y) <= 0.5f);
                double d = fabs((double)a[i].angle - (double)b[i].angle) / DEG;
                if (d > 180)
                    d = 360 - d;
                assert_true(d <= unit / 2 + 1e-3);
                assert_int_equal(a[i].type, b[i].type);
                assert_int_equal(a[i].quality, b[i].quality);
            }
        }
        if (formats[k] == HS_TEMPLATE_FORMAT_HST) {
            size_t bn;
            const void *blk = hs__template_block_get(u, 1, HS__TBLOCK_MATCHER, &bn);
            assert_non_null(blk);
            assert_int_equal(bn, 4);
            assert_memory_equal(blk, "prep", 4);
            assert_non_null(hs__template_block_get(u, 1, 0x9000, &bn));
            /* encoding the decoded template gives the same bytes */
            size_t n2;
            uint8_t *b2 = encode(u, formats[k], &n2);
            assert_int_equal(n2, n);
            assert_memory_equal(b2, buf, n);
            free(b2);
        }
        hs_template_free(u);
        free(buf);
    }
    hs_template_free(t);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(hs_template_format_name(HS_TEMPLATE_FORMAT_HST), "hst");
    assert_string_equal(hs_template_format_name(HS_TEMPLATE_FORMAT_ISO19794_2_2005), "iso19794-2");
    assert_string_equal(hs_template_format_name(HS_TEMPLATE_FORMAT_ANSI378_2004), "ansi378");
    assert_string_equal(hs_template_format_name(999), "unknown");
    assert_int_equal(hs_template_format_from_name("hst"), HS_TEMPLATE_FORMAT_HST);
    assert_int_equal(hs_template_format_from_name("ISO19794-2"), HS_TEMPLATE_FORMAT_ISO19794_2_2005);
    assert_int_equal(hs_template_format_from_name("ansi378"), HS_TEMPLATE_FORMAT_ANSI378_2004);
    assert_int_equal(hs_template_format_from_name("ansi378-2009"), HS_TEMPLATE_FORMAT_ANSI378_2009);
    assert_int_equal(hs_template_format_from_name("png"), 0);
    assert_int_equal(hs_template_format_from_name(NULL), 0);
}

static void test_save_load(void **state)
{
    (void)state;
    hs_template *t = make_template(1, 30, 300, 400, 500);
    char path[512];
    snprintf(path, sizeof path, "%s/t.hst", tu_tmpdir());
    assert_int_equal(hs_template_save(NULL, path, t, HS_TEMPLATE_FORMAT_HST), HS_OK);
    hs_template *u;
    uint32_t f;
    assert_int_equal(hs_template_load(NULL, &u, &f, path), HS_OK);
    assert_int_equal(f, HS_TEMPLATE_FORMAT_HST);
    assert_int_equal(hs_template_view_count(u), 1);
    hs_template_free(u);
    snprintf(path, sizeof path, "%s/missing/t.hst", tu_tmpdir());
    assert_int_equal(hs_template_load(NULL, &u, &f, path), HS_ERR_IO);
    assert_null(u);
    hs_template_free(t);
}


/* ---- hostile input ---------------------------------------------------- */

struct live { long n; };
static void *cnt_malloc(void *o, size_t n) { ((struct live *)o)->n++; return malloc(n); }
static void *cnt_realloc(void *o, void *p, size_t n)
{
    if (!p)
        ((struct live *)o)->n++;
    return realloc(p, n);
}
static void cnt_free(void *o, void *p)
{
    if (p)
        ((struct live *)o)->n--;
    free(p);
}

/* Decode with a counting allocator: returns the status, checks that a
 * failure leaves *out NULL and nothing allocated, and that the ctx message
 * is set. */
static hs_status decode_checked(const uint8_t *p, size_t n, hs_ctx *limits_from)
{
    struct live live = {0};
    hs_allocator a = {cnt_malloc, cnt_realloc, cnt_free, &live};
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, &a), HS_OK);
    if (limits_from)
        for (int k = 1; k <= 6; k++) {
            uint64_t lv = 0;
            hs_ctx_get_limit(limits_from, &lv, (hs_limit)k);
            hs_ctx_set_limit(ctx, (hs_limit)k, lv);
        }
    long base = live.n;
    hs_template *t = (hs_template *)&live;
    uint8_t *copy = malloc(n ? n : 1); /* exact-size buffer: ASan sees overreads */
    memcpy(copy, p, n);
    hs_status s = hs_template_decode(ctx, &t, NULL, copy, n);
    free(copy);
    if (getenv("TT_VERBOSE"))
        printf("decode %zu bytes: %d %s\n", n, s, hs_ctx_last_error(ctx));
    if (s) {
        assert_null(t);
        assert_int_equal(live.n, base);
        assert_true(strlen(hs_ctx_last_error(ctx)) > 0);
    } else {
        hs_template_free(t);
        assert_int_equal(live.n, base);
    }
    hs_ctx_free(ctx);
    return s;
}

static void be16_at(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void be32_at(uint8_t *p, uint32_t v)
{
    be16_at(p, v >> 16);
    be16_at(p + 2, v & 0xFFFF);
}
static void le32_at(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void fix_crc(uint8_t *p, size_t n) { le32_at(p + n - 4, hs__crc32c(0, p, n - 4)); }

static void test_bad_truncated(void **state)
{
    (void)state;
    hs_template *t = make_template(2, 20, 300, 400, 500);
    assert_int_equal(hs__template_block_set(NULL, t, 0, HS__TBLOCK_MATCHER, "abc", 3), HS_OK);
    const uint32_t formats[] = {HS_TEMPLATE_FORMAT_HST, HS_TEMPLATE_FORMAT_ISO19794_2_2005,
                                HS_TEMPLATE_FORMAT_ANSI378_2004, HS_TEMPLATE_FORMAT_ANSI378_2009};
    for (size_t k = 0; k < 4; k++) {
        size_t n;
        uint8_t *buf = encode(t, formats[k], &n);
        assert_int_equal(decode_checked(buf, n, NULL), HS_OK);
        for (size_t cut = 0; cut < n; cut++) {
            hs_status s = decode_checked(buf, cut, NULL);
            if (cut == 0)
                assert_int_equal(s, HS_ERR_FORMAT);
            else
                assert_int_equal(s, HS_ERR_TRUNCATED);
        }
        /* the record, cut, with its length field saying so: the content is
         * missing, not the tail */
        if (formats[k] == HS_TEMPLATE_FORMAT_ISO19794_2_2005) {
            for (size_t cut = 24; cut < n - 40; cut += 7) {
                uint8_t *c = malloc(cut);
                memcpy(c, buf, cut);
                be32_at(c + 8, (uint32_t)cut);
                hs_status s = decode_checked(c, cut, NULL);
                assert_true(s == HS_ERR_TRUNCATED || s == HS_ERR_CORRUPT);
                free(c);
            }
        }
        free(buf);
    }
    hs_template_free(t);
}

static void test_bad_lengths(void **state)
{
    (void)state;
    hs_template *t = make_template(2, 20, 300, 400, 500);
    size_t n;
    uint8_t *iso = encode(t, HS_TEMPLATE_FORMAT_ISO19794_2_2005, &n);
    uint8_t *c = malloc(n + 8);
    /* record length larger / smaller than the data */
    memcpy(c, iso, n);
    be32_at(c + 8, (uint32_t)n + 1);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_TRUNCATED);
    memcpy(c, iso, n);
    c[n] = 0;
    assert_int_equal(decode_checked(c, n + 1, NULL), HS_ERR_CORRUPT);
    /* a view's extended data length claiming more than the record holds */
    memcpy(c, iso, n);
    size_t edb0 = 24 + 4 + 20 * 6;
    assert_int_equal(c[edb0], 0);
    be16_at(c + edb0, 5000);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_CORRUPT);
    /* one minutia count more than present: the next view header shifts */
    memcpy(c, iso, n);
    c[24 + 3] = 21;
    assert_true(decode_checked(c, n, NULL) < 0);
    /* extended data area claiming more than its block */
    static const uint8_t area[] = {0x00, 0x08, 0x00, 0x01, 0x00, 0x09, 1, 2, 3, 4};
    uint8_t *e = malloc(n + sizeof area);
    memcpy(e, iso, edb0);
    memcpy(e + edb0, area, sizeof area);
    memcpy(e + edb0 + sizeof area, iso + edb0 + 2, n - edb0 - 2);
    size_t en = n + sizeof area - 2;
    be32_at(e + 8, (uint32_t)en);
    assert_int_equal(decode_checked(e, en, NULL), HS_ERR_CORRUPT);
    e[edb0 + 5] = 8; /* now consistent: decodes and keeps the area */
    assert_int_equal(decode_checked(e, en, NULL), HS_OK);
    hs_template *u;
    assert_int_equal(hs_template_decode(NULL, &u, NULL, e, en), HS_OK);
    size_t bn;
    const uint8_t *blk = hs__template_block_get(u, 0, HS__TBLOCK_FMR_EDB, &bn);
    assert_int_equal(bn, 3 + 8);
    assert_memory_equal(blk + 3, e + edb0 + 2, 8);
    size_t n2;
    uint8_t *again = encode(u, HS_TEMPLATE_FORMAT_ISO19794_2_2005, &n2);
    assert_int_equal(n2, en);
    assert_memory_equal(again, e, en);
    free(again);
    hs_template_free(u);
    free(e);
    /* ANSI 6-byte length form holding a small length */
    uint8_t *ansi = encode(t, HS_TEMPLATE_FORMAT_ANSI378_2004, &n2);
    uint8_t *l = malloc(n2 + 4);
    memcpy(l, ansi, 8);
    l[8] = l[9] = 0;
    be32_at(l + 10, (uint32_t)n2 + 4);
    memcpy(l + 14, ansi + 10, n2 - 10);
    assert_int_equal(decode_checked(l, n2 + 4, NULL), HS_ERR_CORRUPT);
    free(l);
    free(ansi);
    free(c);
    free(iso);
    hs_template_free(t);
}

static void test_bad_limits(void **state)
{
    (void)state;
    hs_template *t = make_template(3, 40, 300, 400, 500);
    hs_ctx *lim;
    assert_int_equal(hs_ctx_new(&lim, NULL), HS_OK);
    const uint32_t formats[] = {HS_TEMPLATE_FORMAT_HST, HS_TEMPLATE_FORMAT_ISO19794_2_2005,
                                HS_TEMPLATE_FORMAT_ANSI378_2004, HS_TEMPLATE_FORMAT_ANSI378_2009};
    for (size_t k = 0; k < 4; k++) {
        size_t n;
        uint8_t *buf = encode(t, formats[k], &n);
        assert_int_equal(hs_ctx_set_limit(lim, HS_LIMIT_MAX_MINUTIAE, 39), HS_OK);
        assert_int_equal(decode_checked(buf, n, lim), HS_ERR_LIMIT);
        assert_int_equal(hs_ctx_set_limit(lim, HS_LIMIT_MAX_MINUTIAE, 40), HS_OK);
        assert_int_equal(hs_ctx_set_limit(lim, HS_LIMIT_MAX_VIEWS, 2), HS_OK);
        assert_int_equal(decode_checked(buf, n, lim), HS_ERR_LIMIT);
        assert_int_equal(hs_ctx_set_limit(lim, HS_LIMIT_MAX_VIEWS, 3), HS_OK);
        assert_int_equal(hs_ctx_set_limit(lim, HS_LIMIT_MAX_TEMPLATE_BYTES, 64), HS_OK);
        assert_int_equal(decode_checked(buf, n, lim), HS_ERR_LIMIT);
        size_t m = 0;
        assert_int_equal(hs_template_encode(lim, NULL, &m, t, formats[k]), HS_ERR_LIMIT);
        assert_int_equal(hs_ctx_set_limit(lim, HS_LIMIT_MAX_TEMPLATE_BYTES, 1u << 20), HS_OK);
        assert_int_equal(decode_checked(buf, n, lim), HS_OK);
        free(buf);
    }
    hs_ctx_free(lim);
    hs_template_free(t);
}

static void test_bad_values(void **state)
{
    (void)state;
    hs_template *t = make_template(1, 10, 300, 400, 500);
    size_t n;
    uint8_t *iso = encode(t, HS_TEMPLATE_FORMAT_ISO19794_2_2005, &n);
    uint8_t *c = malloc(n);
    const size_t m0 = 28; /* first minutia */
    struct {
        size_t off;
        uint8_t val;
        hs_status want;
    } cases[] = {
        {0, 'X', HS_ERR_FORMAT},            /* magic */
        {5, '9', HS_ERR_UNSUPPORTED},       /* version " 90" */
        {23, 1, HS_ERR_CORRUPT},            /* reserved header byte */
        {18, 0, HS_ERR_CORRUPT},            /* x resolution 0 (with byte 19) */
        {24, 11, HS_ERR_CORRUPT},           /* finger position 11 */
        {24, 200, HS_ERR_CORRUPT},          /* finger position 200 */
        {25, 0x05, HS_ERR_CORRUPT},         /* impression type 5 */
        {26, 101, HS_ERR_CORRUPT},          /* finger quality 101 */
        {m0, 0xC0, HS_ERR_CORRUPT},         /* minutia type 3 */
        {m0 + 2, 0x40, HS_ERR_CORRUPT},     /* reserved bits above y */
        {m0 + 5, 101, HS_ERR_CORRUPT},      /* minutia quality 101 */
        {m0, 0x7F, HS_ERR_CORRUPT},         /* x = 0x3Fxx: outside the 300 px image */
        {m0 + 2, 0x3F, HS_ERR_CORRUPT},     /* y outside the image */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(c, iso, n);
        c[cases[k].off] = cases[k].val;
        if (cases[k].off == 18)
            c[19] = 0;
        hs_status s = decode_checked(c, n, NULL);
        if (s != cases[k].want)
            printf("case %zu: got %d\n", k, s);
        assert_int_equal(s, cases[k].want);
    }
    /* the message says where */
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_template *bad = NULL;
    memcpy(c, iso, n);
    c[m0 + 6] = 0xC0; /* minutia 1: type 3 */
    assert_int_equal(hs_template_decode(ctx, &bad, NULL, c, n), HS_ERR_CORRUPT);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "iso19794-2: view 0 minutia 1: type 3"));
    memcpy(c, iso, n);
    c[m0 + 6] = 0x41; /* minutia 1 at x = 0x1xx > 300 */
    c[m0 + 7] = 0x90;
    assert_int_equal(hs_template_decode(ctx, &bad, NULL, c, n), HS_ERR_CORRUPT);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "minutia 1 at (400,"));
    assert_int_equal(hs_template_decode(ctx, &bad, NULL, iso, n - 3), HS_ERR_TRUNCATED);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "only"));
    assert_null(bad);
    hs_ctx_free(ctx);
    free(c);
    /* ANSI: angle 180 and beyond is reserved */
    uint8_t *ansi = encode(t, HS_TEMPLATE_FORMAT_ANSI378_2004, &n);
    ansi[26 + 4 + 4] = 180;
    assert_int_equal(decode_checked(ansi, n, NULL), HS_ERR_CORRUPT);
    free(ansi);
    free(iso);
    /* encoder limits of the standard formats */
    hs_template *big = make_template(1, 10, 20000, 300, 500);
    size_t sz = 0;
    assert_int_equal(hs_template_encode(NULL, NULL, &sz, big, HS_TEMPLATE_FORMAT_ISO19794_2_2005),
                     HS_OK);
    hs_template_free(big);
    hs_template *mixed = make_template(1, 10, 300, 400, 500);
    hs_view_info vi = {sizeof vi, 320, 400, 500, 500, 2, 0, 0, 50, 0};
    assert_int_equal(hs_template_add_view(NULL, mixed, &vi, NULL, 0), HS_OK);
    assert_int_equal(hs_template_encode(NULL, NULL, &sz, mixed, HS_TEMPLATE_FORMAT_ISO19794_2_2005),
                     HS_ERR_UNSUPPORTED);
    assert_int_equal(hs_template_encode(NULL, NULL, &sz, mixed, HS_TEMPLATE_FORMAT_ANSI378_2009),
                     HS_OK);
    assert_int_equal(hs_template_encode(NULL, NULL, &sz, mixed, HS_TEMPLATE_FORMAT_ISO19794_2_2011),
                     HS_ERR_UNSUPPORTED);
    assert_int_equal(hs_template_encode(NULL, NULL, &sz, mixed, 77), HS_ERR_INVALID_ARG);
    hs_template_free(mixed);
    hs_template_free(t);
}

static void test_bad_hst(void **state)
{
    (void)state;
    hs_template *t = make_template(2, 10, 300, 400, 500);
    assert_int_equal(hs__template_block_set(NULL, t, 1, HS__TBLOCK_MATCHER, "abcd", 4), HS_OK);
    size_t n;
    uint8_t *h = encode(t, HS_TEMPLATE_FORMAT_HST, &n);
    uint8_t *c = malloc(n);
    /* any flipped bit: CRC mismatch (or an earlier length check) */
    for (size_t i = 8; i < n; i += 5) {
        memcpy(c, h, n);
        c[i] ^= 0x10;
        hs_status s = decode_checked(c, n, NULL);
        assert_true(s == HS_ERR_CHECKSUM || s == HS_ERR_TRUNCATED || s == HS_ERR_CORRUPT);
    }
    memcpy(c, h, n);
    c[4] = 2; /* version 2 */
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_VERSION);
    memcpy(c, h, n);
    c[8] = 1; /* unknown critical flag */
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_UNSUPPORTED);
    memcpy(c, h, n);
    c[10] = 1; /* informational flag: ignored */
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_OK);
    /* NaN x in the first minutia */
    memcpy(c, h, n);
    le32_at(c + 32 + 40, 0x7FC00000u);
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_CORRUPT);
    /* angle 7 rad */
    memcpy(c, h, n);
    le32_at(c + 32 + 40 + 8, 0x40E00000u);
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_CORRUPT);
    /* view count beyond the data */
    memcpy(c, h, n);
    le32_at(c + 16, 3);
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_TRUNCATED);
    /* view length disagreeing with its content */
    memcpy(c, h, n);
    le32_at(c + 32, 40 + 160 + 1);
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_CORRUPT);
    /* minutia count beyond the 255 default limit */
    memcpy(c, h, n);
    le32_at(c + 32 + 28, 256);
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_LIMIT);
    /* block count disagreeing with the block area */
    size_t v1 = 32 + 40 + 160;
    memcpy(c, h, n);
    le32_at(c + v1 + 32, 2);
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_CORRUPT);
    /* block of type 0 */
    memcpy(c, h, n);
    c[v1 + 40 + 160] = 0;
    c[v1 + 40 + 160 + 1] = 0;
    fix_crc(c, n);
    assert_int_equal(decode_checked(c, n, NULL), HS_ERR_CORRUPT);
    free(c);
    free(h);
    hs_template_free(t);
    /* the same block type twice */
    t = make_template(1, 10, 300, 400, 500);
    assert_int_equal(hs__template_block_set(NULL, t, 0, 0x10, "abcd", 4), HS_OK);
    assert_int_equal(hs__template_block_set(NULL, t, 0, 0x20, "ef", 2), HS_OK);
    h = encode(t, HS_TEMPLATE_FORMAT_HST, &n);
    assert_int_equal(decode_checked(h, n, NULL), HS_OK);
    assert_int_equal(h[32 + 40 + 160 + 12], 0x20);
    h[32 + 40 + 160 + 12] = 0x10;
    fix_crc(h, n);
    assert_int_equal(decode_checked(h, n, NULL), HS_ERR_CORRUPT);
    free(h);
    hs_template_free(t);
    /* empty template round trip */
    hs_template *e;
    assert_int_equal(hs_template_new(NULL, &e), HS_OK);
    h = encode(e, HS_TEMPLATE_FORMAT_HST, &n);
    assert_int_equal(n, 36);
    assert_int_equal(decode_checked(h, n, NULL), HS_OK);
    free(h);
    hs_template_free(e);
}

/* A hand-built ISO/IEC 19794-2:2011 record: one representation with two
 * quality blocks, 6-byte minutiae, no extended data. */
static void test_iso2011(void **state)
{
    (void)state;
    uint8_t r[128];
    size_t n = 0;
    memcpy(r, "FMR\0" "030\0", 8);
    n = 8;
    size_t lenpos = n;
    n += 4;
    be16_at(r + n, 1); n += 2;      /* representations */
    r[n++] = 0;                      /* certification flag */
    size_t rep = n;
    n += 4;                          /* representation length */
    memset(r + n, 0, 9); n += 9;     /* capture date/time */
    r[n++] = 0;                      /* device technology */
    be16_at(r + n, 0x1234); n += 2;  /* vendor */
    be16_at(r + n, 0x0001); n += 2;  /* device type */
    r[n++] = 2;                      /* quality blocks */
    r[n++] = 77; be16_at(r + n, 1); n += 2; be16_at(r + n, 2); n += 2;
    r[n++] = 55; be16_at(r + n, 3); n += 2; be16_at(r + n, 4); n += 2;
    r[n++] = 3;                      /* finger position */
    r[n++] = 0;                      /* representation number */
    be16_at(r + n, 197); n += 2;
    be16_at(r + n, 197); n += 2;
    r[n++] = 0;                      /* impression */
    be16_at(r + n, 300); n += 2;
    be16_at(r + n, 400); n += 2;
    r[n++] = 0x60;                   /* minutia field length 6, ridge ending type 0 */
    r[n++] = 2;                      /* minutiae */
    uint8_t m[] = {0x40, 100, 0x00, 50, 64, 80, 0x80, 10, 0x01, 0x2C, 128, 254};
    memcpy(r + n, m, sizeof m); n += sizeof m;
    be16_at(r + n, 0); n += 2;       /* no extended data */
    be32_at(r + rep, (uint32_t)(n - rep));
    be32_at(r + lenpos, (uint32_t)n);
    hs_template *t;
    uint32_t f;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_status s = hs_template_decode(ctx, &t, &f, r, n);
    if (s)
        printf("%s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    assert_int_equal(f, HS_TEMPLATE_FORMAT_ISO19794_2_2011);
    assert_view(t, 0, 3, 0, 0, 77, 2, 300, 400, 500);
    assert_minutia(t, 0, 0, HS_MINUTIA_ENDING, 100, 50, 90, 80);
    assert_minutia(t, 0, 1, HS_MINUTIA_BIFURCATION, 10, 300, 180, 0); /* 254: not reported */
    size_t sz;
    assert_int_equal(hs_template_encode(NULL, NULL, &sz, t, HS_TEMPLATE_FORMAT_ISO19794_2_2011),
                     HS_ERR_UNSUPPORTED);
    hs_template_free(t);
    for (size_t cut = 0; cut < n; cut++)
        assert_true(decode_checked(r, cut, NULL) < 0);
    /* a representation longer than the record no longer looks like ISO 2011
     * (docs/template-format.md): it fails as ANSI 378-2009 instead */
    r[rep + 3] = (uint8_t)(r[rep + 3] + 1);
    assert_true(decode_checked(r, n, NULL) < 0);
    r[rep + 3] = (uint8_t)(r[rep + 3] - 1);
    r[n - 3] = 101; /* minutia quality 101 */
    assert_int_equal(decode_checked(r, n, NULL), HS_ERR_CORRUPT);
    hs_ctx_free(ctx);
}

/* Core/delta angles follow the record's unit when converting. */
static void test_edb_convert(void **state)
{
    (void)state;
    hs_template *t = make_template(1, 5, 300, 400, 500);
    /* one angular core at 90 deg in ANSI units (45), one angular delta */
    uint8_t blk[3 + 4 + 1 + 5 + 1 + 7];
    size_t k = 0;
    blk[k++] = HS_TEMPLATE_FORMAT_ANSI378_2004;
    blk[k++] = (uint8_t)(sizeof blk - 3);
    blk[k++] = 0;
    uint8_t area[] = {0x00, 0x02, 0x00, (uint8_t)(sizeof blk - 3), 0x41, 0x00, 0x64, 0x00, 0x64,
                      45, 0x41, 0x00, 0x32, 0x00, 0x32, 90, 0, 179};
    memcpy(blk + k, area, sizeof area);
    assert_int_equal(hs__template_block_set(NULL, t, 0, HS__TBLOCK_FMR_EDB, blk, sizeof blk), HS_OK);
    size_t n;
    uint8_t *iso = encode(t, HS_TEMPLATE_FORMAT_ISO19794_2_2005, &n);
    const uint8_t *edb = iso + 24 + 4 + 5 * 6;
    assert_int_equal(edb[1], sizeof area);
    /* ISO layout: plain counts, "has angles" in bit 14 of each x */
    static const uint8_t want[] = {0x00, 0x02, 0x00, 18, 0x01, 0x40, 0x64, 0x00, 0x64,
                                   64 /* 90 deg */, 0x01, 0x40, 0x32, 0x00, 0x32,
                                   128 /* 180 deg */, 0, 255 /* 358 deg -> 254.6 */};
    assert_memory_equal(edb + 2, want, sizeof want);
    hs_template *u;
    assert_int_equal(hs_template_decode(NULL, &u, NULL, iso, n), HS_OK);
    uint8_t *back = encode(u, HS_TEMPLATE_FORMAT_ANSI378_2004, &n);
    const uint8_t *e2 = back + 26 + 4 + 5 * 6;
    assert_memory_equal(e2 + 2, area, sizeof area);
    free(back);
    /* ISO cores mixing points with and without angles cannot be typed per
     * group in ANSI: the area is copied unchanged */
    uint8_t mixed[3 + 4 + 1 + 5 + 4 + 1];
    static const uint8_t marea[] = {0x00, 0x02, 0x00, 15, 0x02, 0x40, 0x10, 0x00, 0x10,
                                    7, 0x00, 0x20, 0x00, 0x20, 0x00};
    mixed[0] = HS_TEMPLATE_FORMAT_ISO19794_2_2005;
    mixed[1] = 15;
    mixed[2] = 0;
    memcpy(mixed + 3, marea, sizeof marea);
    assert_int_equal(hs__template_block_set(NULL, t, 0, HS__TBLOCK_FMR_EDB, mixed, sizeof mixed),
                     HS_OK);
    back = encode(t, HS_TEMPLATE_FORMAT_ANSI378_2004, &n);
    assert_memory_equal(back + 26 + 4 + 5 * 6 + 2, marea, sizeof marea);
    free(back);
    free(iso);
    hs_template_free(u);
    hs_template_free(t);
}

/* A record that went through a standard format once is stable: encoding its
 * decoded form gives the same bytes, in every writable format. */
static void test_idempotent(void **state)
{
    (void)state;
    const uint32_t formats[] = {HS_TEMPLATE_FORMAT_ISO19794_2_2005, HS_TEMPLATE_FORMAT_ANSI378_2004,
                                HS_TEMPLATE_FORMAT_ANSI378_2009};
    for (uint32_t ppi = 250; ppi <= 1000; ppi += 83) {
        hs_template *t = make_template(2, 97, 357, 411, ppi);
        for (size_t k = 0; k < 3; k++) {
            size_t n1, n2;
            uint8_t *a = encode(t, formats[k], &n1);
            hs_template *u;
            assert_int_equal(hs_template_decode(NULL, &u, NULL, a, n1), HS_OK);
            uint8_t *b = encode(u, formats[k], &n2);
            assert_int_equal(n1, n2);
            assert_memory_equal(a, b, n1);
            /* and through the native format */
            uint8_t *h = encode(u, HS_TEMPLATE_FORMAT_HST, &n2);
            hs_template *w;
            assert_int_equal(hs_template_decode(NULL, &w, NULL, h, n2), HS_OK);
            free(b);
            b = encode(w, formats[k], &n2);
            assert_int_equal(n1, n2);
            assert_memory_equal(a, b, n1);
            /* ISO <-> ANSI: the angle moves by at most half of each unit */
            uint32_t other = formats[k] == HS_TEMPLATE_FORMAT_ISO19794_2_2005
                                 ? HS_TEMPLATE_FORMAT_ANSI378_2004
                                 : HS_TEMPLATE_FORMAT_ISO19794_2_2005;
            free(h);
            h = encode(u, other, &n2);
            hs_template *x;
            assert_int_equal(hs_template_decode(NULL, &x, NULL, h, n2), HS_OK);
            uint32_t c1, c2;
            const hs_minutia *m1 = hs_template_minutiae(u, &c1, 1);
            const hs_minutia *m2 = hs_template_minutiae(x, &c2, 1);
            assert_int_equal(c1, c2);
            for (uint32_t i = 0; i < c1; i++) {
                double d = fabs((double)m1[i].angle - (double)m2[i].angle) / DEG;
                if (d > 180)
                    d = 360 - d;
                assert_true(d <= 1.0 + 0.71 + 1e-3);
                assert_true(m1[i].x == m2[i].x && m1[i].y == m2[i].y);
            }
            hs_template_free(x);
            hs_template_free(w);
            hs_template_free(u);
            free(h);
            free(a);
            free(b);
        }
        hs_template_free(t);
    }
}

/* Records of 64 KiB and more: the ANSI 6-byte length form, the ISO 4-byte
 * length with non-zero high bytes. */
static void test_large_records(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_VIEWS, 60), HS_OK);
    hs_template *t;
    assert_int_equal(hs_template_new(ctx, &t), HS_OK);
    hs_minutia m[255];
    for (uint32_t i = 0; i < 255; i++) {
        memset(&m[i], 0, sizeof m[i]);
        m[i].x = (float)(i % 300);
        m[i].y = (float)(i % 400);
        m[i].angle = 1.0f;
        m[i].type = 1;
    }
    for (uint32_t v = 0; v < 45; v++) {
        hs_view_info vi = {sizeof vi, 300, 400, 500, 500, v % 11, v % 16, 0, 50, 0};
        assert_int_equal(hs_template_add_view(ctx, t, &vi, m, 255), HS_OK);
    }
    const uint32_t formats[] = {HS_TEMPLATE_FORMAT_ISO19794_2_2005, HS_TEMPLATE_FORMAT_ANSI378_2004,
                                HS_TEMPLATE_FORMAT_ANSI378_2009, HS_TEMPLATE_FORMAT_HST};
    for (size_t k = 0; k < 4; k++) {
        size_t n;
        uint8_t *b = encode(t, formats[k], &n);
        assert_true(n > 65535);
        if (formats[k] == HS_TEMPLATE_FORMAT_ANSI378_2004) {
            assert_int_equal(b[8], 0);
            assert_int_equal(b[9], 0);
            assert_int_equal(((uint32_t)b[10] << 24) | ((uint32_t)b[11] << 16) |
                                 ((uint32_t)b[12] << 8) | b[13],
                             n);
        }
        hs_template *u;
        uint32_t f;
        assert_int_equal(hs_template_decode(ctx, &u, &f, b, n), HS_OK);
        assert_int_equal(f, formats[k]);
        assert_int_equal(hs_template_view_count(u), 45);
        /* the default limit of 32 views refuses it */
        assert_int_equal(decode_checked(b, n, NULL), HS_ERR_LIMIT);
        hs_template_free(u);
        free(b);
    }
    hs_template_free(t);
    hs_ctx_free(ctx);
}

static void test_blocks(void **state)
{
    (void)state;
    hs_template *t = make_template(2, 3, 100, 100, 500);
    size_t n;
    assert_null(hs__template_block_get(t, 0, 0x10, &n));
    assert_int_equal(n, 0);
    assert_int_equal(hs__template_block_set(NULL, t, 0, 0x10, "aaaa", 4), HS_OK);
    assert_int_equal(hs__template_block_set(NULL, t, 0, 0x20, "bb", 2), HS_OK);
    assert_int_equal(hs__template_block_set(NULL, t, 0, 0x30, NULL, 0), HS_OK);
    /* replacing keeps the order and the others */
    assert_int_equal(hs__template_block_set(NULL, t, 0, 0x10, "c", 1), HS_OK);
    const uint8_t *p = hs__template_block_get(t, 0, 0x10, &n);
    assert_int_equal(n, 1);
    assert_memory_equal(p, "c", 1);
    p = hs__template_block_get(t, 0, 0x20, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(p, "bb", 2);
    assert_non_null(hs__template_block_get(t, 0, 0x30, &n));
    assert_int_equal(n, 0);
    assert_null(hs__template_block_get(t, 1, 0x10, &n));
    assert_int_equal(hs__template_block_remove(t, 0, 0x20), HS_OK);
    assert_int_equal(hs__template_block_remove(t, 0, 0x20), HS_ERR_NOT_FOUND);
    assert_null(hs__template_block_get(t, 0, 0x20, &n));
    assert_non_null(hs__template_block_get(t, 0, 0x10, &n));
    assert_int_equal(hs__template_block_set(NULL, t, 5, 0x10, "x", 1), HS_ERR_NOT_FOUND);
    assert_int_equal(hs__template_block_set(NULL, t, 0, 0, "x", 1), HS_ERR_INVALID_ARG);
    assert_int_equal(hs__template_block_set(NULL, t, 0, 0xFFFF, "x", 1), HS_ERR_INVALID_ARG);
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES, 1000), HS_OK);
    static uint8_t big[2000];
    assert_int_equal(hs__template_block_set(ctx, t, 1, 0x10, big, sizeof big), HS_ERR_LIMIT);
    assert_null(hs__template_block_get(t, 1, 0x10, &n));
    hs_ctx_free(ctx);
    /* blocks survive clone and the native format, in order */
    hs_template *c;
    assert_int_equal(hs_template_clone(NULL, &c, t), HS_OK);
    size_t n1, n2;
    uint8_t *a = encode(t, HS_TEMPLATE_FORMAT_HST, &n1);
    uint8_t *b = encode(c, HS_TEMPLATE_FORMAT_HST, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
    hs_template_free(c);
    hs_template_free(t);
}

/* hs_template_copy_view (1.1) appends a view with its extended data, under
 * the source's information or the caller's; dst is unchanged on failure. */
static void test_copy_view(void **state)
{
    (void)state;
    hs_template *src = make_template(2, 12, 300, 400, 500);
    const uint8_t blk[5] = {1, 2, 3, 4, 5};
    assert_int_equal(hs__template_block_set(NULL, src, 1, 0x8001, blk, sizeof blk), HS_OK);
    hs_template *dst;
    assert_int_equal(hs_template_new(NULL, &dst), HS_OK);
    assert_int_equal(hs_template_copy_view(NULL, dst, src, 1, NULL), HS_OK);
    hs_view_info a = HS_VIEW_INFO_INIT, b = HS_VIEW_INFO_INIT;
    assert_int_equal(hs_template_view_info(src, &a, 1), HS_OK);
    assert_int_equal(hs_template_view_info(dst, &b, 0), HS_OK);
    assert_memory_equal(&a, &b, sizeof a);
    uint32_t na, nb;
    const hs_minutia *ma = hs_template_minutiae(src, &na, 1), *mb = hs_template_minutiae(dst, &nb, 0);
    assert_int_equal(na, nb);
    assert_memory_equal(ma, mb, na * sizeof *ma);
    size_t k = 0;
    const uint8_t *g = hs__template_block_get(dst, 0, 0x8001, &k);
    assert_non_null(g);
    assert_int_equal(k, sizeof blk);
    assert_memory_equal(g, blk, sizeof blk);
    /* a new position: the same view otherwise, its block kept */
    a.finger_position = 7;
    assert_int_equal(hs_template_copy_view(NULL, dst, src, 1, &a), HS_OK);
    assert_int_equal(hs_template_view_info(dst, &b, 1), HS_OK);
    assert_int_equal(b.finger_position, 7);
    assert_non_null(hs__template_block_get(dst, 1, 0x8001, &k));
    /* a view without blocks gets none */
    assert_int_equal(hs_template_copy_view(NULL, dst, src, 0, NULL), HS_OK);
    assert_null(hs__template_block_get(dst, 2, 0x8001, &k));
    assert_int_equal(hs_template_view_count(dst), 3);
    /* refusals leave dst as it was */
    a.finger_position = 11;
    assert_int_equal(hs_template_copy_view(NULL, dst, src, 1, &a), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_template_copy_view(NULL, dst, src, 2, NULL), HS_ERR_NOT_FOUND);
    assert_int_equal(hs_template_copy_view(NULL, dst, dst, 0, NULL), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_template_copy_view(NULL, NULL, src, 0, NULL), HS_ERR_INVALID_ARG);
    a.finger_position = 7;
    a.width = 10; /* the minutiae lie beyond it */
    assert_int_equal(hs_template_copy_view(NULL, dst, src, 1, &a), HS_ERR_INVALID_ARG);
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES, 64), HS_OK);
    hs_template *small;
    assert_int_equal(hs_template_new(ctx, &small), HS_OK);
    assert_int_equal(hs_template_copy_view(ctx, small, src, 1, NULL), HS_ERR_LIMIT);
    assert_int_equal(hs_template_view_count(small), 0);
    hs_template_free(small);
    hs_ctx_free(ctx);
    assert_int_equal(hs_template_view_count(dst), 3);
    hs_template_free(dst);
    hs_template_free(src);
}

/* The orientation field (block 0x0011, since 1.1) travels through the ISO
 * and ANSI formats as a vendor area of the extended data ("HS", magic
 * "HSOF"): each view's field comes back byte for byte, the record decodes
 * and re-encodes to the same bytes, and a view with extended data of its own
 * keeps it as read (no area added). */
static void test_field_area(void **state)
{
    (void)state;
    static const uint32_t fmts[3] = {HS_TEMPLATE_FORMAT_ISO19794_2_2005, HS_TEMPLATE_FORMAT_ANSI378_2004,
                                     HS_TEMPLATE_FORMAT_ANSI378_2009};
    hs_template *t = make_template(2, 12, 300, 400, 500);
    uint8_t fa[HS__FIELD_HDR + 6 * 5], fb[HS__FIELD_HDR + 3 * 2];
    const uint8_t ha[HS__FIELD_HDR] = {1, 0, 0, 1, 6, 0, 5, 0, 2, 0, 3, 0};
    const uint8_t hb[HS__FIELD_HDR] = {1, 0, 0, 1, 3, 0, 2, 0, 0, 0, 0, 0};
    memcpy(fa, ha, sizeof ha);
    memcpy(fb, hb, sizeof hb);
    for (size_t i = HS__FIELD_HDR; i < sizeof fa; i++)
        fa[i] = (uint8_t)(i % 3 ? (i * 7) % 64 | 2u << 6 : 0);
    for (size_t i = HS__FIELD_HDR; i < sizeof fb; i++)
        fb[i] = (uint8_t)((i * 5) % 64 | 3u << 6);
    assert_int_equal(hs__template_block_set(NULL, t, 0, HS__TBLOCK_FIELD, fa, sizeof fa), HS_OK);
    assert_int_equal(hs__template_block_set(NULL, t, 1, HS__TBLOCK_FIELD, fb, sizeof fb), HS_OK);
    size_t plain_n;
    hs_template *plain = make_template(2, 12, 300, 400, 500);
    for (int f = 0; f < 3; f++) {
        size_t n, n2, k;
        uint8_t *rec = encode(t, fmts[f], &n);
        uint8_t *ref = encode(plain, fmts[f], &plain_n);
        assert_int_equal(n, plain_n + 8 + sizeof fa + 8 + sizeof fb);
        free(ref);
        hs_template *d = NULL;
        uint32_t fmt = 0;
        assert_int_equal(hs_template_decode(NULL, &d, &fmt, rec, n), HS_OK);
        assert_int_equal(fmt, fmts[f]);
        const uint8_t *g = hs__template_block_get(d, 0, HS__TBLOCK_FIELD, &k);
        assert_non_null(g);
        assert_int_equal(k, sizeof fa);
        assert_memory_equal(g, fa, sizeof fa);
        g = hs__template_block_get(d, 1, HS__TBLOCK_FIELD, &k);
        assert_non_null(g);
        assert_int_equal(k, sizeof fb);
        assert_memory_equal(g, fb, sizeof fb);
        uint8_t *again = encode(d, fmts[f], &n2);
        assert_int_equal(n2, n);
        assert_memory_equal(again, rec, n);
        free(again);
        hs_template_free(d);
        /* a damaged area (grid size that disagrees) is kept as extended data
         * but gives no field */
        for (size_t i = 0; i + 4 < n; i++)
            if (!memcmp(rec + i, "HSOF", 4)) {
                rec[i + 4 + 4] = 7; /* gw of view 0 */
                break;
            }
        assert_int_equal(hs_template_decode(NULL, &d, &fmt, rec, n), HS_OK);
        assert_null(hs__template_block_get(d, 0, HS__TBLOCK_FIELD, &k));
        assert_non_null(hs__template_block_get(d, 0, HS__TBLOCK_FMR_EDB, &k));
        assert_non_null(hs__template_block_get(d, 1, HS__TBLOCK_FIELD, &k));
        hs_template_free(d);
        free(rec);
    }
    hs_template_free(plain);
    hs_template_free(t);
}

/* ANSI 378-2009 quality 254/255 (not reported / failed). */
static void test_ansi2009_special_quality(void **state)
{
    (void)state;
    hs_template *t = make_template(1, 4, 300, 400, 500);
    size_t n;
    uint8_t *b = encode(t, HS_TEMPLATE_FORMAT_ANSI378_2009, &n);
    b[20 + 3] = 254;          /* view quality */
    b[20 + 17 + 5] = 255;     /* first minutia's quality */
    hs_template *u;
    assert_int_equal(hs_template_decode(NULL, &u, NULL, b, n), HS_OK);
    assert_view(u, 0, 1, 0, 0, 0, 4, 300, 400, 500);
    uint32_t c;
    assert_int_equal(hs_template_minutiae(u, &c, 0)[0].quality, 0);
    size_t n2;
    uint8_t *b2 = encode(u, HS_TEMPLATE_FORMAT_ANSI378_2009, &n2);
    assert_int_equal(n2, n);
    assert_int_equal(b2[20 + 3], 254);
    assert_int_equal(b2[20 + 17 + 5], 0);
    b[20 + 3] = 200;
    assert_int_equal(decode_checked(b, n, NULL), HS_ERR_CORRUPT);
    free(b2);
    free(b);
    hs_template_free(u);
    hs_template_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_nist_iso2005),
        cmocka_unit_test(test_nist_ansi2004),
        cmocka_unit_test(test_nist_ansi2009),
        cmocka_unit_test(test_nist_iso_vs_ansi),
        cmocka_unit_test(test_secugen_all),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_bad_truncated),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_bad_limits),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_bad_hst),
        cmocka_unit_test(test_iso2011),
        cmocka_unit_test(test_edb_convert),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_large_records),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_field_area),
        cmocka_unit_test(test_copy_view),
        cmocka_unit_test(test_ansi2009_special_quality),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
