/* libFuzzer target: fingerprint extraction (hs_finger_extract) on arbitrary
 * pixels. The extractor reads images that no decoder checked for sense (a
 * camera frame, a PNG of anything), so every stage must cope with any grey
 * levels: flat areas, noise, saturated patches, stripes at any angle. The
 * input is a small header and the pixels:
 *
 *   byte 0, 1  width and height: 48 + b % 145 (48-192 px)
 *   byte 2     resolution: 500, 400, 800 or 1000 ppi (b % 4), so that the
 *              resampling to the 500 ppi working frame runs both ways
 *   byte 3     bit 0: HS_FINGER_PARAM_MAX_MINUTIAE = 1 + byte 4 % 128;
 *              bit 1: HS_FINGER_PARAM_MIN_QUALITY = byte 5 % 101
 *   byte 6..   the grey levels, row by row, repeated when shorter than the
 *              image (0 when absent)
 *
 * Checked: the call succeeds or fails with HS_ERR_NO_FINGERPRINT and no
 * template; a template has one view of the image's size and resolution, at
 * most the requested number of minutiae, each inside the image with a
 * finite angle in [0, 2 pi), a known type and a quality of at most 100; a
 * second extractor gives the same minutiae (no state carried between
 * images); the template matched against itself scores a finite value in
 * [0, 1]. */
#include <hotspot/hotspot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hs_status extract(hs_template **t, const hs_image *img, const uint8_t *hdr)
{
    hs_finger_extractor *ex = NULL;
    if (hs_finger_extractor_new(NULL, &ex) != HS_OK)
        abort();
    if ((hdr[3] & 1) &&
        hs_finger_extractor_set(ex, HS_FINGER_PARAM_MAX_MINUTIAE, 1 + hdr[4] % 128) != HS_OK)
        abort();
    if ((hdr[3] & 2) &&
        hs_finger_extractor_set(ex, HS_FINGER_PARAM_MIN_QUALITY, hdr[5] % 101) != HS_OK)
        abort();
    hs_status s = hs_finger_extract(NULL, t, ex, img);
    hs_finger_extractor_free(ex);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t hdr[6] = {0, 0, 0, 0, 0, 0};
    memcpy(hdr, data, size < sizeof hdr ? size : sizeof hdr);
    const uint8_t *pix = size > sizeof hdr ? data + sizeof hdr : NULL;
    size_t npix = size > sizeof hdr ? size - sizeof hdr : 0;
    static const uint32_t ppis[4] = {500, 400, 800, 1000};
    uint32_t w = 48 + hdr[0] % 145, h = 48 + hdr[1] % 145, ppi = ppis[hdr[2] % 4];
    hs_image *img = NULL;
    if (hs_image_new(NULL, &img, w, h, ppi, 0) != HS_OK)
        abort();
    uint8_t *p = hs_image_pixels_mut(img);
    for (size_t i = 0; npix && i < (size_t)w * h; i++)
        p[i] = pix[i % npix];

    hs_template *t = NULL, *u = NULL;
    hs_status s = extract(&t, img, hdr);
    if (s != HS_OK) {
        if (s != HS_ERR_NO_FINGERPRINT || t)
            abort();
        hs_image_free(img);
        return 0;
    }
    if (hs_template_view_count(t) != 1)
        abort();
    hs_view_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (hs_template_view_info(t, &info, 0) != HS_OK || info.width != w || info.height != h ||
        info.ppi_x != ppi || info.ppi_y != ppi || info.quality > 100)
        abort();
    uint32_t n = 0, maxn = (hdr[3] & 1) ? 1u + hdr[4] % 128 : 128;
    const hs_minutia *m = hs_template_minutiae(t, &n, 0);
    if (n > maxn || (n && !m))
        abort();
    for (uint32_t i = 0; i < n; i++)
        if (!(m[i].x >= 0.0f && m[i].x < (float)w && m[i].y >= 0.0f && m[i].y < (float)h) ||
            !(m[i].angle >= 0.0f && m[i].angle < 6.2832f) || m[i].quality > 100 ||
            (m[i].type != HS_MINUTIA_ENDING && m[i].type != HS_MINUTIA_BIFURCATION &&
             m[i].type != HS_MINUTIA_OTHER))
            abort();

    /* a second, fresh extractor: the same minutiae */
    if (extract(&u, img, hdr) != HS_OK)
        abort();
    uint32_t n2 = 0;
    const hs_minutia *m2 = hs_template_minutiae(u, &n2, 0);
    if (n2 != n || (n && memcmp(m, m2, n * sizeof *m) != 0))
        abort();

    /* the template against itself */
    float score = -1.0f;
    if (hs_finger_compare(NULL, &score, t, u) != HS_OK || !isfinite(score) || score < 0.0f ||
        score > 1.0f)
        abort();
    hs_template_free(u);
    hs_template_free(t);
    hs_image_free(img);
    return 0;
}
