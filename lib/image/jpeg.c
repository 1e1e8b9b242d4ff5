/* JPEG decoding through libjpeg-turbo, from memory. libjpeg's error exit
 * long-jumps back here and its messages go into the context. */
#include "internal/image.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>

struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
};

static void on_error_exit(j_common_ptr cinfo)
{
    struct jerr *e = (struct jerr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jb, 1);
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void on_emit_message(j_common_ptr cinfo, int level)
{
    /* Corrupt-data warnings (level -1) are counted by libjpeg; they do not
     * stop decoding, which matches how viewers treat such files. */
    (void)cinfo;
    (void)level;
}

hs_status hs__decode_jpeg(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size,
                          uint32_t flags)
{
    *out = NULL;
    struct jpeg_decompress_struct cinfo;
    struct jerr err;
    memset(&err, 0, sizeof err);
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error_exit;
    err.pub.output_message = on_output_message;
    err.pub.emit_message = on_emit_message;
    hs_image *volatile img = NULL;
    if (setjmp(err.jb)) {
        hs_image_free(img);
        jpeg_destroy_decompress(&cinfo);
        return hs__error(ctx, HS_ERR_CORRUPT, "JPEG: %s", err.msg);
    }
    jpeg_create_decompress(&cinfo);
    if (size > (size_t)(unsigned long)-1)
        size = (size_t)(unsigned long)-1;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    uint32_t color;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: color = HS_IMAGE_COLOR_GREY; break;
    case JCS_RGB:
    case JCS_YCbCr: color = HS_IMAGE_COLOR_RGB; break;
    default:
        jpeg_destroy_decompress(&cinfo);
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "JPEG: colour space %d (CMYK/YCCK)",
                         (int)cinfo.jpeg_color_space);
    }
    hs_status s = hs__image_check_size(ctx, cinfo.image_width, cinfo.image_height);
    if (s) {
        jpeg_destroy_decompress(&cinfo);
        return s;
    }
    int want_rgb = (flags & HS_IMAGE_KEEP_COLOR) && color == HS_IMAGE_COLOR_RGB;
    cinfo.out_color_space = color == HS_IMAGE_COLOR_GREY ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    uint32_t w = cinfo.output_width, h = cinfo.output_height;
    hs_image *im;
    s = hs__image_alloc(ctx, &im, w, h, color == HS_IMAGE_COLOR_RGB);
    if (s) {
        jpeg_destroy_decompress(&cinfo);
        return s;
    }
    img = im;
    while (cinfo.output_scanline < h) {
        JDIMENSION y = cinfo.output_scanline;
        JSAMPROW row = color == HS_IMAGE_COLOR_GREY ? im->grey + (size_t)y * w
                                                    : im->rgb + (size_t)y * w * 3;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1)
            break;
    }
    if (cinfo.output_scanline < h) {
        hs_image_free(im);
        jpeg_destroy_decompress(&cinfo);
        return hs__error(ctx, HS_ERR_TRUNCATED, "JPEG: image data ends early");
    }
    if (color == HS_IMAGE_COLOR_RGB) {
        const uint8_t *rgb = im->rgb;
        for (size_t i = 0; i < (size_t)w * h; i++)
            im->grey[i] = hs__luma(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
        if (!want_rgb) {
            hs__memzero(im->rgb, (size_t)w * h * 3);
            hs__free(&im->alloc, im->rgb);
            im->rgb = NULL;
        }
    }
    if (cinfo.saw_JFIF_marker && cinfo.X_density > 0) {
        double ppi = cinfo.density_unit == 1   ? cinfo.X_density
                     : cinfo.density_unit == 2 ? cinfo.X_density * 2.54
                                               : 0.0;
        if (ppi >= 1.0 && ppi <= 10000.0)
            im->ppi = (uint32_t)(ppi + 0.5);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    im->format = HS_IMAGE_FORMAT_JPEG;
    im->color = color;
    im->bits = 8;
    *out = im;
    return HS_OK;
}
