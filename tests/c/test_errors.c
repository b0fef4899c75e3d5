/*
 * Each error shape the two APIs answer with reaches C with the right result code, HTTP
 * status, stable code, kind, request id and Retry-After: Specala's FastAPI `detail`
 * (string, object with a code, validation list), PyAI's OpenAI envelope (401, 403, the
 * three 402s) and RFC 7807 problem+json (404, 409, 400), a proxy's HTML page, and 429s
 * whose Retry-After is reported (or, when longer than the caller accepts, fails fast).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "harness.h"

/* The expected shape of an error. */
struct want {
    sf_result result;
    unsigned status;
    const char *code;
    sf_kind kind;
    uint32_t attempts;
};

static void check_error(const char *where, sf_result r, const sf_error *err, struct want w) {
    if (r != w.result)
        sf_t_fail(__FILE__, __LINE__, "%s: %s, expected %s (%s)", where, sf_result_name((int)r),
                  sf_result_name((int)w.result), sf_t_describe(err));
    if (err == NULL) {
        sf_t_fail(__FILE__, __LINE__, "%s: no error was returned", where);
        return;
    }
    if (sf_error_status(err) != w.status || !sf_t_streq(sf_error_code(err), w.code) ||
        sf_error_kind(err) != w.kind || sf_error_result(err) != w.result)
        sf_t_fail(__FILE__, __LINE__, "%s: got %s, expected %s (HTTP %u, %s)", where,
                  sf_t_describe(err), w.code, w.status, sf_kind_name((int)w.kind));
    if (w.attempts > 0 && sf_error_attempts(err) != w.attempts)
        sf_t_fail(__FILE__, __LINE__, "%s: %u attempts, expected %u", where,
                  (unsigned)sf_error_attempts(err), (unsigned)w.attempts);
}

/* GET `path`; returns the error (caller frees) after checking it against `w`. */
static sf_error *get_error(sf_client *client, const char *path, struct want w) {
    sf_response *resp = NULL;
    sf_error *err = NULL;
    sf_result r = sf_client_request(client, "GET", path, NULL, 0, NULL, &resp, &err);
    check_error(path, r, err, w);
    CHECK(resp == NULL);
    sf_response_free(resp);
    return err;
}

void test_specala_401_detail_string(void) {
    static const char key[] = "spk_not_a_real_key_4242";
    sf_client *client = sf_t_client(SF_API_SPECALA, key, 3, -1);
    struct want w = {SF_API_ERROR, 401, "unauthorized", SF_KIND_AUTHENTICATION, 1};
    sf_error *err = get_error(client, "/v1/transcriptions?limit=1", w);
    CHECK_STR(sf_error_message(err), "Invalid API key");
    CHECK(!sf_t_contains(sf_error_message(err), key));
    CHECK_INT(sf_error_retry_after_ms(err), -1);
    CHECK(!sf_error_is_retryable(err));
    {
        const uint8_t *body = NULL;
        size_t len = 0;
        CHECK_RESULT(sf_error_body(err, &body, &len), SF_OK, NULL);
        CHECK(len > 0 && body != NULL && memcmp(body, "{\"detail\"", 9) == 0);
    }
    sf_error_free(err);
    sf_client_free(client);
}

void test_specala_403_detail_object(void) {
    sf_client *client = sf_t_client(SF_API_SPECALA, SPK_FREE, 3, -1);
    struct want w = {SF_API_ERROR, 403, "api_access_denied", SF_KIND_PERMISSION, 1};
    sf_error *err = get_error(client, "/v1/transcriptions", w);
    CHECK(strlen(sf_error_message(err)) > 0);
    sf_error_free(err);
    sf_client_free(client);
}

void test_specala_404(void) {
    sf_client *client = sf_t_client(SF_API_SPECALA, SPK_ALPHA, 3, -1);
    struct want w = {SF_API_ERROR, 404, "not_found", SF_KIND_NOT_FOUND, 1};
    /* An id of another workspace is not found too. */
    sf_error *err = get_error(client, "/v1/transcriptions/tr_beta_000001", w);
    CHECK_STR(sf_error_message(err), "Transcription not found");
    sf_error_free(err);
    err = NULL;
    {
        const char *ids[] = {"tr_alpha_000001", "tr_beta_000002"};
        sf_exports *exports = NULL;
        sf_result r = sf_specala_bulk_export(client, ids, 2, "md", &exports, &err);
        check_error("bulk export", r, err, w);
        CHECK(sf_t_contains(sf_error_message(err), "tr_beta_000002"));
        CHECK(exports == NULL);
    }
    sf_error_free(err);
    sf_client_free(client);
}

void test_specala_422_validation_list(void) {
    sf_client *client = sf_t_client(SF_API_SPECALA, SPK_ALPHA, 3, -1);
    struct want w = {SF_API_ERROR, 422, "validation_error", SF_KIND_VALIDATION, 1};
    sf_error *err = get_error(client, "/v1/transcriptions?limit=500", w);
    CHECK_STR(sf_error_message(err), "query.limit: Input should be less than or equal to 100");
    sf_error_free(err);
    sf_client_free(client);
}

void test_pyai_envelope_401_403(void) {
    static const char key[] = "pyai_sk_unknown_9999";
    sf_client *client = sf_t_client(SF_API_PYAI, key, 3, -1);
    sf_job *job = NULL;
    sf_error *err = NULL;
    struct want w401 = {SF_API_ERROR, 401, "unauthorized", SF_KIND_AUTHENTICATION, 1};
    struct want w403 = {SF_API_ERROR, 403, "forbidden", SF_KIND_PERMISSION, 1};
    sf_result r;

    err = get_error(client, "/v1/transcription/jobs", w401);
    CHECK_STR(sf_error_message(err), "Incorrect API key provided.");
    CHECK(sf_t_contains(sf_error_request_id(err), "req_"));
    CHECK(!sf_t_contains(sf_error_message(err), key));
    sf_error_free(err);
    err = NULL;
    sf_client_free(client);

    client = sf_t_client(SF_API_PYAI, PYAI_READONLY, 3, -1);
    r = sf_pyai_create_job(client, "https://example.com/a.wav", NULL, NULL, NULL, &job, &err);
    check_error("readonly create", r, err, w403);
    CHECK(sf_t_contains(sf_error_message(err), "jobs:write"));
    CHECK(job == NULL);
    sf_error_free(err);
    sf_client_free(client);
}

/* Creates a job with `key`, expecting 402 `code`, never retried. */
static void expect_402(const char *key, const char *code) {
    sf_client *client = sf_t_client(SF_API_PYAI, key, 3, -1);
    sf_job *job = NULL;
    sf_error *err = NULL;
    struct want w = {SF_API_ERROR, 402, code, SF_KIND_PAYMENT_REQUIRED, 1};
    /* The call comes first: C leaves the order of evaluating arguments open. */
    sf_result r = sf_pyai_create_job(client, "https://example.com/a.wav", NULL, NULL, NULL, &job, &err);
    check_error(code, r, err, w);
    CHECK(!sf_error_is_retryable(err));
    CHECK(job == NULL);
    sf_error_free(err);
    sf_client_free(client);
}

void test_pyai_envelope_402(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_BUDGET, 3, -1);
    int i;
    expect_402(PYAI_BROKE, "credit_exhausted");
    expect_402(PYAI_QUOTA, "insufficient_quota");
    /* The budget key may create 3 jobs, then 402 key_budget_exceeded. */
    for (i = 0; i < 3; i++) {
        sf_job *job = NULL;
        sf_error *err = NULL;
        CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/b.wav", "en", NULL, NULL, &job, &err),
                     SF_OK, err);
        sf_job_free(job);
        sf_error_free(err);
    }
    expect_402(PYAI_BUDGET, "key_budget_exceeded");
    sf_client_free(client);
}

void test_pyai_problem_json_404_409_400(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_job *job = NULL;
    sf_realtime_session *session = NULL;
    sf_error *err = NULL;
    struct want w404 = {SF_API_ERROR, 404, "not_found", SF_KIND_NOT_FOUND, 1};
    struct want w409 = {SF_API_ERROR, 409, "idempotency_conflict", SF_KIND_CONFLICT, 1};
    struct want w400 = {SF_API_ERROR, 400, "invalid_agent_id", SF_KIND_VALIDATION, 1};
    char long_agent[80];
    sf_result r;

    err = get_error(client, "/v1/transcription/jobs/job_99999999", w404);
    CHECK_STR(sf_error_message(err), "Job job_99999999 was not found.");
    CHECK(sf_t_contains(sf_error_request_id(err), "req_"));
    sf_error_free(err);
    err = NULL;

    CHECK_RESULT(sf_pyai_create_job(client, "https://example.com/first.wav", NULL, NULL, "c-tests-409", &job, &err),
                 SF_OK, err);
    sf_job_free(job);
    job = NULL;
    r = sf_pyai_create_job(client, "https://example.com/other.wav", NULL, NULL, "c-tests-409", &job, &err);
    check_error("conflict", r, err, w409);
    CHECK_STR(sf_error_message(err), "Idempotency-Key was reused with a different request body.");
    CHECK(job == NULL);
    sf_error_free(err);
    err = NULL;

    memset(long_agent, 'a', 65);
    long_agent[65] = '\0';
    r = sf_pyai_realtime_open(client, long_agent, &session, &err);
    check_error("agent id", r, err, w400);
    CHECK(session == NULL);
    sf_error_free(err);
    sf_client_free(client);
}

void test_html_from_a_proxy(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 0, -1);
    struct want w = {SF_API_ERROR, 502, "server_error", SF_KIND_SERVER, 1};
    sf_error *err;
    emu_reset(pyai_url());
    emu_fault(pyai_url(), "{\"route\": \"GET /v1/transcription/jobs\", \"count\": 1,"
                          " \"action\": {\"kind\": \"html\", \"status\": 502}}");
    err = get_error(client, "/v1/transcription/jobs", w);
    CHECK(sf_error_is_retryable(err));
    CHECK(!sf_t_contains(sf_error_message(err), "<html>"));
    sf_error_free(err);
    sf_client_free(client);
}

/* A 429 with Retry-After, retries off: the error tells how long to wait. (The sandbox key
 * is used only here: the 429 pauses that key's shared pacer for 7 s.) */
void test_rate_limited_error_carries_retry_after(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_SANDBOX, 0, -1);
    struct want w = {SF_API_ERROR, 429, "rate_limit_exceeded", SF_KIND_RATE_LIMITED, 1};
    sf_error *err;
    emu_reset(pyai_url());
    emu_fault(pyai_url(),
              "{\"route\": \"GET /v1/transcription/jobs\", \"count\": 1, \"action\": {\"kind\": \"status\","
              " \"status\": 429, \"content_type\": \"application/json\", \"headers\": [[\"retry-after\", \"7\"]],"
              " \"body\": \"{\\\"error\\\": {\\\"message\\\": \\\"Rate limit exceeded.\\\","
              " \\\"type\\\": \\\"rate_limit_error\\\", \\\"code\\\": \\\"rate_limit_exceeded\\\", \\\"param\\\": null}}\"}}");
    err = get_error(client, "/v1/transcription/jobs", w);
    CHECK_INT(sf_error_retry_after_ms(err), 7000);
    CHECK(sf_error_is_retryable(err));
    CHECK_STR(sf_error_message(err), "Rate limit exceeded.");
    sf_error_free(err);
    sf_client_free(client);
}

/* A Retry-After longer than the caller accepts fails at once, telling the wait. (The quota
 * key is used only for GETs here, after its 402 test: the 429 pauses its pacer.) */
void test_long_retry_after_fails_fast(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_QUOTA, 3, 2000);
    struct want w = {SF_API_ERROR, 429, "daily_cap_exceeded", SF_KIND_RATE_LIMITED, 1};
    sf_error *err;
    double started;
    emu_reset(pyai_url());
    emu_fault(pyai_url(),
              "{\"route\": \"GET /v1/transcription/jobs\", \"count\": 1, \"action\": {\"kind\": \"status\","
              " \"status\": 429, \"content_type\": \"application/json\", \"headers\": [[\"retry-after\", \"3600\"]],"
              " \"body\": \"{\\\"error\\\": {\\\"message\\\": \\\"Daily cap reached.\\\","
              " \\\"type\\\": \\\"rate_limit_error\\\", \\\"code\\\": \\\"daily_cap_exceeded\\\", \\\"param\\\": null}}\"}}");
    started = sf_t_now_ms();
    err = get_error(client, "/v1/transcription/jobs", w);
    CHECK(sf_t_now_ms() - started < 10000.0); /* not an hour */
    CHECK_INT(sf_error_retry_after_ms(err), 3600000);
    CHECK_INT(emu_count(pyai_url(), "GET /v1/transcription/jobs", "429"), 1);
    sf_error_free(err);
    sf_client_free(client);
}

/* After the hour-long daily cap above, the next call on the key is not sent and keeps the
 * cap's code and status; the state tells the pause and its cause; a reset lifts it. */
void test_paused_key_refusal_keeps_cause(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_QUOTA, 3, 2000);
    struct want w = {SF_API_ERROR, 429, "daily_cap_exceeded", SF_KIND_RATE_LIMITED, 0};
    sf_response *resp = NULL;
    sf_error *err;
    char *json = NULL;
    emu_reset(pyai_url());
    err = get_error(client, "/v1/transcription/jobs", w);
    CHECK(sf_t_contains(sf_error_message(err), "not sent"));
    CHECK(sf_t_contains(sf_error_message(err), "Daily cap reached."));
    CHECK(sf_error_retry_after_ms(err) > 3500000 && sf_error_retry_after_ms(err) <= 3600000);
    CHECK_INT(emu_count(pyai_url(), "GET /v1/transcription/jobs", "429"), 0);
    sf_error_free(err);
    err = NULL;

    CHECK_RESULT(sf_client_pacing_state_json(client, &json, &err), SF_OK, err);
    CHECK(sf_t_contains(json, "\"surface\":\"default\""));
    CHECK(sf_t_contains(json, "\"code\":\"daily_cap_exceeded\""));
    CHECK(sf_t_contains(json, "\"status\":429"));
    sf_string_free(json);
    json = NULL;

    CHECK_RESULT(sf_client_reset_pacing(client, &err), SF_OK, err);
    CHECK_RESULT(sf_client_pacing_state_json(client, &json, &err), SF_OK, err);
    CHECK(sf_t_contains(json, "\"pause\":null"));
    CHECK(!sf_t_contains(json, "daily_cap_exceeded"));
    sf_string_free(json);
    /* The quota key's own daily cap may answer now, but the call is sent again. */
    (void)sf_client_request(client, "GET", "/v1/transcription/jobs", NULL, 0, NULL, &resp, &err);
    CHECK(resp != NULL || (err != NULL && sf_error_attempts(err) >= 1));
    sf_response_free(resp);
    sf_error_free(err);
    err = NULL;
    CHECK_RESULT(sf_client_pacing_state_json(NULL, &json, &err), SF_NULL_PARAMETER, err);
    sf_error_free(err);
    sf_pacing_reset_all();
    sf_client_free(client);
}

/* A surface given per client is paced apart, under its own limit, and named in the state. */
void test_surfaces_given_per_client(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    char *json = NULL;
    CHECK_RESULT(sf_client_options_set_base_url(opts, specala_url(), NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_api_key(opts, SPK_ALPHA, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_add_surface(opts, "/v1/keys", 180, 60000, 1, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_add_surface(opts, "*", 500, 60000, 1, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_add_surface(opts, "/v1/x", 5, 0, 1, NULL), SF_INVALID_ARGUMENT, NULL);
    CHECK_RESULT(sf_client_options_add_surface(opts, NULL, 5, 1000, 1, NULL), SF_NULL_PARAMETER, NULL);
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    CHECK_RESULT(sf_client_pacing_state_json(client, &json, &err), SF_OK, err);
    CHECK(sf_t_contains(json, "{\"learned\":null,\"limit\":\"500/min\",\"pause\":null,\"paused_for_ms\":null,\"surface\":\"default\"}"));
    CHECK(sf_t_contains(json, "\"limit\":\"180/min\""));
    CHECK(sf_t_contains(json, "\"surface\":\"/v1/keys\""));
    sf_string_free(json);
    sf_client_free(client);
    client = NULL;
    sf_error_free(err);
    err = NULL;

    CHECK_RESULT(sf_client_options_add_surface(opts, "v1", 1, 1000, 1, &err), SF_INVALID_ARGUMENT, err);
    CHECK(sf_t_contains(sf_error_message(err), "must be a path starting with `/`"));
    sf_error_free(err);
    err = NULL;
    /* A refused surface is not kept: the options still build. */
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    sf_client_free(client);
    sf_client_options_free(opts);
}
