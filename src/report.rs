//! The one line (or, with -v, the few bounded lines) the probe prints.

use std::fmt::Write as _;
use std::time::Duration;

/// Docker keeps 4096 bytes of output; nothing we print may be longer.
pub const MAX_OUTPUT: usize = 4096;
/// Podman keeps 500 characters: the default line fits in it.
pub const MAX_LINE: usize = 500;
/// A body or child-output excerpt on failure.
pub const MAX_SNIPPET: usize = 160;
/// Longest rendering of a user-supplied subject (URL, program) in a line.
const MAX_SUBJECT: usize = 200;

/// What one check found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub healthy: bool,
    /// A failure that is only a warning (HTTP 429: alive but shedding load);
    /// it matters only with --exit-codes consul.
    pub warning: bool,
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
    pub fn new(subject: String) -> Self {
        CheckReport {
            healthy: false,
            warning: false,
            subject,
            result: String::new(),
            elapsed: Duration::ZERO,
            excerpt: None,
            details: Vec::new(),
        }
    }

    /// `GET http://x/ -> 503 Service Unavailable in 2.0ms: {"db":"down"}`
    fn summary(&self) -> String {
        let mut s = format!(
            "{} -> {} in {}",
            printable(&self.subject, MAX_SUBJECT),
            printable(&self.result, MAX_SUBJECT),
            format_duration(self.elapsed)
        );
        if !self.healthy {
            if let Some(excerpt) = self.excerpt.as_deref().map(escape_excerpt) {
                if !excerpt.is_empty() {
                    let _ = write!(s, ": {excerpt}");
                }
            }
        }
        s
    }
}

/// The verdict word that starts the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Unhealthy,
    /// Failed, but within --start-period: `starting (up 4s of 30s)`.
    Starting {
        up: Duration,
        of: Duration,
    },
    /// --exit-codes consul: every failure was only a warning.
    Warning,
    /// --exit-codes consul: a real failure.
    Critical,
}

/// Renders the whole output for `reports` (one per target).
pub fn render(
    verdict: Verdict,
    reports: &[CheckReport],
    elapsed: Duration,
    verbose: bool,
) -> String {
    let word = match verdict {
        Verdict::Healthy => "healthy".to_string(),
        Verdict::Unhealthy => "unhealthy".to_string(),
        Verdict::Warning => "warning".to_string(),
        Verdict::Critical => "critical".to_string(),
        Verdict::Starting { up, of } => format!(
            "starting (up {} of {})",
            humantime::format_duration(Duration::from_secs(up.as_secs())),
            humantime::format_duration(of)
        ),
    };
    let mut line = match reports {
        [one] => format!("{word}: {}", one.summary()),
        many => {
            let failed: Vec<&CheckReport> = many.iter().filter(|r| !r.healthy).collect();
            let shown: Vec<String> = if failed.is_empty() {
                many.iter().map(CheckReport::summary).collect()
            } else {
                failed.iter().map(|r| r.summary()).collect()
            };
            let head = if failed.is_empty() {
                format!("{} checks in {}", many.len(), format_duration(elapsed))
            } else {
                format!(
                    "{} of {} checks failed in {}",
                    failed.len(),
                    many.len(),
                    format_duration(elapsed)
                )
            };
            format!("{word}: {head}: {}", shown.join("; "))
        }
    };
    line = cut(&line, if verbose { MAX_OUTPUT } else { MAX_LINE });
    line.push('\n');
    if verbose {
        for r in reports {
            for d in &r.details {
                let entry = format!("  {}\n", cut(&escape_excerpt(d.as_bytes()), 1024));
                if line.len() + entry.len() > MAX_OUTPUT {
                    break;
                }
                line.push_str(&entry);
            }
        }
    }
    line
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

/// Bytes from a server or a child, made printable: lossy UTF-8, control
/// characters escaped, whitespace runs folded, cut at [`MAX_SNIPPET`] bytes.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(healthy: bool, subject: &str, result: &str) -> CheckReport {
        CheckReport {
            healthy,
            result: result.into(),
            elapsed: Duration::from_micros(1800),
            ..CheckReport::new(subject.into())
        }
    }

    #[test]
    fn one_line_per_verdict() {
        let ok = report(true, "GET http://localhost:8080/health", "200 OK");
        assert_eq!(
            render(Verdict::Healthy, &[ok], Duration::ZERO, false),
            "healthy: GET http://localhost:8080/health -> 200 OK in 1.8ms\n"
        );
        let mut bad = report(false, "GET http://x/", "503 Service Unavailable");
        bad.excerpt = Some(b"{\"db\":\"down\"}\n".to_vec());
        assert_eq!(
            render(Verdict::Unhealthy, &[bad], Duration::ZERO, false),
            "unhealthy: GET http://x/ -> 503 Service Unavailable in 1.8ms: {\"db\":\"down\"}\n"
        );
    }

    #[test]
    fn several_targets_name_only_the_failing_ones() {
        let out = render(
            Verdict::Unhealthy,
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
        let out = render(Verdict::Unhealthy, &[r], Duration::ZERO, false);
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
        assert!(
            render(Verdict::Unhealthy, &[r.clone()], Duration::ZERO, false).len() <= MAX_LINE + 1
        );
        assert!(render(Verdict::Unhealthy, &[r], Duration::ZERO, true).len() <= MAX_OUTPUT);
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::from_micros(300)), "0.3ms");
        assert_eq!(format_duration(Duration::from_millis(42)), "42ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.50s");
    }
}
