/* ANSI/NIST-ITL transactions: every NBIS and format-sample file reads and
 * re-encodes to its own bytes, image bytes match the published hashes, the
 * INT-I XML samples read and write back as schema-valid XML, conversions
 * keep the fields, built transactions validate, hostile input. */
#include "testutil.h"
#include "xsdutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SHA-256 (FIPS 180-4), for the published image hashes ------------- */
typedef struct { uint32_t h[8]; uint64_t len; uint8_t buf[64]; size_t n; } sha256;
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static void sha_block(sha256 *s, const uint8_t *p)
{
    uint32_t w[64], a[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++)
        w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7] +
               (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
    memcpy(a, s->h, sizeof a);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = a[7] + (ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25)) + ((a[4] & a[5]) ^ (~a[4] & a[6])) + K[i] + w[i];
        uint32_t t2 = (ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22)) + ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
        memmove(a + 1, a, 7 * sizeof a[0]);
        a[4] += t1;
        a[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        s->h[i] += a[i];
}
static void sha_init(sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
    s->n = 0;
}
static void sha_update(sha256 *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    s->len += n;
    while (n) {
        size_t k = 64 - s->n < n ? 64 - s->n : n;
        memcpy(s->buf + s->n, p, k);
        s->n += k;
        p += k;
        n -= k;
        if (s->n == 64) {
            sha_block(s, s->buf);
            s->n = 0;
        }
    }
}
static void sha_hex(sha256 *s, char out[65])
{
    uint64_t bits = s->len * 8;
    uint8_t pad = 0x80;
    sha_update(s, &pad, 1);
    pad = 0;
    while (s->n != 56)
        sha_update(s, &pad, 1);
    uint8_t l[8];
    for (int i = 0; i < 8; i++)
        l[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(s, l, 8);
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/* ---- helpers ------------------------------------------------------------ */

static uint8_t *encode(const hs_nist *n, hs_nist_encoding enc, uint32_t flags, size_t *size)
{
    size_t need = 0;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_status s = hs_nist_encode(ctx, NULL, &need, n, enc, flags);
    if (s)
        printf("encode: %s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    uint8_t *buf = malloc(need);
    assert_non_null(buf);
    if (need > 1) {
        size_t small = need - 1;
        assert_int_equal(hs_nist_encode(ctx, buf, &small, n, enc, flags), HS_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(small, need);
    }
    assert_int_equal(hs_nist_encode(ctx, buf, &need, n, enc, flags), HS_OK);
    hs_ctx_free(ctx);
    *size = need;
    return buf;
}

static hs_nist *load(const char *path)
{
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_nist *n = NULL;
    hs_status s = hs_nist_load(ctx, &n, NULL, path, 0);
    if (s)
        printf("%s: %s\n", path, hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    hs_ctx_free(ctx);
    return n;
}

static hs_status decode_mem(const uint8_t *p, size_t n, hs_nist **out, hs_ctx *ctx)
{
    uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
    memcpy(copy, p, n);
    hs_status s = hs_nist_decode(ctx, out, NULL, copy, n, 0);
    free(copy);
    return s;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending in suffix; returns the count. */
static int list_dir(const char *dir, const char *suffix, char names[][128], int max)
{
    DIR *d = opendir(dir);
    int k = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && k < max) {
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (l > sl && l < 128 && !strcmp(e->d_name + l - sl, suffix))
            memcpy(names[k++], e->d_name, l + 1);
    }
    closedir(d);
    char *ptrs[64];
    for (int i = 0; i < k; i++)
        ptrs[i] = names[i];
    qsort(ptrs, (size_t)k, sizeof ptrs[0], name_cmp);
    char tmp[64][128];
    for (int i = 0; i < k; i++)
        memcpy(tmp[i], ptrs[i], 128);
    memcpy(names, tmp, (size_t)k * 128);
    return k;
}

/* ---- traditional: read and re-encode every file ------------------------- */

static void check_roundtrip(const char *path, int *identical, int *total)
{
    size_t size;
    uint8_t *orig = tu_read(path, &size);
    assert_non_null(orig);
    hs_nist *n = NULL;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_status s = decode_mem(orig, size, &n, ctx);
    if (s)
        printf("%s: %s\n", path, hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    hs_ctx_free(ctx);
    assert_true(hs_nist_record_count(n) >= 2);
    size_t out_size;
    uint8_t *out = encode(n, HS_NIST_ENCODING_TRADITIONAL, 0, &out_size);
    (*total)++;
    if (out_size == size && !memcmp(out, orig, size)) {
        (*identical)++;
    } else {
        printf("not byte-identical: %s (%zu -> %zu bytes)\n", path, size, out_size);
    }
    /* Whatever the bytes, a second pass is stable. */
    hs_nist *n2 = NULL;
    assert_int_equal(decode_mem(out, out_size, &n2, NULL), HS_OK);
    size_t out2_size;
    uint8_t *out2 = encode(n2, HS_NIST_ENCODING_TRADITIONAL, 0, &out2_size);
    assert_int_equal(out2_size, out_size);
    assert_memory_equal(out2, out, out_size);
    free(out2);
    hs_nist_free(n2);
    free(out);
    free(orig);
    hs_nist_free(n);
}

static void test_traditional_files(void **state)
{
    (void)state;
    char dir[512];
    if (!tu_shared("fingerprint/an2k-nbis", dir, sizeof dir))
        skip();
    char names[64][128];
    int identical = 0, total = 0;
    int k = list_dir(dir, ".an2", names, 64);
    assert_int_equal(k, 22);
    for (int i = 0; i < k; i++) {
        char p[1024];
        if (snprintf(p, sizeof p, "%s/%s", dir, names[i]) >= (int)sizeof p)
            fail();
        check_roundtrip(p, &identical, &total);
    }
    char fs[512];
    if (tu_shared("fingerprint/format-samples", fs, sizeof fs)) {
        k = list_dir(fs, ".an2k", names, 64);
        assert_int_equal(k, 6);
        for (int i = 0; i < k; i++) {
            char p[1024];
            if (snprintf(p, sizeof p, "%s/%s", fs, names[i]) >= (int)sizeof p)
                fail();
            check_roundtrip(p, &identical, &total);
        }
    }
    printf("traditional: %d of %d files re-encode byte-identical\n", identical, total);
    assert_int_equal(identical, total);
}

/* ---- image bytes against binary-fields.tsv -------------------------------- */

static void test_image_hashes(void **state)
{
    (void)state;
    char tsv[512], dir[512];
    if (!tu_shared("fingerprint/an2k-nbis/binary-fields.tsv", tsv, sizeof tsv) ||
        !tu_shared("fingerprint/an2k-nbis", dir, sizeof dir))
        skip();
    FILE *f = fopen(tsv, "r");
    assert_non_null(f);
    char line[1024], cur[128] = "";
    hs_nist *n = NULL;
    int checked = 0, ascii = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || !strncmp(line, "transaction", 11))
            continue;
        char file[128], fld[64], field[16], hash[80], content[256];
        size_t bytes;
        unsigned rec, fi;
        if (sscanf(line, "%127s\t%63s\t%15s\t%zu\t%79s\t%255[^\n]", file, fld, field, &bytes, hash,
                   content) != 6 ||
            sscanf(fld, "fld_%u_%u.tmp", &rec, &fi) != 2)
            continue;
        if (strcmp(file, cur)) {
            hs_nist_free(n);
            char p[1024];
            if (snprintf(p, sizeof p, "%s/%s", dir, file) >= (int)sizeof p)
                fail();
            n = load(p);
            snprintf(cur, sizeof cur, "%s", file);
        }
        size_t size;
        const uint8_t *p = hs_nist_field_at(n, &size, rec - 1, fi - 1);
        assert_non_null(p);
        sha256 s;
        sha_init(&s);
        sha_update(&s, p, size);
        if (!strncmp(content, "begins with ASCII", 17)) {
            /* NBIS took everything after the first .999 tag: the short
             * ASCII field, GS, the next tag and the real data. */
            uint32_t nf = hs_nist_field_count(n, rec - 1);
            for (uint32_t k = fi; k < nf; k++) {
                size_t sz;
                const uint8_t *q = hs_nist_field_at(n, &sz, rec - 1, k);
                char tag[32];
                int tl = snprintf(tag, sizeof tag, "\x1d%u.%03u:", hs_nist_record_type(n, rec - 1),
                                  hs_nist_field_number(n, rec - 1, k));
                sha_update(&s, tag, (size_t)tl);
                sha_update(&s, q, sz);
                size += (size_t)tl + sz;
            }
            ascii++;
        }
        char hex[65];
        sha_hex(&s, hex);
        assert_int_equal(size, bytes);
        assert_string_equal(hex, hash);
        checked++;
    }
    fclose(f);
    hs_nist_free(n);
    printf("image fields: %d match binary-fields.tsv (%d NBIS reads that begin with ASCII)\n",
           checked, ascii);
    assert_true(checked >= 80);
}

/* The real image of a duplicate-.999 record is the stream after the last tag. */
static void test_duplicate_999(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("fingerprint/an2k-nbis/valid1.11.an2", p, sizeof p))
        skip();
    hs_nist *n = load(p);
    uint32_t count = hs_nist_image_count(n);
    assert_true(count >= 7);
    int jpeg = 0;
    for (uint32_t i = 0; i < count; i++) {
        hs_nist_image_info info = HS_NIST_IMAGE_INFO_INIT;
        assert_int_equal(hs_nist_image_info_get(NULL, &info, n, i), HS_OK);
        size_t size;
        const uint8_t *d = hs_nist_image_data(n, &size, i);
        assert_non_null(d);
        if (info.compression == HS_NIST_COMPRESSION_JPEGB) {
            assert_int_equal(d[0], 0xFF);
            assert_int_equal(d[1], 0xD8);
            hs_image *img = NULL;
            assert_int_equal(hs_nist_image_decode(NULL, &img, n, i, 0), HS_OK);
            assert_true(hs_image_width(img) > 0);
            hs_image_free(img);
            jpeg++;
        }
    }
    assert_true(jpeg >= 3);
    hs_nist_free(n);
}

static void test_typed_access(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("fingerprint/an2k-nbis/frontline-sample.an2", p, sizeof p))
        skip();
    hs_nist *n = load(p);
    char buf[64];
    size_t sz = sizeof buf;
    assert_int_equal(hs_nist_text_get(NULL, buf, &sz, n, HS_NIST_TEXT_TCN), HS_OK);
    assert_string_equal(buf, "FRONTLINE-SAMPLE-0001");
    sz = sizeof buf;
    assert_int_equal(hs_nist_text_get(NULL, buf, &sz, n, HS_NIST_TEXT_TOT), HS_OK);
    assert_string_equal(buf, "TEST");
    sz = sizeof buf;
    assert_int_equal(hs_nist_text_get(NULL, buf, &sz, n, HS_NIST_TEXT_ORI), HS_OK);
    assert_string_equal(buf, "LIBHOTSPOT");
    sz = 0;
    assert_int_equal(hs_nist_text_get(NULL, NULL, &sz, n, HS_NIST_TEXT_DATE), HS_OK);
    assert_int_equal(sz, 9);
    assert_int_equal(hs_nist_text_get(NULL, buf, &sz, n, HS_NIST_TEXT_TCR), HS_ERR_NOT_FOUND);
    assert_int_equal(hs_nist_image_count(n), 3);
    hs_nist_image_info info = HS_NIST_IMAGE_INFO_INIT;
    assert_int_equal(hs_nist_image_info_get(NULL, &info, n, 0), HS_OK);
    assert_int_equal(info.record_type, 14);
    assert_int_equal(info.kind, HS_NIST_IMAGE_FINGER);
    assert_int_equal(info.position, 2);
    assert_int_equal(info.width, 388);
    assert_int_equal(info.height, 374);
    assert_int_equal(info.ppi, 500);
    assert_int_equal(info.compression, HS_NIST_COMPRESSION_WSQ);
    assert_int_equal(info.quality, 2);
    assert_int_equal(info.data_size, 8495);
#ifdef HS_IMAGE_FORMAT_WSQ
    /* The WSQ finger decodes at the record's size and resolution. */
    hs_image *wsq = NULL;
    assert_int_equal(hs_nist_image_decode(NULL, &wsq, n, 0, 0), HS_OK);
    assert_int_equal(hs_image_width(wsq), 388);
    assert_int_equal(hs_image_height(wsq), 374);
    assert_int_equal(hs_image_ppi(wsq), 500);
    hs_image_free(wsq);
#endif
    assert_int_equal(hs_nist_image_info_get(NULL, &info, n, 2), HS_OK);
    assert_int_equal(info.kind, HS_NIST_IMAGE_FACE);
    hs_image *img = NULL;
    assert_int_equal(hs_nist_image_decode(NULL, &img, n, 2, 0), HS_OK);
    assert_int_equal(hs_image_width(img), 240);
    assert_int_equal(hs_image_height(img), 320);
    hs_image_free(img);
    /* Items: 1.003 CNT subfield 3 (the first Type-14) = "14" "01". */
    assert_int_equal(hs_nist_subfield_count(n, 0, 3), 5);
    assert_int_equal(hs_nist_item_count(n, 0, 3, 2), 2);
    sz = sizeof buf;
    assert_int_equal(hs_nist_item(NULL, buf, &sz, n, 0, 3, 2, 0), HS_OK);
    assert_string_equal(buf, "14");
    hs_nist_free(n);

    /* Uncompressed Type-3 pixels. */
    if (!tu_shared("fingerprint/an2k-nbis/type_3_wvu.an2", p, sizeof p))
        return;
    n = load(p);
    assert_int_equal(hs_nist_image_info_get(NULL, &info, n, 0), HS_OK);
    assert_int_equal(info.compression, HS_NIST_COMPRESSION_NONE);
    assert_int_equal(hs_nist_image_decode(NULL, &img, n, 0, 0), HS_OK);
    assert_int_equal(hs_image_width(img), info.width);
    hs_image_free(img);
    hs_nist_free(n);
}

static void test_minutiae(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("fingerprint/format-samples/type9.an2k", p, sizeof p))
        skip();
    hs_nist *n = load(p);
    assert_int_equal(hs_nist_record_type(n, 1), 9);
    hs_template *t = NULL;
    assert_int_equal(hs_nist_minutiae(NULL, &t, n, 1), HS_OK);
    uint32_t count;
    const hs_minutia *m = hs_template_minutiae(t, &count, 0);
    assert_int_equal(count, 28);
    assert_non_null(m);
    /* 001: X 0132, Y 0715 (0.01 mm), theta 248 degrees, ending. */
    assert_true(m[0].x > 25.9f && m[0].x < 26.1f);
    assert_int_equal(m[0].type, HS_MINUTIA_ENDING);
    assert_true(m[0].angle > 4.32f && m[0].angle < 4.34f);
    hs_template_free(t);
    assert_int_equal(hs_nist_minutiae(NULL, &t, n, 0), HS_ERR_NOT_FOUND);
    assert_null(t);
    hs_nist_free(n);
}

/* ---- XML -------------------------------------------------------------------- */

static xmlSchemaPtr load_schema(void)
{
    char p[512];
    if (!tu_shared("int-i/XMLschemas/int-i/1.0/int-i.xsd", p, sizeof p))
        return NULL;
    return tu_xsd_load(p);
}

/* Every field of a equals the same field of b (same records and order). */
static void assert_fields_kept(const hs_nist *a, const hs_nist *b, const char *what)
{
    assert_int_equal(hs_nist_record_count(a), hs_nist_record_count(b));
    for (uint32_t r = 0; r < hs_nist_record_count(a); r++) {
        assert_int_equal(hs_nist_record_type(a, r), hs_nist_record_type(b, r));
        for (uint32_t i = 0; i < hs_nist_field_count(a, r); i++) {
            uint32_t num = hs_nist_field_number(a, r, i);
            if (num == 1)
                continue;
            size_t sa, sb;
            const uint8_t *pa = hs_nist_field(a, &sa, r, num);
            const uint8_t *pb = hs_nist_field(b, &sb, r, num);
            if (!pb || sa != sb || memcmp(pa, pb, sa))
                printf("%s: record %u field %u.%03u differs\n", what, r + 1,
                       hs_nist_record_type(a, r), num);
            assert_non_null(pb);
            assert_int_equal(sa, sb);
            assert_memory_equal(pa, pb, sa);
        }
    }
}

static void test_xml_samples(void **state)
{
    (void)state;
    char dir[512];
    if (!tu_shared("int-i/XMLsamples", dir, sizeof dir))
        skip();
    xmlSchemaPtr schema = load_schema();
    char names[64][128];
    int k = list_dir(dir, ".xml", names, 64);
    assert_int_equal(k, 6);
    int valid_kept = 0, valid_generated = 0, lossless = 0;
    for (int i = 0; i < k; i++) {
        char p[1024];
        if (snprintf(p, sizeof p, "%s/%s", dir, names[i]) >= (int)sizeof p)
            fail();
        hs_nist *n = load(p);
        /* XML -> XML: schema-valid. */
        size_t xs;
        uint8_t *x = encode(n, HS_NIST_ENCODING_XML, 0, &xs);
        assert_int_equal(tu_xsd_valid(schema, x, xs, names[i]), 0);
        valid_kept++;
        hs_nist *nx = NULL;
        assert_int_equal(decode_mem(x, xs, &nx, NULL), HS_OK);
        assert_fields_kept(n, nx, names[i]);
        hs_nist_free(nx);
        free(x);
        /* XML -> traditional refuses to drop unmapped elements (INT-I's
         * Type-2 detail) unless told. */
        hs_ctx *ctx;
        assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
        size_t need;
        hs_status ls = hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_TRADITIONAL, 0);
        assert_true(ls == HS_OK || ls == HS_ERR_UNSUPPORTED);
        lossless += ls == HS_OK;
        if (ls)
            printf("%s: %s\n", names[i], hs_ctx_last_error(ctx));
        if (strstr(names[i], "NPS")) {
            /* INT-I Type-2 detail as fields: the name's components as items. */
            static const char nam[] = "Dr\x1f" "Renate\x1f" "Erika\x1f" "Mustermann\x1f" "Jr\x1f"
                                      "Schmidt\x1f" "Mustermann";
            size_t fs;
            const uint8_t *fv = hs_nist_field(n, &fs, 1, 30);
            assert_non_null(fv);
            assert_int_equal(fs, sizeof nam - 1);
            assert_memory_equal(fv, nam, fs);
            fv = hs_nist_field(n, &fs, 1, 35);
            assert_non_null(fv);
            assert_memory_equal(fv, "19501201", 8);
        }
        hs_ctx_free(ctx);
        /* XML -> traditional -> XML keeps every field. */
        size_t ts;
        uint8_t *t = encode(n, HS_NIST_ENCODING_TRADITIONAL, HS_NIST_ALLOW_LOSS, &ts);
        hs_nist *nt = NULL;
        assert_int_equal(decode_mem(t, ts, &nt, NULL), HS_OK);
        assert_fields_kept(n, nt, names[i]);
        uint8_t *x2 = encode(nt, HS_NIST_ENCODING_XML, HS_NIST_ALLOW_LOSS, &xs);
        if (tu_xsd_valid(schema, x2, xs, names[i]) == 0)
            valid_generated++;
        hs_nist *n2 = NULL;
        assert_int_equal(decode_mem(x2, xs, &n2, NULL), HS_OK);
        assert_fields_kept(n, n2, names[i]);
        hs_nist_free(n2);
        hs_nist_free(nt);
        free(x2);
        free(t);
        hs_nist_free(n);
    }
    printf("INT-I samples: %d of %d written back valid; %d of %d valid after "
           "XML -> traditional -> XML; %d of %d convert to traditional without loss\n",
           valid_kept, k, valid_generated, k, lossless, k);
    /* Every record converts: Type-2 detail, Type-9 INCITS and EFS blocks,
     * the MPS sample's Type-20. */
    assert_int_equal(lossless, k);
    assert_int_equal(valid_generated, k);
    xmlSchemaFree(schema);
}

static void test_traditional_to_xml(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("fingerprint/an2k-nbis/frontline-sample.an2", p, sizeof p))
        skip();
    hs_nist *n = load(p);
    size_t xs;
    uint8_t *x = encode(n, HS_NIST_ENCODING_XML, HS_NIST_ALLOW_LOSS, &xs);
    hs_nist *nx = NULL;
    assert_int_equal(decode_mem(x, xs, &nx, NULL), HS_OK);
    /* The images and their main fields survive. */
    assert_int_equal(hs_nist_image_count(nx), 3);
    for (uint32_t i = 0; i < 3; i++) {
        size_t a, b;
        const uint8_t *pa = hs_nist_image_data(n, &a, i), *pb = hs_nist_image_data(nx, &b, i);
        assert_int_equal(a, b);
        assert_memory_equal(pa, pb, a);
    }
    free(x);
    hs_nist_free(nx);
    hs_nist_free(n);
}

/* ---- builders and validation ------------------------------------------------ */

static int count_findings(const hs_nist *n, hs_nist_profile prof, int print)
{
    hs_nist_findings *f = NULL;
    assert_int_equal(hs_nist_validate(NULL, &f, n, prof), HS_OK);
    int c = (int)hs_nist_findings_count(f);
    for (int i = 0; print && i < c; i++) {
        uint32_t r = 0, fl = 0;
        const char *msg = hs_nist_finding(f, &r, &fl, (uint32_t)i);
        printf("  finding: record %u field %u: %s\n", r, fl, msg);
    }
    hs_nist_findings_free(f);
    return c;
}

static void test_build(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("fingerprint/an2k-nbis/frontline-sample.an2", p, sizeof p))
        skip();
    hs_nist *src = load(p);
    size_t face_size;
    const uint8_t *face = hs_nist_image_data(src, &face_size, 2);
    hs_nist_finger fingers[2];
    uint32_t nf = 0;
#ifdef HS_IMAGE_FORMAT_WSQ
    hs_image *img[2];
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(hs_nist_image_decode(NULL, &img[i], src, i, 0), HS_OK);
        fingers[i].image = img[i];
        fingers[i].position = i ? 7 : 2;
        fingers[i].quality = 60;
    }
    nf = 2;
#else
    printf("SKIP part: this build has no WSQ encoder; building a face-only transaction\n");
    (void)fingers;
#endif
    hs_nist *n = NULL;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
    memcpy(o.dai_country, "XPO", 4);
    memcpy(o.ori_country, "DEU", 4);
    hs_status s = hs_nist_build_search(ctx, &n, "NPS", "LIBHOTSPOT", "libhotspot test", "INT",
                                       "INTERPOL", 1234, 1796558400 /* 2026-12-06 12:00Z */,
                                       nf ? fingers : NULL, nf, face, face_size, NULL, &o);
    if (s)
        printf("build: %s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    char tcn[32];
    size_t sz = sizeof tcn;
    assert_int_equal(hs_nist_text_get(NULL, tcn, &sz, n, HS_NIST_TEXT_TCN), HS_OK);
    assert_int_equal(strlen(tcn), 15);
    assert_int_equal(tcn[14], hs_nist_tcn_check("26000000001234"));
    /* The face is a grey JPEG declared sRGB: the one INT-I finding allowed. */
    assert_int_equal(count_findings(n, HS_NIST_PROFILE_BASE, 1), 0);
    xmlSchemaPtr schema = load_schema();
    for (int enc = 1; enc <= 2; enc++) {
        size_t bs;
        uint8_t *b = encode(n, (hs_nist_encoding)enc, 0, &bs);
        hs_nist *back = NULL;
        assert_int_equal(decode_mem(b, bs, &back, NULL), HS_OK);
        assert_int_equal(count_findings(back, HS_NIST_PROFILE_INT_I, 1), 0);
        assert_fields_kept(n, back, enc == 1 ? "built, traditional" : "built, XML");
        if (enc == 2 && schema)
            assert_int_equal(tu_xsd_valid(schema, b, bs, "built NPS"), 0);
        hs_nist_free(back);
        free(b);
    }
    if (schema)
        xmlSchemaFree(schema);
    hs_nist_free(n);
    /* Minutiae become a Type-9 standard-format record and read back. */
    hs_template *t = NULL;
    assert_int_equal(hs_template_new(NULL, &t), HS_OK);
    hs_minutia mm[3] = {{100.0f, 50.0f, 1.0f, HS_MINUTIA_ENDING, 60, {0, 0}},
                        {200.0f, 300.0f, 3.0f, HS_MINUTIA_BIFURCATION, 100, {0, 0}},
                        {10.0f, 399.0f, 0.0f, HS_MINUTIA_ENDING, 0, {0, 0}}};
    hs_view_info vi = HS_VIEW_INFO_INIT;
    vi.width = 300;
    vi.height = 400;
    vi.finger_position = 2;
    assert_int_equal(hs_template_add_view(NULL, t, &vi, mm, 3), HS_OK);
    assert_int_equal(hs_nist_build_search(ctx, &n, "CPS", "LIBHOTSPOT", "libhotspot test", "INT",
                                          "INTERPOL", 5, 1796558400, NULL, 0, NULL, 0, t, &o),
                     HS_OK);
    assert_int_equal(hs_nist_record_type(n, 2), 9);
    hs_template *back_t = NULL;
    assert_int_equal(hs_nist_minutiae(NULL, &back_t, n, 2), HS_OK);
    uint32_t cnt = 0;
    const hs_minutia *bm = hs_template_minutiae(back_t, &cnt, 0);
    assert_int_equal(cnt, 3);
    for (uint32_t i = 0; i < 3; i++) {
        /* 0.01 mm steps are 0.197 px at 500 ppi; y is flipped and back. */
        assert_true(fabsf(bm[i].x - mm[i].x) < 0.3f);
        assert_true(fabsf(bm[i].angle - mm[i].angle) < 0.01f);
        assert_int_equal(bm[i].type, mm[i].type);
    }
    assert_int_equal(count_findings(n, HS_NIST_PROFILE_INT_I, 1), 0);
    hs_template_free(back_t);
    hs_template_free(t);
    hs_nist_free(n);
    n = NULL;
    assert_int_equal(hs_nist_build_search(ctx, &n, "XYZ", "A", "A", "B", "B", 1, 1796558400, NULL,
                                          0, NULL, 0, NULL, NULL),
                     HS_ERR_UNSUPPORTED);
    assert_null(n);
    hs_ctx_free(ctx);
#ifdef HS_IMAGE_FORMAT_WSQ
    hs_image_free(img[0]);
    hs_image_free(img[1]);
#endif
    hs_nist_free(src);
}

/* A search result from a watchlist search that finds nothing. */
static void test_build_result(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("int-i/XMLsamples/Sample-NPS-INT-ITransaction.xml", p, sizeof p))
        skip();
    hs_nist *search = load(p);
    hs_watchlist *wl = NULL;
    assert_int_equal(hs_watchlist_new(NULL, &wl), HS_OK);
    hs_template *probe = NULL;
    assert_int_equal(hs_template_new(NULL, &probe), HS_OK);
    hs_minutia m[12];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 12; i++) {
        m[i].x = (float)(20 + 13 * i);
        m[i].y = (float)(30 + 7 * i);
        m[i].angle = 0.3f * (float)i;
        m[i].type = HS_MINUTIA_ENDING;
        m[i].quality = 60;
    }
    hs_view_info vi = HS_VIEW_INFO_INIT;
    vi.width = 300;
    vi.height = 300;
    vi.finger_position = 2;
    assert_int_equal(hs_template_add_view(NULL, probe, &vi, m, 12), HS_OK);
    hs_watchlist_result *res = NULL;
    hs_status s = hs_watchlist_search(NULL, &res, wl, probe, NULL, 0, NULL);
    if (s == HS_ERR_NOT_BUILT) {
        printf("SKIP: finger matching not built\n");
    } else {
        assert_int_equal(s, HS_OK);
        hs_nist *sre = NULL;
        assert_int_equal(hs_nist_build_result(NULL, &sre, search, res, 7, 1796558400), HS_OK);
        char buf[64];
        size_t sz = sizeof buf;
        assert_int_equal(hs_nist_text_get(NULL, buf, &sz, sre, HS_NIST_TEXT_TOT), HS_OK);
        assert_string_equal(buf, "SRE");
        sz = sizeof buf;
        assert_int_equal(hs_nist_text_get(NULL, buf, &sz, sre, HS_NIST_TEXT_TCR), HS_OK);
        assert_string_equal(buf, "19125458357684J");
        sz = sizeof buf;
        assert_int_equal(hs_nist_text_get(NULL, buf, &sz, sre, HS_NIST_TEXT_DAI), HS_OK);
        assert_string_equal(buf, "BKA");
        sz = sizeof buf;
        assert_int_equal(hs_nist_item(NULL, buf, &sz, sre, 1, 64, 0, 4), HS_OK);
        assert_string_equal(buf, "N");
        assert_int_equal(count_findings(sre, HS_NIST_PROFILE_INT_I, 1), 0);
        xmlSchemaPtr schema = load_schema();
        size_t xs;
        uint8_t *x = encode(sre, HS_NIST_ENCODING_XML, 0, &xs);
        if (schema) {
            assert_int_equal(tu_xsd_valid(schema, x, xs, "built SRE"), 0);
            xmlSchemaFree(schema);
        }
        hs_nist *back = NULL;
        assert_int_equal(decode_mem(x, xs, &back, NULL), HS_OK);
        assert_fields_kept(sre, back, "built SRE, XML");
        hs_nist_free(back);
        free(x);
        hs_nist_free(sre);
    }
    hs_watchlist_result_free(res);
    hs_template_free(probe);
    hs_watchlist_free(wl);
    hs_nist_free(search);
}

static void test_validate(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("int-i/XMLsamples/Sample-SRE-HIT_CPS-INT-ITransaction.xml", p, sizeof p))
        skip();
    hs_nist *n = load(p);
    assert_int_equal(count_findings(n, HS_NIST_PROFILE_INT_I, 1), 0);
    /* Break the TCN check character and the TOT. */
    assert_int_equal(hs_nist_field_set(NULL, n, 0, 9, "19125458357684K", 15), HS_OK);
    assert_int_equal(hs_nist_field_set(NULL, n, 0, 4, "XYZ", 3), HS_OK);
    hs_nist_findings *f = NULL;
    assert_int_equal(hs_nist_validate(NULL, &f, n, HS_NIST_PROFILE_INT_I), HS_OK);
    assert_int_equal(hs_nist_findings_count(f), 2);
    uint32_t r, fl;
    assert_non_null(hs_nist_finding(f, &r, &fl, 0));
    assert_int_equal(r, 0);
    assert_true(fl == 9 || fl == 4);
    assert_null(hs_nist_finding(f, NULL, NULL, 2));
    hs_nist_findings_free(f);
    assert_int_equal(count_findings(n, HS_NIST_PROFILE_BASE, 0), 0);
    hs_nist_free(n);
    assert_int_equal(hs_nist_tcn_check("19125458357684"), 'J');
    assert_int_equal(hs_nist_tcn_check("19125458357683"), 'H');
    assert_int_equal(hs_nist_tcn_check("12a"), 0);
}

/* Whether a finding of record @p record contains @p text. */
static bool has_finding(const hs_nist *n, hs_nist_profile prof, uint32_t record,
                        const char *text)
{
    hs_nist_findings *f = NULL;
    assert_int_equal(hs_nist_validate(NULL, &f, n, prof), HS_OK);
    bool found = false;
    for (uint32_t i = 0; i < hs_nist_findings_count(f); i++) {
        uint32_t r;
        const char *msg = hs_nist_finding(f, &r, NULL, i);
        found |= r == record && strstr(msg, text) != NULL;
    }
    hs_nist_findings_free(f);
    return found;
}

/* WSQ streams of Type-14 (and Type-4) images against their records: the
 * frame header's size against HLL/VLL, and for INT-I the WSQ 3.1 encoder
 * number and the NISTCOM resolution. */
static void test_validate_wsq(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("fingerprint/an2k-nbis/frontline-sample.an2", p, sizeof p))
        skip();
    hs_nist *n = load(p);
    assert_false(has_finding(n, HS_NIST_PROFILE_INT_I, 2, "WSQ"));
    assert_false(has_finding(n, HS_NIST_PROFILE_BASE, 2, "HLL"));
    /* Record 3's WSQ with another encoder number, another size and PPI. */
    size_t size;
    const uint8_t *d = hs_nist_field(n, &size, 2, 999);
    assert_non_null(d);
    uint8_t *w = malloc(size);
    memcpy(w, d, size);
    size_t sof = 0;
    for (size_t i = 2; i + 1 < size && !sof; i++)
        if (w[i] == 0xFF && w[i + 1] == 0xA2)
            sof = i;
    assert_true(sof > 0 && sof + 19 <= size);
    w[sof + 16] = 1; /* encoder number */
    assert_int_equal(hs_nist_field_set(NULL, n, 2, 999, w, size), HS_OK);
    assert_true(has_finding(n, HS_NIST_PROFILE_INT_I, 2, "encoder number 1"));
    assert_false(has_finding(n, HS_NIST_PROFILE_BASE, 2, "encoder number"));
    assert_int_equal(hs_nist_field_set(NULL, n, 2, 6, "400", 3), HS_OK);
    assert_true(has_finding(n, HS_NIST_PROFILE_BASE, 2, "HLL x VLL 400 x 374, but the WSQ "
                                                       "image is 388 x 374"));
    /* A stream cut before its frame header. */
    assert_int_equal(hs_nist_field_set(NULL, n, 2, 999, w, sof + 6), HS_OK);
    assert_true(has_finding(n, HS_NIST_PROFILE_BASE, 2, "WSQ frame header cannot be read"));
    free(w);
    hs_nist_free(n);
    /* NBIS's valid1.8: HLL/VLL of 1800 x 1000 for a 1600 x 976 WSQ image,
     * made by an older encoder (number 1). */
    if (tu_shared("fingerprint/an2k-nbis/valid1.8.an2", p, sizeof p)) {
        n = load(p);
        assert_true(has_finding(n, HS_NIST_PROFILE_BASE, 2, "1800 x 1000, but the WSQ image is "
                                                           "1600 x 976"));
        assert_true(has_finding(n, HS_NIST_PROFILE_INT_I, 2, "encoder number 1"));
        hs_nist_free(n);
    }
    /* Type-4 WSQ of libbiomeval's slaps: encoder 0, NISTCOM PPI 255. */
    if (tu_shared("fingerprint/format-samples/type4-slaps.an2k", p, sizeof p)) {
        n = load(p);
        assert_true(has_finding(n, HS_NIST_PROFILE_INT_I, 2, "encoder number 0"));
        assert_true(has_finding(n, HS_NIST_PROFILE_INT_I, 2, "says 255 ppi"));
        hs_nist_free(n);
    }
}

static void test_edit(void **state)
{
    (void)state;
    hs_nist *n = NULL;
    assert_int_equal(hs_nist_new(NULL, &n), HS_OK);
    uint32_t r;
    assert_int_equal(hs_nist_record_add(NULL, &r, n, 2), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_nist_record_add(NULL, &r, n, 1), HS_OK);
    assert_int_equal(hs_nist_record_add(NULL, &r, n, 1), HS_ERR_EXISTS);
    assert_int_equal(hs_nist_field_set(NULL, n, 0, 2, "0502", 4), HS_OK);
    assert_int_equal(hs_nist_field_set(NULL, n, 0, 4, "CPS", 3), HS_OK);
    assert_int_equal(hs_nist_field_set(NULL, n, 0, 4, "A\x1d", 2), HS_ERR_CORRUPT);
    assert_int_equal(hs_nist_record_add(NULL, &r, n, 2), HS_OK);
    assert_int_equal(hs_nist_record_add(NULL, &r, n, 4), HS_OK);
    assert_int_equal(hs_nist_field_set(NULL, n, r, 6, "70000", 5), HS_ERR_CORRUPT);
    assert_int_equal(hs_nist_field_set(NULL, n, r, 6, "512", 3), HS_OK);
    assert_int_equal(hs_nist_field_set(NULL, n, r, 9, "\x1c\x1d\x1e", 3), HS_OK);
    size_t size;
    uint8_t *b = encode(n, HS_NIST_ENCODING_TRADITIONAL, 0, &size);
    hs_nist *back = NULL;
    assert_int_equal(decode_mem(b, size, &back, NULL), HS_OK);
    assert_int_equal(hs_nist_record_count(back), 3);
    assert_int_equal(hs_nist_record_type(back, 2), 4);
    size_t ds;
    const uint8_t *d = hs_nist_image_data(back, &ds, 0);
    assert_int_equal(ds, 3);
    assert_memory_equal(d, "\x1c\x1d\x1e", 3);
    assert_int_equal(hs_nist_field_remove(NULL, back, 0, 4), HS_OK);
    assert_null(hs_nist_field(back, NULL, 0, 4));
    hs_nist_free(back);
    free(b);
    hs_nist_free(n);
}

/* ---- hostile input ---------------------------------------------------------- */

struct live { long n; };
static void *cnt_malloc(void *o, size_t n) { ((struct live *)o)->n++; return malloc(n); }
static void *cnt_realloc(void *o, void *p, size_t n)
{
    if (!p)
        ((struct live *)o)->n++;
    return realloc(p, n);
}
static void cnt_free(void *o, void *p)
{
    if (p)
        ((struct live *)o)->n--;
    free(p);
}

static hs_status decode_checked(const void *p, size_t size)
{
    struct live live = {0};
    hs_allocator a = {cnt_malloc, cnt_realloc, cnt_free, &live};
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, &a), HS_OK);
    long base = live.n;
    hs_nist *n = (hs_nist *)&live;
    hs_status s = decode_mem(p, size, &n, ctx);
    if (s) {
        assert_null(n);
        assert_true(strlen(hs_ctx_last_error(ctx)) > 0);
    } else {
        hs_nist_free(n);
    }
    assert_int_equal(live.n, base);
    hs_ctx_free(ctx);
    return s;
}

static void test_bad_traditional(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("fingerprint/an2k-nbis/frontline-sample.an2", p, sizeof p))
        skip();
    size_t size;
    uint8_t *orig = tu_read(p, &size);
    assert_non_null(orig);
    assert_int_equal(decode_checked(orig, size), HS_OK);
    /* Truncated anywhere: a specific error, never a crash. */
    for (size_t cut = 0; cut < size; cut += cut < 400 ? 1 : 97) {
        hs_status s = decode_checked(orig, cut);
        assert_true(s == HS_ERR_TRUNCATED || s == HS_ERR_CORRUPT || s == HS_ERR_FORMAT);
    }
    uint8_t *m = malloc(size + 16);
    /* LEN of Type-1 (200) changed to 201 and 199. */
    memcpy(m, orig, size);
    assert_memory_equal(m, "1.001:200", 9);
    m[8] = '1';
    assert_int_equal(decode_checked(m, size), HS_ERR_CORRUPT);
    m[8] = '9';
    m[7] = '9';
    m[6] = '1';
    assert_int_equal(decode_checked(m, size), HS_ERR_CORRUPT);
    /* A missing GS after LEN. */
    memcpy(m, orig, size);
    m[9] = 'x';
    assert_int_equal(decode_checked(m, size), HS_ERR_CORRUPT);
    /* CNT: 4 records announced, 5 listed / trailing bytes. */
    memcpy(m, orig, size);
    memcpy(m + size, "junk", 4);
    assert_int_equal(decode_checked(m, size + 4), HS_ERR_CORRUPT);
    const uint8_t *cnt = NULL;
    for (size_t i = 0; i + 9 < 60 && !cnt; i++)
        if (!memcmp(orig + i, "1.003:1\x1f" "4", 9))
            cnt = orig + i;
    assert_non_null(cnt);
    memcpy(m, orig, size);
    m[(cnt - orig) + 8] = '5';
    assert_int_equal(decode_checked(m, size), HS_ERR_CORRUPT);
    m[(cnt - orig) + 8] = '3';
    assert_int_equal(decode_checked(m, size), HS_ERR_CORRUPT);
    /* An absurd record length. */
    const char *huge = "1.001:99999999\x1d" "1.003:1\x1f" "0\x1c";
    assert_int_equal(decode_checked(huge, strlen(huge)), HS_ERR_TRUNCATED);
    const char *big_cnt = "1.001:23\x1d" "1.003:1\x1f" "99999\x1c";
    assert_int_equal(decode_checked(big_cnt, strlen(big_cnt)), HS_ERR_LIMIT);
    /* Binary record lengths below the header and beyond the data. */
    const char *t4 = "1.001:24\x1d" "1.003:1\x1f" "1\x1e" "4\x1f" "01\x1c\x00\x00\x00\x05";
    assert_int_equal(decode_checked(t4, 28), HS_ERR_CORRUPT);
    const char *t4b = "1.001:24\x1d" "1.003:1\x1f" "1\x1e" "4\x1f" "01\x1c\x00\x10\x00\x00";
    assert_int_equal(decode_checked(t4b, 28), HS_ERR_TRUNCATED);
    assert_int_equal(decode_checked("hello", 5), HS_ERR_FORMAT);
    /* The file limit. */
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    uint64_t lo = 0, hi = 0;
    assert_int_equal(hs_limit_bounds(&lo, &hi, HS_LIMIT_MAX_FILE_BYTES), HS_OK);
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_FILE_BYTES, lo > 1000 ? lo : 1000), HS_OK);
    hs_nist *n = NULL;
    if (size > (lo > 1000 ? lo : 1000))
        assert_int_equal(hs_nist_decode(ctx, &n, NULL, orig, size, 0), HS_ERR_LIMIT);
    hs_ctx_free(ctx);
    free(m);
    free(orig);
}

static void test_bad_xml(void **state)
{
    (void)state;
    const char *head = "<?xml version=\"1.0\"?>\n";
    const char *bomb =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
        "<itl:NISTBiometricInformationExchangePackage xmlns:itl=\"http://biometrics.nist.gov/standard/2011\">&lol2;"
        "</itl:NISTBiometricInformationExchangePackage>";
    assert_int_equal(decode_checked(bomb, strlen(bomb)), HS_ERR_UNSUPPORTED);
    const char *ext = "<!DOCTYPE x SYSTEM \"http://example.com/x.dtd\"><x/>";
    assert_int_equal(decode_checked(ext, strlen(ext)), HS_ERR_UNSUPPORTED);
    const char *bad = "<itl:NISTBiometricInformationExchangePackage xmlns:itl=\"http://biometrics.nist.gov/standard/2011\"><a></b>";
    assert_int_equal(decode_checked(bad, strlen(bad)), HS_ERR_CORRUPT);
    const char *other = "<root/>";
    assert_int_equal(decode_checked(other, strlen(other)), HS_ERR_FORMAT);
    const char *empty = "<itl:NISTBiometricInformationExchangePackage xmlns:itl=\"http://biometrics.nist.gov/standard/2011\"/>";
    assert_int_equal(decode_checked(empty, strlen(empty)), HS_ERR_CORRUPT);
    /* Nesting 400 deep. */
    size_t cap = 400 * 8 + 400;
    char *deep = malloc(cap);
    size_t k = 0;
    k += (size_t)snprintf(deep + k, cap - k, "%s", head);
    for (int i = 0; i < 300; i++)
        k += (size_t)snprintf(deep + k, cap - k, "<a>");
    for (int i = 0; i < 300; i++)
        k += (size_t)snprintf(deep + k, cap - k, "</a>");
    hs_status s = decode_checked(deep, k);
    assert_true(s == HS_ERR_CORRUPT || s == HS_ERR_LIMIT || s == HS_ERR_FORMAT);
    free(deep);
    /* A sample with its CNT disagreeing and with a broken date. */
    char p[512];
    if (!tu_shared("int-i/XMLsamples/Sample-SRE-NOHIT-INT-ITransaction.xml", p, sizeof p))
        return;
    size_t size;
    uint8_t *x = tu_read(p, &size);
    assert_int_equal(decode_checked(x, size), HS_OK);
    char *q = strstr((char *)x, "<biom:ContentRecordQuantity>1<");
    if (q) {
        q[strlen("<biom:ContentRecordQuantity>")] = '2';
        assert_int_equal(decode_checked(x, size), HS_ERR_CORRUPT);
        q[strlen("<biom:ContentRecordQuantity>")] = '1';
    }
    q = strstr((char *)x, "<nc:Date>");
    assert_non_null(q);
    q[strlen("<nc:Date>") + 4] = '/';
    assert_int_equal(decode_checked(x, size), HS_ERR_CORRUPT);
    free(x);
}

/* Fail the Nth allocation for every N: a specific error, nothing leaked. */
static struct { long left; } fail_state;
static void *fail_malloc(void *o, size_t n)
{
    (void)o;
    return fail_state.left-- > 0 ? malloc(n) : NULL;
}
static void *fail_realloc(void *o, void *p, size_t n)
{
    (void)o;
    return fail_state.left-- > 0 ? realloc(p, n) : NULL;
}
static void fail_free(void *o, void *p)
{
    (void)o;
    free(p);
}

/* ---- XML of Types 4, 9, 15, 17 and 99 ----------------------------------- */

/* Copy record @p ri of @p src to the end of @p dst, field by field. */
static void copy_record(hs_nist *dst, const hs_nist *src, uint32_t ri)
{
    uint32_t nr = 0;
    assert_int_equal(hs_nist_record_add(NULL, &nr, dst, hs_nist_record_type(src, ri)), HS_OK);
    for (uint32_t k = 0; k < hs_nist_field_count(src, ri); k++) {
        uint32_t num = hs_nist_field_number(src, ri, k);
        size_t sz;
        const uint8_t *v = hs_nist_field_at(src, &sz, ri, k);
        if (num != 1)
            assert_int_equal(hs_nist_field_set(NULL, dst, nr, num, v, sz), HS_OK);
    }
}

/* Whether two field values are equal once the empty items that end a
 * subfield are dropped (the XML encoding has no element for an empty item,
 * so "RS<US><US>" comes back as "RS"). */
static bool same_but_trailing_items(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t i = 0, j = 0;
    for (;;) {
        size_t ea = i, eb = j;
        while (ea < na && a[ea] != 0x1e)
            ea++;
        while (eb < nb && b[eb] != 0x1e)
            eb++;
        size_t ta = ea, tb = eb;
        while (ta > i && a[ta - 1] == 0x1f)
            ta--;
        while (tb > j && b[tb - 1] == 0x1f)
            tb--;
        if (ta - i != tb - j || memcmp(a + i, b + j, ta - i))
            return false;
        if (ea == na || eb == nb)
            return ea == na && eb == nb;
        i = ea + 1;
        j = eb + 1;
    }
}

/* Whether record @p ri has the same fields (but LEN) in a and b; *trailing
 * (if given) counts the fields equal only up to empty trailing items, which
 * then count as the same. */
static bool same_record_n(const hs_nist *a, const hs_nist *b, uint32_t ri, char *lost,
                          size_t size, int *trailing)
{
    bool same = hs_nist_field_count(a, ri) == hs_nist_field_count(b, ri);
    lost[0] = 0;
    for (uint32_t k = 0; k < hs_nist_field_count(a, ri); k++) {
        uint32_t num = hs_nist_field_number(a, ri, k);
        size_t sa, sb;
        const uint8_t *pa = hs_nist_field_at(a, &sa, ri, k);
        const uint8_t *pb = hs_nist_field(b, &sb, ri, num);
        if (num == 1 || (pb && sa == sb && !memcmp(pa, pb, sa)))
            continue;
        if (trailing && pb && same_but_trailing_items(pa, sa, pb, sb)) {
            (*trailing)++;
            continue;
        }
        same = false;
        size_t l = strlen(lost);
        snprintf(lost + l, size - l, " .%03u", num);
    }
    return same;
}

static bool same_record(const hs_nist *a, const hs_nist *b, uint32_t ri, char *lost, size_t size)
{
    return same_record_n(a, b, ri, lost, size, NULL);
}

/* Every record of Types 4, 9, 15, 17 and 99 of the shared transactions,
 * grafted onto a built INT-I search: traditional -> XML -> traditional
 * keeps every field (empty trailing items aside, counted), and the XML
 * validates against int-i.xsd, unless the record holds what the XML mapping
 * lacks (17.018), which is refused without HS_NIST_ALLOW_LOSS. */
static void test_xml_record_types(void **state)
{
    (void)state;
    char dir[2][512], p[700];
    if (!tu_shared("fingerprint/an2k-nbis", dir[0], sizeof dir[0]) ||
        !tu_shared("fingerprint/format-samples", dir[1], sizeof dir[1]))
        skip();
    xmlSchemaPtr schema = load_schema();
    int total = 0, kept = 0, valid = 0, refused = 0, efs = 0, efs_valid = 0, trailing = 0;
    for (int d = 0; d < 2; d++) {
        char names[64][128];
        int k = list_dir(dir[d], d ? ".an2k" : ".an2", names, 64);
        for (int i = 0; i < k; i++) {
            snprintf(p, sizeof p, "%.500s/%.127s", dir[d], names[i]);
            hs_nist *src = load(p);
            for (uint32_t ri = 1; ri < hs_nist_record_count(src); ri++) {
                uint32_t t = hs_nist_record_type(src, ri);
                if (t != 4 && t != 9 && t != 15 && t != 17 && t != 98 && t != 99)
                    continue;
                hs_nist *n = NULL;
                hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
                memcpy(o.dai_country, "XPO", 4);
                memcpy(o.ori_country, "DEU", 4);
                assert_int_equal(hs_nist_build_search(NULL, &n, "NPS", "LIBHOTSPOT", "test",
                                                      "INT", "INTERPOL", 3, 1796558400, NULL,
                                                      0, NULL, 0, NULL, &o),
                                 HS_OK);
                copy_record(n, src, ri);
                uint32_t nri = hs_nist_record_count(n) - 1;
                total++;
                hs_ctx *ctx;
                assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
                size_t need = 0;
                hs_status s = hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, 0);
                if (s) {
                    /* Refused: only for what the mapping lacks, named. */
                    /* The 2007 edition's 17.018 GUI. */
                    assert_int_equal(s, HS_ERR_UNSUPPORTED);
                    assert_non_null(strstr(hs_ctx_last_error(ctx), "field 17.018"));
                    refused++;
                    assert_int_equal(hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML,
                                                    HS_NIST_ALLOW_LOSS),
                                     HS_OK);
                } else {
                    size_t xs;
                    uint8_t *x = encode(n, HS_NIST_ENCODING_XML, 0, &xs);
                    hs_nist *back = NULL;
                    assert_int_equal(decode_mem(x, xs, &back, NULL), HS_OK);
                    char lost[256];
                    bool same = same_record_n(n, back, nri, lost, sizeof lost, &trailing);
                    if (!same)
                        printf("%s record %u (Type-%u) lost%s\n", names[i], ri + 1, t, lost);
                    assert_true(same);
                    kept++;
                    /* And back to traditional: the record's bytes are its own. */
                    size_t b_size;
                    uint8_t *b = encode(back, HS_NIST_ENCODING_TRADITIONAL, 0, &b_size);
                    hs_nist *again = NULL;
                    assert_int_equal(decode_mem(b, b_size, &again, NULL), HS_OK);
                    int tr2 = 0;
                    assert_true(same_record_n(n, again, nri, lost, sizeof lost, &tr2));
                    hs_nist_free(again);
                    free(b);
                    bool is_efs = t == 9 && hs_nist_field(n, &need, nri, 300) != NULL;
                    efs += is_efs;
                    if (schema && tu_xsd_valid(schema, x, xs, names[i]) == 0) {
                        valid++;
                        efs_valid += is_efs;
                    }
                    hs_nist_free(back);
                    free(x);
                }
                hs_ctx_free(ctx);
                hs_nist_free(n);
            }
            hs_nist_free(src);
        }
    }
    printf("XML of Types 4/9/15/17/99: %d records; %d keep every field through traditional -> "
           "XML -> traditional (%d of them schema-valid; %d EFS records, %d of them valid; %d "
           "fields equal up to empty trailing items); %d refused (17.018)\n",
           total, kept, valid, efs, efs_valid, trailing, refused);
    assert_true(total >= 20);
    assert_int_equal(kept + refused, total);
    if (total == 34) { /* the shared data as it is today */
        assert_int_equal(efs, 8);
        assert_int_equal(refused, 2);
    }
    if (schema)
        xmlSchemaFree(schema);
}

static hs_status set_str(hs_nist *n, uint32_t record, uint32_t field, const char *v)
{
    return hs_nist_field_set(NULL, n, record, field, v, strlen(v));
}

/* n encoded as XML (*x, *xs; the caller frees) and read back: record r
 * comes back with every field (else the test fails, printing what was lost
 * under the name what). */
static hs_nist *xml_round_trip(const hs_nist *n, uint32_t r, const char *what, uint8_t **x,
                               size_t *xs)
{
    *x = encode(n, HS_NIST_ENCODING_XML, 0, xs);
    hs_nist *back = NULL;
    assert_int_equal(decode_mem(*x, *xs, &back, NULL), HS_OK);
    char lost[512];
    bool same = same_record(n, back, r, lost, sizeof lost);
    if (!same)
        printf("%s lost%s\n", what, lost);
    assert_true(same);
    return back;
}

/* A built NPS with no fingers, face or minutiae (Type-1 and Type-2 only), to
 * which a test adds the records it needs. */
static hs_nist *empty_nps(void)
{
    hs_nist *n = NULL;
    hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
    memcpy(o.dai_country, "XPO", 4);
    memcpy(o.ori_country, "DEU", 4);
    assert_int_equal(hs_nist_build_search(NULL, &n, "NPS", "LIBHOTSPOT", "test", "INT",
                                          "INTERPOL", 3, 1796558400, NULL, 0, NULL, 0, NULL, &o),
                     HS_OK);
    return n;
}

/* Type-98 (no shared transaction has one): a made-up record converts to
 * XML that validates against int-i.xsd and back with every field. */
static void test_xml_type98(void **state)
{
    (void)state;
    hs_nist *n = empty_nps();
    uint32_t r;
    assert_int_equal(hs_nist_record_add(NULL, &r, n, 98), HS_OK);
    assert_int_equal(set_str(n, r, 3, "001B"), HS_OK);
    assert_int_equal(set_str(n, r, 4, "LIBHOTSPOT"), HS_OK);
    assert_int_equal(set_str(n, r, 5, "0001"), HS_OK);
    assert_int_equal(set_str(n, r, 6, "20261206120000Z"), HS_OK);
    assert_int_equal(set_str(n, r, 900, "Modified\x1f" "corrected\x1f" "2,2.018,NA,NA\x1f"
                                        "operator 7\x1f" "DOE\x1e" "Added\x1f\x1f"
                                        "3,14.013,NA,NA\x1f" "device"),
                     HS_OK);
    assert_int_equal(set_str(n, r, 901, "2"), HS_OK);
    assert_int_equal(set_str(n, r, 993, "libhotspot tests"), HS_OK);
    size_t xs;
    uint8_t *x = NULL;
    hs_nist *back = xml_round_trip(n, r, "Type-98", &x, &xs);
    xmlSchemaPtr schema = load_schema();
    if (schema) {
        assert_int_equal(tu_xsd_valid(schema, x, xs, "Type-98"), 0);
        xmlSchemaFree(schema);
    }
    /* A user-defined field has no element. */
    assert_int_equal(set_str(n, r, 200, "mine"), HS_OK);
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    size_t need = 0;
    assert_int_equal(hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, 0),
                     HS_ERR_UNSUPPORTED);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "98.200"));
    hs_ctx_free(ctx);
    hs_nist_free(back);
    free(x);
    hs_nist_free(n);
}

/* A made-up Type-9 with every INCITS (9.126-9.141) and EFS (9.300-9.373)
 * field the XML maps, values from the standard's code lists: converts to
 * XML that validates against int-i.xsd, and back with every field. */
static void test_xml_efs(void **state)
{
    (void)state;
    static const struct { uint32_t f; const char *v; } fields[] = {
        { 3, "4" }, { 4, "U" }, { 901, "ULW annotation" },
        { 126, "27\x1f" "515\x1f" "001D" }, { 127, "APPF\x1f" "0" }, { 128, "680" }, { 129, "416" },
        { 130, "1" }, { 131, "500" }, { 132, "500" }, { 133, "0" }, { 134, "1" },
        { 135, "99\x1f" "27\x1f" "1" }, { 136, "2" },
        { 137, "1\x1f" "10\x1f" "20\x1f" "30\x1f" "1\x1f" "50\x1e" "2\x1f" "40\x1f" "50\x1f" "60\x1f" "2\x1f" "60" },
        { 138, "1\x1f" "0\x1f" "0\x1e" "1\x1f" "2\x1f" "5" }, { 139, "100\x1f" "120\x1f" "90" },
        { 140, "200\x1f" "220\x1f" "10\x1e" "300\x1f" "320\x1f" "20" },
        { 141, "110\x1f" "120\x1e" "130\x1f" "140" },
        { 300, "500\x1f" "600\x1f" "10\x1f" "20\x1f" "0,0-499,0-499,599-0,599" }, { 301, "-20\x1f" "15" },
        { 302, "2\x1f" "DST\x1f" "T\x1f" "1,1-100,1-100,100\x1e" "22\x1f\x1f\x1f" "5,5-50,5-50,50\x1e" "61" },
        { 303, "1\x1e" "2" }, { 307, "WU\x1f" "PW\x1f" "I\x1e" "LS" },
        { 308, "0123\x1e" "4567" }, { 309, "10\x1f" "UNC" }, { 310, "00B3XX\x1e" "0102" },
        { 311, "20\x1f" "UNC" }, { 312, "0A0B\x1e" "0C0D" }, { 313, "30\x1f" "UNC" }, { 314, "P" },
        { 315, "U" }, { 316, "80\x1f" "001F\x1f" "12\x1e" "70\x1f" "001F\x1f" "13" },
        { 317, "G\x1f" "swollen" }, { 320, "250\x1f" "300\x1f" "45\x1f" "10\x1f" "5" },
        { 321, "200\x1f" "400\x1f" "90\x1f" "200\x1f" "330\x1f" "L\x1f" "12\x1f" "5\x1f" "6\x1f" "7" },
        { 322, "1\x1f" "1\x1f" "12\x1f" "14" }, { 323, "L\x1f" "250\x1f" "300\x1f" "8" },
        { 324, "SCAR\x1f" "10,10-20,10-20,20\x1f" "old scar" },
        { 331, "100\x1f" "200\x1f" "90\x1f" "E\x1f" "5\x1f" "10\x1e" "150\x1f" "250\x1f" "180\x1f" "B" },
        { 332, "OCTANT" }, { 333, "1\x1f" "2\x1f" "3\x1f" "4\x1f" "1" },
        { 335, "100\x1f" "200\x1f" "150\x1f" "250\x1f" "A\x1f" "80" }, { 340, "50\x1f" "60\x1f" "3" },
        { 341, "10\x1f" "11\x1f" "20\x1f" "21" }, { 342, "30\x1f" "31\x1f" "40\x1f" "41\x1f" "DIP" },
        { 343, "70\x1f" "71\x1f" "P" }, { 344, "Y" }, { 348, "1" }, { 349, "N" },
        { 350, "ALL\x1f" "MAN\x1f" "NIST\x1f" "v1\x1f" "Doe\x1f" "Jane\x1f" "NIST\x1f" "20261206120000Z\x1f" "notes" },
        { 351, "a comment" }, { 352, "12I\x1e" "LAS" },
        { 353, "VALUE\x1f" "Doe\x1f" "John\x1f" "NIST\x1f" "20200520\x1f" "assessed\x1f" "COMPLEX" },
        { 354, "FAB\x1f" "copied" }, { 355, "1C\x1f" "paper" }, { 356, "3\x1f" "blood" },
        { 357, "SMEAR\x1f" "1,1-9,1-9,9\x1f" "smudge" }, { 360, "1\x1f" "1,1-9,1-9,9\x1f" "same" },
        { 361, "A\x1f" "F\x1f" "331\x1f" "1\x1f" "100\x1f" "200\x1f" "ok" },
        { 362, "1\x1f" "INDIV\x1f" "FINAL\x1f" "Doe\x1f" "John\x1f" "NIST\x1f" "20261206120000Z\x1f" "done\x1f" "COMPLEX" },
        { 363, "1\x1f" "-15" }, { 372, "AAEC" }, { 373, "1,1-2,2-3,3\x1e" "4,4-5,5" },
    };
    hs_nist *n = empty_nps();
    uint32_t r;
    assert_int_equal(hs_nist_record_add(NULL, &r, n, 9), HS_OK);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        assert_int_equal(set_str(n, r, fields[i].f, fields[i].v), HS_OK);
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    size_t xs = 0;
    hs_status es = hs_nist_encode(ctx, NULL, &xs, n, HS_NIST_ENCODING_XML, 0);
    if (es)
        printf("EFS/INCITS: %s\n", hs_ctx_last_error(ctx));
    assert_int_equal(es, HS_OK);
    hs_ctx_free(ctx);
    uint8_t *x = NULL;
    hs_nist *back = xml_round_trip(n, r, "EFS/INCITS", &x, &xs);
    char lost[512];
    /* Nothing of the record was left without a field: it converts. */
    size_t ts;
    uint8_t *t = encode(back, HS_NIST_ENCODING_TRADITIONAL, 0, &ts);
    hs_nist *again = NULL;
    assert_int_equal(decode_mem(t, ts, &again, NULL), HS_OK);
    assert_true(same_record(n, again, r, lost, sizeof lost));
    /* What the reader accepts it can write back: elements whose values the
     * traditional form cannot hold are refused as corrupt. */
    static const struct { const char *from, *to; } bad[] = {
        { "<biom:FingerPositionCode>2</biom:FingerPositionCode>",     /* palm code, finger element */
          "<biom:FingerPositionCode>22</biom:FingerPositionCode>" },
        { "<biom:MinutiaeNoPoresPresentIndicator>true<", "<biom:MinutiaeNoPoresPresentIndicator>maybe<" },
        { "<biom:ImageLocationHorizontalCoordinateMeasure>0<",        /* a ',' inside a polygon */
          "<biom:ImageLocationHorizontalCoordinateMeasure>0,5<" },
        { "<biom:INCITSRidgeCountAlgorithmCode>1</biom:INCITSRidgeCountAlgorithmCode>", "" },
        { "<biom:MinutiaeValueAssessmentDateTime>\n", "<biom:MinutiaeValueAssessmentDateTime><nc:Date>x</nc:Date>\n" },
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        const char *at = NULL;
        for (size_t q = 0; !at && q + strlen(bad[b].from) <= xs; q++)
            if (!memcmp(x + q, bad[b].from, strlen(bad[b].from)))
                at = (const char *)x + q;
        assert_non_null(at);
        size_t fl = strlen(bad[b].from), tl = strlen(bad[b].to), off = (size_t)(at - (const char *)x);
        uint8_t *m = malloc(xs - fl + tl);
        assert_non_null(m);
        memcpy(m, x, off);
        memcpy(m + off, bad[b].to, tl);
        memcpy(m + off + tl, x + off + fl, xs - off - fl);
        hs_nist *mn = NULL;
        hs_status ms = decode_mem(m, xs - fl + tl, &mn, NULL);
        if (ms != HS_ERR_CORRUPT)
            printf("EFS/INCITS mutation %zu read as %d\n", b, ms);
        assert_int_equal(ms, HS_ERR_CORRUPT);
        assert_null(mn);
        free(m);
    }
    xmlSchemaPtr schema = load_schema();
    if (schema) {
        assert_int_equal(tu_xsd_valid(schema, x, xs, "EFS/INCITS"), 0);
        xmlSchemaFree(schema);
    } else {
        printf("int-i.xsd absent: schema validation of the EFS/INCITS record skipped\n");
    }
    hs_nist_free(again);
    free(t);
    hs_nist_free(back);
    free(x);
    hs_nist_free(n);
}

/* What the XML mapping cannot hold is refused, naming the field. */
static void test_xml_refusals(void **state)
{
    (void)state;
    hs_nist *n = empty_nps();
    uint32_t r4, r9;
    assert_int_equal(hs_nist_record_add(NULL, &r4, n, 4), HS_OK);
    /* A used position after an unused one. */
    assert_int_equal(set_str(n, r4, 4, "2\x1f" "255\x1f" "3\x1f" "255\x1f"
                                                       "255\x1f" "255"),
                     HS_OK);
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    size_t need = 0;
    assert_int_equal(hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, 0),
                     HS_ERR_UNSUPPORTED);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "4.004"));
    assert_int_equal(set_str(n, r4, 4, "2\x1f" "3\x1f" "255\x1f" "255\x1f"
                                                       "255\x1f" "255"),
                     HS_OK);
    assert_int_equal(hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, 0), HS_OK);
    /* A minutia whose location is not XXXXYYYYTTT. */
    assert_int_equal(hs_nist_record_add(NULL, &r9, n, 9), HS_OK);
    assert_int_equal(set_str(n, r9, 3, "0"), HS_OK);
    assert_int_equal(set_str(n, r9, 4, "S"), HS_OK);
    assert_int_equal(set_str(n, r9, 10, "1"), HS_OK);
    assert_int_equal(set_str(n, r9, 12, "001\x1f" "12345\x1f" "10\x1f" "A"),
                     HS_OK);
    assert_int_equal(hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, 0),
                     HS_ERR_UNSUPPORTED);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "9.005-9.012"));
    assert_int_equal(hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML,
                                     HS_NIST_ALLOW_LOSS),
                     HS_OK);
    /* A field of the record without an element (EFS temporary lines). */
    assert_int_equal(set_str(n, r9, 12, "001\x1f" "01230456090\x1f" "10\x1f" "A"), HS_OK);
    assert_int_equal(hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, 0), HS_OK);
    assert_int_equal(set_str(n, r9, 380, "1"), HS_OK);
    assert_int_equal(hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, 0),
                     HS_ERR_UNSUPPORTED);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "9.380"));
    assert_int_equal(hs_nist_field_remove(NULL, n, r9, 380), HS_OK);
    /* EFS values the elements cannot hold, each named. */
    static const struct { uint32_t field; const char *v, *named; } bad[] = {
        { 300, "10\x1f" "10\x1f\x1f\x1f" "1,1-2", "9.300" },        /* polygon of 1.5 points */
        { 300, "10\x1f" "10\x1f\x1f\x1f" "1,1-2,2-", "9.300" },     /* trailing '-' */
        { 300, "10\x1f" "10\x1f\x1f\x1f\x1f" "9", "9.300" },        /* a sixth item */
        { 302, "22\x1e" "3", "9.302" },                               /* palm before finger */
        { 302, "22\x1f" "DST", "9.302" },                             /* palm with a segment */
        { 302, "99", "9.302" },                                        /* no such position */
        { 326, "X", "9.326" },                                         /* not Y/N/1/0 */
        { 353, "VALUE\x1f" "Doe\x1f" "J\x1f" "NIST\x1f" "2020", "9.353" }, /* neither date nor time */
        { 138, "1\x1f" "1\x1f" "0", "9.138" },                        /* filler not 0 */
        { 138, "\x1f" "0\x1f" "0\x1e" "1\x1f" "2\x1f" "3", "9.138" },   /* counts, no method */
        { 138, "\x1f" "0\x1f" "0", "9.138" },                          /* fillers only */
        { 141, "10\x1f" "20", "9.141" },                              /* ADA without DIN */
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        assert_int_equal(set_str(n, r9, bad[b].field, bad[b].v), HS_OK);
        hs_status bs = hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, 0);
        if (bs != HS_ERR_UNSUPPORTED || !strstr(hs_ctx_last_error(ctx), bad[b].named))
            printf("bad EFS value %zu: %d %s\n", b, bs, hs_ctx_last_error(ctx));
        assert_int_equal(bs, HS_ERR_UNSUPPORTED);
        assert_non_null(strstr(hs_ctx_last_error(ctx), bad[b].named));
        assert_int_equal(hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML,
                                         HS_NIST_ALLOW_LOSS),
                         HS_OK);
        assert_int_equal(hs_nist_field_remove(NULL, n, r9, bad[b].field), HS_OK);
    }
    hs_ctx_free(ctx);
    hs_nist_free(n);
}

/* ---- Transactions and the watchlist --------------------------------------- */

static uint32_t view_position(const hs_template *t, uint32_t v)
{
    hs_view_info vi = HS_VIEW_INFO_INIT;
    assert_int_equal(hs_template_view_info(t, &vi, v), HS_OK);
    return vi.finger_position;
}

#ifdef HS_IMAGE_FORMAT_WSQ
/* The text of item (subfield 0) @p item of field 2.@p field, "" when absent. */
static const char *t2_item(const hs_nist *n, uint32_t field, uint32_t item)
{
    static char buf[128];
    size_t sz = sizeof buf;
    if (hs_nist_item(NULL, buf, &sz, n, 1, field, 0, item) != HS_OK)
        buf[0] = 0;
    return buf;
}

/* Encoded as XML and as the traditional encoding, @p sre validates (INT-I
 * profile; the XML against int-i.xsd) and reads back field for field. */
static void assert_sre_round_trips(const hs_nist *sre, const char *what)
{
    assert_int_equal(count_findings(sre, HS_NIST_PROFILE_INT_I, 1), 0);
    size_t xs;
    uint8_t *x = encode(sre, HS_NIST_ENCODING_XML, 0, &xs); /* no HS_NIST_ALLOW_LOSS */
    xmlSchemaPtr schema = load_schema();
    if (schema) {
        assert_int_equal(tu_xsd_valid(schema, x, xs, what), 0);
        xmlSchemaFree(schema);
    }
    hs_nist *back = NULL;
    assert_int_equal(decode_mem(x, xs, &back, NULL), HS_OK);
    assert_fields_kept(sre, back, what);
    assert_int_equal(count_findings(back, HS_NIST_PROFILE_INT_I, 1), 0);
    hs_nist_free(back);
    free(x);
    x = encode(sre, HS_NIST_ENCODING_TRADITIONAL, 0, &xs);
    assert_int_equal(decode_mem(x, xs, &back, NULL), HS_OK);
    assert_fields_kept(sre, back, what);
    hs_nist_free(back);
    free(x);
}

/* The items of Type-2 field `field` of sre are want[0], want[1], ... (a
 * NULL-terminated list). */
static void expect_items(const hs_nist *sre, uint32_t field, const char *const *want)
{
    for (uint32_t i = 0; want[i]; i++)
        assert_string_equal(t2_item(sre, field, i), want[i]);
}

/* hs_nist_build_result_hit() on result @p r (one hit, "S-1") of search
 * @p search (with the agencies' countries) and @p nocountry (without). */
static void test_result_hit(hs_ctx *ctx, const hs_nist *search, const hs_nist *nocountry,
                            const hs_watchlist_result *r)
{
    hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
    hs_nist *sre = NULL;
    /* Defaults: CRN with the search's destination country, MVI false, no INF. */
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, search, r, 0, 11, 1796558600, NULL),
                     HS_OK);
    assert_string_equal(t2_item(sre, 10, 0), "XPO");
    assert_string_equal(t2_item(sre, 10, 1), "S-1");
    expect_items(sre, 64, (const char *[]){"1", "false", "1", "CPS", "I", NULL});
    size_t sz;
    assert_null(hs_nist_field(sre, &sz, 1, 63));
    assert_null(hs_nist_field(sre, &sz, 1, 65)); /* the id is in CRN: nothing lost in XML */
    assert_null(hs_nist_field(sre, &sz, 1, 90));
    char buf[64];
    sz = sizeof buf;
    assert_int_equal(hs_nist_text_get(ctx, buf, &sz, sre, HS_NIST_TEXT_TOT), HS_OK);
    assert_string_equal(buf, "SRE");
    assert_sre_round_trips(sre, "SRE hit, defaults");
    hs_nist_free(sre);
    /* Every option: the owner's country, a verified candidate, the contact point. */
    memcpy(o.subject_country, "FRA", 4);
    o.result_flags = HS_NIST_RESULT_VERIFIED;
    o.contact_phone = "33472447000";
    o.contact_org = "Interpol";
    o.contact_person = "Jules Maigret";
    o.contact_text = "Contact the duty officer";
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, search, r, 0, 12, 1796558600, &o),
                     HS_OK);
    assert_string_equal(t2_item(sre, 10, 0), "FRA");
    assert_string_equal(t2_item(sre, 10, 1), "S-1");
    expect_items(sre, 63, (const char *[]){"33472447000", "Interpol", "Jules Maigret",
                                            "Contact the duty officer", NULL});
    assert_string_equal(t2_item(sre, 64, 1), "true");
    assert_sre_round_trips(sre, "SRE hit, all options");
    hs_nist_free(sre);
    /* A contact with the organisation only; the id as IRN instead of CRN. */
    o.contact_phone = o.contact_person = o.contact_text = NULL;
    o.result_flags = HS_NIST_RESULT_IRN;
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, search, r, 0, 13, 1796558600, &o),
                     HS_OK);
    assert_null(hs_nist_field(sre, &sz, 1, 10));
    const uint8_t *irn = hs_nist_field(sre, &sz, 1, 90);
    assert_non_null(irn);
    assert_int_equal(sz, 3);
    assert_memory_equal(irn, "S-1", 3);
    assert_string_equal(t2_item(sre, 63, 1), "Interpol");
    assert_string_equal(t2_item(sre, 64, 1), "false");
    assert_sre_round_trips(sre, "SRE hit, IRN");
    hs_nist_free(sre);
    /* Errors, nothing built. */
    sre = (hs_nist *)1;
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, search, r, 1, 14, 1796558600, &o),
                     HS_ERR_NOT_FOUND); /* one hit only */
    assert_null(sre);
    o.result_flags = 0;
    o.contact_phone = "+33 4";
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, search, r, 0, 14, 1796558600, &o),
                     HS_ERR_INVALID_ARG);
    assert_null(sre);
    o.contact_phone = NULL;
    o.contact_org = "Interpol ";
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, search, r, 0, 14, 1796558600, &o),
                     HS_ERR_INVALID_ARG);
    o.contact_org = "a\x1f" "b";
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, search, r, 0, 14, 1796558600, &o),
                     HS_ERR_INVALID_ARG);
    o.contact_org = NULL;
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, search, r, 0, 14, 1796558600, &o),
                     HS_OK);
    hs_nist_free(sre);
    /* CRN without a country: none given, none in the search's ANM. */
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, nocountry, r, 0, 14, 1796558600, NULL),
                     HS_ERR_INVALID_ARG);
    assert_null(sre);
    memcpy(o.subject_country, "fr", 3);
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, search, r, 0, 14, 1796558600, &o),
                     HS_ERR_INVALID_ARG);
    o.result_flags = HS_NIST_RESULT_IRN; /* IRN needs no country */
    assert_int_equal(hs_nist_build_result_hit(ctx, &sre, nocountry, r, 0, 14, 1796558600, &o),
                     HS_OK);
    hs_nist_free(sre);
    assert_int_equal(hs_nist_build_result_hit(ctx, NULL, search, r, 0, 14, 1796558600, NULL),
                     HS_ERR_INVALID_ARG);
}
#endif

/* hs_nist_fingers: one view per finger, positions from the records (slaps
 * and palms passed over, 11/12 taken as thumbs only when 1/6 are absent),
 * Type-9 minutiae before images of the same IDC, flags, and errors. */
static void test_fingers(void **state)
{
    (void)state;
    char p[512];
    if (!tu_shared("fingerprint/an2k-nbis/type_3_wvu.an2", p, sizeof p))
        skip();
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    /* Ten rolled fingers (Type-3), plain thumbs 11/12 and slaps 13/14. */
    hs_nist *n = load(p);
    hs_template *t = NULL;
    assert_int_equal(hs_nist_fingers(ctx, &t, n, NULL, 0), HS_OK);
    assert_int_equal(hs_template_view_count(t), 10);
    for (uint32_t v = 0; v < 10; v++) {
        assert_int_equal(view_position(t, v), v + 1);
        uint32_t c = 0;
        hs_template_minutiae(t, &c, v);
        assert_true(c >= 10);
    }
    hs_template_free(t);
    /* Without Type-9 records, minutiae only finds nothing. */
    assert_int_equal(hs_nist_fingers(ctx, &t, n, NULL, HS_NIST_FINGERS_NO_IMAGES),
                     HS_ERR_NOT_FOUND);
    assert_null(t);
    assert_int_equal(hs_nist_fingers(ctx, &t, n, NULL, 0x80), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_nist_fingers(ctx, NULL, n, NULL, 0), HS_ERR_INVALID_ARG);
    hs_nist_free(n);

    /* 1-bit Type-5 images cannot be decoded: an error, or nothing. */
    if (tu_shared("fingerprint/an2k-nbis/type_5_wvu.an2", p, sizeof p)) {
        n = load(p);
        assert_int_equal(hs_nist_fingers(ctx, &t, n, NULL, 0), HS_ERR_UNSUPPORTED);
        assert_int_equal(hs_nist_fingers(ctx, &t, n, NULL, HS_NIST_FINGERS_SKIP_BAD),
                         HS_ERR_NOT_FOUND);
        hs_nist_free(n);
    }
    /* A Type-9 standard-format record of a palm (FGP 28) is passed over. */
    if (tu_shared("fingerprint/an2k-nbis/valid1.15.an2", p, sizeof p)) {
        n = load(p);
        assert_int_equal(hs_nist_fingers(ctx, &t, n, NULL, 0), HS_ERR_NOT_FOUND);
        hs_nist_free(n);
    }
    /* Type-9 minutiae of a finger are taken as they are. */
    if (tu_shared("fingerprint/format-samples/type9.an2k", p, sizeof p)) {
        n = load(p);
        assert_int_equal(hs_nist_fingers(ctx, &t, n, NULL, 0), HS_OK);
        assert_int_equal(hs_template_view_count(t), 1);
        uint32_t c = 0;
        hs_template_minutiae(t, &c, 0);
        assert_int_equal(c, 28);
        hs_template_free(t);
        hs_nist_free(n);
    }

#ifdef HS_IMAGE_FORMAT_WSQ
    /* A built CPS with two fingers and the minutiae of the first: that
     * finger comes from the Type-9 record (same IDC), the other from its
     * WSQ image; the probe finds the subject enrolled from it. */
    if (!tu_shared("fingerprint/an2k-nbis/frontline-sample.an2", p, sizeof p))
        goto done;
    hs_nist *src = load(p);
    hs_image *img[2];
    hs_nist_finger fingers[2];
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(hs_nist_image_decode(NULL, &img[i], src, i, 0), HS_OK);
        fingers[i].image = img[i];
        fingers[i].position = i ? 7 : 2;
        fingers[i].quality = 60;
    }
    hs_finger_extractor *ex = NULL;
    assert_int_equal(hs_finger_extractor_new(ctx, &ex), HS_OK);
    hs_template *m = NULL;
    assert_int_equal(hs_finger_extract(ctx, &m, ex, img[0]), HS_OK);
    hs_view_info vi = HS_VIEW_INFO_INIT;
    assert_int_equal(hs_template_view_info(m, &vi, 0), HS_OK);
    uint32_t mc = vi.minutia_count;
    hs_template *m2 = NULL;
    assert_int_equal(hs_template_new(ctx, &m2), HS_OK);
    vi.finger_position = 2;
    uint32_t cnt;
    const hs_minutia *mm = hs_template_minutiae(m, &cnt, 0);
    assert_int_equal(hs_template_add_view(ctx, m2, &vi, mm, cnt), HS_OK);
    hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
    hs_nist *b = NULL;
    /* Without the agencies' countries first: the hit detail below needs one. */
    assert_int_equal(hs_nist_build_search(ctx, &b, "CPS", "LIBHOTSPOT", "test", "INT", "INTERPOL",
                                          9, 1796558400, fingers, 1, NULL, 0, NULL, &o),
                     HS_OK);
    hs_nist *nocountry = b;
    b = NULL;
    memcpy(o.dai_country, "XPO", 4);
    memcpy(o.ori_country, "FRA", 4);
    assert_int_equal(hs_nist_build_search(ctx, &b, "CPS", "LIBHOTSPOT", "test", "INT", "INTERPOL",
                                          9, 1796558400, fingers, 2, NULL, 0, m2, &o),
                     HS_OK);
    assert_int_equal(hs_nist_fingers(ctx, &t, b, ex, 0), HS_OK);
    assert_int_equal(hs_template_view_count(t), 2);
    assert_int_equal(view_position(t, 0), 2); /* Type-9 first */
    assert_int_equal(view_position(t, 1), 7);
    hs_template_minutiae(t, &cnt, 0);
    assert_int_equal(cnt, mc);
    hs_template_free(t);
    /* Images only: both extracted again, same positions. */
    assert_int_equal(hs_nist_fingers(ctx, &t, b, ex, HS_NIST_FINGERS_NO_MINUTIAE), HS_OK);
    assert_int_equal(hs_template_view_count(t), 2);
    assert_int_equal(view_position(t, 0), 2);
    assert_int_equal(view_position(t, 1), 7);
    /* Enrol from the transaction, search with it. */
    hs_watchlist *wl = NULL;
    hs_watchlist_subject *sub = NULL;
    assert_int_equal(hs_watchlist_new(ctx, &wl), HS_OK);
    assert_int_equal(hs_watchlist_subject_new(ctx, &sub, "S-1"), HS_OK);
    for (uint32_t v = 0; v < 2; v++)
        assert_int_equal(hs_watchlist_subject_add_finger(ctx, sub, t, v), HS_OK);
    assert_int_equal(hs_watchlist_add(ctx, wl, sub), HS_OK);
    /* the extracted fingers kept their orientation fields through
     * hs_nist_fingers (so the list is of format 3) */
    assert_int_equal(hs_watchlist_format_version(wl), 3);
    hs_watchlist_result *r = NULL;
    assert_int_equal(hs_watchlist_search(ctx, &r, wl, t, NULL, 0, NULL), HS_OK);
    hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
    assert_int_equal(hs_watchlist_result_candidate(r, &c, 0), HS_OK);
    assert_string_equal(c.id, "S-1");
    assert_int_equal(c.hit, 1);
    /* The answer names the hit. */
    hs_nist *sre = NULL;
    assert_int_equal(hs_nist_build_result(ctx, &sre, b, r, 10, 1796558500), HS_OK);
    size_t sz;
    const uint8_t *v65 = hs_nist_field(sre, &sz, 1, 65);
    assert_non_null(v65);
    assert_int_equal(sz, 3);
    assert_memory_equal(v65, "S-1", 3);
    hs_nist_free(sre);
    test_result_hit(ctx, b, nocountry, r);
    hs_nist_free(nocountry);
    hs_watchlist_result_free(r);
    hs_watchlist_subject_free(sub);
    hs_watchlist_free(wl);
    hs_template_free(t);
    /* An image of 569 ppi is brought to 500 ppi by the builder. */
    hs_image *big = NULL;
    assert_int_equal(hs_image_new(ctx, &big, 569, 569, 569, 128), HS_OK);
    fingers[0].image = big;
    assert_int_equal(hs_nist_build_search(ctx, &sre, "CPS", "LIBHOTSPOT", "test", "INT",
                                          "INTERPOL", 9, 1796558400, fingers, 1, NULL, 0, NULL,
                                          &o),
                     HS_OK);
    hs_nist_image_info ii = HS_NIST_IMAGE_INFO_INIT;
    assert_int_equal(hs_nist_image_info_get(ctx, &ii, sre, 0), HS_OK);
    assert_int_equal(ii.width, 500);
    assert_int_equal(ii.height, 500);
    assert_int_equal(ii.ppi, 500);
    hs_nist_free(sre);
    hs_image_free(big);
    hs_template_free(m);
    hs_template_free(m2);
    hs_finger_extractor_free(ex);
    hs_nist_free(b);
    hs_image_free(img[0]);
    hs_image_free(img[1]);
    hs_nist_free(src);
done:;
#endif
    /* Faces: arguments, and a transaction without one. */
    uint32_t dim = 7;
    float f[4];
    assert_int_equal(hs_nist_face_embed(ctx, f, 4, &dim, NULL, NULL), HS_ERR_INVALID_ARG);
    assert_int_equal(dim, 0);
    hs_face_engine *e = NULL;
    if (hs_face_engine_new(ctx, &e, NULL) == HS_OK) {
        uint32_t cap = hs_face_engine_dim(e);
        float *emb = calloc(cap, sizeof *emb);
        assert_true(tu_shared("fingerprint/an2k-nbis/type_3_wvu.an2", p, sizeof p));
        n = load(p);
        assert_int_equal(hs_nist_face_embed(ctx, emb, cap, &dim, e, n), HS_ERR_NOT_FOUND);
        hs_nist_free(n);
        assert_true(tu_shared("fingerprint/an2k-nbis/frontline-sample.an2", p, sizeof p));
        n = load(p);
        assert_int_equal(hs_nist_face_embed(ctx, emb, cap, &dim, e, n), HS_OK);
        assert_int_equal(dim, cap);
        double norm = 0;
        for (uint32_t i = 0; i < dim; i++)
            norm += (double)emb[i] * emb[i];
        assert_true(fabs(norm - 1.0) < 1e-3);
        hs_nist_free(n);
        free(emb);
        hs_face_engine_free(e);
    } else {
        printf("SKIP part: no face engine (%s)\n", hs_ctx_last_error(ctx));
    }
    hs_ctx_free(ctx);
}

/* Decode the file, encode it as XML (loss allowed) and size the traditional
 * encoding. */
static hs_status nomem_frontline(hs_ctx *ctx, const uint8_t *orig, size_t size)
{
    hs_nist *n = NULL;
    hs_status s = hs_nist_decode(ctx, &n, NULL, orig, size, 0);
    size_t need = 0;
    if (!s) {
        s = hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, HS_NIST_ALLOW_LOSS);
        if (!s)
            s = hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_TRADITIONAL, 0);
    }
    hs_nist_free(n);
    return s;
}

/* The INCITS/EFS mapping: decode, XML (no loss), decode that, size the
 * traditional encoding. The XML bytes are written with allocations allowed. */
static hs_status nomem_efs(hs_ctx *ctx, const uint8_t *orig, size_t size)
{
    hs_nist *n = NULL, *x = NULL;
    uint8_t *buf = NULL;
    size_t need = 0;
    hs_status s = hs_nist_decode(ctx, &n, NULL, orig, size, 0);
    if (!s)
        s = hs_nist_encode(ctx, NULL, &need, n, HS_NIST_ENCODING_XML, 0);
    if (!s) {
        long left = fail_state.left;
        fail_state.left = 1 << 30;
        buf = malloc(need);
        assert_non_null(buf);
        assert_int_equal(hs_nist_encode(ctx, buf, &need, n, HS_NIST_ENCODING_XML, 0), HS_OK);
        fail_state.left = left;
        s = hs_nist_decode(ctx, &x, NULL, buf, need, 0);
    }
    if (!s)
        s = hs_nist_encode(ctx, NULL, &need, x, HS_NIST_ENCODING_TRADITIONAL, 0);
    free(buf);
    hs_nist_free(x);
    hs_nist_free(n);
    return s;
}

/* Run op on the shared file rel with the Nth allocation failing, for every N
 * until it succeeds: each failure must be HS_ERR_NOMEM (no crash, no leak
 * under ASan); more than 10 of them. False when the file is absent. */
static bool nomem_loop(const char *rel, hs_status (*op)(hs_ctx *, const uint8_t *, size_t))
{
    char p[512];
    if (!tu_shared(rel, p, sizeof p))
        return false;
    size_t size;
    uint8_t *orig = tu_read(p, &size);
    hs_allocator a = {fail_malloc, fail_realloc, fail_free, NULL};
    int nomem = 0;
    for (long nth = 0;; nth++) {
        fail_state.left = 1 << 30;
        hs_ctx *ctx;
        assert_int_equal(hs_ctx_new(&ctx, &a), HS_OK);
        fail_state.left = nth;
        hs_status s = op(ctx, orig, size);
        fail_state.left = 1 << 30;
        hs_ctx_free(ctx);
        if (s == HS_OK)
            break;
        assert_int_equal(s, HS_ERR_NOMEM);
        nomem++;
    }
    assert_true(nomem > 10);
    free(orig);
    return true;
}

static void test_nomem(void **state)
{
    (void)state;
    if (!nomem_loop("fingerprint/an2k-nbis/frontline-sample.an2", nomem_frontline))
        skip();
    if (!nomem_loop("fingerprint/format-samples/type9-efs.an2k", nomem_efs))
        printf("format-samples/type9-efs.an2k absent: the EFS part is skipped\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traditional_files),
        cmocka_unit_test(test_image_hashes),
        cmocka_unit_test(test_duplicate_999),
        cmocka_unit_test(test_typed_access),
        cmocka_unit_test(test_minutiae),
        cmocka_unit_test(test_xml_samples),
        cmocka_unit_test(test_traditional_to_xml),
        cmocka_unit_test(test_xml_record_types),
        cmocka_unit_test(test_xml_refusals),
        cmocka_unit_test(test_xml_efs),
        cmocka_unit_test(test_xml_type98),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_build_result),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_validate_wsq),
        cmocka_unit_test(test_edit),
        cmocka_unit_test(test_bad_traditional),
        cmocka_unit_test(test_bad_xml),
        cmocka_unit_test(test_fingers),
        cmocka_unit_test(test_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
