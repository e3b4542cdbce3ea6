//! The login parsers, on a hostile server's bytes; the first byte picks
//! - SCRAM-SHA-256 (src/probe/postgres/scram.rs): a server-first message,
//!   then (after a NUL) a server-final one, against a known nonce and
//!   password: never a panic, the key derivation ends at the deadline, the
//!   client-final message never holds the password;
//! - PostgreSQL backend messages (read_message, ErrorFields, protocol-2
//!   errors) read in a row as a login reads them;
//! - MySQL packets: the greeting (judge, Greeting::parse), then error and
//!   AuthSwitchRequest packets.
//!   Every reason is bounded by the packet it came from.
#![no_main]

use std::time::Duration;

use healthprobe::deadline::Deadline;
use healthprobe::probe::mysql;
use healthprobe::probe::postgres::{self, Message, scram::Scram};
use libfuzzer_sys::fuzz_target;

const PASSWORD: &[u8] = b"Zx9Secret";

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    match mode % 3 {
        0 => scram(rest),
        1 => pg(rest),
        _ => my(rest),
    }
});

fn scram(input: &[u8]) {
    let (first, last) = match input.iter().position(|&b| b == 0) {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &b"v="[..]),
    };
    let mut exchange = Scram::with_nonce("n".into());
    let deadline = Deadline::start(Duration::from_millis(1));
    match exchange.answer(first, PASSWORD, &deadline) {
        Ok((message, proof)) => {
            assert!(message.ends_with(&format!(",p={proof}")), "{message}");
            assert!(!message.contains("Zx9Secret"));
            let _ = exchange.verify(last);
        }
        Err(e) => assert!(e.len() <= 200 && !e.contains("Zx9Secret"), "{e}"),
    }
    assert!(deadline.elapsed() < Duration::from_secs(1));
}

fn pg(input: &[u8]) {
    let mut conn = input;
    for _ in 0..64 {
        match postgres::read_message(&mut conn) {
            Ok(Message::V3(kind, body)) => {
                let text = postgres::ErrorFields::parse(&body).text();
                assert!(text.len() <= body.len() * 3 + 160, "{}", text.len());
                if kind == b'R' {
                    let _ = body.split_first_chunk::<4>();
                }
            }
            Ok(Message::V2Error(start)) => {
                if let Ok(text) = postgres::read_v2_error(&mut conn, &start) {
                    assert!(text.len() <= 3 * 1024 + 64, "{}", text.len());
                }
                return;
            }
            Ok(Message::Not(_)) | Err(_) => return,
        }
    }
}

fn my(input: &[u8]) {
    let mut conn = input;
    let Ok(Ok((_, greeting))) = mysql::read_packet(&mut conn) else {
        return;
    };
    let _ = mysql::judge(&greeting);
    if let Some(hello) = mysql::Greeting::parse(&greeting) {
        assert!(hello.nonce.len() <= 20, "{}", hello.nonce.len());
    }
    for _ in 0..8 {
        let Ok(Ok((_, packet))) = mysql::read_packet(&mut conn) else {
            return;
        };
        match packet.first() {
            Some(0xff) => {
                let text = mysql::error_text(&packet);
                assert!(text.len() <= packet.len() * 3 + 16);
            }
            Some(0xfe) => {
                let (name, nonce) = mysql::auth_switch(&packet);
                assert!(name.len() + nonce.len() <= packet.len() * 3);
            }
            _ => {}
        }
    }
}
