/*
 * The training run of the C library's profile-guided build (`make install`, bindings/c/pgo/
 * rules in bindings/c/rules.mk): a C program that uses the library the way applications do,
 * linked to the instrumented build, so the compiler learns which code is hot.
 *
 *   tests/c/run.sh surefoot-emulator train        (run.sh starts the emulators and sets
 *                                                   SF_TEST_PYAI_URL and the others)
 *
 * The mix, against the emulators on loopback: one-thread and four-thread GETs of a job on
 * one shared client (most of the profile), POSTs with a JSON body and a caller's idempotency
 * key, typed job creation, 404 errors read through the error accessors, pagination of two
 * lists, a Specala export to a temporary directory, and a few calls under the rate-limited
 * PyAI emulator's pacing. Failed calls are counted, not fatal (pacing and 429s are part of
 * the mix); the run fails only when a part succeeded nowhere, as when no server answers.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "surefoot.h"

#define PYAI_KEY "pyai_sk_full_0001"
#define SPECALA_KEY "spk_alpha_pro_0001"

static sf_client *make_client(sf_api api, const char *url, const char *key) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    sf_client_options_set_api(opts, api, NULL);
    sf_client_options_set_base_url(opts, url, NULL);
    sf_client_options_set_api_key(opts, key, NULL);
    if (sf_client_new(opts, &client, &err) != SF_OK) {
        fprintf(stderr, "train: sf_client_new: %s\n", sf_error_message(err));
        sf_error_free(err);
        client = NULL;
    }
    sf_client_options_free(opts);
    return client;
}

/* One call through sf_client_request; reads what applications read. The answer's HTTP
 * status (an API error's too), 0 when none came. */
static unsigned call(const sf_client *client, const char *method, const char *path, const char *body,
                     const char *idempotency_key) {
    sf_response *resp = NULL;
    sf_error *err = NULL;
    size_t body_len = body ? strlen(body) : 0;
    if (sf_client_request(client, method, path, (const uint8_t *)body, body_len, idempotency_key,
                          &resp, &err) != SF_OK) {
        /* An API error is read as applications read it. */
        unsigned status = sf_error_status(err);
        (void)sf_error_code(err);
        (void)sf_error_message(err);
        (void)sf_error_request_id(err);
        (void)sf_error_retry_after_ms(err);
        (void)sf_error_is_retryable(err);
        sf_error_free(err);
        return status;
    }
    const uint8_t *data = NULL;
    const char *value = NULL;
    size_t len = 0;
    unsigned status = sf_response_body(resp, &data, &len) == SF_OK ? sf_response_status(resp) : 0;
    (void)sf_response_request_id(resp);
    (void)sf_response_header(resp, "content-type", &value);
    sf_response_free(resp);
    return status;
}

static int succeeded(unsigned status) { return status >= 200 && status < 300; }

typedef struct {
    const sf_client *client;
    const char *path;
    long n;
    long ok;
} gets;

static void *get_loop(void *arg) {
    gets *g = arg;
    for (long i = 0; i < g->n; i++) g->ok += succeeded(call(g->client, "GET", g->path, NULL, NULL));
    return NULL;
}

/* n GETs of `path` from `threads` threads sharing `client`; the successes. */
static long get_many(const sf_client *client, const char *path, long n, int threads) {
    pthread_t tid[8];
    gets g[8];
    long ok = 0;
    for (int t = 0; t < threads; t++) {
        g[t] = (gets){client, path, n / threads, 0};
        pthread_create(&tid[t], NULL, get_loop, &g[t]);
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        ok += g[t].ok;
    }
    return ok;
}

/* Every item of a list, page by page; the items read. */
static long list_all(const sf_client *client, const char *path, int limit) {
    sf_pager *pager = NULL;
    sf_error *err = NULL;
    const char *item;
    size_t len;
    long n = 0;
    if (sf_client_paginate(client, path, limit, &pager, &err) != SF_OK) {
        sf_error_free(err);
        return 0;
    }
    sf_result r;
    while ((r = sf_pager_next(pager, &item, &len, &err)) == SF_OK) n++;
    if (r != SF_DONE) sf_error_free(err);
    sf_pager_free(pager);
    return n;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Exports every Specala transcription into a fresh directory under $TMPDIR (or /tmp), then
 * removes it; the documents written. */
static long export_all(const sf_client *client) {
    const char *tmp = getenv("TMPDIR");
    char dir[512], out[600];
    size_t written = 0;
    sf_error *err = NULL;
    snprintf(dir, sizeof dir, "%s/surefoot-train-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("train: mkdtemp");
        return 0;
    }
    snprintf(out, sizeof out, "%s/export", dir);
    if (sf_specala_export_all(client, out, "md", NULL, NULL, &written, NULL, &err) != SF_OK) {
        fprintf(stderr, "train: sf_specala_export_all: %s\n", sf_error_message(err));
        sf_error_free(err);
    }
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) fprintf(stderr, "train: could not remove %s\n", dir);
    return (long)written;
}

static int report(const char *part, long ok) {
    printf("train: %-28s %ld\n", part, ok);
    return ok > 0 ? 0 : 1;
}

int main(void) {
    const char *pyai_url = getenv("SF_TEST_PYAI_MINIMAL_URL");
    const char *paced_url = getenv("SF_TEST_PYAI_URL");
    const char *specala_url = getenv("SF_TEST_SPECALA_URL");
    if (!pyai_url || !paced_url || !specala_url) {
        fprintf(stderr, "train: run under tests/c/run.sh (the emulators' URLs are unset)\n");
        return 2;
    }
    sf_client *pyai = make_client(SF_API_PYAI, pyai_url, PYAI_KEY);
    sf_client *paced = make_client(SF_API_PYAI, paced_url, PYAI_KEY);
    sf_client *specala = make_client(SF_API_SPECALA, specala_url, SPECALA_KEY);
    if (!pyai || !paced || !specala) return 1;
    int failed = 0;

    /* A job to GET, made through the typed call. */
    sf_job *job = NULL;
    sf_error *err = NULL;
    char path[256];
    if (sf_pyai_create_job(pyai, "https://example.com/a.wav", "en", "{\"source\": \"train\"}", NULL,
                           &job, &err) != SF_OK) {
        fprintf(stderr, "train: sf_pyai_create_job: %s\n", sf_error_message(err));
        sf_error_free(err);
        return 1;
    }
    snprintf(path, sizeof path, "/v1/transcription/jobs/%s", sf_job_id(job));
    sf_job_free(job);

    failed |= report("GET, 1 thread", get_many(pyai, path, 12000, 1));
    failed |= report("GET, 4 threads", get_many(pyai, path, 8000, 4));

    long ok = 0;
    char key[64];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "train-%d-%d", (int)getpid(), i);
        ok += succeeded(call(pyai, "POST", "/v1/transcription/jobs",
                             "{\"audio_url\": \"https://example.com/b.wav\", \"language\": \"fr\"}", key));
    }
    failed |= report("POST with a key", ok);

    ok = 0;
    for (int i = 0; i < 200; i++) {
        if (sf_pyai_create_job(pyai, "https://example.com/c.wav", NULL, NULL, NULL, &job, &err) == SF_OK) {
            (void)sf_job_status(job);
            (void)sf_job_json(job);
            sf_job_free(job);
            ok++;
        } else {
            sf_error_free(err);
        }
    }
    failed |= report("typed job creation", ok);

    ok = 0;
    for (int i = 0; i < 300; i++) ok += call(pyai, "GET", "/v1/transcription/jobs/job_missing", NULL, NULL) == 404;
    failed |= report("404 answers", ok);

    failed |= report("pages of jobs", list_all(pyai, "/v1/transcription/jobs", 20));
    failed |= report("pages of transcriptions", list_all(specala, "/v1/transcriptions", 25));

    failed |= report("documents exported", export_all(specala));

    failed |= report("GET under pacing", get_many(paced, "/v1/transcription/jobs", 40, 2));

    sf_client_free(pyai);
    sf_client_free(paced);
    sf_client_free(specala);
    return failed;
}
