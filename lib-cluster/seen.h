/* libhotspot-cluster internals: the ids of the changes a shard replica
 * applied, to skip later copies of them (shard.c, "Copies of a write").
 *
 * Every change carries its writer's message id (Nats-Msg-Id; a retried write
 * keeps it). JetStream should store one copy per id within its
 * de-duplication window, but nats-server 2.9 can store another copy after a
 * leader change (a new leader checking ids against a map that lacks the
 * last entries; upstream fixed it in 2.11): test_cluster_chaos saw an
 * enrolment's late copy, stored after the subject's removal, bring the
 * subject back on a replica (CI, session 18). So a replica remembers, for
 * the id of every change it read, the stream sequence and time of the id's
 * latest occurrence (applied, skipped as a copy, or read again at start),
 * and skips a change whose id occurred at an earlier sequence at most
 * HSC_SEEN_KEEP_NS before: a decision made from the stream's messages of
 * that window alone, alike on every replica whatever it remembered before
 * (leaders' clocks apart by less than the window). Ids longer than
 * HSC_SEEN_ID_MAX (never the library's) are not remembered. 64 bytes per
 * id, in an open-addressing table a half to three quarters full. One
 * thread at a time. */
#ifndef HOTSPOT_CLUSTER_SEEN_H
#define HOTSPOT_CLUSTER_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The cluster stream's de-duplication window (its Duplicates setting, made
 * by hs_cluster_init): JetStream drops a second copy of a message id written
 * within it. */
#define HSC_DEDUP_WINDOW_S 600

#define HSC_SEEN_ID_MAX 47 /* the library's ids: a 22-character base, '-', a counter */
#define HSC_SEEN_KEEP_NS ((int64_t)(HSC_DEDUP_WINDOW_S + 60) * 1000000000)
#define HSC_SEEN_SKEW_NS ((int64_t)60 * 1000000000) /* leaders' clocks may differ */

typedef struct {
    uint64_t seq; /* 0: free slot */
    int64_t ts;
    char id[HSC_SEEN_ID_MAX + 1];
} hsc_seen_entry;

typedef struct {
    hsc_seen_entry *e;
    size_t cap, n; /* cap: a power of two, or 0 */
    int64_t newest;
} hsc_seen;

/* A copy of an earlier change: @p id's latest occurrence remembered at a
 * sequence below @p seq, at most HSC_SEEN_KEEP_NS before @p ts; that
 * sequence into @p *earlier (when not NULL; 0 when not a copy). */
bool hsc_seen_copy(const hsc_seen *ss, const char *id, uint64_t seq, int64_t ts,
                   uint64_t *earlier);
/* Remember that the change @p id occurs at @p seq, stream time @p ts (ns);
 * the latest occurrence is kept. False (nothing changed) when out of
 * memory. Makes room by forgetting ids more than twice HSC_SEEN_KEEP_NS
 * older than the newest time seen: no later change can match them. */
bool hsc_seen_add(hsc_seen *ss, const char *id, uint64_t seq, int64_t ts);
void hsc_seen_free(hsc_seen *ss);

#endif
