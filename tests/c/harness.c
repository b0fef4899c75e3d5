/*
 * The runner and helpers declared in harness.h: runs every test of SF_TESTS in order,
 * counts a test as failed when any CHECK in it failed, prints the closing
 * "N passed, N failed" line and exits non-zero on any failure.
 */
#define _POSIX_C_SOURCE 200809L

#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int current_failures;
static const char *current_test;
static sf_client *admin_clients[2];

void sf_t_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    current_failures++;
    fprintf(stderr, "  FAIL %s (%s:%d): ", current_test, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int sf_t_streq(const char *a, const char *b) {
    if (a == NULL || b == NULL) return a == b;
    return strcmp(a, b) == 0;
}

int sf_t_contains(const char *haystack, const char *needle) {
    return haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
}

const char *sf_t_describe(const sf_error *err) {
    static char buf[1024];
    if (err == NULL) return "";
    snprintf(buf, sizeof buf, "%s (HTTP %u, %s): %s", sf_error_code(err),
             (unsigned)sf_error_status(err), sf_kind_name((int)sf_error_kind(err)),
             sf_error_message(err));
    return buf;
}

double sf_t_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static const char *env_url(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "%s is not set: run the tests through tests/c/run.sh\n", name);
        exit(2);
    }
    return v;
}

const char *specala_url(void) { return env_url("SF_TEST_SPECALA_URL"); }
const char *pyai_url(void) { return env_url("SF_TEST_PYAI_URL"); }
const char *specala_minimal_url(void) { return env_url("SF_TEST_SPECALA_MINIMAL_URL"); }
const char *pyai_minimal_url(void) { return env_url("SF_TEST_PYAI_MINIMAL_URL"); }

sf_client *sf_t_client(sf_api api, const char *key, uint32_t max_retries,
                       int64_t max_retry_wait_ms) {
    sf_client_options *opts = sf_client_options_new();
    sf_client *client = NULL;
    sf_error *err = NULL;
    const char *url = api == SF_API_SPECALA ? specala_url() : pyai_url();
    CHECK(opts != NULL);
    CHECK_RESULT(sf_client_options_set_api(opts, api, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_base_url(opts, url, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_api_key(opts, key, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_max_retries(opts, max_retries, NULL), SF_OK, NULL);
    CHECK_RESULT(sf_client_options_set_backoff_ms(opts, 20, 100, NULL), SF_OK, NULL);
    if (max_retry_wait_ms >= 0)
        CHECK_RESULT(sf_client_options_set_max_retry_wait_ms(opts, max_retry_wait_ms, NULL), SF_OK,
                     NULL);
    CHECK_RESULT(sf_client_new(opts, &client, &err), SF_OK, err);
    sf_error_free(err);
    sf_client_options_free(opts);
    return client;
}

static sf_client *admin_client(const char *url) {
    int i = sf_t_streq(url, specala_url()) ? 0 : 1;
    if (admin_clients[i] == NULL) {
        sf_client_options *opts = sf_client_options_new();
        sf_error *err = NULL;
        sf_client_options_set_base_url(opts, url, NULL);
        sf_client_options_set_max_retries(opts, 0, NULL);
        sf_client_options_set_pacing(opts, false, NULL);
        CHECK_RESULT(sf_client_new(opts, &admin_clients[i], &err), SF_OK, err);
        sf_error_free(err);
        sf_client_options_free(opts);
    }
    return admin_clients[i];
}

/* Sends an admin request; returns the body as a malloc'd string (caller frees) or NULL. */
static char *admin(const char *url, const char *method, const char *path, const char *body) {
    sf_response *resp = NULL;
    sf_error *err = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    char *copy = NULL;
    sf_result r = sf_client_request(admin_client(url), method, path, (const uint8_t *)body,
                                    body ? strlen(body) : 0, NULL, &resp, &err);
    CHECK_RESULT(r, SF_OK, err);
    if (r == SF_OK && sf_response_body(resp, &data, &len) == SF_OK) {
        copy = malloc(len + 1);
        if (copy != NULL) {
            memcpy(copy, data, len);
            copy[len] = '\0';
        }
    }
    sf_response_free(resp);
    sf_error_free(err);
    return copy;
}

void emu_reset(const char *url) {
    free(admin(url, "DELETE", "/__emulator/faults", NULL));
    free(admin(url, "POST", "/__emulator/stats/reset", NULL));
}

void emu_fault(const char *url, const char *fault_json) {
    free(admin(url, "POST", "/__emulator/faults", fault_json));
}

/* The number after `"key":` at or after `from` in `json`, or -1. */
static long number_after(const char *json, const char *key) {
    char pattern[256];
    const char *p;
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    p = json ? strstr(json, pattern) : NULL;
    if (p == NULL) return -1;
    return strtol(p + strlen(pattern), NULL, 10);
}

long emu_stat(const char *url, const char *field) {
    char *stats = admin(url, "GET", "/__emulator/stats", NULL);
    long n = number_after(stats, field);
    free(stats);
    return n;
}

long emu_count(const char *url, const char *route, const char *status) {
    char *stats = admin(url, "GET", "/__emulator/stats", NULL);
    char pattern[256];
    long n = 0;
    const char *p, *end;
    snprintf(pattern, sizeof pattern, "\"%s\":{", route);
    p = stats ? strstr(stats, pattern) : NULL;
    if (p != NULL) {
        char *object;
        p += strlen(pattern);
        end = strchr(p, '}');
        object = malloc((size_t)(end - p) + 1);
        memcpy(object, p, (size_t)(end - p));
        object[end - p] = '\0';
        n = number_after(object, status);
        if (n < 0) n = 0;
        free(object);
    }
    free(stats);
    return n;
}

#define SF_ENTRY(name) {#name, test_##name},
static const struct {
    const char *name;
    void (*run)(void);
} tests[] = {SF_TESTS(SF_ENTRY)};

/* This program's path as started (not /proc/self/exe: under valgrind that is valgrind). */
const char *sf_t_self = NULL;

int main(int argc, char **argv) {
    size_t i;
    int passed = 0, failed = 0;
    sf_t_self = argc > 0 ? argv[0] : NULL;
    /* A child process a test started (and may kill): run its part and exit. */
    if (getenv("SF_T_CHILD")) {
        current_test = getenv("SF_T_CHILD");
        return sf_t_child_main(current_test);
    }
    for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        double started = sf_t_now_ms();
        current_test = tests[i].name;
        current_failures = 0;
        tests[i].run();
        if (current_failures == 0) {
            passed++;
            printf("ok   %-45s %6.0f ms\n", tests[i].name, sf_t_now_ms() - started);
        } else {
            failed++;
            printf("FAIL %-45s %6.0f ms\n", tests[i].name, sf_t_now_ms() - started);
        }
        fflush(stdout);
    }
    sf_client_free(admin_clients[0]);
    sf_client_free(admin_clients[1]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
