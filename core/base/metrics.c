/* Metric registry (see metrics.h). A flat array with linear search: a few hundred series. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const int64_t BUCKETS[] = {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define NB ((int)(sizeof BUCKETS / sizeof BUCKETS[0]))

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

static char *canon(const char *const *labels)
{
    size_t cap = 64, n = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
        const char *k = labels[i], *v = labels[i + 1];
        size_t need = n + strlen(k) + 2 * strlen(v) + 8;
        if (need > cap) {
            while (cap < need)
                cap *= 2;
            char *ns = realloc(s, cap);
            if (!ns) {
                free(s);
                return NULL;
            }
            s = ns;
        }
        if (n)
            s[n++] = ',';
        n += (size_t)sprintf(s + n, "%s=\"", k);
        for (const char *p = v; *p; p++) {
            if (*p == '"' || *p == '\\') {
                s[n++] = '\\';
                s[n++] = *p;
            } else if (*p == '\n') {
                s[n++] = '\\';
                s[n++] = 'n';
            } else {
                s[n++] = *p;
            }
        }
        s[n++] = '"';
        s[n] = '\0';
    }
    return s;
}

static series *find(const char *name, const char *const *labels, levy_metric_type type,
                    levy_err *err)
{
    if (!levy_metrics_valid_name(name)) {
        levy_err_set(err, LEVY_EINVAL, "bad_metric", "bad metric name");
        return NULL;
    }
    for (int i = 0; labels && labels[i]; i += 2)
        if (!labels[i + 1] || !levy_metrics_valid_name(labels[i])) {
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

int levy_metrics_render(char **out, size_t *len, levy_err *err)
{
    if (nall)
        qsort(all, (size_t)nall, sizeof *all, cmp_series);
    sbuf b = {malloc(4096), 0, 4096, 0};
    if (!b.p)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    b.p[0] = '\0';
    const char *last = "";
    for (int i = 0; i < nall; i++) {
        series *s = &all[i];
        if (strcmp(last, s->name) != 0) {
            sb_printf(&b, "# TYPE %s %s\n", s->name,
                      s->type == LEVY_METRIC_COUNTER ? "counter"
                      : s->type == LEVY_METRIC_GAUGE ? "gauge"
                                                     : "histogram");
            last = s->name;
        }
        const char *sep = s->labels[0] ? "," : "";
        if (s->type == LEVY_METRIC_HISTOGRAM) {
            for (int k = 0; k < NB; k++)
                sb_printf(&b, "%s_bucket{%s%sle=\"%lld\"} %lld\n", s->name, s->labels, sep,
                          (long long)BUCKETS[k], (long long)s->buckets[k]);
            sb_printf(&b, "%s_bucket{%s%sle=\"+Inf\"} %lld\n", s->name, s->labels, sep,
                      (long long)s->count);
            sb_printf(&b, "%s_sum%s%s%s %lld\n", s->name, s->labels[0] ? "{" : "", s->labels,
                      s->labels[0] ? "}" : "", (long long)s->value);
            sb_printf(&b, "%s_count%s%s%s %lld\n", s->name, s->labels[0] ? "{" : "", s->labels,
                      s->labels[0] ? "}" : "", (long long)s->count);
        } else {
            sb_printf(&b, "%s%s%s%s %lld\n", s->name, s->labels[0] ? "{" : "", s->labels,
                      s->labels[0] ? "}" : "", (long long)s->value);
        }
    }
    if (b.oom) {
        free(b.p);
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    }
    *out = b.p;
    *len = b.n;
    return LEVY_OK;
}
