/*
 * surefoot from C: create a PyAI transcription job exactly once (retries reuse the same
 * idempotency key), then list the newest jobs with the pager, handling errors by their
 * stable code.
 *
 *   cc quickstart.c $(pkg-config --cflags --libs surefoot) -o quickstart
 *   surefoot-emulator --api pyai            # prints its URL, e.g. http://127.0.0.1:40123
 *   PYAI_BASE_URL=http://127.0.0.1:40123 PYAI_API_KEY=pyai_sk_full_0001 ./quickstart
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <surefoot.h>

static int fail(const char *what, sf_error *err) {
    fprintf(stderr, "%s failed: %s (HTTP %u): %s\n", what, sf_error_code(err),
            (unsigned)sf_error_status(err), sf_error_message(err));
    if (sf_error_retry_after_ms(err) >= 0)
        fprintf(stderr, "  the server asks to wait %lld ms\n", (long long)sf_error_retry_after_ms(err));
    sf_error_free(err);
    return 1;
}

int main(void) {
    const char *base_url = getenv("PYAI_BASE_URL");
    const char *api_key = getenv("PYAI_API_KEY");
    sf_client_options *opts;
    sf_client *client = NULL;
    sf_job *job = NULL;
    sf_pager *pager = NULL;
    sf_error *err = NULL;
    const char *item;
    size_t len;
    int shown = 0;
    sf_result r;

    if (api_key == NULL) {
        fprintf(stderr, "set PYAI_API_KEY (and PYAI_BASE_URL for the emulator)\n");
        return 2;
    }
    printf("surefoot %s\n", sf_version());

    opts = sf_client_options_new();
    sf_client_options_set_api(opts, SF_API_PYAI, NULL);
    if (base_url != NULL) sf_client_options_set_base_url(opts, base_url, NULL);
    sf_client_options_set_api_key(opts, api_key, NULL);
    sf_client_options_set_deadline_ms(opts, 30000, NULL);        /* all attempts and waits */
    sf_client_options_set_rate_limit(opts, 20, 1000, 5, NULL);   /* 20 requests/s, bursts of 5 */
    r = sf_client_new(opts, &client, &err);
    sf_client_options_free(opts);
    if (r != SF_OK) return fail("sf_client_new", err);

    /* NULL idempotency key: the library generates one and reuses it on every retry. */
    r = sf_pyai_create_job(client, "https://example.com/meeting.wav", "en", "{\"source\": \"quickstart\"}",
                           NULL, &job, &err);
    if (r == SF_API_ERROR && strcmp(sf_error_code(err), "credit_exhausted") == 0) {
        fprintf(stderr, "add credit to your organisation first\n");
        sf_error_free(err);
        sf_client_free(client);
        return 1;
    }
    if (r != SF_OK) {
        sf_client_free(client);
        return fail("sf_pyai_create_job", err);
    }
    printf("created %s (%s)\n", sf_job_id(job), sf_job_status(job) ? sf_job_status(job) : "no status");
    sf_job_free(job);

    r = sf_client_paginate(client, "/v1/transcription/jobs", 50, &pager, &err);
    if (r != SF_OK) {
        sf_client_free(client);
        return fail("sf_client_paginate", err);
    }
    while (shown < 5 && (r = sf_pager_next(pager, &item, &len, &err)) == SF_OK) {
        printf("  %.*s\n", (int)len, item);
        shown++;
    }
    sf_pager_free(pager);
    sf_client_free(client);
    if (r != SF_OK && r != SF_DONE) return fail("sf_pager_next", err);
    printf("listed %d job(s)\n", shown);
    return 0;
}
