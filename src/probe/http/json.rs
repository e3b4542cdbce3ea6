//! `--body-json PATH=VALUE`: the JSON body (its first 64 KiB) must hold VALUE
//! at PATH (`status=UP`, `components.db.status=UP`, `checks[0].ok=true`).
//!
//! The body is scanned, not parsed into a tree: the scanner follows the path,
//! checks and skips everything else, and holds nothing but its position, so
//! memory does not grow with what a server sends (nesting is bounded too).
//! serde_json would build the whole document (a 64 KiB array of small numbers
//! is 32,000 values of 32 bytes) and measured 28,672 bytes more in the slim
//! binary: 782 KiB of its 800 KiB budget.
//!
//! VALUE compares as people write it: `UP` matches the string "UP", `200`
//! the number 200 (or 200.0, 2e2: numbers compare exactly as decimals, so
//! 9007199254740993 is not 9007199254740992) and the string "200", `true`,
//! `false`, `null` the literals and the strings. A VALUE in double quotes
//! (`"200"`) matches only a string.
//!
//! The body reads as jq reads it: of duplicate keys the last one counts,
//! and a lone surrogate escape (`"\ud83d"`, half an emoji) is U+FFFD, not an
//! error. The verdict comes as soon as the body decides it: when the
//! objects on the path are closed (a later duplicate could still change the
//! value before that), or at the first byte that is not JSON. A body cut
//! short after the value (the first 64 KiB) goes by the value it holds.

use std::fmt;

/// How deep the scanner follows nesting before it calls the body unreadable;
/// a path can be no longer (it could never match).
const MAX_DEPTH: usize = 64;

/// One `--body-json` assertion.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonCheck {
    path: Vec<Step>,
    expected: Expected,
    /// As written, for messages: `components.db.status`.
    shown_path: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Expected {
    /// Unquoted: compared with the value's text (see the module notes).
    Text(String),
    /// In double quotes: a string, exactly.
    Str(String),
}

/// A scalar found at a path, as JSON spells it (strings decoded).
#[derive(Debug, Clone, PartialEq)]
enum Found {
    Str(String),
    /// The number's literal text.
    Num(String),
    Bool(bool),
    Null,
    Object,
    Array,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Str(s) => write!(f, "{s:?}"),
            Found::Num(n) => f.write_str(n),
            Found::Bool(b) => write!(f, "{b}"),
            Found::Null => f.write_str("null"),
            Found::Object => f.write_str("an object"),
            Found::Array => f.write_str("an array"),
        }
    }
}

impl JsonCheck {
    /// `PATH=VALUE`: keys separated by dots, `[N]` for array elements.
    pub fn parse(s: &str) -> Result<JsonCheck, String> {
        let Some((path, value)) = s.split_once('=') else {
            return Err("expected PATH=VALUE, like status=UP".into());
        };
        let mut steps = Vec::new();
        for part in path.split('.') {
            if steps.len() > MAX_DEPTH {
                break;
            }
            let (key, mut rest) = match part.find('[') {
                Some(i) => part.split_at(i),
                None => (part, ""),
            };
            if !key.is_empty() {
                steps.push(Step::Key(key.to_string()));
            } else if rest.is_empty() {
                return Err(format!("empty step in the path {path:?}"));
            }
            while let Some(inner) = rest.strip_prefix('[') {
                let (index, after) = inner
                    .split_once(']')
                    .ok_or_else(|| format!("missing ']' in the path {path:?}"))?;
                let index = index
                    .parse()
                    .map_err(|_| format!("{index:?} is not an array index in the path {path:?}"))?;
                steps.push(Step::Index(index));
                rest = after;
                if steps.len() > MAX_DEPTH {
                    break;
                }
            }
            if !rest.is_empty() && steps.len() <= MAX_DEPTH {
                return Err(format!("unexpected {rest:?} in the path {path:?}"));
            }
        }
        if steps.len() > MAX_DEPTH {
            return Err(format!(
                "the path has more than {MAX_DEPTH} steps (the deepest nesting read)"
            ));
        }
        let expected = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(quoted) if value.len() >= 2 => Expected::Str(quoted.to_string()),
            _ => Expected::Text(value.to_string()),
        };
        Ok(JsonCheck {
            path: steps,
            expected,
            shown_path: path.to_string(),
        })
    }

    /// `status=UP` (or `code="200"`, quoted as given) for the line.
    pub fn describe(&self) -> String {
        match &self.expected {
            Expected::Text(t) => format!("{}={t}", self.shown_path),
            Expected::Str(s) => format!("{}={s:?}", self.shown_path),
        }
    }

    /// Whether `body` holds the expected value; otherwise why not, in words.
    /// A body cut short after the value goes by the value.
    pub fn check(&self, body: &[u8]) -> Result<(), Mismatch> {
        let found = match self.scan(body) {
            Scan::Done(found) | Scan::CutShort(found @ Some(_), _) => found,
            Scan::CutShort(None, e) => {
                return Err(Mismatch {
                    why: e.describe(body.len()),
                    body_ended: true,
                });
            }
            Scan::NotJson(e) => {
                return Err(Mismatch {
                    why: e.describe(body.len()),
                    body_ended: false,
                });
            }
        };
        let differs = |why| Mismatch {
            why,
            body_ended: false,
        };
        match found {
            None => Err(differs(format!("{} not in the JSON body", self.shown_path))),
            Some(found) if self.matches(&found) => Ok(()),
            Some(found) => Err(differs(format!(
                "{} is {found}, not {}",
                self.shown_path,
                match &self.expected {
                    Expected::Text(t) => t.clone(),
                    Expected::Str(s) => format!("{s:?}"),
                }
            ))),
        }
    }

    /// Whether `body` (what has arrived so far) decides the check: `Some`
    /// with the verdict, `None` while more of the body could change it.
    pub fn decided(&self, body: &[u8]) -> Option<bool> {
        match self.scan(body) {
            Scan::Done(found) => Some(found.is_some_and(|f| self.matches(&f))),
            Scan::NotJson(_) => Some(false),
            Scan::CutShort(..) => None,
        }
    }

    fn scan(&self, body: &[u8]) -> Scan {
        let mut scanner = Scanner {
            input: body,
            at: 0,
            latest: None,
        };
        match scanner.find(&self.path, 0, false) {
            Ok(found) => Scan::Done(found),
            Err(e) if e.at >= body.len() => Scan::CutShort(scanner.latest, e),
            Err(e) => Scan::NotJson(e),
        }
    }

    fn matches(&self, found: &Found) -> bool {
        match (&self.expected, found) {
            (Expected::Str(want), Found::Str(got)) => want == got,
            (Expected::Str(_), _) => false,
            (Expected::Text(want), Found::Str(got)) => want == got,
            (Expected::Text(want), Found::Num(got)) => {
                want == got
                    || matches!((Decimal::parse(want), Decimal::parse(got)), (Some(a), Some(b)) if a == b)
            }
            (Expected::Text(want), Found::Bool(b)) => want == if *b { "true" } else { "false" },
            (Expected::Text(want), Found::Null) => want == "null",
            (Expected::Text(_), Found::Object | Found::Array) => false,
        }
    }
}

/// Why a body fails an assertion: the words for the line, and whether the
/// body ended before the scan could decide (a body cut at the read limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub why: String,
    pub body_ended: bool,
}

/// How far a scan got.
enum Scan {
    /// The objects on the path closed: what is at the path, for good.
    Done(Option<Found>),
    /// The body ended first: what the path held when it did, and what was
    /// still to come.
    CutShort(Option<Found>, NotJson),
    NotJson(NotJson),
}

/// A JSON number as an exact decimal: `digits` x 10^`exponent`, without
/// leading or trailing zeros (zero is no digits), so that equal numbers are
/// equal values however they are written.
#[derive(Debug, PartialEq)]
struct Decimal {
    negative: bool,
    digits: String,
    exponent: i64,
}

impl Decimal {
    /// JSON's number syntax (and a leading `+` for what a user typed).
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !all_digits(int) || !all_digits(frac) || mantissa.ends_with('.') {
            return None;
        }
        let digits = format!("{int}{frac}");
        let trimmed = digits.trim_end_matches('0');
        let exponent = exponent
            .checked_sub(i64::try_from(frac.len()).ok()?)?
            .checked_add(i64::try_from(digits.len() - trimmed.len()).ok()?)?;
        let digits = trimmed.trim_start_matches('0').to_string();
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }
}

/// Why the body could not be read as JSON: what was expected, where.
#[derive(Debug)]
struct NotJson {
    at: usize,
    expected: &'static str,
}

impl NotJson {
    fn describe(&self, len: usize) -> String {
        if self.at >= len {
            format!(
                "the body is not JSON: it ends (at byte {len}) where {} should be",
                self.expected
            )
        } else {
            format!(
                "the body is not JSON: {} expected at byte {}",
                self.expected, self.at
            )
        }
    }
}

/// What a visitor did with a member or element.
enum Visit {
    /// Not the one: the scanner skips its value.
    Skip,
    /// The one: its value is read, and the scan goes on after it.
    Read,
    /// The one: its value is read, and the scan ends.
    Stop,
}

struct Scanner<'a> {
    input: &'a [u8],
    at: usize,
    /// The value most recently read at the path (cleared when a key on the
    /// path comes again): what a body cut short holds there.
    latest: Option<Found>,
}

impl Scanner<'_> {
    /// The scalar (or kind) at `path` in the value starting here; `None` when
    /// the path leads nowhere. Objects are read to their end (the last of
    /// duplicate keys counts); an array is left at the element the path
    /// takes unless `to_the_end` (an object around it must be read on).
    /// Recursion is bounded by the path's length ([`MAX_DEPTH`]).
    fn find(
        &mut self,
        path: &[Step],
        depth: usize,
        to_the_end: bool,
    ) -> Result<Option<Found>, NotJson> {
        self.space();
        let Some((step, rest)) = path.split_first() else {
            let found = self.value(depth)?;
            self.latest = Some(found.clone());
            return Ok(Some(found));
        };
        match (step, self.peek()) {
            (Step::Key(key), Some(b'{')) => {
                self.at += 1;
                let mut found = None;
                self.members(depth, |s, name| {
                    if name != *key {
                        return Ok(Visit::Skip);
                    }
                    s.latest = None;
                    found = s.find(rest, depth + 1, true)?;
                    Ok(Visit::Read)
                })?;
                Ok(found)
            }
            (Step::Index(index), Some(b'[')) => {
                self.at += 1;
                let mut found = None;
                let mut i = 0;
                self.elements(depth, |s| {
                    i += 1;
                    if i - 1 != *index {
                        return Ok(Visit::Skip);
                    }
                    found = s.find(rest, depth + 1, to_the_end)?;
                    Ok(if to_the_end { Visit::Read } else { Visit::Stop })
                })?;
                Ok(found)
            }
            _ => {
                self.value(depth)?;
                Ok(None)
            }
        }
    }

    /// Reads one value; scalars are returned, containers checked and skipped.
    fn value(&mut self, depth: usize) -> Result<Found, NotJson> {
        if depth > MAX_DEPTH {
            return Err(self.expected("nesting of at most 64 levels"));
        }
        self.space();
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                self.members(depth, |_, _| Ok(Visit::Skip))?;
                Ok(Found::Object)
            }
            Some(b'[') => {
                self.at += 1;
                self.elements(depth, |_| Ok(Visit::Skip))?;
                Ok(Found::Array)
            }
            Some(b'"') => self.string().map(Found::Str),
            Some(b't') => self.literal(b"true").map(|()| Found::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Found::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Found::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Found::Num),
            _ => Err(self.expected("a value")),
        }
    }

    /// The members of an object after its `{`: `visit` sees each key, and
    /// reads its value and stops the scan, or leaves it to be skipped.
    fn members(
        &mut self,
        depth: usize,
        mut visit: impl FnMut(&mut Self, String) -> Result<Visit, NotJson>,
    ) -> Result<(), NotJson> {
        self.space();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return Err(self.expected("a key in double quotes"));
            }
            let name = self.string()?;
            self.space();
            if !self.eat(b':') {
                return Err(self.expected("':'"));
            }
            match visit(self, name)? {
                Visit::Stop => return Ok(()),
                Visit::Read => {}
                Visit::Skip => {
                    self.value(depth + 1)?;
                }
            }
            self.space();
            if self.eat(b'}') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(self.expected("',' or '}'"));
            }
        }
    }

    /// The elements of an array after its `[`.
    fn elements(
        &mut self,
        depth: usize,
        mut visit: impl FnMut(&mut Self) -> Result<Visit, NotJson>,
    ) -> Result<(), NotJson> {
        self.space();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            match visit(self)? {
                Visit::Stop => return Ok(()),
                Visit::Read => {}
                Visit::Skip => {
                    self.value(depth + 1)?;
                }
            }
            self.space();
            if self.eat(b']') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(self.expected("',' or ']'"));
            }
        }
    }

    /// A string literal, escapes decoded.
    fn string(&mut self) -> Result<String, NotJson> {
        self.at += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            let Some(b) = self.next() else {
                return Err(self.expected("'\"' to end the string"));
            };
            match b {
                b'"' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let c = match self.next() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.expected("a valid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.expected("no control character in a string")),
                _ => out.push(b),
            }
        }
    }

    /// After `\u`: four hex digits, and a low surrogate after a high one. A
    /// lone surrogate is U+FFFD, as jq reads it.
    fn unicode_escape(&mut self) -> Result<char, NotJson> {
        let unit = self.hex4()?;
        if (0xd800..0xdc00).contains(&unit) && self.input.get(self.at..self.at + 2) == Some(b"\\u")
        {
            let back = self.at;
            self.at += 2;
            match self.hex4() {
                Ok(low) if (0xdc00..0xe000).contains(&low) => {
                    let code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                    return Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                // Not a low surrogate: read as an escape of its own.
                _ => self.at = back,
            }
        }
        Ok(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    fn hex4(&mut self) -> Result<u32, NotJson> {
        let digits = self
            .input
            .get(self.at..self.at + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.expected("four hex digits"))?;
        self.at += 4;
        Ok(digits)
    }

    fn number(&mut self) -> Result<String, NotJson> {
        let start = self.at;
        self.eat(b'-');
        if !self.digits() {
            return Err(self.expected("a digit"));
        }
        if self.eat(b'.') && !self.digits() {
            return Err(self.expected("a digit after '.'"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if !self.digits() {
                return Err(self.expected("a digit in the exponent"));
            }
        }
        Ok(String::from_utf8_lossy(&self.input[start..self.at]).into_owned())
    }

    fn digits(&mut self) -> bool {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at > start
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), NotJson> {
        if self.input.get(self.at..self.at + word.len()) == Some(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.expected("true, false or null"))
        }
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn expected(&self, what: &'static str) -> NotJson {
        NotJson {
            at: self.at,
            expected: what,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        br#"{"status":"UP","components":{"db":{"status":"DOWN","details":{"error":"timeout"}},
        "disk":{"status":"UP","free":1.5e9}},"checks":[{"ok":true},{"ok":false,"n":3}],"none":null,
        "esc":"a\"b\u00e9\ud83d\ude00"}"#;

    fn check(spec: &str, body: &[u8]) -> Result<(), String> {
        JsonCheck::parse(spec)?.check(body).map_err(|m| m.why)
    }

    #[test]
    fn paths_and_values() {
        assert_eq!(check("status=UP", BODY), Ok(()));
        assert_eq!(check("status=\"UP\"", BODY), Ok(()));
        assert_eq!(check("components.disk.status=UP", BODY), Ok(()));
        assert_eq!(check("components.disk.free=1500000000", BODY), Ok(()));
        assert_eq!(check("checks[0].ok=true", BODY), Ok(()));
        assert_eq!(check("checks[1].n=3.0", BODY), Ok(()));
        assert_eq!(check("none=null", BODY), Ok(()));
        assert_eq!(check("esc=a\"b\u{e9}\u{1f600}", BODY), Ok(()));
        assert_eq!(check("[0]=1", b"[1,2]"), Ok(()));
    }

    #[test]
    fn failures_say_which() {
        assert_eq!(
            check("components.db.status=UP", BODY),
            Err("components.db.status is \"DOWN\", not UP".into())
        );
        assert_eq!(
            check("checks[1].ok=true", BODY),
            Err("checks[1].ok is false, not true".into())
        );
        assert_eq!(
            check("checks[0].n=3", BODY),
            Err("checks[0].n not in the JSON body".into())
        );
        assert_eq!(
            check("checks[5].ok=true", BODY),
            Err("checks[5].ok not in the JSON body".into())
        );
        assert_eq!(
            check("status.x=1", BODY),
            Err("status.x not in the JSON body".into())
        );
        assert_eq!(
            check("components=UP", BODY),
            Err("components is an object, not UP".into())
        );
        assert_eq!(
            check("n=\"3\"", br#"{"n":3}"#),
            Err("n is 3, not \"3\"".into())
        );
        let err = check("status=UP", b"<html>oops</html>").unwrap_err();
        assert_eq!(err, "the body is not JSON: a value expected at byte 0");
        let err = check("b=1", br#"{"a":[1,2"#).unwrap_err();
        assert!(err.contains("it ends (at byte 9)"), "{err}");
    }

    #[test]
    fn the_scan_stops_at_the_value() {
        // A body cut short (the first 64 KiB) after the value still passes.
        assert_eq!(
            check("status=UP", br#"{"status":"UP","more":[1,2,3"#),
            Ok(())
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(10_000);
        let err = check("a=1", deep.as_bytes()).unwrap_err();
        assert!(err.contains("nesting"), "{err}");
    }

    #[test]
    fn read_as_jq_reads_it() {
        // Of duplicate keys the last counts, at every level of the path.
        assert_eq!(
            check("status=UP", br#"{"status":"DOWN","status":"UP"}"#),
            Ok(())
        );
        assert!(check("a.b=1", br#"{"a":{"b":1},"a":{"c":2}}"#).is_err());
        // A lone surrogate is U+FFFD; a pair is one character.
        assert_eq!(
            check("status=UP", br#"{"cut":"\ud83d","status":"UP"}"#),
            Ok(())
        );
        assert_eq!(check("s=\u{fffd}x", br#"{"s":"\udc00x"}"#), Ok(()));
        assert_eq!(
            check("s=\u{fffd}\u{fffd}", br#"{"s":"\ud83d\ud83d"}"#),
            Ok(())
        );
        // Numbers compare exactly.
        assert!(check("id=9007199254740993", br#"{"id":9007199254740992}"#).is_err());
        assert_eq!(
            check("id=9007199254740993", br#"{"id":9007199254740993}"#),
            Ok(())
        );
        assert_eq!(check("n=200", br#"{"n":2.00e2}"#), Ok(()));
        assert_eq!(check("n=0", br#"{"n":-0.0}"#), Ok(()));
        assert!(check("n=0.1", br#"{"n":0.10000000000000001}"#).is_err());
    }

    #[test]
    fn the_verdict_comes_when_the_body_decides_it() {
        let c = JsonCheck::parse("status=UP").unwrap();
        assert_eq!(c.decided(br#"{"status":"UP""#), None);
        assert_eq!(c.decided(br#"{"status":"UP"}"#), Some(true));
        assert_eq!(c.decided(br#"{"status":"UP"} trailing"#), Some(true));
        assert_eq!(c.decided(br#"{"status":"UP",x"#), Some(false));
        let c = JsonCheck::parse("[0].ok=true").unwrap();
        assert_eq!(c.decided(br#"[{"ok":true},"#), Some(true));
    }

    #[test]
    fn paths_are_no_deeper_than_the_nesting_read() {
        let long = format!("{}=1", "[0]".repeat(40_000));
        assert!(
            JsonCheck::parse(&long)
                .unwrap_err()
                .contains("more than 64 steps")
        );
        let deepest = format!("{}=1", "[0]".repeat(64));
        let body = format!("{}1{}", "[".repeat(64), "]".repeat(64));
        assert_eq!(check(&deepest, body.as_bytes()), Ok(()));
    }

    #[test]
    fn bad_specs() {
        for spec in ["status", "a..b=1", "a[x]=1", "a[1=2", "a[1]x=2"] {
            assert!(JsonCheck::parse(spec).is_err(), "{spec}");
        }
    }
}
