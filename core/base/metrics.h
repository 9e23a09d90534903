#ifndef LEVY_METRICS_H
#define LEVY_METRICS_H
/* Process-wide metric registry rendered in the Prometheus text format at GET /metrics.
 * Series are keyed by name and a canonical label string; names must match
 * [a-zA-Z_:][a-zA-Z0-9_:]*. Single-threaded (the event loop). */
#include <stddef.h>
#include <stdint.h>

#include "levy.h"

typedef enum { LEVY_METRIC_COUNTER = 1, LEVY_METRIC_GAUGE, LEVY_METRIC_HISTOGRAM } levy_metric_type;

/** labels: NULL-terminated array of key, value, key, value..., or NULL. Values escaped. */
int levy_metrics_inc(const char *name, const char *const *labels, int64_t n, levy_err *err);
int levy_metrics_set(const char *name, const char *const *labels, int64_t v, levy_err *err);
int levy_metrics_observe(const char *name, const char *const *labels, int64_t ms, levy_err *err);
/** Removes every series of name (gauges recomputed at scrape time). */
void levy_metrics_clear(const char *name);
/** Appends the text exposition to a malloc'd string (*out, caller frees). */
int levy_metrics_render(char **out, size_t *len, levy_err *err);
void levy_metrics_reset(void);
int levy_metrics_valid_name(const char *name);

#endif
