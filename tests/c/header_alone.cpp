// include/surefoot.h compiles alone (nothing included before it) as C++17, with C linkage.
#include "surefoot.h"

int sf_header_alone_cpp();
int sf_header_alone_cpp() {
    sf_result r = SF_OK;
    sf_kind k = SF_KIND_NONE;
    sf_api api = SF_API_PYAI;
    const char *(*version_fn)() = &sf_version;
    static constexpr char version[] = SF_VERSION;
    return static_cast<int>(r) + static_cast<int>(k) + static_cast<int>(api) +
           static_cast<int>(sizeof version) + (version_fn != nullptr);
}
