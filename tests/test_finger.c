/* Fingerprint extraction: synthetic ridge patterns with a known ending and
 * bifurcation, bad input, parameters, determinism, and (when the shared
 * data is present) FVC images: minutia counts and 90-degree rotation. */
#include "testutil.h"
#include "internal/finger.h"
#include "internal/template.h"
#include "hotspot/synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

/* A 300x300 print at 500 ppi: parallel ridges (period 9 px) inside an
 * ellipse on a light background, with one phase singularity at (x0, y0).
 * With a valley on the ray to the right of the singularity (pattern frame)
 * the ridge on the left ray forks around it; with a ridge on the right ray,
 * that ridge ends there. Both minutiae point to the pattern's +u direction;
 * the pattern is rotated by alpha. */
static hs_image *synth(int bifurcation, double alpha, double x0, double y0)
{
    const int w = 300, h = 300;
    hs_image *img;
    if (hs_image_new(NULL, &img, w, h, 500, 230) != HS_OK)
        return NULL;
    uint8_t *p = hs_image_pixels_mut(img);
    double ca = cos(alpha), sa = sin(alpha), per = 9.0;
    double phase0 = bifurcation ? 0.0 : PI;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double ex = (x - 150.0) / 125.0, ey = (y - 150.0) / 140.0;
            if (ex * ex + ey * ey > 1.0)
                continue;
            double dx = x - x0, dy = y - y0;
            double u = ca * dx + sa * dy, v = -sa * dx + ca * dy;
            double ph = 2.0 * PI * v / per + atan2(v, u) + phase0;
            double val = 128.0 + 90.0 * cos(ph);
            p[y * w + x] = (uint8_t)lrint(val);
        }
    return img;
}

static double angdiff(double a, double b)
{
    double d = fmod(fabs(a - b), 2.0 * PI);
    return d > PI ? 2.0 * PI - d : d;
}

static void check_synthetic(hs_finger_extractor *ex, int bifurcation, double alpha, double x0,
                            double y0)
{
    hs_image *img = synth(bifurcation, alpha, x0, y0);
    assert_non_null(img);
    hs_template *t = NULL;
    assert_int_equal(hs_finger_extract(NULL, &t, ex, img), HS_OK);
    uint32_t n = 0;
    const hs_minutia *m = hs_template_minutiae(t, &n, 0);
    assert_true(n >= 1);
    assert_true(n <= 6); /* one true minutia; at most a few at the print's edge */
    int best = -1;
    double bd = 1e9;
    for (uint32_t i = 0; i < n; i++) {
        double d = hypot(m[i].x - x0, m[i].y - y0);
        if (d < bd) {
            bd = d;
            best = (int)i;
        }
    }
    /* Expected direction: pattern +u, i.e. image vector (cos a, sin a). */
    double want = atan2(-sin(alpha), cos(alpha));
    if (want < 0)
        want += 2.0 * PI;
    if (bd > 8.0 || angdiff(m[best].angle, want) > 15.0 * PI / 180.0 ||
        m[best].type != (bifurcation ? HS_MINUTIA_BIFURCATION : HS_MINUTIA_ENDING))
        printf("synthetic %s alpha %.2f at (%.0f,%.0f): got (%.1f,%.1f) angle %.2f (want %.2f) "
               "type %u, %u minutiae\n",
               bifurcation ? "bifurcation" : "ending", alpha, x0, y0, m[best].x, m[best].y,
               m[best].angle, want, m[best].type, n);
    assert_true(bd <= 8.0);
    assert_true(angdiff(m[best].angle, want) <= 15.0 * PI / 180.0);
    assert_int_equal(m[best].type, bifurcation ? HS_MINUTIA_BIFURCATION : HS_MINUTIA_ENDING);
    hs_view_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    assert_int_equal(hs_template_view_info(t, &info, 0), HS_OK);
    assert_int_equal(info.width, 300);
    assert_int_equal(info.ppi_x, 500);
    assert_true(info.quality <= 100);
    /* the ridge orientation field (1.1): 16 px cells over the print, the
     * ridges' angle (-alpha, y up, modulo pi) away from the minutia */
    size_t len = 0;
    const uint8_t *fb = hs__template_block_get(t, 0, HS__TBLOCK_FIELD, &len);
    assert_non_null(fb);
    assert_true(len > HS__FIELD_HDR);
    unsigned cell16 = fb[2] | fb[3] << 8, gw = fb[4] | fb[5] << 8, gh = fb[6] | fb[7] << 8;
    unsigned fx0 = fb[8] | fb[9] << 8, fy0 = fb[10] | fb[11] << 8;
    assert_int_equal(fb[0], 1);
    assert_int_equal(cell16, 16 * 16);
    assert_int_equal(len, HS__FIELD_HDR + (size_t)gw * gh);
    assert_true(gw >= 14 && gw <= 17 && gh >= 16 && gh <= 19); /* the 250 x 280 ellipse */
    int ridge = 0, far = 0, off = 0;
    for (unsigned j = 0; j < gh; j++)
        for (unsigned i = 0; i < gw; i++) {
            uint8_t v = fb[HS__FIELD_HDR + j * gw + i];
            if (!v)
                continue;
            ridge++;
            assert_true(v >> 6 >= 1);
            double cx = (fx0 + i + 0.5) * 16.0, cy = (fy0 + j + 0.5) * 16.0;
            double qx = (cx - 150.0) / 125.0, qy = (cy - 150.0) / 140.0;
            if (hypot(cx - x0, cy - y0) < 48.0 || qx * qx + qy * qy > 0.6)
                continue; /* near the minutia or the print's edge */
            double want_o = fmod(-alpha + 4.0 * PI, PI), got = (v & 63) * PI / 64.0;
            double d = fabs(got - want_o);
            d = d > PI / 2.0 ? PI - d : d;
            far++;
            off += d > 6.0 * PI / 180.0;
        }
    assert_true(ridge >= 150); /* of the ellipse's ~215 cells */
    assert_true(far >= 80);
    assert_int_equal(off, 0); /* inside the print, every cell within 6 degrees */
    hs_template_free(t);
    hs_image_free(img);
}

static void test_synthetic(void **state)
{
    (void)state;
    hs_finger_extractor *ex;
    assert_int_equal(hs_finger_extractor_new(NULL, &ex), HS_OK);
    static const double alphas[] = {0.0, 0.6, 1.9, 3.5, 5.0};
    for (size_t i = 0; i < sizeof alphas / sizeof alphas[0]; i++) {
        double x0 = 140.0 + 7.0 * (double)i, y0 = 160.0 - 5.0 * (double)i;
        check_synthetic(ex, 0, alphas[i], x0, y0);
        check_synthetic(ex, 1, alphas[i], x0 + 3.0, y0 - 4.0);
    }
    hs_finger_extractor_free(ex);
}

/* The orientation field is optional: a template held to a limit it would
 * break is extracted without it (1.1). */
static void test_field_limit(void **state)
{
    (void)state;
    hs_finger_extractor *ex;
    assert_int_equal(hs_finger_extractor_new(NULL, &ex), HS_OK);
    hs_image *img = synth(1, 0.6, 150.0, 150.0);
    assert_non_null(img);
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_template *t = NULL;
    assert_int_equal(hs_finger_extract(ctx, &t, ex, img), HS_OK);
    size_t len = 0, full = 0;
    assert_non_null(hs__template_block_get(t, 0, HS__TBLOCK_FIELD, &len));
    assert_int_equal(hs_template_encode(ctx, NULL, &full, t, HS_TEMPLATE_FORMAT_HST), HS_OK);
    hs_template_free(t);
    /* room for the minutiae, not for the field */
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES, full - len / 2), HS_OK);
    assert_int_equal(hs_finger_extract(ctx, &t, ex, img), HS_OK);
    assert_null(hs__template_block_get(t, 0, HS__TBLOCK_FIELD, &len));
    uint32_t n = 0;
    assert_non_null(hs_template_minutiae(t, &n, 0));
    assert_true(n >= 1); /* the minutiae are all there */
    hs_template_free(t);
    hs_ctx_free(ctx);
    hs_image_free(img);
    hs_finger_extractor_free(ex);
}

/* Wet blobs (finger-extraction.md): a dark patch painted over the middle of
 * synthetic impressions, where the ridges have run together and no valley
 * is left, must not be drawn through: the unpainted impressions have
 * minutiae there, the painted ones (almost) none within 3 px of the patch.
 * Before the wet-blob step the enhancement drew ridges into the patch and
 * found 19 there in the four impressions (10 without the patch, 2 now). */
static void test_wet_blob(void **state)
{
    (void)state;
    hs_synth *gen;
    assert_int_equal(hs_synth_new(NULL, &gen, 7), HS_OK);
    hs_finger_extractor *ex;
    assert_int_equal(hs_finger_extractor_new(NULL, &ex), HS_OK);
    const double rad = 30.0, near = rad + 3.0;
    int plain_near = 0, blob_near = 0;
    for (uint32_t f = 0; f < 4; f++) {
        hs_synth_master *m;
        assert_int_equal(hs_synth_master_new(NULL, &m, gen, 101 + f), HS_OK);
        hs_image *img;
        assert_int_equal(hs_synth_impression(NULL, &img, NULL, gen, m, 1), HS_OK);
        uint32_t w = hs_image_width(img), h = hs_image_height(img);
        double cx = (double)(w / 2), cy = (double)(h / 2);
        for (int painted = 0; painted < 2; painted++) {
            if (painted) {
                /* the patch takes the darkest grey of the finger area */
                uint8_t *p = hs_image_pixels_mut(img);
                uint8_t dark = 255;
                for (size_t i = 0; i < (size_t)w * h; i++)
                    dark = p[i] < dark ? p[i] : dark;
                for (uint32_t y = 0; y < h; y++)
                    for (uint32_t x = 0; x < w; x++)
                        if (hypot((double)x - cx, (double)y - cy) <= rad)
                            p[(size_t)y * w + x] = dark;
            }
            hs_template *t;
            assert_int_equal(hs_finger_extract(NULL, &t, ex, img), HS_OK);
            uint32_t n = 0;
            const hs_minutia *mn = hs_template_minutiae(t, &n, 0);
            assert_true(n >= 10); /* the rest of the print is still there */
            for (uint32_t i = 0; i < n; i++)
                if (hypot(mn[i].x - cx, mn[i].y - cy) <= near)
                    *(painted ? &blob_near : &plain_near) += 1;
            hs_template_free(t);
        }
        hs_image_free(img);
        hs_synth_master_free(m);
    }
    printf("wet blob: %d minutiae near the middle of 4 impressions, %d with the patch\n",
           plain_near, blob_near);
    assert_true(plain_near >= 8);
    assert_true(blob_near <= 4);
    hs_finger_extractor_free(ex);
    hs_synth_free(gen);
}

static void test_params(void **state)
{
    (void)state;
    hs_finger_extractor *ex;
    assert_int_equal(hs_finger_extractor_new(NULL, NULL), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_extractor_new(NULL, &ex), HS_OK);
    int32_t v = 0;
    assert_int_equal(hs_finger_extractor_get(ex, &v, HS_FINGER_PARAM_DEFAULT_PPI), HS_OK);
    assert_int_equal(v, 500);
    assert_int_equal(hs_finger_extractor_get(NULL, &v, HS_FINGER_PARAM_MAX_MINUTIAE), HS_OK);
    assert_int_equal(v, 128);
    /* an unknown key is an error, never a value that is also legal */
    v = 7;
    assert_int_equal(hs_finger_extractor_get(ex, &v, (hs_finger_param)999), HS_ERR_INVALID_ARG);
    assert_int_equal(v, 7);
    assert_int_equal(hs_finger_extractor_get(ex, NULL, HS_FINGER_PARAM_PPI), HS_ERR_INVALID_ARG);
    int32_t lo, hi;
    assert_int_equal(hs_finger_param_bounds(&lo, &hi, HS_FINGER_PARAM_MAX_MINUTIAE), HS_OK);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 255);
    assert_int_equal(hs_finger_param_bounds(&lo, &hi, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_extractor_set(ex, HS_FINGER_PARAM_MAX_MINUTIAE, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_extractor_set(ex, HS_FINGER_PARAM_MAX_MINUTIAE, 256), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_extractor_set(ex, HS_FINGER_PARAM_PPI, 20), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_extractor_set(ex, 77, 1), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_finger_extractor_set(NULL, HS_FINGER_PARAM_PPI, 500), HS_ERR_INVALID_ARG);
    /* The cap is honoured. */
    assert_int_equal(hs_finger_extractor_set(ex, HS_FINGER_PARAM_MAX_MINUTIAE, 1), HS_OK);
    hs_image *img = synth(0, 0.3, 150, 150);
    hs_template *t;
    assert_int_equal(hs_finger_extract(NULL, &t, ex, img), HS_OK);
    uint32_t n;
    hs_template_minutiae(t, &n, 0);
    assert_int_equal(n, 1);
    hs_template_free(t);
    /* A forced resolution is reported in the view. */
    assert_int_equal(hs_finger_extractor_set(ex, HS_FINGER_PARAM_PPI, 600), HS_OK);
    assert_int_equal(hs_finger_extract(NULL, &t, ex, img), HS_OK);
    hs_view_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    hs_template_view_info(t, &info, 0);
    assert_int_equal(info.ppi_x, 600);
    hs_template_free(t);
    assert_int_equal(hs_finger_extract(NULL, &t, ex, NULL), HS_ERR_INVALID_ARG);
    assert_null(t);
    assert_int_equal(hs_finger_extract(NULL, NULL, ex, img), HS_ERR_INVALID_ARG);
    hs_image_free(img);
    hs_finger_extractor_free(ex);
    hs_finger_extractor_free(NULL);
}

static void test_bad_input(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_finger_extractor *ex;
    assert_int_equal(hs_finger_extractor_new(ctx, &ex), HS_OK);
    hs_template *t = (hs_template *)&t;
    hs_image *img;
    /* Blank */
    assert_int_equal(hs_image_new(ctx, &img, 300, 300, 500, 200), HS_OK);
    assert_int_equal(hs_finger_extract(ctx, &t, ex, img), HS_ERR_NO_FINGERPRINT);
    assert_null(t);
    hs_image_free(img);
    /* Tiny */
    assert_int_equal(hs_image_new(ctx, &img, 20, 30, 500, 0), HS_OK);
    assert_int_equal(hs_finger_extract(ctx, &t, ex, img), HS_ERR_NO_FINGERPRINT);
    hs_image_free(img);
    assert_int_equal(hs_image_new(ctx, &img, 1, 1, 0, 0), HS_OK);
    assert_int_equal(hs_finger_extract(ctx, &t, ex, img), HS_ERR_NO_FINGERPRINT);
    hs_image_free(img);
    /* Absurd resolutions */
    img = synth(1, 0.0, 150, 150);
    assert_int_equal(hs_image_set_ppi(img, 5), HS_OK);
    assert_int_equal(hs_finger_extract(ctx, &t, ex, img), HS_ERR_UNSUPPORTED);
    assert_int_equal(hs_image_set_ppi(img, 9000), HS_OK);
    assert_int_equal(hs_finger_extract(ctx, &t, ex, img), HS_ERR_UNSUPPORTED);
    /* A plausible but wrong resolution still works. */
    assert_int_equal(hs_image_set_ppi(img, 1000), HS_OK);
    assert_int_equal(hs_finger_extract(ctx, &t, ex, img), HS_OK);
    hs_template_free(t);
    hs_image_free(img);
    /* Uniform noise, and a noisy gradient: no fingerprint, or a poor one. */
    for (int kind = 0; kind < 2; kind++) {
        assert_int_equal(hs_image_new(ctx, &img, 400, 400, 500, 0), HS_OK);
        uint8_t *p = hs_image_pixels_mut(img);
        uint32_t r = 12345u + (uint32_t)kind;
        for (int i = 0; i < 400 * 400; i++) {
            r = r * 1664525u + 1013904223u;
            int v = (int)(r >> 24);
            if (kind == 1)
                v = (v / 4) + (i % 400) / 2;
            p[i] = (uint8_t)v;
        }
        hs_status s = hs_finger_extract(ctx, &t, ex, img);
        if (s == HS_OK) {
            uint32_t n;
            hs_template_minutiae(t, &n, 0);
            hs_view_info info;
            memset(&info, 0, sizeof info);
            info.struct_size = sizeof info;
            hs_template_view_info(t, &info, 0);
            printf("noise %d: %u minutiae, quality %u\n", kind, n, info.quality);
            assert_true(n <= 20);
            assert_true(info.quality <= 20);
            hs_template_free(t);
        } else {
            assert_int_equal(s, HS_ERR_NO_FINGERPRINT);
        }
        hs_image_free(img);
    }
    hs_finger_extractor_free(ex);
    hs_ctx_free(ctx);
}

static int same_template(const hs_template *a, const hs_template *b)
{
    uint32_t na, nb;
    const hs_minutia *ma = hs_template_minutiae(a, &na, 0);
    const hs_minutia *mb = hs_template_minutiae(b, &nb, 0);
    return na == nb && (na == 0 || memcmp(ma, mb, na * sizeof *ma) == 0);
}

static void test_determinism(void **state)
{
    (void)state;
    hs_finger_extractor *e1, *e2;
    assert_int_equal(hs_finger_extractor_new(NULL, &e1), HS_OK);
    assert_int_equal(hs_finger_extractor_new(NULL, &e2), HS_OK);
    hs_image *a = synth(0, 1.0, 140, 150), *b = synth(1, 2.0, 150, 140);
    hs_template *t1, *t2, *t3;
    assert_int_equal(hs_finger_extract(NULL, &t1, e1, a), HS_OK);
    assert_int_equal(hs_finger_extract(NULL, &t2, e1, b), HS_OK);
    hs_template_free(t2);
    assert_int_equal(hs_finger_extract(NULL, &t2, e1, a), HS_OK);
    assert_int_equal(hs_finger_extract(NULL, &t3, e2, a), HS_OK);
    assert_true(same_template(t1, t2));
    assert_true(same_template(t1, t3));
    hs_template_free(t1);
    hs_template_free(t2);
    hs_template_free(t3);
    hs_image_free(a);
    hs_image_free(b);
    hs_finger_extractor_free(e1);
    hs_finger_extractor_free(e2);
}

/* Counts at hand for the debug hook test. */
#ifdef HOTSPOT_TESTING
struct hook_count {
    int calls;
    int bad;
};

static void hook(void *user, const char *stage, const uint8_t *pixels, uint32_t w, uint32_t h)
{
    struct hook_count *c = user;
    c->calls++;
    if (!stage || !pixels || w == 0 || h == 0)
        c->bad++;
}

static void test_debug_hook(void **state)
{
    (void)state;
    hs_finger_extractor *ex;
    assert_int_equal(hs_finger_extractor_new(NULL, &ex), HS_OK);
    struct hook_count c = {0, 0};
    assert_int_equal(hs_finger_extractor_set_debug(ex, hook, &c), HS_OK);
    hs_image *img = synth(0, 0.0, 150, 150);
    hs_template *t;
    assert_int_equal(hs_finger_extract(NULL, &t, ex, img), HS_OK);
    assert_int_equal(c.calls, 8);
    assert_int_equal(c.bad, 0);
    hs_template_free(t);
    hs_image_free(img);
    hs_finger_extractor_free(ex);
}
#else
static void test_debug_hook(void **state)
{
    (void)state;
    print_message("SKIP: the stage-picture hook exists only in HOTSPOT_TESTING builds "
                  "(tools/test.sh runs them in its sanitizer build)\n");
    skip();
}
#endif

/* ---- Shared data ------------------------------------------------------------ */

static const struct {
    const char *name;
    uint32_t ppi;
} fvc[8] = {
    {"FVC2002_DB1_B", 500}, {"FVC2002_DB2_B", 569}, {"FVC2002_DB3_B", 500},
    {"FVC2002_DB4_B", 500}, {"FVC2004_DB1_B", 500}, {"FVC2004_DB2_B", 500},
    {"FVC2004_DB3_B", 512}, {"FVC2004_DB4_B", 500},
};

/* Rotate 90 degrees clockwise on screen: (x, y) -> (h - 1 - y, x). */
static hs_image *rotate90(const hs_image *src)
{
    uint32_t w = hs_image_width(src), h = hs_image_height(src), st = hs_image_stride(src);
    hs_image *dst;
    if (hs_image_new(NULL, &dst, h, w, hs_image_ppi(src), 0) != HS_OK)
        return NULL;
    const uint8_t *s = hs_image_pixels(src);
    uint8_t *d = hs_image_pixels_mut(dst);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            d[x * h + (h - 1 - y)] = s[y * st + x];
    return dst;
}

static void test_fvc(void **state)
{
    (void)state;
    char buf[1024];
    if (!tu_shared("fingerprint/FVC2002_DB1_B", buf, sizeof buf)) {
        skip();
        return;
    }
    hs_finger_extractor *ex;
    assert_int_equal(hs_finger_extractor_new(NULL, &ex), HS_OK);
    int rot_total = 0, rot_matched = 0;
    for (int s = 0; s < 8; s++)
        for (int k = 0; k < 2; k++) {
            char rel[128];
            snprintf(rel, sizeof rel, "fingerprint/%s/%d_%d.tif", fvc[s].name, 103 + 4 * k, 2 + 3 * k);
            if (!tu_shared(rel, buf, sizeof buf))
                continue;
            hs_image *img;
            assert_int_equal(hs_image_load(NULL, &img, buf, 0), HS_OK);
            assert_int_equal(hs_image_set_ppi(img, fvc[s].ppi), HS_OK);
            hs_template *t, *t2;
            assert_int_equal(hs_finger_extract(NULL, &t, ex, img), HS_OK);
            assert_int_equal(hs_finger_extract(NULL, &t2, ex, img), HS_OK);
            assert_true(same_template(t, t2));
            hs_template_free(t2);
            uint32_t n;
            const hs_minutia *m = hs_template_minutiae(t, &n, 0);
            if (n < 10 || n > 150)
                printf("%s: %u minutiae\n", rel, n);
            assert_true(n >= 10 && n <= 150);
            if (k == 0) {
                /* Rotation: each minutia should reappear rotated. */
                hs_image *r = rotate90(img);
                assert_non_null(r);
                assert_int_equal(hs_finger_extract(NULL, &t2, ex, r), HS_OK);
                uint32_t n2;
                const hs_minutia *m2 = hs_template_minutiae(t2, &n2, 0);
                double h = hs_image_height(img);
                int matched = 0;
                for (uint32_t i = 0; i < n; i++) {
                    double rx = h - 1 - m[i].y, ry = m[i].x;
                    double ra = m[i].angle - PI / 2;
                    for (uint32_t j = 0; j < n2; j++)
                        if (hypot(m2[j].x - rx, m2[j].y - ry) <= 8.0 &&
                            angdiff(m2[j].angle, ra) <= 25.0 * PI / 180.0) {
                            matched++;
                            break;
                        }
                }
                rot_total += (int)n;
                rot_matched += matched;
                hs_template_free(t2);
                hs_image_free(r);
            }
            hs_template_free(t);
            hs_image_free(img);
        }
    if (rot_total) {
        printf("rotation: %d of %d minutiae found again\n", rot_matched, rot_total);
        assert_true(rot_matched * 10 >= rot_total * 6);
    }
    hs_finger_extractor_free(ex);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_wet_blob),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_debug_hook),
        cmocka_unit_test(test_fvc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
