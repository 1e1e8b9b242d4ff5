/* Allocation failure, in the manner of SQLite's malloc tests and curl's
 * torture mode: every public constructor and main operation is run with an
 * allocator that fails its Nth allocation, for N = 1, 2, ... until the call
 * succeeds. Each failing run must return HS_ERR_NOMEM (or succeed when the
 * library could do without that block), leave *out NULL, leave its input
 * objects as they were, and give back every block it took (checked here by
 * counting live blocks, and under ASan by the leak checker). Two modes: only
 * the Nth allocation fails, and the Nth and every later one fail. */
#include "testutil.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Atomic: a threaded search allocates from its worker threads. */
typedef struct fail_alloc {
    atomic_long live;  /* blocks handed out and not yet freed */
    atomic_long count; /* allocations attempted since arming */
    long fail_at; /* 0: never fail; else the ordinal of the first failure */
    int sticky;   /* 1: every allocation from fail_at on fails too */
} fail_alloc;

static int should_fail(fail_alloc *f)
{
    if (!f->fail_at)
        return 0;
    long c = atomic_fetch_add(&f->count, 1) + 1;
    return f->sticky ? c >= f->fail_at : c == f->fail_at;
}

static void *fa_malloc(void *o, size_t n)
{
    fail_alloc *f = o;
    if (should_fail(f))
        return NULL;
    void *p = malloc(n ? n : 1);
    if (p)
        f->live++;
    return p;
}

static void *fa_realloc(void *o, void *p, size_t n)
{
    fail_alloc *f = o;
    if (should_fail(f))
        return NULL;
    void *q = realloc(p, n ? n : 1);
    if (q && !p)
        f->live++;
    return q;
}

static void fa_free(void *o, void *p)
{
    fail_alloc *f = o;
    if (p) {
        f->live--;
        free(p);
    }
}

/* Objects every operation may read, made once with the counting allocator
 * (disarmed) so that objects created from them inherit it. */
typedef struct fixture {
    fail_alloc fa;
    hs_ctx *ctx;
    hs_image *img;          /* a synthetic impression */
    uint8_t *png;           /* the same image as PNG */
    size_t png_size;
    hs_template *tpl;       /* its minutiae */
    hs_template *tpl2;      /* a second impression of the same finger */
    uint8_t *iso;           /* tpl as ISO 19794-2 */
    size_t iso_size;
    hs_finger_prepared *prep;
    hs_watchlist *wl;       /* 3 subjects */
    uint8_t *wl_bytes;
    size_t wl_size;
    uint8_t auth_pk[32], auth_sk[64], dev_pk[32], dev_sk[32];
    uint8_t devsign_pk[32], devsign_sk[64], storage_key[32];
    uint8_t *pkg;
    size_t pkg_size;
    float face[128];
    /* encounters */
    hs_encounter *enc;
    uint8_t box_pk[32], box_sk[32], asig_pk[32], asig_sk[64], edev_pk[32], edev_sk[64];
    uint8_t *sealed;
    size_t sealed_size;
    uint8_t *batch;
    size_t batch_size;
    hs_encounter_registry *reg;
} fixture;

static fixture fx;

/* Run op with the Nth allocation failing for N = 1.. until it succeeds.
 * op returns its status; on success it has checked and freed its outputs. */
typedef hs_status (*op_fn)(hs_ctx *ctx);

static void torture(const char *name, op_fn op)
{
    for (int sticky = 0; sticky <= 1; sticky++) {
        long n;
        for (n = 1; n < 100000; n++) {
            long before = fx.fa.live;
            fx.fa.count = 0;
            fx.fa.sticky = sticky;
            fx.fa.fail_at = n;
            hs_status s = op(fx.ctx);
            fx.fa.fail_at = 0;
            if (s != HS_OK && s != HS_ERR_NOMEM) {
                fprintf(stderr, "%s: allocation %ld (%s) failed with %s: %s\n", name, n,
                        sticky ? "sticky" : "once", hs_status_str(s), hs_ctx_last_error(fx.ctx));
                fail();
            }
            if (fx.fa.live != before) {
                fprintf(stderr, "%s: allocation %ld (%s): %ld blocks not given back\n", name, n,
                        sticky ? "sticky" : "once", (long)fx.fa.live - before);
                fail();
            }
            if (s == HS_OK && fx.fa.count < n)
                break; /* ran to the end without reaching the failing one */
        }
        assert_true(n < 100000);
        if (!sticky)
            printf("  %-28s %ld allocations\n", name, n - 1);
    }
}

#define OUT_NULL_ON_FAIL(s, p)        \
    do {                              \
        if ((s) != HS_OK)             \
            assert_null(p);           \
    } while (0)

/* ---- operations ------------------------------------------------------ */

static hs_status op_ctx_new(hs_ctx *unused)
{
    (void)unused;
    hs_allocator a = {fa_malloc, fa_realloc, fa_free, &fx.fa};
    hs_ctx *c = (hs_ctx *)1;
    hs_status s = hs_ctx_new(&c, &a);
    OUT_NULL_ON_FAIL(s, c);
    hs_ctx_free(c);
    return s;
}

static hs_status op_image_decode(hs_ctx *ctx)
{
    hs_image *img = (hs_image *)1;
    hs_status s = hs_image_decode(ctx, &img, fx.png, fx.png_size, 0);
    OUT_NULL_ON_FAIL(s, img);
    if (!s)
        assert_int_equal(hs_image_width(img), hs_image_width(fx.img));
    hs_image_free(img);
    return s;
}

/* WSQ: encoding into memory (at @p bitrate, 0 = the default) and decoding
 * what it made with @p flags. */
static hs_status wsq_round_trip(hs_ctx *ctx, float bitrate, uint32_t flags)
{
    hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
    if (bitrate > 0)
        o.wsq_bitrate = bitrate;
    size_t n = 0;
    hs_status s = hs_image_encode(ctx, NULL, &n, fx.img, HS_IMAGE_FORMAT_WSQ, &o);
    if (s)
        return s;
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    s = hs_image_encode(ctx, buf, &n, fx.img, HS_IMAGE_FORMAT_WSQ, &o);
    if (!s) {
        /* the restored decode must be one: below its 0.75 bit per pixel */
        if (flags & HS_IMAGE_WSQ_RESTORE)
            assert_true(8.0 * (double)n <
                        0.75 * (double)hs_image_width(fx.img) * (double)hs_image_height(fx.img));
        hs_image *img = (hs_image *)1;
        s = hs_image_decode(ctx, &img, buf, n, flags);
        OUT_NULL_ON_FAIL(s, img);
        if (!s)
            assert_int_equal(hs_image_width(img), hs_image_width(fx.img));
        hs_image_free(img);
    }
    free(buf);
    return s;
}

static hs_status op_image_wsq(hs_ctx *ctx)
{
    return wsq_round_trip(ctx, 0, 0);
}

/* The restored decode of a low-rate stream (HS_IMAGE_WSQ_RESTORE). */
static hs_status op_image_wsq_restore(hs_ctx *ctx)
{
    return wsq_round_trip(ctx, 0.2f, HS_IMAGE_WSQ_RESTORE);
}

static char png_path[512], wl_path[512], iso_path[512], enc_path[600];

static hs_status op_image_load(hs_ctx *ctx)
{
    hs_image *img = (hs_image *)1;
    hs_status s = hs_image_load(ctx, &img, png_path, 0);
    OUT_NULL_ON_FAIL(s, img);
    hs_image_free(img);
    return s;
}

static hs_status op_template_load(hs_ctx *ctx)
{
    hs_template *t = (hs_template *)1;
    hs_status s = hs_template_load(ctx, &t, NULL, iso_path);
    OUT_NULL_ON_FAIL(s, t);
    hs_template_free(t);
    return s;
}

static hs_status op_watchlist_load(hs_ctx *ctx)
{
    hs_watchlist *wl = (hs_watchlist *)1;
    hs_status s = hs_watchlist_load(ctx, &wl, wl_path);
    OUT_NULL_ON_FAIL(s, wl);
    hs_watchlist_free(wl);
    return s;
}

static hs_status op_watchlist_save(hs_ctx *ctx)
{
    char path[600];
    snprintf(path, sizeof path, "%s.saved", wl_path);
    hs_status s = hs_watchlist_save(ctx, path, fx.wl);
    remove(path);
    return s;
}

static hs_status op_image_new(hs_ctx *ctx)
{
    hs_image *img = (hs_image *)1;
    hs_status s = hs_image_new(ctx, &img, 64, 48, 500, 255);
    OUT_NULL_ON_FAIL(s, img);
    hs_image_free(img);
    return s;
}

static hs_status op_extract(hs_ctx *ctx)
{
    hs_finger_extractor *ex = (hs_finger_extractor *)1;
    hs_status s = hs_finger_extractor_new(ctx, &ex);
    OUT_NULL_ON_FAIL(s, ex);
    if (s)
        return s;
    hs_template *t = (hs_template *)1;
    s = hs_finger_extract(ctx, &t, ex, fx.img);
    OUT_NULL_ON_FAIL(s, t);
    if (!s)
        assert_int_equal(hs_template_view_count(t), 1);
    hs_template_free(t);
    hs_finger_extractor_free(ex);
    return s;
}

static hs_status op_prepare_match(hs_ctx *ctx)
{
    hs_finger_prepared *p = (hs_finger_prepared *)1;
    hs_status s = hs_finger_prepare(ctx, &p, fx.tpl2, 0);
    OUT_NULL_ON_FAIL(s, p);
    if (s)
        return s;
    hs_finger_matcher *m = (hs_finger_matcher *)1;
    s = hs_finger_matcher_new(ctx, &m);
    OUT_NULL_ON_FAIL(s, m);
    if (!s) {
        float score = -1;
        long before = fx.fa.count;
        assert_int_equal(hs_finger_match(m, &score, fx.prep, p), HS_OK);
        assert_int_equal(fx.fa.count, before); /* matching does not allocate */
        assert_true(score > 0.0f);
    }
    hs_finger_matcher_free(m);
    hs_finger_prepared_free(p);
    return s;
}

static hs_status op_compare(hs_ctx *ctx)
{
    float score = -1;
    hs_status s = hs_finger_compare(ctx, &score, fx.tpl, fx.tpl2);
    if (s)
        assert_true(score == -1.0f);
    return s;
}

static hs_status op_template_encode(hs_ctx *ctx)
{
    size_t size = 0;
    hs_status s = hs_template_encode(ctx, NULL, &size, fx.tpl, HS_TEMPLATE_FORMAT_ISO19794_2_2005);
    if (s)
        return s;
    uint8_t *buf = malloc(size);
    s = hs_template_encode(ctx, buf, &size, fx.tpl, HS_TEMPLATE_FORMAT_ISO19794_2_2005);
    if (!s) {
        assert_int_equal(size, fx.iso_size);
        assert_memory_equal(buf, fx.iso, size);
    }
    free(buf);
    return s;
}

static hs_status op_template_decode(hs_ctx *ctx)
{
    hs_template *t = (hs_template *)1;
    uint32_t fmt = 0;
    hs_status s = hs_template_decode(ctx, &t, &fmt, fx.iso, fx.iso_size);
    OUT_NULL_ON_FAIL(s, t);
    if (!s)
        assert_int_equal(fmt, HS_TEMPLATE_FORMAT_ISO19794_2_2005);
    hs_template_free(t);
    return s;
}

static hs_status op_template_clone(hs_ctx *ctx)
{
    hs_template *t = (hs_template *)1;
    hs_status s = hs_template_clone(ctx, &t, fx.tpl);
    OUT_NULL_ON_FAIL(s, t);
    hs_template_free(t);
    return s;
}

/* A copy of an extracted view (its orientation field included) at a new
 * position: on failure the destination keeps no view. */
static hs_status op_template_copy_view(hs_ctx *ctx)
{
    hs_template *t = NULL;
    hs_status s = hs_template_new(ctx, &t);
    if (s)
        return s;
    hs_view_info vi = HS_VIEW_INFO_INIT;
    assert_int_equal(hs_template_view_info(fx.tpl, &vi, 0), HS_OK);
    vi.finger_position = 3;
    s = hs_template_copy_view(ctx, t, fx.tpl, 0, &vi);
    assert_int_equal(hs_template_view_count(t), s ? 0 : 1);
    hs_template_free(t);
    return s;
}

static hs_status op_eval(hs_ctx *ctx)
{
    static const double g[] = {0.9, 0.8, 0.7, 0.6, 0.2}, im[] = {0.1, 0.3, 0.5, 0.05, 0.0};
    hs_eval_result r = HS_EVAL_RESULT_INIT;
    r.eer = -1.0;
    hs_status s = hs_eval_rates(ctx, &r, g, 5, im, 5, 0);
    if (s) {
        assert_true(r.eer == -1.0); /* untouched */
        return s;
    }
    hs_eval_point p = {-1.0, -1.0, -1.0};
    s = hs_eval_threshold_for_fmr(ctx, &p, g, 5, im, 5, 0.2, 0);
    if (s) {
        assert_true(p.threshold == -1.0);
        return s;
    }
    hs_eval_point pts[11];
    size_t n = 11;
    return hs_eval_det(ctx, pts, &n, g, 5, im, 5, 0);
}

static hs_status op_file(hs_ctx *ctx)
{
    char path[512];
    snprintf(path, sizeof path, "%s/nomem.bin", tu_tmpdir());
    hs_status s = hs_file_save(ctx, path, fx.iso, fx.iso_size, HS_FILE_PRIVATE);
    if (s)
        return s;
    void *data = (void *)1;
    size_t size = 1;
    s = hs_file_read(ctx, &data, &size, path);
    OUT_NULL_ON_FAIL(s, data);
    if (!s) {
        assert_int_equal(size, fx.iso_size);
        assert_memory_equal(data, fx.iso, size);
    }
    hs_file_free(ctx, data, size);
    return s;
}

static hs_status op_watchlist_decode(hs_ctx *ctx)
{
    hs_watchlist *wl = (hs_watchlist *)1;
    hs_status s = hs_watchlist_decode(ctx, &wl, fx.wl_bytes, fx.wl_size);
    OUT_NULL_ON_FAIL(s, wl);
    if (!s)
        assert_int_equal(hs_watchlist_count(wl), 3);
    hs_watchlist_free(wl);
    return s;
}

/* The list's encoding, to show a failed call left it as it was. */
static void assert_list_unchanged(const hs_watchlist *wl)
{
    size_t size = 0;
    assert_int_equal(hs_watchlist_encode(NULL, NULL, &size, wl), HS_OK);
    assert_int_equal(size, fx.wl_size);
    uint8_t *buf = malloc(size);
    assert_int_equal(hs_watchlist_encode(NULL, buf, &size, wl), HS_OK);
    assert_memory_equal(buf, fx.wl_bytes, size);
    free(buf);
}

static hs_status op_watchlist_add(hs_ctx *ctx)
{
    hs_watchlist_subject *sub = (hs_watchlist_subject *)1;
    hs_status s = hs_watchlist_subject_new(ctx, &sub, "P-NEW");
    OUT_NULL_ON_FAIL(s, sub);
    if (s)
        return s;
    if (!(s = hs_watchlist_subject_set_field(ctx, sub, "name", "Test Person")) &&
        !(s = hs_watchlist_subject_add_finger(ctx, sub, fx.tpl2, 0)) &&
        !(s = hs_watchlist_subject_add_face(ctx, sub, fx.face, 128, 0)))
        s = hs_watchlist_add(ctx, fx.wl, sub);
    hs_watchlist_subject_free(sub);
    if (s) {
        assert_list_unchanged(fx.wl);
        return s;
    }
    assert_int_equal(hs_watchlist_count(fx.wl), 4);
    fx.fa.fail_at = 0; /* put the list back for the next run */
    assert_int_equal(hs_watchlist_remove(ctx, fx.wl, "P-NEW"), HS_OK);
    return s;
}

static hs_status search_with(hs_ctx *ctx, uint32_t threads, uint32_t thorough)
{
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.threads = threads;
    o.thorough = thorough;
    hs_watchlist_result *r = (hs_watchlist_result *)1;
    hs_status s = hs_watchlist_search(ctx, &r, fx.wl, fx.tpl2, fx.face, 128, &o);
    OUT_NULL_ON_FAIL(s, r);
    if (!s) {
        assert_true(hs_watchlist_result_count(r) >= 1);
        hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
        assert_int_equal(hs_watchlist_result_candidate(r, &c, 0), HS_OK);
        assert_string_equal(c.id, "P-1");
    }
    hs_watchlist_result_free(r);
    return s;
}

static hs_status op_watchlist_search(hs_ctx *ctx) { return search_with(ctx, 1, 0); }
static hs_status op_watchlist_search_threads(hs_ctx *ctx) { return search_with(ctx, 2, 0); }
static hs_status op_watchlist_search_thorough(hs_ctx *ctx) { return search_with(ctx, 2, 3); }

#ifdef HOTSPOT_HAVE_SODIUM
static hs_status op_watchlist_pack(hs_ctx *ctx)
{
    size_t size = 0;
    hs_status s = hs_watchlist_pack(ctx, NULL, &size, fx.wl, NULL, fx.auth_sk, fx.dev_pk, 1);
    if (s)
        return s;
    uint8_t *buf = malloc(size);
    s = hs_watchlist_pack(ctx, buf, &size, fx.wl, NULL, fx.auth_sk, fx.dev_pk, 1);
    free(buf);
    return s;
}

static hs_status op_watchlist_unpack(hs_ctx *ctx)
{
    hs_watchlist *wl = (hs_watchlist *)1;
    hs_status s = hs_watchlist_unpack(ctx, &wl, NULL, 0, fx.pkg, fx.pkg_size, fx.auth_pk,
                                      fx.dev_pk, fx.dev_sk);
    OUT_NULL_ON_FAIL(s, wl);
    if (!s)
        assert_int_equal(hs_watchlist_count(wl), 3);
    hs_watchlist_free(wl);
    return s;
}

/* The device: audit log (open, append, export, verify, view) and the
 * encrypted installed list. */
static hs_status op_audit(hs_ctx *ctx)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/nomem-audit", tu_tmpdir());
    mkdir(dir, 0700);
    hs_audit *a = (hs_audit *)1;
    hs_status s = hs_audit_open(ctx, &a, dir, fx.devsign_sk, NULL);
    OUT_NULL_ON_FAIL(s, a);
    if (s)
        return s;
    hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
    e.event = HS_AUDIT_SEARCH;
    e.operator_id = "op";
    e.ref = "42";
    s = hs_audit_append(ctx, a, &e);
    size_t size = 0;
    uint8_t *x = NULL;
    if (!s)
        s = hs_audit_export(ctx, NULL, &size, a, 0, UINT64_MAX);
    if (!s) {
        x = malloc(size);
        s = hs_audit_export(ctx, x, &size, a, 0, UINT64_MAX);
    }
    hs_audit_close(a);
    if (!s)
        s = hs_audit_verify(ctx, NULL, x, size, fx.devsign_pk, NULL);
    if (!s) {
        hs_audit_view *v = (hs_audit_view *)1;
        s = hs_audit_view_new(ctx, &v, x, size);
        OUT_NULL_ON_FAIL(s, v);
        if (!s)
            assert_true(hs_audit_view_count(v) >= 1);
        hs_audit_view_free(v);
    }
    free(x);
    return s;
}

static hs_status op_watchlist_save_encrypted(hs_ctx *ctx)
{
    char path[600];
    snprintf(path, sizeof path, "%s.saved.enc", wl_path);
    hs_status s = hs_watchlist_save_encrypted(ctx, path, fx.wl, fx.storage_key, 0);
    remove(path);
    return s;
}

static hs_status op_watchlist_load_encrypted(hs_ctx *ctx)
{
    hs_watchlist *wl = (hs_watchlist *)1;
    hs_status s = hs_watchlist_load_encrypted(ctx, &wl, enc_path, fx.storage_key);
    OUT_NULL_ON_FAIL(s, wl);
    if (!s)
        assert_int_equal(hs_watchlist_count(wl), 3);
    hs_watchlist_free(wl);
    return s;
}
#endif

#ifdef HOTSPOT_HAVE_SODIUM
/* The outbox: open (creating it), append, export, list, acknowledge (the
 * compaction), verify, close; a fresh directory each run. The sealed
 * encounter and its acknowledgement are made once, without the failing
 * allocator. */
static struct {
    uint8_t box_pk[32], box_sk[32], auth_pk[32], auth_sk[64], dev_pk[32], dev_sk[64], key[32];
    uint8_t *sealed, *ack;
    size_t sealed_size, ack_size;
    char dir[600], batch[640];
} obx;

static void outbox_fixture(void)
{
    if (obx.sealed)
        return;
    assert_int_equal(hs_encounter_keygen_authority(obx.box_pk, obx.box_sk, obx.auth_pk,
                                                   obx.auth_sk), HS_OK);
    assert_int_equal(hs_device_keygen(obx.dev_pk, obx.dev_sk, obx.key), HS_OK);
    hs_encounter *e = NULL;
    hs_image *img = NULL;
    assert_int_equal(hs_encounter_new(NULL, &e), HS_OK);
    assert_int_equal(hs_image_new(NULL, &img, 64, 64, 500, 128), HS_OK);
    assert_int_equal(hs_encounter_add_finger_image(NULL, e, img, 1, 255), HS_OK);
    hs_image_free(img);
    assert_int_equal(hs_encounter_seal(NULL, NULL, &obx.sealed_size, e, obx.box_pk, obx.dev_sk,
                                       NULL), HS_OK);
    obx.sealed = malloc(obx.sealed_size);
    assert_int_equal(hs_encounter_seal(NULL, obx.sealed, &obx.sealed_size, e, obx.box_pk,
                                       obx.dev_sk, NULL), HS_OK);
    assert_int_equal(hs_encounter_ack_make(NULL, NULL, &obx.ack_size, obx.dev_pk,
                                           hs_encounter_id(e), 1, obx.auth_sk), HS_OK);
    obx.ack = malloc(obx.ack_size);
    assert_int_equal(hs_encounter_ack_make(NULL, obx.ack, &obx.ack_size, obx.dev_pk,
                                           hs_encounter_id(e), 1, obx.auth_sk), HS_OK);
    hs_encounter_free(e);
    snprintf(obx.dir, sizeof obx.dir, "%s/nomem-outbox", tu_tmpdir());
    snprintf(obx.batch, sizeof obx.batch, "%s/nomem-outbox.batch", tu_tmpdir());
    mkdir(obx.dir, 0700);
}

static hs_status op_outbox(hs_ctx *ctx)
{
    char seg[700];
    snprintf(seg, sizeof seg, "%s/outbox.seg", obx.dir);
    remove(seg);
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    memcpy(o.device_public, obx.dev_pk, 32);
    memcpy(o.authority_sign_public, obx.auth_pk, 32);
    hs_outbox *ob = (hs_outbox *)1;
    hs_status s = hs_outbox_open(ctx, &ob, obx.dir, &o);
    OUT_NULL_ON_FAIL(s, ob);
    if (s)
        return s;
    uint32_t n = 0;
    s = hs_outbox_append(ctx, ob, obx.sealed, obx.sealed_size);
    if (!s)
        s = hs_outbox_export(ctx, ob, &n, obx.batch, 0);
    if (!s) {
        hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
        assert_int_equal(hs_outbox_entry_at(ob, &e, 0), HS_OK);
        assert_int_equal(e.state, HS_OUTBOX_EXPORTED);
        s = hs_outbox_ack(ctx, ob, &n, obx.ack, obx.ack_size);
    }
    if (!s)
        assert_int_equal(hs_outbox_count(ob), 0);
    hs_outbox_close(ob);
    if (!s)
        s = hs_outbox_verify(ctx, NULL, obx.dir);
    return s;
}

static void test_outbox(void **state)
{
    (void)state;
    outbox_fixture();
    torture("op_outbox", op_outbox);
    free(obx.sealed);
    free(obx.ack);
    obx.sealed = obx.ack = NULL;
}
#endif

static hs_status op_face_gallery(hs_ctx *ctx)
{
    hs_face_gallery *g = (hs_face_gallery *)1;
    hs_status s = hs_face_gallery_new(ctx, &g, 128);
    OUT_NULL_ON_FAIL(s, g);
    if (s)
        return s;
    float v[128];
    for (int row = 0; row < 40 && !s; row++) {
        for (int i = 0; i < 128; i++)
            v[i] = fx.face[(i + row) % 128];
        s = hs_face_gallery_add(ctx, g, (uint64_t)row, v, 128);
        if (s)
            assert_int_equal(hs_face_gallery_count(g), (uint32_t)row);
    }
    if (!s) {
        hs_face_hit hits[5];
        uint32_t count = 0;
        hs_face_search_options o = HS_FACE_SEARCH_OPTIONS_INIT;
        o.threads = 2;
        s = hs_face_gallery_search(ctx, hits, 5, &count, g, fx.face, 128, &o);
        if (!s) {
            assert_int_equal(count, 5);
            assert_true(hits[0].label == 0);
        }
    }
    hs_face_gallery_free(g);
    return s;
}

static hs_status op_synth(hs_ctx *ctx)
{
    hs_synth *gen = (hs_synth *)1;
    hs_status s = hs_synth_new(ctx, &gen, 11);
    OUT_NULL_ON_FAIL(s, gen);
    if (s)
        return s;
    hs_synth_set(gen, HS_SYNTH_FAST, 1);
    hs_synth_set(gen, HS_SYNTH_WIDTH, 160);
    hs_synth_set(gen, HS_SYNTH_HEIGHT, 160);
    hs_synth_master *m = (hs_synth_master *)1;
    s = hs_synth_master_new(ctx, &m, gen, 1);
    OUT_NULL_ON_FAIL(s, m);
    if (!s) {
        hs_image *img = (hs_image *)1;
        hs_template *truth = (hs_template *)1;
        s = hs_synth_impression(ctx, &img, &truth, gen, m, 1);
        OUT_NULL_ON_FAIL(s, img);
        OUT_NULL_ON_FAIL(s, truth);
        hs_image_free(img);
        hs_template_free(truth);
    }
    hs_synth_master_free(m);
    hs_synth_free(gen);
    return s;
}

/* ---- encounters ------------------------------------------------------------ */
#ifdef HOTSPOT_HAVE_SODIUM

static hs_status build_encounter(hs_ctx *ctx, hs_encounter **out)
{
    hs_encounter *e = (hs_encounter *)1;
    hs_status s = hs_encounter_new(ctx, &e);
    OUT_NULL_ON_FAIL(s, e);
    if (s)
        return s;
    hs_template *t = NULL;
    hs_view_info vi = HS_VIEW_INFO_INIT;
    uint32_t cnt = 0;
    const hs_minutia *m = hs_template_minutiae(fx.tpl, &cnt, 0);
    assert_int_equal(hs_template_view_info(fx.tpl, &vi, 0), HS_OK);
    vi.finger_position = 3;
    if (!(s = hs_encounter_set_time(ctx, e, INT64_C(1796558400000))) &&
        !(s = hs_encounter_set_text(ctx, e, HS_ENCOUNTER_TEXT_SHOWN, "no match")) &&
        !(s = hs_encounter_set_field(ctx, e, "lane", "2")) &&
        !(s = hs_encounter_add_finger_image(ctx, e, fx.img, 2, 60)) &&
        !(s = hs_template_new(ctx, &t)) && !(s = hs_template_add_view(ctx, t, &vi, m, cnt)) &&
        !(s = hs_encounter_add_finger_template(ctx, e, t, 0)) &&
        !(s = hs_encounter_set_face(ctx, e, fx.img)) &&
        !(s = hs_encounter_add_candidate(ctx, e, "P-1", 3.0, 1)))
        s = hs_encounter_set_decision(ctx, e, HS_ENCOUNTER_HIT);
    hs_template_free(t);
    if (s) {
        hs_encounter_free(e);
        return s;
    }
    *out = e;
    return HS_OK;
}

static hs_status op_encounter_build(hs_ctx *ctx)
{
    hs_encounter *e = NULL;
    hs_status s = build_encounter(ctx, &e);
    if (!s) {
        assert_int_equal(hs_encounter_finger_count(e), 1);
        hs_nist *n = (hs_nist *)1;
        s = hs_encounter_transaction(ctx, &n, e, NULL);
        OUT_NULL_ON_FAIL(s, n);
        hs_nist_free(n);
    }
    hs_encounter_free(e);
    return s;
}

static hs_status op_encounter_seal(hs_ctx *ctx)
{
    size_t n = 0;
    hs_status s = hs_encounter_seal(ctx, NULL, &n, fx.enc, fx.box_pk, fx.edev_sk, NULL);
    if (s)
        return s;
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    s = hs_encounter_seal(ctx, buf, &n, fx.enc, fx.box_pk, fx.edev_sk, NULL);
    if (!s) {
        hs_encounter_receipt r = HS_ENCOUNTER_RECEIPT_INIT;
        assert_int_equal(hs_encounter_sealed_receipt(ctx, &r, buf, n), HS_OK);
    }
    free(buf);
    return s;
}

static hs_status op_encounter_open(hs_ctx *ctx)
{
    hs_encounter_seen *seen = NULL;
    hs_status s = hs_encounter_seen_new(ctx, &seen);
    if (s)
        return s;
    hs_encounter *e = (hs_encounter *)1;
    hs_nist *n = (hs_nist *)1;
    s = hs_encounter_open(ctx, &e, &n, fx.sealed, fx.sealed_size, fx.box_sk, fx.reg, seen);
    OUT_NULL_ON_FAIL(s, e);
    OUT_NULL_ON_FAIL(s, n);
    assert_int_equal(hs_encounter_seen_count(seen), s ? 0 : 1);
    hs_encounter_free(e);
    hs_nist_free(n);
    hs_encounter_seen_free(seen);
    return s;
}

static hs_status op_encounter_batch_open(hs_ctx *ctx)
{
    hs_encounter_seen *seen = NULL;
    hs_status s = hs_encounter_seen_new(ctx, &seen);
    if (s)
        return s;
    hs_encounter_batch *b = (hs_encounter_batch *)1;
    s = hs_encounter_batch_open(ctx, &b, fx.batch, fx.batch_size, fx.box_sk, fx.reg, seen, 0);
    OUT_NULL_ON_FAIL(s, b);
    if (!s) {
        assert_int_equal(hs_encounter_batch_count(b), 2);
        assert_int_equal(hs_encounter_batch_status(b, NULL, 0), HS_OK);
        assert_int_equal(hs_encounter_batch_status(b, NULL, 1), HS_ERR_REPLAY);
    }
    assert_int_equal(hs_encounter_seen_count(seen), s ? 0 : 1);
    hs_encounter_batch_free(b);
    hs_encounter_seen_free(seen);
    return s;
}

static hs_status op_encounter_ack(hs_ctx *ctx)
{
    uint8_t ids[32];
    memset(ids, 7, sizeof ids);
    uint8_t buf[512];
    size_t n = sizeof buf;
    hs_status s = hs_encounter_ack_make(ctx, buf, &n, fx.edev_pk, ids, 2, fx.asig_sk);
    if (s)
        return s;
    hs_encounter_ack *a = (hs_encounter_ack *)1;
    s = hs_encounter_ack_verify(ctx, &a, buf, n, fx.asig_pk, fx.edev_pk);
    OUT_NULL_ON_FAIL(s, a);
    if (!s)
        assert_int_equal(hs_encounter_ack_count(a), 2);
    hs_encounter_ack_free(a);
    return s;
}

static hs_status op_encounter_registry(hs_ctx *ctx)
{
    hs_encounter_registry *r = (hs_encounter_registry *)1;
    hs_status s = hs_encounter_registry_new(ctx, &r);
    OUT_NULL_ON_FAIL(s, r);
    if (s)
        return s;
    uint8_t k[32];
    memset(k, 0, sizeof k);
    for (int i = 0; i < 20 && !s; i++) {
        char name[16];
        snprintf(name, sizeof name, "d%d", i);
        k[0] = (uint8_t)i;
        s = hs_encounter_registry_add(ctx, r, k, name);
    }
    k[0] = 99;
    if (!s)
        s = hs_encounter_registry_revoke(ctx, r, k);
    if (!s)
        assert_int_equal(hs_encounter_registry_lookup(r, NULL, k), -1);
    hs_encounter_registry_free(r);
    return s;
}
#endif

/* A search transaction, a watchlist search and the SRE detailing its best hit
 * (hs_nist_build_result_hit with a contact point). */
static hs_status op_nist_result_hit(hs_ctx *ctx)
{
    hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
    memcpy(o.dai_country, "XPO", 4);
    memcpy(o.ori_country, "FRA", 4);
    o.contact_org = "Interpol";
    o.contact_text = "Call back";
    hs_nist *txn = (hs_nist *)1;
    hs_status s = hs_nist_build_search(ctx, &txn, "CPS", "ORI", "Origin", "INT", "INTERPOL", 1,
                                       1796558400, NULL, 0, NULL, 0, NULL, &o);
    OUT_NULL_ON_FAIL(s, txn);
    if (s)
        return s;
    hs_watchlist_result *r = (hs_watchlist_result *)1;
    s = hs_watchlist_search(ctx, &r, fx.wl, fx.tpl2, fx.face, 128, NULL);
    OUT_NULL_ON_FAIL(s, r);
    if (!s) {
        hs_nist *sre = (hs_nist *)1;
        s = hs_nist_build_result_hit(ctx, &sre, txn, r, 0, 2, 1796558500, &o);
        OUT_NULL_ON_FAIL(s, sre);
        if (!s) {
            size_t sz;
            assert_non_null(hs_nist_field(sre, &sz, 1, 63));
            assert_non_null(hs_nist_field(sre, &sz, 1, 10));
        }
        assert_true(s == HS_OK || s == HS_ERR_NOMEM);
        hs_nist_free(sre);
        hs_watchlist_result_free(r);
    }
    hs_nist_free(txn);
    return s;
}

#ifdef HS_IMAGE_FORMAT_WSQ
/* A transaction built from an image and minutiae, then its fingers for the
 * watchlist (the image decoded and extracted, the minutiae read). */
static hs_status op_nist_fingers(hs_ctx *ctx)
{
    hs_nist_finger f = {fx.img, 2, 60};
    hs_template *m = NULL;
    hs_status s = hs_template_new(ctx, &m);
    if (!s) {
        hs_view_info vi = HS_VIEW_INFO_INIT;
        uint32_t n;
        const hs_minutia *mm = hs_template_minutiae(fx.tpl2, &n, 0);
        hs_template_view_info(fx.tpl2, &vi, 0);
        vi.finger_position = 3;
        s = hs_template_add_view(ctx, m, &vi, mm, n);
    }
    hs_nist *txn = (hs_nist *)1;
    if (!s) {
        s = hs_nist_build_search(ctx, &txn, "CPS", "ORI", "Origin", "INT", "INTERPOL", 1,
                                 1796558400, &f, 1, NULL, 0, m, NULL);
        OUT_NULL_ON_FAIL(s, txn);
    }
    hs_template_free(m);
    if (s)
        return s;
    hs_template *t = (hs_template *)1;
    s = hs_nist_fingers(ctx, &t, txn, NULL, 0);
    OUT_NULL_ON_FAIL(s, t);
    if (!s)
        assert_int_equal(hs_template_view_count(t), 2);
    hs_template_free(t);
    hs_nist_free(txn);
    return s;
}
#endif

/* ---- set-up -------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    hs_allocator a = {fa_malloc, fa_realloc, fa_free, &fx.fa};
    if (hs_ctx_new(&fx.ctx, &a))
        return -1;
    hs_synth *gen = NULL;
    hs_synth_master *m = NULL;
    hs_finger_extractor *ex = NULL;
    hs_image *img2 = NULL;
    hs_template *truth = NULL;
    if (hs_synth_new(fx.ctx, &gen, 2026) || hs_synth_master_new(fx.ctx, &m, gen, 1) ||
        hs_synth_impression(fx.ctx, &fx.img, &truth, gen, m, 1))
        return -1;
    hs_template_free(truth);
    truth = NULL;
    if (hs_synth_impression(fx.ctx, &img2, &truth, gen, m, 2))
        return -1;
    hs_template_free(truth);
    if (hs_finger_extractor_new(fx.ctx, &ex) || hs_finger_extract(fx.ctx, &fx.tpl, ex, fx.img) ||
        hs_finger_extract(fx.ctx, &fx.tpl2, ex, img2))
        return -1;
    hs_finger_extractor_free(ex);
    hs_image_free(img2);
    hs_synth_master_free(m);
    hs_synth_free(gen);
    if (hs_image_encode(fx.ctx, NULL, &fx.png_size, fx.img, HS_IMAGE_FORMAT_PNG, NULL))
        return -1;
    fx.png = malloc(fx.png_size);
    if (hs_image_encode(fx.ctx, fx.png, &fx.png_size, fx.img, HS_IMAGE_FORMAT_PNG, NULL))
        return -1;
    if (hs_template_encode(fx.ctx, NULL, &fx.iso_size, fx.tpl, HS_TEMPLATE_FORMAT_ISO19794_2_2005))
        return -1;
    fx.iso = malloc(fx.iso_size);
    if (hs_template_encode(fx.ctx, fx.iso, &fx.iso_size, fx.tpl, HS_TEMPLATE_FORMAT_ISO19794_2_2005) ||
        hs_finger_prepare(fx.ctx, &fx.prep, fx.tpl, 0))
        return -1;
    for (int i = 0; i < 128; i++)
        fx.face[i] = (float)sin(0.7 * i + 1.0);
    if (hs_watchlist_new(fx.ctx, &fx.wl))
        return -1;
    /* P-1 holds the probe's own finger (tpl2) and face, so it ranks first
     * whatever the fusion's calibration; P-2 and P-3 another impression. */
    for (int k = 1; k <= 3; k++) {
        char id[16];
        snprintf(id, sizeof id, "P-%d", k);
        hs_watchlist_subject *s = NULL;
        if (hs_watchlist_subject_new(fx.ctx, &s, id) ||
            hs_watchlist_subject_add_finger(fx.ctx, s, k == 1 ? fx.tpl2 : fx.tpl, 0))
            return -1;
        if (k == 1 && hs_watchlist_subject_add_face(fx.ctx, s, fx.face, 128, 0))
            return -1;
        if (hs_watchlist_add(fx.ctx, fx.wl, s))
            return -1;
        hs_watchlist_subject_free(s);
    }
    if (hs_watchlist_set_version(fx.wl, 7) ||
        hs_watchlist_encode(fx.ctx, NULL, &fx.wl_size, fx.wl))
        return -1;
    fx.wl_bytes = malloc(fx.wl_size);
    if (hs_watchlist_encode(fx.ctx, fx.wl_bytes, &fx.wl_size, fx.wl))
        return -1;
    snprintf(png_path, sizeof png_path, "%s/nomem.png", tu_tmpdir());
    snprintf(iso_path, sizeof iso_path, "%s/nomem.iso", tu_tmpdir());
    snprintf(wl_path, sizeof wl_path, "%s/nomem.hswl", tu_tmpdir());
    FILE *f = fopen(png_path, "wb");
    if (!f || fwrite(fx.png, 1, fx.png_size, f) != fx.png_size || fclose(f))
        return -1;
    f = fopen(iso_path, "wb");
    if (!f || fwrite(fx.iso, 1, fx.iso_size, f) != fx.iso_size || fclose(f))
        return -1;
    if (hs_watchlist_save(fx.ctx, wl_path, fx.wl))
        return -1;
#ifdef HOTSPOT_HAVE_SODIUM
    if (hs_watchlist_keygen_authority(fx.auth_pk, fx.auth_sk) ||
        hs_watchlist_keygen_device(fx.dev_pk, fx.dev_sk) ||
        hs_watchlist_pack(fx.ctx, NULL, &fx.pkg_size, fx.wl, NULL, fx.auth_sk, fx.dev_pk, 1))
        return -1;
    fx.pkg = malloc(fx.pkg_size);
    if (hs_watchlist_pack(fx.ctx, fx.pkg, &fx.pkg_size, fx.wl, NULL, fx.auth_sk, fx.dev_pk, 1))
        return -1;
    /* encounters: sealed with a device signing key */
    uint8_t storage[32];
    if (hs_encounter_keygen_authority(fx.box_pk, fx.box_sk, fx.asig_pk, fx.asig_sk) ||
        hs_device_keygen(fx.edev_pk, fx.edev_sk, storage) ||
        build_encounter(fx.ctx, &fx.enc) ||
        hs_encounter_seal(fx.ctx, NULL, &fx.sealed_size, fx.enc, fx.box_pk, fx.edev_sk, NULL))
        return -1;
    fx.sealed = malloc(fx.sealed_size);
    if (hs_encounter_seal(fx.ctx, fx.sealed, &fx.sealed_size, fx.enc, fx.box_pk, fx.edev_sk,
                          NULL) ||
        hs_encounter_registry_new(fx.ctx, &fx.reg) ||
        hs_encounter_registry_add(fx.ctx, fx.reg, fx.edev_pk, "dev"))
        return -1;
    const void *recs[2] = {fx.sealed, fx.sealed};
    size_t sizes[2] = {fx.sealed_size, fx.sealed_size};
    if (hs_encounter_batch_encode(fx.ctx, NULL, &fx.batch_size, recs, sizes, 2))
        return -1;
    fx.batch = malloc(fx.batch_size);
    if (hs_encounter_batch_encode(fx.ctx, fx.batch, &fx.batch_size, recs, sizes, 2))
        return -1;
    snprintf(enc_path, sizeof enc_path, "%s/nomem.hswl.enc", tu_tmpdir());
    if (hs_device_keygen(fx.devsign_pk, fx.devsign_sk, fx.storage_key) ||
        hs_watchlist_save_encrypted(fx.ctx, enc_path, fx.wl, fx.storage_key, 0))
        return -1;
#endif
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hs_image_free(fx.img);
    hs_template_free(fx.tpl);
    hs_template_free(fx.tpl2);
    hs_finger_prepared_free(fx.prep);
    hs_watchlist_free(fx.wl);
    free(fx.png);
    free(fx.iso);
    free(fx.wl_bytes);
    free(fx.pkg);
    hs_encounter_free(fx.enc);
    free(fx.sealed);
    free(fx.batch);
    hs_encounter_registry_free(fx.reg);
    hs_ctx_free(fx.ctx);
    assert_int_equal(fx.fa.live, 0);
    return 0;
}

#define T(name, op)                                                                       \
    static void name(void **state)                                                        \
    {                                                                                     \
        (void)state;                                                                      \
        torture(#op, op);                                                                 \
    }
T(test_ctx_new, op_ctx_new)
T(test_image_decode, op_image_decode)
T(test_image_new, op_image_new)
T(test_image_wsq, op_image_wsq)
T(test_image_wsq_restore, op_image_wsq_restore)
T(test_image_load, op_image_load)
T(test_template_load, op_template_load)
T(test_watchlist_load, op_watchlist_load)
T(test_watchlist_save, op_watchlist_save)
T(test_extract, op_extract)
T(test_prepare_match, op_prepare_match)
T(test_compare, op_compare)
T(test_template_encode, op_template_encode)
T(test_template_decode, op_template_decode)
T(test_template_clone, op_template_clone)
T(test_template_copy_view, op_template_copy_view)
T(test_eval, op_eval)
T(test_file, op_file)
T(test_watchlist_decode, op_watchlist_decode)
T(test_watchlist_add, op_watchlist_add)
T(test_watchlist_search, op_watchlist_search)
T(test_watchlist_search_threads, op_watchlist_search_threads)
T(test_watchlist_search_thorough, op_watchlist_search_thorough)
#ifdef HOTSPOT_HAVE_SODIUM
T(test_watchlist_pack, op_watchlist_pack)
T(test_watchlist_unpack, op_watchlist_unpack)
T(test_audit, op_audit)
T(test_watchlist_save_encrypted, op_watchlist_save_encrypted)
T(test_watchlist_load_encrypted, op_watchlist_load_encrypted)
T(test_encounter_build, op_encounter_build)
T(test_encounter_seal, op_encounter_seal)
T(test_encounter_open, op_encounter_open)
T(test_encounter_batch_open, op_encounter_batch_open)
T(test_encounter_ack, op_encounter_ack)
T(test_encounter_registry, op_encounter_registry)
#endif
T(test_face_gallery, op_face_gallery)
T(test_synth, op_synth)
T(test_nist_result_hit, op_nist_result_hit)
#ifdef HS_IMAGE_FORMAT_WSQ
T(test_nist_fingers, op_nist_fingers)
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctx_new),
        cmocka_unit_test(test_image_decode),
        cmocka_unit_test(test_image_wsq),
        cmocka_unit_test(test_image_wsq_restore),
        cmocka_unit_test(test_image_new),
        cmocka_unit_test(test_image_load),
        cmocka_unit_test(test_template_load),
        cmocka_unit_test(test_watchlist_load),
        cmocka_unit_test(test_watchlist_save),
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_prepare_match),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_template_encode),
        cmocka_unit_test(test_template_decode),
        cmocka_unit_test(test_template_clone),
        cmocka_unit_test(test_template_copy_view),
        cmocka_unit_test(test_eval),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_watchlist_decode),
        cmocka_unit_test(test_watchlist_add),
        cmocka_unit_test(test_watchlist_search),
        cmocka_unit_test(test_watchlist_search_threads),
        cmocka_unit_test(test_watchlist_search_thorough),
#ifdef HOTSPOT_HAVE_SODIUM
        cmocka_unit_test(test_watchlist_pack),
        cmocka_unit_test(test_watchlist_unpack),
        cmocka_unit_test(test_audit),
        cmocka_unit_test(test_watchlist_save_encrypted),
        cmocka_unit_test(test_watchlist_load_encrypted),
        cmocka_unit_test(test_outbox),
        cmocka_unit_test(test_encounter_build),
        cmocka_unit_test(test_encounter_seal),
        cmocka_unit_test(test_encounter_open),
        cmocka_unit_test(test_encounter_batch_open),
        cmocka_unit_test(test_encounter_ack),
        cmocka_unit_test(test_encounter_registry),
#endif
        cmocka_unit_test(test_face_gallery),
        cmocka_unit_test(test_synth),
#ifdef HS_IMAGE_FORMAT_WSQ
        cmocka_unit_test(test_nist_fingers),
#endif
        cmocka_unit_test(test_nist_result_hit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
