/* Shared checks of the ANSI/NIST-ITL fuzz targets. */
#ifndef FUZZ_NIST_COMMON_H
#define FUZZ_NIST_COMMON_H

#include <hotspot/hotspot.h>

#include <stdlib.h>
#include <string.h>

static uint8_t *fz_nist_encode(const hs_nist *n, hs_nist_encoding enc, uint32_t flags,
                               size_t *size)
{
    size_t need = 0;
    if (hs_nist_encode(NULL, NULL, &need, n, enc, flags) != HS_OK)
        return NULL;
    uint8_t *buf = malloc(need ? need : 1);
    if (!buf)
        abort();
    if (hs_nist_encode(NULL, buf, &need, n, enc, flags) != HS_OK)
        abort(); /* the size query said it would work */
    *size = need;
    return buf;
}

/* Every accessor over everything the reader accepted. */
static void fz_nist_exercise(const hs_nist *n)
{
    char buf[64];
    for (uint32_t r = 0; r < hs_nist_record_count(n); r++) {
        for (uint32_t i = 0; i < hs_nist_field_count(n, r); i++) {
            uint32_t f = hs_nist_field_number(n, r, i);
            size_t sz;
            hs_nist_field_at(n, &sz, r, i);
            uint32_t subs = hs_nist_subfield_count(n, r, f);
            for (uint32_t s = 0; s < subs && s < 4; s++) {
                uint32_t items = hs_nist_item_count(n, r, f, s);
                for (uint32_t it = 0; it < items && it < 4; it++) {
                    size_t bs = sizeof buf;
                    hs_nist_item(NULL, buf, &bs, n, r, f, s, it);
                }
            }
        }
        if (hs_nist_record_type(n, r) == 9) {
            hs_template *t = NULL;
            hs_nist_minutiae(NULL, &t, n, r);
            hs_template_free(t);
        }
    }
    for (int k = HS_NIST_TEXT_VERSION; k <= HS_NIST_TEXT_ORI_NAME; k++) {
        size_t bs = sizeof buf;
        hs_nist_text_get(NULL, buf, &bs, n, (hs_nist_text)k);
    }
    for (uint32_t i = 0; i < hs_nist_image_count(n) && i < 4; i++) {
        hs_nist_image_info info = HS_NIST_IMAGE_INFO_INIT;
        if (hs_nist_image_info_get(NULL, &info, n, i) != HS_OK)
            abort();
        size_t sz;
        if (!hs_nist_image_data(n, &sz, i) || sz != info.data_size)
            abort();
    }
    for (int p = HS_NIST_PROFILE_BASE; p <= HS_NIST_PROFILE_INT_I; p++) {
        hs_nist_findings *f = NULL;
        if (hs_nist_validate(NULL, &f, n, (hs_nist_profile)p) != HS_OK)
            abort();
        for (uint32_t i = 0; i < hs_nist_findings_count(f); i++)
            if (!hs_nist_finding(f, NULL, NULL, i))
                abort();
        hs_nist_findings_free(f);
    }
}

/* Fields of a equal those of b, record by record (LEN excepted). */
static void fz_nist_same_fields(const hs_nist *a, const hs_nist *b)
{
    if (hs_nist_record_count(a) != hs_nist_record_count(b))
        abort();
    for (uint32_t r = 0; r < hs_nist_record_count(a); r++) {
        if (hs_nist_record_type(a, r) != hs_nist_record_type(b, r))
            abort();
        for (uint32_t i = 0; i < hs_nist_field_count(a, r); i++) {
            uint32_t f = hs_nist_field_number(a, r, i);
            if (f == 1)
                continue;
            size_t sa, sb;
            const uint8_t *pa = hs_nist_field(a, &sa, r, f), *pb = hs_nist_field(b, &sb, r, f);
            if (!pb || sa != sb || memcmp(pa, pb, sa))
                abort();
        }
    }
}

/* Encode in enc (allowing loss when told), decode; NULL when it cannot be
 * encoded. A transaction that encodes must decode. */
static hs_nist *fz_nist_convert(const hs_nist *n, hs_nist_encoding enc, uint32_t flags)
{
    size_t size;
    uint8_t *buf = fz_nist_encode(n, enc, flags, &size);
    if (!buf)
        return NULL;
    hs_nist *out = NULL;
    if (hs_nist_decode(NULL, &out, NULL, buf, size, 0) != HS_OK)
        abort();
    free(buf);
    return out;
}

/* Encoding, decoding and encoding again gives the same bytes. */
static void fz_nist_stable(const hs_nist *n, hs_nist_encoding enc)
{
    size_t s1, s2;
    uint8_t *b1 = fz_nist_encode(n, enc, 0, &s1);
    if (!b1)
        return;
    hs_nist *m = NULL;
    if (hs_nist_decode(NULL, &m, NULL, b1, s1, 0) != HS_OK)
        abort();
    fz_nist_same_fields(n, m);
    uint8_t *b2 = fz_nist_encode(m, enc, 0, &s2);
    if (!b2 || s1 != s2 || memcmp(b1, b2, s1))
        abort();
    free(b2);
    free(b1);
    hs_nist_free(m);
}

#endif
