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
//! hang) and must be regular files. /etc/hosts is read whole whatever its
//! size (ad-blocking lists run to megabytes), a block at a time with the
//! deadline checked between blocks, and scanned byte by byte: memory does
//! not grow with the file or a line. resolv.conf is read a line at a time,
//! at most [`MAX_RESOLV_CONF`] bytes (a larger one is refused, saying so).

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

/// The largest resolv.conf read (Kubernetes writes at most 32 search
/// domains of 2,048 characters in all).
const MAX_RESOLV_CONF: u64 = 64 * 1024;
/// glibc's limit: three nameservers.
const MAX_NAMESERVERS: usize = 3;
/// Search domains asked (glibc has no limit; Kubernetes allows 32); the
/// line says when resolv.conf lists more.
pub const MAX_SEARCH: usize = 32;
/// The longest address in /etc/hosts that can parse.
const MAX_ADDRESS_TEXT: usize = 64;

/// What resolv.conf says, with glibc's defaults for what it leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvConf {
    pub nameservers: Vec<SocketAddr>,
    pub search: Vec<String>,
    /// Search domains listed beyond [`MAX_SEARCH`], not asked.
    pub search_over: usize,
    pub ndots: usize,
    pub timeout: Duration,
    pub attempts: usize,
}

impl Default for ResolvConf {
    fn default() -> Self {
        ResolvConf {
            nameservers: Vec::new(),
            search: Vec::new(),
            search_over: 0,
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
            Some("domain") => {
                self.search = words.take(1).map(String::from).collect();
                self.search_over = 0;
            }
            Some("search") => {
                self.search = words.by_ref().take(MAX_SEARCH).map(String::from).collect();
                self.search_over = words.count();
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
/// `multi on`), in file order, without repeats: at most `max`, and how many
/// more lines named it. `name` is compared as typed: `db.` is not `db`.
/// Only addresses `keep` keeps count (the families asked for).
pub fn hosts_lookup(
    path: &str,
    name: &str,
    keep: impl Fn(&IpAddr) -> bool,
    max: usize,
    deadline: &Deadline,
) -> Result<(Vec<IpAddr>, usize), String> {
    let Some(mut file) = open(path)? else {
        return Ok((Vec::new(), 0));
    };
    let mut scan = HostsScan {
        name: name.as_bytes(),
        keep: &keep,
        found: Vec::new(),
        max,
        more: 0,
        word: [0; MAX_ADDRESS_TEXT],
        len: 0,
        in_word: false,
        same: true,
        field: 0,
        ip: None,
        skip: false,
    };
    let mut block = [0u8; 8192];
    loop {
        if deadline.expired() {
            return Err(format!("timed out reading {path}"));
        }
        match file.read(&mut block) {
            Ok(0) => break,
            Ok(n) => block[..n].iter().for_each(|&b| scan.byte(b)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("{path}: {}", crate::net::io_reason(&e))),
        }
    }
    scan.byte(b'\n');
    Ok((scan.found, scan.more))
}

/// /etc/hosts read a byte at a time: `ADDRESS NAME...`, blanks between
/// words, `#` to the end of the line a comment; a line whose first word is
/// not an address is skipped.
struct HostsScan<'a> {
    name: &'a [u8],
    keep: &'a dyn Fn(&IpAddr) -> bool,
    found: Vec<IpAddr>,
    max: usize,
    more: usize,
    /// The address being read (longer ones cannot parse).
    word: [u8; MAX_ADDRESS_TEXT],
    /// Bytes in the current word.
    len: usize,
    in_word: bool,
    /// The current name word equals `name` so far.
    same: bool,
    /// Which word of the line: 0 is the address.
    field: usize,
    ip: Option<IpAddr>,
    /// The rest of the line is not read (a comment, or no address).
    skip: bool,
}

impl HostsScan<'_> {
    fn byte(&mut self, b: u8) {
        match b {
            b'\n' => {
                self.end_word();
                (self.field, self.ip, self.skip) = (0, None, false);
            }
            _ if self.skip => {}
            b'#' => {
                self.end_word();
                self.skip = true;
            }
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.end_word(),
            _ => {
                if !self.in_word {
                    (self.in_word, self.len, self.same) = (true, 0, true);
                }
                if self.field == 0 {
                    if let Some(w) = self.word.get_mut(self.len) {
                        *w = b;
                    }
                } else {
                    self.same &= self
                        .name
                        .get(self.len)
                        .is_some_and(|n| n.eq_ignore_ascii_case(&b));
                }
                self.len += 1;
            }
        }
    }

    fn end_word(&mut self) {
        if !std::mem::take(&mut self.in_word) {
            return;
        }
        if self.field == 0 {
            self.ip = self
                .word
                .get(..self.len)
                .and_then(|w| std::str::from_utf8(w).ok())
                .and_then(|w| w.parse().ok());
            self.skip = self.ip.is_none();
        } else if let Some(ip) = self.ip.filter(|_| self.same && self.len == self.name.len()) {
            if self.found.contains(&ip) || !(self.keep)(&ip) {
            } else if self.found.len() < self.max {
                self.found.push(ip);
            } else {
                self.more += 1;
            }
        }
        self.field += 1;
    }
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

/// Calls `each` with every line of `file` (lossy UTF-8), stopping with an
/// error at the deadline or when the file is larger than `max` bytes.
fn for_each_line(
    file: File,
    path: &str,
    max: u64,
    deadline: &Deadline,
    mut each: impl FnMut(&str),
) -> Result<(), String> {
    let mut reader = BufReader::with_capacity(4096, file.take(max + 1));
    let mut read = 0;
    let mut line = Vec::with_capacity(256);
    loop {
        if deadline.expired() {
            return Err(format!("timed out reading {path}"));
        }
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(()),
            Ok(n) if read + n as u64 > max => {
                return Err(format!("{path} is larger than {max} bytes, the most read"));
            }
            Ok(n) => {
                read += n as u64;
                each(&String::from_utf8_lossy(&line));
            }
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
             fd00::5 db\nnot-an-ip db\n10.0.0.5 db\n10.0.0.6\tother db\n10.0.0.7 dbx db. #db\n\
             10.0.0.8 x#db\n10.0.0.9 db",
        )
        .unwrap();
        let deadline = Deadline::start(Duration::from_secs(5));
        let path_str = path.to_str().unwrap();
        let all = |_: &IpAddr| true;
        let found = hosts_lookup(path_str, "db", all, 64, &deadline).unwrap();
        assert_eq!(
            found.0,
            ["10.0.0.5", "fd00::5", "10.0.0.6", "10.0.0.9"].map(|a| a.parse::<IpAddr>().unwrap())
        );
        // As typed: a final dot matches only a final dot.
        let dotted = hosts_lookup(path_str, "db.", all, 64, &deadline).unwrap();
        assert_eq!(dotted, (vec!["10.0.0.7".parse::<IpAddr>().unwrap()], 0));
        // One kept, the other lines counted (but not repeats of it).
        assert_eq!(
            hosts_lookup(path_str, "db", all, 1, &deadline).unwrap().1,
            3
        );
        let v6 = hosts_lookup(path_str, "db", IpAddr::is_ipv6, 64, &deadline).unwrap();
        assert_eq!(v6, (vec!["fd00::5".parse::<IpAddr>().unwrap()], 0));
        assert!(
            hosts_lookup(path_str, "nope", all, 64, &deadline)
                .unwrap()
                .0
                .is_empty()
        );
        let _ = std::fs::remove_file(&path);
        assert!(
            hosts_lookup("/nonexistent/hosts", "db", all, 64, &deadline)
                .unwrap()
                .0
                .is_empty()
        );
        let err = hosts_lookup("/dev/null", "db", all, 64, &deadline).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_resolv_conf_past_the_bound_is_refused_saying_so() {
        let path = std::env::temp_dir().join(format!("hp-resolv-{}", std::process::id()));
        std::fs::write(&path, "# padding\n".repeat(7000)).unwrap();
        let deadline = Deadline::start(Duration::from_secs(5));
        let err = ResolvConf::load(path.to_str().unwrap(), &deadline).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert!(
            err.ends_with("is larger than 65536 bytes, the most read"),
            "{err}"
        );
    }

    #[test]
    fn search_domains_beyond_the_bound_are_counted() {
        let domains: Vec<String> = (1..=40).map(|i| format!("d{i}.test")).collect();
        let c = conf(&format!("search {}", domains.join(" ")));
        assert_eq!(
            (c.search.len(), c.search_over),
            (MAX_SEARCH, 40 - MAX_SEARCH)
        );
        assert_eq!(c.candidates("db")[8], "db.d9.test");
        assert_eq!(conf("search a b\ndomain c").search_over, 0);
    }
}
