// surefoot for C++17: header-only RAII over the C API of include/surefoot.h.
//
// Every handle lives in a std::unique_ptr with its `_free` function; every failure is thrown
// as `surefoot::Error`, which carries what `sf_error` carries (result, stable code, kind,
// HTTP status, message, request id, Retry-After, attempts, time waited, body). Strings go in
// as std::string_view and come out as std::string; durations are std::chrono::milliseconds.
// There is no logic here beyond those conversions: retries, pacing, idempotency keys,
// pagination and the error model are the library's, exactly as in C, Rust and Python.
//
//   #include <surefoot.hpp>
//   surefoot::Client client(surefoot::ClientOptions()
//                               .api(SF_API_PYAI)
//                               .api_key("pyai_sk_full_0001")
//                               .deadline(std::chrono::seconds(30)));
//   try {
//       surefoot::Job job = client.pyai_create_job("https://example.com/a.wav", "en");
//       std::cout << job.id() << " is " << job.status() << "\n";
//   } catch (const surefoot::Error &e) {
//       if (e.code() == "credit_exhausted") { /* ... */ }
//   }
//
// Link with the library as for C: `find_package(surefoot CONFIG REQUIRED)` and
// `surefoot::surefoot`, or `pkg-config --cflags --libs surefoot`.
#ifndef SUREFOOT_HPP
#define SUREFOOT_HPP

#if __cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L)
#error "surefoot.hpp needs C++17 (use surefoot.h from older C++)"
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "surefoot.h"

namespace surefoot {

/// The library's version, e.g. "0.1.0" (`sf_version`).
inline std::string version() { return sf_version(); }

namespace detail {

/// Calls a C `_free` function: the deleter of every handle below.
template <auto Free>
struct deleter {
    template <typename T>
    void operator()(T *p) const noexcept {
        Free(p);
    }
};

template <typename T, auto Free>
using handle = std::unique_ptr<T, deleter<Free>>;

/// A NUL-terminated copy of `s` for the C API. A NUL inside `s` would cut the text short
/// without a word, so it is refused.
inline std::string c_str(std::string_view s, const char *what) {
    if (s.find('\0') != std::string_view::npos)
        throw std::invalid_argument(std::string("surefoot: ") + what + " contains a NUL byte");
    return std::string(s);
}

/// A borrowed C string as std::string ("" for NULL).
inline std::string str(const char *s) { return s != nullptr ? std::string(s) : std::string(); }

/// A borrowed C string as an optional (none for NULL).
inline std::optional<std::string> opt(const char *s) {
    return s != nullptr ? std::optional<std::string>(s) : std::nullopt;
}

/// Milliseconds as the C API counts them (-1 = none) from an optional duration.
inline int64_t ms(std::optional<std::chrono::milliseconds> d) {
    return d ? static_cast<int64_t>(d->count()) : -1;
}

}  // namespace detail

/// A failure, as the C API reports it: thrown by every call below. `what()` is the
/// library's message (never showing the key).
class Error : public std::runtime_error {
public:
    /// Takes the error a C call returned through `err_out` (and frees it). `err` may be
    /// NULL (a setter of the options, which returns only a result): the code is then the
    /// one the library gives that result (`invalid_request`, `null_parameter`, `panic`).
    Error(sf_result result, sf_error *err, const char *function)
        : std::runtime_error(message_of(result, err, function)),
          result_(err != nullptr ? sf_error_result(err) : result),
          kind_(err != nullptr ? sf_error_kind(err) : kind_of(result)),
          status_(sf_error_status(err)),
          code_(err != nullptr ? detail::str(sf_error_code(err)) : code_of(result)),
          request_id_(detail::opt(sf_error_request_id(err))),
          retry_after_(sf_error_retry_after_ms(err) >= 0
                           ? std::optional<std::chrono::milliseconds>(
                                 std::chrono::milliseconds(sf_error_retry_after_ms(err)))
                           : std::nullopt),
          attempts_(sf_error_attempts(err)),
          waited_(sf_error_waited_ms(err)),
          retryable_(sf_error_is_retryable(err)) {
        const uint8_t *body = nullptr;
        size_t len = 0;
        if (err != nullptr && sf_error_body(err, &body, &len) == SF_OK && body != nullptr)
            body_.assign(reinterpret_cast<const char *>(body), len);
        sf_error_free(err);
    }

    /// The C result code (`SF_API_ERROR`, `SF_CONNECTION_ERROR`, `SF_TIMEOUT`, ...).
    sf_result result() const noexcept { return result_; }
    /// The broad category (`SF_KIND_RATE_LIMITED`, ...); `kind_name()` is its stable name.
    sf_kind kind() const noexcept { return kind_; }
    std::string kind_name() const { return sf_kind_name(static_cast<int>(kind_)); }
    /// The HTTP status, 0 when no answer came.
    uint16_t status() const noexcept { return status_; }
    /// The stable code, e.g. "rate_limit_exceeded", "not_found": the same string in every
    /// language.
    const std::string &code() const noexcept { return code_; }
    /// The library's message (the same text as `what()`).
    std::string message() const { return what(); }
    /// The server's request id, when it gave one.
    const std::optional<std::string> &request_id() const noexcept { return request_id_; }
    /// How long the server asked to wait (Retry-After), when it did.
    std::optional<std::chrono::milliseconds> retry_after() const noexcept { return retry_after_; }
    /// Attempts made (0: refused before sending).
    uint32_t attempts() const noexcept { return attempts_; }
    /// Time spent waiting (backoff and pacing) before failing.
    std::chrono::milliseconds waited() const noexcept { return waited_; }
    /// Whether the library would retry this failure.
    bool is_retryable() const noexcept { return retryable_; }
    /// The raw body of the error answer ("" when there was none).
    const std::string &body() const noexcept { return body_; }

private:
    static std::string message_of(sf_result result, const sf_error *err, const char *function) {
        if (err != nullptr) return detail::str(sf_error_message(err));
        return std::string(function) + " failed: " + sf_result_name(static_cast<int>(result));
    }
    static sf_kind kind_of(sf_result result) noexcept {
        return result == SF_INVALID_ARGUMENT ? SF_KIND_INVALID_REQUEST : SF_KIND_NONE;
    }
    static std::string code_of(sf_result result) {
        switch (result) {
            case SF_INVALID_ARGUMENT: return "invalid_request";
            case SF_NULL_PARAMETER: return "null_parameter";
            case SF_PANIC: return "panic";
            default: return sf_result_name(static_cast<int>(result));
        }
    }

    sf_result result_;
    sf_kind kind_;
    uint16_t status_;
    std::string code_;
    std::optional<std::string> request_id_;
    std::optional<std::chrono::milliseconds> retry_after_;
    uint32_t attempts_;
    std::chrono::milliseconds waited_;
    bool retryable_;
    std::string body_;
};

namespace detail {

/// Throws the failure of a C call (anything but SF_OK), taking ownership of `*err`. `err`
/// is the address of the call's `err_out` (or NULL), read only once the call has returned:
/// `check(sf_x(..., &e), &e, ...)` is safe whatever the order the arguments are evaluated in.
inline void check(sf_result r, sf_error *const *err, const char *function) {
    if (r != SF_OK) throw Error(r, err != nullptr ? *err : nullptr, function);
}

}  // namespace detail

/// Settings of a client (`sf_client_options`). Each setter returns `*this`, so they chain;
/// a refused value throws `surefoot::Error` (code `invalid_request`). The client copies what
/// it needs: the options may be reused or dropped after building one.
class ClientOptions {
public:
    /// The defaults: generic API, 3 retries, 60 s per-attempt timeout, no deadline, 60 s
    /// longest wait, pacing on.
    ClientOptions() : opts_(sf_client_options_new()) {
        if (!opts_) throw Error(SF_PANIC, nullptr, "sf_client_options_new");
    }

    /// `SF_API_GENERIC` (default), `SF_API_SPECALA` or `SF_API_PYAI`.
    ClientOptions &api(sf_api api) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_api(get(), api, &e), &e, "sf_client_options_set_api");
        return *this;
    }
    ClientOptions &base_url(std::string_view url) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_base_url(get(), detail::c_str(url, "base_url").c_str(), &e),
                      &e, "sf_client_options_set_base_url");
        return *this;
    }
    /// Sent only as `Authorization: Bearer <key>`, never printed.
    ClientOptions &api_key(std::string_view key) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_api_key(get(), detail::c_str(key, "api_key").c_str(), &e),
                      &e, "sf_client_options_set_api_key");
        return *this;
    }
    ClientOptions &max_retries(int64_t n) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_max_retries(get(), n, &e), &e,
                      "sf_client_options_set_max_retries");
        return *this;
    }
    /// Timeout of one attempt; std::nullopt for none.
    ClientOptions &timeout(std::optional<std::chrono::milliseconds> t) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_timeout_ms(get(), detail::ms(t), &e), &e,
                      "sf_client_options_set_timeout_ms");
        return *this;
    }
    ClientOptions &connect_timeout(std::chrono::milliseconds t) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_connect_timeout_ms(get(), detail::ms(t), &e), &e,
                      "sf_client_options_set_connect_timeout_ms");
        return *this;
    }
    /// One deadline over every attempt and wait of a call; std::nullopt for none.
    ClientOptions &deadline(std::optional<std::chrono::milliseconds> d) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_deadline_ms(get(), detail::ms(d), &e), &e,
                      "sf_client_options_set_deadline_ms");
        return *this;
    }
    /// The longest single wait (backoff or Retry-After) a call accepts.
    ClientOptions &max_retry_wait(std::chrono::milliseconds w) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_max_retry_wait_ms(get(), detail::ms(w), &e), &e,
                      "sf_client_options_set_max_retry_wait_ms");
        return *this;
    }
    ClientOptions &backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_backoff_ms(get(), detail::ms(base), detail::ms(cap), &e),
                      &e, "sf_client_options_set_backoff_ms");
        return *this;
    }
    /// `requests` per `per` with bursts of up to `burst`; `requests == -1` restores the
    /// default (0 requests, a burst of 0 or a window of 0 throw `invalid_request`).
    ClientOptions &rate_limit(int64_t requests, std::chrono::milliseconds per, int64_t burst = 1) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_rate_limit(get(), requests, detail::ms(per), burst, &e),
                      &e, "sf_client_options_set_rate_limit");
        return *this;
    }
    ClientOptions &pacing(bool enabled) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_pacing(get(), enabled, &e), &e,
                      "sf_client_options_set_pacing");
        return *this;
    }
    /// Realtime sessions held at once (PyAI); -1 for no cap (the default), 0 throws.
    ClientOptions &max_concurrent_sessions(int64_t n) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_max_concurrent_sessions(get(), n, &e), &e,
                      "sf_client_options_set_max_concurrent_sessions");
        return *this;
    }
    ClientOptions &allow_insecure_http(bool allow) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_allow_insecure_http(get(), allow, &e), &e,
                      "sf_client_options_set_allow_insecure_http");
        return *this;
    }
    /// A header sent with every request (a malformed one, or `Authorization`, throws).
    ClientOptions &header(std::string_view name, std::string_view value) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_add_header(get(), detail::c_str(name, "header name").c_str(),
                                                   detail::c_str(value, "header value").c_str(), &e),
                      &e, "sf_client_options_add_header");
        return *this;
    }
    ClientOptions &user_agent(std::string_view ua) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_user_agent(get(), detail::c_str(ua, "user_agent").c_str(), &e),
                      &e, "sf_client_options_set_user_agent");
        return *this;
    }
    /* A PEM file of the certificate authorities HTTPS trusts instead of the Mozilla roots. */
    ClientOptions &ca_file(std::string_view path) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_ca_file(get(), detail::c_str(path, "ca_file").c_str(), &e),
                      &e, "sf_client_options_set_ca_file");
        return *this;
    }
    ClientOptions &max_response_bytes(int64_t n) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_max_response_bytes(get(), n, &e), &e,
                      "sf_client_options_set_max_response_bytes");
        return *this;
    }
    ClientOptions &prefetch(bool enabled) {
        sf_error *e = nullptr;
        detail::check(sf_client_options_set_prefetch(get(), enabled, &e), &e,
                      "sf_client_options_set_prefetch");
        return *this;
    }

    sf_client_options *get() const noexcept { return opts_.get(); }

private:
    detail::handle<sf_client_options, sf_client_options_free> opts_;
};

/// A successful (2xx) answer of `Client::request` (`sf_response`).
class Response {
public:
    explicit Response(sf_response *r) : r_(r) {}

    uint16_t status() const noexcept { return sf_response_status(r_.get()); }
    std::string body() const {
        const uint8_t *data = nullptr;
        size_t len = 0;
        detail::check(sf_response_body(r_.get(), &data, &len), nullptr, "sf_response_body");
        return data != nullptr ? std::string(reinterpret_cast<const char *>(data), len) : std::string();
    }
    /// One header by name (case-insensitive), std::nullopt when the server did not send it.
    std::optional<std::string> header(std::string_view name) const {
        const char *value = nullptr;
        sf_result r = sf_response_header(r_.get(), detail::c_str(name, "header name").c_str(), &value);
        if (r == SF_NO_VALUE) return std::nullopt;
        detail::check(r, nullptr, "sf_response_header");
        return detail::str(value);
    }
    std::optional<std::string> request_id() const { return detail::opt(sf_response_request_id(r_.get())); }
    uint32_t attempts() const noexcept { return sf_response_attempts(r_.get()); }
    std::chrono::milliseconds waited() const noexcept {
        return std::chrono::milliseconds(sf_response_waited_ms(r_.get()));
    }
    /// Whether the server replayed an earlier answer for the same idempotency key.
    bool is_replay() const noexcept { return sf_response_is_replay(r_.get()); }

    sf_response *get() const noexcept { return r_.get(); }

private:
    detail::handle<sf_response, sf_response_free> r_;
};

/// A lazy walk over a list (`sf_pager`): `next()` gives each item's JSON text, requesting
/// the next page when needed, or std::nullopt at the end; or iterate with a range-for.
/// One thread at a time.
class Pager {
public:
    explicit Pager(sf_pager *p) : p_(p) {}

    std::optional<std::string> next() {
        const char *item = nullptr;
        size_t len = 0;
        sf_error *err = nullptr;
        sf_result r = sf_pager_next(p_.get(), &item, &len, &err);
        if (r == SF_DONE) return std::nullopt;
        detail::check(r, &err, "sf_pager_next");
        return std::string(item, len);
    }

    /// An input iterator over the remaining items (each `std::string` of JSON).
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = std::string;
        using difference_type = std::ptrdiff_t;
        using pointer = const std::string *;
        using reference = const std::string &;

        iterator() = default;
        explicit iterator(Pager *pager) : pager_(pager) { ++*this; }
        reference operator*() const { return *item_; }
        pointer operator->() const { return &*item_; }
        iterator &operator++() {
            item_ = pager_->next();
            if (!item_) pager_ = nullptr;
            return *this;
        }
        bool operator==(const iterator &o) const noexcept { return pager_ == o.pager_; }
        bool operator!=(const iterator &o) const noexcept { return pager_ != o.pager_; }

    private:
        Pager *pager_ = nullptr;
        std::optional<std::string> item_;
    };
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

    sf_pager *get() const noexcept { return p_.get(); }

private:
    detail::handle<sf_pager, sf_pager_free> p_;
};

/// A PyAI transcription job (`sf_job`).
class Job {
public:
    explicit Job(sf_job *j) : j_(j) {}
    std::string id() const { return detail::str(sf_job_id(j_.get())); }
    /// "queued", "running", "succeeded" or "failed".
    std::string status() const { return detail::str(sf_job_status(j_.get())); }
    /// The whole job as JSON text.
    std::string json() const { return detail::str(sf_job_json(j_.get())); }
    sf_job *get() const noexcept { return j_.get(); }

private:
    detail::handle<sf_job, sf_job_free> j_;
};

/// The documents of a Specala bulk export, in the order of the requested ids (`sf_exports`).
class Exports {
public:
    explicit Exports(sf_exports *e) : e_(e) {}
    size_t size() const noexcept { return sf_exports_count(e_.get()); }
    /// The transcription id of document `index` (std::out_of_range past the end).
    std::string id(size_t index) const { return detail::str(at(sf_exports_id(e_.get(), index), index)); }
    /// The content of document `index` (Markdown or plain text).
    std::string content(size_t index) const {
        return detail::str(at(sf_exports_content(e_.get(), index), index));
    }
    sf_exports *get() const noexcept { return e_.get(); }

private:
    const char *at(const char *s, size_t index) const {
        if (s == nullptr) throw std::out_of_range("surefoot::Exports: index " + std::to_string(index));
        return s;
    }
    detail::handle<sf_exports, sf_exports_free> e_;
};

/// An open PyAI realtime session, holding a concurrency slot of its key
/// (`sf_realtime_session`). `close()` ends it and waits for the server; destroying it
/// without `close()` ends it in the background.
class RealtimeSession {
public:
    explicit RealtimeSession(sf_realtime_session *s) : s_(s) {}
    std::string id() const { return detail::str(sf_realtime_session_id(s_.get())); }
    std::string agent_id() const { return detail::str(sf_realtime_session_agent_id(s_.get())); }
    /// Ends the session (the handle is gone afterwards whatever the result).
    void close() {
        sf_error *err = nullptr;
        detail::check(sf_realtime_session_close(s_.release(), &err), &err, "sf_realtime_session_close");
    }
    sf_realtime_session *get() const noexcept { return s_.get(); }

private:
    detail::handle<sf_realtime_session, sf_realtime_session_free> s_;
};

/// A client (`sf_client`): thread-safe, every call blocks only its own thread.
class Client {
public:
    /// Builds a client, checking every setting before anything is sent.
    explicit Client(const ClientOptions &opts) {
        sf_client *c = nullptr;
        sf_error *err = nullptr;
        detail::check(sf_client_new(opts.get(), &c, &err), &err, "sf_client_new");
        c_.reset(c);
    }

    /// Sends one request with the client's retries, Retry-After, pacing and deadline. `body`
    /// is sent as JSON when not empty; an idempotency key makes a POST safe to retry.
    Response request(std::string_view method, std::string_view path, std::string_view body = {},
                     std::optional<std::string_view> idempotency_key = std::nullopt) const {
        sf_response *r = nullptr;
        sf_error *err = nullptr;
        std::string key = idempotency_key ? detail::c_str(*idempotency_key, "idempotency_key") : std::string();
        detail::check(sf_client_request(c_.get(), detail::c_str(method, "method").c_str(),
                                        detail::c_str(path, "path").c_str(),
                                        reinterpret_cast<const uint8_t *>(body.data()), body.size(),
                                        idempotency_key ? key.c_str() : nullptr, &r, &err),
                      &err, "sf_client_request");
        return Response(r);
    }

    /// A lazy walk over the list at `path` with pages of `limit` items (1-100; -1 for the
    /// server's default).
    Pager paginate(std::string_view path, int32_t limit = -1) const {
        sf_pager *p = nullptr;
        sf_error *err = nullptr;
        detail::check(sf_client_paginate(c_.get(), detail::c_str(path, "path").c_str(), limit, &p, &err),
                      &err, "sf_client_paginate");
        return Pager(p);
    }

    /// Creates a PyAI transcription job exactly once (an idempotency key is generated when
    /// none is given and reused on every retry).
    Job pyai_create_job(std::string_view audio_url, std::optional<std::string_view> language = std::nullopt,
                        std::optional<std::string_view> metadata_json = std::nullopt,
                        std::optional<std::string_view> idempotency_key = std::nullopt) const {
        std::string lang = language ? detail::c_str(*language, "language") : std::string();
        std::string meta = metadata_json ? detail::c_str(*metadata_json, "metadata_json") : std::string();
        std::string key = idempotency_key ? detail::c_str(*idempotency_key, "idempotency_key") : std::string();
        sf_job *j = nullptr;
        sf_error *err = nullptr;
        detail::check(sf_pyai_create_job(c_.get(), detail::c_str(audio_url, "audio_url").c_str(),
                                         language ? lang.c_str() : nullptr,
                                         metadata_json ? meta.c_str() : nullptr,
                                         idempotency_key ? key.c_str() : nullptr, &j, &err),
                      &err, "sf_pyai_create_job");
        return Job(j);
    }

    /// Exports Specala transcriptions as documents ("md" or "txt"), at most 100 ids per
    /// request, paced under the key's limit.
    Exports specala_bulk_export(const std::vector<std::string> &ids, std::string_view format = "md") const {
        std::vector<const char *> ptrs;
        ptrs.reserve(ids.size());
        for (const std::string &id : ids) {
            if (id.find('\0') != std::string::npos)
                throw std::invalid_argument("surefoot: an id contains a NUL byte");
            ptrs.push_back(id.c_str());
        }
        sf_exports *e = nullptr;
        sf_error *err = nullptr;
        detail::check(sf_specala_bulk_export(c_.get(), ptrs.data(), ptrs.size(),
                                             detail::c_str(format, "format").c_str(), &e, &err),
                      &err, "sf_specala_bulk_export");
        return Exports(e);
    }

    /// Opens a PyAI realtime session for `agent_id` (waiting for a slot when a cap is set).
    RealtimeSession pyai_realtime_open(std::string_view agent_id) const {
        sf_realtime_session *s = nullptr;
        sf_error *err = nullptr;
        detail::check(sf_pyai_realtime_open(c_.get(), detail::c_str(agent_id, "agent_id").c_str(), &s, &err),
                      &err, "sf_pyai_realtime_open");
        return RealtimeSession(s);
    }

    sf_client *get() const noexcept { return c_.get(); }

private:
    detail::handle<sf_client, sf_client_free> c_;
};

}  // namespace surefoot

#endif  // SUREFOOT_HPP
