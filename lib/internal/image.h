/* Internal layout of hs_image and the decoder entry points. */
#ifndef HOTSPOT_INTERNAL_IMAGE_H
#define HOTSPOT_INTERNAL_IMAGE_H

#include "hotspot/image.h"
#include "internal/core.h"

struct hs_image {
    hs_allocator alloc;
    uint32_t width, height, stride, ppi;
    uint32_t format, color, bits;
    uint8_t *grey;        /* owned unless wrapped */
    const uint8_t *view;  /* pixels seen by readers (grey or wrapped) */
    uint8_t *rgb;         /* owned, optional, stride 3*width */
    int wrapped;
};

/* Allocate an owned image of w x h (grey, and RGB when want_rgb), checking
 * the context limits. */
hs_status hs__image_alloc(hs_ctx *ctx, hs_image **out, uint32_t w, uint32_t h,
                          int want_rgb);

/* Check dimensions against the context limits. */
hs_status hs__image_check_size(hs_ctx *ctx, uint64_t w, uint64_t h);

/* Refuse (HS_ERR_TRUNCATED) a header that declares more raw sample bits
 * (w*h*sample_bits) than @p input_size bytes of @p format can carry at its
 * highest possible compression ratio @p max_ratio (limits.c gives why). */
hs_status hs__image_check_ratio(hs_ctx *ctx, const char *format, uint64_t w, uint64_t h,
                                uint64_t sample_bits, size_t input_size, uint64_t max_ratio);

/* BT.601 luma in integers. */
static inline uint8_t hs__luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((299u * r + 587u * g + 114u * b + 500u) / 1000u);
}

/* Per-format decoders: data/size hold the whole file. */
hs_status hs__decode_png(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size, uint32_t flags);
hs_status hs__decode_jpeg(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size, uint32_t flags);
hs_status hs__decode_tiff(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size, uint32_t flags);
hs_status hs__decode_pnm(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size, uint32_t flags);
hs_status hs__decode_wsq(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size, uint32_t flags);
/* A WSQ stream's frame header, read without decoding: the SOF's size,
 * encoder number and software implementation number, and the PPI of a
 * NISTCOM comment before it (0 = none). */
typedef struct hs__wsq_header {
    uint32_t width, height, encoder, software, ppi;
} hs__wsq_header;
hs_status hs__wsq_read_header(hs_ctx *ctx, hs__wsq_header *h, const uint8_t *data, size_t size);
/* JP2 signature box or a raw codestream's SOC + SIZ. */
int hs__is_jp2(const uint8_t *p, size_t n);
hs_status hs__decode_jp2(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size, uint32_t flags);

/* Per-format encoders of the grey plane, appending to w (an allocating
 * writer); hs_image_encode() checks the arguments. */
hs_status hs__encode_png(hs_ctx *ctx, hs__writer *w, const hs_image *img);
hs_status hs__encode_jpeg(hs_ctx *ctx, hs__writer *w, const hs_image *img, int quality);
/* restart > 0: a restart marker every restart symbols (for tests). */
hs_status hs__encode_wsq(hs_ctx *ctx, hs__writer *w, const hs_image *img, double rate,
                         uint32_t restart);
/* JPEG 2000: lossless (5/3) or lossy 9/7 at ratio:1; codestream: a raw
 * J2K codestream instead of a JP2 file. */
hs_status hs__encode_jp2(hs_ctx *ctx, hs__writer *w, const hs_image *img, int lossless,
                         double ratio, int codestream);
hs_status hs__decode_bmp(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size, uint32_t flags);

#endif
