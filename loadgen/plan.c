/*
 * plan.c - the --shard and --start-at values of `tollgate run`.
 *
 * Shards of one run are started by an outside engine (a Kubernetes
 * Indexed Job, Slurm, ssh/GNU parallel) on several machines with the same
 * scenario and the same --start-at, so that their schedules line up in
 * wall-clock time.  This file only turns the option strings (and the
 * engine's index variable) into numbers: the waiting is the caller's, and
 * nothing here reads a clock or the environment.  Times are ns since the
 * Unix epoch, UTC; dates are proleptic Gregorian, computed by hand
 * (timegm is not POSIX, mktime works in local time).
 */
#include "loadgen/plan.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_S    1000000000LL
#define MAX_EPOCH_S 9000000000LL /* year 2255: ns still fit in int64 */

static void set_err(char *err, size_t err_len, const char *msg)
{
    if (err && err_len > 0)
        snprintf(err, err_len, "%s", msg);
}

/* Reads exactly n digits at *p into *v and advances *p. */
static bool digits(const char **p, int n, int64_t *v)
{
    int64_t x = 0;
    for (int k = 0; k < n; k++) {
        char c = (*p)[k];
        if (c < '0' || c > '9')
            return false;
        x = x * 10 + (c - '0');
    }
    *p += n;
    *v = x;
    return true;
}

/* An optional ".fraction" of 1 to 9 digits at *p, as ns. */
static bool fraction(const char **p, int64_t *ns)
{
    *ns = 0;
    if (**p != '.')
        return true;
    (*p)++;
    int n = 0;
    int64_t scale = NS_PER_S;
    while (**p >= '0' && **p <= '9') {
        if (++n > 9)
            return false;
        scale /= 10;
        *ns += (**p - '0') * scale;
        (*p)++;
    }
    return n > 0;
}

/* Days from 1970-01-01 to y-m-d (Gregorian; H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
    static const int len[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return len[m - 1] + (m == 2 && leap);
}

static int epoch_seconds(const char *s, int64_t *out, char *err, size_t err_len)
{
    const char *p = s;
    int64_t sec = 0, frac;
    while (*p >= '0' && *p <= '9') {
        sec = sec * 10 + (*p++ - '0');
        if (sec > MAX_EPOCH_S) {
            set_err(err, err_len, "epoch seconds out of range");
            return ERR_INVAL;
        }
    }
    if (p == s || !fraction(&p, &frac) || *p) {
        set_err(err, err_len,
                "not Unix epoch seconds (e.g. 1764237600.5) or an RFC 3339 "
                "time (e.g. 2025-11-27T10:00:00Z)");
        return ERR_INVAL;
    }
    *out = sec * NS_PER_S + frac;
    return ERR_OK;
}

/* The zone suffix: Z, or +hh:mm / -hh:mm as seconds east of UTC. */
static bool zone(const char **p, int64_t *east_s)
{
    int64_t hh, mm;
    char c = **p;
    *east_s = 0;
    if (c == 'Z' || c == 'z') {
        (*p)++;
        return true;
    }
    if (c != '+' && c != '-')
        return false;
    (*p)++;
    if (!digits(p, 2, &hh) || *(*p)++ != ':' || !digits(p, 2, &mm) || hh > 23 ||
        mm > 59)
        return false;
    *east_s = (c == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    return true;
}

static int rfc3339(const char *s, int64_t *out, char *err, size_t err_len)
{
    const char *p = s;
    int64_t y, mo, d, h, mi, se, frac, east;
    bool ok = digits(&p, 4, &y) && *p++ == '-' && digits(&p, 2, &mo) &&
              *p++ == '-' && digits(&p, 2, &d) &&
              (*p == 'T' || *p == 't' || *p == ' ') && (p++, true) &&
              digits(&p, 2, &h) && *p++ == ':' && digits(&p, 2, &mi) &&
              *p++ == ':' && digits(&p, 2, &se) && fraction(&p, &frac) &&
              zone(&p, &east) && *p == '\0';
    if (!ok) {
        set_err(err, err_len,
                "not an RFC 3339 time (YYYY-MM-DDThh:mm:ss[.frac]Z or "
                "+hh:mm)");
        return ERR_INVAL;
    }
    if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 ||
        d > days_in_month(y, (int)mo) || h > 23 || mi > 59 || se > 59) {
        set_err(err, err_len, "RFC 3339 time out of range");
        return ERR_INVAL;
    }
    int64_t days = days_from_civil(y, (int)mo, (int)d);
    *out = (days * 86400 + h * 3600 + mi * 60 + se - east) * NS_PER_S + frac;
    return ERR_OK;
}

int lg_plan_start_at(const char *s, int64_t *epoch_ns, char *err,
                     size_t err_len)
{
    bool date = strlen(s) > 4 && s[4] == '-';
    return date ? rfc3339(s, epoch_ns, err, err_len)
                : epoch_seconds(s, epoch_ns, err, err_len);
}

/* A non-negative decimal integer filling the whole string, at most max. */
static bool whole_int(const char *s, int64_t max, int64_t *v)
{
    int64_t x = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        x = x * 10 + (*s - '0');
        if (x > max)
            return false;
    }
    *v = x;
    return true;
}

int lg_plan_shard(const char *s, const char *job_index, const char *slurm_array,
                  const char *slurm_procid, int *i, int *n, const char **src,
                  char *err, size_t err_len)
{
    char idx[32];
    const char *slash = strchr(s, '/');
    int64_t iv, nv;
    if (!slash || (size_t)(slash - s) >= sizeof(idx) ||
        !whole_int(slash + 1, LG_PLAN_MAX_SHARDS, &nv) || nv < 1) {
        set_err(err, err_len, "--shard must be I/N or auto/N with N >= 1");
        return ERR_INVAL;
    }
    memcpy(idx, s, (size_t)(slash - s));
    idx[slash - s] = '\0';
    const char *from = "--shard", *text = idx;
    if (strcmp(idx, "auto") == 0) {
        /* The first variable set, in this order of precedence. */
        const char *names[] = { "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID",
                                "SLURM_PROCID" };
        const char *vals[] = { job_index, slurm_array, slurm_procid };
        text = NULL;
        for (size_t k = 0; k < 3 && text == NULL; k++)
            if (vals[k] != NULL && *vals[k] != '\0') {
                from = names[k];
                text = vals[k];
            }
        if (text == NULL) {
            set_err(err, err_len,
                    "--shard auto/N: none of JOB_COMPLETION_INDEX, "
                    "SLURM_ARRAY_TASK_ID, SLURM_PROCID is set");
            return ERR_INVAL;
        }
    }
    if (!whole_int(text, LG_PLAN_MAX_SHARDS, &iv) || iv >= nv) {
        if (err && err_len > 0)
            snprintf(err, err_len,
                     "shard index '%.20s' (from %s) is not in "
                     "0..%lld",
                     text, from, (long long)nv - 1);
        return ERR_INVAL;
    }
    *i = (int)iv;
    *n = (int)nv;
    *src = from;
    return ERR_OK;
}
