/* Netpbm decoder: PBM, PGM and PPM, plain (ASCII, P1-P3) and raw (binary,
 * P4-P6). Samples with a maxval other than 255 (1..65535) are scaled to 8
 * bits with rounding; PPM is reduced to grey with the BT.601 luma of image.h.
 *
 * Every read is bounded by the input size. Header errors are HS_ERR_CORRUPT,
 * an input that ends early is HS_ERR_TRUNCATED, sizes beyond the context
 * limits are HS_ERR_LIMIT, checked before anything is allocated. */
#include "internal/image.h"

#include <string.h>

struct pnm_src {
    const uint8_t *p;
    size_t size;
    size_t pos;
};

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skip whitespace and '#' comments (which run to the end of the line). */
static void skip_space(struct pnm_src *s)
{
    while (s->pos < s->size) {
        uint8_t c = s->p[s->pos];
        if (c == '#') {
            while (s->pos < s->size && s->p[s->pos] != '\n' && s->p[s->pos] != '\r')
                s->pos++;
        } else if (is_space(c)) {
            s->pos++;
        } else {
            break;
        }
    }
}

/* Read a decimal number after optional whitespace/comments. Values above
 * 2^32 saturate (they are rejected later by the size or maxval checks).
 * Returns HS_OK, HS_ERR_TRUNCATED (input ended) or HS_ERR_CORRUPT (not a
 * digit). */
static hs_status read_uint(struct pnm_src *s, uint64_t *out)
{
    skip_space(s);
    if (s->pos >= s->size)
        return HS_ERR_TRUNCATED;
    if (s->p[s->pos] < '0' || s->p[s->pos] > '9')
        return HS_ERR_CORRUPT;
    uint64_t v = 0;
    while (s->pos < s->size && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
        if (v <= UINT32_MAX)
            v = v * 10u + (uint64_t)(s->p[s->pos] - '0');
        s->pos++;
    }
    *out = v;
    return HS_OK;
}

static hs_status header_error(hs_ctx *ctx, hs_status s, const char *field)
{
    return hs__error(ctx, s, "PNM: %s %s", s == HS_ERR_TRUNCATED ? "header ends before"
                                                                 : "bad character in",
                     field);
}

/* Scale a sample in [0, maxval] to [0, 255] with rounding. */
static uint8_t scale(uint32_t v, uint32_t maxval)
{
    if (maxval == 255)
        return (uint8_t)v;
    return (uint8_t)(((uint64_t)v * 255u + maxval / 2u) / maxval);
}

hs_status hs__decode_pnm(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size,
                         uint32_t flags)
{
    *out = NULL;
    if (size < 2 || data[0] != 'P' || data[1] < '1' || data[1] > '6')
        return hs__error(ctx, HS_ERR_FORMAT, "PNM: bad magic");
    const int kind = data[1] - '0';
    const int plain = kind <= 3;
    const int bitmap = kind == 1 || kind == 4;
    const int channels = (kind == 3 || kind == 6) ? 3 : 1;
    struct pnm_src src = {data, size, 2};
    /* The magic must be followed by whitespace or a comment. */
    if (src.pos >= size)
        return hs__error(ctx, HS_ERR_TRUNCATED, "PNM: header ends after the magic");
    if (!is_space(data[src.pos]) && data[src.pos] != '#')
        return hs__error(ctx, HS_ERR_FORMAT, "PNM: bad magic");

    uint64_t w, h, maxval = 1;
    hs_status s = read_uint(&src, &w);
    if (s)
        return header_error(ctx, s, "width");
    s = read_uint(&src, &h);
    if (s)
        return header_error(ctx, s, "height");
    if (!bitmap) {
        s = read_uint(&src, &maxval);
        if (s)
            return header_error(ctx, s, "maxval");
        if (maxval == 0 || maxval > 65535)
            return hs__error(ctx, HS_ERR_CORRUPT, "PNM: maxval %llu outside 1..65535",
                             (unsigned long long)maxval);
    }
    s = hs__image_check_size(ctx, w, h);
    if (s)
        return s;
    /* Exactly one whitespace character separates the header from raw data;
     * in plain files the samples are whitespace separated anyway. */
    if (src.pos >= size)
        return hs__error(ctx, HS_ERR_TRUNCATED, "PNM: no pixel data");
    if (!is_space(data[src.pos]))
        return hs__error(ctx, HS_ERR_CORRUPT, "PNM: no whitespace after the header");
    src.pos++;

    const uint64_t npix = w * h;
    const uint64_t nsamples = npix * (uint64_t)channels;
    const size_t left = size - src.pos;
    const int wide = maxval > 255;
    uint64_t need;
    if (plain)
        /* P1 digits need not be separated; other plain samples are at
         * least one digit plus one separator (except the last). */
        need = bitmap ? nsamples : 2 * nsamples - 1;
    else if (bitmap)
        need = (w + 7) / 8 * h;
    else
        need = nsamples * (wide ? 2u : 1u);
    if (need > left)
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "PNM: %zu bytes of pixel data, at least %llu needed", left,
                         (unsigned long long)need);

    const uint32_t width = (uint32_t)w, height = (uint32_t)h, mv = (uint32_t)maxval;
    const int want_rgb = channels == 3 && (flags & HS_IMAGE_KEEP_COLOR);
    hs_image *img;
    s = hs__image_alloc(ctx, &img, width, height, channels == 3);
    if (s)
        return s;

    const uint8_t *raw = data + src.pos;
    uint8_t *dst = channels == 3 ? img->rgb : img->grey;
    if (kind == 4) {
        const size_t rowbytes = (size_t)((w + 7) / 8);
        for (uint32_t y = 0; y < height; y++) {
            const uint8_t *row = raw + (size_t)y * rowbytes;
            for (uint32_t x = 0; x < width; x++) {
                int black = (row[x >> 3] >> (7 - (x & 7))) & 1;
                dst[(size_t)y * width + x] = black ? 0 : 255;
            }
        }
    } else if (kind == 1) {
        for (uint64_t i = 0; i < npix; i++) {
            skip_space(&src);
            if (src.pos >= size) {
                hs_image_free(img);
                return hs__error(ctx, HS_ERR_TRUNCATED, "PNM: pixel data ends at pixel %llu",
                                 (unsigned long long)i);
            }
            uint8_t c = data[src.pos++];
            if (c != '0' && c != '1') {
                hs_image_free(img);
                return hs__error(ctx, HS_ERR_CORRUPT, "PNM: bad PBM digit at pixel %llu",
                                 (unsigned long long)i);
            }
            dst[i] = c == '1' ? 0 : 255;
        }
    } else if (plain) {
        for (uint64_t i = 0; i < nsamples; i++) {
            uint64_t v;
            s = read_uint(&src, &v);
            if (!s && v > mv)
                s = HS_ERR_CORRUPT;
            if (s) {
                hs_image_free(img);
                return hs__error(ctx, s, "PNM: %s at sample %llu",
                                 s == HS_ERR_TRUNCATED ? "pixel data ends" : "bad sample",
                                 (unsigned long long)i);
            }
            dst[i] = scale((uint32_t)v, mv);
        }
    } else {
        for (uint64_t i = 0; i < nsamples; i++) {
            uint32_t v = wide ? ((uint32_t)raw[2 * i] << 8) | raw[2 * i + 1] : raw[i];
            if (v > mv) {
                hs_image_free(img);
                return hs__error(ctx, HS_ERR_CORRUPT, "PNM: sample %u above maxval %u", v, mv);
            }
            dst[i] = scale(v, mv);
        }
    }

    if (channels == 3) {
        const uint8_t *rgb = img->rgb;
        for (uint64_t i = 0; i < npix; i++)
            img->grey[i] = hs__luma(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
        if (!want_rgb) {
            hs__free_wiped(&img->alloc, img->rgb, (size_t)npix * 3);
            img->rgb = NULL;
        }
    }
    img->format = HS_IMAGE_FORMAT_PNM;
    img->color = channels == 3 ? HS_IMAGE_COLOR_RGB : HS_IMAGE_COLOR_GREY;
    img->bits = bitmap ? 1u : wide ? 16u : 8u;
    *out = img;
    return HS_OK;
}
