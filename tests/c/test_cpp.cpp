// include/surefoot.hpp against both emulators (run through tests/c/run.sh): a successful
// call of each kind (generic request, pager, PyAI job, Specala bulk export, realtime
// session) with its concrete values, and failures thrown as surefoot::Error carrying the
// library's result, code, kind, status, Retry-After, request id and message. Prints
// "N passed, N failed" like the C tests and exits non-zero on any failure.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "surefoot.hpp"

namespace {

using namespace std::chrono_literals;

int failures = 0;

void fail(int line, const std::string &what) {
    failures++;
    std::fprintf(stderr, "  FAIL (test_cpp.cpp:%d): %s\n", line, what.c_str());
}

#define CHECK(cond)                                   \
    do {                                              \
        if (!(cond)) fail(__LINE__, "CHECK(" #cond ")"); \
    } while (0)

template <typename T>
std::string text(const T &v) {
    if constexpr (std::is_enum_v<T>)
        return std::to_string(static_cast<long long>(v));
    else if constexpr (std::is_arithmetic_v<T>)
        return std::to_string(v);
    else
        return "\"" + std::string(v) + "\"";
}

template <typename A, typename B>
void check_eq(int line, const char *expr, const A &actual, const B &expected) {
    if (!(actual == expected)) fail(line, std::string(expr) + " == " + text(actual) + ", expected " + text(expected));
}
#define CHECK_EQ(actual, expected) check_eq(__LINE__, #actual, (actual), (expected))

// Runs `f`, which must throw surefoot::Error; returns it (or records a failure).
std::optional<surefoot::Error> thrown(int line, const std::function<void()> &f) {
    try {
        f();
    } catch (const surefoot::Error &e) {
        return e;
    } catch (const std::exception &e) {
        fail(line, std::string("threw another exception: ") + e.what());
        return std::nullopt;
    }
    fail(line, "threw nothing");
    return std::nullopt;
}
#define THROWN(body) thrown(__LINE__, [&] { body; })

std::string env(const char *name) {
    const char *v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        std::fprintf(stderr, "%s is not set: run through tests/c/run.sh\n", name);
        std::exit(2);
    }
    return v;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

surefoot::ClientOptions options(sf_api api, std::string_view key, uint32_t max_retries) {
    surefoot::ClientOptions o;
    o.api(api)
        .base_url(env(api == SF_API_SPECALA ? "SF_TEST_SPECALA_URL" : "SF_TEST_PYAI_URL"))
        .api_key(key)
        .max_retries(max_retries)
        .backoff(20ms, 100ms)
        .deadline(30s);
    return o;
}

// The emulator's admin API, through a generic client without a key.
void emulator_fault(const std::string &url, std::string_view fault_json) {
    surefoot::Client admin(surefoot::ClientOptions().base_url(url).max_retries(0).pacing(false));
    admin.request("DELETE", "/__emulator/faults");
    admin.request("POST", "/__emulator/faults", fault_json);
}

void test_version() {
    CHECK_EQ(surefoot::version(), SF_VERSION);
}

void test_option_refused_by_a_setter() {
    surefoot::ClientOptions o;
    auto e = THROWN(o.timeout(0ms));
    if (e) {
        CHECK_EQ(e->result(), SF_INVALID_ARGUMENT);
        CHECK_EQ(e->code(), "invalid_request");
        CHECK_EQ(e->kind(), SF_KIND_INVALID_REQUEST);
        CHECK_EQ(e->status(), 0);
        // The core's message, the same as Rust's and Python's for a timeout of 0.
        CHECK_EQ(std::string(e->what()),
                 "timeout must be greater than zero, or none for no timeout (got 0.0 s)");
    }
    o.timeout(std::nullopt).timeout(5s).deadline(std::nullopt).rate_limit(20, 1s, 5).prefetch(true);
    // A CA bundle that is not there: refused by the setter, naming the option and the file.
    auto ca = THROWN(o.ca_file("/nonexistent/surefoot-ca.pem"));
    if (ca) {
        CHECK_EQ(ca->code(), "invalid_request");
        CHECK(std::string(ca->what()).rfind("`ca_file` file `/nonexistent/surefoot-ca.pem` cannot be read (", 0) == 0);
    }
    // A NUL inside a string_view would cut it short in C: refused before the call.
    bool refused = false;
    try {
        o.api_key(std::string_view("pyai_sk_full_0001\0x", 19));
    } catch (const std::invalid_argument &) {
        refused = true;
    }
    CHECK(refused);
}

void test_client_refused() {
    auto e = THROWN((void)surefoot::Client(options(SF_API_PYAI, "pyai_sk_full_0001 ", 0)));
    if (e) {
        CHECK_EQ(e->result(), SF_INVALID_ARGUMENT);
        CHECK_EQ(e->code(), "invalid_request");
        CHECK_EQ(e->kind_name(), "invalid_request");
        CHECK_EQ(e->attempts(), 0u);
        CHECK(!e->retry_after());
        CHECK(contains(e->message(), "API key has trailing whitespace"));
        CHECK(!contains(e->message(), "pyai_sk_full_0001"));
    }
}

void test_successful_request() {
    surefoot::Client client(options(SF_API_SPECALA, "spk_alpha_pro_0001", 3));
    surefoot::Response resp = client.request("GET", "/v1/transcriptions/tr_alpha_000007");
    CHECK_EQ(resp.status(), 200);
    CHECK_EQ(resp.attempts(), 1u);
    CHECK(!resp.is_replay());
    CHECK(resp.request_id() && contains(*resp.request_id(), "req_"));
    CHECK(contains(resp.body(), "\"id\":\"tr_alpha_000007\""));
    CHECK(contains(resp.header("Content-Type").value_or(""), "application/json"));
    CHECK(!resp.header("x-not-sent"));
}

void test_error_statuses_thrown() {
    surefoot::Client client(options(SF_API_SPECALA, "spk_alpha_pro_0001", 3));
    auto e = THROWN(client.request("GET", "/v1/transcriptions/tr_beta_000001"));
    if (e) {
        CHECK_EQ(e->result(), SF_API_ERROR);
        CHECK_EQ(e->status(), 404);
        CHECK_EQ(e->code(), "not_found");
        CHECK_EQ(e->kind(), SF_KIND_NOT_FOUND);
        CHECK_EQ(e->message(), "Transcription not found");
        CHECK_EQ(e->attempts(), 1u);
        CHECK(!e->is_retryable());
        CHECK(contains(e->body(), "\"detail\""));
    }
    surefoot::Client stranger(options(SF_API_SPECALA, "spk_not_a_real_key_4242", 3));
    e = THROWN(stranger.request("GET", "/v1/transcriptions?limit=1"));
    if (e) {
        CHECK_EQ(e->status(), 401);
        CHECK_EQ(e->code(), "unauthorized");
        CHECK_EQ(e->kind(), SF_KIND_AUTHENTICATION);
        CHECK_EQ(e->message(), "Invalid API key");
    }
}

// A 429 with Retry-After and retries off: the exception tells how long to wait.
void test_rate_limited_retry_after() {
    std::string url = env("SF_TEST_PYAI_URL");
    emulator_fault(url,
                   R"({"route": "GET /v1/transcription/jobs", "count": 1, "action": {"kind": "status",)"
                   R"( "status": 429, "content_type": "application/json", "headers": [["retry-after", "7"]],)"
                   R"( "body": "{\"error\": {\"message\": \"Rate limit exceeded.\",)"
                   R"( \"type\": \"rate_limit_error\", \"code\": \"rate_limit_exceeded\", \"param\": null}}"}})");
    // The sandbox key is used only here: the 429 pauses its shared pacer for 7 s.
    surefoot::Client client(options(SF_API_PYAI, "pyai_sk_sandbox_0004", 0));
    auto e = THROWN(client.request("GET", "/v1/transcription/jobs"));
    if (e) {
        CHECK_EQ(e->result(), SF_API_ERROR);
        CHECK_EQ(e->status(), 429);
        CHECK_EQ(e->code(), "rate_limit_exceeded");
        CHECK_EQ(e->kind(), SF_KIND_RATE_LIMITED);
        CHECK(e->retry_after() == std::optional<std::chrono::milliseconds>(7000ms));
        CHECK(e->is_retryable());
        CHECK(contains(e->request_id().value_or("(none)"), "req_"));
        CHECK_EQ(e->message(), "Rate limit exceeded.");
    }
}

// A success answer with rate-limit headers (read by the pacer) and its headers through C++.
void test_rate_limit_headers_read() {
    std::string url = env("SF_TEST_PYAI_URL");
    emulator_fault(url,
                   R"({"route": "GET /v1/transcription/jobs", "count": 1, "action": {"kind": "status",)"
                   R"( "status": 200, "content_type": "application/json", "headers": [["x-ratelimit-remaining", "50"],)"
                   R"( ["x-ratelimit-limit", "100"], ["ratelimit-policy", "100;w=1"]],)"
                   R"( "body": "{\"data\": [], \"next_cursor\": null}"}})");
    surefoot::Client client(options(SF_API_PYAI, "pyai_sk_full_0001", 0));
    surefoot::Response resp = client.request("GET", "/v1/transcription/jobs");
    CHECK_EQ(resp.status(), 200);
    CHECK_EQ(resp.header("X-RateLimit-Remaining").value_or(""), "50");
    CHECK_EQ(resp.body(), R"({"data": [], "next_cursor": null})");
}

void test_job_and_replay() {
    surefoot::Client client(options(SF_API_PYAI, "pyai_sk_full_0001", 3));
    surefoot::Job job = client.pyai_create_job("https://example.com/cpp.wav", "en", R"({"from": "c++"})");
    CHECK(contains(job.id(), "job_"));
    CHECK_EQ(job.status(), "queued");
    CHECK(contains(job.json(), "\"id\":\"" + job.id() + "\""));
    CHECK(contains(job.json(), "https://example.com/cpp.wav"));

    std::string body = R"({"audio_url": "https://example.com/replay.wav"})";
    surefoot::Response first = client.request("POST", "/v1/transcription/jobs", body, "cpp-key-0001");
    surefoot::Response again = client.request("POST", "/v1/transcription/jobs", body, "cpp-key-0001");
    CHECK(!first.is_replay());
    CHECK(again.is_replay());
    CHECK_EQ(again.header("idempotent-replayed").value_or(""), "true");
    CHECK_EQ(again.body(), first.body());

    auto e = THROWN(client.request("POST", "/v1/transcription/jobs", R"({"audio_url": "https://example.com/other.wav"})",
                                   "cpp-key-0001"));
    if (e) {
        CHECK_EQ(e->status(), 409);
        CHECK_EQ(e->code(), "idempotency_conflict");
        CHECK_EQ(e->kind(), SF_KIND_CONFLICT);
    }
}

void test_pager_and_bulk_export() {
    surefoot::Client client(options(SF_API_SPECALA, "spk_alpha_pro_0001", 3));
    std::vector<std::string> ids;
    for (const std::string &item : client.paginate("/v1/transcriptions", 100)) {
        auto at = item.find("\"id\":\"");
        if (at != std::string::npos) ids.push_back(item.substr(at + 6, item.find('"', at + 6) - at - 6));
    }
    CHECK_EQ(ids.size(), 300u);  // tests/c/run.sh starts Specala with 300 transcriptions
    surefoot::Exports exports = client.specala_bulk_export(ids, "txt");
    CHECK_EQ(exports.size(), 300u);
    if (exports.size() == 300 && !ids.empty()) {
        CHECK_EQ(exports.id(0), ids[0]);
        CHECK_EQ(exports.id(299), ids[299]);
        CHECK(!exports.content(0).empty());
    }
    bool out_of_range = false;
    try {
        (void)exports.id(300);
    } catch (const std::out_of_range &) {
        out_of_range = true;
    }
    CHECK(out_of_range);

    surefoot::Pager limited = client.paginate("/v1/transcriptions", 2);
    CHECK(limited.next().has_value());
    // Out of range: the core refuses it on the first item, before anything is sent.
    surefoot::Pager too_big = client.paginate("/v1/transcriptions", 101);
    auto e = THROWN((void)too_big.next());
    if (e) CHECK_EQ(e->code(), "invalid_request");
    e = THROWN(client.specala_bulk_export({"tr_alpha_000001", "tr_beta_000002"}));
    if (e) {
        CHECK_EQ(e->status(), 404);
        CHECK(contains(e->message(), "tr_beta_000002"));
    }
}

void test_realtime_session() {
    surefoot::Client client(options(SF_API_PYAI, "pyai_sk_full_0001", 3));
    surefoot::RealtimeSession session = client.pyai_realtime_open("agent-cpp");
    CHECK(contains(session.id(), "rts_"));
    CHECK_EQ(session.agent_id(), "agent-cpp");
    session.close();
    CHECK(session.get() == nullptr);
    // Dropped without close(): ended in the background by the destructor.
    surefoot::RealtimeSession dropped = client.pyai_realtime_open("agent-cpp");
    CHECK(!dropped.id().empty());
}

}  // namespace

int main() {
    const std::pair<const char *, void (*)()> tests[] = {
        {"version", test_version},
        {"option_refused_by_a_setter", test_option_refused_by_a_setter},
        {"client_refused", test_client_refused},
        {"successful_request", test_successful_request},
        {"error_statuses_thrown", test_error_statuses_thrown},
        {"rate_limited_retry_after", test_rate_limited_retry_after},
        {"rate_limit_headers_read", test_rate_limit_headers_read},
        {"job_and_replay", test_job_and_replay},
        {"pager_and_bulk_export", test_pager_and_bulk_export},
        {"realtime_session", test_realtime_session},
    };
    int passed = 0, failed = 0;
    for (const auto &[name, run] : tests) {
        int before = failures;
        try {
            run();
        } catch (const surefoot::Error &e) {
            fail(0, std::string("unexpected surefoot::Error ") + e.code() + " (HTTP " +
                        std::to_string(e.status()) + "): " + e.what());
        } catch (const std::exception &e) {
            fail(0, std::string("unexpected exception: ") + e.what());
        }
        bool ok = failures == before;
        (ok ? passed : failed)++;
        std::printf("%s %s\n", ok ? "ok  " : "FAIL", name);
        std::fflush(stdout);
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
