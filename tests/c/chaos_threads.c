/*
 * The C worker of the chaos soak and of the threads run (bench/soak.py drives both; this
 * program only works and counts): N threads share one PyAI client and one Specala client
 * and take items from one counter, each item one of: an idempotent job creation (its own
 * idempotency key and `metadata.item`, tried again up to 3 rounds with the same key while
 * the error is retryable), a get of a job created earlier (the answer must carry its id;
 * a list walk while none is),
 * a list walk of up to 3 pages, or a bulk export of 20-150 transcriptions (every id asked
 * for must come back). It stops after --items items or --seconds seconds, and prints one
 * JSON line: items started, done, failed per error code, wrong answers, and every
 * created (item, job id) pair, which the driver checks against the emulator's jobs.
 *
 *   chaos_threads --pyai URL --specala URL --threads N (--items N | --seconds S)
 *                 [--seed N] [--label NAME] [--timeout-ms N]
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "surefoot.h"

#define MAX_CODES 32
#define ROUNDS 3

struct code_count {
    char code[64];
    long n;
};

struct shared {
    sf_client *pyai;
    sf_client *specala;
    const char *label;
    uint64_t seed;
    long max_items;
    double stop_at;
    pthread_mutex_t lock;
    long next_item;
    /* Created jobs: item index and job id, for gets and for the driver's check. */
    long *created_item;
    char (*created_id)[32];
    long created_n, created_cap;
    long started, done, wrong, rounds_again;
    long done_by_op[4], failed_by_op[4];
    struct code_count codes[MAX_CODES];
    int n_codes;
};

static const char *const OPS[4] = {"create", "get", "list", "bulk_export"};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mix(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Claims the next item index, or -1 when the run is over. */
static long claim(struct shared *s) {
    long i = -1;
    pthread_mutex_lock(&s->lock);
    if ((s->max_items < 0 || s->next_item < s->max_items) && (s->stop_at <= 0 || now_s() < s->stop_at)) {
        i = s->next_item++;
        s->started++;
    }
    pthread_mutex_unlock(&s->lock);
    return i;
}

/* Counted by "code" or "code/stop_reason" (why the client stopped retrying). */
static void count_failure(struct shared *s, int op, const sf_error *err) {
    char code[64];
    const char *stop = err != NULL ? sf_error_stop_reason(err) : NULL;
    int k;
    if (stop != NULL && *stop != '\0')
        snprintf(code, sizeof code, "%s/%s", sf_error_code(err), stop);
    else
        snprintf(code, sizeof code, "%s", err != NULL ? sf_error_code(err) : "unknown");
    if (err != NULL)
        fprintf(stderr, "chaos_threads: %s failed after %u attempts: %s: %s\n", OPS[op],
                (unsigned)sf_error_attempts(err), code, sf_error_message(err));
    pthread_mutex_lock(&s->lock);
    s->failed_by_op[op]++;
    for (k = 0; k < s->n_codes; k++)
        if (strcmp(s->codes[k].code, code) == 0) break;
    if (k == s->n_codes && s->n_codes < MAX_CODES) {
        snprintf(s->codes[k].code, sizeof s->codes[k].code, "%s", code);
        s->codes[k].n = 0;
        s->n_codes++;
    }
    if (k < MAX_CODES) s->codes[k].n++;
    pthread_mutex_unlock(&s->lock);
}

static void count_done(struct shared *s, int op) {
    pthread_mutex_lock(&s->lock);
    s->done++;
    s->done_by_op[op]++;
    pthread_mutex_unlock(&s->lock);
}

static void count_wrong(struct shared *s, int op, const char *what) {
    fprintf(stderr, "chaos_threads: wrong answer (%s): %s\n", OPS[op], what);
    pthread_mutex_lock(&s->lock);
    s->wrong++;
    s->failed_by_op[op]++;
    pthread_mutex_unlock(&s->lock);
}

/* 0 = failed (counted), 1 = done. */
static int do_create(struct shared *s, long item) {
    char key[96], url[160], meta[160];
    sf_job *job = NULL;
    sf_error *err = NULL;
    int round;
    snprintf(key, sizeof key, "%s-%lu-%ld", s->label, (unsigned long)s->seed, item);
    snprintf(url, sizeof url, "https://example.com/%s.wav", key);
    snprintf(meta, sizeof meta, "{\"item\":\"%s\"}", key);
    for (round = 0; round < ROUNDS; round++) {
        sf_error_free(err);
        err = NULL;
        if (sf_pyai_create_job(s->pyai, url, NULL, meta, key, &job, &err) == SF_OK) break;
        if (!sf_error_is_retryable(err)) break;
        pthread_mutex_lock(&s->lock);
        s->rounds_again++;
        pthread_mutex_unlock(&s->lock);
    }
    if (job == NULL) {
        count_failure(s, 0, err);
        sf_error_free(err);
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    if (s->created_n == s->created_cap) {
        long cap = s->created_cap ? s->created_cap * 2 : 1024;
        s->created_item = realloc(s->created_item, (size_t)cap * sizeof *s->created_item);
        s->created_id = realloc(s->created_id, (size_t)cap * sizeof *s->created_id);
        if (s->created_item == NULL || s->created_id == NULL) abort();
        s->created_cap = cap;
    }
    s->created_item[s->created_n] = item;
    snprintf(s->created_id[s->created_n], sizeof s->created_id[0], "%s", sf_job_id(job));
    s->created_n++;
    pthread_mutex_unlock(&s->lock);
    sf_job_free(job);
    sf_error_free(err);
    count_done(s, 0);
    return 1;
}

static void do_list(struct shared *s) {
    sf_pager *pager = NULL;
    sf_error *err = NULL;
    const char *item = NULL;
    size_t len = 0;
    int n = 0, rc = SF_OK;
    long known;
    pthread_mutex_lock(&s->lock);
    known = s->created_n; /* empty is the right answer only while nothing is created */
    pthread_mutex_unlock(&s->lock);
    if (sf_client_paginate(s->pyai, "/v1/transcription/jobs", 50, &pager, &err) != SF_OK) {
        count_failure(s, 2, err);
        sf_error_free(err);
        return;
    }
    while (n < 150 && (rc = sf_pager_next(pager, &item, &len, &err)) == SF_OK) {
        if (len == 0 || strstr(item, "\"id\"") == NULL) break;
        n++;
    }
    if ((rc == SF_OK && n < 150) || (rc == SF_DONE && n == 0 && known > 0))
        count_wrong(s, 2, n == 0 ? "an empty list after a creation" : item);
    else if (rc == SF_OK || rc == SF_DONE) count_done(s, 2);
    else count_failure(s, 2, err);
    sf_pager_free(pager);
    sf_error_free(err);
}

static void do_get(struct shared *s, uint64_t r) {
    char id[32], path[96], needle[64], text[8192];
    sf_response *resp = NULL;
    sf_error *err = NULL;
    const uint8_t *body = NULL;
    size_t len = 0, k;
    pthread_mutex_lock(&s->lock);
    if (s->created_n == 0) {
        /* Nothing created yet: a list walk instead. */
        pthread_mutex_unlock(&s->lock);
        do_list(s);
        return;
    }
    snprintf(id, sizeof id, "%s", s->created_id[r % (uint64_t)s->created_n]);
    pthread_mutex_unlock(&s->lock);
    snprintf(path, sizeof path, "/v1/transcription/jobs/%s", id);
    snprintf(needle, sizeof needle, "\"id\":\"%s\"", id);
    if (sf_client_request(s->pyai, "GET", path, NULL, 0, NULL, &resp, &err) != SF_OK) {
        count_failure(s, 1, err);
    } else if (sf_response_body(resp, &body, &len) != SF_OK) {
        count_wrong(s, 1, "no body");
    } else {
        k = len < sizeof text - 1 ? len : sizeof text - 1;
        memcpy(text, body, k);
        text[k] = '\0';
        if (strstr(text, needle) == NULL) count_wrong(s, 1, text);
        else count_done(s, 1);
    }
    sf_response_free(resp);
    sf_error_free(err);
}

static void do_bulk(struct shared *s, uint64_t r) {
    char ids_buf[150][32];
    const char *ids[150];
    size_t n = 20 + (size_t)(r % 131), i, got;
    size_t first = (size_t)((r >> 16) % (3000 - 150));
    sf_exports *ex = NULL;
    sf_error *err = NULL;
    for (i = 0; i < n; i++) {
        snprintf(ids_buf[i], sizeof ids_buf[i], "tr_alpha_%06zu", first + i);
        ids[i] = ids_buf[i];
    }
    if (sf_specala_bulk_export(s->specala, ids, n, "md", &ex, &err) != SF_OK) {
        count_failure(s, 3, err);
        sf_error_free(err);
        return;
    }
    got = sf_exports_count(ex);
    for (i = 0; i < got && i < n; i++) {
        const char *c = sf_exports_content(ex, i);
        if (strcmp(sf_exports_id(ex, i), ids[i]) != 0 || c == NULL || *c == '\0') break;
    }
    if (got != n || i != n) count_wrong(s, 3, "bulk export: missing or foreign documents");
    else count_done(s, 3);
    sf_exports_free(ex);
}

static void *work(void *arg) {
    struct shared *s = arg;
    long item;
    while ((item = claim(s)) >= 0) {
        uint64_t r = mix(s->seed ^ ((uint64_t)item * 0x100000001B3ULL));
        unsigned pick = (unsigned)(r % 100);
        if (pick < 40) do_create(s, item);
        else if (pick < 65) do_get(s, r >> 8);
        else if (pick < 80) do_list(s);
        else do_bulk(s, r >> 8);
    }
    return NULL;
}

/* A refused setting ends the worker with the core's message. */
static void set_ok(sf_result r, sf_error *err, const char *what) {
    if (r != SF_OK) {
        fprintf(stderr, "chaos_threads: %s refused: %s\n", what, err ? sf_error_message(err) : "?");
        exit(2);
    }
}

static sf_client *client(int api, const char *url, const char *key, long timeout_ms) {
    sf_client_options *o = sf_client_options_new();
    sf_client *c = NULL;
    sf_error *err = NULL;
    set_ok(sf_client_options_set_api(o, api, &err), err, "api");
    set_ok(sf_client_options_set_base_url(o, url, &err), err, "base_url");
    set_ok(sf_client_options_set_api_key(o, key, &err), err, "api_key");
    set_ok(sf_client_options_set_timeout_ms(o, timeout_ms, &err), err, "timeout");
    set_ok(sf_client_options_set_deadline_ms(o, 30000, &err), err, "deadline");
    /* Short backoff: the soak is about volume; Retry-After still rules after a 429. */
    set_ok(sf_client_options_set_backoff_ms(o, 20, 400, &err), err, "backoff");
    if (api == SF_API_SPECALA)
        set_ok(sf_client_options_set_rate_limit(o, 600, 1000, 60, &err), err, "rate_limit");
    if (sf_client_new(o, &c, &err) != SF_OK) {
        fprintf(stderr, "chaos_threads: cannot build a client: %s\n", sf_error_message(err));
        exit(2);
    }
    sf_client_options_free(o);
    sf_error_free(err);
    return c;
}

int main(int argc, char **argv) {
    struct shared s;
    const char *pyai = NULL, *specala = NULL;
    int threads = 8, a, t, k;
    long timeout_ms = 1000, i;
    double seconds = 0, t0;
    pthread_t tids[64];
    memset(&s, 0, sizeof s);
    s.max_items = -1;
    s.label = "c";
    s.seed = 1;
    for (a = 1; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--pyai") == 0) pyai = argv[a + 1];
        else if (strcmp(argv[a], "--specala") == 0) specala = argv[a + 1];
        else if (strcmp(argv[a], "--threads") == 0) threads = atoi(argv[a + 1]);
        else if (strcmp(argv[a], "--items") == 0) s.max_items = atol(argv[a + 1]);
        else if (strcmp(argv[a], "--seconds") == 0) seconds = atof(argv[a + 1]);
        else if (strcmp(argv[a], "--seed") == 0) s.seed = strtoull(argv[a + 1], NULL, 10);
        else if (strcmp(argv[a], "--label") == 0) s.label = argv[a + 1];
        else if (strcmp(argv[a], "--timeout-ms") == 0) timeout_ms = atol(argv[a + 1]);
        else { fprintf(stderr, "chaos_threads: unknown option %s\n", argv[a]); return 2; }
    }
    if (pyai == NULL || specala == NULL || threads < 1 || threads > 64 ||
        (s.max_items < 0 && seconds <= 0)) {
        fprintf(stderr, "usage: chaos_threads --pyai URL --specala URL --threads N "
                        "(--items N | --seconds S) [--seed N] [--label NAME] [--timeout-ms N]\n");
        return 2;
    }
    pthread_mutex_init(&s.lock, NULL);
    s.pyai = client(SF_API_PYAI, pyai, "pyai_sk_full_0001", timeout_ms);
    s.specala = client(SF_API_SPECALA, specala, "spk_alpha_pro_0001", timeout_ms);
    t0 = now_s();
    if (seconds > 0) s.stop_at = t0 + seconds;
    printf("{\"ready\":true}\n");
    fflush(stdout);
    for (t = 0; t < threads; t++)
        if (pthread_create(&tids[t], NULL, work, &s) != 0) { perror("pthread_create"); return 2; }
    for (t = 0; t < threads; t++) pthread_join(tids[t], NULL);
    printf("{\"lang\":\"%s\",\"threads\":%d,\"seconds\":%.3f,\"started\":%ld,\"done\":%ld,"
           "\"wrong\":%ld,\"rounds_again\":%ld,\"ops\":{",
           s.label, threads, now_s() - t0, s.started, s.done, s.wrong, s.rounds_again);
    for (k = 0; k < 4; k++)
        printf("%s\"%s\":{\"done\":%ld,\"failed\":%ld}", k ? "," : "", OPS[k], s.done_by_op[k],
               s.failed_by_op[k]);
    printf("},\"failed\":{");
    for (k = 0; k < s.n_codes; k++) printf("%s\"%s\":%ld", k ? "," : "", s.codes[k].code, s.codes[k].n);
    if (s.wrong > 0) printf("%s\"wrong_answer\":%ld", s.n_codes ? "," : "", s.wrong);
    printf("},\"created\":[");
    for (i = 0; i < s.created_n; i++)
        printf("%s[\"%s-%lu-%ld\",\"%s\"]", i ? "," : "", s.label, (unsigned long)s.seed,
               s.created_item[i], s.created_id[i]);
    printf("]}\n");
    fflush(stdout);
    sf_client_free(s.pyai);
    sf_client_free(s.specala);
    free(s.created_item);
    free(s.created_id);
    pthread_mutex_destroy(&s.lock);
    return 0;
}
