#ifndef LEVY_METRICS_H
#define LEVY_METRICS_H
/* Process-wide metric registry rendered in the Prometheus text format at GET /metrics.
 * Series are keyed by name and a canonical label string; names must match
 * [a-zA-Z_:][a-zA-Z0-9_:]*. Single-threaded (the event loop). */
#include <stddef.h>
#include <stdint.h>

#include "levy.h"

typedef enum { LEVY_METRIC_COUNTER = 1, LEVY_METRIC_GAUGE, LEVY_METRIC_HISTOGRAM } levy_metric_type;

/** Names the family and gives its # HELP text (once per family; a repeat replaces the text).
 * The name must fit the type's convention: counters end in _total, histograms in _seconds,
 * gauges never in _total (else LEVY_EINVAL). A described family is rendered even before its
 * first series. */
int levy_metrics_describe(const char *name, levy_metric_type type, const char *help, levy_err *err);
/** LEVY_OK when name is valid and fits type's naming convention (above). */
int levy_metrics_check_name(const char *name, levy_metric_type type, levy_err *err);
/** labels: NULL-terminated array of key, value, key, value..., or NULL. Values escaped. */
int levy_metrics_inc(const char *name, const char *const *labels, int64_t n, levy_err *err);
/** A counter series the caller keeps finding (issue 21: every answer counts itself): its
 * position in the registry and the registry's epoch then. Zeroed = not found yet. */
typedef struct {
    uint64_t epoch;
    int at;
} levy_metrics_ref;
/** levy_metrics_inc through *ref: while no series moved since ref was filled (a render sorts,
 * clear / remove / reset move them) the series is the one ref names, with no lookup; else
 * looked up as levy_metrics_inc does and ref filled. The caller passes the same name and labels
 * for one ref (it is the caller's memo of them). */
int levy_metrics_inc_ref(levy_metrics_ref *ref, const char *name, const char *const *labels,
                         int64_t n, levy_err *err);
int levy_metrics_set(const char *name, const char *const *labels, int64_t v, levy_err *err);
/** A duration in milliseconds into the histogram name (exposed in seconds: name ends in
 * _seconds, buckets 0.001 s .. 10 s). */
int levy_metrics_observe(const char *name, const char *const *labels, int64_t ms, levy_err *err);
/** Removes every series of name (gauges recomputed at scrape time). */
void levy_metrics_clear(const char *name);
/** Removes the series of name whose labels include every pair of labels (key, value, ...,
 * NULL; NULL or empty: all of them), e.g. {"connection", id} when a connection is removed.
 * *removed (may be NULL) is set to the number of series removed. */
int levy_metrics_remove(const char *name, const char *const *labels, int *removed, levy_err *err);
/** Appends the text exposition to a malloc'd string (*out, caller frees). */
int levy_metrics_render(char **out, size_t *len, levy_err *err);
/** The process_* families (CPU seconds, resident and virtual memory, open and max fds, start
 * time) from /proc and getrusage, as a malloc'd text (caller frees). Kept apart from the
 * registry: they change on every call. */
int levy_metrics_render_process(char **out, size_t *len, levy_err *err);
/** Forgets every series and every description. */
void levy_metrics_reset(void);
int levy_metrics_valid_name(const char *name);

#endif
