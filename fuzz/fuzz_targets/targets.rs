//! URL, HOST:PORT and gRPC target parsing, ${VAR} expansion, redaction.
//! Property: no message about a target, and no display of one, ever holds
//! its password, whether the input parses or not.
#![no_main]

use healthprobe::probe::schemes;
use healthprobe::target;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "Zx9Secret";

fuzz_target!(|input: &str| {
    // The input as typed, and the same with a known password in its user
    // information: what is printed must not depend on the password.
    for candidate in [input.to_string(), with_password(input)] {
        let printed = [
            schemes::url(&candidate).map(|u| u.to_string()),
            target::parse_host_port(&candidate).map(|t| t.to_string()),
            target::parse_grpc(&candidate).map(|(t, _, s)| format!("{t}/{s}")),
        ];
        for p in printed {
            let text = match p {
                Ok(shown) => shown,
                Err(e) => format!("{e:#}"),
            };
            if candidate.contains(SECRET) && !input.contains(SECRET) {
                assert!(!text.contains(SECRET), "{candidate:?} printed {text:?}");
            }
        }
        let _ = target::expand_vars(&candidate);
        let quoted = target::shown_url(&candidate);
        assert!(quoted.len() <= 120 + 32, "{}", quoted.len());
    }
});

/// `scheme://user:SECRET@rest` from `scheme://rest` (or `user:SECRET@input`).
fn with_password(input: &str) -> String {
    match input.find("://") {
        Some(i) => format!("{}u:{SECRET}@{}", &input[..i + 3], &input[i + 3..]),
        None => format!("u:{SECRET}@{input}"),
    }
}
