/* hotspot synth: synthetic fingerprint sets with ground truth.
 * hotspot demo: a watchlist of synthetic people and frontline checks. */
#include "cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- synth --------------------------------------------------------------- */

static int parse_size(const char *s, unsigned *w, unsigned *h)
{
    char *end;
    unsigned long a = strtoul(s, &end, 10);
    if (*end != 'x' && *end != 'X')
        return 0;
    unsigned long b = strtoul(end + 1, &end, 10);
    if (*end || a < 64 || b < 64 || a > 4096 || b > 4096)
        return 0;
    *w = (unsigned)a;
    *h = (unsigned)b;
    return 1;
}

/* Plain-text truth: a header comment, then "x y angle_radians type quality"
 * per line (type 1 ending, 2 bifurcation; ISO angle convention). */
static int write_truth_txt(hs_ctx *ctx, const char *path, const hs_template *t)
{
    cli_out out;
    if (cli_out_open(&out) != 0)
        return 0;
    uint32_t n;
    const hs_minutia *m = hs_template_minutiae(t, &n, 0);
    fprintf(out.f, "# hotspot synth ground truth: x y angle_radians type(1 ending, 2 bifurcation) "
                   "quality\n");
    for (uint32_t i = 0; i < n; i++)
        fprintf(out.f, "%.2f %.2f %.5f %u %u\n", m[i].x, m[i].y, m[i].angle, m[i].type,
                m[i].quality);
    return cli_out_save(ctx, &out, path, 0) == 0;
}

/* Fingers are handed out one at a time to the worker threads; each worker
 * has its own context, the configured generator is shared read-only. */
typedef struct synth_job {
    const hs_synth *g;
    const char *out, *truth;
    unsigned fingers, impressions, first;
    int master;
    unsigned next; /* next finger, under lock */
    int rc;        /* CLI_ERR once any finger failed, under lock */
    pthread_mutex_t lock;
} synth_job;

static int synth_finger(synth_job *j, hs_ctx *ctx, unsigned f, char *path, size_t plen)
{
    hs_synth_master *m = NULL;
    hs_status s = hs_synth_master_new(ctx, &m, j->g, f);
    if (s) {
        cli_error(ctx, s, "master");
        return CLI_ERR;
    }
    int rc = CLI_OK;
    unsigned nimp = j->impressions + (j->master ? 1 : 0);
    for (unsigned k = 0; k < nimp && rc == CLI_OK; k++) {
        hs_image *img = NULL;
        hs_template *t = NULL;
        int is_master = j->master && k == j->impressions;
        char stem[64];
        if (is_master)
            snprintf(stem, sizeof stem, "%u_master", j->first + f);
        else
            snprintf(stem, sizeof stem, "%u_%u", j->first + f, k + 1);
        s = is_master ? hs_synth_master_image(ctx, &img, &t, m)
                      : hs_synth_impression(ctx, &img, &t, j->g, m, k);
        if (!s) {
            snprintf(path, plen, "%s/%s.png", j->out, stem);
            s = hs_image_save(ctx, path, img, HS_IMAGE_FORMAT_PNG, NULL);
        }
        if (!s && !strcmp(j->truth, "hst")) {
            snprintf(path, plen, "%s/%s.hst", j->out, stem);
            s = hs_template_save(ctx, path, t, HS_TEMPLATE_FORMAT_HST);
        } else if (!s && !strcmp(j->truth, "iso")) {
            snprintf(path, plen, "%s/%s.iso", j->out, stem);
            s = hs_template_save(ctx, path, t, HS_TEMPLATE_FORMAT_ISO19794_2_2005);
        } else if (!s && !strcmp(j->truth, "txt")) {
            snprintf(path, plen, "%s/%s.txt", j->out, stem);
            if (!write_truth_txt(ctx, path, t))
                rc = CLI_ERR;
        }
        if (s) {
            cli_error(ctx, s, path);
            rc = CLI_ERR;
        }
        hs_image_free(img);
        hs_template_free(t);
    }
    hs_synth_master_free(m);
    return rc;
}

static void *synth_worker(void *arg)
{
    synth_job *j = arg;
    hs_ctx *ctx = NULL;
    size_t plen = strlen(j->out) + 64;
    char *path = malloc(plen);
    int rc = path && hs_ctx_new(&ctx, NULL) == HS_OK ? CLI_OK : CLI_ERR;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        if (rc != CLI_OK)
            j->rc = rc;
        unsigned f = j->next++;
        int stop = j->rc != CLI_OK || f >= j->fingers;
        pthread_mutex_unlock(&j->lock);
        if (stop)
            break;
        rc = synth_finger(j, ctx, f, path, plen);
    }
    hs_ctx_free(ctx);
    free(path);
    return NULL;
}

static const char *const class_names[] = {"random", "arch", "tented-arch", "left-loop",
                                          "right-loop", "whorl"};

static const char synth_help[] =
    "usage: hotspot synth [options] --out DIR\n"
    "Generate synthetic fingerprints: DIR/{finger}_{impression}.png (fingers from\n"
    "101, impressions from 1) and their ground-truth minutiae.\n"
    "options:\n"
    "  --fingers N (10)  --impressions K (8)  --seed S (1)  --first N (101)\n"
    "  --size WxH (400x400)  --ppi P (500)  --threads T (1)\n"
    "  --class random|arch|tented-arch|left-loop|right-loop|whorl\n"
    "  --noise PCT (100)  --distortion PCT (100)\n"
    "  --truth hst|iso|txt|none (hst)  --master (master prints only)  --fast\n";

static const char demo_help[] =
    "usage: hotspot demo [--people N (40)] [--enrolled N (30)] [--seed S (2026)]\n"
    "                    [--faces DIR [--face-models DIR]]\n"
    "Generate synthetic people, enrol some into a watchlist, check everybody with\n"
    "fresh impressions, print each candidate list and decision, and a summary.\n"
    "--faces DIR: photos, one folder per person (DIR/<person>/<images>); person N\n"
    "enrols the first photo of the N-th folder and presents the second, and the\n"
    "face joins the fingers as evidence. Models: the default set, from\n"
    "--face-models DIR, else $HOTSPOT_FACE_MODELS, else the installed models.\n";

int cmd_synth(int argc, char **argv)
{
    unsigned fingers = 10, impressions = 8, seed = 1, w = 400, h = 400, ppi = 500, first = 101;
    unsigned cls = 0, noise = 100, dist = 100, threads = 1;
    const char *out = NULL, *truth = "hst";
    int master = 0, fast = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(synth_help, stdout);
            return CLI_OK;
        }
        if (!strcmp(a, "--master")) {
            master = 1;
            continue;
        }
        if (!strcmp(a, "--fast")) {
            fast = 1;
            continue;
        }
        if (!v)
            return cli_usage("synth", "%s needs a value", a);
        i++;
        if (!strcmp(a, "--fingers")) {
            if (!cli_parse_u32(v, 1, 1000000, &fingers))
                return cli_usage("synth", "--fingers 1..1000000");
        } else if (!strcmp(a, "--impressions")) {
            if (!cli_parse_u32(v, 1, 1000, &impressions))
                return cli_usage("synth", "--impressions 1..1000");
        } else if (!strcmp(a, "--seed")) {
            if (!cli_parse_u32(v, 0, 0xffffffffu, &seed))
                return cli_usage("synth", "--seed 0..4294967295");
        } else if (!strcmp(a, "--size")) {
            if (!parse_size(v, &w, &h))
                return cli_usage("synth", "--size WxH, 64..4096 each");
        } else if (!strcmp(a, "--ppi")) {
            if (!cli_parse_u32(v, 250, 1000, &ppi))
                return cli_usage("synth", "--ppi 250..1000");
        } else if (!strcmp(a, "--first")) {
            if (!cli_parse_u32(v, 0, 100000000, &first))
                return cli_usage("synth", "--first N (number of the first finger)");
        } else if (!strcmp(a, "--class")) {
            cls = 99;
            for (unsigned c = 0; c < 6; c++)
                if (!strcmp(v, class_names[c]))
                    cls = c;
            if (cls == 99)
                return cli_usage("synth", "--class random|arch|tented-arch|left-loop|right-loop|whorl");
        } else if (!strcmp(a, "--noise")) {
            if (!cli_parse_u32(v, 0, 300, &noise))
                return cli_usage("synth", "--noise 0..300 (percent)");
        } else if (!strcmp(a, "--distortion")) {
            if (!cli_parse_u32(v, 0, 300, &dist))
                return cli_usage("synth", "--distortion 0..300 (percent)");
        } else if (!strcmp(a, "--truth")) {
            if (strcmp(v, "hst") && strcmp(v, "txt") && strcmp(v, "iso") && strcmp(v, "none"))
                return cli_usage("synth", "--truth hst|txt|iso|none");
            truth = v;
        } else if (!strcmp(a, "--threads")) {
            if (!cli_parse_u32(v, 1, 64, &threads))
                return cli_usage("synth", "--threads 1..64");
        } else if (!strcmp(a, "--out")) {
            out = v;
        } else
            return cli_usage("synth", "unknown option %s", a);
    }
    if (!out)
        return cli_usage("synth", "--out DIR is required");
    if (!cli_mkdirs(out)) {
        fprintf(stderr, "hotspot synth: cannot create %s\n", out);
        return CLI_ERR;
    }
    hs_ctx *ctx = NULL;
    hs_synth *g = NULL;
    hs_status s = hs_ctx_new(&ctx, NULL);
    if (!s)
        s = hs_synth_new(ctx, &g, seed);
    if (!s)
        s = hs_synth_set(g, HS_SYNTH_WIDTH, (int32_t)w);
    if (!s)
        s = hs_synth_set(g, HS_SYNTH_HEIGHT, (int32_t)h);
    if (!s)
        s = hs_synth_set(g, HS_SYNTH_PPI, (int32_t)ppi);
    if (!s)
        s = hs_synth_set(g, HS_SYNTH_CLASS, (int32_t)cls);
    if (!s)
        s = hs_synth_set(g, HS_SYNTH_NOISE, (int32_t)noise);
    if (!s)
        s = hs_synth_set(g, HS_SYNTH_DISTORTION, (int32_t)dist);
    if (!s)
        s = hs_synth_set(g, HS_SYNTH_FAST, fast);
    if (s) {
        cli_error(ctx, s, "synth");
        hs_synth_free(g);
        hs_ctx_free(ctx);
        return CLI_ERR;
    }
    double t0 = cli_now_ms();
    synth_job job = {g, out, truth, fingers, impressions, first, master, 0, CLI_OK,
                     PTHREAD_MUTEX_INITIALIZER};
    pthread_t tid[64];
    unsigned started = 0;
    for (unsigned i = 1; i < threads; i++, started++)
        if (pthread_create(&tid[started], NULL, synth_worker, &job)) {
            fprintf(stderr, "hotspot synth: cannot start a thread; continuing with fewer\n");
            break;
        }
    synth_worker(&job);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    int rc = job.rc;
    if (rc == CLI_OK)
        printf("%u fingers x %u impressions (%ux%u, %u ppi, seed %u) in %s: %.1f s\n", fingers,
               impressions, w, h, ppi, seed, out, (cli_now_ms() - t0) / 1000);
    pthread_mutex_destroy(&job.lock);
    hs_synth_free(g);
    hs_ctx_free(ctx);
    return rc;
}

/* ---- demo ---------------------------------------------------------------- */

/* Faces: with --faces DIR, a folder of photos with one sub-folder per
 * identity (DIR/<identity>/<images>, as for 'hotspot face eval'; the AT&T
 * set is one): person N takes the N-th identity in name order, enrols its
 * first image and presents its second. The engine uses the default models
 * (from --face-models DIR, else $HOTSPOT_FACE_MODELS, else the installed
 * ones). The synthetic people have no faces of their own. */
typedef struct demo_faces {
    hs_face_engine *e;
    uint32_t model_id;
    const char *dir;
    char **ids;      /* identity folders, sorted */
    size_t nids;
} demo_faces;

/* Load the engine and list the identities; says on stdout why faces are
 * skipped when they are. Returns false then. */
static bool demo_faces_open(hs_ctx *ctx, demo_faces *df, const char *models, const char *dir)
{
    memset(df, 0, sizeof *df);
    if (!dir) {
        printf("faces: not used (the synthetic people have no face photos: give --faces DIR,\n"
               "       one folder of photos per person, e.g. ../shared/data/face/att_faces)\n");
        return false;
    }
    size_t n = 0;
    char **names = cli_list_dir(dir, &n);
    if (!names) {
        printf("faces: skipped (cannot read %s)\n", dir);
        return false;
    }
    /* keep the sub-folders only */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            names[k++] = names[i];
        else
            free(names[i]);
    }
    if (!k) {
        free(names);
        printf("faces: skipped (no identity folders in %s: DIR/<person>/<images>)\n", dir);
        return false;
    }
    hs_face_engine_options eo;
    memset(&eo, 0, sizeof eo);
    eo.struct_size = sizeof eo;
    eo.models_dir = models; /* NULL: $HOTSPOT_FACE_MODELS, else the installed models */
    hs_status s = hs_face_engine_new(ctx, &df->e, &eo);
    if (s) {
        printf("faces: skipped (face engine: %s%s%s)\n", hs_status_str(s),
               *hs_ctx_last_error(ctx) ? ": " : "", hs_ctx_last_error(ctx));
        cli_free_list(names, k);
        return false;
    }
    df->model_id = hs_face_engine_model_id(df->e);
    df->dir = dir;
    df->ids = names;
    df->nids = k;
    printf("faces: default models (%u-d); %zu people with photos in %s\n"
           "       (person N: the N-th folder, enrols its first photo, presents its second)\n",
           hs_face_engine_dim(df->e), k, dir);
    return true;
}

static void demo_faces_close(demo_faces *df)
{
    hs_face_engine_free(df->e);
    cli_free_list(df->ids, df->nids);
    memset(df, 0, sizeof *df);
}

/* Embedding of photo k (0 = first) of person i; 0 dims when there is none
 * (no such person or photo, or no face found). */
static uint32_t demo_face(hs_ctx *ctx, const demo_faces *df, unsigned i, size_t k, float *out,
                          uint32_t cap)
{
    if (!df->e || i >= df->nids)
        return 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", df->dir, df->ids[i]);
    size_t n = 0;
    char **files = cli_list_dir(dir, &n);
    uint32_t dim = 0;
    size_t seen = 0;
    for (size_t f = 0; f < n && !dim; f++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        hs_image *img = NULL;
        if (hs_image_load(ctx, &img, path, HS_IMAGE_KEEP_COLOR) != HS_OK)
            continue; /* not an image */
        if (seen++ == k && hs_face_embed(ctx, out, cap, &dim, NULL, df->e, img, NULL) != HS_OK)
            dim = 0;
        hs_image_free(img);
        if (seen > k)
            break;
    }
    cli_free_list(files, n);
    return dim;
}

typedef struct person {
    char id[16];
    int enrolled;
    hs_synth_master *finger[2];
} person;

/* Masters of all fingers, made by two threads (one ctx each). */
typedef struct demo_gen {
    const hs_synth *g;
    person *pp;
    unsigned people, next; /* next finger (2 per person), under lock */
    hs_status status;      /* first failure, under lock */
    pthread_mutex_t lock;
} demo_gen;

static void *demo_gen_worker(void *arg)
{
    demo_gen *d = arg;
    hs_ctx *ctx = NULL;
    hs_status s = hs_ctx_new(&ctx, NULL);
    for (;;) {
        pthread_mutex_lock(&d->lock);
        if (s && !d->status)
            d->status = s;
        unsigned k = d->next++;
        int stop = d->status || k >= 2 * d->people;
        pthread_mutex_unlock(&d->lock);
        if (stop)
            break;
        s = hs_synth_master_new(ctx, &d->pp[k / 2].finger[k % 2], d->g, k);
    }
    hs_ctx_free(ctx);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Two fingers of one person (impression k of each) as one probe template. */
static hs_status capture(hs_ctx *ctx, const hs_synth *g, hs_finger_extractor *ex,
                         const person *p, uint32_t k, hs_template **out)
{
    static const uint32_t pos[2] = {HS_FINGER_RIGHT_INDEX, HS_FINGER_LEFT_INDEX};
    hs_template *t = NULL;
    hs_status s = hs_template_new(ctx, &t);
    for (int f = 0; f < 2 && !s; f++) {
        hs_image *img = NULL;
        hs_template *x = NULL;
        s = hs_synth_impression(ctx, &img, NULL, g, p->finger[f], k);
        if (!s)
            s = hs_finger_extract(ctx, &x, ex, img);
        if (!s) {
            hs_view_info vi = {sizeof vi, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            uint32_t n;
            const hs_minutia *m = hs_template_minutiae(x, &n, 0);
            s = hs_template_view_info(x, &vi, 0);
            vi.finger_position = pos[f];
            if (!s)
                s = hs_template_add_view(ctx, t, &vi, m, n);
        }
        hs_template_free(x);
        hs_image_free(img);
    }
    if (s) {
        hs_template_free(t);
        return s;
    }
    *out = t;
    return HS_OK;
}

int cmd_demo(int argc, char **argv)
{
    unsigned people = 40, enrolled = 30, seed = 2026;
    const char *face_models = NULL, *face_dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(demo_help, stdout);
            return CLI_OK;
        }
        if (!v)
            return cli_usage("demo", "%s needs a value", a);
        i++;
        if (!strcmp(a, "--people")) {
            if (!cli_parse_u32(v, 2, 10000, &people))
                return cli_usage("demo", "--people 2..10000");
        } else if (!strcmp(a, "--enrolled")) {
            if (!cli_parse_u32(v, 1, 10000, &enrolled))
                return cli_usage("demo", "--enrolled 1..10000");
        } else if (!strcmp(a, "--seed")) {
            if (!cli_parse_u32(v, 0, 0xffffffffu, &seed))
                return cli_usage("demo", "--seed 0..4294967295");
        } else if (!strcmp(a, "--face-models")) {
            face_models = v;
        } else if (!strcmp(a, "--faces")) {
            face_dir = v;
        } else
            return cli_usage("demo", "unknown option %s", a);
    }
    if (enrolled > people)
        enrolled = people;
    hs_ctx *ctx = NULL;
    hs_synth *g = NULL;
    hs_finger_extractor *ex = NULL;
    hs_watchlist *wl = NULL;
    demo_faces df;
    memset(&df, 0, sizeof df);
    float face[HS_WATCHLIST_FACE_DIM_MAX];
    person *pp = calloc(people, sizeof *pp);
    double *times = calloc(people, sizeof *times);
    int rc = CLI_ERR;
    hs_status s = pp && times ? hs_ctx_new(&ctx, NULL) : HS_ERR_NOMEM;
    if (!s)
        s = hs_synth_new(ctx, &g, seed);
    if (!s)
        s = hs_finger_extractor_new(ctx, &ex);
    if (!s)
        s = hs_watchlist_new(ctx, &wl);
    if (s) {
        cli_error(ctx, s, "demo");
        goto done;
    }
    float demo_threshold = 0.0f;
    hs_finger_threshold_for_fmr(&demo_threshold, 1e-4);
    printf("hotspot demo: %u synthetic people (seed %u), 2 fingers each (right and left index),\n"
           "%u of them on the watchlist; every person then presents fresh impressions of both\n"
           "fingers at a checkpoint. Decision: hit when the fused score of both fingers reaches\n"
           "the threshold of a false match rate of 1e-4 per subject (fused score >= 4.0; one\n"
           "finger alone: matcher score >= %.3f, hs_finger_threshold_for_fmr(1e-4)).\n\n",
           people, seed, enrolled, (double)demo_threshold);

    demo_faces_open(ctx, &df, face_models, face_dir);

    /* Population (the fingers' masters, on both cores), then enrolment
     * (impression 0 of each finger). */
    double t0 = cli_now_ms();
    demo_gen dg = {g, pp, people, 0, HS_OK, PTHREAD_MUTEX_INITIALIZER};
    pthread_t helper;
    int helped = pthread_create(&helper, NULL, demo_gen_worker, &dg) == 0;
    demo_gen_worker(&dg);
    if (helped)
        pthread_join(helper, NULL);
    pthread_mutex_destroy(&dg.lock);
    if (dg.status) {
        cli_error(NULL, dg.status, "synthetic finger");
        goto done;
    }
    for (unsigned i = 0; i < people; i++) {
        person *p = &pp[i];
        snprintf(p->id, sizeof p->id, "P%03u", i + 1);
        p->enrolled = i < enrolled;
        if (!p->enrolled)
            continue;
        hs_template *t = NULL;
        hs_watchlist_subject *sub = NULL;
        s = capture(ctx, g, ex, p, 0, &t);
        if (!s)
            s = hs_watchlist_subject_new(ctx, &sub, p->id);
        for (uint32_t v = 0; v < 2 && !s; v++)
            s = hs_watchlist_subject_add_finger(ctx, sub, t, v);
        uint32_t fd = !s ? demo_face(ctx, &df, i, 0, face, HS_WATCHLIST_FACE_DIM_MAX) : 0;
        if (fd)
            s = hs_watchlist_subject_add_face(ctx, sub, face, fd, df.model_id);
        if (!s)
            s = hs_watchlist_add(ctx, wl, sub);
        hs_watchlist_subject_free(sub);
        hs_template_free(t);
        if (s) {
            cli_error(ctx, s, "enrolment");
            goto done;
        }
    }
    printf("enrolled %llu subjects (%llu fingers) in %.1f s, including generating all %u people\n",
           (unsigned long long)hs_watchlist_count(wl),
           (unsigned long long)hs_watchlist_finger_count(wl), (cli_now_ms() - t0) / 1000, people);
    printf("\n");

    /* Checks: impression 1 of both fingers of every person. */
    unsigned hits = 0, misses = 0, false_hits = 0, rejections = 0, checks = 0, on_list = 0;
    int matching = 1;
    hs_watchlist_search_options opt = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    opt.max_candidates = 3;
    opt.flags = HS_WATCHLIST_EXHAUSTIVE;
    for (unsigned i = 0; i < people && matching; i++) {
        person *p = &pp[i]; /* the people on the list first, then the others */
        hs_template *probe = NULL;
        hs_watchlist_result *res = NULL;
        double tc = cli_now_ms();
        s = capture(ctx, g, ex, p, 1, &probe);
        uint32_t fd = !s ? demo_face(ctx, &df, i, 1, face, HS_WATCHLIST_FACE_DIM_MAX) : 0;
        opt.face_model = df.model_id;
        if (!s)
            s = hs_watchlist_search(ctx, &res, wl, probe, fd ? face : NULL, fd, &opt);
        double el = cli_now_ms() - tc;
        hs_template_free(probe);
        if (s == HS_ERR_NOT_BUILT) {
            printf("finger matching is not in this build of the library yet: the checks cannot\n"
                   "be scored (generation, extraction and enrolment above worked).\n");
            matching = 0;
            break;
        }
        if (s) {
            cli_error(ctx, s, "check");
            goto done;
        }
        times[checks++] = el;
        on_list += (unsigned)p->enrolled;
        uint32_t nc = hs_watchlist_result_count(res);
        printf("check %2u  %s (%s)  candidates:", checks, p->id, p->enrolled ? "on list" : "not on list");
        const char *hit_id = NULL;
        for (uint32_t c = 0; c < nc; c++) {
            hs_watchlist_candidate cd;
            memset(&cd, 0, sizeof cd);
            cd.struct_size = sizeof cd;
            if (hs_watchlist_result_candidate(res, &cd, c))
                continue;
            printf(" %s %.1f%s (%.2f/%.2f", cd.id, cd.score, cd.hit ? "*" : "",
                   (double)cd.finger_similarity[0], (double)cd.finger_similarity[1]);
            if (cd.face_similarity > -2)
                printf(" face %.2f", cd.face_similarity);
            printf(")");
            if (cd.hit && !hit_id)
                hit_id = cd.id;
        }
        if (!nc)
            printf(" none");
        const char *verdict;
        if (hit_id && p->enrolled && !strcmp(hit_id, p->id)) {
            hits++;
            verdict = "HIT (correct)";
        } else if (hit_id) {
            false_hits++;
            verdict = "HIT (false)";
        } else if (p->enrolled) {
            misses++;
            verdict = "no hit (miss)";
        } else {
            rejections++;
            verdict = "no hit (correct)";
        }
        printf("  -> %s  %.0f ms\n", verdict, el);
        hs_watchlist_result_free(res);
    }
    if (matching && checks) {
        qsort(times, checks, sizeof *times, cmp_double);
        printf("\nsummary: %u checks (%u on the list, %u not), %u hits, %u misses, %u false hits, "
               "%u correct no-hits; median %.0f ms per check (generate and extract two fingers%s, "
               "search)\n", checks, on_list, checks - on_list,
               hits, misses, false_hits, rejections, times[(checks - 1) / 2],
               df.e ? ", embed the face" : "");
        printf("(* = hit at FMR 1e-4; score = -log10 of the fused impostor p-value; in brackets\n"
               " the matcher scores of the right and left index fingers%s)\n",
               df.e ? " and the face cosine similarity" : "");
    }
    rc = CLI_OK;
done:
    if (pp)
        for (unsigned i = 0; i < people; i++)
            for (int f = 0; f < 2; f++)
                hs_synth_master_free(pp[i].finger[f]);
    free(pp);
    free(times);
    hs_watchlist_free(wl);
    demo_faces_close(&df);
    hs_finger_extractor_free(ex);
    hs_synth_free(g);
    hs_ctx_free(ctx);
    return rc;
}
