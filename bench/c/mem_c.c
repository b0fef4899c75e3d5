/* Memory of the C side (issue 24, item 4), driven by bench/mem.py.
 *
 *   mem_c surefoot|curl URL KEY JOB_ID CLIENTS INFLIGHT
 *
 * 1. Idle clients: CLIENTS clients made on this thread, each after one GET of the job (its
 *    connection kept idle): `surefoot` makes sf_clients, `curl` easy handles (each keeps
 *    its own connection). Resident memory before and after.
 * 2. Requests in flight: INFLIGHT threads, each one GET of the job (the server holds every
 *    answer: bench/mem.py injects a delay first), `surefoot` on one shared sf_client (the
 *    library's way), `curl` with an easy handle per thread. Resident memory is sampled
 *    while all of them wait, the peak kept; then they are joined.
 * Prints one JSON line: {"rss_base_kb", "rss_idle_kb", "rss_inflight_base_kb",
 * "rss_inflight_kb", "ok", "failed"} after the line "go" on stdin (between 1 and 2, so
 * the driver can arm the delay).
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "surefoot.h"

static const char *g_client, *g_url, *g_key;
static char g_target[1024], g_path[512], g_auth[512];
static sf_client *g_shared;
static atomic_long g_ok, g_failed, g_started;

static long rss_kb(void) {
    long pages = 0, size = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &pages) != 2) pages = 0;
        fclose(f);
    }
    return pages * sysconf(_SC_PAGESIZE) / 1024;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user) {
    (void)data;
    (void)user;
    return size * nmemb;
}

static sf_client *new_sf(void) {
    sf_client_options *opts = sf_client_options_new();
    sf_client_options_set_api(opts, SF_API_PYAI, NULL);
    sf_client_options_set_base_url(opts, g_url, NULL);
    sf_client_options_set_api_key(opts, g_key, NULL);
    sf_client *c = NULL;
    sf_error *err = NULL;
    if (sf_client_new(opts, &c, &err) != SF_OK) {
        fprintf(stderr, "%s: %s\n", sf_error_code(err), sf_error_message(err));
        exit(1);
    }
    sf_client_options_free(opts);
    return c;
}

static int get_sf(sf_client *c) {
    sf_response *resp = NULL;
    sf_error *err = NULL;
    if (sf_client_request(c, "GET", g_path, NULL, 0, NULL, &resp, &err) != SF_OK) {
        sf_error_free(err);
        return 0;
    }
    sf_response_free(resp);
    return 1;
}

static CURL *new_easy(struct curl_slist *headers) {
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, g_target);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, 60L);
    return easy;
}

static int get_easy(CURL *easy) {
    long code = 0;
    return curl_easy_perform(easy) == CURLE_OK &&
           curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200;
}

static void *in_flight(void *headers) {
    int ok;
    atomic_fetch_add(&g_started, 1);
    if (strcmp(g_client, "curl") == 0) {
        CURL *easy = new_easy(headers);
        ok = get_easy(easy);
        curl_easy_cleanup(easy);
    } else {
        ok = get_sf(g_shared);
    }
    atomic_fetch_add(ok ? &g_ok : &g_failed, 1);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s surefoot|curl URL KEY JOB_ID CLIENTS INFLIGHT\n", argv[0]);
        return 2;
    }
    g_client = argv[1];
    g_url = argv[2];
    g_key = argv[3];
    int clients = atoi(argv[5]), inflight = atoi(argv[6]);
    snprintf(g_path, sizeof g_path, "/v1/transcription/jobs/%s", argv[4]);
    snprintf(g_target, sizeof g_target, "%s%s", g_url, g_path);
    snprintf(g_auth, sizeof g_auth, "Authorization: Bearer %s", g_key);
    int curl = strcmp(g_client, "curl") == 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct curl_slist *headers = curl_slist_append(NULL, g_auth);

    long base = rss_kb();
    void **made = calloc((size_t)clients, sizeof(void *));
    for (int i = 0; i < clients; i++) {
        if (curl) {
            made[i] = new_easy(headers);
            if (!get_easy(made[i])) atomic_fetch_add(&g_failed, 1);
        } else {
            made[i] = new_sf();
            if (!get_sf(made[i])) atomic_fetch_add(&g_failed, 1);
        }
    }
    long idle = rss_kb();
    if (!curl) g_shared = made[0];

    printf("ready\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return 1;

    long flight_base = rss_kb(), peak = flight_base;
    pthread_t *tid = calloc((size_t)inflight, sizeof(pthread_t));
    for (int t = 0; t < inflight; t++) {
        pthread_create(&tid[t], NULL, in_flight, headers);
        /* Making a thousand threads takes a while on a loaded machine: sampled meanwhile. */
        if (t % 50 == 49 && atomic_load(&g_ok) + atomic_load(&g_failed) == 0) {
            long now = rss_kb();
            if (now > peak) peak = now;
        }
    }
    /* Sampled while the server holds the answers (none back yet: it holds them 10 s). */
    for (int i = 0; i < 180 && atomic_load(&g_ok) + atomic_load(&g_failed) == 0; i++) {
        long now = rss_kb();
        if (now > peak) peak = now;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&g_started) < inflight)
        fprintf(stderr, "only %ld of %d threads had started while sampled\n", atomic_load(&g_started), inflight);
    for (int t = 0; t < inflight; t++) pthread_join(tid[t], NULL);
    printf("{\"rss_base_kb\": %ld, \"rss_idle_kb\": %ld, \"rss_inflight_base_kb\": %ld, "
           "\"rss_inflight_kb\": %ld, \"ok\": %ld, \"failed\": %ld}\n",
           base, idle, flight_base, peak, atomic_load(&g_ok), atomic_load(&g_failed));
    fflush(stdout);
    for (int i = 0; i < clients; i++) {
        if (curl)
            curl_easy_cleanup(made[i]);
        else
            sf_client_free(made[i]);
    }
    curl_slist_free_all(headers);
    curl_global_cleanup();
    return 0;
}
