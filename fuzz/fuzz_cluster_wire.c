/* Fuzz the cluster wire parsers (lib-cluster/wire.c): updates, probes,
 * answers, status reports and deferred-check verdicts arrive from the
 * network (a verdict's signature is checked after parsing: here the 64
 * signature bytes are carried along as they are). Whatever a parser
 * accepts must re-encode to the same bytes (the encoding is canonical), so
 * nothing is accepted that the format does not describe. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const hsc_buf *b, const uint8_t *data, size_t size)
{
    if (b->failed || b->len != size || (size && memcmp(b->p, data, size)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hsc_update u;
    if (hsc_update_parse(NULL, &u, data, size) == HS_OK) {
        hsc_buf b = {0};
        hsc_update_encode(&b, u.op, u.id, u.subject, u.subject_size);
        same(&b, data, size);
        hsc_buf_free(&b);
    }
    hsc_probe *p = malloc(sizeof *p);
    if (p && hsc_probe_parse(NULL, p, data, size) == HS_OK) {
        hsc_buf b = {0};
        hsc_probe_encode(&b, p);
        same(&b, data, size);
        hsc_buf_free(&b);
    }
    free(p);
    hsc_answer a;
    if (hsc_answer_parse(NULL, &a, data, size) == HS_OK) {
        hsc_buf b = {0};
        hsc_answer_encode(&b, &a);
        same(&b, data, size);
        hsc_buf_free(&b);
        for (uint32_t i = 1; i < a.count; i++)
            (void)hsc_cand_cmp(&a.cand[i - 1], &a.cand[i]);
        hsc_answer_clear(&a);
    }
    hsc_verdict v;
    size_t signed_size = 0;
    if (hsc_verdict_parse(NULL, &v, &signed_size, data, size) == HS_OK) {
        hsc_buf b = {0};
        hsc_verdict_encode(&b, &v);
        if (b.len != signed_size)
            abort();
        hsc_put(&b, data + signed_size, size - signed_size);
        same(&b, data, size);
        hsc_buf_free(&b);
        hsc_verdict_clear(&v);
    }
    hsc_state s;
    if (hsc_state_parse(NULL, &s, data, size) == HS_OK) {
        hsc_buf b = {0};
        hsc_state_encode(&b, &s);
        same(&b, data, size);
        hsc_buf_free(&b);
    }
    return 0;
}
