/*
 * The shared conformance vectors through the C surface: every *.json file of the vectors
 * directory (argv[1], default tests/vectors; adding a file or a vector needs no change
 * here) is parsed with cJSON, and each vector is run through the C API itself and compared
 * with its `expected` here, in C (the rule of tests/vectors/README.md, "Comparison"):
 *
 *   errors, retry_after  sf_client_request against the replay server (SF_TEST_REPLAY_URL),
 *                        read through sf_error_status / _code / _kind / _is_retryable /
 *                        _retry_after_ms / _message / _request_id;
 *   retries              sf_client_request against scripted answers: the attempts the replay
 *                        server logged, sf_response_attempts / sf_error_attempts,
 *                        sf_error_stop_reason, and whether every attempt sent the same key;
 *   pagination           sf_client_paginate + sf_pager_next, the requests' cursor and limit
 *                        from the replay server's log;
 *   security             sf_client_new (keys, base URLs) and sf_client_request (a request
 *                        URL carrying the key);
 *   idempotency          sf_pyai_create_job against the PyAI emulator (SF_TEST_PYAI_URL)
 *   bulk                 sf_pyai_create_jobs against the PyAI emulator: the key each result
 *                        names, or the SF_INVALID_ARGUMENT error before anything is sent
 *                        with a dropped-after-commit fault, counted by its admin API.
 *
 * `retry_decision` and `pacing` vectors have no C surface (see the README) and `options`
 * vectors have their own runner: those are counted as skipped. C durations are whole
 * milliseconds (int64), so `_ms` members compare within 1 ms here. Prints one line per
 * differing vector (`file: name: diff`), `file: passed/run (skipped)` per file, and closes
 * with "N passed, N failed, N skipped". Exits non-zero on any difference.
 *
 * Run it under tests/c/run.sh and tests/c/with_replay.sh (bindings/c/rules.mk does).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "surefoot.h"

static int passed, failed, skipped;
static const char *replay_url;
static const char *pyai_url;

/* ----- a growing string -------------------------------------------------------------- */

typedef struct {
    char *s;
    size_t len, cap;
} buf;

static void bprintf(buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (b->s == NULL) abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* A value as JSON, cut to 300 bytes (huge bodies make huge messages). */
static void show(buf *b, const cJSON *v) {
    if (v == NULL) {
        bprintf(b, "nothing");
        return;
    }
    char *s = cJSON_PrintUnformatted(v);
    if (s == NULL) abort();
    if (strlen(s) > 300) bprintf(b, "%.300s… (%zu bytes)", s, strlen(s));
    else bprintf(b, "%s", s);
    free(s);
}

/* ----- the comparison rule ----------------------------------------------------------- */

#define NUMBER_TOLERANCE 0.001
/* C reports durations in whole milliseconds. */
#define MS_TOLERANCE 1.0

static bool equal(const cJSON *a, const cJSON *b, double tolerance) {
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return fabs(a->valuedouble - b->valuedouble) <= tolerance;
    if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
        for (const cJSON *x = a->child, *y = b->child; x != NULL; x = x->next, y = y->next)
            if (!equal(x, y, NUMBER_TOLERANCE)) return false;
        return true;
    }
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
        for (const cJSON *x = a->child; x != NULL; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (y == NULL || !equal(x, y, NUMBER_TOLERANCE)) return false;
        }
        return true;
    }
    return cJSON_Compare(a, b, true);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A top-level member of `expected` the C surface does not show (see the README). */
static const char *unshown;

static void compare_at(const char *path, const cJSON *expected, const cJSON *observed, buf *diffs) {
    const char *shown = *path ? path : "(result)";
    if (!cJSON_IsObject(expected)) {
        if (!equal(expected, observed, NUMBER_TOLERANCE)) {
            bprintf(diffs, "%s%s: expected ", diffs->len ? "; " : "", shown);
            show(diffs, expected);
            bprintf(diffs, ", observed ");
            show(diffs, observed);
        }
        return;
    }
    if (!cJSON_IsObject(observed)) {
        bprintf(diffs, "%s%s: expected an object, observed ", diffs->len ? "; " : "", shown);
        show(diffs, observed);
        return;
    }
    for (const cJSON *e = expected->child; e != NULL; e = e->next) {
        const char *key = e->string;
        char p[512];
        if (ends_with(key, "_tolerance")) continue;
        if (!*path && unshown != NULL && strcmp(key, unshown) == 0) continue;
        if (ends_with(key, "_contains")) {
            char field[256];
            snprintf(field, sizeof field, "%.*s", (int)(strlen(key) - strlen("_contains")), key);
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", field);
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(observed, field);
            if (!(cJSON_IsString(e) && cJSON_IsString(o) && strstr(o->valuestring, e->valuestring) != NULL)) {
                bprintf(diffs, "%s%s: expected to contain ", diffs->len ? "; " : "", p);
                show(diffs, e);
                bprintf(diffs, ", observed ");
                show(diffs, o);
            }
            continue;
        }
        snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(observed, key);
        if (o == NULL) {
            bprintf(diffs, "%s%s: expected ", diffs->len ? "; " : "", p);
            show(diffs, e);
            bprintf(diffs, ", but the observed result has no such member");
            continue;
        }
        if (cJSON_IsObject(e)) {
            compare_at(p, e, o, diffs);
            continue;
        }
        char tolerance_name[300];
        snprintf(tolerance_name, sizeof tolerance_name, "%s_tolerance", key);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(expected, tolerance_name);
        double tolerance = cJSON_IsNumber(t) ? t->valuedouble : ends_with(key, "_ms") ? MS_TOLERANCE : NUMBER_TOLERANCE;
        if (!equal(e, o, tolerance)) {
            bprintf(diffs, "%s%s: expected ", diffs->len ? "; " : "", p);
            show(diffs, e);
            bprintf(diffs, ", observed ");
            show(diffs, o);
        }
    }
}

/* ----- observing through the C API --------------------------------------------------- */

static cJSON *failure(const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    return o;
}

static cJSON *string_or_null(const char *s) {
    return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static size_t utf8_chars(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

/* What every failure-shaped observation shows of an sf_error, through its accessors. */
static cJSON *error_json(const sf_error *e) {
    cJSON *o = cJSON_CreateObject();
    uint16_t status = sf_error_status(e);
    cJSON_AddItemToObject(o, "status", status ? cJSON_CreateNumber(status) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "code", string_or_null(sf_error_code(e)));
    cJSON_AddItemToObject(o, "kind", string_or_null(sf_kind_name(sf_error_kind(e))));
    cJSON_AddBoolToObject(o, "retryable", sf_error_is_retryable(e));
    int64_t ra = sf_error_retry_after_ms(e);
    cJSON_AddItemToObject(o, "retry_after_ms", ra >= 0 ? cJSON_CreateNumber((double)ra) : cJSON_CreateNull());
    const char *msg = sf_error_message(e);
    cJSON_AddItemToObject(o, "message", string_or_null(msg));
    cJSON_AddNumberToObject(o, "message_chars", msg ? (double)utf8_chars(msg) : 0);
    cJSON_AddItemToObject(o, "request_id", string_or_null(sf_error_request_id(e)));
    return o;
}

/* Options for `base` with no retries and no pacing; NULL when a setter refuses. */
static sf_client_options *plain_options(const char *base, uint32_t max_retries) {
    sf_client_options *opts = sf_client_options_new();
    if (opts == NULL || sf_client_options_set_base_url(opts, base, NULL) != SF_OK ||
        sf_client_options_set_max_retries(opts, max_retries, NULL) != SF_OK ||
        sf_client_options_set_backoff_ms(opts, 1, 1, NULL) != SF_OK ||
        sf_client_options_set_pacing(opts, false, NULL) != SF_OK) {
        sf_client_options_free(opts);
        return NULL;
    }
    return opts;
}

static sf_client *plain_client(const char *base, uint32_t max_retries) {
    sf_client_options *opts = plain_options(base, max_retries);
    sf_client *client = NULL;
    if (opts != NULL && sf_client_new(opts, &client, NULL) != SF_OK) client = NULL;
    sf_client_options_free(opts);
    return client;
}

/* A JSON answer of `method` `path` on `base` (the replay log, the emulator's admin API). */
static cJSON *call_json(const char *base, const char *method, const char *path, const char *body) {
    sf_client *client = plain_client(base, 0);
    if (client == NULL) return NULL;
    sf_response *resp = NULL;
    cJSON *out = NULL;
    if (sf_client_request(client, method, path, (const uint8_t *)body, body ? strlen(body) : 0, NULL, &resp, NULL) ==
        SF_OK) {
        const uint8_t *bytes;
        size_t len;
        if (sf_response_body(resp, &bytes, &len) == SF_OK) out = len ? cJSON_ParseWithLength((const char *)bytes, len) : cJSON_CreateObject();
        sf_response_free(resp);
    }
    sf_client_free(client);
    return out;
}

typedef struct {
    char base[512]; /* the vector's base URL on the replay server */
    char log[512];  /* the path of its request log */
} where;

static cJSON *observe_call(const where *w, bool retry_after) {
    sf_client *client = plain_client(w->base, 0);
    if (client == NULL) return failure("cannot build a client for %s", w->base);
    sf_response *resp = NULL;
    sf_error *err = NULL;
    sf_result r = sf_client_request(client, "GET", "/call", NULL, 0, NULL, &resp, &err);
    cJSON *out;
    if (r == SF_OK) {
        out = retry_after ? failure("the 429 came back as %u", sf_response_status(resp)) : cJSON_CreateObject();
        if (!retry_after) {
            cJSON_AddNumberToObject(out, "status", sf_response_status(resp));
            cJSON_AddBoolToObject(out, "succeeded", true);
        }
        sf_response_free(resp);
    } else if (retry_after) {
        if (sf_error_status(err) != 429) {
            out = failure("the 429 came back as %s: %s", sf_result_name(r), sf_error_message(err));
        } else {
            out = cJSON_CreateObject();
            int64_t ms = sf_error_retry_after_ms(err);
            cJSON_AddItemToObject(out, "wait_ms", ms >= 0 ? cJSON_CreateNumber((double)ms) : cJSON_CreateString("ignore"));
        }
    } else {
        out = error_json(err);
    }
    sf_error_free(err);
    sf_client_free(client);
    return out;
}

static cJSON *observe_pagination(const where *w, const cJSON *input) {
    const cJSON *limit = cJSON_GetObjectItemCaseSensitive(input, "limit");
    const cJSON *prefetch = cJSON_GetObjectItemCaseSensitive(input, "prefetch");
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(input, "start_cursor");
    const cJSON *retries = cJSON_GetObjectItemCaseSensitive(input, "max_retries");
    sf_client_options *opts = plain_options(w->base, cJSON_IsNumber(retries) ? (uint32_t)retries->valueint : 0);
    if (opts == NULL) return failure("a setter refused");
    if (cJSON_IsTrue(prefetch)) sf_client_options_set_prefetch(opts, true, NULL);
    sf_client *client = NULL;
    sf_result r = sf_client_new(opts, &client, NULL);
    sf_client_options_free(opts);
    if (r != SF_OK) return failure("cannot build the client");

    /* C has no start-cursor argument: the first page's query carries it. */
    char path[1024] = "/items";
    if (cJSON_IsString(start)) {
        strcat(path, "?cursor=");
        for (const unsigned char *c = (const unsigned char *)start->valuestring; *c && strlen(path) < sizeof path - 4; c++) {
            if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("-_.~", *c))
                snprintf(path + strlen(path), 2, "%c", *c);
            else
                snprintf(path + strlen(path), 4, "%%%02X", *c);
        }
    }
    cJSON *out = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(out, "items");
    sf_pager *pager = NULL;
    sf_error *err = NULL;
    r = sf_client_paginate(client, path, cJSON_IsNumber(limit) ? limit->valueint : -1, &pager, &err);
    while (r == SF_OK) {
        const char *item;
        size_t len;
        r = sf_pager_next(pager, &item, &len, &err);
        if (r == SF_OK) cJSON_AddItemToArray(items, cJSON_ParseWithLength(item, len));
        if (cJSON_GetArraySize(items) > 100000) break;
    }
    sf_pager_free(pager);
    sf_client_free(client);

    cJSON *log = call_json(replay_url, "GET", w->log, NULL);
    cJSON *cursors = cJSON_AddArrayToObject(out, "cursors");
    cJSON *limits = cJSON_AddArrayToObject(out, "limits");
    const cJSON *requests = cJSON_GetObjectItemCaseSensitive(log, "requests");
    for (const cJSON *q = requests ? requests->child : NULL; q != NULL; q = q->next) {
        cJSON_AddItemToArray(cursors, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(q, "cursor"), true));
        cJSON_AddItemToArray(limits, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(q, "limit"), true));
    }
    cJSON_Delete(log);
    cJSON_AddStringToObject(out, "stopped", r == SF_DONE ? "end" : "error");
    if (r == SF_DONE) {
        cJSON_AddNullToObject(out, "error_code");
        cJSON_AddNullToObject(out, "error_kind");
        cJSON_AddNullToObject(out, "error_status");
        cJSON_AddNullToObject(out, "error_message");
    } else {
        cJSON *e = error_json(err);
        cJSON_AddItemToObject(out, "error_code", cJSON_Duplicate(cJSON_GetObjectItem(e, "code"), true));
        cJSON_AddItemToObject(out, "error_kind", cJSON_Duplicate(cJSON_GetObjectItem(e, "kind"), true));
        cJSON_AddItemToObject(out, "error_status", cJSON_Duplicate(cJSON_GetObjectItem(e, "status"), true));
        cJSON_AddItemToObject(out, "error_message", cJSON_Duplicate(cJSON_GetObjectItem(e, "message"), true));
        cJSON_Delete(e);
    }
    sf_error_free(err);
    return out;
}

static cJSON *observe_security(const where *w, const cJSON *input) {
    const char *check = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(input, "check"));
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(input, "key"));
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(input, "url"));
    if (check == NULL) return failure("no `check`");
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    sf_result r;
    /* A refused value is refused by its setter, with the core's message. */
    if (strcmp(check, "base_url") == 0) {
        if (url == NULL) return failure("a base_url check needs `url`");
        r = sf_client_options_set_allow_insecure_http(
            opts, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(input, "allow_insecure_http")), &err);
        if (r == SF_OK) r = sf_client_options_set_base_url(opts, url, &err);
    } else {
        r = sf_client_options_set_base_url(opts, w->base, &err);
        if (r == SF_OK) r = sf_client_options_set_max_retries(opts, 0, &err);
        if (r == SF_OK) r = sf_client_options_set_pacing(opts, false, &err);
        if (r == SF_OK && key != NULL) r = sf_client_options_set_api_key(opts, key, &err);
    }
    if (r == SF_OK) r = sf_client_new(opts, &client, &err);
    sf_client_options_free(opts);
    if (r == SF_OK && strcmp(check, "base_url") == 0) {
        /* The C surface does not give the parsed base URL back: not observed here. */
    } else if (r == SF_OK && strcmp(check, "url_has_no_key") == 0) {
        const char *rest = url ? strstr(url, "://") : NULL;
        rest = rest ? strchr(rest + 3, '/') : NULL;
        if (rest == NULL) {
            sf_client_free(client);
            return failure("`url` has no path");
        }
        sf_response *resp = NULL;
        r = sf_client_request(client, "GET", rest, NULL, 0, NULL, &resp, &err);
        sf_response_free(resp);
    } else if (r == SF_OK && strcmp(check, "api_key") != 0) {
        sf_client_free(client);
        return failure("unknown check %s", check);
    }
    sf_client_free(client);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddBoolToObject(out, "accepted", r == SF_OK);
    if (r == SF_OK) {
        cJSON_AddNullToObject(out, "code");
        cJSON_AddNullToObject(out, "kind");
        cJSON_AddNullToObject(out, "message");
        cJSON_AddNullToObject(out, "key_in_message");
    } else {
        const char *msg = sf_error_message(err);
        cJSON_AddItemToObject(out, "code", string_or_null(sf_error_code(err)));
        cJSON_AddItemToObject(out, "kind", string_or_null(sf_kind_name(sf_error_kind(err))));
        cJSON_AddItemToObject(out, "message", string_or_null(msg));
        /* Only keys long enough to be told apart from ordinary words are searched for. */
        char trimmed[1024] = "";
        if (key != NULL) {
            const char *s = key;
            while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
            snprintf(trimmed, sizeof trimmed, "%s", s);
            size_t n = strlen(trimmed);
            while (n && strchr(" \t\r\n", trimmed[n - 1])) trimmed[--n] = '\0';
        }
        if (strlen(trimmed) >= 8) cJSON_AddBoolToObject(out, "key_in_message", msg && strstr(msg, trimmed) != NULL);
        else cJSON_AddNullToObject(out, "key_in_message");
        cJSON_AddNullToObject(out, "url");
    }
    sf_error_free(err);
    return out;
}

#define VECTOR_KEY "vector-key-0001" /* the idempotency key a `retries` vector may ask for */

/* Whether every logged request carries the same Idempotency-Key: null when none does. */
static cJSON *same_key(const cJSON *requests) {
    const char *first = NULL;
    bool any = false, same = true;
    for (const cJSON *q = requests ? requests->child : NULL; q != NULL; q = q->next) {
        const char *key = NULL;
        for (const cJSON *h = cJSON_GetObjectItemCaseSensitive(q, "headers")->child; h != NULL; h = h->next) {
            const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(h, 0));
            if (name != NULL && strcmp(name, "idempotency-key") == 0) key = cJSON_GetStringValue(cJSON_GetArrayItem(h, 1));
        }
        if (key != NULL) any = true;
        if (q == requests->child) first = key;
        if (key == NULL || first == NULL || strcmp(key, first) != 0) same = false;
    }
    return any ? cJSON_CreateBool(same) : cJSON_CreateNull();
}

static cJSON *observe_retries(const where *w, const cJSON *input) {
    const char *method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(input, "method"));
    const cJSON *retries = cJSON_GetObjectItemCaseSensitive(input, "max_retries");
    const cJSON *max_wait = cJSON_GetObjectItemCaseSensitive(input, "max_retry_wait_ms");
    sf_client_options *opts = plain_options(w->base, cJSON_IsNumber(retries) ? (uint32_t)retries->valueint : 3);
    if (opts == NULL) return failure("a setter refused");
    if (cJSON_IsNumber(max_wait)) sf_client_options_set_max_retry_wait_ms(opts, (int64_t)max_wait->valuedouble, NULL);
    sf_client *client = NULL;
    sf_result r = sf_client_new(opts, &client, NULL);
    sf_client_options_free(opts);
    if (r != SF_OK) return failure("cannot build the client");
    sf_response *resp = NULL;
    sf_error *err = NULL;
    const char *key = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(input, "idempotency_key")) ? VECTOR_KEY : NULL;
    r = sf_client_request(client, method ? method : "GET", "/call", NULL, 0, key, &resp, &err);
    sf_client_free(client);
    cJSON *log = call_json(replay_url, "GET", w->log, NULL);
    const cJSON *requests = cJSON_GetObjectItemCaseSensitive(log, "requests");
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "attempts", cJSON_GetArraySize(requests));
    cJSON_AddItemToObject(out, "same_idempotency_key", same_key(requests));
    cJSON_Delete(log);
    if (r == SF_OK) {
        cJSON_AddStringToObject(out, "outcome", "ok");
        cJSON_AddNumberToObject(out, "status", sf_response_status(resp));
        cJSON_AddNumberToObject(out, "client_attempts", sf_response_attempts(resp));
    } else {
        cJSON_AddStringToObject(out, "outcome", "error");
        uint16_t status = sf_error_status(err);
        cJSON_AddItemToObject(out, "status", status ? cJSON_CreateNumber(status) : cJSON_CreateNull());
        cJSON_AddNumberToObject(out, "client_attempts", sf_error_attempts(err));
        cJSON_AddItemToObject(out, "error_code", string_or_null(sf_error_code(err)));
        cJSON_AddItemToObject(out, "stop_reason", string_or_null(sf_error_stop_reason(err)));
        int64_t ra = sf_error_retry_after_ms(err);
        cJSON_AddItemToObject(out, "retry_after_ms", ra >= 0 ? cJSON_CreateNumber((double)ra) : cJSON_CreateNull());
    }
    sf_response_free(resp);
    sf_error_free(err);
    return out;
}

#define PYAI_KEY "pyai_sk_full_0001" /* the emulator's default key (its README lists it) */
#define JOBS_ROUTE "POST /v1/transcription/jobs"

/* A PyAI client on the suite's emulator with quick backoffs, or NULL. */
static sf_client *pyai_client(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client_options_set_api(opts, SF_API_PYAI, NULL);
    sf_client_options_set_base_url(opts, pyai_url, NULL);
    sf_client_options_set_api_key(opts, PYAI_KEY, NULL);
    sf_client_options_set_backoff_ms(opts, 1, 5, NULL);
    sf_client *client = NULL;
    sf_result r = sf_client_new(opts, &client, NULL);
    sf_client_options_free(opts);
    return r == SF_OK ? client : NULL;
}

static cJSON *observe_idempotency(const cJSON *input) {
    if (pyai_url == NULL) return failure("SF_TEST_PYAI_URL is not set (run under tests/c/run.sh)");
    const cJSON *drops = cJSON_GetObjectItemCaseSensitive(input, "drops");
    const char *audio_url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(input, "audio_url"));
    const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(input, "idempotency_key"));
    if (!cJSON_IsNumber(drops) || audio_url == NULL) return failure("`drops` and `audio_url` are required");
    char fault[256];
    snprintf(fault, sizeof fault, "{\"route\":\"%s\",\"count\":%d,\"action\":{\"kind\":\"drop_after_processing\"}}",
             JOBS_ROUTE, drops->valueint);
    cJSON_Delete(call_json(pyai_url, "DELETE", "/__emulator/faults", NULL));
    cJSON_Delete(call_json(pyai_url, "POST", "/__emulator/stats/reset", NULL));
    cJSON *added = call_json(pyai_url, "POST", "/__emulator/faults", fault);
    if (added == NULL) return failure("the emulator refused the fault %s", fault);
    cJSON_Delete(added);

    sf_client *client = pyai_client();
    if (client == NULL) return failure("cannot build the PyAI client");
    sf_result r;
    sf_job *job = NULL;
    sf_error *err = NULL;
    r = sf_pyai_create_job(client, audio_url, NULL, NULL, key, &job, &err);
    sf_client_free(client);

    cJSON *stats = call_json(pyai_url, "GET", "/__emulator/stats", NULL);
    cJSON *out = cJSON_CreateObject();
    const char *names[] = {"jobs_created", "idempotent_replays", "idempotency_conflicts"};
    for (size_t i = 0; i < 3; i++)
        cJSON_AddItemToObject(out, names[i], cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(stats, names[i]), true));
    double requests = 0;
    const cJSON *route = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(stats, "requests"), JOBS_ROUTE);
    for (const cJSON *n = route ? route->child : NULL; n != NULL; n = n->next) requests += n->valuedouble;
    cJSON_AddNumberToObject(out, "requests", requests);
    cJSON_Delete(stats);
    if (r == SF_OK) {
        cJSON_AddStringToObject(out, "outcome", "created");
        cJSON *j = cJSON_Parse(sf_job_json(job));
        cJSON_AddItemToObject(out, "audio_url", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "audio_url"), true));
        cJSON_Delete(j);
    } else {
        cJSON_AddStringToObject(out, "outcome", "error");
        cJSON_AddItemToObject(out, "error_code", string_or_null(sf_error_code(err)));
        cJSON_AddItemToObject(out, "error_kind", string_or_null(sf_kind_name(sf_error_kind(err))));
        cJSON_AddItemToObject(out, "idempotency_key", string_or_null(sf_error_idempotency_key(err)));
    }
    sf_job_free(job);
    sf_error_free(err);
    return out;
}

/* The keys of a bulk run, by item index. */
typedef struct {
    cJSON *keys;
} bulk_seen;

static void on_bulk_result(void *user_data, size_t index, const sf_job *job, const sf_error *error,
                           const char *idempotency_key) {
    (void)job;
    (void)error;
    cJSON *keys = ((bulk_seen *)user_data)->keys;
    if ((int)index < cJSON_GetArraySize(keys))
        cJSON_ReplaceItemInArray(keys, (int)index, string_or_null(idempotency_key));
}

static cJSON *observe_bulk(const cJSON *input) {
    if (pyai_url == NULL) return failure("SF_TEST_PYAI_URL is not set (run under tests/c/run.sh)");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(input, "items");
    const cJSON *conc = cJSON_GetObjectItemCaseSensitive(input, "concurrency");
    int n = cJSON_GetArraySize(items);
    if (!cJSON_IsArray(items) || n > 16) return failure("`items` must be an array of at most 16");
    sf_job_params params[16];
    memset(params, 0, sizeof params);
    for (int i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(items, i);
        params[i].audio_url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "audio_url"));
        params[i].idempotency_key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "idempotency_key"));
        params[i].stable_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "stable_id"));
    }
    cJSON_Delete(call_json(pyai_url, "DELETE", "/__emulator/faults", NULL));
    cJSON_Delete(call_json(pyai_url, "POST", "/__emulator/stats/reset", NULL));
    sf_client *client = pyai_client();
    if (client == NULL) return failure("cannot build the PyAI client");
    sf_result r;
    bulk_seen seen = {cJSON_CreateArray()};
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(seen.keys, cJSON_CreateNull());
    sf_error *err = NULL;
    size_t concurrency = cJSON_IsNumber(conc) ? (size_t)conc->valuedouble : 0;
    r = sf_pyai_create_jobs(client, params, (size_t)n, concurrency, on_bulk_result, &seen, &err);
    sf_client_free(client);
    cJSON *stats = call_json(pyai_url, "GET", "/__emulator/stats", NULL);
    cJSON *out = cJSON_CreateObject();
    if (r == SF_INVALID_ARGUMENT) {
        cJSON_AddStringToObject(out, "outcome", "refused");
        cJSON_AddItemToObject(out, "code", string_or_null(sf_error_code(err)));
        cJSON_AddItemToObject(out, "message", string_or_null(sf_error_message(err)));
        cJSON_Delete(seen.keys);
    } else {
        cJSON_AddStringToObject(out, "outcome", "ran");
        cJSON_AddItemToObject(out, "keys", seen.keys);
    }
    cJSON_AddItemToObject(out, "jobs_created", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(stats, "jobs_created"), true));
    cJSON_Delete(stats);
    sf_error_free(err);
    return out;
}

/* ----- the run ----------------------------------------------------------------------- */

/* The text of the file being run, to see what cJSON cannot show (a NUL inside a string). */
static const char *file_text;

/* Whether the vector's text (from its name to the next vector's) holds an escaped NUL. */
static bool has_nul(const cJSON *v) {
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "name"));
    char needle[512];
    snprintf(needle, sizeof needle, "\"name\": \"%s\"", name ? name : "");
    const char *at = strstr(file_text, needle);
    if (at == NULL) return false;
    const char *next = strstr(at + 1, "\"name\":");
    const char *nul = strstr(at, "\\u0000");
    return nul != NULL && (next == NULL || nul < next);
}

/* The observed result of one vector, or NULL when C does not run it: the families without
 * a C surface, a start cursor (sf_client_paginate has none) and strings with a NUL inside
 * (a C string ends there). */
static cJSON *observe(const char *stem, int index, const cJSON *v) {
    const char *family = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "family"));
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(v, "input");
    if (family == NULL || !cJSON_IsObject(input)) return failure("a vector needs a `family` and an `input` object");
    if (strcmp(family, "retry_decision") == 0 || strcmp(family, "pacing") == 0 || strcmp(family, "options") == 0)
        return NULL;
    if (cJSON_GetObjectItemCaseSensitive(input, "start_cursor") != NULL || has_nul(v)) return NULL;
    where w;
    snprintf(w.base, sizeof w.base, "%s/v/%s/%d/c", replay_url, stem, index);
    snprintf(w.log, sizeof w.log, "/log/%s/%d/c", stem, index);
    if (strcmp(family, "errors") == 0) return observe_call(&w, false);
    if (strcmp(family, "retry_after") == 0) return observe_call(&w, true);
    if (strcmp(family, "pagination") == 0) return observe_pagination(&w, input);
    if (strcmp(family, "retries") == 0) return observe_retries(&w, input);
    if (strcmp(family, "security") == 0) return observe_security(&w, input);
    if (strcmp(family, "idempotency") == 0) return observe_idempotency(input);
    if (strcmp(family, "bulk") == 0) return observe_bulk(input);
    return failure("unknown family %s", family);
}

/* Compares; prints the difference; true when the vector matched. */
static bool check(const char *file, const cJSON *v, const cJSON *observed) {
    buf diffs = {0};
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(observed, "error");
    if (cJSON_IsString(error)) bprintf(&diffs, "the vector could not be run: %s", error->valuestring);
    else {
        /* The C client does not give its parsed base URL back. */
        const char *family = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "family"));
        unshown = family && strcmp(family, "security") == 0 ? "url" : NULL;
        compare_at("", cJSON_GetObjectItemCaseSensitive(v, "expected"), observed, &diffs);
        unshown = NULL;
    }
    bool ok = diffs.len == 0;
    if (!ok) {
        buf o = {0};
        show(&o, observed);
        printf("%s: %s: %s\n    observed: %s\n", file, cJSON_GetStringValue(cJSON_GetObjectItem(v, "name")), diffs.s, o.s);
        free(o.s);
    }
    free(diffs.s);
    return ok;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s == NULL || fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        fclose(f);
        return NULL;
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The runner itself can fail: a wrong expectation for a real observation is a difference. */
static void check_a_mismatch_is_reported(void) {
    cJSON *expected = cJSON_Parse("{\"wait_ms\": 4000, \"code\": \"x\"}");
    cJSON *observed = cJSON_Parse("{\"wait_ms\": 3000, \"code\": \"x\"}");
    buf diffs = {0};
    compare_at("", expected, observed, &diffs);
    if (diffs.s != NULL && strcmp(diffs.s, "wait_ms: expected 4000, observed 3000") == 0) {
        passed++;
    } else {
        printf("contract: a mismatch is not reported as expected: %s\n", diffs.s ? diffs.s : "(no difference)");
        failed++;
    }
    free(diffs.s);
    cJSON_Delete(expected);
    cJSON_Delete(observed);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    replay_url = getenv("SF_TEST_REPLAY_URL");
    pyai_url = getenv("SF_TEST_PYAI_URL");
    if (replay_url == NULL) {
        fprintf(stderr, "sf_vectors: SF_TEST_REPLAY_URL is not set (run under tests/c/with_replay.sh)\n");
        return 2;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "sf_vectors: cannot open %s\n", dir);
        return 2;
    }
    char *names[256];
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL && count < 256)
        if (ends_with(entry->d_name, ".json")) names[count++] = strdup(entry->d_name);
    closedir(d);
    qsort(names, count, sizeof *names, by_name);

    for (size_t i = 0; i < count; i++) {
        char path[1024], stem[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        char *text = read_file(path);
        cJSON *doc = text ? cJSON_Parse(text) : NULL;
        file_text = text ? text : "";
        const cJSON *vectors = cJSON_GetObjectItemCaseSensitive(doc, "vectors");
        if (!cJSON_IsArray(vectors)) {
            printf("%s: not a vector file\n", names[i]);
            failed++;
            cJSON_Delete(doc);
            free(text);
            continue;
        }
        int index = 0, run = 0, ok = 0, skip = 0;
        for (const cJSON *v = vectors->child; v != NULL; v = v->next, index++) {
            cJSON *observed = observe(stem, index, v);
            if (observed == NULL) {
                skip++;
                continue;
            }
            run++;
            if (check(names[i], v, observed)) ok++;
            cJSON_Delete(observed);
        }
        printf("%s: %d/%d%s", names[i], ok, run, skip ? "" : "\n");
        if (skip) printf(" (%d skipped: see tests/vectors/README.md, \"Runners\")\n", skip);
        passed += ok;
        failed += run - ok;
        skipped += skip;
        cJSON_Delete(doc);
        free(text);
        file_text = NULL;
        free(names[i]);
    }
    check_a_mismatch_is_reported();
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    sf_pacing_reset_all();
    return failed == 0 && passed > 0 ? 0 : 1;
}
