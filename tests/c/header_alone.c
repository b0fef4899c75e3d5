/* include/surefoot.h compiles alone (nothing included before it) as C99. */
#include "surefoot.h"

int sf_header_alone_c(void);
int sf_header_alone_c(void) {
    sf_result r = SF_OK;
    sf_kind k = SF_KIND_NONE;
    sf_api api = SF_API_PYAI;
    static const char version[] = SF_VERSION;
    return (int)r + (int)k + (int)api + (int)sizeof version;
}
