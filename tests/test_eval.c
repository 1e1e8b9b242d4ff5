/* Tests of the evaluation functions (eval.h) on hand-made score lists with
 * known answers and against a brute-force count, and of the FVC sample-name
 * rules of the tool (examples/hotspot/fvc.c). */
#include "testutil.h"

#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static hs_eval_result rates(const double *g, size_t ng, const double *im, size_t ni,
                            uint32_t flags)
{
    hs_eval_result r = HS_EVAL_RESULT_INIT;
    assert_int_equal(hs_eval_rates(NULL, &r, g, ng, im, ni, flags), HS_OK);
    assert_int_equal(r.struct_size, sizeof r);
    return r;
}

static void test_small_lists(void **state)
{
    (void)state;
    double g[] = {0.9, 0.8, 0.7, 0.6, 0.2};
    double im[] = {0.1, 0.3, 0.5, 0.05, 0.0};
    hs_eval_result r = rates(g, 5, im, 5, 0);
    NEAR(r.eer, 0.2);
    NEAR(r.fmr100.fnmr, 0.2);
    NEAR(r.fmr1000.fnmr, 0.2);
    NEAR(r.zero_fmr.fnmr, 0.2);
    /* accepted when >= 0.6: no impostor, 0.2 of the genuine rejected */
    NEAR(r.zero_fmr.threshold, 0.6);
    NEAR(r.zero_fmr.fmr, 0.0);
    /* the same point reported as "accept above": the last impostor score */
    r = rates(g, 5, im, 5, HS_EVAL_ACCEPT_ABOVE);
    NEAR(r.zero_fmr.threshold, 0.5);
    NEAR(r.eer, 0.2);
    /* the inputs are only read */
    assert_true(g[0] == 0.9 && g[4] == 0.2 && im[0] == 0.1 && im[4] == 0.0);
    hs_eval_point p;
    assert_int_equal(hs_eval_threshold_for_fmr(NULL, &p, g, 5, im, 5, 0.2, 0), HS_OK);
    NEAR(p.fmr, 0.2);
    NEAR(p.threshold, 0.5); /* score >= 0.5: impostor 0.5, not genuine 0.2 */
    NEAR(p.fnmr, 0.2);
    assert_int_equal(
        hs_eval_threshold_for_fmr(NULL, &p, g, 5, im, 5, 0.2, HS_EVAL_ACCEPT_ABOVE), HS_OK);
    NEAR(p.threshold, 0.3); /* the same point: score > 0.3 */
    NEAR(p.fmr, 0.2);
    /* 0.4 is between scores: still the point with FMR 0.4 */
    assert_int_equal(hs_eval_threshold_for_fmr(NULL, &p, g, 5, im, 5, 0.45, 0), HS_OK);
    NEAR(p.fmr, 0.4);
}

static void test_separated(void **state)
{
    (void)state;
    double g[] = {3, 1, 2};
    double im[] = {-1, 0};
    hs_eval_result r = rates(g, 3, im, 2, 0);
    NEAR(r.eer, 0.0);
    NEAR(r.fmr100.fnmr, 0.0);
    NEAR(r.zero_fmr.fnmr, 0.0);
    NEAR(r.zero_fmr.threshold, 1.0);
    /* identical lists: EER 50%, ZeroFMR only by accepting nothing */
    double g2[] = {1, 1, 1, 1}, i2[] = {1, 1, 1, 1};
    r = rates(g2, 4, i2, 4, 0);
    NEAR(r.eer, 0.5);
    NEAR(r.zero_fmr.fnmr, 1.0);
    assert_true(isinf(r.zero_fmr.threshold) && r.zero_fmr.threshold > 0);
    r = rates(g2, 4, i2, 4, HS_EVAL_ACCEPT_ABOVE);
    NEAR(r.zero_fmr.threshold, 1.0);
}

static void test_fmr_levels(void **state)
{
    (void)state;
    static double im[1000], g[100];
    for (int i = 0; i < 1000; i++)
        im[i] = i / 1000.0;
    for (int i = 0; i < 100; i++)
        g[i] = i < 50 ? 0.995 : 0.5;
    hs_eval_result r = rates(g, 100, im, 1000, 0);
    NEAR(r.fmr100.fnmr, 0.5);
    NEAR(r.fmr100.fmr, 0.01);
    NEAR(r.fmr1000.fnmr, 1.0);
    NEAR(r.zero_fmr.fnmr, 1.0);
    NEAR(r.eer, 0.25);
    /* hs_eval_threshold_for_fmr(0.01) is the FMR100 point */
    hs_eval_point p;
    assert_int_equal(hs_eval_threshold_for_fmr(NULL, &p, g, 100, im, 1000, 0.01, 0), HS_OK);
    assert_memory_equal(&p, &r.fmr100, sizeof p);
    assert_int_equal(hs_eval_threshold_for_fmr(NULL, &p, g, 100, im, 1000, 0.001, 0), HS_OK);
    assert_memory_equal(&p, &r.fmr1000, sizeof p);
    assert_int_equal(hs_eval_threshold_for_fmr(NULL, &p, g, 100, im, 1000, 0.0, 0), HS_OK);
    assert_memory_equal(&p, &r.zero_fmr, sizeof p);
}

/* Every reported point agrees with a plain count at its threshold, in both
 * acceptance rules, on random lists with ties. */
static void test_brute_force(void **state)
{
    (void)state;
    enum { NG = 300, NI = 2000 };
    static double g[NG], im[NI];
    uint32_t x = 12345;
    for (int i = 0; i < NG; i++) {
        x = x * 1664525u + 1013904223u;
        g[i] = 0.3 + (double)(x >> 24) / 256.0; /* 256 levels: ties */
    }
    for (int i = 0; i < NI; i++) {
        x = x * 1664525u + 1013904223u;
        im[i] = (double)(x >> 24) / 256.0;
    }
    for (uint32_t flags = 0; flags <= HS_EVAL_ACCEPT_ABOVE; flags++) {
        size_t n = 0;
        assert_int_equal(hs_eval_det(NULL, NULL, &n, g, NG, im, NI, flags), HS_OK);
        assert_true(n >= 2 && n <= NG + NI + 1);
        hs_eval_point *pt = malloc(n * sizeof *pt);
        assert_non_null(pt);
        size_t small = n - 1;
        assert_int_equal(hs_eval_det(NULL, pt, &small, g, NG, im, NI, flags),
                         HS_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(small, n);
        size_t got = n + 5;
        assert_int_equal(hs_eval_det(NULL, pt, &got, g, NG, im, NI, flags), HS_OK);
        assert_int_equal(got, n);
        NEAR(pt[0].fmr, 1.0);
        NEAR(pt[0].fnmr, 0.0);
        NEAR(pt[n - 1].fmr, 0.0);
        NEAR(pt[n - 1].fnmr, 1.0);
        for (size_t k = 0; k < n; k++) {
            double t = pt[k].threshold;
            size_t acc_i = 0, rej_g = 0;
            for (int i = 0; i < NI; i++)
                acc_i += flags ? im[i] > t : im[i] >= t;
            for (int i = 0; i < NG; i++)
                rej_g += flags ? !(g[i] > t) : !(g[i] >= t);
            NEAR(pt[k].fmr, (double)acc_i / NI);
            NEAR(pt[k].fnmr, (double)rej_g / NG);
            if (k)
                assert_true(pt[k].threshold > pt[k - 1].threshold);
        }
        hs_eval_result r = rates(g, NG, im, NI, flags);
        int seen = 0;
        for (size_t k = 0; k < n; k++)
            seen += !memcmp(&pt[k], &r.fmr100, sizeof pt[k]);
        assert_int_equal(seen, 1);
        assert_true(r.eer > 0.0 && r.eer < 0.5);
        free(pt);
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    double g[] = {0.5, 0.7}, im[] = {0.1, 0.2};
    hs_eval_result r = HS_EVAL_RESULT_INIT, before;
    r.eer = 42.0;
    memcpy(&before, &r, sizeof r);
    assert_int_equal(hs_eval_rates(ctx, &r, g, 0, im, 2, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_eval_rates(ctx, &r, NULL, 2, im, 2, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_eval_rates(ctx, &r, g, 2, im, 2, 0x80), HS_ERR_INVALID_ARG);
    assert_true(strstr(hs_ctx_last_error(ctx), "flags") != NULL);
    double gn[] = {0.5, NAN}, ii[] = {INFINITY, 0.1};
    assert_int_equal(hs_eval_rates(ctx, &r, gn, 2, im, 2, 0), HS_ERR_INVALID_ARG);
    assert_true(strstr(hs_ctx_last_error(ctx), "genuine score 1") != NULL);
    assert_int_equal(hs_eval_rates(ctx, &r, g, 2, ii, 2, 0), HS_ERR_INVALID_ARG);
    assert_true(strstr(hs_ctx_last_error(ctx), "impostor score 0") != NULL);
    assert_memory_equal(&r, &before, sizeof r); /* failed calls leave out alone */
    r.struct_size = 8;
    assert_int_equal(hs_eval_rates(ctx, &r, g, 2, im, 2, 0), HS_ERR_INVALID_ARG);
    r.struct_size = sizeof r + 2;
    assert_int_equal(hs_eval_rates(ctx, &r, g, 2, im, 2, 0), HS_ERR_INVALID_ARG);
    /* a caller built against a larger (newer) struct gets what we know */
    struct {
        hs_eval_result r;
        double more[2];
    } big;
    memset(&big, 0xff, sizeof big);
    big.r.struct_size = sizeof big;
    assert_int_equal(hs_eval_rates(ctx, &big.r, g, 2, im, 2, 0), HS_OK);
    assert_int_equal(big.r.struct_size, sizeof(hs_eval_result));
    NEAR(big.r.eer, 0.0);
    hs_eval_point p;
    assert_int_equal(hs_eval_threshold_for_fmr(ctx, &p, g, 2, im, 2, 1.5, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_eval_threshold_for_fmr(ctx, &p, g, 2, im, 2, NAN, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_eval_threshold_for_fmr(ctx, NULL, g, 2, im, 2, 0.1, 0),
                     HS_ERR_INVALID_ARG);
    assert_int_equal(hs_eval_det(ctx, NULL, NULL, g, 2, im, 2, 0), HS_ERR_INVALID_ARG);
    hs_ctx_free(ctx);
}

static void test_names(void **state)
{
    (void)state;
    char f[32];
    unsigned imp = 0;
    assert_true(cli_fvc_parse_name("dir/101_3.tif", f, sizeof f, &imp));
    assert_string_equal(f, "101");
    assert_int_equal(imp, 3);
    assert_true(cli_fvc_parse_name("012_3_8.tif", f, sizeof f, &imp));
    assert_string_equal(f, "012_3");
    assert_int_equal(imp, 8);
    assert_true(cli_fvc_parse_name("/a/b/110_8.iso", f, sizeof f, &imp));
    assert_false(cli_fvc_parse_name("readme.txt", f, sizeof f, &imp));
    assert_false(cli_fvc_parse_name("abc_1.tif", f, sizeof f, &imp));
    assert_false(cli_fvc_parse_name("101_x.tif", f, sizeof f, &imp));
    assert_false(cli_fvc_parse_name("101_.tif", f, sizeof f, &imp));
    assert_false(cli_fvc_parse_name("1234567890_1.tif", f, 4, &imp));
    assert_int_equal(cli_fvc_ppi("/data/FVC2002_DB2_B"), 569);
    assert_int_equal(cli_fvc_ppi("x/iso/FVC2004_DB3_B/"), 512);
    assert_int_equal(cli_fvc_ppi("FVC2004_DB1_B"), 500);
    assert_int_equal(cli_fvc_ppi("NEUROTECH"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_lists), cmocka_unit_test(test_separated),
        cmocka_unit_test(test_fmr_levels),  cmocka_unit_test(test_brute_force),
        cmocka_unit_test(test_bad_input),   cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
