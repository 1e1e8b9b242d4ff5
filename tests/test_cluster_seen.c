/* The ids a shard replica remembers to skip late copies of the changes it
 * applied (lib-cluster/seen.h): which copies count, the window, the first
 * sequence kept, ids too long to remember, a million ids and their memory,
 * and forgetting what no later change can match. */
#include "seen.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#define S ((int64_t)1000000000)
#define T0 ((int64_t)1765000000 * S) /* a stream time, ns since 1970 */

static void test_copies(void **state)
{
    (void)state;
    hsc_seen ss = {0};
    assert_false(hsc_seen_copy(&ss, "A-1", 9, T0, NULL)); /* empty */
    assert_true(hsc_seen_add(&ss, "A-1", 5, T0));
    assert_true(hsc_seen_copy(&ss, "A-1", 9, T0 + S, NULL));        /* a later copy */
    assert_true(hsc_seen_copy(&ss, "A-1", 9, T0 - 30 * S, NULL));   /* an earlier leader's clock */
    assert_false(hsc_seen_copy(&ss, "A-1", 5, T0, NULL));           /* itself, read again */
    assert_false(hsc_seen_copy(&ss, "A-1", 4, T0, NULL));           /* before it */
    assert_false(hsc_seen_copy(&ss, "A-2", 9, T0 + S, NULL));       /* another write */
    assert_false(hsc_seen_copy(&ss, "A-", 9, T0 + S, NULL));
    assert_true(hsc_seen_copy(&ss, "A-1", 9, T0 + HSC_SEEN_KEEP_NS, NULL));     /* the window's end */
    assert_false(hsc_seen_copy(&ss, "A-1", 9, T0 + HSC_SEEN_KEEP_NS + 1, NULL)); /* beyond */
    assert_true(HSC_SEEN_KEEP_NS >= (int64_t)HSC_DEDUP_WINDOW_S * S);
    /* the latest occurrence is kept: a copy at 9 noted, the window runs
     * from it (a copy of a copy is a copy), an earlier one changes nothing */
    assert_true(hsc_seen_add(&ss, "A-1", 9, T0 + 5 * S));
    assert_true(hsc_seen_add(&ss, "A-1", 7, T0 + 3 * S));
    assert_false(hsc_seen_copy(&ss, "A-1", 9, T0 + 5 * S, NULL));
    assert_true(hsc_seen_copy(&ss, "A-1", 12, T0 + 5 * S + HSC_SEEN_KEEP_NS, NULL));
    assert_false(hsc_seen_copy(&ss, "A-1", 12, T0 + 5 * S + HSC_SEEN_KEEP_NS + 1, NULL));
    uint64_t earlier = 1;
    assert_true(hsc_seen_copy(&ss, "A-1", 12, T0 + 6 * S, &earlier));
    assert_int_equal(earlier, 9); /* the occurrence the caller checks */
    assert_false(hsc_seen_copy(&ss, "A-1", 9, T0 + 6 * S, &earlier));
    assert_int_equal(earlier, 0);
    assert_int_equal(ss.n, 1);
    hsc_seen_free(&ss);
    assert_null(ss.e);
}

static void test_long_ids_not_remembered(void **state)
{
    (void)state;
    hsc_seen ss = {0};
    char id[HSC_SEEN_ID_MAX + 2];
    memset(id, 'x', sizeof id - 1);
    id[sizeof id - 1] = 0; /* one byte too long */
    assert_true(hsc_seen_add(&ss, id, 3, T0));
    assert_false(hsc_seen_copy(&ss, id, 4, T0, NULL));
    id[HSC_SEEN_ID_MAX] = 0; /* the longest remembered */
    assert_true(hsc_seen_add(&ss, id, 3, T0));
    assert_true(hsc_seen_copy(&ss, id, 4, T0, NULL));
    /* the library's ids fit: a 22-character base, '-', a 20-digit counter */
    char lib[64];
    snprintf(lib, sizeof lib, "%s-%llu", "ABCDEFGHIJKLMNOPQRSTUV", 18446744073709551615ull);
    assert_true(strlen(lib) <= HSC_SEEN_ID_MAX);
    hsc_seen_free(&ss);
}

/* A million changes of one bulk load inside the window: all remembered,
 * every one a copy when stored again, 85-171 bytes each. */
static void test_a_million(void **state)
{
    (void)state;
    hsc_seen ss = {0};
    char id[48];
    const uint64_t n = 1000000;
    for (uint64_t i = 1; i <= n; i++) {
        snprintf(id, sizeof id, "ABCDEFGHIJKLMNOPQRSTUV-%llu", (unsigned long long)i);
        assert_true(hsc_seen_add(&ss, id, 2 * i, T0 + (int64_t)i * 1000));
    }
    assert_int_equal(ss.n, n);
    for (uint64_t i = 1; i <= n; i++) {
        snprintf(id, sizeof id, "ABCDEFGHIJKLMNOPQRSTUV-%llu", (unsigned long long)i);
        if (!hsc_seen_copy(&ss, id, 2 * n + i, T0 + 60 * S, NULL))
            fail_msg("%s forgotten", id);
    }
    const double per = (double)(ss.cap * sizeof(hsc_seen_entry)) / (double)n;
    printf("%llu ids: %zu slots, %.0f bytes per id\n", (unsigned long long)n, ss.cap, per);
    assert_int_equal(sizeof(hsc_seen_entry), 64);
    assert_true(per >= 85 && per <= 171);
    hsc_seen_free(&ss);
}

/* Ids older than twice the window behind the newest time are forgotten
 * when the table fills; younger ones never are. */
static void test_forgetting(void **state)
{
    (void)state;
    hsc_seen ss = {0};
    char id[48];
    uint64_t seq = 0;
    for (int i = 0; i < 1000; i++) { /* old */
        snprintf(id, sizeof id, "OLD-%d", i);
        assert_true(hsc_seen_add(&ss, id, ++seq, T0));
    }
    const int64_t later = T0 + 2 * HSC_SEEN_KEEP_NS + S;
    for (int i = 0; i < 1000; i++) { /* young: within twice the window of the newest */
        snprintf(id, sizeof id, "MID-%d", i);
        assert_true(hsc_seen_add(&ss, id, ++seq, T0 + 2 * S));
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "NEW-%d", i);
        assert_true(hsc_seen_add(&ss, id, ++seq, later));
    }
    assert_true(ss.n < 7000 && ss.n >= 5000); /* the old ones went at a rebuild */
    int old_kept = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "OLD-%d", i);
        old_kept += hsc_seen_copy(&ss, id, seq + 1, T0 + S, NULL);
    }
    assert_int_equal(old_kept, 0);
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "MID-%d", i);
        assert_true(hsc_seen_copy(&ss, id, seq + 1, T0 + 3 * S, NULL));
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "NEW-%d", i);
        assert_true(hsc_seen_copy(&ss, id, seq + 1, later, NULL));
    }
    hsc_seen_free(&ss);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies),
        cmocka_unit_test(test_long_ids_not_remembered),
        cmocka_unit_test(test_a_million),
        cmocka_unit_test(test_forgetting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
