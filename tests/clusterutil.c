/* Local cluster processes for tests and benchmarks (clusterutil.h). */
#include "clusterutil.h"

#include <hotspot/device.h>
#include <hotspot/encounter.h>
#include <hotspot/synth.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static cu_cluster *active; /* the cluster cu_stop_all stops */

double cu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void cu_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

const char *cu_nats_server(void)
{
    static const char *const where[] = {"/usr/sbin/nats-server", "/usr/bin/nats-server",
                                        "/usr/local/bin/nats-server"};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++)
        if (access(where[i], X_OK) == 0)
            return where[i];
    printf("SKIP: nats-server is not installed (apt-get install nats-server; tools/setup.sh)\n");
    return NULL;
}

const char *cu_cli(void)
{
    const char *cli = getenv("HS_CLI");
    if (!cli)
        printf("SKIP: HS_CLI (the hotspot tool that runs the shards) is not set\n");
    return cu_nats_server() && cli ? cli : NULL;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

pid_t cu_spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void reap(pid_t *pid, int sig)
{
    if (*pid <= 0)
        return;
    kill(*pid, sig);
    for (int i = 0; i < 1000; i++) {
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = 0;
            return;
        }
        cu_sleep_ms(10);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = 0;
}

bool cu_start_server(cu_cluster *c, int i)
{
    if (c->frozen[i] && c->server[i] > 0) {
        c->frozen[i] = false;
        return kill(c->server[i], SIGCONT) == 0;
    }
    c->frozen[i] = false;
    char conf[600], log[600];
    snprintf(conf, sizeof conf, "%s/n%d.conf", c->dir, i + 1);
    snprintf(log, sizeof log, "%s/n%d.log", c->dir, i + 1);
    const char *ns = cu_nats_server();
    if (!ns)
        return false;
    char *argv[] = {(char *)ns, "-c", conf, NULL};
    c->server[i] = cu_spawn(argv, log);
    return c->server[i] > 0;
}

bool cu_start_servers(cu_cluster *c, const char *dir, int n, const char *cli)
{
    if (n < 1 || n > CU_SERVERS_MAX)
        return false;
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->cli = cli;
    c->nservers = n;
    active = c;
    atexit(cu_stop_all);
    size_t u = 0;
    c->urls[0] = 0;
    for (int i = 0; i < n; i++) {
        c->port[i] = free_port();
        c->cport[i] = free_port();
        if (c->port[i] < 0 || c->cport[i] < 0)
            return false;
        u += (size_t)snprintf(c->urls + u, sizeof c->urls - u, "%snats://127.0.0.1:%d",
                              i ? "," : "", c->port[i]);
    }
    for (int i = 0; i < n; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/n%d.conf", dir, i + 1);
        FILE *f = fopen(path, "w");
        if (!f)
            return false;
        fprintf(f, "server_name: n%d\nlisten: 127.0.0.1:%d\n", i + 1, c->port[i]);
        if (c->max_payload > 0)
            fprintf(f, "max_payload: %d\n", c->max_payload);
        fprintf(f, "jetstream { store_dir: \"%s/n%d\", max_memory_store: 64MB, "
                   "max_file_store: 8GB }\n",
                dir, i + 1);
        if (n > 1) {
            fprintf(f, "cluster { name: hs, listen: 127.0.0.1:%d, routes: [", c->cport[i]);
            for (int j = 0; j < n; j++)
                fprintf(f, "%snats-route://127.0.0.1:%d", j ? ", " : "", c->cport[j]);
            fprintf(f, "] }\n");
        }
        fclose(f);
        if (!cu_start_server(c, i))
            return false;
    }
    return true;
}

bool cu_start_shard(cu_cluster *c, int s, int r)
{
    if (s < 1 || s > CU_SHARDS_MAX || r < 1 || r > CU_REPLICAS_MAX)
        return false;
    char shard[32], data[600], rep[32], log[600], thr[16];
    snprintf(shard, sizeof shard, "%d/%d", s, c->shards);
    snprintf(data, sizeof data, "%s/s%dr%d", c->dir, s, r);
    snprintf(rep, sizeof rep, "s%dr%d", s, r);
    snprintf(log, sizeof log, "%s/s%dr%d.log", c->dir, s, r);
    snprintf(thr, sizeof thr, "%d", c->threads > 0 ? c->threads : 1);
    char *argv[] = {(char *)c->cli, "shard", "--nats", c->urls, "--shard", shard, "--data",
                    data, "--replica", rep, "--threads", thr, "--save-interval-ms", "200", NULL};
    c->shard[s][r] = cu_spawn(argv, log);
    return c->shard[s][r] > 0;
}

hs_status cu_cluster_init(hs_ctx *ctx, const cu_cluster *c, hs_cluster **cl,
                          const hs_cluster_options *o, uint32_t shards, uint32_t replicas,
                          double limit_ms)
{
    double end = cu_now_ms() + limit_ms;
    hs_status s = HS_ERR_UNAVAILABLE;
    while (cu_now_ms() < end) {
        if (!*cl)
            s = hs_cluster_connect(ctx, cl, c->urls, o);
        if (*cl && (s = hs_cluster_init(ctx, *cl, shards, replicas)) == HS_OK)
            break;
        cu_sleep_ms(200);
    }
    return s;
}

void cu_kill_server(cu_cluster *c, int i, int sig)
{
    if (c->frozen[i] && c->server[i] > 0 && sig != SIGKILL)
        kill(c->server[i], SIGCONT); /* else the signal waits for it */
    c->frozen[i] = false;
    reap(&c->server[i], sig);
}

void cu_kill_shard(cu_cluster *c, int s, int r, int sig) { reap(&c->shard[s][r], sig); }

void cu_stop_all(void)
{
    cu_cluster *c = active;
    if (!c)
        return;
    for (int s = 0; s <= CU_SHARDS_MAX; s++)
        for (int r = 0; r <= CU_REPLICAS_MAX; r++)
            reap(&c->shard[s][r], SIGTERM);
    for (int i = 0; i < c->nservers; i++)
        cu_kill_server(c, i, SIGTERM);
    active = NULL;
}

int cu_scan_log(const char *path)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int found = 0, show = 0; /* lines of a report still to print */
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "Sanitizer") || strstr(line, "runtime error:")) {
            if (!show)
                found++;
            show = 40;
        }
        if (show > 0) {
            printf("%s: %s", path, line);
            show--;
        }
    }
    fclose(f);
    return found;
}

int cu_stop_and_scan_logs(const cu_cluster *c)
{
    cu_stop_all();
    int found = 0;
    for (int s = 1; s <= CU_SHARDS_MAX; s++)
        for (int r = 1; r <= CU_REPLICAS_MAX; r++) {
            char log[600];
            snprintf(log, sizeof log, "%s/s%dr%d.log", c->dir, s, r);
            found += cu_scan_log(log);
        }
    return found;
}

uint64_t cu_rnd(uint64_t *state)
{
    /* SplitMix64 */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int cu_rnd_below(uint64_t *state, int n) { return (int)(cu_rnd(state) % (uint64_t)n); }

int cu_servers_down(const cu_cluster *c)
{
    int n = 0;
    for (int i = 0; i < c->nservers; i++)
        n += c->server[i] <= 0 || c->frozen[i];
    return n;
}

bool cu_fault(cu_cluster *c, uint64_t *rng, double t0_ms)
{
    int down = cu_servers_down(c);
    int dead_rep = 0, live_rep = 0;
    for (int s = 1; s <= c->shards; s++)
        for (int r = 1; r <= c->replicas; r++) {
            if (c->shard[s][r] > 0)
                live_rep++;
            else
                dead_rep++;
        }
    /* weights: kill a server (while fewer than two are down), restart one,
     * kill a replica, stop one, restart one, freeze a server; with
     * HS_CHAOS_ALL_DOWN=W (weight, against 40 for a restart), the last
     * running server too, killed or frozen: the whole cluster down (not in
     * ctest's runs; docs/cluster.md) */
    const char *all = getenv("HS_CHAOS_ALL_DOWN");
    const int third = all && down == 2 && down < c->nservers ? atoi(all) : 0;
    int w[6] = {down == 0 ? 30 : down == 1 ? 20 : third > 0 ? third : 0, down ? 40 : 0,
                live_rep ? 25 : 0, live_rep ? 10 : 0, dead_rep ? 40 : 0,
                down == 0 ? 12 : down == 1 ? 8 : third > 0 ? (third + 1) / 2 : 0};
    int total = w[0] + w[1] + w[2] + w[3] + w[4] + w[5], pick = cu_rnd_below(rng, total), a = 0;
    while (pick >= w[a])
        pick -= w[a++];
    if (a == 0 || a == 1 || a == 5) {
        int cand[CU_SERVERS_MAX], n = 0;
        for (int i = 0; i < c->nservers; i++)
            if ((c->server[i] > 0 && !c->frozen[i]) == (a != 1))
                cand[n++] = i;
        int i = cand[cu_rnd_below(rng, n)];
        if (a == 0) {
            cu_kill_server(c, i, SIGKILL);
            cu_say(t0_ms, "fault: server n%d killed (%d down)", i + 1, cu_servers_down(c));
        } else if (a == 5) {
            kill(c->server[i], SIGSTOP);
            c->frozen[i] = true;
            cu_say(t0_ms, "fault: server n%d frozen (%d down)", i + 1, cu_servers_down(c));
        } else {
            const bool thaw = c->frozen[i];
            if (!cu_start_server(c, i))
                return false;
            cu_say(t0_ms, "fault: server n%d %s (%d down)", i + 1, thaw ? "continued" : "started",
                   cu_servers_down(c));
        }
    } else {
        int cs[CU_SHARDS_MAX * CU_REPLICAS_MAX], cr[CU_SHARDS_MAX * CU_REPLICAS_MAX], n = 0;
        for (int s = 1; s <= c->shards; s++)
            for (int r = 1; r <= c->replicas; r++)
                if ((c->shard[s][r] > 0) == (a != 4)) {
                    cs[n] = s;
                    cr[n++] = r;
                }
        int k = cu_rnd_below(rng, n);
        if (a == 4) {
            if (!cu_start_shard(c, cs[k], cr[k]))
                return false;
            cu_say(t0_ms, "fault: replica s%dr%d started", cs[k], cr[k]);
        } else {
            cu_kill_shard(c, cs[k], cr[k], a == 2 ? SIGKILL : SIGTERM);
            cu_say(t0_ms, "fault: replica s%dr%d %s", cs[k], cr[k], a == 2 ? "killed" : "stopped");
        }
    }
    return true;
}

bool cu_heal(cu_cluster *c, double t0_ms)
{
    for (int i = 0; i < c->nservers; i++)
        if ((c->server[i] <= 0 || c->frozen[i]) && !cu_start_server(c, i))
            return false;
    cu_sleep_ms(2000); /* the servers form their routes before the replicas join */
    for (int s = 1; s <= c->shards; s++)
        for (int r = 1; r <= c->replicas; r++)
            if (c->shard[s][r] <= 0 && !cu_start_shard(c, s, r))
                return false;
    cu_say(t0_ms, "healed: every server and replica running");
    return true;
}

void cu_say(double t0_ms, const char *fmt, ...)
{
    printf("[%7.1f s] ", (cu_now_ms() - t0_ms) / 1000.0);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static bool same_candidate(const hs_watchlist_candidate *a, const hs_watchlist_candidate *b)
{
    return b->id && !strcmp(a->id, b->id) && a->score == b->score && a->hit == b->hit &&
           a->finger_count == b->finger_count &&
           a->finger_similarity[0] == b->finger_similarity[0] &&
           a->finger_position[0] == b->finger_position[0];
}

bool cu_same_as_list(hs_cluster *cl, const hs_watchlist *wl, const hs_template *probe,
                     uint32_t flags, uint32_t deadline_ms, char *why, size_t why_size)
{
    hs_watchlist_search_options wo = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    hs_cluster_search_options co = HS_CLUSTER_SEARCH_OPTIONS_INIT;
    wo.max_candidates = co.max_candidates = 10;
    wo.flags = flags;
    co.flags = flags;
    co.deadline_ms = deadline_ms;
    hs_watchlist_result *wr = NULL;
    hs_cluster_result *cr = NULL;
    hs_ctx *ctx = NULL;
    bool same = false;
    hs_status s = hs_ctx_new(&ctx, NULL);
    if (!s)
        s = hs_watchlist_search(ctx, &wr, wl, probe, NULL, 0, &wo);
    if (!s)
        s = hs_cluster_search(ctx, &cr, cl, probe, NULL, 0, &co);
    if (s) {
        snprintf(why, why_size, "search: %s: %s", hs_status_str(s),
                 ctx ? hs_ctx_last_error(ctx) : "no context");
    } else if (hs_cluster_result_missing(cr)) {
        snprintf(why, why_size, "%u shards missing", hs_cluster_result_missing(cr));
    } else if (hs_cluster_result_count(cr) != hs_watchlist_result_count(wr)) {
        snprintf(why, why_size, "%u candidates, one list %u", hs_cluster_result_count(cr),
                 hs_watchlist_result_count(wr));
    } else {
        same = true;
        for (uint32_t i = 0; i < hs_watchlist_result_count(wr) && same; i++) {
            hs_watchlist_candidate a = HS_WATCHLIST_CANDIDATE_INIT, b = HS_WATCHLIST_CANDIDATE_INIT;
            same = hs_watchlist_result_candidate(wr, &a, i) == HS_OK &&
                   hs_cluster_result_candidate(cr, &b, i) == HS_OK && same_candidate(&a, &b);
            if (!same)
                snprintf(why, why_size, "rank %u differs (lists above)", i + 1);
        }
        for (uint32_t j = 0; !same && j < hs_watchlist_result_count(wr); j++) {
            hs_watchlist_candidate a = HS_WATCHLIST_CANDIDATE_INIT, b = HS_WATCHLIST_CANDIDATE_INIT;
            hs_watchlist_result_candidate(wr, &a, j);
            hs_cluster_result_candidate(cr, &b, j);
            printf("rank %u: one list %s %.17g %d %.9g | cluster %s %.17g %d %.9g\n", j + 1,
                   a.id, a.score, a.hit, (double)a.finger_similarity[0], b.id ? b.id : "-",
                   b.score, b.hit, (double)b.finger_similarity[0]);
        }
    }
    hs_watchlist_result_free(wr);
    hs_cluster_result_free(cr);
    hs_ctx_free(ctx);
    return same;
}

bool cu_chaos_start(hs_ctx *ctx, cu_cluster *c, const char *dir, hs_cluster **cl)
{
    const char *cli = cu_cli();
    if (!cli || !cu_start_servers(c, dir, 3, cli))
        return false;
    c->shards = 2;
    c->replicas = 2;
    hs_cluster_options o = HS_CLUSTER_OPTIONS_INIT;
    o.timeout_ms = 2000;
    o.write_timeout_ms = 8000; /* a write without quorum fails in 8 s */
    if (cu_cluster_init(ctx, c, cl, &o, 2, 3, 120000) != HS_OK)
        return false;
    for (int s = 1; s <= 2; s++)
        for (int r = 1; r <= 2; r++)
            if (!cu_start_shard(c, s, r))
                return false;
    return true;
}

hs_status cu_authority_make(hs_ctx *ctx, cu_authority *a, const char *dir)
{
    hs_status s = hs_encounter_keygen_authority(a->box_pk, a->box_sk, a->sign_pk, a->sign_sk);
    if (s)
        return s;
    uint8_t storage[32];
    if ((s = hs_device_keygen(a->dev_pk, a->dev_sk, storage)) != HS_OK)
        return s;
    snprintf(a->dir, sizeof a->dir, "%s", dir);
    mkdir(a->dir, 0755);
    snprintf(a->seen, sizeof a->seen, "%s/seen.ids", dir);
    snprintf(a->devices, sizeof a->devices, "%s/devices", dir);
    mkdir(a->devices, 0755);
    snprintf(a->auth_sec, sizeof a->auth_sec, "%s/auth.sec", dir);
    char path[700];
    snprintf(path, sizeof path, "%s/dev.pub", a->devices);
    if ((s = hs_file_save(ctx, path, a->dev_pk, 32, 0)) != HS_OK)
        return s;
    snprintf(path, sizeof path, "%s/auth.pub", dir);
    return hs_encounter_authority_save(ctx, path, a->auth_sec, a->box_pk, a->box_sk, a->sign_pk,
                                       a->sign_sk);
}

hs_status cu_intake_setup(hs_ctx *ctx, cu_authority *a, const char *dir, hs_synth **gen)
{
    hs_status s = cu_authority_make(ctx, a, dir);
    if (s == HS_ERR_NOT_BUILT)
        printf("SKIP: built without libsodium\n");
    if (!s && (s = hs_synth_new(ctx, gen, 20261207)) == HS_OK)
        s = hs_synth_set(*gen, HS_SYNTH_FAST, 1);
    return s;
}

hs_status cu_impression(hs_ctx *ctx, hs_synth *gen, uint32_t m, uint32_t k, hs_template **t,
                        hs_image **img)
{
    hs_synth_master *ms = NULL;
    hs_status s = hs_synth_master_new(ctx, &ms, gen, m);
    if (!s)
        s = hs_synth_impression(ctx, img, t, gen, ms, k);
    hs_synth_master_free(ms);
    return s;
}

hs_status cu_load_gallery(hs_ctx *ctx, hs_cluster *cl, hs_synth *gen, uint32_t n)
{
    hs_watchlist *wl = NULL;
    hs_status s = hs_watchlist_new(ctx, &wl);
    for (uint32_t m = 0; m < n && !s; m++) {
        char id[16];
        snprintf(id, sizeof id, "G%02u", m);
        hs_watchlist_subject *sub = NULL;
        hs_template *t = NULL;
        if ((s = cu_impression(ctx, gen, m, 0, &t, NULL)) == HS_OK &&
            (s = hs_watchlist_subject_new(ctx, &sub, id)) == HS_OK &&
            (s = hs_watchlist_subject_add_finger(ctx, sub, t, 0)) == HS_OK)
            s = hs_watchlist_add(ctx, wl, sub);
        hs_watchlist_subject_free(sub);
        hs_template_free(t);
    }
    if (!s)
        s = hs_cluster_load(ctx, NULL, cl, wl, 0);
    hs_watchlist_free(wl);
    return s;
}

pid_t cu_start_worker(const cu_cluster *c, const cu_authority *a, const char *log,
                      const char *ack_wait_ms, const char *more[])
{
    char *argv[32] = {(char *)c->cli, "cluster", "intake", "--nats", (char *)c->urls,
                      "--authority", (char *)a->auth_sec, "--devices", (char *)a->devices,
                      "--seen", (char *)a->seen, "--ack-wait-ms", (char *)ack_wait_ms};
    int n = 13;
    for (int i = 0; more && more[i] && n < 31; i++)
        argv[n++] = (char *)more[i];
    argv[n] = NULL;
    return cu_spawn(argv, log);
}

void cu_view_stream(jsCtx *js, const char *stream, const char *server, cu_stream_view *v)
{
    jsStreamInfo *si = NULL;
    jsErrCode je = 0;
    memset(v, 0, sizeof *v);
    snprintf(v->text, sizeof v->text, "no stream info");
    if (js_GetStreamInfo(&si, js, stream, NULL, &je) != NATS_OK || !si->Cluster ||
        !si->Cluster->Leader) {
        jsStreamInfo_Destroy(si);
        return;
    }
    snprintf(v->leader, sizeof v->leader, "%s", si->Cluster->Leader);
    v->current = v->others = true;
    size_t len = (size_t)snprintf(v->text, sizeof v->text, "leader %s, last %llu", v->leader,
                                  (unsigned long long)si->State.LastSeq);
    for (int k = 0; k < si->Cluster->ReplicasLen; k++) {
        const jsPeerInfo *pi = si->Cluster->Replicas[k];
        const bool ok = pi->Current && !pi->Offline;
        if (!strcmp(pi->Name, server))
            v->current = ok;
        else
            v->others = v->others && ok;
        if (len < sizeof v->text)
            len += (size_t)snprintf(v->text + len, sizeof v->text - len, "; %s %s%s lag %llu",
                                    pi->Name, pi->Current ? "current" : "not current",
                                    pi->Offline ? " offline" : "", (unsigned long long)pi->Lag);
    }
    jsStreamInfo_Destroy(si);
}

void cu_consumer_server(jsCtx *js, const char *stream, const char *durable, char server[64])
{
    jsConsumerInfo *ci = NULL;
    jsErrCode je = 0;
    server[0] = 0;
    if (js_GetConsumerInfo(&ci, js, stream, durable, NULL, &je) == NATS_OK && ci->Cluster &&
        ci->Cluster->Leader)
        snprintf(server, 64, "%s", ci->Cluster->Leader);
    jsConsumerInfo_Destroy(ci);
}

/* Ask stream's leader to step down. */
static void step_down(natsConnection *nc, const char *stream)
{
    char subj[300];
    snprintf(subj, sizeof subj, "$JS.API.STREAM.LEADER.STEPDOWN.%s", stream);
    natsMsg *r = NULL;
    natsConnection_RequestString(&r, nc, subj, "", 5000);
    natsMsg_Destroy(r);
}

int cu_consumer_off_leader(cu_cluster *c, jsCtx *js, natsConnection *nc, const char *stream,
                           const char *durable, const char *const *also, char server[64],
                           cu_stream_view *v, double limit_ms)
{
    const double end = cu_now_ms() + limit_ms;
    memset(v, 0, sizeof *v);
    while (cu_now_ms() < end) {
        cu_consumer_server(js, stream, durable, server);
        const int i = server[0] == 'n' ? atoi(server + 1) - 1 : -1;
        bool ready = i >= 0 && i < c->nservers, stepped = false;
        for (int k = -1; ready && (k < 0 || (also && also[k])); k++) {
            cu_stream_view w;
            cu_view_stream(js, k < 0 ? stream : also[k], server, &w);
            if (k < 0)
                *v = w;
            if (!w.leader[0] || !w.current || !w.others) {
                ready = false; /* (electing, or catching up) */
            } else if (!strcmp(w.leader, server)) {
                step_down(nc, k < 0 ? stream : also[k]);
                ready = false;
                stepped = true;
            }
        }
        if (ready)
            return i;
        cu_sleep_ms(stepped ? 1000 : 500);
    }
    return -1;
}

bool cu_streams_current(jsCtx *js, const char *const *streams, cu_stream_view *v,
                        double limit_ms)
{
    const double end = cu_now_ms() + limit_ms;
    for (;;) {
        bool all = true;
        for (int k = 0; all && streams[k]; k++) {
            cu_view_stream(js, streams[k], "", v);
            all = v->leader[0] && v->others;
        }
        if (all)
            return true;
        if (cu_now_ms() >= end)
            return false;
        cu_sleep_ms(500);
    }
}

void cu_freeze_server(cu_cluster *c, int i)
{
    kill(c->server[i], SIGSTOP);
    c->frozen[i] = true;
}

bool cu_connect_live(const cu_cluster *c, natsConnection **nc, jsCtx **js)
{
    char urls[512];
    size_t u = 0;
    urls[0] = 0;
    for (int i = 0; i < c->nservers; i++)
        if (c->server[i] > 0 && !c->frozen[i] && u < sizeof urls)
            u += (size_t)snprintf(urls + u, sizeof urls - u, "%snats://127.0.0.1:%d",
                                  u ? "," : "", c->port[i]);
    *nc = NULL;
    *js = NULL;
    if (!u || u >= sizeof urls || natsConnection_ConnectTo(nc, urls) != NATS_OK)
        return false;
    if (natsConnection_JetStream(js, *nc, NULL) != NATS_OK) {
        natsConnection_Destroy(*nc);
        *nc = NULL;
        return false;
    }
    return true;
}
