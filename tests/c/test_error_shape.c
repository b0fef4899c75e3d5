/*
 * Error-shape hints through the C ABI: a third API whose error bodies are neither
 * Specala's `detail` nor PyAI's envelope or problem+json (served by the emulator's
 * faults), decoded into its code, message and request id by a generic client given
 * sf_client_options_add_error_hint; without the hints, only the status's code.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define QUOTA                                                                              \
    "{\"route\": \"*\", \"count\": 2, \"action\": {\"kind\": \"status\", \"status\": 402,"   \
    " \"content_type\": \"application/json\", \"body\": \"{\\\"errors\\\": [{\\\"reason\\\":" \
    " \\\"quota_exceeded\\\", \\\"text\\\": \\\"Monthly quota used up.\\\"}], \\\"meta\\\":"  \
    " {\\\"trace\\\": \\\"tr-77\\\"}}\"}}"

static sf_client *generic(int with_hints, const char *bad_part) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    CHECK_RESULT(sf_client_options_set_base_url(opts, pyai_url(), NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_api_key(opts, PYAI_FULL, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_max_retries(opts, 0, NULL), SF_OK, NULL);
    if (with_hints) {
        CHECK_RESULT(sf_client_options_add_error_hint(opts, "code", "/errors/0/reason", NULL), SF_OK, NULL);
        CHECK_RESULT(sf_client_options_add_error_hint(opts, "message", "/errors/0/text", NULL), SF_OK, NULL);
        CHECK_RESULT(sf_client_options_add_error_hint(opts, "request_id", "/meta/trace", NULL), SF_OK, NULL);
    }
    if (bad_part) {
        /* Refused by the setter itself, with the core's message. */
        CHECK_RESULT(sf_client_options_add_error_hint(opts, bad_part, "/x", &err), SF_INVALID_ARGUMENT,
                     err);
        CHECK(sf_t_contains(sf_error_message(err), "unknown part"));
        CHECK_RESULT(sf_client_options_add_error_hint(opts, NULL, "/x", NULL), SF_NULL_PARAMETER, NULL);
    } else {
        CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    }
    sf_error_free(err);
    sf_client_options_free(opts);
    return client;
}

void test_error_hints_decode_a_third_apis_bodies(void) {
    sf_client *shaped = generic(1, NULL), *plain = generic(0, NULL);
    sf_response *resp = NULL;
    sf_error *err = NULL;
    emu_reset(pyai_url());
    emu_fault(pyai_url(), QUOTA);
    CHECK_RESULT(sf_client_request(shaped, "GET", "/v1/things/1", NULL, 0, NULL, &resp, &err),
                 SF_API_ERROR, err);
    CHECK_INT(sf_error_status(err), 402);
    CHECK_STR(sf_error_code(err), "quota_exceeded");
    CHECK_STR(sf_error_message(err), "Monthly quota used up.");
    CHECK_STR(sf_error_request_id(err), "tr-77");
    sf_error_free(err);
    err = NULL;
    CHECK_RESULT(sf_client_request(plain, "GET", "/v1/things/1", NULL, 0, NULL, &resp, &err),
                 SF_API_ERROR, err);
    CHECK_STR(sf_error_code(err), "payment_required");
    CHECK(resp == NULL);
    sf_error_free(err);
    CHECK(generic(0, "kode") == NULL);
    sf_client_free(shaped);
    sf_client_free(plain);
}
