/* PNG decoding and encoding through libpng, from and to memory. libpng's
 * errors long-jump back here and are recorded in the context; nothing is
 * printed. */
#include "internal/image.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

struct png_io {
    hs_ctx *ctx;
    const uint8_t *data;
    size_t size;
    size_t pos;
    char msg[160];
    int truncated;
    int nomem;
};

static void on_error(png_structp png, png_const_charp msg)
{
    struct png_io *io = (struct png_io *)png_get_error_ptr(png);
    if (io && !io->msg[0])
        snprintf(io->msg, sizeof io->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void mem_read(png_structp png, png_bytep out, size_t n)
{
    struct png_io *io = (struct png_io *)png_get_io_ptr(png);
    if (n > io->size - io->pos) {
        io->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, io->data + io->pos, n);
    io->pos += n;
}

static void *png_alloc(png_structp png, png_alloc_size_t n)
{
    const hs_allocator *a = (const hs_allocator *)png_get_mem_ptr(png);
    void *p = hs__malloc(a, n);
    struct png_io *io = (struct png_io *)png_get_error_ptr(png);
    if (!p && io)
        io->nomem = 1;
    return p;
}

static void png_dealloc(png_structp png, png_voidp p)
{
    const hs_allocator *a = (const hs_allocator *)png_get_mem_ptr(png);
    hs__free(a, p);
}

/* libpng's read or write struct on the context's allocator, with its info
 * struct; on failure nothing is left to free. */
static hs_status png_begin(hs_ctx *ctx, struct png_io *io, int write, png_structp *png,
                           png_infop *info)
{
    png_voidp a = (png_voidp)hs__ctx_allocator(ctx);
    *png = write ? png_create_write_struct_2(PNG_LIBPNG_VER_STRING, io, on_error, on_warning, a,
                                             png_alloc, png_dealloc)
                 : png_create_read_struct_2(PNG_LIBPNG_VER_STRING, io, on_error, on_warning, a,
                                            png_alloc, png_dealloc);
    *info = *png ? png_create_info_struct(*png) : NULL;
    if (*info)
        return HS_OK;
    if (write)
        png_destroy_write_struct(png, NULL);
    else
        png_destroy_read_struct(png, NULL, NULL);
    return hs__error(ctx, HS_ERR_NOMEM, "PNG: out of memory");
}

hs_status hs__decode_png(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size,
                         uint32_t flags)
{
    *out = NULL;
    struct png_io io;
    memset(&io, 0, sizeof io);
    io.ctx = ctx;
    io.data = data;
    io.size = size;
    png_structp png;
    png_infop info;
    hs_status st = png_begin(ctx, &io, 0, &png, &info);
    if (st)
        return st;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    /* volatile: modified between setjmp and a possible longjmp */
    hs_image *volatile img = NULL;
    uint8_t *volatile row = NULL;
    if (setjmp(png_jmpbuf(png))) {
        hs_image_free(img);
        hs__free(a, row);
        png_destroy_read_struct(&png, &info, NULL);
        return hs__error(ctx, io.nomem      ? HS_ERR_NOMEM
                              : io.truncated ? HS_ERR_TRUNCATED
                                             : HS_ERR_CORRUPT,
                         "PNG: %s", io.msg[0] ? io.msg : "decode error");
    }
    /* Dimensions are checked against the context after the header, so
     * that they give HS_ERR_LIMIT rather than a libpng error; libpng's own
     * caps are opened to the PNG maximum. Ancillary chunks are capped so a
     * hostile zTXt/iCCP cannot make libpng allocate much. */
    png_set_user_limits(png, 0x7fffffffu, 0x7fffffffu);
    png_set_chunk_cache_max(png, 1000);
    png_set_chunk_malloc_max(png, 8u << 20);
    /* libpng buffers a whole ancillary chunk before parsing it, and an
     * oversized length is only a "benign" error, so a 1.6 GB sPLT header
     * in a 50-byte file made it allocate 1.6 GB (found by fuzz_png). Only
     * pHYs and tRNS matter here: every other ancillary chunk, known or
     * not, is skipped unread. */
    static const png_byte skip[] = "bKGD\0cHRM\0eXIf\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0"
                                   "pCAL\0sCAL\0sBIT\0sPLT\0sRGB\0sTER\0tEXt\0tIME\0zTXt";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, skip, (int)(sizeof skip / 5));
    png_set_read_fn(png, &io, mem_read);
    png_read_info(png, info);

    png_uint_32 w = png_get_image_width(png, info);
    png_uint_32 h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info);
    int ctype = png_get_color_type(png, info);
    hs_status s = hs__image_check_size(ctx, w, h);
    /* Deflate cannot expand a byte into more than 1032 (258-byte matches of
     * at least 2 bits each), and every row carries a filter byte; an
     * interlaced image is buffered whole before its last pass arrives, so
     * a 6 KB file declaring 64 Mpx made libpng and us allocate 200 MB. */
    if (!s)
        s = hs__image_check_ratio(ctx, "PNG", w, h,
                                  (uint64_t)depth * (uint64_t)png_get_channels(png, info),
                                  io.size, 1032);
    if (s) {
        png_destroy_read_struct(&png, &info, NULL);
        return s;
    }
    uint32_t color;
    switch (ctype) {
    case PNG_COLOR_TYPE_GRAY: color = HS_IMAGE_COLOR_GREY; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: color = HS_IMAGE_COLOR_GREY_ALPHA; break;
    case PNG_COLOR_TYPE_PALETTE: color = HS_IMAGE_COLOR_PALETTE; break;
    case PNG_COLOR_TYPE_RGB: color = HS_IMAGE_COLOR_RGB; break;
    default: color = HS_IMAGE_COLOR_RGB_ALPHA; break;
    }
    /* Normalise everything to 8-bit RGB or grey without alpha. */
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_strip_16(png);
    /* Also after a palette or grey tRNS expansion adds an alpha channel. */
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if ((channels != 1 && channels != 3) || rowbytes != (size_t)w * (size_t)channels) {
        png_destroy_read_struct(&png, &info, NULL);
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "PNG: unexpected layout after conversion");
    }
    int want_rgb = (flags & HS_IMAGE_KEEP_COLOR) && channels == 3;
    hs_image *im;
    s = hs__image_alloc(ctx, &im, w, h, want_rgb);
    if (s) {
        png_destroy_read_struct(&png, &info, NULL);
        return s;
    }
    img = im;
    if (channels == 1) {
        png_bytep *rows = hs__malloc(a, (size_t)h * sizeof(png_bytep));
        if (!rows) {
            hs_image_free(im);
            png_destroy_read_struct(&png, &info, NULL);
            return hs__error(ctx, HS_ERR_NOMEM, "PNG: out of memory");
        }
        for (png_uint_32 y = 0; y < h; y++)
            rows[y] = im->grey + (size_t)y * w;
        row = (uint8_t *)rows;
        png_read_image(png, rows);
    } else {
        /* Decode RGB into the rgb plane (or a scratch buffer), then luma. */
        uint8_t *rgb = want_rgb ? im->rgb : hs__malloc(a, (size_t)w * h * 3);
        png_bytep *rows = hs__malloc(a, (size_t)h * sizeof(png_bytep));
        if (!rgb || !rows) {
            if (!want_rgb)
                hs__free(a, rgb);
            hs__free(a, rows);
            hs_image_free(im);
            png_destroy_read_struct(&png, &info, NULL);
            return hs__error(ctx, HS_ERR_NOMEM, "PNG: out of memory");
        }
        if (!want_rgb) {
            /* free the scratch plane on the error path through img->rgb */
            im->rgb = rgb;
        }
        for (png_uint_32 y = 0; y < h; y++)
            rows[y] = rgb + (size_t)y * w * 3;
        row = (uint8_t *)rows;
        png_read_image(png, rows);
        for (size_t i = 0; i < (size_t)w * h; i++)
            im->grey[i] = hs__luma(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
        if (!want_rgb) {
            hs__free(a, rgb);
            im->rgb = NULL;
        }
    }
    png_read_end(png, NULL);
    hs__free(a, row);
    row = NULL;

    png_uint_32 rx, ry;
    int unit;
    if (png_get_pHYs(png, info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER) {
        double ppi = (double)rx * 0.0254;
        if (ppi >= 1.0 && ppi <= 10000.0)
            im->ppi = (uint32_t)(ppi + 0.5);
    }
    png_destroy_read_struct(&png, &info, NULL);
    im->format = HS_IMAGE_FORMAT_PNG;
    im->color = color;
    im->bits = (uint32_t)depth;
    *out = im;
    return HS_OK;
}

/* ---- encoding ---------------------------------------------------------- */

static void mem_write(png_structp png, png_bytep src, size_t n)
{
    hs__writer *w = (hs__writer *)png_get_io_ptr(png);
    hs__wr_bytes(w, src, n);
    if (w->failed)
        png_error(png, "out of memory");
}

static void mem_flush(png_structp png) { (void)png; }

hs_status hs__encode_png(hs_ctx *ctx, hs__writer *w, const hs_image *img)
{
    struct png_io io;
    memset(&io, 0, sizeof io);
    png_structp png;
    png_infop info;
    hs_status st = png_begin(ctx, &io, 1, &png, &info);
    if (st)
        return st;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return hs__error(ctx, w->failed || io.nomem ? HS_ERR_NOMEM : HS_ERR_INTERNAL, "PNG: %s",
                         io.msg[0] ? io.msg : "encode error");
    }
    png_set_write_fn(png, w, mem_write, mem_flush);
    png_set_IHDR(png, info, img->width, img->height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    if (img->ppi) {
        png_uint_32 ppm = (png_uint_32)((double)img->ppi / 0.0254 + 0.5);
        png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
    }
    png_write_info(png, info);
    for (uint32_t y = 0; y < img->height; y++)
        png_write_row(png, img->view + (size_t)y * img->stride);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return HS_OK;
}
