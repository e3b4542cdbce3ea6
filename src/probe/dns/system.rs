//! The system's resolver configuration, read as glibc reads it (the probe
//! has no libc resolver to ask: getaddrinfo on a thread could outlive the
//! deadline, and a static musl binary's differs from the app's anyway):
//! `/etc/hosts` is looked at first ("hosts: files dns"; nsswitch.conf itself
//! is not read), then the nameservers of `/etc/resolv.conf` are asked, with
//! its `search`/`domain` list, `ndots`, `timeout` and `attempts`.
//! `RES_OPTIONS`, `LOCALDOMAIN`, `rotate` and the domain of the host name
//! are not used.
//!
//! Both files are opened without blocking (a FIFO there gets a line, not a
//! hang), must be regular files, and are read at most [`MAX_HOSTS`] /
//! [`MAX_RESOLV_CONF`] bytes, a line at a time (memory does not grow with
//! the file), checking the deadline between lines.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use crate::deadline::Deadline;

/// Where the configuration is (tests point elsewhere through a mount namespace).
pub const HOSTS: &str = "/etc/hosts";
pub const RESOLV_CONF: &str = "/etc/resolv.conf";

/// The most of /etc/hosts read: Docker's and Kubernetes' are a few lines.
const MAX_HOSTS: u64 = 1024 * 1024;
const MAX_RESOLV_CONF: u64 = 64 * 1024;
/// glibc's limits: three nameservers; we keep at most eight search domains.
const MAX_NAMESERVERS: usize = 3;
const MAX_SEARCH: usize = 8;

/// What resolv.conf says, with glibc's defaults for what it leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvConf {
    pub nameservers: Vec<SocketAddr>,
    pub search: Vec<String>,
    pub ndots: usize,
    pub timeout: Duration,
    pub attempts: usize,
}

impl Default for ResolvConf {
    fn default() -> Self {
        ResolvConf {
            nameservers: Vec::new(),
            search: Vec::new(),
            ndots: 1,
            timeout: Duration::from_secs(5),
            attempts: 2,
        }
    }
}

impl ResolvConf {
    /// Reads `path`; a missing file is glibc's defaults (nameserver 127.0.0.1).
    pub fn load(path: &str, deadline: &Deadline) -> Result<ResolvConf, String> {
        let mut conf = ResolvConf::default();
        if let Some(file) = open(path)? {
            for_each_line(file, path, MAX_RESOLV_CONF, deadline, |l| conf.line(l))?;
        }
        if conf.nameservers.is_empty() {
            conf.nameservers
                .push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53));
        }
        Ok(conf)
    }

    fn line(&mut self, line: &str) {
        let mut words = line.split_ascii_whitespace();
        match words.next() {
            Some("nameserver") => {
                // An IPv6 address may carry a zone (fe80::1%eth0): not usable here.
                let ip = words.next().and_then(|w| w.parse::<IpAddr>().ok());
                if let Some(ip) = ip.filter(|_| self.nameservers.len() < MAX_NAMESERVERS) {
                    self.nameservers.push(SocketAddr::new(ip, 53));
                }
            }
            // The last of `domain` and `search` wins, as in glibc.
            Some("domain") => self.search = words.take(1).map(String::from).collect(),
            Some("search") => {
                self.search = words.take(MAX_SEARCH).map(String::from).collect();
            }
            Some("options") => {
                for option in words {
                    let number = |prefix: &str, max: usize| {
                        option
                            .strip_prefix(prefix)
                            .and_then(|n| n.parse::<usize>().ok())
                            .map(|n| n.min(max))
                    };
                    if let Some(n) = number("ndots:", 15) {
                        self.ndots = n;
                    } else if let Some(n) = number("timeout:", 30) {
                        self.timeout = Duration::from_secs(n.max(1) as u64);
                    } else if let Some(n) = number("attempts:", 5) {
                        self.attempts = n.max(1);
                    }
                }
            }
            _ => {}
        }
    }

    /// The names to ask for, in order, for `name` as typed (glibc's
    /// res_search): as it is first when it has at least `ndots` dots, else
    /// after the search domains; only as it is when it ends with a dot.
    pub fn candidates(&self, name: &str) -> Vec<String> {
        if let Some(absolute) = name.strip_suffix('.') {
            return vec![absolute.to_string()];
        }
        let searched = self
            .search
            .iter()
            .map(|d| d.trim_matches('.'))
            .filter(|d| !d.is_empty())
            .map(|d| format!("{name}.{d}"))
            .filter(|n| n.len() <= 253);
        if name.matches('.').count() >= self.ndots {
            std::iter::once(name.to_string()).chain(searched).collect()
        } else {
            searched.chain(std::iter::once(name.to_string())).collect()
        }
    }
}

/// The addresses /etc/hosts gives `name` (every line naming it, as glibc's
/// `multi on`), in file order, without repeats; at most `max`.
pub fn hosts_lookup(
    path: &str,
    name: &str,
    max: usize,
    deadline: &Deadline,
) -> Result<Vec<IpAddr>, String> {
    let Some(file) = open(path)? else {
        return Ok(Vec::new());
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    let mut found = Vec::new();
    for_each_line(file, path, MAX_HOSTS, deadline, |line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_ascii_whitespace();
        let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok()) else {
            return;
        };
        if words.any(|w| w.eq_ignore_ascii_case(name)) && !found.contains(&ip) && found.len() < max
        {
            found.push(ip);
        }
    })?;
    Ok(found)
}

/// `path` opened without blocking, if it exists; it must be a regular file.
fn open(path: &str) -> Result<Option<File>, String> {
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(Path::new(path))
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{path}: {}", crate::net::io_reason(&e))),
    };
    let meta = file
        .metadata()
        .map_err(|e| format!("{path}: {}", crate::net::io_reason(&e)))?;
    if !meta.is_file() {
        return Err(format!("{path} is not a regular file"));
    }
    Ok(Some(file))
}

/// Calls `each` with every line of the first `max` bytes of `file` (lossy
/// UTF-8), stopping with an error at the deadline.
fn for_each_line(
    file: File,
    path: &str,
    max: u64,
    deadline: &Deadline,
    mut each: impl FnMut(&str),
) -> Result<(), String> {
    let mut reader = BufReader::with_capacity(4096, file.take(max));
    let mut line = Vec::with_capacity(256);
    loop {
        if deadline.expired() {
            return Err(format!("timed out reading {path}"));
        }
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => each(&String::from_utf8_lossy(&line)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("{path}: {}", crate::net::io_reason(&e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(text: &str) -> ResolvConf {
        let mut c = ResolvConf::default();
        text.lines().for_each(|l| c.line(l));
        c
    }

    #[test]
    fn resolv_conf_as_glibc_reads_it() {
        let c = conf(
            "# comment\nnameserver 10.0.0.2\nnameserver ::1\nnameserver fe80::1%eth0\n\
             nameserver 10.0.0.3\nnameserver 10.0.0.4\ndomain old.example\n\
             search default.svc.cluster.local svc.cluster.local\n\
             options ndots:5 timeout:2 attempts:9 rotate\n",
        );
        assert_eq!(
            c.nameservers,
            ["10.0.0.2:53", "[::1]:53", "10.0.0.3:53"].map(|s| s.parse().unwrap())
        );
        assert_eq!(c.search, ["default.svc.cluster.local", "svc.cluster.local"]);
        assert_eq!(
            (c.ndots, c.timeout, c.attempts),
            (5, Duration::from_secs(2), 5)
        );
        assert_eq!(
            conf("search a.example\ndomain b.example").search,
            ["b.example"]
        );
        assert_eq!(conf("").ndots, 1);
    }

    #[test]
    fn search_order_follows_ndots() {
        let c = conf("search svc.local local\noptions ndots:2");
        assert_eq!(c.candidates("db"), ["db.svc.local", "db.local", "db"]);
        assert_eq!(
            c.candidates("db.x.y"),
            ["db.x.y", "db.x.y.svc.local", "db.x.y.local"]
        );
        assert_eq!(c.candidates("db.x.y."), ["db.x.y"]);
        assert_eq!(conf("").candidates("db"), ["db"]);
    }

    #[test]
    fn hosts_file_lines_and_aliases() {
        let path = std::env::temp_dir().join(format!("hp-hosts-{}", std::process::id()));
        std::fs::write(
            &path,
            "127.0.0.1 localhost\n# 10.9.9.9 db\n10.0.0.5 db.local DB # primary\n\
             fd00::5 db\nnot-an-ip db\n10.0.0.5 db\n10.0.0.6\tother db\n",
        )
        .unwrap();
        let deadline = Deadline::start(Duration::from_secs(5));
        let path_str = path.to_str().unwrap();
        let found = hosts_lookup(path_str, "db.", 64, &deadline).unwrap();
        assert_eq!(
            found,
            ["10.0.0.5", "fd00::5", "10.0.0.6"].map(|a| a.parse::<IpAddr>().unwrap())
        );
        assert_eq!(hosts_lookup(path_str, "db", 1, &deadline).unwrap().len(), 1);
        assert!(
            hosts_lookup(path_str, "nope", 64, &deadline)
                .unwrap()
                .is_empty()
        );
        let _ = std::fs::remove_file(&path);
        assert!(
            hosts_lookup("/nonexistent/hosts", "db", 64, &deadline)
                .unwrap()
                .is_empty()
        );
        let err = hosts_lookup("/dev/null", "db", 64, &deadline).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
