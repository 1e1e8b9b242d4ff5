/* Outbox: appends and receipts, limits, export, acknowledgements (replay,
 * wrong authority, other device), purge, torn tails, flipped bits anywhere,
 * read-only handles, the writer lock, the audit entries it writes. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct keys {
    uint8_t box_pk[32], box_sk[32], auth_pk[32], auth_sk[64];
    uint8_t dev_pk[32], dev_sk[64], storage[32];
} keys;

static keys K, K2; /* K2: another device and another authority */

static int setup(void **state)
{
    (void)state;
    if (hs_device_keygen(K.dev_pk, K.dev_sk, K.storage) == HS_ERR_NOT_BUILT)
        return 0; /* each test skips with a reason */
    assert_int_equal(hs_encounter_keygen_authority(K.box_pk, K.box_sk, K.auth_pk, K.auth_sk), HS_OK);
    assert_int_equal(hs_device_keygen(K2.dev_pk, K2.dev_sk, K2.storage), HS_OK);
    assert_int_equal(hs_encounter_keygen_authority(K2.box_pk, K2.box_sk, K2.auth_pk, K2.auth_sk),
                     HS_OK);
    return 0;
}

static int no_sodium(void)
{
    uint8_t a[32], b[64], c[32];
    if (hs_device_keygen(a, b, c) == HS_ERR_NOT_BUILT) {
        printf("SKIP: built without libsodium (no sealed encounters)\n");
        return 1;
    }
    return 0;
}

/* A sealed encounter of a 64x64 finger image, signed by dev_sk. */
static uint8_t *make_sealed(hs_ctx *ctx, size_t *size, const uint8_t *dev_sk, int32_t decision,
                            const char *shown, uint32_t seed)
{
    hs_encounter *e = NULL;
    assert_int_equal(hs_encounter_new(ctx, &e), HS_OK);
    assert_int_equal(hs_encounter_set_decision(ctx, e, decision), HS_OK);
    if (shown)
        assert_int_equal(hs_encounter_set_text(ctx, e, HS_ENCOUNTER_TEXT_SHOWN, shown), HS_OK);
    hs_image *img = NULL;
    assert_int_equal(hs_image_new(ctx, &img, 64, 64, 500, 0), HS_OK);
    uint8_t *px = hs_image_pixels_mut(img);
    uint32_t s = seed * 2654435761u + 7;
    for (uint32_t i = 0; i < 64u * 64u; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        px[i] = (uint8_t)s;
    }
    assert_int_equal(hs_encounter_add_finger_image(ctx, e, img, 2, 255), HS_OK);
    hs_image_free(img);
    size_t n = 0;
    assert_int_equal(hs_encounter_seal(ctx, NULL, &n, e, K.box_pk, dev_sk, NULL), HS_OK);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    assert_int_equal(hs_encounter_seal(ctx, buf, &n, e, K.box_pk, dev_sk, NULL), HS_OK);
    hs_encounter_free(e);
    *size = n;
    return buf;
}

static const uint8_t *sealed_id(const uint8_t *sealed, size_t size)
{
    static hs_encounter_receipt r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    assert_int_equal(hs_encounter_sealed_receipt(NULL, &r, sealed, size), HS_OK);
    return r.id;
}

static char *fresh_dir(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tu_tmpdir(), name);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mkdir(buf, 0700), 0);
    return buf;
}

static hs_outbox *open_ob(hs_ctx *ctx, const char *dir, uint32_t flags, uint32_t max_count)
{
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    o.flags = flags;
    o.max_count = max_count;
    memcpy(o.device_public, K.dev_pk, 32);
    memcpy(o.authority_sign_public, K.auth_pk, 32);
    hs_outbox *ob = NULL;
    hs_status s = hs_outbox_open(ctx, &ob, dir, &o);
    if (s)
        fprintf(stderr, "open: %s\n", hs_ctx_last_error(ctx));
    assert_int_equal(s, HS_OK);
    return ob;
}

static uint8_t *make_ack(hs_ctx *ctx, size_t *size, const uint8_t *dev_pk, const uint8_t *ids,
                         uint32_t count, const uint8_t *auth_sk)
{
    size_t n = 0;
    assert_int_equal(hs_encounter_ack_make(ctx, NULL, &n, dev_pk, ids, count, auth_sk), HS_OK);
    uint8_t *b = malloc(n);
    assert_non_null(b);
    assert_int_equal(hs_encounter_ack_make(ctx, b, &n, dev_pk, ids, count, auth_sk), HS_OK);
    *size = n;
    return b;
}

static int file_has(const char *path, const uint8_t *needle, size_t n)
{
    size_t size;
    uint8_t *d = tu_read(path, &size);
    if (!d)
        return 0;
    int found = 0;
    for (size_t i = 0; !found && i + n <= size; i++)
        found = !memcmp(d + i, needle, n);
    free(d);
    return found;
}

static void seg_path(char *buf, size_t cap, const char *dir)
{
    snprintf(buf, cap, "%s/outbox.seg", dir);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_append_list_reopen(void **state)
{
    (void)state;
    if (no_sodium())
        skip();
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char *dir = fresh_dir("append");
    hs_outbox *ob = open_ob(ctx, dir, 0, 0);
    assert_int_equal(hs_outbox_count(ob), 0);
    uint8_t *sealed[5];
    size_t sizes[5];
    for (int i = 0; i < 5; i++) {
        char shown[32];
        snprintf(shown, sizeof shown, "no hit %d", i);
        sealed[i] = make_sealed(ctx, &sizes[i], K.dev_sk, i == 3 ? HS_ENCOUNTER_HIT : 0, shown,
                                (uint32_t)i + 1);
        assert_int_equal(hs_outbox_append(ctx, ob, sealed[i], sizes[i]), HS_OK);
    }
    assert_int_equal(hs_outbox_count(ob), 5);
    /* a duplicate, another device's encounter, garbage: refused, nothing changes */
    assert_int_equal(hs_outbox_append(ctx, ob, sealed[2], sizes[2]), HS_ERR_EXISTS);
    size_t osize;
    uint8_t *other = make_sealed(ctx, &osize, K2.dev_sk, 0, NULL, 99);
    assert_int_equal(hs_outbox_append(ctx, ob, other, osize), HS_ERR_STATE);
    uint8_t junk[100] = {1, 2, 3};
    assert_true(HS_FAILED(hs_outbox_append(ctx, ob, junk, sizeof junk)));
    uint8_t *flipped = malloc(sizes[0]);
    memcpy(flipped, sealed[0], sizes[0]);
    flipped[sizes[0] / 2] ^= 4;
    assert_true(HS_FAILED(hs_outbox_append(ctx, ob, flipped, sizes[0])));
    free(flipped);
    assert_int_equal(hs_outbox_count(ob), 5);

    hs_outbox_info info = HS_OUTBOX_INFO_INIT;
    assert_int_equal(hs_outbox_info_get(ob, &info), HS_OK);
    assert_int_equal(info.count, 5);
    assert_int_equal(info.queued, 5);
    assert_int_equal(info.exported, 0);
    assert_true(info.bytes > 5 * sizes[0]);
    assert_true(info.oldest_ms > 0);
    hs_outbox_close(ob);

    ob = open_ob(ctx, dir, HS_OUTBOX_OPEN_READONLY, 0);
    assert_int_equal(hs_outbox_count(ob), 5);
    for (uint32_t i = 0; i < 5; i++) {
        hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
        assert_int_equal(hs_outbox_entry_at(ob, &e, i), HS_OK);
        assert_int_equal(e.state, HS_OUTBOX_QUEUED);
        assert_memory_equal(e.id, sealed_id(sealed[i], sizes[i]), 16);
        assert_int_equal(e.decision, i == 3 ? HS_ENCOUNTER_HIT : 0);
        assert_int_equal(e.sealed_bytes, sizes[i]);
        char shown[32];
        snprintf(shown, sizeof shown, "no hit %u", i);
        assert_string_equal(e.shown, shown);
        size_t n = 0;
        assert_int_equal(hs_outbox_sealed(ctx, NULL, &n, ob, i), HS_OK);
        assert_int_equal(n, sizes[i]);
        uint8_t *b = malloc(n);
        n--;
        assert_int_equal(hs_outbox_sealed(ctx, b, &n, ob, i), HS_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(hs_outbox_sealed(ctx, b, &n, ob, i), HS_OK);
        assert_memory_equal(b, sealed[i], sizes[i]);
        free(b);
    }
    hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
    assert_int_equal(hs_outbox_entry_at(ob, &e, 5), HS_ERR_NOT_FOUND);
    /* read-only: no changes */
    assert_int_equal(hs_outbox_append(ctx, ob, other, osize), HS_ERR_STATE);
    hs_outbox_close(ob);

    hs_outbox_verify_info vi = HS_OUTBOX_VERIFY_INFO_INIT;
    assert_int_equal(hs_outbox_verify(ctx, &vi, dir), HS_OK);
    assert_int_equal(vi.encounters, 5);
    assert_int_equal(vi.records, 5);
    assert_true(vi.bad_offset == UINT64_MAX);

    /* the file is private to its owner */
    char p[600];
    seg_path(p, sizeof p, dir);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 077, 0);

    for (int i = 0; i < 5; i++)
        free(sealed[i]);
    free(other);
    hs_ctx_free(ctx);
}

static void test_open_errors(void **state)
{
    (void)state;
    if (no_sodium())
        skip();
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char *dir = fresh_dir("openerr");
    hs_outbox *ob = (hs_outbox *)1;
    /* no outbox and no key to make one */
    assert_int_equal(hs_outbox_open(ctx, &ob, dir, NULL), HS_ERR_NOT_FOUND);
    assert_null(ob);
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    o.flags = 0x80;
    assert_int_equal(hs_outbox_open(ctx, &ob, dir, &o), HS_ERR_INVALID_ARG);
    o.flags = 0;
    o.struct_size = 6;
    assert_int_equal(hs_outbox_open(ctx, &ob, dir, &o), HS_ERR_INVALID_ARG);
    o.struct_size = sizeof o;
    o.max_bytes = 100;
    assert_int_equal(hs_outbox_open(ctx, &ob, dir, &o), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_outbox_open(ctx, &ob, NULL, NULL), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_outbox_open(ctx, NULL, dir, NULL), HS_ERR_INVALID_ARG);
    /* made by one device, opened with another's key */
    ob = open_ob(ctx, dir, 0, 0);
    hs_outbox_close(ob);
    hs_outbox_options o2 = HS_OUTBOX_OPTIONS_INIT;
    memcpy(o2.device_public, K2.dev_pk, 32);
    assert_int_equal(hs_outbox_open(ctx, &ob, dir, &o2), HS_ERR_STATE);
    /* the key is taken from the file when none is given */
    hs_outbox_options o3 = HS_OUTBOX_OPTIONS_INIT;
    assert_int_equal(hs_outbox_open(ctx, &ob, dir, &o3), HS_OK);
    /* a second writer: locked */
    hs_outbox *ob2 = NULL;
    o3.flags = HS_OUTBOX_OPEN_NOWAIT;
    assert_int_equal(hs_outbox_open(ctx, &ob2, dir, &o3), HS_ERR_LOCKED);
    /* a reader is not */
    o3.flags = HS_OUTBOX_OPEN_READONLY;
    assert_int_equal(hs_outbox_open(ctx, &ob2, dir, &o3), HS_OK);
    hs_outbox_close(ob2);
    /* no authority key: acks refused */
    uint8_t junk[8] = {0};
    assert_int_equal(hs_outbox_ack(ctx, ob, NULL, junk, sizeof junk), HS_ERR_STATE);
    hs_outbox_close(ob);
    /* not an outbox */
    char p[600];
    seg_path(p, sizeof p, dir);
    assert_int_equal(hs_file_save(ctx, p, "not an outbox at all, surely not one of ours...........",
                                  56, 0), HS_OK);
    assert_int_equal(hs_outbox_open(ctx, &ob, dir, &o3), HS_ERR_FORMAT);
    assert_int_equal(hs_outbox_verify(ctx, NULL, dir), HS_ERR_FORMAT);
    hs_ctx_free(ctx);
}

static void test_limits(void **state)
{
    (void)state;
    if (no_sodium())
        skip();
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char *dir = fresh_dir("limits");
    hs_outbox *ob = open_ob(ctx, dir, 0, 4);
    for (uint32_t i = 0; i < 5; i++) {
        size_t n;
        uint8_t *s = make_sealed(ctx, &n, K.dev_sk, 0, NULL, 100 + i);
        hs_status st = hs_outbox_append(ctx, ob, s, n);
        hs_outbox_info info = HS_OUTBOX_INFO_INIT;
        assert_int_equal(hs_outbox_info_get(ob, &info), HS_OK);
        if (i < 4) {
            assert_int_equal(st, HS_OK);
            assert_int_equal(info.fill_permille, (i + 1) * 250);
        } else {
            assert_int_equal(st, HS_ERR_FULL);
            assert_non_null(strstr(hs_ctx_last_error(ctx), "limit 4"));
            assert_int_equal(info.count, 4);
        }
        free(s);
    }
    hs_outbox_close(ob);
    /* the size limit */
    dir = fresh_dir("limits2");
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    memcpy(o.device_public, K.dev_pk, 32);
    o.max_bytes = 65536;
    assert_int_equal(hs_outbox_open(ctx, &ob, dir, &o), HS_OK);
    hs_status st = HS_OK;
    uint32_t appended = 0;
    for (uint32_t i = 0; i < 1000 && st == HS_OK; i++) {
        size_t n;
        uint8_t *s = make_sealed(ctx, &n, K.dev_sk, 0, NULL, 200 + i);
        st = hs_outbox_append(ctx, ob, s, n);
        appended += st == HS_OK;
        free(s);
    }
    assert_int_equal(st, HS_ERR_FULL);
    assert_true(appended > 1);
    hs_outbox_info info = HS_OUTBOX_INFO_INIT;
    assert_int_equal(hs_outbox_info_get(ob, &info), HS_OK);
    assert_true(info.bytes <= 65536);
    assert_true(info.fill_permille > 800);
    hs_outbox_close(ob);
    hs_ctx_free(ctx);
}

static void test_export_ack(void **state)
{
    (void)state;
    if (no_sodium())
        skip();
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char *dir = fresh_dir("ack");
    hs_outbox *ob = open_ob(ctx, dir, 0, 0);
    uint8_t *sealed[6];
    size_t sizes[6];
    uint8_t ids[6][16];
    for (int i = 0; i < 6; i++) {
        sealed[i] = make_sealed(ctx, &sizes[i], K.dev_sk, 0, NULL, 300 + (uint32_t)i);
        memcpy(ids[i], sealed_id(sealed[i], sizes[i]), 16);
        if (i < 5)
            assert_int_equal(hs_outbox_append(ctx, ob, sealed[i], sizes[i]), HS_OK);
    }
    char batch[600];
    snprintf(batch, sizeof batch, "%s/batch1", tu_tmpdir());
    uint32_t n = 0;
    assert_int_equal(hs_outbox_export(ctx, ob, &n, batch, 0), HS_OK);
    assert_int_equal(n, 5);
    size_t bsize;
    uint8_t *b = tu_read(batch, &bsize);
    assert_non_null(b);
    uint32_t count = 0;
    assert_int_equal(hs_encounter_batch_record(ctx, NULL, NULL, &count, b, bsize, UINT32_MAX),
                     HS_OK);
    assert_int_equal(count, 5);
    free(b);
    /* a sixth, then only the new one with NEW_ONLY */
    assert_int_equal(hs_outbox_append(ctx, ob, sealed[5], sizes[5]), HS_OK);
    assert_int_equal(hs_outbox_export(ctx, ob, &n, batch, HS_OUTBOX_EXPORT_NEW_ONLY), HS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(hs_outbox_export(ctx, ob, &n, batch, HS_OUTBOX_EXPORT_NEW_ONLY), HS_OK);
    assert_int_equal(n, 0);
    hs_outbox_close(ob);

    ob = open_ob(ctx, dir, 0, 0);
    hs_outbox_info info = HS_OUTBOX_INFO_INIT;
    assert_int_equal(hs_outbox_info_get(ob, &info), HS_OK);
    assert_int_equal(info.exported, 6);
    assert_int_equal(info.queued, 0);

    /* ack 0, 2, 4 */
    uint8_t ackids[3][16];
    memcpy(ackids[0], ids[0], 16);
    memcpy(ackids[1], ids[2], 16);
    memcpy(ackids[2], ids[4], 16);
    size_t asize;
    uint8_t *ack = make_ack(ctx, &asize, K.dev_pk, &ackids[0][0], 3, K.auth_sk);
    /* refused: from another authority, for another device */
    size_t xsize;
    uint8_t *wrong_auth = make_ack(ctx, &xsize, K.dev_pk, &ackids[0][0], 3, K2.auth_sk);
    assert_int_equal(hs_outbox_ack(ctx, ob, &n, wrong_auth, xsize), HS_ERR_SIGNATURE);
    free(wrong_auth);
    uint8_t *other_dev = make_ack(ctx, &xsize, K2.dev_pk, &ackids[0][0], 3, K.auth_sk);
    assert_int_equal(hs_outbox_ack(ctx, ob, &n, other_dev, xsize), HS_ERR_SIGNATURE);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "another device"));
    free(other_dev);
    uint8_t *tampered = malloc(asize);
    memcpy(tampered, ack, asize);
    tampered[asize - 70] ^= 1;
    assert_true(HS_FAILED(hs_outbox_ack(ctx, ob, &n, tampered, asize)));
    free(tampered);
    assert_int_equal(hs_outbox_count(ob), 6);

    assert_int_equal(hs_outbox_ack(ctx, ob, &n, ack, asize), HS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(hs_outbox_count(ob), 3);
    assert_int_equal(hs_outbox_ack(ctx, ob, &n, ack, asize), HS_ERR_REPLAY);
    /* acknowledged ids never come back */
    assert_int_equal(hs_outbox_append(ctx, ob, sealed[2], sizes[2]), HS_ERR_EXISTS);
    hs_outbox_close(ob);

    char p[600];
    seg_path(p, sizeof p, dir);
    for (int i = 0; i < 6; i++)
        assert_int_equal(file_has(p, sealed[i] + sizes[i] - 64, 64), i % 2 == 1 || i == 5);

    ob = open_ob(ctx, dir, 0, 0);
    assert_int_equal(hs_outbox_count(ob), 3);
    for (uint32_t i = 0; i < 3; i++) {
        hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
        assert_int_equal(hs_outbox_entry_at(ob, &e, i), HS_OK);
        assert_memory_equal(e.id, ids[i == 2 ? 5 : 2 * i + 1], 16);
        assert_int_equal(e.state, HS_OUTBOX_EXPORTED);
        assert_true(e.exported_ms > 0);
    }
    assert_int_equal(hs_outbox_ack(ctx, ob, &n, ack, asize), HS_ERR_REPLAY);
    assert_int_equal(hs_outbox_append(ctx, ob, sealed[0], sizes[0]), HS_ERR_EXISTS);
    info.struct_size = sizeof info;
    assert_int_equal(hs_outbox_info_get(ob, &info), HS_OK);
    assert_int_equal(info.acks_applied, 1);
    assert_int_equal(info.forgotten, 3);
    /* ack the rest: empty outbox, still verifies */
    uint8_t rest[3][16];
    memcpy(rest[0], ids[1], 16);
    memcpy(rest[1], ids[3], 16);
    memcpy(rest[2], ids[5], 16);
    free(ack);
    ack = make_ack(ctx, &asize, K.dev_pk, &rest[0][0], 3, K.auth_sk);
    assert_int_equal(hs_outbox_ack(ctx, ob, &n, ack, asize), HS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(hs_outbox_count(ob), 0);
    hs_outbox_close(ob);
    assert_int_equal(hs_outbox_verify(ctx, NULL, dir), HS_OK);
    for (int i = 0; i < 6; i++) {
        assert_false(file_has(p, sealed[i] + sizes[i] - 64, 64));
        free(sealed[i]);
    }
    free(ack);
    hs_ctx_free(ctx);
}

static void test_purge_and_audit(void **state)
{
    (void)state;
    if (no_sodium())
        skip();
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char *dir = fresh_dir("purge");
    hs_audit *log = NULL;
    assert_int_equal(hs_audit_open(ctx, &log, dir, K.dev_sk, NULL), HS_OK);
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    memcpy(o.device_public, K.dev_pk, 32);
    memcpy(o.authority_sign_public, K.auth_pk, 32);
    o.audit = log;
    o.operator_id = "officer-7";
    o.retention_ms = 3600 * 1000;
    hs_outbox *ob = NULL;
    assert_int_equal(hs_outbox_open(ctx, &ob, dir, &o), HS_OK);
    for (uint32_t i = 0; i < 4; i++) {
        size_t n;
        uint8_t *s = make_sealed(ctx, &n, K.dev_sk, 0, NULL, 400 + i);
        assert_int_equal(hs_outbox_append(ctx, ob, s, n), HS_OK);
        free(s);
    }
    char batch[600];
    snprintf(batch, sizeof batch, "%s/batch-purge", tu_tmpdir());
    uint32_t n = 0;
    assert_int_equal(hs_outbox_export(ctx, ob, &n, batch, 0), HS_OK);
    /* nothing older than an hour yet */
    assert_int_equal(hs_outbox_purge(ctx, ob, &n, 0), HS_OK);
    assert_int_equal(n, 0);
    hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
    assert_int_equal(hs_outbox_entry_at(ob, &e, 0), HS_OK);
    /* an hour and a bit later */
    assert_int_equal(hs_outbox_purge(ctx, ob, &n, e.appended_ms + 3600 * 1000 + 1000), HS_OK);
    assert_int_equal(n, 4);
    assert_int_equal(hs_outbox_count(ob), 0);
    hs_outbox_close(ob);
    hs_audit_close(log);

    /* the audit log: 4 appends, an export, 4 purges; it verifies */
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, HS_AUDIT_FILE_NAME);
    size_t size;
    uint8_t *d = tu_read(p, &size);
    assert_non_null(d);
    assert_int_equal(hs_audit_verify(ctx, NULL, d, size, K.dev_pk, NULL), HS_OK);
    hs_audit_view *v = NULL;
    assert_int_equal(hs_audit_view_new(ctx, &v, d, size), HS_OK);
    uint32_t counts[9] = {0};
    for (uint64_t i = 0; i < hs_audit_view_count(v); i++) {
        hs_audit_record r = HS_AUDIT_RECORD_INIT;
        assert_int_equal(hs_audit_view_entry(ctx, &r, v, i), HS_OK);
        assert_true(r.event < 9);
        counts[r.event]++;
        assert_string_equal(r.operator_id, "officer-7");
    }
    assert_int_equal(counts[HS_AUDIT_OUTBOX_APPEND], 4);
    assert_int_equal(counts[HS_AUDIT_OUTBOX_EXPORT], 1);
    assert_int_equal(counts[HS_AUDIT_OUTBOX_PURGE], 4);
    hs_audit_view_free(v);
    free(d);
    hs_ctx_free(ctx);
}

/* Cut the file at every length inside its last record: the open drops the
 * torn record, never an earlier one, and verify calls it a truncation. */
static void test_torn_tail(void **state)
{
    (void)state;
    if (no_sodium())
        skip();
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char *dir = fresh_dir("torn");
    char p[600];
    seg_path(p, sizeof p, dir);
    hs_outbox *ob = open_ob(ctx, dir, 0, 0);
    size_t n;
    uint8_t *s1 = make_sealed(ctx, &n, K.dev_sk, 0, NULL, 501);
    assert_int_equal(hs_outbox_append(ctx, ob, s1, n), HS_OK);
    free(s1);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    off_t good = st.st_size;
    uint8_t *s2 = make_sealed(ctx, &n, K.dev_sk, 0, NULL, 502);
    assert_int_equal(hs_outbox_append(ctx, ob, s2, n), HS_OK);
    free(s2);
    hs_outbox_close(ob);
    size_t full_size;
    uint8_t *full = tu_read(p, &full_size);
    assert_non_null(full);
    for (off_t cut = good + 1; cut < (off_t)full_size; cut += 97) {
        assert_int_equal(hs_file_save(ctx, p, full, (size_t)cut, HS_FILE_PRIVATE), HS_OK);
        hs_outbox_verify_info vi = HS_OUTBOX_VERIFY_INFO_INIT;
        assert_int_equal(hs_outbox_verify(ctx, &vi, dir), HS_ERR_TRUNCATED);
        assert_int_equal(vi.bad_offset, (uint64_t)good);
        assert_int_equal(vi.encounters, 1);
        ob = open_ob(ctx, dir, 0, 0);
        assert_int_equal(hs_outbox_count(ob), 1);
        hs_outbox_info info = HS_OUTBOX_INFO_INIT;
        assert_int_equal(hs_outbox_info_get(ob, &info), HS_OK);
        assert_int_equal(info.dropped_bytes, (uint64_t)(cut - good));
        hs_outbox_close(ob);
        assert_int_equal(hs_outbox_verify(ctx, NULL, dir), HS_OK);
    }
    /* a last page that never reached the disk: zeros inside the record */
    memset(full + good + 200, 0, 64);
    assert_int_equal(hs_file_save(ctx, p, full, full_size, HS_FILE_PRIVATE), HS_OK);
    assert_int_equal(hs_outbox_verify(ctx, NULL, dir), HS_ERR_TRUNCATED);
    ob = open_ob(ctx, dir, 0, 0);
    assert_int_equal(hs_outbox_count(ob), 1);
    hs_outbox_close(ob);
    /* zeros appended after the last record (size grew, data did not) */
    uint8_t *z = calloc(1, (size_t)good + 4096);
    memcpy(z, full, (size_t)good);
    assert_int_equal(hs_file_save(ctx, p, z, (size_t)good + 4096, HS_FILE_PRIVATE), HS_OK);
    ob = open_ob(ctx, dir, 0, 0);
    assert_int_equal(hs_outbox_count(ob), 1);
    hs_outbox_close(ob);
    free(z);
    free(full);
    hs_ctx_free(ctx);
}

/* Flip one bit of every byte in turn: verify always fails and names an
 * offset at or before the flipped byte, in the record that holds it. A
 * writable open never drops an earlier record for it. */
static void test_bit_flips(void **state)
{
    (void)state;
    if (no_sodium())
        skip();
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char *dir = fresh_dir("flip");
    char p[600];
    seg_path(p, sizeof p, dir);
    hs_outbox *ob = open_ob(ctx, dir, 0, 0);
    char batch[600];
    snprintf(batch, sizeof batch, "%s/batch-flip", tu_tmpdir());
    uint8_t *sl[3];
    size_t sz[3];
    for (uint32_t i = 0; i < 3; i++) {
        sl[i] = make_sealed(ctx, &sz[i], K.dev_sk, 0, "x", 600 + i);
        assert_int_equal(hs_outbox_append(ctx, ob, sl[i], sz[i]), HS_OK);
    }
    uint32_t n;
    assert_int_equal(hs_outbox_export(ctx, ob, &n, batch, 0), HS_OK);
    uint8_t id0[16];
    memcpy(id0, sealed_id(sl[0], sz[0]), 16);
    size_t asize;
    uint8_t *ack = make_ack(ctx, &asize, K.dev_pk, id0, 1, K.auth_sk);
    assert_int_equal(hs_outbox_ack(ctx, ob, &n, ack, asize), HS_OK);
    free(ack);
    assert_int_equal(hs_outbox_append(ctx, ob, sl[0], sz[0]), HS_ERR_EXISTS);
    hs_outbox_close(ob);
    size_t size;
    uint8_t *orig = tu_read(p, &size);
    assert_non_null(orig);
    uint8_t *d = malloc(size);
    uint32_t tested = 0;
    size_t step = size > 4000 ? 3 : 1;
    for (size_t i = 0; i < size; i += step) {
        memcpy(d, orig, size);
        d[i] ^= (uint8_t)(1u << (i % 8));
        int fd = open(p, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, d, size), (ssize_t)size);
        close(fd);
        hs_outbox_verify_info vi = HS_OUTBOX_VERIFY_INFO_INIT;
        hs_status s = hs_outbox_verify(ctx, &vi, dir);
        if (s == HS_OK || vi.bad_offset > i) {
            fprintf(stderr, "flip at %zu: %s, bad_offset %llu: %s\n", i, hs_status_str(s),
                    (unsigned long long)vi.bad_offset, hs_ctx_last_error(ctx));
            fail();
        }
        /* a writable open: refuses, or (a flip in the last record's
         * sealed body, which only verify reads) opens with every record */
        hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
        hs_outbox *x = NULL;
        s = hs_outbox_open(ctx, &x, dir, &o);
        if (s == HS_OK) {
            assert_int_equal(hs_outbox_count(x), 2);
            hs_outbox_close(x);
        }
        tested++;
    }
    assert_true(tested > 1000);
    free(d);
    free(orig);
    for (int i = 0; i < 3; i++)
        free(sl[i]);
    hs_ctx_free(ctx);
}

static void test_struct_sizes(void **state)
{
    (void)state;
    if (no_sodium())
        skip();
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char *dir = fresh_dir("structs");
    hs_outbox *ob = open_ob(ctx, dir, 0, 0);
    size_t n;
    uint8_t *s = make_sealed(ctx, &n, K.dev_sk, 2, "review", 700);
    assert_int_equal(hs_outbox_append(ctx, ob, s, n), HS_OK);
    free(s);
    hs_outbox_entry e;
    memset(&e, 0xab, sizeof e);
    e.struct_size = 6;
    assert_int_equal(hs_outbox_entry_at(ob, &e, 0), HS_ERR_INVALID_ARG);
    /* 1.1 is the first size: a smaller one is refused */
    e.struct_size = (uint32_t)offsetof(hs_outbox_entry, exported_ms);
    assert_int_equal(hs_outbox_entry_at(ob, &e, 0), HS_ERR_INVALID_ARG);
    /* a newer caller: filled as far as this library knows, told how far */
    struct {
        hs_outbox_entry e;
        uint32_t more[4];
    } big;
    memset(&big, 0xab, sizeof big);
    big.e.struct_size = sizeof big;
    assert_int_equal(hs_outbox_entry_at(ob, &big.e, 0), HS_OK);
    assert_int_equal(big.e.struct_size, sizeof(hs_outbox_entry));
    assert_int_equal(big.e.decision, 2);
    assert_string_equal(big.e.shown, "review");
    assert_int_equal(big.more[0], 0xabababab);
    hs_outbox_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    assert_int_equal(hs_outbox_info_get(ob, &info), HS_OK);
    assert_int_equal(info.count, 1);
    assert_int_equal(hs_outbox_count(NULL), 0);
    assert_int_equal(hs_outbox_info_get(NULL, &info), HS_ERR_INVALID_ARG);
    hs_outbox_close(ob);
    hs_outbox_close(NULL);
    hs_ctx_free(ctx);
}


/* ---- SIGKILL at random moments ------------------------------------------------ */

/* A child appends, exports, acknowledges (making the acknowledgement as the
 * centre would) and purges without end, with the audit log; it notes in a
 * journal what it is about to remove ("k"/"p" lines, before the call) and
 * what a call returned ("A", "K", "P" lines, after). The parent kills it
 * at a random moment, then checks that every append that returned is there
 * unless its removal was attempted, that nothing whose removal returned is
 * there, that nothing once gone comes back, and that the outbox and the
 * audit log verify. HS_OUTBOX_KILLS rounds (default 30; 200 by hand). */
typedef struct pool {
    uint32_t n;
    uint8_t **sealed;
    size_t *size;
    uint8_t (*id)[16];
} pool;

static int pool_index(const pool *p, const uint8_t *id)
{
    for (uint32_t i = 0; i < p->n; i++)
        if (!memcmp(p->id[i], id, 16))
            return (int)i;
    return -1;
}

static void jline(int fd, char tag, const uint32_t *idx, uint32_t n)
{
    char line[4096];
    int k = snprintf(line, sizeof line, "%c", tag);
    for (uint32_t i = 0; i < n && k < (int)sizeof line - 16; i++)
        k += snprintf(line + k, sizeof line - (size_t)k, " %u", (unsigned)idx[i]);
    line[k++] = '\n';
    if (write(fd, line, (size_t)k) != k)
        _exit(3);
}

static void child_loop(const char *dir, const char *journal, const pool *p, uint32_t seed)
{
    hs_ctx *ctx = NULL;
    hs_audit *log = NULL;
    hs_outbox *ob = NULL;
    if (hs_ctx_new(&ctx, NULL) || hs_audit_open(ctx, &log, dir, K.dev_sk, NULL))
        _exit(2);
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    memcpy(o.device_public, K.dev_pk, 32);
    memcpy(o.authority_sign_public, K.auth_pk, 32);
    o.audit = log;
    o.retention_ms = 3600 * 1000;
    if (hs_outbox_open(ctx, &ob, dir, &o))
        _exit(2);
    int jfd = open(journal, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (jfd < 0)
        _exit(2);
    char batch[700];
    snprintf(batch, sizeof batch, "%s/batch", dir);
    uint32_t s = seed | 1;
    for (;;) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        uint32_t r = s % 10, idx[8], n = 0;
        if (r < 6) {
            uint32_t i = (s >> 8) % p->n;
            if (hs_outbox_append(ctx, ob, p->sealed[i], p->size[i]) == HS_OK)
                jline(jfd, 'A', &i, 1);
        } else if (r < 8) {
            uint32_t k;
            if (hs_outbox_export(ctx, ob, &k, batch, 0))
                _exit(4);
        } else if (r == 8) {
            uint8_t ids[3][16];
            for (uint32_t i = 0; i < hs_outbox_count(ob) && n < 3; i += 1 + (s >> 20) % 3) {
                hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
                hs_outbox_entry_at(ob, &e, i);
                memcpy(ids[n], e.id, 16);
                idx[n++] = (uint32_t)pool_index(p, e.id);
            }
            if (!n)
                continue;
            uint8_t ack[4096];
            size_t asz = sizeof ack;
            if (hs_encounter_ack_make(ctx, ack, &asz, K.dev_pk, &ids[0][0], n, K.auth_sk))
                _exit(5);
            jline(jfd, 'k', idx, n);
            if (hs_outbox_ack(ctx, ob, NULL, ack, asz))
                _exit(6);
            jline(jfd, 'K', idx, n);
        } else {
            hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
            if (hs_outbox_entry_at(ob, &e, 0))
                continue;
            int64_t cutoff = e.appended_ms + 1;
            for (uint32_t i = 0; i < hs_outbox_count(ob) && n < 8; i++) {
                hs_outbox_entry x = HS_OUTBOX_ENTRY_INIT;
                hs_outbox_entry_at(ob, &x, i);
                if (x.appended_ms < cutoff)
                    idx[n++] = (uint32_t)pool_index(p, x.id);
            }
            if (n == 8)
                continue; /* more than the journal line holds: skip */
            jline(jfd, 'p', idx, n);
            uint32_t k;
            if (hs_outbox_purge(ctx, ob, &k, cutoff + o.retention_ms))
                _exit(7);
            jline(jfd, 'P', idx, n);
        }
    }
}

static void test_kill_loop(void **state)
{
    (void)state;
    if (no_sodium())
        skip();
    const char *env = getenv("HS_OUTBOX_KILLS");
    uint32_t kills = env ? (uint32_t)atoi(env) : 30;
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char dir[512], journal[600];
    snprintf(dir, sizeof dir, "%s", fresh_dir("kill"));
    snprintf(journal, sizeof journal, "%s/../kill.journal", dir);
    remove(journal);
    /* made before the first child, which may be killed before it gets to it */
    hs_outbox_close(open_ob(ctx, dir, 0, 0));
    pool p;
    p.n = 40 + 3 * kills;
    p.sealed = calloc(p.n, sizeof *p.sealed);
    p.size = calloc(p.n, sizeof *p.size);
    p.id = calloc(p.n, sizeof *p.id);
    for (uint32_t i = 0; i < p.n; i++) {
        p.sealed[i] = make_sealed(ctx, &p.size[i], K.dev_sk, (int32_t)(i % 2), NULL, 9000 + i);
        memcpy(p.id[i], sealed_id(p.sealed[i], p.size[i]), 16);
    }
    uint8_t *appended = calloc(p.n, 1), *intent = calloc(p.n, 1), *removed = calloc(p.n, 1);
    uint8_t *seen = calloc(p.n, 1), *gone = calloc(p.n, 1);
    uint32_t seed = (uint32_t)time(NULL) ^ (uint32_t)getpid();
    printf("kill loop: %u rounds, seed %u\n", kills, seed);
    uint32_t max_present = 0, total_gone = 0;
    for (uint32_t round = 0; round < kills; round++) {
        seed = seed * 1103515245u + 12345u;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            child_loop(dir, journal, &p, seed);
        struct timespec ts = {0, (long)((seed >> 8) % 80) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
            fprintf(stderr, "round %u: the child ended by itself (status %d)\n", round, st);
            fail();
        }
        /* the journal */
        FILE *f = fopen(journal, "r");
        char line[4096];
        while (f && fgets(line, sizeof line, f)) {
            char tag = line[0];
            char *q = line + 1;
            for (;;) {
                char *end;
                unsigned long v = strtoul(q, &end, 10);
                if (end == q)
                    break;
                q = end;
                if (v >= p.n)
                    continue;
                if (tag == 'A')
                    appended[v] = 1;
                else if (tag == 'k' || tag == 'p')
                    intent[v] = 1;
                else if (tag == 'K' || tag == 'P')
                    removed[v] = 1;
            }
        }
        if (f)
            fclose(f);
        /* recover (a writable open), then check */
        hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
        hs_outbox *ob = NULL;
        hs_status s = hs_outbox_open(ctx, &ob, dir, &o);
        if (s) {
            fprintf(stderr, "round %u: open after the kill: %s\n", round, hs_ctx_last_error(ctx));
            fail();
        }
        uint8_t *present = calloc(p.n, 1);
        for (uint32_t i = 0; i < hs_outbox_count(ob); i++) {
            hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
            assert_int_equal(hs_outbox_entry_at(ob, &e, i), HS_OK);
            int k = pool_index(&p, e.id);
            assert_true(k >= 0);
            assert_true(e.state == HS_OUTBOX_QUEUED || e.state == HS_OUTBOX_EXPORTED);
            present[k] = 1;
        }
        if (hs_outbox_count(ob) > max_present)
            max_present = hs_outbox_count(ob);
        hs_outbox_close(ob);
        for (uint32_t i = 0; i < p.n; i++) {
            if (appended[i] && !intent[i] && !present[i]) {
                fprintf(stderr, "round %u: encounter %u was appended and is lost\n", round, i);
                fail();
            }
            if (removed[i] && present[i]) {
                fprintf(stderr, "round %u: encounter %u was removed and is back\n", round, i);
                fail();
            }
            if (gone[i] && present[i]) {
                fprintf(stderr, "round %u: encounter %u was gone and came back\n", round, i);
                fail();
            }
            if (seen[i] && !present[i] && !gone[i]) {
                gone[i] = 1;
                total_gone++;
            }
            seen[i] |= present[i];
        }
        free(present);
        hs_outbox_verify_info vi = HS_OUTBOX_VERIFY_INFO_INIT;
        s = hs_outbox_verify(ctx, &vi, dir);
        if (s) {
            fprintf(stderr, "round %u: verify: %s\n", round, hs_ctx_last_error(ctx));
            fail();
        }
        /* the audit log recovered as the outbox was (a writable open, as
         * the device's next start): a kill between the log's creation and
         * its header's single write leaves it empty, which the next open
         * starts afresh (one run failed here: "audit log header truncated
         * (0 bytes)", round 0) */
        hs_audit *log = NULL;
        s = hs_audit_open(ctx, &log, dir, K.dev_sk, NULL);
        if (s) {
            fprintf(stderr, "round %u: audit open after the kill: %s\n", round,
                    hs_ctx_last_error(ctx));
            fail();
        }
        hs_audit_close(log);
        char ap[700];
        snprintf(ap, sizeof ap, "%s/%s", dir, HS_AUDIT_FILE_NAME);
        size_t asz;
        uint8_t *ad = tu_read(ap, &asz);
        if (ad) {
            s = hs_audit_verify(ctx, NULL, ad, asz, K.dev_pk, NULL);
            if (s) {
                fprintf(stderr, "round %u: audit: %s\n", round, hs_ctx_last_error(ctx));
                fail();
            }
            free(ad);
        }
    }
    uint32_t na = 0, nr = 0;
    for (uint32_t i = 0; i < p.n; i++) {
        na += appended[i];
        nr += removed[i];
    }
    printf("kill loop: %u appends returned, %u removals returned, %u encounters gone, "
           "at most %u held at once\n", na, nr, total_gone, max_present);
    /* the loop must have done something of each kind for its checks to mean anything */
    assert_true(na > 0);
    for (uint32_t i = 0; i < p.n; i++)
        free(p.sealed[i]);
    free(p.sealed);
    free(p.size);
    free(p.id);
    free(appended);
    free(intent);
    free(removed);
    free(seen);
    free(gone);
    hs_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_list_reopen),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_export_ack),
        cmocka_unit_test(test_purge_and_audit),
        cmocka_unit_test(test_torn_tail),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_struct_sizes),
        cmocka_unit_test(test_kill_loop),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
