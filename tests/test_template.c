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
    assert_int_equal(hs_template_encode(NULL, t, format, NULL, &n), HS_OK);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    size_t small = n - 1;
    assert_int_equal(hs_template_encode(NULL, t, format, buf, &small), HS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(small, n);
    assert_int_equal(hs_template_encode(NULL, t, format, buf, &n), HS_OK);
    *size = n;
    return buf;
}

static void assert_view(const hs_template *t, uint32_t v, uint32_t pos, uint32_t viewno,
                        uint32_t imp, uint32_t q, uint32_t count, uint32_t w, uint32_t h,
                        uint32_t ppi)
{
    hs_view_info vi = {sizeof vi, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(hs_template_view_info(t, v, &vi), HS_OK);
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
    const hs_minutia *m = hs_template_minutiae(t, v, &n);
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
    hs_status s = hs_template_decode(ctx, &t, data, size, &f);
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
    assert_int_equal(hs_template_load(NULL, &a, p1, NULL), HS_OK);
    assert_int_equal(hs_template_load(NULL, &b, p2, NULL), HS_OK);
    for (uint32_t v = 0; v < 2; v++) {
        uint32_t na, nb;
        const hs_minutia *ma = hs_template_minutiae(a, v, &na);
        const hs_minutia *mb = hs_template_minutiae(b, v, &nb);
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
            hs_status s = hs_template_decode(ctx, &t, data, size, &fmt);
            if (s)
                printf("%s: %s\n", path, hs_ctx_last_error(ctx));
            assert_int_equal(s, HS_OK);
            assert_int_equal(fmt, HS_TEMPLATE_FORMAT_ISO19794_2_2005);
            assert_true(hs_template_view_count(t) >= 1);
            uint32_t n;
            hs_template_minutiae(t, 0, &n);
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
        assert_int_equal(hs_template_decode(NULL, &u, buf, n, &f), HS_OK);
        assert_int_equal(f, formats[k]);
        assert_int_equal(hs_template_view_count(u), 3);
        double unit = formats[k] == HS_TEMPLATE_FORMAT_ISO19794_2_2005 ? 360.0 / 256 : 2.0;
        for (uint32_t v = 0; v < 3; v++) {
            uint32_t na, nb;
            const hs_minutia *a = hs_template_minutiae(t, v, &na);
            const hs_minutia *b = hs_template_minutiae(u, v, &nb);
            assert_int_equal(na, nb);
            hs_view_info ia = {sizeof ia, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ib = ia;
            hs_template_view_info(t, v, &ia);
            hs_template_view_info(u, v, &ib);
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
    assert_int_equal(hs_template_save(NULL, t, HS_TEMPLATE_FORMAT_HST, path), HS_OK);
    hs_template *u;
    uint32_t f;
    assert_int_equal(hs_template_load(NULL, &u, path, &f), HS_OK);
    assert_int_equal(f, HS_TEMPLATE_FORMAT_HST);
    assert_int_equal(hs_template_view_count(u), 1);
    hs_template_free(u);
    snprintf(path, sizeof path, "%s/missing/t.hst", tu_tmpdir());
    assert_int_equal(hs_template_load(NULL, &u, path, &f), HS_ERR_IO);
    assert_null(u);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
