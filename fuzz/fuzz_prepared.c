/* libFuzzer target: prepared-fingerprint decoding (hs_finger_prepared_decode),
 * re-encoding and matching of whatever decodes: against itself and against
 * a shifted and turned copy, with every kernel set the CPU has (portable,
 * AVX2, AVX-512 on x86-64; portable, NEON on AArch64), which must all give
 * the same score. A second pass repairs
 * the CRC of the input so that mutations reach the checks behind it. */
#include <hotspot/hotspot.h>

#include "internal/core.h"
#include "internal/match.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const uint8_t *data, size_t size)
{
    hs_finger_prepared *p = NULL;
    if (hs_finger_prepared_decode(NULL, &p, data, size) != HS_OK) {
        if (p)
            abort();
        return;
    }
    size_t n = 0;
    if (hs_finger_prepared_encode(NULL, NULL, &n, p) != HS_OK || n != size)
        abort();
    uint8_t *buf = malloc(n);
    if (!buf)
        abort();
    if (hs_finger_prepared_encode(NULL, buf, &n, p) != HS_OK || memcmp(buf, data, n) != 0)
        abort();
    free(buf);
    /* the copy: every minutia moved by (+7, -3) pixels and turned by 5 units */
    hs_finger_prepared *q = NULL;
    buf = malloc(n);
    if (!buf)
        abort();
    memcpy(buf, data, n);
    uint32_t count = (uint32_t)buf[6] | ((uint32_t)buf[7] << 8);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *r = buf + HS__PREPARED_HEADER + 8 * i;
        uint16_t x = (uint16_t)(r[0] | (r[1] << 8)), y = (uint16_t)(r[2] | (r[3] << 8));
        x = (uint16_t)(x + 7);
        y = (uint16_t)(y - 3);
        r[0] = (uint8_t)x;
        r[1] = (uint8_t)(x >> 8);
        r[2] = (uint8_t)y;
        r[3] = (uint8_t)(y >> 8);
        r[4] = (uint8_t)(r[4] + 5);
    }
    uint32_t crc = hs__crc32c(0, buf, n - 4);
    for (int b = 0; b < 4; b++)
        buf[n - 4 + (size_t)b] = (uint8_t)(crc >> (8 * b));
    if (hs_finger_prepared_decode(NULL, &q, buf, n) != HS_OK)
        abort();
    free(buf);
    float ref[4] = {0};
    /* the sets PORTABLE .. NEON; those this CPU lacks are refused and skipped */
    for (int set = 0; set <= HS_MATCH_KERNELS_NEON - HS_MATCH_KERNELS_PORTABLE; set++) {
        hs_finger_matcher *m = NULL;
        if (hs_finger_matcher_new(NULL, &m) != HS_OK)
            abort();
        if (hs_finger_matcher_set(m, HS_MATCH_KERNELS, HS_MATCH_KERNELS_PORTABLE + set) != HS_OK) {
            hs_finger_matcher_free(m);
            continue;
        }
        float s[4];
        for (int fast = 0; fast < 2; fast++) {
            hs_finger_matcher_set(m, HS_MATCH_FAST, fast);
            if (hs_finger_match(m, &s[2 * fast], p, p) != HS_OK ||
                hs_finger_match(m, &s[2 * fast + 1], p, q) != HS_OK)
                abort();
        }
        for (int k = 0; k < 4; k++) {
            if (!(s[k] >= 0.0f && s[k] <= 1.0f))
                abort();
            if (set == 0)
                ref[k] = s[k];
            else if (s[k] != ref[k])
                abort(); /* a vector kernel set disagrees with the portable code */
        }
        hs_finger_matcher_free(m);
    }
    hs_finger_prepared_free(q);
    hs_finger_prepared_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    exercise(data, size);
    if (size >= 16 && size < (1u << 20)) {
        uint8_t *copy = malloc(size);
        if (!copy)
            abort();
        memcpy(copy, data, size);
        uint32_t crc = hs__crc32c(0, copy, size - 4);
        for (int b = 0; b < 4; b++)
            copy[size - 4 + (size_t)b] = (uint8_t)(crc >> (8 * b));
        exercise(copy, size);
        free(copy);
    }
    return 0;
}
