/*
 * HTTPS from C, against nginx with a certificate signed by a private CA
 * (tests/c/with_tls.sh): with `sf_client_options_set_ca_file` the call succeeds; without
 * it, the call fails at once (one attempt, not retryable) and the message says to give
 * the CA as ca_file; `sf_client_describe_option` reads the option back.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *tls_env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        sf_t_fail(__FILE__, __LINE__, "%s is not set: run through tests/c/with_tls.sh", name);
        return NULL;
    }
    return v;
}

static sf_client *tls_client(const char *url, const char *ca) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    CHECK_RESULT(sf_client_options_set_base_url(opts, url, &err), SF_OK, err);
    CHECK_RESULT(sf_client_options_set_api_key(opts, PYAI_FULL, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_ca_file(opts, ca, &err), SF_OK, err);
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    sf_error_free(err);
    sf_client_options_free(opts);
    return client;
}

void test_https_with_a_private_ca(void) {
    const char *url = tls_env("SF_TEST_TLS_URL"), *ca = tls_env("SF_TEST_TLS_CA");
    sf_client *client;
    sf_response *resp = NULL;
    sf_error *err = NULL;
    const uint8_t *body = NULL;
    size_t len = 0;
    char *text = NULL;
    if (url == NULL || ca == NULL) return;

    client = tls_client(url, ca);
    CHECK_RESULT(sf_client_request(client, "GET", "/v1/transcription/jobs/job_tls", NULL, 0, NULL,
                                   &resp, &err),
                 SF_OK, err);
    if (resp != NULL) {
        CHECK_INT(sf_response_status(resp), 200);
        char copy[512];
        CHECK_RESULT(sf_response_body(resp, &body, &len), SF_OK, NULL);
        CHECK(len > 0 && len < sizeof copy);
        len = len < sizeof copy ? len : sizeof copy - 1;
        memcpy(copy, body, len);
        copy[len] = '\0';
        CHECK(sf_t_contains(copy, "\"served_by\": \"nginx\""));
    }
    CHECK_RESULT(sf_client_describe_option(client, "ca_file", &text, NULL), SF_OK, NULL);
    CHECK_STR(text, ca);
    sf_string_free(text);
    sf_response_free(resp);
    sf_client_free(client);

    /* Without the CA: refused by TLS at once, and the message says what to do. */
    client = tls_client(url, NULL);
    resp = NULL;
    CHECK_RESULT(sf_client_request(client, "GET", "/v1/transcription/jobs/job_tls", NULL, 0, NULL,
                                   &resp, &err),
                 SF_CONNECTION_ERROR, err);
    CHECK(resp == NULL);
    CHECK_INT(sf_error_kind(err), SF_KIND_CONNECTION);
    CHECK_INT(sf_error_attempts(err), 1);
    CHECK(!sf_error_is_retryable(err));
    CHECK(sf_t_contains(sf_error_message(err), "UnknownIssuer"));
    CHECK(sf_t_contains(sf_error_message(err), "as ca_file"));
    CHECK(!sf_t_contains(sf_error_message(err), PYAI_FULL));
    sf_error_free(err);
    sf_client_free(client);
}
