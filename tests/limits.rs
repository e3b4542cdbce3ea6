//! Each bound in docs/limits.md, crossed: the probe does what the page says
//! past it, and its line says what the page quotes (with the number). A
//! bound crossed by a test elsewhere is named on the page with that test;
//! the ones here are the rest, and the ones a user meets first.
//!
//! Every value just at a bound is also tried where that is cheap, so that
//! the bound is where the page says and not one off.

mod common;

use std::io::Write;
use std::thread::sleep;
use std::time::Duration;

use common::*;

fn temp_file(content: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(unique("hp-limits-"));
    std::fs::write(&path, content).unwrap();
    path
}

/// Keeps a raw connection open a moment after writing, so the probe meets
/// the bound rather than the end of the connection.
fn linger() {
    sleep(Duration::from_millis(300));
}

// ------------------------------------------------------------ command line

#[test]
fn timeout_at_most_24h() {
    probe(&["--timeout", "25h", "tcp", "127.0.0.1:1"])
        .unhealthy()
        .one_line()
        .says("25h is longer than the 24h maximum");
    probe(&["--timeout", "86401s", "tcp", "127.0.0.1:1"])
        .unhealthy()
        .says("longer than the 24h maximum");
    // 24h itself is a deadline, not a usage error.
    probe(&[
        "--timeout",
        "24h",
        "tcp",
        &format!("127.0.0.1:{}", closed_port()),
    ])
    .unhealthy()
    .one_line()
    .says("unhealthy: tcp ");
}

#[test]
fn timeout_zero_is_refused() {
    probe(&["--timeout", "0", "tcp", "127.0.0.1:1"])
        .unhealthy()
        .one_line()
        .says("healthprobe: error: ")
        .says("no deadline is for `wait` only");
    probe(&["--timeout", "0s", "http://127.0.0.1:1/"])
        .unhealthy()
        .says("no deadline is for `wait` only");
}

#[test]
fn a_long_mistyped_option_gets_no_guess() {
    // MAX_SUGGESTED_LEN = 64.
    let long = format!("--timeout{}", "x".repeat(60));
    probe(&[&long, "1s", "tcp", "127.0.0.1:1"])
        .unhealthy()
        .one_line()
        .says("unexpected argument")
        .never_says("did you mean");
}

// ------------------------------------------------------------ output

#[test]
fn the_line_is_at_most_500_bytes() {
    let path = format!("/{}", "p".repeat(3000));
    let r = probe(&[
        "--timeout",
        "2s",
        &format!("http://127.0.0.1:{}{path}", closed_port()),
    ]);
    r.unhealthy().one_line();
    assert!(r.out.len() <= 500, "{} bytes: {r:?}", r.out.len());
    assert!(r.out.contains('…'), "cut where it was cut: {r:?}");
}

#[test]
fn verbose_output_is_at_most_4096_bytes_and_24_headers() {
    // 30 headers of 150 bytes each, and five request headers: more than
    // 4,096 bytes of -v output.
    let s = Server::start("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
        for i in 0..30 {
            let _ = stream.write_all(format!("x-{i:02}: {}\r\n", "v".repeat(150)).as_bytes());
        }
        let _ = stream.write_all(b"\r\n");
    });
    // And five long request headers, shown too.
    let sent: Vec<String> = (0..5)
        .map(|i| format!("X-Req-{i}: {}", "r".repeat(150)))
        .collect();
    let mut args = vec!["-v"];
    for h in &sent {
        args.extend(["-H", h.as_str()]);
    }
    let url = s.url("/");
    args.push(&url);
    let r = probe(&args);
    r.healthy().says("< x-00: vvv");
    assert!(r.out.len() <= 4096, "{} bytes", r.out.len());
    // The lines that do not fit are left out, whole.
    r.never_says("more headers");
    assert!(
        r.out.len() > 3800 && r.out.ends_with('\n'),
        "{} bytes {r:?}",
        r.out.len()
    );
    let few = Server::start("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
        for i in 0..30 {
            let _ = stream.write_all(format!("x-{i:02}: 1\r\n").as_bytes());
        }
        let _ = stream.write_all(b"\r\n");
    });
    probe(&["-v", &few.url("/")])
        .healthy()
        .says("< x-22: 1")
        .never_says("< x-23: 1")
        .says("< ... 7 more headers");
}

#[test]
fn a_body_excerpt_is_at_most_160_bytes() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 1000\r\n\r\n\
         xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
         xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
         xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    );
    let r = probe(&[&s.url("/")]);
    r.unhealthy().one_line().says("503");
    let excerpt = r.out.rsplit(": ").next().unwrap_or("").trim_end();
    assert!(
        excerpt.starts_with("xxx") && excerpt.ends_with('…'),
        "{r:?}"
    );
    assert!(excerpt.len() <= 160, "{} bytes: {r:?}", excerpt.len());
}

// ------------------------------------------------------------ HTTP

#[test]
fn a_request_head_over_8_kib_is_refused_before_connecting() {
    let s = Server::start("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    let long = format!("X-Long: {}", "a".repeat(9000));
    probe(&["-H", &long, &s.url("/")])
        .unhealthy()
        .one_line()
        .says("larger than 8 KiB (are the headers too long?)");
    // Nothing reached the server: the first request it sees is the next
    // one, whose head fits.
    let fits = format!("X-Long: {}", "b".repeat(7000));
    probe(&["-H", &fits, &s.url("/")]).healthy();
    assert!(s.request().contains(&"b".repeat(7000)));
}

#[test]
fn only_the_first_64_kib_of_a_body_are_searched() {
    let s = Server::start("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 65541\r\n\r\n");
        let _ = stream.write_all(&[b'a'; 65536]);
        let _ = stream.write_all(b"ready");
    });
    probe(&["--body-contains", "ready", &s.url("/")])
        .unhealthy()
        .one_line()
        .says("not in the first 65536 bytes");
    let at_the_end = Server::start("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 65536\r\n\r\n");
        let _ = stream.write_all(&[b'a'; 65531]);
        let _ = stream.write_all(b"ready");
    });
    probe(&["--body-contains", "ready", &at_the_end.url("/")]).healthy();
}

#[test]
fn a_json_path_has_at_most_64_steps() {
    let path = |n: usize| format!("{}=1", vec!["a"; n].join("."));
    probe(&["--body-json", &path(65), "http://127.0.0.1:1/"])
        .unhealthy()
        .one_line()
        .says("the path has more than 64 steps");
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    );
    probe(&["--body-json", &path(64), &s.url("/")])
        .unhealthy()
        .never_says("more than 64 steps")
        .says("not in the JSON body");
}

#[test]
fn response_headers_over_15_kib_are_refused() {
    let s = Server::start("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nX-Big: ");
        let _ = stream.write_all(&[b'a'; 20 * 1024]);
        let _ = stream.write_all(b"\r\nContent-Length: 0\r\n\r\n");
        linger();
    });
    let r = probe(&[&s.url("/")]);
    r.unhealthy()
        .one_line()
        .says("response headers larger than 15 KiB");
}

#[test]
fn header_values_are_shown_cut_at_60_bytes() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Ready: \
         nononononononononononononononononononononononononononononononononononononono\r\n\r\n",
    );
    let r = probe(&["--header-contains", "X-Ready: yes", &s.url("/")]);
    r.unhealthy().one_line().says("header x-ready is \"nonono");
    let shown = r.out.split('"').nth(1).unwrap_or("");
    assert!(
        shown.len() <= 60 && shown.ends_with('…'),
        "{shown:?} in {r:?}"
    );
}

// ------------------------------------------------------------ TLS

#[test]
#[cfg(feature = "tls")]
fn certificate_files_are_at_most_1_mib() {
    let big = temp_file(&vec![b'-'; 1024 * 1024 + 1]);
    probe(&["--cacert", big.to_str().unwrap(), "https://127.0.0.1:1/"])
        .unhealthy()
        .one_line()
        .says("more than a certificate or key file holds (1024 KiB at most)");
    let _ = std::fs::remove_file(big);
}

// ------------------------------------------------------------ DNS

#[test]
fn expect_lists_at_most_16_values() {
    let list = |n: usize| {
        (1..=n)
            .map(|i| format!("10.0.0.{i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    probe(&[&format!("dns://127.0.0.1:1/db?expect={}", list(17))])
        .unhealthy()
        .one_line()
        .says("expect lists more than 16 values");
    probe(&[
        "--timeout",
        "300ms",
        &format!("dns://127.0.0.1:{}/db?expect={}", closed_port(), list(16)),
    ])
    .unhealthy()
    .never_says("more than 16");
}

#[test]
fn a_name_is_at_most_253_characters() {
    let label = "a".repeat(63);
    let name = [label.as_str(); 4].join(".");
    assert_eq!(name.len(), 255);
    probe(&[&format!("dns://127.0.0.1:1/{name}")])
        .unhealthy()
        .one_line()
        .says("is longer than 253 characters");
}

// ------------------------------------------------------------ databases and brokers

#[test]
fn a_redis_reply_line_is_at_most_4096_bytes() {
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"+");
        let _ = stream.write_all(&[b'a'; 5000]);
        linger();
    });
    probe(&[&format!("redis://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("a reply line of more than 4096 bytes");
}

#[test]
fn a_mysql_greeting_is_at_most_16_kib() {
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(&[0x01, 0x40, 0x00, 0x00]); // 16,385 bytes announced
        linger();
    });
    probe(&[&format!("mysql://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("a 16385-byte packet: not a MySQL server?");
}

#[test]
fn a_memcached_answer_line_is_at_most_1024_bytes() {
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(&[b'V'; 2000]);
        linger();
    });
    probe(&[&format!("memcached://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("no line end in the first 1024 bytes of the answer");
}

#[test]
fn nats_reads_at_most_64_lines_for_its_pong() {
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"INFO {\"server_name\":\"x\"}\r\n");
        for _ in 0..100 {
            let _ = stream.write_all(b"+OK\r\n");
        }
        linger();
    });
    probe(&[&format!("nats://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("no PONG among the first 64 lines after CONNECT");
}

#[test]
fn an_amqp_frame_is_at_most_16_kib() {
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        // A method frame on channel 0 announcing 16,385 bytes.
        let _ = stream.write_all(&[1, 0, 0, 0, 0, 0x40, 0x01]);
        linger();
    });
    probe(&[&format!("amqp://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("a 16385-byte frame, over the 16384-byte limit");
}

// ------------------------------------------------------------ exec and files

#[test]
fn exec_output_is_searched_in_its_first_64_kib() {
    probe(&[
        "exec",
        "--stdout-contains",
        "ready",
        "--",
        "sh",
        "-c",
        "head -c 65536 /dev/zero | tr '\\0' a; echo ready",
    ])
    .unhealthy()
    .one_line()
    .says("not in the first 65536 bytes");
}

#[test]
fn a_file_is_searched_in_its_first_64_kib() {
    let mut late = vec![b'a'; 64 * 1024];
    late.extend_from_slice(b"ready");
    let late = temp_file(&late);
    probe(&["file", late.to_str().unwrap(), "--contains", "ready"])
        .unhealthy()
        .one_line()
        .says("not in its first 65536 bytes");
    let _ = std::fs::remove_file(late);
}

#[test]
fn a_file_of_unknown_size_is_counted_to_16_mib() {
    // UNSIZED_READ_LIMIT: a pagemap says size 0 and holds far more than 16
    // MiB; it is read that far to count it, and no further. This test's own
    // (a 64-bit process): a 32-bit probe's own pagemap holds only 8 MiB.
    let pagemap = format!("/proc/{}/pagemap", std::process::id());
    let pagemap = pagemap.as_str();
    probe(&["file", pagemap, "--min-size", "16M"])
        .healthy()
        .one_line()
        .says("at least 16777216 bytes");
    probe(&["file", pagemap, "--min-size", "17M"])
        .unhealthy()
        .one_line()
        .says("only 16777216 bytes are read to count it, fewer than --min-size 17825792");
}

#[test]
fn postgres_reads_at_most_8_messages_of_16_kib() {
    // Nine NoticeResponses and no answer to the startup message.
    let chatty = Server::raw("127.0.0.1:0", |mut stream, _| {
        for _ in 0..9 {
            let _ = stream.write_all(b"N\x00\x00\x00\x05\x00");
        }
        linger();
    });
    probe(&[&format!("postgres://{}", chatty.addr)])
        .unhealthy()
        .one_line()
        .says("no answer to the startup message among the server's first messages");
    // One notice announcing 16 KiB and a byte.
    let big = Server::raw("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"N\x00\x00\x40\x01");
        linger();
    });
    probe(&[&format!("postgres://{}", big.addr)])
        .unhealthy()
        .one_line()
        .says("not a PostgreSQL answer (starts with 'N')");
}

#[test]
fn amqp_reads_at_most_8_frames_for_an_answer() {
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        for _ in 0..9 {
            let _ = stream.write_all(&[8, 0, 0, 0, 0, 0, 0, 0xce]);
        }
        linger();
    });
    probe(&[&format!("amqp://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("only heartbeats from the broker");
}

#[test]
fn a_nats_line_is_at_most_64_kib() {
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"INFO ");
        let _ = stream.write_all(&[b'a'; 70 * 1024]);
        linger();
    });
    probe(&[&format!("nats://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("not a NATS server: it sent \"INFO aaa");
}

/// A DNS server on 127.0.0.1 that answers every query (both A and AAAA)
/// with `answers(question)`: the ID and question echoed, NOERROR, and the
/// answer records `answers` returns (already encoded, `count` of them).
fn dns_server(answers: fn(usize) -> (u16, Vec<u8>)) -> std::net::SocketAddr {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            // The question ends after the name's zero byte, type and class.
            let Some(end) = buf[12..n].iter().position(|&b| b == 0) else {
                continue;
            };
            let question_end = 12 + end + 1 + 4;
            let mut reply = buf[..question_end].to_vec();
            let (count, records) = answers(question_end);
            reply[2] = 0x81;
            reply[3] = 0x80;
            reply[6..8].copy_from_slice(&count.to_be_bytes());
            reply[8..12].fill(0);
            reply.extend(records);
            let _ = socket.send_to(&reply, from);
        }
    });
    addr
}

fn name(labels: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in labels.split('.') {
        out.push(label.len() as u8);
        out.extend(label.as_bytes());
    }
    out.push(0);
    out
}

/// An IN record: `owner` (encoded), type, TTL 60, `data`.
fn record(owner: &[u8], kind: u16, data: &[u8]) -> Vec<u8> {
    let mut out = owner.to_vec();
    out.extend(kind.to_be_bytes());
    out.extend([0, 1, 0, 0, 0, 60]);
    out.extend((data.len() as u16).to_be_bytes());
    out.extend(data);
    out
}

/// `db` -> c1 -> ... -> cN, and cN has the address 10.0.0.1.
fn cname_chain(links: usize) -> (u16, Vec<u8>) {
    let mut out = Vec::new();
    let mut owner = name("db");
    for i in 1..=links {
        let next = name(&format!("c{i}"));
        out.extend(record(&owner, 5, &next));
        owner = next;
    }
    out.extend(record(&owner, 1, &[10, 0, 0, 1]));
    ((links + 1) as u16, out)
}

#[test]
fn cname_chains_are_followed_for_15_links() {
    let within = dns_server(|_| cname_chain(15));
    probe(&["--timeout", "2s", &format!("dns://{within}/db")])
        .healthy()
        .one_line()
        .says("10.0.0.1");
    let past = dns_server(|_| cname_chain(16));
    probe(&["--timeout", "2s", &format!("dns://{past}/db")])
        .unhealthy()
        .one_line()
        .says("no address");
}

/// A TXT record whose text is `pointers` compression pointers, each to
/// the one before (the first to the question's name), then an A record
/// whose owner is the last pointer: reading that name takes
/// `pointers + 1` jumps.
fn pointer_chain(question_end: usize, pointers: usize) -> (u16, Vec<u8>) {
    let txt_start = question_end + 2 + 2 + 2 + 4 + 2;
    let mut text = Vec::new();
    for i in 0..pointers {
        let target = if i == 0 { 12 } else { txt_start + 2 * (i - 1) };
        text.extend([0xc0 | (target >> 8) as u8, target as u8]);
    }
    let last = txt_start + 2 * (pointers - 1);
    let mut out = record(&[0xc0, 12], 16, &text);
    out.extend(record(
        &[0xc0 | (last >> 8) as u8, last as u8],
        1,
        &[10, 0, 0, 2],
    ));
    (2, out)
}

#[test]
fn a_name_takes_at_most_128_compression_pointers() {
    let within = dns_server(|q| pointer_chain(q, 127));
    probe(&["--timeout", "2s", &format!("dns://{within}/db")])
        .healthy()
        .says("10.0.0.2");
    let past = dns_server(|q| pointer_chain(q, 128));
    probe(&["--timeout", "2s", &format!("dns://{past}/db")])
        .unhealthy()
        .one_line()
        .says("too many compression pointers");
}

/// The `.rs` files under `dir`, recursively.
fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_bound_in_the_code_is_on_the_limits_page() {
    // A bound is a constant named MAX_* or *_LIMIT: each is named on the
    // page, so a new one cannot be added without saying what it does.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/limits.md")).unwrap();
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let mut bounds = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let Some((_, rest)) = line.split_once("const ") else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if name.starts_with("MAX_") || name.ends_with("_LIMIT") {
                bounds.push((name, file.display().to_string()));
            }
        }
    }
    assert!(bounds.len() >= 30, "{bounds:?}");
    let missing: Vec<_> = bounds
        .iter()
        .filter(|(name, _)| !page.contains(name.as_str()))
        .collect();
    assert!(missing.is_empty(), "not on docs/limits.md: {missing:?}");
}

#[test]
fn a_postgres_protocol_2_error_is_read_to_1024_bytes() {
    // The postmaster's old-protocol error: `E`, text, no NUL, and the
    // connection held open. Past 1,024 bytes it is not read further.
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(b"EFATAL: ");
        let _ = stream.write_all(&[b'x'; 100_000]);
        sleep(Duration::from_secs(3));
    });
    probe(&["--timeout", "2s", &format!("postgres://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("not accepting connections: FATAL: xxx")
        .within(Duration::from_secs(1));
}

#[test]
fn memcached_text_is_shown_cut_at_160_bytes() {
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        let _ = stream.write_all(format!("SERVER_ERROR {}\r\n", "e".repeat(300)).as_bytes());
        linger();
    });
    let r = probe(&[&format!("memcached://{}", s.addr)]);
    r.unhealthy().one_line().says("SERVER_ERROR eee");
    let shown = r.out.split("SERVER_ERROR ").nth(1).unwrap_or("");
    let shown = &shown[..shown.find('…').map_or(shown.len(), |i| i + '…'.len_utf8())];
    assert!(shown.ends_with('…'), "{r:?}");
    assert!(
        "SERVER_ERROR ".len() + shown.len() <= 160,
        "{} bytes: {r:?}",
        shown.len()
    );
}

/// 70 A records for the asked name: 10.0.0.1 ... 10.0.0.70.
fn seventy_addresses(_: usize) -> (u16, Vec<u8>) {
    let mut out = Vec::new();
    for i in 1..=70u8 {
        out.extend(record(&[0xc0, 12], 1, &[10, 0, 0, i]));
    }
    (70, out)
}

#[test]
fn an_answer_is_read_to_64_addresses() {
    let server = dns_server(seventy_addresses);
    probe(&[
        "--timeout",
        "2s",
        &format!("dns://{server}/db?expect=10.0.0.64"),
    ])
    .healthy()
    .one_line()
    .says("10.0.0.1, ")
    .says(" more");
    probe(&[
        "--timeout",
        "2s",
        &format!("dns://{server}/db?expect=10.0.0.65"),
    ])
    .unhealthy()
    .one_line()
    .says("missing 10.0.0.65 (expect=)");
}

#[test]
fn a_wait_attempt_takes_at_most_5s() {
    // A server that accepts and never answers: each attempt ends at 5 s,
    // and the next one starts, within the 7 s the wait has.
    let s = Server::start("127.0.0.1:0", |_stream, _| {
        sleep(Duration::from_secs(10));
    });
    probe(&["wait", "--timeout", "7s", &s.url("/")])
        .unhealthy()
        .says("wait: unhealthy: ")
        .says("timed out after 5s");
}

// ------------------------------------------------------------ redirects, HTTP/2

#[test]
fn an_http2_request_body_is_at_most_16_kib() {
    // MAX_BODY (src/probe/http/h2.rs): one DATA frame. Refused before
    // connecting; 16 KiB itself goes on to connect (and is refused there).
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let over = "a".repeat(16 * 1024 + 1);
    probe(&["--http2", "-d", &over, &url])
        .unhealthy()
        .one_line()
        .says("request body of 16385 bytes, larger than 16 KiB over HTTP/2");
    let at = "a".repeat(16 * 1024);
    probe(&["--http2", "-d", &at, &url])
        .unhealthy()
        .one_line()
        .says("connection refused")
        .never_says("larger than");
}

// ------------------------------------------------------------ state

#[test]
fn restart_after_counts_at_most_10000_runs() {
    // MAX_RESTART_AFTER (src/values.rs).
    let url = format!("tcp://127.0.0.1:{}", closed_port());
    probe(&["--restart-after", "10001", &url])
        .unhealthy()
        .one_line()
        .says("invalid value \"10001\" for --restart-after <N>: a count of unhealthy runs, 1 to 10000");
    // 10000 is taken: one unhealthy run of a streak of 10000 signals nothing.
    let dir = std::env::temp_dir().join(unique("hp-limits-state-"));
    let dir = dir.to_string_lossy().into_owned();
    probe(&["--state-dir", &dir, "--restart-after", "10000", &url])
        .unhealthy()
        .one_line()
        .says("connection refused")
        .never_says("invalid value")
        .never_says("PID 1");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_record_lists_at_most_256_targets_and_keeps_runs_of_596_bytes() {
    // MAX_TARGETS and MAX_RUN (src/state/record.rs): a record past either
    // is not one the probe wrote; it is replaced and the line says so.
    let dir = std::env::temp_dir().join(unique("hp-limits-record-"));
    let url = format!("tcp://127.0.0.1:{}", closed_port());
    let dir_arg = dir.to_string_lossy().into_owned();
    let run = || probe(&["--state-dir", &dir_arg, "--history", "5", &url]);
    run().unhealthy().one_line();
    let rec = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "rec"))
        .expect("a record");
    let written = std::fs::read_to_string(&rec).unwrap();
    let with = |targets: usize, run_len: usize| -> String {
        let hashes: Vec<String> = (0..targets).map(|i| format!("{i:016x}")).collect();
        let head = "1796603678193 1 4174 unhealthy unhealthy: ";
        let entry = format!("{head}{}", "x".repeat(run_len - head.len()));
        written
            .lines()
            .map(|l| match l.split_once(' ') {
                Some(("targets", _)) => format!("targets {}", hashes.join(" ")),
                Some(("run", _)) => format!("run {entry}"),
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    for (targets, run_len, replaced) in [(256, 596, false), (257, 596, true), (256, 597, true)] {
        std::fs::write(&rec, with(targets, run_len)).unwrap();
        let r = run();
        r.unhealthy().one_line();
        match replaced {
            true => r.says("was corrupt: replaced"),
            false => r.never_says("replaced"),
        };
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------ logins

/// A fake server: `script` runs on each connection, which then stays open
/// a moment.
fn fake(script: impl Fn(&mut std::net::TcpStream) + Send + Sync + Copy + 'static) -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                script(&mut s);
                linger();
            });
        }
    });
    Server::at(addr)
}

/// Reads one length-prefixed startup-phase message (SSLRequest, startup);
/// answers `N` to SSLRequests until the startup message.
fn pg_startup(s: &mut std::net::TcpStream) {
    use std::io::Read;
    loop {
        let mut len = [0u8; 4];
        if s.read_exact(&mut len).is_err() {
            return;
        }
        let mut body = vec![
            0u8;
            (u32::from_be_bytes(len) as usize)
                .saturating_sub(4)
                .min(4096)
        ];
        if s.read_exact(&mut body).is_err() {
            return;
        }
        if !body.starts_with(&80_877_103u32.to_be_bytes()) {
            return;
        }
        let _ = s.write_all(b"N");
    }
}

/// One typed frontend message's body.
fn pg_message(s: &mut std::net::TcpStream) -> Vec<u8> {
    use std::io::Read;
    let mut head = [0u8; 5];
    let _ = s.read_exact(&mut head);
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let mut body = vec![0u8; len.saturating_sub(4).min(4096)];
    let _ = s.read_exact(&mut body);
    body
}

fn pg_auth(code: u32, data: &[u8]) -> Vec<u8> {
    let mut out = vec![b'R'];
    out.extend(((8 + data.len()) as u32).to_be_bytes());
    out.extend(code.to_be_bytes());
    out.extend(data);
    out
}

fn pg_status(n: usize) -> Vec<u8> {
    let param = b"application_name\x00x\x00";
    let mut one = vec![b'S'];
    one.extend(((param.len() + 4) as u32).to_be_bytes());
    one.extend(param);
    one.repeat(n)
}

const PG_READY: &[u8] = b"Z\0\0\0\x05I";

fn pg_login(addr: std::net::SocketAddr) -> Run {
    probe(&[
        "--timeout",
        "3s",
        &format!("postgres://app:Hunter2Secret@{addr}/orders?sslmode=disable"),
    ])
}

#[test]
fn postgres_takes_at_most_4_authentication_requests() {
    // MAX_AUTH_REQUESTS (src/probe/postgres.rs): authentication messages,
    // AuthenticationOk included. Cleartext asked 4 times, then OK: 5.
    let over = fake(|s| {
        pg_startup(s);
        for _ in 0..4 {
            let _ = s.write_all(&pg_auth(3, b""));
            pg_message(s);
        }
        let _ = s.write_all(&pg_auth(0, b""));
        let _ = s.write_all(PG_READY);
    });
    pg_login(over.addr)
        .unhealthy()
        .one_line()
        .says("more than 4 authentication requests from the server")
        .never_says("Hunter2");
    let at = fake(|s| {
        pg_startup(s);
        for _ in 0..3 {
            let _ = s.write_all(&pg_auth(3, b""));
            pg_message(s);
        }
        let _ = s.write_all(&pg_auth(0, b""));
        let _ = s.write_all(PG_READY);
    });
    pg_login(at.addr)
        .healthy()
        .one_line()
        .says("logged in to orders");
}

#[test]
fn postgres_reads_at_most_64_messages_before_ready_for_query() {
    // MAX_LOGIN_MESSAGES: AuthenticationOk, then ParameterStatus messages.
    let over = fake(|s| {
        pg_startup(s);
        let _ = s.write_all(&pg_auth(0, b""));
        let _ = s.write_all(&pg_status(63));
        let _ = s.write_all(PG_READY);
    });
    pg_login(over.addr)
        .unhealthy()
        .one_line()
        .says("no ReadyForQuery among the server's first 64 messages");
    let at = fake(|s| {
        pg_startup(s);
        let _ = s.write_all(&pg_auth(0, b""));
        let _ = s.write_all(&pg_status(62));
        let _ = s.write_all(PG_READY);
    });
    pg_login(at.addr).healthy().one_line();
}

/// Offers SCRAM-SHA-256 and answers the client's first message with
/// `server_first(client_nonce)`.
fn pg_scram(s: &mut std::net::TcpStream, server_first: fn(&str) -> String) {
    pg_startup(s);
    let _ = s.write_all(&pg_auth(10, b"SCRAM-SHA-256\0\0"));
    let first = pg_message(s);
    let text = String::from_utf8_lossy(&first).into_owned();
    let nonce = text.split("r=").nth(1).unwrap_or_default().to_string();
    let _ = s.write_all(&pg_auth(11, server_first(&nonce).as_bytes()));
    pg_message(s);
}

#[test]
fn a_scram_message_is_at_most_1024_bytes_and_its_count_at_most_2_31_minus_1() {
    // MAX_SCRAM_MESSAGE and MAX_ITERATIONS (src/probe/postgres/scram.rs).
    let long = fake(|s| {
        pg_scram(s, |nonce| {
            let first = format!("r={nonce}srv,s=c2FsdHNhbHQ=,i=4096,");
            format!("{first}{}", "x".repeat(1025 - first.len()))
        })
    });
    pg_login(long.addr)
        .unhealthy()
        .one_line()
        .says("the server's SCRAM message is over 1024 bytes");
    let count = fake(|s| {
        pg_scram(s, |nonce| {
            format!("r={nonce}srv,s=c2FsdHNhbHQ=,i=2147483648")
        })
    });
    pg_login(count.addr)
        .unhealthy()
        .one_line()
        .says("the server's SCRAM iteration count 2147483648 is not between 1 and 2147483647");
}

fn mysql_packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let mut packet = (payload.len() as u32).to_le_bytes()[..3].to_vec();
    packet.push(seq);
    packet.extend(payload);
    packet
}

/// A MySQL 8 greeting offering caching_sha2_password, then `notes`
/// fast-authentication notes after the login request, then an OK.
fn mysql_notes(s: &mut std::net::TcpStream, notes: u8) {
    use std::io::Read;
    let mut g = vec![10];
    g.extend(b"8.4.0-fake\0");
    g.extend([1, 0, 0, 0]);
    g.extend(b"abcdefgh\0");
    g.extend([0xff, 0xff, 45, 2, 0, 0xff, 0xdf, 21]);
    g.extend([0u8; 10]);
    g.extend(b"ijklmnopqrst\0caching_sha2_password\0");
    let _ = s.write_all(&mysql_packet(0, &g));
    let mut head = [0u8; 4];
    let _ = s.read_exact(&mut head);
    let mut body = vec![0u8; u32::from_le_bytes([head[0], head[1], head[2], 0]) as usize];
    let _ = s.read_exact(&mut body);
    for i in 0..notes {
        let _ = s.write_all(&mysql_packet(2 + i, &[0x01, 0x03]));
    }
    let _ = s.write_all(&mysql_packet(2 + notes, &[0, 0, 0, 2, 0, 0, 0]));
}

#[test]
fn a_mysql_login_reads_at_most_8_packets() {
    // MAX_LOGIN_PACKETS (src/probe/mysql.rs): fast-authentication notes
    // and no OK among the first 8.
    let over = fake(|s| mysql_notes(s, 8));
    probe(&[&format!("mysql://app:Pw5ecret@{}/orders", over.addr)])
        .unhealthy()
        .one_line()
        .says("no OK among the server's first 8 packets of the login");
    let at = fake(|s| mysql_notes(s, 7));
    probe(&[&format!("mysql://app:Pw5ecret@{}/orders", at.addr)])
        .healthy()
        .one_line()
        .says("logged in to orders (8.4.0-fake)");
}
