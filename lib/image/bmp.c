/* Windows and OS/2 bitmap decoder.
 *
 * Headers: OS/2 BITMAPCOREHEADER (12 bytes), BITMAPINFOHEADER (40) and its
 * extensions (52, 56, V4 108, V5 124), OS/2 2.x (16..64, read like 40).
 * Pixels: 1/4/8-bit palette (uncompressed, BI_RLE4, BI_RLE8), 16/24/32-bit
 * (BI_RGB with the default 5-5-5 and 8-8-8 layouts, BI_BITFIELDS and
 * BI_ALPHABITFIELDS with contiguous masks). Bottom-up and top-down rows.
 * Embedded JPEG/PNG and the OS/2 Huffman/RLE24 codings are refused with
 * HS_ERR_UNSUPPORTED. Pels per metre become pixels per inch.
 *
 * All offsets and lengths come from the file and are checked against its
 * size before use; nothing is allocated before the headers are validated. */
#include "internal/image.h"

#include <string.h>

#define BI_RGB 0u
#define BI_RLE8 1u
#define BI_RLE4 2u
#define BI_BITFIELDS 3u
#define BI_JPEG 4u
#define BI_PNG 5u
#define BI_ALPHABITFIELDS 6u

struct field {
    uint32_t mask;
    unsigned shift;
    unsigned bits;
};

struct bmp {
    uint32_t width, height;
    int top_down;
    unsigned bpp;
    uint32_t compression;
    uint8_t pal[256][3]; /* r, g, b; entries past the file's palette are black */
    struct field f[4];   /* r, g, b, a */
};

/* Split a channel mask into shift and width; masks must be contiguous. */
static int make_field(struct field *f, uint32_t mask)
{
    f->mask = mask;
    f->shift = 0;
    f->bits = 0;
    if (!mask)
        return 1;
    while (!((mask >> f->shift) & 1u))
        f->shift++;
    uint32_t m = mask >> f->shift;
    while (f->bits < 32 && ((m >> f->bits) & 1u))
        f->bits++;
    /* contiguous when nothing is set above the run */
    return f->bits == 32 || (m >> f->bits) == 0;
}

static uint8_t field_value(const struct field *f, uint32_t px)
{
    if (!f->bits)
        return 0;
    uint64_t v = (px & f->mask) >> f->shift;
    uint64_t max = (f->bits >= 32) ? 0xFFFFFFFFull : ((1ull << f->bits) - 1u);
    return (uint8_t)((v * 255u + max / 2u) / max);
}

/* Row pointers for output row y of the file's row order. */
static void put_px(hs_image *img, uint32_t x, uint32_t y, const uint8_t rgb[3])
{
    size_t i = (size_t)y * img->width + x;
    img->grey[i] = hs__luma(rgb[0], rgb[1], rgb[2]);
    if (img->rgb)
        memcpy(img->rgb + 3 * i, rgb, 3);
}

static uint32_t out_row(const struct bmp *b, uint32_t file_row)
{
    return b->top_down ? file_row : b->height - 1u - file_row;
}

static void decode_plain(const struct bmp *b, hs_image *img, const uint8_t *pix, size_t stride)
{
    const unsigned bpp = b->bpp;
    for (uint32_t r = 0; r < b->height; r++) {
        const uint8_t *row = pix + (size_t)r * stride;
        const uint32_t y = out_row(b, r);
        for (uint32_t x = 0; x < b->width; x++) {
            uint8_t rgb[3];
            if (bpp <= 8) {
                size_t bit = (size_t)x * bpp;
                unsigned idx = (unsigned)(row[bit >> 3] >> (8u - bpp - (bit & 7u))) &
                               ((1u << bpp) - 1u);
                memcpy(rgb, b->pal[idx], 3);
            } else if (bpp == 24 && b->compression == BI_RGB) {
                const uint8_t *p = row + (size_t)x * 3;
                rgb[0] = p[2];
                rgb[1] = p[1];
                rgb[2] = p[0];
            } else {
                uint32_t px;
                if (bpp == 16) {
                    const uint8_t *p = row + (size_t)x * 2;
                    px = (uint32_t)p[0] | ((uint32_t)p[1] << 8);
                } else if (bpp == 24) {
                    const uint8_t *p = row + (size_t)x * 3;
                    px = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
                } else {
                    const uint8_t *p = row + (size_t)x * 4;
                    px = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                         ((uint32_t)p[3] << 24);
                }
                for (int c = 0; c < 3; c++)
                    rgb[c] = field_value(&b->f[c], px);
            }
            put_px(img, x, y, rgb);
        }
    }
}

/* BI_RLE8 / BI_RLE4. Pixels the stream skips keep palette entry 0. Runs
 * that would cross the right edge are clipped; a stream that ends before
 * every row is reached is truncated. */
static hs_status decode_rle(hs_ctx *ctx, const struct bmp *b, hs_image *img, const uint8_t *p,
                            size_t n)
{
    const int four = b->compression == BI_RLE4;
    for (uint32_t y = 0; y < b->height; y++)
        for (uint32_t x = 0; x < b->width; x++)
            put_px(img, x, y, b->pal[0]);
    size_t pos = 0;
    uint32_t x = 0, r = 0; /* r: row in file order (bottom-up) */
    while (r < b->height) {
        if (n - pos < 2)
            return hs__error(ctx, HS_ERR_TRUNCATED, "BMP: RLE data ends at row %u of %u", r,
                             b->height);
        unsigned count = p[pos], val = p[pos + 1];
        pos += 2;
        if (count) {
            /* encoded run: count pixels of val (RLE4: alternating nibbles) */
            for (unsigned i = 0; i < count && x < b->width; i++, x++) {
                unsigned idx = four ? ((i & 1u) ? (val & 15u) : (val >> 4)) : val;
                put_px(img, x, out_row(b, r), b->pal[idx]);
            }
            continue;
        }
        if (val == 0) { /* end of line */
            x = 0;
            r++;
        } else if (val == 1) { /* end of bitmap */
            break;
        } else if (val == 2) { /* delta */
            if (n - pos < 2)
                return hs__error(ctx, HS_ERR_TRUNCATED, "BMP: RLE delta ends early");
            uint32_t dx = p[pos], dy = p[pos + 1];
            pos += 2;
            x += dx;
            r += dy;
            if (x > b->width)
                x = b->width;
            if (dy && r >= b->height)
                break;
        } else { /* absolute run of val pixels, padded to 16 bits */
            size_t bytes = four ? (val + 1u) / 2u : val;
            size_t padded = (bytes + 1u) & ~(size_t)1u;
            if (n - pos < bytes)
                return hs__error(ctx, HS_ERR_TRUNCATED, "BMP: RLE absolute run ends early");
            for (unsigned i = 0; i < val && x < b->width; i++, x++) {
                unsigned idx = four ? ((i & 1u) ? (p[pos + i / 2] & 15u) : (p[pos + i / 2] >> 4))
                                    : p[pos + i];
                put_px(img, x, out_row(b, r), b->pal[idx]);
            }
            pos += n - pos < padded ? n - pos : padded;
        }
    }
    return HS_OK;
}

static uint32_t ppm_to_ppi(uint32_t ppm_raw)
{
    int32_t ppm = (int32_t)ppm_raw;
    if (ppm <= 0)
        return 0;
    uint64_t ppi = ((uint64_t)ppm * 254u + 5000u) / 10000u;
    return ppi >= 1 && ppi <= 10000 ? (uint32_t)ppi : 0;
}

hs_status hs__decode_bmp(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size,
                         uint32_t flags)
{
    *out = NULL;
    if (size < 2 || data[0] != 'B' || data[1] != 'M')
        return hs__error(ctx, HS_ERR_FORMAT, "BMP: bad magic");
    if (size < 14 + 12)
        return hs__error(ctx, HS_ERR_TRUNCATED, "BMP: %zu bytes are too few for the headers",
                         size);
    hs__reader rd;
    hs__reader_init(&rd, data, size);
    hs__skip(&rd, 10);
    const uint32_t off_bits = hs__rd_le32(&rd);
    const uint32_t hdr = hs__rd_le32(&rd);
    const int core = hdr == 12;
    if (!core && hdr != 40 && hdr != 52 && hdr != 56 && hdr != 108 && hdr != 124 &&
        !(hdr >= 16 && hdr <= 64))
        return hs__error(ctx, hdr < 12 ? HS_ERR_CORRUPT : HS_ERR_UNSUPPORTED,
                         "BMP: unknown header size %u", hdr);
    const int os2v2 = !core && hdr != 40 && hdr != 52 && hdr != 56 && hdr != 108 && hdr != 124;
    if ((uint64_t)hdr > size - 14)
        return hs__error(ctx, HS_ERR_TRUNCATED, "BMP: header of %u bytes past the end", hdr);

    /* Fields absent from short OS/2 2.x headers read as zero. */
    uint8_t h[124];
    memset(h, 0, sizeof h);
    memcpy(h, data + 14, hdr);
    hs__reader hr;
    hs__reader_init(&hr, h + 4, sizeof h - 4);
    int64_t w, ht;
    unsigned planes, bpp;
    uint32_t comp = BI_RGB, ncolors = 0, xppm = 0;
    uint32_t masks[4] = {0, 0, 0, 0};
    int have_masks = 0;
    if (core) {
        w = hs__rd_le16(&hr);
        ht = hs__rd_le16(&hr);
        planes = hs__rd_le16(&hr);
        bpp = hs__rd_le16(&hr);
    } else {
        w = (int32_t)hs__rd_le32(&hr);
        ht = (int32_t)hs__rd_le32(&hr);
        planes = hs__rd_le16(&hr);
        bpp = hs__rd_le16(&hr);
        comp = hs__rd_le32(&hr);
        hs__rd_le32(&hr); /* image size: often 0 or wrong, not trusted */
        xppm = hs__rd_le32(&hr);
        hs__rd_le32(&hr); /* y pels per metre */
        ncolors = hs__rd_le32(&hr);
        hs__rd_le32(&hr); /* important colours */
        if (hdr >= 52 && !os2v2) {
            for (int i = 0; i < (hdr >= 56 ? 4 : 3); i++)
                masks[i] = hs__rd_le32(&hr);
            have_masks = 1;
        }
    }
    (void)planes; /* always 1 in valid files; nothing depends on it */
    if (os2v2 && (comp == 3 || comp == 4))
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "BMP: OS/2 %s coding",
                         comp == 3 ? "Huffman 1D" : "RLE24");
    int top_down = 0;
    if (ht < 0) {
        top_down = 1;
        ht = -ht;
    }
    if (w < 0)
        return hs__error(ctx, HS_ERR_CORRUPT, "BMP: negative width %lld", (long long)w);
    hs_status s = hs__image_check_size(ctx, (uint64_t)w, (uint64_t)ht);
    if (s)
        return s;

    switch (comp) {
    case BI_RGB:
        if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
            return hs__error(ctx, HS_ERR_UNSUPPORTED, "BMP: %u bits per pixel", bpp);
        break;
    case BI_RLE8:
    case BI_RLE4:
        if (bpp != (comp == BI_RLE8 ? 8u : 4u))
            return hs__error(ctx, HS_ERR_CORRUPT, "BMP: RLE%u with %u bits per pixel",
                             comp == BI_RLE8 ? 8u : 4u, bpp);
        if (top_down)
            return hs__error(ctx, HS_ERR_CORRUPT, "BMP: RLE image stored top-down");
        break;
    case BI_BITFIELDS:
    case BI_ALPHABITFIELDS:
        if (bpp != 16 && bpp != 24 && bpp != 32)
            return hs__error(ctx, HS_ERR_UNSUPPORTED, "BMP: bit fields with %u bits per pixel",
                             bpp);
        if (!have_masks) { /* masks follow a 40-byte header */
            hs__reader mr;
            hs__reader_init(&mr, data, size);
            hs__skip(&mr, 14 + (size_t)hdr);
            int nm = comp == BI_ALPHABITFIELDS ? 4 : 3;
            for (int i = 0; i < nm; i++)
                masks[i] = hs__rd_le32(&mr);
            if (mr.overrun)
                return hs__error(ctx, HS_ERR_TRUNCATED, "BMP: bit field masks past the end");
            have_masks = 1;
        }
        break;
    case BI_JPEG:
    case BI_PNG:
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "BMP: embedded %s",
                         comp == BI_JPEG ? "JPEG" : "PNG");
    default:
        return hs__error(ctx, HS_ERR_UNSUPPORTED, "BMP: compression %u", comp);
    }

    struct bmp b;
    memset(&b, 0, sizeof b);
    b.width = (uint32_t)w;
    b.height = (uint32_t)ht;
    b.top_down = top_down;
    b.bpp = bpp;
    b.compression = comp;
    uint32_t color = HS_IMAGE_COLOR_RGB;
    if (bpp <= 8) {
        color = HS_IMAGE_COLOR_PALETTE;
        const uint32_t maxcol = 1u << bpp;
        if (ncolors == 0 || ncolors > maxcol)
            ncolors = ncolors > 256 ? 0xFFFFFFFFu : maxcol;
        if (ncolors > 256)
            return hs__error(ctx, HS_ERR_CORRUPT, "BMP: palette of more than 256 colours");
        const size_t entry = core ? 3 : 4;
        const size_t pal_off = 14 + (size_t)hdr;
        if (pal_off + entry * ncolors > size)
            return hs__error(ctx, HS_ERR_TRUNCATED, "BMP: palette past the end");
        for (uint32_t i = 0; i < ncolors; i++) {
            const uint8_t *e = data + pal_off + entry * i;
            b.pal[i][0] = e[2];
            b.pal[i][1] = e[1];
            b.pal[i][2] = e[0];
        }
    } else {
        if (comp == BI_RGB) {
            if (bpp == 16) {
                masks[0] = 0x7C00u;
                masks[1] = 0x03E0u;
                masks[2] = 0x001Fu;
            } else {
                masks[0] = 0xFF0000u;
                masks[1] = 0x00FF00u;
                masks[2] = 0x0000FFu;
            }
            masks[3] = 0;
        }
        if (bpp < 32)
            for (int i = 0; i < 4; i++)
                masks[i] &= (1u << bpp) - 1u;
        for (int i = 0; i < 4; i++)
            if (!make_field(&b.f[i], masks[i]))
                return hs__error(ctx, HS_ERR_CORRUPT, "BMP: mask 0x%08x is not contiguous",
                                 masks[i]);
        if (masks[3])
            color = HS_IMAGE_COLOR_RGB_ALPHA;
    }

    const size_t min_off = 14 + (size_t)hdr;
    if (off_bits < min_off || off_bits >= size)
        return hs__error(ctx, off_bits >= size ? HS_ERR_TRUNCATED : HS_ERR_CORRUPT,
                         "BMP: pixel data offset %u outside %zu..%zu", off_bits, min_off,
                         size);
    const uint64_t stride = ((uint64_t)b.width * bpp + 31u) / 32u * 4u;
    const int rle = comp == BI_RLE8 || comp == BI_RLE4;
    if (!rle && stride * b.height > size - off_bits)
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "BMP: %zu bytes of pixel data, %llu needed", size - off_bits,
                         (unsigned long long)(stride * b.height));

    hs_image *img;
    s = hs__image_alloc(ctx, &img, b.width, b.height, (flags & HS_IMAGE_KEEP_COLOR) != 0);
    if (s)
        return s;
    if (rle) {
        s = decode_rle(ctx, &b, img, data + off_bits, size - off_bits);
        if (s) {
            hs_image_free(img);
            return s;
        }
    } else {
        decode_plain(&b, img, data + off_bits, (size_t)stride);
    }
    img->format = HS_IMAGE_FORMAT_BMP;
    img->color = color;
    img->bits = bpp <= 8 ? bpp : 8u;
    img->ppi = ppm_to_ppi(xppm);
    *out = img;
    return HS_OK;
}
