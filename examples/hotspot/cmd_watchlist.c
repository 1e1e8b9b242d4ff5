/* hotspot watchlist create|add|remove|list|info|search|pack|unpack|keygen
 *
 * Fingers are given as [POS:]FILE where FILE is a template (any format
 * hs_template_load reads; every view is used, POS overrides the position of
 * a one-view template) or a fingerprint image (extracted on the fly).
 * Faces are HSFE embedding records (hotspot face tools write them). Keys are
 * raw binary files: authority .pub (32 bytes) / .sec (64), device .pub /
 * .sec (32 each). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WL "watchlist"

static const char *const usage_text =
    "usage: hotspot watchlist <command> ...\n"
    "  create LIST [--version N] [--force]\n"
    "  add LIST --id ID [--field KEY=VALUE]... [--finger [POS:]FILE]... [--face FILE.hsfe]\n"
    "          [--nist TRANSACTION] [--replace] [--ppi N]\n"
    "  remove LIST ID...\n"
    "  list LIST [--json]\n"
    "  info LIST [--json]\n"
    "  search LIST [--finger [POS:]FILE]... [--face FILE.hsfe] [--face-model N] [--top K]\n"
    "          [--threads N] [--fmr F] [--rescore M] [--thorough N] [--exhaustive] [--hits]\n"
    "          [--json]\n"
    "          [--nist TRANSACTION [--answer SRE-OUT]]\n"
    "  pack LIST --key AUTHORITY.sec --to DEVICE.pub [--to ...] [--base OLDLIST]\n"
    "          [--version N] --out PACKAGE\n"
    "  unpack PACKAGE --authority AUTHORITY.pub --device DEVICE (DEVICE.pub, DEVICE.sec)\n"
    "          [--installed LIST] [--state FILE] --out LIST\n"
    "  (list, info, search, unpack: [--storage-key KEY] the installed list is encrypted;\n"
    "          [--audit DIR --device PREFIX] log installs and failed unlocks)\n"
    "  keygen --authority PREFIX | --device PREFIX";

static int usage_full(void)
{
    fprintf(stderr, "%s\n", usage_text);
    return CLI_USAGE;
}

#define usage(...) cli_usage(WL, __VA_ARGS__)

static int fail(hs_ctx *ctx, hs_status s, const char *what)
{
    cli_error(ctx, s, what);
    return CLI_ERR;
}

/* ---- inputs --------------------------------------------------------------- */

static int read_key(const char *path, uint8_t *key, size_t n)
{
    hs_ctx *ctx = NULL;
    void *data = NULL;
    size_t size = 0;
    hs_status s = hs_ctx_new(&ctx, NULL);
    if (!s)
        s = hs_file_read(ctx, &data, &size, path);
    int rc = 0;
    if (s) {
        fprintf(stderr, "hotspot: %s: %s\n", path, ctx ? cli_detail(ctx) : hs_status_str(s));
        rc = -1;
    } else if (size != n) {
        fprintf(stderr, "hotspot: %s: not a %zu-byte key file\n", path, n);
        rc = -1;
    } else {
        memcpy(key, data, n);
    }
    hs_file_free(ctx, data, size);
    hs_ctx_free(ctx);
    return rc;
}

/* Keys are never overwritten: an existing file (or a link) is refused. The
 * key then goes through the library's atomic save, so a crash leaves no
 * half-written key behind. */
static int write_key(const char *path, const uint8_t *key, size_t n, int secret)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        fprintf(stderr, "hotspot: %s: exists; keys are never overwritten\n", path);
        return -1;
    }
    hs_ctx *ctx = NULL;
    hs_status s = hs_ctx_new(&ctx, NULL);
    if (!s)
        s = hs_file_save(ctx, path, key, n, secret ? HS_FILE_PRIVATE : 0);
    if (s)
        fprintf(stderr, "hotspot: %s: %s\n", path, ctx ? cli_detail(ctx) : hs_status_str(s));
    hs_ctx_free(ctx);
    return s ? -1 : 0;
}

/* ---- subcommands ---------------------------------------------------------- */

/* Every command that writes a list holds its writer lock from before it
 * reads the list until after it saved it: two concurrent 'add's queue up
 * instead of one losing the other's subject. HOTSPOT_LOCK_NOWAIT=1 makes a
 * command fail with "locked" instead of waiting. */
static hs_file_lock *lock_list(hs_ctx *ctx, const char *path)
{
    const char *nw = getenv("HOTSPOT_LOCK_NOWAIT");
    hs_file_lock *l = NULL;
    hs_status s = hs_file_lock_acquire(ctx, &l, path,
                                       nw && !strcmp(nw, "1") ? HS_FILE_LOCK_NOWAIT : 0);
    if (s)
        cli_error(ctx, s, path);
    return l;
}

static int wl_create(hs_ctx *ctx, int argc, char **argv)
{
    const char *path = NULL;
    uint64_t version = 0;
    int force = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--version") && i + 1 < argc) {
            if (!cli_parse_u64(argv[++i], &version))
                return usage("--version needs a number, not '%s'", argv[i]);
        } else if (!strcmp(argv[i], "--force")) {
            force = 1;
        } else if (argv[i][0] == '-') {
            return usage("create: unknown option %s", argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return usage("create: one list only (%s)", argv[i]);
        }
    }
    if (!path)
        return usage("create: LIST missing");
    hs_file_lock *lock = lock_list(ctx, path);
    if (!lock)
        return CLI_ERR;
    struct stat st;
    if (!force && stat(path, &st) == 0) {
        fprintf(stderr, "hotspot: %s exists (use --force to overwrite)\n", path);
        hs_file_lock_release(lock);
        return CLI_ERR;
    }
    hs_watchlist *wl;
    hs_status s = hs_watchlist_new(ctx, &wl);
    if (!s)
        s = hs_watchlist_set_version(wl, version);
    if (!s)
        s = hs_watchlist_save(ctx, path, wl);
    hs_watchlist_free(wl);
    hs_file_lock_release(lock);
    return s ? fail(ctx, s, path) : CLI_OK;
}

static int wl_add(hs_ctx *ctx, int argc, char **argv)
{
    const char *path = NULL, *id = NULL;
    int replace = 0;
    unsigned ppi = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--replace")) {
            replace = 1;
        } else if (!strcmp(a, "--id") && i + 1 < argc) {
            id = argv[++i];
        } else if ((!strcmp(a, "--field") || !strcmp(a, "--finger") || !strcmp(a, "--face") ||
                    !strcmp(a, "--nist")) &&
                   i + 1 < argc) {
            i++;
        } else if (!strcmp(a, "--ppi") && i + 1 < argc) {
            if (!cli_parse_u32(argv[++i], 150, 2000, &ppi))
                return usage("--ppi must be 150..2000, not '%s'", argv[i]);
        } else if (a[0] == '-') {
            return usage("add: unknown option or missing value: %s", a);
        } else if (!path) {
            path = a;
        } else {
            return usage("add: one list only (%s)", a);
        }
    }
    if (!path || !id)
        return usage("add: LIST and --id ID are required");
    hs_watchlist *wl = NULL;
    hs_watchlist_subject *sub = NULL;
    hs_file_lock *lock = lock_list(ctx, path);
    if (!lock)
        return CLI_ERR;
    hs_status s = hs_watchlist_load(ctx, &wl, path);
    if (s) {
        hs_file_lock_release(lock);
        return fail(ctx, s, path);
    }
    int rc = CLI_ERR;
    s = hs_watchlist_subject_new(ctx, &sub, id);
    if (s) {
        cli_error(ctx, s, id);
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--field") && i + 1 < argc) {
            char kv[512];
            snprintf(kv, sizeof kv, "%s", argv[++i]);
            char *eq = strchr(kv, '=');
            if (!eq) {
                rc = usage("--field needs KEY=VALUE, not '%s'", argv[i]);
                goto out;
            }
            *eq = 0;
            s = hs_watchlist_subject_set_field(ctx, sub, kv, eq + 1);
            if (s) {
                cli_error(ctx, s, argv[i]);
                goto out;
            }
        } else if (!strcmp(a, "--finger") && i + 1 < argc) {
            hs_template *t;
            s = cli_load_finger(ctx, argv[++i], ppi, &t);
            for (uint32_t v = 0; !s && v < hs_template_view_count(t); v++)
                s = hs_watchlist_subject_add_finger(ctx, sub, t, v);
            hs_template_free(t);
            if (s) {
                cli_error(ctx, s, argv[i]);
                goto out;
            }
        } else if (!strcmp(a, "--face") && i + 1 < argc) {
            float *v;
            uint32_t dim, model;
            s = cli_load_face(ctx, argv[++i], &v, &dim, &model);
            if (!s)
                s = hs_watchlist_subject_add_face(ctx, sub, v, dim, model);
            free(v);
            if (s) {
                cli_error(ctx, s, argv[i]);
                goto out;
            }
        } else if (!strcmp(a, "--nist") && i + 1 < argc) {
            if (cli_wl_nist_add(ctx, sub, argv[++i]))
                goto out;
        } else if (!strcmp(a, "--id") || !strcmp(a, "--ppi")) {
            i++;
        }
    }
    s = replace ? hs_watchlist_replace(ctx, wl, sub) : hs_watchlist_add(ctx, wl, sub);
    if (s) {
        cli_error(ctx, s, id);
        goto out;
    }
    s = hs_watchlist_save(ctx, path, wl);
    if (s) {
        cli_error(ctx, s, path);
        goto out;
    }
    printf("%s %s: %u fingers, %u faces, %u fields\n", replace ? "replaced" : "added", id,
           hs_watchlist_subject_finger_count(sub), hs_watchlist_subject_face_count(sub),
           hs_watchlist_subject_field_count(sub));
    rc = CLI_OK;
out:
    hs_file_lock_release(lock);
    hs_watchlist_subject_free(sub);
    hs_watchlist_free(wl);
    return rc;
}

static int wl_remove(hs_ctx *ctx, int argc, char **argv)
{
    if (argc < 3)
        return usage("remove: LIST ID... needed");
    hs_watchlist *wl;
    hs_file_lock *lock = lock_list(ctx, argv[1]);
    if (!lock)
        return CLI_ERR;
    hs_status s = hs_watchlist_load(ctx, &wl, argv[1]);
    if (s) {
        hs_file_lock_release(lock);
        return fail(ctx, s, argv[1]);
    }
    for (int i = 2; i < argc; i++) {
        s = hs_watchlist_remove(ctx, wl, argv[i]);
        if (s) {
            hs_watchlist_free(wl);
            hs_file_lock_release(lock);
            return fail(ctx, s, argv[i]);
        }
    }
    s = hs_watchlist_save(ctx, argv[1], wl);
    hs_watchlist_free(wl);
    hs_file_lock_release(lock);
    if (s)
        return fail(ctx, s, argv[1]);
    printf("removed %d subject%s\n", argc - 2, argc == 3 ? "" : "s");
    return CLI_OK;
}

static int wl_list(hs_ctx *ctx, int argc, char **argv, int info_only)
{
    const char *path = NULL;
    int json = 0, dk;
    cli_device_opts dev = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if ((dk = cli_device_opt(&dev, argc, argv, &i)) != 0) {
            if (dk < 0)
                return CLI_USAGE;
        } else if (argv[i][0] == '-')
            return usage("unknown option %s", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return usage("LIST missing");
    if (cli_device_check(&dev))
        return CLI_USAGE;
    double t0 = cli_now_ms();
    hs_watchlist *wl;
    hs_status s = cli_list_load(ctx, &wl, path, &dev);
    if (s)
        return fail(ctx, s, path);
    double ms = cli_now_ms() - t0;
    uint64_t n = hs_watchlist_count(wl);
    if (info_only) {
        struct stat st;
        long long bytes = stat(path, &st) == 0 ? (long long)st.st_size : -1;
        uint64_t nf = hs_watchlist_finger_count(wl);
        if (json) {
            printf("{\"path\": ");
            cli_json_str(stdout, path);
            printf(", \"version\": %" PRIu64 ", \"subjects\": %" PRIu64 ", \"fingers\": %" PRIu64
                   ", \"file_bytes\": %lld, \"memory_bytes\": %" PRIu64
                   ", \"load_ms\": %.1f, \"format\": %u}\n",
                   hs_watchlist_version(wl), n, nf, bytes, hs_watchlist_memory_bytes(wl), ms,
                   hs_watchlist_format_version(wl));
        } else {
            uint32_t fmt = hs_watchlist_format_version(wl);
            printf("%s: version %" PRIu64 ", %" PRIu64 " subjects, %" PRIu64
                   " fingers, %lld bytes (%.0f per finger), loaded in %.1f ms; format %u%s\n",
                   path, hs_watchlist_version(wl), n, nf, bytes,
                   nf ? (double)bytes / (double)nf : 0.0, ms, fmt,
                   fmt >= 3 ? " (orientation fields: libhotspot 1.1 or later reads it)" : "");
        }
        hs_watchlist_free(wl);
        return CLI_OK;
    }
    if (json)
        printf("[");
    for (uint64_t i = 0; i < n; i++) {
        hs_watchlist_subject *sub;
        s = hs_watchlist_subject_at(ctx, &sub, wl, i);
        if (s) {
            hs_watchlist_free(wl);
            return fail(ctx, s, path);
        }
        uint32_t nf = hs_watchlist_subject_field_count(sub);
        if (json) {
            printf("%s\n {\"id\": ", i ? "," : "");
            cli_json_str(stdout, hs_watchlist_subject_id(sub));
            printf(", \"fingers\": [");
            for (uint32_t f = 0; f < hs_watchlist_subject_finger_count(sub); f++) {
                hs_template *t;
                hs_view_info vi;
                memset(&vi, 0, sizeof vi);
                vi.struct_size = sizeof vi;
                if (hs_watchlist_subject_finger(ctx, &t, sub, f) == HS_OK) {
                    hs_template_view_info(t, &vi, 0);
                    hs_template_free(t);
                }
                printf("%s{\"position\": %u, \"minutiae\": %u}", f ? ", " : "",
                       vi.finger_position, vi.minutia_count);
            }
            printf("], \"faces\": %u, \"fields\": {", hs_watchlist_subject_face_count(sub));
            for (uint32_t k = 0; k < nf; k++) {
                const char *key, *val;
                hs_watchlist_subject_field_at(sub, &key, &val, k);
                printf("%s", k ? ", " : "");
                cli_json_str(stdout, key);
                printf(": ");
                cli_json_str(stdout, val);
            }
            printf("}}");
        } else {
            printf("%-24s fingers %u faces %u", hs_watchlist_subject_id(sub),
                   hs_watchlist_subject_finger_count(sub), hs_watchlist_subject_face_count(sub));
            for (uint32_t k = 0; k < nf; k++) {
                const char *key, *val;
                hs_watchlist_subject_field_at(sub, &key, &val, k);
                printf(" %s=%s", key, val);
            }
            printf("\n");
        }
        hs_watchlist_subject_free(sub);
    }
    if (json)
        printf("%s]\n", n ? "\n" : "");
    hs_watchlist_free(wl);
    return CLI_OK;
}

static int wl_search(hs_ctx *ctx, int argc, char **argv)
{
    const char *path = NULL, *face_path = NULL, *answer = NULL;
    hs_nist *txn = NULL;
    int json = 0, nist = 0;
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    unsigned u, ppi = 0, face_model_set = 0;
    cli_device_opts dev = {0};
    int k;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            json = 1;
        } else if ((k = cli_device_opt(&dev, argc, argv, &i)) != 0) {
            if (k < 0)
                return CLI_USAGE;
        } else if (!strcmp(a, "--exhaustive")) {
            o.flags |= HS_WATCHLIST_EXHAUSTIVE;
        } else if (!strcmp(a, "--hits")) {
            o.flags |= HS_WATCHLIST_HITS_ONLY;
        } else if (!strcmp(a, "--finger") && v) {
            i++;
        } else if (!strcmp(a, "--nist") && v) {
            if (nist++)
                return usage("search: one --nist transaction only");
            i++;
        } else if (!strcmp(a, "--answer") && v) {
            answer = argv[++i];
        } else if (!strcmp(a, "--face") && v) {
            face_path = argv[++i];
        } else if (!strcmp(a, "--top") && v) {
            if (!cli_parse_u32(argv[++i], 1, 1000, &o.max_candidates))
                return usage("--top must be 1..1000, not '%s'", v);
        } else if (!strcmp(a, "--threads") && v) {
            if (!cli_parse_u32(argv[++i], 1, 64, &o.threads))
                return usage("--threads must be 1..64, not '%s'", v);
        } else if (!strcmp(a, "--rescore") && v) {
            if (!cli_parse_u32(argv[++i], 1, 100000000, &o.rescore))
                return usage("--rescore must be a positive count, not '%s'", v);
        } else if (!strcmp(a, "--thorough") && v) {
            if (!cli_parse_u32(argv[++i], 0, 1000, &o.thorough))
                return usage("--thorough must be 0..1000, not '%s'", v);
        } else if (!strcmp(a, "--face-model") && v) {
            if (!cli_parse_u32(argv[++i], 0, 65535, &u))
                return usage("--face-model must be 0..65535, not '%s'", v);
            o.face_model = u;
            face_model_set = 1;
        } else if (!strcmp(a, "--ppi") && v) {
            if (!cli_parse_u32(argv[++i], 150, 2000, &ppi))
                return usage("--ppi must be 150..2000, not '%s'", v);
        } else if (!strcmp(a, "--fmr") && v) {
            char *end;
            o.fmr = strtod(argv[++i], &end);
            if (*end || !(o.fmr >= 1e-12 && o.fmr <= 0.5))
                return usage("--fmr must be 1e-12..0.5, not '%s'", v);
        } else if (a[0] == '-') {
            return usage("search: unknown option or missing value: %s", a);
        } else if (!path) {
            path = a;
        } else {
            return usage("search: one list only (%s)", a);
        }
    }
    if (!path)
        return usage("search: LIST missing");
    if (answer && !nist)
        return usage("search: --answer needs the search as --nist TRANSACTION");
    if (cli_device_check(&dev))
        return CLI_USAGE;
    hs_template *probe = NULL;
    float *face = NULL;
    uint32_t face_dim = 0, face_model = 0;
    hs_watchlist *wl = NULL;
    hs_watchlist_result *r = NULL;
    int rc = CLI_ERR;
    hs_status s = hs_template_new(ctx, &probe);
    for (int i = 1; !s && i < argc; i++) {
        if (!strcmp(argv[i], "--finger") && i + 1 < argc) {
            hs_template *t;
            s = cli_load_finger(ctx, argv[++i], ppi, &t);
            if (!s)
                s = cli_append_views(ctx, probe, t);
            hs_template_free(t);
            if (s)
                cli_error(ctx, s, argv[i]);
        } else if (!strcmp(argv[i], "--nist") && i + 1 < argc) {
            if (cli_wl_nist_probe(ctx, &txn, probe, face_path ? NULL : &face, &face_dim,
                                  &face_model, argv[++i]))
                goto out;
            if (face && !face_model_set)
                o.face_model = face_model;
        } else if (!strcmp(argv[i], "--face") || !strcmp(argv[i], "--answer") ||
                   !strcmp(argv[i], "--top") || !strcmp(argv[i], "--threads") ||
                   !strcmp(argv[i], "--fmr") || !strcmp(argv[i], "--rescore") ||
                   !strcmp(argv[i], "--thorough") ||
                   !strcmp(argv[i], "--face-model") || !strcmp(argv[i], "--ppi") ||
                   !strcmp(argv[i], "--storage-key") || !strcmp(argv[i], "--audit") ||
                   !strcmp(argv[i], "--device")) {
            i++;
        }
    }
    if (s)
        goto out;
    if (face_path) {
        s = cli_load_face(ctx, face_path, &face, &face_dim, &face_model);
        if (s) {
            cli_error(ctx, s, face_path);
            goto out;
        }
        if (!face_model_set)
            o.face_model = face_model;
    }
    if (!hs_template_view_count(probe) && !face) {
        rc = usage("search: give --finger and/or --face");
        goto out;
    }
    s = cli_list_load(ctx, &wl, path, &dev);
    if (s) {
        cli_error(ctx, s, path);
        goto out;
    }
    double t0 = cli_now_ms();
    s = hs_watchlist_search(ctx, &r, wl, hs_template_view_count(probe) ? probe : NULL, face,
                            face_dim, &o);
    double ms = cli_now_ms() - t0;
    if (s) {
        cli_error(ctx, s, "search");
        goto out;
    }
    uint32_t n = hs_watchlist_result_count(r);
    uint32_t nprobe = hs_template_view_count(probe);
    if (dev.audit_dir) {
        /* the fact of the search, never who was found */
        int32_t hits = 0;
        for (uint32_t i = 0; i < n; i++) {
            hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
            hs_watchlist_result_candidate(r, &c, i);
            hits += c.hit ? 1 : 0;
        }
        char ref[32];
        snprintf(ref, sizeof ref, "version %" PRIu64, hs_watchlist_version(wl));
        cli_audit_note(&dev, HS_AUDIT_SEARCH, ref, hits > 0, n, "watchlist search");
    }
    if (json) {
        printf("{\"subjects\": %" PRIu64 ", \"rescored\": %" PRIu64
               ", \"fmr\": %g, \"threshold\": %.3f, \"ms\": %.1f, \"candidates\": [",
               hs_watchlist_count(wl), hs_watchlist_result_rescored(r), o.fmr, -log10(o.fmr),
               ms);
    } else {
        printf("%" PRIu64 " subjects, %" PRIu64 " re-scored, %.1f ms; hit when score >= %.2f "
               "(FMR %g per subject)\n",
               hs_watchlist_count(wl), hs_watchlist_result_rescored(r), ms, -log10(o.fmr),
               o.fmr);
        printf("%4s  %-24s %7s %4s %7s %7s  %s\n", "rank", "id", "score", "hit", "finger",
               "face", "per finger (probe: position similarity)");
    }
    for (uint32_t i = 0; i < n; i++) {
        hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
        hs_watchlist_result_candidate(r, &c, i);
        cli_print_candidate(&c, i + 1, nprobe, json, 1);
    }
    if (json)
        printf("%s]}\n", n ? "\n" : "");
    rc = answer ? cli_wl_nist_answer(ctx, answer, txn, r) : CLI_OK;
out:
    hs_nist_free(txn);
    hs_watchlist_result_free(r);
    hs_watchlist_free(wl);
    hs_template_free(probe);
    free(face);
    return rc;
}

static int wl_pack(hs_ctx *ctx, int argc, char **argv)
{
    const char *path = NULL, *key = NULL, *base_path = NULL, *out = NULL;
    uint64_t version = 0;
    int have_version = 0, nto = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--key") && v)
            key = argv[++i];
        else if (!strcmp(a, "--to") && v)
            nto++, i++;
        else if (!strcmp(a, "--base") && v)
            base_path = argv[++i];
        else if (!strcmp(a, "--out") && v)
            out = argv[++i];
        else if (!strcmp(a, "--version") && v) {
            if (!cli_parse_u64(argv[++i], &version))
                return usage("--version needs a number, not '%s'", v);
            have_version = 1;
        } else if (a[0] == '-')
            return usage("pack: unknown option or missing value: %s", a);
        else if (!path)
            path = a;
        else
            return usage("pack: one list only (%s)", a);
    }
    if (!path || !key || !nto || !out)
        return usage("pack: LIST, --key, --to and --out are required");
    uint8_t sk[64];
    uint8_t *rcp = calloc((size_t)nto, 32);
    hs_watchlist *wl = NULL, *base = NULL;
    hs_file_lock *lock = NULL;
    uint8_t *buf = NULL;
    size_t size = 0;
    int rc = CLI_ERR;
    if (!rcp || read_key(key, sk, sizeof sk))
        goto out;
    for (int i = 1, k = 0; i < argc; i++)
        if (!strcmp(argv[i], "--to") && i + 1 < argc)
            if (read_key(argv[++i], rcp + 32 * k++, 32))
                goto out;
    if (!(lock = lock_list(ctx, path)))
        goto out;
    hs_status s = hs_watchlist_load(ctx, &wl, path);
    if (!s && base_path)
        s = hs_watchlist_load(ctx, &base, base_path);
    int version_changed = 0;
    if (!s && have_version && version != hs_watchlist_version(wl)) {
        s = hs_watchlist_set_version(wl, version);
        version_changed = !s;
    }
    if (!s)
        s = hs_watchlist_pack(ctx, NULL, &size, wl, base, sk, rcp, (uint32_t)nto);
    if (!s && !(buf = malloc(size)))
        s = HS_ERR_NOMEM;
    if (!s)
        s = hs_watchlist_pack(ctx, buf, &size, wl, base, sk, rcp, (uint32_t)nto);
    if (!s)
        s = hs_file_save(ctx, out, buf, size, HS_FILE_PRIVATE);
    if (s) {
        cli_error(ctx, s, out);
        goto out;
    }
    /* The list now is the version it was published as: a later delta made
     * with --base LIST must name that version (and digest), or devices that
     * installed this package would refuse it. */
    if (version_changed && (s = hs_watchlist_save(ctx, path, wl)) != HS_OK) {
        cli_error(ctx, s, path);
        goto out;
    }
    hs_watchlist_package_info pi = HS_WATCHLIST_PACKAGE_INFO_INIT;
    if (hs_watchlist_package_info_get(ctx, &pi, buf, size) != HS_OK)
        pi.format = 0;
    printf("%s: %s package, version %" PRIu64 "%s, %zu bytes, %d recipient%s; format %u%s\n",
           out, base ? "delta" : "full", hs_watchlist_version(wl), base ? " (from base)" : "",
           size, nto, nto == 1 ? "" : "s", pi.format,
           pi.format >= 3 ? " (orientation fields: devices need libhotspot 1.1 or later)" : "");
    rc = CLI_OK;
out:
    cli_wipe(sk, sizeof sk);
    free(rcp);
    free(buf);
    hs_file_lock_release(lock);
    hs_watchlist_free(wl);
    hs_watchlist_free(base);
    return rc;
}

/* The device's version state: the installed version as one decimal line. */
static hs_status save_state(hs_ctx *ctx, const char *state, uint64_t version)
{
    char line[32];
    int n = snprintf(line, sizeof line, "%" PRIu64 "\n", version);
    hs_status s = hs_file_save(ctx, state, line, (size_t)n, HS_FILE_PRIVATE);
    if (s)
        cli_error(ctx, s, state);
    return s;
}

static int wl_unpack(hs_ctx *ctx, int argc, char **argv)
{
    const char *pkg = NULL, *auth = NULL, *dev = NULL, *inst = NULL, *state = NULL, *out = NULL;
    cli_device_opts dopt = {0};
    int k;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--authority") && v)
            auth = argv[++i];
        else if (!strcmp(a, "--device") && v)
            dev = argv[++i];
        else if (!strcmp(a, "--installed") && v)
            inst = argv[++i];
        else if (!strcmp(a, "--state") && v)
            state = argv[++i];
        else if (!strcmp(a, "--out") && v)
            out = argv[++i];
        else if ((k = cli_device_opt(&dopt, argc, argv, &i)) != 0) {
            if (k < 0)
                return CLI_USAGE;
        } else if (a[0] == '-')
            return usage("unpack: unknown option or missing value: %s", a);
        else if (!pkg)
            pkg = a;
        else
            return usage("unpack: one package only (%s)", a);
    }
    if (!pkg || !auth || !dev || !out)
        return usage("unpack: PACKAGE, --authority, --device and --out are required");
    dopt.device = dev; /* PREFIX.sign.sec signs the --audit log */
    uint8_t apk[32], dpk[32], dsk[32];
    char kp[4096];
    uint8_t *data = NULL;
    size_t size = 0;
    hs_watchlist *installed = NULL, *wl = NULL;
    hs_file_lock *lock = NULL;
    uint64_t have = 0;
    int rc = CLI_ERR;
    /* One installer at a time: the state is read and written under it. */
    if (!(lock = lock_list(ctx, out)))
        goto out;
    if (read_key(auth, apk, 32))
        goto out;
    snprintf(kp, sizeof kp, "%s.pub", dev);
    if (read_key(kp, dpk, 32))
        goto out;
    snprintf(kp, sizeof kp, "%s.sec", dev);
    if (read_key(kp, dsk, 32))
        goto out;
    if (state) {
        /* Rollback protection fails closed: a state that cannot be read
         * (permissions, a link loop, not a file, garbage) refuses the
         * package instead of counting as version 0. Only a device with no
         * list installed yet may start without a state file. */
        struct stat st;
        if (lstat(state, &st) != 0 && errno == ENOENT && !inst) {
            have = 0;
        } else {
            void *sdata = NULL;
            size_t ssize = 0;
            hs_status ss = hs_file_read(ctx, &sdata, &ssize, state);
            char line[32] = "";
            int ok = !ss && ssize > 0 && ssize < sizeof line;
            if (ok) {
                memcpy(line, sdata, ssize);
                char *nl = strchr(line, '\n');
                if (nl)
                    *nl = '\0';
                ok = cli_parse_u64(line, &have);
            }
            hs_file_free(ctx, sdata, ssize);
            if (!ok) {
                fprintf(stderr,
                        "hotspot: %s: the version state cannot be read (%s); the package is "
                        "refused, since an unknown state would let an older list back in\n",
                        state, ss ? cli_detail(ctx) : "not a version state file");
                goto out;
            }
        }
    }
    void *file = NULL;
    hs_status s = HS_OK;
    const char *failed = pkg;
    if (inst && (s = cli_list_load(ctx, &installed, inst, &dopt)) != HS_OK)
        failed = inst;
    if (!s && state && installed) {
        /* The list is saved before the state, so a crash between the two
         * leaves the list one version ahead: the state rolls forward to it.
         * The other way round, a list older than the state was put back
         * from elsewhere: refused. */
        uint64_t v = hs_watchlist_version(installed);
        if (v < have) {
            fprintf(stderr,
                    "hotspot: %s: installed list version %" PRIu64 " is older than the "
                    "version state %" PRIu64 " (%s): refused; install a full package\n",
                    inst, v, have, state);
            goto out;
        }
        if (v > have) {
            if ((s = save_state(ctx, state, v)) != HS_OK)
                goto out;
            have = v;
        }
    }
    if (!s) {
        s = hs_file_read(ctx, &file, &size, pkg);
        data = file;
    }
    if (!s)
        s = hs_watchlist_unpack(ctx, &wl, installed, have, data, size, apk, dpk, dsk);
    if (!s && (s = cli_list_save(ctx, out, wl, &dopt)) != HS_OK)
        failed = out;
    if (s) {
        cli_error(ctx, s, failed);
        goto out;
    }
    if (state && (s = save_state(ctx, state, hs_watchlist_version(wl))) != HS_OK)
        goto out;
    printf("%s: version %" PRIu64 ", %" PRIu64 " subjects\n", out, hs_watchlist_version(wl),
           hs_watchlist_count(wl));
    char ref[32];
    snprintf(ref, sizeof ref, "version %" PRIu64, hs_watchlist_version(wl));
    cli_audit_note(&dopt, HS_AUDIT_PACKAGE_INSTALL, ref, -1, (uint32_t)hs_watchlist_count(wl),
                   NULL);
    rc = CLI_OK;
out:
    cli_wipe(dsk, sizeof dsk);
    hs_file_lock_release(lock);
    hs_file_free(ctx, data, size);
    hs_watchlist_free(installed);
    hs_watchlist_free(wl);
    return rc;
}

static int wl_keygen(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "--authority") && strcmp(argv[1], "--device")))
        return usage("keygen: --authority PREFIX or --device PREFIX");
    int authority = !strcmp(argv[1], "--authority");
    uint8_t pk[32], sk[64];
    hs_status s = authority ? hs_watchlist_keygen_authority(pk, sk)
                            : hs_watchlist_keygen_device(pk, sk);
    if (s) {
        fprintf(stderr, "hotspot: keygen: %s\n", hs_status_str(s));
        return CLI_ERR;
    }
    char pub[4096], sec[4096];
    snprintf(pub, sizeof pub, "%s.pub", argv[2]);
    snprintf(sec, sizeof sec, "%s.sec", argv[2]);
    int rc = CLI_ERR;
    if (!write_key(sec, sk, authority ? 64 : 32, 1)) {
        if (!write_key(pub, pk, 32, 0)) {
            printf("%s key pair: %s (secret, mode 0600), %s\n",
                   authority ? "authority Ed25519" : "device X25519", sec, pub);
            rc = CLI_OK;
        } else {
            unlink(sec);
        }
    }
    cli_wipe(sk, sizeof sk);
    return rc;
}

int cmd_watchlist(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        if (argc >= 2) {
            printf("%s\n", usage_text);
            return CLI_OK;
        }
        return usage_full();
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "keygen"))
        return wl_keygen(argc - 1, argv + 1);
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    int rc;
    if (!strcmp(sub, "create"))
        rc = wl_create(ctx, argc - 1, argv + 1);
    else if (!strcmp(sub, "add"))
        rc = wl_add(ctx, argc - 1, argv + 1);
    else if (!strcmp(sub, "remove"))
        rc = wl_remove(ctx, argc - 1, argv + 1);
    else if (!strcmp(sub, "list"))
        rc = wl_list(ctx, argc - 1, argv + 1, 0);
    else if (!strcmp(sub, "info"))
        rc = wl_list(ctx, argc - 1, argv + 1, 1);
    else if (!strcmp(sub, "search"))
        rc = wl_search(ctx, argc - 1, argv + 1);
    else if (!strcmp(sub, "pack"))
        rc = wl_pack(ctx, argc - 1, argv + 1);
    else if (!strcmp(sub, "unpack"))
        rc = wl_unpack(ctx, argc - 1, argv + 1);
    else
        rc = usage("unknown watchlist command '%s'", sub);
    hs_ctx_free(ctx);
    return rc;
}
