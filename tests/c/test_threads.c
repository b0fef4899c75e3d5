/*
 * One client shared by 8 threads at once: every call succeeds, each thread's responses are
 * its own, and the client-side rate limit set through the options keeps all of them under
 * the emulator's per-key limit (no 429 reaches the server's books).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define THREADS 8
#define CALLS 10

struct worker {
    sf_client *client;
    int index;
    int ok;
    int matched;
};

static void *work(void *arg) {
    struct worker *w = arg;
    int i;
    for (i = 0; i < CALLS; i++) {
        char path[128], needle[64];
        sf_response *resp = NULL;
        sf_error *err = NULL;
        int n = w->index * CALLS + i;
        snprintf(path, sizeof path, "/v1/transcriptions/tr_beta_%06d", n);
        snprintf(needle, sizeof needle, "\"id\":\"tr_beta_%06d\"", n);
        if (sf_client_request(w->client, "GET", path, NULL, 0, NULL, &resp, &err) == SF_OK) {
            const uint8_t *body = NULL;
            size_t len = 0;
            w->ok++;
            if (sf_response_body(resp, &body, &len) == SF_OK) {
                char text[4096];
                size_t k = len < sizeof text - 1 ? len : sizeof text - 1;
                memcpy(text, body, k);
                text[k] = '\0';
                if (strstr(text, needle) != NULL) w->matched++;
            }
        } else {
            fprintf(stderr, "  thread %d call %d: %s\n", w->index, i, sf_t_describe(err));
        }
        sf_response_free(resp);
        sf_error_free(err);
    }
    return NULL;
}

void test_eight_threads_share_one_client(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    int i, ok = 0, matched = 0;

    /* A second Specala workspace key, paced at 40/s with bursts of 8. */
    sf_client_options_set_api(opts, SF_API_SPECALA, NULL);
    sf_client_options_set_base_url(opts, specala_url(), NULL);
    sf_client_options_set_api_key(opts, "spk_beta_pro_0002", NULL);
    sf_client_options_set_rate_limit(opts, 40, 1000, 8, NULL);
    sf_client_options_set_deadline_ms(opts, 60000, NULL);
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    sf_client_options_free(opts);
    if (client == NULL) return;
    emu_reset(specala_url());
    for (i = 0; i < THREADS; i++) {
        workers[i].client = client;
        workers[i].index = i;
        workers[i].ok = workers[i].matched = 0;
        CHECK_INT(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        ok += workers[i].ok;
        matched += workers[i].matched;
    }
    CHECK_INT(ok, THREADS * CALLS);
    CHECK_INT(matched, THREADS * CALLS);
    CHECK_INT(emu_count(specala_url(), "GET /v1/transcriptions/{id}", "200"), THREADS * CALLS);
    CHECK_INT(emu_stat(specala_url(), "rate_limited"), 0);
    sf_client_free(client);
    sf_error_free(err);
}
