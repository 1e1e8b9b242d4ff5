/* A transaction's biometrics for the watchlist: its fingers as one template
 * (Type-9 minutiae where present, else minutiae extracted from the finger
 * images of Types 3-6, 13 and 14), and an embedding of its Type-10 face. */
#include "internal/nist.h"

#include "hotspot/finger.h"

#include <string.h>

/* Watchlist position (1-10, 0 unknown) of an ANSI/NIST finger position
 * code, or -1 for codes that are not one finger (slaps 13-15, joints,
 * palms): 11 and 12 are the plain right and left thumbs. */
static int finger_position(uint32_t fgp)
{
    if (fgp <= 10)
        return (int)fgp;
    if (fgp == 11)
        return 1;
    if (fgp == 12)
        return 6;
    if (fgp == 255)
        return 0;
    return -1;
}

/* The position a record gives its finger: its FGP codes (Type-9 9.006,
 * Types 13-14 .013 one per subfield, binary records the six bytes of .004,
 * 255 = unused) when they name one finger; 0 (unknown) when they list
 * several candidates (latents) or none; -1 when no code is one finger. */
static int record_position(const hs__nist_record *r)
{
    bool bin = hs__nist_is_binary(r->type);
    const hs__nist_field *f = hs__nist_find(r, r->type == 9 ? 6 : (bin ? 4 : 13));
    int pos = -2;
    for (uint32_t si = 0; f && si < (bin ? 1u : 16u); si++)
        for (uint32_t ii = 0; ii < (bin ? 6u : 1u); ii++) {
            uint32_t code;
            if (!hs__nist_item_u32(f, si, ii, &code) || (code == 255 && (si || ii)))
                continue;
            int fp = finger_position(code);
            pos = (pos == -2 || pos == fp) ? fp : ((fp >= 0 || pos >= 0) ? 0 : -1);
        }
    return pos == -2 ? 0 : pos;
}

static uint32_t record_idc(const hs__nist_record *r)
{
    uint32_t idc = UINT32_MAX;
    hs__nist_item_u32(hs__nist_find(r, 2), 0, 0, &idc);
    return idc;
}

typedef struct fingers {
    hs_ctx *ctx;
    hs_template *t;
    uint32_t taken; /* bit p: position p (1-10) present */
} fingers;

/* Add view v of src to the result with position pos (and the record's
 * impression when known); a known position already present is skipped. */
static hs_status add_view(fingers *fs, const hs_template *src, uint32_t v, int pos, uint32_t imp,
                          uint32_t ri)
{
    hs_view_info vi = HS_VIEW_INFO_INIT;
    hs_status s = hs_template_view_info(src, &vi, v);
    if (s)
        return s;
    if (pos > 0 && (fs->taken >> pos & 1u))
        return HS_OK;
    if (hs_template_view_count(fs->t) >= HS_WATCHLIST_FINGERS_MAX)
        return hs__error(fs->ctx, HS_ERR_LIMIT,
                         "record %u: more than %u fingers in the transaction", ri + 1,
                         HS_WATCHLIST_FINGERS_MAX);
    vi.finger_position = (uint32_t)pos;
    if (imp <= 3)
        vi.impression_type = imp;
    /* with the view's extended data: an extracted finger's orientation
     * field is what the matcher's orientation anchor needs */
    s = hs_template_copy_view(fs->ctx, fs->t, src, v, &vi);
    if (!s && pos > 0)
        fs->taken |= 1u << pos;
    return s;
}

/* Failures of one finger that HS_NIST_FINGERS_SKIP_BAD passes over: the
 * data of that finger, not the machine. */
static bool skippable(hs_status s)
{
    return s == HS_ERR_UNSUPPORTED || s == HS_ERR_CORRUPT || s == HS_ERR_TRUNCATED ||
           s == HS_ERR_FORMAT || s == HS_ERR_NO_FINGERPRINT || s == HS_ERR_NOT_FOUND ||
           s == HS_ERR_CHECKSUM;
}

hs_status hs_nist_fingers(hs_ctx *ctx, hs_template **out, const hs_nist *n,
                          hs_finger_extractor *ex, uint32_t flags)
{
    if (!out || !n)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_fingers: NULL argument");
    *out = NULL;
    if (flags & ~(HS_NIST_FINGERS_NO_MINUTIAE | HS_NIST_FINGERS_NO_IMAGES |
                  HS_NIST_FINGERS_SKIP_BAD))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_fingers: unknown flags 0x%x", flags);
    bool skip = (flags & HS_NIST_FINGERS_SKIP_BAD) != 0;
    fingers fs = { ctx, NULL, 0 };
    hs_status s = hs_template_new(ctx, &fs.t);
    if (s)
        return s;
    /* IDCs whose Type-9 record gave minutiae: their images are not
     * extracted again. IDC is 0-99 in the tagged records. */
    uint8_t have[100];
    memset(have, 0, sizeof have);
    for (uint32_t ri = 0; !s && !(flags & HS_NIST_FINGERS_NO_MINUTIAE) && ri < n->nr; ri++) {
        const hs__nist_record *r = &n->r[ri];
        if (r->type != 9)
            continue;
        int pos = record_position(r);
        if (pos < 0)
            continue;
        hs_template *t = NULL;
        hs_status e = hs_nist_minutiae(ctx, &t, n, ri);
        if (e == HS_ERR_NOT_FOUND || (e && skip && skippable(e)))
            continue; /* no standard-format block: other formats (EFS) */
        s = e;
        uint32_t imp = UINT32_MAX;
        hs__nist_item_u32(hs__nist_find(r, 3), 0, 0, &imp);
        for (uint32_t v = 0; !s && v < hs_template_view_count(t); v++) {
            hs_view_info vi = HS_VIEW_INFO_INIT;
            hs_template_view_info(t, &vi, v);
            /* An embedded ISO/ANSI record names its own finger. */
            int vp = vi.finger_position ? (int)vi.finger_position : pos;
            s = add_view(&fs, t, v, vp, imp, ri);
        }
        hs_template_free(t);
        uint32_t idc = record_idc(r);
        if (!s && idc < sizeof have)
            have[idc] = 1;
    }
    hs_finger_extractor *own = NULL;
    uint32_t images = hs_nist_image_count(n);
    for (uint32_t i = 0; !s && !(flags & HS_NIST_FINGERS_NO_IMAGES) && i < images; i++) {
        hs_nist_image_info ii = HS_NIST_IMAGE_INFO_INIT;
        s = hs_nist_image_info_get(ctx, &ii, n, i);
        if (s)
            break;
        const hs__nist_record *r = &n->r[ii.record];
        uint32_t idc = record_idc(r);
        if (ii.kind != HS_NIST_IMAGE_FINGER || (idc < sizeof have && have[idc]))
            continue;
        int pos = record_position(r);
        if (pos < 0 || (pos > 0 && (fs.taken >> pos & 1u)))
            continue;
        if (!ex && !own) {
            s = hs_finger_extractor_new(ctx, &own);
            if (s)
                break;
        }
        hs_image *img = NULL;
        hs_template *t = NULL;
        /* Low-rate WSQ restored for extraction, as the tool's extract,
         * match and eval do (image.h, HS_IMAGE_WSQ_RESTORE). */
        hs_status e = hs_nist_image_decode(ctx, &img, n, i, HS_IMAGE_WSQ_RESTORE);
        if (!e)
            e = hs_finger_extract(ctx, &t, ex ? ex : own, img);
        hs_image_free(img);
        if (e && skip && skippable(e))
            continue;
        s = e;
        if (!s)
            s = add_view(&fs, t, 0, pos, ii.impression, ii.record);
        hs_template_free(t);
    }
    hs_finger_extractor_free(own);
    if (!s && hs_template_view_count(fs.t) == 0)
        s = hs__error(ctx, HS_ERR_NOT_FOUND,
                      "the transaction has no finger image or minutiae to use");
    if (s) {
        hs_template_free(fs.t);
        return s;
    }
    *out = fs.t;
    return HS_OK;
}

hs_status hs_nist_face_embed(hs_ctx *ctx, float *out, uint32_t cap, uint32_t *dim,
                             hs_face_engine *e, const hs_nist *n)
{
    if (dim)
        *dim = 0;
    if (!dim || !e || !n)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_face_embed: NULL argument");
    uint32_t images = hs_nist_image_count(n);
    for (uint32_t i = 0; i < images; i++) {
        hs_nist_image_info ii = HS_NIST_IMAGE_INFO_INIT;
        hs_status s = hs_nist_image_info_get(ctx, &ii, n, i);
        if (s)
            return s;
        if (ii.kind != HS_NIST_IMAGE_FACE)
            continue;
        hs_image *img = NULL;
        s = hs_nist_image_decode(ctx, &img, n, i, HS_IMAGE_KEEP_COLOR);
        if (!s)
            s = hs_face_embed(ctx, out, cap, dim, NULL, e, img, NULL);
        hs_image_free(img);
        return s;
    }
    return hs__error(ctx, HS_ERR_NOT_FOUND, "the transaction has no face image (Type-10 FACE)");
}
