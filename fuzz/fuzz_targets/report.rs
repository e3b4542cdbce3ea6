//! The output line: escaping and cutting of untrusted bytes, and the bounds.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/report.rs"]
mod report;

use std::time::Duration;

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
    let mut r = report::CheckReport::new(a.to_string());
    r.result = b.to_string();
    r.excerpt = Some(input.to_vec());
    r.details = vec![text.to_string(); 8];
    let reports = vec![r.clone(), r];
    for verbose in [false, true] {
        let out = report::render(
            report::Verdict::Unhealthy,
            &reports,
            Duration::from_micros(n as u64),
            verbose,
        );
        assert!(
            out.len()
                <= if verbose {
                    report::MAX_OUTPUT
                } else {
                    report::MAX_LINE + 1
                }
        );
        if !verbose {
            assert_eq!(out.matches('\n').count(), 1);
        }
    }
});
