//! What is secret, in one place: values that cannot be printed by accident
//! (`SecretString` prints `(redacted)`), the headers whose values are never
//! shown, and the user information of URLs, redacted before any message is
//! built, also for input that does not parse.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: String) -> Self {
        SecretString(value)
    }

    /// The secret itself, for putting on the wire only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// `Authorization: Basic ...` credentials for `user:password`.
pub fn basic_credentials(user: &str, password: &str) -> SecretString {
    SecretString(format!(
        "Basic {}",
        base64(format!("{user}:{password}").as_bytes())
    ))
}

/// Headers whose values are never printed, sent or received.
pub fn is_secret_header(name: &str) -> bool {
    [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ]
    .iter()
    .any(|s| name.eq_ignore_ascii_case(s))
}

/// A received header's value as -v may show it: `(redacted)` for the secret
/// ones, and URLs in the others (a `Location` echoing credentials) without
/// their passwords.
pub fn shown_header_value(name: &str, value: &[u8]) -> String {
    if is_secret_header(name) {
        return "(redacted)".into();
    }
    redact_userinfo(&String::from_utf8_lossy(value))
}

/// `input` with the password of any `user:password@` replaced by `***`.
///
/// Written for input that may not parse: everything between the scheme's
/// `//` (or the start, without a scheme) and the last `@` counts as user
/// information, so a password holding an unencoded `/`, `?`, `#` or `:` is
/// hidden too. It may hide more than a password; it never shows one.
pub fn redact_userinfo(input: &str) -> String {
    let Some(at) = input.rfind('@') else {
        return input.to_string();
    };
    let start = scheme_end(input).filter(|&s| s <= at).unwrap_or(0);
    match input[start..at].find(':') {
        Some(colon) => format!("{}:***{}", &input[..start + colon], &input[at..]),
        // redis-cli reads `redis://PASSWORD@host` as a password; a
        // `nats://TOKEN@host` user without a password is a token.
        None if start > 0
            && (is_redis(&input[..start]) || input[..start].eq_ignore_ascii_case("nats://")) =>
        {
            format!("{}***{}", &input[..start], &input[at..])
        }
        None => input.to_string(),
    }
}

/// `redis://` or `rediss://`, in any case.
fn is_redis(scheme: &str) -> bool {
    ["redis://", "rediss://"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s))
}

/// Where `scheme://` ends, if `input` starts with one.
fn scheme_end(input: &str) -> Option<usize> {
    let sep = input.find("://")?;
    let scheme = &input.as_bytes()[..sep];
    let valid = scheme.first()?.is_ascii_alphabetic()
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b));
    valid.then_some(sep + 3)
}

/// The parts of a credential header's value a server might echo: the whole
/// value, and the credential after its scheme (`Bearer TOKEN`: `TOKEN`).
pub fn header_secrets(value: &SecretString) -> [&str; 2] {
    let value = value.expose();
    let credential = value.split_once(' ').map_or("", |(_, c)| c.trim());
    [value, credential]
}

/// What was given for one target that a peer must not get us to print.
#[derive(Debug, Default)]
pub struct Secrets<'a> {
    /// User names: hidden where they stand as a word of their own (a user
    /// `a` must not turn "accepting" into "***ccepting").
    pub names: Vec<&'a str>,
    /// Passwords and tokens: hidden wherever they appear, and where a start
    /// of them at least [`MIN_ECHO`] bytes long does.
    pub passwords: Vec<&'a str>,
}

/// `text` from a peer (an error, a body, a header) with every secret given
/// for its target replaced by `***`: a server may echo what we sent (Redis
/// quotes the arguments of a command it does not know, AUTH's among them).
/// A password cut short by the peer (Redis quotes at most 128 bytes of
/// arguments) is hidden too. It may hide more than a secret; it never shows
/// a password.
impl Secrets<'_> {
    /// No name and no password that is not empty: nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.names
            .iter()
            .chain(&self.passwords)
            .all(|s| s.is_empty())
    }
}

pub fn scrub(text: &[u8], secrets: &Secrets<'_>) -> Vec<u8> {
    let names: Vec<&[u8]> = secrets.names.iter().map(|s| s.as_bytes()).collect();
    let passwords: Vec<&[u8]> = secrets.passwords.iter().map(|s| s.as_bytes()).collect();
    scrub_bytes(text, &names, &passwords)
}

/// [`scrub`] for secrets that need not be text (a MySQL scramble):
/// `names` hidden as words, `passwords` wherever they or a start of them
/// [`MIN_ECHO`] bytes long appear.
pub fn scrub_bytes(text: &[u8], names: &[&[u8]], passwords: &[&[u8]]) -> Vec<u8> {
    let nonempty = |list: &[&[u8]]| -> Vec<Vec<u8>> {
        list.iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_vec())
            .collect()
    };
    let (names, passwords) = (nonempty(names), nonempty(passwords));
    if names.is_empty() && passwords.is_empty() {
        return text.to_vec();
    }
    // A backslash binds too: `\u{1b}`, as the line escapes a control
    // character, is not the word `u`.
    let word_byte = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'\\');
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let password = passwords.iter().map(|s| echoed(rest, s)).max();
        let starts_word = !word_byte(at.checked_sub(1).and_then(|i| text.get(i)));
        let name = names
            .iter()
            .filter(|n| starts_word && rest.starts_with(n) && !word_byte(rest.get(n.len())))
            .map(Vec::len)
            .max();
        match password.max(name).unwrap_or(0) {
            0 => {
                out.push(text[at]);
                at += 1;
            }
            hidden => {
                out.extend_from_slice(b"***");
                at += hidden;
            }
        }
    }
    out
}

/// [`scrub`] for text already in a `String`.
pub fn scrub_text(text: &str, secrets: &Secrets<'_>) -> String {
    String::from_utf8_lossy(&scrub(text.as_bytes(), secrets)).into_owned()
}

/// The shortest start of a password that counts as an echo of it.
const MIN_ECHO: usize = 6;

/// How many bytes at the start of `text` echo `secret`: all of it, or a
/// start of it at least [`MIN_ECHO`] bytes long (0 if neither).
fn echoed(text: &[u8], secret: &[u8]) -> usize {
    let common = text.iter().zip(secret).take_while(|(a, b)| a == b).count();
    if common == secret.len() || common >= MIN_ECHO {
        common
    } else {
        0
    }
}

pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let s = basic_credentials("user", "hunter2");
        assert_eq!(format!("{s} {s:?}"), "(redacted) (redacted)");
        assert_eq!(s.expose(), "Basic dXNlcjpodW50ZXIy");
    }

    #[test]
    fn passwords_are_redacted_also_where_the_url_does_not_parse() {
        for (input, shown) in [
            ("http://a:b@h/x", "http://a:***@h/x"),
            ("http://a:b@h/x@y", "http://a:***@y"),
            ("http://admin:hunter2/x@h/", "http://admin:***@h/"),
            ("http://admin:hun?ter#2@h/", "http://admin:***@h/"),
            ("htp://admin:hunter2@h/", "htp://admin:***@h/"),
            ("http:/admin:hunter2@h", "http:***@h"),
            ("admin:hunter2@h:1", "admin:***@h:1"),
            ("tcp://u:hunter2@db:5432", "tcp://u:***@db:5432"),
            ("http://user@h/", "http://user@h/"),
            ("redis://hunter2@h:x", "redis://***@h:x"),
            ("REDISS://hunter2@h", "REDISS://***@h"),
            ("NATS://hunter2@h:4222", "NATS://***@h:4222"),
            ("nats://u:hunter2@h:4222", "nats://u:***@h:4222"),
            ("http://h/no-credentials", "http://h/no-credentials"),
        ] {
            let got = redact_userinfo(input);
            assert_eq!(got, shown, "{input}");
            assert!(!got.contains("hunter2") && !got.contains(":b@"), "{got}");
        }
    }

    #[test]
    fn peer_text_is_scrubbed_of_the_secrets() {
        let secrets = Secrets {
            names: vec!["alice", "a"],
            passwords: vec!["Hunter2Secret", ""],
        };
        let echo =
            b"ERR unknown command 'AUTH', with args beginning with: 'alice' 'Hunter2Secret' ";
        assert_eq!(
            String::from_utf8_lossy(&scrub(echo, &secrets)),
            "ERR unknown command 'AUTH', with args beginning with: '***' '***' "
        );
        // Cut short by the peer: the start of the password is hidden too.
        assert_eq!(scrub(b"'Hunter2S", &secrets), b"'***");
        // Too short a start to be an echo; names only as words.
        assert_eq!(scrub(b"Hunt", &secrets), b"Hunt");
        assert_eq!(
            scrub_text("accepting a, malice", &secrets),
            "accepting ***, malice"
        );
        assert_eq!(scrub(b"text", &Secrets::default()), b"text");
    }

    #[test]
    fn header_values_shown_by_v() {
        assert_eq!(shown_header_value("Set-Cookie", b"sid=1"), "(redacted)");
        assert_eq!(
            shown_header_value("location", b"http://u:hunter2@h/next"),
            "http://u:***@h/next"
        );
        assert_eq!(shown_header_value("server", b"nginx"), "nginx");
    }
}
