//! URL, HOST:PORT and gRPC target parsing, ${VAR} expansion, redaction.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/redacted.rs"]
mod redacted;
#[path = "../../src/target.rs"]
mod target;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(url) = target::parse_url(input) {
        let shown = url.to_string();
        let _ = url.request_uri(&url.host);
        // The display does not depend on the password at all.
        if url.password.is_some() {
            let mut other = url.clone();
            other.password = Some(redacted::SecretString::new("x".into()));
            assert_eq!(shown, other.to_string());
        }
    }
    let _ = target::parse_host_port(input);
    let _ = target::parse_grpc(input);
    let _ = target::expand_vars(input);
    let redacted = target::redact_userinfo(input);
    let quoted = target::shown(&redacted);
    assert!(quoted.len() <= 120 + 32, "{}", quoted.len());
});
