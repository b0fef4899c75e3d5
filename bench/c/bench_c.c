/* The C side of `make bench` (per-request overhead), driven by bench/run.py.
 *
 *   bench_c surefoot|curl URL KEY JOB_ID N CONCURRENCY WARMUP
 *
 * GETs /v1/transcription/jobs/JOB_ID N times from CONCURRENCY threads pulling from one
 * counter: `surefoot` shares one sf_client between the threads (the library's way);
 * `curl` gives each thread one libcurl easy handle reused for every request
 * (keep-alive), the fastest plain libcurl gets. Both read the whole body. The process
 * prints "ready" after WARMUP requests, waits for a line on stdin, runs, and prints one
 * JSON line (wall and CPU time, successes, failures, RSS, CLOCK_MONOTONIC timestamps).
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "surefoot.h"

static const char *g_client, *g_url, *g_key, *g_job;
static char g_target[1024], g_path[512], g_auth[512];
static sf_client *g_sf;
static atomic_long g_next, g_ok, g_failed;
static long g_n;

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long rss_kb(void) {
    long pages = 0, size = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &pages) != 2) pages = 0;
        fclose(f);
    }
    return pages * sysconf(_SC_PAGESIZE) / 1024;
}

/* Peak RSS of this process image (VmHWM); ru_maxrss is carried over execve from the
 * forking parent (the Python driver). */
static long hwm_kb(void) {
    char line[256];
    long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) kb = atol(line + 6);
    fclose(f);
    return kb;
}

typedef struct {
    size_t len;
} sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *user) {
    (void)data;
    ((sink *)user)->len += size * nmemb;
    return size * nmemb;
}

static int one_surefoot(void) {
    sf_response *resp = NULL;
    sf_error *err = NULL;
    if (sf_client_request(g_sf, "GET", g_path, NULL, 0, NULL, &resp, &err) != SF_OK) {
        sf_error_free(err);
        return 0;
    }
    const uint8_t *body = NULL;
    size_t len = 0;
    int ok = sf_response_body(resp, &body, &len) == SF_OK && len > 0;
    sf_response_free(resp);
    return ok;
}

static void *worker(void *arg) {
    long limit = *(long *)arg;
    CURL *easy = NULL;
    struct curl_slist *headers = NULL;
    sink s = {0};
    if (strcmp(g_client, "curl") == 0) {
        easy = curl_easy_init();
        headers = curl_slist_append(NULL, g_auth);
        curl_easy_setopt(easy, CURLOPT_URL, g_target);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT, 60L);
    }
    for (;;) {
        long i = atomic_fetch_add(&g_next, 1);
        if (i >= limit) break;
        int ok;
        if (easy) {
            long code = 0;
            s.len = 0;
            ok = curl_easy_perform(easy) == CURLE_OK &&
                 curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
                 code == 200 && s.len > 0;
        } else {
            ok = one_surefoot();
        }
        atomic_fetch_add(ok ? &g_ok : &g_failed, 1);
    }
    if (easy) {
        curl_easy_cleanup(easy);
        curl_slist_free_all(headers);
    }
    return NULL;
}

static double run(long n, int threads) {
    pthread_t tid[256];
    static long limit;
    limit = n;
    atomic_store(&g_next, 0);
    atomic_store(&g_ok, 0);
    atomic_store(&g_failed, 0);
    for (int t = 0; t < threads; t++) pthread_create(&tid[t], NULL, worker, &limit);
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    return mono();
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s surefoot|curl URL KEY JOB_ID N CONCURRENCY WARMUP\n", argv[0]);
        return 2;
    }
    g_client = argv[1];
    g_url = argv[2];
    g_key = argv[3];
    g_job = argv[4];
    g_n = atol(argv[5]);
    int threads = atoi(argv[6]);
    long warmup = atol(argv[7]);
    if (threads < 1 || threads > 256) threads = 1;
    snprintf(g_path, sizeof g_path, "/v1/transcription/jobs/%s", g_job);
    snprintf(g_target, sizeof g_target, "%s%s", g_url, g_path);
    snprintf(g_auth, sizeof g_auth, "Authorization: Bearer %s", g_key);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(g_client, "surefoot") == 0) {
        sf_client_options *opts = sf_client_options_new();
        sf_client_options_set_api(opts, SF_API_PYAI, NULL);
        sf_client_options_set_base_url(opts, g_url, NULL);
        sf_client_options_set_api_key(opts, g_key, NULL);
        sf_error *err = NULL;
        if (sf_client_new(opts, &g_sf, &err) != SF_OK) {
            fprintf(stderr, "%s: %s\n", sf_error_code(err), sf_error_message(err));
            return 1;
        }
        sf_client_options_free(opts);
    } else if (strcmp(g_client, "curl") != 0) {
        fprintf(stderr, "unknown client %s\n", g_client);
        return 2;
    }

    run(warmup, threads);
    printf("ready\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return 1;

    long rss_before = rss_kb();
    double t0 = mono(), c0 = cpu();
    double last = run(g_n, threads);
    double t1 = mono(), c1 = cpu();
    printf("{\"wall_s\": %.6f, \"cpu_s\": %.6f, \"ok\": %ld, \"failed\": %ld, \"t_start\": %.6f, "
           "\"t_end\": %.6f, \"last_done\": %.6f, \"rss_before_kb\": %ld, \"maxrss_kb\": %ld, "
           "\"curl_version\": \"%s\"}\n",
           t1 - t0, c1 - c0, atomic_load(&g_ok), atomic_load(&g_failed), t0, t1, last, rss_before,
           hwm_kb(), curl_version_info(CURLVERSION_NOW)->version);
    fflush(stdout);
    sf_client_free(g_sf);
    curl_global_cleanup();
    return 0;
}
