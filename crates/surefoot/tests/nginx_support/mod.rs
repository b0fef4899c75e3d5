//! nginx as a test server no one here wrote: started from a configuration the test gives
//! (the `http` block's contents) in a directory of its own, on free loopback ports, and
//! stopped when dropped; its access log read once it has stopped growing. `make test`
//! installs nginx.

#![allow(dead_code)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running nginx (see the module).
pub struct Nginx {
    child: Child,
    /// Its directory: the configuration, logs, and any files the test put there.
    pub dir: PathBuf,
    /// The ports it was given, in order.
    pub ports: Vec<u16>,
}

// The test crate declares `mod port_support;` beside this module.
pub use super::port_support::free_port;

impl Nginx {
    /// nginx listening on `ports` free ports: `files` (name, contents) are written to its
    /// directory first, then `http(dir, ports)` gives the `http` block's contents (an
    /// access log, if any, goes to `{dir}/access.log`). Returns once every port accepts.
    pub fn start(
        ports: usize,
        files: &[(&str, &[u8])],
        http: impl FnOnce(&str, &[u16]) -> String,
    ) -> Nginx {
        let ports: Vec<u16> = (0..ports).map(|_| free_port()).collect();
        let dir = std::env::temp_dir().join(format!(
            "surefoot-nginx-{}-{}",
            std::process::id(),
            ports[0]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, contents) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
        let d = dir.display().to_string();
        let conf = format!(
            "worker_processes 1; daemon off; error_log {d}/error.log crit; pid {d}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
{}
}}
",
            http(&d, &ports)
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let bin = if std::path::Path::new("/usr/sbin/nginx").exists() {
            "/usr/sbin/nginx"
        } else {
            "nginx"
        };
        let child = Command::new(bin)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx installed (make test installs it)");
        for port in &ports {
            for _ in 0..100 {
                if TcpStream::connect(("127.0.0.1", *port)).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Nginx { child, dir, ports }
    }

    /// The access log, once it has stopped growing: nginx writes a request's line after
    /// its answer went out, so a client can have its last answer before the line is there
    /// (a log read at once was one line short, now and then).
    pub fn access_log(&self) -> String {
        let read = || std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
        let mut log = read();
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(50));
            let again = read();
            if again == log {
                break;
            }
            log = again;
        }
        log
    }
}

impl Drop for Nginx {
    /// SIGTERM first: nginx's master then stops its worker (a SIGKILL of the master alone
    /// left the worker running after the test); SIGKILL only if it is still up after 5 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
