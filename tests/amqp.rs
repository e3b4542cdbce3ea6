//! `amqp://` and `amqps://`: against a real RabbitMQ (one per run of this
//! file, with a user and a vhost made by rabbitmqctl, and a TLS listener),
//! and against std listeners speaking AMQP 0-9-1 badly on purpose: silent,
//! a trickle, a 2^31-byte frame, endless frames, AMQP 1.0, HTTP, and
//! brokers that quote the password back. The frames here are written from
//! the specification, independently of `src`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use common::brokers::{RABBIT_PASSWORD, RABBIT_USER, RABBIT_VHOST, rabbitmq};
use common::*;

// --- the real broker ----------------------------------------------------------

#[test]
#[ignore = "needs rabbitmq-server (apt); CI runs it"]
fn rabbitmq_answers_connection_start_and_opens_vhosts_for_a_login() {
    let mq = rabbitmq();
    let at = format!("127.0.0.1:{}", mq.port);
    probe(&[&format!("amqp://{at}")])
        .healthy()
        .one_line()
        .says(&format!(
            "healthy: amqp {at} -> connection.start (RabbitMQ "
        ));
    let login = format!("{RABBIT_USER}:{RABBIT_PASSWORD}@{at}");
    probe(&["-v", &format!("amqp://{login}")])
        .healthy()
        .says(&format!(
            "amqp {RABBIT_USER}@{at} -> vhost \"/\" open (RabbitMQ "
        ))
        .says("connection closed (close-ok)")
        .never_says(RABBIT_PASSWORD);
    probe(&[&format!("amqp://{login}/{RABBIT_VHOST}")])
        .healthy()
        .says(&format!("vhost \"{RABBIT_VHOST}\" open"));
    probe(&[&format!("amqp://{login}/%2F")])
        .healthy()
        .says("vhost \"/\" open");
    probe(&[
        "-v",
        &format!("amqp://{RABBIT_USER}:Wrong5ecret@{at}/{RABBIT_VHOST}"),
    ])
    .unhealthy()
    .says("the broker refused the login: ACCESS_REFUSED")
    .never_says("Wrong5ecret");
    probe(&[&format!("amqp://{login}/nowhere")])
        .unhealthy()
        .one_line()
        .says("the broker refused vhost \"nowhere\": NOT_ALLOWED")
        .never_says(RABBIT_PASSWORD);
    // In `wait`, and several at once.
    probe(&[
        "wait",
        "--timeout",
        "20s",
        &format!("amqp://{at}"),
        &format!("amqp://{login}/{RABBIT_VHOST}"),
        "--",
        "sh",
        "-c",
        "echo app started",
    ])
    .healthy()
    .says("app started")
    .never_says(RABBIT_PASSWORD);
}

#[cfg(feature = "tls")]
#[test]
#[ignore = "needs rabbitmq-server (apt); CI runs it"]
fn rabbitmq_over_tls() {
    let mq = rabbitmq();
    let cert = path_in(&mq.certs, "cert.pem");
    let port = mq.tls_port;
    probe(&["--cacert", &cert, &format!("amqps://localhost:{port}")])
        .healthy()
        .says(&format!(
            "amqps localhost:{port} -> connection.start (RabbitMQ "
        ));
    probe(&[
        "--cacert",
        &cert,
        &format!("amqps://{RABBIT_USER}:{RABBIT_PASSWORD}@localhost:{port}/{RABBIT_VHOST}"),
    ])
    .healthy()
    .says("vhost \"orders\" open")
    .never_says(RABBIT_PASSWORD);
    probe(&[&format!("amqps://localhost:{port}")])
        .unhealthy()
        .says("certificate not trusted");
    probe(&["-k", &format!("amqps://127.0.0.1:{port}")]).healthy();
}

// --- hostile and odd brokers ----------------------------------------------------

/// A method frame of the connection class on channel 0.
fn frame(method: u16, args: &[u8]) -> Vec<u8> {
    let mut payload = vec![0, 10];
    payload.extend(method.to_be_bytes());
    payload.extend_from_slice(args);
    let mut out = vec![1, 0, 0];
    out.extend((payload.len() as u32).to_be_bytes());
    out.extend(payload);
    out.push(0xce);
    out
}

fn long_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend((s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// connection.start from a broker calling itself `product`.
fn start(product: &str) -> Vec<u8> {
    let mut table = vec![7];
    table.extend_from_slice(b"productS");
    long_string(&mut table, product.as_bytes());
    let mut args = vec![0, 9];
    long_string(&mut args, &table);
    long_string(&mut args, b"PLAIN AMQPLAIN");
    long_string(&mut args, b"en_US");
    frame(10, &args)
}

/// connection.close with `code` and `text`.
fn close(code: u16, text: &str) -> Vec<u8> {
    let mut args = code.to_be_bytes().to_vec();
    args.push(text.len() as u8);
    args.extend_from_slice(text.as_bytes());
    args.extend([0, 10, 0, 11]);
    frame(50, &args)
}

/// Reads the 8-byte protocol header; false if it is not AMQP 0-9-1's.
fn header(s: &mut TcpStream) -> bool {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut h = [0u8; 8];
    s.read_exact(&mut h).is_ok() && &h == b"AMQP\x00\x00\x09\x01"
}

/// Reads whatever the client sends next (start-ok), up to 4 KiB.
fn next(s: &mut TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

/// A method's (class, method) ids and its arguments.
type Method = ((u16, u16), Vec<u8>);

/// Reads one frame and returns its method.
fn read_method(s: &mut TcpStream) -> Option<Method> {
    let mut head = [0u8; 7];
    s.read_exact(&mut head).ok()?;
    let size = u32::from_be_bytes([head[3], head[4], head[5], head[6]]) as usize;
    let mut payload = vec![0u8; size.min(65536) + 1];
    s.read_exact(&mut payload).ok()?;
    let id = |i: usize| u16::from_be_bytes([payload[i], payload[i + 1]]);
    Some(((id(0), id(2)), payload[4..size].to_vec()))
}

/// What the fake broker below was sent, in order.
static SEEN: std::sync::Mutex<Vec<Method>> = std::sync::Mutex::new(Vec::new());

#[test]
fn the_login_opens_the_vhost_and_closes_cleanly() {
    let s = Server::raw("127.0.0.1:0", |mut s, _| {
        if !header(&mut s) {
            return;
        }
        let _ = s.write_all(&start("FakeMQ 0.2"));
        let mut tune = 2047u16.to_be_bytes().to_vec();
        tune.extend(131_072u32.to_be_bytes());
        tune.extend(60u16.to_be_bytes());
        for (expect, reply) in [
            ((10, 11), Some(frame(30, &tune))),
            ((10, 31), None),
            ((10, 40), Some(frame(41, &[0]))),
            ((10, 50), Some(frame(51, &[]))),
        ] {
            let Some(got) = read_method(&mut s) else {
                return;
            };
            let ok = got.0 == expect;
            SEEN.lock().unwrap().push(got);
            if !ok {
                return;
            }
            if let Some(reply) = reply {
                let _ = s.write_all(&reply);
            }
        }
    });
    probe(&["-v", &format!("amqp://bob:Open5ecret@{}/%2Fshop", s.addr)])
        .healthy()
        .says(&format!(
            "amqp bob@{}/%2Fshop -> vhost \"/shop\" open (FakeMQ 0.2)",
            s.addr
        ))
        .says("connection closed (close-ok)")
        .never_says("Open5ecret");
    let seen = SEEN.lock().unwrap().clone();
    let methods: Vec<_> = seen.iter().map(|(m, _)| *m).collect();
    assert_eq!(
        methods,
        [(10, 11), (10, 31), (10, 40), (10, 50)],
        "{seen:?}"
    );
    let (start_ok, tune_ok, open) = (&seen[0].1, &seen[1].1, &seen[2].1);
    assert!(
        start_ok.windows(5).any(|w| w == b"PLAIN")
            && start_ok.windows(15).any(|w| w == b"\x00bob\x00Open5ecret"),
        "start-ok: {start_ok:?}"
    );
    // The broker's channel and frame limits back, heartbeats off.
    assert_eq!(tune_ok, &[0x07, 0xff, 0, 2, 0, 0, 0, 0], "tune-ok");
    assert_eq!(open, b"\x05/shop\x00\x00", "open");
}

#[test]
fn a_broker_silent_after_open_ok_is_still_ready() {
    let s = Server::raw("127.0.0.1:0", |mut s, _| {
        if !header(&mut s) {
            return;
        }
        let _ = s.write_all(&start("Shy"));
        let _ = read_method(&mut s);
        let _ = s.write_all(&frame(30, &[0, 0, 0, 0, 0x10, 0, 0, 0]));
        let _ = read_method(&mut s);
        let _ = read_method(&mut s);
        let _ = s.write_all(&frame(41, &[0]));
        thread::sleep(Duration::from_secs(5));
    });
    probe(&["--timeout", "1s", "-v", &format!("amqp://bob:x@{}", s.addr)])
        .healthy()
        .says("vhost \"/\" open (Shy)")
        .says("no clean close: timed out after 1s waiting for close-ok")
        .by_deadline(Duration::from_secs(1));
}

#[test]
fn a_broker_that_answers_connection_start_is_ready_and_says_who_it_is() {
    let s = Server::raw("127.0.0.1:0", |mut s, _| {
        if header(&mut s) {
            let _ = s.write_all(&start("FakeMQ 0.1"));
            thread::sleep(Duration::from_millis(300));
        }
    });
    probe(&[&format!("amqp://{}", s.addr)])
        .healthy()
        .one_line()
        .says(&format!("amqp {} -> connection.start (FakeMQ 0.1)", s.addr));
}

#[test]
fn a_refused_login_is_said_whether_the_broker_closes_politely_or_hangs_up() {
    let polite = Server::raw("127.0.0.1:0", |mut s, _| {
        if header(&mut s) {
            let _ = s.write_all(&start("FakeMQ"));
            // Quotes the user and password back: neither may be shown.
            if !next(&mut s).is_empty() {
                let _ = s.write_all(&close(
                    403,
                    "ACCESS_REFUSED - user 'bob' with password 'Echo5ecret' refused",
                ));
                thread::sleep(Duration::from_millis(300));
            }
        }
    });
    for verbose in [&[][..], &["-v"]] {
        let mut args = verbose.to_vec();
        let url = format!("amqp://bob:Echo5ecret@{}", polite.addr);
        args.push(&url);
        probe(&args)
            .unhealthy()
            .says("the broker refused the login: ACCESS_REFUSED - user '***' with password '***' refused (403)")
            .never_says("Echo5ecret");
    }
    let rude = Server::raw("127.0.0.1:0", |mut s, _| {
        if header(&mut s) {
            let _ = s.write_all(&start("FakeMQ"));
            let _ = next(&mut s);
        }
    });
    probe(&[&format!("amqp://bob:Echo5ecret@{}", rude.addr)])
        .unhealthy()
        .one_line()
        .says("the broker refused the login (it closed the connection after start-ok)")
        .never_says("Echo5ecret");
}

#[test]
fn a_broker_quoting_the_password_in_its_name_is_scrubbed() {
    let s = Server::raw("127.0.0.1:0", |mut s, _| {
        if header(&mut s) {
            let _ = s.write_all(&start("Echo5ecret\u{1b}[31m"));
            thread::sleep(Duration::from_millis(300));
        }
    });
    probe(&["-v", &format!("amqp://bob:Echo5ecret@{}", s.addr)])
        .unhealthy()
        .says("connection.start from ***\\u{1b}[31m")
        .never_says("Echo5ecret")
        .never_says("\u{1b}");
}

#[test]
fn a_server_speaking_another_amqp_says_which() {
    for (handler, says) in [
        (
            (|mut s: TcpStream, _: &str| {
                if header(&mut s) {
                    let _ = s.write_all(b"AMQP\x00\x01\x00\x00");
                }
            }) as Handler,
            "the server speaks AMQP 1.0, not AMQP 0-9-1",
        ),
        (
            |mut s, _| {
                if header(&mut s) {
                    let _ = s.write_all(b"AMQP\x03\x01\x00\x00");
                }
            },
            "the server speaks AMQP 1.0, not AMQP 0-9-1",
        ),
        (
            |mut s, _| {
                if header(&mut s) {
                    let _ = s.write_all(b"AMQP\x00\x00\x09\x01");
                }
            },
            "the server sent back the AMQP 0-9-1 header instead of connection.start",
        ),
        (
            |mut s, _| {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            },
            "not an AMQP answer (starts with 'H')",
        ),
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        probe(&[&format!("amqp://{}", s.addr)])
            .unhealthy()
            .one_line()
            .says(says);
    }
}

#[test]
fn hostile_amqp_peers_end_in_one_line_within_the_deadline() {
    for handler in [
        // Silence.
        (|_s: TcpStream, _: &str| thread::sleep(Duration::from_secs(5))) as Handler,
        // A trickle: connection.start one byte at a time.
        |mut s, _| {
            if header(&mut s) {
                for b in start("Slow") {
                    if s.write_all(&[b]).is_err() {
                        return;
                    }
                    thread::sleep(Duration::from_millis(200));
                }
            }
        },
        // A frame claiming 2^31 bytes, then endless bytes.
        |mut s, _| {
            if header(&mut s) {
                let _ = s.write_all(&[1, 0, 0, 0x80, 0, 0, 0]);
                let chunk = [0u8; 65536];
                while s.write_all(&chunk).is_ok() {}
            }
        },
        // Endless heartbeats.
        |mut s, _| {
            if header(&mut s) {
                let beat = [8u8, 0, 0, 0, 0, 0, 0, 0xce].repeat(8192);
                while s.write_all(&beat).is_ok() {}
            }
        },
        // Endless data that is no frame.
        |mut s, _| {
            let chunk = [b'A'; 65536];
            while s.write_all(&chunk).is_ok() {}
        },
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        for url in [
            format!("amqp://{}", s.addr),
            format!("amqp://u:Echo5ecret@{}/v", s.addr),
        ] {
            probe(&["--timeout", "1s", &url])
                .unhealthy()
                .one_line()
                .says("unhealthy: amqp ")
                .never_says("Echo5ecret")
                .by_deadline(Duration::from_secs(1));
        }
    }
}

#[test]
fn a_broker_silent_after_the_login_ends_at_the_deadline() {
    let s = Server::raw("127.0.0.1:0", |mut s, _| {
        if header(&mut s) {
            let _ = s.write_all(&start("Mute"));
            let _ = next(&mut s);
            thread::sleep(Duration::from_secs(5));
        }
    });
    probe(&[
        "--timeout",
        "1s",
        &format!("amqp://u:Echo5ecret@{}", s.addr),
    ])
    .unhealthy()
    .one_line()
    .says("timed out after 1s waiting for connection.tune")
    .by_deadline(Duration::from_secs(1));
}

#[test]
fn an_oversized_frame_is_refused_before_it_is_read() {
    let s = Server::raw("127.0.0.1:0", |mut s, _| {
        if header(&mut s) {
            let _ = s.write_all(&[1, 0, 0, 0x80, 0, 0, 0]);
            thread::sleep(Duration::from_secs(5));
        }
    });
    probe(&["--timeout", "3s", &format!("amqp://{}", s.addr)])
        .unhealthy()
        .says("a 2147483648-byte frame, over the 16384-byte limit")
        .within(Duration::from_secs(1));
}
