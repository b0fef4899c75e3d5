/*
 * A small test harness for the C tests of surefoot: CHECK macros that record failures
 * and keep going, the list of tests (one function each, run in order by harness.c, which
 * prints "N passed, N failed"), and helpers to make clients for the two emulators that
 * tests/c/run.sh starts, and to drive the emulators' admin API (faults, stats) through
 * the library itself.
 */
#ifndef SF_TEST_HARNESS_H
#define SF_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "surefoot.h"

/* Every test, in the order it runs. Each file defines `void test_NAME(void)`. */
#define SF_TESTS(X)                                                                       \
    X(version)                                                                            \
    X(result_and_kind_names)                                                              \
    X(successful_call)                                                                    \
    X(options_out_of_range)                                                               \
    X(client_side_refusals)                                                               \
    X(null_parameters)                                                                    \
    X(bad_utf8)                                                                           \
    X(specala_401_detail_string)                                                          \
    X(specala_403_detail_object)                                                          \
    X(specala_404)                                                                        \
    X(specala_422_validation_list)                                                        \
    X(pyai_envelope_401_403)                                                              \
    X(pyai_envelope_402)                                                                  \
    X(pyai_problem_json_404_409_400)                                                      \
    X(html_from_a_proxy)                                                                  \
    X(rate_limited_error_carries_retry_after)                                             \
    X(long_retry_after_fails_fast)                                                        \
    X(paused_key_refusal_keeps_cause)                                                     \
    X(surfaces_given_per_client)                                                          \
    X(retried_503)                                                                        \
    X(retries_exhausted)                                                                  \
    X(retry_after_honoured_on_429)                                                        \
    X(idempotent_job_through_dropped_connection)                                          \
    X(explicit_idempotency_key_replays)                                                   \
    X(post_without_key_not_retried_after_drop)                                            \
    X(timeout)                                                                            \
    X(connection_refused)                                                                 \
    X(realtime_sessions)                                                                  \
    X(pagination_to_the_end)                                                              \
    X(pagination_limits)                                                                  \
    X(bulk_export_250_ids)                                                                \
    X(bulk_export_nothing)                                                                \
    X(eight_threads_share_one_client)                                                     \
    X(tolerant_job_from_a_minimal_server)                                                 \
    X(tolerant_list_and_bulk_export_from_a_minimal_server)                                \
    X(unreadable_2xx_create_names_the_idempotency_key)                                    \
    X(overridden_paths)                                                                   \
    X(renamed_fields)                                                                     \
    X(create_jobs_exactly_once)                                                           \
    X(create_jobs_stopped_then_resubmitted)                                               \
    X(create_jobs_as_completed_with_progress)                                             \
    X(create_jobs_killed_then_rerun)                                                      \
    X(create_jobs_budget_reports_what_the_server_holds)                                   \
    X(error_hints_decode_a_third_apis_bodies)                                             \
    X(export_all_resumed)                                                                  \
    X(https_with_a_private_ca)

#define SF_DECLARE_TEST(name) void test_##name(void);
SF_TESTS(SF_DECLARE_TEST)

/* ----- checks ------------------------------------------------------------------------ */

void sf_t_fail(const char *file, int line, const char *fmt, ...);

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) sf_t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                   \
    } while (0)

#define CHECK_INT(actual, expected)                                                       \
    do {                                                                                  \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                   \
        if (a_ != e_)                                                                     \
            sf_t_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #actual, a_, e_);  \
    } while (0)

#define CHECK_STR(actual, expected)                                                       \
    do {                                                                                  \
        const char *a_ = (actual), *e_ = (expected);                                      \
        if (!sf_t_streq(a_, e_))                                                          \
            sf_t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #actual,       \
                      a_ ? a_ : "(null)", e_ ? e_ : "(null)");                            \
    } while (0)

/* Checks that `expr` (an sf_result) is `expected`; on a mismatch prints `err` if set. */
#define CHECK_RESULT(expr, expected, err)                                                 \
    do {                                                                                  \
        sf_result r_ = (expr);                                                            \
        if (r_ != (expected))                                                             \
            sf_t_fail(__FILE__, __LINE__, "%s returned %s, expected %s%s%s", #expr,       \
                      sf_result_name((int)r_), sf_result_name((int)(expected)),           \
                      (err) ? ": " : "", sf_t_describe(err));                             \
    } while (0)

int sf_t_streq(const char *a, const char *b);
int sf_t_contains(const char *haystack, const char *needle);
/* "code (HTTP status): message" of an error, in a static buffer ("" for NULL). */
const char *sf_t_describe(const sf_error *err);
/* Monotonic milliseconds. */
double sf_t_now_ms(void);

/* ----- emulators and clients --------------------------------------------------------- */

const char *specala_url(void);
const char *pyai_url(void);
/* The same emulators in their minimal answer form (`--minimal`). */
const char *specala_minimal_url(void);
const char *pyai_minimal_url(void);

/* Default keys of the emulator (see crates/surefoot-emulator docs). */
#define SPK_ALPHA "spk_alpha_pro_0001"
#define SPK_FREE "spk_alpha_free_0003"
#define PYAI_FULL "pyai_sk_full_0001"
#define PYAI_READONLY "pyai_sk_readonly_0002"
#define PYAI_SANDBOX "pyai_sk_sandbox_0004"
#define PYAI_BUDGET "pyai_sk_budget_0005"
#define PYAI_BROKE "pyai_sk_broke_0006"
#define PYAI_QUOTA "pyai_sk_quota_0007"

/*
 * A client for `api` (SF_API_SPECALA or SF_API_PYAI: the matching emulator) with `key`,
 * `max_retries` and a fast backoff (20-100 ms); NULL (after recording a failure) if it
 * cannot be built. `max_retry_wait_ms` < 0 keeps the default.
 */
sf_client *sf_t_client(sf_api api, const char *key, uint32_t max_retries,
                       int64_t max_retry_wait_ms);

/* The part of a child process a test started with SF_T_CHILD=`what` (the test binary run
 * again; see test_bulk.c): returns its exit status. */
int sf_t_child_main(const char *what);
/* The test program's own path (argv[0]), for tests that start it again as a child. */
extern const char *sf_t_self;

/* Admin API of an emulator, through a generic client without a key. */
void emu_reset(const char *url);                      /* clear faults, zero stats */
void emu_fault(const char *url, const char *fault_json);
long emu_stat(const char *url, const char *field);    /* a top-level number of the stats */
long emu_count(const char *url, const char *route, const char *status);

#endif
