//! What the Redis deployment tests share: free loopback ports, `redis-server` processes
//! (plain, TLS, cluster node, sentinel) started from a config file in a directory of
//! their own and stopped when dropped, certificates made with `openssl`, and admin
//! connections for looking at what the store wrote.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod run;

// The test crate declares `mod port_support;` beside this module.
pub use super::port_support::free_port;

/// A fresh directory under the temp dir, removed by [`Server`]'s or the caller's drop.
/// Polls `ok` every 100 ms; fails the test naming `what` after 30 s.
pub fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "surefoot-{name}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `redis-server` (or sentinel) of a test, stopped when dropped.
pub struct Server {
    pub port: u16,
    pub dir: PathBuf,
    conf: PathBuf,
    sentinel: bool,
    child: Option<Child>,
}

impl Server {
    /// A server on 127.0.0.1 with the config `lines` (plus bind, no persistence), in a
    /// directory of its own; `port` is its plain port (0 for none) or TLS port (`tls`).
    pub fn start(name: &str, lines: &[String], sentinel: bool) -> Server {
        let port = free_port();
        Server::start_on(name, port, lines, sentinel)
    }

    pub fn start_on(name: &str, port: u16, lines: &[String], sentinel: bool) -> Server {
        let dir = temp_dir(name);
        let conf = dir.join("redis.conf");
        let mut text = format!("bind 127.0.0.1\ndir {}\n", dir.display());
        if !sentinel {
            text.push_str("save \"\"\nappendonly no\n");
        }
        let tls = lines.iter().any(|l| l.starts_with("tls-port"));
        if !tls {
            text.push_str(&format!("port {port}\n"));
        } else {
            text.push_str("port 0\n");
        }
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        std::fs::write(&conf, text).unwrap();
        let mut s = Server {
            port,
            dir,
            conf,
            sentinel,
            child: None,
        };
        s.restart();
        s
    }

    pub fn restart(&mut self) {
        let mut cmd = Command::new("redis-server");
        cmd.arg(&self.conf);
        if self.sentinel {
            cmd.arg("--sentinel");
        }
        let log = std::fs::File::create(self.dir.join("server.log")).unwrap();
        let child = cmd
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on the PATH (make test installs it)");
        self.child = Some(child);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        panic!("redis-server did not start on port {}: {log}", self.port);
    }

    /// SIGKILL: the server is gone at once, as in a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A plain admin connection (the default user).
    pub fn conn(&self) -> redis::Connection {
        let start = Instant::now();
        loop {
            match redis::Client::open(format!("redis://127.0.0.1:{}/0", self.port))
                .unwrap()
                .get_connection()
            {
                Ok(c) => return c,
                Err(e) if start.elapsed() > Duration::from_secs(5) => panic!("{e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `INFO commandstats` calls of `cmd` (e.g. `evalsha`) that did not fail.
pub fn calls(conn: &mut redis::Connection, cmd: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query(conn).unwrap();
    let stat = |line: &str, name: &str| -> u64 {
        line.split(',')
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{cmd}:")))
        .map(|rest| stat(rest, "calls=").saturating_sub(stat(rest, "failed_calls=")))
        .unwrap_or(0)
}

/// Every key name in the database.
pub fn keys(conn: &mut redis::Connection) -> Vec<String> {
    redis::cmd("KEYS").arg("*").query(conn).unwrap()
}

/// Certificates made with `openssl` in `dir`: a CA, a server certificate for
/// 127.0.0.1/localhost, one for another name only, and a client certificate.
pub struct Certs {
    pub dir: PathBuf,
}

impl Certs {
    pub fn make(dir: &Path) -> Certs {
        let run = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("openssl on the PATH");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec![
            "req",
            "-x509",
            "-days",
            "2",
            "-subj",
            "/CN=surefoot test CA",
        ];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        run(&ca);
        for (name, san, usage) in [
            ("server", "IP:127.0.0.1,DNS:localhost", "serverAuth"),
            ("wrongname", "DNS:redis.invalid", "serverAuth"),
            ("client", "DNS:surefoot-client", "clientAuth"),
        ] {
            let mut req = vec!["req", "-subj"];
            let subj = format!("/CN={name}");
            req.push(&subj);
            req.extend(ec);
            let (key, csr, pem) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
            );
            req.extend(["-keyout", &key, "-out", &csr]);
            run(&req);
            let ext = format!("{name}.ext");
            std::fs::write(
                dir.join(&ext),
                format!(
                    "subjectAltName={san}\nbasicConstraints=CA:FALSE\n\
                     keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage={usage}\n"
                ),
            )
            .unwrap();
            run(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &pem,
                "-extfile",
                &ext,
            ]);
        }
        Certs {
            dir: dir.to_path_buf(),
        }
    }

    pub fn path(&self, file: &str) -> String {
        self.dir.join(file).display().to_string()
    }

    /// The redis crate's TLS settings: this CA, and the client certificate.
    pub fn redis_tls(&self) -> redis::TlsCertificates {
        let read = |f: &str| std::fs::read(self.dir.join(f)).unwrap();
        redis::TlsCertificates {
            client_tls: Some(redis::ClientTlsConfig {
                client_cert: read("client.pem"),
                client_key: read("client.key"),
            }),
            root_cert: Some(read("ca.pem")),
        }
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
