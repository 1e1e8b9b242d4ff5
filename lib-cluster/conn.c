/* NATS connection set-up shared by clients and shard servers. */
#include "conn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OPTIONS_SIZE_1_0 sizeof(hs_cluster_options)

double hsc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void hsc_abstime(struct timespec *ts, clockid_t clk, double ms)
{
    clock_gettime(clk, ts);
    long long ns = (long long)ts->tv_nsec + (long long)(ms * 1e6);
    ts->tv_sec += (time_t)(ns / 1000000000LL);
    ts->tv_nsec = (long)(ns % 1000000000LL);
}

void hsc_consumer_in_memory(jsConsumerConfig *cc, jsSubOptions *so)
{
    cc->Replicas = so->Config.Replicas = 1;
    cc->MemoryStorage = so->Config.MemoryStorage = true;
}

void hsc_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

hs_status hsc_struct_in(hs_ctx *ctx, void *dst, size_t cur_size, const void *src,
                        size_t min_size, const char *name)
{
    if (!src)
        return HS_OK;
    uint32_t size;
    memcpy(&size, src, sizeof size);
    if (size < min_size || size % 4)
        return hsc_error(ctx, HS_ERR_INVALID_ARG,
                         "%s: struct_size %u (from %zu, a multiple of 4; use the _INIT macro)",
                         name, size, min_size);
    if (size > cur_size) {
        const uint8_t *p = src;
        for (size_t i = cur_size; i < size; i++)
            if (p[i])
                return hsc_error(ctx, HS_ERR_UNSUPPORTED,
                                 "%s: option at byte %zu needs a newer library", name, i);
    }
    memcpy(dst, src, size < cur_size ? size : cur_size);
    memcpy(dst, &(uint32_t){(uint32_t)cur_size}, sizeof(uint32_t));
    return HS_OK;
}

hs_status hsc_struct_out(hs_ctx *ctx, void *dst, const void *src, size_t cur_size,
                         size_t min_size, const char *name)
{
    uint32_t size;
    memcpy(&size, dst, sizeof size);
    if (size < min_size || size % 4)
        return hsc_error(ctx, HS_ERR_INVALID_ARG,
                         "%s: struct_size %u (from %zu, a multiple of 4; use the _INIT macro)",
                         name, size, min_size);
    size_t n = size < cur_size ? size : cur_size;
    memcpy(dst, src, n);
    uint32_t filled = (uint32_t)n;
    memcpy(dst, &filled, sizeof filled);
    return HS_OK;
}

hs_status hsc_options(hs_ctx *ctx, hs_cluster_options *o, const hs_cluster_options *in)
{
    const hs_cluster_options def = HS_CLUSTER_OPTIONS_INIT;
    *o = def;
    hs_status s = hsc_struct_in(ctx, o, sizeof *o, in, OPTIONS_SIZE_1_0, "hs_cluster_options");
    if (s)
        return s;
    if (!o->name)
        o->name = HS_CLUSTER_DEFAULT_NAME;
    if (!hsc_name_ok(o->name, HS_CLUSTER_NAME_MAX))
        return hsc_error(ctx, HS_ERR_INVALID_ARG,
                         "cluster name: 1 to %d characters of [A-Za-z0-9_-]",
                         HS_CLUSTER_NAME_MAX);
    if (o->flags & ~HS_CLUSTER_INSECURE)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "hs_cluster_options.flags: unknown bit 0x%x",
                         o->flags & ~HS_CLUSTER_INSECURE);
    if (o->timeout_ms < 100 || o->timeout_ms > 60000)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "timeout_ms %u: 100..60000", o->timeout_ms);
    if (o->write_timeout_ms < 100 || o->write_timeout_ms > 600000)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "write_timeout_ms %u: 100..600000",
                         o->write_timeout_ms);
    if ((o->tls_cert_file != NULL) != (o->tls_key_file != NULL))
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "TLS: a certificate needs its key and back");
    if ((o->nkey_public != NULL) != (o->nkey_seed_file != NULL))
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "NKEY: the public key needs its seed file");
    return HS_OK;
}

/* JetStream's answers that say "not now": no quorum or no leader for the
 * stream, the consumer or the meta group (servers killed, restarting, or
 * electing), no peers to place on. They pass when the servers do, so the
 * caller may try again, as after a timeout (HS_ERR_UNAVAILABLE). */
static bool js_unavailable(jsErrCode je, const char *detail)
{
    switch ((int)je) {
    case JSClusterIncompleteErr:
    case JSClusterNoPeersErr:
    case JSClusterNotAssignedErr:
    case JSClusterNotAvailErr:
    case JSClusterNotLeaderErr:
    case JSRaftGeneralErr:
    case JSStreamOfflineErr:
    case JSConsumerOfflineErr:
        return true;
    default:
        /* the same answer where libnats does not pass its code on */
        return je == 0 && detail && strstr(detail, "temporarily unavailable");
    }
}

hs_status hsc_nats_error_as(hs_ctx *ctx, hs_status h, natsStatus s, const char *what)
{
    const char *detail = nats_GetLastError(NULL);
    return hsc_error(ctx, h, "%s: %s%s%s", what, natsStatus_GetText(s),
                     detail && *detail ? ": " : "", detail ? detail : "");
}

hs_status hsc_js_error(hs_ctx *ctx, natsStatus s, jsErrCode je, const char *what)
{
    hs_status h;
    switch (s) {
    case NATS_NO_MEMORY: h = HS_ERR_NOMEM; break;
    case NATS_NO_SERVER:
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NOT_YET_CONNECTED:
        h = HS_ERR_UNAVAILABLE;
        break;
    case NATS_MAX_PAYLOAD: h = HS_ERR_LIMIT; break;
    case NATS_SSL_ERROR:
    case NATS_IO_ERROR: h = HS_ERR_IO; break;
    case NATS_NOT_FOUND: h = HS_ERR_NOT_FOUND; break;
    case NATS_INVALID_ARG: h = HS_ERR_INVALID_ARG; break;
    default:
        h = js_unavailable(je, nats_GetLastError(NULL)) ? HS_ERR_UNAVAILABLE : HS_ERR_STATE;
        break;
    }
    return hsc_nats_error_as(ctx, h, s, what);
}

hs_status hsc_nats_error(hs_ctx *ctx, natsStatus s, const char *what)
{
    return hsc_js_error(ctx, s, 0, what);
}

/* Host of a URL ("nats://user:pw@host:port", "tls://[::1]:4222",
 * "host:port") into buf; false when it cannot be found. */
static bool url_host(const char *url, char *buf, size_t cap, bool *tls)
{
    const char *p = strstr(url, "://");
    *tls = p && (size_t)(p - url) == 3 && !strncmp(url, "tls", 3);
    p = p ? p + 3 : url;
    const char *at = strchr(p, '@');
    if (at)
        p = at + 1;
    size_t n;
    if (*p == '[') {
        const char *e = strchr(p, ']');
        if (!e)
            return false;
        p++;
        n = (size_t)(e - p);
    } else {
        n = strcspn(p, ":/");
    }
    if (n == 0 || n >= cap)
        return false;
    memcpy(buf, p, n);
    buf[n] = 0;
    return true;
}

static bool loopback(const char *host)
{
    return !strcmp(host, "localhost") || !strcmp(host, "::1") || !strncmp(host, "127.", 4);
}

hs_status hsc_connect(hs_ctx *ctx, hsc_conn *c, const char *urls, const hs_cluster_options *o,
                      jsPubAckHandler ack, void *ack_closure, bool send_asap)
{
    memset(c, 0, sizeof *c);
    if (!urls || !*urls || strlen(urls) > 8192)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "NATS server list empty or too long");
    c->opts = *o;
    snprintf(c->name, sizeof c->name, "%s", o->name);
    snprintf(c->stream, sizeof c->stream, "HOTSPOT_%s", o->name);
    c->opts.name = c->name;
    c->opts.tls_ca_file = c->opts.tls_cert_file = c->opts.tls_key_file = NULL;
    c->opts.creds_file = c->opts.nkey_public = c->opts.nkey_seed_file = NULL;

    char *copy = strdup(urls);
    const char *list[64];
    int n = 0;
    if (!copy)
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    hs_status hs = HS_OK;
    bool any_tls = false;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*t))
            t++;
        char host[256];
        bool tls;
        if (n == 64 || !*t || !url_host(t, host, sizeof host, &tls)) {
            hs = hsc_error(ctx, HS_ERR_INVALID_ARG, "NATS server list: bad or too many URLs");
            break;
        }
        any_tls |= tls;
        if (!tls && !o->tls_ca_file && !loopback(host) && !(o->flags & HS_CLUSTER_INSECURE)) {
            hs = hsc_error(ctx, HS_ERR_INVALID_ARG,
                           "NATS server %s is not on the loopback interface: use TLS "
                           "(tls:// or a CA file), see docs/cluster.md",
                           host);
            break;
        }
        list[n++] = t;
    }
    if (!hs && n == 0)
        hs = hsc_error(ctx, HS_ERR_INVALID_ARG, "NATS server list empty");
    if (hs) {
        free(copy);
        return hs;
    }
    natsOptions *no = NULL;
    natsStatus s = natsOptions_Create(&no);
    const char *step = "NATS options";
    if (s == NATS_OK)
        s = natsOptions_SetServers(no, list, n);
    if (s == NATS_OK)
        s = natsOptions_SetNoRandomize(no, false);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(no, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(no, 100);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(no, o->timeout_ms);
    if (s == NATS_OK)
        s = natsOptions_SetPingInterval(no, 2000);
    if (s == NATS_OK)
        s = natsOptions_SetMaxPingsOut(no, 2);
    if (s == NATS_OK)
        s = natsOptions_SetName(no, "libhotspot-cluster");
    if (s == NATS_OK && send_asap)
        s = natsOptions_SetSendAsap(no, true);
    if (s == NATS_OK && (any_tls || o->tls_ca_file))
        s = natsOptions_SetSecure(no, true);
    if (s == NATS_OK && o->tls_ca_file) {
        step = o->tls_ca_file;
        s = natsOptions_LoadCATrustedCertificates(no, o->tls_ca_file);
    }
    if (s == NATS_OK && o->tls_cert_file) {
        step = o->tls_cert_file;
        s = natsOptions_LoadCertificatesChain(no, o->tls_cert_file, o->tls_key_file);
    }
    if (s == NATS_OK && o->creds_file) {
        step = o->creds_file;
        s = natsOptions_SetUserCredentialsFromFiles(no, o->creds_file, NULL);
    }
    if (s == NATS_OK && o->nkey_public) {
        step = o->nkey_seed_file;
        s = natsOptions_SetNKeyFromSeed(no, o->nkey_public, o->nkey_seed_file);
    }
    if (s == NATS_OK) {
        step = "connecting to NATS";
        s = natsConnection_Connect(&c->nc, no);
    }
    if (s == NATS_OK) {
        step = "JetStream";
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = o->timeout_ms;
        jo.PublishAsync.MaxPending = 4096;
        jo.PublishAsync.AckHandler = ack;
        jo.PublishAsync.AckHandlerClosure = ack_closure;
        s = natsConnection_JetStream(&c->js, c->nc, &jo);
    }
    natsOptions_Destroy(no);
    free(copy);
    if (s != NATS_OK) {
        hs = hsc_nats_error(ctx, s, step);
        hsc_disconnect(c);
        return hs;
    }
    return HS_OK;
}

void hsc_disconnect(hsc_conn *c)
{
    if (c->js)
        jsCtx_Destroy(c->js);
    if (c->nc) {
        natsConnection_Close(c->nc);
        natsConnection_Destroy(c->nc);
    }
    c->js = NULL;
    c->nc = NULL;
}

hs_status hsc_stream_info(hs_ctx *ctx, hsc_conn *c, uint32_t *shards, uint64_t *last_seq)
{
    jsStreamInfo *si = NULL;
    jsErrCode je = 0;
    natsStatus s = js_GetStreamInfo(&si, c->js, c->stream, NULL, &je);
    *shards = 0;
    if (last_seq)
        *last_seq = 0;
    if (s == NATS_NOT_FOUND)
        return HS_OK;
    if (s != NATS_OK)
        return hsc_js_error(ctx, s, je, "reading the cluster's stream");
    unsigned n = 0;
    const char *d = si->Config && si->Config->Description ? si->Config->Description : "";
    const char *k = strstr(d, "shards=");
    if (k)
        n = (unsigned)strtoul(k + 7, NULL, 10);
    if (last_seq)
        *last_seq = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    if (n == 0 || n > HS_CLUSTER_SHARDS_MAX)
        return hsc_error(ctx, HS_ERR_STATE, "stream %s is not a hotspot cluster stream",
                         c->stream);
    *shards = n;
    return HS_OK;
}

void hsc_subject_update(char *buf, size_t cap, const hsc_conn *c, uint32_t shard)
{
    snprintf(buf, cap, "hs.%s.u.%u", c->name, shard);
}

void hsc_subject_search(char *buf, size_t cap, const hsc_conn *c, uint32_t shard)
{
    snprintf(buf, cap, "hs.%s.q.%u", c->name, shard);
}

void hsc_subject_status(char *buf, size_t cap, const hsc_conn *c)
{
    snprintf(buf, cap, "hs.%s.status", c->name);
}
