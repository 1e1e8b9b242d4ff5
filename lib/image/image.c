/* hs_image: construction, accessors, format detection and dispatch. */
#include "internal/image.h"

#include <string.h>

hs_status hs__image_check_size(hs_ctx *ctx, uint64_t w, uint64_t h)
{
    if (w == 0 || h == 0)
        return hs__error(ctx, HS_ERR_CORRUPT, "image has zero size (%llux%llu)",
                         (unsigned long long)w, (unsigned long long)h);
    uint64_t maxdim = hs__limit(ctx, HS_LIMIT_MAX_DIMENSION);
    if (w > maxdim || h > maxdim)
        return hs__error(ctx, HS_ERR_LIMIT, "image size %llux%llu exceeds the %llu pixel side limit",
                         (unsigned long long)w, (unsigned long long)h,
                         (unsigned long long)maxdim);
    uint64_t maxpix = hs__limit(ctx, HS_LIMIT_MAX_PIXELS);
    if (w * h > maxpix)
        return hs__error(ctx, HS_ERR_LIMIT, "image of %llu pixels exceeds the limit of %llu",
                         (unsigned long long)(w * h), (unsigned long long)maxpix);
    return HS_OK;
}

/* A w x h image within the ctx's limits, no pixels yet. */
static hs_status image_shell(hs_ctx *ctx, hs_image **out, uint32_t w, uint32_t h, uint32_t stride)
{
    *out = NULL;
    hs_status s = hs__image_check_size(ctx, w, h);
    if (s)
        return s;
    hs_image *img = HS__OBJECT_ALLOC(ctx, &s, hs_image);
    if (!img)
        return s;
    img->width = w;
    img->height = h;
    img->stride = stride;
    *out = img;
    return HS_OK;
}

hs_status hs__image_alloc(hs_ctx *ctx, hs_image **out, uint32_t w, uint32_t h, int want_rgb)
{
    hs_status s = image_shell(ctx, out, w, h, w);
    if (s)
        return s;
    hs_image *img = *out;
    *out = NULL;
    const hs_allocator *a = &img->alloc;
    img->grey = hs__malloc(a, (size_t)w * h);
    if (want_rgb)
        img->rgb = hs__malloc(a, (size_t)w * h * 3);
    if (!img->grey || (want_rgb && !img->rgb)) {
        hs_image_free(img);
        return hs__error(ctx, HS_ERR_NOMEM, "cannot allocate a %ux%u image", w, h);
    }
    img->view = img->grey;
    *out = img;
    return HS_OK;
}

void hs_image_free(hs_image *img)
{
    if (!img)
        return;
    hs__free_wiped(&img->alloc, img->grey, (size_t)img->stride * img->height);
    hs__free_wiped(&img->alloc, img->rgb, (size_t)img->width * img->height * 3);
    HS__OBJECT_FREE(img, hs_image, 0);
}

hs_status hs_image_new(hs_ctx *ctx, hs_image **out, uint32_t width, uint32_t height,
                       uint32_t ppi, uint8_t fill)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (ppi > 10000)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "resolution %u ppi above 10000", ppi);
    if (width == 0 || height == 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "image size %ux%u has a zero side", width, height);
    hs_status s = hs__image_alloc(ctx, out, width, height, 0);
    if (s)
        return s;
    memset((*out)->grey, fill, (size_t)width * height);
    (*out)->ppi = ppi;
    (*out)->color = HS_IMAGE_COLOR_GREY;
    (*out)->bits = 8;
    return HS_OK;
}

hs_status hs_image_wrap(hs_ctx *ctx, hs_image **out, const uint8_t *pixels, uint32_t width,
                        uint32_t height, uint32_t stride, uint32_t ppi)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!pixels || stride < width || ppi > 10000 || width == 0 || height == 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "wrap needs pixels, a non-zero size, stride >= width and ppi <= 10000");
    hs_status s = image_shell(ctx, out, width, height, stride);
    if (s)
        return s;
    hs_image *img = *out;
    img->ppi = ppi;
    img->view = pixels;
    img->wrapped = 1;
    img->color = HS_IMAGE_COLOR_GREY;
    img->bits = 8;
    return HS_OK;
}

hs_status hs_image_from_rgb(hs_ctx *ctx, hs_image **out, const uint8_t *rgb, uint32_t width,
                            uint32_t height, uint32_t stride, uint32_t ppi)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!rgb || stride / 3 < width || ppi > 10000 || width == 0 || height == 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "from_rgb needs pixels, a non-zero size, stride >= 3*width and "
                         "ppi <= 10000");
    hs_image *img;
    hs_status s = hs__image_alloc(ctx, &img, width, height, 1);
    if (s)
        return s;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *src = rgb + (size_t)y * stride;
        memcpy(img->rgb + (size_t)y * width * 3, src, (size_t)width * 3);
        for (uint32_t x = 0; x < width; x++)
            img->grey[(size_t)y * width + x] = hs__luma(src[3 * x], src[3 * x + 1], src[3 * x + 2]);
    }
    img->ppi = ppi;
    img->color = HS_IMAGE_COLOR_RGB;
    img->bits = 8;
    *out = img;
    return HS_OK;
}

uint32_t hs_image_width(const hs_image *img) { return img ? img->width : 0; }
uint32_t hs_image_height(const hs_image *img) { return img ? img->height : 0; }
uint32_t hs_image_stride(const hs_image *img) { return img ? img->stride : 0; }
uint32_t hs_image_ppi(const hs_image *img) { return img ? img->ppi : 0; }
const uint8_t *hs_image_pixels(const hs_image *img) { return img ? img->view : NULL; }
uint8_t *hs_image_pixels_mut(hs_image *img) { return img && !img->wrapped ? img->grey : NULL; }
const uint8_t *hs_image_rgb(const hs_image *img) { return img ? img->rgb : NULL; }

hs_status hs_image_set_ppi(hs_image *img, uint32_t ppi)
{
    if (!img || ppi > 10000)
        return HS_ERR_INVALID_ARG;
    img->ppi = ppi;
    return HS_OK;
}

/* First published size of hs_image_info (1.0); later releases only append. */
#define IMAGE_INFO_SIZE_1_0 HS__SIZE_TO(hs_image_info, has_rgb)

hs_status hs_image_get_info(const hs_image *img, hs_image_info *info)
{
    if (!img || !info)
        return HS_ERR_INVALID_ARG;
    /* hs__struct_out sets struct_size; the struct has no padding */
    hs_image_info all = {
        .width = img->width,
        .height = img->height,
        .ppi = img->ppi,
        .has_rgb = img->rgb != NULL,
        /* what the source file held */
        .format = img->format,
        .color = img->color,
        .bits_per_sample = img->bits,
    };
    return hs__struct_out(NULL, info, &all, sizeof all, IMAGE_INFO_SIZE_1_0, "hs_image_info");
}

const char *hs_image_format_name(uint32_t format)
{
    switch (format) {
    case HS_IMAGE_FORMAT_NONE: return "memory";
    case HS_IMAGE_FORMAT_PNG: return "png";
    case HS_IMAGE_FORMAT_JPEG: return "jpeg";
    case HS_IMAGE_FORMAT_TIFF: return "tiff";
    case HS_IMAGE_FORMAT_PNM: return "pnm";
    case HS_IMAGE_FORMAT_BMP: return "bmp";
    case HS_IMAGE_FORMAT_WSQ: return "wsq";
    case HS_IMAGE_FORMAT_JP2: return "jp2";
    default: return "unknown";
    }
}

hs_status hs_image_decode(hs_ctx *ctx, hs_image **out, const void *data, size_t size,
                          uint32_t flags)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!data && size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "data is NULL");
    if (flags & ~(HS_IMAGE_KEEP_COLOR | HS_IMAGE_WSQ_RESTORE))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "unknown flags 0x%x", flags);
    const uint8_t *p = (const uint8_t *)data;
    if (size < 2)
        return hs__error(ctx, HS_ERR_FORMAT, "%zu bytes are too few for an image", size);
    hs_status s;
    if (size >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
        s = hs__decode_png(ctx, out, p, size, flags);
    else if (hs__is_jp2(p, size))
        s = hs__decode_jp2(ctx, out, p, size, flags);
    else if (p[0] == 0xFF && p[1] == 0xA0)
        s = hs__decode_wsq(ctx, out, p, size, flags);
    else if (size >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        s = hs__decode_jpeg(ctx, out, p, size, flags);
    else if (size >= 4 && (!memcmp(p, "II*\0", 4) || !memcmp(p, "MM\0*", 4) ||
                           !memcmp(p, "II+\0", 4) || !memcmp(p, "MM\0+", 4)))
        s = hs__decode_tiff(ctx, out, p, size, flags);
    else if (p[0] == 'P' && p[1] >= '1' && p[1] <= '6')
        s = hs__decode_pnm(ctx, out, p, size, flags);
    else if (p[0] == 'B' && p[1] == 'M')
        s = hs__decode_bmp(ctx, out, p, size, flags);
    else
        return hs__error(ctx, HS_ERR_FORMAT,
                         "not a PNG, JPEG, TIFF, PNM, BMP, WSQ or JPEG 2000 image (first bytes %02x %02x)",
                         p[0], p[1]);
    if (s != HS_OK) {
        hs_image_free(*out);
        *out = NULL;
    }
    return s;
}

static hs_status decode_loaded(hs_ctx *ctx, void *out, const uint8_t *data, size_t size,
                               const void *flags)
{
    return hs_image_decode(ctx, out, data, size, *(const uint32_t *)flags);
}

hs_status hs_image_load(hs_ctx *ctx, hs_image **out, const char *path, uint32_t flags)
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    return hs__load_file(ctx, out, path, decode_loaded, &flags);
}
