//! gRPC checks and `--http2` http checks (both speak HTTP/2 through
//! `src/h2`) against HTTP/2 servers that misbehave on purpose, written
//! frame by frame over a std TcpListener. Whatever such a server sends, the
//! probe ends with one line and exit 1 well within its deadline (earlier,
//! with the protocol's reason, where the protocol makes that possible), and
//! stays within its memory bound (the launcher checks every run).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::h2::*;
use common::*;

const TIMEOUT: &str = "2s";
const DEADLINE: Duration = Duration::from_secs(2);

/// The two checks that speak HTTP/2: a gRPC health call, and an http
/// check with --http2 (h2c with prior knowledge) that reads the whole body,
/// as the gRPC call does (no text is forbidden, but looking for one reads
/// to the end).
fn commands(addr: &str) -> [Vec<String>; 2] {
    let url = format!("http://{addr}/health");
    [
        vec!["--timeout", TIMEOUT, "grpc", addr],
        vec![
            "--timeout",
            TIMEOUT,
            "--http2",
            "--body-not-contains",
            "no such text",
            &url,
        ],
    ]
    .map(|args| args.into_iter().map(String::from).collect())
}

/// Runs each HTTP/2 check against its own server that, after reading the
/// request and exchanging SETTINGS, does `then`.
fn against(then: Handler) -> Both {
    Both([0, 1].map(|which| {
        let s = Server::raw("127.0.0.1:0", then);
        let args = commands(&s.addr.to_string())[which].clone();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = probe(&args);
        eprintln!(
            "{}: exit time {:?}, peak RSS {} KiB: {}",
            args[2],
            r.took,
            r.peak_rss_kib,
            r.out.trim_end()
        );
        r.one_line().by_deadline(DEADLINE);
        r
    }))
}

/// The runs of the gRPC check and the --http2 check, held to the same words.
struct Both([Run; 2]);

impl Both {
    fn healthy(&self) -> &Self {
        self.0.iter().for_each(|r| _ = r.healthy());
        self
    }

    fn unhealthy(&self) -> &Self {
        self.0.iter().for_each(|r| _ = r.unhealthy());
        self
    }

    fn says(&self, needle: &str) -> &Self {
        self.0.iter().for_each(|r| _ = r.says(needle));
        self
    }

    fn within(&self, limit: Duration) -> &Self {
        self.0.iter().for_each(|r| _ = r.within(limit));
        self
    }

    /// The gRPC check's run, for what only gRPC says.
    fn grpc(&self) -> &Run {
        &self.0[0]
    }
}

/// Reads the request and sends our SETTINGS and the acknowledgement.
fn open(stream: &mut TcpStream) -> bool {
    if !read_request(stream) {
        return false;
    }
    drain(stream);
    handshake(stream).is_ok()
}

/// Writes `frame` again and again until the client goes away or 30 s pass.
fn flood(stream: &mut TcpStream, frame: &[u8]) {
    let batch = frame.repeat(64);
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < until && stream.write_all(&batch).is_ok() {}
}

#[test]
fn a_window_update_flood_ends_at_once() {
    // Found by review: an endless stream of WINDOW_UPDATE (increment 1) on
    // stream 0 kept the probe busy past --timeout 2s for as long as it ran.
    against(|mut s, _| {
        if open(&mut s) {
            flood(&mut s, &frame(WINDOW_UPDATE, 0, 0, &1u32.to_be_bytes()));
        }
    })
    .unhealthy()
    .says("frames without an answer")
    .within(Duration::from_millis(500));
}

#[test]
fn ping_settings_and_empty_continuation_floods_end_at_once() {
    for (name, handler) in [
        (
            "PING",
            (|mut s, _| {
                if open(&mut s) {
                    flood(&mut s, &frame(PING, 0, 0, &[7; 8]));
                }
            }) as Handler,
        ),
        ("SETTINGS", |mut s, _| {
            if open(&mut s) {
                flood(&mut s, &frame(SETTINGS, 0, 0, &[]));
            }
        }),
        ("CONTINUATION", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(HEADERS, 0, 1, &response_head()));
                flood(&mut s, &frame(CONTINUATION, 0, 1, &[]));
            }
        }),
        ("empty DATA", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(HEADERS, END_HEADERS, 1, &response_head()));
                flood(&mut s, &frame(DATA, 0, 1, &[]));
            }
        }),
        ("unknown frame types", |mut s, _| {
            if open(&mut s) {
                flood(&mut s, &frame(0xee, 0, 0, b"whatever"));
            }
        }),
    ] {
        eprintln!("{name} flood:");
        against(handler)
            .unhealthy()
            .says("frames without an answer")
            .within(Duration::from_millis(500));
    }
}

#[test]
fn a_header_block_that_expands_past_the_limit_ends_at_once() {
    // Found by review: one literal of 4,000 bytes with incremental indexing,
    // then 60,000 one-byte references to it: under 64 KiB on the wire, 487 MB
    // of peak RSS once decoded. Here the block fits our 16 KiB raw limit
    // (10,000 references, 40 MB decoded), so the decoder's own bound stops it.
    against(|mut s, _| {
        if open(&mut s) {
            let mut block = vec![0x88, 0x40]; // :status 200; literal, incremental indexing
            string(&mut block, b"x-big");
            string(&mut block, &[b'v'; 4000]);
            block.extend(std::iter::repeat_n(0xbe, 10_000)); // index 62: that entry
            let mut out = frame(HEADERS, 0, 1, &block[..8_000]);
            out.extend(frame(CONTINUATION, END_HEADERS, 1, &block[8_000..]));
            let _ = s.write_all(&out);
            std::thread::sleep(Duration::from_secs(5));
        }
    })
    .unhealthy()
    .says("response headers larger than 16 KiB decoded")
    .within(Duration::from_millis(500));
    // The same attack at its full size, 60,000 references (64 KiB in
    // HEADERS + CONTINUATIONs), ends at the raw limit.
    against(|mut s, _| {
        if open(&mut s) {
            let mut block = vec![0x88, 0x40];
            string(&mut block, b"x-big");
            string(&mut block, &[b'v'; 4000]);
            block.extend(std::iter::repeat_n(0xbe, 60_000));
            let mut chunks = block.chunks(16_000).peekable();
            let mut first = true;
            while let Some(chunk) = chunks.next() {
                let end = if chunks.peek().is_none() {
                    END_HEADERS
                } else {
                    0
                };
                let kind = if first { HEADERS } else { CONTINUATION };
                first = false;
                if s.write_all(&frame(kind, end, 1, chunk)).is_err() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_secs(5));
        }
    })
    .unhealthy()
    .says("response headers larger than 16 KiB")
    .within(Duration::from_millis(500));
}

#[test]
fn a_huge_announced_grpc_message_ends_at_once() {
    against(|mut s, _| {
        if open(&mut s) {
            let _ = s.write_all(&frame(HEADERS, END_HEADERS, 1, &response_head()));
            let _ = s.write_all(&frame(DATA, 0, 1, &[0, 0xff, 0xff, 0xff, 0xff]));
            std::thread::sleep(Duration::from_secs(5));
        }
    })
    .grpc()
    .unhealthy()
    .says("announced a 4294967295-byte answer")
    .within(Duration::from_millis(500));
}

#[test]
fn data_beyond_the_flow_control_window_ends_at_once() {
    // All padding: the frames carry nothing, but flow control counts them.
    against(|mut s, _| {
        if open(&mut s) {
            let _ = s.write_all(&frame(HEADERS, END_HEADERS, 1, &response_head()));
            let mut padded = vec![255u8];
            padded.extend([0u8; 16_000]);
            flood(&mut s, &frame(DATA, PADDED, 1, &padded));
        }
    })
    .unhealthy()
    .says("FLOW_CONTROL_ERROR")
    .within(Duration::from_millis(500));
}

#[test]
fn broken_frames_end_with_the_protocols_reason() {
    let cases: [(&str, Handler); 7] = [
        ("padding longer than the frame", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(HEADERS, END_HEADERS, 1, &response_head()));
                let _ = s.write_all(&frame(DATA, PADDED, 1, &[9, 1, 2]));
                std::thread::sleep(Duration::from_secs(5));
            }
        }),
        ("window above 2^31-1", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(WINDOW_UPDATE, 0, 0, &0x7fff_ffffu32.to_be_bytes()));
                std::thread::sleep(Duration::from_secs(5));
            }
        }),
        ("WINDOW_UPDATE of 0", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(WINDOW_UPDATE, 0, 1, &0u32.to_be_bytes()));
                std::thread::sleep(Duration::from_secs(5));
            }
        }),
        ("which we did not open", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(HEADERS, END_HEADERS, 3, &response_head()));
                std::thread::sleep(Duration::from_secs(5));
            }
        }),
        ("server push, which we disabled", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(PUSH_PROMISE, END_HEADERS, 1, &[0, 0, 0, 2]));
                std::thread::sleep(Duration::from_secs(5));
            }
        }),
        ("larger than allowed", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(DATA, 0, 1, &[0; 20_000]));
                std::thread::sleep(Duration::from_secs(5));
            }
        }),
        ("stream reset by the server (REFUSED_STREAM)", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(RST_STREAM, 0, 1, &7u32.to_be_bytes()));
                std::thread::sleep(Duration::from_secs(5));
            }
        }),
    ];
    for (reason, handler) in cases {
        against(handler)
            .unhealthy()
            .says(reason)
            .within(Duration::from_millis(500));
    }
}

#[test]
fn pings_are_answered_and_a_server_that_waits_for_the_answer_is_healthy() {
    against(|mut s, _| {
        if !read_request(&mut s) || handshake(&mut s).is_err() {
            return;
        }
        let _ = s.write_all(&frame(PING, 0, 0, b"probe-me"));
        // Answer only once the PING is acknowledged with its payload.
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        let ack = frame(PING, ACK, 0, b"probe-me");
        while !seen.windows(ack.len()).any(|w| w == ack.as_slice()) {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        let _ = s.write_all(&serving_answer());
    })
    .healthy()
    .grpc()
    .says("SERVING");
}

#[test]
fn a_goaway_that_lets_our_stream_finish_does_not_fail_the_check() {
    // GOAWAY NO_ERROR naming stream 1 as processed, before and after the answer.
    against(|mut s, _| {
        if open(&mut s) {
            let mut goaway = 1u32.to_be_bytes().to_vec();
            goaway.extend(0u32.to_be_bytes());
            let _ = s.write_all(&frame(GOAWAY, 0, 0, &goaway));
            let _ = s.write_all(&serving_answer());
            let _ = s.write_all(&frame(GOAWAY, 0, 0, &goaway));
        }
    })
    .healthy()
    .grpc()
    .says("SERVING");
    // One that says our stream will not be processed fails at once.
    against(|mut s, _| {
        if open(&mut s) {
            let mut goaway = 0u32.to_be_bytes().to_vec();
            goaway.extend(0u32.to_be_bytes());
            goaway.extend(b"shutting down");
            let _ = s.write_all(&frame(GOAWAY, 0, 0, &goaway));
            std::thread::sleep(Duration::from_secs(5));
        }
    })
    .unhealthy()
    .says("GOAWAY NO_ERROR): shutting down")
    .within(Duration::from_millis(500));
}

#[test]
fn the_client_settings_disable_push_and_announce_the_header_list_limit() {
    use std::sync::mpsc;
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut head = [0u8; 24 + 9];
            if s.read_exact(&mut head).is_ok() {
                let len = usize::from(head[24 + 2]);
                let mut settings = vec![0u8; len];
                let _ = s.read_exact(&mut settings);
                let _ = tx.send(settings);
            }
        }
    });
    probe(&["--timeout", "500ms", "grpc", &addr.to_string()]).unhealthy();
    let settings = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("client SETTINGS");
    check_settings(&settings);
    // The same from the --http2 check.
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut head = [0u8; 24 + 9];
            if s.read_exact(&mut head).is_ok() {
                let len = usize::from(head[24 + 2]);
                let mut settings = vec![0u8; len];
                let _ = s.read_exact(&mut settings);
                let _ = tx.send(settings);
            }
        }
    });
    probe(&["--timeout", "500ms", "--http2", &format!("http://{addr}/")]).unhealthy();
    check_settings(
        &rx.recv_timeout(Duration::from_secs(5))
            .expect("client SETTINGS"),
    );
}

fn check_settings(settings: &[u8]) {
    let pairs: Vec<(u16, u32)> = settings
        .chunks_exact(6)
        .map(|c| {
            (
                u16::from_be_bytes([c[0], c[1]]),
                u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
            )
        })
        .collect();
    assert!(pairs.contains(&(0x2, 0)), "ENABLE_PUSH=0 in {pairs:?}");
    assert!(
        pairs.contains(&(0x6, 16 * 1024)),
        "MAX_HEADER_LIST_SIZE in {pairs:?}"
    );
}

// --- what only the --http2 http check meets -----------------------------------

/// An http check with --http2 and `args` against a server doing `then`.
fn http2_against(args: &[&str], then: Handler) -> Run {
    let s = Server::raw("127.0.0.1:0", then);
    let url = format!("http://{}/health", s.addr);
    let mut all = vec!["--timeout", TIMEOUT, "--http2"];
    all.extend(args);
    all.push(&url);
    let r = probe(&all);
    eprintln!(
        "exit time {:?}, peak RSS {} KiB: {}",
        r.took,
        r.peak_rss_kib,
        r.out.trim_end()
    );
    r.one_line().by_deadline(DEADLINE);
    r
}

/// A response head with `:status` `status` and nothing else.
fn status_head(status: &str) -> Vec<u8> {
    let mut block = Vec::new();
    literal(&mut block, ":status", status.as_bytes());
    block
}

#[test]
fn a_body_that_fills_the_window_ends_the_search_at_once() {
    // The server sends the 65,535 bytes our window allows and waits for a
    // WINDOW_UPDATE that never comes: the search ends there, not at the deadline.
    let fill = |mut s: TcpStream, _: &str| {
        if open(&mut s) {
            let _ = s.write_all(&frame(HEADERS, END_HEADERS, 1, &status_head("200")));
            for _ in 0..3 {
                let _ = s.write_all(&frame(DATA, 0, 1, &[b'a'; 16_384]));
            }
            let _ = s.write_all(&frame(DATA, 0, 1, &[b'a'; 65_535 - 3 * 16_384]));
            std::thread::sleep(Duration::from_secs(5));
        }
    };
    http2_against(&["--body-contains", "ready"], fill)
        .unhealthy()
        .says("\"ready\" not in the first 65535 bytes of the body")
        .says("past our 65535-byte flow-control window")
        .within(Duration::from_millis(500));
    http2_against(&["--body-not-contains", "down"], fill)
        .unhealthy()
        .says("only 65535 bytes of the body read")
        .within(Duration::from_millis(500));
}

#[test]
fn the_status_decides_at_the_head_and_informational_heads_are_bounded() {
    // A server that never ends the stream: the status alone decides.
    http2_against(&[], |mut s, _| {
        if open(&mut s) {
            let _ = s.write_all(&frame(HEADERS, END_HEADERS, 1, &status_head("204")));
            std::thread::sleep(Duration::from_secs(5));
        }
    })
    .healthy()
    .says("-> 204 No Content in ")
    .within(Duration::from_millis(500));
    // A 103 before the answer is skipped; endless ones are frames without an answer.
    http2_against(&[], |mut s, _| {
        if open(&mut s) {
            let _ = s.write_all(&frame(HEADERS, END_HEADERS, 1, &status_head("103")));
            let _ = s.write_all(&frame(
                HEADERS,
                END_HEADERS | END_STREAM,
                1,
                &status_head("503"),
            ));
        }
    })
    .unhealthy()
    .says("-> 503 Service Unavailable in ");
    http2_against(&[], |mut s, _| {
        if open(&mut s) {
            flood(&mut s, &frame(HEADERS, END_HEADERS, 1, &status_head("100")));
        }
    })
    .unhealthy()
    .says("more than 100 frames without an answer")
    .within(Duration::from_millis(500));
}

#[test]
fn broken_response_heads_are_named() {
    let cases: [(&str, Handler); 3] = [
        ("a response without a valid :status", |mut s, _| {
            if open(&mut s) {
                let _ = s.write_all(&frame(
                    HEADERS,
                    END_HEADERS | END_STREAM,
                    1,
                    &status_head("2000"),
                ));
            }
        }),
        (
            "a malformed response header (PROTOCOL_ERROR)",
            |mut s, _| {
                if open(&mut s) {
                    let mut block = vec![0x88];
                    literal(&mut block, "x-bad", b"line\r\nbreak");
                    let _ = s.write_all(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &block));
                }
            },
        ),
        ("the server answered HTTP/1, not HTTP/2", |mut s, _| {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            std::thread::sleep(Duration::from_secs(5));
        }),
    ];
    for (reason, handler) in cases {
        http2_against(&[], handler)
            .unhealthy()
            .says(reason)
            .within(Duration::from_millis(500));
    }
}
