/* Metric registry (core/base/metrics.c, issue 20): Prometheus' naming conventions are enforced
 * where a series is made (counters end in _total, histograms in _seconds, gauges never in
 * _total); every family is rendered with # HELP and # TYPE before its samples; a described
 * family shows even without a series; histograms observed in milliseconds are exposed in
 * seconds (le="0.001" ... le="10", _sum exact); the process_* families. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "metrics.h"

static char *render(void)
{
    char *out = NULL;
    size_t len = 0;
    if (levy_metrics_render(&out, &len, NULL) != LEVY_OK)
        return NULL;
    return out;
}

static void t_conventions(void)
{
    levy_err e;
    const char *lab[] = {"result", "ok", NULL};
    CHECK(levy_metrics_inc("levy_things", lab, 1, &e) == LEVY_EINVAL); /* counter without _total */
    CHECK(strstr(e.message, "_total") != NULL);
    CHECK(levy_metrics_set("levy_things_total", NULL, 1, &e) == LEVY_EINVAL); /* gauge _total */
    CHECK(levy_metrics_observe("levy_call_ms", NULL, 5, &e) == LEVY_EINVAL);  /* not seconds */
    CHECK(strstr(e.message, "_seconds") != NULL);
    CHECK(levy_metrics_describe("levy_x", LEVY_METRIC_COUNTER, "x", &e) == LEVY_EINVAL);
    CHECK(levy_metrics_describe("levy_x_total", LEVY_METRIC_COUNTER, "", &e) == LEVY_EINVAL);
    CHECK(levy_metrics_inc("levy_things_total", lab, 2, &e) == LEVY_OK);
    CHECK(levy_metrics_observe("levy_call_duration_seconds", NULL, 2500, &e) == LEVY_OK);
    CHECK(levy_metrics_describe("levy_call_duration_seconds", LEVY_METRIC_GAUGE, "x", &e) ==
          LEVY_EINVAL); /* another type than its series */
end:
    levy_metrics_reset();
}

static void t_render(void)
{
    char *txt = NULL;
    levy_err e;
    CHECK(levy_metrics_describe("levy_things_total", LEVY_METRIC_COUNTER,
                                "Things done.\nSecond line \\ backslash.", &e) == LEVY_OK);
    CHECK(levy_metrics_describe("levy_idle", LEVY_METRIC_GAUGE, "Never set.", &e) == LEVY_OK);
    CHECK(levy_metrics_describe("levy_call_duration_seconds", LEVY_METRIC_HISTOGRAM, "Calls.",
                                &e) == LEVY_OK);
    const char *a[] = {"result", "a", NULL}, *b[] = {"result", "b", NULL};
    CHECK(levy_metrics_inc("levy_things_total", b, 3, &e) == LEVY_OK);
    CHECK(levy_metrics_inc("levy_things_total", a, 1, &e) == LEVY_OK);
    CHECK(levy_metrics_set("levy_undescribed", NULL, 7, &e) == LEVY_OK);
    CHECK(levy_metrics_observe("levy_call_duration_seconds", NULL, 1, &e) == LEVY_OK);
    CHECK(levy_metrics_observe("levy_call_duration_seconds", NULL, 2501, &e) == LEVY_OK);
    txt = render();
    CHECK(txt != NULL);
    CHECK(strstr(txt, "# HELP levy_things_total Things done.\\nSecond line \\\\ backslash.\n"
                      "# TYPE levy_things_total counter\n"
                      "levy_things_total{result=\"a\"} 1\n"
                      "levy_things_total{result=\"b\"} 3\n") != NULL);
    CHECK(strstr(txt, "# HELP levy_idle Never set.\n# TYPE levy_idle gauge\n") != NULL);
    CHECK(strstr(txt, "# HELP levy_undescribed levy_undescribed (no description registered)\n"
                      "# TYPE levy_undescribed gauge\nlevy_undescribed 7\n") != NULL);
    CHECK(strstr(txt, "# TYPE levy_call_duration_seconds histogram\n"
                      "levy_call_duration_seconds_bucket{le=\"0.001\"} 1\n"
                      "levy_call_duration_seconds_bucket{le=\"0.005\"} 1\n") != NULL);
    CHECK(strstr(txt, "levy_call_duration_seconds_bucket{le=\"2.5\"} 1\n"
                      "levy_call_duration_seconds_bucket{le=\"5\"} 2\n") != NULL);
    CHECK(strstr(txt, "levy_call_duration_seconds_bucket{le=\"+Inf\"} 2\n"
                      "levy_call_duration_seconds_sum 2.502\n"
                      "levy_call_duration_seconds_count 2\n") != NULL);
    /* families sorted, each HELP/TYPE once */
    const char *p1 = strstr(txt, "# HELP levy_call_duration_seconds");
    const char *p2 = strstr(txt, "# HELP levy_idle");
    const char *p3 = strstr(txt, "# HELP levy_things_total");
    CHECK(p1 && p2 && p3 && p1 < p2 && p2 < p3);
    CHECK(strstr(p3 + 1, "# HELP levy_things_total") == NULL);
end:
    free(txt);
    levy_metrics_reset();
}

static void t_process(void)
{
    char *txt = NULL;
    size_t len = 0;
    CHECK(levy_metrics_render_process(&txt, &len, NULL) == LEVY_OK);
    CHECK(strstr(txt, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ") !=
          NULL);
    CHECK(strstr(txt, "# TYPE process_resident_memory_bytes gauge\n") != NULL);
    CHECK(strstr(txt, "# TYPE process_open_fds gauge\nprocess_open_fds ") != NULL);
    const char *st = strstr(txt, "\nprocess_start_time_seconds ");
    CHECK(st != NULL);
    CHECK(strtod(st + 28, NULL) > 1.7e9);
    CHECK(strstr(txt, "# HELP process_start_time_seconds ") != NULL);
end:
    free(txt);
}

/* A removed connection's series go (issue 20 follow-up): remove() drops exactly the series
 * of the family whose labels hold the pair, whole pairs only (a value that contains the text
 * of another pair does not match), and leaves other families alone. */
static void t_remove(void)
{
    levy_metrics_reset();
    char *txt = NULL;
    const char *a_ok[] = {"connection", "con_a", "state", "ok", NULL};
    const char *a_bad[] = {"connection", "con_a", "state", "error", NULL};
    const char *b_ok[] = {"connection", "con_b", "state", "ok", NULL};
    const char *tricky[] = {"note", "connection=\"con_a\"", "state", "ok", NULL};
    const char *drift_a[] = {"connection", "con_a", NULL};
    const char *sel[] = {"connection", "con_a", NULL};
    int n = -1;
    CHECK(levy_metrics_set("levy_health", a_ok, 1, NULL) == LEVY_OK);
    CHECK(levy_metrics_set("levy_health", a_bad, 0, NULL) == LEVY_OK);
    CHECK(levy_metrics_set("levy_health", b_ok, 1, NULL) == LEVY_OK);
    CHECK(levy_metrics_set("levy_health", tricky, 1, NULL) == LEVY_OK);
    CHECK(levy_metrics_set("levy_drift", drift_a, 3, NULL) == LEVY_OK);
    CHECK(levy_metrics_remove("levy_health", sel, &n, NULL) == LEVY_OK);
    CHECK(n == 2);
    CHECK((txt = render()) != NULL);
    CHECK(strstr(txt, "levy_health{connection=\"con_a\"") == NULL);
    CHECK(strstr(txt, "levy_health{connection=\"con_b\",state=\"ok\"} 1") != NULL);
    CHECK(strstr(txt, "levy_health{note=") != NULL);                  /* not a whole pair */
    CHECK(strstr(txt, "levy_drift{connection=\"con_a\"} 3") != NULL); /* another family */
    free(txt);
    txt = NULL;
    CHECK(levy_metrics_remove("levy_drift", sel, &n, NULL) == LEVY_OK && n == 1);
    CHECK(levy_metrics_remove("levy_drift", sel, &n, NULL) == LEVY_OK && n == 0);
    const char *bad[] = {"bad label", "x", NULL};
    CHECK(levy_metrics_remove("levy_health", bad, &n, NULL) == LEVY_EINVAL);
    CHECK(levy_metrics_remove("levy_health", NULL, &n, NULL) == LEVY_OK && n == 2);
end:
    free(txt);
    levy_metrics_reset();
}

/* The series index (issue 21): a series is found again after the series moved (rendering
 * sorts them, removing and clearing compact them) and after the index grew past its first
 * size; a name and labels that only concatenate alike are two series; a label string longer
 * than the lookup's stack buffer is found too; the checks a new series gets still apply to a
 * name whose other series exist (another type is refused, whatever the labels). */
static void t_index(void)
{
    levy_metrics_reset();
    char *txt = NULL;
    char val[16];
    const char *lab[] = {"route", val, "status", "200", NULL};
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 300; i++) { /* past the first index size (64 slots) */
            snprintf(val, sizeof val, "r%03d", i);
            CHECK(levy_metrics_inc("levy_index_total", lab, i + 1, NULL) == LEVY_OK);
        }
        if (round == 0) {
            CHECK((txt = render()) != NULL); /* sorts the series */
            free(txt);
            txt = NULL;
        }
        if (round == 1) {
            const char *sel[] = {"route", "r007", NULL};
            int n = -1;
            CHECK(levy_metrics_remove("levy_index_total", sel, &n, NULL) == LEVY_OK && n == 1);
            levy_metrics_clear("levy_other_total");
        }
    }
    CHECK((txt = render()) != NULL);
    CHECK(strstr(txt, "levy_index_total{route=\"r000\",status=\"200\"} 3\n") != NULL);
    CHECK(strstr(txt, "levy_index_total{route=\"r299\",status=\"200\"} 900\n") != NULL);
    CHECK(strstr(txt, "levy_index_total{route=\"r007\",status=\"200\"} 8\n") != NULL); /* anew */
    free(txt);
    txt = NULL;
    /* name and labels that only concatenate alike */
    const char *l1[] = {"a", "1", NULL};
    CHECK(levy_metrics_inc("levy_ab_total", l1, 1, NULL) == LEVY_OK);
    CHECK(levy_metrics_inc("levy_ab_total", NULL, 5, NULL) == LEVY_OK);
    CHECK(levy_metrics_inc("levy_ab_total", l1, 1, NULL) == LEVY_OK);
    /* a label string longer than the lookup's stack buffer */
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *lb[] = {"big", big, NULL};
    CHECK(levy_metrics_inc("levy_big_total", lb, 2, NULL) == LEVY_OK);
    CHECK(levy_metrics_inc("levy_big_total", lb, 3, NULL) == LEVY_OK);
    CHECK((txt = render()) != NULL);
    CHECK(strstr(txt, "levy_ab_total{a=\"1\"} 2\n") != NULL);
    CHECK(strstr(txt, "levy_ab_total 5\n") != NULL);
    CHECK(strstr(txt, "\"} 5\n") != NULL && strstr(txt, "levy_big_total{big=\"xxx") != NULL);
    /* the checks of a new series still apply to a found name */
    levy_err e;
    CHECK(levy_metrics_set("levy_ab_total", l1, 1, &e) == LEVY_EINVAL); /* gauge _total */
    CHECK(levy_metrics_set("levy_gauge_x", NULL, 1, &e) == LEVY_OK);
    CHECK(levy_metrics_observe("levy_gauge_x", NULL, 1, &e) == LEVY_EINVAL); /* not seconds */
    const char *badl[] = {"a=\"1\",b", "2", NULL};
    CHECK(levy_metrics_inc("levy_ab_total", badl, 1, &e) == LEVY_EINVAL); /* a bad label key */
end:
    free(txt);
    levy_metrics_reset();
}

/* levy_metrics_inc_ref (issue 21: the per-answer counter without a lookup): a ref counts into
 * its own series while series are appended (the array reallocated), and after anything that
 * moves series (render sorts, remove and clear compact, reset forgets) it is looked up again
 * and counts into the right one still; a refused lookup leaves the ref unfilled. */
static void t_ref(void)
{
    levy_metrics_reset();
    char *txt = NULL;
    char val[16];
    levy_metrics_ref ra = {0}, rb = {0};
    const char *la[] = {"route", "/v1/z", "status", "200", NULL};
    const char *lb[] = {"route", "/v1/y", "status", "200", NULL};
    const char *lo[] = {"route", val, NULL};
    CHECK(levy_metrics_inc_ref(&ra, "levy_ref_total", la, 1, NULL) == LEVY_OK);
    CHECK(levy_metrics_inc_ref(&rb, "levy_ref_total", lb, 10, NULL) == LEVY_OK);
    for (int i = 0; i < 200; i++) { /* appended: positions kept, the array reallocated */
        snprintf(val, sizeof val, "a%03d", i);
        CHECK(levy_metrics_inc("levy_aref_total", lo, 1, NULL) == LEVY_OK);
        CHECK(levy_metrics_inc_ref(&ra, "levy_ref_total", la, 1, NULL) == LEVY_OK);
    }
    CHECK((txt = render()) != NULL); /* sorts: levy_aref_total now before levy_ref_total */
    free(txt);
    txt = NULL;
    CHECK(levy_metrics_inc_ref(&ra, "levy_ref_total", la, 1000, NULL) == LEVY_OK);
    CHECK(levy_metrics_inc_ref(&rb, "levy_ref_total", lb, 1000, NULL) == LEVY_OK);
    const char *sel[] = {"route", "/v1/y", NULL};
    int n = -1;
    CHECK(levy_metrics_remove("levy_ref_total", sel, &n, NULL) == LEVY_OK && n == 1);
    CHECK(levy_metrics_inc_ref(&ra, "levy_ref_total", la, 10000, NULL) == LEVY_OK);
    levy_metrics_clear("levy_aref_total");
    CHECK(levy_metrics_inc_ref(&ra, "levy_ref_total", la, 100000, NULL) == LEVY_OK);
    CHECK(levy_metrics_inc_ref(&rb, "levy_ref_total", lb, 5, NULL) == LEVY_OK); /* anew */
    CHECK((txt = render()) != NULL);
    CHECK(strstr(txt, "levy_ref_total{route=\"/v1/z\",status=\"200\"} 111201\n") != NULL);
    CHECK(strstr(txt, "levy_ref_total{route=\"/v1/y\",status=\"200\"} 5\n") != NULL);
    CHECK(strstr(txt, "levy_aref_total") == NULL);
    free(txt);
    txt = NULL;
    levy_metrics_reset();
    CHECK(levy_metrics_inc_ref(&ra, "levy_ref_total", la, 2, NULL) == LEVY_OK);
    CHECK((txt = render()) != NULL);
    CHECK(strstr(txt, "levy_ref_total{route=\"/v1/z\",status=\"200\"} 2\n") != NULL);
    free(txt);
    txt = NULL;
    /* a refused lookup (a gauge's name) leaves the ref unfilled */
    levy_metrics_ref rc = {0};
    levy_err e;
    CHECK(levy_metrics_set("levy_refg", NULL, 1, &e) == LEVY_OK);
    CHECK(levy_metrics_inc_ref(&rc, "levy_refg", NULL, 1, &e) == LEVY_EINVAL && rc.epoch == 0);
end:
    free(txt);
    levy_metrics_reset();
}

static const levy_test tests[] = {{"conventions", t_conventions},
                                  {"render", t_render},
                                  {"process", t_process},
                                  {"remove", t_remove},
                                  {"index", t_index},
                                  {"ref", t_ref},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
