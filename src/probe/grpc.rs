//! `grpc HOST:PORT`: `grpc.health.v1.Health/Check` over HTTP/2 on the blocking
//! socket, plain (h2c with prior knowledge) or TLS (ALPN h2). Healthy only when
//! the answer is SERVING. The HTTP/2 needed for one unary call is small: the
//! preface, SETTINGS and PING acknowledgements, one HEADERS + DATA out, and
//! HEADERS / DATA / trailers back (HPACK in `crate::hpack`).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use crate::cli::Header;
use crate::deadline::Deadline;
use crate::hpack;
use crate::net;
use crate::probe::http::CaCerts;
use crate::report::CheckReport;
use crate::socket::DeadlineStream;
use crate::target::HostPort;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const PATH: &str = "/grpc.health.v1.Health/Check";
/// Largest frame we accept: SETTINGS_MAX_FRAME_SIZE's default, which we keep.
const MAX_FRAME: usize = 16_384;
/// Largest header block or response message we collect.
const MAX_COLLECTED: usize = 64 * 1024;

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;

const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "tls"), allow(dead_code))]
pub struct GrpcCheck {
    pub target: HostPort,
    pub service: String,
    pub tls: bool,
    pub authority: Option<String>,
    pub headers: Vec<Header>,
    pub insecure: bool,
    pub ca_certs: Option<CaCerts>,
}

impl GrpcCheck {
    pub fn subject(&self) -> String {
        let scheme = if self.tls { "grpcs" } else { "grpc" };
        match self.service.as_str() {
            "" => format!("{scheme} {}", self.target),
            s => format!(
                "{scheme} {} service {}",
                self.target,
                crate::target::shown(s)
            ),
        }
    }
}

pub fn check(c: &GrpcCheck, deadline: &Deadline) -> CheckReport {
    let started = Instant::now();
    let mut report = CheckReport::new(c.subject());
    match run(c, deadline, &mut report) {
        Ok(status) if status == "SERVING" => {
            report.healthy = true;
            report.result = status;
        }
        Ok(status) | Err(status) => report.result = status,
    }
    report.elapsed = started.elapsed();
    report
}

/// Ok(serving status name) or Err(why the call failed).
fn run(c: &GrpcCheck, deadline: &Deadline, report: &mut CheckReport) -> Result<String, String> {
    if c.tls && !cfg!(feature = "tls") {
        return Err("TLS is not supported by this build (built without the tls feature)".into());
    }
    let addrs = net::resolve(&c.target, deadline)?;
    let connected = net::connect_any(
        &addrs,
        deadline,
        |a, share| TcpStream::connect_timeout(&a, share),
        net::io_reason,
    );
    let (socket, addr) = match connected {
        Ok(ok) => ok,
        Err(failures) if deadline.expired() => {
            return Err(format!(
                "timed out after {} connecting: {failures}",
                deadline.budget()
            ));
        }
        Err(failures) => return Err(failures.to_string()),
    };
    let _ = socket.set_nodelay(true);
    report.details.push(format!("connected to {addr}"));
    let authority = c.authority.clone().unwrap_or_else(|| c.target.to_string());
    let socket = DeadlineStream::new(socket, *deadline).map_err(|e| net::io_reason(&e))?;
    let mut conn = Conn::open(socket, c)?;
    let mut h2 = H2 {
        conn: &mut conn,
        deadline,
        decoder: hpack::Decoder::default(),
    };
    h2.call(c, &authority, report)
        .map_err(|e| e.describe(deadline))
}

/// Why the call failed.
enum Failure {
    Io(io::Error),
    Protocol(String),
}

impl Failure {
    fn describe(&self, deadline: &Deadline) -> String {
        match self {
            Failure::Io(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                format!("timed out after {}", deadline.budget())
            }
            Failure::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                "connection closed by the server".into()
            }
            Failure::Io(e) => {
                crate::probe::http::tls_reason(&e.to_string()).unwrap_or_else(|| net::io_reason(e))
            }
            Failure::Protocol(p) => p.clone(),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn protocol(text: impl Into<String>) -> Failure {
    Failure::Protocol(text.into())
}

struct H2<'a> {
    conn: &'a mut Conn,
    deadline: &'a Deadline,
    decoder: hpack::Decoder,
}

impl H2<'_> {
    fn call(
        &mut self,
        c: &GrpcCheck,
        authority: &str,
        report: &mut CheckReport,
    ) -> Result<String, Failure> {
        // Preface and an empty SETTINGS (defaults are what we want), then the request.
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(PREFACE);
        frame(&mut out, SETTINGS, 0, 0, &[]);
        let mut block = Vec::new();
        let scheme: &[u8] = if c.tls { b"https" } else { b"http" };
        let timeout_ms = self.deadline.remaining().as_millis().clamp(1, 99_999_999);
        let pairs: [(&[u8], &[u8]); 7] = [
            (b":method", b"POST"),
            (b":scheme", scheme),
            (b":path", PATH.as_bytes()),
            (b":authority", authority.as_bytes()),
            (b"content-type", b"application/grpc"),
            (b"te", b"trailers"),
            (
                b"user-agent",
                concat!("healthprobe/", env!("CARGO_PKG_VERSION")).as_bytes(),
            ),
        ];
        for (name, value) in pairs {
            hpack::encode_literal(&mut block, name, value);
        }
        hpack::encode_literal(
            &mut block,
            b"grpc-timeout",
            format!("{timeout_ms}m").as_bytes(),
        );
        for h in &c.headers {
            hpack::encode_literal(
                &mut block,
                h.name.to_ascii_lowercase().as_bytes(),
                h.value.expose().as_bytes(),
            );
        }
        if block.len() > MAX_FRAME {
            return Err(protocol("request headers too large"));
        }
        frame(&mut out, HEADERS, END_HEADERS, 1, &block);
        frame(&mut out, DATA, END_STREAM, 1, &request_message(&c.service));
        self.write(&out)?;

        let mut head: Option<Vec<hpack::Header>> = None;
        let mut message = Vec::new();
        loop {
            let (kind, flags, stream, payload) = self.read_frame()?;
            match kind {
                SETTINGS if flags & ACK == 0 => self.send(SETTINGS, ACK, 0, &[])?,
                PING if flags & ACK == 0 => self.send(PING, ACK, 0, &payload)?,
                GOAWAY => return Err(goaway(&payload)),
                RST_STREAM if stream == 1 => {
                    let code = payload
                        .get(..4)
                        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                    return Err(protocol(format!(
                        "stream reset by the server ({})",
                        h2_error(code)
                    )));
                }
                HEADERS if stream == 1 => {
                    let block = self.header_block(flags, payload)?;
                    let headers = self
                        .decoder
                        .decode(&block)
                        .map_err(|e| protocol(e.to_string()))?;
                    for (n, v) in &headers {
                        report.details.push(format!(
                            "< {}: {}",
                            String::from_utf8_lossy(n),
                            String::from_utf8_lossy(v)
                        ));
                    }
                    if flags & END_STREAM != 0 {
                        // Trailers, or a trailers-only response.
                        let mut all = head.take().unwrap_or_default();
                        all.extend(headers);
                        return verdict(&all, &message);
                    }
                    head = Some(headers);
                }
                DATA if stream == 1 => {
                    let data = unpad(flags, &payload)?;
                    if message.len() + data.len() > MAX_COLLECTED {
                        return Err(protocol("response message too large"));
                    }
                    message.extend_from_slice(data);
                    if flags & END_STREAM != 0 {
                        return verdict(&head.unwrap_or_default(), &message);
                    }
                }
                _ => {} // WINDOW_UPDATE, PRIORITY, other streams, acknowledgements
            }
        }
    }

    /// The whole header block: this HEADERS fragment and any CONTINUATIONs.
    fn header_block(&mut self, flags: u8, payload: Vec<u8>) -> Result<Vec<u8>, Failure> {
        let mut fragment = unpad(flags, &payload)?;
        if flags & PRIORITY != 0 {
            fragment = fragment
                .get(5..)
                .ok_or_else(|| protocol("short HEADERS frame"))?;
        }
        let mut block = fragment.to_vec();
        let mut end = flags & END_HEADERS != 0;
        while !end {
            let (kind, flags, stream, payload) = self.read_frame()?;
            if kind != CONTINUATION || stream != 1 {
                return Err(protocol("header block interrupted"));
            }
            if block.len() + payload.len() > MAX_COLLECTED {
                return Err(protocol("response headers too large"));
            }
            block.extend_from_slice(&payload);
            end = flags & END_HEADERS != 0;
        }
        Ok(block)
    }

    fn send(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Result<(), Failure> {
        let mut out = Vec::with_capacity(9 + payload.len());
        frame(&mut out, kind, flags, stream, payload);
        self.write(&out)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.conn.write_all(bytes)?;
        self.conn.flush()?;
        Ok(())
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), Failure> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.conn.read(&mut buf[filled..]) {
                Ok(0) => return Err(Failure::Io(io::ErrorKind::UnexpectedEof.into())),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn read_frame(&mut self) -> Result<(u8, u8, u32, Vec<u8>), Failure> {
        let mut head = [0u8; 9];
        self.read_exact(&mut head)?;
        if head.starts_with(b"HTTP/") {
            return Err(protocol(
                "the server answered HTTP/1 (not a gRPC server, or it wants TLS)",
            ));
        }
        let len = (usize::from(head[0]) << 16) | (usize::from(head[1]) << 8) | usize::from(head[2]);
        if len > MAX_FRAME {
            return Err(protocol(format!(
                "frame of {len} bytes, larger than allowed: not a gRPC server?"
            )));
        }
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        let mut payload = vec![0u8; len];
        self.read_exact(&mut payload)?;
        Ok((head[3], head[4], stream, payload))
    }
}

fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = payload.len() as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

fn unpad(flags: u8, payload: &[u8]) -> Result<&[u8], Failure> {
    if flags & PADDED == 0 {
        return Ok(payload);
    }
    let pad = usize::from(
        *payload
            .first()
            .ok_or_else(|| protocol("empty padded frame"))?,
    );
    payload
        .get(1..payload.len().saturating_sub(pad))
        .filter(|_| pad < payload.len())
        .ok_or_else(|| protocol("bad padding"))
}

/// The length-prefixed HealthCheckRequest { string service = 1; }.
fn request_message(service: &str) -> Vec<u8> {
    let mut proto = Vec::new();
    if !service.is_empty() {
        proto.push(0x0a); // field 1, length-delimited
        varint(&mut proto, service.len() as u64);
        proto.extend_from_slice(service.as_bytes());
    }
    let mut out = vec![0u8]; // not compressed
    out.extend_from_slice(&(proto.len() as u32).to_be_bytes());
    out.extend_from_slice(&proto);
    out
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(input: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = input.split_first()?;
        *input = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The serving status in a HealthCheckResponse { ServingStatus status = 1; }.
fn serving_status(message: &[u8]) -> Result<u64, Failure> {
    let bad = || protocol("malformed health response message");
    let (&compressed, rest) = message.split_first().ok_or_else(bad)?;
    if compressed != 0 {
        return Err(protocol("compressed health response (not asked for)"));
    }
    let len = rest
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(bad)?;
    let mut proto = rest.get(4..4 + len).ok_or_else(bad)?;
    let mut status = 0; // proto3 default: UNKNOWN
    while !proto.is_empty() {
        let key = read_varint(&mut proto).ok_or_else(bad)?;
        match key & 7 {
            0 => {
                let v = read_varint(&mut proto).ok_or_else(bad)?;
                if key >> 3 == 1 {
                    status = v;
                }
            }
            2 => {
                let n = read_varint(&mut proto).ok_or_else(bad)? as usize;
                proto = proto.get(n..).ok_or_else(bad)?;
            }
            1 => proto = proto.get(8..).ok_or_else(bad)?,
            5 => proto = proto.get(4..).ok_or_else(bad)?,
            _ => return Err(bad()),
        }
    }
    Ok(status)
}

/// From the response's headers + trailers and message to the verdict text.
fn verdict(headers: &[hpack::Header], message: &[u8]) -> Result<String, Failure> {
    let get = |name: &[u8]| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    if let Some(status) = get(b":status").filter(|s| s != "200") {
        return Err(protocol(format!(
            "HTTP status {status} (not a gRPC endpoint?)"
        )));
    }
    let Some(code) = get(b"grpc-status") else {
        return Err(protocol("response without grpc-status"));
    };
    let code: u32 = code
        .trim()
        .parse()
        .map_err(|_| protocol(format!("bad grpc-status {code:?}")))?;
    if code != 0 {
        let message = get(b"grpc-message")
            .map(|m| crate::target::percent_decode(&m))
            .filter(|m| !m.is_empty());
        let name = grpc_code(code);
        return Err(protocol(match message {
            Some(m) => format!(
                "gRPC status {name}: {}",
                crate::report::escape_excerpt(m.as_bytes())
            ),
            None => format!("gRPC status {name}"),
        }));
    }
    Ok(match serving_status(message)? {
        0 => "UNKNOWN".into(),
        1 => "SERVING".into(),
        2 => "NOT_SERVING".into(),
        3 => "SERVICE_UNKNOWN".into(),
        n => format!("serving status {n}"),
    })
}

fn goaway(payload: &[u8]) -> Failure {
    let code = payload
        .get(4..8)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let debug = payload
        .get(8..)
        .map(crate::report::escape_excerpt)
        .unwrap_or_default();
    let debug = if debug.is_empty() {
        String::new()
    } else {
        format!(": {debug}")
    };
    protocol(format!(
        "connection closed by the server (GOAWAY {}){debug}",
        h2_error(code)
    ))
}

fn h2_error(code: u32) -> &'static str {
    const NAMES: [&str; 14] = [
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    ];
    NAMES.get(code as usize).copied().unwrap_or("unknown error")
}

fn grpc_code(code: u32) -> String {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    NAMES
        .get(code as usize)
        .map_or_else(|| format!("{code}"), |n| n.to_string())
}

/// The byte stream under HTTP/2: plain TCP or TLS over it, both waiting at
/// most until the deadline (see `crate::socket`).
enum Conn {
    Plain(DeadlineStream<TcpStream>),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, DeadlineStream<TcpStream>>>),
}

impl Conn {
    fn open(socket: DeadlineStream<TcpStream>, c: &GrpcCheck) -> Result<Conn, String> {
        if !c.tls {
            return Ok(Conn::Plain(socket));
        }
        #[cfg(feature = "tls")]
        {
            let host = c
                .authority
                .as_deref()
                .map_or(c.target.host.as_str(), |a| authority_host(a))
                .to_string();
            let name = rustls::pki_types::ServerName::try_from(host)
                .map_err(|e| format!("TLS server name: {e}"))?;
            let config = tls::client_config(c.insecure, c.ca_certs.as_deref())?;
            let conn =
                rustls::ClientConnection::new(config, name).map_err(|e| format!("TLS: {e}"))?;
            Ok(Conn::Tls(Box::new(rustls::StreamOwned::new(conn, socket))))
        }
        #[cfg(not(feature = "tls"))]
        unreachable!("checked in run()")
    }
}

/// The host part of an --authority value (`name`, `name:port`, `[v6]:port`).
#[cfg(feature = "tls")]
fn authority_host(a: &str) -> &str {
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    a.rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(a, |(h, _)| h)
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => s.flush(),
        }
    }
}

#[cfg(feature = "tls")]
mod tls {
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

    pub fn client_config(
        insecure: bool,
        ca_certs: Option<&Vec<ureq::tls::Certificate<'static>>>,
    ) -> Result<Arc<ClientConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?;
        let mut config = if insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore::empty();
            match ca_certs {
                Some(certs) => {
                    roots.add_parsable_certificates(
                        certs.iter().map(|c| CertificateDer::from(c.der().to_vec())),
                    );
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(config))
    }

    /// --insecure: accepts any certificate, but still checks handshake signatures.
    #[derive(Debug)]
    struct AnyCertificate(Arc<CryptoProvider>);

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_messages() {
        assert_eq!(request_message(""), [0, 0, 0, 0, 0]);
        assert_eq!(request_message("db"), [0, 0, 0, 0, 4, 0x0a, 2, b'd', b'b']);
    }

    #[test]
    fn response_messages() {
        assert!(matches!(serving_status(&[0, 0, 0, 0, 2, 0x08, 1]), Ok(1)));
        assert!(matches!(serving_status(&[0, 0, 0, 0, 0]), Ok(0)));
        // Unknown fields are skipped.
        assert!(matches!(
            serving_status(&[0, 0, 0, 0, 5, 0x12, 1, b'x', 0x08, 2]),
            Ok(2)
        ));
        assert!(serving_status(&[0, 0, 0, 0, 9, 0x08]).is_err());
        assert!(serving_status(&[1, 0, 0, 0, 0]).is_err());
        assert!(serving_status(&[]).is_err());
    }

    #[test]
    fn verdicts() {
        let h = |pairs: &[(&str, &str)]| -> Vec<hpack::Header> {
            pairs
                .iter()
                .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect()
        };
        let ok = h(&[(":status", "200"), ("grpc-status", "0")]);
        assert!(matches!(
            verdict(&ok, &[0, 0, 0, 0, 2, 0x08, 1]).as_deref(),
            Ok("SERVING")
        ));
        assert!(matches!(
            verdict(&ok, &[0, 0, 0, 0, 2, 0x08, 2]).as_deref(),
            Ok("NOT_SERVING")
        ));
        let missing = h(&[
            (":status", "200"),
            ("grpc-status", "5"),
            ("grpc-message", "unknown%20service"),
        ]);
        match verdict(&missing, &[]) {
            Err(Failure::Protocol(p)) => assert_eq!(p, "gRPC status NOT_FOUND: unknown service"),
            _ => panic!("expected NOT_FOUND"),
        }
        assert!(verdict(&h(&[(":status", "404")]), &[]).is_err());
    }

    #[test]
    fn varints_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            varint(&mut out, v);
            assert_eq!(read_varint(&mut &out[..]), Some(v));
        }
        assert_eq!(read_varint(&mut &[0x80u8; 11][..]), None);
    }
}
