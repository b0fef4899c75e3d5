/*
 * Basics of the C ABI: the version, result and kind names, a successful call with its
 * response accessors, option setters refusing out-of-range values, requests refused on
 * the client side before anything is sent, and every function's handling of NULL and of
 * strings that are not UTF-8 (a result code and an error, never a crash; out-parameters
 * untouched).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

void test_version(void) {
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", SF_VERSION_MAJOR, SF_VERSION_MINOR,
             SF_VERSION_PATCH);
    CHECK_STR(sf_version(), expected);
    CHECK_STR(sf_version(), SF_VERSION);
}

void test_result_and_kind_names(void) {
    CHECK_STR(sf_result_name(SF_OK), "SF_OK");
    CHECK_STR(sf_result_name(SF_API_ERROR), "SF_API_ERROR");
    CHECK_STR(sf_result_name(SF_NO_VALUE), "SF_NO_VALUE");
    CHECK_STR(sf_result_name(1000), "SF_UNKNOWN");
    CHECK_STR(sf_result_name(-1), "SF_UNKNOWN");
    CHECK_INT(SF_OK, 0);
    CHECK_INT(SF_DONE, 1);
    CHECK_INT(SF_NULL_PARAMETER, 2);
    CHECK_INT(SF_INVALID_ARGUMENT, 3);
    CHECK_INT(SF_API_ERROR, 4);
    CHECK_INT(SF_CONNECTION_ERROR, 5);
    CHECK_INT(SF_TIMEOUT, 6);
    CHECK_INT(SF_PANIC, 7);
    CHECK_STR(sf_kind_name(SF_KIND_RATE_LIMITED), "rate_limited");
    CHECK_STR(sf_kind_name(SF_KIND_PAYMENT_REQUIRED), "payment_required");
    CHECK_STR(sf_kind_name(SF_KIND_INVALID_REQUEST), "invalid_request");
    CHECK_STR(sf_kind_name(77), "unknown");
}

void test_successful_call(void) {
    sf_client *client = sf_t_client(SF_API_SPECALA, SPK_ALPHA, 3, -1);
    sf_response *resp = NULL;
    sf_error *err = NULL;
    const uint8_t *body = NULL;
    size_t len = 0;
    const char *value = NULL;

    CHECK_RESULT(sf_client_request(client, "GET", "/v1/transcriptions/tr_alpha_000007", NULL, 0,
                                   NULL, &resp, &err),
                 SF_OK, err);
    CHECK(err == NULL);
    CHECK_INT(sf_response_status(resp), 200);
    CHECK_INT(sf_response_attempts(resp), 1);
    CHECK(sf_response_waited_ms(resp) >= 0);
    CHECK(!sf_response_is_replay(resp));
    CHECK(sf_t_contains(sf_response_request_id(resp), "req_"));
    CHECK_RESULT(sf_response_body(resp, &body, &len), SF_OK, NULL);
    CHECK(len > 0 && body != NULL);
    if (body != NULL) {
        char text[4096];
        size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
        memcpy(text, body, n);
        text[n] = '\0';
        CHECK(sf_t_contains(text, "\"id\":\"tr_alpha_000007\""));
    }
    CHECK_RESULT(sf_response_header(resp, "Content-Type", &value), SF_OK, NULL);
    CHECK(sf_t_contains(value, "application/json"));
    value = "untouched";
    CHECK_RESULT(sf_response_header(resp, "x-not-sent", &value), SF_NO_VALUE, NULL);
    CHECK_STR(value, "untouched");
    sf_response_free(resp);
    resp = NULL;

    /* Lower-case methods are accepted; a POST with a JSON body. */
    {
        static const char body_json[] = "{\"ids\": [\"tr_alpha_000001\"], \"format\": \"txt\"}";
        CHECK_RESULT(sf_client_request(client, "post", "/v1/transcriptions/export",
                                       (const uint8_t *)body_json, strlen(body_json), NULL,
                                       &resp, &err),
                     SF_OK, err);
        CHECK_INT(sf_response_status(resp), 200);
        sf_response_free(resp);
    }
    sf_error_free(err);
    sf_client_free(client);
}

void test_options_out_of_range(void) {
    sf_client_options *opts = sf_client_options_new();
    CHECK(opts != NULL);
    CHECK_RESULT(sf_client_options_set_api(opts, 99, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_api(opts, SF_API_PYAI, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_timeout_ms(opts, 0, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_timeout_ms(opts, -2, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_timeout_ms(opts, -1, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_timeout_ms(opts, 5000, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_connect_timeout_ms(opts, -1, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_deadline_ms(opts, 0, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_deadline_ms(opts, 30000, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_deadline_ms(opts, -1, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_max_retry_wait_ms(opts, -1, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_max_retry_wait_ms(opts, 0, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_backoff_ms(opts, 200, 100, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_backoff_ms(opts, 0, 100, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_rate_limit(opts, 20, 0, 5, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_rate_limit(opts, 20, 1000, 5, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_rate_limit(opts, 0, 1000, 1, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_rate_limit(opts, 20, 1000, 0, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_rate_limit(opts, -1, 0, 0, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_max_concurrent_sessions(opts, 0, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_max_concurrent_sessions(opts, -1, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_max_response_bytes(opts, 0, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_max_concurrent_sessions(opts, 2, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_prefetch(opts, true, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_user_agent(opts, "c-tests/1.0", NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_add_header(opts, "X-Test", "yes", NULL), SF_OK, NULL);
    sf_client_options_free(opts);
}

/* Builds a client from opts and expects SF_INVALID_ARGUMENT with `message_part`. */
static void expect_refused(sf_client_options *opts, const char *message_part, const char *secret) {
    sf_client *client = (sf_client *)&client; /* a sentinel: must stay untouched */
    sf_client *const sentinel = client;
    sf_error *err = NULL;
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_INVALID_ARGUMENT, err);
    CHECK(client == sentinel);
    CHECK_INT(sf_error_kind(err), SF_KIND_INVALID_REQUEST);
    CHECK_STR(sf_error_code(err), "invalid_request");
    CHECK_INT(sf_error_status(err), 0);
    CHECK_INT(sf_error_attempts(err), 0);
    CHECK_INT(sf_error_retry_after_ms(err), -1);
    CHECK_INT(sf_error_result(err), SF_INVALID_ARGUMENT);
    if (!sf_t_contains(sf_error_message(err), message_part))
        sf_t_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", sf_error_message(err),
                  message_part);
    if (secret != NULL) CHECK(!sf_t_contains(sf_error_message(err), secret));
    sf_error_free(err);
}

void test_client_side_refusals(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_response *resp = NULL;
    sf_error *err = NULL;

    sf_client_options_set_api(opts, SF_API_PYAI, NULL);
    sf_client_options_set_base_url(opts, pyai_url(), NULL);
    /* A bad key is refused by the setter, with the core's message (never the key). */
    CHECK_RESULT(sf_client_options_set_api_key(opts, "pyai_sk_full_0001 ", &err), SF_INVALID_ARGUMENT, err);
    CHECK_STR(sf_error_message(err), "API key has trailing whitespace");
    CHECK(!sf_t_contains(sf_error_message(err), "pyai_sk_full_0001"));
    sf_error_free(err);
    err = NULL;
    CHECK_RESULT(sf_client_options_set_api_key(opts, "pyai_sk_full\r\n0001", &err), SF_INVALID_ARGUMENT, err);
    CHECK(sf_t_contains(sf_error_message(err), "API key"));
    CHECK(!sf_t_contains(sf_error_message(err), "pyai_sk_full"));
    sf_error_free(err);
    err = NULL;
    sf_client_options_set_api_key(opts, PYAI_FULL, NULL);
    sf_client_options_set_base_url(opts, "http://api.example.com", NULL);
    expect_refused(opts, "plain http is only allowed to loopback hosts", NULL);
    sf_client_options_set_base_url(opts, "not a url", NULL);
    expect_refused(opts, "URL", NULL);
    sf_client_options_free(opts);

    /* Without a key, sf_client_new reads PYAI_API_KEY (tests/c/run.sh sets it), as Rust's
     * from_env and the Python constructors do; without that either, the key is missing. */
    opts = sf_client_options_new();
    sf_client_options_set_api(opts, SF_API_PYAI, NULL);
    sf_client_options_set_base_url(opts, pyai_url(), NULL);
    {
        const char *env = getenv("PYAI_API_KEY");
        char *saved = env != NULL ? strdup(env) : NULL;
        char *text = NULL;
        CHECK(saved != NULL);
        setenv("PYAI_API_KEY", "pyai_sk_from_env_0001", 1);
        CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
        CHECK_RESULT(sf_client_describe_option(client, "api_key", &text, &err), SF_OK, err);
        CHECK_STR(text, "pya\xe2\x80\xa6" "0001");
        sf_string_free(text);
        sf_client_free(client);
        client = NULL;
        setenv("PYAI_API_KEY", "  ", 1); /* blank counts as not set */
        expect_refused(opts, "API key is missing: pass one or set PYAI_API_KEY", NULL);
        unsetenv("PYAI_API_KEY");
        expect_refused(opts, "API key is missing", NULL);
        if (saved != NULL) setenv("PYAI_API_KEY", saved, 1);
        free(saved);
    }
    sf_client_options_free(opts);

    /* A key in the request URL is refused before anything is sent. */
    client = sf_t_client(SF_API_PYAI, PYAI_FULL, 0, -1);
    emu_reset(pyai_url());
    CHECK_RESULT(sf_client_request(client, "GET", "/v1/transcription/jobs?api_key=pyai_sk_full_0001",
                                   NULL, 0, NULL, &resp, &err),
                 SF_INVALID_ARGUMENT, err);
    CHECK(resp == NULL);
    CHECK(!sf_t_contains(sf_error_message(err), PYAI_FULL));
    CHECK_INT(emu_stat(pyai_url(), "total_requests"), 0);
    sf_error_free(err);
    err = NULL;
    /* So is a malformed idempotency key. */
    CHECK_RESULT(sf_client_request(client, "POST", "/v1/transcription/jobs", NULL, 0, "bad key",
                                   &resp, &err),
                 SF_INVALID_ARGUMENT, err);
    sf_error_free(err);
    err = NULL;
    /* A typed call on a client for the other API. */
    {
        const char *ids[] = {"tr_alpha_000001"};
        sf_exports *exports = NULL;
        CHECK_RESULT(sf_specala_bulk_export(client, ids, 1, "md", &exports, &err),
                     SF_INVALID_ARGUMENT, err);
        CHECK(exports == NULL);
        sf_error_free(err);
        err = NULL;
        CHECK_RESULT(sf_specala_bulk_export(client, ids, 1, "pdf", &exports, &err),
                     SF_INVALID_ARGUMENT, err);
        CHECK(sf_t_contains(sf_error_message(err), "format"));
        sf_error_free(err);
    }
    sf_client_free(client);
}

/* Every function with a NULL where a pointer is required: SF_NULL_PARAMETER, no crash. */
void test_null_parameters(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 0, -1);
    sf_client_options *opts = sf_client_options_new();
    sf_client *other = NULL;
    sf_response *resp = NULL;
    sf_pager *pager = NULL;
    sf_job *job = NULL;
    sf_exports *exports = NULL;
    sf_realtime_session *session = NULL;
    sf_error *err = NULL;
    const char *str = "untouched";
    const uint8_t *bytes = NULL;
    size_t len = 12345;

    CHECK_RESULT(sf_client_options_set_api(NULL, SF_API_PYAI, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_options_set_base_url(NULL, "http://127.0.0.1:1", NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_options_set_base_url(opts, NULL, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_options_set_api_key(opts, NULL, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_options_set_timeout_ms(NULL, 10, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_options_set_rate_limit(NULL, 1, 1000, 1, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_options_add_header(opts, "X-A", NULL, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_options_add_header(opts, NULL, "a", NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_options_set_user_agent(opts, NULL, NULL), SF_OK, NULL); /* the default */

    CHECK_RESULT(sf_client_new(NULL, &other, &err), SF_NULL_PARAMETER, err);
    CHECK(other == NULL);
    CHECK_STR(sf_error_code(err), "null_parameter");
    CHECK(sf_t_contains(sf_error_message(err), "opts"));
    CHECK_INT(sf_error_result(err), SF_NULL_PARAMETER);
    sf_error_free(err);
    err = NULL;
    CHECK_RESULT(sf_client_new(opts, NULL, &err), SF_NULL_PARAMETER, err);
    CHECK(sf_t_contains(sf_error_message(err), "client_out"));
    sf_error_free(err);
    err = NULL;
    /* err_out itself may be NULL. */
    CHECK_RESULT(sf_client_new(NULL, NULL, NULL), SF_NULL_PARAMETER, NULL);

    CHECK_RESULT(sf_client_request(NULL, "GET", "/", NULL, 0, NULL, &resp, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_request(client, NULL, "/", NULL, 0, NULL, &resp, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_request(client, "GET", NULL, NULL, 0, NULL, &resp, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_request(client, "POST", "/v1/transcription/jobs", NULL, 5, NULL, &resp, NULL),
                 SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_request(client, "GET", "/v1/transcription/jobs", NULL, 0, NULL, NULL, &err),
                 SF_NULL_PARAMETER, err);
    CHECK(sf_t_contains(sf_error_message(err), "response_out"));
    sf_error_free(err);
    err = NULL;
    CHECK(resp == NULL);

    CHECK_INT(sf_response_status(NULL), 0);
    CHECK_RESULT(sf_response_body(NULL, &bytes, &len), SF_NULL_PARAMETER, NULL);
    CHECK(bytes == NULL && len == 12345);
    CHECK_RESULT(sf_response_header(NULL, "x", &str), SF_NULL_PARAMETER, NULL);
    CHECK_STR(str, "untouched");
    CHECK(sf_response_request_id(NULL) == NULL);
    CHECK_INT(sf_response_attempts(NULL), 0);
    CHECK_INT(sf_response_waited_ms(NULL), 0);
    CHECK(!sf_response_is_replay(NULL));

    CHECK_RESULT(sf_client_paginate(NULL, "/v1/transcription/jobs", 10, &pager, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_paginate(client, NULL, 10, &pager, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_paginate(client, "/v1/transcription/jobs", 10, NULL, NULL), SF_NULL_PARAMETER, NULL);
    CHECK(pager == NULL);
    CHECK_RESULT(sf_pager_next(NULL, &str, &len, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_paginate(client, "/v1/transcription/jobs", 10, &pager, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_pager_next(pager, NULL, &len, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_pager_next(pager, &str, NULL, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_STR(str, "untouched");
    sf_pager_free(pager);

    CHECK_RESULT(sf_pyai_create_job(NULL, "https://example.com/a.wav", NULL, NULL, NULL, &job, NULL),
                 SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_pyai_create_job(client, NULL, NULL, NULL, NULL, &job, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/a.wav", NULL, NULL, NULL, NULL, NULL),
                 SF_NULL_PARAMETER, NULL);
    CHECK(job == NULL);
    CHECK(sf_job_id(NULL) == NULL && sf_job_status(NULL) == NULL && sf_job_json(NULL) == NULL);

    {
        const char *ids[] = {"tr_alpha_000001", NULL};
        CHECK_RESULT(sf_specala_bulk_export(NULL, ids, 1, "md", &exports, NULL), SF_NULL_PARAMETER, NULL);
        CHECK_RESULT(sf_specala_bulk_export(client, NULL, 3, "md", &exports, NULL), SF_NULL_PARAMETER, NULL);
        CHECK_RESULT(sf_specala_bulk_export(client, ids, 2, "md", &exports, &err), SF_NULL_PARAMETER, err);
        CHECK(sf_t_contains(sf_error_message(err), "ids[1]"));
        sf_error_free(err);
        err = NULL;
        CHECK_RESULT(sf_specala_bulk_export(client, ids, 1, "md", NULL, NULL), SF_NULL_PARAMETER, NULL);
        CHECK(exports == NULL);
        CHECK_INT(sf_exports_count(NULL), 0);
        CHECK(sf_exports_id(NULL, 0) == NULL && sf_exports_content(NULL, 0) == NULL);
    }

    CHECK_RESULT(sf_pyai_realtime_open(NULL, "agent-1", &session, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_pyai_realtime_open(client, NULL, &session, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_pyai_realtime_open(client, "agent-1", NULL, NULL), SF_NULL_PARAMETER, NULL);
    CHECK(session == NULL);
    CHECK_RESULT(sf_realtime_session_close(NULL, NULL), SF_NULL_PARAMETER, NULL);
    CHECK(sf_realtime_session_id(NULL) == NULL && sf_realtime_session_agent_id(NULL) == NULL);

    /* Error accessors on NULL. */
    CHECK_INT(sf_error_kind(NULL), SF_KIND_NONE);
    CHECK_INT(sf_error_status(NULL), 0);
    CHECK(sf_error_code(NULL) == NULL && sf_error_message(NULL) == NULL);
    CHECK(sf_error_request_id(NULL) == NULL);
    CHECK_INT(sf_error_retry_after_ms(NULL), -1);
    CHECK_INT(sf_error_attempts(NULL), 0);
    CHECK_INT(sf_error_waited_ms(NULL), 0);
    CHECK(!sf_error_is_retryable(NULL));
    CHECK(sf_error_stop_reason(NULL) == NULL);
    CHECK_INT(sf_error_result(NULL), SF_OK);
    CHECK_RESULT(sf_error_body(NULL, &bytes, &len), SF_NULL_PARAMETER, NULL);

    /* Every _free accepts NULL. */
    sf_client_options_free(NULL);
    sf_client_free(NULL);
    sf_response_free(NULL);
    sf_pager_free(NULL);
    sf_job_free(NULL);
    sf_exports_free(NULL);
    sf_realtime_session_free(NULL);
    sf_error_free(NULL);

    sf_client_options_free(opts);
    sf_client_free(client);
}

/* Strings that are not UTF-8: SF_INVALID_ARGUMENT naming the argument, nothing sent. */
void test_bad_utf8(void) {
    static const char bad[] = "/v1/transcription/jobs/\xff\xfe";
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 0, -1);
    sf_client_options *opts = sf_client_options_new();
    sf_response *resp = NULL;
    sf_pager *pager = NULL;
    sf_job *job = NULL;
    sf_realtime_session *session = NULL;
    sf_error *err = NULL;
    const char *value = "untouched";

    emu_reset(pyai_url());
    CHECK_RESULT(sf_client_options_set_base_url(opts, "http://127.0.0.1:1/\xc3\x28", NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_api_key(opts, "sk-\xff-key", NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_set_user_agent(opts, "\x80", NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_add_header(opts, "X-\xff", "v", NULL), SF_INVALID_ARGUMENT, NULL);

    CHECK_RESULT(sf_client_request(client, "GET", bad, NULL, 0, NULL, &resp, &err), SF_INVALID_ARGUMENT, err);
    CHECK(resp == NULL);
    CHECK_STR(sf_error_code(err), "invalid_request");
    CHECK_STR(sf_error_message(err), "argument `path` is not valid UTF-8");
    sf_error_free(err);
    err = NULL;
    CHECK_RESULT(sf_client_request(client, "G\xe9T", "/v1/transcription/jobs", NULL, 0, NULL, &resp, NULL),
                 SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_request(client, "POST", "/v1/transcription/jobs", NULL, 0, "key-\xff", &resp, NULL),
                 SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_paginate(client, bad, 10, &pager, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK(pager == NULL);
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/\xff.wav", NULL, NULL, NULL, &job, NULL),
                 SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/a.wav", "e\xffn", NULL, NULL, &job, NULL),
                 SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/a.wav", NULL, "{\"a\": \"\xff\"}", NULL, &job, NULL),
                 SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/a.wav", NULL, "{not json", NULL, &job, &err),
                 SF_INVALID_ARGUMENT, err);
    CHECK(sf_t_contains(sf_error_message(err), "metadata_json"));
    sf_error_free(err);
    err = NULL;
    CHECK(job == NULL);
    CHECK_RESULT(sf_pyai_realtime_open(client, "agent-\xff", &session, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK(session == NULL);
    {
        const char *ids[] = {"tr_alpha_000001", "tr_\xff"};
        sf_exports *exports = NULL;
        CHECK_RESULT(sf_specala_bulk_export(client, ids, 2, "md", &exports, &err), SF_INVALID_ARGUMENT, err);
        CHECK_STR(sf_error_message(err), "argument `ids[1]` is not valid UTF-8");
        CHECK(exports == NULL);
        sf_error_free(err);
        err = NULL;
        CHECK_RESULT(sf_specala_bulk_export(client, ids, 1, "m\xff", &exports, NULL), SF_INVALID_ARGUMENT, NULL);
    }
    /* Nothing reached the server. */
    CHECK_INT(emu_stat(pyai_url(), "total_requests"), 0);

    CHECK_RESULT(sf_client_request(client, "GET", "/v1/transcription/jobs?limit=1", NULL, 0, NULL, &resp, &err),
                 SF_OK, err);
    CHECK_RESULT(sf_response_header(resp, "x-\xff", &value), SF_INVALID_ARGUMENT, NULL);
    CHECK_STR(value, "untouched");
    sf_response_free(resp);
    sf_error_free(err);
    sf_client_options_free(opts);
    sf_client_free(client);
}
