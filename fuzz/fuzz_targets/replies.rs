//! What a server answers that we resolve; the first byte picks
//! - a DNS response (src/probe/dns/message.rs) to a query for one of the
//!   record types a check may ask for: never a panic; what is kept is
//!   within MAX_RECORDS, and each record as the line shows it is bounded
//!   and holds no control character;
//! - a Location (src/probe/http/redirect.rs) against one of a few bases:
//!   the URL it resolves to carries no credentials, and the chain text
//!   stays short.
#![no_main]

use healthprobe::probe::dns::message::{self, MAX_RECORDS, TYPES};
use healthprobe::probe::http::redirect::{self, Follow};
use healthprobe::target::{self, Scheme};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        dns(mode / 2, rest);
    } else {
        location(mode / 2, rest);
    }
});

fn dns(pick: u8, msg: &[u8]) {
    let qtype = TYPES[usize::from(pick) % TYPES.len()].1;
    let qname = message::encode_name("db.example").unwrap();
    // The ID the message carries: the fuzzer need not guess ours.
    let id = msg.get(..2).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    let _ = message::name_text(msg);
    if let Ok(response) = message::parse_response(msg, id, &qname, qtype) {
        assert!(response.records.len() <= MAX_RECORDS);
        for record in &response.records {
            let shown = record.to_string();
            assert!(shown.len() <= 4 * 255 + 32, "{}", shown.len());
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
        }
    }
}

fn scheme(name: &'static str, default_port: u16) -> Scheme {
    Scheme {
        name,
        default_port,
        tls: name == "https",
        opaque: false,
    }
}

fn location(pick: u8, location: &[u8]) {
    let bases = [
        "http://u:Zx9Secret@a:8080/b/c/d?q",
        "https://[::1]/",
        "http://h",
        "http://h/a/../b/./c/",
    ];
    let base = bases[usize::from(pick) % bases.len()];
    let follow = Follow {
        max: 10,
        schemes: vec![scheme("http", 80), scheme("https", 443)],
    };
    let scheme = follow.schemes[usize::from(base.starts_with("https"))];
    let base = target::parse_url(base, scheme).unwrap();
    match redirect::resolve(&base, location, &follow) {
        Ok(url) => {
            assert!(url.user.is_none() && url.password.is_none());
            let shown = url.to_string();
            let chain = redirect::chain_text(&[(301, shown.clone()), (302, shown)]);
            assert!(chain.len() <= 2 * (4 * 40 + 16), "{}", chain.len());
        }
        Err(e) => {
            let text = e.to_string();
            if !String::from_utf8_lossy(location).contains("Zx9Secret") {
                assert!(!text.contains("Zx9Secret"), "{text}");
            }
        }
    }
}
