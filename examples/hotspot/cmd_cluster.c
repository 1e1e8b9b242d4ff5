/* hotspot cluster init|enrol|remove|search|status|load, and hotspot shard:
 * central search over NATS JetStream (libhotspot-cluster, docs/cluster.md).
 *
 * Public API only. Fingers are [POS:]FILE as in `hotspot watchlist`: a
 * template (any format) or a fingerprint image, extracted on the fly. */
#include "cli.h"

#include <hotspot/audit.h>
#include <hotspot/cluster.h>
#include <hotspot/device.h>
#include <hotspot/outbox.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CL "cluster"

static const char *const usage_text =
    "usage: hotspot cluster <command> [--nats URL[,URL...]] [--cluster NAME] ...\n"
    "  init --shards N --replicas R\n"
    "  enrol --id ID [--replace] [--field KEY=VALUE]... [--ppi P] --finger [POS:]FILE...\n"
    "        [--face FILE.hsfe]\n"
    "  remove ID...\n"
    "  search [--finger [POS:]FILE]... [--face FILE.hsfe] [--ppi P] [--top K] [--fmr F]\n"
    "         [--exhaustive] [--hits] [--deadline-ms N] [--after SEQ] [--json]\n"
    "  status [--wait-ms N] [--json]\n"
    "  load LIST [--replace]\n"
    "  submit BATCH                       a device's exported outbox batch, to the intake\n"
    "  intake --authority AUTH.sec --devices DIR --seen FILE [--top K] [--deadline-ms N]\n"
    "         [--retry-ms N] [--ack-wait-ms N] [--exhaustive] [--fmr F] [--until-idle MS]\n"
    "  fetch --device PREFIX --outbox DIR --authority AUTH.pub [--json] [--no-confirm]\n"
    "       hotspot shard --shard I/N --data DIR [--replica NAME] [--threads T]\n"
    "             [--save-interval-ms N] [--nats URL[,URL...]] [--cluster NAME]\n"
    "connection options (every command): --nats URLS (default nats://127.0.0.1:4222),\n"
    "  --cluster NAME (default hotspot), --tls-ca FILE, --tls-cert FILE --tls-key FILE,\n"
    "  --creds FILE, --nkey PUBLIC --nkey-seed FILE, --insecure (plain text beyond loopback)\n"
    "exit codes: 0 ok, 1 error (search: also a shard missing), 2 usage";

#define usage(...) cli_usage(CL, __VA_ARGS__)

typedef struct conn_args {
    const char *urls;
    hs_cluster_options o;
} conn_args;

/* Connection options anywhere in argv: consumed ones are replaced by NULL.
 * Returns -1 on success, else a usage exit code. */
static int conn_parse(conn_args *c, int argc, char **argv)
{
    hs_cluster_options def = HS_CLUSTER_OPTIONS_INIT;
    c->o = def;
    c->urls = "nats://127.0.0.1:4222";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!a)
            continue;
        const char **dst = NULL;
        if (!strcmp(a, "--insecure")) {
            c->o.flags |= HS_CLUSTER_INSECURE;
            argv[i] = NULL;
            continue;
        }
        if (!strcmp(a, "--nats"))
            dst = &c->urls;
        else if (!strcmp(a, "--cluster"))
            dst = &c->o.name;
        else if (!strcmp(a, "--tls-ca"))
            dst = &c->o.tls_ca_file;
        else if (!strcmp(a, "--tls-cert"))
            dst = &c->o.tls_cert_file;
        else if (!strcmp(a, "--tls-key"))
            dst = &c->o.tls_key_file;
        else if (!strcmp(a, "--creds"))
            dst = &c->o.creds_file;
        else if (!strcmp(a, "--nkey"))
            dst = &c->o.nkey_public;
        else if (!strcmp(a, "--nkey-seed"))
            dst = &c->o.nkey_seed_file;
        if (!dst)
            continue;
        if (i + 1 >= argc || !argv[i + 1])
            return usage("%s needs a value", a);
        *dst = argv[i + 1];
        argv[i] = argv[i + 1] = NULL;
        i++;
    }
    return -1;
}

static int fail(hs_ctx *ctx, hs_status s, const char *what)
{
    cli_error(ctx, s, what);
    return CLI_ERR;
}

/* ---- inputs --------------------------------------------------------------- */

/* A template file, or an image to extract; POS (when >= 0) overrides the
 * position of a one-view template. Every view is appended to dst. */
static hs_status add_finger(hs_ctx *ctx, hs_template *dst, const char *spec, unsigned ppi)
{
    hs_template *t = NULL;
    hs_status s = cli_load_finger(ctx, spec, ppi, &t);
    if (s)
        return s;
    s = cli_append_views(ctx, dst, t);
    hs_template_free(t);
    return s;
}

static int connect_or_fail(hs_ctx *ctx, hs_cluster **cl, const conn_args *c)
{
    hs_status s = hs_cluster_connect(ctx, cl, c->urls, &c->o);
    return s ? fail(ctx, s, c->urls) : CLI_OK;
}

/* ---- commands ------------------------------------------------------------- */

static int cl_init(hs_ctx *ctx, const conn_args *c, int argc, char **argv)
{
    unsigned shards = 0, replicas = 1;
    for (int i = 1; i < argc; i++) {
        if (!argv[i])
            continue;
        if (!strcmp(argv[i], "--shards") && i + 1 < argc) {
            if (!cli_parse_u32(argv[++i], 1, HS_CLUSTER_SHARDS_MAX, &shards))
                return usage("--shards must be 1..%d", HS_CLUSTER_SHARDS_MAX);
        } else if (!strcmp(argv[i], "--replicas") && i + 1 < argc) {
            if (!cli_parse_u32(argv[++i], 1, 5, &replicas))
                return usage("--replicas must be 1..5");
        } else {
            return usage("init: unknown argument %s", argv[i]);
        }
    }
    if (!shards)
        return usage("init: --shards N is required");
    hs_cluster *cl = NULL;
    int rc = connect_or_fail(ctx, &cl, c);
    if (rc)
        return rc;
    hs_status s = hs_cluster_init(ctx, cl, shards, replicas);
    hs_cluster_free(cl);
    if (s)
        return fail(ctx, s, "init");
    printf("cluster %s: %u shards, stream replicated %u times\n",
           c->o.name ? c->o.name : HS_CLUSTER_DEFAULT_NAME, shards, replicas);
    return CLI_OK;
}

static int cl_enrol(hs_ctx *ctx, const conn_args *c, int argc, char **argv)
{
    const char *id = NULL, *face_path = NULL;
    unsigned ppi = 0;
    int replace = 0, nfinger = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!a)
            continue;
        if (!strcmp(a, "--id") && i + 1 < argc)
            id = argv[++i];
        else if (!strcmp(a, "--replace"))
            replace = 1;
        else if (!strcmp(a, "--finger") && i + 1 < argc)
            nfinger++, i++;
        else if (!strcmp(a, "--field") && i + 1 < argc)
            i++;
        else if (!strcmp(a, "--face") && i + 1 < argc)
            face_path = argv[++i];
        else if (!strcmp(a, "--ppi") && i + 1 < argc) {
            if (!cli_parse_u32(argv[++i], 150, 2000, &ppi))
                return usage("--ppi must be 150..2000");
        } else
            return usage("enrol: unknown argument %s", a);
    }
    if (!id || (!nfinger && !face_path))
        return usage("enrol: --id ID and --finger FILE (or --face FILE) are required");
    hs_watchlist_subject *sub = NULL;
    hs_template *t = NULL;
    float *face = NULL;
    hs_cluster *cl = NULL;
    int rc = CLI_ERR;
    hs_status s = hs_watchlist_subject_new(ctx, &sub, id);
    if (s) {
        cli_error(ctx, s, "--id");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        if (!argv[i] || i + 1 >= argc)
            continue;
        if (!strcmp(argv[i], "--finger")) {
            hs_template_free(t);
            t = NULL;
            s = hs_template_new(ctx, &t);
            if (!s)
                s = add_finger(ctx, t, argv[i + 1], ppi);
            for (uint32_t v = 0; !s && v < hs_template_view_count(t); v++)
                s = hs_watchlist_subject_add_finger(ctx, sub, t, v);
            if (s) {
                cli_error(ctx, s, argv[i + 1]);
                goto out;
            }
            i++;
        } else if (!strcmp(argv[i], "--field")) {
            char kv[512];
            snprintf(kv, sizeof kv, "%s", argv[i + 1]);
            char *eq = strchr(kv, '=');
            if (!eq) {
                rc = usage("--field needs KEY=VALUE");
                goto out;
            }
            *eq = 0;
            s = hs_watchlist_subject_set_field(ctx, sub, kv, eq + 1);
            if (s) {
                cli_error(ctx, s, "--field");
                goto out;
            }
            i++;
        }
    }
    if (face_path) {
        uint32_t dim = 0, model = 0;
        s = cli_load_face(ctx, face_path, &face, &dim, &model);
        if (!s)
            s = hs_watchlist_subject_add_face(ctx, sub, face, dim, model);
        if (s) {
            cli_error(ctx, s, face_path);
            goto out;
        }
    }
    if ((rc = connect_or_fail(ctx, &cl, c)) != CLI_OK)
        goto out;
    uint64_t seq = 0;
    double t0 = cli_now_ms();
    s = replace ? hs_cluster_replace(ctx, &seq, cl, sub) : hs_cluster_enrol(ctx, &seq, cl, sub);
    if (s) {
        rc = fail(ctx, s, "enrol");
        goto out;
    }
    printf("%s %s on shard %u/%u: sequence %" PRIu64 " (%.1f ms)\n",
           replace ? "replaced" : "enrolled", id, hs_cluster_shard_of(id, hs_cluster_shards(cl)),
           hs_cluster_shards(cl), seq, cli_now_ms() - t0);
    rc = CLI_OK;
out:
    hs_cluster_free(cl);
    hs_template_free(t);
    hs_watchlist_subject_free(sub);
    free(face);
    return rc;
}

static int cl_remove(hs_ctx *ctx, const conn_args *c, int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++)
        if (argv[i]) {
            if (argv[i][0] == '-')
                return usage("remove: unknown option %s", argv[i]);
            n++;
        }
    if (!n)
        return usage("remove: ID... needed");
    hs_cluster *cl = NULL;
    int rc = connect_or_fail(ctx, &cl, c);
    if (rc)
        return rc;
    for (int i = 1; i < argc && rc == CLI_OK; i++) {
        if (!argv[i])
            continue;
        uint64_t seq = 0;
        hs_status s = hs_cluster_remove(ctx, &seq, cl, argv[i]);
        if (s)
            rc = fail(ctx, s, "remove");
        else
            printf("removed %s: sequence %" PRIu64 "\n", argv[i], seq);
    }
    hs_cluster_free(cl);
    return rc;
}

static const char *state_name(uint32_t st)
{
    return st == HS_CLUSTER_SHARD_ANSWERED ? "answered"
           : st == HS_CLUSTER_SHARD_BEHIND ? "behind"
           : st == HS_CLUSTER_SHARD_FAILED ? "failed"
                                           : "no answer";
}

static int cl_search(hs_ctx *ctx, const conn_args *c, int argc, char **argv)
{
    hs_cluster_search_options o = HS_CLUSTER_SEARCH_OPTIONS_INIT;
    const char *face_path = NULL;
    unsigned ppi = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!a)
            continue;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--exhaustive"))
            o.flags |= HS_WATCHLIST_EXHAUSTIVE;
        else if (!strcmp(a, "--hits"))
            o.flags |= HS_WATCHLIST_HITS_ONLY;
        else if (!strcmp(a, "--finger") && v)
            i++;
        else if (!strcmp(a, "--face") && v)
            face_path = argv[++i];
        else if (!strcmp(a, "--top") && v) {
            if (!cli_parse_u32(argv[++i], 1, 1000, &o.max_candidates))
                return usage("--top must be 1..1000");
        } else if (!strcmp(a, "--deadline-ms") && v) {
            if (!cli_parse_u32(argv[++i], 10, 600000, &o.deadline_ms))
                return usage("--deadline-ms must be 10..600000");
        } else if (!strcmp(a, "--after") && v) {
            if (!cli_parse_u64(argv[++i], &o.min_sequence))
                return usage("--after needs a stream sequence");
        } else if (!strcmp(a, "--ppi") && v) {
            if (!cli_parse_u32(argv[++i], 150, 2000, &ppi))
                return usage("--ppi must be 150..2000");
        } else if (!strcmp(a, "--fmr") && v) {
            char *end;
            o.fmr = strtod(argv[++i], &end);
            if (*end || !(o.fmr >= 1e-12 && o.fmr <= 0.5))
                return usage("--fmr must be 1e-12..0.5");
        } else
            return usage("search: unknown argument %s", a);
    }
    o.flags |= HS_CLUSTER_PARTIAL_OK; /* missing shards are printed, and exit 1 */
    hs_template *probe = NULL;
    float *face = NULL;
    uint32_t face_dim = 0, face_model = 0;
    hs_cluster *cl = NULL;
    hs_cluster_result *r = NULL;
    int rc = CLI_ERR;
    hs_status s = hs_template_new(ctx, &probe);
    for (int i = 1; !s && i < argc; i++)
        if (argv[i] && !strcmp(argv[i], "--finger") && i + 1 < argc) {
            s = add_finger(ctx, probe, argv[++i], ppi);
            if (s)
                cli_error(ctx, s, argv[i]);
        }
    if (s)
        goto out;
    if (face_path) {
        s = cli_load_face(ctx, face_path, &face, &face_dim, &face_model);
        if (s) {
            cli_error(ctx, s, face_path);
            goto out;
        }
        o.face_model = face_model;
    }
    uint32_t nprobe = hs_template_view_count(probe);
    if (!nprobe && !face) {
        rc = usage("search: give --finger and/or --face");
        goto out;
    }
    if ((rc = connect_or_fail(ctx, &cl, c)) != CLI_OK)
        goto out;
    rc = CLI_ERR;
    double t0 = cli_now_ms();
    s = hs_cluster_search(ctx, &r, cl, nprobe ? probe : NULL, face, face_dim, &o);
    double ms = cli_now_ms() - t0;
    if (s) {
        cli_error(ctx, s, "search");
        goto out;
    }
    uint32_t n = hs_cluster_result_count(r), ns = hs_cluster_result_shards(r);
    uint64_t subjects = 0, rescored = 0;
    for (uint32_t i = 0; i < ns; i++) {
        hs_cluster_shard_result sr = HS_CLUSTER_SHARD_RESULT_INIT;
        hs_cluster_result_shard(r, &sr, i);
        subjects += sr.subjects;
        rescored += sr.rescored;
    }
    if (json)
        printf("{\"subjects\": %" PRIu64 ", \"rescored\": %" PRIu64
               ", \"fmr\": %g, \"threshold\": %.3f, \"ms\": %.1f, \"candidates\": [",
               subjects, rescored, o.fmr, -log10(o.fmr), ms);
    else
        printf("%u shards, %" PRIu64 " subjects, %.1f ms; hit when score >= %.2f (FMR %g per "
               "subject)\n%4s  %-24s %7s %4s %7s %7s\n",
               ns, subjects, ms, -log10(o.fmr), o.fmr, "rank", "id", "score", "hit", "finger",
               "face");
    for (uint32_t i = 0; i < n; i++) {
        hs_watchlist_candidate cd = HS_WATCHLIST_CANDIDATE_INIT;
        hs_cluster_result_candidate(r, &cd, i);
        cli_print_candidate(&cd, i + 1, nprobe, json, 0);
    }
    if (json) {
        printf("%s], \"shards_answered\": [", n ? "\n" : "");
        for (uint32_t i = 0, k = 0; i < ns; i++) {
            hs_cluster_shard_result sr = HS_CLUSTER_SHARD_RESULT_INIT;
            hs_cluster_result_shard(r, &sr, i);
            if (sr.state != HS_CLUSTER_SHARD_ANSWERED)
                continue;
            printf("%s{\"shard\": %u, \"replica\": ", k++ ? ", " : "", sr.shard);
            cli_json_str(stdout, sr.replica);
            printf(", \"sequence\": %" PRIu64 ", \"subjects\": %" PRIu64 ", \"ms\": %.1f}",
                   sr.sequence, sr.subjects, sr.search_ms);
        }
        printf("], \"shards_missing\": [");
        for (uint32_t i = 0, k = 0; i < ns; i++) {
            hs_cluster_shard_result sr = HS_CLUSTER_SHARD_RESULT_INIT;
            hs_cluster_result_shard(r, &sr, i);
            if (sr.state != HS_CLUSTER_SHARD_ANSWERED)
                printf("%s{\"shard\": %u, \"state\": \"%s\"}", k++ ? ", " : "", sr.shard,
                       state_name(sr.state));
        }
        printf("], \"complete\": %s}\n", hs_cluster_result_missing(r) ? "false" : "true");
    }
    for (uint32_t i = 0; i < ns; i++) {
        hs_cluster_shard_result sr = HS_CLUSTER_SHARD_RESULT_INIT;
        hs_cluster_result_shard(r, &sr, i);
        if (sr.state != HS_CLUSTER_SHARD_ANSWERED)
            fprintf(stderr, "hotspot: cluster search: shard %u/%u: %s\n", sr.shard, ns,
                    state_name(sr.state));
    }
    rc = hs_cluster_result_missing(r) ? CLI_ERR : CLI_OK;
out:
    hs_cluster_result_free(r);
    hs_cluster_free(cl);
    hs_template_free(probe);
    free(face);
    return rc;
}

static int cl_status(hs_ctx *ctx, const conn_args *c, int argc, char **argv)
{
    unsigned wait = 500;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!argv[i])
            continue;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc) {
            if (!cli_parse_u32(argv[++i], 10, 60000, &wait))
                return usage("--wait-ms must be 10..60000");
        } else
            return usage("status: unknown argument %s", argv[i]);
    }
    hs_cluster *cl = NULL;
    int rc = connect_or_fail(ctx, &cl, c);
    if (rc)
        return rc;
    hs_cluster_status_report *st = NULL;
    hs_status s = hs_cluster_status(ctx, &st, cl, wait);
    if (s) {
        hs_cluster_free(cl);
        return fail(ctx, s, "status");
    }
    uint32_t N = hs_cluster_shards(cl), n = hs_cluster_status_replicas(st);
    if (json)
        printf("{\"shards\": %u, \"sequence\": %" PRIu64 ", \"replicas\": [", N,
               hs_cluster_status_sequence(st));
    else
        printf("cluster: %u shards, stream at sequence %" PRIu64 "\n", N,
               hs_cluster_status_sequence(st));
    uint32_t *per = calloc((size_t)N + 1, sizeof *per);
    for (uint32_t i = 0; i < n; i++) {
        hs_cluster_replica_info ri = HS_CLUSTER_REPLICA_INFO_INIT;
        hs_cluster_status_replica(st, &ri, i);
        if (per && ri.shard <= N)
            per[ri.shard]++;
        if (json) {
            printf("%s\n {\"shard\": %u, \"replica\": ", i ? "," : "", ri.shard);
            cli_json_str(stdout, ri.replica);
            printf(", \"sequence\": %" PRIu64 ", \"saved\": %" PRIu64 ", \"subjects\": %" PRIu64
                   ", \"fingers\": %" PRIu64 ", \"refused\": %" PRIu64
                   ", \"duplicates\": %" PRIu64 ", \"leader_reads\": %" PRIu64 "}",
                   ri.sequence, ri.saved_sequence, ri.subjects, ri.fingers, ri.refused,
                   ri.duplicates, ri.leader_reads);
        } else {
            printf("  shard %u/%u  %-16s sequence %-10" PRIu64 " saved %-10" PRIu64
                   " %8" PRIu64 " subjects %8" PRIu64 " fingers  %" PRIu64 " refused  %" PRIu64
                   " duplicates  %" PRIu64 " read from the leader\n",
                   ri.shard, N, ri.replica, ri.sequence, ri.saved_sequence, ri.subjects,
                   ri.fingers, ri.refused, ri.duplicates, ri.leader_reads);
        }
    }
    int missing = 0;
    for (uint32_t i = 1; per && i <= N; i++)
        if (!per[i]) {
            missing++;
            if (!json)
                printf("  shard %u/%u  NO REPLICA ANSWERED\n", i, N);
        }
    if (json)
        printf("%s], \"shards_without_replica\": %d}\n", n ? "\n" : "", missing);
    free(per);
    hs_cluster_status_free(st);
    hs_cluster_free(cl);
    return missing ? CLI_ERR : CLI_OK;
}

static int cl_load(hs_ctx *ctx, const conn_args *c, int argc, char **argv)
{
    const char *path = NULL;
    uint32_t flags = 0;
    for (int i = 1; i < argc; i++) {
        if (!argv[i])
            continue;
        if (!strcmp(argv[i], "--replace"))
            flags |= HS_CLUSTER_LOAD_REPLACE;
        else if (argv[i][0] == '-' || path)
            return usage("load: LIST [--replace], not %s", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return usage("load: LIST missing");
    hs_watchlist *wl = NULL;
    hs_status s = hs_watchlist_load(ctx, &wl, path);
    if (s)
        return fail(ctx, s, path);
    hs_cluster *cl = NULL;
    int rc = connect_or_fail(ctx, &cl, c);
    if (!rc) {
        uint64_t seq = 0;
        double t0 = cli_now_ms();
        s = hs_cluster_load(ctx, &seq, cl, wl, flags);
        double ms = cli_now_ms() - t0;
        if (s)
            rc = fail(ctx, s, "load");
        else
            printf("loaded %" PRIu64 " subjects in %.1f s (%.0f per second): sequence %" PRIu64
                   "\n",
                   hs_watchlist_count(wl), ms / 1000,
                   ms > 0 ? (double)hs_watchlist_count(wl) * 1000 / ms : 0.0, seq);
    }
    hs_cluster_free(cl);
    hs_watchlist_free(wl);
    return rc;
}

/* ---- deferred checks ------------------------------------------------------- */

static int cl_submit(hs_ctx *ctx, const conn_args *c, int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!argv[i])
            continue;
        if (argv[i][0] == '-' || path)
            return usage("submit: BATCH, not %s", argv[i]);
        path = argv[i];
    }
    if (!path)
        return usage("submit: BATCH missing");
    void *data = NULL;
    size_t size = 0;
    hs_status s = hs_file_read(ctx, &data, &size, path);
    if (s)
        return fail(ctx, s, path);
    hs_cluster *cl = NULL;
    int rc = connect_or_fail(ctx, &cl, c);
    if (!rc) {
        hs_cluster_submit_info info = HS_CLUSTER_SUBMIT_INFO_INIT;
        s = hs_cluster_submit(ctx, &info, cl, data, size);
        if (s) {
            rc = fail(ctx, s, path);
        } else {
            char dev[65];
            cli_hex(dev, info.device_public, 32);
            printf("submitted %u encounters of device %.16s: %u messages (%u held already), "
                   "intake sequence %" PRIu64 "\n",
                   info.records, dev, info.messages, info.duplicates, info.sequence);
        }
    }
    hs_cluster_free(cl);
    hs_file_free(ctx, data, size);
    return rc;
}

static const char *outcome_name(uint32_t o)
{
    switch (o) {
    case HS_CLUSTER_OUTCOME_SEARCHED: return "searched";
    case HS_CLUSTER_OUTCOME_STORED: return "stored";
    case HS_CLUSTER_OUTCOME_REPLAYED: return "replayed";
    case HS_CLUSTER_OUTCOME_INCOMPLETE: return "incomplete";
    default: return "refused";
    }
}

/* SIGTERM or SIGINT pending (they are blocked while the worker runs). */
static bool stop_pending(void)
{
    sigset_t pend;
    sigemptyset(&pend);
    sigpending(&pend);
    return sigismember(&pend, SIGTERM) || sigismember(&pend, SIGINT);
}

/* A service's start (shard, intake worker) that failed with status s: true
 * when JetStream cannot answer yet (HS_ERR_UNAVAILABLE) and no stop signal
 * is pending, after saying so and waiting a second: try again. */
static bool try_again(hs_ctx *ctx, hs_status s, const char *what)
{
    if (s != HS_ERR_UNAVAILABLE || stop_pending())
        return false;
    cli_error(ctx, s, what);
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    return true;
}

/* hotspot cluster intake: the central worker, until SIGTERM/SIGINT (or,
 * with --until-idle MS, until no batch came for that long). */
static int cl_intake(hs_ctx *ctx, const conn_args *c, int argc, char **argv)
{
    const char *auth = NULL, *devices = NULL, *seen = NULL;
    hs_cluster_intake_options o = HS_CLUSTER_INTAKE_OPTIONS_INIT;
    unsigned idle = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!a)
            continue;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--authority") && v)
            auth = argv[++i];
        else if (!strcmp(a, "--devices") && v)
            devices = argv[++i];
        else if (!strcmp(a, "--seen") && v)
            seen = argv[++i];
        else if (!strcmp(a, "--exhaustive"))
            o.flags |= HS_WATCHLIST_EXHAUSTIVE;
        else if (!strcmp(a, "--top") && v) {
            if (!cli_parse_u32(argv[++i], 1, 1000, &o.max_candidates))
                return usage("--top must be 1..1000");
        } else if (!strcmp(a, "--deadline-ms") && v) {
            if (!cli_parse_u32(argv[++i], 10, 600000, &o.deadline_ms))
                return usage("--deadline-ms must be 10..600000");
        } else if (!strcmp(a, "--retry-ms") && v) {
            if (!cli_parse_u32(argv[++i], 100, 86400000, &o.retry_ms))
                return usage("--retry-ms must be 100..86400000");
        } else if (!strcmp(a, "--ack-wait-ms") && v) {
            if (!cli_parse_u32(argv[++i], 1000, 3600000, &o.ack_wait_ms))
                return usage("--ack-wait-ms must be 1000..3600000");
        } else if (!strcmp(a, "--until-idle") && v) {
            if (!cli_parse_u32(argv[++i], 1, 600000, &idle))
                return usage("--until-idle must be 1..600000 ms");
        } else if (!strcmp(a, "--fmr") && v) {
            char *end;
            o.fmr = strtod(argv[++i], &end);
            if (*end || !(o.fmr >= 1e-12 && o.fmr <= 0.5))
                return usage("--fmr must be 1e-12..0.5");
        } else
            return usage("intake: unknown argument %s", a);
    }
    if (!auth || !devices || !seen)
        return usage("intake: --authority AUTH.sec, --devices DIR and --seen FILE are required");
    /* the signals are looked at between batches: a batch is never cut */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    uint8_t box_sk[32], sign_sk[64];
    hs_status s = hs_encounter_authority_load_secret(ctx, box_sk, sign_sk, auth);
    if (s)
        return fail(ctx, s, auth);
    hs_encounter_registry *reg = NULL;
    hs_cluster *cl = NULL;
    hs_cluster_intake *in = NULL;
    int rc = CLI_ERR;
    if ((s = hs_encounter_registry_load(ctx, &reg, devices)) != HS_OK) {
        cli_error(ctx, s, devices);
        goto out;
    }
    /* a worker started while JetStream cannot answer (servers down or
     * restarting) waits for it, as it does between batches */
    do {
        s = cl ? HS_OK : hs_cluster_connect(ctx, &cl, c->urls, &c->o);
        if (s == HS_OK)
            s = hs_cluster_intake_new(ctx, &in, cl, box_sk, sign_sk, reg, seen, &o);
    } while (try_again(ctx, s, "intake (trying again)"));
    if (s != HS_OK) {
        cli_error(ctx, s, "intake");
        goto out;
    }
    cli_wipe(box_sk, sizeof box_sk);
    cli_wipe(sign_sk, sizeof sign_sk);
    fprintf(stderr, "hotspot cluster intake: waiting for batches\n");
    double last = cli_now_ms();
    uint64_t total = 0;
    for (;;) {
        if (stop_pending()) {
            fprintf(stderr, "hotspot cluster intake: signal, stopping\n");
            break;
        }
        if (idle && cli_now_ms() - last >= idle)
            break;
        hs_cluster_intake_stats st = HS_CLUSTER_INTAKE_STATS_INIT;
        s = hs_cluster_intake_next(ctx, &st, in, 200);
        if (s) {
            cli_error(ctx, s, "intake");
            if (s != HS_ERR_UNAVAILABLE)
                goto out;
            struct timespec ts = {0, 500000000L}; /* the servers come back: go on */
            nanosleep(&ts, NULL);
            continue;
        }
        if (!st.messages)
            continue;
        last = cli_now_ms();
        for (uint32_t i = 0; i < hs_cluster_intake_outcomes(in); i++) {
            hs_cluster_outcome oc = HS_CLUSTER_OUTCOME_INIT;
            hs_cluster_intake_outcome(in, &oc, i);
            char id[33], dev[65];
            cli_hex(id, oc.id, 16);
            cli_hex(dev, oc.device_public, 32);
            printf("intake %" PRIu64 " [%u] %s device %.16s %-10s %-12s %u candidates%s%s\n",
                   st.sequence, i, id, dev, outcome_name(oc.outcome), cli_decision_name(oc.decision),
                   oc.candidates, oc.reason[0] ? "  " : "", oc.reason);
        }
        total += st.records;
        printf("intake %" PRIu64 " (delivery %u): %u encounters: %u searched, %u stored, %u "
               "replayed, %u refused, %u incomplete; %u acks; %.1f ms\n",
               st.sequence, st.delivery, st.records, st.searched, st.stored, st.replayed,
               st.refused, st.incomplete, st.acks, st.ms);
        fflush(stdout);
    }
    fprintf(stderr, "hotspot cluster intake: %" PRIu64 " encounters processed\n", total);
    rc = CLI_OK;
out:
    cli_wipe(box_sk, sizeof box_sk);
    cli_wipe(sign_sk, sizeof sign_sk);
    hs_cluster_intake_free(in);
    hs_cluster_free(cl);
    hs_encounter_registry_free(reg);
    return rc;
}

static const char *verdict_name(uint32_t k)
{
    return k == HS_CLUSTER_VERDICT_COMPLETE     ? "complete"
           : k == HS_CLUSTER_VERDICT_INCOMPLETE ? "incomplete"
                                                : "refused";
}

/* hotspot cluster fetch: the device's verdicts and acknowledgements, checked
 * against the authority's key; the acknowledgements applied to the outbox,
 * then the fetched messages confirmed (deleted at the centre). */
static int cl_fetch(hs_ctx *ctx, const conn_args *c, int argc, char **argv)
{
    const char *prefix = NULL, *dir = NULL, *auth = NULL;
    int json = 0, confirm = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!a)
            continue;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--device") && v)
            prefix = argv[++i];
        else if (!strcmp(a, "--outbox") && v)
            dir = argv[++i];
        else if (!strcmp(a, "--authority") && v)
            auth = argv[++i];
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--no-confirm"))
            confirm = 0;
        else
            return usage("fetch: unknown argument %s", a);
    }
    if (!prefix || !dir || !auth)
        return usage("fetch: --device PREFIX, --outbox DIR and --authority AUTH.pub are required");
    uint8_t sk[64], pk[32], auth_pk[32];
    char path[4096];
    snprintf(path, sizeof path, "%s.sign.sec", prefix);
    const char *what = path;
    hs_audit *log = NULL;
    hs_outbox *ob = NULL;
    hs_cluster *cl = NULL;
    hs_cluster_inbox *ib = NULL;
    int rc = CLI_ERR;
    hs_status s = hs_device_key_load(ctx, sk, 64, path, HS_DEVICE_KEY_SECRET);
    if (!s)
        s = hs_device_sign_public(ctx, pk, sk);
    if (!s) {
        what = auth;
        s = hs_encounter_authority_load_public(ctx, NULL, auth_pk, auth);
    }
    if (!s) {
        what = dir;
        s = hs_audit_open(ctx, &log, dir, sk, NULL);
    }
    hs_outbox_options oo = HS_OUTBOX_OPTIONS_INIT;
    memcpy(oo.device_public, pk, 32);
    memcpy(oo.authority_sign_public, auth_pk, 32);
    oo.audit = log;
    if (!s)
        s = hs_outbox_open(ctx, &ob, dir, &oo);
    if (s) {
        cli_error(ctx, s, what);
        goto out;
    }
    if ((rc = connect_or_fail(ctx, &cl, c)) != CLI_OK)
        goto out;
    rc = CLI_ERR;
    if ((s = hs_cluster_fetch(ctx, &ib, cl, pk, auth_pk)) != HS_OK) {
        cli_error(ctx, s, "fetch");
        goto out;
    }
    /* the acknowledgements first: applied (or applied before) */
    uint32_t na = hs_cluster_inbox_acks(ib), acked = 0, replayed = 0;
    for (uint32_t k = 0; k < na; k++) {
        size_t n = 0;
        const uint8_t *a = hs_cluster_inbox_ack(ib, &n, k);
        uint32_t got = 0;
        s = hs_outbox_ack(ctx, ob, &got, a, n);
        if (s == HS_ERR_REPLAY) {
            replayed++;
            continue;
        }
        if (s) {
            cli_error(ctx, s, "applying an acknowledgement to the outbox (nothing confirmed)");
            goto out;
        }
        acked += got;
    }
    uint32_t nv = hs_cluster_inbox_verdicts(ib), nr = hs_cluster_inbox_refused(ib);
    if (json)
        printf("{\"verdicts\": [");
    for (uint32_t i = 0; i < nv; i++) {
        hs_cluster_verdict v = HS_CLUSTER_VERDICT_INIT;
        hs_cluster_inbox_verdict(ib, &v, i);
        char id[33];
        cli_hex(id, v.id, 16);
        if (json) {
            printf("%s\n {\"id\": \"%s\", \"state\": \"%s\", \"decision\": \"%s\", "
                   "\"time_ms\": %" PRId64 ", \"gallery_sequence\": %" PRIu64
                   ", \"shards\": %u, \"missing\": %u, \"fingers\": %u, \"reason\": ",
                   i ? "," : "", id, verdict_name(v.kind), cli_decision_name(v.decision),
                   v.time_ms, v.gallery_sequence, v.shards, v.missing, v.fingers);
            cli_json_str(stdout, v.reason);
            printf(", \"candidates\": [");
        } else {
            printf("%s  %-10s %-12s %u candidates%s%s\n", id, verdict_name(v.kind),
                   cli_decision_name(v.decision), v.candidates, v.reason[0] ? "  " : "", v.reason);
        }
        for (uint32_t j = 0; j < v.candidates; j++) {
            const char *cid = NULL;
            double score = 0;
            uint32_t hit = 0;
            hs_cluster_inbox_candidate(ib, &cid, &score, &hit, i, j);
            if (json) {
                printf("%s{\"rank\": %u, \"id\": ", j ? ", " : "", j + 1);
                cli_json_str(stdout, cid);
                printf(", \"score\": %.4f, \"hit\": %s}", score, hit ? "true" : "false");
            } else {
                printf("    %3u  %-24s %8.3f %s\n", j + 1, cid, score, hit ? "HIT" : "");
            }
        }
        if (json)
            printf("]}");
    }
    if (json) {
        printf("%s], \"refused\": [", nv ? "\n" : "");
        for (uint32_t k = 0; k < nr; k++) {
            printf("%s", k ? ", " : "");
            cli_json_str(stdout, hs_cluster_inbox_refusal(ib, k));
        }
        printf("], \"acks\": %u, \"acks_replayed\": %u, \"acknowledged\": %u, "
               "\"outbox_left\": %u, \"confirmed\": %s}\n",
               na, replayed, acked, hs_outbox_count(ob), confirm ? "true" : "false");
    } else {
        for (uint32_t k = 0; k < nr; k++)
            printf("REFUSED %s\n", hs_cluster_inbox_refusal(ib, k));
        printf("%u verdicts, %u acknowledgements (%u applied before): %u encounters "
               "acknowledged, %u left in the outbox; %u messages refused\n",
               nv, na, replayed, acked, hs_outbox_count(ob), nr);
    }
    for (uint32_t k = 0; k < nr; k++)
        fprintf(stderr, "hotspot: cluster fetch: refused %s\n", hs_cluster_inbox_refusal(ib, k));
    if (confirm && (s = hs_cluster_fetch_confirm(ctx, cl, ib)) != HS_OK) {
        cli_error(ctx, s, "confirm");
        goto out;
    }
    rc = nr ? CLI_ERR : CLI_OK;
out:
    cli_wipe(sk, sizeof sk);
    hs_cluster_inbox_free(ib);
    hs_cluster_free(cl);
    hs_outbox_close(ob);
    hs_audit_close(log);
    return rc;
}

int cmd_cluster(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        fprintf(argc < 2 ? stderr : stdout, "%s\n", usage_text);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    conn_args c;
    int rc = conn_parse(&c, argc - 1, argv + 1);
    if (rc >= 0)
        return rc;
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "init"))
        rc = cl_init(ctx, &c, argc - 1, argv + 1);
    else if (!strcmp(sub, "enrol") || !strcmp(sub, "enroll"))
        rc = cl_enrol(ctx, &c, argc - 1, argv + 1);
    else if (!strcmp(sub, "remove"))
        rc = cl_remove(ctx, &c, argc - 1, argv + 1);
    else if (!strcmp(sub, "search"))
        rc = cl_search(ctx, &c, argc - 1, argv + 1);
    else if (!strcmp(sub, "status"))
        rc = cl_status(ctx, &c, argc - 1, argv + 1);
    else if (!strcmp(sub, "load"))
        rc = cl_load(ctx, &c, argc - 1, argv + 1);
    else if (!strcmp(sub, "submit"))
        rc = cl_submit(ctx, &c, argc - 1, argv + 1);
    else if (!strcmp(sub, "intake"))
        rc = cl_intake(ctx, &c, argc - 1, argv + 1);
    else if (!strcmp(sub, "fetch"))
        rc = cl_fetch(ctx, &c, argc - 1, argv + 1);
    else
        rc = usage("unknown cluster command '%s'", sub);
    hs_ctx_free(ctx);
    return rc;
}

/* hotspot shard: serve one replica of one shard until SIGTERM or SIGINT. */
int cmd_shard(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
        printf("%s\n", usage_text);
        return CLI_OK;
    }
    conn_args c;
    int rc = conn_parse(&c, argc, argv);
    if (rc >= 0)
        return rc;
    hs_cluster_shard_options so = HS_CLUSTER_SHARD_OPTIONS_INIT;
    unsigned shard = 0, shards = 0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!a)
            continue;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--shard") && v) {
            char *end;
            errno = 0;
            unsigned long x = strtoul(v, &end, 10), y = 0;
            if (*end == '/')
                y = strtoul(end + 1, &end, 10);
            if (errno || *end || x < 1 || y < 1 || x > y || y > HS_CLUSTER_SHARDS_MAX)
                return cli_usage("shard", "--shard I/N with 1 <= I <= N <= %d, not '%s'",
                                 HS_CLUSTER_SHARDS_MAX, v);
            shard = (unsigned)x;
            shards = (unsigned)y;
            i++;
        } else if (!strcmp(a, "--data") && v) {
            dir = argv[++i];
        } else if (!strcmp(a, "--replica") && v) {
            so.replica = argv[++i];
        } else if (!strcmp(a, "--threads") && v) {
            if (!cli_parse_u32(argv[++i], 1, 64, &so.threads))
                return cli_usage("shard", "--threads must be 1..64");
        } else if (!strcmp(a, "--save-interval-ms") && v) {
            if (!cli_parse_u32(argv[++i], 100, 3600000, &so.save_interval_ms))
                return cli_usage("shard", "--save-interval-ms must be 100..3600000");
        } else {
            return cli_usage("shard", "unknown argument %s", a);
        }
    }
    if (!shard || !dir)
        return cli_usage("shard", "--shard I/N and --data DIR are required");
    if (!cli_mkdirs(dir)) {
        fprintf(stderr, "hotspot: shard: cannot create %s\n", dir);
        return CLI_ERR;
    }
    /* the signals go to sigwait below, never to the library's threads */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK)
        return CLI_ERR;
    hs_cluster_shard *sh = NULL;
    hs_status s;
    /* started while JetStream cannot answer (servers down or restarting):
     * wait for it rather than leave the shard to a supervisor */
    do
        s = hs_cluster_shard_new(ctx, &sh, c.urls, shard, shards, dir, &c.o, &so);
    while (try_again(ctx, s, "shard (trying again)"));
    if (s) {
        rc = fail(ctx, s, "shard");
        hs_ctx_free(ctx);
        return rc;
    }
    fprintf(stderr, "hotspot shard %u/%u: %" PRIu64 " subjects, sequence %" PRIu64
                    ", serving\n",
            shard, shards, hs_cluster_shard_count(sh), hs_cluster_shard_sequence(sh));
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr,
            "hotspot shard %u/%u: signal %d at sequence %" PRIu64 " (%" PRIu64
            " subjects), saving and stopping\n",
            shard, shards, sig, hs_cluster_shard_sequence(sh), hs_cluster_shard_count(sh));
    /* saved here first so that a failure (disk full, no permission) is
     * said and ends in an error; the free saves again only what was
     * applied since, and the next start replays the rest from the stream */
    rc = CLI_OK;
    if ((s = hs_cluster_shard_save(ctx, sh)) != HS_OK)
        rc = fail(ctx, s, "shard: saving the partition");
    hs_cluster_shard_free(sh);
    hs_ctx_free(ctx);
    return rc;
}
