/* JPEG decoding through libjpeg-turbo, from memory. libjpeg's error exit
 * long-jumps back here and its messages go into the context. */
#include "internal/image.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    int first_warning; /* msg_code of the first corrupt-data warning, or -1 */
    int bad_warnings;  /* corrupt-data warnings other than extraneous bytes */
};

/* A progressive file with thousands of tiny scans costs minutes of CPU; no
 * real encoder writes more than a few dozen (libjpeg-turbo's TurboJPEG API
 * stops at 500 as well). */
#define MAX_SCANS 500

struct jprogress {
    struct jpeg_progress_mgr pub;
    struct jerr *err;
};

static void on_progress(j_common_ptr cinfo)
{
    if (!cinfo->is_decompressor)
        return;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > MAX_SCANS) {
        struct jerr *e = (struct jerr *)cinfo->err;
        snprintf(e->msg, sizeof e->msg, "more than %d scans", MAX_SCANS);
        longjmp(e->jb, 2);
    }
}

static void on_error_exit(j_common_ptr cinfo)
{
    struct jerr *e = (struct jerr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    int code = cinfo->err->msg_code;
    if (code == JERR_NO_BACKING_STORE)
        snprintf(e->msg, sizeof e->msg, "needs more memory than the pixel limit allows");
    /* valid files this build cannot decode: 12/16-bit, lossless, ... */
    int unsupported = code == JERR_BAD_PRECISION || code == JERR_SOF_UNSUPPORTED ||
                      code == JERR_NOT_COMPILED || code == JERR_CONVERSION_NOTIMPL;
    longjmp(e->jb, code == JERR_OUT_OF_MEMORY      ? 3
                   : code == JERR_NO_BACKING_STORE ? 2
                   : unsupported                   ? 4
                                                   : 1);
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void on_emit_message(j_common_ptr cinfo, int level)
{
    /* Level -1 is a corrupt-data warning. libjpeg would carry on and fill
     * the damaged part with grey, which is no use for biometrics: the decode
     * fails afterwards, as HS_ERR_TRUNCATED when the first sign of trouble
     * was the end of the data. Extraneous bytes before a marker are common
     * in camera files and harmless. */
    if (level >= 0)
        return;
    struct jerr *e = (struct jerr *)cinfo->err;
    int code = cinfo->err->msg_code;
    if (e->first_warning < 0) {
        e->first_warning = code;
        (*cinfo->err->format_message)(cinfo, e->msg);
    }
    if (code != JWRN_EXTRANEOUS_DATA)
        e->bad_warnings++;
}

/* An error manager that longjmps to e->jb with the message kept in e->msg
 * and prints nothing. */
static struct jpeg_error_mgr *jerr_init(struct jerr *e)
{
    memset(e, 0, sizeof *e);
    struct jpeg_error_mgr *m = jpeg_std_error(&e->pub);
    e->pub.error_exit = on_error_exit;
    e->pub.output_message = on_output_message;
    e->first_warning = -1;
    return m;
}

static hs_status failure_status(const struct jerr *e, int jump)
{
    if (jump == 3)
        return HS_ERR_NOMEM;
    if (jump == 2)
        return HS_ERR_LIMIT;
    if (jump == 4)
        return HS_ERR_UNSUPPORTED;
    return e->first_warning == JWRN_JPEG_EOF ? HS_ERR_TRUNCATED : HS_ERR_CORRUPT;
}

hs_status hs__decode_jpeg(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size,
                          uint32_t flags)
{
    *out = NULL;
    struct jpeg_decompress_struct cinfo;
    struct jerr err;
    cinfo.err = jerr_init(&err);
    err.pub.emit_message = on_emit_message;
    struct jprogress prog;
    memset(&prog, 0, sizeof prog);
    prog.pub.progress_monitor = on_progress;
    prog.err = &err;
    hs_image *volatile img = NULL;
    int jump = setjmp(err.jb);
    if (jump) {
        hs_image_free(img);
        jpeg_destroy_decompress(&cinfo);
        return hs__error(ctx, failure_status(&err, jump), "JPEG: %s", err.msg);
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &prog.pub;
    /* Progressive files buffer every coefficient (2 bytes per sample, up
     * to 3 samples a pixel); beyond that budget libjpeg stops with "no
     * backing store" instead of allocating what a hostile header asks. */
    uint64_t budget = hs__limit(ctx, HS_LIMIT_MAX_PIXELS) * 8u + (16u << 20);
    cinfo.mem->max_memory_to_use = budget > (uint64_t)LONG_MAX ? LONG_MAX : (long)budget;
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
    /* Huffman coding spends at least one bit on every 8x8 block of the
     * first component (its DC difference, in baseline and in the first
     * progressive scan): a complete file holds at most 512 pixels a byte,
     * counted here as 8 bits of samples. Progressive files allocate every
     * coefficient up front, so a 633-byte file declaring 64 Mpx cost 450 MB.
     * Arithmetic coding can go below a bit a block; the memory budget
     * above still bounds it. */
    if (!s && !cinfo.arith_code)
        s = hs__image_check_ratio(ctx, "JPEG", cinfo.image_width, cinfo.image_height, 8, size,
                                  512);
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
    if (cinfo.output_scanline < h || err.bad_warnings) {
        hs_image_free(im);
        img = NULL;
        jpeg_destroy_decompress(&cinfo);
        if (!err.bad_warnings)
            return hs__error(ctx, HS_ERR_TRUNCATED, "JPEG: image data ends early");
        return hs__error(ctx, failure_status(&err, 1), "JPEG: %s", err.msg);
    }
    if (color == HS_IMAGE_COLOR_RGB) {
        const uint8_t *rgb = im->rgb;
        for (size_t i = 0; i < (size_t)w * h; i++)
            im->grey[i] = hs__luma(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
        if (!want_rgb) {
            hs__free_wiped(&im->alloc, im->rgb, (size_t)w * h * 3);
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
    /* Reading to EOI may still reveal a damaged tail. */
    jpeg_finish_decompress(&cinfo);
    if (err.bad_warnings) {
        hs_image_free(im);
        img = NULL;
        jpeg_destroy_decompress(&cinfo);
        return hs__error(ctx, failure_status(&err, 1), "JPEG: %s", err.msg);
    }
    jpeg_destroy_decompress(&cinfo);
    im->format = HS_IMAGE_FORMAT_JPEG;
    im->color = color;
    im->bits = 8;
    *out = im;
    return HS_OK;
}

/* ---- encoding ------------------------------------------------------------ */

struct jdest {
    struct jpeg_destination_mgr pub;
    hs__writer *w;
    JOCTET buf[4096];
};

static void dest_init(j_compress_ptr c)
{
    struct jdest *d = (struct jdest *)c->dest;
    d->pub.next_output_byte = d->buf;
    d->pub.free_in_buffer = sizeof d->buf;
}

static boolean dest_empty(j_compress_ptr c)
{
    struct jdest *d = (struct jdest *)c->dest;
    hs__wr_bytes(d->w, d->buf, sizeof d->buf);
    if (d->w->failed)
        ERREXIT(c, JERR_OUT_OF_MEMORY);
    d->pub.next_output_byte = d->buf;
    d->pub.free_in_buffer = sizeof d->buf;
    return TRUE;
}

static void dest_term(j_compress_ptr c)
{
    struct jdest *d = (struct jdest *)c->dest;
    hs__wr_bytes(d->w, d->buf, sizeof d->buf - d->pub.free_in_buffer);
}

hs_status hs__encode_jpeg(hs_ctx *ctx, hs__writer *w, const hs_image *img, int quality)
{
    if (img->width > 65500 || img->height > 65500)
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "JPEG: %ux%u exceeds 65500 pixels a side",
                         img->width, img->height);
    struct jpeg_compress_struct cinfo;
    struct jerr err;
    cinfo.err = jerr_init(&err);
    struct jdest dest;
    memset(&dest, 0, sizeof dest);
    dest.w = w;
    int jump = setjmp(err.jb);
    if (jump) {
        jpeg_destroy_compress(&cinfo);
        return hs__error(ctx, jump == 3 || w->failed ? HS_ERR_NOMEM : HS_ERR_INTERNAL,
                         "JPEG: %s", err.msg);
    }
    jpeg_create_compress(&cinfo);
    dest.pub.init_destination = dest_init;
    dest.pub.empty_output_buffer = dest_empty;
    dest.pub.term_destination = dest_term;
    cinfo.dest = &dest.pub;
    cinfo.image_width = img->width;
    cinfo.image_height = img->height;
    cinfo.input_components = 1;
    cinfo.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (img->ppi && img->ppi <= 65535) {
        cinfo.write_JFIF_header = TRUE;
        cinfo.density_unit = 1;
        cinfo.X_density = cinfo.Y_density = (UINT16)img->ppi;
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(img->view + (size_t)cinfo.next_scanline * img->stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return HS_OK;
}
