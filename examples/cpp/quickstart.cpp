// surefoot from C++17: RAII owners for the C handles, a Specala list walked with the pager,
// and a bulk export of every id (the library sends at most 100 ids per request and paces
// them under the key's 500 requests/minute).
//
//   c++ -std=c++17 quickstart.cpp $(pkg-config --cflags --libs surefoot) -o quickstart_cpp
//   surefoot-emulator --api specala         # prints its URL
//   SPECALA_BASE_URL=http://127.0.0.1:40124 SPECALA_API_KEY=spk_alpha_pro_0001 ./quickstart_cpp
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <surefoot.h>

namespace {

template <typename T, void (*Free)(T *)>
struct Deleter {
    void operator()(T *p) const { Free(p); }
};
using Options = std::unique_ptr<sf_client_options, Deleter<sf_client_options, sf_client_options_free>>;
using Client = std::unique_ptr<sf_client, Deleter<sf_client, sf_client_free>>;
using Pager = std::unique_ptr<sf_pager, Deleter<sf_pager, sf_pager_free>>;
using Exports = std::unique_ptr<sf_exports, Deleter<sf_exports, sf_exports_free>>;
using Error = std::unique_ptr<sf_error, Deleter<sf_error, sf_error_free>>;

// Throws the error of a failed call as an exception carrying its stable code.
struct ApiError : std::runtime_error {
    std::string code;
    unsigned status;
    ApiError(const sf_error *e)
        : std::runtime_error(sf_error_message(e)), code(sf_error_code(e)), status(sf_error_status(e)) {}
};

void check(sf_result r, sf_error *raw) {
    Error err(raw);
    if (r != SF_OK && r != SF_DONE) {
        if (err) throw ApiError(err.get());
        throw std::runtime_error(sf_result_name(r));
    }
}

}  // namespace

int main() {
    const char *base_url = std::getenv("SPECALA_BASE_URL");
    const char *api_key = std::getenv("SPECALA_API_KEY");
    if (api_key == nullptr) {
        std::fprintf(stderr, "set SPECALA_API_KEY (and SPECALA_BASE_URL for the emulator)\n");
        return 2;
    }
    try {
        Options opts(sf_client_options_new());
        check(sf_client_options_set_api(opts.get(), SF_API_SPECALA), nullptr);
        if (base_url != nullptr) check(sf_client_options_set_base_url(opts.get(), base_url), nullptr);
        check(sf_client_options_set_api_key(opts.get(), api_key), nullptr);
        check(sf_client_options_set_deadline_ms(opts.get(), 120000), nullptr);

        sf_client *raw_client = nullptr;
        sf_error *err = nullptr;
        check(sf_client_new(opts.get(), &raw_client, &err), err);
        Client client(raw_client);

        // Walk the list (100 per page) and keep the ids.
        sf_pager *raw_pager = nullptr;
        err = nullptr;
        check(sf_client_paginate(client.get(), "/v1/transcriptions", 100, &raw_pager, &err), err);
        Pager pager(raw_pager);
        std::vector<std::string> ids;
        for (;;) {
            const char *item = nullptr;
            size_t len = 0;
            err = nullptr;
            sf_result r = sf_pager_next(pager.get(), &item, &len, &err);
            if (r == SF_DONE) break;
            check(r, err);
            std::string json(item, len);
            auto at = json.find("\"id\":\"");
            if (at != std::string::npos) ids.push_back(json.substr(at + 6, json.find('"', at + 6) - at - 6));
        }
        std::printf("%zu transcriptions\n", ids.size());

        // One call for all of them.
        std::vector<const char *> id_ptrs;
        for (const auto &id : ids) id_ptrs.push_back(id.c_str());
        sf_exports *raw_exports = nullptr;
        err = nullptr;
        check(sf_specala_bulk_export(client.get(), id_ptrs.data(), id_ptrs.size(), "md", &raw_exports, &err), err);
        Exports exports(raw_exports);
        std::printf("exported %zu documents; the first:\n%s\n", sf_exports_count(exports.get()),
                    sf_exports_count(exports.get()) > 0 ? sf_exports_content(exports.get(), 0) : "(none)");
    } catch (const ApiError &e) {
        std::fprintf(stderr, "error %s (HTTP %u): %s\n", e.code.c_str(), e.status, e.what());
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
