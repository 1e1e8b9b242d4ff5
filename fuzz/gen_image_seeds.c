/* Writes the seed corpora of the image fuzz targets into DIR/fuzz_<fmt>/: a
 * few tiny valid files of each format and a few broken ones. The build makes
 * it and ctest runs it (test fuzz_image_seeds, DIR = build/fuzz/seeds) before
 * replaying the image corpora, so no image file is kept in the tree. Pixel
 * content is a synthetic ramp, never biometric data.
 *   gen_image_seeds DIR */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jpeglib.h>
#include <tiffio.h>

static const char *root;

static void save(const char *fmt, const char *name, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fuzz_%s/%s", root, fmt, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

static unsigned char ramp(unsigned x, unsigned y) { return (unsigned char)(x * 7 + y * 13); }

/* ---- PNG ---- */
struct mem {
    unsigned char *p;
    size_t n, cap;
};
static void mput(struct mem *m, const void *src, size_t n)
{
    if (m->n + n > m->cap) {
        m->cap = (m->n + n) * 2;
        m->p = realloc(m->p, m->cap);
    }
    memcpy(m->p + m->n, src, n);
    m->n += n;
}
static void pw(png_structp png, png_bytep d, size_t n) { mput(png_get_io_ptr(png), d, n); }
static void pf(png_structp png) { (void)png; }

static struct mem png(unsigned w, unsigned h, int ctype, int depth, int interlace, int trns)
{
    struct mem m = {0};
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop i = png_create_info_struct(p);
    png_set_write_fn(p, &m, pw, pf);
    png_set_IHDR(p, i, w, h, depth, ctype, interlace, 0, 0);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        for (int k = 0; k < 256; k++)
            pal[k].red = pal[k].green = pal[k].blue = (png_byte)k;
        png_set_PLTE(p, i, pal, 1 << depth);
        if (trns) {
            png_byte a[2] = {0, 128};
            png_set_tRNS(p, i, a, 2, NULL);
        }
    }
    png_set_pHYs(p, i, 19685, 19685, PNG_RESOLUTION_METER);
    png_write_info(p, i);
    size_t rb = png_get_rowbytes(p, i);
    unsigned char *rows = calloc(h, rb);
    for (unsigned y = 0; y < h; y++)
        for (size_t x = 0; x < rb; x++)
            rows[y * rb + x] = ramp((unsigned)x, y);
    png_bytep *rp = malloc(h * sizeof *rp);
    for (unsigned y = 0; y < h; y++)
        rp[y] = rows + y * rb;
    png_write_image(p, rp);
    png_write_end(p, i);
    png_destroy_write_struct(&p, &i);
    free(rp);
    free(rows);
    return m;
}

/* ---- JPEG ---- */
static struct mem jpeg(unsigned w, unsigned h, int comps, J_COLOR_SPACE cs, int progressive)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    unsigned long n = 0;
    jpeg_mem_dest(&c, &out, &n);
    c.image_width = w;
    c.image_height = h;
    c.input_components = comps;
    c.in_color_space = cs;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 75, TRUE);
    c.density_unit = 1;
    c.X_density = c.Y_density = 500;
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = malloc((size_t)w * comps);
    while (c.next_scanline < h) {
        for (unsigned x = 0; x < w * (unsigned)comps; x++)
            row[x] = ramp(x, c.next_scanline);
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    struct mem m = {0};
    mput(&m, out, n);
    free(out);
    return m;
}

/* ---- TIFF ---- */
static struct mem tiff(unsigned w, unsigned h, int bps, int spp, int photo, int comp, int tile,
                       int res)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/.seed.tif", root); /* scratch file, removed below */
    TIFF *t = TIFFOpen(path, "w");
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bps);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, photo);
    TIFFSetField(t, TIFFTAG_COMPRESSION, comp);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    if (res) {
        TIFFSetField(t, TIFFTAG_XRESOLUTION, 500.0f);
        TIFFSetField(t, TIFFTAG_YRESOLUTION, 500.0f);
        TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, res);
    }
    if (photo == PHOTOMETRIC_PALETTE) {
        uint16_t map[3][256];
        for (int k = 0; k < 256; k++)
            map[0][k] = map[1][k] = map[2][k] = (uint16_t)(k * 257);
        TIFFSetField(t, TIFFTAG_COLORMAP, map[0], map[1], map[2]);
    }
    size_t rb = ((size_t)w * bps * spp + 7) / 8;
    unsigned char *img = calloc(h, rb);
    for (unsigned y = 0; y < h; y++)
        for (size_t x = 0; x < rb; x++)
            img[y * rb + x] = ramp((unsigned)x, y);
    if (tile) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
        TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
        size_t tb = (size_t)TIFFTileSize(t);
        unsigned char *tb_ = calloc(1, tb);
        for (unsigned ty = 0; ty < h; ty += 16)
            for (unsigned tx = 0; tx < w; tx += 16) {
                memset(tb_, (int)(tx + ty), tb);
                TIFFWriteTile(t, tb_, tx, ty, 0, 0);
            }
        free(tb_);
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 4);
        for (unsigned y = 0; y < h; y++)
            TIFFWriteScanline(t, img + y * rb, y, 0);
    }
    TIFFClose(t);
    free(img);
    struct mem m = {0};
    FILE *f = fopen(path, "rb");
    unsigned char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        mput(&m, buf, n);
    fclose(f);
    remove(path);
    return m;
}

/* ---- BMP ---- */
static void le16(struct mem *m, unsigned v)
{
    unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    mput(m, b, 2);
}
static void le32(struct mem *m, unsigned v)
{
    le16(m, v & 0xFFFF);
    le16(m, v >> 16);
}
static struct mem bmp(unsigned hdr, int w, int h, unsigned bpp, unsigned comp, unsigned npal,
                      const unsigned *masks, const unsigned char *pix, size_t pixlen)
{
    struct mem m = {0};
    mput(&m, "BM", 2);
    le32(&m, 0);
    le32(&m, 0);
    le32(&m, 0);
    size_t h0 = m.n;
    le32(&m, hdr);
    if (hdr == 12) {
        le16(&m, (unsigned)w);
        le16(&m, (unsigned)h);
        le16(&m, 1);
        le16(&m, bpp);
    } else {
        le32(&m, (unsigned)w);
        le32(&m, (unsigned)h);
        le16(&m, 1);
        le16(&m, bpp);
        le32(&m, comp);
        le32(&m, (unsigned)pixlen);
        le32(&m, 3937);
        le32(&m, 3937);
        le32(&m, npal);
        le32(&m, 0);
        if (hdr >= 52)
            for (int i = 0; i < 4; i++)
                le32(&m, masks ? masks[i] : 0);
        while (m.n < h0 + hdr)
            mput(&m, "", 1);
        if (hdr == 40 && comp == 3)
            for (int i = 0; i < 3; i++)
                le32(&m, masks[i]);
    }
    for (unsigned i = 0; i < npal; i++) {
        unsigned char e[4] = {(unsigned char)i, (unsigned char)(255 - i), (unsigned char)(i / 2), 0};
        mput(&m, e, hdr == 12 ? 3 : 4);
    }
    unsigned off = (unsigned)m.n;
    mput(&m, pix, pixlen);
    unsigned sz = (unsigned)m.n;
    memcpy(m.p + 2, (unsigned char[4]){sz & 255, (sz >> 8) & 255, (sz >> 16) & 255, sz >> 24}, 4);
    memcpy(m.p + 10, (unsigned char[4]){off & 255, (off >> 8) & 255, 0, 0}, 4);
    return m;
}

static void save_mem(const char *fmt, const char *name, struct mem m)
{
    save(fmt, name, m.p, m.n);
    free(m.p);
}

/* Valid file, then its first half (truncated) under name "trunc_<name>". */
static void save_with_trunc(const char *fmt, const char *name, struct mem m)
{
    char t[256];
    snprintf(t, sizeof t, "trunc_%s", name);
    save(fmt, t, m.p, m.n / 2);
    save_mem(fmt, name, m);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    root = argv[1];
    static const char *fmts[] = {"png", "jpeg", "tiff", "pnm", "bmp"};
    mkdir(root, 0777);
    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/fuzz_%s", root, fmts[i]);
        mkdir(dir, 0777);
    }

    save_with_trunc("png", "grey8.png", png(16, 12, PNG_COLOR_TYPE_GRAY, 8, 0, 0));
    save_mem("png", "grey16_adam7.png", png(9, 7, PNG_COLOR_TYPE_GRAY, 16, 1, 0));
    save_mem("png", "pal4_trns.png", png(10, 6, PNG_COLOR_TYPE_PALETTE, 4, 0, 1));
    save_mem("png", "rgba.png", png(8, 8, PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 0));
    save_mem("png", "grey1.png", png(13, 5, PNG_COLOR_TYPE_GRAY, 1, 0, 0));
    {
        struct mem m = png(8, 8, PNG_COLOR_TYPE_RGB, 8, 1, 0);
        m.p[20] ^= 1; /* IHDR CRC mismatch */
        save_mem("png", "bad_crc.png", m);
    }

    save_with_trunc("jpeg", "grey.jpg", jpeg(16, 16, 1, JCS_GRAYSCALE, 0));
    save_mem("jpeg", "rgb420.jpg", jpeg(24, 16, 3, JCS_RGB, 0));
    save_with_trunc("jpeg", "progressive.jpg", jpeg(17, 9, 3, JCS_RGB, 1));
    save_mem("jpeg", "cmyk.jpg", jpeg(8, 8, 4, JCS_CMYK, 0));

    save_with_trunc("tiff", "grey_strips.tif", tiff(20, 10, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, 0, RESUNIT_INCH));
    save_mem("tiff", "palette_lzw.tif", tiff(24, 12, 8, 1, PHOTOMETRIC_PALETTE, COMPRESSION_LZW, 0, RESUNIT_CENTIMETER));
    save_mem("tiff", "tiles_lzw.tif", tiff(20, 18, 8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 1, 0));
    save_mem("tiff", "bilevel_white.tif", tiff(19, 6, 1, 1, PHOTOMETRIC_MINISWHITE, COMPRESSION_PACKBITS, 0, 0));
    save_mem("tiff", "grey16.tif", tiff(8, 6, 16, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_ADOBE_DEFLATE, 0, 0));
    save_mem("tiff", "rgb.tif", tiff(8, 6, 8, 3, PHOTOMETRIC_RGB, COMPRESSION_LZW, 0, RESUNIT_INCH));
    save_mem("tiff", "bps12.tif", tiff(8, 4, 12, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE, 0, 0));

    const char p5[] = "P5\n# seed\n4 3\n255\n\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c";
    save("pnm", "p5.pgm", p5, sizeof p5 - 1);
    save("pnm", "trunc_p5.pgm", p5, 20);
    const char p2[] = "P2 3 2 15\n# ascii\n0 5 10\n15 1 2\n";
    save("pnm", "p2.pgm", p2, sizeof p2 - 1);
    const char p1[] = "P1\n5 2\n01011\n1 0 0 1 0\n";
    save("pnm", "p1.pbm", p1, sizeof p1 - 1);
    const char p4[] = "P4 10 2\n\xA5\xC0\x0F\x40";
    save("pnm", "p4.pbm", p4, sizeof p4 - 1);
    const char p3[] = "P3 2 2 255\n255 0 0 0 255 0\n0 0 255 10 20 30\n";
    save("pnm", "p3.ppm", p3, sizeof p3 - 1);
    const char p6[] = "P6 2 1 65535\n\xFF\xFF\x00\x00\x80\x00\x12\x34\x12\x34\x12\x34";
    save("pnm", "p6_16bit.ppm", p6, sizeof p6 - 1);
    const char bad[] = "P5 4 3 70000\n\x01";
    save("pnm", "bad_maxval.pgm", bad, sizeof bad - 1);
    const char big[] = "P5 99999 99999 255\n\x01";
    save("pnm", "huge.pgm", big, sizeof big - 1);

    unsigned char pix[256];
    for (int i = 0; i < 256; i++)
        pix[i] = (unsigned char)(i * 37 + 11);
    save_with_trunc("bmp", "pal8.bmp", bmp(40, 5, 3, 8, 0, 256, NULL, pix, 24));
    save_mem("bmp", "pal4_topdown.bmp", bmp(40, 7, -4, 4, 0, 16, NULL, pix, 16));
    save_mem("bmp", "pal1.bmp", bmp(40, 21, 4, 1, 0, 2, NULL, pix, 16));
    save_mem("bmp", "core8.bmp", bmp(12, 3, 2, 8, 0, 256, NULL, pix, 8));
    save_mem("bmp", "rgb24.bmp", bmp(40, 5, 3, 24, 0, 0, NULL, pix, 48));
    const unsigned m32[4] = {0xFF0000u, 0xFF00u, 0xFFu, 0xFF000000u};
    save_mem("bmp", "v5_32.bmp", bmp(124, 4, -3, 32, 3, 0, m32, pix, 48));
    const unsigned m565[4] = {0xF800u, 0x07E0u, 0x001Fu, 0};
    save_mem("bmp", "bf565.bmp", bmp(40, 4, 2, 16, 3, 0, m565, pix, 16));
    const unsigned char rle8[] = {3, 1, 0, 3, 2, 3, 4, 0, 0, 0, 0, 2, 2, 0, 2, 5, 0, 1};
    save_mem("bmp", "rle8.bmp", bmp(40, 6, 2, 8, 1, 6, NULL, rle8, sizeof rle8));
    const unsigned char rle4[] = {5, 0x12, 0, 3, 0x45, 0x60, 0, 0, 0, 2, 1, 1, 3, 0x77, 0, 1};
    save_mem("bmp", "rle4.bmp", bmp(40, 5, 3, 4, 2, 16, NULL, rle4, sizeof rle4));
    save_mem("bmp", "bpp2.bmp", bmp(40, 4, 2, 2, 0, 4, NULL, pix, 8));
    return 0;
}
