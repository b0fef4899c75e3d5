/*
 * Several C processes on one API key, pacing together through Redis: the parent forks
 * SF_FLEET_PROCESSES children (before any surefoot call, so none inherits the library's
 * threads), each makes its share of GET /v1/transcription/jobs on the PyAI emulator with
 * `sf_client_options_set_pacing_store(opts, SF_TEST_REDIS_URL, NULL)` and a limit a tenth
 * under the emulator's (45/s burst 9 against 50/s burst 10: calls paced exactly at a limit
 * can arrive closer together than they were sent on a loaded machine; without the shared
 * store the processes together would send several times the limit), then the parent checks that every call succeeded and that the
 * emulator answered no 429. Also checks that a malformed store URL is refused with a
 * message that names the problem and never the password. Needs SF_TEST_PYAI_URL
 * (tests/c/run.sh) and SF_TEST_REDIS_URL (tests/c/with_redis.sh); prints
 * "N passed, N failed".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "surefoot.h"

#define PROCESSES 3
#define CALLS_PER_PROCESS 40

static int passed, failed;

static void check(int ok, const char *what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAILED: %s\n", what);
    }
}

static sf_client *client_for(const char *url, const char *store, uint32_t rps, uint32_t burst,
                             int pacing) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    sf_client_options_set_api(opts, SF_API_PYAI, NULL);
    sf_client_options_set_base_url(opts, url, NULL);
    sf_client_options_set_api_key(opts, "pyai_sk_full_0001", NULL);
    sf_client_options_set_backoff_ms(opts, 20, 200, NULL);
    if (rps > 0) sf_client_options_set_rate_limit(opts, rps, 1000, burst, NULL);
    sf_client_options_set_pacing(opts, pacing != 0, NULL);
    if (store != NULL && sf_client_options_set_pacing_store(opts, store, NULL) != SF_OK) {
        fprintf(stderr, "bad pacing store URL\n");
    }
    if (sf_client_new(opts, &client, &err) != SF_OK) {
        fprintf(stderr, "sf_client_new: %s\n", err ? sf_error_message(err) : "?");
        sf_error_free(err);
        client = NULL;
    }
    sf_client_options_free(opts);
    return client;
}

/* One child: its calls; exits with the number that failed. */
static int child(const char *url, const char *store) {
    sf_client *client = client_for(url, store, 45, 9, 1);
    int fails = 0;
    int i;
    if (client == NULL) return CALLS_PER_PROCESS;
    for (i = 0; i < CALLS_PER_PROCESS; i++) {
        sf_response *resp = NULL;
        sf_error *err = NULL;
        if (sf_client_request(client, "GET", "/v1/transcription/jobs", NULL, 0, NULL, &resp,
                              &err) != SF_OK) {
            fprintf(stderr, "call failed: %s\n", err ? sf_error_message(err) : "?");
            fails++;
        }
        sf_response_free(resp);
        sf_error_free(err);
    }
    sf_client_free(client);
    return fails;
}

/* The number after `"field":` in the emulator's stats, or -1. */
static long emu_stat(const char *url, const char *field) {
    sf_client *admin = client_for(url, NULL, 0, 0, 0);
    sf_response *resp = NULL;
    sf_error *err = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    long n = -1;
    if (admin == NULL) return -1;
    if (sf_client_request(admin, "GET", "/__emulator/stats", NULL, 0, NULL, &resp, &err) ==
            SF_OK &&
        sf_response_body(resp, &data, &len) == SF_OK) {
        char pattern[128];
        char *body = malloc(len + 1);
        const char *p;
        memcpy(body, data, len);
        body[len] = '\0';
        snprintf(pattern, sizeof pattern, "\"%s\":", field);
        p = strstr(body, pattern);
        if (p != NULL) n = strtol(p + strlen(pattern), NULL, 10);
        free(body);
    }
    sf_response_free(resp);
    sf_error_free(err);
    sf_client_free(admin);
    return n;
}

static void bad_url_is_refused(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    sf_client_options_set_base_url(opts, "http://127.0.0.1:9", NULL);
    check(sf_client_options_set_pacing_store(opts, "redis://:hunter2@127.0.0.1:6379/zero", &err) ==
              SF_INVALID_ARGUMENT,
          "a malformed store URL is SF_INVALID_ARGUMENT");
    check(err != NULL && strstr(sf_error_message(err), "database number") != NULL,
          "the message names the problem");
    check(err != NULL && strstr(sf_error_message(err), "hunter2") == NULL,
          "the message never shows the password");
    sf_error_free(err);
    err = NULL;
    check(sf_client_new(opts, &client, &err) == SF_OK, "the refused URL was not kept");
    sf_error_free(err);
    sf_client_free(client);
    check(sf_client_options_set_pacing_store(opts, NULL, NULL) == SF_OK, "NULL restores the default");
    check(sf_client_options_set_pacing_store(opts, "memory", NULL) == SF_OK, "memory is accepted");
    sf_client_options_free(opts);
}

int main(void) {
    const char *url = getenv("SF_TEST_PYAI_URL");
    const char *store = getenv("SF_TEST_REDIS_URL");
    pid_t pids[PROCESSES];
    int total_fails = 0;
    int i;
    if (url == NULL || store == NULL) {
        fprintf(stderr, "SF_TEST_PYAI_URL and SF_TEST_REDIS_URL must be set\n");
        return 2;
    }
    for (i = 0; i < PROCESSES; i++) {
        pids[i] = fork();
        if (pids[i] == 0) _exit(child(url, store));
    }
    for (i = 0; i < PROCESSES; i++) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        total_fails += WIFEXITED(status) ? WEXITSTATUS(status) : CALLS_PER_PROCESS;
    }
    check(total_fails == 0, "every call of every process succeeded");
    check(emu_stat(url, "rate_limited") == 0, "the emulator answered no 429");
    bad_url_is_refused();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
