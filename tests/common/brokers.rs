//! Message brokers and caches from Debian's packages, on free loopback ports
//! in temporary directories: RabbitMQ (one per test binary: it takes 5 to 30
//! seconds to boot), mosquitto and memcached (one per test). Tests that use
//! them are `#[ignore = "needs ..."]`; `.ci/run` installs the packages.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::daemons::{Daemon, fresh_dir, installed, wait_for};
use super::{closed_port, path_in, require, self_signed_cert, unique};

/// The user and vhost the shared RabbitMQ has, besides `guest` and `/`.
pub const RABBIT_USER: &str = "app";
pub const RABBIT_PASSWORD: &str = "Hare5ecret";
pub const RABBIT_VHOST: &str = "orders";

/// A RabbitMQ broker shared by every test of one test binary.
pub struct Rabbit {
    /// The plain AMQP listener.
    pub port: u16,
    /// The TLS listener (certificate for localhost and 127.0.0.1).
    pub tls_port: u16,
    /// The directory holding cert.pem (the CA to trust for `tls_port`).
    pub certs: PathBuf,
    /// The watchdog, its stdin held open for the life of the test process:
    /// when the process ends, however it ends, the watchdog reads EOF and
    /// kills the broker.
    _watchdog: Mutex<Child>,
}

/// The broker, started on first use: plain and TLS listeners, user
/// [`RABBIT_USER`] with access to `/` and [`RABBIT_VHOST`], made with
/// rabbitmqctl. A Rust test binary runs no destructors for statics, so a
/// watchdog shell owns the broker: it waits for EOF on its stdin (the
/// test process's end), then kills the Erlang VM and its private epmd and
/// removes the directory.
pub fn rabbitmq() -> &'static Rabbit {
    static RABBIT: OnceLock<Rabbit> = OnceLock::new();
    RABBIT.get_or_init(start_rabbitmq)
}

/// RabbitMQ's own scripts, not Debian's wrappers (which switch to user
/// rabbitmq and its home).
const RABBIT_BIN: &str = "/usr/lib/rabbitmq/bin";

fn start_rabbitmq() -> Rabbit {
    require(
        Path::new(RABBIT_BIN).join("rabbitmq-server").exists() && installed("epmd"),
        "rabbitmq-server (apt-get install rabbitmq-server)",
    );
    let dir = fresh_dir("hp-rabbit-");
    let certs = self_signed_cert("hp-amqps-");
    let (port, tls_port) = (closed_port(), closed_port());
    let conf = dir.join("rabbitmq.conf");
    std::fs::write(
        &conf,
        format!(
            "listeners.tcp.1 = 127.0.0.1:{port}\n\
             listeners.ssl.1 = 127.0.0.1:{tls_port}\n\
             ssl_options.cacertfile = {cert}\n\
             ssl_options.certfile = {cert}\n\
             ssl_options.keyfile = {key}\n\
             ssl_options.verify = verify_none\n\
             ssl_options.fail_if_no_peer_cert = false\n\
             loopback_users = none\n",
            cert = path_in(&certs, "cert.pem"),
            key = path_in(&certs, "key.pem"),
        ),
    )
    .unwrap();
    std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
    let env = rabbit_env(&dir, &conf);
    let log = dir.join("rabbit.log");
    // The watchdog: the broker in the background, then wait for EOF.
    let script = r#"
        "$RABBIT_BIN/rabbitmq-server" >"$HP_DIR/stdout.log" 2>&1 &
        broker=$!
        echo "$broker" >"$HP_DIR/broker.pid"
        read -r _ || true
        kill -9 "$broker" 2>/dev/null
        wait "$broker" 2>/dev/null
        epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1
        rm -rf "$HP_DIR" "$HP_CERTS"
    "#;
    let mut watchdog = Command::new("sh");
    watchdog
        .args(["-c", script])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RABBIT_BIN", RABBIT_BIN)
        .env("HP_DIR", &dir)
        .env("HP_CERTS", &certs)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut watchdog, 0);
    let mut child = watchdog.spawn().expect("start the RabbitMQ watchdog");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "rabbitmq-server's watchdog exited ({status}):\n{}",
                tail(&dir.join("stdout.log"))
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "rabbitmq-server did not listen within 180 s:\n{}",
            tail(&log)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for args in [
        &["add_user", RABBIT_USER, RABBIT_PASSWORD][..],
        &["add_vhost", RABBIT_VHOST],
        &[
            "set_permissions",
            "-p",
            RABBIT_VHOST,
            RABBIT_USER,
            ".*",
            ".*",
            ".*",
        ],
        &["set_permissions", "-p", "/", RABBIT_USER, ".*", ".*", ".*"],
    ] {
        let out = Command::new(Path::new(RABBIT_BIN).join("rabbitmqctl"))
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output()
            .expect("run rabbitmqctl");
        assert!(out.status.success(), "rabbitmqctl {args:?}: {out:?}");
    }
    let _ = std::io::stderr().write_all(
        format!(
            "rabbitmq-server ready on {port} (TLS {tls_port}) after {:?}\n",
            start.elapsed()
        )
        .as_bytes(),
    );
    Rabbit {
        port,
        tls_port,
        certs,
        _watchdog: Mutex::new(child),
    }
}

/// Everything RabbitMQ and its CLI would otherwise take from /etc, /var
/// and $HOME, pointed at `dir`; a node name and ports of its own (its own
/// epmd too, so that the one it leaves can be stopped).
fn rabbit_env(dir: &Path, conf: &Path) -> Vec<(String, String)> {
    let d = |name: &str| path_in(dir, name);
    let ctl = closed_port();
    vec![
        ("HOME".into(), d("")),
        (
            "RABBITMQ_NODENAME".into(),
            format!("{}@localhost", unique("hp")),
        ),
        ("RABBITMQ_CONFIG_FILE".into(), conf.to_string_lossy().into()),
        ("RABBITMQ_ADVANCED_CONFIG_FILE".into(), d("advanced.config")),
        ("RABBITMQ_ENABLED_PLUGINS_FILE".into(), d("enabled_plugins")),
        ("RABBITMQ_MNESIA_BASE".into(), d("mnesia")),
        ("RABBITMQ_LOG_BASE".into(), d("log")),
        ("RABBITMQ_LOGS".into(), d("rabbit.log")),
        ("RABBITMQ_PID_FILE".into(), d("rabbit.pid")),
        ("RABBITMQ_PLUGINS_EXPAND_DIR".into(), d("plugins-expand")),
        ("RABBITMQ_DIST_PORT".into(), closed_port().to_string()),
        ("RABBITMQ_CTL_DIST_PORT_MIN".into(), ctl.to_string()),
        (
            "RABBITMQ_CTL_DIST_PORT_MAX".into(),
            ctl.saturating_add(10).to_string(),
        ),
        ("ERL_EPMD_PORT".into(), closed_port().to_string()),
        // Exec the VM directly (no shell in between to outlive a kill).
        ("RUNNING_UNDER_SYSTEMD".into(), "1".into()),
    ]
}

/// The end of a log, for a failure message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(3000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text[start..].to_string()
}

/// A mosquitto broker with three listeners.
pub struct Mosquitto {
    /// Anonymous clients welcome.
    pub open: u16,
    /// Only [`MQTT_USER`] with [`MQTT_PASSWORD`] (mosquitto_passwd's file).
    pub auth: u16,
    /// TLS, anonymous clients welcome (certificate in `certs`).
    pub tls: u16,
    pub certs: PathBuf,
    _daemon: Daemon,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.certs);
    }
}

pub const MQTT_USER: &str = "sensor";
pub const MQTT_PASSWORD: &str = "Mqtt5ecret";

pub fn mosquitto() -> Mosquitto {
    require(
        installed("mosquitto") && installed("mosquitto_passwd") && installed("mosquitto_pub"),
        "mosquitto (apt-get install mosquitto mosquitto-clients)",
    );
    let dir = fresh_dir("hp-mosquitto-");
    let certs = self_signed_cert("hp-mqtts-");
    let passwords = dir.join("passwords");
    let status = Command::new("mosquitto_passwd")
        .args(["-c", "-b"])
        .arg(&passwords)
        .args([MQTT_USER, MQTT_PASSWORD])
        .status()
        .expect("mosquitto_passwd");
    assert!(status.success(), "mosquitto_passwd");
    let (open, auth, tls) = (closed_port(), closed_port(), closed_port());
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "user root\n\
             per_listener_settings true\n\
             log_dest stdout\n\
             listener {open} 127.0.0.1\n\
             allow_anonymous true\n\
             listener {auth} 127.0.0.1\n\
             allow_anonymous false\n\
             password_file {passwords}\n\
             listener {tls} 127.0.0.1\n\
             allow_anonymous true\n\
             certfile {cert}\n\
             keyfile {key}\n",
            passwords = passwords.display(),
            cert = path_in(&certs, "cert.pem"),
            key = path_in(&certs, "key.pem"),
        ),
    )
    .unwrap();
    let log = dir.join("mosquitto.log");
    let mut child = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mosquitto");
    for port in [open, auth, tls] {
        wait_for(port, &mut child, "mosquitto", &log);
    }
    Mosquitto {
        open,
        auth,
        tls,
        certs,
        _daemon: Daemon {
            child,
            port: open,
            dir,
        },
    }
}

/// The oracle: whether `mosquitto_pub` gets CONNACK 0 from `port` with
/// these credentials (it publishes one message, then disconnects).
pub fn mosquitto_pub_connects(port: u16, credentials: Option<(&str, &str)>) -> bool {
    let mut cmd = Command::new("mosquitto_pub");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-V", "mqttv311", "-t", "healthprobe/test", "-m", "x"]);
    if let Some((user, password)) = credentials {
        cmd.args(["-u", user, "-P", password]);
    }
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run mosquitto_pub")
        .success()
}

/// memcached on a free port.
pub fn memcached() -> Daemon {
    require(
        installed("memcached"),
        "memcached (apt-get install memcached)",
    );
    let dir = fresh_dir("hp-memcached-");
    let port = closed_port();
    let log = dir.join("memcached.log");
    let mut child = Command::new("memcached")
        .args(["-u", "root", "-l", "127.0.0.1", "-U", "0", "-m", "8"])
        .args(["-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start memcached");
    wait_for(port, &mut child, "memcached", &log);
    Daemon { child, port, dir }
}
