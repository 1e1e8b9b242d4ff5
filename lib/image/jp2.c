/* JPEG 2000 decoding and encoding through OpenJPEG (libopenjp2), from and to
 * memory. OpenJPEG has no allocator hook: its own allocations use the C
 * library's malloc, so sizes are checked against the context limits before
 * it is asked to decode. Its messages go into the context, never to stderr. */
#include "internal/image.h"

#include <openjpeg.h>
#include <stdio.h>
#include <string.h>

/* A hostile header can ask for millions of one-pixel tiles, each with its
 * own bookkeeping; no real encoder writes nearly as many. */
#define MAX_TILES 65536u

struct jp2_msg {
    char text[200];
};

static void on_error(const char *msg, void *user)
{
    struct jp2_msg *m = (struct jp2_msg *)user;
    if (!m->text[0]) {
        snprintf(m->text, sizeof m->text, "%s", msg);
        size_t n = strlen(m->text);
        while (n && (m->text[n - 1] == '\n' || m->text[n - 1] == '\r'))
            m->text[--n] = 0;
    }
}

static void on_quiet(const char *msg, void *user)
{
    (void)msg;
    (void)user;
}

static void set_handlers(opj_codec_t *codec, struct jp2_msg *m)
{
    opj_set_error_handler(codec, on_error, m);
    opj_set_warning_handler(codec, on_quiet, m);
    opj_set_info_handler(codec, on_quiet, m);
}

/* ---- memory streams ------------------------------------------------------ */

struct mem_in {
    const uint8_t *data;
    size_t size, pos;
};

static OPJ_SIZE_T in_read(void *buf, OPJ_SIZE_T n, void *user)
{
    struct mem_in *m = (struct mem_in *)user;
    if (m->pos >= m->size)
        return (OPJ_SIZE_T)-1;
    size_t left = m->size - m->pos;
    if (n > left)
        n = left;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return n;
}

static OPJ_OFF_T in_skip(OPJ_OFF_T n, void *user)
{
    struct mem_in *m = (struct mem_in *)user;
    if (n < 0) {
        if ((size_t)-n > m->pos)
            return -1;
        m->pos -= (size_t)-n;
        return n;
    }
    size_t left = m->size - m->pos;
    if ((uint64_t)n > left)
        n = (OPJ_OFF_T)left;
    m->pos += (size_t)n;
    return n;
}

static OPJ_BOOL in_seek(OPJ_OFF_T n, void *user)
{
    struct mem_in *m = (struct mem_in *)user;
    if (n < 0 || (uint64_t)n > m->size)
        return OPJ_FALSE;
    m->pos = (size_t)n;
    return OPJ_TRUE;
}

struct mem_out {
    hs__writer *w;
    size_t base; /* writer length when the stream started */
    size_t pos;  /* relative to base */
};

static OPJ_SIZE_T out_write(void *buf, OPJ_SIZE_T n, void *user)
{
    struct mem_out *m = (struct mem_out *)user;
    hs__writer *w = m->w;
    size_t len = w->len - m->base;
    const uint8_t *src = (const uint8_t *)buf;
    size_t done = 0;
    if (m->pos < len) { /* overwrite (box lengths written back) */
        size_t k = len - m->pos < n ? len - m->pos : n;
        memcpy(w->buf + m->base + m->pos, src, k);
        done = k;
    }
    if (done < n)
        hs__wr_bytes(w, src + done, n - done);
    if (w->failed)
        return (OPJ_SIZE_T)-1;
    m->pos += n;
    return n;
}

static OPJ_BOOL out_seek(OPJ_OFF_T n, void *user)
{
    struct mem_out *m = (struct mem_out *)user;
    if (n < 0)
        return OPJ_FALSE;
    size_t len = m->w->len - m->base;
    while ((uint64_t)n > len && !m->w->failed) {
        hs__wr_u8(m->w, 0);
        len++;
    }
    m->pos = (size_t)n;
    return m->w->failed ? OPJ_FALSE : OPJ_TRUE;
}

static OPJ_OFF_T out_skip(OPJ_OFF_T n, void *user)
{
    struct mem_out *m = (struct mem_out *)user;
    if (n < 0 && (size_t)-n > m->pos)
        return -1;
    return out_seek((OPJ_OFF_T)m->pos + n, user) ? n : -1;
}

/* ---- decoding ------------------------------------------------------------- */

static const uint8_t jp2_magic[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};

int hs__is_jp2(const uint8_t *p, size_t n)
{
    return (n >= 12 && !memcmp(p, jp2_magic, 12)) ||
           (n >= 4 && p[0] == 0xFF && p[1] == 0x4F && p[2] == 0xFF && p[3] == 0x51);
}

static uint8_t to8(OPJ_INT32 v, OPJ_UINT32 prec, OPJ_UINT32 sgnd)
{
    int64_t x = v;
    if (sgnd)
        x += (int64_t)1 << (prec - 1);
    if (x < 0)
        x = 0;
    int64_t max = ((int64_t)1 << prec) - 1;
    if (x > max)
        x = max;
    if (prec > 8)
        return (uint8_t)(x >> (prec - 8));
    if (prec < 8)
        return (uint8_t)((x * 255 + max / 2) / max);
    return (uint8_t)x;
}

/* What a decode or an encode holds; any of the three may be NULL. */
static void jp2_release(opj_stream_t *st, opj_codec_t *codec, opj_image_t *im)
{
    if (st)
        opj_stream_destroy(st);
    if (codec)
        opj_destroy_codec(codec);
    if (im)
        opj_image_destroy(im);
}

hs_status hs__decode_jp2(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size,
                         uint32_t flags)
{
    *out = NULL;
    int is_jp2 = size >= 12 && !memcmp(data, jp2_magic, 12);
    opj_codec_t *codec = opj_create_decompress(is_jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    if (!codec)
        return hs__error(ctx, HS_ERR_NOMEM, "JPEG 2000: out of memory");
    struct jp2_msg msg;
    memset(&msg, 0, sizeof msg);
    set_handlers(codec, &msg);
    opj_dparameters_t par;
    opj_set_default_decoder_parameters(&par);
    struct mem_in in = {data, size, 0};
    opj_stream_t *st = opj_stream_create(1u << 16, OPJ_TRUE);
    opj_image_t *im = NULL;
    hs_image *img = NULL;
    hs_status s = HS_OK;
    if (!st || !opj_setup_decoder(codec, &par)) {
        s = hs__error(ctx, HS_ERR_NOMEM, "JPEG 2000: out of memory");
        goto done;
    }
    /* a codestream that ends early is an error, not a blurred image */
    opj_decoder_set_strict_mode(codec, OPJ_TRUE);
    opj_codec_set_threads(codec, 1);
    opj_stream_set_user_data(st, &in, NULL);
    opj_stream_set_user_data_length(st, size);
    opj_stream_set_read_function(st, in_read);
    opj_stream_set_skip_function(st, in_skip);
    opj_stream_set_seek_function(st, in_seek);
    if (!opj_read_header(st, codec, &im) || !im) {
        s = hs__error(ctx, in.pos >= size ? HS_ERR_TRUNCATED : HS_ERR_CORRUPT,
                      "JPEG 2000: bad header: %s", msg.text[0] ? msg.text : "unreadable");
        goto done;
    }
    if (im->x1 <= im->x0 || im->y1 <= im->y0) {
        s = hs__error(ctx, HS_ERR_CORRUPT, "JPEG 2000: empty image area");
        goto done;
    }
    uint32_t w = im->x1 - im->x0, h = im->y1 - im->y0;
    s = hs__image_check_size(ctx, w, h);
    if (s)
        goto done;
    if (im->numcomps < 1 || im->numcomps > 4) {
        s = hs__error(ctx, HS_ERR_UNSUPPORTED, "JPEG 2000: %u components (1 to 4 read)",
                      im->numcomps);
        goto done;
    }
    opj_codestream_info_v2_t *info = opj_get_cstr_info(codec);
    if (info) {
        uint64_t tiles = (uint64_t)info->tw * info->th;
        opj_destroy_cstr_info(&info);
        if (tiles > MAX_TILES) {
            s = hs__error(ctx, HS_ERR_LIMIT, "JPEG 2000: %llu tiles (at most %u)",
                          (unsigned long long)tiles, MAX_TILES);
            goto done;
        }
    }
    for (OPJ_UINT32 c = 0; c < im->numcomps; c++)
        if (im->comps[c].dx != 1 || im->comps[c].dy != 1) {
            s = hs__error(ctx, HS_ERR_UNSUPPORTED,
                          "JPEG 2000: component %u is subsampled (%ux%u)", c,
                          im->comps[c].dx, im->comps[c].dy);
            goto done;
        }
    if (im->color_space == OPJ_CLRSPC_SYCC || im->color_space == OPJ_CLRSPC_EYCC ||
        im->color_space == OPJ_CLRSPC_CMYK) {
        s = hs__error(ctx, HS_ERR_UNSUPPORTED, "JPEG 2000: colour space %d (YCC/CMYK)",
                      (int)im->color_space);
        goto done;
    }
    if (!opj_decode(codec, st, im) || !opj_end_decompress(codec, st)) {
        s = hs__error(ctx, in.pos >= size ? HS_ERR_TRUNCATED : HS_ERR_CORRUPT,
                      "JPEG 2000: %s", msg.text[0] ? msg.text : "decode error");
        goto done;
    }
    for (OPJ_UINT32 c = 0; c < im->numcomps; c++) {
        opj_image_comp_t *cp = &im->comps[c];
        if (!cp->data || cp->w != w || cp->h != h || cp->prec < 1 || cp->prec > 16) {
            s = hs__error(ctx, HS_ERR_UNSUPPORTED,
                          "JPEG 2000: component %u is %ux%u at %u bits (image %ux%u, 1 to 16 "
                          "bits)",
                          c, cp->w, cp->h, cp->prec, w, h);
            goto done;
        }
    }
    int colour = im->numcomps >= 3;
    int want_rgb = colour && (flags & HS_IMAGE_KEEP_COLOR);
    s = hs__image_alloc(ctx, &img, w, h, want_rgb);
    if (s)
        goto done;
    size_t n = (size_t)w * h;
    if (!colour) {
        const opj_image_comp_t *cp = &im->comps[0];
        for (size_t i = 0; i < n; i++)
            img->grey[i] = to8(cp->data[i], cp->prec, cp->sgnd);
    } else {
        const opj_image_comp_t *r = &im->comps[0], *g = &im->comps[1], *b = &im->comps[2];
        for (size_t i = 0; i < n; i++) {
            uint8_t R = to8(r->data[i], r->prec, r->sgnd), G = to8(g->data[i], g->prec, g->sgnd),
                    B = to8(b->data[i], b->prec, b->sgnd);
            img->grey[i] = hs__luma(R, G, B);
            if (want_rgb) {
                img->rgb[3 * i] = R;
                img->rgb[3 * i + 1] = G;
                img->rgb[3 * i + 2] = B;
            }
        }
    }
    img->format = HS_IMAGE_FORMAT_JP2;
    img->color = im->numcomps == 1   ? HS_IMAGE_COLOR_GREY
                 : im->numcomps == 2 ? HS_IMAGE_COLOR_GREY_ALPHA
                 : im->numcomps == 3 ? HS_IMAGE_COLOR_RGB
                                     : HS_IMAGE_COLOR_RGB_ALPHA;
    img->bits = im->comps[0].prec;
    *out = img;
    img = NULL;
done:
    hs_image_free(img);
    jp2_release(st, codec, im);
    return s;
}

/* ---- encoding ------------------------------------------------------------- */

hs_status hs__encode_jp2(hs_ctx *ctx, hs__writer *w, const hs_image *img, int lossless,
                         double ratio, int codestream)
{
    opj_image_cmptparm_t cp;
    memset(&cp, 0, sizeof cp);
    cp.dx = cp.dy = 1;
    cp.w = img->width;
    cp.h = img->height;
    cp.prec = 8;
    cp.sgnd = 0;
    opj_image_t *im = opj_image_create(1, &cp, OPJ_CLRSPC_GRAY);
    if (!im)
        return hs__error(ctx, HS_ERR_NOMEM, "JPEG 2000: cannot allocate a %ux%u image",
                         img->width, img->height);
    im->x0 = im->y0 = 0;
    im->x1 = img->width;
    im->y1 = img->height;
    for (uint32_t y = 0; y < img->height; y++) {
        const uint8_t *row = img->view + (size_t)y * img->stride;
        OPJ_INT32 *dst = im->comps[0].data + (size_t)y * img->width;
        for (uint32_t x = 0; x < img->width; x++)
            dst[x] = row[x];
    }
    opj_cparameters_t par;
    opj_set_default_encoder_parameters(&par);
    par.tcp_numlayers = 1;
    par.cp_disto_alloc = 1;
    if (lossless) {
        par.irreversible = 0;
        par.tcp_rates[0] = 0;
    } else {
        par.irreversible = 1;
        par.tcp_rates[0] = (float)ratio;
    }
    /* at most 6 resolutions, fewer for small images (each level halves) */
    uint32_t side = img->width < img->height ? img->width : img->height;
    int levels = 1;
    while (levels < 6 && (side >> levels) >= 1)
        levels++;
    par.numresolution = levels;
    opj_codec_t *codec = opj_create_compress(codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
    struct jp2_msg msg;
    memset(&msg, 0, sizeof msg);
    hs_status s = HS_OK;
    opj_stream_t *st = NULL;
    struct mem_out mo = {w, w->len, 0};
    if (!codec) {
        s = hs__error(ctx, HS_ERR_NOMEM, "JPEG 2000: out of memory");
        goto done;
    }
    set_handlers(codec, &msg);
    if (!opj_setup_encoder(codec, &par, im)) {
        s = hs__error(ctx, HS_ERR_INTERNAL, "JPEG 2000: encoder setup: %s",
                      msg.text[0] ? msg.text : "refused");
        goto done;
    }
    opj_codec_set_threads(codec, 1);
    st = opj_stream_create(1u << 16, OPJ_FALSE);
    if (!st) {
        s = hs__error(ctx, HS_ERR_NOMEM, "JPEG 2000: out of memory");
        goto done;
    }
    opj_stream_set_user_data(st, &mo, NULL);
    opj_stream_set_write_function(st, out_write);
    opj_stream_set_skip_function(st, out_skip);
    opj_stream_set_seek_function(st, out_seek);
    if (!opj_start_compress(codec, im, st) || !opj_encode(codec, st) ||
        !opj_end_compress(codec, st))
        s = hs__error(ctx, w->failed ? HS_ERR_NOMEM : HS_ERR_INTERNAL, "JPEG 2000: %s",
                      msg.text[0] ? msg.text : "encode error");
done:
    jp2_release(st, codec, im);
    return s;
}
