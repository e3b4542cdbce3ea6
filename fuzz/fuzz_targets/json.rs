//! --body-json on a hostile body: any PATH=VALUE against any bytes ends with
//! a verdict (no panic, no unbounded recursion), and a reason is one short line.
#![no_main]

use healthprobe::probe::http::json::JsonCheck;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let (spec, body) = match input.iter().position(|&b| b == 0) {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (&b"a.b[0].c=1"[..], input),
    };
    let Ok(spec) = std::str::from_utf8(spec) else {
        return;
    };
    if let Ok(check) = JsonCheck::parse(spec)
        && let Err(m) = check.check(body)
    {
        assert!(!m.why.contains('\n') || spec.contains('\n'), "{:?}", m.why);
    }
});
