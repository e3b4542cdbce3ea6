//! Real database servers from Debian's packages, started for a test on a
//! loopback port and stopped when it ends: redis-server, PostgreSQL (as user
//! postgres, so the tests run as root), MariaDB. Tests that use them are
//! `#[ignore = "needs ..."]`; `.ci/run` installs the packages.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{closed_port, require, unique};

/// A server process and its data directory, removed when dropped.
pub struct Daemon {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Waits until something accepts connections on `port`.
pub fn wait_for(port: u16, child: &mut Child, what: &str, log: &Path) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{what} exited ({status}) before it listened:\n{log}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn fresh_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// redis-server on a free port, with `extra` options.
pub fn redis(extra: &[&str]) -> Daemon {
    let port = closed_port().to_string();
    redis_with(&["--port", &port], extra)
}

/// redis-server speaking only TLS, with cert.pem and key.pem from `certs`.
pub fn redis_tls(certs: &Path) -> Daemon {
    let port = closed_port().to_string();
    let cert = certs.join("cert.pem").to_string_lossy().into_owned();
    let key = certs.join("key.pem").to_string_lossy().into_owned();
    redis_with(
        &[
            "--port",
            "0",
            "--tls-auth-clients",
            "no",
            "--tls-port",
            &port,
        ],
        &[
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &cert,
        ],
    )
}

/// `ports` gives the port the server listens on, last.
fn redis_with(ports: &[&str], extra: &[&str]) -> Daemon {
    require(
        installed("redis-server"),
        "redis-server (apt-get install redis-server)",
    );
    let port: u16 = ports.last().and_then(|p| p.parse().ok()).expect("a port");
    let dir = fresh_dir("hp-redis-");
    let log = dir.join("redis.log");
    let mut child = Command::new("redis-server")
        .args(ports)
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--daemonize", "no", "--dir"])
        .arg(&dir)
        .args(extra)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server");
    wait_for(port, &mut child, "redis-server", &log);
    Daemon { child, port, dir }
}

/// PostgreSQL's binaries (Debian puts them under /usr/lib/postgresql/N/bin).
fn postgres_bin() -> PathBuf {
    let dir = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| d.flatten().map(|e| e.path().join("bin")).max());
    require(
        dir.as_ref().is_some_and(|d| d.join("postgres").exists()),
        "PostgreSQL (apt-get install postgresql)",
    );
    dir.unwrap_or_default()
}

/// Runs `program` as user postgres (PostgreSQL refuses to run as root).
fn as_postgres(program: &Path) -> Command {
    require(super::is_root(), "root, to run PostgreSQL as user postgres");
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid",
        "postgres",
        "--regid",
        "postgres",
        "--init-groups",
    ])
    .arg(program);
    cmd
}

/// A fresh PostgreSQL cluster (scram-sha-256 for everyone: nobody logs in),
/// with TLS when `tls_dir` holds cert.pem and key.pem, ready as pg_isready
/// judges it (it listens before it accepts connections).
pub fn postgres(tls_dir: Option<&Path>) -> Daemon {
    let pg = postgres_starting(tls_dir);
    let isready = postgres_bin().join("pg_isready");
    let start = Instant::now();
    loop {
        let ready = Command::new(&isready)
            .args(["-q", "-h", "127.0.0.1", "-p", &pg.port.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            return pg;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "postgres did not become ready"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The same, as soon as it listens: it may still be starting up.
pub fn postgres_starting(tls_dir: Option<&Path>) -> Daemon {
    let bin = postgres_bin();
    let dir = fresh_dir("hp-pg-");
    std::fs::write(dir.join("pw"), "not-used\n").unwrap();
    let chown = |p: &Path| {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(p)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "chown {}", p.display());
    };
    chown(&dir);
    let out = as_postgres(&bin.join("initdb"))
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-A", "scram-sha-256", "-U", "postgres", "--pwfile"])
        .arg(dir.join("pw"))
        .output()
        .expect("initdb");
    assert!(out.status.success(), "initdb: {out:?}");
    let port = closed_port();
    let log = dir.join("postgres.log");
    let mut cmd = as_postgres(&bin.join("postgres"));
    cmd.arg("-D")
        .arg(dir.join("data"))
        .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
        .arg("-k")
        .arg(&dir);
    if let Some(tls) = tls_dir {
        for name in ["cert.pem", "key.pem"] {
            std::fs::copy(tls.join(name), dir.join(name)).unwrap();
        }
        chown(&dir);
        std::fs::set_permissions(
            dir.join("key.pem"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        cmd.args(["-c", "ssl=on"])
            .arg("-c")
            .arg(format!("ssl_cert_file={}", dir.join("cert.pem").display()))
            .arg("-c")
            .arg(format!("ssl_key_file={}", dir.join("key.pem").display()));
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start postgres");
    wait_for(port, &mut child, "postgres", &log);
    Daemon { child, port, dir }
}

/// A fresh MariaDB (or MySQL) server on a free port.
pub fn mariadb() -> Daemon {
    mariadb_with(&[])
}

/// The same, with `extra` server options.
pub fn mariadb_with(extra: &[&str]) -> Daemon {
    require(
        installed("mariadbd") && installed("mariadb-install-db"),
        "MariaDB (apt-get install mariadb-server)",
    );
    require(super::is_root(), "root, for MariaDB's --user=root");
    let dir = fresh_dir("hp-mariadb-");
    // A temporary directory of its own: two servers set up at once in the
    // shared /tmp once collided on a temporary table's file name.
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).expect("MariaDB's tmpdir");
    let out = Command::new("mariadb-install-db")
        .args([
            "--no-defaults",
            "--user=root",
            "--auth-root-authentication-method=normal",
        ])
        .arg("--skip-test-db")
        .arg(format!("--datadir={}", dir.join("data").display()))
        .arg(format!("--tmpdir={}", tmp.display()))
        .output()
        .expect("mariadb-install-db");
    assert!(out.status.success(), "mariadb-install-db: {out:?}");
    let port = closed_port();
    let log = dir.join("mariadb.log");
    let mut child = Command::new("mariadbd")
        .args([
            "--no-defaults",
            "--user=root",
            "--bind-address=127.0.0.1",
            "--skip-log-bin",
        ])
        .arg(format!("--port={port}"))
        .arg(format!("--datadir={}", dir.join("data").display()))
        .arg(format!("--socket={}", dir.join("sock").display()))
        .arg(format!("--tmpdir={}", tmp.display()))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start mariadbd");
    wait_for(port, &mut child, "mariadbd", &log);
    Daemon { child, port, dir }
}

/// nginx (apt nginx-light) on a free loopback port, one process (no master,
/// no daemon), with `server` as the body of its one `server { }` block.
pub fn nginx(server: &str) -> Daemon {
    nginx_listening("", server)
}

/// nginx as [`nginx`] starts it, its `listen` directive ending in `options`
/// (`http2`, `ssl http2`).
pub fn nginx_listening(options: &str, server: &str) -> Daemon {
    require(installed("nginx"), "nginx (apt-get install nginx-light)");
    let port = closed_port();
    let dir = fresh_dir("hp-nginx-");
    let log = dir.join("error.log");
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n\
         server {{\n    listen 127.0.0.1:{port} {options};\n    {server}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let mut child = Command::new("nginx")
        .arg("-p")
        .arg(&dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap())
        .spawn()
        .expect("start nginx");
    wait_for(port, &mut child, "nginx", &log);
    Daemon { child, port, dir }
}
