/* TIFF decoding through libtiff, from memory, with libtiff's messages routed
 * into the context instead of stderr. */
#include "internal/image.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>

struct mem_src {
    const uint8_t *data;
    size_t size;
    size_t pos;
    int short_read; /* libtiff asked for bytes past the end: truncated */
};

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n)
{
    struct mem_src *m = (struct mem_src *)h;
    if (n < 0)
        return -1;
    size_t want = (size_t)n;
    size_t left = m->pos < m->size ? m->size - m->pos : 0;
    if (want > left) {
        want = left;
        m->short_read = 1;
    }
    if (want)
        memcpy(buf, m->data + m->pos, want);
    m->pos += want;
    return (tmsize_t)want;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t n)
{
    (void)h;
    (void)buf;
    (void)n;
    return -1;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    struct mem_src *m = (struct mem_src *)h;
    uint64_t base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = m->pos; break;
    case SEEK_END: base = m->size; break;
    default: return (toff_t)-1;
    }
    if (off > UINT64_MAX - base)
        return (toff_t)-1;
    uint64_t np = base + off;
    if (np > SIZE_MAX)
        return (toff_t)-1;
    m->pos = (size_t)np;
    return (toff_t)np;
}

static int mem_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t mem_size(thandle_t h) { return (toff_t)((struct mem_src *)h)->size; }

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    (void)h;
    (void)base;
    (void)size;
    return 0;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

struct tiff_msgs {
    hs_ctx *ctx;
    char first[160];
    int errors;
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 0)))
#endif
static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)module;
    struct tiff_msgs *m = (struct tiff_msgs *)user;
    if (m && m->errors++ == 0) {
        vsnprintf(m->first, sizeof m->first, fmt, ap);
        /* libtiff reports a bad strip as "at scanline 4294967295" (its row
         * counter is (uint32)-1 for whole strips): say what it means. */
        char *at = strstr(m->first, "at scanline 4294967295");
        if (at) {
            static const char strip[] = "in a strip";
            size_t tail = strlen(at + 22) + 1;
            memcpy(at, strip, sizeof strip - 1);
            memmove(at + sizeof strip - 1, at + 22, tail);
        }
    }
    return 1; /* handled: libtiff must not print */
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

static uint32_t to_ppi(float res, uint16_t unit)
{
    if (!(res > 0.0f) || res > 1e6f)
        return 0;
    double ppi = unit == RESUNIT_CENTIMETER ? (double)res * 2.54 : (double)res;
    if (unit == RESUNIT_NONE || ppi < 1.0 || ppi > 10000.0)
        return 0;
    return (uint32_t)(ppi + 0.5);
}

hs_status hs__decode_tiff(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size,
                          uint32_t flags)
{
    *out = NULL;
    struct mem_src src = {data, size, 0, 0};
    struct tiff_msgs msgs;
    memset(&msgs, 0, sizeof msgs);
    msgs.ctx = ctx;

    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, &msgs);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, &msgs);
    /* libtiff sizes some buffers (strip arrays, codec state) from tags;
     * no single one needs more than the raster we would allocate. */
    uint64_t maxpix = hs__limit(ctx, HS_LIMIT_MAX_PIXELS);
    uint64_t cap = maxpix * 4u + (1u << 20);
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, cap > (uint64_t)INT64_MAX ? INT64_MAX
                                                                          : (tmsize_t)cap);
    TIFF *tif = TIFFClientOpenExt("memory", "rm", (thandle_t)&src, mem_read, mem_write,
                                  mem_seek, mem_close, mem_size, mem_map, mem_unmap, opts);
    TIFFOpenOptionsFree(opts);
    if (!tif)
        return hs__error(ctx, src.short_read || src.size < 8 ? HS_ERR_TRUNCATED : HS_ERR_CORRUPT,
                         "TIFF: cannot open: %s", msgs.errors ? msgs.first : "bad header");

    uint32_t w = 0, h = 0;
    uint16_t bps = 1, spp = 1, photometric = PHOTOMETRIC_MINISBLACK;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric))
        photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;

    hs_status s = hs__image_check_size(ctx, w, h);
    /* The highest expansion each codec can reach: LZW emits at most 4096
     * bytes for a 9-bit code, deflate 1032 per byte, PackBits 128 for 2
     * bytes; uncompressed data is all there. Other codecs are refused
     * below or decoded by libtiff within its allocation cap. */
    uint16_t comp = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
    uint64_t ratio = comp == COMPRESSION_NONE       ? 1
                     : comp == COMPRESSION_PACKBITS ? 64
                     : comp == COMPRESSION_LZW      ? 3641
                     : comp == COMPRESSION_ADOBE_DEFLATE || comp == COMPRESSION_DEFLATE ? 1032
                                                    : 0;
    if (!s && ratio)
        s = hs__image_check_ratio(ctx, "TIFF", w, h, (uint64_t)bps * spp, size, ratio);
    if (s) {
        TIFFClose(tif);
        return s;
    }
    if (bps != 1 && bps != 2 && bps != 4 && bps != 8 && bps != 16) {
        TIFFClose(tif);
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "TIFF: %u bits per sample", bps);
    }
    uint32_t color;
    switch (photometric) {
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_MINISWHITE:
        color = spp >= 2 ? HS_IMAGE_COLOR_GREY_ALPHA : HS_IMAGE_COLOR_GREY;
        break;
    case PHOTOMETRIC_PALETTE: color = HS_IMAGE_COLOR_PALETTE; break;
    case PHOTOMETRIC_RGB:
    case PHOTOMETRIC_YCBCR:
        color = spp >= 4 ? HS_IMAGE_COLOR_RGB_ALPHA : HS_IMAGE_COLOR_RGB;
        break;
    default:
        TIFFClose(tif);
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "TIFF: photometric interpretation %u",
                         photometric);
    }
    char emsg[1024];
    if (!TIFFRGBAImageOK(tif, emsg)) {
        TIFFClose(tif);
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "TIFF: %s", emsg);
    }

    const hs_allocator *a = hs__ctx_allocator(ctx);
    uint32_t *raster = hs__malloc(a, (size_t)w * h * sizeof(uint32_t));
    if (!raster) {
        TIFFClose(tif);
        return hs__error(ctx, HS_ERR_NOMEM, "TIFF: cannot allocate %ux%u", w, h);
    }
    int want_rgb = (flags & HS_IMAGE_KEEP_COLOR) &&
                   (color == HS_IMAGE_COLOR_RGB || color == HS_IMAGE_COLOR_RGB_ALPHA ||
                    color == HS_IMAGE_COLOR_PALETTE);
    /* stop_on_error 1: otherwise libtiff skips a bad strip or tile and
     * reports success with part of the raster unset. */
    msgs.errors = 0;
    if (!TIFFReadRGBAImageOriented(tif, w, h, raster, ORIENTATION_TOPLEFT, 1) || msgs.errors ||
        src.short_read) {
        hs_status st = hs__error(ctx, src.short_read ? HS_ERR_TRUNCATED : HS_ERR_CORRUPT,
                                 "TIFF: cannot decode pixels: %s",
                                 msgs.errors ? msgs.first : "file ends early");
        hs__free(a, raster);
        TIFFClose(tif);
        return st;
    }
    hs_image *img;
    s = hs__image_alloc(ctx, &img, w, h, want_rgb);
    if (s) {
        hs__free(a, raster);
        TIFFClose(tif);
        return s;
    }
    for (size_t i = 0; i < (size_t)w * h; i++) {
        uint32_t px = raster[i];
        unsigned r = TIFFGetR(px), g = TIFFGetG(px), b = TIFFGetB(px);
        img->grey[i] = hs__luma(r, g, b);
        if (want_rgb) {
            img->rgb[3 * i] = (uint8_t)r;
            img->rgb[3 * i + 1] = (uint8_t)g;
            img->rgb[3 * i + 2] = (uint8_t)b;
        }
    }
    hs__free(a, raster);

    float xres = 0.0f;
    uint16_t unit = RESUNIT_INCH;
    if (TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres)) {
        TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
        img->ppi = to_ppi(xres, unit);
    }
    TIFFClose(tif);
    img->format = HS_IMAGE_FORMAT_TIFF;
    img->color = color;
    img->bits = bps;
    *out = img;
    return HS_OK;
}
