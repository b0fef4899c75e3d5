/*
 * Bulk work through the C ABI: sf_pyai_create_jobs exactly once through dropped
 * connections and resets, and after a run stopped halfway (the emulator's job count is
 * the judge), and in a child process SIGKILLed halfway then run again;
 * sf_pyai_create_jobs_with delivering results as completed, with progress; sf_specala_export_all into a directory, resumed after an interruption
 * (every document once, complete, no temporaries).
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define JOBS "/v1/transcription/jobs"
#define N_JOBS 24

/* What the callbacks saw, per item. */
typedef struct {
    int calls[N_JOBS];
    char job_id[N_JOBS][64];
    char key[N_JOBS][64];
    char code[N_JOBS][64];
    size_t results; /* callbacks so far */
    int in_order;
} seen_t;

static void on_result(void *user_data, size_t index, const sf_job *job, const sf_error *error,
                      const char *idempotency_key) {
    seen_t *seen = (seen_t *)user_data;
    if (index >= N_JOBS) return;
    if (index != seen->results) seen->in_order = 0; /* results come in input order */
    seen->results++;
    seen->calls[index]++;
    snprintf(seen->key[index], sizeof seen->key[index], "%s", idempotency_key ? idempotency_key : "");
    snprintf(seen->job_id[index], sizeof seen->job_id[index], "%s", job ? sf_job_id(job) : "");
    snprintf(seen->code[index], sizeof seen->code[index], "%s", error ? sf_error_code(error) : "");
}

static void make_items(sf_job_params *items, char urls[][64], const char *tag, int with_ids) {
    static char ids[N_JOBS][32];
    int i;
    for (i = 0; i < N_JOBS; i++) {
        snprintf(urls[i], 64, "https://example.com/c-bulk/%s/%d.wav", tag, i);
        snprintf(ids[i], sizeof ids[i], "%s-order-%d", tag, i);
        memset(&items[i], 0, sizeof items[i]);
        items[i].audio_url = urls[i];
        items[i].language = (i % 2) ? "en" : NULL;
        items[i].metadata_json = (i % 3) ? "{\"batch\": 1}" : NULL;
        items[i].stable_id = with_ids ? ids[i] : NULL;
    }
}

static int all_done(const seen_t *seen) {
    int i;
    for (i = 0; i < N_JOBS; i++)
        if (seen->calls[i] != 1 || seen->job_id[i][0] == '\0' || seen->code[i][0] != '\0') return 0;
    return 1;
}

void test_create_jobs_exactly_once(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_job_params items[N_JOBS];
    char urls[N_JOBS][64];
    sf_error *err = NULL;
    seen_t *first = calloc(1, sizeof *first), *again = calloc(1, sizeof *again);
    int i, same = 1;
    first->in_order = again->in_order = 1;
    make_items(items, urls, "once", 0);
    emu_reset(pyai_url());
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 3, \"action\": {\"kind\": \"drop_after_processing\"}}");
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 2, \"action\": {\"kind\": \"reset\"}}");
    CHECK_RESULT(sf_pyai_create_jobs(client, items, N_JOBS, 4, on_result, first, &err), SF_OK, err);
    CHECK(all_done(first));
    CHECK(first->in_order);
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), N_JOBS);
    CHECK(sf_t_contains(first->key[0], "sf-"));

    /* The same items again: every job replayed, none created, the same keys. */
    CHECK_RESULT(sf_pyai_create_jobs(client, items, N_JOBS, 0, on_result, again, &err), SF_OK, err);
    CHECK(all_done(again));
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), N_JOBS);
    for (i = 0; i < N_JOBS; i++)
        if (strcmp(first->key[i], again->key[i]) || strcmp(first->job_id[i], again->job_id[i])) same = 0;
    CHECK(same);

    /* Refused before anything is sent. */
    items[3].audio_url = NULL;
    CHECK_RESULT(sf_pyai_create_jobs(client, items, N_JOBS, 4, on_result, again, &err), SF_NULL_PARAMETER, err);
    CHECK_RESULT(sf_pyai_create_jobs(client, NULL, 0, 4, NULL, NULL, &err), SF_OK, err);
    free(first);
    free(again);
    sf_error_free(err);
    sf_client_free(client);
}

void test_create_jobs_stopped_then_resubmitted(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 0, -1);
    sf_job_params items[N_JOBS];
    char urls[N_JOBS][64];
    sf_error *err = NULL;
    seen_t *stopped = calloc(1, sizeof *stopped), *after = calloc(1, sizeof *after);
    int i, every_item_called = 1, not_done = 0;
    stopped->in_order = after->in_order = 1;
    make_items(items, urls, "stop", 1);
    emu_reset(pyai_url());
    /* A few jobs first, then the key is refused: the run stops. */
    CHECK_RESULT(sf_pyai_create_jobs(client, items, 5, 2, NULL, NULL, &err), SF_OK, err);
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), 5);
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 0, \"action\": {\"kind\": \"status\","
                          " \"status\": 401, \"body\": \"{\\\"error\\\": {\\\"message\\\": \\\"revoked\\\","
                          " \\\"code\\\": \\\"unauthorized\\\"}}\"}}");
    CHECK_RESULT(sf_pyai_create_jobs(client, items, N_JOBS, 2, on_result, stopped, &err), SF_API_ERROR, err);
    CHECK_STR(sf_error_code(err), "unauthorized");
    for (i = 0; i < N_JOBS; i++) {
        if (stopped->calls[i] != 1) every_item_called = 0;
        if (sf_t_streq(stopped->code[i], "not_done")) not_done++;
    }
    CHECK(every_item_called);
    CHECK(not_done > 0);
    sf_error_free(err);
    err = NULL;

    /* Resubmitted with the same keys: exactly one job per item in the end. */
    emu_reset(pyai_url());
    CHECK_RESULT(sf_pyai_create_jobs(client, items, N_JOBS, 4, on_result, after, &err), SF_OK, err);
    CHECK(all_done(after));
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), N_JOBS - 5);
    CHECK_INT(emu_stat(pyai_url(), "idempotent_replays"), 5);
    free(stopped);
    free(after);
    sf_error_free(err);
    sf_client_free(client);
}

/* What the progress callback of sf_pyai_create_jobs_with saw. */
typedef struct {
    seen_t seen;
    size_t progress_calls;
    int progress_monotonic; /* done + failed + not_done never went down */
    sf_create_jobs_progress last;
} run_t;

static void on_run_result(void *user_data, size_t index, const sf_job *job, const sf_error *error,
                          const char *idempotency_key) {
    on_result(&((run_t *)user_data)->seen, index, job, error, idempotency_key);
}

static void on_jobs_progress(void *user_data, const sf_create_jobs_progress *p) {
    run_t *run = (run_t *)user_data;
    size_t before = run->last.done + run->last.failed + run->last.not_done;
    if (p->done + p->failed + p->not_done < before) run->progress_monotonic = 0;
    run->progress_calls++;
    run->last = *p;
}

void test_create_jobs_as_completed_with_progress(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_job_params items[N_JOBS];
    char urls[N_JOBS][64];
    sf_error *err = NULL;
    run_t *run = calloc(1, sizeof *run), *ordered = calloc(1, sizeof *ordered);
    sf_create_jobs_options o;
    make_items(items, urls, "completed", 0);
    run->seen.in_order = ordered->seen.in_order = 1;
    run->progress_monotonic = ordered->progress_monotonic = 1;
    emu_reset(pyai_url());
    /* The first creation to arrive is held 600 ms: as completed, later items overtake it. */
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 1, \"action\": {\"kind\": \"delay\", \"ms\": 600}}");
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 2, \"action\": {\"kind\": \"drop_after_processing\"}}");
    memset(&o, 0, sizeof o);
    o.concurrency = 4;
    o.as_completed = true;
    o.progress = on_jobs_progress;
    CHECK_RESULT(sf_pyai_create_jobs_with(client, items, N_JOBS, &o, on_run_result, run, &err), SF_OK, err);
    CHECK(all_done(&run->seen));
    CHECK(!run->seen.in_order);
    CHECK_INT(run->seen.results, N_JOBS);
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), N_JOBS);
    CHECK_INT(run->progress_calls, N_JOBS);
    CHECK(run->progress_monotonic);
    CHECK_INT(run->last.total, N_JOBS);
    CHECK_INT(run->last.done, N_JOBS);
    CHECK_INT(run->last.failed + run->last.not_done, 0);
    CHECK_INT(run->last.submitted, N_JOBS);

    /* In input order with a progress callback (every job replayed), though one is held. */
    o.as_completed = false;
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 1, \"action\": {\"kind\": \"delay\", \"ms\": 300}}");
    CHECK_RESULT(sf_pyai_create_jobs_with(client, items, N_JOBS, &o, on_run_result, ordered, &err), SF_OK, err);
    CHECK(all_done(&ordered->seen));
    CHECK(ordered->seen.in_order);
    CHECK_INT(ordered->last.done, N_JOBS);
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), N_JOBS);
    /* NULL options: the defaults, no progress. */
    CHECK_RESULT(sf_pyai_create_jobs_with(client, items, 3, NULL, NULL, NULL, &err), SF_OK, err);
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), N_JOBS);
    free(run);
    free(ordered);
    sf_error_free(err);
    sf_client_free(client);
}

/* Kinds of the errors of a run, per item. */
typedef struct {
    int done, not_done_kind, other;
    char message[512];
} kinds_t;

static void on_kind(void *user_data, size_t index, const sf_job *job, const sf_error *error,
                    const char *idempotency_key) {
    kinds_t *k = (kinds_t *)user_data;
    (void)index;
    (void)idempotency_key;
    if (job) {
        k->done++;
    } else if (sf_error_kind(error) == SF_KIND_NOT_DONE) {
        k->not_done_kind++;
        snprintf(k->message, sizeof k->message, "%s", sf_error_message(error));
    } else {
        k->other++;
    }
}

/* A key allowed 3 jobs, 5 items, one at a time: what the server created is reported done,
 * the 402 stops the run, the items after it are not done (their own kind, naming the 402);
 * the core's rule refuses concurrency 300 before anything is sent. */
void test_create_jobs_budget_reports_what_the_server_holds(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_BUDGET, 0, -1);
    sf_job_params items[N_JOBS];
    char urls[N_JOBS][64];
    sf_error *err = NULL;
    kinds_t k;
    memset(&k, 0, sizeof k);
    make_items(items, urls, "budget", 0);
    emu_reset(pyai_url());
    CHECK_RESULT(sf_pyai_create_jobs(client, items, 5, 1, on_kind, &k, &err), SF_API_ERROR, err);
    CHECK_STR(sf_error_code(err), "key_budget_exceeded");
    /* The key's budget is shared with earlier tests on this emulator: whatever is left of
     * it, every job the server created in this run is reported done, the rest not done. */
    CHECK_INT(k.done, emu_stat(pyai_url(), "jobs_created"));
    CHECK(k.done <= 3);
    CHECK_INT(k.done + k.not_done_kind + k.other, 5);
    CHECK(k.not_done_kind >= 1);
    CHECK(sf_t_contains(k.message, "key_budget_exceeded (HTTP 402)"));
    CHECK_STR(sf_kind_name(SF_KIND_NOT_DONE), "not_done");
    sf_error_free(err);
    err = NULL;
    CHECK_RESULT(sf_pyai_create_jobs(client, items, 5, 300, on_kind, &k, &err), SF_INVALID_ARGUMENT, err);
    CHECK(sf_t_contains(sf_error_message(err), "`concurrency` must be 0 (the default, 16) or 1 to 256"));
    sf_error_free(err);
    sf_client_free(client);
}

extern char **environ;

/* The child of test_create_jobs_killed_then_rerun: the items with stable ids, two at a time. */
int sf_t_child_main(const char *what) {
    sf_job_params items[N_JOBS];
    char urls[N_JOBS][64];
    sf_client *client;
    sf_error *err = NULL;
    sf_result r;
    if (strcmp(what, "create_jobs_kill") != 0) return 2;
    client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    if (!client) return 3;
    make_items(items, urls, "kill", 1);
    r = sf_pyai_create_jobs(client, items, N_JOBS, 2, NULL, NULL, &err);
    sf_error_free(err);
    sf_client_free(client);
    return r == SF_OK ? 0 : 4;
}

void test_create_jobs_killed_then_rerun(void) {
    sf_client *client = sf_t_client(SF_API_PYAI, PYAI_FULL, 3, -1);
    sf_job_params items[N_JOBS];
    char urls[N_JOBS][64];
    sf_error *err = NULL;
    seen_t *after = calloc(1, sizeof *after);
    char **envp, child_env[] = "SF_T_CHILD=create_jobs_kill";
    char *argv[] = {"sf_tests", NULL};
    size_t n_env = 0, i;
    pid_t pid;
    int status = 0, polls;
    long killed_at;
    after->in_order = 1;
    emu_reset(pyai_url());
    /* Slow creations, so that the kill lands with the run under way. */
    emu_fault(pyai_url(), "{\"route\": \"POST " JOBS "\", \"count\": 14, \"action\": {\"kind\": \"delay\", \"ms\": 150}}");
    while (environ[n_env]) n_env++;
    envp = calloc(n_env + 2, sizeof *envp);
    for (i = 0; i < n_env; i++) envp[i] = environ[i];
    envp[n_env] = child_env;
    /* The test binary itself, natively (under valgrind too: only the parent is traced). */
    CHECK(sf_t_self != NULL && posix_spawn(&pid, sf_t_self, NULL, NULL, argv, envp) == 0);
    free(envp);
    for (polls = 0; polls < 3000 && emu_stat(pyai_url(), "jobs_created") < 3; polls++) {
        struct timespec five_ms = {0, 5000000L};
        nanosleep(&five_ms, NULL);
    }
    CHECK(kill(pid, SIGKILL) == 0); /* no chance to clean up */
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    killed_at = emu_stat(pyai_url(), "jobs_created");
    CHECK(killed_at >= 3 && killed_at < N_JOBS);

    /* The same items again (keys from their stable ids): exactly one job per item. */
    make_items(items, urls, "kill", 1);
    CHECK_RESULT(sf_pyai_create_jobs(client, items, N_JOBS, 4, on_result, after, &err), SF_OK, err);
    CHECK(all_done(after));
    CHECK_INT(emu_stat(pyai_url(), "jobs_created"), N_JOBS);
    CHECK(emu_stat(pyai_url(), "idempotent_replays") >= 3);
    free(after);
    sf_error_free(err);
    sf_client_free(client);
}

typedef struct {
    size_t calls, listed, written, skipped, to_fetch;
} progress_t;

static void on_progress(void *user_data, size_t listed, size_t written, size_t skipped, size_t to_fetch) {
    progress_t *p = (progress_t *)user_data;
    p->calls++;
    p->listed = listed;
    p->written = written;
    p->skipped = skipped;
    p->to_fetch = to_fetch;
}

/* Files in `dir` (documents only: names starting with a dot are counted apart). */
static int count_files(const char *dir, int *hidden) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    *hidden = 0;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (e->d_name[0] == '.') (*hidden)++;
        else n++;
    }
    closedir(d);
    return n;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long len;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) len = 0;
    if (buf) buf[len] = '\0';
    fclose(f);
    return buf;
}

void test_export_all_resumed(void) {
    sf_client *client = sf_t_client(SF_API_SPECALA, SPK_ALPHA, 3, -1);
    sf_error *err = NULL;
    sf_exports *exports = NULL;
    char root[] = "/tmp/sf-c-export-XXXXXX", dir[64], path[128], journal[96];
    progress_t p = {0, 0, 0, 0, 0};
    size_t written = 0, skipped = 0, i;
    int hidden = 0, i_int, same = 1;
    const char *ids[300];
    char storage[300][32];
    FILE *tmp;

    CHECK(mkdtemp(root) != NULL);
    snprintf(dir, sizeof dir, "%s/docs", root);
    snprintf(journal, sizeof journal, "%s/docs.surefoot-journal.jsonl", root);
    emu_reset(specala_url());
    CHECK_RESULT(sf_specala_export_all(client, dir, "txt", on_progress, &p, &written, &skipped, &err), SF_OK, err);
    CHECK_INT(written, 300);
    CHECK_INT(skipped, 0);
    CHECK(p.calls > 0);
    CHECK_INT(p.listed, 300);
    CHECK_INT(p.written, 300);
    CHECK_INT(emu_count(specala_url(), "POST /v1/transcriptions/export", "200"), 3);
    CHECK_INT(count_files(dir, &hidden), 300);

    /* An interrupted run's leftovers: 40 documents missing, a temporary, a cut journal line. */
    for (i_int = 0; i_int < 40; i_int++) {
        snprintf(path, sizeof path, "%s/tr_alpha_%06d.txt", dir, i_int * 7);
        CHECK(unlink(path) == 0);
    }
    snprintf(path, sizeof path, "%s/.surefoot-tmp-1-tr_alpha_000001.txt", dir);
    tmp = fopen(path, "wb");
    CHECK(tmp != NULL);
    if (tmp) {
        fputs("half a docu", tmp);
        fclose(tmp);
    }
    tmp = fopen(journal, "ab");
    CHECK(tmp != NULL);
    if (tmp) {
        fputs("{\"id\": \"tr_alpha_0000", tmp);
        fclose(tmp);
    }

    emu_reset(specala_url());
    CHECK_RESULT(sf_specala_export_all(client, dir, "txt", NULL, NULL, &written, &skipped, &err), SF_OK, err);
    CHECK_INT(written, 40);
    CHECK_INT(skipped, 260);
    CHECK_INT(emu_count(specala_url(), "POST /v1/transcriptions/export", "200"), 1);
    CHECK_INT(count_files(dir, &hidden), 300);
    CHECK_INT(hidden, 0);

    /* Every file complete and byte-exact. */
    for (i = 0; i < 300; i++) {
        snprintf(storage[i], sizeof storage[i], "tr_alpha_%06u", (unsigned)i);
        ids[i] = storage[i];
    }
    CHECK_RESULT(sf_specala_bulk_export(client, ids, 300, "txt", &exports, &err), SF_OK, err);
    for (i = 0; i < sf_exports_count(exports); i++) {
        char *text;
        snprintf(path, sizeof path, "%s/%s.txt", dir, sf_exports_id(exports, i));
        text = read_file(path);
        if (!text || strcmp(text, sf_exports_content(exports, i))) same = 0;
        free(text);
    }
    CHECK(same);
    CHECK_RESULT(sf_specala_export_all(client, NULL, NULL, NULL, NULL, NULL, NULL, &err), SF_NULL_PARAMETER, err);
    sf_exports_free(exports);
    sf_error_free(err);
    sf_client_free(client);
    {
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
    }
}
