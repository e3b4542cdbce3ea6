//! `-L`: redirects followed as curl -L follows them. Which statuses are
//! followed (301, 302, 303, 307, 308), how the method changes (303 and a
//! POST after 301/302 become GET without a body; 307/308 keep both), where
//! a Location points (RFC 3986 section 5: absolute, `//host`, `/path`,
//! relative, `?query`), whether the next hop is the first one's origin
//! (only then do credentials, cookies and --host go along), and the chain
//! the line shows. The hops themselves are the check's (`mod.rs`).

use crate::target::{self, Scheme, Url};

/// Hops of the chain named in the line: the first and the last. With
/// SHOWN_URL, the chain takes at most some 115 bytes of the 200 the report
/// keeps of a result, leaving the last answer's verdict room.
const SHOWN_HOPS: usize = 2;
/// Characters of a URL shown in the chain.
const SHOWN_URL: usize = 40;

/// What -L asks for, and the schemes a redirect may go to (http and https,
/// from the scheme table).
#[derive(Debug, Clone)]
pub struct Follow {
    pub max: u32,
    pub schemes: Vec<Scheme>,
}

/// Whether `status` is one -L follows (when it has a Location).
pub fn is_followed(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The method of the next hop, and whether the body goes along.
pub fn next_method(status: u16, method: &str) -> (String, bool) {
    let post = method.eq_ignore_ascii_case("POST");
    let head = method.eq_ignore_ascii_case("HEAD");
    match status {
        303 if !head => ("GET".into(), false),
        301 | 302 if post => ("GET".into(), false),
        _ => (method.to_string(), true),
    }
}

/// Whether two URLs have one origin: scheme, host and port (curl 7.88 sends
/// credentials nowhere else; `127.0.0.1` and `localhost` differ).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme.name == b.scheme.name && a.host.eq_ignore_ascii_case(&b.host) && a.port == b.port
}

/// The URL a Location header points to, from `base`. A user name or
/// password in it is dropped (credentials come from the command line, for
/// the first origin only).
pub fn resolve(base: &Url, location: &[u8], follow: &Follow) -> Result<Url, String> {
    let location = std::str::from_utf8(location)
        .map_err(|_| "a Location that is not UTF-8".to_string())?
        .trim();
    if location.chars().any(char::is_control) {
        return Err("a Location with control characters".into());
    }
    let location = encode(location);
    let absolute = match scheme_of(&location) {
        Some(_) => location,
        None if location.starts_with("//") => format!("{}:{location}", base.scheme.name),
        None => {
            let (path, query) = split_query(&base.path);
            let joined = if location.is_empty() || location.starts_with('#') {
                base.path.clone()
            } else if location.starts_with('/') {
                location
            } else if location.starts_with('?') {
                format!("{path}{location}")
            } else {
                let _ = query;
                let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
                format!("{dir}{location}")
            };
            format!("{}{}", origin_text(base), without_dot_segments(&joined))
        }
    };
    let name = scheme_of(&absolute).unwrap_or_default();
    let Some(scheme) = follow
        .schemes
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
    else {
        return Err(format!(
            "a redirect to {}, not http(s): not followed",
            target::shown_url(&absolute)
        ));
    };
    let mut url = target::parse_url(&absolute, *scheme).map_err(|e| format!("{e:#}"))?;
    url.user = None;
    url.password = None;
    let (path, query) = split_query(&url.path);
    url.path = format!("{}{query}", without_dot_segments(path));
    Ok(url)
}

/// `http://host[:port]` of a URL, for joining a path to.
fn origin_text(url: &Url) -> String {
    let host = match url.host.contains(':') {
        true => format!("[{}]", url.host),
        false => url.host.clone(),
    };
    match url.port == url.scheme.default_port {
        true => format!("{}://{host}", url.scheme.name),
        false => format!("{}://{host}:{}", url.scheme.name, url.port),
    }
}

/// The scheme a reference starts with (`ftp:`), if it names one.
fn scheme_of(reference: &str) -> Option<&str> {
    let (name, _) = reference.split_once(':')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(name)
}

/// A path and its query (`?...`, or empty), the fragment dropped.
fn split_query(path: &str) -> (&str, &str) {
    let path = path.split('#').next().unwrap_or("");
    match path.find('?') {
        Some(i) => path.split_at(i),
        None => (path, ""),
    }
}

/// Spaces and bytes beyond ASCII percent-encoded, as curl sends them.
fn encode(location: &str) -> String {
    let mut out = String::with_capacity(location.len());
    for c in location.chars() {
        if c == ' ' || !c.is_ascii() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// RFC 3986 section 5.2.4: `.` and `..` segments removed from a path
/// (its query, if any, kept as it is).
fn without_dot_segments(path_and_query: &str) -> String {
    let (path, query) = split_query(path_and_query);
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut joined = out.join("/");
    if !joined.starts_with('/') {
        joined.insert(0, '/');
    }
    format!("{joined}{query}")
}

/// The chain so far for the line: `301 -> http://app/health`, each hop a
/// status and the URL it sent us to; long chains keep their first hop and
/// their last, long URLs their start.
pub fn chain_text(hops: &[(u16, String)]) -> String {
    let mut out: Vec<String> = Vec::new();
    let skipped = hops.len().saturating_sub(SHOWN_HOPS);
    for (i, (status, url)) in hops.iter().enumerate() {
        if skipped > 0 && (1..=skipped).contains(&i) {
            if i == 1 {
                out.push(format!("({skipped} more)"));
            }
            continue;
        }
        let shown: String = url.chars().take(SHOWN_URL).collect();
        let cut = match shown.len() < url.len() {
            true => "...",
            false => "",
        };
        out.push(format!("{status} -> {shown}{cut}"));
    }
    out.join(" -> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(name: &'static str, default_port: u16) -> Scheme {
        Scheme {
            name,
            default_port,
            tls: name == "https",
            opaque: false,
        }
    }

    fn follow() -> Follow {
        Follow {
            max: 10,
            schemes: vec![scheme("http", 80), scheme("https", 443)],
        }
    }

    fn at(base: &str, location: &str) -> String {
        let base = target::parse_url(base, scheme("http", 80)).unwrap();
        match resolve(&base, location.as_bytes(), &follow()) {
            Ok(url) => url.to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn locations_resolve_as_rfc_3986_reads_them() {
        let base = "http://a:8080/b/c/d?q";
        assert_eq!(at(base, "https://x/y"), "https://x/y");
        assert_eq!(at(base, "//x:81/y"), "http://x:81/y");
        assert_eq!(at(base, "/y?z"), "http://a:8080/y?z");
        assert_eq!(at(base, "g"), "http://a:8080/b/c/g");
        assert_eq!(at(base, "./g/"), "http://a:8080/b/c/g/");
        assert_eq!(at(base, "../g"), "http://a:8080/b/g");
        assert_eq!(at(base, "../../../../g"), "http://a:8080/g");
        assert_eq!(at(base, "?y"), "http://a:8080/b/c/d?y");
        assert_eq!(at(base, "#f"), "http://a:8080/b/c/d?q");
        assert_eq!(at(base, "/a b/é"), "http://a:8080/a%20b/%C3%A9");
        assert_eq!(at(base, "HTTP://u:pw@x/"), "http://x/");
        assert!(at(base, "ftp://x/").starts_with("error: a redirect to \"ftp://x/\""));
        assert!(at(base, "/a\r\nb").starts_with("error:"));
    }

    #[test]
    fn methods_change_as_curl_changes_them() {
        assert_eq!(next_method(303, "POST"), ("GET".into(), false));
        assert_eq!(next_method(303, "PUT"), ("GET".into(), false));
        assert_eq!(next_method(303, "HEAD"), ("HEAD".into(), true));
        assert_eq!(next_method(301, "POST"), ("GET".into(), false));
        assert_eq!(next_method(302, "PUT"), ("PUT".into(), true));
        assert_eq!(next_method(307, "POST"), ("POST".into(), true));
        assert_eq!(next_method(308, "POST"), ("POST".into(), true));
    }

    #[test]
    fn long_chains_are_cut() {
        let hops: Vec<(u16, String)> = (0..10).map(|i| (302, format!("http://h/{i}"))).collect();
        let text = chain_text(&hops);
        assert_eq!(text, "302 -> http://h/0 -> (8 more) -> 302 -> http://h/9");
        let long: Vec<(u16, String)> = (0..100)
            .map(|i| (301, format!("http://h/{i}/{}", "x".repeat(500))))
            .collect();
        let text = chain_text(&long);
        assert!(text.len() <= 120, "{} bytes: {text}", text.len());
    }
}
