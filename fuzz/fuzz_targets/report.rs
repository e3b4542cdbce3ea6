//! The output line: escaping and cutting of untrusted bytes, and the bounds.
#![no_main]

use std::time::Duration;

use healthprobe::report;
use healthprobe::values::Health;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let excerpt = report::escape_excerpt(input);
    assert!(excerpt.len() <= report::MAX_SNIPPET);
    assert!(!excerpt.chars().any(|c| c.is_control()));
    let text = String::from_utf8_lossy(input);
    let n = input.first().copied().unwrap_or(0) as usize;
    assert!(report::cut(&text, n + 3).len() <= n + 3);
    let (a, b) = text.split_at(
        text.char_indices()
            .nth(text.chars().count() / 2)
            .map_or(0, |(i, _)| i),
    );
    let r = report::CheckReport {
        health: Health::Unhealthy,
        subject: a.to_string(),
        result: b.to_string(),
        elapsed: Duration::from_micros(n as u64),
        excerpt: Some(input.to_vec()),
        details: vec![text.to_string(); 8],
    };
    let reports = vec![r; 1 + n % 30];
    for verbose in [false, true] {
        let out = report::render(
            "unhealthy",
            &reports,
            Duration::from_micros(n as u64),
            verbose,
        );
        let limit = if verbose {
            report::MAX_OUTPUT
        } else {
            report::MAX_LINE
        };
        assert!(out.len() <= limit, "{} bytes", out.len());
        if !verbose {
            assert_eq!(out.matches('\n').count(), 1);
        }
    }
});
