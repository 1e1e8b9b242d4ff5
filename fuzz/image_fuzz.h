/* Shared body of the image decoder fuzz targets (fuzz_png.c, fuzz_jpeg.c,
 * ...). Each target forces its format's magic onto a copy of the input so
 * that every run reaches its decoder through the public hs_image_decode(),
 * with small context limits so that huge declared sizes are refused early
 * instead of slowing the fuzzer with big allocations. A decode that succeeds
 * must respect the limits, and every pixel is read so that ASan sees any
 * uninitialised or out-of-bounds plane. */
#ifndef HOTSPOT_FUZZ_IMAGE_FUZZ_H
#define HOTSPOT_FUZZ_IMAGE_FUZZ_H

#include <hotspot/hotspot.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hs_fuzz_image(const uint8_t *data, size_t size, const uint8_t *magic,
                         size_t magic_len)
{
    uint8_t *buf = malloc(size > magic_len ? size : magic_len);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    if (size < magic_len)
        size = magic_len;
    memcpy(buf, magic, magic_len);
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        free(buf);
        return 0;
    }
    hs_ctx_set_limit(ctx, HS_LIMIT_MAX_DIMENSION, 2048);
    hs_ctx_set_limit(ctx, HS_LIMIT_MAX_PIXELS, 1u << 20);
    uint32_t flags = (size & 1) ? HS_IMAGE_KEEP_COLOR : 0;
    if (size & 2) /* the WSQ restoration (other formats ignore the flag) */
        flags |= HS_IMAGE_WSQ_RESTORE;
    hs_image *img = (hs_image *)buf;
    hs_status s = hs_image_decode(ctx, &img, buf, size, flags);
    if (s != HS_OK) {
        if (img != NULL || s >= 0 || hs_ctx_last_status(ctx) != s)
            __builtin_trap();
    } else {
        uint32_t w = hs_image_width(img), h = hs_image_height(img);
        if (w == 0 || h == 0 || w > 2048 || h > 2048 || (uint64_t)w * h > (1u << 20))
            __builtin_trap();
        const uint8_t *p = hs_image_pixels(img);
        const uint8_t *rgb = hs_image_rgb(img);
        unsigned sum = 0;
        for (size_t i = 0; i < (size_t)w * h; i++)
            sum += p[i];
        if (rgb)
            for (size_t i = 0; i < (size_t)w * h * 3; i++)
                sum += rgb[i];
        /* keep the loop: the sum decides something observable */
        if (sum == 0xFFFFFFFFu)
            hs_image_set_ppi(img, 1);
        hs_image_free(img);
    }
    hs_ctx_free(ctx);
    free(buf);
    return 0;
}

#endif
