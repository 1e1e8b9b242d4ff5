/* Tests of the evaluation metrics on hand-made score lists with known
 * answers, and of the sample-name parser. */
#include "testutil.h"

#include "internal/eval.h"

#include <math.h>

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_small_lists(void **state)
{
    (void)state;
    double g[] = {0.9, 0.8, 0.7, 0.6, 0.2};
    double im[] = {0.1, 0.3, 0.5, 0.05, 0.0};
    hs__eval_result r;
    assert_int_equal(hs__eval_rates(g, 5, im, 5, &r), HS_OK);
    NEAR(r.eer, 0.2);
    NEAR(r.fmr100, 0.2);
    NEAR(r.fmr1000, 0.2);
    NEAR(r.zero_fmr, 0.2);
    NEAR(r.genuine_mean, 0.64);
    NEAR(r.impostor_mean, 0.19);
    /* the arrays come back sorted */
    assert_true(g[0] == 0.2 && g[4] == 0.9 && im[0] == 0.0);
    NEAR(hs__eval_fmr(im, 5, 0.3), 0.4);
    NEAR(hs__eval_fnmr(g, 5, 0.7), 0.4);
    double t = hs__eval_threshold_at(im, 5, 0.2);
    NEAR(hs__eval_fmr(im, 5, t), 0.2);
    assert_true(t > 0.3 && t <= 0.5);
}

static void test_separated(void **state)
{
    (void)state;
    double g[] = {3, 1, 2};
    double im[] = {-1, 0};
    hs__eval_result r;
    assert_int_equal(hs__eval_rates(g, 3, im, 2, &r), HS_OK);
    NEAR(r.eer, 0.0);
    NEAR(r.fmr100, 0.0);
    NEAR(r.zero_fmr, 0.0);
    /* identical lists: EER 50% */
    double g2[] = {1, 1, 1, 1}, i2[] = {1, 1, 1, 1};
    assert_int_equal(hs__eval_rates(g2, 4, i2, 4, &r), HS_OK);
    NEAR(r.eer, 0.5);
    NEAR(r.zero_fmr, 1.0);
    assert_int_equal(hs__eval_rates(g2, 0, i2, 4, &r), HS_ERR_INVALID_ARG);
}

static void test_fmr_levels(void **state)
{
    (void)state;
    static double im[1000], g[100];
    for (int i = 0; i < 1000; i++)
        im[i] = i / 1000.0;
    for (int i = 0; i < 100; i++)
        g[i] = i < 50 ? 0.995 : 0.5;
    hs__eval_result r;
    assert_int_equal(hs__eval_rates(g, 100, im, 1000, &r), HS_OK);
    NEAR(r.fmr100, 0.5);
    NEAR(r.fmr1000, 1.0);
    NEAR(r.zero_fmr, 1.0);
    NEAR(r.eer, 0.25);
    /* NaN counts as the lowest score */
    double g3[] = {NAN, 2, 3}, i3[] = {0, 1};
    assert_int_equal(hs__eval_rates(g3, 3, i3, 2, &r), HS_OK);
    NEAR(r.zero_fmr, 1.0 / 3.0);
}

static void test_det(void **state)
{
    (void)state;
    double g[] = {0.2, 0.6, 0.9}, im[] = {0.1, 0.6};
    double fmr[6], fnmr[6];
    size_t n = hs__eval_det(g, 3, im, 2, fmr, fnmr);
    assert_int_equal(n, 5); /* 4 distinct scores + one above all */
    NEAR(fmr[0], 1.0);
    NEAR(fnmr[0], 0.0);
    NEAR(fmr[n - 1], 0.0);
    NEAR(fnmr[n - 1], 1.0);
    for (size_t i = 1; i < n; i++)
        assert_true(fmr[i] <= fmr[i - 1] && fnmr[i] >= fnmr[i - 1]);
}

static void test_names(void **state)
{
    (void)state;
    char f[32];
    unsigned imp = 0;
    assert_true(hs__eval_parse_name("dir/101_3.tif", f, sizeof f, &imp));
    assert_string_equal(f, "101");
    assert_int_equal(imp, 3);
    assert_true(hs__eval_parse_name("012_3_8.tif", f, sizeof f, &imp));
    assert_string_equal(f, "012_3");
    assert_int_equal(imp, 8);
    assert_true(hs__eval_parse_name("/a/b/110_8.iso", f, sizeof f, &imp));
    assert_false(hs__eval_parse_name("readme.txt", f, sizeof f, &imp));
    assert_false(hs__eval_parse_name("abc_1.tif", f, sizeof f, &imp));
    assert_false(hs__eval_parse_name("101_x.tif", f, sizeof f, &imp));
    assert_false(hs__eval_parse_name("101_.tif", f, sizeof f, &imp));
    assert_false(hs__eval_parse_name("1234567890_1.tif", f, 4, &imp));
    assert_int_equal(hs__eval_fvc_ppi("/data/FVC2002_DB2_B"), 569);
    assert_int_equal(hs__eval_fvc_ppi("x/iso/FVC2004_DB3_B/"), 512);
    assert_int_equal(hs__eval_fvc_ppi("FVC2004_DB1_B"), 500);
    assert_int_equal(hs__eval_fvc_ppi("NEUROTECH"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_lists), cmocka_unit_test(test_separated),
        cmocka_unit_test(test_fmr_levels),  cmocka_unit_test(test_det),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
