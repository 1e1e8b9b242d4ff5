/* Watchlist benchmark.
 *
 *   bench_watchlist [N] [--threads T] [--exhaustive-probes K] [--probes P] [--file PATH]
 *                   [--no-cache] [--distractors synth|perturbed] [--gallery PATH]
 *                   [--reference-cached] [--reference-unscored] [--pressure P]
 *                   [--dump PATH] [--images]
 *
 * --distractors synth (default): ground-truth minutiae of synthetic
 *   impressions (synth.h, fast masters), max(10, N / 20000) impressions per
 *   master (a master costs ~12 ms, an impression ~0.03 ms: 1M distinct masters
 *   would take hours), each with extraction-like noise (10% dropped, 5%
 *   spurious, 1.5 px / 3 degree jitter). perturbed: the older mirrored and
 *   mixed real FVC templates (a filter can tell mirrored prints apart, so
 *   they may flatter it); kept for comparison.
 * --pressure P: HS_SYNTH_PRESSURE of the synthetic distractors (contact size,
 *   percent; default 100). docs/synthetic.md: at 75 the truth templates have
 *   about 30 minutiae and an impostor tail like extracted impressions; at
 *   100 (45-47 minutiae) their tail is lighter, which flatters a filter. A
 *   --gallery file does not record the pressure: use one path per pressure.
 * --gallery PATH: the distractors are loaded from PATH when it holds N of
 *   them, else built and saved there (the 1M gallery takes minutes to build).
 * --reference-cached: the exhaustive reference runs after the prepared cache
 *   is built (same results, ~12x faster: what makes it affordable at 1M);
 *   the filter figures are still those without the cache.
 * --reference-unscored: exhaustive search (with the cache) of only those of
 *   the P filter probes whose mate the filter did not re-score. Where the
 *   filter re-scored the mate, exhaustive search can only rank it as well or
 *   worse, so this bounds the difference from above at a tenth of the cost:
 *   what makes all 560 probes affordable at a million subjects.
 * --dump PATH: write every search's candidate list (ids, fused scores and
 *   matcher scores, in order) to PATH, one line per search, so that two
 *   builds can be compared with diff (their timings cannot be).
 *
 * --images: our extractor's templates of the FVC images instead of the
 *   SecuGen ISO records; part 1, then the 560 probes against a gallery of N
 *   synthetic distractors extracted from their images by our extractor
 *   (pressure P) plus the 80 planted prints, filtered and exhaustive; each
 *   twice in one run: with the templates as extracted (their orientation
 *   fields stored in the list) and with copies holding the minutiae only
 *   (as lists of format 2 stored them). Parts 2 and 3 are not run.
 *
 * Uses the ISO templates of the eight FVC B sets (../shared/data/fingerprint/
 * iso19794-2-secugen): the first impression of each of the 80 fingers is
 * enrolled, the other 560 are probes. Prints:
 *  1. direct identification with hs_finger_match (80 x 560) and the same
 *     through the watchlist (filter and exhaustive): rank-1 and agreement;
 *  2. a gallery of N distractors (see --distractors) plus the 80 planted
 *     fingers: memory per finger, exhaustive
 *     comparisons per second on T threads, filtered search time and rank-1
 *     against exhaustive search on the planted probes;
 *  3. save and load time of that list.
 */
#include "benchutil.h"

#include <hotspot/hotspot.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SETS 8
#define FINGERS 10
#define IMPR 8
#define M_PI_ 3.14159265358979323846

static hs_template *tmpl[SETS][FINGERS][IMPR];

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}
static double unit(void) { return (rnd() & 0xffffff) / 16777216.0; }

/* CPU time of the whole process (all threads), ms: the machine is shared,
 * so throughput is also reported per CPU second. */
static double proc_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int load_fvc(hs_finger_extractor *ex)
{
    for (int s = 0; s < SETS; s++)
        for (int f = 0; f < FINGERS; f++)
            for (int i = 0; i < IMPR; i++) {
                tmpl[s][f][i] = bu_fvc_template(s, 101 + f, i + 1, ex);
                if (!tmpl[s][f][i]) {
                    printf("SKIP: cannot read %s %d_%d under %s\n", bu_fvc_sets[s].name,
                           101 + f, i + 1, bu_shared_root());
                    return 0;
                }
            }
    return 1;
}

/* A copy of view 0 of t without its extended data (the orientation field of
 * our extractor's): the minutiae and view information only, as lists of
 * format 2 stored every finger. */
static hs_template *minutiae_only(const hs_template *t)
{
    hs_template *c = NULL;
    hs_view_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    uint32_t n = 0;
    const hs_minutia *m = hs_template_minutiae(t, &n, 0);
    if (hs_template_view_info(t, &info, 0) != HS_OK || hs_template_new(NULL, &c) != HS_OK ||
        hs_template_add_view(NULL, c, &info, m, n) != HS_OK) {
        fprintf(stderr, "cannot copy a template\n");
        exit(1);
    }
    return c;
}

/* The FVC templates replaced by such copies. */
static void strip_fvc(void)
{
    for (int s = 0; s < SETS; s++)
        for (int f = 0; f < FINGERS; f++)
            for (int i = 0; i < IMPR; i++) {
                hs_template *c = minutiae_only(tmpl[s][f][i]);
                hs_template_free(tmpl[s][f][i]);
                tmpl[s][f][i] = c;
            }
}

/* Probe p (0..559) of the FVC sets: impression 2..8 of finger p / 7, with
 * its mate's subject id written to id (64 bytes). */
static const hs_template *fvc_probe(int p, char *id)
{
    int s = p / 70, f = (p % 70) / 7, i = 1 + p % 7;
    snprintf(id, 64, "%s/%d", bu_fvc_sets[s].name, 101 + f);
    return tmpl[s][f][i];
}

/* A distractor: a mirrored real print (or two mirrored halves of two prints),
 * turned and shifted at random, 20% of minutiae dropped, 10% added, jittered. */
static hs_template *distractor(void)
{
    const hs_template *a = tmpl[rnd() % SETS][rnd() % FINGERS][rnd() % IMPR];
    const hs_template *b = tmpl[rnd() % SETS][rnd() % FINGERS][rnd() % IMPR];
    int mix = rnd() & 1;
    hs_view_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    hs_template_view_info(a, &info, 0);
    uint32_t na, nb;
    const hs_minutia *ma = hs_template_minutiae(a, &na, 0);
    const hs_minutia *mb = hs_template_minutiae(b, &nb, 0);
    hs_minutia out[300];
    uint32_t n = 0;
    double w = info.width ? info.width : 300, h = info.height ? info.height : 400;
    double rot = unit() * 2 * M_PI_, c = cos(rot), s = sin(rot);
    double dx = (unit() - 0.5) * 40, dy = (unit() - 0.5) * 40;
    for (int src = 0; src < (mix ? 2 : 1); src++) {
        const hs_minutia *m = src ? mb : ma;
        uint32_t cnt = src ? nb : na;
        for (uint32_t i = 0; i < cnt && n < 250; i++) {
            if (mix && ((m[i].y < h / 2) != (src == 0)))
                continue; /* top half from a, bottom half from b */
            if (unit() < 0.2)
                continue;
            double x = w - m[i].x - w / 2, y = m[i].y - h / 2; /* mirrored */
            double ang = M_PI_ - m[i].angle;
            double xr = c * x + s * y + w / 2 + dx + (unit() - 0.5) * 4;
            double yr = -s * x + c * y + h / 2 + dy + (unit() - 0.5) * 4;
            ang = fmod(ang + rot + (unit() - 0.5) * 0.17 + 4 * M_PI_, 2 * M_PI_);
            if (xr < 0 || yr < 0 || xr > w || yr > h)
                continue;
            out[n] = m[i];
            out[n].x = (float)xr;
            out[n].y = (float)yr;
            out[n].angle = (float)(ang >= 2 * M_PI_ ? 0 : ang);
            n++;
        }
    }
    /* added minutiae near existing ones, so the print keeps its extent */
    uint32_t add = n / 10, base = n;
    for (uint32_t i = 0; i < add && base && n < 250; i++) {
        const hs_minutia *r = &out[rnd() % base];
        double ang0 = unit() * 2 * M_PI_, l = 15 + unit() * 25;
        double x = r->x + l * cos(ang0), y = r->y + l * sin(ang0);
        if (x < 0 || y < 0 || x > w || y > h)
            continue;
        out[n] = *r;
        out[n].x = (float)x;
        out[n].y = (float)y;
        out[n].angle = (float)(unit() * 6.28);
        n++;
    }
    hs_template *t;
    hs_template_new(NULL, &t);
    info.finger_position = 0;
    if (hs_template_add_view(NULL, t, &info, out, n) != HS_OK) {
        hs_template_free(t);
        return NULL;
    }
    return t;
}

/* ---- synthetic distractors --------------------------------------------- */

typedef struct synth_job {
    hs_synth *gen;
    hs_watchlist *wl;
    pthread_mutex_t *mu;
    uint32_t next_master, masters, ipm, n; /* shared: next master to make */
    int failed;
    int images; /* our extractor on the impressions' images, not their truth */
} synth_job;

static uint64_t rs_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static double rs_unit(uint64_t *s) { return (double)(rs_next(s) >> 40) / 16777216.0; }

/* Extraction-like noise on ground truth: 10% dropped, 5% spurious near
 * others, positions jittered by up to 1.5 px and angles by 3 degrees. */
static hs_template *noisy(const hs_template *t, uint64_t seed)
{
    uint64_t rs = seed * 0x9e3779b97f4a7c15ull + 1;
    hs_view_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    hs_template_view_info(t, &info, 0);
    uint32_t n0;
    const hs_minutia *m = hs_template_minutiae(t, &n0, 0);
    hs_minutia out[300];
    uint32_t n = 0;
    double w = info.width, h = info.height;
    for (uint32_t i = 0; i < n0 && n < 250; i++) {
        if (rs_unit(&rs) < 0.10)
            continue;
        out[n] = m[i];
        out[n].x = (float)fmin(fmax(m[i].x + (rs_unit(&rs) - 0.5) * 3, 0), w);
        out[n].y = (float)fmin(fmax(m[i].y + (rs_unit(&rs) - 0.5) * 3, 0), h);
        double a = fmod(m[i].angle + (rs_unit(&rs) - 0.5) * 0.105 + 4 * M_PI_, 2 * M_PI_);
        out[n].angle = (float)(a >= 2 * M_PI_ ? 0 : a);
        n++;
    }
    uint32_t base = n, add = (n + 10) / 20;
    for (uint32_t i = 0; i < add && base && n < 250; i++) {
        const hs_minutia *r = &out[rs_next(&rs) % base];
        double a0 = rs_unit(&rs) * 2 * M_PI_, l = 12 + rs_unit(&rs) * 25;
        double x = r->x + l * cos(a0), y = r->y + l * sin(a0);
        if (x < 0 || y < 0 || x > w || y > h)
            continue;
        out[n] = *r;
        out[n].x = (float)x;
        out[n].y = (float)y;
        out[n].angle = (float)(rs_unit(&rs) * 6.28);
        n++;
    }
    hs_template *o;
    hs_template_new(NULL, &o);
    info.finger_position = 0;
    if (hs_template_add_view(NULL, o, &info, out, n) != HS_OK) {
        hs_template_free(o);
        return NULL;
    }
    return o;
}

static void *synth_worker(void *arg)
{
    synth_job *j = arg;
    hs_watchlist_subject **subs = calloc(j->ipm, sizeof *subs);
    hs_finger_extractor *ex = NULL;
    if (j->images && hs_finger_extractor_new(NULL, &ex) != HS_OK)
        j->failed = 1;
    for (;;) {
        pthread_mutex_lock(j->mu);
        uint32_t mi = j->next_master++;
        pthread_mutex_unlock(j->mu);
        if (mi >= j->masters || j->failed)
            break;
        hs_synth_master *ms = NULL;
        if (hs_synth_master_new(NULL, &ms, j->gen, mi)) {
            j->failed = 1;
            break;
        }
        uint32_t k = 0;
        for (; k < j->ipm && (uint64_t)mi * j->ipm + k < j->n; k++) {
            hs_template *t = NULL, *nt = NULL;
            char id[32];
            snprintf(id, sizeof id, "D%07u", mi * j->ipm + k);
            subs[k] = NULL;
            if (j->images) {
                hs_image *img = NULL;
                if (hs_synth_impression(NULL, &img, NULL, j->gen, ms, k) == HS_OK &&
                    hs_finger_extract(NULL, &nt, ex, img) == HS_OK &&
                    hs_watchlist_subject_new(NULL, &subs[k], id) == HS_OK &&
                    hs_watchlist_subject_add_finger(NULL, subs[k], nt, 0) != HS_OK) {
                    hs_watchlist_subject_free(subs[k]);
                    subs[k] = NULL;
                }
                hs_image_free(img);
                hs_template_free(nt);
                continue;
            }
            if (hs_synth_impression(NULL, NULL, &t, j->gen, ms, k) == HS_OK &&
                (nt = noisy(t, (uint64_t)mi * j->ipm + k)) != NULL &&
                hs_watchlist_subject_new(NULL, &subs[k], id) == HS_OK)
                hs_watchlist_subject_add_finger(NULL, subs[k], nt, 0);
            hs_template_free(t);
            hs_template_free(nt);
        }
        hs_synth_master_free(ms);
        pthread_mutex_lock(j->mu);
        for (uint32_t q = 0; q < k; q++)
            if (subs[q] && hs_watchlist_add(NULL, j->wl, subs[q]))
                j->failed = 1;
        pthread_mutex_unlock(j->mu);
        for (uint32_t q = 0; q < k; q++)
            hs_watchlist_subject_free(subs[q]);
    }
    free(subs);
    hs_finger_extractor_free(ex);
    return NULL;
}

static int synth_gallery(hs_watchlist *wl, uint32_t n, uint32_t threads, int32_t pressure,
                         int images)
{
    hs_synth *gen = NULL;
    if (hs_synth_new(NULL, &gen, 20261123) || hs_synth_set(gen, HS_SYNTH_FAST, 1) ||
        hs_synth_set(gen, HS_SYNTH_PRESSURE, pressure))
        return 0;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    synth_job j = {gen, wl, &mu, 0, 0, n / 20000 > 10 ? n / 20000 : 10, n, 0, images};
    j.masters = (n + j.ipm - 1) / j.ipm;
    pthread_t th[64];
    if (threads > 64)
        threads = 64;
    for (uint32_t t = 1; t < threads; t++)
        pthread_create(&th[t], NULL, synth_worker, &j);
    synth_worker(&j);
    for (uint32_t t = 1; t < threads; t++)
        pthread_join(th[t], NULL);
    hs_synth_free(gen);
    printf("synthetic distractors: %u masters x %u impressions, pressure %d%s\n", j.masters,
           j.ipm, (int)pressure, images ? ", our extractor on their images" : "");
    return !j.failed;
}

static void enroll(hs_watchlist *wl, const char *id, const hs_template *t)
{
    hs_watchlist_subject *s;
    if (hs_watchlist_subject_new(NULL, &s, id) || hs_watchlist_subject_add_finger(NULL, s, t, 0) ||
        hs_watchlist_add(NULL, wl, s)) {
        fprintf(stderr, "enrol %s failed\n", id);
        exit(1);
    }
    hs_watchlist_subject_free(s);
}

/* Rank-1 identity of a probe: 1 when the top candidate is its own finger.
 * When want is set, found tells whether that id was among the candidates
 * (with max_candidates 1000: whether the filter passed it on). */
static double last_cpu_ms;
static const char *want;
static int found;
static FILE *dump;
static unsigned long dump_seq;

/* One line of the --dump file: the search's number and flags, then each
 * candidate's id, hit flag, fused score and matcher scores (exact digits). */
static void dump_result(const hs_watchlist_result *r, uint32_t flags)
{
    hs_watchlist_candidate c;
    fprintf(dump, "%lu flags %u n %u rescored %llu:", dump_seq++, flags,
            hs_watchlist_result_count(r), (unsigned long long)hs_watchlist_result_rescored(r));
    for (uint32_t k = 0; k < hs_watchlist_result_count(r); k++) {
        memset(&c, 0, sizeof c);
        c.struct_size = sizeof c;
        if (hs_watchlist_result_candidate(r, &c, k) != HS_OK)
            continue;
        fprintf(dump, " %s %u %.17g", c.id, c.hit, c.score);
        for (uint32_t v = 0; v < c.finger_count; v++)
            fprintf(dump, " %.9g/%u", (double)c.finger_similarity[v], c.finger_position[v]);
    }
    fputc('\n', dump);
}

static int search_top(const hs_watchlist *wl, const hs_template *probe,
                      const hs_watchlist_search_options *o, char *top, double *ms)
{
    hs_watchlist_result *r;
    double c0 = proc_cpu_ms();
    double t0 = bu_wall_ms();
    hs_status st = hs_watchlist_search(NULL, &r, wl, probe, NULL, 0, o);
    *ms = bu_wall_ms() - t0;
    last_cpu_ms = proc_cpu_ms() - c0;
    if (st) {
        fprintf(stderr, "search: %s\n", hs_status_str(st));
        exit(1);
    }
    hs_watchlist_candidate c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    top[0] = 0;
    if (hs_watchlist_result_candidate(r, &c, 0) == HS_OK)
        snprintf(top, 64, "%s", c.id);
    if (dump)
        dump_result(r, o->flags);
    found = 0;
    for (uint32_t k = 0; want && k < hs_watchlist_result_count(r); k++)
        if (hs_watchlist_result_candidate(r, &c, k) == HS_OK && !strcmp(c.id, want))
            found = 1;
    hs_watchlist_result_free(r);
    return 0;
}

/* A copy of wl whose fingers hold their minutiae only (no orientation
 * field), through the public API. */
static hs_watchlist *strip_list(const hs_watchlist *wl)
{
    hs_watchlist *out;
    if (hs_watchlist_new(NULL, &out) != HS_OK)
        exit(1);
    for (uint64_t i = 0; i < hs_watchlist_count(wl); i++) {
        hs_watchlist_subject *s, *c;
        if (hs_watchlist_subject_at(NULL, &s, wl, i) != HS_OK ||
            hs_watchlist_subject_new(NULL, &c, hs_watchlist_subject_id(s)) != HS_OK)
            exit(1);
        for (uint32_t f = 0; f < hs_watchlist_subject_finger_count(s); f++) {
            hs_template *t, *b;
            if (hs_watchlist_subject_finger(NULL, &t, s, f) != HS_OK)
                exit(1);
            b = minutiae_only(t);
            if (hs_watchlist_subject_add_finger(NULL, c, b, 0) != HS_OK)
                exit(1);
            hs_template_free(t);
            hs_template_free(b);
        }
        if (hs_watchlist_add(NULL, out, c) != HS_OK)
            exit(1);
        hs_watchlist_subject_free(s);
        hs_watchlist_subject_free(c);
    }
    return out;
}

/* Rank-1 of the 560 FVC probes against a gallery, filtered and exhaustive,
 * with the median wall time per search. */
static void gallery_rank(const hs_watchlist *wl, uint32_t T, const char *label)
{
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.threads = T;
    char id[64], top[64];
    double *ms = calloc(560, sizeof *ms);
    for (int ex = 0; ex < 2; ex++) {
        o.flags = ex ? HS_WATCHLIST_EXHAUSTIVE : 0;
        int ok = 0;
        for (int p = 0; p < 560; p++) {
            const hs_template *probe = fvc_probe(p, id);
            search_top(wl, probe, &o, top, &ms[p]);
            ok += !strcmp(top, id);
        }
        printf("%s%s search of %llu subjects: rank-1 %.2f%% (%d/560), median %.1f ms per search "
               "on %u threads\n",
               label, ex ? "exhaustive" : "filtered", (unsigned long long)hs_watchlist_count(wl),
               100.0 * ok / 560, ok, bu_median(ms, 560), T);
    }
    free(ms);
}

/* 1. Direct identification (the FVC first impressions enrolled, the other
 * 560 probes) with hs_finger_match, and the same through a watchlist of 80
 * subjects, filtered and exhaustive; label opens each printed line. */
static void identify(uint32_t T, const char *label)
{
    hs_finger_prepared *prep[SETS][FINGERS][IMPR];
    for (int s = 0; s < SETS; s++)
        for (int f = 0; f < FINGERS; f++)
            for (int i = 0; i < IMPR; i++)
                hs_finger_prepare(NULL, &prep[s][f][i], tmpl[s][f][i], 0);
    hs_finger_matcher *m;
    hs_finger_matcher_new(NULL, &m);
    int direct_ok = 0, direct_top[SETS][FINGERS][IMPR];
    double t0 = bu_thread_cpu_ms();
    for (int s = 0; s < SETS; s++)
        for (int f = 0; f < FINGERS; f++)
            for (int i = 1; i < IMPR; i++) {
                float best = -1;
                int bi = -1;
                for (int g = 0; g < SETS * FINGERS; g++) {
                    float sc;
                    hs_finger_match(m, &sc, prep[s][f][i], prep[g / FINGERS][g % FINGERS][0]);
                    if (sc > best) {
                        best = sc;
                        bi = g;
                    }
                }
                direct_top[s][f][i] = bi;
                direct_ok += bi == s * FINGERS + f;
            }
    double direct_ms = bu_thread_cpu_ms() - t0;
    printf("%sdirect matching, 80 enrolled x 560 probes: rank-1 %.2f%% (%d/560), "
           "%.0f comparisons/s on 1 thread (prepared)\n",
           label, 100.0 * direct_ok / 560, direct_ok, 44800 / (direct_ms / 1000));

    hs_watchlist *wl;
    hs_watchlist_new(NULL, &wl);
    char id[64], top[64];
    for (int s = 0; s < SETS; s++)
        for (int f = 0; f < FINGERS; f++) {
            snprintf(id, sizeof id, "%s/%d", bu_fvc_sets[s].name, 101 + f);
            enroll(wl, id, tmpl[s][f][0]);
        }
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.threads = T;
    for (int ex = 0; ex < 2; ex++) {
        o.flags = ex ? HS_WATCHLIST_EXHAUSTIVE : 0;
        int ok = 0, agree = 0;
        double ms;
        for (int s = 0; s < SETS; s++)
            for (int f = 0; f < FINGERS; f++)
                for (int i = 1; i < IMPR; i++) {
                    search_top(wl, tmpl[s][f][i], &o, top, &ms);
                    snprintf(id, sizeof id, "%s/%d", bu_fvc_sets[s].name, 101 + f);
                    ok += !strcmp(top, id);
                    int g = direct_top[s][f][i];
                    snprintf(id, sizeof id, "%s/%d", bu_fvc_sets[g / FINGERS].name,
                             101 + g % FINGERS);
                    agree += !strcmp(top, id);
                }
        printf("%swatchlist (%s), 80 subjects: rank-1 %.2f%% (%d/560), same top candidate as "
               "direct matching for %d/560 probes\n",
               label, ex ? "exhaustive" : "filter", 100.0 * ok / 560, ok, agree);
    }
    size_t fbytes = 0;
    hs_watchlist_encode(NULL, NULL, &fbytes, wl);
    uint64_t mem = hs_watchlist_memory_bytes(wl);
    hs_watchlist_cache_prepared(NULL, wl, T);
    printf("%slist of 80 fingers: file %zu bytes (%.0f per finger), memory %.0f bytes per finger, "
           "%.0f with the prepared cache\n",
           label, fbytes, fbytes / 80.0, mem / 80.0, hs_watchlist_memory_bytes(wl) / 80.0);
    hs_watchlist_free(wl);
    hs_finger_matcher_free(m);
    for (int s = 0; s < SETS; s++)
        for (int f = 0; f < FINGERS; f++)
            for (int i = 0; i < IMPR; i++)
                hs_finger_prepared_free(prep[s][f][i]);

}

int main(int argc, char **argv)
{
    uint32_t N = 10000, T = 2, KEX = 56, P = 560;
    const char *file = "bench_watchlist.hswl";
    int cache = 1, synth = 1, ref_cached = 0, ref_unscored = 0, images = 0;
    const char *gallery = NULL;
    int32_t pressure = 100;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            T = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--exhaustive-probes") && i + 1 < argc)
            KEX = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--probes") && i + 1 < argc)
            P = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-cache"))
            cache = 0;
        else if (!strcmp(argv[i], "--images"))
            images = 1;
        else if (!strcmp(argv[i], "--reference-cached"))
            ref_cached = 1;
        else if (!strcmp(argv[i], "--reference-unscored"))
            ref_unscored = 1;
        else if (!strcmp(argv[i], "--distractors") && i + 1 < argc)
            synth = strcmp(argv[++i], "perturbed") != 0;
        else if (!strcmp(argv[i], "--gallery") && i + 1 < argc)
            gallery = argv[++i];
        else if (!strcmp(argv[i], "--pressure") && i + 1 < argc)
            pressure = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--file") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc) {
            dump = fopen(argv[++i], "w");
            if (!dump) {
                fprintf(stderr, "cannot write %s\n", argv[i]);
                return 1;
            }
        }
        else
            N = (uint32_t)strtoul(argv[i], NULL, 10);
    }
    if (P > 560)
        P = 560;
    if (!cache)
        ref_cached = ref_unscored = 0;
    setvbuf(stdout, NULL, _IOLBF, 0); /* long runs: show each figure as it comes */
    hs_finger_extractor *fx = NULL;
    if (images && hs_finger_extractor_new(NULL, &fx) != HS_OK)
        return 1;
    int loaded = load_fvc(fx);
    hs_finger_extractor_free(fx);
    if (!loaded)
        return 0;

    /* 1. direct identification */
    identify(T, images ? "our templates with their fields: " : "");
    if (images) {
        /* a gallery of N distractors extracted like the planted prints */
        hs_watchlist *gl, *bare;
        if (hs_watchlist_new(NULL, &gl) != HS_OK || !synth_gallery(gl, N, T, pressure, 1))
            return 1;
        for (int s = 0; s < SETS; s++)
            for (int f = 0; f < FINGERS; f++) {
                char gid[64];
                snprintf(gid, sizeof gid, "%s/%d", bu_fvc_sets[s].name, 101 + f);
                enroll(gl, gid, tmpl[s][f][0]);
            }
        bare = strip_list(gl);
        gallery_rank(gl, T, "our templates with their fields: ");
        strip_fvc();
        gallery_rank(bare, T, "the same, minutiae only: ");
        hs_watchlist_free(gl);
        hs_watchlist_free(bare);
        identify(T, "the same, minutiae only: ");

        for (int s = 0; s < SETS; s++)
            for (int f = 0; f < FINGERS; f++)
                for (int i = 0; i < IMPR; i++)
                    hs_template_free(tmpl[s][f][i]);
        if (dump)
            fclose(dump);
        return 0;
    }
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.threads = T;
    char id[64], top[64];

    /* 2. distractors (first, so that a cached gallery can be loaded), then
     * the 80 planted fingers */
    hs_watchlist *wl = NULL;
    double tb = bu_wall_ms();
    /* (a synthetic impression can come out empty: the list may hold a few
     * fewer than N) */
    /* a million fingers take more than the default 1 GiB file limit */
    hs_ctx *big = NULL;
    hs_ctx_new(&big, NULL);
    hs_ctx_set_limit(big, HS_LIMIT_MAX_FILE_BYTES, 64ull << 30);
    if (gallery && hs_watchlist_load(big, &wl, gallery) == HS_OK &&
        hs_watchlist_count(wl) <= N && hs_watchlist_count(wl) >= N - N / 100)
        printf("distractors loaded from %s\n", gallery);
    else {
        hs_watchlist_free(wl);
        hs_watchlist_new(NULL, &wl);
        if (synth) {
            if (!synth_gallery(wl, N, T, pressure, 0)) {
                fprintf(stderr, "synthetic gallery failed\n");
                return 1;
            }
        } else
            for (uint32_t k = 0; k < N; k++) {
                hs_template *t = distractor();
                if (!t)
                    continue;
                snprintf(id, sizeof id, "D%07u", k);
                enroll(wl, id, t);
                hs_template_free(t);
            }
        if (gallery && hs_watchlist_save(NULL, gallery, wl) != HS_OK)
            fprintf(stderr, "cannot save the gallery to %s\n", gallery);
    }
    for (int s = 0; s < SETS; s++)
        for (int f = 0; f < FINGERS; f++) {
            snprintf(id, sizeof id, "%s/%d", bu_fvc_sets[s].name, 101 + f);
            enroll(wl, id, tmpl[s][f][0]);
        }
    double build_ms = bu_wall_ms() - tb;
    uint64_t nf = hs_watchlist_finger_count(wl);
    printf("gallery: %llu subjects (%u %s distractors + 80 planted), built in %.1f s; memory %.1f "
           "MiB = %.0f bytes per finger\n",
           (unsigned long long)hs_watchlist_count(wl), N, synth ? "synthetic" : "perturbed",
           build_ms / 1000,
           hs_watchlist_memory_bytes(wl) / 1048576.0,
           (double)hs_watchlist_memory_bytes(wl) / (double)nf);

    /* exhaustive throughput and rank-1 on a subset of probes; filter on the
     * same subset and on P probes */
    int stride = KEX ? (int)(560 / KEX) : 560;
    if (stride < 1)
        stride = 1;
    int nsub = 0, ex_ok = 0, fsub_ok = 0, f_ok = 0, nf_probes = 0, recall = 0, nfilt = 0;
    double ex_wall = 0, ex_cpu = 0;
    double *fms = calloc(560, sizeof *fms), *fcpu = calloc(560, sizeof *fcpu);
    int unscored[560], nunscored = 0;
    for (int p = 0; p < 560; p++) {
        const hs_template *probe = fvc_probe(p, id);
        int in_sub = KEX && p % stride == 0 && nsub < (int)KEX;
        int in_p = (uint32_t)nf_probes < P && p % (560 / (P ? P : 1) ? 560 / (P ? P : 1) : 1) == 0;
        if (!in_sub && !in_p)
            continue;
        double ms;
        o.flags = 0;
        o.max_candidates = 1000;
        want = id;
        search_top(wl, probe, &o, top, &ms);
        want = NULL;
        int fok = !strcmp(top, id);
        recall += found;
        if (in_p && !found)
            unscored[nunscored++] = p;
        nfilt++;
        if (in_p) {
            fcpu[nf_probes] = last_cpu_ms;
            fms[nf_probes++] = ms;
            f_ok += fok;
        }
        if (in_sub) {
            fsub_ok += fok;
            if (!ref_cached) {
                o.flags = HS_WATCHLIST_EXHAUSTIVE;
                search_top(wl, probe, &o, top, &ms);
                ex_wall += ms;
                ex_cpu += last_cpu_ms;
                ex_ok += !strcmp(top, id);
            }
            nsub++;
        }
    }
    double med = bu_median(fms, (size_t)nf_probes);
    double medcpu = bu_median(fcpu, (size_t)nf_probes);
    if (nsub && !ref_cached)
        printf("exhaustive on %u threads: %.0f comparisons/s wall, %.0f per CPU second "
               "(incl. re-preparing each stored finger); rank-1 %.2f%% (%d/%d probes)\n",
               T, (double)nf * nsub / (ex_wall / 1000), (double)nf * nsub / (ex_cpu / 1000),
               100.0 * ex_ok / nsub, ex_ok, nsub);
    if (nsub && !ref_cached)
        printf("filter on the same %d probes: rank-1 %.2f%% (%d/%d), difference %.2f points\n",
               nsub, 100.0 * fsub_ok / nsub, fsub_ok, nsub, 100.0 * (ex_ok - fsub_ok) / nsub);
    /* (bu_median sorted fms: the 90th percentile and the maximum follow) */
    double p90 = nf_probes ? fms[(9 * nf_probes + 9) / 10 - 1] : 0;
    double wmax = nf_probes ? fms[nf_probes - 1] : 0;
    printf("filter, %d probes: rank-1 %.2f%% (%d/%d); search time median %.1f ms wall (90th "
           "percentile %.1f, max %.1f), %.1f ms CPU (%u threads, one finger)\n",
           nf_probes, nf_probes ? 100.0 * f_ok / nf_probes : 0, f_ok, nf_probes, med, p90, wmax,
           medcpu, T);
    printf("filter recall (mate among the re-scored candidates, up to 1000 listed): %.2f%% "
           "(%d/%d)\n", nfilt ? 100.0 * recall / nfilt : 0, recall, nfilt);
    free(fms);
    free(fcpu);

    /* the same with the prepared cache */
    double cb = bu_wall_ms(), cc = proc_cpu_ms();
    if (cache) {
        hs_watchlist_cache_prepared(NULL, wl, T);
        printf("prepared cache: built in %.1f s wall, %.1f s CPU; memory with it %.0f bytes per "
               "finger\n",
               (bu_wall_ms() - cb) / 1000, (proc_cpu_ms() - cc) / 1000,
               (double)hs_watchlist_memory_bytes(wl) / (double)nf);
        {
            int n2 = 0, ok2 = 0, fok2 = 0;
            double w2 = 0, c2 = 0, fw[64], fc[64];
            int nfw = 0;
            for (int p = 0; p < 560 && n2 < (int)(KEX ? KEX : 1); p += stride) {
                const hs_template *probe = fvc_probe(p, id);
                double ms;
                o.flags = HS_WATCHLIST_EXHAUSTIVE;
                search_top(wl, probe, &o, top, &ms);
                w2 += ms;
                c2 += last_cpu_ms;
                ok2 += !strcmp(top, id);
                n2++;
                if (nfw < 64) {
                    o.flags = 0;
                    search_top(wl, probe, &o, top, &ms);
                    fw[nfw] = ms;
                    fc[nfw++] = last_cpu_ms;
                    fok2 += !strcmp(top, id);
                }
            }
            printf("with the cache: exhaustive %.0f comparisons/s wall, %.0f per CPU second on %u "
                   "threads (rank-1 %d/%d); filter (4x budget) rank-1 %d/%d, search median "
                   "%.1f ms wall, %.1f ms CPU\n",
                   (double)nf * n2 / (w2 / 1000), (double)nf * n2 / (c2 / 1000), T, ok2, n2,
                   fok2, nfw, bu_median(fw, (size_t)nfw), bu_median(fc, (size_t)nfw));
            if (ref_unscored) {
                int eok = 0;
                o.flags = HS_WATCHLIST_EXHAUSTIVE;
                for (int k = 0; k < nunscored; k++) {
                    const hs_template *probe = fvc_probe(unscored[k], id);
                    double ms;
                    search_top(wl, probe, &o, top, &ms);
                    eok += !strcmp(top, id);
                }
                printf("filter, %d probes: rank-1 %d; its candidates missed the mate of %d "
                       "probes, of which exhaustive search ranks %d first: exhaustive rank-1 at "
                       "most %.2f%% (%d/%d), filter at most %.2f points below\n",
                       nf_probes, f_ok, nunscored, eok,
                       nf_probes ? 100.0 * (f_ok + eok) / nf_probes : 0, f_ok + eok, nf_probes,
                       nf_probes ? 100.0 * eok / nf_probes : 0);
            }
            if (ref_cached && nsub)
                printf("filter (no cache) on the same %d probes: rank-1 %.2f%% (%d/%d) against "
                       "exhaustive %.2f%% (%d/%d), difference %.2f points\n",
                       nsub, 100.0 * fsub_ok / nsub, fsub_ok, nsub, 100.0 * ok2 / n2, ok2, n2,
                       100.0 * (ok2 - fsub_ok) / nsub);
        }
    }
    o.flags = 0;

    /* 3. save / load */
    double ts = bu_wall_ms();
    if (hs_watchlist_save(NULL, file, wl) != HS_OK) {
        fprintf(stderr, "save failed\n");
        return 1;
    }
    double save_ms = bu_wall_ms() - ts;
    struct stat st;
    stat(file, &st);
    double best = 1e30;
    for (int k = 0; k < 3; k++) {
        hs_watchlist *back;
        double tl = bu_wall_ms();
        if (hs_watchlist_load(big, &back, file) != HS_OK) {
            fprintf(stderr, "load failed\n");
            return 1;
        }
        double ms = bu_wall_ms() - tl;
        if (ms < best)
            best = ms;
        hs_watchlist_free(back);
    }
    printf("file: %.1f MiB, saved in %.0f ms, loaded in %.0f ms (best of 3, %llu subjects)\n",
           st.st_size / 1048576.0, save_ms, best, (unsigned long long)hs_watchlist_count(wl));
    remove(file);

    hs_watchlist_free(wl);
    hs_ctx_free(big);
    if (dump)
        fclose(dump);
    for (int s = 0; s < SETS; s++)
        for (int f = 0; f < FINGERS; f++)
            for (int i = 0; i < IMPR; i++)
                hs_template_free(tmpl[s][f][i]);
    return 0;
}
