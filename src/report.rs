//! What the probe prints: the one line (or, with -v, the few bounded lines),
//! and the text helpers that make untrusted bytes safe to put in it.
//!
//! Runtimes keep the first 4096 bytes of a check's output (Podman: 500
//! characters), so every limit here is counted in bytes, newlines included.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use crate::values::Health;

/// Docker keeps 4096 bytes of output; nothing we print may be longer.
pub const MAX_OUTPUT: usize = 4096;
/// Podman keeps 500 characters: the default line fits in it.
pub const MAX_LINE: usize = 500;
/// A body or child-output excerpt on failure.
pub const MAX_SNIPPET: usize = 160;
/// Longest rendering of a user-supplied subject (URL, program), and of a
/// check's result, in a line.
pub const MAX_SUBJECT: usize = 200;

/// What one check found, as the line reports it.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub health: Health,
    /// What was checked: `GET http://localhost:8080/health`, `tcp db:5432`.
    pub subject: String,
    /// What happened: `200 OK`, `connection refused (127.0.0.1:5432)`.
    pub result: String,
    pub elapsed: Duration,
    /// Response body or child output, shown on failure.
    pub excerpt: Option<Vec<u8>>,
    /// Extra lines for -v: addresses, timings, headers.
    pub details: Vec<String>,
}

impl CheckReport {
    /// `GET http://x/ -> 503 Service Unavailable in 2.0ms: {"db":"down"}`
    fn summary(&self) -> String {
        let mut s = format!(
            "{} -> {} in {}",
            printable(&self.subject, MAX_SUBJECT),
            printable(&self.result, MAX_SUBJECT),
            format_duration(self.elapsed)
        );
        if !self.health.is_healthy()
            && let Some(excerpt) = self.excerpt.as_deref().map(escape_excerpt)
            && !excerpt.is_empty()
        {
            let _ = write!(s, ": {excerpt}");
        }
        s
    }
}

/// The whole output for `reports` (one per target) under `headline`
/// (`healthy`, `unhealthy`, `starting (up 4s of 30s)` ...).
pub fn render(headline: &str, reports: &[CheckReport], elapsed: Duration, verbose: bool) -> String {
    let line = match reports {
        [one] => format!("{headline}: {}", one.summary()),
        many => {
            let failed: Vec<&CheckReport> =
                many.iter().filter(|r| !r.health.is_healthy()).collect();
            let (head, shown) = if failed.is_empty() {
                (
                    format!("{} checks in {}", many.len(), format_duration(elapsed)),
                    many.iter().map(CheckReport::summary).collect::<Vec<_>>(),
                )
            } else {
                (
                    format!(
                        "{} of {} checks failed in {}",
                        failed.len(),
                        many.len(),
                        format_duration(elapsed)
                    ),
                    failed.iter().map(|r| r.summary()).collect(),
                )
            };
            format!("{headline}: {head}: {}", shown.join("; "))
        }
    };
    // The limits count the newline.
    let mut out = cut(&line, if verbose { MAX_OUTPUT } else { MAX_LINE } - 1);
    out.push('\n');
    if verbose {
        for d in reports.iter().flat_map(|r| &r.details) {
            let entry = format!("  {}\n", escape_excerpt(d.as_bytes()));
            if out.len() + entry.len() > MAX_OUTPUT {
                break;
            }
            out.push_str(&entry);
        }
    }
    out
}

/// `--format json`: one JSON object instead of the line, for tools reading
/// `docker inspect`: the verdict, the exit code, each check's subject,
/// health, result (and excerpt on failure) and milliseconds, and the notes.
/// Every text is made printable as in the line, then JSON-escaped; checks
/// that would not fit in [`MAX_OUTPUT`] are counted in `omitted`.
pub fn render_json(
    verdict: &str,
    exit_code: u8,
    reports: &[CheckReport],
    elapsed: Duration,
    notes: &[String],
) -> String {
    let tail = match notes {
        [] => String::new(),
        notes => format!(
            ",\"note\":{}",
            json_string(&printable(&notes.join("; "), MAX_LINE))
        ),
    };
    let mut out = format!(
        "{{\"verdict\":{},\"exit_code\":{exit_code},\"ms\":{},\"checks\":[",
        json_string(verdict),
        json_ms(elapsed)
    );
    // `],"omitted":N` and `}` and the newline.
    const CLOSING: usize = 32;
    let mut omitted = 0;
    for (i, r) in reports.iter().enumerate() {
        let mut item = format!(
            "{{\"subject\":{},\"health\":\"{}\",\"result\":{},\"ms\":{}",
            json_string(&printable(&r.subject, MAX_SUBJECT)),
            match r.health {
                Health::Healthy => "healthy",
                Health::Warning => "warning",
                Health::Unhealthy => "unhealthy",
            },
            json_string(&printable(&r.result, MAX_SUBJECT)),
            json_ms(r.elapsed)
        );
        if !r.health.is_healthy()
            && let Some(excerpt) = r.excerpt.as_deref().map(escape_excerpt)
            && !excerpt.is_empty()
        {
            let _ = write!(item, ",\"excerpt\":{}", json_string(&excerpt));
        }
        item.push('}');
        if out.len() + 1 + item.len() + tail.len() + CLOSING > MAX_OUTPUT {
            omitted = reports.len() - i;
            break;
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item);
    }
    out.push(']');
    if omitted > 0 {
        let _ = write!(out, ",\"omitted\":{omitted}");
    }
    out.push_str(&tail);
    out.push_str("}\n");
    out
}

/// Milliseconds with one decimal, as a JSON number.
fn json_ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// `text` as a JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` (the whole output) with `notes` added to its first line, which
/// stays within `max` bytes with its newline: the line is cut, the notes
/// (what the probe did about PID 1, the state it could not keep) are kept.
pub fn with_notes(text: &str, notes: &[String], max: usize) -> String {
    if notes.is_empty() {
        return text.to_string();
    }
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let note = printable(&notes.join("; "), max / 2);
    let room = max.saturating_sub(note.len() + 3);
    let mut out = format!("{}; {note}\n", cut(first, room));
    for line in rest.lines() {
        if out.len() + line.len() + 1 > MAX_OUTPUT {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Writes `text` to stdout in one write; a closed stdout (EPIPE) is not worth a panic.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// `0.3ms`, `1.8ms`, `12ms`, `1.50s`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

/// A duration as a person reads it: whole seconds or milliseconds as a
/// user writes them (`2s`, `1m 30s`, `500ms`), anything else rounded to
/// what a person reads (`1.0s`, `12ms`, `0.3ms`), never `999ms 995us 543ns`.
pub fn rounded(d: Duration) -> String {
    const SECOND: Duration = Duration::from_secs(1);
    let ms = d.as_secs_f64() * 1000.0;
    if d.subsec_nanos() == 0 && d >= SECOND {
        humantime::format_duration(d).to_string()
    } else if d.subsec_nanos().is_multiple_of(1_000_000) && d < SECOND {
        format!("{}ms", d.subsec_millis())
    } else if ms < 9.95 {
        format!("{ms:.1}ms")
    } else if ms < 999.5 {
        format!("{ms:.0}ms")
    } else if ms < 59_950.0 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        let secs = Duration::from_secs(d.as_secs() + u64::from(d.subsec_millis() >= 500));
        humantime::format_duration(secs).to_string()
    }
}

/// Bytes from a server or a child, made printable: lossy UTF-8, control
/// characters escaped, cut at [`MAX_SNIPPET`] bytes.
pub fn escape_excerpt(bytes: &[u8]) -> String {
    printable(String::from_utf8_lossy(bytes).trim(), MAX_SNIPPET)
}

/// `text` with control and bidi characters escaped, cut to `max` bytes: safe
/// to put in the one line whatever a server, a child or a user put in it.
pub fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
        if out.len() > max {
            break;
        }
    }
    cut(&out, max)
}

/// Characters that reorder text on a terminal: never printed as they are.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// `s` cut to at most `max` bytes on a char boundary, with `…` marking the cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A user-supplied value quoted for a message, cut short if it is long.
pub fn shown(value: &str) -> String {
    const MAX: usize = 120;
    let quoted = format!("{value:?}");
    if quoted.len() <= MAX {
        return quoted;
    }
    let mut cut = MAX;
    while !quoted.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}... ({} bytes)", &quoted[..cut], value.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_rounded_for_a_person() {
        for (d, shown) in [
            (Duration::from_secs(2), "2s"),
            (Duration::from_secs(90), "1m 30s"),
            (Duration::from_millis(500), "500ms"),
            (Duration::ZERO, "0ms"),
            (Duration::from_nanos(999_995_543), "1.0s"),
            (Duration::from_nanos(1_234_567_890), "1.2s"),
            (Duration::from_micros(12_400), "12ms"),
            (Duration::from_micros(300), "0.3ms"),
            (Duration::from_nanos(9_990_000), "10ms"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_nanos(59_999_000_000), "1m"),
            (Duration::from_nanos(119_600_000_000), "2m"),
        ] {
            assert_eq!(rounded(d), shown, "{d:?}");
        }
    }

    fn report(healthy: bool, subject: &str, result: &str) -> CheckReport {
        CheckReport {
            health: match healthy {
                true => Health::Healthy,
                false => Health::Unhealthy,
            },
            subject: subject.into(),
            result: result.into(),
            elapsed: Duration::from_micros(1800),
            excerpt: None,
            details: Vec::new(),
        }
    }

    #[test]
    fn one_line_per_verdict() {
        let ok = report(true, "GET http://localhost:8080/health", "200 OK");
        assert_eq!(
            render("healthy", &[ok], Duration::ZERO, false),
            "healthy: GET http://localhost:8080/health -> 200 OK in 1.8ms\n"
        );
        let mut bad = report(false, "GET http://x/", "503 Service Unavailable");
        bad.excerpt = Some(b"{\"db\":\"down\"}\n".to_vec());
        assert_eq!(
            render("unhealthy", &[bad], Duration::ZERO, false),
            "unhealthy: GET http://x/ -> 503 Service Unavailable in 1.8ms: {\"db\":\"down\"}\n"
        );
    }

    #[test]
    fn several_targets_name_only_the_failing_ones() {
        let out = render(
            "unhealthy",
            &[
                report(true, "tcp a:1", "connected"),
                report(false, "tcp b:2", "connection refused"),
            ],
            Duration::from_millis(3),
            false,
        );
        assert_eq!(
            out,
            "unhealthy: 1 of 2 checks failed in 3.0ms: tcp b:2 -> connection refused in 1.8ms\n"
        );
    }

    #[test]
    fn excerpts_are_escaped_and_bounded() {
        let e = escape_excerpt(b"a\x1b[31mred\r\n\x00\xff");
        assert_eq!(e, "a\\u{1b}[31mred\\r\\n\\u{0}\u{fffd}");
        let long = escape_excerpt("ü".repeat(1000).as_bytes());
        assert!(long.len() <= MAX_SNIPPET && long.ends_with('…'));
    }

    #[test]
    fn subjects_and_results_cannot_break_the_line() {
        let r = report(false, "exec sh -c echo\nforged: line", "exit 1\r\n\u{202e}");
        let out = render("unhealthy", &[r], Duration::ZERO, false);
        assert_eq!(out.matches('\n').count(), 1, "{out}");
        assert!(
            out.contains("echo\\nforged") && out.contains("\\u{202e}"),
            "{out}"
        );
    }

    #[test]
    fn output_is_bounded_even_for_huge_subjects() {
        let mut r = report(false, &"x".repeat(100_000), &"y".repeat(100_000));
        r.details = vec!["z".repeat(100_000); 100];
        assert!(render("unhealthy", &[r.clone()], Duration::ZERO, false).len() <= MAX_LINE);
        assert!(render("unhealthy", &[r], Duration::ZERO, true).len() <= MAX_OUTPUT);
    }

    #[test]
    fn verbose_output_of_many_long_targets_counts_its_newline() {
        // Found by review: 20 long targets with -v made 4097 bytes.
        let r = report(false, &"t".repeat(190), &"r".repeat(190));
        let many = vec![r; 20];
        let out = render("unhealthy", &many, Duration::ZERO, true);
        assert!(out.len() <= MAX_OUTPUT, "{} bytes", out.len());
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::from_micros(300)), "0.3ms");
        assert_eq!(format_duration(Duration::from_millis(42)), "42ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.50s");
    }

    #[test]
    fn long_values_are_cut_on_a_char_boundary() {
        let long = "é".repeat(200);
        let s = shown(&long);
        assert!(s.len() < 160 && s.ends_with("(400 bytes)"), "{s}");
        let controls = shown(&"\u{1f}".repeat(120));
        assert!(controls.len() < 160, "{controls}");
    }
}
