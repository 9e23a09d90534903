/* Metric registry (see metrics.h). A flat array with linear search: a few hundred series.
 * The Prometheus naming conventions are enforced here, where a series is made, so that no
 * caller (C or a plugin) can publish a counter without _total or a duration in other units
 * than seconds: counters end in _total, histograms (durations, observed in milliseconds and
 * exposed in seconds) in _seconds, gauges never in _total. Every family is described
 * (levy_metrics_describe): its # HELP line. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

/* histogram bucket bounds in milliseconds, exposed as seconds (le="0.001" ... le="10") */
static const int64_t BUCKETS[] = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define NB ((int)(sizeof BUCKETS / sizeof BUCKETS[0]))

typedef struct family {
    char *name;
    levy_metric_type type;
    char *help;
} family;

static family *fams;
static int nfams, capfams;

typedef struct series {
    char *name;
    char *labels; /* canonical: k="v",k2="v2" (may be "") */
    levy_metric_type type;
    int64_t value; /* counter / gauge; histogram sum */
    int64_t count;
    int64_t buckets[NB];
} series;

static series *all;
static int nall, capall;

int levy_metrics_valid_name(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const char *p = name; *p; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':' ||
                 (p != name && ch >= '0' && ch <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* NULL when name fits type's naming convention, else the rule it breaks. */
static const char *convention(const char *name, levy_metric_type type)
{
    if (type == LEVY_METRIC_COUNTER && !ends_with(name, "_total"))
        return "a counter's name ends in _total";
    if (type == LEVY_METRIC_HISTOGRAM && !ends_with(name, "_seconds"))
        return "a histogram (a duration) is in seconds: its name ends in _seconds";
    if (type == LEVY_METRIC_GAUGE && ends_with(name, "_total"))
        return "a gauge's name does not end in _total (that suffix is for counters)";
    return NULL;
}

int levy_metrics_check_name(const char *name, levy_metric_type type, levy_err *err)
{
    if (!levy_metrics_valid_name(name))
        return levy_err_set(err, LEVY_EINVAL, "bad_metric", "bad metric name");
    const char *why = convention(name, type);
    if (why)
        return levy_err_set(err, LEVY_EINVAL, "bad_metric", "metric %s: %s", name, why);
    return LEVY_OK;
}

static family *find_family(const char *name)
{
    for (int i = 0; i < nfams; i++)
        if (strcmp(fams[i].name, name) == 0)
            return &fams[i];
    return NULL;
}

int levy_metrics_describe(const char *name, levy_metric_type type, const char *help, levy_err *err)
{
    int rc = levy_metrics_check_name(name, type, err);
    if (rc != LEVY_OK)
        return rc;
    if (!help || !*help)
        return levy_err_set(err, LEVY_EINVAL, "bad_metric", "metric %s needs a help text", name);
    family *f = find_family(name);
    int clash = f && f->type != type;
    for (int i = 0; i < nall && !clash; i++)
        clash = strcmp(all[i].name, name) == 0 && all[i].type != type;
    if (clash)
        return levy_err_set(err, LEVY_EINVAL, "bad_metric", "metric %s has another type", name);
    char *h = strdup(help);
    if (!h)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    if (f) {
        free(f->help);
        f->help = h;
        return LEVY_OK;
    }
    if (nfams == capfams) {
        int cap = capfams ? capfams * 2 : 32;
        family *nf = realloc(fams, (size_t)cap * sizeof *nf);
        if (!nf) {
            free(h);
            return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
        }
        fams = nf;
        capfams = cap;
    }
    fams[nfams].name = strdup(name);
    fams[nfams].type = type;
    fams[nfams].help = h;
    if (!fams[nfams].name) {
        free(h);
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    }
    nfams++;
    return LEVY_OK;
}

/* The canonical label string of labels (k="v",k2="v2"; "" for none) written into buf of cap
 * bytes: its length, or the length it needs (>= cap: nothing usable was written). */
static size_t canon_into(char *buf, size_t cap, const char *const *labels)
{
    size_t n = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (n + 1 < cap)                                                                           \
            buf[n] = (ch);                                                                         \
        n++;                                                                                       \
    } while (0)
    for (int i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
        if (n)
            PUT(',');
        for (const char *k = labels[i]; *k; k++)
            PUT(*k);
        PUT('=');
        PUT('"');
        for (const char *p = labels[i + 1]; *p; p++) {
            if (*p == '"' || *p == '\\') {
                PUT('\\');
                PUT(*p);
            } else if (*p == '\n') {
                PUT('\\');
                PUT('n');
            } else {
                PUT(*p);
            }
        }
        PUT('"');
    }
#undef PUT
    if (cap)
        buf[n < cap ? n : cap - 1] = '\0';
    return n;
}

static char *canon(const char *const *labels)
{
    size_t n = canon_into(NULL, 0, labels);
    char *s = malloc(n + 1);
    if (s)
        canon_into(s, n + 1, labels);
    return s;
}

/* The series index (issue 21: every answer counts itself in levy_http_requests_total, and the
 * lookup was a label string formatted on the heap, the name's checks and a scan of every
 * series): open addressing over the series' positions (+1; 0 = empty) by a hash of name and
 * canonical labels, at most half full. Rendering sorts the series and removing compacts
 * them, so those mark the index stale and the next lookup rebuilds it. */
static int *slots;
static size_t nslots;
static int index_ok;
/* Bumped whenever a series may change its position (render sorts, clear and remove compact,
 * reset forgets): a levy_metrics_ref taken in another epoch is looked up again. Appending a
 * series keeps every position. Starts at 1: a zeroed ref is never current. */
static uint64_t epoch = 1;

static uint64_t key_hash(const char *name, const char *lab)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull; /* no byte of a name: the two parts stay apart */
    for (const unsigned char *p = (const unsigned char *)lab; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

static void index_put(int i, uint64_t h)
{
    size_t at = (size_t)h & (nslots - 1);
    while (slots[at])
        at = (at + 1) & (nslots - 1);
    slots[at] = i + 1;
}

/* (Re)builds the index for nall + 1 series; -1 when out of memory (lookups then scan). */
static int index_build(void)
{
    size_t want = 64;
    while (want < 2 * ((size_t)nall + 1))
        want *= 2;
    if (want != nslots) {
        int *ns = realloc(slots, want * sizeof *ns);
        if (!ns) {
            index_ok = 0;
            return -1;
        }
        slots = ns;
        nslots = want;
    }
    memset(slots, 0, nslots * sizeof *slots);
    for (int i = 0; i < nall; i++)
        index_put(i, key_hash(all[i].name, all[i].labels));
    index_ok = 1;
    return 0;
}

/* The position of the series (name, lab), or -1. */
static int index_find(const char *name, const char *lab, uint64_t h)
{
    if (!index_ok && index_build() != 0) {
        for (int i = 0; i < nall; i++)
            if (strcmp(all[i].name, name) == 0 && strcmp(all[i].labels, lab) == 0)
                return i;
        return -1;
    }
    for (size_t at = (size_t)h & (nslots - 1); slots[at]; at = (at + 1) & (nslots - 1)) {
        series *s = &all[slots[at] - 1];
        if (strcmp(s->labels, lab) == 0 && strcmp(s->name, name) == 0)
            return slots[at] - 1;
    }
    return -1;
}

/* The series (name, labels) of type: found through the index, else made (where the name, the
 * family and the labels are checked). */
static series *find(const char *name, const char *const *labels, levy_metric_type type,
                    levy_err *err)
{
    int labels_ok = 1;
    for (int i = 0; labels && labels[i]; i += 2)
        if (!labels[i + 1] || !levy_metrics_valid_name(labels[i]))
            labels_ok = 0;
    char small[256];
    size_t need = labels_ok && name ? canon_into(small, sizeof small, labels) : sizeof small;
    uint64_t h = 0;
    if (need < sizeof small) {
        /* A series exists only once its name passed the checks for its type, its labels theirs
         * and its family agreed (levy_metrics_describe refuses a family of another type, and
         * every series of a name has one type): found with the same type, it needs none of
         * them again. */
        h = key_hash(name, small);
        int at = index_find(name, small, h);
        if (at >= 0 && all[at].type == type)
            return &all[at];
    }
    if (levy_metrics_check_name(name, type, err) != LEVY_OK)
        return NULL;
    family *fam = find_family(name);
    if (fam && fam->type != type) {
        levy_err_set(err, LEVY_EINVAL, "bad_metric", "metric %s has another type", name);
        return NULL;
    }
    if (!labels_ok) {
        levy_err_set(err, LEVY_EINVAL, "bad_metric", "bad metric label");
        return NULL;
    }
    char *lab = canon(labels);
    if (!lab) {
        levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
        return NULL;
    }
    for (int i = 0; i < nall; i++) {
        if (strcmp(all[i].name, name) == 0) {
            if (all[i].type != type) {
                free(lab);
                levy_err_set(err, LEVY_EINVAL, "bad_metric", "metric %s has another type", name);
                return NULL;
            }
            if (strcmp(all[i].labels, lab) == 0) {
                free(lab);
                return &all[i];
            }
        }
    }
    if (nall == capall) {
        int cap = capall ? capall * 2 : 64;
        series *na = realloc(all, (size_t)cap * sizeof *na);
        if (!na) {
            free(lab);
            levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
            return NULL;
        }
        all = na;
        capall = cap;
    }
    series *s = &all[nall];
    memset(s, 0, sizeof *s);
    s->name = strdup(name);
    s->labels = lab;
    s->type = type;
    if (!s->name) {
        free(lab);
        levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
        return NULL;
    }
    nall++;
    if (index_ok && 2 * (size_t)nall <= nslots)
        index_put(nall - 1, key_hash(s->name, s->labels));
    else
        index_ok = 0; /* rebuilt, larger, at the next lookup */
    return s;
}

int levy_metrics_inc(const char *name, const char *const *labels, int64_t n, levy_err *err)
{
    series *s = find(name, labels, LEVY_METRIC_COUNTER, err);
    if (!s)
        return err ? err->rc : LEVY_EINVAL;
    s->value += n;
    return LEVY_OK;
}

int levy_metrics_inc_ref(levy_metrics_ref *ref, const char *name, const char *const *labels,
                         int64_t n, levy_err *err)
{
    if (ref->epoch == epoch && ref->at >= 0 && ref->at < nall &&
        all[ref->at].type == LEVY_METRIC_COUNTER) {
        all[ref->at].value += n;
        return LEVY_OK;
    }
    series *s = find(name, labels, LEVY_METRIC_COUNTER, err);
    if (!s) {
        ref->epoch = 0;
        return err ? err->rc : LEVY_EINVAL;
    }
    s->value += n;
    ref->epoch = epoch;
    ref->at = (int)(s - all);
    return LEVY_OK;
}

int levy_metrics_set(const char *name, const char *const *labels, int64_t v, levy_err *err)
{
    series *s = find(name, labels, LEVY_METRIC_GAUGE, err);
    if (!s)
        return err ? err->rc : LEVY_EINVAL;
    s->value = v;
    return LEVY_OK;
}

int levy_metrics_observe(const char *name, const char *const *labels, int64_t ms, levy_err *err)
{
    series *s = find(name, labels, LEVY_METRIC_HISTOGRAM, err);
    if (!s)
        return err ? err->rc : LEVY_EINVAL;
    s->value += ms;
    s->count++;
    for (int i = 0; i < NB; i++)
        if (ms <= BUCKETS[i])
            s->buckets[i]++;
    return LEVY_OK;
}

void levy_metrics_clear(const char *name)
{
    int j = 0;
    for (int i = 0; i < nall; i++) {
        if (strcmp(all[i].name, name) == 0) {
            free(all[i].name);
            free(all[i].labels);
        } else {
            all[j++] = all[i];
        }
    }
    nall = j;
    index_ok = 0;
    epoch++;
}

/* 1 when the canonical label string have (k="v",k2="v2") holds the pair canonical one
 * (k="v") as one of its pairs: pairs are walked whole, so a value cannot match by accident */
static int has_pair(const char *have, const char *one)
{
    size_t n1 = strlen(one);
    const char *p = have;
    while (*p) {
        const char *start = p;
        while (*p && *p != '"')
            p++;
        if (*p)
            p++; /* the opening quote */
        while (*p && *p != '"')
            p += p[0] == '\\' && p[1] ? 2 : 1;
        if (*p)
            p++; /* the closing quote */
        if ((size_t)(p - start) == n1 && memcmp(start, one, n1) == 0)
            return 1;
        if (*p == ',')
            p++;
    }
    return 0;
}

int levy_metrics_remove(const char *name, const char *const *labels, int *removed, levy_err *err)
{
    if (removed)
        *removed = 0;
    int npairs = 0;
    for (int i = 0; labels && labels[i]; i += 2, npairs++)
        if (!labels[i + 1] || !levy_metrics_valid_name(labels[i]))
            return levy_err_set(err, LEVY_EINVAL, "bad_metric", "bad metric label");
    char **want = calloc((size_t)npairs + 1, sizeof *want);
    if (!want)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    for (int k = 0; k < npairs; k++) {
        const char *pair[3] = {labels[2 * k], labels[2 * k + 1], NULL};
        if (!(want[k] = canon(pair))) {
            for (int j = 0; j < k; j++)
                free(want[j]);
            free(want);
            return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
        }
    }
    int j = 0, gone = 0;
    for (int i = 0; i < nall; i++) {
        int match = strcmp(all[i].name, name) == 0;
        for (int k = 0; match && k < npairs; k++)
            match = has_pair(all[i].labels, want[k]);
        if (match) {
            free(all[i].name);
            free(all[i].labels);
            gone++;
        } else {
            all[j++] = all[i];
        }
    }
    nall = j;
    index_ok = 0;
    epoch++;
    for (int k = 0; k < npairs; k++)
        free(want[k]);
    free(want);
    if (removed)
        *removed = gone;
    return LEVY_OK;
}

void levy_metrics_reset(void)
{
    for (int i = 0; i < nall; i++) {
        free(all[i].name);
        free(all[i].labels);
    }
    free(all);
    all = NULL;
    nall = capall = 0;
    free(slots);
    slots = NULL;
    nslots = 0;
    index_ok = 0;
    epoch++;
    for (int i = 0; i < nfams; i++) {
        free(fams[i].name);
        free(fams[i].help);
    }
    free(fams);
    fams = NULL;
    nfams = capfams = 0;
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)w < b->cap - b->n) {
            b->n += (size_t)w;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)w;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

static int cmp_series(const void *a, const void *b)
{
    const series *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->labels, y->labels);
}

static int cmp_family(const void *a, const void *b)
{
    return strcmp(((const family *)a)->name, ((const family *)b)->name);
}

/* ms as an exact decimal number of seconds: 1 -> "0.001", 2500 -> "2.5", 10000 -> "10" */
static const char *secs(int64_t ms, char buf[32])
{
    int neg = ms < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    int n = snprintf(buf, 32, "%s%llu.%03llu", neg ? "-" : "", (unsigned long long)(u / 1000),
                     (unsigned long long)(u % 1000));
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
    return buf;
}

static const char *type_name(levy_metric_type t)
{
    return t == LEVY_METRIC_COUNTER ? "counter" : t == LEVY_METRIC_GAUGE ? "gauge" : "histogram";
}

static void header(sbuf *b, const char *name, levy_metric_type type, const char *help)
{
    sb_printf(b, "# HELP %s ", name);
    if (!help)
        sb_printf(b, "%s (no description registered)", name);
    for (const char *p = help; p && *p; p++) {
        if (*p == '\\')
            sb_printf(b, "\\\\");
        else if (*p == '\n')
            sb_printf(b, "\\n");
        else
            sb_printf(b, "%c", *p);
    }
    sb_printf(b, "\n# TYPE %s %s\n", name, type_name(type));
}

static void render_series(sbuf *b, const series *s)
{
    const char *sep = s->labels[0] ? "," : "";
    const char *lb = s->labels[0] ? "{" : "", *rb = s->labels[0] ? "}" : "";
    if (s->type == LEVY_METRIC_HISTOGRAM) {
        char le[32], sum[32];
        for (int k = 0; k < NB; k++)
            sb_printf(b, "%s_bucket{%s%sle=\"%s\"} %lld\n", s->name, s->labels, sep,
                      secs(BUCKETS[k], le), (long long)s->buckets[k]);
        sb_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %lld\n", s->name, s->labels, sep,
                  (long long)s->count);
        sb_printf(b, "%s_sum%s%s%s %s\n", s->name, lb, s->labels, rb, secs(s->value, sum));
        sb_printf(b, "%s_count%s%s%s %lld\n", s->name, lb, s->labels, rb, (long long)s->count);
    } else {
        sb_printf(b, "%s%s%s%s %lld\n", s->name, lb, s->labels, rb, (long long)s->value);
    }
}

int levy_metrics_render(char **out, size_t *len, levy_err *err)
{
    if (nall)
        qsort(all, (size_t)nall, sizeof *all, cmp_series);
    index_ok = 0; /* the series moved */
    epoch++;
    if (nfams)
        qsort(fams, (size_t)nfams, sizeof *fams, cmp_family);
    sbuf b = {malloc(4096), 0, 4096, 0};
    if (!b.p)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    b.p[0] = '\0';
    /* merge the described families and the series' names, both sorted: a described family
     * without a series yet still shows its HELP and TYPE */
    int i = 0, f = 0;
    while (i < nall || f < nfams) {
        int c = i >= nall ? 1 : f >= nfams ? -1 : strcmp(all[i].name, fams[f].name);
        const char *name = c <= 0 ? all[i].name : fams[f].name;
        levy_metric_type type = c <= 0 ? all[i].type : fams[f].type;
        header(&b, name, type, c >= 0 ? fams[f].help : NULL);
        if (c >= 0)
            f++;
        if (c <= 0)
            while (i < nall && strcmp(all[i].name, name) == 0)
                render_series(&b, &all[i++]);
    }
    if (b.oom) {
        free(b.p);
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    }
    *out = b.p;
    *len = b.n;
    return LEVY_OK;
}

/* ---- process metrics (the names every Prometheus client library exports) ----------------- */

/* the process's start, seconds since the epoch: /proc/self/stat starttime (clock ticks after
 * boot) + /proc/stat btime; 0 when unknown */
static double start_time(void)
{
    static double cached;
    if (cached > 0)
        return cached;
    FILE *f = fopen("/proc/self/stat", "r");
    char line[2048];
    size_t n = f ? fread(line, 1, sizeof line - 1, f) : 0;
    if (f)
        fclose(f);
    line[n] = '\0';
    const char *p = strrchr(line, ')'); /* after the command name, which may hold spaces */
    unsigned long long ticks = 0;
    if (p) {
        p += 2; /* field 3 (state) */
        for (int field = 3; field < 22 && p; field++) {
            p = strchr(p, ' ');
            if (p)
                p++;
        }
        if (p)
            ticks = strtoull(p, NULL, 10);
    }
    unsigned long long btime = 0;
    f = fopen("/proc/stat", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "btime ", 6) == 0)
            btime = strtoull(line + 6, NULL, 10);
    if (f)
        fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    if (btime && ticks && hz > 0)
        cached = (double)btime + (double)ticks / (double)hz;
    return cached;
}

int levy_metrics_render_process(char **out, size_t *len, levy_err *err)
{
    sbuf b = {malloc(2048), 0, 2048, 0};
    if (!b.p)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    b.p[0] = '\0';
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        header(&b, "process_cpu_seconds_total", LEVY_METRIC_COUNTER,
               "Total user and system CPU time spent in seconds.");
        sb_printf(&b, "process_cpu_seconds_total %.6f\n", cpu);
    }
    unsigned long long vsize = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%llu %llu", &vsize, &rss) == 2) {
        long page = sysconf(_SC_PAGESIZE);
        header(&b, "process_resident_memory_bytes", LEVY_METRIC_GAUGE,
               "Resident memory size in bytes.");
        sb_printf(&b, "process_resident_memory_bytes %llu\n", rss * (unsigned long long)page);
        header(&b, "process_virtual_memory_bytes", LEVY_METRIC_GAUGE,
               "Virtual memory size in bytes.");
        sb_printf(&b, "process_virtual_memory_bytes %llu\n", vsize * (unsigned long long)page);
    }
    if (f)
        fclose(f);
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        long nfd = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            nfd += e->d_name[0] != '.';
        closedir(d);
        header(&b, "process_open_fds", LEVY_METRIC_GAUGE, "Number of open file descriptors.");
        sb_printf(&b, "process_open_fds %ld\n", nfd - 1); /* minus the one opendir held */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        header(&b, "process_max_fds", LEVY_METRIC_GAUGE,
               "Maximum number of open file descriptors.");
        sb_printf(&b, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
    double st = start_time();
    if (st > 0) {
        header(&b, "process_start_time_seconds", LEVY_METRIC_GAUGE,
               "Start time of the process since unix epoch in seconds.");
        sb_printf(&b, "process_start_time_seconds %.2f\n", st);
    }
    if (b.oom) {
        free(b.p);
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    }
    *out = b.p;
    *len = b.n;
    return LEVY_OK;
}
