/*
 * libhotspot - image.h: decoded images (8-bit grey, optionally RGB) with
 * their resolution.
 *
 * Formats read: PNG (libpng), JPEG (libjpeg-turbo), TIFF (libtiff: grey,
 * palette, RGB; uncompressed, LZW, Deflate, PackBits; strips and tiles),
 * PGM/PPM/PBM (binary and ASCII), BMP (1/4/8/24/32-bit, uncompressed and
 * RLE8/RLE4), FBI WSQ (our own codec, IAFIS-IC-0110 v3.1: every marker,
 * restart intervals, up to eight Huffman tables; odd-length filters), JPEG
 * 2000 (OpenJPEG: JP2 files and raw J2K codestreams, grey or RGB, up to 16
 * bits). Formats are detected by content, never by file name.
 *
 * Formats written (hs_image_encode): PNG, WSQ, JPEG 2000 (lossless and
 * lossy), JPEG, PGM, BMP; always the 8-bit grey plane.
 *
 * Colour to grey: ITU-R BT.601 luma, Y = (299 R + 587 G + 114 B + 500) / 1000,
 * computed in integers; alpha is ignored. 16-bit samples keep their high byte.
 *
 * Damaged data is refused, never patched: a JPEG with corrupt entropy data,
 * a TIFF strip that cannot be read or a file that ends early gives an error
 * (HS_ERR_CORRUPT / HS_ERR_TRUNCATED) rather than an image with grey fill.
 * Colour management is not applied (PNG gAMA/iCCP, JPEG/TIFF ICC profiles
 * and EXIF orientation are ignored); only the first TIFF directory is read.
 *
 * Resolution: read from the file when it says (PNG pHYs, JPEG JFIF density,
 * TIFF X/YResolution with ResolutionUnit, BMP pels-per-metre, the "PPI"
 * line of a WSQ file's NISTCOM comment) and rounded to whole pixels per
 * inch; 0 means "unknown" (always for JPEG 2000). Callers may override it.
 *
 * Thread-safety (the phrases of docs/conventions.md, section 8): an hs_image
 * is not modified by any function taking it as const, so those (accessors,
 * info, encode, save) are "Concurrent readers"; setting the resolution,
 * taking writable pixels and freeing are "Exclusive"; the constructors
 * (load, decode, wrap, new, from_rgb) are "One thread per object", the
 * object being their ctx; the format-name lookup is "Thread-safe". A ctx
 * records the last error, so threads calling at the same time pass distinct
 * contexts.
 */
#ifndef HOTSPOT_IMAGE_H
#define HOTSPOT_IMAGE_H

#include "hotspot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup image Image input
 *  @{ */

/** Opaque decoded image. */
typedef struct hs_image hs_image;

/** Source file formats (hs_image_info.format). Append only. */
#define HS_IMAGE_FORMAT_NONE 0 /**< wrapped or created in memory */
#define HS_IMAGE_FORMAT_PNG  1
#define HS_IMAGE_FORMAT_JPEG 2
#define HS_IMAGE_FORMAT_TIFF 3
#define HS_IMAGE_FORMAT_PNM  4
#define HS_IMAGE_FORMAT_BMP  5
#define HS_IMAGE_FORMAT_WSQ  6 /**< FBI WSQ (IAFIS-IC-0110 v3.1) */
#define HS_IMAGE_FORMAT_JP2  7 /**< JPEG 2000: JP2 file or raw J2K codestream */

/** Source colour types (hs_image_info.color). Append only. */
#define HS_IMAGE_COLOR_GREY    1
#define HS_IMAGE_COLOR_PALETTE 2
#define HS_IMAGE_COLOR_RGB     3
#define HS_IMAGE_COLOR_GREY_ALPHA 4
#define HS_IMAGE_COLOR_RGB_ALPHA  5

/** Decode flags. */
#define HS_IMAGE_KEEP_COLOR 0x1u /**< also keep an RGB copy of colour sources */
/** Restore low-rate WSQ streams for fingerprint extraction: a WSQ file below
 *  0.75 bit per pixel (file size over pixels) is decoded, then smoothed along its ridges where their
 *  direction is clear and brought back into the quantiser bins its indices
 *  name (one projection onto the file's constraints; docs/wsq.md,
 *  "Restoration"). The pixels are then no longer the specification's decode,
 *  so leave it off for conformance and re-encoding; other formats and WSQ
 *  files at or above 0.75 bit per pixel decode as without it. A restored decode
 *  takes about five times as long and four more float planes. @since 1.1 */
#define HS_IMAGE_WSQ_RESTORE 0x2u

/** What is known about an image. Grows at the end; set struct_size. */
typedef struct hs_image_info {
    uint32_t struct_size;      /**< sizeof(hs_image_info), set by the caller */
    uint32_t width;            /**< pixels */
    uint32_t height;           /**< pixels */
    uint32_t ppi;              /**< pixels per inch, 0 = unknown */
    uint32_t format;           /**< HS_IMAGE_FORMAT_* of the source */
    uint32_t color;            /**< HS_IMAGE_COLOR_* of the source */
    uint32_t bits_per_sample;  /**< of the source (1, 2, 4, 8, 16) */
    uint32_t has_rgb;          /**< 1 if hs_image_rgb() returns pixels */
} hs_image_info;

/** Initialiser: `hs_image_info info = HS_IMAGE_INFO_INIT;` @since 1.0 */
#define HS_IMAGE_INFO_INIT { sizeof(hs_image_info), 0, 0, 0, 0, 0, 0, 0 }

/** Decode an image file (read whole, as hs_file_read()), detecting its
 *  format by content. flags: 0 or HS_IMAGE_KEEP_COLOR and/or HS_IMAGE_WSQ_RESTORE. *out belongs to the
 *  caller (hs_image_free()), keeps the ctx's allocator and may outlive ctx.
 *  Errors: HS_ERR_IO (cannot open or read, not a regular file),
 *  HS_ERR_FORMAT (not a known image), HS_ERR_TRUNCATED, HS_ERR_CORRUPT,
 *  HS_ERR_UNSUPPORTED (bit depth, compression), HS_ERR_LIMIT (image beyond
 *  the ctx's pixel or dimension limits, file beyond HS_LIMIT_MAX_FILE_BYTES,
 *  too many JPEG 2000 tiles), HS_ERR_NOMEM. On failure *out is NULL and
 *  nothing is left allocated. One thread per object. @since 1.0 */
HS_API hs_status hs_image_load(hs_ctx *ctx, hs_image **out, const char *path,
                               uint32_t flags);

/** Decode an image held in memory; @p data is only read and not kept. *out
 *  as for hs_image_load(). Errors: as hs_image_load() without HS_ERR_IO;
 *  HS_ERR_FORMAT also for fewer than 2 bytes; HS_ERR_INVALID_ARG for an
 *  unknown flag. One thread per object. @since 1.0 */
HS_API hs_status hs_image_decode(hs_ctx *ctx, hs_image **out, const void *data,
                                 size_t size, uint32_t flags);

/** Wrap a caller's 8-bit grey buffer without copying. The buffer stays the
 *  caller's: it must stay valid and unchanged while the image lives, and
 *  hs_image_free() neither frees nor wipes it. *out (the wrapper) belongs to
 *  the caller (hs_image_free()); NULL on failure. stride >= width (bytes
 *  between rows); ppi 0..10000, 0 = unknown. Errors: HS_ERR_INVALID_ARG
 *  (NULL, zero side, stride, ppi), HS_ERR_LIMIT (beyond the ctx's pixel or
 *  dimension limits), HS_ERR_NOMEM. One thread per object. @since 1.0 */
HS_API hs_status hs_image_wrap(hs_ctx *ctx, hs_image **out, const uint8_t *pixels,
                               uint32_t width, uint32_t height, uint32_t stride,
                               uint32_t ppi);

/** Create an owned grey image filled with @p fill. *out belongs to the
 *  caller (hs_image_free()); NULL on failure. Errors: HS_ERR_INVALID_ARG
 *  (zero side, ppi above 10000), HS_ERR_LIMIT (beyond the ctx's pixel or
 *  dimension limits), HS_ERR_NOMEM. One thread per object. @since 1.0 */
HS_API hs_status hs_image_new(hs_ctx *ctx, hs_image **out, uint32_t width,
                              uint32_t height, uint32_t ppi, uint8_t fill);

/** Create an owned image from interleaved 8-bit RGB (copied; the caller
 *  keeps @p rgb). The grey plane is computed with the BT.601 formula above;
 *  the RGB copy is kept (hs_image_rgb()). *out belongs to the caller
 *  (hs_image_free()); NULL on failure. stride >= 3*width bytes. Errors:
 *  HS_ERR_INVALID_ARG (NULL, zero side, stride, ppi above 10000),
 *  HS_ERR_LIMIT (beyond the ctx's pixel or dimension limits), HS_ERR_NOMEM.
 *  One thread per object. @since 1.0 */
HS_API hs_status hs_image_from_rgb(hs_ctx *ctx, hs_image **out, const uint8_t *rgb,
                                   uint32_t width, uint32_t height, uint32_t stride,
                                   uint32_t ppi);

/** Free an image; NULL is accepted. The pixels it owns (grey and RGB) are
 *  wiped first (fingerprints and faces are biometric data); a wrapped
 *  caller buffer is neither wiped nor freed. Exclusive. @since 1.0 */
HS_API void hs_image_free(hs_image *img);

/** Width in pixels (0 for NULL). Cannot fail. Concurrent readers.
 *  @since 1.0 */
HS_API uint32_t hs_image_width(const hs_image *img);
/** Height in pixels (0 for NULL). Cannot fail. Concurrent readers.
 *  @since 1.0 */
HS_API uint32_t hs_image_height(const hs_image *img);
/** Bytes between the starts of two grey rows (0 for NULL). Cannot fail.
 *  Concurrent readers. @since 1.0 */
HS_API uint32_t hs_image_stride(const hs_image *img);
/** Resolution in pixels per inch; 0 = unknown (and for NULL). Cannot fail.
 *  Concurrent readers. @since 1.0 */
HS_API uint32_t hs_image_ppi(const hs_image *img);
/** Override the resolution (0..10000 ppi, 0 = unknown). No output.
 *  Errors: HS_ERR_INVALID_ARG only (img NULL, ppi above 10000); the image
 *  is unchanged on failure. Exclusive. @since 1.0 */
HS_API hs_status hs_image_set_ppi(hs_image *img, uint32_t ppi);
/** Grey pixels, row-major with hs_image_stride(), borrowed from the image
 *  (a wrapped image's are the caller's buffer): valid until the image is
 *  freed; do not free them. NULL for NULL. Concurrent readers. @since 1.0 */
HS_API const uint8_t *hs_image_pixels(const hs_image *img);
/** Writable grey pixels of an owned image, borrowed as hs_image_pixels();
 *  NULL for a wrapped image or NULL. Writing them changes the image (the RGB
 *  copy is not updated). Exclusive. @since 1.0 */
HS_API uint8_t *hs_image_pixels_mut(hs_image *img);
/** Interleaved RGB pixels (stride 3*width) borrowed from the image: valid
 *  until it is freed; do not free them. NULL when not kept (or for NULL).
 *  Concurrent readers. @since 1.0 */
HS_API const uint8_t *hs_image_rgb(const hs_image *img);
/** Describe @p img in the caller's *info. Set info->struct_size first
 *  (sizeof(hs_image_info)): the members that fit are filled and struct_size
 *  becomes the number of bytes filled. Errors: HS_ERR_INVALID_ARG only
 *  (NULL, struct_size below the 1.0 size of 32 bytes or not a multiple of
 *  4). Concurrent readers. @since 1.0 */
HS_API hs_status hs_image_get_info(const hs_image *img, hs_image_info *info);

/** Short name of an HS_IMAGE_FORMAT_* value ("png", "tiff", ...; "memory"
 *  for HS_IMAGE_FORMAT_NONE, "unknown" for other values). The text is
 *  static: never free it. Cannot fail. Thread-safe. @since 1.0 */
HS_API const char *hs_image_format_name(uint32_t format);

/* ---- Encoding ------------------------------------------------------------ */

/** Options of hs_image_encode() and hs_image_save(). Initialise with
 *  HS_IMAGE_ENCODE_OPTIONS_INIT and change what you need; a NULL options
 *  pointer means the defaults. Grows at the end (struct_size). @since 1.0 */
typedef struct hs_image_encode_options {
    uint32_t struct_size;   /**< sizeof(hs_image_encode_options) */
    float wsq_bitrate;      /**< WSQ target bits per pixel, 0.1 to 8 (default 0.75,
                                 about 15:1; 2.25 is about 5:1) */
    uint32_t jp2_lossless;  /**< JPEG 2000: 1 = reversible 5/3 wavelet, exact
                                 (default); 0 = irreversible 9/7 at jp2_ratio */
    float jp2_ratio;        /**< JPEG 2000 lossy compression ratio, 1 to 1000
                                 (default 15) */
    uint32_t jpeg_quality;  /**< JPEG quality 1 to 100 (default 90) */
} hs_image_encode_options;

/** Defaults of hs_image_encode_options. */
#define HS_IMAGE_ENCODE_OPTIONS_INIT \
    { (uint32_t)sizeof(hs_image_encode_options), 0.75f, 1u, 15.0f, 90u }

/** Encode the image's grey plane in @p format (HS_IMAGE_FORMAT_PNG, _WSQ,
 *  _JP2, _JPEG, _PNM (binary PGM) or _BMP (8-bit palette)) into the
 *  caller's @p buf with the two-call size query: @p buf NULL sets *size to
 *  the exact size needed and returns HS_OK; otherwise *size is the capacity
 *  on input and the bytes written on output. Every call encodes the image
 *  afresh (a size query costs as much as the encode).
 *
 *  Only the 8-bit grey plane is written: a colour image is written as its
 *  grey plane (hs_image_pixels()). The resolution goes into the file where
 *  the format has a place for it (PNG pHYs, JPEG JFIF density, BMP
 *  pels-per-metre, WSQ NISTCOM "PPI"); JP2 and PGM do not record it.
 *  WSQ: the image is coded at its own resolution and size, which must be
 *  32 to 65535 pixels a side (HS_ERR_UNSUPPORTED otherwise); NIST NBIS's
 *  dwsq and other WSQ decoders read the result. The WSQ specification is
 *  written for 500 ppi fingerprints; other resolutions are coded as they
 *  are (the ppi recorded is the image's, -1 in NISTCOM when unknown).
 *
 *  Errors: HS_ERR_INVALID_ARG (NULL image or size, unknown format, an
 *  option out of range, struct_size too small or not a multiple of 4),
 *  HS_ERR_UNSUPPORTED (a format that cannot be written, such as TIFF; WSQ
 *  size outside the range above, BMP beyond 4 GiB; options from a newer
 *  header with non-default values), HS_ERR_BUFFER_TOO_SMALL (*size set to
 *  the size needed, @p buf unspecified but not written beyond *size),
 *  HS_ERR_INTERNAL (the PNG, JPEG or JPEG 2000 codec failed), HS_ERR_NOMEM.
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_image_encode(hs_ctx *ctx, void *buf, size_t *size, const hs_image *img,
                                 uint32_t format, const hs_image_encode_options *opts);

/** Encode as hs_image_encode() and write the file at @p path atomically
 *  through the same routine as hs_file_save() with HS_FILE_PRIVATE (mode
 *  0600: fingerprint and face images are biometric data; a failed save
 *  leaves any existing file unchanged). @p format 0 chooses by the extension of
 *  @p path, case-insensitively: .png, .wsq, .jp2 (JP2 file), .j2k/.j2c
 *  (raw JPEG 2000 codestream), .jpg/.jpeg, .pgm/.pnm, .bmp. No output.
 *  Errors: as for hs_image_encode() except HS_ERR_BUFFER_TOO_SMALL,
 *  HS_ERR_INVALID_ARG (format 0 with an unknown extension), HS_ERR_IO.
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_image_save(hs_ctx *ctx, const char *path, const hs_image *img,
                               uint32_t format, const hs_image_encode_options *opts);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_IMAGE_H */
