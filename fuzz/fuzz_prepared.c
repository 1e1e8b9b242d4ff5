/* libFuzzer target: prepared-fingerprint decoding (hs_finger_prepared_decode),
 * re-encoding and matching of whatever decodes. A second pass repairs the
 * CRC of the input so that mutations reach the checks behind it. */
#include <hotspot/hotspot.h>

#include "internal/core.h"

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
    if (hs_finger_prepared_encode(NULL, p, NULL, &n) != HS_OK || n != size)
        abort();
    uint8_t *buf = malloc(n);
    if (!buf)
        abort();
    if (hs_finger_prepared_encode(NULL, p, buf, &n) != HS_OK || memcmp(buf, data, n) != 0)
        abort();
    free(buf);
    hs_finger_matcher *m = NULL;
    if (hs_finger_matcher_new(NULL, &m) != HS_OK)
        abort();
    float s1 = -1, s2 = -1;
    if (hs_finger_match(m, p, p, &s1) != HS_OK || !(s1 >= 0.0f && s1 <= 1.0f))
        abort();
    hs_finger_matcher_set(m, HS_MATCH_FAST, 1);
    if (hs_finger_match(m, p, p, &s2) != HS_OK || !(s2 >= 0.0f && s2 <= 1.0f))
        abort();
    hs_finger_matcher_free(m);
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
