#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *tu_shared(const char *rel, char *buf, size_t size)
{
    const char *root = getenv("HS_SHARED_DATA");
    if (!root || !*root)
        root = "../shared/data";
    snprintf(buf, size, "%s/%s", root, rel);
    struct stat st;
    if (stat(buf, &st) != 0) {
        printf("SKIP: shared data %s is absent (set HS_SHARED_DATA)\n", buf);
        fflush(stdout);
        return NULL;
    }
    return buf;
}

const char *tu_source(const char *rel, char *buf, size_t size)
{
    const char *root = getenv("HS_SOURCE_DIR");
    snprintf(buf, size, "%s/%s", root && *root ? root : ".", rel);
    return buf;
}

const char *tu_tmpdir(void)
{
    static char dir[256]; /* test-process state, not library state */
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/hs-test-XXXXXX");
        if (!mkdtemp(dir))
            snprintf(dir, sizeof dir, "/tmp");
    }
    return dir;
}

uint8_t *tu_read(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b)
        *size = (size_t)(n > 0 ? n : 0);
    return b;
}

float tu_thr(double fmr)
{
    float t = 0.0f;
    assert_int_equal(hs_finger_threshold_for_fmr(&t, fmr), HS_OK);
    return t;
}

int32_t tu_mget(const hs_finger_matcher *m, hs_finger_matcher_param key)
{
    int32_t v = -1;
    assert_int_equal(hs_finger_matcher_get(m, &v, key), HS_OK);
    return v;
}

hs_ctx *tu_ctx(void)
{
    hs_ctx *ctx = NULL;
    assert_int_equal(hs_ctx_new(&ctx, NULL), HS_OK);
    return ctx;
}
