//! What to check: parsing of URLs and `HOST:PORT` arguments, strictly and with
//! messages that name the bad part.

use std::fmt;

use anyhow::{Context, Result, bail};

use crate::redacted::{SecretString, Secrets, redact_userinfo};
use crate::report::shown;

/// A URL scheme's facts that parsing needs; the schemes themselves are rows
/// of the table in `probe/schemes.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    /// Lower case, without `://`.
    pub name: &'static str,
    pub default_port: u16,
    /// Spoken over TLS from the first byte (https, rediss).
    pub tls: bool,
    /// `NAME:` without `//` names it too (`dns:db`).
    pub opaque: bool,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        self.name
    }

    /// Whether `input` starts with `NAME://` (in any case), or `NAME:` for
    /// an opaque scheme.
    pub fn starts(self, input: &str) -> bool {
        strip_prefix_ignore_case(input, self.name)
            .is_some_and(|rest| rest.starts_with("://") || (self.opaque && rest.starts_with(':')))
    }
}

/// Whether `input` is a target without a scheme (`localhost:8080/health`),
/// which curl reads as http. As curl reads it, only a `://` before the path
/// can end a scheme: `h:8080/health?next=http://x/` names none. What
/// follows a `://` in a path is shown without its password
/// ([`Url`]'s Display).
pub fn names_no_scheme(input: &str) -> bool {
    match input.find("://") {
        None => true,
        Some(sep) => input[..sep].contains(['/', '?', '#']),
    }
}

/// `path` (with its query) as a line may show it: a URL inside it
/// (`?next=http://u:pw@h/`) without its password, as [`redact_userinfo`]
/// hides one: everything between the first `:` after the `://` and the last
/// `@` (it may hide more than a password; it never shows one).
pub fn shown_path(path: &str) -> std::borrow::Cow<'_, str> {
    let Some(sep) = path.find("://") else {
        return std::borrow::Cow::Borrowed(path);
    };
    let rest = &path[sep + 3..];
    match rest
        .rfind('@')
        .and_then(|at| Some((rest[..at].find(':')?, at)))
    {
        Some((colon, at)) => std::borrow::Cow::Owned(format!(
            "{}{}:***{}",
            &path[..sep + 3],
            &rest[..colon],
            &rest[at..]
        )),
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// `path` with its dot segments removed (RFC 3986, 5.2.4), as curl sends
/// it: `/a/../health` is `/health`. The query is left as it is.
pub fn without_dot_segments(path: &str) -> String {
    let (mut input, query) = match path.find('?') {
        Some(q) => (&path[..q], &path[q..]),
        None => (path, ""),
    };
    let mut out = String::with_capacity(path.len());
    let pop = |out: &mut String| match out.rfind('/') {
        Some(i) => out.truncate(i),
        None => out.clear(),
    };
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") {
            input = &input[3..];
            pop(&mut out);
        } else if input == "/.." {
            input = "/";
            pop(&mut out);
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let from = usize::from(input.starts_with('/'));
            let end = input[from..].find('/').map_or(input.len(), |i| i + from);
            out.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out.push_str(query);
    out
}

/// `input`, with `http://` in front when it names no scheme: curl reads
/// `localhost:8080/health` as `http://localhost:8080/health`.
pub fn with_default_scheme(input: &str) -> std::borrow::Cow<'_, str> {
    match names_no_scheme(input) {
        false => std::borrow::Cow::Borrowed(input),
        true => std::borrow::Cow::Owned(format!("http://{input}")),
    }
}

/// A host (an IP literal without brackets, or a name) and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// An http(s) URL. The password, if any, is a secret; `Display` redacts it.
#[derive(Debug, Clone)]
pub struct Url {
    pub scheme: Scheme,
    pub user: Option<String>,
    pub password: Option<SecretString>,
    pub host: String,
    pub port: u16,
    explicit_port: bool,
    /// Path and query, starting with `/`. Never empty.
    pub path: String,
}

impl Url {
    /// The path without its leading `/` and without the query: a database name.
    pub fn path_name(&self) -> String {
        let path = self.path.split('?').next().unwrap_or("");
        percent_decode(path.trim_start_matches('/'))
    }

    /// The value of `name` in the query, if it is there.
    pub fn query(&self, name: &str) -> Option<String> {
        let (_, query) = self.path.split_once('?')?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then(|| percent_decode(v))
        })
    }

    /// The URL to put on the wire, for `host` (the target's own, or `--host`).
    /// Credentials are not part of it; they travel in the Authorization header.
    pub fn request_uri(&self, host: &str) -> String {
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        format!(
            "{}://{}:{}{}",
            self.scheme.as_str(),
            host,
            self.port,
            self.path
        )
    }

    /// The user name and password, for scrubbing what a server echoes.
    pub fn secrets(&self) -> Secrets<'_> {
        Secrets {
            names: self.user.as_deref().into_iter().collect(),
            passwords: self.password.iter().map(SecretString::expose).collect(),
        }
    }

    /// `user@` for a subject line (never the password), or nothing.
    pub fn user_at(&self) -> String {
        match &self.user {
            Some(u) if !u.is_empty() => format!("{u}@"),
            _ => String::new(),
        }
    }

    pub fn host_port(&self) -> HostPort {
        HostPort {
            host: self.host.clone(),
            port: self.port,
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme.as_str())?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if self.password.is_some() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if self.explicit_port {
            write!(f, ":{}", self.port)?;
        }
        f.write_str(&shown_path(&self.path))
    }
}

/// Parses `scheme://[user[:password]@]host[:port][/path][?query]`, where
/// `input` starts with `scheme://` ([`Scheme::starts`]). No message quotes a
/// password, whether the input parses or not.
pub fn parse_url(input: &str, scheme: Scheme) -> Result<Url> {
    if !scheme.starts(input) {
        bail!(
            "bad URL {}: must start with {}://",
            shown_url(input),
            scheme.name
        );
    }
    let rest = &input[scheme.name.len() + 3..];
    if let Some(bad) = input.chars().find(|c| c.is_whitespace() || c.is_control()) {
        bail!(
            "bad URL {}: contains {:?}; percent-encode it",
            shown_url(input),
            bad
        );
    }
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    if !authority.contains('@') && authority.contains(':') && tail.contains('@') {
        // `http://admin:pa/ss@host/`: a password with an unencoded '/', '?' or
        // '#' would pass for a host and a port; refuse rather than guess.
        bail!(
            "bad URL {}: '@' after the host; percent-encode '/', '?' and '#' in a password \
             (%2F, %3F, %23) and '@' in a path or query (%40)",
            shown_url(input)
        );
    }
    let tail = tail.split('#').next().unwrap_or("");
    let path = if tail.is_empty() {
        "/".to_string()
    } else if tail.starts_with('?') {
        format!("/{tail}")
    } else {
        tail.to_string()
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(u) => match u.split_once(':') {
            Some((user, pass)) => (
                Some(percent_decode(user)),
                Some(SecretString::new(percent_decode(pass))),
            ),
            None => (Some(percent_decode(u)), None),
        },
    };
    let (host, port) =
        split_host_port(hostport).with_context(|| format!("bad URL {}", shown_url(input)))?;
    Ok(Url {
        scheme,
        user,
        password,
        host,
        port: port.unwrap_or(scheme.default_port),
        explicit_port: port.is_some(),
        path,
    })
}

/// Parses `grpc://HOST:PORT[/SERVICE]` or `grpcs://...` (TLS): the address,
/// whether TLS is asked for, and the service (empty: the whole server).
pub fn parse_grpc(input: &str) -> Result<(HostPort, bool, String)> {
    let (tls, rest) = if let Some(rest) = strip_prefix_ignore_case(input, "grpcs://") {
        (true, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(input, "grpc://") {
        (false, rest)
    } else {
        (false, input)
    };
    if rest.contains('@') {
        bail!(
            "bad gRPC target {}: no user name or password here; send credentials with -H",
            shown_url(input)
        );
    }
    let (address, service) = rest.split_once('/').unwrap_or((rest, ""));
    let target = parse_host_port(address)
        .with_context(|| format!("bad gRPC target {}", shown_url(input)))?;
    Ok((target, tls, percent_decode(service)))
}

/// Parses `HOST:PORT` or `tcp://HOST:PORT`.
pub fn parse_host_port(input: &str) -> Result<HostPort> {
    let bare = strip_prefix_ignore_case(input, "tcp://").unwrap_or(input);
    let bare = bare.strip_suffix('/').unwrap_or(bare);
    if bare.contains('@') {
        bail!(
            "bad address {}: expected HOST:PORT, without a user name or password",
            shown_url(input)
        );
    }
    let (host, port) =
        split_host_port(bare).with_context(|| format!("bad address {}", shown_url(input)))?;
    match port {
        Some(port) => Ok(HostPort { host, port }),
        None => bail!("bad address {}: expected HOST:PORT", shown_url(input)),
    }
}

/// Splits `host[:port]` / `[v6][:port]` and checks both halves.
fn split_host_port(s: &str) -> Result<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            bail!("missing ']' after IPv6 address");
        };
        if v6.contains('%') {
            bail!("IPv6 zone identifiers ({v6}) are not supported");
        }
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            bail!("{v6:?} is not an IPv6 address");
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').context("unexpected text after ']'")?),
        };
        (v6, port)
    } else {
        if s.matches(':').count() > 1 {
            bail!("IPv6 addresses go in brackets, as in [::1]:8080");
        }
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        bail!("no host");
    }
    if !host.is_ascii() {
        bail!("host {host:?} is not ASCII; write international names in punycode (xn--...)");
    }
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':')))
    {
        bail!("host {host:?} contains {bad:?}");
    }
    let port = port.map(parse_port).transpose()?;
    Ok((host.to_ascii_lowercase(), port))
}

fn parse_port(p: &str) -> Result<u16> {
    if p.is_empty() {
        bail!("empty port");
    }
    if !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 5 {
        bail!("port {p:?} is not a number from 1 to 65535");
    }
    match p.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        _ => bail!("port {p} is out of range (1 to 65535)"),
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The host part of a Host header or :authority value (`name`, `name:port`,
/// `[v6]:port`): the TLS server name it asks for.
pub fn host_of_authority(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority
        .rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(authority, |(h, _)| h)
}

/// A target as typed, quoted for a message, its password redacted.
pub fn shown_url(input: &str) -> String {
    shown(&redact_userinfo(input))
}

/// Expands `${NAME}` from the environment: exec-form HEALTHCHECK has no shell
/// to do it. An unset or non-UTF-8 variable is an error naming it.
pub fn expand_vars(input: &str) -> Result<String> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            bail!("{}: unclosed ${{ (write ${{NAME}})", shown_url(input));
        };
        let name = &after[..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            bail!("{}: {:?} is not a variable name", shown_url(input), name);
        }
        match std::env::var(name) {
            Ok(value) => out.push_str(&value),
            Err(_) => bail!("{} uses ${{{name}}}, which is not set", shown_url(input)),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTTP: Scheme = Scheme {
        name: "http",
        default_port: 80,
        tls: false,
        opaque: false,
    };
    const HTTPS: Scheme = Scheme {
        name: "https",
        default_port: 443,
        tls: true,
        opaque: false,
    };

    fn parse_url_any(input: &str) -> Result<Url> {
        match HTTPS.starts(input) {
            true => parse_url(input, HTTPS),
            false => parse_url(input, HTTP),
        }
    }

    #[test]
    fn url_parts() {
        let u = parse_url_any("http://localhost:8080/health?x=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("localhost", 8080, "/health?x=1")
        );
        assert_eq!(u.to_string(), "http://localhost:8080/health?x=1");
        let u = parse_url_any("HTTPS://[::1]").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port, u.path.as_str()),
            (HTTPS, "::1", 443, "/")
        );
        assert_eq!(u.request_uri("::1"), "https://[::1]:443/");
        let u = parse_url_any("http://127.0.0.1:1?q").unwrap();
        assert_eq!(u.path, "/?q");
    }

    #[test]
    fn url_password_is_never_displayed() {
        let u = parse_url_any("http://admin:s%40cret@localhost/").unwrap();
        assert_eq!(u.to_string(), "http://admin:***@localhost/");
        assert_eq!(u.password.as_ref().map(|p| p.expose()), Some("s@cret"));
        let err = parse_url_any("http://a:hunter2@[::1/").unwrap_err();
        assert!(!format!("{err:#}").contains("hunter2"), "{err:#}");
    }

    #[test]
    fn bad_urls_name_the_problem() {
        for (input, needle) in [
            ("ftp://x/", "must start with"),
            ("http:///health", "no host"),
            ("http://localhost:0/", "out of range"),
            ("http://localhost:65536/", "out of range"),
            ("http://localhost:80a/", "not a number"),
            ("http://local host/", "percent-encode"),
            ("http://bücher.example/", "punycode"),
            ("http://[fe80::1%25eth0]:80/", "zone"),
            ("http://::1:80/", "brackets"),
        ] {
            let err = format!("{:#}", parse_url_any(input).unwrap_err());
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn no_message_quotes_a_password_whatever_the_input() {
        for input in [
            "http://admin:hunter2@127.0.0.1:1/a b",
            "htp://admin:hunter2@h/",
            "http://admin:hunter2/x@h/",
            "http://admin:hunter2?x@h/",
            "http://admin:hunter2#x@h/",
            "http://admin:hunter2@[::1/",
            "http://admin:12345/x@h/",
        ] {
            let err = format!("{:#}", parse_url_any(input).unwrap_err());
            assert!(!err.contains("hunter2") && !err.contains("12345"), "{err}");
        }
        for input in ["tcp://u:hunter2@db:5432", "u:hunter2@db:5432"] {
            let err = format!("{:#}", parse_host_port(input).unwrap_err());
            assert!(!err.contains("hunter2") && err.contains("u:***@"), "{err}");
        }
        for input in ["grpc://u:hunter2@db:1", "grpcs://u:hunter2/x@db:1"] {
            let err = format!("{:#}", parse_grpc(input).unwrap_err());
            assert!(!err.contains("hunter2"), "{err}");
        }
        // An '@' in the path is fine when no port stands before it.
        assert_eq!(parse_url_any("http://h/@me").unwrap().path, "/@me");
    }

    #[test]
    fn dot_segments_are_removed_as_rfc_3986_says() {
        // RFC 3986, 5.4 (the paths of its examples) and curl's reading.
        for (path, sent) in [
            ("/a/b/c/./../../g", "/a/g"),
            ("/mid/content=5/../6", "/mid/6"),
            ("/a/../health", "/health"),
            ("/../../health", "/health"),
            ("/a/./b/", "/a/b/"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/..", "/"),
            ("/", "/"),
            ("/a/..?x=/../y", "/?x=/../y"),
            ("/a..b/.c/..d", "/a..b/.c/..d"),
            ("//a/../b", "//b"),
        ] {
            assert_eq!(without_dot_segments(path), sent, "{path}");
        }
    }

    #[test]
    fn only_a_scheme_before_the_path_is_one() {
        assert!(names_no_scheme("127.0.0.1:8080/health?next=http://x/"));
        assert!(names_no_scheme("h/a#x://y"));
        assert!(!names_no_scheme("http://h/?next=http://x/"));
        assert!(!names_no_scheme("htp://h/"));
        assert_eq!(shown_path("/?next=http://x/"), "/?next=http://x/");
        assert_eq!(
            shown_path("/?next=http://u:pw@x/&b=c"),
            "/?next=http://u:***@x/&b=c"
        );
    }

    #[test]
    fn a_mistyped_scheme_is_no_path_to_print_a_password_from() {
        // Found by fuzzing: read as a target without a scheme, this was
        // http://a with the path //://u:Zx9Secret@, printed whole. Read so
        // still (curl's reading), the path is shown without it.
        for input in ["A//://u:Zx9Secret@", "aaaa?://u:Zx9Secret@?"] {
            let shown = crate::probe::schemes::url(input)
                .map(|u| u.to_string())
                .unwrap_or_else(|e| format!("{e:#}"));
            assert!(!shown.contains("Zx9Secret"), "{shown}");
        }
        assert!(names_no_scheme("localhost:8080/health"));
    }

    #[test]
    fn host_port_forms() {
        assert_eq!(parse_host_port("db:5432").unwrap().to_string(), "db:5432");
        assert_eq!(parse_host_port("tcp://[::1]:5432").unwrap().host, "::1");
        assert!(parse_host_port("localhost").is_err());
        assert!(parse_host_port(":80").is_err());
    }

    #[test]
    fn variables_are_expanded_or_named_when_unset() {
        // SAFETY: no other test reads or writes this variable while this one runs.
        unsafe { std::env::set_var("HP_TEST_PORT", "8081") };
        assert_eq!(
            expand_vars("http://localhost:${HP_TEST_PORT}/h").unwrap(),
            "http://localhost:8081/h"
        );
        assert_eq!(expand_vars("tcp://a:1").unwrap(), "tcp://a:1");
        let e = expand_vars("http://x:${HP_TEST_UNSET_VAR}/")
            .unwrap_err()
            .to_string();
        assert!(e.contains("${HP_TEST_UNSET_VAR}, which is not set"), "{e}");
        assert!(expand_vars("http://x:${oops/").is_err());
        assert!(expand_vars("http://x:${a b}/").is_err());
    }
}
