/*
 * The `options` vectors (tests/vectors/options.json) through the C setters: each vector's
 * value is given to the `sf_client_options_*` setter of its option in C's own types
 * (milliseconds for durations, int64_t counts, -1 for none where a setter says so), then
 * `sf_client_new`; a refusal, by a setter or by `sf_client_new`, must carry the vector's
 * code and message in its `sf_error`, and an acceptance must read back the vector's meaning
 * through `sf_client_describe_option`. A value C's types cannot hold (NaN or a fraction of a
 * millisecond for an int64_t, a string where a number goes, an unknown option name, which has
 * no setter) is skipped and counted. The table is generated from the JSON by
 * tests/c/options_vectors.py; the runner needs no server.
 *
 *   sf_options        exit 0 when every vector that C can express matches
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "surefoot.h"

enum { SF_JV_NULL, SF_JV_BOOL, SF_JV_INT, SF_JV_FLOAT, SF_JV_STRING, SF_JV_ARRAY, SF_JV_OBJECT };

/* A JSON value of a vector's input. */
typedef struct sf_jv {
    int type;
    int b;
    long long i;
    double f;
    const char *s;
    int n;                    /* members of an array or object */
    const char *const *keys;  /* an object's member names */
    const struct sf_jv *items;
} sf_jv;

typedef struct {
    const char *name;
    const char *option;
    sf_jv value;
    int accepted;
    const char *meaning;
    const char *code;
    const char *message;
} sf_ov_vector;

#include "options_vectors.h"

/* What running one vector came to. */
typedef enum { RAN, SKIPPED } outcome;

/* Why a vector was skipped, for the report. */
static const char *g_skip_reason;

static outcome skip(const char *why) {
    g_skip_reason = why;
    return SKIPPED;
}

/* Seconds (an integer or a double) as whole milliseconds; false when C cannot say it. */
static bool to_ms(const sf_jv *v, int64_t *out) {
    double ms;
    if (v->type == SF_JV_NULL) {
        *out = -1;
        return true;
    }
    if (v->type == SF_JV_INT) {
        if (v->i > INT64_MAX / 1000 || v->i < INT64_MIN / 1000) return false;
        *out = (int64_t)v->i * 1000;
        return *out != -1;
    }
    if (v->type != SF_JV_FLOAT || !isfinite(v->f)) return false;
    ms = v->f * 1000.0;
    if (ms != floor(ms) || fabs(ms) > 9.0e18) return false;
    *out = (int64_t)ms;
    return *out != -1; /* -1 ms is C's "none", not a duration */
}

/* A whole number as int64_t; `null_is` the value passed for null (0: null not expressible). */
static bool to_count(const sf_jv *v, int64_t null_is, int64_t *out) {
    if (v->type == SF_JV_NULL) {
        if (null_is == 0) return false;
        *out = null_is;
        return true;
    }
    if (v->type != SF_JV_INT) return false;
    if (null_is == -1 && v->i == -1) return false; /* C's "none" */
    *out = (int64_t)v->i;
    return true;
}

static const sf_jv *member(const sf_jv *obj, const char *name) {
    for (int k = 0; k < obj->n; k++)
        if (strcmp(obj->keys[k], name) == 0) return &obj->items[k];
    return NULL;
}

/* A rate limit `{requests, per, burst}` or null as the setters' (requests, per_ms, burst). */
static bool to_limit(const sf_jv *v, int64_t *requests, int64_t *per_ms, int64_t *burst) {
    static const sf_jv one = {SF_JV_INT, 0, 1, 0.0, NULL, 0, NULL, NULL};
    const sf_jv *r, *p, *b;
    if (v->type == SF_JV_NULL) {
        *requests = -1, *per_ms = 0, *burst = 0;
        return true;
    }
    if (v->type != SF_JV_OBJECT) return false;
    r = member(v, "requests");
    p = member(v, "per");
    b = member(v, "burst");
    if (r == NULL || p == NULL || (int)(b != NULL) + 2 != v->n) return false;
    return to_count(r, -1, requests) && p->type != SF_JV_NULL && to_ms(p, per_ms) &&
           to_count(b != NULL ? b : &one, 0, burst);
}

/* Gives the vector's value to the setter(s) of its option; `*err` set on a refusal. */
static outcome apply(sf_client_options *o, const char *option, const sf_jv *v, sf_error **err) {
    int64_t a, b, c;
    if (strcmp(option, "base_url") == 0 || strcmp(option, "api_key") == 0 ||
        strcmp(option, "user_agent") == 0 || strcmp(option, "pacing_store") == 0 ||
        strcmp(option, "ca_file") == 0) {
        const char *s = v->type == SF_JV_STRING ? v->s : NULL;
        bool nullable = strcmp(option, "user_agent") == 0 || strcmp(option, "pacing_store") == 0 ||
                        strcmp(option, "ca_file") == 0;
        if (v->type != SF_JV_STRING && !(v->type == SF_JV_NULL && nullable))
            return skip("not a string");
        if (strcmp(option, "base_url") == 0) sf_client_options_set_base_url(o, s, err);
        else if (strcmp(option, "api_key") == 0) sf_client_options_set_api_key(o, s, err);
        else if (strcmp(option, "user_agent") == 0) sf_client_options_set_user_agent(o, s, err);
        else if (strcmp(option, "ca_file") == 0) sf_client_options_set_ca_file(o, s, err);
        else sf_client_options_set_pacing_store(o, s, err);
        return RAN;
    }
    if (strcmp(option, "pacing") == 0 || strcmp(option, "allow_insecure_http") == 0 ||
        strcmp(option, "prefetch") == 0) {
        if (v->type != SF_JV_BOOL) return skip("not a bool");
        if (strcmp(option, "pacing") == 0) sf_client_options_set_pacing(o, v->b != 0, err);
        else if (strcmp(option, "prefetch") == 0) sf_client_options_set_prefetch(o, v->b != 0, err);
        else sf_client_options_set_allow_insecure_http(o, v->b != 0, err);
        return RAN;
    }
    if (strcmp(option, "timeout") == 0 || strcmp(option, "connect_timeout") == 0 ||
        strcmp(option, "deadline") == 0 || strcmp(option, "max_retry_wait") == 0) {
        if (!to_ms(v, &a)) return skip("not whole milliseconds");
        if (strcmp(option, "timeout") == 0) sf_client_options_set_timeout_ms(o, a, err);
        else if (strcmp(option, "connect_timeout") == 0) sf_client_options_set_connect_timeout_ms(o, a, err);
        else if (strcmp(option, "deadline") == 0) sf_client_options_set_deadline_ms(o, a, err);
        else sf_client_options_set_max_retry_wait_ms(o, a, err);
        return RAN;
    }
    if (strcmp(option, "max_retries") == 0 || strcmp(option, "max_response_bytes") == 0) {
        if (!to_count(v, 0, &a)) return skip("not an int64_t");
        if (strcmp(option, "max_retries") == 0) sf_client_options_set_max_retries(o, a, err);
        else sf_client_options_set_max_response_bytes(o, a, err);
        return RAN;
    }
    if (strcmp(option, "max_concurrent_sessions") == 0) {
        if (!to_count(v, -1, &a)) return skip("not an int64_t");
        sf_client_options_set_max_concurrent_sessions(o, a, err);
        return RAN;
    }
    if (strcmp(option, "backoff") == 0) {
        if (v->type != SF_JV_ARRAY || v->n != 2 || v->items[0].type == SF_JV_NULL ||
            v->items[1].type == SF_JV_NULL || !to_ms(&v->items[0], &a) || !to_ms(&v->items[1], &b))
            return skip("not two whole milliseconds");
        sf_client_options_set_backoff_ms(o, a, b, err);
        return RAN;
    }
    if (strcmp(option, "rate_limit") == 0) {
        if (!to_limit(v, &a, &b, &c)) return skip("not (requests, per_ms, burst)");
        sf_client_options_set_rate_limit(o, a, b, c, err);
        return RAN;
    }
    if (strcmp(option, "surfaces") == 0) {
        if (v->type != SF_JV_OBJECT) return skip("not an object");
        for (int k = 0; k < v->n; k++)
            if (!to_limit(&v->items[k], &a, &b, &c)) return skip("not (requests, per_ms, burst)");
        for (int k = 0; k < v->n && *err == NULL; k++) {
            to_limit(&v->items[k], &a, &b, &c);
            sf_client_options_add_surface(o, v->keys[k], a, b, c, err);
        }
        return RAN;
    }
    if (strcmp(option, "headers") == 0 || strcmp(option, "paths") == 0 ||
        strcmp(option, "fields") == 0) {
        if (v->type != SF_JV_OBJECT) return skip("not an object");
        for (int k = 0; k < v->n; k++)
            if (v->items[k].type != SF_JV_STRING) return skip("a member is not a string");
        for (int k = 0; k < v->n && *err == NULL; k++) {
            const char *key = v->keys[k], *val = v->items[k].s;
            if (strcmp(option, "headers") == 0) sf_client_options_add_header(o, key, val, err);
            else if (strcmp(option, "paths") == 0) sf_client_options_set_path(o, key, val, err);
            else sf_client_options_set_field(o, key, val, err);
        }
        return RAN;
    }
    return skip("no such setter");
}

static int g_failed;

static void differs(const sf_ov_vector *t, const char *what, const char *expected, const char *observed) {
    g_failed++;
    printf("FAIL %s: %s\n    expected %s\n    observed %s\n", t->name, what,
           expected ? expected : "(none)", observed ? observed : "(none)");
}

static bool same(const char *a, const char *b) {
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Compares a refusal with the vector. */
static void refused(const sf_ov_vector *t, sf_error *err) {
    if (t->accepted) {
        differs(t, "accepted", t->meaning, sf_error_message(err));
        return;
    }
    if (!same(sf_error_code(err), t->code)) differs(t, "code", t->code, sf_error_code(err));
    if (!same(sf_error_message(err), t->message)) differs(t, "message", t->message, sf_error_message(err));
    if (sf_error_result(err) != SF_INVALID_ARGUMENT)
        differs(t, "result", "SF_INVALID_ARGUMENT", sf_result_name(sf_error_result(err)));
}

static outcome run(const sf_ov_vector *t) {
    sf_client_options *o = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    char *meaning = NULL;
    outcome out;
    if (strcmp(t->option, "base_url") != 0) sf_client_options_set_base_url(o, "http://127.0.0.1:9", NULL);
    out = apply(o, t->option, &t->value, &err);
    if (out == RAN) {
        if (err != NULL) {
            refused(t, err);
        } else if (sf_client_new(o, &client, &err) != SF_OK) {
            refused(t, err);
        } else if (sf_client_describe_option(client, t->option, &meaning, &err) != SF_OK) {
            differs(t, "describe", t->meaning, sf_error_message(err));
        } else if (!t->accepted) {
            differs(t, "refused", t->message, meaning);
        } else if (!same(meaning, t->meaning)) {
            differs(t, "meaning", t->meaning, meaning);
        }
    }
    sf_string_free(meaning);
    sf_error_free(err);
    sf_client_free(client);
    sf_client_options_free(o);
    return out;
}

int main(void) {
    int ran = 0, skipped = 0;
    /* The default pacing store is the in-process one only without this variable. */
    unsetenv("SUREFOOT_PACING_STORE");
    for (int k = 0; k < SF_OPTION_VECTOR_COUNT; k++) {
        if (run(&SF_OPTION_VECTORS[k]) == RAN) {
            ran++;
        } else {
            skipped++;
            printf("skip %s (%s)\n", SF_OPTION_VECTORS[k].name, g_skip_reason);
        }
    }
    printf("options vectors through the C setters: %d run, %d failed, %d skipped (not expressible in C)\n",
           ran, g_failed, skipped);
    /* Most of the vectors must be expressible in C: a runner skipping everything proves nothing. */
    if (ran < 85) {
        printf("FAIL only %d vectors run\n", ran);
        return 1;
    }
    return g_failed == 0 ? 0 : 1;
}
