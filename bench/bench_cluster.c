/* The cluster against one process holding the same gallery, measured in
 * one run on this machine: search latency (median, p99) of a cluster of S
 * shards (one `hotspot shard` replica each, on nats-server(s) on 127.0.0.1)
 * and of hs_watchlist_search in this process; the cluster's own overhead
 * (its latency less its slowest shard's search time); bulk enrolment
 * throughput; and the time from a single enrolment's acknowledgement to
 * the subject being searchable; the memory of each shard process (VmRSS
 * once its partition is loaded); and, with --load K, the searches per
 * second that K client threads sustain, each with its own connection,
 * sending searches back to back for --load-seconds S (a bounded load
 * generator: at most K searches in flight), with the latency median and
 * p99 under that load.
 *
 *   bench_cluster [--fingers N] [--shards S] [--servers K] [--probes P]
 *                 [--threads T] [--gallery FILE] [--generate-only] [--cli PATH]
 *                 [--load K] [--load-seconds S]
 *
 * The gallery is synthetic (hs_synth impressions, one finger per subject);
 * --gallery keeps it in FILE for the next run (--generate-only: make and save
 * it, then stop, so a million can be generated while the machine is busy). docs/cluster.md gives the
 * figures and the command lines. */
#include "benchutil.h"
#include "clusterutil.h"

#include <hotspot/cluster.h>
#include <hotspot/hotspot.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HS_CLI_PATH
#define HS_CLI_PATH "hotspot"
#endif

#define IPM 20 /* subjects (impressions) per synthetic master */

typedef struct gen_job {
    hs_synth *gen;
    hs_watchlist *wl;
    pthread_mutex_t mu;
    uint32_t next, masters, n;
    int failed;
} gen_job;

static void *gen_worker(void *arg)
{
    gen_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        uint32_t m = j->next++;
        pthread_mutex_unlock(&j->mu);
        if (m >= j->masters || j->failed)
            return NULL;
        hs_synth_master *ms = NULL;
        if (hs_synth_master_new(NULL, &ms, j->gen, m)) {
            j->failed = 1;
            return NULL;
        }
        for (uint32_t k = 0; k < IPM && (uint64_t)m * IPM + k < j->n; k++) {
            hs_template *t = NULL;
            hs_watchlist_subject *s = NULL;
            char id[32];
            snprintf(id, sizeof id, "D%07u", m * IPM + k);
            if (hs_synth_impression(NULL, NULL, &t, j->gen, ms, k) ||
                hs_watchlist_subject_new(NULL, &s, id) ||
                hs_watchlist_subject_add_finger(NULL, s, t, 0)) {
                j->failed = 1;
            } else {
                pthread_mutex_lock(&j->mu);
                if (hs_watchlist_add(NULL, j->wl, s))
                    j->failed = 1;
                pthread_mutex_unlock(&j->mu);
            }
            hs_watchlist_subject_free(s);
            hs_template_free(t);
        }
        hs_synth_master_free(ms);
    }
}

static hs_synth *generator(void)
{
    hs_synth *gen = NULL;
    if (hs_synth_new(NULL, &gen, 20261206) || hs_synth_set(gen, HS_SYNTH_FAST, 1)) {
        fprintf(stderr, "synth failed\n");
        exit(1);
    }
    return gen;
}

static hs_watchlist *gallery(uint32_t n, uint32_t threads, const char *file)
{
    hs_watchlist *wl = NULL;
    if (file && access(file, F_OK) == 0) {
        /* a million fingers is a 1.4 GB file: above the default file limit */
        hs_ctx *lc = NULL;
        hs_ctx_new(&lc, NULL);
        hs_ctx_set_limit(lc, HS_LIMIT_MAX_FILE_BYTES, 64ull << 30);
        if (hs_watchlist_load(lc, &wl, file) == HS_OK && hs_watchlist_count(wl) == n) {
            printf("gallery: %u subjects from %s\n", n, file);
            hs_ctx_free(lc);
            return wl;
        }
        printf("gallery: %s not used (%s), generating\n", file,
               wl ? "another size" : hs_ctx_last_error(lc));
        hs_ctx_free(lc);
    }
    hs_watchlist_free(wl);
    wl = NULL;
    hs_watchlist_new(NULL, &wl);
    gen_job j;
    memset(&j, 0, sizeof j);
    j.gen = generator();
    j.wl = wl;
    pthread_mutex_init(&j.mu, NULL);
    j.masters = (n + IPM - 1) / IPM;
    j.n = n;
    double t0 = bu_wall_ms();
    pthread_t th[64];
    for (uint32_t t = 1; t < threads && t < 64; t++)
        pthread_create(&th[t], NULL, gen_worker, &j);
    gen_worker(&j);
    for (uint32_t t = 1; t < threads && t < 64; t++)
        pthread_join(th[t], NULL);
    hs_synth_free(j.gen);
    if (j.failed) {
        fprintf(stderr, "gallery generation failed\n");
        exit(1);
    }
    printf("gallery: %u synthetic subjects (%u masters x %d impressions) in %.0f s\n", n,
           j.masters, IPM, (bu_wall_ms() - t0) / 1000);
    if (file && hs_watchlist_save(NULL, file, wl) == HS_OK)
        printf("gallery saved to %s\n", file);
    return wl;
}

static double pct(double *v, size_t n, double q)
{
    bu_median(v, n); /* sorts */
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* VmRSS of process pid in MiB (from /proc/<pid>/status), or -1. */
static double rss_mib(pid_t pid)
{
    char path[64], line[256];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    double v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) {
            v = atof(line + 6) / 1024.0; /* kB */
            break;
        }
    fclose(f);
    return v;
}

/* The bounded load generator: each thread has its own connection and sends
 * searches back to back (one in flight per thread) until the end time. */
typedef struct load_job {
    const char *urls;
    hs_template **probe;
    uint32_t probes, first;
    double end_ms;
    double *lat; /* latencies, grown */
    size_t n, cap;
    uint32_t incomplete, failed;
} load_job;

static void *load_worker(void *arg)
{
    load_job *j = arg;
    hs_ctx *ctx = NULL;
    hs_cluster *cl = NULL;
    if (hs_ctx_new(&ctx, NULL) || hs_cluster_connect(ctx, &cl, j->urls, NULL)) {
        j->failed++;
        hs_ctx_free(ctx);
        return NULL;
    }
    hs_cluster_search_options co = HS_CLUSTER_SEARCH_OPTIONS_INIT;
    co.deadline_ms = 60000;
    co.flags = HS_CLUSTER_PARTIAL_OK;
    for (uint32_t p = j->first; bu_wall_ms() < j->end_ms; p++) {
        hs_cluster_result *r = NULL;
        double a = bu_wall_ms();
        hs_status s = hs_cluster_search(ctx, &r, cl, j->probe[p % j->probes], NULL, 0, &co);
        double b = bu_wall_ms();
        if (s != HS_OK) {
            j->failed++;
            continue;
        }
        if (hs_cluster_result_missing(r))
            j->incomplete++;
        hs_cluster_result_free(r);
        if (j->n == j->cap) {
            size_t cap = j->cap ? 2 * j->cap : 256;
            double *v = realloc(j->lat, cap * sizeof *v);
            if (!v) {
                j->failed++;
                break;
            }
            j->lat = v;
            j->cap = cap;
        }
        j->lat[j->n++] = b - a;
    }
    hs_cluster_free(cl);
    hs_ctx_free(ctx);
    return NULL;
}

static void run_load(const char *urls, hs_template **probe, uint32_t probes, uint32_t k,
                     uint32_t seconds, uint32_t shards)
{
    load_job *jobs = calloc(k, sizeof *jobs);
    pthread_t *th = calloc(k, sizeof *th);
    if (!jobs || !th) {
        free(jobs);
        free(th);
        return;
    }
    double t0 = bu_wall_ms();
    for (uint32_t i = 0; i < k; i++) {
        jobs[i].urls = urls;
        jobs[i].probe = probe;
        jobs[i].probes = probes;
        jobs[i].first = i * (probes / k + 1);
        jobs[i].end_ms = t0 + seconds * 1000.0;
        pthread_create(&th[i], NULL, load_worker, &jobs[i]);
    }
    size_t total = 0;
    uint32_t incomplete = 0, failed = 0;
    for (uint32_t i = 0; i < k; i++) {
        pthread_join(th[i], NULL);
        total += jobs[i].n;
        incomplete += jobs[i].incomplete;
        failed += jobs[i].failed;
    }
    double t1 = bu_wall_ms();
    double *all = total ? calloc(total, sizeof *all) : NULL;
    size_t m = 0;
    for (uint32_t i = 0; i < k; i++) {
        if (all)
            memcpy(all + m, jobs[i].lat, jobs[i].n * sizeof *all);
        m += jobs[i].n;
        free(jobs[i].lat);
    }
    if (all && total)
        printf("load: %u client threads searching back to back for %.1f s, cluster of %u: "
               "%zu searches, %.2f searches/s; latency median %.1f ms, p99 %.1f ms; "
               "%u incomplete, %u failed\n",
               k, (t1 - t0) / 1000, shards, total, total * 1000.0 / (t1 - t0),
               pct(all, total, 0.5), pct(all, total, 0.99), incomplete, failed);
    else
        printf("load: no search completed (%u failed)\n", failed);
    free(all);
    free(jobs);
    free(th);
}

static void die(hs_ctx *ctx, const char *what)
{
    fprintf(stderr, "%s: %s\n", what, hs_ctx_last_error(ctx));
    cu_stop_all();
    exit(1);
}

int main(int argc, char **argv)
{
    uint32_t n = 100000, shards = 4, servers = 1, probes = 50, threads = 1;
    uint32_t load = 0, load_seconds = 20;
    const char *gfile = NULL, *cli = HS_CLI_PATH;
    int generate_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(argv[i], "--fingers"))
            n = (uint32_t)atol(v), i++;
        else if (!strcmp(argv[i], "--shards"))
            shards = (uint32_t)atol(v), i++;
        else if (!strcmp(argv[i], "--servers"))
            servers = (uint32_t)atol(v), i++;
        else if (!strcmp(argv[i], "--probes"))
            probes = (uint32_t)atol(v), i++;
        else if (!strcmp(argv[i], "--threads"))
            threads = (uint32_t)atol(v), i++;
        else if (!strcmp(argv[i], "--gallery"))
            gfile = v, i++;
        else if (!strcmp(argv[i], "--load"))
            load = (uint32_t)atol(v), i++;
        else if (!strcmp(argv[i], "--load-seconds"))
            load_seconds = (uint32_t)atol(v), i++;
        else if (!strcmp(argv[i], "--generate-only"))
            generate_only = 1;
        else if (!strcmp(argv[i], "--cli"))
            cli = v, i++;
        else {
            fprintf(stderr, "usage: bench_cluster [--fingers N] [--shards S] [--servers K] "
                            "[--probes P] [--threads T] [--gallery FILE] [--generate-only] "
                            "[--cli PATH] [--load K] [--load-seconds S]\n");
            return 2;
        }
    }
    if (n < 1000 || shards < 1 || shards > CU_SHARDS_MAX || servers < 1 || servers > 3 ||
        probes < 2 || probes > 10000 || threads < 1 || threads > 64 || load > 256 ||
        load_seconds < 1 || load_seconds > 3600) {
        fprintf(stderr, "bench_cluster: fingers >= 1000, shards 1..%d, servers 1..3, "
                        "load 0..256, load-seconds 1..3600\n",
                CU_SHARDS_MAX);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (generate_only) {
        if (!gfile) {
            fprintf(stderr, "bench_cluster: --generate-only needs --gallery FILE\n");
            return 2;
        }
        hs_watchlist_free(gallery(n, 2, gfile));
        return 0;
    }
    if (!cu_nats_server())
        return 0;
    hs_ctx *ctx = NULL;
    hs_ctx_new(&ctx, NULL);
    hs_watchlist *wl = gallery(n, 2, gfile);
    /* probes: a fresh impression of the first masters (mates in the list) */
    hs_template **probe = calloc(probes, sizeof *probe);
    hs_synth *gen = generator();
    for (uint32_t p = 0; p < probes; p++) {
        hs_synth_master *ms = NULL;
        hs_synth_master_new(NULL, &ms, gen, p % ((n + IPM - 1) / IPM));
        hs_synth_impression(NULL, NULL, &probe[p], gen, ms, IPM + p / ((n + IPM - 1) / IPM));
        hs_synth_master_free(ms);
    }

    /* the cluster */
    char dir[] = "/tmp/hs-bench-cluster-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    cu_cluster c;
    memset(&c, 0, sizeof c);
    c.shards = (int)shards;
    c.replicas = 1;
    c.threads = (int)threads;
    if (!cu_start_servers(&c, dir, (int)servers, cli))
        die(ctx, "nats-server");
    hs_cluster *cl = NULL, *reader = NULL;
    if (cu_cluster_init(ctx, &c, &cl, NULL, shards, servers, 30000))
        die(ctx, "cluster init");
    if (hs_cluster_connect(ctx, &reader, c.urls, NULL))
        die(ctx, "second client");
    for (uint32_t i = 1; i <= shards; i++)
        cu_start_shard(&c, (int)i, 1);
    for (double end = cu_now_ms() + 30000; cu_now_ms() < end;) {
        hs_cluster_status_report *st = NULL;
        uint32_t got = 0;
        if (hs_cluster_status(ctx, &st, cl, 200) == HS_OK)
            got = hs_cluster_status_replicas(st);
        hs_cluster_status_free(st);
        if (got >= shards)
            break;
    }
    printf("cluster: %u shards x 1 replica, %u nats-server%s (stream replicas %u), %u search "
           "thread%s per shard, on %ld cores\n",
           shards, servers, servers > 1 ? "s" : "", servers, threads, threads > 1 ? "s" : "",
           sysconf(_SC_NPROCESSORS_ONLN));

    /* bulk enrolment, then until every shard has applied it */
    double t0 = bu_wall_ms();
    uint64_t last = 0;
    if (hs_cluster_load(ctx, &last, cl, wl, 0))
        die(ctx, "load");
    double t_ack = bu_wall_ms();
    hs_cluster_search_options co = HS_CLUSTER_SEARCH_OPTIONS_INIT;
    co.deadline_ms = 600000;
    hs_cluster_result *r = NULL;
    if (hs_cluster_search(ctx, &r, cl, probe[0], NULL, 0, &co))
        die(ctx, "first search");
    hs_cluster_result_free(r);
    double t_all = bu_wall_ms();
    printf("bulk enrolment: %u subjects acknowledged in %.1f s (%.0f per second); all "
           "searchable %.1f s after the last acknowledgement (sequence %llu)\n",
           n, (t_ack - t0) / 1000, n * 1000.0 / (t_ack - t0), (t_all - t_ack) / 1000,
           (unsigned long long)last);

    /* memory per shard, once its partition is loaded */
    printf("memory (VmRSS): this process (one-process gallery, probes, clients) %.0f MiB;",
           rss_mib(0));
    for (uint32_t i = 1; i <= shards; i++)
        printf(" shard %u %.0f MiB%s", i, rss_mib(c.shard[i][1]), i < shards ? "," : "\n");

    /* search latency: one process vs the cluster, probe by probe */
    double *one = calloc(probes, sizeof *one), *clu = calloc(probes, sizeof *clu);
    double *over = calloc(probes, sizeof *over);
    uint32_t agree = 0;
    hs_watchlist_search_options wo = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    wo.threads = threads;
    co.deadline_ms = 60000;
    for (uint32_t p = 0; p < probes; p++) {
        hs_watchlist_result *wr = NULL;
        double a = bu_wall_ms();
        if (hs_watchlist_search(ctx, &wr, wl, probe[p], NULL, 0, &wo))
            die(ctx, "search");
        double b = bu_wall_ms();
        if (hs_cluster_search(ctx, &r, cl, probe[p], NULL, 0, &co))
            die(ctx, "cluster search");
        double e = bu_wall_ms();
        one[p] = b - a;
        clu[p] = e - b;
        double slowest = 0;
        for (uint32_t i = 0; i < hs_cluster_result_shards(r); i++) {
            hs_cluster_shard_result sr = HS_CLUSTER_SHARD_RESULT_INIT;
            hs_cluster_result_shard(r, &sr, i);
            if (sr.search_ms > slowest)
                slowest = sr.search_ms;
        }
        over[p] = clu[p] - slowest;
        hs_watchlist_candidate x = HS_WATCHLIST_CANDIDATE_INIT, y = HS_WATCHLIST_CANDIDATE_INIT;
        if (hs_watchlist_result_candidate(wr, &x, 0) == HS_OK &&
            hs_cluster_result_candidate(r, &y, 0) == HS_OK && !strcmp(x.id, y.id))
            agree++;
        hs_watchlist_result_free(wr);
        hs_cluster_result_free(r);
    }
    printf("search, %u probes, %u subjects, top 10:\n", probes, n);
    printf("  one process:   median %7.1f ms  p99 %7.1f ms\n", pct(one, probes, 0.5),
           pct(one, probes, 0.99));
    printf("  cluster of %u: median %7.1f ms  p99 %7.1f ms\n", shards, pct(clu, probes, 0.5),
           pct(clu, probes, 0.99));
    printf("  cluster overhead (latency less the slowest shard's search): median %.2f ms, "
           "p99 %.2f ms\n",
           pct(over, probes, 0.5), pct(over, probes, 0.99));
    printf("  same top candidate as one process: %u of %u probes\n", agree, probes);

    if (load)
        run_load(c.urls, probe, probes, load, load_seconds, shards);

    /* the round trip alone: a face probe, which this finger gallery answers
     * at once in every shard and in one process */
    {
        const float rt_face[4] = {0.5f, 0.5f, 0.5f, 0.5f};
        uint32_t m = 200;
        double *rt = calloc(m, sizeof *rt), *lo = calloc(m, sizeof *lo);
        hs_cluster_search_options so = HS_CLUSTER_SEARCH_OPTIONS_INIT;
        for (uint32_t i = 0; i < m; i++) {
            hs_watchlist_result *wr = NULL;
            double a = bu_wall_ms();
            hs_watchlist_search(ctx, &wr, wl, NULL, rt_face, 4, &wo);
            double b = bu_wall_ms();
            if (hs_cluster_search(ctx, &r, cl, NULL, rt_face, 4, &so))
                die(ctx, "round trip");
            double e = bu_wall_ms();
            hs_watchlist_result_free(wr);
            hs_cluster_result_free(r);
            lo[i] = b - a;
            rt[i] = e - b;
        }
        printf("round trip of a search costing nothing (face probe, %u searches): cluster of %u "
               "median %.2f ms, p99 %.2f ms; one process median %.2f ms\n",
               m, shards, pct(rt, m, 0.5), pct(rt, m, 0.99), pct(lo, m, 0.5));
        free(rt);
        free(lo);
    }

    /* acknowledgement to searchable: enrol one subject, then a second
     * client (no writes of its own to wait for) sends a search with that
     * sequence as its minimum; the shard answers once it has applied the
     * change. The probe is a face, which this finger gallery answers at
     * once, so the time is the wait, not a finger search. */
    uint32_t k = probes < 50 ? probes : 50;
    double *lat = calloc(k, sizeof *lat), *base = calloc(k, sizeof *base);
    const float face[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    for (uint32_t i = 0; i < k; i++) {
        hs_watchlist_subject *sub = NULL;
        char id[32];
        snprintf(id, sizeof id, "NEW%05u", i);
        hs_watchlist_subject_new(NULL, &sub, id);
        hs_watchlist_subject_add_finger(NULL, sub, probe[i], 0);
        uint64_t seq = 0;
        if (hs_cluster_enrol(ctx, &seq, cl, sub))
            die(ctx, "enrol");
        double a = bu_wall_ms();
        hs_cluster_search_options so = HS_CLUSTER_SEARCH_OPTIONS_INIT;
        so.min_sequence = seq;
        so.deadline_ms = 60000;
        if (hs_cluster_search(ctx, &r, reader, NULL, face, 4, &so))
            die(ctx, "search after enrolment");
        double b = bu_wall_ms();
        hs_cluster_shard_result sr = HS_CLUSTER_SHARD_RESULT_INIT;
        hs_cluster_result_shard(r, &sr, hs_cluster_shard_of(id, shards) - 1);
        hs_cluster_result_free(r);
        if (sr.sequence < seq) {
            fprintf(stderr, "shard answered at sequence %llu < %llu\n",
                    (unsigned long long)sr.sequence, (unsigned long long)seq);
            cu_stop_all();
            return 1;
        }
        so.min_sequence = 0;
        double c0 = bu_wall_ms();
        hs_cluster_search(ctx, &r, reader, NULL, face, 4, &so);
        base[i] = bu_wall_ms() - c0;
        hs_cluster_result_free(r);
        lat[i] = b - a;
        hs_watchlist_subject_free(sub);
    }
    printf("acknowledgement to searchable, %u single enrolments: median %.1f ms, p99 %.1f ms "
           "(a face search from another client waiting for the sequence; the same search "
           "without waiting: median %.1f ms)\n",
           k, pct(lat, k, 0.5), pct(lat, k, 0.99), pct(base, k, 0.5));

    hs_cluster_free(reader);
    hs_cluster_free(cl);
    cu_stop_all();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    for (uint32_t p = 0; p < probes; p++)
        hs_template_free(probe[p]);
    free(probe);
    free(one);
    free(clu);
    free(over);
    free(lat);
    free(base);
    hs_synth_free(gen);
    hs_watchlist_free(wl);
    hs_ctx_free(ctx);
    return 0;
}
