/* hotspot check | hotspot outbox list|info|export|ack|purge|verify
 *
 * `check` is the officer's offline check: search the installed watchlist,
 * print the result, seal the encounter (fingers, face, metadata, offline
 * result) to the authority, append it to the device's outbox and record the
 * search and the append in the device's audit log (both in the outbox
 * directory). `outbox` manages what is queued: list it, export a batch for
 * the centre, apply the centre's acknowledgement, purge what was never
 * acknowledged, verify every byte. Guide: docs/device.md. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OB "outbox"

static const char *const check_usage_text =
    "usage: hotspot check LIST --outbox DIR --authority AUTH.pub --device PREFIX\n"
    "          [--finger [POS:]FILE]... [--face IMAGE] [--field KEY=VALUE]...\n"
    "          [--operator ID] [--location CODE] [--reason TEXT] [--storage-key FILE]\n"
    "          [--top K] [--fmr F] [--json]";

static const char *const outbox_usage_text =
    "usage: hotspot outbox <command> DIR ...\n"
    "  list DIR [--json]\n"
    "  export DIR --out BATCH --device PREFIX [--new-only] [--operator ID]\n"
    "  ack DIR RECEIPT --authority AUTH.pub --device PREFIX [--operator ID]\n"
    "  purge DIR --older-than DAYS --device PREFIX [--now UTC_MS] [--operator ID]\n"
    "  verify DIR [--json]";

/* Wipe key material; the volatile function pointer keeps the compiler
 * from dropping the stores as dead. */


static int fail(hs_ctx *ctx, hs_status s, const char *what)
{
    cli_error(ctx, s, what);
    return CLI_ERR;
}

static void utc(char *buf, size_t size, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *state_name(uint32_t s)
{
    switch (s) {
    case HS_OUTBOX_QUEUED: return "queued";
    case HS_OUTBOX_EXPORTED: return "exported";
    case HS_OUTBOX_ACKNOWLEDGED: return "acknowledged";
    case HS_OUTBOX_PURGED: return "purged";
    default: return "unknown";
    }
}

/* The decision as the officer reads it (the receipt's shown text and the
 * check's output: "HIT" stands out), not the JSON token of cli_decision_name. */
static const char *decision_text(int32_t d)
{
    switch (d) {
    case HS_ENCOUNTER_NO_HIT: return "no hit";
    case HS_ENCOUNTER_HIT: return "HIT";
    case HS_ENCOUNTER_POSSIBLE_HIT: return "possible hit";
    case HS_ENCOUNTER_NOT_SEARCHED: return "not searched";
    default: return "unknown";
    }
}

/* ---- device keys ------------------------------------------------------------ */

/* The device's signing key pair from the files `hotspot device keygen
 * PREFIX` writes (PREFIX.sign.sec, checked against its public half). */
static hs_status load_device(hs_ctx *ctx, const char *prefix, uint8_t sk[64], uint8_t pk[32])
{
    char path[4096];
    snprintf(path, sizeof path, "%s.sign.sec", prefix);
    hs_status s = hs_device_key_load(ctx, sk, 64, path, HS_DEVICE_KEY_SECRET);
    if (!s)
        s = hs_device_sign_public(ctx, pk, sk);
    if (s)
        return cli_fail(s, "%s: %s", path, hs_ctx_last_error(ctx));
    return HS_OK;
}

/* The audit log in dir, signed with the device key. */
static hs_status open_audit(hs_ctx *ctx, hs_audit **log, const char *dir, const uint8_t sk[64])
{
    hs_status s = hs_audit_open(ctx, log, dir, sk, NULL);
    if (s)
        return cli_fail(s, "audit log in %s: %s", dir, hs_ctx_last_error(ctx));
    return HS_OK;
}

/* ---- check ------------------------------------------------------------------ */

/* A finger "[POS:]FILE": an image (kept in the encounter as it is, and
 * extracted for the search) or a template (its views used for both). POS
 * 1-10; without it the fingers take positions 1, 2, ... in order. */
static hs_status add_finger(hs_ctx *ctx, hs_encounter *e, hs_template *probe,
                            hs_finger_extractor **ex, const char *spec, uint32_t default_pos)
{
    uint32_t pos = default_pos;
    const char *path = spec;
    const char *colon = strchr(spec, ':');
    if (colon && colon > spec && colon - spec <= 2) {
        char num[3] = {0, 0, 0};
        memcpy(num, spec, (size_t)(colon - spec));
        unsigned p;
        if (!cli_parse_u32(num, 1, 10, &p))
            return cli_fail(HS_ERR_INVALID_ARG, "finger position '%s' not 1..10", num);
        pos = p;
        path = colon + 1;
    }
    hs_image *img = NULL;
    hs_template *t = NULL;
    int is_image = 0;
    hs_status s = hs_image_load(ctx, &img, path, 0);
    if (s == HS_OK) {
        is_image = 1;
        s = hs_encounter_add_finger_image(ctx, e, img, pos, 255);
        if (!s && !*ex)
            s = hs_finger_extractor_new(ctx, ex);
        if (!s)
            s = hs_finger_extract(ctx, &t, *ex, img);
        hs_image_free(img);
        if (s)
            return cli_fail(s, "%s: %s", path, hs_ctx_last_error(ctx));
    } else {
        uint32_t format;
        s = hs_template_load(ctx, &t, &format, path);
        if (s)
            return cli_fail(s, "%s: neither an image nor a template: %s", path,
                            hs_ctx_last_error(ctx));
    }
    /* every view joins the probe; a template's views also travel in the
     * encounter (an image already does) */
    for (uint32_t v = 0; !s && v < hs_template_view_count(t); v++) {
        hs_view_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        hs_template_view_info(t, &info, v);
        if (hs_template_view_count(t) == 1 || !info.finger_position)
            info.finger_position = pos;
        s = hs_template_copy_view(ctx, probe, t, v, &info);
        if (!s && !is_image)
            s = hs_encounter_add_finger_template(ctx, e, probe,
                                                 hs_template_view_count(probe) - 1);
    }
    hs_template_free(t);
    if (s)
        return cli_fail(s, "%s: %s", path, hs_ctx_last_error(ctx));
    return HS_OK;
}

/* The face: kept in the encounter (a JPEG as it is, else re-encoded), and
 * embedded for the search when the face models are installed. */
static hs_status add_face(hs_ctx *ctx, hs_encounter *e, const char *path, float **emb,
                          uint32_t *dim, uint32_t *model, int *searched)
{
    *searched = 0;
    void *file = NULL;
    size_t size = 0;
    hs_status s = hs_file_read(ctx, &file, &size, path);
    if (s)
        return cli_fail(s, "%s: %s", path, hs_ctx_last_error(ctx));
    hs_image *img = NULL;
    s = hs_image_decode(ctx, &img, file, size, HS_IMAGE_KEEP_COLOR);
    if (!s) {
        const uint8_t *b = file;
        if (size > 2 && b[0] == 0xff && b[1] == 0xd8)
            s = hs_encounter_set_face_jpeg(ctx, e, file, size);
        else
            s = hs_encounter_set_face(ctx, e, img);
    }
    hs_file_free(ctx, file, size);
    if (s) {
        hs_image_free(img);
        return cli_fail(s, "%s: %s", path, hs_ctx_last_error(ctx));
    }
    hs_face_engine *fe = NULL;
    hs_status fs = hs_face_engine_new(ctx, &fe, NULL);
    if (!fs) {
        float *v = malloc(1024 * sizeof *v);
        fs = v ? hs_face_embed(ctx, v, 1024, dim, NULL, fe, img, NULL) : HS_ERR_NOMEM;
        if (!fs) {
            *emb = v;
            *model = hs_face_engine_model_id(fe);
            *searched = 1;
        } else {
            free(v);
        }
        hs_face_engine_free(fe);
    }
    if (fs)
        fprintf(stderr, "hotspot check: face kept but not searched: %s: %s\n",
                hs_status_str(fs), hs_ctx_last_error(ctx));
    hs_image_free(img);
    return HS_OK;
}

static int check_main(hs_ctx *ctx, int argc, char **argv)
{
    const char *list = NULL, *dir = NULL, *auth = NULL, *device = NULL, *face_path = NULL;
    const char *operator_id = NULL, *location = NULL, *reason = NULL, *storage = NULL;
    int json = 0, nfingers = 0;
    hs_watchlist_search_options so = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--help")) {
            printf("%s\n", check_usage_text);
            return CLI_OK;
        } else if (!strcmp(a, "--outbox") && v)
            dir = argv[++i];
        else if (!strcmp(a, "--authority") && v)
            auth = argv[++i];
        else if (!strcmp(a, "--device") && v)
            device = argv[++i];
        else if (!strcmp(a, "--finger") && v) {
            i++;
            nfingers++;
        } else if (!strcmp(a, "--face") && v)
            face_path = argv[++i];
        else if (!strcmp(a, "--field") && v) {
            if (!strchr(argv[++i], '='))
                return cli_usage("check", "--field wants KEY=VALUE, not '%s'", v);
        } else if (!strcmp(a, "--operator") && v)
            operator_id = argv[++i];
        else if (!strcmp(a, "--location") && v)
            location = argv[++i];
        else if (!strcmp(a, "--reason") && v)
            reason = argv[++i];
        else if (!strcmp(a, "--storage-key") && v)
            storage = argv[++i];
        else if (!strcmp(a, "--top") && v) {
            if (!cli_parse_u32(argv[++i], 1, HS_ENCOUNTER_CANDIDATES_MAX, &so.max_candidates))
                return cli_usage("check", "--top must be 1..%d, not '%s'",
                                 HS_ENCOUNTER_CANDIDATES_MAX, v);
        } else if (!strcmp(a, "--fmr") && v) {
            char *end;
            so.fmr = strtod(argv[++i], &end);
            if (*end || !(so.fmr >= 1e-12 && so.fmr <= 0.5))
                return cli_usage("check", "--fmr must be 1e-12..0.5, not '%s'", v);
        } else if (a[0] == '-')
            return cli_usage("check", "unknown option or missing value: %s", a);
        else if (!list)
            list = a;
        else
            return cli_usage("check", "one list only (%s)", a);
    }
    if (!operator_id)
        operator_id = getenv("HOTSPOT_OPERATOR"); /* as the watchlist commands' audit entries */
    if (!list || !dir || !auth || !device)
        return cli_usage("check", "LIST, --outbox, --authority and --device are needed\n%s",
                         check_usage_text);
    if (!nfingers && !face_path)
        return cli_usage("check", "give --finger and/or --face");

    int rc = CLI_ERR;
    uint8_t sk[64], pk[32], box_pk[32], auth_pk[32], skey[32];
    hs_watchlist *wl = NULL;
    hs_encounter *e = NULL;
    hs_template *probe = NULL;
    hs_finger_extractor *ex = NULL;
    hs_watchlist_result *r = NULL;
    hs_audit *log = NULL;
    hs_outbox *ob = NULL;
    float *emb = NULL;
    uint8_t *sealed = NULL;
    size_t sealed_size = 0;
    uint32_t dim = 0, model = 0;
    int face_searched = 0;
    hs_status s;
    const char *what = "check";

    if ((s = load_device(ctx, device, sk, pk)))
        goto out;
    what = auth;
    if ((s = hs_encounter_authority_load_public(ctx, box_pk, auth_pk, auth)))
        goto out;
    what = list;
    if (storage) {
        if ((s = hs_device_key_load(ctx, skey, 32, storage, HS_DEVICE_KEY_SECRET))) {
            what = storage;
            goto out;
        }
        s = hs_watchlist_load_encrypted(ctx, &wl, list, skey);
        cli_wipe(skey, sizeof skey);
    } else {
        s = hs_watchlist_load(ctx, &wl, list);
    }
    if (s)
        goto out;
    what = "encounter";
    if ((s = hs_encounter_new(ctx, &e)) || (s = hs_template_new(ctx, &probe)))
        goto out;
    uint32_t fi = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--finger")) {
            what = argv[i + 1];
            if ((s = add_finger(ctx, e, probe, &ex, argv[++i], ++fi)))
                goto out;
        } else if (!strcmp(argv[i], "--field")) {
            char kv[512];
            snprintf(kv, sizeof kv, "%s", argv[++i]);
            char *eq = strchr(kv, '=');
            *eq = 0;
            what = argv[i];
            if ((s = hs_encounter_set_field(ctx, e, kv, eq + 1)))
                goto out;
        } else if (!strcmp(argv[i], "--outbox") || !strcmp(argv[i], "--authority") ||
                   !strcmp(argv[i], "--device") || !strcmp(argv[i], "--face") ||
                   !strcmp(argv[i], "--operator") || !strcmp(argv[i], "--location") ||
                   !strcmp(argv[i], "--reason") || !strcmp(argv[i], "--storage-key") ||
                   !strcmp(argv[i], "--top") || !strcmp(argv[i], "--fmr")) {
            i++;
        }
    }
    if (face_path) {
        what = face_path;
        if ((s = add_face(ctx, e, face_path, &emb, &dim, &model, &face_searched)))
            goto out;
    }
    what = "encounter";
    if ((operator_id &&
         (s = hs_encounter_set_text(ctx, e, HS_ENCOUNTER_TEXT_OPERATOR_ID, operator_id))) ||
        (location && (s = hs_encounter_set_text(ctx, e, HS_ENCOUNTER_TEXT_LOCATION, location))) ||
        (reason && (s = hs_encounter_set_text(ctx, e, HS_ENCOUNTER_TEXT_REASON, reason))))
        goto out;

    /* the offline search */
    so.face_model = model;
    int has_probe = hs_template_view_count(probe) > 0 || face_searched;
    double t0 = cli_now_ms();
    if (has_probe) {
        what = "search";
        if ((s = hs_watchlist_search(ctx, &r, wl, hs_template_view_count(probe) ? probe : NULL,
                                     face_searched ? emb : NULL, face_searched ? dim : 0, &so)))
            goto out;
    }
    double ms = cli_now_ms() - t0;
    uint32_t n = hs_watchlist_result_count(r), hits = 0;
    for (uint32_t i = 0; i < n; i++) {
        hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
        hs_watchlist_result_candidate(r, &c, i);
        hits += c.hit != 0;
        if ((s = hs_encounter_add_candidate(ctx, e, c.id, c.score, c.hit)))
            goto out;
    }
    int32_t decision = !has_probe ? HS_ENCOUNTER_NOT_SEARCHED
                       : hits     ? HS_ENCOUNTER_HIT
                                  : HS_ENCOUNTER_NO_HIT;
    /* the receipt stays readable on the device: a decision, never an identity */
    char shown[HS_ENCOUNTER_SHOWN_MAX + 1];
    if (hits)
        snprintf(shown, sizeof shown, "HIT: %u of %u candidates, refer to the centre", hits, n);
    else
        snprintf(shown, sizeof shown, "%s", decision_text(decision));
    if ((s = hs_encounter_set_decision(ctx, e, decision)) ||
        (s = hs_encounter_set_watchlist_version(ctx, e, hs_watchlist_version(wl))) ||
        (s = hs_encounter_set_text(ctx, e, HS_ENCOUNTER_TEXT_SHOWN, shown)))
        goto out;

    /* seal, log the search, append (which logs the append) */
    what = "seal";
    if ((s = cli_seal(ctx, &sealed, &sealed_size, e, box_pk, sk, NULL)))
        goto out;
    what = dir;
    if ((s = open_audit(ctx, &log, dir, sk)))
        goto out;
    {
        char ver[32];
        snprintf(ver, sizeof ver, "%" PRIu64, hs_watchlist_version(wl));
        hs_audit_entry ae = HS_AUDIT_ENTRY_INIT;
        ae.event = HS_AUDIT_SEARCH;
        ae.operator_id = operator_id;
        ae.ref = ver;
        ae.decision = decision;
        ae.count = n;
        what = "audit log";
        if ((s = hs_audit_append(ctx, log, &ae)))
            goto out;
    }
    hs_outbox_options oo = HS_OUTBOX_OPTIONS_INIT;
    oo.audit = log;
    oo.operator_id = operator_id;
    memcpy(oo.device_public, pk, 32);
    memcpy(oo.authority_sign_public, auth_pk, 32);
    what = dir;
    if ((s = hs_outbox_open(ctx, &ob, dir, &oo)))
        goto out;
    what = "outbox append";
    if ((s = hs_outbox_append(ctx, ob, sealed, sealed_size)))
        goto out;
    hs_outbox_info info = HS_OUTBOX_INFO_INIT;
    hs_outbox_info_get(ob, &info);

    char idhex[33];
    cli_hex(idhex, hs_encounter_id(e), 16);
    uint32_t nprobe = hs_template_view_count(probe);
    if (json) {
        printf("{\"encounter\": \"%s\", \"decision\": ", idhex);
        cli_json_str(stdout, decision_text(decision));
        printf(", \"list_version\": %" PRIu64 ", \"subjects\": %" PRIu64
               ", \"search_ms\": %.1f, \"face_searched\": %s, \"sealed_bytes\": %zu"
               ", \"outbox\": {\"count\": %u, \"bytes\": %" PRIu64 ", \"fill_permille\": %u}"
               ", \"candidates\": [",
               hs_watchlist_version(wl), hs_watchlist_count(wl), ms,
               face_searched ? "true" : "false", sealed_size, info.count, info.bytes,
               info.fill_permille);
        for (uint32_t i = 0; i < n; i++) {
            hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
            hs_watchlist_result_candidate(r, &c, i);
            cli_print_candidate(&c, i + 1, nprobe, 1, 0);
        }
        printf("%s]}\n", n ? "\n" : "");
    } else {
        printf("%s  (list version %" PRIu64 ", %" PRIu64 " subjects, %.1f ms)\n",
               decision_text(decision), hs_watchlist_version(wl), hs_watchlist_count(wl), ms);
        if (n) {
            printf("%4s  %-24s %7s %4s %7s %7s\n", "rank", "id", "score", "hit", "finger",
                   "face");
            for (uint32_t i = 0; i < n; i++) {
                hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
                hs_watchlist_result_candidate(r, &c, i);
                cli_print_candidate(&c, i + 1, nprobe, 0, 0);
            }
        }
        printf("encounter %s sealed (%zu bytes), queued: %u in the outbox (%u.%u%% full)\n",
               idhex, sealed_size, info.count, info.fill_permille / 10, info.fill_permille % 10);
    }
    if (info.fill_permille >= 800)
        fprintf(stderr, "hotspot check: warning: the outbox is %u.%u%% full: export it\n",
                info.fill_permille / 10, info.fill_permille % 10);
    rc = CLI_OK;
out:
    if (rc != CLI_OK)
        cli_error(ctx, s, what);
    cli_wipe(sk, sizeof sk);
    hs_outbox_close(ob);
    hs_audit_close(log);
    if (sealed) {
        cli_wipe(sealed, sealed_size);
        free(sealed);
    }
    if (emb) {
        cli_wipe(emb, (size_t)dim * sizeof *emb);
        free(emb);
    }
    hs_watchlist_result_free(r);
    hs_finger_extractor_free(ex);
    hs_template_free(probe);
    hs_encounter_free(e);
    hs_watchlist_free(wl);
    return rc;
}

int cmd_check(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "%s\n", check_usage_text);
        return CLI_USAGE;
    }
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    int rc = check_main(ctx, argc, argv);
    hs_ctx_free(ctx);
    return rc;
}

/* ---- outbox ------------------------------------------------------------------ */

typedef struct ob_args {
    const char *dir, *out, *receipt, *auth, *device, *operator_id;
    int json, new_only, have_days;
    uint64_t days, now;
} ob_args;

static int parse_ob(const char *sub, int argc, char **argv, ob_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *x = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(x, "--json"))
            a->json = 1;
        else if (!strcmp(x, "--new-only"))
            a->new_only = 1;
        else if (!strcmp(x, "--out") && v)
            a->out = argv[++i];
        else if (!strcmp(x, "--authority") && v)
            a->auth = argv[++i];
        else if (!strcmp(x, "--device") && v)
            a->device = argv[++i];
        else if (!strcmp(x, "--operator") && v)
            a->operator_id = argv[++i];
        else if (!strcmp(x, "--older-than") && v) {
            if (!cli_parse_u64(argv[++i], &a->days) || a->days > 36500)
                return cli_usage(OB, "--older-than wants 0..36500 days, not '%s'", v);
            a->have_days = 1;
        } else if (!strcmp(x, "--now") && v) {
            if (!cli_parse_u64(argv[++i], &a->now) || a->now > (uint64_t)INT64_MAX)
                return cli_usage(OB, "--now wants UTC milliseconds, not '%s'", v);
        } else if (x[0] == '-')
            return cli_usage(OB, "%s: unknown option or missing value: %s", sub, x);
        else if (!a->dir)
            a->dir = x;
        else if (!strcmp(sub, "ack") && !a->receipt)
            a->receipt = x;
        else
            return cli_usage(OB, "%s: unexpected argument '%s'", sub, x);
    }
    if (!a->dir)
        return cli_usage(OB, "%s: DIR missing\n%s", sub, outbox_usage_text);
    if (!a->operator_id)
        a->operator_id = getenv("HOTSPOT_OPERATOR");
    return -1;
}

static int ob_list(hs_ctx *ctx, const ob_args *a)
{
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    o.flags = HS_OUTBOX_OPEN_READONLY;
    hs_outbox *ob = NULL;
    hs_status s = hs_outbox_open(ctx, &ob, a->dir, &o);
    if (s)
        return fail(ctx, s, a->dir);
    hs_outbox_info info = HS_OUTBOX_INFO_INIT;
    hs_outbox_info_get(ob, &info);
    uint32_t n = hs_outbox_count(ob);
    if (a->json)
        printf("{\"count\": %u, \"queued\": %u, \"exported\": %u, \"bytes\": %" PRIu64
               ", \"max_count\": %u, \"max_bytes\": %" PRIu64
               ", \"fill_permille\": %u, \"acks_applied\": %u, \"encounters\": [",
               info.count, info.queued, info.exported, info.bytes, info.max_count,
               info.max_bytes, info.fill_permille, info.acks_applied);
    else
        printf("%u encounters (%u queued, %u exported), %" PRIu64 " bytes, %u.%u%% full\n", n,
               info.queued, info.exported, info.bytes, info.fill_permille / 10,
               info.fill_permille % 10);
    for (uint32_t i = 0; i < n; i++) {
        hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
        hs_outbox_entry_at(ob, &e, i);
        char id[33], t[32], ta[32];
        cli_hex(id, e.id, 16);
        utc(t, sizeof t, e.time_ms);
        utc(ta, sizeof ta, e.appended_ms);
        if (a->json) {
            printf("%s\n {\"id\": \"%s\", \"state\": \"%s\", \"time\": \"%s\", \"time_ms\": %" PRId64
                   ", \"appended_ms\": %" PRId64 ", \"exported_ms\": %" PRId64
                   ", \"decision\": %d, \"candidates\": %u, \"sealed_bytes\": %u, \"shown\": ",
                   i ? "," : "", id, state_name(e.state), t, e.time_ms, e.appended_ms,
                   e.exported_ms, e.decision, e.candidate_count, e.sealed_bytes);
            cli_json_str(stdout, e.shown);
            printf("}");
        } else {
            printf("%s  %-9s %s  %-12s %3u cand. %7u B  %s\n", id, state_name(e.state), t,
                   decision_text(e.decision), e.candidate_count, e.sealed_bytes, e.shown);
        }
    }
    if (a->json)
        printf("%s]}\n", n ? "\n" : "");
    hs_outbox_close(ob);
    return CLI_OK;
}

static int ob_verify(hs_ctx *ctx, const ob_args *a)
{
    hs_outbox_verify_info vi = HS_OUTBOX_VERIFY_INFO_INIT;
    hs_status s = hs_outbox_verify(ctx, &vi, a->dir);
    if (a->json) {
        printf("{\"ok\": %s, \"records\": %u, \"encounters\": %u, \"bytes\": %" PRIu64,
               s ? "false" : "true", vi.records, vi.encounters, vi.bytes);
        if (s) {
            printf(", \"status\": ");
            cli_json_str(stdout, hs_status_str(s));
            printf(", \"bad_offset\": %" PRIu64 ", \"detail\": ", vi.bad_offset);
            cli_json_str(stdout, hs_ctx_last_error(ctx));
        }
        printf("}\n");
        return s ? CLI_ERR : CLI_OK;
    }
    if (s)
        return fail(ctx, s, "outbox verify");
    printf("ok: %u records, %u encounters, %" PRIu64 " bytes\n", vi.records, vi.encounters,
           vi.bytes);
    return CLI_OK;
}

/* export, ack, purge: a writable outbox with the device's audit log. */
static int ob_change(hs_ctx *ctx, const char *sub, const ob_args *a)
{
    if (!a->device)
        return cli_usage(OB, "%s: --device PREFIX is needed (the audit log is signed with it)",
                         sub);
    if (!strcmp(sub, "export") && !a->out)
        return cli_usage(OB, "export: --out BATCH missing");
    if (!strcmp(sub, "ack") && (!a->receipt || !a->auth))
        return cli_usage(OB, "ack: RECEIPT and --authority AUTH.pub are needed");
    if (!strcmp(sub, "purge") && !a->have_days)
        return cli_usage(OB, "purge: --older-than DAYS missing");
    uint8_t sk[64], pk[32], auth_pk[32];
    hs_audit *log = NULL;
    hs_outbox *ob = NULL;
    void *ack = NULL;
    size_t ack_size = 0;
    const char *what = a->dir;
    int rc = CLI_ERR;
    hs_status s = load_device(ctx, a->device, sk, pk);
    if (s)
        goto out;
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    memcpy(o.device_public, pk, 32);
    if (a->auth) {
        what = a->auth;
        if ((s = hs_encounter_authority_load_public(ctx, NULL, auth_pk, a->auth)))
            goto out;
        memcpy(o.authority_sign_public, auth_pk, 32);
    }
    if (a->have_days)
        o.retention_ms = a->days ? (int64_t)a->days * 86400000 : 1;
    what = a->dir;
    if ((s = open_audit(ctx, &log, a->dir, sk)))
        goto out;
    o.audit = log;
    o.operator_id = a->operator_id;
    if ((s = hs_outbox_open(ctx, &ob, a->dir, &o)))
        goto out;
    hs_outbox_info info = HS_OUTBOX_INFO_INIT;
    hs_outbox_info_get(ob, &info);
    if (info.dropped_bytes)
        fprintf(stderr, "hotspot outbox: dropped a torn last record (%" PRIu64
                        " bytes) left by a crash\n",
                info.dropped_bytes);
    uint32_t n = 0;
    if (!strcmp(sub, "export")) {
        what = a->out;
        if ((s = hs_outbox_export(ctx, ob, &n, a->out, a->new_only ? HS_OUTBOX_EXPORT_NEW_ONLY : 0)))
            goto out;
        if (n)
            printf("exported %u encounters to %s\n", n, a->out);
        else
            printf("nothing to export\n");
    } else if (!strcmp(sub, "ack")) {
        what = a->receipt;
        if ((s = hs_file_read(ctx, &ack, &ack_size, a->receipt)) ||
            (s = hs_outbox_ack(ctx, ob, &n, ack, ack_size)))
            goto out;
        printf("acknowledged %u encounters: wiped; %u left in the outbox\n", n,
               hs_outbox_count(ob));
    } else {
        what = "purge";
        if ((s = hs_outbox_purge(ctx, ob, &n, (int64_t)a->now)))
            goto out;
        printf("purged %u encounters not acknowledged within %" PRIu64 " days; %u left\n", n,
               a->days, hs_outbox_count(ob));
    }
    rc = CLI_OK;
out:
    if (rc != CLI_OK)
        cli_error(ctx, s, what);
    cli_wipe(sk, sizeof sk);
    hs_file_free(ctx, ack, ack_size);
    hs_outbox_close(ob);
    hs_audit_close(log);
    return rc;
}

int cmd_outbox(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        fprintf(argc < 2 ? stderr : stdout, "%s\n", outbox_usage_text);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "list") && strcmp(sub, "verify") && strcmp(sub, "export") &&
        strcmp(sub, "ack") && strcmp(sub, "purge"))
        return cli_usage(OB, "unknown outbox command '%s'\n%s", sub, outbox_usage_text);
    ob_args a;
    int rc = parse_ob(sub, argc - 1, argv + 1, &a);
    if (rc >= 0)
        return rc;
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    if (!strcmp(sub, "list"))
        rc = ob_list(ctx, &a);
    else if (!strcmp(sub, "verify"))
        rc = ob_verify(ctx, &a);
    else
        rc = ob_change(ctx, sub, &a);
    hs_ctx_free(ctx);
    return rc;
}
