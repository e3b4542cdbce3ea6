//! A state record (src/state/record.rs) from whatever bytes a file holds:
//! never a panic; a record that reads is written back as one that reads the
//! same; nothing it keeps and `history` prints holds a control character
//! (a terminal escape from a file must not reach the terminal).
#![no_main]

use healthprobe::history;
use healthprobe::report::printable;
use healthprobe::state::Record;
use healthprobe::state::record::{MAGIC, VERSION};
use libfuzzer_sys::fuzz_target;

/// The field names, so that the fuzzer need not guess them: a line that
/// starts with byte N < 8 starts with the Nth name instead.
const NAMES: [&str; 8] = [
    "pid1 ",
    "streak ",
    "signalled ",
    "healthy ",
    "last-healthy ",
    "targets ",
    "subjects ",
    "run ",
];

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    // Raw, or the magic line and named fields.
    let text = match text.strip_prefix('\u{0}') {
        None => text.to_string(),
        Some(fields) => {
            let mut out = format!("{MAGIC} {VERSION}\n");
            for line in fields.split('\n') {
                match line.as_bytes().first() {
                    Some(&n) if n < 8 => out.push_str(NAMES[usize::from(n)]),
                    _ => {}
                }
                out.push_str(line.get(1..).unwrap_or(""));
                out.push('\n');
            }
            out
        }
    };
    let Ok(record) = Record::parse(&text) else {
        return;
    };
    for run in &record.runs {
        assert_eq!(printable(run, usize::MAX), *run, "kept as it is, so plain");
    }
    let printed = [
        history::summary(&record),
        record.subjects.clone(),
        record
            .last_healthy
            .as_ref()
            .map_or(String::new(), |(_, t)| t.clone()),
    ];
    for p in printed {
        assert!(!p.chars().any(char::is_control), "{p:?}");
    }
    for run in record.runs() {
        assert!(!run.line.chars().any(char::is_control), "{:?}", run.line);
        assert!(
            !run.verdict.chars().any(char::is_control),
            "{:?}",
            run.verdict
        );
    }
    let again = record.to_text();
    let back = Record::parse(&again).expect("a record written reads back");
    assert_eq!(back.to_text(), again);
});
