/* Shared body of the template fuzz targets (included, not compiled alone).
 * Decoding must never crash, read outside the input or leak; whatever
 * decodes must encode in every writable format, and a decode -> encode ->
 * decode round trip must give the same template again. */
#ifndef FUZZ_TEMPLATE_COMMON_H
#define FUZZ_TEMPLATE_COMMON_H

#include "internal/template.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *fz_encode(const hs_template *t, uint32_t format, size_t *n)
{
    *n = 0;
    if (hs_template_encode(NULL, NULL, n, t, format) != HS_OK)
        return NULL;
    uint8_t *b = malloc(*n ? *n : 1);
    if (!b || hs_template_encode(NULL, b, n, t, format) != HS_OK)
        abort(); /* the size query succeeded, so must the encode */
    return b;
}

static void fz_same(const hs_template *a, const hs_template *b)
{
    if (a->nviews != b->nviews || a->capture_equipment != b->capture_equipment ||
        a->cbeff_product_id != b->cbeff_product_id)
        abort();
    for (uint32_t i = 0; i < a->nviews; i++) {
        const hs__view *x = &a->views[i], *y = &b->views[i];
        if (memcmp(&x->info, &y->info, sizeof x->info) || x->count != y->count ||
            x->ext_size != y->ext_size ||
            (x->count && memcmp(x->minutiae, y->minutiae, x->count * sizeof *x->minutiae)) ||
            (x->ext_size && memcmp(x->ext, y->ext, x->ext_size)))
            abort();
    }
}

/* Encode in @format (or hst when it is read-only), decode, compare. */
static void fz_round_trip(const hs_template *t, uint32_t format)
{
    if (format == HS_TEMPLATE_FORMAT_ISO19794_2_2011)
        format = HS_TEMPLATE_FORMAT_HST;
    size_t n;
    uint8_t *b = fz_encode(t, format, &n);
    if (!b)
        abort(); /* a decoded template must re-encode in its own format */
    hs_template *u = NULL;
    uint32_t f2 = 0;
    hs_status s = hs_template_decode(NULL, &u, &f2, b, n);
    if (s == HS_OK && f2 != format) {
        /* ANSI 378-2009 and ISO 19794-2:2011 share "FMR\0" "030\0"; an
         * ANSI record whose CBEFF/equipment bytes happen to chain like ISO
         * representation lengths is read as ISO (docs/template-format.md). */
        if (format != HS_TEMPLATE_FORMAT_ANSI378_2009 || f2 != HS_TEMPLATE_FORMAT_ISO19794_2_2011)
            abort();
        hs_template_free(u);
        free(b);
        return;
    }
    if (s != HS_OK) {
        if (format == HS_TEMPLATE_FORMAT_ANSI378_2009 &&
            hs__fmr_detect(b, n) == HS_TEMPLATE_FORMAT_ISO19794_2_2011) {
            free(b);
            return;
        }
        abort();
    }
    fz_same(t, u);
    size_t n2;
    uint8_t *b2 = fz_encode(u, format, &n2);
    if (!b2 || n2 != n || memcmp(b, b2, n))
        abort();
    free(b2);
    free(b);
    hs_template_free(u);
}

static void fz_encode_all(const hs_template *t)
{
    static const uint32_t formats[] = {
        HS_TEMPLATE_FORMAT_HST, HS_TEMPLATE_FORMAT_ISO19794_2_2005,
        HS_TEMPLATE_FORMAT_ANSI378_2004, HS_TEMPLATE_FORMAT_ANSI378_2009};
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++) {
        size_t n;
        uint8_t *b = fz_encode(t, formats[k], &n);
        if (!b)
            continue; /* e.g. views of different sizes in ISO 2005 */
        hs_template *u = NULL;
        if (hs_template_decode(NULL, &u, NULL, b, n) != HS_OK &&
            !(formats[k] == HS_TEMPLATE_FORMAT_ANSI378_2009 &&
              hs__fmr_detect(b, n) == HS_TEMPLATE_FORMAT_ISO19794_2_2011))
            abort(); /* everything we write, we read */
        hs_template_free(u);
        free(b);
    }
}

/* Decode with tight limits too, so that the limit paths are exercised. */
static void fz_decode_limited(const uint8_t *data, size_t size)
{
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK)
        return;
    hs_ctx_set_limit(ctx, HS_LIMIT_MAX_MINUTIAE, 8);
    hs_ctx_set_limit(ctx, HS_LIMIT_MAX_VIEWS, 2);
    hs_ctx_set_limit(ctx, HS_LIMIT_MAX_TEMPLATE_BYTES, 256);
    hs_template *t = NULL;
    if (hs_template_decode(ctx, &t, NULL, data, size) == HS_OK) {
        if (t->nviews > 2)
            abort();
        for (uint32_t i = 0; i < t->nviews; i++)
            if (t->views[i].count > 8)
                abort();
    } else if (t) {
        abort();
    }
    hs_template_free(t);
    hs_ctx_free(ctx);
}

/* Decode with format detection; whatever decodes is encoded in every format,
 * and a failed decode must leave no template. */
static void fz_decode_detected(const uint8_t *data, size_t size)
{
    hs_template *t = NULL;
    uint32_t f = 0;
    if (hs_template_decode(NULL, &t, &f, data, size) == HS_OK)
        fz_encode_all(t);
    else if (t)
        abort();
    hs_template_free(t);
}

/* Body of the ISO and ANSI targets: detection first, then the FMR parser
 * forced to the layout (old_format, or new_format for version "030"
 * records), so that every input reaches it. */
static void fz_fmr_target(const uint8_t *data, size_t size, uint32_t old_format,
                          uint32_t new_format)
{
    fz_decode_detected(data, size);
    if (size >= 8) {
        uint32_t forced = data[4] == '0' ? new_format : old_format;
        hs_template *u = NULL;
        if (hs__fmr_decode(NULL, &u, data, size, forced) == HS_OK) {
            fz_round_trip(u, forced);
            fz_encode_all(u);
        }
        hs_template_free(u);
    }
    fz_decode_limited(data, size);
}

#endif
