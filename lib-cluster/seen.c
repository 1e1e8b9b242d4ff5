/* The ids of the changes a replica applied (seen.h). */
#include "seen.h"

#include "hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t slot(const hsc_seen *ss, const char *id)
{
    uint64_t h = hsc_fnv1a(HSC_FNV1A_OFFSET, id);
    h ^= h >> 29; /* the low bits pick the slot */
    size_t i = (size_t)h & (ss->cap - 1);
    while (ss->e[i].seq && strcmp(ss->e[i].id, id))
        i = (i + 1) & (ss->cap - 1);
    return i;
}

static const hsc_seen_entry *find(const hsc_seen *ss, const char *id)
{
    if (!ss->cap)
        return NULL;
    const hsc_seen_entry *e = &ss->e[slot(ss, id)];
    return e->seq ? e : NULL;
}

bool hsc_seen_copy(const hsc_seen *ss, const char *id, uint64_t seq, int64_t ts,
                   uint64_t *earlier)
{
    const hsc_seen_entry *e = find(ss, id);
    const bool copy = e && e->seq < seq && e->ts >= ts - HSC_SEEN_KEEP_NS;
    if (earlier)
        *earlier = copy ? e->seq : 0;
    return copy;
}

/* Drop the ids no later change can match, then size the table to at most
 * half full (it is rebuilt at three quarters). */
static bool rebuild(hsc_seen *ss)
{
    const int64_t keep_from = ss->newest - 2 * HSC_SEEN_KEEP_NS;
    size_t live = 0;
    for (size_t i = 0; i < ss->cap; i++)
        live += ss->e[i].seq && ss->e[i].ts >= keep_from;
    size_t cap = 64;
    while (cap < 2 * (live + 1)) {
        if (cap > SIZE_MAX / 2 / sizeof(hsc_seen_entry))
            return false;
        cap *= 2;
    }
    hsc_seen nw = {calloc(cap, sizeof(hsc_seen_entry)), cap, 0, ss->newest};
    if (!nw.e)
        return false;
    for (size_t i = 0; i < ss->cap; i++)
        if (ss->e[i].seq && ss->e[i].ts >= keep_from) {
            nw.e[slot(&nw, ss->e[i].id)] = ss->e[i];
            nw.n++;
        }
    free(ss->e);
    *ss = nw;
    return true;
}

bool hsc_seen_add(hsc_seen *ss, const char *id, uint64_t seq, int64_t ts)
{
    if (!seq || strlen(id) > HSC_SEEN_ID_MAX)
        return true; /* not remembered (documented) */
    hsc_seen_entry *e = ss->cap ? &ss->e[slot(ss, id)] : NULL;
    if (e && e->seq) {
        if (seq > e->seq) { /* the latest occurrence */
            e->seq = seq;
            e->ts = ts;
            if (ts > ss->newest)
                ss->newest = ts;
        }
        return true;
    }
    if (4 * (ss->n + 1) > 3 * ss->cap && !rebuild(ss))
        return false;
    if (ts > ss->newest)
        ss->newest = ts;
    e = &ss->e[slot(ss, id)];
    e->seq = seq;
    e->ts = ts;
    snprintf(e->id, sizeof e->id, "%s", id);
    ss->n++;
    return true;
}

void hsc_seen_free(hsc_seen *ss)
{
    free(ss->e);
    ss->e = NULL;
    ss->cap = ss->n = 0;
}
