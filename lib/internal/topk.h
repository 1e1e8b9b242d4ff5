/* The library's one top-K heap: the best K of a stream of elements, kept in
 * a binary heap whose root is the worst kept (so that most offers are
 * refused with one comparison). Used by the watchlist filter, the
 * watchlist's final candidate selection and the face gallery search.
 *
 * HS__TOPK_DEFINE(name, type, worse) defines, for elements of `type` and a
 * predicate `bool worse(const void *ctx, const type *a, const type *b)`
 * (a ranks strictly below b; ctx is passed through, e.g. an array the
 * elements index):
 *
 *   bool name_admits(h, n, cap, ctx, x): would x enter a heap of n kept
 *       (x better than the root, or room left; false when cap is 0);
 *   void name_push(h, &n, cap, ctx, x): offer x;
 *   void name_sift_down(h, n, ctx, i): restore the order below element i
 *       after it was replaced by a better one (e.g. an update in place).
 *
 * An element equal to the root (neither worse) is refused: the first one
 * offered stays. With a total order as `worse` (no two elements equal) the
 * kept set does not depend on the order of the offers, and so every top-K
 * is the head of the top-1000 (see cmp_cand in lib/watchlist/search.c).
 * Never installed. */
#ifndef HOTSPOT_INTERNAL_TOPK_H
#define HOTSPOT_INTERNAL_TOPK_H

#include <stdbool.h>
#include <stdint.h>

#define HS__TOPK_DEFINE(name, type, worse)                                                       \
    static inline bool name##_admits(const type *h, uint32_t n, uint32_t cap, const void *ctx,  \
                                     const type *x)                                             \
    {                                                                                            \
        return n < cap || (cap > 0 && worse(ctx, &h[0], x));                                     \
    }                                                                                            \
    static inline void name##_sift_down(type *h, uint32_t n, const void *ctx, uint32_t i)       \
    {                                                                                            \
        type x = h[i];                                                                           \
        for (;;) {                                                                               \
            uint32_t l = 2 * i + 1, r = l + 1, m = i;                                            \
            const type *w = &x;                                                                  \
            if (l < n && worse(ctx, &h[l], w)) {                                                 \
                m = l;                                                                           \
                w = &h[l];                                                                       \
            }                                                                                    \
            if (r < n && worse(ctx, &h[r], w))                                                   \
                m = r;                                                                           \
            if (m == i)                                                                          \
                break;                                                                           \
            h[i] = h[m];                                                                         \
            i = m;                                                                               \
        }                                                                                        \
        h[i] = x;                                                                                \
    }                                                                                            \
    static inline void name##_push(type *h, uint32_t *n, uint32_t cap, const void *ctx, type x) \
    {                                                                                            \
        if (!name##_admits(h, *n, cap, ctx, &x))                                                 \
            return;                                                                              \
        if (*n == cap) {                                                                         \
            h[0] = x;                                                                            \
            name##_sift_down(h, *n, ctx, 0);                                                     \
            return;                                                                              \
        }                                                                                        \
        uint32_t i = (*n)++;                                                                     \
        while (i > 0 && worse(ctx, &x, &h[(i - 1) / 2])) {                                       \
            h[i] = h[(i - 1) / 2];                                                               \
            i = (i - 1) / 2;                                                                     \
        }                                                                                        \
        h[i] = x;                                                                                \
    }

#endif
