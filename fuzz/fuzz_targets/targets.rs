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
        // A password long enough not to appear by chance is never displayed.
        if let Some(p) = &url.password {
            let user = url.user.as_deref().unwrap_or("");
            let elsewhere = [url.host.as_str(), url.path.as_str(), user];
            if p.expose().len() >= 8 && !elsewhere.iter().any(|part| part.contains(p.expose())) {
                assert!(!shown.contains(p.expose()), "{shown}");
            }
        }
    }
    let _ = target::parse_host_port(input);
    let _ = target::parse_grpc(input);
    let _ = target::expand_vars(input);
    let redacted = target::redact_userinfo(input);
    let quoted = target::shown(&redacted);
    assert!(quoted.len() <= 120 + 32, "{}", quoted.len());
});
