//! A free loopback port for a test server the test starts itself (bound, then released):
//! shared by nginx_support and redis_support, each of which re-exports it.

use std::net::TcpListener;

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
