/* Core: version, status text, context limits, allocator, errors, byte
 * readers/writers and CRC-32C. */
#include "testutil.h"
#include "internal/core.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(hs_version_number(), HS_VERSION_NUMBER);
    assert_string_equal(hs_version_string(), HS_VERSION_STRING);
}

static void test_status_str(void **state)
{
    (void)state;
    assert_string_equal(hs_status_str(HS_OK), "ok");
    for (int s = HS_ERR_INVALID_ARG; s >= HS_ERR_REVOKED; s--)
        assert_string_not_equal(hs_status_str(s), "unknown status");
    assert_string_equal(hs_status_str(-9999), "unknown status");
    assert_true(HS_FAILED(HS_ERR_IO));
    assert_false(HS_FAILED(HS_OK));
}

/* hs_ctx_set_error: the way add-on libraries record their failures. */
static void test_ctx_set_error(void **state)
{
    (void)state;
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    assert_int_equal(hs_ctx_set_error(ctx, HS_ERR_UNAVAILABLE, "shard 2 of 3: no answer"),
                     HS_ERR_UNAVAILABLE);
    assert_int_equal(hs_ctx_last_status(ctx), HS_ERR_UNAVAILABLE);
    assert_string_equal(hs_ctx_last_error(ctx), "shard 2 of 3: no answer");
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(hs_ctx_set_error(ctx, HS_ERR_IO, big), HS_ERR_IO);
    assert_int_equal(strlen(hs_ctx_last_error(ctx)), 255);
    assert_int_equal(hs_ctx_set_error(ctx, HS_ERR_IO, NULL), HS_ERR_IO);
    assert_string_equal(hs_ctx_last_error(ctx), "");
    assert_int_equal(hs_ctx_set_error(NULL, HS_ERR_IO, "x"), HS_ERR_IO);
    hs_ctx_free(ctx);
}

static void test_ctx_limits(void **state)
{
    (void)state;
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    uint64_t lv = 0;
    assert_int_equal(hs_ctx_get_limit(ctx, &lv, HS_LIMIT_MAX_MINUTIAE), HS_OK);
    assert_int_equal(lv, 255);
    assert_int_equal(hs_ctx_get_limit(ctx, &lv, (hs_limit)99), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_ctx_get_limit(ctx, NULL, HS_LIMIT_MAX_MINUTIAE), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_MINUTIAE, 100), HS_OK);
    assert_int_equal(hs_ctx_get_limit(ctx, &lv, HS_LIMIT_MAX_MINUTIAE), HS_OK);
    assert_int_equal(lv, 100);
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_MINUTIAE, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_ctx_last_status(ctx), HS_ERR_INVALID_ARG);
    assert_true(strlen(hs_ctx_last_error(ctx)) > 0);
    hs_ctx_clear_error(ctx);
    assert_string_equal(hs_ctx_last_error(ctx), "");
    assert_int_equal(hs_ctx_set_limit(ctx, 999, 1), HS_ERR_INVALID_ARG);
    uint64_t lo, hi;
    assert_int_equal(hs_limit_bounds(&lo, &hi, HS_LIMIT_MAX_PIXELS), HS_OK);
    assert_true(lo >= 1 && hi > lo);
    assert_int_equal(hs_limit_bounds(&lo, &hi, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_ctx_get_limit(NULL, &lv, HS_LIMIT_MAX_MINUTIAE), HS_OK);
    assert_int_equal(lv, 255);
    hs_ctx_free(ctx);
    hs_ctx_free(NULL);
}

struct counting { int mallocs, frees; };
static void *c_malloc(void *o, size_t n) { ((struct counting *)o)->mallocs++; return malloc(n); }
static void *c_realloc(void *o, void *p, size_t n) { if (!p) ((struct counting *)o)->mallocs++; return realloc(p, n); }
static void c_free(void *o, void *p) { if (p) ((struct counting *)o)->frees++; free(p); }

static void test_custom_allocator(void **state)
{
    (void)state;
    struct counting c = {0, 0};
    hs_allocator a = {c_malloc, c_realloc, c_free, &c};
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, &a), HS_OK);
    hs_template *t;
    assert_int_equal(hs_template_new(ctx, &t), HS_OK);
    hs_view_info vi = {sizeof vi, 100, 100, 500, 500, 1, 0, 0, 80, 0};
    hs_minutia m = {10.0f, 20.0f, 1.0f, HS_MINUTIA_ENDING, 50, {0, 0}};
    assert_int_equal(hs_template_add_view(ctx, t, &vi, &m, 1), HS_OK);
    hs_template_free(t);
    hs_ctx_free(ctx);
    assert_true(c.mallocs > 0);
    assert_int_equal(c.mallocs, c.frees);
    hs_allocator bad = {c_malloc, NULL, c_free, &c};
    assert_int_equal(hs_ctx_new(&ctx, &bad), HS_ERR_INVALID_ARG);
    assert_null(ctx);
}

/* ---- files ------------------------------------------------------------- */

static void write_bytes(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fputc((int)(i * 7 % 251), f);
    assert_int_equal(fclose(f), 0);
}

static int temporaries_in(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strncmp(de->d_name, ".hs-", 4) == 0;
    closedir(d);
    return n;
}

static void test_file_read(void **state)
{
    (void)state;
    struct counting c = {0, 0};
    hs_allocator a = {c_malloc, c_realloc, c_free, &c};
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, &a), HS_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/read.bin", tu_tmpdir());
    write_bytes(path, 3000);
    void *data = NULL;
    size_t size = 0;
    assert_int_equal(hs_file_read(ctx, &data, &size, path), HS_OK);
    assert_int_equal(size, 3000);
    assert_int_equal(((const uint8_t *)data)[10], 70);
    hs_file_free(ctx, data, size);
    hs_file_free(ctx, NULL, 0);
    /* an empty file is a zero-byte buffer, not an error */
    snprintf(path, sizeof path, "%s/empty.bin", tu_tmpdir());
    write_bytes(path, 0);
    assert_int_equal(hs_file_read(ctx, &data, &size, path), HS_OK);
    assert_int_equal(size, 0);
    hs_file_free(ctx, data, size);

    /* over the limit: refused before anything is allocated */
    snprintf(path, sizeof path, "%s/big.bin", tu_tmpdir());
    write_bytes(path, 2000);
    assert_int_equal(hs_ctx_set_limit(ctx, HS_LIMIT_MAX_FILE_BYTES, 1024), HS_OK);
    int mallocs = c.mallocs;
    assert_int_equal(hs_file_read(ctx, &data, &size, path), HS_ERR_LIMIT);
    assert_int_equal(c.mallocs, mallocs);
    assert_null(data);
    assert_int_equal(size, 0);
    assert_true(strstr(hs_ctx_last_error(ctx), "HS_LIMIT_MAX_FILE_BYTES") != NULL);

    /* a directory, a FIFO (opening one must not wait for a writer: the
     * alarm turns a hang into a failure) and a missing file */
    assert_int_equal(hs_file_read(ctx, &data, &size, tu_tmpdir()), HS_ERR_IO);
    assert_true(strstr(hs_ctx_last_error(ctx), "directory") != NULL);
    snprintf(path, sizeof path, "%s/fifo", tu_tmpdir());
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);
    assert_int_equal(hs_file_read(ctx, &data, &size, path), HS_ERR_IO);
    alarm(0);
    assert_true(strstr(hs_ctx_last_error(ctx), "FIFO") != NULL);
    assert_int_equal(c.mallocs, mallocs);
    snprintf(path, sizeof path, "%s/missing.bin", tu_tmpdir());
    assert_int_equal(hs_file_read(ctx, &data, &size, path), HS_ERR_IO);
    assert_int_equal(hs_file_read(ctx, &data, &size, NULL), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_file_read(ctx, NULL, &size, path), HS_ERR_INVALID_ARG);
    hs_ctx_free(ctx);
    assert_int_equal(c.mallocs, c.frees);
}

static void test_file_save(void **state)
{
    (void)state;
    char dir[512], path[600], other[600], link[600];
    snprintf(dir, sizeof dir, "%s/save", tu_tmpdir());
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/out.bin", dir);
    const char one[] = "first version", two[] = "second, longer version";
    assert_int_equal(hs_file_save(NULL, path, one, sizeof one, HS_FILE_PRIVATE), HS_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* replacing: the whole new content, no temporary left behind */
    mode_t mask = umask(022);
    assert_int_equal(hs_file_save(NULL, path, two, sizeof two, 0), HS_OK);
    umask(mask);
    size_t n;
    uint8_t *b = tu_read(path, &n);
    assert_non_null(b);
    assert_int_equal(n, sizeof two);
    assert_memory_equal(b, two, n);
    free(b);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(temporaries_in(dir), 0);
    /* a symlink at the target is replaced, its target left alone */
    snprintf(other, sizeof other, "%s/other.bin", dir);
    snprintf(link, sizeof link, "%s/link.bin", dir);
    assert_int_equal(hs_file_save(NULL, other, one, sizeof one, 0), HS_OK);
    assert_int_equal(symlink(other, link), 0);
    assert_int_equal(hs_file_save(NULL, link, two, sizeof two, 0), HS_OK);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    b = tu_read(other, &n);
    assert_non_null(b);
    assert_memory_equal(b, one, sizeof one);
    free(b);
    /* failures: nothing created, the old file unchanged */
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    char bad[700];
    snprintf(bad, sizeof bad, "%s/no-such-dir/x.bin", dir);
    assert_int_equal(hs_file_save(ctx, bad, one, sizeof one, 0), HS_ERR_IO);
    assert_true(strstr(hs_ctx_last_error(ctx), "no-such-dir") != NULL);
    assert_int_equal(hs_file_save(ctx, dir, one, sizeof one, 0), HS_ERR_IO); /* a directory */
    assert_int_equal(hs_file_save(ctx, path, one, sizeof one, 0x10), HS_ERR_INVALID_ARG);
    assert_int_equal(hs_file_save(ctx, NULL, one, sizeof one, 0), HS_ERR_INVALID_ARG);
    assert_int_equal(temporaries_in(dir), 0);
    b = tu_read(path, &n);
    assert_non_null(b);
    assert_memory_equal(b, two, sizeof two);
    free(b);
    /* a relative path saves in the current directory */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(hs_file_save(ctx, "rel.bin", one, sizeof one, 0), HS_OK);
    assert_int_equal(chdir(cwd), 0);
    snprintf(other, sizeof other, "%s/rel.bin", dir);
    assert_int_equal(stat(other, &st), 0);
    assert_int_equal(temporaries_in(dir), 0);
    hs_ctx_free(ctx);
}

static void test_reader(void **state)
{
    (void)state;
    const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7};
    hs__reader r;
    hs__reader_init(&r, b, sizeof b);
    assert_int_equal(hs__rd_be16(&r), 0x0102);
    assert_int_equal(hs__rd_le32(&r), 0x06050403u);
    assert_false(r.overrun);
    assert_int_equal(hs__rd_be16(&r), 0); /* only one byte left */
    assert_true(r.overrun);
    assert_int_equal(hs__rd_u8(&r), 0);   /* stays overrun */
    assert_int_equal(hs__reader_left(&r), 0);
}

static void test_writer_size_query(void **state)
{
    (void)state;
    hs__writer w;
    hs__writer_init(&w, hs__default_allocator());
    hs__wr_be32(&w, 0x01020304u);
    hs__wr_le16(&w, 0x0506);
    hs__wr_patch_le32(&w, 0, 0xAABBCCDDu);
    size_t size = 0;
    assert_int_equal(hs__writer_output(NULL, &w, NULL, &size), HS_OK);
    assert_int_equal(size, 6);
    uint8_t small[3];
    size = sizeof small;
    assert_int_equal(hs__writer_output(NULL, &w, small, &size), HS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(size, 6);
    uint8_t out[6];
    size = sizeof out;
    assert_int_equal(hs__writer_output(NULL, &w, out, &size), HS_OK);
    const uint8_t want[] = {0xDD, 0xCC, 0xBB, 0xAA, 0x06, 0x05};
    assert_memory_equal(out, want, 6);
    hs__writer_free(&w);
}

/* The shared allocation helpers that destructors, growing arrays and the
 * option readers use (issue #14 folded their copies into these). */
static void test_alloc_helpers(void **state)
{
    (void)state;
    const hs_allocator *a = hs__default_allocator();
    /* Capacity: doubled from first (or cap) until it holds want, capped. */
    assert_int_equal(hs__grown_cap(0, 1, 64, 1000), 64);
    assert_int_equal(hs__grown_cap(0, 200, 64, 1000), 256);
    assert_int_equal(hs__grown_cap(64, 65, 64, 1000), 128);
    assert_int_equal(hs__grown_cap(512, 900, 64, 1000), 1000);
    /* Slot tables: zeroed, a power of two holding need, old one replaced. */
    uint32_t *slots = NULL, cap = 0;
    assert_true(hs__slots_grow(a, &slots, &cap, 40, 32));
    assert_int_equal(cap, 64);
    for (uint32_t i = 0; i < cap; i++)
        assert_int_equal(slots[i], 0);
    slots[3] = 7;
    assert_true(hs__slots_grow(a, &slots, &cap, 65, 32));
    assert_int_equal(cap, 128);
    assert_int_equal(slots[3], 0);
    uint32_t *before = slots;
    assert_false(hs__slots_grow(a, &slots, &cap, (1ull << 31) + 1, 32));
    assert_ptr_equal(slots, before);
    assert_int_equal(cap, 128);
    hs__free_wiped(a, slots, cap * sizeof *slots);
    hs__free_wiped(a, NULL, 100); /* nothing */
    /* memdup: a copy, or NULL for nothing. */
    const uint8_t src[5] = {1, 2, 3, 4, 5};
    uint8_t *copy = (uint8_t *)src;
    assert_int_equal(hs__memdup(NULL, a, &copy, src, 0), HS_OK);
    assert_null(copy);
    assert_int_equal(hs__memdup(NULL, a, &copy, src, sizeof src), HS_OK);
    assert_non_null(copy);
    assert_memory_equal(copy, src, sizeof src);
    hs__free(a, copy);
    /* Options not given keep the defaults. */
    hs_image_info def = HS_IMAGE_INFO_INIT, o = def;
    o.width = 9;
    assert_int_equal(hs__struct_in(NULL, &o, sizeof o, NULL, sizeof o, "hs_image_info"), HS_OK);
    assert_int_equal(o.width, 9);
    assert_int_equal(o.struct_size, sizeof o);
    /* An object freed through the allocator copy it holds (NULL: nothing). */
    hs_ctx *ctx;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    HS__OBJECT_FREE(ctx, hs_ctx, sizeof *ctx);
    HS__OBJECT_FREE((hs_ctx *)NULL, hs_ctx, 0);
}

static void test_crc32c(void **state)
{
    (void)state;
    /* The standard check value of CRC-32C. */
    assert_int_equal(hs__crc32c(0, "123456789", 9), 0xE3069283u);
    /* Incremental equals one-shot. */
    uint32_t c = hs__crc32c(0, "1234", 4);
    assert_int_equal(hs__crc32c(c, "56789", 5), 0xE3069283u);
    /* Known value of 32 zero bytes (RFC 3720, B.4). */
    uint8_t buf[1100];
    memset(buf, 0, 32);
    assert_int_equal(hs__crc32c(0, buf, 32), 0x8A9136AAu);
    assert_int_equal(hs__crc32c_portable(0, buf, 32), 0x8A9136AAu);
    /* The instruction path (used from 16 bytes on where the CPU has one)
     * equals the table at every length and alignment, one-shot and split. */
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += n < 80 ? 1 : 97) {
            uint32_t want = hs__crc32c_portable(0, buf + off, n);
            assert_int_equal(hs__crc32c(0, buf + off, n), want);
            size_t h = n / 3;
            assert_int_equal(hs__crc32c(hs__crc32c(0, buf + off, h), buf + off + h, n - h), want);
        }
}

static void test_template_checks(void **state)
{
    (void)state;
    hs_template *t;
    assert_int_equal(hs_template_new(NULL, &t), HS_OK);
    hs_view_info vi = {sizeof vi, 200, 200, 500, 500, 2, 0, 0, 70, 0};
    hs_minutia m[2] = {{10, 10, 0.5f, HS_MINUTIA_ENDING, 90, {0, 0}},
                       {50, 60, 7.0f, HS_MINUTIA_BIFURCATION, 90, {0, 0}}};
    assert_int_equal(hs_template_add_view(NULL, t, &vi, m, 2), HS_ERR_INVALID_ARG); /* angle */
    assert_int_equal(hs_template_view_count(t), 0);
    m[1].angle = 3.0f;
    assert_int_equal(hs_template_add_view(NULL, t, &vi, m, 2), HS_OK);
    hs_view_info got = {sizeof got, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(hs_template_view_info(t, &got, 0), HS_OK);
    assert_int_equal(got.minutia_count, 2);
    assert_int_equal(got.finger_position, 2);
    assert_int_equal(hs_template_view_info(t, &got, 1), HS_ERR_NOT_FOUND);
    uint32_t n;
    const hs_minutia *mm = hs_template_minutiae(t, &n, 0);
    assert_int_equal(n, 2);
    assert_true(mm[1].x == 50.0f);
    hs_template *c;
    assert_int_equal(hs_template_clone(NULL, &c, t), HS_OK);
    assert_int_equal(hs_template_view_count(c), 1);
    assert_int_equal(hs_template_remove_view(c, 0), HS_OK);
    assert_int_equal(hs_template_view_count(c), 0);
    hs_template_free(c);
    hs_template_free(t);
}

/* Writers of one file queue on its lock; a planted link is not followed. */
static void test_file_lock(void **state)
{
    (void)state;
    char path[512], lockp[600];
    snprintf(path, sizeof path, "%s/locked.hswl", tu_tmpdir());
    snprintf(lockp, sizeof lockp, "%s.lock", path);
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    hs_file_lock *a = NULL, *b = (hs_file_lock *)1;
    assert_int_equal(hs_file_lock_acquire(ctx, &a, path, 0), HS_OK);
    assert_non_null(a);
    assert_int_equal(hs_file_lock_acquire(ctx, &b, path, HS_FILE_LOCK_NOWAIT), HS_ERR_LOCKED);
    assert_null(b);
    assert_non_null(strstr(hs_ctx_last_error(ctx), "locked by another writer"));
    hs_file_lock_release(a);
    assert_int_equal(hs_file_lock_acquire(ctx, &b, path, HS_FILE_LOCK_NOWAIT), HS_OK);
    hs_file_lock_release(b);
    hs_file_lock_release(NULL);
    assert_int_equal(hs_file_lock_acquire(ctx, &b, path, 0x80), HS_ERR_INVALID_ARG);
    /* the lock file replaced by a symlink: refused, the target untouched */
    char victim[512];
    snprintf(victim, sizeof victim, "%s/victim", tu_tmpdir());
    remove(lockp);
    assert_int_equal(symlink(victim, lockp), 0);
    assert_int_equal(hs_file_lock_acquire(ctx, &b, path, HS_FILE_LOCK_NOWAIT), HS_ERR_IO);
    assert_int_equal(access(victim, F_OK), -1);
    remove(lockp);
    hs_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_status_str),
        cmocka_unit_test(test_ctx_set_error),
        cmocka_unit_test(test_ctx_limits),
        cmocka_unit_test(test_custom_allocator),
        cmocka_unit_test(test_file_read),
        cmocka_unit_test(test_file_save),
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_writer_size_query),
        cmocka_unit_test(test_alloc_helpers),
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_file_lock),
        cmocka_unit_test(test_template_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
