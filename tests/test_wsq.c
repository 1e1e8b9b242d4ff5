/* WSQ and JPEG 2000 codecs and the general encoder (hs_image_encode /
 * hs_image_save):
 *  - decoder conformance on NIST NBIS's reference vectors (shared data:
 *    every pixel within one grey level of dwsq, mean difference < 0.05);
 *  - our encoder against NBIS cwsq: file size within 5 %, PSNR within
 *    0.3 dB (shared data);
 *  - round trips of generated ridge patterns through every format, odd
 *    sizes, restart markers, the size query;
 *  - hostile input: truncation at every length, bit flips, markers out of
 *    order, impossible Huffman tables, sizes beyond the limits, runs past
 *    the last coefficient: a specific status, *out NULL, nothing left
 *    allocated; and allocation failure at every allocation. */
#include "testutil.h"
#include "internal/image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

struct counter {
    long live;
    long calls;
    long fail_at;   /* fail the fail_at-th allocation (1-based), 0 = never */
    size_t biggest; /* largest single request */
};
static void *c_malloc(void *o, size_t n)
{
    struct counter *c = o;
    if (n > c->biggest)
        c->biggest = n;
    if (c->fail_at && ++c->calls == c->fail_at)
        return NULL;
    void *p = malloc(n);
    if (p)
        c->live++;
    return p;
}
static void *c_realloc(void *o, void *p, size_t n)
{
    struct counter *c = o;
    if (n > c->biggest)
        c->biggest = n;
    if (c->fail_at && ++c->calls == c->fail_at)
        return NULL;
    void *q = realloc(p, n);
    if (q && !p)
        c->live++;
    return q;
}
static void c_free(void *o, void *p)
{
    if (p)
        ((struct counter *)o)->live--;
    free(p);
}
static hs_ctx *counting_ctx(struct counter *c)
{
    hs_allocator a = {c_malloc, c_realloc, c_free, c};
    hs_ctx *ctx = NULL;
    memset(c, 0, sizeof *c);
    assert_int_equal(hs_ctx_new(&ctx, &a), HS_OK);
    c->live = 0;
    return ctx;
}

/* A synthetic ridge pattern: concentric, slowly changing frequency, on a
 * light background with noise; never biometric data. */
/* The pattern's grey level at (x, y) of a w x h image, before the noise. */
static double ridge_level(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    double cx = w * 0.45, cy = h * 0.55;
    double dx = x - cx, dy = (y - cy) * 0.8;
    double r = sqrt(dx * dx + dy * dy);
    double e = exp(-(r * r) / (2.0 * (0.35 * w) * (0.35 * w)));
    return 180.0 + 70.0 * e * sin(r * 0.7 + 0.3 * sin(x * 0.05));
}

static hs_image *ridges(uint32_t w, uint32_t h, uint32_t ppi)
{
    hs_image *img = NULL;
    assert_int_equal(hs_image_new(NULL, &img, w, h, ppi, 255), HS_OK);
    uint8_t *p = hs_image_pixels_mut(img);
    uint32_t seed = 12345;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double v = ridge_level(x, y, w, h);
            seed = seed * 1103515245u + 12345u;
            v += (double)((seed >> 16) % 9) - 4.0;
            p[(size_t)y * w + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    return img;
}

static double psnr(const uint8_t *a, const uint8_t *b, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        e += d * d;
    }
    if (e == 0)
        return 99.0;
    return 10.0 * log10(255.0 * 255.0 * (double)n / e);
}

static uint8_t *encode(const hs_image *img, uint32_t format, const hs_image_encode_options *o,
                       size_t *size)
{
    size_t n = 0;
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_status s = hs_image_encode(ctx, NULL, &n, img, format, o);
    if (s)
        print_message("encode: %s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    assert_true(n > 0);
    uint8_t *buf = malloc(n);
    size_t small = n - 1;
    memset(buf, 0xAB, n);
    assert_int_equal(hs_image_encode(ctx, buf, &small, img, format, o), HS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(small, n);
    size_t cap = n;
    assert_int_equal(hs_image_encode(ctx, buf, &cap, img, format, o), HS_OK);
    assert_int_equal(cap, n);
    hs_ctx_free(ctx);
    *size = n;
    return buf;
}

static hs_image *decode(const void *data, size_t n)
{
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_image *img = NULL;
    hs_status s = hs_image_decode(ctx, &img, data, n, 0);
    if (s)
        print_message("decode: %s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    hs_ctx_free(ctx);
    return img;
}

/* A decode that must fail: the status is one of the allowed ones (0 = any
 * error), *out stays NULL, nothing stays allocated. */
static hs_status decode_fails(const void *data, size_t n, hs_status want)
{
    struct counter c;
    hs_ctx *ctx = counting_ctx(&c);
    hs_image *img = (hs_image *)&c;
    hs_status s = hs_image_decode(ctx, &img, data, n, 0);
    assert_true(s < 0);
    assert_null(img);
    if (want && s != want)
        print_message("expected status %d, got %d: %s\n", want, s, hs_ctx_last_error(ctx));
    if (want)
        assert_int_equal(s, want);
    assert_int_equal(hs_ctx_last_status(ctx), s);
    assert_true(hs_ctx_last_error(ctx)[0] != 0);
    assert_int_equal(c.live, 0);
    hs_ctx_free(ctx);
    return s;
}

/* Offset of the first segment with marker m (0 if none). */
static size_t find_marker(const uint8_t *p, size_t n, unsigned m)
{
    size_t i = 2;
    while (i + 4 <= n) {
        unsigned mk = (unsigned)p[i] << 8 | p[i + 1];
        if (mk == m)
            return i;
        if (mk == 0xFFA1)
            return 0;
        size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
        i += 2 + len;
        if (mk == 0xFFA3) { /* skip entropy-coded data */
            while (i + 1 < n && !(p[i] == 0xFF && p[i + 1] != 0 && (p[i + 1] < 0xB0 || p[i + 1] > 0xB7)))
                i++;
        }
    }
    return 0;
}

/* ---- conformance with NBIS (shared data) -------------------------------- */

static const char *const nbis_names[] = {
    "FVC2002_DB1_B_101_1", "FVC2002_DB1_B_105_3", "FVC2002_DB2_B_101_1",
    "FVC2002_DB2_B_105_3", "FVC2002_DB3_B_101_1", "FVC2002_DB3_B_105_3",
    "FVC2002_DB4_B_101_1", "FVC2002_DB4_B_105_3", "FVC2004_DB1_B_101_1",
    "FVC2004_DB1_B_105_3", "FVC2004_DB2_B_101_1", "FVC2004_DB2_B_105_3",
    "FVC2004_DB3_B_101_1", "FVC2004_DB3_B_105_3", "FVC2004_DB4_B_101_1",
    "FVC2004_DB4_B_105_3", "NEUROTECH_CROSSMATCH_012_3_1", "NEUROTECH_CROSSMATCH_045_7_5",
};
#define NNAMES (sizeof nbis_names / sizeof nbis_names[0])

static void read_txt(const char *path, uint32_t *w, uint32_t *h, uint32_t *ppi)
{
    size_t n;
    char *t = (char *)tu_read(path, &n);
    assert_non_null(t);
    t = realloc(t, n + 1);
    t[n] = 0;
    assert_int_equal(sscanf(strstr(t, "width:"), "width: %u", w), 1);
    assert_int_equal(sscanf(strstr(t, "height:"), "height: %u", h), 1);
    assert_int_equal(sscanf(strstr(t, "ppi:"), "ppi: %u", ppi), 1);
    free(t);
}

/* Decode wsq and compare with NBIS's decode ref: max 1, MAD < 0.05. */
static void check_decode(const char *wsq, const char *ref, uint32_t w, uint32_t h, uint32_t ppi)
{
    size_t n, rn;
    uint8_t *data = tu_read(wsq, &n);
    uint8_t *want = tu_read(ref, &rn);
    assert_non_null(data);
    assert_non_null(want);
    hs_image *img = decode(data, n);
    assert_int_equal(hs_image_width(img), w);
    assert_int_equal(hs_image_height(img), h);
    assert_int_equal(hs_image_ppi(img), ppi);
    assert_int_equal(rn, (size_t)w * h);
    hs_image_info info = {.struct_size = sizeof info};
    assert_int_equal(hs_image_get_info(img, &info), HS_OK);
    assert_int_equal(info.format, HS_IMAGE_FORMAT_WSQ);
    const uint8_t *p = hs_image_pixels(img);
    double sum = 0;
    int worst = 0;
    for (size_t i = 0; i < rn; i++) {
        int d = abs((int)p[i] - want[i]);
        sum += d;
        worst = d > worst ? d : worst;
    }
    if (worst > 1 || sum / (double)rn >= 0.05)
        print_message("%s: max difference %d, mean %.4f\n", wsq, worst, sum / (double)rn);
    assert_true(worst <= 1);
    assert_true(sum / (double)rn < 0.05);
    hs_image_free(img);
    free(data);
    free(want);
}

static void test_nbis_decode(void **state)
{
    (void)state;
    char dir[1024], a[1200], b[1200];
    if (!tu_shared("fingerprint/wsq-nbis", dir, sizeof dir)) {
        skip();
        return;
    }
    int files = 0;
    for (size_t i = 0; i < NNAMES; i++) {
        uint32_t w, h, ppi;
        snprintf(a, sizeof a, "%s/%s.txt", dir, nbis_names[i]);
        read_txt(a, &w, &h, &ppi);
        for (int r = 0; r < 2; r++) {
            const char *rate = r ? "b225" : "b075";
            snprintf(a, sizeof a, "%s/%s.%s.wsq", dir, nbis_names[i], rate);
            snprintf(b, sizeof b, "%s/%s.%s.dec.raw", dir, nbis_names[i], rate);
            check_decode(a, b, w, h, ppi);
            files++;
        }
    }
    char sample[1024];
    if (tu_shared("fingerprint/format-samples/img.wsq", sample, sizeof sample)) {
        snprintf(b, sizeof b, "%s/format-samples-img.dec.raw", dir);
        check_decode(sample, b, 256, 256, 500);
        files++;
    }
    print_message("decoded %d NBIS files within one grey level of dwsq\n", files);
}

static void test_nbis_encode(void **state)
{
    (void)state;
    char dir[1024], a[1200];
    if (!tu_shared("fingerprint/wsq-nbis", dir, sizeof dir)) {
        skip();
        return;
    }
    for (size_t i = 0; i < NNAMES; i++) {
        uint32_t w, h, ppi;
        snprintf(a, sizeof a, "%s/%s.txt", dir, nbis_names[i]);
        read_txt(a, &w, &h, &ppi);
        size_t rn;
        snprintf(a, sizeof a, "%s/%s.raw", dir, nbis_names[i]);
        uint8_t *raw = tu_read(a, &rn);
        assert_non_null(raw);
        hs_image *src = NULL;
        assert_int_equal(hs_image_wrap(NULL, &src, raw, w, h, w, ppi), HS_OK);
        for (int r = 0; r < 2; r++) {
            hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
            o.wsq_bitrate = r ? 2.25f : 0.75f;
            size_t n, nn, dn;
            uint8_t *ours = encode(src, HS_IMAGE_FORMAT_WSQ, &o, &n);
            snprintf(a, sizeof a, "%s/%s.%s.wsq", dir, nbis_names[i], r ? "b225" : "b075");
            uint8_t *theirs = tu_read(a, &nn);
            snprintf(a, sizeof a, "%s/%s.%s.dec.raw", dir, nbis_names[i], r ? "b225" : "b075");
            uint8_t *their_dec = tu_read(a, &dn);
            assert_non_null(theirs);
            assert_non_null(their_dec);
            hs_image *dec = decode(ours, n);
            assert_int_equal(hs_image_ppi(dec), ppi);
            double p_ours = psnr(hs_image_pixels(dec), raw, rn);
            double p_theirs = psnr(their_dec, raw, rn);
            double size_ratio = (double)n / (double)nn;
            if (fabs(size_ratio - 1.0) > 0.05 || fabs(p_ours - p_theirs) > 0.3)
                print_message("%s %.2f: %zu bytes vs %zu, PSNR %.2f vs %.2f\n", nbis_names[i],
                              (double)o.wsq_bitrate, n, nn, p_ours, p_theirs);
            assert_true(fabs(size_ratio - 1.0) <= 0.05);
            assert_true(fabs(p_ours - p_theirs) <= 0.3);
            hs_image_free(dec);
            free(ours);
            free(theirs);
            free(their_dec);
        }
        hs_image_free(src);
        free(raw);
    }
}

/* ---- round trips ---------------------------------------------------------- */

static void test_wsq_roundtrip(void **state)
{
    (void)state;
    hs_image *src = ridges(320, 400, 500);
    size_t npix = 320 * 400;
    double last = 0;
    size_t last_size = 0;
    const float rates[] = {0.3f, 0.75f, 2.25f, 6.0f};
    for (size_t r = 0; r < 4; r++) {
        hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
        o.wsq_bitrate = rates[r];
        size_t n;
        uint8_t *buf = encode(src, HS_IMAGE_FORMAT_WSQ, &o, &n);
        assert_int_equal(buf[0], 0xFF);
        assert_int_equal(buf[1], 0xA0);
        hs_image *img = decode(buf, n);
        assert_int_equal(hs_image_width(img), 320);
        assert_int_equal(hs_image_height(img), 400);
        assert_int_equal(hs_image_ppi(img), 500);
        double p = psnr(hs_image_pixels(img), hs_image_pixels(src), npix);
        /* more bits, better picture, bigger file */
        assert_true(p > last);
        assert_true(n > last_size);
        /* the rate is a target: within a factor of two of what was asked */
        assert_true(8.0 * (double)n / (double)npix < 2.0 * rates[r]);
        last = p;
        last_size = n;
        hs_image_free(img);
        free(buf);
    }
    assert_true(last > 40.0);
    hs_image_free(src);
}

static hs_image *decode_flags(const void *data, size_t n, uint32_t flags)
{
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_image *img = NULL;
    assert_int_equal(hs_image_decode(ctx, &img, data, n, flags), HS_OK);
    hs_ctx_free(ctx);
    return img;
}

/* HS_IMAGE_WSQ_RESTORE: a low-rate stream is restored (other pixels than
 * the plain decode, closer to the noise-free ridges, every pixel still
 * near the plain decode), a high-rate one and other formats decode as
 * without the flag, and the plain decode is unchanged by its existence. */
static void test_wsq_restore(void **state)
{
    (void)state;
    const uint32_t w = 320, h = 400;
    const size_t npix = (size_t)w * h;
    hs_image *src = ridges(w, h, 500);
    /* the pattern of ridges() without its noise */
    uint8_t *clean = malloc(npix);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double v = ridge_level(x, y, w, h) - 0.5;
            clean[(size_t)y * w + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrint(v));
        }
    hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
    o.wsq_bitrate = 0.3f;
    size_t n;
    uint8_t *low = encode(src, HS_IMAGE_FORMAT_WSQ, &o, &n);
    assert_true(8.0 * (double)n < 0.75 * (double)npix);
    hs_image *plain = decode(low, n);
    hs_image *rest = decode_flags(low, n, HS_IMAGE_WSQ_RESTORE);
    hs_image *both = decode_flags(low, n, HS_IMAGE_WSQ_RESTORE | HS_IMAGE_KEEP_COLOR);
    assert_memory_equal(hs_image_pixels(rest), hs_image_pixels(both), npix);
    hs_image_info info = HS_IMAGE_INFO_INIT;
    assert_int_equal(hs_image_get_info(rest, &info), HS_OK);
    assert_int_equal(info.format, HS_IMAGE_FORMAT_WSQ);
    const uint8_t *pp = hs_image_pixels(plain), *pr = hs_image_pixels(rest);
    size_t changed = 0;
    int worst = 0;
    for (size_t i = 0; i < npix; i++) {
        int d = abs((int)pp[i] - (int)pr[i]);
        changed += d != 0;
        worst = d > worst ? d : worst;
    }
    double p_plain = psnr(pp, clean, npix), p_rest = psnr(pr, clean, npix);
    print_message("restore: %zu of %zu pixels changed, at most %d; PSNR against the ridges "
                  "%.2f -> %.2f dB\n", changed, npix, worst, p_plain, p_rest);
    assert_true(changed > npix / 10);
    assert_true(worst < 40);
    assert_true(p_rest > p_plain);
    hs_image_free(plain);
    hs_image_free(rest);
    hs_image_free(both);
    free(low);

    /* a high-rate stream is left as it is */
    o.wsq_bitrate = 2.25f;
    uint8_t *high = encode(src, HS_IMAGE_FORMAT_WSQ, &o, &n);
    assert_true(8.0 * (double)n >= 0.75 * (double)npix);
    plain = decode(high, n);
    rest = decode_flags(high, n, HS_IMAGE_WSQ_RESTORE);
    assert_memory_equal(hs_image_pixels(plain), hs_image_pixels(rest), npix);
    hs_image_free(plain);
    hs_image_free(rest);
    free(high);

    /* other formats ignore it */
    uint8_t *png = encode(src, HS_IMAGE_FORMAT_PNG, NULL, &n);
    rest = decode_flags(png, n, HS_IMAGE_WSQ_RESTORE);
    assert_memory_equal(hs_image_pixels(src), hs_image_pixels(rest), npix);
    hs_image_free(rest);
    /* an unknown flag is refused */
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_image *img = (hs_image *)ctx;
    assert_int_equal(hs_image_decode(ctx, &img, png, n, 0x4u), HS_ERR_INVALID_ARG);
    assert_null(img);
    hs_ctx_free(ctx);
    free(png);
    free(clean);
    hs_image_free(src);
}

static void test_wsq_odd_sizes(void **state)
{
    (void)state;
    const uint32_t sizes[][2] = {{32, 32}, {33, 97}, {97, 33}, {255, 129}, {1001, 67}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        hs_image *src = ridges(sizes[i][0], sizes[i][1], 0);
        hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
        o.wsq_bitrate = 2.25f;
        size_t n;
        uint8_t *buf = encode(src, HS_IMAGE_FORMAT_WSQ, &o, &n);
        hs_image *img = decode(buf, n);
        assert_int_equal(hs_image_width(img), sizes[i][0]);
        assert_int_equal(hs_image_height(img), sizes[i][1]);
        assert_int_equal(hs_image_ppi(img), 0); /* NISTCOM PPI -1 */
        assert_true(psnr(hs_image_pixels(img), hs_image_pixels(src),
                         (size_t)sizes[i][0] * sizes[i][1]) > 25.0);
        hs_image_free(img);
        free(buf);
        hs_image_free(src);
    }
    /* below the smallest size the decomposition can split */
    hs_image *tiny = ridges(31, 64, 500);
    size_t n = 0;
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_image_encode(ctx, NULL, &n, tiny, HS_IMAGE_FORMAT_WSQ, NULL),
                     HS_ERR_UNSUPPORTED);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "31x64"));
    hs_ctx_free(ctx);
    hs_image_free(tiny);
    /* a flat image (zero variance everywhere) still round-trips */
    hs_image *flat = NULL;
    assert_int_equal(hs_image_new(NULL, &flat, 64, 64, 500, 77), HS_OK);
    uint8_t *buf = encode(flat, HS_IMAGE_FORMAT_WSQ, NULL, &n);
    hs_image *img = decode(buf, n);
    for (size_t i = 0; i < 64 * 64; i++)
        assert_true(abs((int)hs_image_pixels(img)[i] - 77) <= 1);
    hs_image_free(img);
    free(buf);
    hs_image_free(flat);
}

/* The colour plane is ignored: a colour image codes as its grey plane. */
static void test_wsq_colour_source(void **state)
{
    (void)state;
    uint8_t *rgb = malloc(64 * 48 * 3);
    for (size_t i = 0; i < 64 * 48 * 3; i++)
        rgb[i] = (uint8_t)(i * 7);
    hs_image *col = NULL;
    assert_int_equal(hs_image_from_rgb(NULL, &col, rgb, 64, 48, 64 * 3, 500), HS_OK);
    hs_image *grey = NULL;
    assert_int_equal(hs_image_wrap(NULL, &grey, hs_image_pixels(col), 64, 48, 64, 500), HS_OK);
    size_t n1, n2;
    uint8_t *a = encode(col, HS_IMAGE_FORMAT_WSQ, NULL, &n1);
    uint8_t *b = encode(grey, HS_IMAGE_FORMAT_WSQ, NULL, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
    hs_image_free(grey);
    hs_image_free(col);
    free(rgb);
}

/* Restart markers (DRT + RSTn) at every symbol count decode to the same
 * image as the file without them. */
static void test_wsq_restart_markers(void **state)
{
    (void)state;
    hs_image *src = ridges(200, 150, 500);
    hs__writer w0, w1;
    hs__writer_init(&w0, hs__default_allocator());
    assert_int_equal(hs__encode_wsq(NULL, &w0, src, 1.0, 0), HS_OK);
    hs_image *ref = decode(w0.buf, w0.len);
    const uint32_t every[] = {1, 2, 7, 64, 1000};
    for (size_t i = 0; i < sizeof every / sizeof every[0]; i++) {
        hs__writer_init(&w1, hs__default_allocator());
        assert_int_equal(hs__encode_wsq(NULL, &w1, src, 1.0, every[i]), HS_OK);
        assert_true(find_marker(w1.buf, w1.len, 0xFFA7) != 0);
        assert_true(w1.len > w0.len);
        hs_image *img = decode(w1.buf, w1.len);
        assert_memory_equal(hs_image_pixels(img), hs_image_pixels(ref), 200 * 150);
        hs_image_free(img);
        hs__writer_free(&w1);
    }
    hs_image_free(ref);
    hs__writer_free(&w0);
    hs_image_free(src);
}

static void test_jp2_roundtrip(void **state)
{
    (void)state;
    hs_image *src = ridges(123, 77, 500);
    size_t n;
    /* lossless: exact */
    uint8_t *buf = encode(src, HS_IMAGE_FORMAT_JP2, NULL, &n);
    assert_memory_equal(buf, "\0\0\0\x0cjP  \r\n\x87\n", 12);
    hs_image *img = decode(buf, n);
    hs_image_info info = {.struct_size = sizeof info};
    assert_int_equal(hs_image_get_info(img, &info), HS_OK);
    assert_int_equal(info.format, HS_IMAGE_FORMAT_JP2);
    assert_int_equal(info.color, HS_IMAGE_COLOR_GREY);
    assert_int_equal(info.bits_per_sample, 8);
    assert_memory_equal(hs_image_pixels(img), hs_image_pixels(src), 123 * 77);
    hs_image_free(img);
    /* truncation: always an error, never a partial image */
    for (size_t k = 0; k < n; k += (k < 64 ? 1 : 97))
        decode_fails(buf, k, 0);
    free(buf);
    /* lossy: smaller, close */
    hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
    o.jp2_lossless = 0;
    o.jp2_ratio = 10.0f;
    size_t m;
    buf = encode(src, HS_IMAGE_FORMAT_JP2, &o, &m);
    assert_true(m < 123 * 77 / 5);
    img = decode(buf, m);
    assert_true(psnr(hs_image_pixels(img), hs_image_pixels(src), 123 * 77) > 28.0);
    hs_image_free(img);
    free(buf);
    /* raw codestream through a .j2k file */
    char path[512];
    snprintf(path, sizeof path, "%s/rt.j2k", tu_tmpdir());
    assert_int_equal(hs_image_save(NULL, path, src, 0, NULL), HS_OK);
    size_t fn;
    uint8_t *f = tu_read(path, &fn);
    assert_int_equal(f[0], 0xFF);
    assert_int_equal(f[1], 0x4F);
    free(f);
    assert_int_equal(hs_image_load(NULL, &img, path, 0), HS_OK);
    assert_memory_equal(hs_image_pixels(img), hs_image_pixels(src), 123 * 77);
    hs_image_free(img);
    remove(path);
    /* the context's size limits are checked before OpenJPEG decodes */
    buf = encode(src, HS_IMAGE_FORMAT_JP2, NULL, &n);
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_DIMENSION, 100), HS_OK);
    img = NULL;
    assert_int_equal(hs_image_decode(ctx, &img, buf, n, 0), HS_ERR_LIMIT);
    assert_null(img);
    hs_ctx_free(ctx);
    free(buf);
    hs_image_free(src);
}

static void test_other_formats(void **state)
{
    (void)state;
    hs_image *src = ridges(51, 40, 500);
    const uint32_t exact[] = {HS_IMAGE_FORMAT_PNG, HS_IMAGE_FORMAT_PNM, HS_IMAGE_FORMAT_BMP};
    for (size_t i = 0; i < 3; i++) {
        size_t n;
        uint8_t *buf = encode(src, exact[i], NULL, &n);
        hs_image *img = decode(buf, n);
        hs_image_info info = {.struct_size = sizeof info};
        assert_int_equal(hs_image_get_info(img, &info), HS_OK);
        assert_int_equal(info.format, exact[i]);
        assert_memory_equal(hs_image_pixels(img), hs_image_pixels(src), 51 * 40);
        if (exact[i] != HS_IMAGE_FORMAT_PNM)
            assert_int_equal(hs_image_ppi(img), 500);
        hs_image_free(img);
        free(buf);
    }
    hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
    o.jpeg_quality = 95;
    size_t n;
    uint8_t *buf = encode(src, HS_IMAGE_FORMAT_JPEG, &o, &n);
    hs_image *img = decode(buf, n);
    assert_int_equal(hs_image_ppi(img), 500);
    assert_true(psnr(hs_image_pixels(img), hs_image_pixels(src), 51 * 40) > 30.0);
    hs_image_free(img);
    free(buf);
    hs_image_free(src);
}

static void test_save_by_extension(void **state)
{
    (void)state;
    hs_image *src = ridges(64, 64, 500);
    const char *ext[] = {"png", "wsq", "jp2", "jpg", "pgm", "bmp", "WSQ"};
    const uint32_t fmt[] = {HS_IMAGE_FORMAT_PNG,  HS_IMAGE_FORMAT_WSQ, HS_IMAGE_FORMAT_JP2,
                            HS_IMAGE_FORMAT_JPEG, HS_IMAGE_FORMAT_PNM, HS_IMAGE_FORMAT_BMP,
                            HS_IMAGE_FORMAT_WSQ};
    char path[512];
    for (size_t i = 0; i < 7; i++) {
        snprintf(path, sizeof path, "%s/save.%s", tu_tmpdir(), ext[i]);
        assert_int_equal(hs_image_save(NULL, path, src, 0, NULL), HS_OK);
        hs_image *img = NULL;
        assert_int_equal(hs_image_load(NULL, &img, path, 0), HS_OK);
        hs_image_info info = {.struct_size = sizeof info};
        assert_int_equal(hs_image_get_info(img, &info), HS_OK);
        assert_int_equal(info.format, fmt[i]);
        hs_image_free(img);
        remove(path);
    }
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    snprintf(path, sizeof path, "%s/save.xyz", tu_tmpdir());
    assert_int_equal(hs_image_save(ctx, path, src, 0, NULL), HS_ERR_INVALID_ARG);
    assert_non_null(strstr(hs_ctx_last_error(ctx), ".xyz"));
    snprintf(path, sizeof path, "%s/save.tif", tu_tmpdir());
    assert_int_equal(hs_image_save(ctx, path, src, 0, NULL), HS_ERR_UNSUPPORTED);
    /* a failed save leaves the existing file as it was */
    snprintf(path, sizeof path, "%s/keep.wsq", tu_tmpdir());
    FILE *f = fopen(path, "wb");
    fputs("old", f);
    fclose(f);
    hs_image *tiny = ridges(16, 16, 500);
    assert_int_equal(hs_image_save(ctx, path, tiny, 0, NULL), HS_ERR_UNSUPPORTED);
    size_t n;
    uint8_t *back = tu_read(path, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(back, "old", 3);
    free(back);
    remove(path);
    /* an explicit format wins over the extension */
    snprintf(path, sizeof path, "%s/really.png", tu_tmpdir());
    assert_int_equal(hs_image_save(ctx, path, src, HS_IMAGE_FORMAT_WSQ, NULL), HS_OK);
    back = tu_read(path, &n);
    assert_int_equal(back[1], 0xA0);
    free(back);
    remove(path);
    hs_image_free(tiny);
    hs_ctx_free(ctx);
    hs_image_free(src);
}

static void test_encode_options(void **state)
{
    (void)state;
    hs_image *src = ridges(64, 64, 500);
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    size_t n = 0;
    hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
    assert_int_equal(o.struct_size, sizeof o);
    assert_true(o.wsq_bitrate == 0.75f);
    o.wsq_bitrate = 0.05f;
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_WSQ, &o),
                     HS_ERR_INVALID_ARG);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "wsq_bitrate"));
    o.wsq_bitrate = 9.0f;
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_WSQ, &o),
                     HS_ERR_INVALID_ARG);
    o.wsq_bitrate = NAN;
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_WSQ, &o),
                     HS_ERR_INVALID_ARG);
    o = (hs_image_encode_options)HS_IMAGE_ENCODE_OPTIONS_INIT;
    o.jpeg_quality = 0;
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_JPEG, &o),
                     HS_ERR_INVALID_ARG);
    o = (hs_image_encode_options)HS_IMAGE_ENCODE_OPTIONS_INIT;
    o.jp2_ratio = 0.5f;
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_JP2, &o),
                     HS_ERR_INVALID_ARG);
    /* struct_size: too small, not a multiple of 4 */
    o = (hs_image_encode_options)HS_IMAGE_ENCODE_OPTIONS_INIT;
    o.struct_size = 16;
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_WSQ, &o),
                     HS_ERR_INVALID_ARG);
    o.struct_size = 22;
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_WSQ, &o),
                     HS_ERR_INVALID_ARG);
    /* a newer caller: zero tail accepted, non-zero tail refused */
    struct {
        hs_image_encode_options o;
        uint32_t future;
    } big;
    memset(&big, 0, sizeof big);
    big.o = (hs_image_encode_options)HS_IMAGE_ENCODE_OPTIONS_INIT;
    big.o.struct_size = sizeof big;
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_WSQ, &big.o), HS_OK);
    big.future = 1;
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_WSQ, &big.o),
                     HS_ERR_UNSUPPORTED);
    /* unknown formats, NULL arguments */
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, 0, NULL), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, 99, NULL), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_TIFF, NULL),
                     HS_ERR_UNSUPPORTED);
    assert_int_equal(hs_image_encode(ctx, NULL, &n, NULL, HS_IMAGE_FORMAT_WSQ, NULL),
                     HS_ERR_INVALID_ARG);
    assert_int_equal(hs_image_encode(ctx, NULL, NULL, src, HS_IMAGE_FORMAT_WSQ, NULL),
                     HS_ERR_INVALID_ARG);
    assert_int_equal(hs_image_save(ctx, NULL, src, 0, NULL), HS_ERR_INVALID_ARG);
    hs_ctx_free(ctx);
    hs_image_free(src);
}

/* ---- hostile input -------------------------------------------------------- */

static uint8_t *small_wsq(size_t *n)
{
    hs_image *src = ridges(64, 48, 500);
    hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
    o.wsq_bitrate = 2.0f;
    uint8_t *buf = encode(src, HS_IMAGE_FORMAT_WSQ, &o, n);
    hs_image_free(src);
    return buf;
}

static void test_wsq_truncated(void **state)
{
    (void)state;
    size_t n;
    uint8_t *buf = small_wsq(&n);
    for (size_t k = 2; k < n; k++) {
        hs_status s = decode_fails(buf, k, 0);
        assert_true(s == HS_ERR_TRUNCATED || s == HS_ERR_CORRUPT);
    }
    /* missing EOI only */
    assert_int_equal(decode_fails(buf, n - 2, 0), HS_ERR_TRUNCATED);
    free(buf);
}

static void test_wsq_bit_flips(void **state)
{
    (void)state;
    size_t n;
    uint8_t *buf = small_wsq(&n);
    uint8_t *m = malloc(n);
    for (size_t i = 2; i < n; i++)
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(m, buf, n);
            m[i] ^= (uint8_t)(1u << bit);
            hs_image *img = NULL;
            struct counter c;
            hs_ctx *ctx = counting_ctx(&c);
            hs_status s = hs_image_decode(ctx, &img, m, n, 0);
            if (s == HS_OK) {
                assert_non_null(img);
                hs_image_free(img);
            } else {
                assert_null(img);
            }
            assert_int_equal(c.live, 0);
            hs_ctx_free(ctx);
        }
    free(m);
    free(buf);
}

static void test_wsq_bad_structure(void **state)
{
    (void)state;
    size_t n;
    uint8_t *buf = small_wsq(&n);
    uint8_t *m = malloc(n + 64);

    /* SOF removed: the block comes before any frame header */
    size_t sof = find_marker(buf, n, 0xFFA2);
    assert_true(sof > 0);
    size_t len = 2 + ((size_t)buf[sof + 2] << 8 | buf[sof + 3]);
    memcpy(m, buf, sof);
    memcpy(m + sof, buf + sof + len, n - sof - len);
    assert_int_equal(decode_fails(m, n - len, HS_ERR_CORRUPT), HS_ERR_CORRUPT);

    /* a second SOF */
    memcpy(m, buf, sof + len);
    memcpy(m + sof + len, buf + sof, n - sof);
    assert_int_equal(decode_fails(m, n + len, HS_ERR_CORRUPT), HS_ERR_CORRUPT);

    /* DHT with more length-1 codes than exist */
    size_t dht = find_marker(buf, n, 0xFFA6);
    memcpy(m, buf, n);
    {
        int moved = 3 - m[dht + 5];
        m[dht + 5] = 3;
        for (int j = 1; j < 16 && moved; j++) {
            int take = m[dht + 5 + j] < moved ? m[dht + 5 + j] : moved;
            m[dht + 5 + j] = (uint8_t)(m[dht + 5 + j] - take);
            moved -= take;
        }
    }
    assert_int_equal(decode_fails(m, n, HS_ERR_CORRUPT), HS_ERR_CORRUPT);

    /* block naming a table never defined */
    size_t sob = find_marker(buf, n, 0xFFA3);
    memcpy(m, buf, n);
    m[sob + 4] = 5;
    assert_int_equal(decode_fails(m, n, HS_ERR_CORRUPT), HS_ERR_CORRUPT);

    /* even-length filters are not read */
    size_t dtt = find_marker(buf, n, 0xFFA4);
    memcpy(m, buf, n);
    m[dtt + 4] = 8;
    assert_int_equal(decode_fails(m, n, HS_ERR_UNSUPPORTED), HS_ERR_UNSUPPORTED);

    /* a segment length running past the end */
    memcpy(m, buf, n);
    m[dtt + 2] = 0xFF;
    assert_int_equal(decode_fails(m, n, HS_ERR_TRUNCATED), HS_ERR_TRUNCATED);

    /* SOF height 0 */
    memcpy(m, buf, n);
    m[sof + 6] = 0;
    m[sof + 7] = 0;
    assert_int_equal(decode_fails(m, n, HS_ERR_CORRUPT), HS_ERR_CORRUPT);

    /* bigger than the context allows */
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_PIXELS, 1000), HS_OK);
    hs_image *img = NULL;
    assert_int_equal(hs_image_decode(ctx, &img, buf, n, 0), HS_ERR_LIMIT);
    assert_null(img);
    hs_ctx_free(ctx);

    /* fewer coefficients than the subbands hold: a larger SOF width */
    memcpy(m, buf, n);
    m[sof + 9] = (uint8_t)(m[sof + 9] + 8);
    hs_status s = decode_fails(m, n, 0);
    assert_true(s == HS_ERR_TRUNCATED || s == HS_ERR_CORRUPT);
    /* more coefficients than the subbands hold: a smaller SOF width */
    memcpy(m, buf, n);
    m[sof + 9] = (uint8_t)(m[sof + 9] - 8);
    assert_int_equal(decode_fails(m, n, HS_ERR_CORRUPT), HS_ERR_CORRUPT);

    /* tiny frames (1 to 3 pixels a side) leave regions of the tree empty:
     * whatever the blocks then hold, no read outside the planes (ASan) */
    for (unsigned side = 1; side <= 3; side++) {
        memcpy(m, buf, n);
        m[sof + 6] = 0;
        m[sof + 7] = (uint8_t)side;
        m[sof + 8] = 0;
        m[sof + 9] = (uint8_t)(4 - side);
        hs_image *t = NULL;
        hs_ctx *c2 = NULL;
        assert_int_equal(hs_ctx_new(&c2, NULL), HS_OK);
        if (hs_image_decode(c2, &t, m, n, 0) == HS_OK)
            hs_image_free(t);
        else
            assert_null(t);
        hs_ctx_free(c2);
    }

    /* a header declaring 4000x4000 pixels over blocks made for 64x48: the
     * blocks are checked first, so nothing large is ever allocated */
    {
        memcpy(m, buf, n);
        m[sof + 6] = 0x0F;
        m[sof + 7] = 0xA0;
        m[sof + 8] = 0x0F;
        m[sof + 9] = 0xA0;
        struct counter c;
        hs_ctx *c3 = counting_ctx(&c);
        hs_image *t = NULL;
        assert_int_equal(hs_image_decode(c3, &t, m, n, 0), HS_ERR_TRUNCATED);
        assert_null(t);
        assert_true(c.biggest < 64 * 1024);
        assert_int_equal(c.live, 0);
        hs_ctx_free(c3);
    }

    /* unknown marker */
    memcpy(m, buf, n);
    m[dtt + 1] = 0xAF;
    assert_int_equal(decode_fails(m, n, HS_ERR_CORRUPT), HS_ERR_CORRUPT);

    /* tables in another order (SOF first, DQT before DTT) still decode */
    {
        size_t dqt = find_marker(buf, n, 0xFFA5);
        size_t dl = 2 + ((size_t)buf[dtt + 2] << 8 | buf[dtt + 3]);
        size_t ql = 2 + ((size_t)buf[dqt + 2] << 8 | buf[dqt + 3]);
        size_t o = 2;
        memcpy(m, buf, 2);
        memcpy(m + o, buf + sof, len), o += len;
        memcpy(m + o, buf + dqt, ql), o += ql;
        memcpy(m + o, buf + dtt, dl), o += dl;
        memcpy(m + o, buf + sof + len, n - sof - len), o += n - sof - len;
        assert_int_equal(o, n - (dtt - 2)); /* COM dropped */
        hs_image *a = decode(buf, n), *b = decode(m, o);
        assert_memory_equal(hs_image_pixels(a), hs_image_pixels(b), 64 * 48);
        assert_int_equal(hs_image_ppi(b), 0); /* no NISTCOM: unknown */
        hs_image_free(a);
        hs_image_free(b);
    }
    free(m);
    free(buf);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    hs_image *src = ridges(80, 64, 500);
    const uint32_t formats[] = {HS_IMAGE_FORMAT_WSQ, HS_IMAGE_FORMAT_PNG, HS_IMAGE_FORMAT_JPEG,
                                HS_IMAGE_FORMAT_BMP};
    for (size_t f = 0; f < 4; f++) {
        size_t want = 0;
        assert_int_equal(hs_image_encode(NULL, NULL, &want, src, formats[f], NULL), HS_OK);
        uint8_t *ok = malloc(want);
        assert_int_equal(hs_image_encode(NULL, ok, &want, src, formats[f], NULL), HS_OK);
        for (long k = 1;; k++) {
            struct counter c;
            hs_ctx *ctx = counting_ctx(&c);
            c.fail_at = k;
            size_t n = 0;
            hs_status s = hs_image_encode(ctx, NULL, &n, src, formats[f], NULL);
            long calls = c.calls;
            assert_int_equal(c.live, 0);
            hs_ctx_free(ctx);
            if (s == HS_OK) {
                assert_int_equal(n, want);
                assert_true(calls < k);
                break;
            }
            assert_int_equal(s, HS_ERR_NOMEM);
            assert_true(k < 10000);
        }
        /* decoding a WSQ file under allocation failure, plain and restored
         * (a stream below the restoration's rate) */
        hs_image_encode_options lo = HS_IMAGE_ENCODE_OPTIONS_INIT;
        lo.wsq_bitrate = 0.2f;
        size_t nlow = 0;
        hs_image *big = f == 0 ? ridges(256, 256, 500) : NULL;
        uint8_t *low = f == 0 ? encode(big, HS_IMAGE_FORMAT_WSQ, &lo, &nlow) : NULL;
        hs_image_free(big);
        assert_true(f != 0 || 8.0 * (double)nlow < 0.75 * 256.0 * 256.0);
        for (long k = 1; f == 0; k++) {
            struct counter c;
            hs_ctx *ctx = counting_ctx(&c);
            c.fail_at = k;
            hs_image *img = NULL;
            hs_status s = hs_image_decode(ctx, &img, ok, want, 0);
            if (s == HS_OK) {
                hs_image_free(img);
                img = NULL;
                s = hs_image_decode(ctx, &img, low, nlow, HS_IMAGE_WSQ_RESTORE);
            }
            if (s == HS_OK) {
                hs_image_free(img);
                assert_int_equal(c.live, 0);
                hs_ctx_free(ctx);
                break;
            }
            assert_int_equal(s, HS_ERR_NOMEM);
            assert_null(img);
            assert_int_equal(c.live, 0);
            hs_ctx_free(ctx);
        }
        free(low);
        free(ok);
    }
    hs_image_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nbis_decode),
        cmocka_unit_test(test_nbis_encode),
        cmocka_unit_test(test_wsq_roundtrip),
        cmocka_unit_test(test_wsq_restore),
        cmocka_unit_test(test_wsq_odd_sizes),
        cmocka_unit_test(test_wsq_colour_source),
        cmocka_unit_test(test_wsq_restart_markers),
        cmocka_unit_test(test_jp2_roundtrip),
        cmocka_unit_test(test_other_formats),
        cmocka_unit_test(test_save_by_extension),
        cmocka_unit_test(test_encode_options),
        cmocka_unit_test(test_wsq_truncated),
        cmocka_unit_test(test_wsq_bit_flips),
        cmocka_unit_test(test_wsq_bad_structure),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
