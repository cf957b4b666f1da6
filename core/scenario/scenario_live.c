/*
 * scenario_live.c - the live: section: what `tollgate run` sends and how
 * it reads the answers (target, request template, keys, threads and
 * connections, classification rules).
 *
 * Request templates are checked for unknown ${variables} here, so a typo
 * fails at validate time instead of in the middle of a load test; the
 * variable names are scn_tpl_vars, which loadgen/template.c compiles
 * against.  Header values are never echoed in errors (they may be
 * credentials); text that used ${env:} is remembered as written
 * (scn_note_env) so results never hold the value.
 */
#include "core/scenario/scenario_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/reason.h"
#include "core/base/units.h"

const char *const scn_tpl_vars[SCN_TPL_N_VARS + 1] = { "key",
                                                       "model",
                                                       "region",
                                                       "account",
                                                       "prompt",
                                                       "prompt_tokens",
                                                       "completion_tokens",
                                                       "request_id",
                                                       NULL };

/* Reports ${names} that the load generator would not know. */
static void check_template(struct scn_ctx *c, const struct ynode *n,
                           const char *s)
{
    for (const char *p = strchr(s, '$'); p; p = strchr(p, '$')) {
        if (p[1] == '$') {
            p += 2;
            continue;
        }
        if (p[1] != '{') {
            p++;
            continue;
        }
        const char *end = strchr(p, '}');
        if (end == NULL) {
            scn_err(c, n, NULL, "'${' without a closing '}'");
            return;
        }
        char var[64];
        snprintf(var, sizeof(var), "%.*s", (int)(end - p - 2), p + 2);
        bool known = false;
        for (size_t i = 0; scn_tpl_vars[i] && !known; i++)
            known = strcmp(var, scn_tpl_vars[i]) == 0;
        if (!known) {
            const char *near = scn_suggest(var, scn_tpl_vars);
            scn_err(c, n, NULL, "unknown template variable '${%s}'%s%s%s", var,
                    near ? "; did you mean '${" : "", near ? near : "",
                    near ? "}'?" : "");
        }
        p = end + 1;
    }
}

void scn_live_defaults(struct scn_live *l)
{
    l->method = xstrdup("POST");
    l->path = xstrdup("/v1/chat/completions");
    l->body = xstrdup("{\"model\":\"${model}\",\"max_tokens\":"
                      "${completion_tokens},\"messages\":[{\"role\":"
                      "\"user\",\"content\":\"${prompt}\"}]}");
    l->connections = 64;
    l->threads = 2;
    l->timeout_ns = 30 * NS_PER_S;
    l->region_header = xstrdup("X-Client-Region");
    l->classify = CLASSIFY_OPENAI;
}

/* X-Client-Source carries the account: serve attributes lockouts and
 * scope: source limits to it (a wrong key names no account), as sim does,
 * so run against serve agrees with sim without a live: section. */
static void default_headers(struct scn_live *l)
{
    char region[SCN_MAX_NAME + 16];
    snprintf(region, sizeof(region), "%s: ${region}", l->region_header);
    const char *h[] = { "Authorization: Bearer ${key}",
                        "Content-Type: application/json", region,
                        "X-Client-Source: ${account}" };
    size_t n = sizeof(h) / sizeof(h[0]);
    l->n_headers = n;
    l->headers = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        l->headers[i] = xstrdup(h[i]);
}

static void conv_headers(struct scn_ctx *c, const struct ynode *n,
                         struct scn_live *l)
{
    size_t mark = scn_path_key(c, "headers");
    size_t count = n->kind == YN_SEQ ? n->n : 1;
    if (n->kind == YN_MAP) {
        scn_err(c, n, NULL, "expected a list of \"Name: value\" strings");
        scn_path_pop(c, mark);
        return;
    }
    if (count > SCN_MAX_HEADERS) {
        size_t m2 = scn_path_index(c, SCN_MAX_HEADERS);
        scn_err_toobig(c, n->vals[SCN_MAX_HEADERS], NULL,
                       "more than %d request headers: drop some",
                       SCN_MAX_HEADERS);
        scn_path_pop(c, m2);
    }
    l->headers = xcalloc(count ? count : 1, sizeof(char *));
    for (size_t i = 0; i < count; i++) {
        const struct ynode *h = n->kind == YN_SEQ ? n->vals[i] : n;
        const char *s = scn_scalar(c, h, "a header \"Name: value\"");
        if (s == NULL)
            continue;
        const char *colon = strchr(s, ':');
        if (colon == NULL || colon == s ||
            strcspn(s, " \t") < (size_t)(colon - s)) {
            /* Only the first word: the rest may be a credential. */
            int word = (int)strcspn(s, " \t:");
            scn_err(c, h, NULL,
                    "expected \"Name: value\", got a header starting "
                    "'%.*s' (the rest is not shown: it may be a secret)",
                    word < 64 ? word : 64, s);
        }
        check_template(c, h, s);
        l->headers[l->n_headers] = xstrdup(s);
        scn_note_env(c, h, &l->headers[l->n_headers++]);
    }
    scn_path_pop(c, mark);
}

static void conv_request(struct scn_ctx *c, const struct ynode *n,
                         struct scn_live *l)
{
    static const char *const keys[] = { "method", "path", "headers", "body",
                                        NULL };
    size_t mark = scn_path_key(c, "request");
    if (scn_check_map(c, n, keys)) {
        if (scn_get_string(c, n, "method", 0, 16, &l->method) &&
            strspn(l->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
                strlen(l->method))
            scn_err(c, scn_map_get(n, "method"), "method",
                    "expected an HTTP method such as POST or GET");
        if (scn_get_string(c, n, "path", 0, 4096, &l->path)) {
            if (l->path[0] != '/')
                scn_err(c, scn_map_get(n, "path"), "path",
                        "a path starts with '/'");
            check_template(c, scn_map_get(n, "path"), l->path);
        }
        if (scn_get_string(c, n, "body", 0, 65536, &l->body))
            check_template(c, scn_map_get(n, "body"), l->body);
        if (scn_map_get(n, "headers"))
            conv_headers(c, scn_map_get(n, "headers"), l);
    }
    scn_path_pop(c, mark);
}

static void conv_rule(struct scn_ctx *c, const struct ynode *n,
                      struct scn_classify_rule *r)
{
    static const char *const keys[] = { "status", "type",   "code",
                                        "header", "reason", NULL };
    r->loc = n->loc;
    r->reason = REASON_OK;
    if (!scn_check_map(c, n, keys))
        return;
    int64_t status = 0;
    if (scn_get_count(c, n, "status", 0, 599, &status) && status != 0 &&
        status < 100)
        scn_err(c, scn_map_get(n, "status"), "status",
                "an HTTP status is between 100 and 599");
    r->status = (int)status;
    scn_get_string(c, n, "type", 0, 256, &r->type);
    scn_get_string(c, n, "code", 0, 256, &r->code);
    scn_get_string(c, n, "header", 0, 512, &r->header);
    const struct ynode *why = scn_map_get(n, "reason");
    if (why == NULL) {
        scn_err(c, n, "reason",
                "missing required key 'reason' (a reason "
                "id; see 'tollgate reasons')");
    } else if (scn_scalar(c, why, "a reason id")) {
        enum reason rs = reason_from_id(why->str);
        if (rs == REASON_COUNT) {
            const char *ids[REASON_COUNT + 1];
            for (int i = 0; i < REASON_COUNT; i++)
                ids[i] = reason_id((enum reason)i);
            ids[REASON_COUNT] = NULL;
            const char *near = scn_suggest(why->str, ids);
            scn_err(c, why, "reason",
                    "'%s' is not a reason id%s%s%s "
                    "(see 'tollgate reasons')",
                    why->str, near ? "; did you mean '" : "", near ? near : "",
                    near ? "'?" : "");
        }
        r->reason = (int)rs;
    }
}

static void conv_classify(struct scn_ctx *c, const struct ynode *n,
                          struct scn_live *l)
{
    static const char *const keys[] = { "rules", NULL };
    size_t mark = scn_path_key(c, "classify");
    const struct ynode *rules = scn_map_get(n, "rules");
    if (scn_check_map(c, n, keys)) {
        if (rules == NULL || rules->kind != YN_SEQ || rules->n == 0) {
            scn_err(c, rules ? rules : n, rules ? NULL : "rules",
                    "expected openai, anthropic or rules: [ { status: 429, "
                    "code: ..., reason: rate_limit }, ... ]");
        } else {
            l->classify = CLASSIFY_RULES;
            l->rules = xcalloc(rules->n, sizeof(*l->rules));
            l->n_rules = rules->n;
            size_t m2 = scn_path_key(c, "rules");
            for (size_t i = 0; i < rules->n; i++) {
                size_t m3 = scn_path_index(c, i);
                conv_rule(c, rules->vals[i], &l->rules[i]);
                scn_path_pop(c, m3);
            }
            scn_path_pop(c, m2);
        }
    }
    scn_path_pop(c, mark);
}

void scn_conv_live(struct scn_ctx *c, const struct ynode *n)
{
    static const char *const keys[] = {
        "target",  "request",  "keys",          "connections",    "threads",
        "timeout", "classify", "region_header", "ietf_ratelimit", NULL
    };
    static const char *const kinds[] = { "openai", "anthropic", NULL };
    struct scn_live *l = &c->sc->live;
    size_t mark = scn_path_key(c, "live");
    if (scn_check_map(c, n, keys)) {
        c->sc->has_live = true;
        if (scn_get_string(c, n, "target", 0, 2048, &l->target) &&
            strncmp(l->target, "http://", 7) != 0 &&
            strncmp(l->target, "https://", 8) != 0)
            scn_err(c, scn_map_get(n, "target"), "target",
                    "expected a URL such as http://127.0.0.1:8080");
        scn_get_string(c, n, "region_header", 0, SCN_MAX_NAME - 1,
                       &l->region_header);
        scn_get_bool(c, n, "ietf_ratelimit", 0, &l->ietf_ratelimit);
        if (scn_map_get(n, "request"))
            conv_request(c, scn_map_get(n, "request"), l);
        const struct ynode *k = scn_map_get(n, "keys");
        if (k) {
            static const char *const kkeys[] = { "file", NULL };
            size_t m2 = scn_path_key(c, "keys");
            if (scn_check_map(c, k, kkeys))
                scn_get_string(c, k, "file", SCN_REQ, 4096, &l->keys_file);
            scn_path_pop(c, m2);
        }
        scn_get_count(c, n, "connections", SCN_POS, SCN_MAX_CONNECTIONS,
                      &l->connections);
        scn_get_count(c, n, "threads", SCN_POS, SCN_MAX_THREADS, &l->threads);
        if (l->connections < l->threads)
            scn_err(c,
                    scn_map_get(n, "connections")
                        ? scn_map_get(n, "connections")
                        : scn_map_get(n, "threads"),
                    scn_map_get(n, "connections") ? "connections" : "threads",
                    "%" PRId64 " connections cannot keep %" PRId64
                    " threads busy: give at least one connection per thread",
                    l->connections, l->threads);
        scn_get_duration(c, n, "timeout", SCN_POS, &l->timeout_ns);
        const struct ynode *cl = scn_map_get(n, "classify");
        int kind = 0;
        if (cl && cl->kind == YN_SCALAR) {
            if (scn_get_enum(c, n, "classify", 0, kinds, &kind))
                l->classify = (enum classify_kind)kind;
        } else if (cl) {
            conv_classify(c, cl, l);
        }
    }
    if (l->headers == NULL)
        default_headers(l);
    scn_path_pop(c, mark);
}
