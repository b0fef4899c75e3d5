//! A free loopback port for a test server the test starts itself (bound, then released).
//! A test crate that includes nginx_support or redis_support declares `mod port_support;`
//! beside it; both re-export `free_port`.

use std::net::TcpListener;

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
