/* Versioned structs (docs/conventions.md, section 6), as callers built
 * against other headers see them:
 *  - frozen copies of the 1.0 layouts, which later releases may only extend
 *    at the end: every 1.0 field keeps its offset (checked at compile time);
 *  - a caller built against 1.0 works with this library;
 *  - a caller built against a newer header (the 1.0 struct plus fields this
 *    library does not know) works while those fields are zero, gets
 *    HS_ERR_UNSUPPORTED when it sets one, and is told by output structs how
 *    much was filled;
 *  - a size below the 1.0 size is refused. */
#include "testutil.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- frozen 1.0 copies --------------------------------------------------- */

typedef struct v10_image_info {
    uint32_t struct_size, width, height, ppi, format, color, bits_per_sample, has_rgb;
} v10_image_info;

typedef struct v10_view_info {
    uint32_t struct_size, width, height, ppi_x, ppi_y, finger_position, view_number,
        impression_type, quality, minutia_count;
} v10_view_info;

typedef struct v10_search_options {
    uint32_t struct_size, max_candidates, threads, flags, rescore, face_model;
    double fmr;
} v10_search_options;

typedef struct v10_candidate {
    uint32_t struct_size, hit;
    const char *id;
    double score, finger_score, face_score, face_similarity;
    uint32_t finger_count, reserved;
    float finger_similarity[10];
    uint32_t finger_position[10];
} v10_candidate;

typedef struct v10_package_info {
    uint32_t struct_size, delta;
    uint64_t version, base_version;
    uint32_t recipients, reserved;
} v10_package_info;

typedef struct v10_face_search_options {
    uint32_t struct_size, threads;
    float min_score;
    uint32_t one_per_label;
} v10_face_search_options;

typedef struct v10_image_encode_options {
    uint32_t struct_size;
    float wsq_bitrate;
    uint32_t jp2_lossless;
    float jp2_ratio;
    uint32_t jpeg_quality;
} v10_image_encode_options;

typedef struct v10_eval_point {
    double threshold, fmr, fnmr;
} v10_eval_point;

typedef struct v10_eval_result {
    uint32_t struct_size, reserved;
    double eer, eer_threshold;
    v10_eval_point fmr100, fmr1000, zero_fmr;
} v10_eval_result;

typedef struct v10_nist_build_options {
    uint32_t struct_size, priority;
    float wsq_bitrate;
    uint32_t impression;
    char dai_country[4], ori_country[4];
} v10_nist_build_options;

/* Every 1.0 field is where a 1.0 caller put it. */
#define SAME(cur, old, f) \
    _Static_assert(offsetof(cur, f) == offsetof(old, f), #cur "." #f " moved")
SAME(hs_image_info, v10_image_info, has_rgb);
SAME(hs_image_info, v10_image_info, ppi);
SAME(hs_image_encode_options, v10_image_encode_options, wsq_bitrate);
SAME(hs_image_encode_options, v10_image_encode_options, jpeg_quality);
SAME(hs_view_info, v10_view_info, quality);
SAME(hs_view_info, v10_view_info, minutia_count);
SAME(hs_watchlist_search_options, v10_search_options, face_model);
SAME(hs_watchlist_search_options, v10_search_options, fmr);
SAME(hs_watchlist_candidate, v10_candidate, id);
SAME(hs_watchlist_candidate, v10_candidate, face_similarity);
SAME(hs_watchlist_candidate, v10_candidate, finger_position);
SAME(hs_watchlist_package_info, v10_package_info, recipients);
SAME(hs_face_search_options, v10_face_search_options, one_per_label);
SAME(hs_eval_result, v10_eval_result, eer);
SAME(hs_eval_result, v10_eval_result, zero_fmr);
SAME(hs_eval_point, v10_eval_point, fnmr);
SAME(hs_nist_build_options, v10_nist_build_options, impression);
SAME(hs_nist_build_options, v10_nist_build_options, ori_country);
_Static_assert(sizeof(hs_nist_build_options) >= sizeof(v10_nist_build_options), "shrank");
_Static_assert(sizeof(hs_eval_point) == sizeof(v10_eval_point), "hs_eval_point is frozen");
_Static_assert(sizeof(hs_eval_result) >= sizeof(v10_eval_result), "hs_eval_result shrank");
_Static_assert(sizeof(hs_image_info) >= sizeof(v10_image_info), "hs_image_info shrank");
_Static_assert(sizeof(hs_view_info) >= sizeof(v10_view_info), "hs_view_info shrank");
_Static_assert(sizeof(hs_watchlist_search_options) >= sizeof(v10_search_options), "shrank");
_Static_assert(sizeof(hs_watchlist_candidate) >= sizeof(v10_candidate), "shrank");
_Static_assert(sizeof(hs_watchlist_package_info) >= sizeof(v10_package_info), "shrank");
_Static_assert(sizeof(hs_face_search_options) >= sizeof(v10_face_search_options), "shrank");

/* ---- fixtures ---------------------------------------------------------------- */

static hs_template *one_view_template(void)
{
    hs_template *t = NULL;
    assert_int_equal(hs_template_new(NULL, &t), HS_OK);
    v10_view_info vi = {sizeof vi, 300, 300, 500, 500, 2, 0, 0, 60, 0};
    hs_minutia m[12];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 12; i++) {
        m[i].x = (float)(20 + 20 * i);
        m[i].y = (float)(30 + 17 * (i % 7));
        m[i].angle = (float)fmod(i * 0.9, 6.28);
        m[i].type = (uint8_t)(1 + i % 2);
        m[i].quality = 50;
    }
    assert_int_equal(hs_template_add_view(NULL, t, (const hs_view_info *)&vi, m, 12), HS_OK);
    return t;
}

/* ---- output structs -------------------------------------------------------- */

static void test_image_info(void **state)
{
    (void)state;
    hs_image *img = NULL;
    assert_int_equal(hs_image_new(NULL, &img, 8, 6, 500, 0), HS_OK);
    /* a 1.0 caller */
    v10_image_info old;
    memset(&old, 0xEE, sizeof old);
    old.struct_size = sizeof old;
    assert_int_equal(hs_image_get_info(img, (hs_image_info *)&old), HS_OK);
    assert_int_equal(old.struct_size, sizeof old);
    assert_int_equal(old.width, 8);
    assert_int_equal(old.ppi, 500);
    /* a newer caller: the library fills what it knows and says how much */
    struct {
        hs_image_info cur;
        uint32_t later[3];
    } newer;
    memset(&newer, 0xEE, sizeof newer);
    newer.cur.struct_size = sizeof newer;
    assert_int_equal(hs_image_get_info(img, &newer.cur), HS_OK);
    assert_int_equal(newer.cur.struct_size, sizeof(hs_image_info));
    assert_int_equal(newer.cur.height, 6);
    assert_int_equal(newer.later[0], 0xEEEEEEEEu);
    /* older than 1.0 or not a multiple of 4: refused */
    old.struct_size = 16;
    assert_int_equal(hs_image_get_info(img, (hs_image_info *)&old), HS_ERR_INVALID_ARG);
    old.struct_size = sizeof old + 2;
    assert_int_equal(hs_image_get_info(img, (hs_image_info *)&old), HS_ERR_INVALID_ARG);
    hs_image_free(img);
}

static void test_eval_result(void **state)
{
    (void)state;
    static const double g[] = {0.9, 0.8, 0.7, 0.6, 0.2}, im[] = {0.1, 0.3, 0.5, 0.05, 0.0};
    v10_eval_result old;
    memset(&old, 0xEE, sizeof old);
    old.struct_size = sizeof old;
    assert_int_equal(hs_eval_rates(NULL, (hs_eval_result *)&old, g, 5, im, 5, 0), HS_OK);
    assert_int_equal(old.struct_size, sizeof old);
    assert_true(fabs(old.eer - 0.2) < 1e-12);
    assert_true(old.zero_fmr.threshold == 0.6);
    struct {
        hs_eval_result cur;
        uint32_t later[2];
    } newer;
    memset(&newer, 0xEE, sizeof newer);
    newer.cur.struct_size = sizeof newer;
    assert_int_equal(hs_eval_rates(NULL, &newer.cur, g, 5, im, 5, 0), HS_OK);
    assert_int_equal(newer.cur.struct_size, sizeof(hs_eval_result));
    assert_int_equal(newer.later[0], 0xEEEEEEEEu);
    old.struct_size = 16;
    assert_int_equal(hs_eval_rates(NULL, (hs_eval_result *)&old, g, 5, im, 5, 0),
                     HS_ERR_INVALID_ARG);
}

static void test_view_info_in_and_out(void **state)
{
    (void)state;
    hs_template *t = one_view_template();
    v10_view_info out;
    memset(&out, 0, sizeof out);
    out.struct_size = sizeof out;
    assert_int_equal(hs_template_view_info(t, (hs_view_info *)&out, 0), HS_OK);
    assert_int_equal(out.minutia_count, 12);
    assert_int_equal(out.finger_position, 2);
    /* input from a newer caller: zero tail accepted, set tail refused */
    struct {
        hs_view_info cur;
        uint32_t later[2];
    } newer;
    memset(&newer, 0, sizeof newer);
    newer.cur.struct_size = sizeof newer;
    newer.cur.width = newer.cur.height = 200;
    newer.cur.ppi_x = newer.cur.ppi_y = 500;
    hs_minutia m = {100, 100, 1.0f, 1, 50, {0, 0}};
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_template_add_view(ctx, t, &newer.cur, &m, 1), HS_OK);
    assert_int_equal(hs_template_view_count(t), 2);
    newer.later[1] = 1;
    assert_int_equal(hs_template_add_view(ctx, t, &newer.cur, &m, 1), HS_ERR_UNSUPPORTED);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "newer library"));
    assert_int_equal(hs_template_view_count(t), 2);
    newer.cur.struct_size = 8;
    assert_int_equal(hs_template_add_view(ctx, t, &newer.cur, &m, 1), HS_ERR_INVALID_ARG);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "hs_view_info.struct_size"));
    hs_ctx_free(ctx);
    hs_template_free(t);
}

/* ---- watchlist search: 1.0 options in, 1.0 candidates out ---------------- */

static void test_watchlist_structs(void **state)
{
    (void)state;
    hs_template *t = one_view_template();
    hs_watchlist *wl = NULL;
    hs_watchlist_subject *s = NULL;
    assert_int_equal(hs_watchlist_new(NULL, &wl), HS_OK);
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, "P-1"), HS_OK);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, t, 0), HS_OK);
    assert_int_equal(hs_watchlist_add(NULL, wl, s), HS_OK);
    hs_watchlist_subject_free(s);

    v10_search_options o = {sizeof o, 5, 1, 0, 0, 0, 1e-4};
    hs_watchlist_result *r = NULL;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, t, NULL, 0,
                                         (const hs_watchlist_search_options *)&o), HS_OK);
    assert_int_equal(hs_watchlist_result_count(r), 1);
    v10_candidate c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    assert_int_equal(hs_watchlist_result_candidate(r, (hs_watchlist_candidate *)&c, 0), HS_OK);
    assert_string_equal(c.id, "P-1");
    assert_int_equal(c.finger_count, 1);
    assert_int_equal(c.finger_position[0], 2);
    assert_true(c.finger_similarity[0] > 0.5f);
    c.struct_size = 12;
    assert_int_equal(hs_watchlist_result_candidate(r, (hs_watchlist_candidate *)&c, 0),
                     HS_ERR_INVALID_ARG);
    hs_watchlist_result_free(r);

    /* a newer caller's option left at zero is fine; one set is refused */
    struct {
        hs_watchlist_search_options cur;
        uint64_t later;
    } newer = {HS_WATCHLIST_SEARCH_OPTIONS_INIT, 0};
    newer.cur.struct_size = sizeof newer;
    r = NULL;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, t, NULL, 0, &newer.cur), HS_OK);
    hs_watchlist_result_free(r);
    newer.later = 3;
    r = (hs_watchlist_result *)1;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, t, NULL, 0, &newer.cur),
                     HS_ERR_UNSUPPORTED);
    assert_null(r);
    o.struct_size = 16;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, t, NULL, 0,
                                         (const hs_watchlist_search_options *)&o),
                     HS_ERR_INVALID_ARG);

#ifdef HOTSPOT_HAVE_SODIUM
    uint8_t apk[32], ask[64], dpk[32], dsk[32];
    assert_int_equal(hs_watchlist_keygen_authority(apk, ask), HS_OK);
    assert_int_equal(hs_watchlist_keygen_device(dpk, dsk), HS_OK);
    assert_int_equal(hs_watchlist_set_version(wl, 3), HS_OK);
    size_t size = 0;
    assert_int_equal(hs_watchlist_pack(NULL, NULL, &size, wl, NULL, ask, dpk, 1), HS_OK);
    uint8_t *pkg = malloc(size);
    assert_int_equal(hs_watchlist_pack(NULL, pkg, &size, wl, NULL, ask, dpk, 1), HS_OK);
    v10_package_info pi;
    memset(&pi, 0, sizeof pi);
    pi.struct_size = sizeof pi;
    assert_int_equal(hs_watchlist_package_info_get(NULL, (hs_watchlist_package_info *)&pi, pkg,
                                                   size), HS_OK);
    assert_int_equal(pi.version, 3);
    assert_int_equal(pi.recipients, 1);
    free(pkg);
#endif
    hs_watchlist_free(wl);
    hs_template_free(t);
}

static void test_face_search_options(void **state)
{
    (void)state;
    hs_face_gallery *g = NULL;
    assert_int_equal(hs_face_gallery_new(NULL, &g, 4), HS_OK);
    const float a[4] = {1, 0, 0, 0}, b[4] = {0, 1, 0, 0};
    assert_int_equal(hs_face_gallery_add(NULL, g, 1, a, 4), HS_OK);
    assert_int_equal(hs_face_gallery_add(NULL, g, 2, b, 4), HS_OK);
    v10_face_search_options o = {sizeof o, 1, 0.5f, 0};
    hs_face_hit hits[2];
    uint32_t n = 0;
    assert_int_equal(hs_face_gallery_search(NULL, hits, 2, &n, g, a, 4,
                                            (const hs_face_search_options *)&o), HS_OK);
    assert_int_equal(n, 1); /* min_score from the 1.0 struct is honoured */
    assert_true(hits[0].label == 1);
    o.struct_size = 4;
    assert_int_equal(hs_face_gallery_search(NULL, hits, 2, &n, g, a, 4,
                                            (const hs_face_search_options *)&o),
                     HS_ERR_INVALID_ARG);
    hs_face_gallery_free(g);
}

/* A 1.0 caller's encode options; a newer caller's zero and non-zero tail;
 * the 1.0 bit rate is honoured (a lower rate, a smaller file). */
static void test_image_encode_options(void **state)
{
    (void)state;
    hs_image *img = NULL;
    assert_int_equal(hs_image_new(NULL, &img, 64, 64, 500, 0), HS_OK);
    uint8_t *p = hs_image_pixels_mut(img);
    for (size_t i = 0; i < 64 * 64; i++)
        p[i] = (uint8_t)(128 + 100 * sin(0.4 * (double)(i % 64) + 0.3 * (double)(i / 64)));
    v10_image_encode_options old = {sizeof old, 0.5f, 1, 15.0f, 90};
    size_t lo = 0, hi = 0;
    assert_int_equal(hs_image_encode(NULL, NULL, &lo, img, HS_IMAGE_FORMAT_WSQ,
                                     (const hs_image_encode_options *)&old),
                     HS_OK);
    old.wsq_bitrate = 4.0f;
    assert_int_equal(hs_image_encode(NULL, NULL, &hi, img, HS_IMAGE_FORMAT_WSQ,
                                     (const hs_image_encode_options *)&old),
                     HS_OK);
    assert_true(hi > lo);
    struct {
        hs_image_encode_options cur;
        uint32_t later[2];
    } newer;
    memset(&newer, 0, sizeof newer);
    newer.cur = (hs_image_encode_options)HS_IMAGE_ENCODE_OPTIONS_INIT;
    newer.cur.struct_size = sizeof newer;
    size_t n = 0;
    assert_int_equal(hs_image_encode(NULL, NULL, &n, img, HS_IMAGE_FORMAT_WSQ, &newer.cur),
                     HS_OK);
    newer.later[1] = 1;
    assert_int_equal(hs_image_encode(NULL, NULL, &n, img, HS_IMAGE_FORMAT_WSQ, &newer.cur),
                     HS_ERR_UNSUPPORTED);
    old.struct_size = 12;
    assert_int_equal(hs_image_encode(NULL, NULL, &n, img, HS_IMAGE_FORMAT_WSQ,
                                     (const hs_image_encode_options *)&old),
                     HS_ERR_INVALID_ARG);
    hs_image_free(img);
}

/* hs_nist_build_options gained the SRE hit fields in 1.1: a 1.0 caller's
 * struct still builds a search and is taken by hs_nist_build_result_hit()
 * (which then finds no hit in an empty result), a short one is refused. */
static void test_nist_build_options(void **state)
{
    (void)state;
    v10_nist_build_options old = {sizeof old, 3, 0.0f, 0, "XPO", "DEU"};
    hs_nist *search = NULL;
    assert_int_equal(hs_nist_build_search(NULL, &search, "CPS", "BKA", "Bundeskriminalamt", "INT",
                                          "INTERPOL", 1, 1796558400, NULL, 0, NULL, 0, NULL,
                                          (const hs_nist_build_options *)&old),
                     HS_OK);
    char item[8];
    size_t sz = sizeof item;
    assert_int_equal(hs_nist_item(NULL, item, &sz, search, 0, 17, 0, 2), HS_OK);
    assert_string_equal(item, "XPO"); /* the 1.0 field was read */
    hs_watchlist *wl = NULL;
    assert_int_equal(hs_watchlist_new(NULL, &wl), HS_OK);
    hs_template *t = one_view_template();
    hs_watchlist_result *r = NULL;
    hs_status s = hs_watchlist_search(NULL, &r, wl, t, NULL, 0, NULL);
    if (s == HS_OK) {
        hs_nist *sre = NULL;
        assert_int_equal(hs_nist_build_result_hit(NULL, &sre, search, r, 0, 2, 1796558400,
                                                  (const hs_nist_build_options *)&old),
                         HS_ERR_NOT_FOUND);
        assert_null(sre);
        old.struct_size = 12;
        assert_int_equal(hs_nist_build_result_hit(NULL, &sre, search, r, 0, 2, 1796558400,
                                                  (const hs_nist_build_options *)&old),
                         HS_ERR_INVALID_ARG);
        hs_watchlist_result_free(r);
    } else {
        assert_int_equal(s, HS_ERR_NOT_BUILT);
    }
    hs_template_free(t);
    hs_watchlist_free(wl);
    hs_nist_free(search);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_info),
        cmocka_unit_test(test_eval_result),
        cmocka_unit_test(test_view_info_in_and_out),
        cmocka_unit_test(test_watchlist_structs),
        cmocka_unit_test(test_face_search_options),
        cmocka_unit_test(test_image_encode_options),
        cmocka_unit_test(test_nist_build_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
