/* libhotspot-cluster internals: the 64-bit FNV-1a hash of a string, used to
 * route ids to shards (wire.c, part of the wire format), to place ids in the
 * replica's table of message ids (seen.c) and to name a replica (shard.c). */
#ifndef HOTSPOT_CLUSTER_HASH_H
#define HOTSPOT_CLUSTER_HASH_H

#include <stdint.h>

#define HSC_FNV1A_OFFSET 0xcbf29ce484222325ull /* = 1469598103934665603 */

/* FNV-1a 64 of the bytes of @p s (its terminating NUL not included),
 * continuing from @p h (HSC_FNV1A_OFFSET to start). */
static inline uint64_t hsc_fnv1a(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull; /* = 1099511628211 */
    return h;
}

#endif
