// surefoot from C++17 with the RAII header surefoot.hpp: a Specala list walked with the
// pager, then a bulk export of every id (the library sends at most 100 ids per request and
// paces them under the key's 500 requests/minute). Failures are thrown as surefoot::Error,
// carrying the stable code, kind, HTTP status and Retry-After.
//
//   c++ -std=c++17 quickstart.cpp $(pkg-config --cflags --libs surefoot) -o quickstart_cpp
//   (or with CMake: find_package(surefoot CONFIG REQUIRED), surefoot::surefoot; see
//   examples/CMakeLists.txt)
//   surefoot-emulator --api specala         # prints its URL
//   SPECALA_BASE_URL=http://127.0.0.1:40124 SPECALA_API_KEY=spk_alpha_pro_0001 ./quickstart_cpp
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <surefoot.hpp>

int main() {
    using namespace std::chrono_literals;
    const char *base_url = std::getenv("SPECALA_BASE_URL");
    const char *api_key = std::getenv("SPECALA_API_KEY");
    if (api_key == nullptr) {
        std::fprintf(stderr, "set SPECALA_API_KEY (and SPECALA_BASE_URL for the emulator)\n");
        return 2;
    }
    try {
        surefoot::ClientOptions opts;
        opts.api(SF_API_SPECALA).api_key(api_key).deadline(120s);  // all attempts and waits
        if (base_url != nullptr) opts.base_url(base_url);
        surefoot::Client client(opts);

        // Walk the list (100 per page) and keep the ids.
        std::vector<std::string> ids;
        for (const std::string &item : client.paginate("/v1/transcriptions", 100)) {
            auto at = item.find("\"id\":\"");
            if (at != std::string::npos) ids.push_back(item.substr(at + 6, item.find('"', at + 6) - at - 6));
        }
        std::printf("surefoot %s: %zu transcriptions\n", surefoot::version().c_str(), ids.size());

        // One call for all of them.
        surefoot::Exports exports = client.specala_bulk_export(ids, "md");
        std::printf("exported %zu documents; the first:\n%s\n", exports.size(),
                    exports.size() > 0 ? exports.content(0).c_str() : "(none)");
    } catch (const surefoot::Error &e) {
        std::fprintf(stderr, "error %s (%s, HTTP %u): %s\n", e.code().c_str(), e.kind_name().c_str(),
                     static_cast<unsigned>(e.status()), e.what());
        if (e.retry_after())
            std::fprintf(stderr, "  the server asks to wait %lld ms\n",
                         static_cast<long long>(e.retry_after()->count()));
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
