/*
 * The core's retry behaviour seen from C: a 503 retried to success, retries exhausted
 * with the attempt count in the error, a 429's Retry-After honoured before the retry,
 * job creation made exactly once through a dropped connection (automatic and explicit
 * idempotency keys, checked against the emulator's stats), a POST without a key not
 * retried once it may have reached the server, a timeout and a refused connection with
 * their result codes, and realtime sessions opened and closed.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define JOBS "/v1/transcription/jobs"

void test_retried_503(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_response *resp = NULL;
    sf_error *err = NULL;
    emu_reset(pyai_url());
    emu_fault(pyai_url(), "{\"route\": \"GET " JOBS "\", \"count\": 1,"
                          " \"action\": {\"kind\": \"status\", \"status\": 503, \"body\": \"\"}}");
    CHECK_RESULT(sf_client_request(client, "GET", JOBS "?limit=1", NULL, 0, NULL, &resp, &err), SF_OK, err);
    CHECK_INT(sf_response_status(resp), 200);
    CHECK_INT(sf_response_attempts(resp), 2);
    CHECK_INT(emu_count(pyai_url(), "GET " JOBS, "503"), 1);
    CHECK_INT(emu_count(pyai_url(), "GET " JOBS, "200"), 1);
    sf_response_free(resp);
    sf_error_free(err);
    sf_client_free(client);
}

void test_retries_exhausted(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 2, -1);
    sf_response *resp = NULL;
    sf_error *err = NULL;
    emu_reset(pyai_url());
    emu_fault(pyai_url(), "{\"route\": \"GET " JOBS "\", \"count\": 0,"
                          " \"action\": {\"kind\": \"status\", \"status\": 503, \"body\": \"\"}}");
    CHECK_RESULT(sf_client_request(client, "GET", JOBS, NULL, 0, NULL, &resp, &err), SF_API_ERROR, err);
    CHECK(resp == NULL);
    CHECK_INT(sf_error_status(err), 503);
    CHECK_STR(sf_error_code(err), "server_error");
    CHECK_INT(sf_error_kind(err), SF_KIND_SERVER);
    CHECK_INT(sf_error_attempts(err), 3);
    CHECK(sf_error_waited_ms(err) > 0);
    CHECK_INT(emu_count(pyai_url(), "GET " JOBS, "503"), 3);
    emu_reset(pyai_url());
    sf_error_free(err);
    sf_client_free(client);
}

void test_retry_after_honoured_on_429(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_response *resp = NULL;
    sf_error *err = NULL;
    double started, elapsed;
    emu_reset(pyai_url());
    emu_fault(pyai_url(),
              "{\"route\": \"GET " JOBS "\", \"count\": 1, \"action\": {\"kind\": \"status\","
              " \"status\": 429, \"content_type\": \"application/json\", \"headers\": [[\"retry-after\", \"1\"]],"
              " \"body\": \"{\\\"error\\\": {\\\"message\\\": \\\"Rate limit exceeded.\\\","
              " \\\"type\\\": \\\"rate_limit_error\\\", \\\"code\\\": \\\"rate_limit_exceeded\\\", \\\"param\\\": null}}\"}}");
    started = sf_t_now_ms();
    CHECK_RESULT(sf_client_request(client, "GET", JOBS "?limit=1", NULL, 0, NULL, &resp, &err), SF_OK, err);
    elapsed = sf_t_now_ms() - started;
    CHECK_INT(sf_response_attempts(resp), 2);
    /* The retry waited for the server's second, not the 20 ms backoff. */
    if (elapsed < 950.0) sf_t_fail(__FILE__, __LINE__, "retried after %.0f ms, before Retry-After", elapsed);
    CHECK(sf_response_waited_ms(resp) >= 950);
    CHECK_INT(emu_count(pyai_url(), "GET " JOBS, "429"), 1);
    CHECK_INT(emu_count(pyai_url(), "GET " JOBS, "200"), 1);
    sf_response_free(resp);
    sf_error_free(err);
    sf_client_free(client);
}

void test_idempotent_job_through_dropped_connection(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_job *job = NULL;
    sf_error *err = NULL;
    emu_reset(pyai_url());
    /* The server creates the job, then drops the connection without answering. */
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 1,"
                          " \"action\": {\"kind\": \"drop_after_processing\"}}");
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/dropped.wav", "en", "{\"batch\": 7}", NULL,
                                    &job, &err),
                 SF_OK, err);
    CHECK(sf_t_contains(sf_job_id(job), "job_"));
    CHECK_STR(sf_job_status(job), "queued");
    CHECK(sf_t_contains(sf_job_json(job), "\"batch\":7"));
    CHECK(sf_t_contains(sf_job_json(job), "dropped.wav"));
    /* Exactly one job: the retry carried the same generated key and was replayed. */
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), 1);
    CHECK_INT(emu_stat(pyai_url(), "idempotent_replays"), 1);
    CHECK_INT(emu_count(pyai_url(), "POST " JOBS, "dropped"), 1);
    CHECK_INT(emu_count(pyai_url(), "POST " JOBS, "201"), 1);
    sf_job_free(job);
    sf_error_free(err);
    sf_client_free(client);
}

void test_explicit_idempotency_key_replays(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_job *first = NULL, *second = NULL;
    sf_response *resp = NULL;
    sf_error *err = NULL;
    static const char body[] = "{\"audio_url\": \"https://example.com/explicit.wav\"}";
    emu_reset(pyai_url());
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/explicit.wav", NULL, NULL, "c-tests-explicit",
                                    &first, &err),
                 SF_OK, err);
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/explicit.wav", NULL, NULL, "c-tests-explicit",
                                    &second, &err),
                 SF_OK, err);
    CHECK_STR(sf_job_id(second), sf_job_id(first));
    /* The generic request with the same key and body is a replay too. */
    CHECK_RESULT(sf_client_request(client, "POST", JOBS, (const uint8_t *)body, strlen(body), "c-tests-explicit",
                                   &resp, &err),
                 SF_OK, err);
    CHECK_INT(sf_response_status(resp), 201);
    CHECK(sf_response_is_replay(resp));
    {
        const char *value = NULL;
        CHECK_RESULT(sf_response_header(resp, "Idempotent-Replayed", &value), SF_OK, NULL);
        CHECK_STR(value, "true");
    }
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), 1);
    CHECK_INT(emu_stat(pyai_url(), "idempotent_replays"), 2);
    sf_response_free(resp);
    sf_job_free(first);
    sf_job_free(second);
    sf_error_free(err);
    sf_client_free(client);
}

void test_post_without_key_not_retried_after_drop(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_response *resp = NULL;
    sf_error *err = NULL;
    static const char body[] = "{\"audio_url\": \"https://example.com/nokey.wav\"}";
    emu_reset(pyai_url());
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 1,"
                          " \"action\": {\"kind\": \"drop_after_processing\"}}");
    CHECK_RESULT(sf_client_request(client, "POST", JOBS, (const uint8_t *)body, strlen(body), NULL, &resp, &err),
                 SF_CONNECTION_ERROR, err);
    CHECK(resp == NULL);
    CHECK_INT(sf_error_kind(err), SF_KIND_CONNECTION);
    CHECK_STR(sf_error_code(err), "connection_error");
    CHECK_INT(sf_error_status(err), 0);
    CHECK_INT(sf_error_attempts(err), 1);
    {
        const uint8_t *b = NULL;
        size_t len = 0;
        CHECK_RESULT(sf_error_body(err, &b, &len), SF_NO_VALUE, NULL);
    }
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), 1);
    sf_response_free(resp);
    sf_error_free(err);
    sf_client_free(client);
}

void test_realtime_sessions(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_realtime_session *a = NULL, *b = NULL;
    sf_error *err = NULL;
    int i;
    emu_reset(pyai_url());
    CHECK_RESULT(sf_pyai_realtime_open(client, "agent-c", &a, &err), SF_OK, err);
    CHECK_RESULT(sf_pyai_realtime_open(client, "agent-c", &b, &err), SF_OK, err);
    CHECK(sf_t_contains(sf_realtime_session_id(a), "rts_"));
    CHECK(!sf_t_streq(sf_realtime_session_id(a), sf_realtime_session_id(b)));
    CHECK_STR(sf_realtime_session_agent_id(a), "agent-c");
    CHECK_INT(emu_stat(pyai_url(), "open_realtime_sessions"), 2);
    CHECK_RESULT(sf_realtime_session_close(a, &err), SF_OK, err);
    CHECK_INT(emu_stat(pyai_url(), "open_realtime_sessions"), 1);
    /* Freed without closing: the library ends it in the background. */
    sf_realtime_session_free(b);
    for (i = 0; i < 100 && emu_stat(pyai_url(), "open_realtime_sessions") != 0; i++) {
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    CHECK_INT(emu_stat(pyai_url(), "open_realtime_sessions"), 0);
    sf_error_free(err);
    sf_client_free(client);
}

/* A per-attempt timeout reaches C as SF_TIMEOUT (no status, kind timeout). */
void test_timeout(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_response *resp = NULL;
    sf_error *err = NULL;
    sf_client_options_set_api(opts, SF_API_PYAI, NULL);
    sf_client_options_set_base_url(opts, pyai_url(), NULL);
    sf_client_options_set_api_key(opts, PYAI_FULL, NULL);
    sf_client_options_set_max_retries(opts, 0, NULL);
    sf_client_options_set_timeout_ms(opts, 200, NULL);
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    sf_client_options_free(opts);
    emu_reset(pyai_url());
    emu_fault(pyai_url(), "{\"route\": \"GET " JOBS "\", \"count\": 1, \"action\": {\"kind\": \"delay\", \"ms\": 1500}}");
    CHECK_RESULT(sf_client_request(client, "GET", JOBS, NULL, 0, NULL, &resp, &err), SF_TIMEOUT, err);
    CHECK(resp == NULL);
    CHECK_INT(sf_error_kind(err), SF_KIND_TIMEOUT);
    CHECK_STR(sf_error_code(err), "timeout");
    CHECK_INT(sf_error_status(err), 0);
    CHECK_INT(sf_error_attempts(err), 1);
    sf_error_free(err);
    sf_client_free(client);
}

/* Nothing listening: SF_CONNECTION_ERROR after the retries (a refused connect never
 * reached the server, so it is retried). */
void test_connection_refused(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_response *resp = NULL;
    sf_error *err = NULL;
    sf_client_options_set_base_url(opts, "http://127.0.0.1:9", NULL);
    sf_client_options_set_max_retries(opts, 1, NULL);
    sf_client_options_set_backoff_ms(opts, 10, 20, NULL);
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    sf_client_options_free(opts);
    CHECK_RESULT(sf_client_request(client, "POST", "/v1/things", NULL, 0, NULL, &resp, &err),
                 SF_CONNECTION_ERROR, err);
    CHECK(resp == NULL);
    CHECK_INT(sf_error_kind(err), SF_KIND_CONNECTION);
    CHECK_STR(sf_error_code(err), "connection_error");
    CHECK_INT(sf_error_attempts(err), 2);
    CHECK(sf_error_is_retryable(err));
    CHECK_STR(sf_error_stop_reason(err), "retries_exhausted");
    sf_error_free(err);
    sf_client_free(client);
}
