/* Watchlist: subjects, list operations, files (corruption, truncation,
 * interrupted saves), packages (tampering, wrong keys, rollback, deltas),
 * searches (empty list, concurrency, FVC identification when the shared
 * data is present). */
#include "testutil.h"
#include "internal/template.h"
#include "internal/watchlist.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- synthetic fingers ---------------------------------------------------- */

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static double rng_unit(uint32_t *s)
{
    return (rng_next(s) & 0xffffff) / 16777216.0;
}

/* A random "finger": n minutiae spread over 300x400 px at 500 ppi. */
static void synth_finger(uint32_t seed, hs_minutia *m, uint32_t n)
{
    uint32_t s = seed * 2654435761u + 1;
    for (uint32_t i = 0; i < n; i++) {
        m[i].x = (float)(20 + rng_unit(&s) * 260);
        m[i].y = (float)(20 + rng_unit(&s) * 360);
        m[i].angle = (float)(rng_unit(&s) * 6.2831);
        m[i].type = (uint8_t)(1 + (rng_next(&s) & 1));
        m[i].quality = (uint8_t)(40 + rng_next(&s) % 60);
        m[i].reserved[0] = m[i].reserved[1] = 0;
    }
}

/* Another impression: rotated by rot radians about the centre, shifted,
 * jittered, with every 8th minutia dropped. Returns the new count. */
static uint32_t impression(const hs_minutia *src, uint32_t n, double rot, double dx, double dy,
                           uint32_t seed, hs_minutia *dst)
{
    uint32_t s = seed | 1, k = 0;
    double c = cos(rot), sn = sin(rot);
    for (uint32_t i = 0; i < n; i++) {
        if (i % 8 == 7)
            continue;
        double x = src[i].x - 150, y = src[i].y - 200;
        /* image y points down: a counter-clockwise rotation on screen */
        double xr = c * x + sn * y + 150 + dx + (rng_unit(&s) - 0.5) * 3;
        double yr = -sn * x + c * y + 200 + dy + (rng_unit(&s) - 0.5) * 3;
        if (xr < 0 || yr < 0 || xr > 300 || yr > 400)
            continue;
        double a = fmod(src[i].angle + rot + (rng_unit(&s) - 0.5) * 0.1 + 6.283185307179586,
                        6.283185307179586);
        dst[k] = src[i];
        dst[k].x = (float)xr;
        dst[k].y = (float)yr;
        dst[k].angle = (float)(a >= 6.283185307179586 ? 0 : a);
        k++;
    }
    return k;
}

static hs_template *make_template(const hs_minutia *m, uint32_t n, uint32_t position)
{
    hs_template *t;
    assert_int_equal(hs_template_new(NULL, &t), HS_OK);
    hs_view_info info = {sizeof info, 300, 400, 500, 500, position, 0, 0, 60, 0};
    assert_int_equal(hs_template_add_view(NULL, t, &info, m, n), HS_OK);
    return t;
}

static hs_watchlist_subject *make_subject(const char *id, uint32_t seed, uint32_t nfingers,
                                          int with_face)
{
    hs_watchlist_subject *s;
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, id), HS_OK);
    assert_int_equal(hs_watchlist_subject_set_field(NULL, s, "category", "red"), HS_OK);
    assert_int_equal(hs_watchlist_subject_set_field(NULL, s, "reference", id), HS_OK);
    for (uint32_t f = 0; f < nfingers; f++) {
        hs_minutia m[40];
        synth_finger(seed * 16 + f, m, 40);
        hs_template *t = make_template(m, 40, f + 1);
        assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, t, 0), HS_OK);
        hs_template_free(t);
    }
    if (with_face) {
        float e[128];
        uint32_t r = seed * 7919u + 3;
        for (int i = 0; i < 128; i++)
            e[i] = (float)(rng_unit(&r) - 0.5);
        assert_int_equal(hs_watchlist_subject_add_face(NULL, s, e, 128, 0), HS_OK);
    }
    return s;
}

static hs_watchlist *make_list(uint32_t n, uint64_t version)
{
    hs_watchlist *wl;
    assert_int_equal(hs_watchlist_new(NULL, &wl), HS_OK);
    for (uint32_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "S%05u", i);
        hs_watchlist_subject *s = make_subject(id, i, 1 + i % 3, i % 2 == 0);
        assert_int_equal(hs_watchlist_add(NULL, wl, s), HS_OK);
        hs_watchlist_subject_free(s);
    }
    hs_watchlist_set_version(wl, version);
    return wl;
}

static uint8_t *encode(const hs_watchlist *wl, size_t *n)
{
    assert_int_equal(hs_watchlist_encode(NULL, NULL, n, wl), HS_OK);
    uint8_t *b = malloc(*n);
    assert_non_null(b);
    assert_int_equal(hs_watchlist_encode(NULL, b, n, wl), HS_OK);
    return b;
}

/* ---- subjects ---------------------------------------------------------------- */

static void test_subject_fields(void **state)
{
    (void)state;
    hs_watchlist_subject *s;
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, ""), HS_ERR_INVALID_ARG);
    assert_null(s);
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, "bad\xff"), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, "ctl\n"), HS_ERR_INVALID_ARG);
    char longid[200];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, longid), HS_ERR_INVALID_ARG);
    longid[HS_WATCHLIST_ID_MAX] = 0;
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, longid), HS_OK);
    hs_watchlist_subject_free(s);
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, "M\xc3\xbcller-42"), HS_OK);
    assert_int_equal(hs_watchlist_subject_set_field(NULL, s, "Bad Key", "x"), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_watchlist_subject_set_field(NULL, s, HS_WATCHLIST_FIELD_EXPIRY,
                                                    "2027-01-31"), HS_OK);
    assert_int_equal(hs_watchlist_subject_set_field(NULL, s, "country", "FRA"), HS_OK);
    assert_int_equal(hs_watchlist_subject_set_field(NULL, s, "country", "DEU"), HS_OK);
    assert_string_equal(hs_watchlist_subject_field(s, "country"), "DEU");
    assert_int_equal(hs_watchlist_subject_field_count(s), 2);
    assert_int_equal(hs_watchlist_subject_set_field(NULL, s, "country", NULL), HS_OK);
    assert_null(hs_watchlist_subject_field(s, "country"));
    assert_int_equal(hs_watchlist_subject_set_field(NULL, s, "country", NULL), HS_ERR_NOT_FOUND);
    for (int i = 0; i < HS_WATCHLIST_FIELDS_MAX - 1; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(hs_watchlist_subject_set_field(NULL, s, k, "v"), HS_OK);
    }
    assert_int_equal(hs_watchlist_subject_set_field(NULL, s, "one-more", "v"), HS_ERR_LIMIT);
    /* fingers: known positions once, unknown may repeat */
    hs_minutia m[40];
    synth_finger(1, m, 40);
    hs_template *t = make_template(m, 40, 2);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, t, 0), HS_OK);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, t, 0), HS_ERR_EXISTS);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, t, 1), HS_ERR_NOT_FOUND);
    hs_template_free(t);
    t = make_template(m, 40, 0);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, t, 0), HS_OK);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, t, 0), HS_OK);
    hs_template_free(t);
    assert_int_equal(hs_watchlist_subject_finger_count(s), 3);
    hs_template *back;
    assert_int_equal(hs_watchlist_subject_finger(NULL, &back, s, 0), HS_OK);
    uint32_t n;
    const hs_minutia *bm = hs_template_minutiae(back, &n, 0);
    assert_int_equal(n, 40);
    for (uint32_t i = 0; i < n; i++) {
        assert_true(fabsf(bm[i].x - m[i].x) <= 0.25f);
        assert_true(fabsf(bm[i].y - m[i].y) <= 0.25f);
        float da = fabsf(bm[i].angle - m[i].angle);
        assert_true(da <= 0.0001f || da >= 6.2831f);
    }
    hs_template_free(back);
    float bad[3] = {0, 0, 0};
    assert_int_equal(hs_watchlist_subject_add_face(NULL, s, bad, 3, 0), HS_ERR_INVALID_ARG);
    bad[1] = NAN;
    assert_int_equal(hs_watchlist_subject_add_face(NULL, s, bad, 3, 0), HS_ERR_INVALID_ARG);
    float good[3] = {3, 0, 4};
    assert_int_equal(hs_watchlist_subject_add_face(NULL, s, good, 3, 2), HS_OK);
    uint32_t dim;
    const float *f = hs_watchlist_subject_face(s, &dim, NULL, 0);
    assert_int_equal(dim, 3);
    assert_true(fabsf(f[0] - 0.6f) < 0.01f && fabsf(f[2] - 0.8f) < 0.01f);
    hs_watchlist_subject_free(s);
}

static void test_many_minutiae_kept_best(void **state)
{
    (void)state;
    hs_minutia m[200];
    synth_finger(9, m, 200);
    for (int i = 0; i < 200; i++)
        m[i].quality = (uint8_t)(i % 100);
    hs_template *t = make_template(m, 200, 1);
    hs_watchlist_subject *s;
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, "many"), HS_OK);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, t, 0), HS_OK);
    hs_template *back;
    assert_int_equal(hs_watchlist_subject_finger(NULL, &back, s, 0), HS_OK);
    uint32_t n;
    const hs_minutia *bm = hs_template_minutiae(back, &n, 0);
    assert_int_equal(n, HS_WATCHLIST_MINUTIAE_MAX);
    for (uint32_t i = 0; i < n; i++)
        assert_true(bm[i].quality >= 36); /* the 128 best of 0..99 twice */
    hs_template_free(back);
    hs_template_free(t);
    hs_watchlist_subject_free(s);
}

/* ---- list ------------------------------------------------------------------- */

static void test_list_operations(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_watchlist *wl = make_list(50, 7);
    assert_int_equal(hs_watchlist_count(wl), 50);
    uint64_t fingers = 0;
    for (uint32_t i = 0; i < 50; i++)
        fingers += 1 + i % 3;
    assert_int_equal(hs_watchlist_finger_count(wl), fingers);
    /* duplicate id */
    hs_watchlist_subject *dup = make_subject("S00010", 999, 1, 0);
    assert_int_equal(hs_watchlist_add(ctx, wl, dup), HS_ERR_EXISTS);
    assert_true(strstr(hs_ctx_last_error(ctx), "S00010") != NULL);
    assert_int_equal(hs_watchlist_count(wl), 50);
    /* replace changes the record */
    assert_int_equal(hs_watchlist_replace(ctx, wl, dup), HS_OK);
    hs_watchlist_subject *got;
    assert_int_equal(hs_watchlist_get(ctx, &got, wl, "S00010"), HS_OK);
    assert_int_equal(hs_watchlist_subject_finger_count(got), 1);
    assert_int_equal(hs_watchlist_subject_face_count(got), 0);
    assert_string_equal(hs_watchlist_subject_field(got, "category"), "red");
    hs_watchlist_subject_free(got);
    hs_watchlist_subject_free(dup);
    dup = make_subject("absent", 1, 1, 0);
    assert_int_equal(hs_watchlist_replace(ctx, wl, dup), HS_ERR_NOT_FOUND);
    hs_watchlist_subject_free(dup);
    /* removal keeps every other id reachable */
    for (uint32_t i = 0; i < 50; i += 3) {
        char id[32];
        snprintf(id, sizeof id, "S%05u", i);
        assert_int_equal(hs_watchlist_remove(ctx, wl, id), HS_OK);
        assert_int_equal(hs_watchlist_remove(ctx, wl, id), HS_ERR_NOT_FOUND);
    }
    assert_int_equal(hs_watchlist_count(wl), 33);
    for (uint32_t i = 0; i < 50; i++) {
        char id[32];
        snprintf(id, sizeof id, "S%05u", i);
        hs_status st = hs_watchlist_get(ctx, &got, wl, id);
        assert_int_equal(st, i % 3 == 0 ? HS_ERR_NOT_FOUND : HS_OK);
        if (!st) {
            assert_string_equal(hs_watchlist_subject_id(got), id);
            hs_watchlist_subject_free(got);
        }
    }
    /* iteration visits each subject once */
    int seen[50] = {0};
    for (uint64_t i = 0; i < hs_watchlist_count(wl); i++) {
        const char *id = hs_watchlist_id_at(wl, i);
        assert_non_null(id);
        seen[atoi(id + 1)]++;
        assert_int_equal(hs_watchlist_subject_at(ctx, &got, wl, i), HS_OK);
        assert_string_equal(hs_watchlist_subject_id(got), id);
        hs_watchlist_subject_free(got);
    }
    for (int i = 0; i < 50; i++)
        assert_int_equal(seen[i], i % 3 == 0 ? 0 : 1);
    assert_null(hs_watchlist_id_at(wl, 33));
    assert_int_equal(hs_watchlist_subject_at(ctx, &got, wl, 33), HS_ERR_NOT_FOUND);
    assert_true(hs_watchlist_memory_bytes(wl) > 0);
    hs_watchlist_free(wl);
    hs_ctx_free(ctx);
}

/* ---- files -------------------------------------------------------------------- */

static void test_encode_roundtrip(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(20, 42);
    size_t n;
    uint8_t *b = encode(wl, &n);
    assert_int_equal(b[4], 2); /* format 2: fingers carry pose bytes */
    hs_watchlist *back;
    assert_int_equal(hs_watchlist_decode(NULL, &back, b, n), HS_OK);
    assert_int_equal(hs_watchlist_count(back), 20);
    assert_int_equal(hs_watchlist_version(back), 42);
    size_t n2;
    uint8_t *b2 = encode(back, &n2);
    assert_int_equal(n, n2);
    assert_memory_equal(b, b2, n);
    size_t small = 10;
    assert_int_equal(hs_watchlist_encode(NULL, b2, &small, wl), HS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(small, n);
    free(b2);
    free(b);
    hs_watchlist_free(back);
    hs_watchlist_free(wl);
}

static void test_file_flipped_bits_and_truncation(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(3, 1);
    size_t n;
    uint8_t *b = encode(wl, &n);
    hs_watchlist *back;
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_not_equal(hs_watchlist_decode(NULL, &back, b, n), HS_OK);
            assert_null(back);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    for (size_t k = 0; k < n; k++) {
        hs_status st = hs_watchlist_decode(NULL, &back, b, k);
        assert_true(st == HS_ERR_TRUNCATED || st == HS_ERR_FORMAT);
        assert_null(back);
    }
    /* a file truncated on disk is refused; the intact one still loads */
    char path[512], cut[512];
    snprintf(path, sizeof path, "%s/list.hswl", tu_tmpdir());
    snprintf(cut, sizeof cut, "%s/cut.hswl", tu_tmpdir());
    assert_int_equal(hs_watchlist_save(NULL, path, wl), HS_OK);
    FILE *f = fopen(cut, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n - 7, f), n - 7);
    fclose(f);
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_watchlist_load(ctx, &back, cut), HS_ERR_TRUNCATED);
    assert_true(strstr(hs_ctx_last_error(ctx), "truncated") != NULL);
    assert_int_equal(hs_watchlist_load(ctx, &back, path), HS_OK);
    assert_int_equal(hs_watchlist_count(back), 3);
    hs_watchlist_free(back);
    hs_ctx_free(ctx);
    free(b);
    hs_watchlist_free(wl);
}

#ifdef HOTSPOT_TESTING
/* Entries of a directory other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

static void test_interrupted_save_keeps_old_file(void **state)
{
    (void)state;
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/atomic", tu_tmpdir());
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/atomic.hswl", dir);
    hs_watchlist *old = make_list(5, 1);
    assert_int_equal(hs_watchlist_save(NULL, path, old), HS_OK);
    size_t oldn;
    uint8_t *oldb = tu_read(path, &oldn);
    assert_non_null(oldb);
    hs_watchlist *nw = make_list(40, 2);
    for (int stage = 1; stage <= 2; stage++) {
        hs__watchlist_set_save_fault(nw, stage);
        assert_int_equal(hs_watchlist_save(NULL, path, nw), HS_ERR_IO);
        size_t n;
        uint8_t *b = tu_read(path, &n);
        assert_non_null(b);
        assert_int_equal(n, oldn);
        assert_memory_equal(b, oldb, n);
        free(b);
        assert_int_equal(count_entries(dir), 1); /* no temporary left behind */
    }
    hs__watchlist_set_save_fault(nw, 0);
    assert_int_equal(hs_watchlist_save(NULL, path, nw), HS_OK);
    hs_watchlist *back;
    assert_int_equal(hs_watchlist_load(NULL, &back, path), HS_OK);
    assert_int_equal(hs_watchlist_count(back), 40);
    assert_int_equal(hs_watchlist_version(back), 2);
    hs_watchlist_free(back);
    /* an unwritable destination fails cleanly */
    assert_int_equal(hs_watchlist_save(NULL, "/nonexistent-dir/x.hswl", nw), HS_ERR_IO);
    free(oldb);
    hs_watchlist_free(old);
    hs_watchlist_free(nw);
}
#else
static void test_interrupted_save_keeps_old_file(void **state)
{
    (void)state;
    print_message("SKIP: the save fault injector exists only in HOTSPOT_TESTING builds "
                  "(tools/test.sh runs them in its sanitizer build)\n");
    skip();
}
#endif

/* ---- packages ------------------------------------------------------------------- */

typedef struct keys {
    uint8_t apk[32], ask[64], dpk[32], dsk[32], d2pk[32], d2sk[32];
} keys;

static int make_keys(keys *k)
{
    if (hs_watchlist_keygen_authority(k->apk, k->ask) == HS_ERR_NOT_BUILT) {
        /* without libsodium every package call exists and says so */
        hs_watchlist *wl, *out;
        size_t n = 0;
        uint8_t z[64] = {0};
        assert_int_equal(hs_watchlist_new(NULL, &wl), HS_OK);
        assert_int_equal(hs_watchlist_keygen_device(z, z), HS_ERR_NOT_BUILT);
        assert_int_equal(hs_watchlist_pack(NULL, NULL, &n, wl, NULL, z, z, 1), HS_ERR_NOT_BUILT);
        assert_int_equal(hs_watchlist_unpack(NULL, &out, NULL, 0, z, sizeof z, z, z, z),
                         HS_ERR_NOT_BUILT);
        assert_null(out);
        hs_watchlist_free(wl);
        return 0;
    }
    assert_int_equal(hs_watchlist_keygen_device(k->dpk, k->dsk), HS_OK);
    assert_int_equal(hs_watchlist_keygen_device(k->d2pk, k->d2sk), HS_OK);
    return 1;
}

static uint8_t *pack(const hs_watchlist *wl, const hs_watchlist *base, const keys *k,
                     const uint8_t *rcp, uint32_t nrcp, size_t *n)
{
    assert_int_equal(hs_watchlist_pack(NULL, NULL, n, wl, base, k->ask, rcp, nrcp), HS_OK);
    uint8_t *b = malloc(*n);
    size_t cap = *n;
    assert_int_equal(hs_watchlist_pack(NULL, b, n, wl, base, k->ask, rcp, nrcp), HS_OK);
    assert_int_equal(*n, cap);
    return b;
}

static void test_package_roundtrip_and_tampering(void **state)
{
    (void)state;
    keys k;
    if (!make_keys(&k)) {
        printf("built without libsodium: package tests skipped\n");
        skip();
    }
    hs_watchlist *wl = make_list(2, 5);
    size_t n;
    uint8_t *p = pack(wl, NULL, &k, k.dpk, 1, &n);
    hs_watchlist_package_info info = HS_WATCHLIST_PACKAGE_INFO_INIT;
    assert_int_equal(hs_watchlist_package_info_get(NULL, &info, p, n), HS_OK);
    assert_int_equal(info.version, 5);
    assert_int_equal(info.delta, 0);
    hs_watchlist *got;
    assert_int_equal(hs_watchlist_unpack(NULL, &got, NULL, 0, p, n, k.apk, k.dpk, k.dsk), HS_OK);
    assert_int_equal(hs_watchlist_count(got), 2);
    assert_int_equal(hs_watchlist_version(got), 5);
    hs_watchlist_free(got);
    /* every flipped bit is refused */
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            p[i] ^= (uint8_t)(1u << bit);
            assert_int_not_equal(
                hs_watchlist_unpack(NULL, &got, NULL, 0, p, n, k.apk, k.dpk, k.dsk), HS_OK);
            assert_null(got);
            p[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* truncations */
    for (size_t m = 0; m < n; m += 7)
        assert_int_not_equal(hs_watchlist_unpack(NULL, &got, NULL, 0, p, m, k.apk, k.dpk, k.dsk),
                             HS_OK);
    /* wrong authority key, wrong device */
    assert_int_equal(hs_watchlist_unpack(NULL, &got, NULL, 0, p, n, k.dpk, k.dpk, k.dsk),
                     HS_ERR_SIGNATURE);
    assert_int_equal(hs_watchlist_unpack(NULL, &got, NULL, 0, p, n, k.apk, k.d2pk, k.d2sk),
                     HS_ERR_DECRYPT);
    /* right public key id but the wrong secret */
    assert_int_equal(hs_watchlist_unpack(NULL, &got, NULL, 0, p, n, k.apk, k.dpk, k.d2sk),
                     HS_ERR_DECRYPT);
    free(p);
    /* two recipients: both open it */
    uint8_t rcp[64];
    memcpy(rcp, k.dpk, 32);
    memcpy(rcp + 32, k.d2pk, 32);
    p = pack(wl, NULL, &k, rcp, 2, &n);
    assert_int_equal(hs_watchlist_unpack(NULL, &got, NULL, 0, p, n, k.apk, k.d2pk, k.d2sk), HS_OK);
    hs_watchlist_free(got);
    free(p);
    hs_watchlist_free(wl);
}

static void test_package_rollback_and_delta(void **state)
{
    (void)state;
    keys k;
    if (!make_keys(&k)) {
        printf("built without libsodium: package tests skipped\n");
        skip();
    }
    hs_watchlist *v1 = make_list(30, 1);
    hs_watchlist *v2 = make_list(30, 2);
    /* v2: remove 5, replace 1, add 2 */
    for (int i = 0; i < 5; i++) {
        char id[32];
        snprintf(id, sizeof id, "S%05d", i * 4);
        assert_int_equal(hs_watchlist_remove(NULL, v2, id), HS_OK);
    }
    hs_watchlist_subject *s = make_subject("S00001", 777, 2, 1);
    assert_int_equal(hs_watchlist_replace(NULL, v2, s), HS_OK);
    hs_watchlist_subject_free(s);
    s = make_subject("NEW-1", 1001, 1, 0);
    assert_int_equal(hs_watchlist_add(NULL, v2, s), HS_OK);
    hs_watchlist_subject_free(s);
    s = make_subject("NEW-2", 1002, 3, 1);
    assert_int_equal(hs_watchlist_add(NULL, v2, s), HS_OK);
    hs_watchlist_subject_free(s);

    size_t n1, n2, nd;
    uint8_t *p1 = pack(v1, NULL, &k, k.dpk, 1, &n1);
    uint8_t *p2 = pack(v2, NULL, &k, k.dpk, 1, &n2);
    uint8_t *pd = pack(v2, v1, &k, k.dpk, 1, &nd);
    assert_true(nd < n2);
    hs_watchlist *dev, *got;
    assert_int_equal(hs_watchlist_unpack(NULL, &dev, NULL, 0, p1, n1, k.apk, k.dpk, k.dsk), HS_OK);
    /* replay of the installed version, and an older one after an update */
    assert_int_equal(hs_watchlist_unpack(NULL, &got, dev, 0, p1, n1, k.apk, k.dpk, k.dsk),
                     HS_ERR_ROLLBACK);
    assert_int_equal(hs_watchlist_unpack(NULL, &got, NULL, 2, p1, n1, k.apk, k.dpk, k.dsk),
                     HS_ERR_ROLLBACK);
    /* the delta applies to v1 and gives exactly v2's content */
    assert_int_equal(hs_watchlist_unpack(NULL, &got, dev, 1, pd, nd, k.apk, k.dpk, k.dsk), HS_OK);
    assert_int_equal(hs_watchlist_version(got), 2);
    assert_int_equal(hs_watchlist_count(got), hs_watchlist_count(v2));
    for (uint64_t i = 0; i < hs_watchlist_count(v2); i++) {
        const char *id = hs_watchlist_id_at(v2, i);
        hs_watchlist_subject *a, *b;
        assert_int_equal(hs_watchlist_get(NULL, &a, v2, id), HS_OK);
        assert_int_equal(hs_watchlist_get(NULL, &b, got, id), HS_OK);
        assert_int_equal(hs_watchlist_subject_finger_count(a), hs_watchlist_subject_finger_count(b));
        assert_int_equal(hs_watchlist_subject_face_count(a), hs_watchlist_subject_face_count(b));
        hs_watchlist_subject_free(a);
        hs_watchlist_subject_free(b);
    }
    /* the delta on a device without v1, or twice */
    hs_watchlist *got2;
    assert_int_equal(hs_watchlist_unpack(NULL, &got2, NULL, 0, pd, nd, k.apk, k.dpk, k.dsk),
                     HS_ERR_STATE);
    assert_int_equal(hs_watchlist_unpack(NULL, &got2, got, 0, pd, nd, k.apk, k.dpk, k.dsk),
                     HS_ERR_ROLLBACK);
    /* a delta from a newer base is refused at packing */
    size_t bad;
    assert_int_equal(hs_watchlist_pack(NULL, NULL, &bad, v1, v2, k.ask, k.dpk, 1), HS_ERR_STATE);
    hs_watchlist_free(got);
    hs_watchlist_free(dev);
    free(p1);
    free(p2);
    free(pd);
    hs_watchlist_free(v1);
    hs_watchlist_free(v2);
}

/* A delta applies to the exact list it was made from (its digest), not to
 * any list of the same version, and not to one changed on the device. */
static void test_delta_bound_to_base(void **state)
{
    (void)state;
    keys k;
    if (!make_keys(&k)) {
        printf("built without libsodium: package tests skipped\n");
        skip();
    }
    hs_watchlist *v1 = make_list(12, 1);
    hs_watchlist *v2 = make_list(12, 2);
    hs_watchlist_subject *s = make_subject("ADD-1", 501, 1, 0);
    assert_int_equal(hs_watchlist_add(NULL, v2, s), HS_OK);
    hs_watchlist_subject_free(s);
    size_t nd;
    uint8_t *pd = pack(v2, v1, &k, k.dpk, 1, &nd); /* add-only delta */

    /* an unrelated list with the same version */
    hs_watchlist *other = make_list(5, 1), *got = (hs_watchlist *)1;
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_watchlist_unpack(ctx, &got, other, 1, pd, nd, k.apk, k.dpk, k.dsk),
                     HS_ERR_STATE);
    assert_null(got);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "another base list"));

    /* v1 changed locally on the device */
    hs_watchlist *local = NULL;
    assert_int_equal(hs__wl_clone(NULL, v1, &local), HS_OK);
    s = make_subject("LOCAL-1", 502, 1, 0);
    assert_int_equal(hs_watchlist_add(NULL, local, s), HS_OK);
    hs_watchlist_subject_free(s);
    assert_int_equal(hs_watchlist_unpack(ctx, &got, local, 1, pd, nd, k.apk, k.dpk, k.dsk),
                     HS_ERR_STATE);

    /* the same subjects in another order are the same list */
    hs_watchlist *shuffled = NULL;
    assert_int_equal(hs_watchlist_new(NULL, &shuffled), HS_OK);
    for (uint64_t i = hs_watchlist_count(v1); i-- > 0;) {
        hs_watchlist_subject *c = NULL;
        assert_int_equal(hs_watchlist_subject_at(NULL, &c, v1, i), HS_OK);
        assert_int_equal(hs_watchlist_add(NULL, shuffled, c), HS_OK);
        hs_watchlist_subject_free(c);
    }
    hs_watchlist_set_version(shuffled, 1);
    uint8_t d1[32], d2[32];
    assert_int_equal(hs_watchlist_digest(NULL, d1, v1), HS_OK);
    assert_int_equal(hs_watchlist_digest(NULL, d2, shuffled), HS_OK);
    assert_memory_equal(d1, d2, 32);
    assert_int_equal(hs_watchlist_unpack(ctx, &got, shuffled, 1, pd, nd, k.apk, k.dpk, k.dsk),
                     HS_OK);
    /* what the device now holds is what the authority holds: the next
     * delta, made from the authority's v2, applies to it */
    assert_int_equal(hs_watchlist_digest(NULL, d1, v2), HS_OK);
    assert_int_equal(hs_watchlist_digest(NULL, d2, got), HS_OK);
    assert_memory_equal(d1, d2, 32);
    hs_watchlist *v3 = NULL;
    assert_int_equal(hs__wl_clone(NULL, v2, &v3), HS_OK);
    assert_int_equal(hs_watchlist_remove(NULL, v3, "S00003"), HS_OK);
    hs_watchlist_set_version(v3, 3);
    size_t nd3;
    uint8_t *pd3 = pack(v3, v2, &k, k.dpk, 1, &nd3);
    hs_watchlist *got3 = NULL;
    assert_int_equal(hs_watchlist_unpack(ctx, &got3, got, 2, pd3, nd3, k.apk, k.dpk, k.dsk),
                     HS_OK);
    assert_int_equal(hs_watchlist_count(got3), hs_watchlist_count(v3));

    /* a 0.1 delta payload (no base digest) is refused as such */
    const uint8_t old[12] = {'H', 'S', 'W', 'D', 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(hs__wl_delta_apply(ctx, local, old, sizeof old, 2), HS_ERR_VERSION);

    hs_watchlist_free(got3);
    free(pd3);
    hs_watchlist_free(v3);
    hs_watchlist_free(got);
    hs_watchlist_free(shuffled);
    hs_watchlist_free(local);
    hs_watchlist_free(other);
    hs_ctx_free(ctx);
    free(pd);
    hs_watchlist_free(v1);
    hs_watchlist_free(v2);
}

/* ---- search -------------------------------------------------------------------- */

static void test_search_empty_and_args(void **state)
{
    (void)state;
    hs_watchlist *wl;
    assert_int_equal(hs_watchlist_new(NULL, &wl), HS_OK);
    float face[4] = {1, 0, 0, 0};
    hs_watchlist_result *r;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, NULL, face, 4, NULL), HS_OK);
    assert_int_equal(hs_watchlist_result_count(r), 0);
    hs_watchlist_result_free(r);
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, NULL, NULL, 0, NULL), HS_ERR_INVALID_ARG);
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.threads = 0;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, NULL, face, 4, &o), HS_ERR_INVALID_ARG);
    o.threads = 2;
    o.fmr = NAN;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, NULL, face, 4, &o), HS_ERR_INVALID_ARG);
    hs_minutia m[40];
    synth_finger(3, m, 40);
    hs_template *t = make_template(m, 40, 1);
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, t, NULL, 0, NULL), HS_OK);
    assert_int_equal(hs_watchlist_result_count(r), 0);
    hs_watchlist_result_free(r);
    hs_template_free(t);
    hs_watchlist_free(wl);
}

static void test_face_search(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(60, 1);
    /* probe: subject 24's face plus noise */
    hs_watchlist_subject *s;
    assert_int_equal(hs_watchlist_get(NULL, &s, wl, "S00024"), HS_OK);
    uint32_t dim;
    const float *f = hs_watchlist_subject_face(s, &dim, NULL, 0);
    float probe[128];
    uint32_t r = 5;
    for (uint32_t i = 0; i < dim; i++)
        probe[i] = f[i] + (float)(rng_unit(&r) - 0.5) * 0.05f;
    hs_watchlist_result *res;
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.max_candidates = 5;
    o.threads = 2;
    assert_int_equal(hs_watchlist_search(NULL, &res, wl, NULL, probe, dim, &o), HS_OK);
    assert_int_equal(hs_watchlist_result_count(res), 5);
    hs_watchlist_candidate c = {sizeof c, 0, NULL, 0, 0, 0, 0, 0, 0, {0}, {0}};
    assert_int_equal(hs_watchlist_result_candidate(res, &c, 0), HS_OK);
    assert_string_equal(c.id, "S00024");
    assert_true(c.hit);
    assert_true(c.face_similarity > 0.9);
    assert_true(c.score > 4);
    hs_watchlist_candidate c2 = c;
    assert_int_equal(hs_watchlist_result_candidate(res, &c2, 1), HS_OK);
    assert_false(c2.hit);
    assert_true(c2.score < c.score);
    assert_int_equal(hs_watchlist_result_candidate(res, &c2, 5), HS_ERR_NOT_FOUND);
    hs_watchlist_result_free(res);
    o.flags = HS_WATCHLIST_HITS_ONLY;
    assert_int_equal(hs_watchlist_search(NULL, &res, wl, NULL, probe, dim, &o), HS_OK);
    assert_int_equal(hs_watchlist_result_count(res), 1);
    hs_watchlist_result_free(res);
    hs_watchlist_subject_free(s);
    hs_watchlist_free(wl);
}

/* Concurrent searches on one list give the same answers as one at a time. */
typedef struct conc {
    const hs_watchlist *wl;
    int rounds;
    int errors;
} conc;

static int probe_for(uint32_t subject, hs_template **t, float *face)
{
    hs_minutia m[40], q[40];
    synth_finger(subject * 16, m, 40);
    uint32_t n = impression(m, 40, 0.3, 12, -8, subject + 1, q);
    *t = make_template(q, n, 0);
    uint32_t r = subject * 7919u + 3;
    for (int i = 0; i < 128; i++)
        face[i] = (float)(rng_unit(&r) - 0.5);
    return 1;
}

static void *conc_thread(void *arg)
{
    conc *c = arg;
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL))
        return NULL;
    for (int i = 0; i < c->rounds; i++) {
        uint32_t subject = (uint32_t)(i * 7) % 40;
        hs_template *t;
        float face[128];
        probe_for(subject, &t, face);
        hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
        o.threads = 2;
        hs_watchlist_result *r;
        hs_status st = hs_watchlist_search(ctx, &r, c->wl, t, subject % 2 ? NULL : face, 128, &o);
        hs_watchlist_candidate cd = {sizeof cd, 0, NULL, 0, 0, 0, 0, 0, 0, {0}, {0}};
        char want[32];
        snprintf(want, sizeof want, "S%05u", subject);
        if (st || hs_watchlist_result_candidate(r, &cd, 0) || strcmp(cd.id, want))
            c->errors++;
        hs_watchlist_result_free(r);
        hs_template_free(t);
    }
    hs_ctx_free(ctx);
    return NULL;
}

static void test_concurrent_searches(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(40, 1);
    conc c[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        c[i].wl = wl;
        c[i].rounds = 10;
        c[i].errors = 0;
        assert_int_equal(pthread_create(&th[i], NULL, conc_thread, &c[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].errors, 0);
    }
    hs_watchlist_free(wl);
}

/* Eight threads search while a ninth adds, replaces and removes subjects
 * (a device receiving an update while officers search): every search sees
 * a whole list, nothing is used after free (run under ASan and TSan), and
 * the writer is not starved by the stream of searches. */
typedef struct rw_reader {
    hs_watchlist *wl;
    volatile int *stop;
    int searches, errors;
} rw_reader;

static void *rw_reader_thread(void *arg)
{
    rw_reader *c = arg;
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL))
        return NULL;
    for (uint32_t i = 0; !__atomic_load_n(c->stop, __ATOMIC_ACQUIRE); i++) {
        uint32_t subject = (i * 7) % 40;
        hs_template *t;
        float face[128];
        probe_for(subject, &t, face);
        hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
        hs_watchlist_result *r = NULL;
        hs_status st = hs_watchlist_search(ctx, &r, c->wl, t, face, 128, &o);
        hs_watchlist_candidate cd = HS_WATCHLIST_CANDIDATE_INIT;
        char want[32];
        snprintf(want, sizeof want, "S%05u", subject);
        /* the 40 searched subjects are never removed by the writer */
        if (st || hs_watchlist_result_candidate(r, &cd, 0) || strcmp(cd.id, want))
            c->errors++;
        /* read the list's own data too while it changes */
        uint64_t n = hs_watchlist_count(c->wl);
        hs_watchlist_subject *s = NULL;
        if (n && hs_watchlist_subject_at(ctx, &s, c->wl, (uint64_t)i % n) == HS_OK)
            hs_watchlist_subject_free(s);
        hs_watchlist_result_free(r);
        hs_template_free(t);
        __atomic_add_fetch(&c->searches, 1, __ATOMIC_RELEASE);
    }
    hs_ctx_free(ctx);
    return NULL;
}

static void test_search_while_updating(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(40, 1);
    volatile int stop = 0;
    rw_reader c[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        c[i] = (rw_reader){wl, &stop, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, rw_reader_thread, &c[i]), 0);
    }
    /* the writer starts once the readers are searching (each has finished
     * one search), so the updates meet a stream of searches whatever the
     * scheduling; no count of searches is asserted */
    for (int ready = 0; ready < 8;) {
        ready = 0;
        for (int i = 0; i < 8; i++)
            ready += __atomic_load_n(&c[i].searches, __ATOMIC_ACQUIRE) > 0;
        sched_yield();
    }
    /* the writer: 60 updates, each a burst that reallocates the tables */
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    for (int round = 0; round < 60; round++) {
        char id[32];
        snprintf(id, sizeof id, "W%04d", round);
        hs_watchlist_subject *s = make_subject(id, 1000u + (uint32_t)round, 2, round % 2);
        assert_int_equal(hs_watchlist_add(ctx, wl, s), HS_OK);
        assert_int_equal(hs_watchlist_replace(ctx, wl, s), HS_OK);
        hs_watchlist_subject_free(s);
        if (round % 3 == 2) {
            snprintf(id, sizeof id, "W%04d", round - 1);
            assert_int_equal(hs_watchlist_remove(ctx, wl, id), HS_OK);
        }
        assert_int_equal(hs_watchlist_set_version(wl, 2 + (uint64_t)round), HS_OK);
    }
    /* the writer finished its 60 rounds while the readers kept searching:
     * it was not starved (a reader-preferring lock never let it in) */
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].errors, 0);
        assert_true(c[i].searches >= 1);
    }
    assert_int_equal(hs_watchlist_count(wl), 40 + 60 - 20);
    assert_int_equal(hs_watchlist_version(wl), 61);
    hs_ctx_free(ctx);
    hs_watchlist_free(wl);
}

/* A face probe no stored face can be compared with is an error, not a
 * search that silently ignores it. */
static void test_face_probe_dimension(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(6, 1); /* even subjects hold a 128-d face */
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    float face[256];
    for (int i = 0; i < 256; i++)
        face[i] = (float)sin(0.3 * i);
    hs_watchlist_result *r = (hs_watchlist_result *)1;
    assert_int_equal(hs_watchlist_search(ctx, &r, wl, NULL, face, 64, NULL), HS_ERR_INVALID_ARG);
    assert_null(r);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "probe face has 64 values"));
    assert_int_equal(hs_watchlist_search(ctx, &r, wl, NULL, face, 128, NULL), HS_OK);
    hs_watchlist_result_free(r);
    /* the count follows removals: without faces, nothing to compare with */
    for (uint32_t i = 0; i < 6; i += 2) {
        char id[16];
        snprintf(id, sizeof id, "S%05u", i);
        assert_int_equal(hs_watchlist_remove(ctx, wl, id), HS_OK);
    }
    r = NULL;
    assert_int_equal(hs_watchlist_search(ctx, &r, wl, NULL, face, 64, NULL), HS_OK);
    hs_watchlist_result_free(r);
    hs_ctx_free(ctx);
    hs_watchlist_free(wl);
}

/* The prepared cache changes speed, not results; modifications drop it. */
static void test_prepared_cache(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(40, 1);
    hs_template *t;
    float face[128];
    probe_for(13, &t, face);
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.flags = HS_WATCHLIST_EXHAUSTIVE;
    o.max_candidates = 5;
    hs_watchlist_result *r1, *r2;
    assert_int_equal(hs_watchlist_search(NULL, &r1, wl, t, NULL, 0, &o), HS_OK);
    uint64_t before = hs_watchlist_memory_bytes(wl);
    assert_int_equal(hs_watchlist_cache_prepared(NULL, wl, 2), HS_OK);
    assert_true(hs_watchlist_memory_bytes(wl) > before);
    assert_int_equal(hs_watchlist_search(NULL, &r2, wl, t, NULL, 0, &o), HS_OK);
    assert_int_equal(hs_watchlist_result_count(r1), hs_watchlist_result_count(r2));
    for (uint32_t i = 0; i < hs_watchlist_result_count(r1); i++) {
        hs_watchlist_candidate a = {sizeof a, 0, NULL, 0, 0, 0, 0, 0, 0, {0}, {0}}, b = a;
        hs_watchlist_result_candidate(r1, &a, i);
        hs_watchlist_result_candidate(r2, &b, i);
        assert_string_equal(a.id, b.id);
        assert_true(a.score == b.score);
    }
    hs_watchlist_candidate c = {sizeof c, 0, NULL, 0, 0, 0, 0, 0, 0, {0}, {0}};
    hs_watchlist_result_candidate(r2, &c, 0);
    assert_string_equal(c.id, "S00013");
    assert_true(c.hit);
    hs_watchlist_result_free(r1);
    hs_watchlist_result_free(r2);
    assert_int_equal(hs_watchlist_remove(NULL, wl, "S00002"), HS_OK);
    assert_true(hs_watchlist_memory_bytes(wl) < before);
    assert_int_equal(hs_watchlist_search(NULL, &r1, wl, t, NULL, 0, &o), HS_OK);
    hs_watchlist_result_candidate(r1, &c, 0);
    assert_string_equal(c.id, "S00013");
    hs_watchlist_result_free(r1);
    assert_int_equal(hs_watchlist_cache_prepared(NULL, wl, 0), HS_ERR_INVALID_ARG);
    hs_template_free(t);
    hs_watchlist_free(wl);
}

/* A short top-K list is the head of a long one: the best candidates are
 * selected before sorting, so every K must give the same order. */
static void test_top_k_is_prefix(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(60, 1);
    hs_template *t;
    float face[128];
    probe_for(21, &t, face);
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.flags = HS_WATCHLIST_EXHAUSTIVE;
    o.max_candidates = 1000;
    hs_watchlist_result *all;
    assert_int_equal(hs_watchlist_search(NULL, &all, wl, t, face, 128, &o), HS_OK);
    assert_int_equal(hs_watchlist_result_count(all), 60);
    hs_watchlist_candidate a = {sizeof a, 0, NULL, 0, 0, 0, 0, 0, 0, {0}, {0}}, b = a;
    for (uint32_t i = 1; i < 60; i++) {
        hs_watchlist_result_candidate(all, &a, i - 1);
        hs_watchlist_result_candidate(all, &b, i);
        assert_true(a.score >= b.score);
    }
    static const uint32_t ks[] = {1, 2, 7, 33, 59};
    for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++) {
        hs_watchlist_result *r;
        o.max_candidates = ks[q];
        o.threads = (uint32_t)(1 + q % 2);
        assert_int_equal(hs_watchlist_search(NULL, &r, wl, t, face, 128, &o), HS_OK);
        assert_int_equal(hs_watchlist_result_count(r), ks[q]);
        for (uint32_t i = 0; i < ks[q]; i++) {
            hs_watchlist_result_candidate(all, &a, i);
            hs_watchlist_result_candidate(r, &b, i);
            assert_string_equal(a.id, b.id);
            assert_true(a.score == b.score);
        }
        hs_watchlist_result_free(r);
    }
    hs_watchlist_result_free(all);
    hs_template_free(t);
    hs_watchlist_free(wl);
}

/* The thorough stage (options.thorough = N): it re-scores the best N of
 * the first stage's order, whose finger similarities can only rise; every
 * other candidate keeps its record; the answer is the same for any thread
 * count, with and without the prepared cache. */
static void search_all(hs_watchlist_result **r, const hs_watchlist *wl, const hs_template *t,
                       const float *face, uint32_t thorough, uint32_t threads, uint32_t flags)
{
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.max_candidates = 1000;
    o.flags = flags;
    o.thorough = thorough;
    o.threads = threads;
    assert_int_equal(hs_watchlist_search(NULL, r, wl, t, face, face ? 128 : 0, &o), HS_OK);
}

static void assert_same_result(const hs_watchlist_result *a, const hs_watchlist_result *b)
{
    assert_int_equal(hs_watchlist_result_count(a), hs_watchlist_result_count(b));
    assert_true(hs_watchlist_result_rescored(a) == hs_watchlist_result_rescored(b));
    for (uint32_t i = 0; i < hs_watchlist_result_count(a); i++) {
        hs_watchlist_candidate x = HS_WATCHLIST_CANDIDATE_INIT, y = x;
        assert_int_equal(hs_watchlist_result_candidate(a, &x, i), HS_OK);
        assert_int_equal(hs_watchlist_result_candidate(b, &y, i), HS_OK);
        assert_string_equal(x.id, y.id);
        assert_true(x.score == y.score);
        assert_memory_equal(x.finger_similarity, y.finger_similarity,
                            sizeof x.finger_similarity);
        assert_memory_equal(x.finger_position, y.finger_position, sizeof x.finger_position);
    }
}

static void check_thorough(const hs_watchlist *wl, const hs_template *t, const float *face,
                           uint32_t flags, uint32_t n, int *changed)
{
    hs_watchlist_result *base, *th[3];
    search_all(&base, wl, t, face, 0, 1, flags);
    for (uint32_t k = 0; k < 3; k++)
        search_all(&th[k], wl, t, face, n, k + 1, flags);
    assert_same_result(th[0], th[1]);
    assert_same_result(th[0], th[2]);
    uint32_t cnt = hs_watchlist_result_count(base);
    assert_int_equal(hs_watchlist_result_count(th[0]), cnt);
    assert_int_equal(hs_watchlist_result_rescored(th[0]), hs_watchlist_result_rescored(base));
    uint32_t differ = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        hs_watchlist_candidate b = HS_WATCHLIST_CANDIDATE_INIT, c = b;
        assert_int_equal(hs_watchlist_result_candidate(base, &b, i), HS_OK);
        /* the same subject in the thorough result */
        uint32_t j = 0;
        for (; j < cnt; j++) {
            assert_int_equal(hs_watchlist_result_candidate(th[0], &c, j), HS_OK);
            if (!strcmp(b.id, c.id))
                break;
        }
        assert_true(j < cnt);
        bool same = true;
        for (uint32_t v = 0; v < b.finger_count; v++) {
            assert_true(c.finger_similarity[v] >= b.finger_similarity[v]);
            same = same && c.finger_similarity[v] == b.finger_similarity[v];
        }
        assert_true(c.face_similarity == b.face_similarity);
        if (i >= n) /* not among the best n of the first stage: untouched */
            assert_true(same && c.score == b.score);
        differ += !same;
    }
    *changed += (int)differ;
    hs_watchlist_result_free(base);
    for (uint32_t k = 0; k < 3; k++)
        hs_watchlist_result_free(th[k]);
}

static void test_search_thorough(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(40, 1);
    int changed = 0;
    for (uint32_t s = 3; s < 40; s += 9) {
        hs_template *t;
        float face[128];
        probe_for(s, &t, face);
        check_thorough(wl, t, NULL, HS_WATCHLIST_EXHAUSTIVE, 5, &changed);
        check_thorough(wl, t, face, HS_WATCHLIST_EXHAUSTIVE, 10, &changed);
        check_thorough(wl, t, NULL, 0, 1000, &changed); /* more than the stage scored */
        hs_template_free(t);
    }
    /* the thorough mode found more for some candidate (else this test
     * compares the default mode with itself) */
    assert_true(changed > 0);
    assert_int_equal(hs_watchlist_cache_prepared(NULL, wl, 2), HS_OK);
    hs_template *t;
    float face[128];
    probe_for(12, &t, face);
    check_thorough(wl, t, face, 0, 7, &changed);
    /* a face-only probe ignores the option */
    hs_watchlist_result *a, *b;
    search_all(&a, wl, NULL, face, 0, 1, 0);
    search_all(&b, wl, NULL, face, 10, 2, 0);
    assert_same_result(a, b);
    hs_watchlist_result_free(a);
    hs_watchlist_result_free(b);

    /* bounds: 1000 at most; the explicit padding must stay zero */
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    hs_watchlist_result *r = (hs_watchlist_result *)1;
    o.thorough = 1001;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, t, NULL, 0, &o), HS_ERR_INVALID_ARG);
    assert_null(r);
    o.thorough = 1000;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, t, NULL, 0, &o), HS_OK);
    hs_watchlist_result_free(r);
    o.thorough = 1;
    o.reserved = 1;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, t, NULL, 0, &o), HS_ERR_UNSUPPORTED);
    assert_null(r);

    /* a caller of the 1.0 header: its struct ends at fmr, so whatever lies
     * beyond is not read and the stage stays off */
    o = (hs_watchlist_search_options)HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.struct_size = (uint32_t)(offsetof(hs_watchlist_search_options, fmr) + sizeof(double));
    assert_int_equal(o.struct_size, 32);
    o.max_candidates = 1000;
    o.flags = HS_WATCHLIST_EXHAUSTIVE;
    o.thorough = 40;
    o.reserved = 7;
    assert_int_equal(hs_watchlist_search(NULL, &a, wl, t, NULL, 0, &o), HS_OK);
    search_all(&b, wl, t, NULL, 0, 1, HS_WATCHLIST_EXHAUSTIVE);
    assert_same_result(a, b);
    hs_watchlist_result_free(a);
    hs_watchlist_result_free(b);
    hs_template_free(t);
    hs_watchlist_free(wl);
}

/* FVC identification through the watchlist agrees with direct matching: the
 * 80 first impressions of the eight FVC B sets (ISO templates) enrolled, the
 * second impressions as probes (the full 560-probe run is in
 * bench/bench_watchlist.c). */
static void test_fvc_identification(void **state)
{
    (void)state;
    static const char *sets[8] = {"FVC2002_DB1_B", "FVC2002_DB2_B", "FVC2002_DB3_B",
                                  "FVC2002_DB4_B", "FVC2004_DB1_B", "FVC2004_DB2_B",
                                  "FVC2004_DB3_B", "FVC2004_DB4_B"};
    char buf[4096], rel[256];
    if (!tu_shared("fingerprint/iso19794-2-secugen/FVC2002_DB1_B/101_1.iso", buf, sizeof buf))
        skip();
    hs_template *g[80], *p[80];
    hs_finger_prepared *gp[80], *pp[80];
    hs_watchlist *wl;
    assert_int_equal(hs_watchlist_new(NULL, &wl), HS_OK);
    for (int i = 0; i < 80; i++) {
        snprintf(rel, sizeof rel, "fingerprint/iso19794-2-secugen/%s/%d_1.iso", sets[i / 10],
                 101 + i % 10);
        assert_non_null(tu_shared(rel, buf, sizeof buf));
        assert_int_equal(hs_template_load(NULL, &g[i], NULL, buf), HS_OK);
        snprintf(rel, sizeof rel, "fingerprint/iso19794-2-secugen/%s/%d_2.iso", sets[i / 10],
                 101 + i % 10);
        assert_non_null(tu_shared(rel, buf, sizeof buf));
        assert_int_equal(hs_template_load(NULL, &p[i], NULL, buf), HS_OK);
        assert_int_equal(hs_finger_prepare(NULL, &gp[i], g[i], 0), HS_OK);
        assert_int_equal(hs_finger_prepare(NULL, &pp[i], p[i], 0), HS_OK);
        hs_watchlist_subject *s;
        snprintf(rel, sizeof rel, "G%02d", i);
        assert_int_equal(hs_watchlist_subject_new(NULL, &s, rel), HS_OK);
        assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, g[i], 0), HS_OK);
        assert_int_equal(hs_watchlist_add(NULL, wl, s), HS_OK);
        hs_watchlist_subject_free(s);
    }
    assert_int_equal(hs_watchlist_cache_prepared(NULL, wl, 2), HS_OK);
    hs_finger_matcher *m;
    assert_int_equal(hs_finger_matcher_new(NULL, &m), HS_OK);
    int direct_ok = 0, wl_ok = 0, agree = 0;
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.threads = 2;
    for (int i = 0; i < 80; i++) {
        float best = -1;
        int bi = -1;
        for (int k = 0; k < 80; k++) {
            float sc;
            assert_int_equal(hs_finger_match(m, &sc, pp[i], gp[k]), HS_OK);
            if (sc > best) {
                best = sc;
                bi = k;
            }
        }
        direct_ok += bi == i;
        hs_watchlist_result *r;
        assert_int_equal(hs_watchlist_search(NULL, &r, wl, p[i], NULL, 0, &o), HS_OK);
        hs_watchlist_candidate c = {sizeof c, 0, NULL, 0, 0, 0, 0, 0, 0, {0}, {0}};
        assert_int_equal(hs_watchlist_result_candidate(r, &c, 0), HS_OK);
        int top = atoi(c.id + 1);
        wl_ok += top == i;
        agree += top == bi || c.finger_similarity[0] == best;
        hs_watchlist_result_free(r);
    }
    /* both filter stages at work: 16 subjects (2 x 8 with the cache) for
     * the second stage, 8 for the matcher; the mate should mostly survive */
    int passed = 0;
    o.rescore = 8;
    for (int i = 0; i < 80; i++) {
        hs_watchlist_result *r;
        assert_int_equal(hs_watchlist_search(NULL, &r, wl, p[i], NULL, 0, &o), HS_OK);
        assert_int_equal(hs_watchlist_result_rescored(r), 8);
        for (uint32_t k = 0; k < hs_watchlist_result_count(r); k++) {
            hs_watchlist_candidate c = {sizeof c, 0, NULL, 0, 0, 0, 0, 0, 0, {0}, {0}};
            assert_int_equal(hs_watchlist_result_candidate(r, &c, k), HS_OK);
            passed += atoi(c.id + 1) == i;
        }
        hs_watchlist_result_free(r);
    }
    printf("FVC rank-1 over 80 probes: direct %d, watchlist %d, same top candidate %d; "
           "mate among 8 re-scored of 80: %d\n",
           direct_ok, wl_ok, agree, passed);
    assert_true(passed >= 60);
    assert_int_equal(wl_ok, direct_ok);
    assert_int_equal(agree, 80);
    assert_true(direct_ok >= 60);
    hs_finger_matcher_free(m);
    for (int i = 0; i < 80; i++) {
        hs_finger_prepared_free(gp[i]);
        hs_finger_prepared_free(pp[i]);
        hs_template_free(g[i]);
        hs_template_free(p[i]);
    }
    hs_watchlist_free(wl);
}

/* The filter codes do not depend on where the print lies or how it is
 * turned: a rotated, shifted impression keeps most codes. */
static void test_codes_invariant(void **state)
{
    (void)state;
    hs_minutia m[40], q[40];
    synth_finger(77, m, 40);
    uint32_t n = impression(m, 40, 0.5, 10, 5, 1, q);
    uint16_t a[HS__WL_CODES_MAX], b[HS__WL_CODES_MAX];
    uint32_t na = hs__wl_codes(m, 40, 500, 500, a);
    uint32_t nb = hs__wl_codes(q, n, 500, 500, b);
    assert_true(na > 100 && nb > 100);
    uint32_t common = 0;
    for (uint32_t i = 0; i < nb; i++)
        for (uint32_t j = 0; j < na; j++)
            if ((a[j] >> 12) == (b[i] >> 12) &&
                abs(((a[j] >> 6) & 63) - ((b[i] >> 6) & 63)) <= 2)
                if (abs((a[j] & 63) - (b[i] & 63)) <= 2) {
                    common++;
                    break;
                }
    assert_true(common * 2 > nb);
}

/* A format-1 image of a list: records without pose bytes (finger flags 0),
 * header version 1, CRCs recomputed. What an older library wrote. */
static uint8_t *encode_v1(const hs_watchlist *wl, size_t *n)
{
    size_t cap = 64 + 8 * (size_t)wl->n + (size_t)wl->rec_bytes, len = 64;
    uint8_t *b = calloc(1, cap);
    assert_non_null(b);
    for (uint32_t i = 0; i < wl->n; i++) {
        const hs__wl_entry *e = &wl->e[i];
        size_t at = len;
        len += 4;
        memcpy(b + len, e->rec, e->fingers_off + 1);
        len += e->fingers_off + 1;
        uint32_t off = e->fingers_off + 1;
        for (uint32_t g = 0; g < e->nfingers; g++) {
            hs__wl_fview f;
            uint32_t start = off;
            off = hs__wl_finger_read(e->rec, off, &f);
            assert_non_null(f.dirs);
            size_t keep = 16 + 8 * (size_t)f.count + 2 * (size_t)f.ncodes;
            memcpy(b + len, e->rec + start, keep);
            b[len + 14] = b[len + 15] = 0;
            len += keep;
        }
        memcpy(b + len, e->rec + e->faces_off, e->len - e->faces_off);
        len += e->len - e->faces_off;
        uint32_t rl = (uint32_t)(len - at - 4);
        for (int k = 0; k < 4; k++)
            b[at + k] = (uint8_t)(rl >> (8 * k));
    }
    size_t ref;
    uint8_t *v2 = encode(wl, &ref);
    memcpy(b, v2, 64);
    free(v2);
    b[4] = 1;
    uint64_t ps = len - 64;
    for (int k = 0; k < 8; k++)
        b[32 + k] = (uint8_t)(ps >> (8 * k));
    uint32_t c = hs__crc32c(0, b + 64, ps);
    for (int k = 0; k < 4; k++)
        b[40 + k] = (uint8_t)(c >> (8 * k));
    c = hs__crc32c(0, b, 60);
    for (int k = 0; k < 4; k++)
        b[60 + k] = (uint8_t)(c >> (8 * k));
    *n = len;
    return b;
}

/* Format 2 stores pose bytes and is written as version 2; format-1 files
 * still load, save back unchanged, and search with the same results (the
 * pose bytes are recomputed on the fly); pose flags in a version 1 file
 * are refused. */
static void test_format_v1_compat(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(30, 5);
    size_t n2, n1;
    uint8_t *b2 = encode(wl, &n2);
    assert_int_equal(b2[4], 2);
    uint8_t *b1 = encode_v1(wl, &n1);
    assert_true(n1 < n2);
    hs_watchlist *old;
    assert_int_equal(hs_watchlist_decode(NULL, &old, b1, n1), HS_OK);
    assert_int_equal(hs_watchlist_count(old), 30);
    assert_int_equal(hs_watchlist_finger_count(old), hs_watchlist_finger_count(wl));
    size_t n1b;
    uint8_t *b1b = encode(old, &n1b);
    assert_int_equal(n1b, n1);
    assert_memory_equal(b1b, b1, n1);
    free(b1b);
    /* the same search on both lists: same candidates and scores */
    for (uint32_t probe = 0; probe < 30; probe += 7) {
        hs_minutia m[40], q[40];
        synth_finger(probe * 16, m, 40);
        uint32_t k = impression(m, 40, 0.4, 12, -8, probe + 1, q);
        hs_template *t = make_template(q, k, 0);
        hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
        o.rescore = 3;
        o.max_candidates = 3;
        hs_watchlist_result *ra, *rb;
        assert_int_equal(hs_watchlist_search(NULL, &ra, wl, t, NULL, 0, &o), HS_OK);
        assert_int_equal(hs_watchlist_search(NULL, &rb, old, t, NULL, 0, &o), HS_OK);
        assert_int_equal(hs_watchlist_result_count(ra), hs_watchlist_result_count(rb));
        for (uint32_t i = 0; i < hs_watchlist_result_count(ra); i++) {
            hs_watchlist_candidate ca, cb;
            memset(&ca, 0, sizeof ca);
            memset(&cb, 0, sizeof cb);
            ca.struct_size = cb.struct_size = sizeof ca;
            assert_int_equal(hs_watchlist_result_candidate(ra, &ca, i), HS_OK);
            assert_int_equal(hs_watchlist_result_candidate(rb, &cb, i), HS_OK);
            assert_string_equal(ca.id, cb.id);
            assert_true(ca.score == cb.score);
        }
        char want[32];
        snprintf(want, sizeof want, "S%05u", probe);
        hs_watchlist_candidate c0;
        memset(&c0, 0, sizeof c0);
        c0.struct_size = sizeof c0;
        assert_int_equal(hs_watchlist_result_candidate(ra, &c0, 0), HS_OK);
        assert_string_equal(c0.id, want);
        hs_watchlist_result_free(ra);
        hs_watchlist_result_free(rb);
        hs_template_free(t);
    }
    /* a version 1 file whose finger claims pose bytes: refused */
    hs_watchlist *bad;
    uint8_t *b2v1 = malloc(n2);
    memcpy(b2v1, b2, n2);
    b2v1[4] = 1;
    uint32_t c = hs__crc32c(0, b2v1, 60);
    for (int k = 0; k < 4; k++)
        b2v1[60 + k] = (uint8_t)(c >> (8 * k));
    assert_int_equal(hs_watchlist_decode(NULL, &bad, b2v1, n2), HS_ERR_CORRUPT);
    /* a version 3 file without orientation fields loads, and saves back as
     * version 2 (the oldest that holds it), otherwise the same bytes */
    b2v1[4] = 3;
    c = hs__crc32c(0, b2v1, 60);
    for (int k = 0; k < 4; k++)
        b2v1[60 + k] = (uint8_t)(c >> (8 * k));
    assert_int_equal(hs_watchlist_decode(NULL, &bad, b2v1, n2), HS_OK);
    assert_int_equal(hs_watchlist_format_version(bad), 2);
    size_t n3;
    uint8_t *b3 = encode(bad, &n3);
    assert_int_equal(n3, n2);
    assert_memory_equal(b3, b2, n2);
    free(b3);
    hs_watchlist_free(bad);
    /* version 4 is from the future */
    b2v1[4] = 4;
    c = hs__crc32c(0, b2v1, 60);
    for (int k = 0; k < 4; k++)
        b2v1[60 + k] = (uint8_t)(c >> (8 * k));
    assert_int_equal(hs_watchlist_decode(NULL, &bad, b2v1, n2), HS_ERR_VERSION);
    free(b2v1);
    free(b1);
    free(b2);
    hs_watchlist_free(old);
    hs_watchlist_free(wl);
}

/* ---- orientation fields (format 3, since 1.1) ------------------------------------ */

#define FL_SUBJECTS 6

/* Our extractor's templates of impression k of synthetic fingers 0..n-1:
 * they carry the ridge orientation field. */
static void field_templates(hs_template **t, uint32_t n, uint32_t k)
{
    hs_synth *gen;
    assert_int_equal(hs_synth_new(NULL, &gen, 31), HS_OK);
    hs_finger_extractor *ex;
    assert_int_equal(hs_finger_extractor_new(NULL, &ex), HS_OK);
    for (uint32_t i = 0; i < n; i++) {
        hs_synth_master *m;
        assert_int_equal(hs_synth_master_new(NULL, &m, gen, 200 + i), HS_OK);
        hs_image *img;
        assert_int_equal(hs_synth_impression(NULL, &img, NULL, gen, m, k), HS_OK);
        assert_int_equal(hs_finger_extract(NULL, &t[i], ex, img), HS_OK);
        size_t fsz = 0;
        assert_non_null(hs__template_block_get(t[i], 0, HS__TBLOCK_FIELD, &fsz));
        hs_image_free(img);
        hs_synth_master_free(m);
    }
    hs_finger_extractor_free(ex);
    hs_synth_free(gen);
}

static hs_watchlist *field_list(hs_template *const *t, uint32_t n)
{
    hs_watchlist *wl;
    assert_int_equal(hs_watchlist_new(NULL, &wl), HS_OK);
    for (uint32_t i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "F%02u", i);
        hs_watchlist_subject *s;
        assert_int_equal(hs_watchlist_subject_new(NULL, &s, id), HS_OK);
        assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, t[i], 0), HS_OK);
        assert_int_equal(hs_watchlist_add(NULL, wl, s), HS_OK);
        hs_watchlist_subject_free(s);
    }
    return wl;
}

/* Exhaustive search of probe p: the finger similarity of every subject
 * F00..F(n-1) into sim[]. */
static void field_search(const hs_watchlist *wl, const hs_template *p, float *sim, uint32_t n)
{
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.flags = HS_WATCHLIST_EXHAUSTIVE;
    o.max_candidates = n;
    hs_watchlist_result *r;
    assert_int_equal(hs_watchlist_search(NULL, &r, wl, p, NULL, 0, &o), HS_OK);
    assert_int_equal(hs_watchlist_result_count(r), n);
    for (uint32_t i = 0; i < n; i++) {
        hs_watchlist_candidate c = {sizeof c, 0, NULL, 0, 0, 0, 0, 0, 0, {0}, {0}};
        assert_int_equal(hs_watchlist_result_candidate(r, &c, i), HS_OK);
        unsigned j = 0;
        assert_int_equal(sscanf(c.id, "F%02u", &j), 1);
        assert_true(j < n);
        sim[j] = c.finger_similarity[0];
    }
    hs_watchlist_result_free(r);
}

/* Rewrite the format version of an encoded list (and its header CRC). */
static void set_list_version(uint8_t *b, uint8_t v)
{
    b[4] = v;
    uint32_t c = hs__crc32c(0, b, 60);
    for (int k = 0; k < 4; k++)
        b[60 + k] = (uint8_t)(c >> (8 * k));
}

/* A stored finger keeps its template's orientation field: the list is
 * written as version 3, the field comes back from the subject, and a
 * search scores each stored finger exactly as hs_finger_compare() scores
 * the probe against the stored template (so the matcher's orientation
 * anchor works in 1:N search), with and without the prepared cache. */
static void test_field_stored(void **state)
{
    (void)state;
    hs_template *g[FL_SUBJECTS], *pr[FL_SUBJECTS];
    field_templates(g, FL_SUBJECTS, 0);
    field_templates(pr, FL_SUBJECTS, 3);
    hs_watchlist *wl = field_list(g, FL_SUBJECTS);
    size_t n;
    uint8_t *b = encode(wl, &n);
    assert_int_equal(b[4], 3);
    /* decode, encode: the same bytes */
    hs_watchlist *back;
    assert_int_equal(hs_watchlist_decode(NULL, &back, b, n), HS_OK);
    size_t n2;
    uint8_t *b2 = encode(back, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(b2, b, n);
    free(b2);
    hs_template *st[FL_SUBJECTS], *bare[FL_SUBJECTS];
    for (uint32_t i = 0; i < FL_SUBJECTS; i++) {
        char id[16];
        snprintf(id, sizeof id, "F%02u", i);
        hs_watchlist_subject *s;
        assert_int_equal(hs_watchlist_get(NULL, &s, back, id), HS_OK);
        assert_int_equal(hs_watchlist_subject_finger(NULL, &st[i], s, 0), HS_OK);
        assert_int_equal(hs_watchlist_subject_finger(NULL, &bare[i], s, 0), HS_OK);
        assert_int_equal(hs__template_block_remove(bare[i], 0, HS__TBLOCK_FIELD), HS_OK);
        size_t fa = 0, fb = 0;
        const void *ba = hs__template_block_get(g[i], 0, HS__TBLOCK_FIELD, &fa);
        const void *bb = hs__template_block_get(st[i], 0, HS__TBLOCK_FIELD, &fb);
        assert_non_null(bb);
        assert_int_equal(fa, fb);
        assert_memory_equal(ba, bb, fa);
        hs_watchlist_subject_free(s);
    }
    /* every similarity of the search is the 1:1 matcher's on the stored
     * finger, field included: without the field some differ */
    int differ = 0;
    for (int cached = 0; cached < 2; cached++) {
        if (cached)
            assert_int_equal(hs_watchlist_cache_prepared(NULL, back, 2), HS_OK);
        for (uint32_t i = 0; i < FL_SUBJECTS; i++) {
            float sim[FL_SUBJECTS];
            field_search(back, pr[i], sim, FL_SUBJECTS);
            for (uint32_t j = 0; j < FL_SUBJECTS; j++) {
                float ref = -1, without = -1;
                assert_int_equal(hs_finger_compare(NULL, &ref, pr[i], st[j]), HS_OK);
                assert_int_equal(hs_finger_compare(NULL, &without, pr[i], bare[j]), HS_OK);
                assert_true(sim[j] == ref);
                differ += ref != without;
            }
        }
    }
    printf("with the field: %d of %d similarities differ from those without it\n", differ,
           2 * FL_SUBJECTS * FL_SUBJECTS);
    assert_true(differ > 0);
    for (uint32_t i = 0; i < FL_SUBJECTS; i++) {
        hs_template_free(st[i]);
        hs_template_free(bare[i]);
    }
    /* a version 2 reader refuses the field flag */
    uint8_t *b2v = malloc(n);
    memcpy(b2v, b, n);
    set_list_version(b2v, 2);
    hs_watchlist *bad = NULL;
    assert_int_equal(hs_watchlist_decode(NULL, &bad, b2v, n), HS_ERR_CORRUPT);
    free(b2v);
    /* removing every finger with a field brings the list back to version 2,
     * also when it was loaded from a version 3 file */
    for (uint32_t i = 0; i < FL_SUBJECTS; i++) {
        char id[16];
        snprintf(id, sizeof id, "F%02u", i);
        assert_int_equal(hs_watchlist_remove(NULL, wl, id), HS_OK);
        if (i == FL_SUBJECTS - 1)
            assert_int_equal(hs_watchlist_format_version(back), 3);
        assert_int_equal(hs_watchlist_remove(NULL, back, id), HS_OK);
    }
    assert_int_equal(hs_watchlist_format_version(back), 2);
    free(b);
    b = encode(wl, &n);
    assert_int_equal(b[4], 2);
    free(b);
    b = encode(back, &n);
    assert_int_equal(b[4], 2);
    free(b);
    hs_watchlist_free(back);
    hs_watchlist_free(wl);
    for (uint32_t i = 0; i < FL_SUBJECTS; i++) {
        hs_template_free(g[i]);
        hs_template_free(pr[i]);
    }
}

/* Packages take the oldest format version that holds their content: 2
 * (what 1.0 devices read) without orientation fields, 3 with one, for full
 * packages and deltas alike; the device gets the fields. */
static void test_field_package(void **state)
{
    (void)state;
    keys k;
    if (!make_keys(&k)) {
        printf("built without libsodium: package tests skipped\n");
        skip();
    }
    hs_template *g[1];
    field_templates(g, 1, 0);
    hs_watchlist *v1 = make_list(10, 1), *v2 = make_list(10, 2), *v3 = make_list(10, 3);
    hs_watchlist_subject *s = make_subject("NEW-1", 1001, 1, 0);
    assert_int_equal(hs_watchlist_add(NULL, v2, s), HS_OK);
    assert_int_equal(hs_watchlist_add(NULL, v3, s), HS_OK);
    hs_watchlist_subject_free(s);
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, "FIELD"), HS_OK);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, g[0], 0), HS_OK);
    assert_int_equal(hs_watchlist_add(NULL, v3, s), HS_OK);
    hs_watchlist_subject_free(s);
    size_t n1, n3, nd12, nd23, nd13;
    uint8_t *p1 = pack(v1, NULL, &k, k.dpk, 1, &n1);
    uint8_t *p3 = pack(v3, NULL, &k, k.dpk, 1, &n3);
    uint8_t *d12 = pack(v2, v1, &k, k.dpk, 1, &nd12);
    uint8_t *d23 = pack(v3, v2, &k, k.dpk, 1, &nd23);
    uint8_t *d13 = pack(v3, v1, &k, k.dpk, 1, &nd13);
    assert_int_equal(p1[4], 2);
    assert_int_equal(p3[4], 3);
    assert_int_equal(hs_watchlist_format_version(v1), 2);
    assert_int_equal(hs_watchlist_format_version(v3), 3);
    assert_int_equal(hs_watchlist_format_version(NULL), 0);
    hs_watchlist_package_info info = HS_WATCHLIST_PACKAGE_INFO_INIT;
    assert_int_equal(hs_watchlist_package_info_get(NULL, &info, p3, n3), HS_OK);
    assert_int_equal(info.format, 3);
    assert_int_equal(info.reserved2, 0);
    assert_int_equal(hs_watchlist_package_info_get(NULL, &info, d12, nd12), HS_OK);
    assert_int_equal(info.format, 2);
    assert_int_equal(info.delta, 1);
    assert_int_equal(d12[4], 2);
    assert_int_equal(d23[4], 3);
    assert_int_equal(d13[4], 3);
    size_t nref;
    uint8_t *ref = encode(v3, &nref);
    /* full, and v1 -> v2 -> v3 by deltas: the same list as v3 */
    hs_watchlist *a, *b, *c;
    assert_int_equal(hs_watchlist_unpack(NULL, &a, NULL, 0, p3, n3, k.apk, k.dpk, k.dsk), HS_OK);
    assert_int_equal(hs_watchlist_unpack(NULL, &b, NULL, 0, p1, n1, k.apk, k.dpk, k.dsk), HS_OK);
    assert_int_equal(hs_watchlist_unpack(NULL, &c, b, 0, d12, nd12, k.apk, k.dpk, k.dsk), HS_OK);
    hs_watchlist_free(b);
    assert_int_equal(hs_watchlist_unpack(NULL, &b, c, 0, d23, nd23, k.apk, k.dpk, k.dsk), HS_OK);
    hs_watchlist *got[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        size_t n;
        uint8_t *e = encode(got[i], &n);
        assert_int_equal(e[4], 3);
        assert_int_equal(n, nref);
        assert_memory_equal(e + 64, ref + 64, n - 64);
        free(e);
        hs_watchlist_subject *f;
        assert_int_equal(hs_watchlist_get(NULL, &f, got[i], "FIELD"), HS_OK);
        hs_template *t;
        assert_int_equal(hs_watchlist_subject_finger(NULL, &t, f, 0), HS_OK);
        size_t fsz = 0;
        assert_non_null(hs__template_block_get(t, 0, HS__TBLOCK_FIELD, &fsz));
        hs_template_free(t);
        hs_watchlist_subject_free(f);
    }
    /* a delta of version 2 that carries a field: refused (the flag is
     * unknown there); the signature covers the version byte, so a package
     * changed after signing is refused first */
    d23[4] = 2;
    hs_watchlist *bad = NULL;
    assert_int_equal(hs_watchlist_unpack(NULL, &bad, c, 0, d23, nd23, k.apk, k.dpk, k.dsk),
                     HS_ERR_SIGNATURE);
    assert_null(bad);
    free(ref);
    free(p1);
    free(p3);
    free(d12);
    free(d23);
    free(d13);
    hs_watchlist_free(a);
    hs_watchlist_free(b);
    hs_watchlist_free(c);
    hs_watchlist_free(v1);
    hs_watchlist_free(v2);
    hs_watchlist_free(v3);
    hs_template_free(g[0]);
}

/* Every byte of a stored field is checked: bad fields, a field in a record
 * of a finger with two resolutions, and truncation are refused; a bad
 * field in a template is refused when the finger is added; a field too
 * large to store (or of a template with two resolutions) is left out. */
static void test_field_checks(void **state)
{
    (void)state;
    hs_template *g[1];
    field_templates(g, 1, 0);
    size_t fsz = 0;
    const uint8_t *fb = hs__template_block_get(g[0], 0, HS__TBLOCK_FIELD, &fsz);
    uint8_t *orig = malloc(fsz);
    memcpy(orig, fb, fsz);
    hs_watchlist *wl = field_list(g, 1);
    size_t n;
    uint8_t *b = encode(wl, &n);
    /* the field is the record's last bytes before the face count */
    size_t at = n - 1 - fsz;
    assert_memory_equal(b + at, orig, fsz);
    struct {
        size_t off;
        uint8_t val;
    } bad[] = {
        {0, 2},             /* field version */
        {1, 1},             /* the zero byte */
        {3, 0},             /* cell size 0 (it was 256 sixteenths) */
        {3, 0},             /* with byte 2 = 15: below 1 px */
        {HS__FIELD_HDR, 5}, /* a ridge cell without coherence class */
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        uint8_t *c = malloc(n);
        memcpy(c, b, n);
        if (k == 3)
            c[at + 2] = 15;
        c[at + bad[k].off] = bad[k].val;
        /* fix the payload CRC so that the record check is what refuses */
        uint32_t crc = hs__crc32c(0, c + 64, n - 64);
        for (int q = 0; q < 4; q++)
            c[40 + q] = (uint8_t)(crc >> (8 * q));
        set_list_version(c, 3);
        hs_watchlist *out = NULL;
        assert_int_equal(hs_watchlist_decode(NULL, &out, c, n), HS_ERR_CORRUPT);
        assert_null(out);
        free(c);
    }
    free(b);
    hs_watchlist_free(wl);
    /* a template whose field has a ridge cell without coherence: refused */
    uint8_t *f2 = malloc(fsz);
    memcpy(f2, orig, fsz);
    size_t ridge = HS__FIELD_HDR;
    while (ridge < fsz && !f2[ridge])
        ridge++;
    assert_true(ridge < fsz);
    f2[ridge] &= 63;
    assert_int_equal(hs__template_block_set(NULL, g[0], 0, HS__TBLOCK_FIELD, f2, fsz), HS_OK);
    hs_watchlist_subject *s;
    assert_int_equal(hs_watchlist_subject_new(NULL, &s, "X"), HS_OK);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, g[0], 0), HS_ERR_CORRUPT);
    assert_int_equal(hs_watchlist_subject_finger_count(s), 0);
    /* 65 x 64 cells: more than a finger, not stored */
    size_t big = HS__FIELD_HDR + 65 * 64;
    uint8_t *f3 = calloc(1, big);
    memcpy(f3, orig, HS__FIELD_HDR);
    f3[4] = 65;
    f3[5] = 0;
    f3[6] = 64;
    f3[7] = 0;
    f3[8] = f3[9] = f3[10] = f3[11] = 0;
    f3[HS__FIELD_HDR + 100] = 3 << 6 | 10;
    assert_int_equal(hs__template_block_set(NULL, g[0], 0, HS__TBLOCK_FIELD, f3, big), HS_OK);
    assert_int_equal(hs_watchlist_subject_add_finger(NULL, s, g[0], 0), HS_OK);
    hs_template *st;
    assert_int_equal(hs_watchlist_subject_finger(NULL, &st, s, 0), HS_OK);
    size_t got = 1;
    assert_null(hs__template_block_get(st, 0, HS__TBLOCK_FIELD, &got));
    assert_int_equal(got, 0);
    hs_template_free(st);
    hs_watchlist_subject_free(s);
    free(f3);
    free(f2);
    free(orig);
    hs_template_free(g[0]);
}

/* ---- allocation failure -------------------------------------------------------- */

/* An allocator that fails its fail_at-th call (0: never) and counts the
 * blocks it has handed out and not had back. */
typedef struct fail_alloc {
    long calls, fail_at, live;
} fail_alloc;

static int fa_fails(fail_alloc *f)
{
    return f->fail_at && ++f->calls == f->fail_at;
}

static void *fa_malloc(void *opaque, size_t size)
{
    fail_alloc *f = opaque;
    if (fa_fails(f))
        return NULL;
    void *p = malloc(size);
    f->live += p != NULL;
    return p;
}

static void *fa_realloc(void *opaque, void *ptr, size_t size)
{
    fail_alloc *f = opaque;
    if (fa_fails(f))
        return NULL;
    void *p = realloc(ptr, size);
    f->live += p && !ptr;
    return p;
}

static void fa_free(void *opaque, void *ptr)
{
    fail_alloc *f = opaque;
    f->live -= ptr != NULL;
    free(ptr);
}

/* Same candidates, same scores. */
/* Fail the Nth allocation of a search for N = 1, 2, ... until it succeeds
 * (SQLite's malloc tests): every failure is HS_ERR_NOMEM with *out NULL, a
 * message, and nothing left allocated; the search that succeeds gives the
 * same result as one with the default allocator. */
static void nomem_search(const hs_watchlist *wl, const hs_template *t, const float *face,
                         const hs_watchlist_search_options *o)
{
    fail_alloc fa = {0, 0, 0};
    hs_allocator al = {fa_malloc, fa_realloc, fa_free, &fa};
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, &al), HS_OK);
    hs_watchlist_result *ref;
    assert_int_equal(hs_watchlist_search(NULL, &ref, wl, t, face, 128, o), HS_OK);
    long live = fa.live, n;
    for (n = 1;; n++) {
        assert_true(n < 10000);
        fa.calls = 0;
        fa.fail_at = n;
        hs_watchlist_result *r = (hs_watchlist_result *)&fa; /* must be reset */
        hs_status st = hs_watchlist_search(ctx, &r, wl, t, face, 128, o);
        if (st == HS_OK) {
            fa.fail_at = 0;
            assert_same_result(r, ref);
            hs_watchlist_result_free(r);
            break;
        }
        assert_int_equal(st, HS_ERR_NOMEM);
        assert_null(r);
        assert_true(strlen(hs_ctx_last_error(ctx)) > 0);
        assert_int_equal(fa.live, live);
    }
    assert_true(n > 1); /* the search allocated, and each of its allocations failed once */
    assert_int_equal(fa.live, live);
    hs_watchlist_result_free(ref);
    hs_ctx_free(ctx);
}

static void test_search_nomem(void **state)
{
    (void)state;
    hs_watchlist *wl = make_list(40, 1);
    hs_template *t;
    float face[128];
    probe_for(13, &t, face);
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.threads = 2;
    o.rescore = 4; /* the filter's second stage runs too */
    nomem_search(wl, t, NULL, &o);  /* fingers, filtered */
    nomem_search(wl, t, face, &o);  /* fingers and face */
    nomem_search(wl, NULL, face, &o); /* face only */
    o.flags = HS_WATCHLIST_EXHAUSTIVE;
    nomem_search(wl, t, face, &o);
    o.thorough = 5; /* the thorough stage without the cache */
    nomem_search(wl, t, face, &o);
    o.thorough = 0;
    assert_int_equal(hs_watchlist_cache_prepared(NULL, wl, 2), HS_OK);
    o.flags = 0;
    nomem_search(wl, t, face, &o); /* with the prepared cache */
    o.thorough = 3;                /* and the thorough second stage */
    nomem_search(wl, t, face, &o);
    hs_template_free(t);
    hs_watchlist_free(wl);
}

/* The same for the face gallery: its search fails cleanly with *count 0. */
static void test_face_gallery_search_nomem(void **state)
{
    (void)state;
    enum { DIM = 16, ROWS = 70000 }; /* over 65,536 rows: two threads are used */
    hs_face_gallery *g;
    assert_int_equal(hs_face_gallery_new(NULL, &g, DIM), HS_OK);
    uint32_t seed = 11;
    float v[DIM], probe[DIM];
    for (uint32_t i = 0; i < ROWS; i++) {
        for (int k = 0; k < DIM; k++)
            v[k] = (float)(rng_unit(&seed) - 0.5);
        if (i == 4321)
            memcpy(probe, v, sizeof probe);
        assert_int_equal(hs_face_gallery_add(NULL, g, i, v, DIM), HS_OK);
    }
    hs_face_search_options so = {sizeof so, 2, -1.0f, 0};
    hs_face_hit ref[5], hits[5];
    uint32_t nref = 0, count = 0;
    assert_int_equal(hs_face_gallery_search(NULL, ref, 5, &nref, g, probe, DIM, &so), HS_OK);
    assert_int_equal(nref, 5);
    assert_true(ref[0].label == 4321);
    fail_alloc fa = {0, 0, 0};
    hs_allocator al = {fa_malloc, fa_realloc, fa_free, &fa};
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, &al), HS_OK);
    long live = fa.live, n;
    for (n = 1;; n++) {
        assert_true(n < 1000);
        fa.calls = 0;
        fa.fail_at = n;
        count = 99;
        hs_status st = hs_face_gallery_search(ctx, hits, 5, &count, g, probe, DIM, &so);
        if (st == HS_OK)
            break;
        assert_int_equal(st, HS_ERR_NOMEM);
        assert_int_equal(count, 0);
        assert_int_equal(fa.live, live);
    }
    assert_true(n > 1);
    assert_int_equal(fa.live, live);
    assert_int_equal(count, nref);
    for (uint32_t i = 0; i < nref; i++) {
        assert_true(hits[i].label == ref[i].label);
        assert_true(hits[i].score == ref[i].score);
    }
    hs_ctx_free(ctx);
    hs_face_gallery_free(g);
}

/* Ids that print alike must be the same id: controls, bidirectional controls
 * and invisible characters are refused; errors quote ids escaped. */
static void test_id_rules(void **state)
{
    (void)state;
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const char *bad[] = {
        "P\xc2\x85" "1",        /* U+0085 NEL, a C1 control */
        "P-\xe2\x80\xae" "1",  /* U+202E right-to-left override */
        "P-\xe2\x80\x8b" "1",  /* U+200B zero-width space */
        "P-\xe2\x81\xa6" "1",  /* U+2066 left-to-right isolate */
        "\xef\xbb\xbf" "P-1",  /* U+FEFF byte order mark */
        "P-\xc2\xad" "1",       /* U+00AD soft hyphen */
        "P-\x1b[31m1",          /* ESC, a C0 control */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hs_watchlist_subject *s = (hs_watchlist_subject *)1;
        assert_int_equal(hs_watchlist_subject_new(ctx, &s, bad[i]), HS_ERR_INVALID_ARG);
        assert_null(s);
        const char *msg = hs_ctx_last_error(ctx);
        for (const char *p = msg; *p; p++)
            assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
        assert_non_null(strstr(msg, "\\x"));
    }
    hs_watchlist_subject *s = NULL;
    assert_int_equal(hs_watchlist_subject_new(ctx, &s, "\xc3\x9c" "nal-\xc3\x87" "elik 7"), HS_OK);
    /* values: a right-to-left mark is legitimate in a name, NEL is not */
    assert_int_equal(hs_watchlist_subject_set_field(ctx, s, "name", "\xd8\xb9\xd9\x84\xd9\x8a\xe2\x80\x8f"),
                     HS_OK);
    assert_int_equal(hs_watchlist_subject_set_field(ctx, s, "note", "a\xc2\x85" "b"),
                     HS_ERR_INVALID_ARG);
    hs_watchlist_subject_free(s);
    /* a missing id is quoted, not echoed raw */
    hs_watchlist *wl = NULL;
    assert_int_equal(hs_watchlist_new(ctx, &wl), HS_OK);
    assert_int_equal(hs_watchlist_remove(ctx, wl, "x\x1b]0;pwned\x07"), HS_ERR_NOT_FOUND);
    assert_null(strchr(hs_ctx_last_error(ctx), 0x1b));
    assert_non_null(strstr(hs_ctx_last_error(ctx), "\"x\\x1b]0;pwned\\x07\""));
    hs_watchlist_free(wl);
    hs_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject_fields),
        cmocka_unit_test(test_id_rules),
        cmocka_unit_test(test_delta_bound_to_base),
        cmocka_unit_test(test_many_minutiae_kept_best),
        cmocka_unit_test(test_list_operations),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_file_flipped_bits_and_truncation),
        cmocka_unit_test(test_interrupted_save_keeps_old_file),
        cmocka_unit_test(test_package_roundtrip_and_tampering),
        cmocka_unit_test(test_package_rollback_and_delta),
        cmocka_unit_test(test_search_empty_and_args),
        cmocka_unit_test(test_face_search),
        cmocka_unit_test(test_concurrent_searches),
        cmocka_unit_test(test_search_while_updating),
        cmocka_unit_test(test_face_probe_dimension),
        cmocka_unit_test(test_prepared_cache),
        cmocka_unit_test(test_top_k_is_prefix),
        cmocka_unit_test(test_search_thorough),
        cmocka_unit_test(test_fvc_identification),
        cmocka_unit_test(test_codes_invariant),
        cmocka_unit_test(test_format_v1_compat),
        cmocka_unit_test(test_field_stored),
        cmocka_unit_test(test_field_checks),
        cmocka_unit_test(test_field_package),
        cmocka_unit_test(test_search_nomem),
        cmocka_unit_test(test_face_gallery_search_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
