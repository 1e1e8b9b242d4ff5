/* Transaction validation against the base standard and INTERPOL's INT-I
 * 6.00 profile. The rules are ours, written from the facts of ANSI/NIST-ITL
 * 1-2011 Update 2015 and of the INT-I field and code tables; docs/nist.md
 * lists them. Findings are data, not errors: only allocation fails. */
#include "internal/image.h"
#include "internal/nist.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct finding {
    uint32_t record, field;
    char msg[160];
} finding;

struct hs_nist_findings {
    hs_allocator alloc;
    finding *f;
    uint32_t n, cap;
    bool failed;
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void add(hs_nist_findings *fs, uint32_t record, uint32_t field, const char *fmt, ...)
{
    if (fs->failed)
        return;
    if (!HS__ARRAY_ROOM(&fs->alloc, fs->f, fs->n, fs->cap, 16)) {
        fs->failed = true;
        return;
    }
    finding *f = &fs->f[fs->n++];
    f->record = record;
    f->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
}

static bool all_digits(const hs__nist_field *f, size_t min, size_t max)
{
    if (!f || f->len < min || f->len > max)
        return false;
    for (size_t i = 0; i < f->len; i++)
        if (f->val[i] < '0' || f->val[i] > '9')
            return false;
    return true;
}

static bool eq(const hs__nist_field *f, const char *s)
{
    return f && f->len == strlen(s) && !memcmp(f->val, s, f->len);
}

static bool item_eq(const hs__nist_field *f, uint32_t si, uint32_t ii, const char *s)
{
    const uint8_t *p;
    size_t n;
    return f && hs__nist_item_span(f->val, f->len, si, ii, &p, &n) && n == strlen(s) &&
           !memcmp(p, s, n);
}

static bool valid_date(const uint8_t *p)
{
    int y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    int m = (p[4] - '0') * 10 + (p[5] - '0');
    int d = (p[6] - '0') * 10 + (p[7] - '0');
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return y >= 1900 && m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1];
}

static bool resolution_ok(const hs__nist_field *f)
{
    /* NN.NN pixels per mm */
    return f && f->len == 5 && f->val[2] == '.' && f->val[0] >= '0' && f->val[0] <= '9' &&
           f->val[1] >= '0' && f->val[1] <= '9' && f->val[3] >= '0' && f->val[3] <= '9' &&
           f->val[4] >= '0' && f->val[4] <= '9';
}

static void check_type1(hs_nist_findings *fs, const hs_nist *n, bool inti)
{
    const hs__nist_record *r = &n->r[0];
    static const struct { uint32_t f; const char *name; } mand[] = {
        { 2, "VER" }, { 3, "CNT" }, { 4, "TOT" }, { 5, "DAT" }, { 7, "DAI" },
        { 8, "ORI" }, { 9, "TCN" }, { 11, "NSR" }, { 12, "NTR" },
    };
    for (size_t i = 0; i < sizeof mand / sizeof mand[0]; i++)
        if (!hs__nist_find(r, mand[i].f))
            add(fs, 0, mand[i].f, "mandatory field 1.%03u %s is missing", mand[i].f, mand[i].name);
    const hs__nist_field *f = hs__nist_find(r, 2);
    if (f && !all_digits(f, 4, 4))
        add(fs, 0, 2, "1.002 VER must be four digits");
    f = hs__nist_find(r, 5);
    if (f && (!all_digits(f, 8, 8) || !valid_date(f->val)))
        add(fs, 0, 5, "1.005 DAT must be a valid date YYYYMMDD");
    f = hs__nist_find(r, 6);
    if (f && (!all_digits(f, 1, 1) || f->val[0] == '0'))
        add(fs, 0, 6, "1.006 PRY must be one digit 1-9");
    for (uint32_t k = 11; k <= 12; k++) {
        f = hs__nist_find(r, k);
        if (f && !resolution_ok(f))
            add(fs, 0, k, "1.%03u must be NN.NN pixels per millimetre", k);
    }
    f = hs__nist_find(r, 14);
    if (f && (f->len != 15 || f->val[14] != 'Z' || !valid_date(f->val)))
        add(fs, 0, 14, "1.014 GMT must be YYYYMMDDhhmmssZ");
    f = hs__nist_find(r, 4);
    if (f && (f->len == 0 || f->len > 16))
        add(fs, 0, 4, "1.004 TOT must be 1-16 characters");
    if (!inti)
        return;
    /* INT-I 6.00 */
    f = hs__nist_find(r, 2);
    if (f && f->len == 4 && memcmp(f->val, "05", 2))
        add(fs, 0, 2, "INT-I: 1.002 VER must be 05xx (ANSI/NIST-ITL 1-2011), is %.4s",
            (const char *)f->val);
    static const char *tots[] = { "ATP", "CPS", "NPS", "MPS", "SRE", "ERR" };
    f = hs__nist_find(r, 4);
    bool tot_ok = false, response = false;
    for (size_t i = 0; f && i < sizeof tots / sizeof tots[0]; i++)
        if (eq(f, tots[i])) {
            tot_ok = true;
            response = i >= 4;
        }
    if (f && !tot_ok)
        add(fs, 0, 4, "INT-I: 1.004 TOT must be ATP, CPS, NPS, MPS, SRE or ERR");
    for (uint32_t k = 13; k <= 17; k += 1) {
        if ((k == 13 || k == 14 || k == 17) && !hs__nist_find(r, k))
            add(fs, 0, k, "INT-I: mandatory field 1.%03u %s is missing", k,
                k == 13 ? "DOM" : (k == 14 ? "GMT" : "ANM"));
    }
    f = hs__nist_find(r, 13);
    if (f && !item_eq(f, 0, 0, "INT-I"))
        add(fs, 0, 13, "INT-I: 1.013 DOM domain name must be INT-I");
    f = hs__nist_find(r, 17);
    const uint8_t *ip;
    size_t il;
    if (f && !hs__nist_item_span(f->val, f->len, 0, 1, &ip, &il))
        add(fs, 0, 17, "INT-I: 1.017 ANM needs the destination and originating agency names");
    else if (f && !hs__nist_item_span(f->val, f->len, 0, 3, &ip, &il))
        add(fs, 0, 17, "INT-I: 1.017 ANM items 3 and 4 (destination and originating country, "
                       "ISO 3166 alpha-3) are needed for the XML encoding");
    f = hs__nist_find(r, 9);
    if (f) {
        bool ok = f->len == 15;
        for (size_t i = 0; ok && i < 14; i++)
            ok = f->val[i] >= '0' && f->val[i] <= '9';
        if (!ok) {
            add(fs, 0, 9, "INT-I: 1.009 TCN must be YY, a 12-digit serial and a check character");
        } else {
            char digits[15];
            memcpy(digits, f->val, 14);
            digits[14] = 0;
            char c = hs_nist_tcn_check(digits);
            if (c != (char)f->val[14])
                add(fs, 0, 9, "INT-I: 1.009 TCN check character is %c, should be %c",
                    (char)f->val[14], c);
        }
    }
    if (response && !hs__nist_find(r, 10))
        add(fs, 0, 10, "INT-I: 1.010 TCR is mandatory in SRE and ERR transactions");
}

static bool data_starts(const hs__nist_field *d, const char *magic, size_t n)
{
    return d && d->len >= n && !memcmp(d->val, magic, n);
}

/* The WSQ stream of an image record against the record: its frame header
 * must be readable, of the record's HLL x VLL; for INT-I fingerprints
 * (Type-14, Type-4) made by a WSQ 3.1 encoder (encoder number 2 in the
 * frame header, which version 3 of the specification assigns) and, when
 * its NISTCOM comment gives a resolution, at 500 ppi. */
static void check_wsq(hs_nist_findings *fs, const hs__nist_record *r, uint32_t ri,
                      const hs__nist_field *d, bool inti)
{
    uint32_t t = r->type;
    hs__wsq_header h;
    if (!d || hs__wsq_read_header(NULL, &h, d->val, d->len) != HS_OK) {
        add(fs, ri, d ? d->num : 0, "%u.%03u: the WSQ frame header cannot be read", t,
            d ? d->num : 0);
        return;
    }
    uint32_t hll = 0, vll = 0;
    if (hs__nist_item_u32(hs__nist_find(r, 6), 0, 0, &hll) &&
        hs__nist_item_u32(hs__nist_find(r, 7), 0, 0, &vll) &&
        (hll != h.width || vll != h.height))
        add(fs, ri, 6, "%u.006/.007 HLL x VLL %u x %u, but the WSQ image is %u x %u", t, hll,
            vll, h.width, h.height);
    if (!inti || (t != 14 && t != 4))
        return;
    if (h.encoder != 2)
        add(fs, ri, d->num, "INT-I: WSQ data must be WSQ 3.1 (encoder number 2), this stream "
            "has encoder number %u", h.encoder);
    if (h.ppi && h.ppi != 500)
        add(fs, ri, d->num, "INT-I: the WSQ stream says %u ppi, INT-I needs 500", h.ppi);
}

static void check_image(hs_nist_findings *fs, const hs_nist *n, uint32_t ri, bool inti)
{
    const hs__nist_record *r = &n->r[ri];
    uint32_t t = r->type;
    const hs__nist_field *d = NULL;
    for (uint32_t i = 0; i < r->nf; i++)
        if (r->f[i].num == 999)
            d = &r->f[i];
    bool has_image = t == 10 || (t >= 13 && t <= 17);
    if (!has_image)
        return;
    uint32_t cga_f = 11;
    for (uint32_t k = 6; k <= 7; k++) {
        uint32_t v;
        if (d && !hs__nist_item_u32(hs__nist_find(r, k), 0, 0, &v))
            add(fs, ri, k, "%u.%03u %s is missing or not a number", t, k, k == 6 ? "HLL" : "VLL");
    }
    const hs__nist_field *cga = hs__nist_find(r, cga_f);
    if (d && !cga)
        add(fs, ri, cga_f, "%u.%03u CGA is missing", t, cga_f);
    if (d && cga) {
        const char *magic = NULL;
        size_t ml = 0;
        if (eq(cga, "WSQ20"))
            magic = "\xFF\xA0", ml = 2;
        else if (eq(cga, "JPEGB") || eq(cga, "JPEGL"))
            magic = "\xFF\xD8", ml = 2;
        else if (eq(cga, "PNG"))
            magic = "\x89PNG", ml = 4;
        if (magic && !data_starts(d, magic, ml))
            add(fs, ri, 999, "%u.999 data does not begin as %.*s data does", t, (int)cga->len,
                (const char *)cga->val);
        if (eq(cga, "WSQ20") && data_starts(d, "\xFF\xA0", 2))
            check_wsq(fs, r, ri, d, inti);
        if ((eq(cga, "JP2") || eq(cga, "JP2L")) && !data_starts(d, "\x00\x00\x00\x0CjP", 6) &&
            !data_starts(d, "\xFF\x4F", 2))
            add(fs, ri, 999, "%u.999 data is neither a JP2 file nor a J2K codestream", t);
    }
    uint32_t slc = 0, hps = 0;
    hs__nist_item_u32(hs__nist_find(r, 8), 0, 0, &slc);
    hs__nist_item_u32(hs__nist_find(r, 9), 0, 0, &hps);
    uint32_t ppi = slc == 1 ? hps : (slc == 2 ? (hps * 254 + 50) / 100 : 0);
    if (t == 13 || t == 14 || t == 15) {
        uint32_t imp;
        if (!hs__nist_item_u32(hs__nist_find(r, 3), 0, 0, &imp))
            add(fs, ri, 3, "%u.003 IMP is missing or not a number", t);
        else if (inti) {
            static const uint32_t ok[] = { 0, 1, 4, 8, 24, 25, 28, 29 };
            bool good = false;
            for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
                good |= imp == ok[i];
            if (!good)
                add(fs, ri, 3, "INT-I: %u.003 IMP %u is not an allowed impression type", t, imp);
        }
        uint32_t fgp;
        if (!hs__nist_item_u32(hs__nist_find(r, 13), 0, 0, &fgp))
            add(fs, ri, 13, "%u.013 FGP is missing or not a number", t);
        else if (inti && t == 14 && (fgp < 1 || fgp > 14))
            add(fs, ri, 13, "INT-I: 14.013 FGP %u is not a finger position 1-14", fgp);
    }
    if (inti && t == 14 && cga) {
        if (eq(cga, "WSQ20")) {
            if (ppi != 500)
                add(fs, ri, 9, "INT-I: WSQ fingerprint images must be 500 ppi, this one is %u",
                    ppi);
        } else if (eq(cga, "JP2") || eq(cga, "JP2L")) {
            if (ppi != 1000)
                add(fs, ri, 9, "INT-I: JPEG 2000 fingerprint images must be 1000 ppi, this one is %u",
                    ppi);
        } else {
            add(fs, ri, 11, "INT-I: 14.011 CGA %.*s: fingerprints must be WSQ20 or JP2/JP2L",
                (int)cga->len, (const char *)cga->val);
        }
    }
    if (inti && t == 10) {
        const hs__nist_field *imt = hs__nist_find(r, 3);
        if (eq(imt, "FACE")) {
            if (cga && !eq(cga, "JPEGB") && !eq(cga, "JPEGL"))
                add(fs, ri, 11, "INT-I: 10.011 CGA of a face must be JPEGB or JPEGL");
            if (!eq(hs__nist_find(r, 12), "SRGB"))
                add(fs, ri, 12, "INT-I: 10.012 CSP of a face must be SRGB");
        }
    }
}

hs_status hs_nist_validate(hs_ctx *ctx, hs_nist_findings **out, const hs_nist *n,
                           hs_nist_profile profile)
{
    if (!out || !n)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_validate: NULL argument");
    *out = NULL;
    if (profile != HS_NIST_PROFILE_BASE && profile != HS_NIST_PROFILE_INT_I)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_nist_validate: unknown profile %d",
                         (int)profile);
    bool inti = profile == HS_NIST_PROFILE_INT_I;
    const hs_allocator *a = hs__ctx_allocator(ctx);
    hs_nist_findings *fs = hs__calloc(a, 1, sizeof *fs);
    if (!fs)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    fs->alloc = *a;
    if (n->nr == 0 || n->r[0].type != 1) {
        add(fs, UINT32_MAX, 0, "the first record must be Type-1");
    } else {
        check_type1(fs, n, inti);
        for (uint32_t i = 1; i < n->nr; i++) {
            const hs__nist_record *r = &n->r[i];
            if (r->type == 1)
                add(fs, i, 0, "a second Type-1 record");
            if (inti) {
                static const uint32_t ok[] = { 2, 4, 9, 10, 13, 14, 15, 17, 20, 98, 99 };
                bool good = false;
                for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
                    good |= r->type == ok[k];
                if (!good)
                    add(fs, i, 0, "INT-I: Type-%u records are not part of the profile", r->type);
            }
            uint32_t cidc, ridc;
            if (hs__nist_item_u32(hs__nist_find(&n->r[0], 3), i, 1, &cidc) &&
                hs__nist_item_u32(hs__nist_find(r, 2), 0, 0, &ridc) && cidc != ridc)
                add(fs, i, 2, "1.003 CNT gives IDC %u for record %u, its %u.002 IDC is %u", cidc,
                    i + 1, r->type, ridc);
            if (!hs__nist_is_binary(r->type)) {
                uint32_t idc;
                if (!hs__nist_item_u32(hs__nist_find(r, 2), 0, 0, &idc) || idc > 99)
                    add(fs, i, 2, "%u.002 IDC is missing or not 0-99", r->type);
                for (uint32_t k = 0; k < r->nf; k++) {
                    const char *tag = r->f[k].tag;
                    unsigned tt = 0;
                    if (tag[0] && sscanf(tag, "%u.", &tt) == 1 && tt != r->type)
                        add(fs, i, r->f[k].num, "field tagged %s inside a Type-%u record", tag,
                            r->type);
                    if (k && r->f[k].num == r->f[k - 1].num && r->f[k].num != 999)
                        add(fs, i, r->f[k].num, "field %u.%03u appears twice", r->type,
                            r->f[k].num);
                }
            } else if (inti && r->type == 4) {
                uint32_t gca = 0;
                hs__nist_item_u32(hs__nist_find(r, 8), 0, 0, &gca);
                if (gca != 1)
                    add(fs, i, 8, "INT-I: Type-4 images must be WSQ (GCA 1)");
            }
            if (r->type == 3 || r->type == 4) { /* grey: GCA 1 is WSQ */
                uint32_t gca = 0;
                hs__nist_item_u32(hs__nist_find(r, 8), 0, 0, &gca);
                if (gca == 1)
                    check_wsq(fs, r, i, hs__nist_find(r, 9), inti);
            }
            check_image(fs, n, i, inti);
        }
    }
    if (fs->failed) {
        hs_nist_findings_free(fs);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    *out = fs;
    return HS_OK;
}

void hs_nist_findings_free(hs_nist_findings *f)
{
    if (!f)
        return;
    hs__free(&f->alloc, f->f);
    HS__OBJECT_FREE(f, hs_nist_findings, 0);
}

uint32_t hs_nist_findings_count(const hs_nist_findings *f)
{
    return f ? f->n : 0;
}

const char *hs_nist_finding(const hs_nist_findings *f, uint32_t *record, uint32_t *field,
                            uint32_t index)
{
    if (!f || index >= f->n)
        return NULL;
    if (record)
        *record = f->f[index].record;
    if (field)
        *field = f->f[index].field;
    return f->f[index].msg;
}
