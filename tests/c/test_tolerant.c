/*
 * Tolerant models through the C ABI: the emulators in their minimal answer form (ids and a
 * title, Unix-second timestamps, unknown members, no next_cursor on the last page), a 2xx
 * create answer that cannot be read (the error names the idempotency key that was used),
 * and per-client path overrides.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#define JOBS "/v1/transcription/jobs"

/* A client for `url` with `key`, no retries, no pacing; `path_name`/`path` (when not NULL)
 * override one endpoint path. NULL (after recording a failure) if it cannot be built. */
static sf_client *client_for(sf_api api, const char *url, const char *key,
                             const char *path_name, const char *path) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    CHECK_RESULT(sf_client_options_set_api(opts, api, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_base_url(opts, url, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_api_key(opts, key, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_max_retries(opts, 0, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_pacing(opts, false, NULL), SF_OK, NULL);
    if (path_name != NULL)
        CHECK_RESULT(sf_client_options_set_path(opts, path_name, path, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    sf_error_free(err);
    sf_client_options_free(opts);
    return client;
}

void test_tolerant_job_from_a_minimal_server(void) {
    sf_client *client = client_for(SF_API_PYAI, pyai_minimal_url(), PYAI_FULL, NULL, NULL);
    sf_job *job = NULL;
    sf_error *err = NULL;
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/min.wav", "en", NULL, NULL, &job, &err),
                 SF_OK, err);
    CHECK(sf_t_contains(sf_job_id(job), "job_"));
    CHECK_STR(sf_job_status(job), "queued");
    /* created_at came as Unix seconds with a fraction: a time after 2023-11-14. */
    CHECK(sf_job_created_at_ms(job) > 1700000000000LL);
    /* The server's own JSON: its unknown member kept, nothing invented. */
    CHECK(sf_t_contains(sf_job_json(job), "\"object\":\"transcription.job\""));
    CHECK(!sf_t_contains(sf_job_json(job), "audio_url"));
    CHECK_INT(sf_job_created_at_ms(NULL), -1);
    sf_job_free(job);
    sf_error_free(err);
    sf_client_free(client);
}

void test_tolerant_list_and_bulk_export_from_a_minimal_server(void) {
    sf_client *client = client_for(SF_API_SPECALA, specala_minimal_url(), SPK_ALPHA, NULL, NULL);
    sf_pager *pager = NULL;
    sf_exports *exports = NULL;
    sf_error *err = NULL;
    const char *item = NULL;
    size_t len = 0;
    static char storage[120][32];
    const char *ids[120];
    size_t n = 0;
    int only_id_and_title = 1;
    sf_result r;

    CHECK_RESULT(sf_client_paginate(client, "/v1/transcriptions", 50, &pager, &err), SF_OK, err);
    while ((r = sf_pager_next(pager, &item, &len, &err)) == SF_OK) {
        const char *id = strstr(item, "\"id\":\"");
        if (!sf_t_contains(item, "\"title\":") || sf_t_contains(item, "created_at"))
            only_id_and_title = 0;
        if (id != NULL && n < 120) {
            snprintf(storage[n], sizeof storage[n], "%.15s", id + 6);
            ids[n] = storage[n];
            n++;
        }
    }
    CHECK_RESULT(r, SF_DONE, err);
    CHECK_INT(n, 120); /* three pages; the last one without next_cursor */
    CHECK(only_id_and_title);
    CHECK_STR(ids[0], "tr_alpha_000119");
    sf_pager_free(pager);

    CHECK_RESULT(sf_specala_bulk_export(client, ids, n, "txt", &exports, &err), SF_OK, err);
    CHECK_INT(sf_exports_count(exports), 120);
    CHECK_STR(sf_exports_id(exports, 119), "tr_alpha_000000");
    CHECK(sf_exports_content(exports, 0) != NULL && strlen(sf_exports_content(exports, 0)) > 0);
    CHECK(sf_t_contains(sf_exports_json(exports, 0), "\"object\":\"export\""));
    CHECK(sf_exports_json(exports, 120) == NULL && sf_exports_json(NULL, 0) == NULL);
    sf_exports_free(exports);
    sf_error_free(err);
    sf_client_free(client);
}

void test_unreadable_2xx_create_names_the_idempotency_key(void) {
    sf_client *client = client_for(SF_API_PYAI, pyai_url(), PYAI_FULL, NULL, NULL);
    sf_job *job = NULL;
    sf_error *err = NULL;
    sf_response *resp = NULL;
    const char *key = NULL;

    emu_reset(pyai_url());
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 2, \"action\": {\"kind\": \"status\","
                          " \"status\": 201, \"content_type\": \"application/json\","
                          " \"body\": \"{\\\"status\\\": \\\"queued\\\"}\"}}");
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/x.wav", NULL, NULL, "c-line-9", &job, &err),
                 SF_API_ERROR, err);
    CHECK(job == NULL);
    CHECK_STR(sf_error_code(err), "invalid_response");
    CHECK_INT(sf_error_status(err), 201);
    CHECK_STR(sf_error_idempotency_key(err), "c-line-9");
    CHECK(sf_t_contains(sf_error_message(err), "retrying with idempotency key c-line-9 is safe"));
    sf_error_free(err);
    err = NULL;

    /* A generated key (a UUID) is the one reported. */
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/y.wav", NULL, NULL, NULL, &job, &err),
                 SF_API_ERROR, err);
    key = sf_error_idempotency_key(err);
    CHECK(key != NULL && strlen(key) == 36);
    CHECK(sf_t_contains(sf_error_message(err), key));
    sf_error_free(err);
    err = NULL;

    /* A request without a key has none. */
    CHECK_RESULT(sf_client_request(client, "GET", JOBS "/job_missing", NULL, 0, NULL, &resp, &err),
                 SF_API_ERROR, err);
    CHECK(sf_error_idempotency_key(err) == NULL);
    CHECK(sf_error_idempotency_key(NULL) == NULL);
    sf_error_free(err);
    emu_reset(pyai_url());
    sf_client_free(client);
}

void test_overridden_paths(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_job *job = NULL;
    sf_error *err = NULL;

    /* A bad template is refused by the setter, with the core's message. */
    sf_client_options_set_api(opts, SF_API_PYAI, NULL);
    sf_client_options_set_base_url(opts, pyai_url(), NULL);
    sf_client_options_set_api_key(opts, PYAI_FULL, NULL);
    CHECK_RESULT(sf_client_options_set_path(opts, "pyai.job", "/v2/jobs", &err), SF_INVALID_ARGUMENT, err);
    CHECK_STR(sf_error_message(err), "path for pyai.job must contain {id} once (got \"/v2/jobs\")");
    sf_error_free(err);
    err = NULL;
    CHECK_RESULT(sf_client_options_set_path(opts, NULL, "/x", NULL), SF_NULL_PARAMETER, NULL);
    sf_client_options_free(opts);

    /* An overridden path is the one requested. */
    client = client_for(SF_API_PYAI, pyai_url(), PYAI_FULL, "pyai.jobs", "/v9/jobs");
    emu_reset(pyai_url());
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/p.wav", NULL, NULL, NULL, &job, &err),
                 SF_API_ERROR, err);
    CHECK_INT(sf_error_status(err), 404);
    CHECK_INT(emu_count(pyai_url(), "POST /v9/jobs", "404"), 1);
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), 0);
    sf_error_free(err);
    sf_client_free(client);
}

/* A member the server names otherwise is read under surefoot's name too; an unknown field
 * name is refused with a message. (The minimal PyAI form sends no `audio_url`; here the
 * client is told that the server calls it `object`.) */
void test_renamed_fields(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_job *job = NULL;
    sf_error *err = NULL;
    CHECK_RESULT(sf_client_options_set_api(opts, SF_API_PYAI, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_base_url(opts, pyai_minimal_url(), NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_api_key(opts, PYAI_FULL, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_field(opts, "createdAt", "created", &err), SF_INVALID_ARGUMENT, err);
    CHECK(sf_t_contains(sf_error_message(err), "unknown field \"createdAt\""));
    sf_error_free(err);
    err = NULL;
    sf_client_options_free(opts);

    opts = sf_client_options_new();
    CHECK_RESULT(sf_client_options_set_api(opts, SF_API_PYAI, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_base_url(opts, pyai_minimal_url(), NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_api_key(opts, PYAI_FULL, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_field(opts, "audio_url", "object", NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_field(opts, NULL, "x", NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    sf_client_options_free(opts);
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/renamed.wav", NULL, NULL, NULL, &job, &err),
                 SF_OK, err);
    CHECK(sf_t_contains(sf_job_json(job), "\"audio_url\":\"transcription.job\""));
    CHECK(sf_t_contains(sf_job_json(job), "\"object\":\"transcription.job\""));
    sf_job_free(job);
    sf_error_free(err);
    sf_client_free(client);
}
