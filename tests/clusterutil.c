/* Local cluster processes for tests and benchmarks (clusterutil.h). */
#include "clusterutil.h"

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

static pid_t spawn(char *const argv[], const char *log)
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
    char conf[600], log[600];
    snprintf(conf, sizeof conf, "%s/n%d.conf", c->dir, i + 1);
    snprintf(log, sizeof log, "%s/n%d.log", c->dir, i + 1);
    const char *ns = cu_nats_server();
    if (!ns)
        return false;
    char *argv[] = {(char *)ns, "-c", conf, NULL};
    c->server[i] = spawn(argv, log);
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
    c->shard[s][r] = spawn(argv, log);
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

void cu_kill_server(cu_cluster *c, int i, int sig) { reap(&c->server[i], sig); }

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
        reap(&c->server[i], SIGTERM);
    active = NULL;
}

int cu_stop_and_scan_logs(const cu_cluster *c)
{
    cu_stop_all();
    int found = 0;
    for (int s = 1; s <= CU_SHARDS_MAX; s++)
        for (int r = 1; r <= CU_REPLICAS_MAX; r++) {
            char log[600], line[1024];
            snprintf(log, sizeof log, "%s/s%dr%d.log", c->dir, s, r);
            FILE *f = fopen(log, "r");
            if (!f)
                continue;
            int show = 0; /* lines of a report still to print */
            while (fgets(line, sizeof line, f)) {
                if (strstr(line, "Sanitizer") || strstr(line, "runtime error:")) {
                    if (!show)
                        found++;
                    show = 40;
                }
                if (show > 0) {
                    printf("%s: %s", log, line);
                    show--;
                }
            }
            fclose(f);
        }
    return found;
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
