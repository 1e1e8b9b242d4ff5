/* hotspot device keygen | hotspot audit show|verify|export, and the device
 * options the watchlist commands take (--storage-key, --audit, --device).
 *
 * Device key files (raw binary, written by `device keygen PREFIX`):
 *   PREFIX.sign.sec     Ed25519 secret key, 64 bytes, mode 0600
 *   PREFIX.sign.pub     Ed25519 public key, 32 bytes (the centre enrols it)
 *   PREFIX.storage.key  XChaCha20-Poly1305 storage key, 32 bytes, mode 0600
 * The X25519 key pair packages are sealed to (`watchlist keygen --device
 * PREFIX`: PREFIX.pub, PREFIX.sec) may share the prefix.
 *
 * Audit heads (`audit verify --save-head`, `--anchor`) are one text line:
 *   hotspot-audit-head 1 LOG_ID_HEX COUNT LAST_HASH_HEX TIME_MS */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


static void key_path(char *buf, size_t n, const char *prefix, const char *suffix)
{
    snprintf(buf, n, "%s.%s", prefix, suffix);
}

/* ---- device keygen ------------------------------------------------------------ */

static int device_keygen(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage("device", "keygen PREFIX");
    const char *prefix = argv[1];
    char sec[4096], pub[4096], sto[4096];
    key_path(sec, sizeof sec, prefix, "sign.sec");
    key_path(pub, sizeof pub, prefix, "sign.pub");
    key_path(sto, sizeof sto, prefix, "storage.key");
    struct stat st;
    const char *paths[3] = {sec, pub, sto};
    for (int i = 0; i < 3; i++)
        if (lstat(paths[i], &st) == 0) {
            fprintf(stderr, "hotspot: %s: exists; keys are never overwritten\n", paths[i]);
            return CLI_ERR;
        }
    uint8_t pk[32], sk[64], key[32];
    hs_status s = hs_device_keygen(pk, sk, key);
    if (s) {
        fprintf(stderr, "hotspot: device keygen: %s\n", hs_status_str(s));
        return CLI_ERR;
    }
    hs_ctx *ctx = NULL;
    int rc = CLI_ERR;
    const char *failed = sec;
    if ((s = hs_ctx_new(&ctx, NULL)) == HS_OK &&
        !(s = hs_device_key_save(ctx, sec, sk, 64, HS_DEVICE_KEY_SECRET)) &&
        !(s = hs_device_key_save(ctx, failed = sto, key, 32, HS_DEVICE_KEY_SECRET)) &&
        !(s = hs_device_key_save(ctx, failed = pub, pk, 32, 0))) {
        char h[65];
        cli_hex(h, pk, 32);
        printf("device keys: %s (Ed25519 secret, mode 0600), %s (public %s), %s (storage key, "
               "mode 0600)\n",
               sec, pub, h, sto);
        rc = CLI_OK;
    } else {
        cli_error(ctx, s, failed);
        /* all three or none (none of them existed before) */
        unlink(sec);
        unlink(sto);
        unlink(pub);
    }
    cli_wipe(sk, sizeof sk);
    cli_wipe(key, sizeof key);
    hs_ctx_free(ctx);
    return rc;
}

int cmd_device(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "keygen"))
        return device_keygen(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
        printf("usage: hotspot device keygen PREFIX\n");
        return CLI_OK;
    }
    return cli_usage("device", "keygen PREFIX");
}

/* ---- device options of other commands ------------------------------------------ */

int cli_device_opt(cli_device_opts *d, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    const char **dst = !strcmp(a, "--storage-key") ? &d->storage_key
                       : !strcmp(a, "--audit")     ? &d->audit_dir
                       : !strcmp(a, "--device")    ? &d->device
                                                   : NULL;
    if (!dst)
        return 0;
    if (!v) {
        cli_usage("watchlist", "%s needs a value", a);
        return -1;
    }
    *dst = v;
    (*i)++;
    return 1;
}

int cli_device_check(const cli_device_opts *d)
{
    if (d->audit_dir && !d->device) {
        cli_usage("watchlist", "--audit DIR needs --device PREFIX (PREFIX.sign.sec signs the log)");
        return -1;
    }
    return 0;
}

void cli_audit_note(const cli_device_opts *d, uint32_t event, const char *ref, int32_t decision,
                    uint32_t count, const char *detail)
{
    if (!d->audit_dir)
        return;
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL) != HS_OK)
        return;
    char p[4096];
    key_path(p, sizeof p, d->device, "sign.sec");
    uint8_t sk[64];
    hs_audit *a = NULL;
    hs_status s = hs_device_key_load(ctx, sk, sizeof sk, p, HS_DEVICE_KEY_SECRET);
    if (!s)
        s = hs_audit_open(ctx, &a, d->audit_dir, sk, NULL);
    cli_wipe(sk, sizeof sk);
    if (!s) {
        hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
        e.event = event;
        e.operator_id = getenv("HOTSPOT_OPERATOR");
        e.ref = ref;
        e.decision = decision;
        e.count = count;
        e.detail = detail;
        s = hs_audit_append(ctx, a, &e);
    }
    if (s)
        cli_error(ctx, s, "audit log");
    hs_audit_close(a);
    hs_ctx_free(ctx);
}

hs_status cli_list_load(hs_ctx *ctx, hs_watchlist **out, const char *path,
                        const cli_device_opts *d)
{
    if (!d->storage_key)
        return hs_watchlist_load(ctx, out, path);
    *out = NULL;
    uint8_t key[32];
    hs_status s = hs_device_key_load(ctx, key, sizeof key, d->storage_key, HS_DEVICE_KEY_SECRET);
    if (!s)
        s = hs_watchlist_load_encrypted(ctx, out, path, key);
    cli_wipe(key, sizeof key);
    if (s == HS_ERR_DECRYPT) {
        /* keep the message for the caller's cli_error */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", hs_ctx_last_error(ctx));
        cli_audit_note(d, HS_AUDIT_UNLOCK_FAILED, NULL, -1, 0, "installed watchlist");
        hs_ctx_set_error(ctx, s, msg);
    }
    return s;
}

hs_status cli_list_save(hs_ctx *ctx, const char *path, const hs_watchlist *wl,
                        const cli_device_opts *d)
{
    if (!d->storage_key)
        return hs_watchlist_save(ctx, path, wl);
    uint8_t key[32];
    hs_status s = hs_device_key_load(ctx, key, sizeof key, d->storage_key, HS_DEVICE_KEY_SECRET);
    if (!s)
        s = hs_watchlist_save_encrypted(ctx, path, wl, key, 0);
    cli_wipe(key, sizeof key);
    return s;
}

/* ---- audit show | verify | export ------------------------------------------------ */

/* DIR (its audit.log) or a file (a log or an export), read whole. */
static hs_status read_log(hs_ctx *ctx, const char *arg, void **data, size_t *size, char *path,
                          size_t n)
{
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(path, n, "%s/%s", arg, HS_AUDIT_FILE_NAME);
    else
        snprintf(path, n, "%s", arg);
    return hs_file_read(ctx, data, size, path);
}

static void iso_time(char *buf, size_t n, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, n, "%" PRId64, ms);
        return;
    }
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static void json_opt(const char *key, const char *v)
{
    printf(", \"%s\": ", key);
    if (v)
        cli_json_str(stdout, v);
    else
        printf("null");
}

static int audit_show(hs_ctx *ctx, int argc, char **argv)
{
    const char *arg = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] == '-')
            return cli_usage("audit", "show: unknown option %s", argv[i]);
        else if (!arg)
            arg = argv[i];
        else
            return cli_usage("audit", "show: one log only (%s)", argv[i]);
    }
    if (!arg)
        return cli_usage("audit", "show DIR|FILE [--json]");
    char path[4096];
    void *data = NULL;
    size_t size = 0;
    hs_status s = read_log(ctx, arg, &data, &size, path, sizeof path);
    hs_audit_view *v = NULL;
    if (!s)
        s = hs_audit_view_new(ctx, &v, data, size);
    hs_file_free(ctx, data, size);
    if (s) {
        cli_error(ctx, s, path);
        return CLI_ERR;
    }
    uint8_t id[16];
    uint64_t first = 0, n = hs_audit_view_count(v);
    hs_audit_view_ident(v, id, &first);
    char idh[33];
    cli_hex(idh, id, 16);
    if (json)
        printf("{\"log_id\": \"%s\", \"first_seq\": %" PRIu64 ", \"count\": %" PRIu64
               ", \"entries\": [",
               idh, first, n);
    else
        printf("%s: log %s, %" PRIu64 " entries from %" PRIu64 " (not verified: use 'audit "
               "verify')\n",
               path, idh, n, first);
    for (uint64_t i = 0; i < n; i++) {
        hs_audit_record r = HS_AUDIT_RECORD_INIT;
        if ((s = hs_audit_view_entry(ctx, &r, v, i)))
            break;
        char t[96], hh[65];
        iso_time(t, sizeof t, r.time_ms);
        cli_hex(hh, r.hash, 32);
        if (json) {
            printf("%s\n  {\"seq\": %" PRIu64 ", \"time\": \"%s\", \"time_ms\": %" PRId64
                   ", \"event\": \"%s\", \"event_code\": %u",
                   i ? "," : "", r.seq, t, r.time_ms, hs_audit_event_name(r.event),
                   (unsigned)r.event);
            json_opt("operator", r.operator_id);
            json_opt("ref", r.ref);
            printf(", \"decision\": %d, \"count\": %u", (int)r.decision, (unsigned)r.count);
            json_opt("detail", r.detail);
            printf(", \"hash\": \"%s\"}", hh);
        } else {
            printf("%6" PRIu64 "  %s  %-15s", r.seq, t, hs_audit_event_name(r.event));
            if (r.operator_id)
                printf("  operator=%s", r.operator_id);
            if (r.ref)
                printf("  ref=%s", r.ref);
            if (r.decision >= 0)
                printf("  decision=%d", (int)r.decision);
            if (r.count)
                printf("  count=%u", (unsigned)r.count);
            if (r.detail)
                printf("  detail=\"%s\"", r.detail);
            printf("\n");
        }
    }
    if (json)
        printf("\n]}\n");
    hs_audit_view_free(v);
    if (s) {
        cli_error(ctx, s, path);
        return CLI_ERR;
    }
    return CLI_OK;
}

static int read_head(hs_ctx *ctx, const char *path, hs_audit_head *h)
{
    void *data = NULL;
    size_t size = 0;
    hs_status s = hs_file_read(ctx, &data, &size, path);
    if (s) {
        cli_error(ctx, s, path);
        return -1;
    }
    char line[256] = "", idh[64], hh[128];
    if (size < sizeof line)
        memcpy(line, data, size);
    hs_file_free(ctx, data, size);
    unsigned ver;
    uint64_t count;
    long long t;
    if (sscanf(line, "hotspot-audit-head %u %63s %" SCNu64 " %127s %lld", &ver, idh, &count, hh,
               &t) != 5 ||
        ver != 1 || !cli_unhex(h->log_id, idh, 16) || !cli_unhex(h->last_hash, hh, 32)) {
        fprintf(stderr, "hotspot: %s: not an audit head file\n", path);
        return -1;
    }
    h->count = count;
    h->time_ms = t;
    return 0;
}

static int audit_verify(hs_ctx *ctx, int argc, char **argv)
{
    const char *arg = NULL, *dev = NULL, *key = NULL, *anchor = NULL, *save = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--device") && v)
            dev = argv[++i];
        else if (!strcmp(a, "--key") && v)
            key = argv[++i];
        else if (!strcmp(a, "--anchor") && v)
            anchor = argv[++i];
        else if (!strcmp(a, "--save-head") && v)
            save = argv[++i];
        else if (a[0] == '-')
            return cli_usage("audit", "verify: unknown option or missing value: %s", a);
        else if (!arg)
            arg = a;
        else
            return cli_usage("audit", "verify: one log only (%s)", a);
    }
    if (!arg || (!dev && !key))
        return cli_usage("audit", "verify DIR|FILE --device PREFIX | --key FILE.pub "
                                  "[--anchor HEAD] [--save-head HEAD] [--json]");
    char kp[4096];
    if (!key) {
        key_path(kp, sizeof kp, dev, "sign.pub");
        key = kp;
    }
    uint8_t pk[32];
    hs_status s = hs_device_key_load(ctx, pk, sizeof pk, key, 0);
    if (s) {
        cli_error(ctx, s, key);
        return CLI_ERR;
    }
    hs_audit_head head = HS_AUDIT_HEAD_INIT;
    if (anchor && read_head(ctx, anchor, &head))
        return CLI_ERR;
    char path[4096];
    void *data = NULL;
    size_t size = 0;
    if ((s = read_log(ctx, arg, &data, &size, path, sizeof path))) {
        cli_error(ctx, s, path);
        return CLI_ERR;
    }
    hs_audit_verify_info info = HS_AUDIT_VERIFY_INFO_INIT;
    s = hs_audit_verify(ctx, &info, data, size, pk, anchor ? &head : NULL);
    hs_file_free(ctx, data, size);
    char idh[33], hh[65];
    cli_hex(idh, info.head.log_id, 16);
    cli_hex(hh, info.head.last_hash, 32);
    if (json) {
        printf("{\"ok\": %s, \"status\": ", s ? "false" : "true");
        cli_json_str(stdout, hs_status_str(s));
        printf(", \"detail\": ");
        cli_json_str(stdout, s ? hs_ctx_last_error(ctx) : "");
        printf(", \"exported\": %u, \"first_seq\": %" PRIu64 ", \"verified\": %" PRIu64
               ", \"torn_bytes\": %" PRIu64,
               (unsigned)info.exported, info.first_seq, info.count, info.torn_bytes);
        if (s)
            printf(", \"bad_index\": %" PRId64 ", \"bad_offset\": %" PRId64,
                   info.bad_index == UINT64_MAX ? (int64_t)-1 : (int64_t)info.bad_index,
                   info.bad_offset == UINT64_MAX ? (int64_t)-1 : (int64_t)info.bad_offset);
        else {
            char kh[65];
            cli_hex(kh, info.key_public, 32);
            printf(", \"log_id\": \"%s\", \"count\": %" PRIu64 ", \"last_hash\": \"%s\", "
                   "\"key_public\": \"%s\"",
                   idh, info.head.count, hh, kh);
        }
        printf("}\n");
    }
    if (s) {
        if (!json)
            cli_error(ctx, s, path);
        return CLI_ERR;
    }
    if (!json) {
        printf("%s: ok, %" PRIu64 " entries verified (numbers %" PRIu64 " to %" PRIu64 ")%s, "
               "log %s\n",
               path, info.count, info.first_seq,
               info.head.count ? info.head.count - 1 : 0, info.exported ? ", an export" : "", idh);
        if (info.torn_bytes)
            printf("%s: %" PRIu64 " bytes of an incomplete last entry ignored (a writer was "
                   "interrupted; its append never returned)\n",
                   path, info.torn_bytes);
        if (!anchor)
            printf("note: without --anchor, entries cut off the end cannot be detected\n");
    }
    if (save) {
        cli_out o;
        if (cli_out_open(&o))
            return CLI_ERR;
        fprintf(o.f, "hotspot-audit-head 1 %s %" PRIu64 " %s %" PRId64 "\n", idh,
                info.head.count, hh, info.head.time_ms);
        if (cli_out_save(ctx, &o, save, 0))
            return CLI_ERR;
    }
    return CLI_OK;
}

static int audit_export(hs_ctx *ctx, int argc, char **argv)
{
    const char *dir = NULL, *dev = NULL, *out = NULL;
    uint64_t from = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--device") && v)
            dev = argv[++i];
        else if (!strcmp(a, "--out") && v)
            out = argv[++i];
        else if (!strcmp(a, "--from") && v) {
            if (!cli_parse_u64(argv[++i], &from))
                return cli_usage("audit", "--from must be an entry number, not '%s'", v);
        } else if (a[0] == '-')
            return cli_usage("audit", "export: unknown option or missing value: %s", a);
        else if (!dir)
            dir = a;
        else
            return cli_usage("audit", "export: one directory only (%s)", a);
    }
    if (!dir || !dev || !out)
        return cli_usage("audit", "export DIR --device PREFIX --out FILE [--from N]");
    char kp[4096];
    key_path(kp, sizeof kp, dev, "sign.sec");
    uint8_t sk[64];
    hs_audit *a = NULL;
    hs_status s = hs_device_key_load(ctx, sk, sizeof sk, kp, HS_DEVICE_KEY_SECRET);
    const char *failed = kp;
    if (!s) {
        failed = dir;
        s = hs_audit_open(ctx, &a, dir, sk, NULL);
    }
    cli_wipe(sk, sizeof sk);
    hs_audit_head h = HS_AUDIT_HEAD_INIT;
    size_t size = 0;
    uint8_t *buf = NULL;
    if (!s)
        s = hs_audit_head_get(ctx, &h, a);
    if (!s)
        s = hs_audit_export(ctx, NULL, &size, a, from, h.count);
    if (!s && !(buf = malloc(size)))
        s = HS_ERR_NOMEM;
    if (!s)
        s = hs_audit_export(ctx, buf, &size, a, from, h.count);
    if (!s) {
        failed = out;
        s = hs_file_save(ctx, out, buf, size, 0);
    }
    if (!s)
        printf("%s: entries %" PRIu64 "..%" PRIu64 " of %s, %zu bytes\n", out, from, h.count,
               dir, size);
    else
        cli_error(ctx, s, failed);
    free(buf);
    hs_audit_close(a);
    return s ? CLI_ERR : CLI_OK;
}

int cmd_audit(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("audit", "show|verify|export ...");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        printf("usage: hotspot audit <command> ...\n"
               "  show DIR|FILE [--json]\n"
               "  verify DIR|FILE --device PREFIX | --key FILE.pub [--anchor HEAD]\n"
               "         [--save-head HEAD] [--json]\n"
               "  export DIR --device PREFIX --out FILE [--from N]\n");
        return CLI_OK;
    }
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    int rc;
    if (!strcmp(argv[1], "show"))
        rc = audit_show(ctx, argc - 1, argv + 1);
    else if (!strcmp(argv[1], "verify"))
        rc = audit_verify(ctx, argc - 1, argv + 1);
    else if (!strcmp(argv[1], "export"))
        rc = audit_export(ctx, argc - 1, argv + 1);
    else
        rc = cli_usage("audit", "unknown audit command '%s'", argv[1]);
    hs_ctx_free(ctx);
    return rc;
}
