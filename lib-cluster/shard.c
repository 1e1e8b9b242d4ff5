/* A shard replica: its partition in memory, the stream applied in order
 * through a durable consumer, searches answered in the shard's queue group.
 *
 * Threads: libnats delivers searches on SEARCH_SUBS threads (one per
 * subscription of the queue group) and status requests on another; the
 * applier is a thread of ours. The partition is guarded by a
 * read-write lock (searches and saves read, the applier writes); the
 * sequences by a mutex with a condition variable that searches waiting for
 * a minimum sequence sleep on. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np (glibc) */
#endif
#include "conn.h"
#include "hash.h"
#include "seen.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHARD_OPTIONS_SIZE_1_0 sizeof(hs_cluster_shard_options)
#define FETCH_BATCH 256
#define FETCH_WAIT_MS 200
/* The stall watchdog: while fetches bring nothing, every WATCH_MS the
 * replica reads its subject's last message from the stream leader; behind
 * it STALL_CHECKS times in a row, it makes its consumer anew. */
#define WATCH_MS 1000
#define STALL_CHECKS 3
/* A restarted replica asks this many times for its partition's last change
 * (to read the ids before it, seen.h) before it does without them. */
#define WINDOW_TRIES 25
/* JetStream deletes this replica's consumer after so long without a fetch
 * (a replica stopped for good, or renamed), so that consumers of replicas
 * that are gone do not pile up; a replica back after that makes it anew
 * from its saved partition, as at every start. */
#define CONSUMER_INACTIVE_S 3600
/* How long hs_cluster_shard_free waits for the search handlers to return. */
#define SHUTDOWN_WAIT_MS 120000
/* Subscriptions of a replica to its shard's search subject, in the shard's
 * queue group: each has its own delivery thread, so a probe waiting for a
 * sequence the replica has not applied holds up one of them, not every
 * search the replica gets (NATS spreads the probes over them at random). */
#define SEARCH_SUBS 4

/* Probes parked at once, waiting for a sequence; past it, a probe's
 * handler answers "behind" at once (the client asks again or another
 * replica). */
#define PARKED_MAX 4096
/* The longest wait of each request that proves a sequence of another shard
 * reached (three per proof). */
#define PROBE_WAIT_MS 1000

/* A probe parked until the replica reaches its minimum sequence. */
typedef struct parked {
    struct parked *next;
    natsMsg *msg;
    hsc_probe *p;
    double t0, end; /* received; answered "behind" from then on (ms) */
} parked;

/* A subscription with what its handler needs: the replica, and for a
 * search subscription a context of its own (one thread per context); also
 * a worker's, without a subscription. */
typedef struct qslot {
    hs_cluster_shard *sh;
    hs_ctx *ctx;
    natsSubscription *sub;
} qslot;

struct hs_cluster_shard {
    hsc_conn c;
    uint32_t shard, shards, threads, save_interval_ms;
    char replica[HS_CLUSTER_REPLICA_MAX + 1];
    char durable[HS_CLUSTER_NAME_MAX + HS_CLUSTER_REPLICA_MAX + 16];
    char path[4096];
    hs_ctx *actx; /* applier's context */
    hs_watchlist *wl;
    pthread_rwlock_t lock;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t applied;  /* stream sequence of the last change applied */
    uint64_t horizon;  /* every change of this shard up to here is applied */
    uint64_t saved;    /* sequence of the partition on disk */
    uint64_t refused;
    uint64_t duplicates;  /* copies of changes applied already, skipped */
    uint64_t leader_reads; /* changes read from the stream leader (mu) */
    uint64_t expect_dseq; /* next consumer delivery sequence */
    hsc_seen seen;        /* ids of the changes applied (applier only; seen.h) */
    uint64_t window_until; /* reading the ids of the changes up to here again */
    int window_misses;     /* times its last change was not found */
    atomic_int stop;
    int started;
    int subs_open; /* search and status subscriptions whose handler may still run (mu) */
    pthread_t applier;
    pthread_t waiter;       /* decides when a parked probe is answered */
    pthread_t worker[SEARCH_SUBS]; /* answer the probes the waiter releases */
    qslot work[SEARCH_SUBS]; /* theirs (no subscription) */
    int nworkers;           /* workers started */
    int waiter_started;     /* (mu) probes may be parked */
    int waiter_done;        /* (mu) the waiter released every probe and ended */
    parked *parked;         /* probes waiting for a sequence, oldest first (mu) */
    parked **parked_tail;   /* (mu) */
    uint32_t nparked;       /* (mu) */
    int parked_fresh;       /* (mu) a probe parked since the waiter last asked the leader */
    parked *ready, **ready_tail; /* released, to be answered, oldest first (mu) */
    pthread_cond_t rcv;     /* a probe released, or the waiter ended (mu) */
    natsSubscription *pull;
    qslot search[SEARCH_SUBS], status;
};

uint64_t hs_cluster_shard_sequence(const hs_cluster_shard *sh)
{
    if (!sh)
        return 0;
    pthread_mutex_lock((pthread_mutex_t *)&sh->mu);
    uint64_t v = sh->applied;
    pthread_mutex_unlock((pthread_mutex_t *)&sh->mu);
    return v;
}

uint64_t hs_cluster_shard_count(const hs_cluster_shard *sh)
{
    if (!sh)
        return 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&sh->lock);
    uint64_t n = hs_watchlist_count(sh->wl);
    pthread_rwlock_unlock((pthread_rwlock_t *)&sh->lock);
    return n;
}

/* Save with the partition's version set to the applied sequence; called
 * with the partition not being modified. */
static hs_status save(hs_ctx *ctx, hs_cluster_shard *sh)
{
    pthread_mutex_lock(&sh->mu);
    uint64_t seq = sh->applied;
    pthread_mutex_unlock(&sh->mu);
    hs_status s = hs_watchlist_save(ctx, sh->path, sh->wl);
    if (!s) {
        pthread_mutex_lock(&sh->mu);
        sh->saved = seq;
        pthread_mutex_unlock(&sh->mu);
    }
    return s;
}

hs_status hs_cluster_shard_save(hs_ctx *ctx, hs_cluster_shard *sh)
{
    if (!sh)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "shard save: NULL shard");
    pthread_rwlock_rdlock(&sh->lock);
    hs_status s = save(ctx, sh);
    pthread_rwlock_unlock(&sh->lock);
    return s;
}

/* The stream's first and last sequences and its leader's name (empty when
 * the stream is not clustered), each when not NULL, from its leader; @p jo
 * (may be NULL) bounds the request's wait. */
static natsStatus stream_state(hs_cluster_shard *sh, uint64_t *first, uint64_t *last,
                               char *leader, size_t cap, jsOptions *jo)
{
    jsStreamInfo *si = NULL;
    jsErrCode je = 0;
    natsStatus s = js_GetStreamInfo(&si, sh->c.js, sh->c.stream, jo, &je);
    if (first)
        *first = s == NATS_OK ? si->State.FirstSeq : 0;
    if (last)
        *last = s == NATS_OK ? si->State.LastSeq : 0;
    if (leader)
        snprintf(leader, cap, "%s",
                 s == NATS_OK && si->Cluster && si->Cluster->Leader ? si->Cluster->Leader : "");
    jsStreamInfo_Destroy(si);
    return s;
}

/* Where the window of ids to read again starts (a replica started from its
 * saved partition): HSC_SEEN_KEEP_NS + HSC_SEEN_SKEW_NS before the time of
 * its last change, window_until; *from_ns 0 when that time is too early to
 * start from. NATS_NOT_FOUND when the stream does not hold that change. */
static natsStatus window_from(hs_cluster_shard *sh, int64_t *from_ns)
{
    natsMsg *m = NULL;
    jsErrCode je = 0;
    natsStatus s = js_GetMsg(&m, sh->c.js, sh->c.stream, sh->window_until, NULL, &je);
    const int64_t t = s == NATS_OK ? natsMsg_GetTime(m) : 0;
    natsMsg_Destroy(m);
    const int64_t back = HSC_SEEN_KEEP_NS + HSC_SEEN_SKEW_NS;
    *from_ns = t > back ? t - back : 0;
    return s;
}

/* (Re)create this replica's durable consumer so that it delivers the
 * shard's changes after the applied sequence, and bind a pull
 * subscription to it. The consumer is made anew rather than resumed: the
 * saved partition, not the consumer's acknowledgements, says where to go
 * on (a change acknowledged but not saved before a crash is applied
 * again). */
static natsStatus consumer_reset(hs_cluster_shard *sh)
{
    if (sh->pull) {
        natsSubscription_Unsubscribe(sh->pull);
        natsSubscription_Destroy(sh->pull);
        sh->pull = NULL;
    }
    jsErrCode je = 0;
    js_DeleteConsumer(sh->c.js, sh->c.stream, sh->durable, NULL, &je);
    char filter[128];
    hsc_subject_update(filter, sizeof filter, &sh->c, sh->shard);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = sh->durable;
    cc.FilterSubject = filter;
    cc.AckPolicy = js_AckAll;
    cc.AckWait = (int64_t)30 * 1000000000;
    cc.MaxAckPending = 4 * FETCH_BATCH;
    cc.InactiveThreshold = (int64_t)CONSUMER_INACTIVE_S * 1000000000;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    hsc_consumer_in_memory(&cc, &so);
    const uint64_t from = hs_cluster_shard_sequence(sh) + 1;
    natsStatus s = NATS_OK;
    if (sh->window_until) {
        /* started from a saved partition: from the de-duplication window
         * before its last change, whose changes are read again for their
         * ids only (seen.h), so that this replica skips the copies a
         * replica that never stopped skips */
        int64_t start = 0;
        s = window_from(sh, &start);
        if (s == NATS_NOT_FOUND) {
            /* gone from the stream (purged), or not yet on a leader that
             * lags (the very defect this works around): asked again a few
             * times unless the stream says it starts after it */
            uint64_t first = 0;
            natsStatus is = stream_state(sh, &first, NULL, NULL, 0, NULL);
            const int gone = is == NATS_OK && first > sh->window_until;
            if (!gone && ++sh->window_misses < WINDOW_TRIES)
                return is == NATS_OK ? s : is;
            sh->window_until = 0; /* nothing to read */
        } else if (s != NATS_OK) {
            return s;
        } else if (!start) {
            sh->window_until = 0; /* no time to start from */
        } else {
            cc.OptStartTime = start;
        }
    }
    if (sh->window_until) {
        cc.DeliverPolicy = js_DeliverByStartTime;
    } else if (from > 1) {
        cc.DeliverPolicy = js_DeliverByStartSequence;
        cc.OptStartSeq = from;
    } else {
        cc.DeliverPolicy = js_DeliverAll;
    }
    jsConsumerInfo *ci = NULL;
    s = js_AddConsumer(&ci, sh->c.js, sh->c.stream, &cc, NULL, &je);
    /* a start by time lands on the first message stored at or after it;
     * with leaders' clocks far apart that could be past the first change
     * not applied yet: then by sequence after all */
    const int past = s == NATS_OK && sh->window_until && ci &&
                     ci->Delivered.Stream > sh->window_until;
    jsConsumerInfo_Destroy(ci);
    if (past) {
        sh->window_until = 0;
        return NATS_ERR; /* made again by sequence at the next round */
    }
    if (s != NATS_OK)
        return s;
    so.Stream = sh->c.stream;
    so.Consumer = sh->durable;
    so.ManualAck = true;
    s = js_PullSubscribe(&sh->pull, sh->c.js, filter, sh->durable, NULL, &so, &je);
    sh->expect_dseq = 1;
    return s;
}

/* Apply one change. Something this replica must not or cannot apply (a
 * malformed message, an id of another shard, an enrolment of a present id,
 * a removal of an absent one) is counted as refused and skipped: every
 * replica decides alike. A lack of memory is not a decision: false, the
 * change is left unapplied and taken again later. */
static bool apply(hs_cluster_shard *sh, const void *data, size_t size)
{
    hs_ctx *ctx = sh->actx;
    hsc_update u;
    hs_watchlist *one = NULL;
    hs_watchlist_subject *sub = NULL;
    hs_status s = hsc_update_parse(ctx, &u, data, size);
    if (!s && hs_cluster_shard_of(u.id, sh->shards) != sh->shard)
        s = HS_ERR_CORRUPT;
    if (!s && u.op != HSC_OP_REMOVE) {
        s = hs_watchlist_decode(ctx, &one, u.subject, u.subject_size);
        if (!s && hs_watchlist_count(one) != 1)
            s = HS_ERR_CORRUPT;
        if (!s)
            s = hs_watchlist_subject_at(ctx, &sub, one, 0);
        if (!s && strcmp(hs_watchlist_subject_id(sub), u.id))
            s = HS_ERR_CORRUPT;
    }
    if (!s) {
        if (u.op == HSC_OP_REMOVE)
            s = hs_watchlist_remove(ctx, sh->wl, u.id);
        else if (u.op == HSC_OP_ENROL)
            s = hs_watchlist_add(ctx, sh->wl, sub);
        else if ((s = hs_watchlist_replace(ctx, sh->wl, sub)) == HS_ERR_NOT_FOUND)
            s = hs_watchlist_add(ctx, sh->wl, sub);
    }
    if (s && s != HS_ERR_NOMEM) {
        pthread_mutex_lock(&sh->mu); /* on_status reads it under mu */
        sh->refused++;
        pthread_mutex_unlock(&sh->mu);
    }
    hs_watchlist_subject_free(sub);
    hs_watchlist_free(one);
    return s != HS_ERR_NOMEM;
}

/* The stream's last sequence, from its leader, and the leader's name
 * (empty when the stream is not clustered). */
static uint64_t stream_last(hs_cluster_shard *sh, int *ok, char *leader, size_t cap,
                            jsOptions *jo)
{
    uint64_t v = 0;
    *ok = stream_state(sh, NULL, &v, leader, cap, jo) == NATS_OK;
    return v;
}

/* The stream sequence of the last change of this shard, read from the
 * stream leader (0: none yet); false when the stream cannot tell now. @p jo
 * (may be NULL) bounds the request's wait. */
static bool shard_last(hs_cluster_shard *sh, uint64_t *seq, jsOptions *jo)
{
    char subj[128];
    hsc_subject_update(subj, sizeof subj, &sh->c, sh->shard);
    natsMsg *m = NULL;
    jsErrCode je = 0;
    natsStatus s = js_GetLastMsg(&m, sh->c.js, sh->c.stream, subj, jo, &je);
    *seq = s == NATS_OK ? natsMsg_GetSequence(m) : 0;
    natsMsg_Destroy(m);
    return s == NATS_OK || s == NATS_NOT_FOUND;
}

/* Prove that every change of this shard up to the stream's current end is
 * applied, and raise the horizon to that end: read the end L from the
 * stream leader, then the last message on this shard's subject, also from
 * the leader; when that message is applied, so is every change of this
 * shard up to L (any later one gets a sequence above L). The consumer's
 * view cannot prove it: with a replicated stream it reads the copy of the
 * server it lives on, which may lag the leader that acknowledged a write.
 * Used for a probe that waits for a sequence written on another shard.
 * Both answers must come from the same leader: a leader elected between the
 * two reads may not have stored the latest changes yet (nats-server 2.9),
 * and its older "last message" would prove too much. */
static void probe_horizon(hs_cluster_shard *sh)
{
    int ok = 0, ok2 = 0;
    char lead[256], lead2[256];
    /* a short wait: the waiter asks while probes wait for their deadlines */
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = sh->c.opts.timeout_ms < PROBE_WAIT_MS ? sh->c.opts.timeout_ms : PROBE_WAIT_MS;
    uint64_t last = stream_last(sh, &ok, lead, sizeof lead, &jo), mine = 0;
    if (!ok || !shard_last(sh, &mine, &jo))
        return;
    (void)stream_last(sh, &ok2, lead2, sizeof lead2, &jo);
    if (!ok2 || strcmp(lead, lead2))
        return;
    pthread_mutex_lock(&sh->mu);
    if (mine <= sh->applied && last > sh->horizon) {
        sh->horizon = last;
        pthread_cond_broadcast(&sh->cv);
    }
    pthread_mutex_unlock(&sh->mu);
}

/* One change read from the stream, from the consumer or from the leader. */
typedef struct {
    uint64_t sseq; /* stream sequence */
    int64_t ts;    /* stream time, ns */
    const char *id; /* the writer's message id, or NULL */
    const void *data;
    size_t size;
} change;

/* Whether the stream's leader holds the change @p id at @p earlier, which
 * makes the change read at a later sequence a copy of it: 1 it does; 0 it
 * holds another message there, or none while its stream reaches @p earlier
 * (an occurrence the replica read from a copy of the stream that diverged,
 * or one deleted since: a replica reading the stream afresh would apply the
 * change too); -1 it cannot tell now (no leader, or a leader whose stream
 * ends before @p earlier). */
static int copy_confirmed(hs_cluster_shard *sh, const char *id, uint64_t earlier)
{
    natsMsg *m = NULL;
    jsErrCode je = 0;
    natsStatus s = js_GetMsg(&m, sh->c.js, sh->c.stream, earlier, NULL, &je);
    int r = -1;
    if (s == NATS_OK) {
        const char *mid = NULL;
        r = natsMsgHeader_Get(m, "Nats-Msg-Id", &mid) == NATS_OK && mid && !strcmp(mid, id);
    } else if (s == NATS_NOT_FOUND) {
        uint64_t last = 0;
        if (stream_state(sh, NULL, &last, NULL, 0, NULL) == NATS_OK && last >= earlier)
            r = 0;
    }
    natsMsg_Destroy(m);
    return r;
}

/* Take changes read in stream order: first their ids (seen.h), outside the
 * partition's lock (a table rebuild takes a while), which tell the copies;
 * then, under the lock, those not applied yet. Returns how many were taken,
 * a prefix of @p n: fewer when the ids table lacked memory or the stream's
 * leader could not confirm a copy (*pause set: the caller waits a little),
 * or when stopping; the caller reads again from the first not taken.
 *
 * A copy is confirmed by the leader: the earlier occurrence a replica
 * remembers must be the leader's message at that sequence. A consumer
 * reads the copy of the stream on its server, and test_cluster_chaos once
 * saw one that diverged from the leader's (CI, session 22): a replica
 * remembered an enrolment's id at an earlier sequence that the leader's
 * stream did not hold it at, and skipped the enrolment itself as a copy.
 * For the same reason a change already applied, delivered again, is not
 * remembered anew (it was when it was taken) except while the window of
 * ids is read again at a start. */
static int absorb(hs_cluster_shard *sh, const change *ch, int n, int *pause)
{
    unsigned char copy[FETCH_BATCH];
    int take = 0, fresh = 0;
    *pause = 0;
    for (; take < n && take < FETCH_BATCH; take++) {
        const change *c = &ch[take];
        /* (an id too long to remember is never a copy: seen.h) */
        uint64_t earlier = 0;
        int dup = c->id && c->sseq > sh->applied &&
                  hsc_seen_copy(&sh->seen, c->id, c->sseq, c->ts, &earlier);
        if (dup && (dup = copy_confirmed(sh, c->id, earlier)) < 0) {
            *pause = 1; /* undecided: later, from here */
            break;
        }
        if (c->id && (c->sseq > sh->applied || sh->window_until) &&
            !hsc_seen_add(&sh->seen, c->id, c->sseq, c->ts)) {
            /* never apply a change unremembered: later, from here */
            *pause = 1;
            break;
        }
        if (c->sseq >= sh->window_until)
            sh->window_until = 0; /* the window is read */
        copy[take] = (unsigned char)dup;
        fresh += c->sseq > sh->applied;
    }
    if (fresh) {
        pthread_rwlock_wrlock(&sh->lock);
        for (int i = 0; i < take; i++) {
            if (ch[i].sseq <= sh->applied)
                continue;
            /* out of memory: the same change again after a pause, the
             * lock released meanwhile (the batch's ids are noted already:
             * it is finished, not read again) */
            int gave_up = 0;
            while (!copy[i] && !apply(sh, ch[i].data, ch[i].size)) {
                pthread_rwlock_unlock(&sh->lock);
                hsc_sleep_ms(100);
                pthread_rwlock_wrlock(&sh->lock);
                if ((gave_up = atomic_load(&sh->stop)) != 0)
                    break;
            }
            if (gave_up) { /* stopping: taken up to the change before */
                take = i;
                break;
            }
            hs_watchlist_set_version(sh->wl, ch[i].sseq);
            pthread_mutex_lock(&sh->mu);
            sh->duplicates += copy[i];
            sh->applied = ch[i].sseq;
            if (ch[i].sseq > sh->horizon)
                sh->horizon = ch[i].sseq;
            pthread_mutex_unlock(&sh->mu);
        }
        pthread_rwlock_unlock(&sh->lock);
    }
    pthread_mutex_lock(&sh->mu);
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return take;
}

/* The first sequence of the window of ids to read again (a replica started
 * from its saved partition), by the times of the leader's messages: the
 * first at or after @p from_ns in [first, until]. A message not found (an
 * operator deleted it) counts as after: the window starts earlier, which
 * only reads more ids (a copy is judged by the times, not by what is
 * read). */
static natsStatus window_first(hs_cluster_shard *sh, int64_t from_ns, uint64_t first,
                               uint64_t until, uint64_t *out)
{
    uint64_t lo = first, hi = until;
    while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        natsMsg *m = NULL;
        jsErrCode je = 0;
        natsStatus s = js_GetMsg(&m, sh->c.js, sh->c.stream, mid, NULL, &je);
        if (s != NATS_OK && s != NATS_NOT_FOUND)
            return s;
        if (s == NATS_OK && natsMsg_GetTime(m) < from_ns)
            lo = mid + 1;
        else
            hi = mid;
        natsMsg_Destroy(m);
    }
    *out = lo;
    return NATS_OK;
}

/* Reading from the stream leader. A consumer delivers from the copy of the
 * stream on the server JetStream placed it on; a copy can lag the leader
 * for minutes (nats-server 2.9.10: the copy on a restarted server, a server
 * frozen or cut off), and JetStream placed a consumer made anew on the same
 * server again (27 times in a row in one test run). So when the
 * watchdog finds the replica behind, the replica reads the missing changes
 * from the leader itself, message by message (js_GetMsg is answered by
 * the leader only), up to the leader's last change of this shard, then
 * makes its consumer anew after them. Changes are taken as from the
 * consumer, in order, copies skipped alike; a replica started from its
 * saved partition first reads the window's ids again, from the first
 * message of the window's start time on. */
typedef struct {
    uint64_t next, last; /* next sequence to read; up to here */
    int started;
} leader_read;

#define LEADER_ROUND 512 /* sequences read per round (the loop checks stop between) */

/* One round: 1 caught up, 0 more to read, -1 failed (the consumer again). */
static int leader_round(hs_cluster_shard *sh, leader_read *lr)
{
    jsErrCode je = 0;
    if (!lr->started) {
        lr->next = hs_cluster_shard_sequence(sh) + 1;
        if (sh->window_until) {
            int64_t start = 0;
            uint64_t first = 0, w = 0;
            if (window_from(sh, &start) != NATS_OK) /* (not found: consumer_reset decides) */
                return -1;
            if (start && (stream_state(sh, &first, NULL, NULL, 0, NULL) != NATS_OK ||
                          window_first(sh, start, first, sh->window_until, &w) != NATS_OK))
                return -1;
            if (w && w < lr->next)
                lr->next = w;
        }
        lr->started = 1;
    }
    char subj[128];
    hsc_subject_update(subj, sizeof subj, &sh->c, sh->shard);
    natsMsg *held[FETCH_BATCH];
    change ch[FETCH_BATCH];
    int n = 0, rc = 0;
    for (int i = 0; i < LEADER_ROUND && lr->next <= lr->last && !atomic_load(&sh->stop); i++) {
        natsMsg *m = NULL;
        natsStatus s = js_GetMsg(&m, sh->c.js, sh->c.stream, lr->next, NULL, &je);
        if (s == NATS_NOT_FOUND) {
            /* deleted (by an operator), or not stored yet on a leader just
             * elected: passed over only when the leader's stream goes
             * beyond it */
            uint64_t first = 0, end = 0;
            if (stream_state(sh, &first, &end, NULL, 0, NULL) != NATS_OK || end < lr->next) {
                rc = -1;
                break;
            }
            lr->next = first > lr->next ? first : lr->next + 1;
            continue;
        }
        if (s != NATS_OK) {
            rc = -1;
            break;
        }
        const char *subject = natsMsg_GetSubject(m);
        if (!subject || strcmp(subject, subj)) { /* another shard's */
            natsMsg_Destroy(m);
            lr->next++;
            continue;
        }
        const char *id = NULL;
        if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK || !id)
            id = NULL;
        held[n] = m;
        ch[n++] = (change){lr->next, natsMsg_GetTime(m), id, natsMsg_GetData(m),
                           (size_t)natsMsg_GetDataLength(m)};
        lr->next++;
        if (n == FETCH_BATCH)
            break;
    }
    if (n) {
        int pause = 0;
        const int take = absorb(sh, ch, n, &pause);
        pthread_mutex_lock(&sh->mu); /* on_status reads it under mu */
        sh->leader_reads += (uint64_t)take;
        pthread_mutex_unlock(&sh->mu);
        if (take < n) {
            lr->next = ch[take].sseq; /* read again from there */
            rc = -1;
            if (pause)
                hsc_sleep_ms(100);
        }
        for (int i = 0; i < n; i++)
            natsMsg_Destroy(held[i]);
    }
    if (rc == 0 && lr->next > lr->last)
        rc = 1;
    return rc;
}

static void *applier(void *arg)
{
    hs_cluster_shard *sh = arg;
    int need_reset = sh->pull == NULL;
    double last_save = hsc_now_ms(), next_watch = hsc_now_ms() + WATCH_MS;
    int behind = 0; /* watchdog checks in a row that found the replica behind */
    leader_read lr = {0, 0, 0};
    int leading = 0; /* reading from the leader */
    while (!atomic_load(&sh->stop)) {
        if (leading) {
            const int r = leader_round(sh, &lr);
            if (r) {
                /* caught up, or the leader cannot tell now: the consumer
                 * again, made anew after what is applied */
                leading = 0;
                need_reset = 1;
                next_watch = hsc_now_ms() + WATCH_MS;
                if (r < 0)
                    hsc_sleep_ms(200);
            }
        } else if (need_reset) {
            if (consumer_reset(sh) != NATS_OK) {
                /* JetStream cannot make the consumer now (its metadata
                 * leader being elected, the server it placed it on frozen):
                 * meanwhile the changes, if any, from the stream leader */
                uint64_t last = 0;
                if (shard_last(sh, &last, NULL) && last > hs_cluster_shard_sequence(sh)) {
                    leading = 1;
                    lr = (leader_read){0, last, 0};
                } else {
                    hsc_sleep_ms(200);
                }
                continue;
            }
            need_reset = 0;
        }
        if (leading || need_reset)
            goto save;
        /* Take what is there without waiting; when nothing is, wait for
         * the next change (a batch of one returns as soon as it arrives). */
        natsMsgList list = {0};
        jsFetchRequest fr;
        jsFetchRequest_Init(&fr);
        fr.Batch = FETCH_BATCH;
        fr.NoWait = true;
        fr.Expires = (int64_t)FETCH_WAIT_MS * 1000000;
        natsStatus s = natsSubscription_FetchRequest(&list, sh->pull, &fr);
        if (s == NATS_OK && list.Count == 0) {
            natsMsgList_Destroy(&list);
            s = NATS_TIMEOUT;
        }
        if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND) {
            fr.Batch = 1;
            fr.NoWait = false;
            memset(&list, 0, sizeof list);
            s = natsSubscription_FetchRequest(&list, sh->pull, &fr);
            if (s == NATS_OK && list.Count == 0) {
                natsMsgList_Destroy(&list);
                s = NATS_TIMEOUT;
            }
        }
        if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND) {
            /* nothing to apply, or a consumer that delivers nothing (lost
             * with its server, or on a copy of the stream that lags): the
             * watchdog tells, and has the leader read */
            if (hsc_now_ms() >= next_watch) {
                uint64_t last = 0;
                if (shard_last(sh, &last, NULL))
                    behind = last > hs_cluster_shard_sequence(sh) ? behind + 1 : 0;
                if (behind >= STALL_CHECKS) {
                    behind = 0;
                    leading = 1;
                    lr = (leader_read){0, last, 0};
                }
                next_watch = hsc_now_ms() + WATCH_MS;
            }
        } else if (s != NATS_OK) {
            need_reset = 1;
            hsc_sleep_ms(100);
            continue;
        } else {
            behind = 0;
            change ch[FETCH_BATCH];
            int n = 0;
            for (int i = 0; i < list.Count && i < FETCH_BATCH; i++) {
                natsMsg *m = list.Msgs[i];
                jsMsgMetaData *md = NULL;
                if (natsMsg_GetMetaData(&md, m) != NATS_OK) {
                    need_reset = 1;
                    break;
                }
                const uint64_t sseq = md->Sequence.Stream, dseq = md->Sequence.Consumer;
                const int64_t ts = md->Timestamp;
                jsMsgMetaData_Destroy(md);
                if (dseq != sh->expect_dseq) {
                    /* a delivery was lost (reconnection): start again
                     * after the last change applied */
                    need_reset = 1;
                    break;
                }
                sh->expect_dseq++;
                const char *id = NULL;
                if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK || !id)
                    id = NULL;
                ch[n++] = (change){sseq, ts, id, natsMsg_GetData(m),
                                   (size_t)natsMsg_GetDataLength(m)};
            }
            int pause = 0;
            const int take = n ? absorb(sh, ch, n, &pause) : 0;
            if (take < n)
                need_reset = 1; /* from the first not taken */
            if (pause)
                hsc_sleep_ms(100);
            if (take)
                natsMsg_Ack(list.Msgs[take - 1], NULL);
            natsMsgList_Destroy(&list);
        }
    save:;
        pthread_mutex_lock(&sh->mu);
        int dirty = sh->applied != sh->saved;
        pthread_mutex_unlock(&sh->mu);
        if (dirty && hsc_now_ms() - last_save >= sh->save_interval_ms) {
            save(sh->actx, sh); /* a failure is retried at the next interval */
            last_save = hsc_now_ms();
        }
    }
    return NULL;
}

static void reply(natsConnection *nc, natsMsg *msg, const hsc_answer *a)
{
    const char *to = natsMsg_GetReply(msg);
    if (!to)
        return;
    hsc_buf b = {0};
    hsc_answer_encode(&b, a);
    if (!b.failed)
        natsConnection_Publish(nc, to, b.p, (int)b.len);
    hsc_buf_free(&b);
}

/* The sequence the replica has reached: every change up to it applied,
 * or proven to be of other shards (mu held). */
static uint64_t reached(const hs_cluster_shard *sh)
{
    return sh->applied > sh->horizon ? sh->applied : sh->horizon;
}

/* Answer probe @p p of message @p msg, received at @p t0 (ms): "behind"
 * when the replica has not reached its minimum sequence, else the search
 * of the partition. Takes @p p and @p msg (NULL p: answered as failed with
 * ctx's last error). */
static void answer(hs_cluster_shard *sh, hs_ctx *ctx, natsMsg *msg, hsc_probe *p, double t0)
{
    hsc_answer a;
    memset(&a, 0, sizeof a);
    a.shard = sh->shard;
    a.shards = sh->shards;
    snprintf(a.replica, sizeof a.replica, "%s", sh->replica);
    hs_template *t = NULL;
    hs_watchlist_result *r = NULL;
    hs_status s = HS_OK;
    if (!p) {
        a.state = HSC_ANSWER_FAILED;
        snprintf(a.message, sizeof a.message, "%s", hs_ctx_last_error(ctx));
        goto send;
    }
    pthread_mutex_lock(&sh->mu);
    const uint64_t at = reached(sh);
    pthread_mutex_unlock(&sh->mu);
    if (at < p->min_sequence) {
        a.state = HSC_ANSWER_BEHIND;
        a.sequence = at;
        goto send;
    }
    if (p->fingers)
        s = hs_template_decode(ctx, &t, NULL, p->fingers, p->fingers_size);
    if (!s) {
        hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
        o.max_candidates = p->max_candidates;
        o.threads = sh->threads;
        o.flags = p->flags;
        o.rescore = p->rescore;
        o.face_model = p->face_model;
        o.fmr = p->fmr;
        pthread_rwlock_rdlock(&sh->lock);
        pthread_mutex_lock(&sh->mu);
        a.sequence = reached(sh);
        pthread_mutex_unlock(&sh->mu);
        a.subjects = hs_watchlist_count(sh->wl);
        s = hs_watchlist_search(ctx, &r, sh->wl, t, p->face_dim ? p->face : NULL, p->face_dim,
                                &o);
        pthread_rwlock_unlock(&sh->lock);
    }
    if (s) {
        a.state = HSC_ANSWER_FAILED;
        snprintf(a.message, sizeof a.message, "%s", hs_ctx_last_error(ctx));
        goto send;
    }
    a.rescored = hs_watchlist_result_rescored(r);
    a.count = hs_watchlist_result_count(r);
    a.cand = a.count ? calloc(a.count, sizeof *a.cand) : NULL;
    if (a.count && !a.cand) {
        a.state = HSC_ANSWER_FAILED;
        a.count = 0;
        snprintf(a.message, sizeof a.message, "out of memory");
        goto send;
    }
    for (uint32_t i = 0; i < a.count; i++) {
        hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
        hs_watchlist_result_candidate(r, &c, i);
        hsc_cand *x = &a.cand[i];
        snprintf(x->id, sizeof x->id, "%s", c.id);
        x->hit = c.hit;
        x->score = c.score;
        x->finger_score = c.finger_score;
        x->face_score = c.face_score;
        x->face_similarity = c.face_similarity;
        x->finger_count = c.finger_count;
        for (uint32_t f = 0; f < HS_WATCHLIST_FINGERS_MAX; f++) {
            x->finger_similarity[f] = c.finger_similarity[f];
            x->finger_position[f] = c.finger_position[f];
        }
    }
    a.state = HSC_ANSWER_OK;
send:
    a.search_us = (uint32_t)((hsc_now_ms() - t0) * 1000);
    reply(sh->c.nc, msg, &a);
    free(a.cand);
    hs_watchlist_result_free(r);
    hs_template_free(t);
    if (p) {
        memset(p, 0, sizeof *p);
        free(p);
    }
    natsMsg_Destroy(msg);
}

/* Read-your-writes: a probe whose minimum sequence the replica has not
 * reached is parked, not waited for in its handler, so that it holds up no
 * delivery thread (with SEARCH_SUBS of them busy waiting, every other
 * probe NATS gave this replica would wait too, until the client sent it
 * again at half its deadline). One thread, the waiter, releases each
 * parked probe as soon as the applier reaches its sequence, or a sequence
 * written on another shard is proven reached (by asking the stream leader,
 * every 20 ms while any probe is parked, with a short request timeout), or
 * at its deadline, or when the replica stops; SEARCH_SUBS workers answer
 * the released probes (searched, or "behind"), so that a search holds up
 * neither the waiter nor another released probe. */
static void *waiter(void *arg)
{
    hs_cluster_shard *sh = arg;
    double next_probe = 0;
    pthread_mutex_lock(&sh->mu);
    for (;;) {
        const int stop = atomic_load(&sh->stop);
        const double now = hsc_now_ms();
        double first_end = 0;
        int released = 0;
        parked **pp = &sh->parked;
        while (*pp) {
            parked *k = *pp;
            if (stop || k->end <= now || reached(sh) >= k->p->min_sequence) {
                *pp = k->next;
                sh->nparked--;
                k->next = NULL;
                *sh->ready_tail = k;
                sh->ready_tail = &k->next;
                released = 1;
                continue;
            }
            if (!first_end || k->end < first_end)
                first_end = k->end;
            pp = &k->next;
        }
        sh->parked_tail = pp;
        if (released)
            pthread_cond_broadcast(&sh->rcv);
        if (stop)
            break; /* every probe released */
        struct timespec ts;
        if (!sh->parked) {
            hsc_abstime(&ts, CLOCK_MONOTONIC, 1000);
            pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
            continue;
        }
        if (sh->parked_fresh || now >= next_probe) {
            /* at once for a probe just parked (a sequence written on
             * another shard moments ago is proven reached in one round
             * trip), then every 20 ms */
            sh->parked_fresh = 0;
            pthread_mutex_unlock(&sh->mu);
            probe_horizon(sh);
            next_probe = hsc_now_ms() + 20;
            pthread_mutex_lock(&sh->mu);
            continue;
        }
        double left = (first_end < next_probe ? first_end : next_probe) - now;
        hsc_abstime(&ts, CLOCK_MONOTONIC, left > 1 ? left : 1);
        pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
    }
    sh->waiter_done = 1;
    pthread_cond_broadcast(&sh->rcv);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

/* A worker: answers the probes the waiter releases, until the waiter has
 * ended and none is left. */
static void *worker(void *arg)
{
    hs_cluster_shard *sh = ((qslot *)arg)->sh;
    hs_ctx *ctx = ((qslot *)arg)->ctx;
    pthread_mutex_lock(&sh->mu);
    for (;;) {
        parked *k = sh->ready;
        if (k) {
            sh->ready = k->next;
            if (!sh->ready)
                sh->ready_tail = &sh->ready;
            pthread_mutex_unlock(&sh->mu);
            answer(sh, ctx, k->msg, k->p, k->t0);
            free(k);
            pthread_mutex_lock(&sh->mu);
            continue;
        }
        if (sh->waiter_done)
            break;
        struct timespec ts;
        hsc_abstime(&ts, CLOCK_MONOTONIC, 1000);
        pthread_cond_timedwait(&sh->rcv, &sh->mu, &ts);
    }
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

static void on_search(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)nc;
    hs_cluster_shard *sh = ((qslot *)closure)->sh;
    hs_ctx *ctx = ((qslot *)closure)->ctx;
    const double t0 = hsc_now_ms();
    hsc_probe *p = malloc(sizeof *p);
    hs_status s = p ? hsc_probe_parse(ctx, p, natsMsg_GetData(msg),
                                      (size_t)natsMsg_GetDataLength(msg))
                    : hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    if (!s && (p->shard != sh->shard || p->shards != sh->shards))
        s = hsc_error(ctx, HS_ERR_STATE, "probe for shard %u/%u reached shard %u/%u", p->shard,
                      p->shards, sh->shard, sh->shards);
    if (s) {
        if (p) {
            memset(p, 0, sizeof *p);
            free(p);
        }
        answer(sh, ctx, msg, NULL, t0);
        return;
    }
    pthread_mutex_lock(&sh->mu);
    if (reached(sh) < p->min_sequence && p->wait_ms && !atomic_load(&sh->stop) &&
        sh->waiter_started && sh->nparked < PARKED_MAX) {
        parked *k = malloc(sizeof *k);
        if (k) {
            *k = (parked){NULL, msg, p, t0, t0 + p->wait_ms};
            *sh->parked_tail = k;
            sh->parked_tail = &k->next;
            sh->nparked++;
            sh->parked_fresh = 1;
            pthread_cond_broadcast(&sh->cv);
            pthread_mutex_unlock(&sh->mu);
            return;
        }
    }
    pthread_mutex_unlock(&sh->mu);
    answer(sh, ctx, msg, p, t0); /* reached, or "behind" at once */
}

static void on_status(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    hs_cluster_shard *sh = ((qslot *)closure)->sh;
    const char *to = natsMsg_GetReply(msg);
    if (to) {
        hsc_state st;
        memset(&st, 0, sizeof st);
        st.shard = sh->shard;
        st.shards = sh->shards;
        pthread_rwlock_rdlock(&sh->lock);
        st.subjects = hs_watchlist_count(sh->wl);
        st.fingers = hs_watchlist_finger_count(sh->wl);
        pthread_rwlock_unlock(&sh->lock);
        pthread_mutex_lock(&sh->mu);
        st.sequence = sh->applied;
        st.refused = sh->refused;
        st.duplicates = sh->duplicates;
        st.leader_reads = sh->leader_reads;
        st.flags = HSC_STATE_DUPLICATES | HSC_STATE_LEADER_READS;
        st.saved_sequence = sh->saved;
        pthread_mutex_unlock(&sh->mu);
        snprintf(st.replica, sizeof st.replica, "%s", sh->replica);
        hsc_buf b = {0};
        hsc_state_encode(&b, &st);
        if (!b.failed)
            natsConnection_Publish(nc, to, b.p, (int)b.len);
        hsc_buf_free(&b);
    }
    natsMsg_Destroy(msg);
}

/* libnats calls this once a closed subscription's handler has returned
 * for the last time (the handlers run on its delivery threads, which it
 * never joins). */
static void on_sub_done(void *closure)
{
    hs_cluster_shard *sh = ((qslot *)closure)->sh;
    pthread_mutex_lock(&sh->mu);
    sh->subs_open--;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
}

/* Subscribe @p cb on @p subj (in queue group @p group when not NULL) with
 * slot @p q (q->sh set) as its closure, counted in subs_open until its
 * handler is done for good. */
static natsStatus subscribe(hs_cluster_shard *sh, qslot *q, const char *subj, const char *group,
                            natsMsgHandler cb)
{
    natsSubscription **sub = &q->sub;
    natsStatus ns = group ? natsConnection_QueueSubscribe(sub, sh->c.nc, subj, group, cb, q)
                          : natsConnection_Subscribe(sub, sh->c.nc, subj, cb, q);
    if (ns != NATS_OK)
        return ns;
    ns = natsSubscription_SetOnCompleteCB(*sub, on_sub_done, q);
    if (ns != NATS_OK) { /* never called then: close it here and now */
        natsSubscription_Unsubscribe(*sub);
        natsSubscription_Destroy(*sub);
        *sub = NULL;
        return ns;
    }
    pthread_mutex_lock(&sh->mu);
    sh->subs_open++;
    pthread_mutex_unlock(&sh->mu);
    return NATS_OK;
}

/* The name of a replica started without one: "r" and 16 hex digits of a
 * hash of the host's name and the data directory (its device and inode,
 * else its path as given). The same on every start of the replica (so it
 * finds its own consumer again and no other), different for replicas on
 * other hosts or containers, or over other directories. */
static void default_name(char *buf, size_t cap, const char *data_dir)
{
    char host[256] = "", dir[64];
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = 0;
    struct stat st;
    const int known = stat(data_dir, &st) == 0;
    if (known)
        snprintf(dir, sizeof dir, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
    /* host and directory apart: a '/' can be in neither a host name nor
     * the device:inode form (a path as given is the rare fallback) */
    uint64_t h = hsc_fnv1a(hsc_fnv1a(hsc_fnv1a(HSC_FNV1A_OFFSET, host), "/"),
                           known ? dir : data_dir);
    snprintf(buf, cap, "r%016" PRIx64, h);
}

hs_status hs_cluster_shard_new(hs_ctx *ctx, hs_cluster_shard **out, const char *urls,
                               uint32_t shard, uint32_t shards, const char *data_dir,
                               const hs_cluster_options *opts,
                               const hs_cluster_shard_options *shard_opts)
{
    if (out)
        *out = NULL;
    if (!out || !data_dir || shards < 1 || shards > HS_CLUSTER_SHARDS_MAX || shard < 1 ||
        shard > shards)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "shard: need out, a data directory and "
                                                  "shard I/N with 1 <= I <= N <= %d",
                         HS_CLUSTER_SHARDS_MAX);
    hs_cluster_options o;
    hs_status s = hsc_options(ctx, &o, opts);
    if (s)
        return s;
    hs_cluster_shard_options so = HS_CLUSTER_SHARD_OPTIONS_INIT;
    if ((s = hsc_struct_in(ctx, &so, sizeof so, shard_opts, SHARD_OPTIONS_SIZE_1_0,
                           "hs_cluster_shard_options")) != HS_OK)
        return s;
    if (so.threads < 1 || so.threads > 64 || so.save_interval_ms < 100 ||
        so.save_interval_ms > 3600000 || so.reserved ||
        (so.replica && !hsc_name_ok(so.replica, HS_CLUSTER_REPLICA_MAX)))
        return hsc_error(ctx, HS_ERR_INVALID_ARG,
                         "shard options: threads 1..64, save interval 100..3600000 ms, replica "
                         "name 1..%d characters of [A-Za-z0-9_-]",
                         HS_CLUSTER_REPLICA_MAX);
    hs_cluster_shard *sh = calloc(1, sizeof *sh);
    if (!sh)
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    /* writers first: with several searches holding the partition read
     * back to back, the applier would otherwise wait for a moment with no
     * reader, which may not come */
    pthread_rwlockattr_t la;
    pthread_rwlockattr_init(&la);
#if defined(__GLIBC__)
    pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&sh->lock, &la);
    pthread_rwlockattr_destroy(&la);
    pthread_mutex_init(&sh->mu, NULL);
    /* timed waits on the monotonic clock: a step of the wall clock moves
     * no deadline */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sh->cv, &ca);
    pthread_cond_init(&sh->rcv, &ca);
    pthread_condattr_destroy(&ca);
    sh->parked_tail = &sh->parked;
    sh->ready_tail = &sh->ready;
    sh->shard = shard;
    sh->shards = shards;
    sh->threads = so.threads;
    sh->save_interval_ms = so.save_interval_ms;
    if (so.replica)
        snprintf(sh->replica, sizeof sh->replica, "%s", so.replica);
    else
        default_name(sh->replica, sizeof sh->replica, data_dir);
    snprintf(sh->durable, sizeof sh->durable, "%s_s%u_%s", o.name, shard, sh->replica);
    int n = snprintf(sh->path, sizeof sh->path, "%s/shard-%u-of-%u.hswl", data_dir, shard, shards);
    if (n < 0 || (size_t)n >= sizeof sh->path) {
        s = hsc_error(ctx, HS_ERR_INVALID_ARG, "shard: data directory path too long");
        goto fail;
    }
    if ((s = hs_ctx_new(&sh->actx, NULL)) != HS_OK)
        goto fail;
    for (int q = 0; q < SEARCH_SUBS; q++) {
        sh->work[q].sh = sh;
        if ((s = hs_ctx_new(&sh->work[q].ctx, NULL)) != HS_OK)
            goto fail;
    }
    sh->status.sh = sh;
    for (int q = 0; q < SEARCH_SUBS; q++) {
        sh->search[q].sh = sh;
        if ((s = hs_ctx_new(&sh->search[q].ctx, NULL)) != HS_OK)
            goto fail;
    }
    struct stat st;
    if (stat(sh->path, &st) == 0)
        s = hs_watchlist_load(ctx, &sh->wl, sh->path);
    else if (errno == ENOENT)
        s = hs_watchlist_new(ctx, &sh->wl);
    else
        s = hsc_error(ctx, HS_ERR_IO, "%s: %s", sh->path, strerror(errno));
    if (s)
        goto fail;
    sh->applied = sh->horizon = sh->saved = sh->window_until = hs_watchlist_version(sh->wl);
    if ((s = hsc_connect(ctx, &sh->c, urls, &o, NULL, NULL, true)) != HS_OK)
        goto fail;
    /* JetStream may not answer at once (its meta leader electing, a loaded
     * server): a timeout is retried, as a write is, until write_timeout_ms. */
    uint32_t have = 0;
    uint64_t last = 0;
    double end = hsc_now_ms() + sh->c.opts.write_timeout_ms;
    /* A partition saved past the stream's end belongs to another stream
     * (the cluster made anew: hotspot cluster init on fresh servers): its
     * changes are not this stream's, and the sequences it would report
     * would prove writes read that it never saw. Asked again until the
     * write timeout, as a new leader may not have stored the last changes
     * yet (nats-server 2.9), then refused. */
    while (((s = hsc_stream_info(ctx, &sh->c, &have, &last)) == HS_ERR_UNAVAILABLE ||
            (s == HS_OK && have && sh->applied > last)) &&
           hsc_now_ms() + 100 < end)
        hsc_sleep_ms(100);
    if (s != HS_OK)
        goto fail;
    if (have && sh->applied > last) {
        s = hsc_error(ctx, HS_ERR_STATE,
                      "%s holds the changes up to sequence %" PRIu64 " but the stream of "
                      "cluster %s ends at %" PRIu64 ": it was made for another stream (the "
                      "cluster made anew?); remove it to start this replica empty",
                      sh->path, sh->applied, sh->c.name, last);
        goto fail;
    }
    if (have != shards) {
        s = have ? hsc_error(ctx, HS_ERR_STATE, "cluster %s has %u shards, not %u", sh->c.name,
                             have, shards)
                 : hsc_error(ctx, HS_ERR_STATE,
                             "cluster %s is not initialised (hotspot cluster init)", sh->c.name);
        goto fail;
    }
    /* The consumer is made on the applier's first round when JetStream
     * cannot make it now (a server down, its groups electing leaders): the
     * replica comes up and catches up as soon as the stream lets it, and
     * probes waiting for a sequence wait for that. */
    natsStatus ns = consumer_reset(sh);
    if (ns != NATS_OK && sh->pull) {
        natsSubscription_Destroy(sh->pull);
        sh->pull = NULL;
    }
    if (pthread_create(&sh->applier, NULL, applier, sh)) {
        s = hsc_error(ctx, HS_ERR_THREAD, "shard: cannot start the applier thread");
        goto fail;
    }
    sh->started = 1;
    for (; sh->nworkers < SEARCH_SUBS; sh->nworkers++) {
        if (pthread_create(&sh->worker[sh->nworkers], NULL, worker, &sh->work[sh->nworkers])) {
            s = hsc_error(ctx, HS_ERR_THREAD, "shard: cannot start a search thread");
            goto fail;
        }
    }
    if (pthread_create(&sh->waiter, NULL, waiter, sh)) {
        s = hsc_error(ctx, HS_ERR_THREAD, "shard: cannot start the waiter thread");
        goto fail;
    }
    pthread_mutex_lock(&sh->mu);
    sh->waiter_started = 1;
    pthread_mutex_unlock(&sh->mu);
    char subj[128], group[64];
    hsc_subject_search(subj, sizeof subj, &sh->c, shard);
    snprintf(group, sizeof group, "s%u", shard);
    ns = NATS_OK;
    for (int q = 0; q < SEARCH_SUBS && ns == NATS_OK; q++) {
        ns = subscribe(sh, &sh->search[q], subj, group, on_search);
        if (ns == NATS_OK)
            ns = natsSubscription_SetPendingLimits(sh->search[q].sub, 65536, 1 << 30);
    }
    if (ns == NATS_OK) {
        hsc_subject_status(subj, sizeof subj, &sh->c);
        ns = subscribe(sh, &sh->status, subj, NULL, on_status);
    }
    if (ns == NATS_OK)
        ns = natsConnection_Flush(sh->c.nc);
    if (ns != NATS_OK) {
        s = hsc_nats_error(ctx, ns, "subscribing");
        goto fail;
    }
    *out = sh;
    return HS_OK;
fail:
    hs_cluster_shard_free(sh);
    return s;
}

/* Stop the replica's search and status subscriptions: each stops taking
 * messages at once, those queued are handled for up to 5 s in all. */
static void drain_all(hs_cluster_shard *sh)
{
    natsSubscription **subs[SEARCH_SUBS + 1];
    int ok[SEARCH_SUBS + 1];
    for (int q = 0; q <= SEARCH_SUBS; q++) {
        subs[q] = q < SEARCH_SUBS ? &sh->search[q].sub : &sh->status.sub;
        ok[q] = *subs[q] && natsSubscription_Drain(*subs[q]) == NATS_OK;
        if (*subs[q] && !ok[q])
            natsSubscription_Unsubscribe(*subs[q]);
    }
    const double end = hsc_now_ms() + 5000;
    for (int q = 0; q <= SEARCH_SUBS; q++) {
        if (!*subs[q])
            continue;
        double left = end - hsc_now_ms();
        if (ok[q] && left >= 1)
            natsSubscription_WaitForDrainCompletion(*subs[q], (int64_t)left);
        natsSubscription_Destroy(*subs[q]);
        *subs[q] = NULL;
    }
}

void hs_cluster_shard_free(hs_cluster_shard *sh)
{
    if (!sh)
        return;
    /* stop taking searches first, let those queued be answered (for up to
     * 5 s); then searches still waiting for a sequence give up, and
     * nothing is freed before every handler has returned for good */
    drain_all(sh);
    atomic_store(&sh->stop, 1);
    pthread_mutex_lock(&sh->mu);
    pthread_cond_broadcast(&sh->cv);
    /* a search's handler ends within its search (seconds on the largest
     * partitions); should libnats never report the end, the replica is
     * left allocated rather than freed under a running handler */
    const double end = hsc_now_ms() + SHUTDOWN_WAIT_MS;
    while (sh->subs_open > 0 && hsc_now_ms() < end) {
        struct timespec ts;
        hsc_abstime(&ts, CLOCK_MONOTONIC, 100);
        pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
    }
    const int busy = sh->subs_open > 0;
    const int waiting = sh->waiter_started;
    pthread_mutex_unlock(&sh->mu);
    /* the parked probes released, answered "behind" (no handler parks one
     * after the stop); the workers end when none is left */
    if (waiting) {
        pthread_join(sh->waiter, NULL);
    } else {
        pthread_mutex_lock(&sh->mu);
        sh->waiter_done = 1;
        pthread_cond_broadcast(&sh->rcv);
        pthread_mutex_unlock(&sh->mu);
    }
    for (int q = 0; q < sh->nworkers; q++)
        pthread_join(sh->worker[q], NULL);
    if (sh->started)
        pthread_join(sh->applier, NULL);
    if (sh->pull) {
        natsSubscription_Unsubscribe(sh->pull);
        natsSubscription_Destroy(sh->pull);
    }
    if (sh->wl && sh->started && sh->applied != sh->saved) {
        pthread_rwlock_rdlock(&sh->lock);
        save(sh->actx, sh);
        pthread_rwlock_unlock(&sh->lock);
    }
    if (busy)
        return;
    hsc_disconnect(&sh->c);
    hs_watchlist_free(sh->wl);
    hsc_seen_free(&sh->seen);
    hs_ctx_free(sh->actx);
    for (int q = 0; q < SEARCH_SUBS; q++)
        hs_ctx_free(sh->work[q].ctx);
    for (int q = 0; q < SEARCH_SUBS; q++)
        hs_ctx_free(sh->search[q].ctx);
    pthread_rwlock_destroy(&sh->lock);
    pthread_mutex_destroy(&sh->mu);
    pthread_cond_destroy(&sh->cv);
    pthread_cond_destroy(&sh->rcv);
    free(sh);
}
