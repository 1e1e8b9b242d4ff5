/* Writes the seed corpora of fuzz_wsq and fuzz_jp2 into DIR/fuzz_<fmt>/:
 * small files made by the library's own encoders from a synthetic ramp
 * and ring pattern (never biometric data), one WSQ file with restart
 * markers, and truncated copies. ctest runs it (test fuzz_codec_seeds)
 * before replaying those corpora, so no file is kept in the tree.
 *   gen_codec_seeds DIR */
#include "internal/image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *root;

static void save(const char *fmt, const char *name, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fuzz_%s", root, fmt);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/fuzz_%s/%s", root, fmt, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

static hs_image *pattern(uint32_t w, uint32_t h)
{
    hs_image *img = NULL;
    if (hs_image_new(NULL, &img, w, h, 500, 0) != HS_OK)
        exit(1);
    uint8_t *p = hs_image_pixels_mut(img);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double r = sqrt((double)(x * x + y * y));
            p[(size_t)y * w + x] = (uint8_t)(128 + 100 * sin(r * 0.8) * (x + 1) / (double)w);
        }
    return img;
}

static void put(const char *fmt, const char *name, const hs_image *img, uint32_t format,
                const hs_image_encode_options *o, int truncate)
{
    size_t n = 0;
    if (hs_image_encode(NULL, NULL, &n, img, format, o) != HS_OK)
        exit(1);
    uint8_t *buf = malloc(n);
    if (!buf || hs_image_encode(NULL, buf, &n, img, format, o) != HS_OK)
        exit(1);
    save(fmt, name, buf, n);
    if (truncate) {
        char t[256];
        snprintf(t, sizeof t, "trunc_%s", name);
        save(fmt, t, buf, n * 2 / 3);
    }
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_codec_seeds DIR\n");
        return 2;
    }
    root = argv[1];
    mkdir(root, 0777);
    hs_image *a = pattern(32, 32), *b = pattern(61, 40);
    hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
    put("wsq", "a_075.wsq", a, HS_IMAGE_FORMAT_WSQ, &o, 1);
    o.wsq_bitrate = 2.25f;
    put("wsq", "b_225.wsq", b, HS_IMAGE_FORMAT_WSQ, &o, 0);
    /* restart markers every 5 symbols */
    hs__writer w;
    hs__writer_init(&w, hs__default_allocator());
    if (hs__encode_wsq(NULL, &w, b, 1.0, 5) != HS_OK)
        return 1;
    save("wsq", "b_restart.wsq", w.buf, w.len);
    hs__writer_free(&w);
    /* low enough a rate for HS_IMAGE_WSQ_RESTORE (below 0.75 bit/pixel
     * with the tables counted), which image_fuzz.h asks for when bit 1 of
     * the size is set */
    hs_image *c = pattern(192, 128);
    o.wsq_bitrate = 0.2f;
    put("wsq", "c_restore.wsq", c, HS_IMAGE_FORMAT_WSQ, &o, 0);
    hs_image_free(c);

    o = (hs_image_encode_options)HS_IMAGE_ENCODE_OPTIONS_INIT;
    put("jp2", "a_lossless.jp2", a, HS_IMAGE_FORMAT_JP2, &o, 1);
    o.jp2_lossless = 0;
    o.jp2_ratio = 8.0f;
    put("jp2", "b_lossy.jp2", b, HS_IMAGE_FORMAT_JP2, &o, 0);
    /* a raw codestream: the JP2 file's jp2c box contents */
    size_t n = 0;
    hs_image_encode(NULL, NULL, &n, a, HS_IMAGE_FORMAT_JP2, NULL);
    uint8_t *buf = malloc(n);
    hs_image_encode(NULL, buf, &n, a, HS_IMAGE_FORMAT_JP2, NULL);
    for (size_t i = 0; i + 4 <= n; i++)
        if (buf[i] == 0xFF && buf[i + 1] == 0x4F && buf[i + 2] == 0xFF && buf[i + 3] == 0x51) {
            save("jp2", "a_codestream.j2k", buf + i, n - i);
            break;
        }
    free(buf);
    hs_image_free(a);
    hs_image_free(b);
    return 0;
}
