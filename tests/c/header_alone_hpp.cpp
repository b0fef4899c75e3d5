// include/surefoot.hpp compiles alone (nothing included before it) as C++17, and its
// types can be named, moved and destroyed.
#include "surefoot.hpp"

#include <type_traits>

static_assert(std::is_nothrow_move_constructible_v<surefoot::Client>);
static_assert(!std::is_copy_constructible_v<surefoot::Client>);
static_assert(std::is_nothrow_move_constructible_v<surefoot::Pager>);
static_assert(std::is_base_of_v<std::runtime_error, surefoot::Error>);

int sf_header_alone_hpp();
int sf_header_alone_hpp() {
    surefoot::Job none(nullptr);
    return static_cast<int>(surefoot::version().size() + none.id().size());
}
