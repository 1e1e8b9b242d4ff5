/* hs_image_encode / hs_image_save: options, format choice, the PGM and BMP
 * writers; the other formats live beside their decoders. */
#include "internal/image.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The first published size of hs_image_encode_options (release 1.0); later
 * releases only append. */
#define ENCODE_OPTIONS_SIZE_1_0 HS__SIZE_TO(hs_image_encode_options, jpeg_quality)

/* Options as given, or the defaults: fields beyond a caller's (older)
 * struct_size keep their defaults; a newer caller's fields this library
 * does not know must be zero (hs__struct_in). */
static hs_status read_options(hs_ctx *ctx, hs_image_encode_options *o,
                              const hs_image_encode_options *in)
{
    hs_image_encode_options def = HS_IMAGE_ENCODE_OPTIONS_INIT;
    *o = def;
    if (!in)
        return HS_OK;
    hs_status st = hs__struct_in(ctx, o, sizeof *o, in, ENCODE_OPTIONS_SIZE_1_0,
                                 "hs_image_encode_options");
    if (st)
        return st;
    if (!(o->wsq_bitrate >= 0.1f && o->wsq_bitrate <= 8.0f))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "wsq_bitrate %g outside [0.1, 8]",
                         (double)o->wsq_bitrate);
    if (o->jp2_lossless > 1)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "jp2_lossless %u is not 0 or 1",
                         o->jp2_lossless);
    if (!(o->jp2_ratio >= 1.0f && o->jp2_ratio <= 1000.0f))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "jp2_ratio %g outside [1, 1000]",
                         (double)o->jp2_ratio);
    if (o->jpeg_quality < 1 || o->jpeg_quality > 100)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "jpeg_quality %u outside [1, 100]",
                         o->jpeg_quality);
    return HS_OK;
}

/* Binary PGM (P5). */
static hs_status encode_pgm(hs__writer *w, const hs_image *img)
{
    char head[64];
    int n = snprintf(head, sizeof head, "P5\n%u %u\n255\n", img->width, img->height);
    hs__wr_bytes(w, head, (size_t)n);
    for (uint32_t y = 0; y < img->height; y++)
        hs__wr_bytes(w, img->view + (size_t)y * img->stride, img->width);
    return HS_OK;
}

/* 8-bit BMP with a grey palette, rows bottom-up padded to 4 bytes. */
static hs_status encode_bmp(hs_ctx *ctx, hs__writer *w, const hs_image *img)
{
    uint64_t row = ((uint64_t)img->width + 3u) & ~(uint64_t)3u;
    uint64_t pixels = row * img->height, off = 14u + 40u + 1024u;
    if (off + pixels > 0xFFFFFFFFu)
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "BMP: a %ux%u image exceeds 4 GiB",
                         img->width, img->height);
    uint32_t ppm = (uint32_t)((double)img->ppi / 0.0254 + 0.5);
    hs__wr_bytes(w, "BM", 2);
    hs__wr_le32(w, (uint32_t)(off + pixels));
    hs__wr_le32(w, 0);
    hs__wr_le32(w, (uint32_t)off);
    hs__wr_le32(w, 40);
    hs__wr_le32(w, img->width);
    hs__wr_le32(w, img->height); /* positive: bottom-up */
    hs__wr_le16(w, 1);
    hs__wr_le16(w, 8);
    hs__wr_le32(w, 0); /* BI_RGB */
    hs__wr_le32(w, (uint32_t)pixels);
    hs__wr_le32(w, ppm);
    hs__wr_le32(w, ppm);
    hs__wr_le32(w, 256);
    hs__wr_le32(w, 0);
    for (uint32_t i = 0; i < 256; i++) {
        uint8_t q[4] = {(uint8_t)i, (uint8_t)i, (uint8_t)i, 0};
        hs__wr_bytes(w, q, 4);
    }
    static const uint8_t zeros[4] = {0, 0, 0, 0};
    for (uint32_t y = img->height; y-- > 0;) {
        hs__wr_bytes(w, img->view + (size_t)y * img->stride, img->width);
        hs__wr_bytes(w, zeros, (size_t)(row - img->width));
    }
    return HS_OK;
}

static hs_status encode_to(hs_ctx *ctx, hs__writer *w, const hs_image *img, uint32_t format,
                           const hs_image_encode_options *opts, int codestream)
{
    if (!img)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "image is NULL");
    hs_image_encode_options o;
    hs_status s = read_options(ctx, &o, opts);
    if (s)
        return s;
    switch (format) {
    case HS_IMAGE_FORMAT_PNG: return hs__encode_png(ctx, w, img);
    case HS_IMAGE_FORMAT_WSQ: return hs__encode_wsq(ctx, w, img, (double)o.wsq_bitrate, 0);
    case HS_IMAGE_FORMAT_JP2:
        return hs__encode_jp2(ctx, w, img, (int)o.jp2_lossless, (double)o.jp2_ratio,
                              codestream);
    case HS_IMAGE_FORMAT_JPEG: return hs__encode_jpeg(ctx, w, img, (int)o.jpeg_quality);
    case HS_IMAGE_FORMAT_PNM: return encode_pgm(w, img);
    case HS_IMAGE_FORMAT_BMP: return encode_bmp(ctx, w, img);
    case HS_IMAGE_FORMAT_TIFF:
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "TIFF is read but not written");
    default:
        return hs__error(ctx, HS_ERR_INVALID_ARG, "unknown image format %u", format);
    }
}

hs_status hs_image_encode(hs_ctx *ctx, void *buf, size_t *size, const hs_image *img,
                          uint32_t format, const hs_image_encode_options *opts)
{
    if (!size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "size is NULL");
    hs__writer w;
    hs__writer_init(&w, hs__ctx_allocator(ctx));
    hs_status s = encode_to(ctx, &w, img, format, opts, 0);
    if (!s && w.failed)
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory while encoding");
    if (!s)
        s = hs__writer_output(ctx, &w, buf, size);
    hs__writer_free(&w);
    return s;
}

static const struct {
    const char *ext;
    uint32_t format;
    int codestream;
} extensions[] = {
    {".png", HS_IMAGE_FORMAT_PNG, 0},  {".wsq", HS_IMAGE_FORMAT_WSQ, 0},
    {".jp2", HS_IMAGE_FORMAT_JP2, 0},  {".j2k", HS_IMAGE_FORMAT_JP2, 1},
    {".j2c", HS_IMAGE_FORMAT_JP2, 1},  {".jpg", HS_IMAGE_FORMAT_JPEG, 0},
    {".jpeg", HS_IMAGE_FORMAT_JPEG, 0}, {".pgm", HS_IMAGE_FORMAT_PNM, 0},
    {".pnm", HS_IMAGE_FORMAT_PNM, 0},  {".bmp", HS_IMAGE_FORMAT_BMP, 0},
    {".tif", HS_IMAGE_FORMAT_TIFF, 0}, {".tiff", HS_IMAGE_FORMAT_TIFF, 0},
};

hs_status hs_image_save(hs_ctx *ctx, const char *path, const hs_image *img, uint32_t format,
                        const hs_image_encode_options *opts)
{
    if (!path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "path is NULL");
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && slash && dot < slash)
        dot = NULL;
    int codestream = 0;
    int known = 0;
    for (size_t i = 0; dot && i < sizeof extensions / sizeof extensions[0]; i++)
        if (!strcasecmp(dot, extensions[i].ext)) {
            if (format == 0)
                format = extensions[i].format;
            if (format == extensions[i].format)
                codestream = extensions[i].codestream;
            known = 1;
            break;
        }
    if (format == 0)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "%s: no format given and the extension %s is not one of .png .wsq "
                         ".jp2 .j2k .j2c .jpg .jpeg .pgm .pnm .bmp",
                         path, known || !dot ? "(none)" : dot);
    hs__writer w;
    hs__writer_init(&w, hs__ctx_allocator(ctx));
    hs_status s = encode_to(ctx, &w, img, format, opts, codestream);
    if (!s && w.failed)
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory while encoding");
    if (!s)
        s = hs__write_file_atomic(ctx, path, w.buf, w.len, HS_FILE_PRIVATE);
    hs__writer_free(&w);
    return s;
}
