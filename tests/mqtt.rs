//! `mqtt://` and `mqtts://`: against a real mosquitto (anonymous, a
//! password file, TLS) with `mosquitto_pub` as the oracle, and against std
//! listeners answering CONNECT badly on purpose: silent, a trickle, a
//! maximal remaining length, endless data, HTTP, every refusal code, and a
//! broker echoing the CONNECT (password included) back.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use common::brokers::{MQTT_PASSWORD, MQTT_USER, mosquitto, mosquitto_pub_connects};
use common::*;

#[test]
#[ignore = "needs mosquitto and mosquitto-clients (apt); CI runs it"]
fn mosquitto_accepts_or_refuses_as_mosquitto_pub_finds() {
    let m = mosquitto();
    let cases = [
        (m.open, None, "CONNACK 0 (connection accepted)"),
        (m.auth, None, "CONNACK 5: not authorized"),
        (
            m.auth,
            Some((MQTT_USER, "Wrong5ecret")),
            "CONNACK 5: not authorized",
        ),
        (
            m.auth,
            Some((MQTT_USER, MQTT_PASSWORD)),
            "CONNACK 0 (connection accepted)",
        ),
    ];
    for (port, credentials, says) in cases {
        let url = match credentials {
            Some((u, p)) => format!("mqtt://{u}:{p}@127.0.0.1:{port}"),
            None => format!("mqtt://127.0.0.1:{port}"),
        };
        let run = probe(&[&url]);
        run.one_line()
            .says(says)
            .never_says(MQTT_PASSWORD)
            .never_says("Wrong5ecret");
        let oracle = mosquitto_pub_connects(port, credentials);
        assert_eq!(run.code == 0, oracle, "mosquitto_pub disagrees: {run:?}");
    }
    // In `wait`, and several at once.
    probe(&[
        "wait",
        "--timeout",
        "5s",
        &format!("mqtt://127.0.0.1:{}", m.open),
        &format!("mqtt://{MQTT_USER}:{MQTT_PASSWORD}@127.0.0.1:{}", m.auth),
        "--",
        "sh",
        "-c",
        "echo app started",
    ])
    .healthy()
    .says("app started")
    .never_says(MQTT_PASSWORD);
}

#[cfg(feature = "tls")]
#[test]
#[ignore = "needs mosquitto and mosquitto-clients (apt); CI runs it"]
fn mosquitto_over_tls() {
    let m = mosquitto();
    let cert = path_in(&m.certs, "cert.pem");
    probe(&["--cacert", &cert, &format!("mqtts://localhost:{}", m.tls)])
        .healthy()
        .one_line()
        .says(&format!("mqtts localhost:{} -> CONNACK 0", m.tls));
    probe(&[&format!("mqtts://localhost:{}", m.tls)])
        .unhealthy()
        .says("certificate not trusted");
    probe(&["-k", &format!("mqtts://127.0.0.1:{}", m.tls)]).healthy();
}

/// Reads the CONNECT (one read), then answers `reply`.
fn answer(s: &mut TcpStream, reply: &[u8]) -> Vec<u8> {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap_or(0);
    buf.truncate(n);
    if n > 0 {
        let _ = s.write_all(reply);
        thread::sleep(Duration::from_millis(300));
    }
    buf
}

#[test]
fn every_refusal_code_is_said_in_words() {
    for (handler, says) in [
        (
            (|mut s: TcpStream, _: &str| {
                answer(&mut s, &[0x20, 2, 0, 1]);
            }) as Handler,
            "CONNACK 1: unacceptable protocol version",
        ),
        (
            |mut s, _| {
                answer(&mut s, &[0x20, 2, 0, 2]);
            },
            "CONNACK 2: client identifier rejected",
        ),
        (
            |mut s, _| {
                answer(&mut s, &[0x20, 2, 0, 3]);
            },
            "CONNACK 3: server unavailable",
        ),
        (
            |mut s, _| {
                answer(&mut s, &[0x20, 2, 0, 4]);
            },
            "CONNACK 4: bad user name or password",
        ),
        (
            |mut s, _| {
                answer(&mut s, &[0x20, 2, 0, 5]);
            },
            "CONNACK 5: not authorized",
        ),
        (
            |mut s, _| {
                answer(&mut s, &[0x20, 2, 0, 0x86]);
            },
            "CONNACK 134: refused",
        ),
        (
            |mut s, _| {
                answer(&mut s, b"HTTP/1.1 400 Bad Request\r\n\r\n");
            },
            "not an MQTT 3.1.1 CONNACK (starts with 'H')",
        ),
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        probe(&[&format!("mqtt://u:Echo5ecret@{}", s.addr)])
            .unhealthy()
            .one_line()
            .says(says)
            .never_says("Echo5ecret");
    }
}

/// What the fake broker below found in the CONNECT and what followed it.
static CONNECT_SEEN: Mutex<Option<(Vec<u8>, [u8; 2])>> = Mutex::new(None);

#[test]
fn connect_is_what_mqtt_3_1_1_asks_for_and_disconnect_follows() {
    let s = Server::raw("127.0.0.1:0", |mut s, _| {
        let connect = answer(&mut s, &[0x20, 2, 0, 0]);
        let mut next = [0u8; 2];
        let _ = s.read_exact(&mut next);
        *CONNECT_SEEN.lock().unwrap() = Some((connect, next));
    });
    probe(&[&format!("mqtt://u:Echo5ecret@{}", s.addr)])
        .healthy()
        .one_line()
        .says(&format!(
            "healthy: mqtt u@{} -> CONNACK 0 (connection accepted)",
            s.addr
        ));
    thread::sleep(Duration::from_millis(500));
    let (connect, next) = CONNECT_SEEN.lock().unwrap().clone().expect("a CONNECT");
    // CONNECT, its remaining length, "MQTT" level 4, user + password + clean
    // session, keepalive 10 s; the client id; the user name and password.
    assert_eq!(connect[0], 0x10, "{connect:?}");
    assert_eq!(usize::from(connect[1]), connect.len() - 2, "{connect:?}");
    assert_eq!(
        &connect[2..12],
        b"\x00\x04MQTT\x04\xc2\x00\x0a",
        "{connect:?}"
    );
    assert!(
        connect.windows(12).any(|w| w == b"healthprobe-"),
        "{connect:?}"
    );
    assert!(
        connect.ends_with(b"\x00\x01u\x00\x0aEcho5ecret"),
        "{connect:?}"
    );
    assert_eq!(next, [0xe0, 0], "DISCONNECT follows CONNACK 0");
}

#[test]
fn hostile_mqtt_peers_end_in_one_line_within_the_deadline() {
    for handler in [
        // Silence.
        (|_s: TcpStream, _: &str| thread::sleep(Duration::from_secs(5))) as Handler,
        // A trickle: CONNACK a byte at a time, too slowly.
        |mut s, _| {
            answer(&mut s, &[]);
            for b in [0x20u8, 2, 0, 0] {
                thread::sleep(Duration::from_millis(400));
                if s.write_all(&[b]).is_err() {
                    return;
                }
            }
        },
        // The largest remaining length, then endless bytes.
        |mut s, _| {
            answer(&mut s, &[0x20, 0xff, 0xff, 0xff, 0x7f]);
            let chunk = [0u8; 65536];
            while s.write_all(&chunk).is_ok() {}
        },
        // Endless data from the start.
        |mut s, _| {
            let chunk = [b'M'; 65536];
            while s.write_all(&chunk).is_ok() {}
        },
        // The CONNECT echoed back, password and all.
        |mut s, _| {
            let connect = answer(&mut s, &[]);
            let _ = s.write_all(&connect);
            thread::sleep(Duration::from_secs(2));
        },
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        probe(&[
            "--timeout",
            "1s",
            "-v",
            &format!("mqtt://u:Echo5ecret@{}", s.addr),
        ])
        .unhealthy()
        .says("unhealthy: mqtt u@")
        .never_says("Echo5ecret")
        .by_deadline(Duration::from_secs(1));
    }
}

/// Client ids of the CONNECTs the fake broker below saw.
static CLIENT_IDS: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

#[test]
#[ignore = "needs root and unshare (util-linux) for PID namespaces; CI runs it"]
fn client_ids_differ_between_containers_with_the_same_pid() {
    // issue 27: `healthprobe-<pid>` collided across containers (each probe
    // is the same PID in its own PID namespace), and the broker dropped the
    // older session. Two probes, each in a PID namespace of its own.
    require(is_root(), "root, for unshare --pid");
    let s = Server::raw("127.0.0.1:0", |mut s, _| {
        let connect = answer(&mut s, &[0x20, 2, 0, 0]);
        // Fixed header (2), variable header (10), then the id's length and the id.
        let id = connect.get(12..14).and_then(|len| {
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            connect.get(14..14 + len)
        });
        CLIENT_IDS
            .lock()
            .unwrap()
            .push(id.unwrap_or_default().to_vec());
    });
    let target = format!("mqtt://{}", s.addr);
    for _ in 0..2 {
        probe_wrapped(&["unshare", "--pid", "--fork", "--kill-child"], &[&target])
            .healthy()
            .one_line();
    }
    thread::sleep(Duration::from_millis(500));
    let ids = CLIENT_IDS.lock().unwrap().clone();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_ne!(ids[0], ids[1], "{ids:?}");
    for id in &ids {
        assert!(id.starts_with(b"healthprobe-"), "{id:?}");
        // MQTT 3.1.1 (3.1.3.1): 1 to 23 bytes of 0-9a-zA-Z every broker must take.
        assert!(id.len() <= 23, "{}", String::from_utf8_lossy(id));
    }
}
