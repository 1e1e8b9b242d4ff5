/* The device's keys, audit log and encrypted watchlist storage. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HOTSPOT_HAVE_SODIUM

static uint8_t pk[32], sk[64], skey[32];

static char *fresh_dir(const char *name)
{
    static char buf[4][600];
    static int k;
    char *d = buf[k++ % 4];
    snprintf(d, 600, "%s/%s", tu_tmpdir(), name);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mkdir(d, 0700), 0);
    return d;
}

static void log_path(char *out, size_t n, const char *dir)
{
    snprintf(out, n, "%s/%s", dir, HS_AUDIT_FILE_NAME);
}

static void append(hs_ctx *ctx, hs_audit *a, uint32_t event, const char *ref, uint32_t count)
{
    hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
    e.event = event;
    e.operator_id = "officer-7";
    e.ref = ref;
    e.count = count;
    e.decision = event == HS_AUDIT_SEARCH ? 1 : -1;
    e.detail = "test";
    hs_status s = hs_audit_append(ctx, a, &e);
    if (s)
        fprintf(stderr, "append: %s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
}

/* A log of n entries in dir; its head into *head (may be NULL). */
static void make_log(hs_ctx *ctx, const char *dir, int n, hs_audit_head *head)
{
    hs_audit *a;
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_OK);
    for (int i = 0; i < n; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "v%d", i);
        append(ctx, a, HS_AUDIT_SEARCH, ref, (uint32_t)i);
    }
    if (head)
        assert_int_equal(hs_audit_head_get(ctx, head, a), HS_OK);
    hs_audit_close(a);
}

static hs_status verify_bytes(hs_ctx *ctx, const uint8_t *d, size_t n,
                              const hs_audit_head *anchor, hs_audit_verify_info *info)
{
    hs_audit_verify_info v = HS_AUDIT_VERIFY_INFO_INIT;
    hs_status s = hs_audit_verify(ctx, &v, d, n, pk, anchor);
    if (info)
        *info = v;
    return s;
}

static void test_keys(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    uint8_t p2[32];
    assert_int_equal(hs_device_sign_public(ctx, p2, sk), HS_OK);
    assert_memory_equal(p2, pk, 32);
    uint8_t bad[64];
    memcpy(bad, sk, 64);
    bad[40] ^= 1;
    assert_int_equal(hs_device_sign_public(ctx, p2, bad), HS_ERR_CORRUPT);
    assert_int_equal(hs_device_keygen(NULL, sk, skey), HS_ERR_INVALID_ARG);

    char path[600];
    snprintf(path, sizeof path, "%s/k.sec", fresh_dir("keys"));
    assert_int_equal(hs_device_key_save(ctx, path, sk, 64, HS_DEVICE_KEY_SECRET), HS_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(hs_device_key_save(ctx, path, sk, 64, HS_DEVICE_KEY_SECRET), HS_ERR_EXISTS);
    uint8_t back[64];
    assert_int_equal(hs_device_key_load(ctx, back, 64, path, HS_DEVICE_KEY_SECRET), HS_OK);
    assert_memory_equal(back, sk, 64);
    assert_int_equal(hs_device_key_load(ctx, back, 32, path, 0), HS_ERR_CORRUPT);
    chmod(path, 0644);
    assert_int_equal(hs_device_key_load(ctx, back, 64, path, HS_DEVICE_KEY_SECRET), HS_ERR_IO);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "644"));
    assert_int_equal(hs_device_key_load(ctx, back, 64, path, 0), HS_OK);
    assert_int_equal(hs_device_key_save(ctx, path, pk, 32, HS_DEVICE_KEY_REPLACE), HS_OK);
    assert_int_equal(hs_device_key_load(ctx, back, 32, path, 0), HS_OK);
    assert_memory_equal(back, pk, 32);
    hs_ctx_free(ctx);
}

static void test_append_reopen_continue(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const char *dir = fresh_dir("chain");
    hs_audit_head h1 = HS_AUDIT_HEAD_INIT, h2 = HS_AUDIT_HEAD_INIT;
    make_log(ctx, dir, 3, &h1);
    assert_int_equal(h1.count, 3);
    make_log(ctx, dir, 2, &h2); /* reopens and continues */
    assert_int_equal(h2.count, 5);
    assert_memory_equal(h1.log_id, h2.log_id, 16);

    char p[700];
    log_path(p, sizeof p, dir);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    size_t n;
    uint8_t *d = tu_read(p, &n);
    assert_non_null(d);
    hs_audit_verify_info v;
    assert_int_equal(verify_bytes(ctx, d, n, NULL, &v), HS_OK);
    assert_int_equal(v.count, 5);
    assert_int_equal(v.head.count, 5);
    assert_memory_equal(v.head.last_hash, h2.last_hash, 32);
    assert_memory_equal(v.key_public, pk, 32);
    /* an older head is a valid anchor; the newest too */
    assert_int_equal(verify_bytes(ctx, d, n, &h1, NULL), HS_OK);
    assert_int_equal(verify_bytes(ctx, d, n, &h2, NULL), HS_OK);
    /* another key does not verify it */
    uint8_t opk[32], osk[64], ok[32];
    assert_int_equal(hs_device_keygen(opk, osk, ok), HS_OK);
    assert_int_equal(hs_audit_verify(ctx, NULL, d, n, opk, NULL), HS_ERR_SIGNATURE);
    /* and another device cannot append to it */
    hs_audit *a = (hs_audit *)1;
    assert_int_equal(hs_audit_open(ctx, &a, dir, osk, NULL), HS_ERR_STATE);
    assert_null(a);

    /* the view gives the entries back */
    hs_audit_view *view;
    assert_int_equal(hs_audit_view_new(ctx, &view, d, n), HS_OK);
    assert_int_equal(hs_audit_view_count(view), 5);
    hs_audit_record r = HS_AUDIT_RECORD_INIT;
    assert_int_equal(hs_audit_view_entry(ctx, &r, view, 4), HS_OK);
    assert_int_equal(r.seq, 4);
    assert_int_equal(r.event, HS_AUDIT_SEARCH);
    assert_string_equal(r.operator_id, "officer-7");
    assert_string_equal(r.ref, "v1");
    assert_string_equal(r.detail, "test");
    assert_int_equal(r.count, 1);
    assert_int_equal(r.decision, 1);
    assert_true(r.time_ms > 1700000000000LL);
    assert_memory_equal(r.hash, h2.last_hash, 32);
    assert_int_equal(hs_audit_view_entry(ctx, &r, view, 5), HS_ERR_NOT_FOUND);
    hs_audit_view_free(view);
    free(d);
    hs_ctx_free(ctx);
}

static void test_entry_validation(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const char *dir = fresh_dir("valid");
    hs_audit *a;
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_OK);
    hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
    e.event = 0;
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_INVALID_ARG);
    e.event = 9;
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_INVALID_ARG);
    e.event = HS_AUDIT_SEARCH;
    e.detail = "line\nbreak";
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_INVALID_ARG);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "detail"));
    e.detail = "\xc2\x85"; /* C1 NEL */
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_INVALID_ARG);
    e.detail = "\xff";
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_INVALID_ARG);
    char big[HS_AUDIT_OPERATOR_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    e.detail = NULL;
    e.operator_id = big;
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_INVALID_ARG);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "operator_id"));
    big[HS_AUDIT_OPERATOR_MAX] = 0; /* exactly the maximum */
    e.detail = "Gr\xc3\xbc\xc3\x9f" "e";
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_OK);
    e.time_ms = -5;
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_INVALID_ARG);
    e.time_ms = 0;
    e.event = HS_AUDIT_KEY_CHANGE;
    e.ref = "ed25519:zz";
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_INVALID_ARG);
    hs_audit_head h = HS_AUDIT_HEAD_INIT;
    assert_int_equal(hs_audit_head_get(ctx, &h, a), HS_OK);
    assert_int_equal(h.count, 1);
    hs_audit_close(a);

    /* max_bytes */
    hs_audit_options o = HS_AUDIT_OPTIONS_INIT;
    o.max_bytes = 72 + 2 * 200;
    assert_int_equal(hs_audit_open(ctx, &a, fresh_dir("full"), sk, &o), HS_OK);
    append(ctx, a, HS_AUDIT_SEARCH, "1", 0);
    append(ctx, a, HS_AUDIT_SEARCH, "2", 0);
    hs_audit_entry f = HS_AUDIT_ENTRY_INIT;
    f.event = HS_AUDIT_SEARCH;
    f.detail = "one entry too many";
    hs_status s;
    while ((s = hs_audit_append(ctx, a, &f)) == HS_OK)
        ;
    assert_int_equal(s, HS_ERR_FULL);
    hs_audit_close(a);
    hs_ctx_free(ctx);
}

/* Every single-byte change anywhere in a small log is detected, and the
 * failure names the entry holding the byte (or the header). */
static void test_flip_every_byte(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const char *dir = fresh_dir("flip");
    hs_audit_head h = HS_AUDIT_HEAD_INIT;
    make_log(ctx, dir, 4, &h);
    char p[700];
    log_path(p, sizeof p, dir);
    size_t n;
    uint8_t *d = tu_read(p, &n);
    assert_non_null(d);
    hs_audit_view *view;
    assert_int_equal(hs_audit_view_new(ctx, &view, d, n), HS_OK);
    uint64_t starts[5];
    for (uint64_t i = 0; i < 4; i++) {
        hs_audit_record r = HS_AUDIT_RECORD_INIT;
        assert_int_equal(hs_audit_view_entry(ctx, &r, view, i), HS_OK);
        starts[i] = r.offset;
    }
    starts[4] = n;
    hs_audit_view_free(view);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            d[i] ^= (uint8_t)(1u << bit);
            hs_audit_verify_info v;
            hs_status s = verify_bytes(ctx, d, n, &h, &v);
            if (s == HS_OK)
                fprintf(stderr, "byte %zu bit %d: not detected\n", i, bit);
            assert_int_not_equal(s, HS_OK);
            if (i >= 72) {
                uint64_t e = 0;
                while (!(i >= starts[e] && i < starts[e + 1]))
                    e++;
                if (v.bad_index != e)
                    fprintf(stderr, "byte %zu: entry %llu blamed, %llu expected (%s)\n", i,
                            (unsigned long long)v.bad_index, (unsigned long long)e,
                            hs_ctx_last_error(ctx));
                assert_int_equal(v.bad_index, e);
                assert_true(v.bad_offset >= starts[e] && v.bad_offset < starts[e + 1]);
                char want[32];
                snprintf(want, sizeof want, "entry %llu", (unsigned long long)e);
                if (!strstr(hs_ctx_last_error(ctx), want))
                    fprintf(stderr, "byte %zu: message \"%s\"\n", i, hs_ctx_last_error(ctx));
                assert_non_null(strstr(hs_ctx_last_error(ctx), want));
            }
            d[i] ^= (uint8_t)(1u << bit);
        }
    }
    assert_int_equal(verify_bytes(ctx, d, n, &h, NULL), HS_OK);
    free(d);
    hs_ctx_free(ctx);
}

/* Write bytes to the log file (tests only: the library never rewrites it). */
static void write_log(const char *dir, const uint8_t *d, size_t n)
{
    char p[700];
    log_path(p, sizeof p, dir);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
}

static void test_remove_swap_truncate(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const char *dir = fresh_dir("cut");
    hs_audit_head h = HS_AUDIT_HEAD_INIT;
    make_log(ctx, dir, 4, &h);
    char p[700];
    log_path(p, sizeof p, dir);
    size_t n;
    uint8_t *d = tu_read(p, &n);
    hs_audit_view *view;
    assert_int_equal(hs_audit_view_new(ctx, &view, d, n), HS_OK);
    size_t at[5];
    for (uint64_t i = 0; i < 4; i++) {
        hs_audit_record r = HS_AUDIT_RECORD_INIT;
        hs_audit_view_entry(ctx, &r, view, i);
        at[i] = (size_t)r.offset;
    }
    at[4] = n;
    hs_audit_view_free(view);
    uint8_t *m = malloc(n);
    hs_audit_verify_info v;

    /* remove entry 1 */
    size_t l1 = at[2] - at[1];
    memcpy(m, d, at[1]);
    memcpy(m + at[1], d + at[2], n - at[2]);
    assert_int_equal(verify_bytes(ctx, m, n - l1, NULL, &v), HS_ERR_CORRUPT);
    assert_int_equal(v.bad_index, 1);
    /* remove the last entry: a valid shorter chain; only the anchor tells */
    assert_int_equal(verify_bytes(ctx, d, at[3], NULL, &v), HS_OK);
    assert_int_equal(v.count, 3);
    assert_int_equal(verify_bytes(ctx, d, at[3], &h, &v), HS_ERR_TRUNCATED);
    assert_int_equal(v.bad_index, 3);
    /* swap entries 1 and 2 */
    size_t l2 = at[3] - at[2];
    memcpy(m, d, n);
    memcpy(m + at[1], d + at[2], l2);
    memcpy(m + at[1] + l2, d + at[1], l1);
    assert_int_equal(verify_bytes(ctx, m, n, NULL, &v), HS_ERR_CORRUPT);
    assert_int_equal(v.bad_index, 1);

    /* truncation at every byte offset: detected with the anchor; without
     * it, a cut inside an entry shows as torn bytes, a cut at an entry
     * boundary is a valid shorter log (docs/audit.md) */
    for (size_t cut = 0; cut < n; cut++) {
        hs_status s = verify_bytes(ctx, d, cut, &h, &v);
        assert_int_not_equal(s, HS_OK);
        s = verify_bytes(ctx, d, cut, NULL, &v);
        int boundary = 0;
        for (int i = 0; i < 5; i++)
            boundary |= cut == at[i];
        if (cut < 72)
            assert_int_not_equal(s, HS_OK);
        else if (boundary)
            assert_true(s == HS_OK && v.torn_bytes == 0);
        else
            assert_true(s == HS_OK && v.torn_bytes > 0);
    }
    /* a replaced log (new log id) is refused against the anchor */
    const char *dir2 = fresh_dir("cut2");
    make_log(ctx, dir2, 5, NULL);
    char p2[700];
    log_path(p2, sizeof p2, dir2);
    size_t n2;
    uint8_t *d2 = tu_read(p2, &n2);
    assert_int_equal(verify_bytes(ctx, d2, n2, &h, &v), HS_ERR_STATE);
    free(d2);
    free(m);
    free(d);
    hs_ctx_free(ctx);
}

static void test_torn_tail(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const char *dir = fresh_dir("torn");
    hs_audit_head h3 = HS_AUDIT_HEAD_INIT;
    make_log(ctx, dir, 4, NULL);
    char p[700];
    log_path(p, sizeof p, dir);
    size_t n;
    uint8_t *d = tu_read(p, &n);
    hs_audit_view *view;
    assert_int_equal(hs_audit_view_new(ctx, &view, d, n), HS_OK);
    hs_audit_record r = HS_AUDIT_RECORD_INIT;
    hs_audit_view_entry(ctx, &r, view, 3);
    size_t last = (size_t)r.offset;
    hs_audit_view_entry(ctx, &r, view, 2);
    size_t second = (size_t)r.offset;
    hs_audit_view_free(view);
    /* every partial write of the last entry: dropped on open, earlier kept */
    for (size_t cut = last + 1; cut < n; cut += 7) {
        write_log(dir, d, cut);
        hs_audit *a;
        assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_OK);
        assert_int_equal(hs_audit_head_get(ctx, &h3, a), HS_OK);
        assert_int_equal(h3.count, 3);
        append(ctx, a, HS_AUDIT_OUTBOX_APPEND, "after", 0);
        hs_audit_close(a);
        size_t m;
        uint8_t *e = tu_read(p, &m);
        hs_audit_verify_info v;
        assert_int_equal(verify_bytes(ctx, e, m, NULL, &v), HS_OK);
        assert_int_equal(v.count, 4);
        assert_int_equal(v.torn_bytes, 0);
        assert_memory_equal(e, d, last); /* the first three untouched */
        free(e);
    }
    /* a complete but altered last entry is not "torn": open refuses */
    hs_audit *a = (hs_audit *)1;
    d[n - 10] ^= 1; /* its signature */
    write_log(dir, d, n);
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_ERR_SIGNATURE);
    assert_null(a);
    d[n - 10] ^= 1;
    d[n - 1] ^= 1; /* its end marker */
    write_log(dir, d, n);
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_ERR_CORRUPT);
    d[n - 1] ^= 1;
    /* damage in an earlier entry never makes open cut anything: the quick
     * open (from the last entry) keeps the file as it is, verify names it */
    struct stat st;
    d[last - 70] ^= 0x40; /* a detail character of entry 2 */
    write_log(dir, d, n);
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_OK); /* only the tail read */
    hs_audit_close(a);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal((size_t)st.st_size, n);
    hs_audit_verify_info v;
    assert_int_equal(verify_bytes(ctx, d, n, NULL, &v), HS_ERR_SIGNATURE);
    assert_int_equal(v.bad_index, 2);
    d[last - 70] ^= 0x40;
    /* with an incomplete tail as well, open reads from the start, refuses
     * the damaged length of entry 2 and cuts nothing */
    d[second] ^= 0x01;
    write_log(dir, d, n - 5);
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_ERR_CORRUPT);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal((size_t)st.st_size, n - 5);
    d[second] ^= 0x01;
    /* a torn header (creation cut short) starts the log afresh */
    write_log(dir, d, 5);
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_OK);
    assert_int_equal(hs_audit_head_get(ctx, &h3, a), HS_OK);
    assert_int_equal(h3.count, 0);
    hs_audit_close(a);
    free(d);
    hs_ctx_free(ctx);
}

static void test_export(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const char *dir = fresh_dir("export");
    hs_audit *a;
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_OK);
    for (int i = 0; i < 3; i++)
        append(ctx, a, HS_AUDIT_OUTBOX_APPEND, "abcdef", 0);
    size_t size = 0;
    assert_int_equal(hs_audit_export(ctx, NULL, &size, a, 0, UINT64_MAX), HS_OK);
    uint8_t *x = malloc(size);
    size_t small = size - 1;
    assert_int_equal(hs_audit_export(ctx, x, &small, a, 0, UINT64_MAX), HS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(small, size);
    assert_int_equal(hs_audit_export(ctx, x, &size, a, 0, UINT64_MAX), HS_OK);
    /* the centre verifies it and keeps its head */
    hs_audit_verify_info v;
    assert_int_equal(verify_bytes(ctx, x, size, NULL, &v), HS_OK);
    assert_int_equal(v.exported, 1);
    assert_int_equal(v.count, 3);
    hs_audit_head anchor = v.head;
    /* every byte of an export matters */
    for (size_t i = 0; i < size; i++) {
        x[i] ^= 0x10;
        assert_int_not_equal(verify_bytes(ctx, x, size, NULL, NULL), HS_OK);
        x[i] ^= 0x10;
    }
    for (size_t cut = 0; cut < size; cut++)
        assert_int_not_equal(verify_bytes(ctx, x, cut, NULL, NULL), HS_OK);
    free(x);

    /* the next export: entries 3..4, checked against the anchor */
    append(ctx, a, HS_AUDIT_OUTBOX_EXPORT, NULL, 3);
    append(ctx, a, HS_AUDIT_OUTBOX_ACK, NULL, 3);
    assert_int_equal(hs_audit_export(ctx, NULL, &size, a, 3, UINT64_MAX), HS_OK);
    x = malloc(size);
    assert_int_equal(hs_audit_export(ctx, x, &size, a, 3, UINT64_MAX), HS_OK);
    assert_int_equal(verify_bytes(ctx, x, size, &anchor, &v), HS_OK);
    assert_int_equal(v.first_seq, 3);
    assert_int_equal(v.head.count, 5);
    /* a gap after the anchor is refused */
    hs_audit_head old = anchor;
    old.count = 2;
    assert_int_equal(verify_bytes(ctx, x, size, &old, &v), HS_ERR_STATE);
    /* an anchor from another history (hash differs) */
    anchor.last_hash[0] ^= 1;
    assert_int_equal(verify_bytes(ctx, x, size, &anchor, &v), HS_ERR_CORRUPT);
    free(x);
    assert_int_equal(hs_audit_export(ctx, NULL, &size, a, 4, 3), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_audit_export(ctx, NULL, &size, a, 0, 6), HS_ERR_INVALID_ARG);
    hs_audit_close(a);
    hs_ctx_free(ctx);
}

static void test_key_change(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const char *dir = fresh_dir("rotate");
    uint8_t npk[32], nsk[64], nst[32];
    assert_int_equal(hs_device_keygen(npk, nsk, nst), HS_OK);
    hs_audit *a;
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_OK);
    append(ctx, a, HS_AUDIT_SEARCH, "1", 0);
    char ref[80] = "ed25519:";
    for (int i = 0; i < 32; i++)
        snprintf(ref + 8 + 2 * i, 3, "%02x", npk[i]);
    append(ctx, a, HS_AUDIT_KEY_CHANGE, ref, 0);
    hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
    e.event = HS_AUDIT_SEARCH;
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_STATE);
    size_t xs = 0;
    /* the old key cannot sign a head after the change */
    assert_int_equal(hs_audit_export(ctx, NULL, &xs, a, 0, UINT64_MAX), HS_ERR_STATE);
    assert_int_equal(hs_audit_export(ctx, NULL, &xs, a, 0, 1), HS_OK);
    hs_audit_close(a);
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_ERR_STATE);
    assert_int_equal(hs_audit_open(ctx, &a, dir, nsk, NULL), HS_OK);
    append(ctx, a, HS_AUDIT_SEARCH, "2", 0);
    assert_int_equal(hs_audit_export(ctx, NULL, &xs, a, 0, 1), HS_ERR_STATE);
    assert_int_equal(hs_audit_export(ctx, NULL, &xs, a, 0, UINT64_MAX), HS_OK);
    uint8_t *x = malloc(xs);
    assert_int_equal(hs_audit_export(ctx, x, &xs, a, 0, UINT64_MAX), HS_OK);
    hs_audit_verify_info xv;
    /* the centre follows the change from the key it enrolled */
    assert_int_equal(verify_bytes(ctx, x, xs, NULL, &xv), HS_OK);
    assert_memory_equal(xv.key_public, npk, 32);
    free(x);
    hs_audit_close(a);
    char p[700];
    log_path(p, sizeof p, dir);
    size_t n;
    uint8_t *d = tu_read(p, &n);
    hs_audit_verify_info v;
    assert_int_equal(verify_bytes(ctx, d, n, NULL, &v), HS_OK);
    assert_int_equal(v.count, 3);
    assert_memory_equal(v.key_public, npk, 32);
    free(d);
    hs_ctx_free(ctx);
}

/* The file changed under an open handle: removed, or rewritten in the
 * middle. Appends and exports refuse; nothing reads out of bounds. */
static void test_changed_under_handle(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    const char *dir = fresh_dir("under");
    hs_audit *a;
    assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_OK);
    append(ctx, a, HS_AUDIT_SEARCH, "1", 0);
    append(ctx, a, HS_AUDIT_SEARCH, "2", 0);
    char p[700];
    log_path(p, sizeof p, dir);
    /* entry 0's length field made huge, in place */
    int fd = open(p, O_WRONLY);
    assert_true(fd >= 0);
    uint8_t big[4] = {0xff, 0xff, 0, 0};
    assert_int_equal(pwrite(fd, big, 4, 72), 4);
    close(fd);
    size_t size = 0;
    assert_int_equal(hs_audit_export(ctx, NULL, &size, a, 0, UINT64_MAX), HS_ERR_CORRUPT);
    /* removed: appends refuse instead of writing into a deleted file */
    assert_int_equal(unlink(p), 0);
    hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
    e.event = HS_AUDIT_SEARCH;
    assert_int_equal(hs_audit_append(ctx, a, &e), HS_ERR_STATE);
    hs_audit_close(a);
    hs_ctx_free(ctx);
}

/* Two processes appending at once: the lock serialises them, the chain is
 * whole and every entry of both is there. */
static void test_two_processes(void **state)
{
    (void)state;
    const char *dir = fresh_dir("procs");
    enum { PER = 40 };
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            hs_audit *a;
            if (hs_audit_open(NULL, &a, dir, sk, NULL))
                _exit(2);
            for (int i = 0; i < PER; i++) {
                hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
                e.event = HS_AUDIT_SEARCH;
                e.operator_id = k ? "B" : "A";
                if (hs_audit_append(NULL, a, &e))
                    _exit(3);
            }
            hs_audit_close(a);
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char p[700];
    log_path(p, sizeof p, dir);
    size_t n;
    uint8_t *d = tu_read(p, &n);
    hs_audit_verify_info v;
    hs_status s = verify_bytes(ctx, d, n, NULL, &v);
    if (s)
        fprintf(stderr, "%s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    assert_int_equal(v.count, 2 * PER);
    free(d);
    hs_ctx_free(ctx);
}

/* A writer killed at random moments: every append that returned is there,
 * the log reopens and verifies. 8 kills in CI; HS_AUDIT_KILLS=200 by hand. */
static void test_sigkill(void **state)
{
    (void)state;
    const char *dir = fresh_dir("kill");
    char p[700];
    log_path(p, sizeof p, dir);
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    uint64_t done_before = 0;
    int torn = 0; /* kills that left an incomplete entry (cut on open) */
    const char *env = getenv("HS_AUDIT_KILLS");
    int rounds = env && atoi(env) > 0 ? atoi(env) : 8;
    for (int round = 0; round < rounds; round++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t kid = fork();
        assert_true(kid >= 0);
        if (kid == 0) {
            close(fds[0]);
            hs_audit *a;
            if (hs_audit_open(NULL, &a, dir, sk, NULL))
                _exit(2);
            for (;;) {
                hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
                e.event = HS_AUDIT_OUTBOX_APPEND;
                e.detail = "kill me";
                if (hs_audit_append(NULL, a, &e))
                    _exit(3);
                char c = 1;
                if (write(fds[1], &c, 1) != 1)
                    _exit(4); /* the count of returned appends */
            }
        }
        close(fds[1]);
        /* 2 to 26 ms: from mid-open to many appends */
        struct timespec ts = {0, (2000 + 3000 * (long)(round % 9)) * 1000L};
        nanosleep(&ts, NULL);
        kill(kid, SIGKILL);
        int st;
        waitpid(kid, &st, 0);
        char buf[4096];
        ssize_t r;
        uint64_t returned = 0;
        while ((r = read(fds[0], buf, sizeof buf)) > 0)
            returned += (uint64_t)r;
        close(fds[0]);
        struct stat before, after;
        if (stat(p, &before) != 0) {
            /* killed before it created the log (a loaded machine): only
             * possible while no append has returned yet */
            assert_int_equal(errno, ENOENT);
            assert_int_equal(done_before + returned, 0);
            continue;
        }
        hs_audit *a;
        assert_int_equal(hs_audit_open(ctx, &a, dir, sk, NULL), HS_OK);
        hs_audit_head h = HS_AUDIT_HEAD_INIT;
        hs_audit_head_get(ctx, &h, a);
        hs_audit_close(a);
        assert_int_equal(stat(p, &after), 0);
        torn += after.st_size < before.st_size;
        assert_true(h.count >= done_before + returned);
        done_before = h.count;
        size_t n;
        uint8_t *d = tu_read(p, &n);
        hs_audit_verify_info v;
        assert_int_equal(verify_bytes(ctx, d, n, NULL, &v), HS_OK);
        assert_int_equal(v.count, h.count);
        free(d);
    }
    printf("  %d kills, %d of them in the middle of an append (tail cut on open), %llu entries\n",
           rounds, torn, (unsigned long long)done_before);
    hs_ctx_free(ctx);
}

/* ---- encrypted watchlist ---------------------------------------------------- */

static hs_watchlist *small_list(hs_ctx *ctx, float emb[64])
{
    hs_watchlist *wl;
    assert_int_equal(hs_watchlist_new(ctx, &wl), HS_OK);
    for (int k = 0; k < 3; k++) {
        hs_watchlist_subject *s;
        char id[16];
        snprintf(id, sizeof id, "P-%d", k);
        assert_int_equal(hs_watchlist_subject_new(ctx, &s, id), HS_OK);
        for (int i = 0; i < 64; i++)
            emb[i] = (float)((i * 7 + k * 13) % 17) - 8.0f + 0.5f;
        assert_int_equal(hs_watchlist_subject_add_face(ctx, s, emb, 64, 0), HS_OK);
        assert_int_equal(hs_watchlist_subject_set_field(ctx, s, "reference", "SECRET-REF-42"), HS_OK);
        assert_int_equal(hs_watchlist_add(ctx, wl, s), HS_OK);
        hs_watchlist_subject_free(s);
    }
    hs_watchlist_set_version(wl, 7);
    return wl;
}

static int contains(const uint8_t *h, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (!memcmp(h + i, needle, m))
            return 1;
    return 0;
}

static void test_encrypted_watchlist(void **state)
{
    (void)state;
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    float emb[64];
    hs_watchlist *wl = small_list(ctx, emb);
    char path[600];
    snprintf(path, sizeof path, "%s/list.enc", fresh_dir("enc"));
    assert_int_equal(hs_watchlist_save_encrypted(ctx, path, wl, skey, 1), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_watchlist_save_encrypted(ctx, path, wl, skey, 0), HS_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    hs_watchlist *back;
    assert_int_equal(hs_watchlist_load_encrypted(ctx, &back, path, skey), HS_OK);
    assert_int_equal(hs_watchlist_count(back), 3);
    assert_int_equal(hs_watchlist_version(back), 7);
    uint8_t d1[32], d2[32];
    assert_int_equal(hs_watchlist_digest(ctx, d1, wl), HS_OK);
    assert_int_equal(hs_watchlist_digest(ctx, d2, back), HS_OK);
    assert_memory_equal(d1, d2, 32);
    hs_watchlist_free(back);

    size_t n;
    uint8_t *f = tu_read(path, &n);
    assert_non_null(f);
    /* nothing of the list in the clear: not the reference, not the plain
     * encoding's records */
    assert_false(contains(f, n, "SECRET-REF-42", 13));
    assert_false(contains(f, n, "P-1", 3));
    size_t plain = 0;
    assert_int_equal(hs_watchlist_encode(ctx, NULL, &plain, wl), HS_OK);
    assert_int_equal(n, 48 + plain + 16);
    /* no 12-byte run of the plain encoding after its header (records,
     * quantised faces) is anywhere in the file */
    uint8_t *pl = malloc(plain);
    assert_int_equal(hs_watchlist_encode(ctx, pl, &plain, wl), HS_OK);
    for (size_t i = 64; i + 12 <= plain; i += 4)
        assert_false(contains(f, n, pl + i, 12));
    free(pl);

    /* wrong key */
    uint8_t wrong[32];
    memcpy(wrong, skey, 32);
    wrong[0] ^= 1;
    back = (hs_watchlist *)1;
    assert_int_equal(hs_watchlist_load_encrypted(ctx, &back, path, wrong), HS_ERR_DECRYPT);
    assert_null(back);
    /* every byte flipped: refused, nothing returned */
    for (size_t i = 0; i < n; i++) {
        f[i] ^= 0x01;
        back = (hs_watchlist *)1;
        hs_status s = hs_watchlist_decode_encrypted(ctx, &back, f, n, skey);
        assert_null(back);
        if (i >= 16 && i < 40)
            assert_int_equal(s, HS_ERR_DECRYPT); /* nonce */
        else if (i >= 48)
            assert_int_equal(s, HS_ERR_DECRYPT); /* ciphertext and tag */
        else
            assert_int_not_equal(s, HS_OK);
        f[i] ^= 0x01;
    }
    for (size_t cut = 0; cut < n; cut++) {
        back = (hs_watchlist *)1;
        assert_int_not_equal(hs_watchlist_decode_encrypted(ctx, &back, f, cut, skey), HS_OK);
        assert_null(back);
    }
    /* a plain list file is not an encrypted one */
    hs_watchlist_save(ctx, path, wl);
    assert_int_equal(hs_watchlist_load_encrypted(ctx, &back, path, skey), HS_ERR_FORMAT);
    free(f);
    hs_watchlist_free(wl);
    hs_ctx_free(ctx);
}

static int setup(void **state)
{
    (void)state;
    return hs_device_keygen(pk, sk, skey) == HS_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_append_reopen_continue),
        cmocka_unit_test(test_entry_validation),
        cmocka_unit_test(test_flip_every_byte),
        cmocka_unit_test(test_remove_swap_truncate),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_key_change),
        cmocka_unit_test(test_changed_under_handle),
        cmocka_unit_test(test_two_processes),
        cmocka_unit_test(test_sigkill),
        cmocka_unit_test(test_encrypted_watchlist),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

#else

int main(void)
{
    printf("test_audit: skipped, built without libsodium\n");
    return 0;
}

#endif
