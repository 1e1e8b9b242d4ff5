/* hotspot authority keygen; hotspot encounter make|batch|show|open|ack-verify
 *
 * The central authority's keys (docs/encounter-format.md): PREFIX.pub
 * (box + signing public keys, for devices) and PREFIX.sec (mode 0600).
 * Device signing keys are raw files: PREFIX.sign.pub (32 bytes Ed25519
 * public key), PREFIX.sign.sec (64 bytes, libsodium's secret key layout),
 * as `hotspot device keygen PREFIX` writes them. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define ENC "encounter"

static const char *const usage_text =
    "usage: hotspot encounter <command> ...\n"
    "  make --authority AUTH.pub --device-key DEVICE.sec --out SEALED\n"
    "       [--finger POS:IMAGE]... [--face IMAGE] [--field KEY=VALUE]... [--shown TEXT]\n"
    "       [--device-id ID] [--operator ID] [--location CODE] [--reason TEXT]\n"
    "       [--watchlist-version N] [--candidate ID:SCORE[:hit]]...\n"
    "       [--decision no_hit|hit|possible_hit|not_searched] [--tot CPS|NPS]\n"
    "  batch --out BATCH SEALED...\n"
    "  show FILE... [--json]          receipts of sealed encounters or batches\n"
    "  open BATCH --authority AUTH.sec --devices DIR --out DIR --receipt RECEIPT [--seen FILE]\n"
    "  ack-verify RECEIPT --authority AUTH.pub --device DEVICE.pub [--json]";

#define usage(...) cli_usage(ENC, __VA_ARGS__)


static int fail(hs_ctx *ctx, hs_status s, const char *what)
{
    cli_error(ctx, s, what);
    return CLI_ERR;
}

/* A raw key file of exactly n bytes. */
static hs_status read_raw(hs_ctx *ctx, const char *path, uint8_t *key, size_t n)
{
    void *data = NULL;
    size_t size = 0;
    hs_status s = hs_file_read(ctx, &data, &size, path);
    if (s)
        return s;
    if (size != n)
        s = cli_fail(HS_ERR_FORMAT, "%s: %zu bytes, a key file of %zu expected", path, size, n);
    else
        memcpy(key, data, n);
    hs_file_free(ctx, data, size);
    return s;
}

static void iso_time(char *buf, size_t size, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(buf, size, "%lld ms", (long long)ms);
        return;
    }
    size_t l = strlen(buf);
    snprintf(buf + l, size - l, ".%03dZ", (int)(ms % 1000));
}

/* ---- authority keygen ----------------------------------------------------- */

int cmd_authority(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
        printf("usage: hotspot authority keygen PREFIX\n"
               "  writes PREFIX.pub (for devices) and PREFIX.sec (mode 0600); refuses to "
               "overwrite\n");
        return CLI_OK;
    }
    if (argc != 3 || strcmp(argv[1], "keygen"))
        return cli_usage("authority", "usage: hotspot authority keygen PREFIX");
    uint8_t bp[32], bs[32], sp[32], ss[64];
    hs_status s = hs_encounter_keygen_authority(bp, bs, sp, ss);
    if (s) {
        fprintf(stderr, "hotspot: authority keygen: %s\n", hs_status_str(s));
        return CLI_ERR;
    }
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL)) {
        cli_wipe(bs, sizeof bs);
        cli_wipe(ss, sizeof ss);
        return CLI_ERR;
    }
    size_t n = strlen(argv[2]) + 5;
    char *pub = malloc(n), *sec = malloc(n);
    int rc = CLI_ERR;
    if (pub && sec) {
        snprintf(pub, n, "%s.pub", argv[2]);
        snprintf(sec, n, "%s.sec", argv[2]);
        s = hs_encounter_authority_save(ctx, pub, sec, bp, bs, sp, ss);
        if (s)
            cli_error(ctx, s, "authority keygen");
        else {
            printf("authority keys: %s (secret, mode 0600), %s (public: box X25519 + signing "
                   "Ed25519)\n",
                   sec, pub);
            rc = CLI_OK;
        }
    }
    free(pub);
    free(sec);
    cli_wipe(bs, sizeof bs);
    cli_wipe(ss, sizeof ss);
    hs_ctx_free(ctx);
    return rc;
}

/* ---- make ------------------------------------------------------------------------ */

static int enc_make(hs_ctx *ctx, int argc, char **argv)
{
    const char *auth = NULL, *devkey = NULL, *out = NULL;
    hs_encounter *e = NULL;
    hs_status s = hs_encounter_new(ctx, &e);
    if (s)
        return fail(ctx, s, "encounter make");
    hs_encounter_seal_options o = HS_ENCOUNTER_SEAL_OPTIONS_INIT;
    int rc = CLI_ERR;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            rc = usage("make: %s needs a value", a);
            goto done;
        }
        i++;
        if (!strcmp(a, "--authority"))
            auth = v;
        else if (!strcmp(a, "--device-key"))
            devkey = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--finger")) {
            const char *colon = strchr(v, ':');
            unsigned pos = 0;
            char num[8] = "";
            if (!colon || (size_t)(colon - v) >= sizeof num) {
                rc = usage("make: --finger POS:IMAGE (POS 1-10)");
                goto done;
            }
            memcpy(num, v, (size_t)(colon - v));
            num[colon - v] = 0;
            if (!cli_parse_u32(num, 1, 10, &pos)) {
                rc = usage("make: finger position '%s' outside 1-10", num);
                goto done;
            }
            hs_image *img = NULL;
            s = hs_image_load(ctx, &img, colon + 1, 0);
            if (!s) {
                if (!hs_image_ppi(img))
                    hs_image_set_ppi(img, 500);
                s = hs_encounter_add_finger_image(ctx, e, img, pos, 255);
            }
            hs_image_free(img);
            if (s) {
                rc = fail(ctx, s, colon + 1);
                goto done;
            }
        } else if (!strcmp(a, "--face")) {
            hs_image *img = NULL;
            s = hs_image_load(ctx, &img, v, 0);
            if (!s)
                s = hs_encounter_set_face(ctx, e, img);
            hs_image_free(img);
            if (s) {
                rc = fail(ctx, s, v);
                goto done;
            }
        } else if (!strcmp(a, "--field")) {
            const char *eq = strchr(v, '=');
            char key[64];
            if (!eq || (size_t)(eq - v) >= sizeof key) {
                rc = usage("make: --field KEY=VALUE");
                goto done;
            }
            memcpy(key, v, (size_t)(eq - v));
            key[eq - v] = 0;
            if ((s = hs_encounter_set_field(ctx, e, key, eq + 1)) != HS_OK) {
                rc = fail(ctx, s, "--field");
                goto done;
            }
        } else if (!strcmp(a, "--shown") || !strcmp(a, "--device-id") ||
                   !strcmp(a, "--operator") || !strcmp(a, "--location") ||
                   !strcmp(a, "--reason")) {
            hs_encounter_text k = !strcmp(a, "--shown")       ? HS_ENCOUNTER_TEXT_SHOWN
                                  : !strcmp(a, "--device-id") ? HS_ENCOUNTER_TEXT_DEVICE_ID
                                  : !strcmp(a, "--operator")  ? HS_ENCOUNTER_TEXT_OPERATOR_ID
                                  : !strcmp(a, "--location")  ? HS_ENCOUNTER_TEXT_LOCATION
                                                              : HS_ENCOUNTER_TEXT_REASON;
            if ((s = hs_encounter_set_text(ctx, e, k, v)) != HS_OK) {
                rc = fail(ctx, s, a);
                goto done;
            }
        } else if (!strcmp(a, "--watchlist-version")) {
            uint64_t ver = 0;
            if (!cli_parse_u64(v, &ver)) {
                rc = usage("make: --watchlist-version N");
                goto done;
            }
            hs_encounter_set_watchlist_version(ctx, e, ver);
        } else if (!strcmp(a, "--candidate")) {
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            char *c1 = strchr(buf, ':');
            if (!c1) {
                rc = usage("make: --candidate ID:SCORE[:hit]");
                goto done;
            }
            *c1++ = 0;
            char *c2 = strchr(c1, ':');
            uint32_t hit = 0;
            if (c2) {
                *c2++ = 0;
                hit = !strcmp(c2, "hit");
            }
            char *end = NULL;
            double score = strtod(c1, &end);
            if (!end || *end || end == c1) {
                rc = usage("make: candidate score '%s' is not a number", c1);
                goto done;
            }
            if ((s = hs_encounter_add_candidate(ctx, e, buf, score, hit)) != HS_OK) {
                rc = fail(ctx, s, "--candidate");
                goto done;
            }
        } else if (!strcmp(a, "--decision")) {
            int32_t d = !strcmp(v, "no_hit")         ? HS_ENCOUNTER_NO_HIT
                        : !strcmp(v, "hit")          ? HS_ENCOUNTER_HIT
                        : !strcmp(v, "possible_hit") ? HS_ENCOUNTER_POSSIBLE_HIT
                        : !strcmp(v, "not_searched") ? HS_ENCOUNTER_NOT_SEARCHED
                                                     : -1;
            if (d < 0) {
                rc = usage("make: --decision no_hit|hit|possible_hit|not_searched");
                goto done;
            }
            hs_encounter_set_decision(ctx, e, d);
        } else if (!strcmp(a, "--tot")) {
            if (strcmp(v, "CPS") && strcmp(v, "NPS")) {
                rc = usage("make: --tot CPS or NPS");
                goto done;
            }
            memcpy(o.tot, v, 4);
        } else {
            rc = usage("make: unknown option '%s'", a);
            goto done;
        }
    }
    if (!auth || !devkey || !out) {
        rc = usage("make: --authority, --device-key and --out are required");
        goto done;
    }
    uint8_t box[32], dsk[64];
    if ((s = hs_encounter_authority_load_public(ctx, box, NULL, auth)) != HS_OK) {
        rc = fail(ctx, s, auth);
        goto done;
    }
    if ((s = read_raw(ctx, devkey, dsk, sizeof dsk)) != HS_OK) {
        rc = fail(ctx, s, devkey);
        goto done;
    }
    size_t n = 0;
    uint8_t *buf = NULL;
    s = cli_seal(ctx, &buf, &n, e, box, dsk, &o);
    cli_wipe(dsk, sizeof dsk);
    if (!s)
        s = hs_file_save(ctx, out, buf, n, HS_FILE_PRIVATE);
    free(buf);
    if (s) {
        rc = fail(ctx, s, "encounter make");
        goto done;
    }
    char idh[33];
    cli_hex(idh, hs_encounter_id(e), 16);
    printf("sealed encounter %s: %s (%zu bytes)\n", idh, out, n);
    rc = CLI_OK;
done:
    hs_encounter_free(e);
    return rc;
}

/* ---- batch --------------------------------------------------------------------- */

static int enc_batch(hs_ctx *ctx, int argc, char **argv)
{
    const char *out = NULL;
    uint32_t count = 0;
    void **data = calloc((size_t)argc, sizeof *data);
    size_t *sizes = calloc((size_t)argc, sizeof *sizes);
    int rc = CLI_ERR;
    if (!data || !sizes)
        goto done;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc) {
                rc = usage("batch: --out BATCH");
                goto done;
            }
            out = argv[++i];
            continue;
        }
        hs_status s = hs_file_read(ctx, &data[count], &sizes[count], argv[i]);
        if (s) {
            rc = fail(ctx, s, argv[i]);
            goto done;
        }
        count++;
    }
    if (!out) {
        rc = usage("batch: --out BATCH is required");
        goto done;
    }
    size_t n = 0;
    hs_status s = hs_encounter_batch_encode(ctx, NULL, &n, (const void *const *)data, sizes, count);
    uint8_t *buf = s ? NULL : malloc(n ? n : 1);
    if (!s && !buf)
        s = HS_ERR_NOMEM;
    if (!s)
        s = hs_encounter_batch_encode(ctx, buf, &n, (const void *const *)data, sizes, count);
    if (!s)
        s = hs_file_save(ctx, out, buf, n, 0);
    free(buf);
    if (s) {
        rc = fail(ctx, s, "encounter batch");
        goto done;
    }
    printf("batch of %u encounters: %s (%zu bytes)\n", count, out, n);
    rc = CLI_OK;
done:
    for (uint32_t i = 0; data && i < count; i++)
        hs_file_free(ctx, data[i], sizes[i]);
    free(data);
    free(sizes);
    return rc;
}

/* ---- show ------------------------------------------------------------------------ */

static void print_receipt(const hs_encounter_receipt *r, const char *file, uint32_t index,
                          int json, int first)
{
    char idh[33], dev[65], when[48];
    cli_hex(idh, r->id, 16);
    cli_hex(dev, r->device_public, 32);
    iso_time(when, sizeof when, r->time_ms);
    if (json) {
        printf("%s{\"file\":", first ? "" : ",");
        cli_json_str(stdout, file);
        printf(",\"index\":%u,\"id\":\"%s\",\"time\":\"%s\",\"time_ms\":%lld,\"device\":\"%s\","
               "\"decision\":\"%s\",\"candidates\":%u,\"shown\":",
               index, idh, when, (long long)r->time_ms, dev, cli_decision_name(r->decision),
               r->candidate_count);
        cli_json_str(stdout, r->shown);
        printf("}");
    } else {
        printf("%s[%u] %s  %s  device %.16s...  %-12s %u candidates  \"%s\"\n", file, index, idh,
               when, dev, cli_decision_name(r->decision), r->candidate_count, r->shown);
    }
}

static void show_usage(FILE *f) { fprintf(f, "usage: hotspot encounter show FILE... [--json]\n"); }

static int enc_show(hs_ctx *ctx, int argc, char **argv)
{
    int json = 0;
    int rc = cli_file_args(argc, argv, "encounter show", show_usage, "show: no file given", &json);
    if (rc >= 0)
        return rc;
    rc = CLI_OK;
    int pos = 1, done = 0, first = 1;
    const char *file;
    if (json)
        printf("[");
    while ((file = cli_next_file(argc, argv, &pos, &done)) != NULL) {
        void *data = NULL;
        size_t size = 0;
        hs_status s = hs_file_read(ctx, &data, &size, file);
        if (!s && size >= 4 && !memcmp(data, "HSEB", 4)) {
            uint32_t count = 0;
            s = hs_encounter_batch_record(ctx, NULL, NULL, &count, data, size, UINT32_MAX);
            for (uint32_t i = 0; !s && i < count; i++) {
                const uint8_t *rec = NULL;
                size_t rn = 0;
                hs_encounter_receipt r = HS_ENCOUNTER_RECEIPT_INIT;
                s = hs_encounter_batch_record(ctx, &rec, &rn, &count, data, size, i);
                if (!s)
                    s = hs_encounter_sealed_receipt(ctx, &r, rec, rn);
                if (s) {
                    char what[64];
                    snprintf(what, sizeof what, "record %u", i);
                    cli_error(ctx, s, what);
                    rc = CLI_ERR;
                    s = HS_OK;
                    continue;
                }
                print_receipt(&r, file, i, json, first);
                first = 0;
            }
        } else if (!s) {
            hs_encounter_receipt r = HS_ENCOUNTER_RECEIPT_INIT;
            s = hs_encounter_sealed_receipt(ctx, &r, data, size);
            if (!s) {
                print_receipt(&r, file, 0, json, first);
                first = 0;
            }
        }
        hs_file_free(ctx, data, size);
        if (s) {
            cli_error(ctx, s, file);
            rc = CLI_ERR;
        }
    }
    if (json)
        printf("]\n");
    return rc;
}

/* ---- open ------------------------------------------------------------------------ */

typedef struct dev_ids {
    uint8_t key[32];
    const char *name;
    uint8_t *ids;
    uint32_t n;
} dev_ids;

static int enc_open(hs_ctx *ctx, int argc, char **argv)
{
    const char *batch = NULL, *auth = NULL, *devices = NULL, *outdir = NULL, *receipt = NULL,
               *seen_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = !strcmp(a, "--authority") ? &auth
                           : !strcmp(a, "--devices") ? &devices
                           : !strcmp(a, "--out")     ? &outdir
                           : !strcmp(a, "--receipt") ? &receipt
                           : !strcmp(a, "--seen")    ? &seen_path
                                                     : NULL;
        if (dst) {
            if (i + 1 >= argc)
                return usage("open: %s needs a value", a);
            *dst = argv[++i];
        } else if (a[0] == '-' && a[1])
            return usage("open: unknown option '%s'", a);
        else if (!batch)
            batch = a;
        else
            return usage("open: one BATCH");
    }
    if (!batch || !auth || !devices || !outdir || !receipt)
        return usage("open BATCH --authority AUTH.sec --devices DIR --out DIR --receipt RECEIPT "
                     "[--seen FILE]");
    uint8_t box_sk[32], sign_sk[64];
    hs_status s = hs_encounter_authority_load_secret(ctx, box_sk, sign_sk, auth);
    if (s)
        return fail(ctx, s, auth);
    int rc = CLI_ERR;
    hs_encounter_registry *reg = NULL;
    hs_encounter_seen *seen = NULL;
    hs_encounter_batch *b = NULL;
    void *data = NULL;
    size_t size = 0;
    dev_ids *devs = NULL;
    uint32_t ndev = 0;
    if ((s = hs_encounter_registry_load(ctx, &reg, devices)) != HS_OK) {
        fail(ctx, s, devices);
        goto done;
    }
    s = seen_path ? hs_encounter_seen_load(ctx, &seen, seen_path, HS_ENCOUNTER_SEEN_CREATE)
                  : hs_encounter_seen_new(ctx, &seen);
    if (s) {
        fail(ctx, s, seen_path ? seen_path : "seen ids");
        goto done;
    }
    if ((s = hs_file_read(ctx, &data, &size, batch)) != HS_OK ||
        (s = hs_encounter_batch_open(ctx, &b, data, size, box_sk, reg, seen, 0)) != HS_OK) {
        fail(ctx, s, batch);
        goto done;
    }
    if (!cli_mkdirs(outdir)) {
        fprintf(stderr, "hotspot: cannot create %s: %s\n", outdir, strerror(errno));
        goto done;
    }
    uint32_t count = hs_encounter_batch_count(b), opened = 0, refused = 0;
    devs = calloc(count ? count : 1, sizeof *devs);
    if (!devs)
        goto done;
    size_t plen = strlen(outdir) + 64;
    char *path = malloc(plen);
    if (!path)
        goto done;
    int write_failed = 0;
    for (uint32_t i = 0; i < count; i++) {
        const char *why = NULL;
        hs_status st = hs_encounter_batch_status(b, &why, i);
        hs_encounter_receipt r = HS_ENCOUNTER_RECEIPT_INIT;
        int has_receipt = hs_encounter_batch_receipt(b, &r, i) == HS_OK;
        char idh[33] = "?";
        if (has_receipt)
            cli_hex(idh, r.id, 16);
        if (st == HS_OK) {
            const hs_encounter *e = hs_encounter_batch_encounter(b, i);
            snprintf(path, plen, "%s/%s.an2", outdir, idh);
            hs_status ws = hs_nist_save(ctx, path, hs_encounter_batch_transaction(b, i),
                                        HS_NIST_ENCODING_TRADITIONAL, 0);
            size_t jn = 0;
            char *json = NULL;
            if (!ws)
                ws = hs_encounter_result_json(ctx, NULL, &jn, e);
            if (!ws && !(json = malloc(jn + 1)))
                ws = HS_ERR_NOMEM;
            if (!ws) {
                size_t cap = jn + 1;
                ws = hs_encounter_result_json(ctx, json, &cap, e);
            }
            snprintf(path, plen, "%s/%s.json", outdir, idh);
            if (!ws)
                ws = hs_file_save(ctx, path, json, jn, HS_FILE_PRIVATE);
            free(json);
            if (ws) {
                cli_error(ctx, ws, path);
                write_failed = 1;
                continue;
            }
            opened++;
            printf("opened  [%u] %s  %s\n", i, idh, cli_decision_name(r.decision));
        } else {
            refused++;
            printf("refused [%u] %s  %s: %s\n", i, idh, hs_status_str(st), why);
        }
        /* acknowledge what the centre holds from an authentic device: the
         * records opened now and the replays of records opened before (the
         * device may have lost the first acknowledgement) */
        if (has_receipt && (st == HS_OK || st == HS_ERR_REPLAY)) {
            uint32_t d = 0;
            while (d < ndev && memcmp(devs[d].key, r.device_public, 32))
                d++;
            if (d == ndev) {
                memcpy(devs[d].key, r.device_public, 32);
                hs_encounter_registry_lookup(reg, &devs[d].name, r.device_public);
                devs[d].ids = malloc((size_t)count * 16);
                if (!devs[d].ids) {
                    free(path);
                    goto done;
                }
                ndev++;
            }
            int dup = 0;
            for (uint32_t k = 0; k < devs[d].n; k++)
                dup |= !memcmp(devs[d].ids + 16 * k, r.id, 16);
            if (!dup)
                memcpy(devs[d].ids + 16 * devs[d].n++, r.id, 16);
        }
    }
    free(path);
    if (write_failed)
        goto done;
    /* the opened content is stored: now the seen ids, then the acks */
    if (seen_path && (s = hs_encounter_seen_save(ctx, seen_path, seen)) != HS_OK) {
        fail(ctx, s, seen_path);
        goto done;
    }
    size_t rlen = strlen(receipt) + 80;
    char *rpath = malloc(rlen);
    if (!rpath)
        goto done;
    for (uint32_t d = 0; d < ndev; d++) {
        if (ndev == 1)
            snprintf(rpath, rlen, "%s", receipt);
        else
            snprintf(rpath, rlen, "%s.%s", receipt, devs[d].name ? devs[d].name : "device");
        size_t an = 0;
        s = hs_encounter_ack_make(ctx, NULL, &an, devs[d].key, devs[d].ids, devs[d].n, sign_sk);
        uint8_t *ack = s ? NULL : malloc(an);
        if (!s && !ack)
            s = HS_ERR_NOMEM;
        if (!s)
            s = hs_encounter_ack_make(ctx, ack, &an, devs[d].key, devs[d].ids, devs[d].n, sign_sk);
        if (!s)
            s = hs_file_save(ctx, rpath, ack, an, 0);
        free(ack);
        if (s) {
            fail(ctx, s, rpath);
            free(rpath);
            goto done;
        }
        printf("acknowledgement for %s (%u encounters): %s\n",
               devs[d].name ? devs[d].name : "device", devs[d].n, rpath);
    }
    free(rpath);
    printf("%u opened, %u refused\n", opened, refused);
    rc = refused ? CLI_ERR : CLI_OK;
done:
    for (uint32_t d = 0; devs && d < ndev; d++)
        free(devs[d].ids);
    free(devs);
    cli_wipe(box_sk, sizeof box_sk);
    cli_wipe(sign_sk, sizeof sign_sk);
    hs_encounter_batch_free(b);
    hs_file_free(ctx, data, size);
    hs_encounter_seen_free(seen);
    hs_encounter_registry_free(reg);
    return rc;
}

/* ---- ack-verify ---------------------------------------------------------------------- */

static int enc_ack_verify(hs_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL, *auth = NULL, *dev = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--authority") && i + 1 < argc)
            auth = argv[++i];
        else if (!strcmp(argv[i], "--device") && i + 1 < argc)
            dev = argv[++i];
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            return usage("ack-verify RECEIPT --authority AUTH.pub --device DEVICE.pub [--json]");
    }
    if (!file || !auth || !dev)
        return usage("ack-verify RECEIPT --authority AUTH.pub --device DEVICE.pub [--json]");
    uint8_t asp[32], dpk[32];
    hs_status s = hs_encounter_authority_load_public(ctx, NULL, asp, auth);
    if (s)
        return fail(ctx, s, auth);
    if ((s = read_raw(ctx, dev, dpk, 32)) != HS_OK)
        return fail(ctx, s, dev);
    void *data = NULL;
    size_t size = 0;
    hs_encounter_ack *a = NULL;
    s = hs_file_read(ctx, &data, &size, file);
    if (!s)
        s = hs_encounter_ack_verify(ctx, &a, data, size, asp, dpk);
    hs_file_free(ctx, data, size);
    if (s)
        return fail(ctx, s, file);
    char when[48], nonce[33], idh[33];
    iso_time(when, sizeof when, hs_encounter_ack_time(a));
    cli_hex(nonce, hs_encounter_ack_nonce(a), 16);
    uint32_t n = hs_encounter_ack_count(a);
    if (json)
        printf("{\"time\":\"%s\",\"nonce\":\"%s\",\"ids\":[", when, nonce);
    else
        printf("acknowledgement of %s, nonce %s: %u encounters\n", when, nonce, n);
    for (uint32_t i = 0; i < n; i++) {
        cli_hex(idh, hs_encounter_ack_id(a, i), 16);
        if (json)
            printf("%s\"%s\"", i ? "," : "", idh);
        else
            printf("  %s\n", idh);
    }
    if (json)
        printf("]}\n");
    hs_encounter_ack_free(a);
    return CLI_OK;
}

int cmd_encounter(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        if (argc >= 2) {
            printf("%s\n", usage_text);
            return CLI_OK;
        }
        fprintf(stderr, "%s\n", usage_text);
        return CLI_USAGE;
    }
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    const char *sub = argv[1];
    int rc;
    if (!strcmp(sub, "make"))
        rc = enc_make(ctx, argc - 1, argv + 1);
    else if (!strcmp(sub, "batch"))
        rc = enc_batch(ctx, argc - 1, argv + 1);
    else if (!strcmp(sub, "show"))
        rc = enc_show(ctx, argc - 1, argv + 1);
    else if (!strcmp(sub, "open"))
        rc = enc_open(ctx, argc - 1, argv + 1);
    else if (!strcmp(sub, "ack-verify"))
        rc = enc_ack_verify(ctx, argc - 1, argv + 1);
    else
        rc = usage("unknown encounter command '%s'", sub);
    hs_ctx_free(ctx);
    return rc;
}
