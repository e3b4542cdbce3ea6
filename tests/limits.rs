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
        .says("a 16385-byte greeting: not a MySQL server?");
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
    // UNSIZED_READ_LIMIT: /proc/self/pagemap says size 0 and holds far more
    // than 16 MiB; it is read that far to count it, and no further.
    let pagemap = "/proc/self/pagemap";
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
