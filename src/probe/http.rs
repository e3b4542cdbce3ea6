//! `http URL`: one request through ureq, with our own resolver (no thread, no
//! /etc/hosts for localhost) and our own address loop (so the report can name
//! every address tried).

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::config::Config;
use ureq::http;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{ConnectionDetails, Connector, LazyBuffers, NextTimeout};

use crate::cli::{BasicAuth, Header, StatusSet, is_secret_header};
use crate::deadline::Deadline;
use crate::net::{self, ConnectFailures};
use crate::probe::unix;
use crate::redacted::{SecretString, basic_credentials};
use crate::report::{CheckReport, format_duration};
use crate::socket::{DeadlineStream, StreamTransport};
use crate::target::{Scheme, Url};

/// CA certificates from --cacert.
#[cfg(feature = "tls")]
pub type CaCerts = Arc<Vec<ureq::tls::Certificate<'static>>>;
#[cfg(not(feature = "tls"))]
pub type CaCerts = Arc<()>;

/// Reads the PEM certificates of `--cacert FILE`.
#[cfg(feature = "tls")]
pub fn load_ca_certs(path: &std::path::Path) -> anyhow::Result<CaCerts> {
    use anyhow::Context;
    let pem = std::fs::read(path).with_context(|| format!("--cacert {}", path.display()))?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        anyhow::bail!(
            "--cacert {}: no PEM certificate in the file",
            path.display()
        );
    }
    Ok(Arc::new(certs))
}

#[cfg(not(feature = "tls"))]
pub fn load_ca_certs(path: &std::path::Path) -> anyhow::Result<CaCerts> {
    anyhow::bail!(
        "--cacert {}: this build has no TLS (built without the tls feature)",
        path.display()
    )
}

/// How much of the body `--body-contains` looks at.
const BODY_SEARCH_LIMIT: u64 = 64 * 1024;
/// How much of a failing response's body is read for the excerpt.
const EXCERPT_READ: u64 = 512;
/// ureq's input buffer; it also bounds the response head.
const INPUT_BUFFER: usize = 16 * 1024;
/// ureq's output buffer: the request head must fit.
const OUTPUT_BUFFER: usize = 8 * 1024;
/// Response headers listed with -v.
const VERBOSE_HEADERS: usize = 24;

#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "tls"), allow(dead_code))]
pub struct HttpCheck {
    pub url: Url,
    pub method: String,
    pub status: StatusSet,
    pub headers: Vec<Header>,
    pub host: Option<String>,
    pub body_contains: Option<String>,
    pub basic_auth: Option<BasicAuth>,
    pub insecure: bool,
    pub ca_certs: Option<CaCerts>,
    pub unix_socket: Option<std::path::PathBuf>,
}

impl HttpCheck {
    /// `GET http://localhost:8080/health` (`via /run/app.sock`).
    pub fn subject(&self) -> String {
        match &self.unix_socket {
            Some(path) => format!("{} {} via {}", self.method, self.url, path.display()),
            None => format!("{} {}", self.method, self.url),
        }
    }
}

pub fn check(c: &HttpCheck, deadline: &Deadline) -> CheckReport {
    let started = Instant::now();
    let mut report = CheckReport::new(c.subject());
    let outcome = run(c, deadline, started, &mut report);
    report.healthy = outcome.is_ok();
    report.result = match outcome {
        Ok(text) | Err(text) => text,
    };
    report.elapsed = started.elapsed();
    report
}

/// Ok(result) when healthy, Err(result) when not.
fn run(
    c: &HttpCheck,
    deadline: &Deadline,
    started: Instant,
    report: &mut CheckReport,
) -> Result<String, String> {
    if c.url.scheme == Scheme::Https && !cfg!(feature = "tls") {
        return Err("https is not supported by this build (built without the tls feature)".into());
    }
    let addrs = match &c.unix_socket {
        Some(_) if c.url.scheme == Scheme::Https => {
            return Err("https over --unix-socket is not supported".into());
        }
        // Never dialled: the unix connector ignores addresses.
        Some(_) => vec![SocketAddr::from(([127, 0, 0, 1], c.url.port))],
        None => {
            let addrs = net::resolve(&c.url.host_port(), deadline)?;
            let resolved = format!(
                "resolved {} to {} in {}",
                c.url.host,
                list(&addrs),
                since(started)
            );
            report.details.push(resolved);
            addrs
        }
    };

    let log = Arc::new(Mutex::new(ConnectLog::default()));
    let agent = agent(c, deadline, &addrs, &log);
    let request = request(c, report).map_err(|e| format!("cannot build the request: {e}"))?;

    let response = agent.run(request);
    let connect = log.lock().unwrap_or_else(PoisonError::into_inner).clone();
    for f in &connect.failures.0 {
        report
            .details
            .push(format!("connect {}: {}", f.addr, f.reason));
    }
    let Some((addr, connected_at)) = connect.connected else {
        return Err(match (response, &c.unix_socket) {
            (Err(ureq::Error::Io(e)), Some(path)) => {
                format!("{} ({})", net::io_reason(&e), path.display())
            }
            (Err(e), _) if connect.failures.0.is_empty() => describe(&e, deadline, "connecting"),
            _ if deadline.expired() => format!(
                "timed out after {} connecting: {}",
                deadline.budget(),
                connect.failures
            ),
            _ => connect.failures.to_string(),
        });
    };
    report.details.push(format!(
        "connected to {addr} at {}",
        format_duration(connected_at)
    ));
    let phase = if c.url.scheme == Scheme::Https && connect.tls_done.is_none() {
        "during the TLS handshake"
    } else {
        "waiting for the response"
    };
    if let Some(at) = connect.tls_done {
        report
            .details
            .push(format!("TLS handshake done at {}", format_duration(at)));
    }
    let mut response = response.map_err(|e| describe(&e, deadline, phase))?;
    report
        .details
        .push(format!("response head at {}", since(started)));

    let status = response.status();
    let status_text = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .trim_end()
    .to_string();
    for (name, value) in response.headers().iter().take(VERBOSE_HEADERS) {
        let value = if is_secret_header(name.as_str()) || name == "set-cookie" {
            "(redacted)".into()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        report.details.push(format!("< {name}: {value}"));
    }
    if response.headers().len() > VERBOSE_HEADERS {
        report.details.push(format!(
            "< ... {} more headers",
            response.headers().len() - VERBOSE_HEADERS
        ));
    }

    if !c.status.contains(status.as_u16()) {
        // Alive but shedding load: a warning where warnings exist (Consul).
        report.warning = status.as_u16() == 429;
        let (excerpt, _) = read_body(response.body_mut().as_reader(), EXCERPT_READ, None);
        report.excerpt = Some(excerpt);
        return Err(status_text);
    }
    let Some(needle) = &c.body_contains else {
        return Ok(status_text);
    };
    let (body, error) = read_body(
        response.body_mut().as_reader(),
        BODY_SEARCH_LIMIT,
        Some(needle.as_bytes()),
    );
    report.details.push(format!(
        "read {} bytes of body by {}",
        body.len(),
        since(started)
    ));
    if contains(&body, needle.as_bytes()) {
        return Ok(format!(
            "{status_text}, body contains {}",
            crate::target::shown(needle)
        ));
    }
    let why = match error {
        Some(e) => format!("; {}", body_error(&e, deadline)),
        None => String::new(),
    };
    report.excerpt = Some(body.iter().copied().take(EXCERPT_READ as usize).collect());
    Err(format!(
        "{status_text}, but {} not in the first {} bytes of the body{why}",
        crate::target::shown(needle),
        body.len()
    ))
}

/// Reads up to `limit` bytes, stopping early once `needle` is seen. Keeps what
/// it got if the read fails (deadline, reset).
fn read_body(
    reader: impl Read,
    limit: u64,
    needle: Option<&[u8]>,
) -> (Vec<u8>, Option<std::io::Error>) {
    let mut reader = reader.take(limit);
    let mut body = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return (body, None),
            Ok(n) => {
                body.extend_from_slice(&chunk[..n]);
                if needle.is_some_and(|n| contains(&body, n)) {
                    return (body, None);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (body, Some(e)),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
fn agent(
    c: &HttpCheck,
    deadline: &Deadline,
    addrs: &[SocketAddr],
    log: &Arc<Mutex<ConnectLog>>,
) -> Agent {
    let builder = Config::builder()
        .timeout_global(Some(deadline.remaining()))
        .proxy(None) // HTTP_PROXY & co. are ignored: a health check talks to its own container.
        .http_status_as_error(false)
        .max_redirects(0) // a 3xx is a verdict, as with curl without -L
        .save_redirect_history(false)
        .user_agent(concat!("healthprobe/", env!("CARGO_PKG_VERSION")))
        .accept("*/*")
        .allow_non_standard_methods(true)
        .max_idle_connections(0)
        // ureq's 128 KiB buffers cost more to zero than the whole request; a
        // health check's heads fit in these (larger is reported as such).
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(OUTPUT_BUFFER)
        .max_response_header_size(INPUT_BUFFER - 1024);
    #[cfg(feature = "tls")]
    let builder = {
        let mut tls = ureq::tls::TlsConfig::builder().disable_verification(c.insecure);
        if let Some(certs) = &c.ca_certs {
            tls = tls.root_certs(ureq::tls::RootCerts::Specific(certs.clone()));
        }
        builder.tls_config(tls.build())
    };
    let config = builder.build();
    let resolver = FixedResolver(addrs.to_vec());
    if let Some(path) = &c.unix_socket {
        let connector = unix::UnixConnector {
            path: path.clone(),
            deadline: *deadline,
            log: log.clone(),
        };
        return Agent::with_parts(config, connector, resolver);
    }
    let connector = ProbeConnector {
        deadline: *deadline,
        log: log.clone(),
    };
    #[cfg(feature = "tls")]
    let connector =
        ().chain(connector)
            .chain(ureq::unversioned::transport::RustlsConnector::default())
            .chain(HandshakeDone {
                deadline: *deadline,
                log: log.clone(),
            });
    Agent::with_parts(config, connector, resolver)
}

fn request(c: &HttpCheck, report: &mut CheckReport) -> Result<http::Request<()>, http::Error> {
    // --host (or -H Host) also picks the TLS server name: put it in the URL and let
    // the resolver map it to the target's addresses.
    let host_header = c
        .headers
        .iter()
        .rev()
        .find(|h| h.name.eq_ignore_ascii_case("host"));
    let host = host_header
        .map(|h| h.value.expose().to_string())
        .or_else(|| c.host.clone())
        .unwrap_or_else(|| c.url.host.clone());
    let mut builder = http::Request::builder()
        .method(c.method.as_str())
        .uri(c.url.request_uri(&host))
        .header("connection", "close");
    let mut shown = vec![
        format!("> {} {}", c.method, c.url.path),
        format!("> host: {host}"),
    ];
    let mut add = |name: &str, value: &str, printable: String| {
        builder = std::mem::take(&mut builder).header(name, value);
        shown.push(format!("> {name}: {printable}"));
    };
    let auth = match (&c.basic_auth, &c.url.user) {
        (Some(a), _) => Some(basic_credentials(&a.user, a.password.expose())),
        (None, Some(user)) => Some(basic_credentials(
            user,
            c.url
                .password
                .as_ref()
                .map(SecretString::expose)
                .unwrap_or(""),
        )),
        (None, None) => None,
    };
    let user_sets_auth = c
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("authorization"));
    if let (Some(auth), false) = (&auth, user_sets_auth) {
        add("authorization", auth.expose(), auth.to_string());
    }
    for h in c
        .headers
        .iter()
        .filter(|h| !h.name.eq_ignore_ascii_case("host"))
    {
        add(&h.name, h.value.expose(), h.value.to_string());
    }
    report.details.extend(shown);
    builder.body(())
}

/// Why reading the body stopped. ureq's body reader wraps its own errors in io::Error.
fn body_error(e: &std::io::Error, deadline: &Deadline) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
    {
        Some(inner) => describe(inner, deadline, "reading the body"),
        None => describe(
            &ureq::Error::Io(std::io::Error::new(e.kind(), e.to_string())),
            deadline,
            "reading the body",
        ),
    }
}

/// A ureq error as the reason in the report line.
fn describe(e: &ureq::Error, deadline: &Deadline, phase: &str) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("timed out after {} {phase}", deadline.budget()),
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
        {
            format!("timed out after {} {phase}", deadline.budget())
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("connection closed {phase}")
        }
        ureq::Error::Io(io) => {
            let text = io.to_string();
            match tls_reason(&text) {
                Some(tls) => tls,
                None if io.raw_os_error().is_some() => format!("{} {phase}", net::io_reason(io)),
                None => format!("{text} {phase}"),
            }
        }
        ureq::Error::Protocol(p) if p.to_string().contains("output too small") => {
            format!(
                "request head larger than {} KiB (are the headers too long?)",
                OUTPUT_BUFFER / 1024
            )
        }
        ureq::Error::Protocol(p) => format!("not a valid HTTP response: {p}"),
        ureq::Error::LargeResponseHeader(_, limit) => {
            format!("response headers larger than {} KiB", limit / 1024)
        }
        #[cfg(feature = "tls")]
        ureq::Error::Rustls(t) => tls_reason(&t.to_string()).unwrap_or_else(|| format!("TLS: {t}")),
        other => other.to_string(),
    }
}

/// rustls' certificate complaints, in words a person can act on.
pub(crate) fn tls_reason(text: &str) -> Option<String> {
    let detail = text.split_once("invalid peer certificate: ")?.1;
    let lower = detail.to_ascii_lowercase();
    let reason = if lower.contains("unknownissuer") {
        "certificate not trusted (unknown issuer; use --cacert FILE or --insecure)".to_string()
    } else if lower.contains("expired") {
        "certificate has expired".to_string()
    } else if lower.contains("notvalidyet") || lower.contains("not valid yet") {
        "certificate is not valid yet".to_string()
    } else if lower.contains("causedasendentity") {
        "certificate is a CA certificate, not a server certificate (use --insecure, or serve a leaf certificate)"
            .to_string()
    } else if lower.contains("badsignature") {
        "certificate has a bad signature".to_string()
    } else {
        format!("certificate rejected: {detail}")
    };
    Some(format!("TLS: {reason}"))
}

fn since(t: Instant) -> String {
    format_duration(t.elapsed())
}

fn list(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the connector saw, for the report.
#[derive(Debug, Clone, Default)]
pub struct ConnectLog {
    failures: ConnectFailures,
    /// Where the connection went (address or socket path), and when.
    pub connected: Option<(String, Duration)>,
    /// When the TLS handshake (if any) completed.
    tls_done: Option<Duration>,
}

/// Last in the connector chain: notes that TLS (when asked for) is set up, so
/// a timeout can be told apart from one in the handshake.
#[cfg(feature = "tls")]
#[derive(Debug)]
struct HandshakeDone {
    deadline: Deadline,
    log: Arc<Mutex<ConnectLog>>,
}

#[cfg(feature = "tls")]
impl<In: ureq::unversioned::transport::Transport> Connector<In> for HandshakeDone {
    type Out = In;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<In>, ureq::Error> {
        if details.needs_tls() {
            let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
            log.tls_done = Some(self.deadline.elapsed());
        }
        Ok(chained)
    }
}

/// Hands ureq the addresses we resolved ourselves, whatever host the URL names.
#[derive(Debug)]
struct FixedResolver(Vec<SocketAddr>);

impl Resolver for FixedResolver {
    fn resolve(
        &self,
        _: &http::Uri,
        _: &Config,
        _: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut out = self.empty();
        for addr in self.0.iter().take(16) {
            out.push(*addr);
        }
        Ok(out)
    }
}

/// Connects one address at a time, each with its share of the deadline,
/// recording why each failed; the socket then waits with the deadline's
/// precision (see `crate::socket`).
#[derive(Debug)]
struct ProbeConnector {
    deadline: Deadline,
    log: Arc<Mutex<ConnectLog>>,
}

impl Connector<()> for ProbeConnector {
    type Out = StreamTransport<TcpStream>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let outcome = net::connect_any(
            &details.addrs,
            &self.deadline,
            |addr, share| TcpStream::connect_timeout(&addr, share),
            net::io_reason,
        );
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        match outcome {
            Ok((stream, addr)) => {
                log.connected = Some((addr.to_string(), self.deadline.elapsed()));
                let _ = stream.set_nodelay(true);
                let stream = DeadlineStream::new(stream, self.deadline)?;
                let buffers = LazyBuffers::new(
                    details.config.input_buffer_size(),
                    details.config.output_buffer_size(),
                );
                Ok(Some(StreamTransport::new(stream, buffers)))
            }
            Err(failures) => {
                log.failures = failures;
                Err(ureq::Error::ConnectionFailed)
            }
        }
    }
}
