//! TLS for every check that speaks it (https, grpcs, https over a unix
//! socket): every trust decision, the client certificate, the rustls
//! configuration, the handshake, and rustls' errors in words a person can act
//! on. Built only with the `tls` feature; `no_tls.rs` stands in otherwise.
//!
//! The handshake runs here, before any request, so that its failures (and
//! its share of the deadline) are told apart from the request's.

mod verify;

use std::fmt;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::{ResolvesClientCert, Resumption, WebPkiServerVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    AlertDescription, CertificateError, ClientConfig, ClientConnection, RootCertStore,
    SignatureScheme,
};

/// The application protocol a check speaks over TLS (ALPN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alpn {
    Http1,
    H2,
    /// h2 offered first, HTTP/1.1 as the fallback (`--http2` on https).
    H2OrHttp1,
    /// Protocols that announce none (Redis, PostgreSQL).
    None,
}

impl Alpn {
    fn ids(self) -> Vec<Vec<u8>> {
        match self {
            Alpn::Http1 => vec![b"http/1.1".to_vec()],
            Alpn::H2 => vec![b"h2".to_vec()],
            Alpn::H2OrHttp1 => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            Alpn::None => Vec::new(),
        }
    }
}

/// What --insecure, --cacert, --cert and --key ask for, read from their files
/// once per run and shared by every check.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    insecure: bool,
    /// The certificates of --cacert: trusted instead of the bundled roots.
    ca: Option<Arc<Vec<CertificateDer<'static>>>>,
    identity: Option<Arc<Identity>>,
    /// Verify the chain only, not the host name (PostgreSQL's verify-ca).
    any_name: bool,
}

/// The client certificate chain and its key (--cert, --key), checked to
/// belong together.
struct Identity(Arc<CertifiedKey>);

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Identity({} certificates, key (redacted))",
            self.0.cert.len()
        )
    }
}

pub use crate::values::FileOption;

/// The options that ask for TLS settings.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    pub insecure: bool,
    pub cacert: Option<FileOption<'a>>,
    pub cert: Option<FileOption<'a>>,
    pub key: Option<FileOption<'a>>,
}

impl Settings {
    /// Reads the files the options name. Errors name the option and the file,
    /// never what a key file holds.
    pub fn load(options: &Options<'_>) -> anyhow::Result<Settings> {
        let ca = match options.cacert {
            Some(path) => Some(Arc::new(load_ca(path)?)),
            None => None,
        };
        let identity = match (options.cert, options.key) {
            (None, None) => None,
            (None, Some(key)) => bail!("{key} needs --cert FILE"),
            (Some(cert), key) => Some(Arc::new(load_identity(cert, key)?)),
        };
        Ok(Settings {
            insecure: options.insecure,
            ca,
            identity,
            any_name: false,
        })
    }

    /// These settings for a connection that must be encrypted but need not
    /// be verified (PostgreSQL's sslmode=require): as libpq does with a root
    /// certificate, the chain is verified against a --cacert if one was
    /// given (verify-ca), and nothing is verified without one.
    pub fn for_encryption_only(&self) -> Settings {
        Settings {
            insecure: self.insecure || self.ca.is_none(),
            ..self.for_chain_only()
        }
    }

    /// These settings with the chain verified but not the host name
    /// (PostgreSQL's sslmode=verify-ca).
    pub fn for_chain_only(&self) -> Settings {
        Settings {
            any_name: true,
            ..self.clone()
        }
    }

    /// What a connection speaking `alpn` needs: the rustls configuration and
    /// our side of client authentication.
    pub fn client(&self, alpn: Alpn) -> Result<Client, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // Certificate validity is judged by our 64-bit clock, not std's
        // (crate::clock says why).
        let builder = ClientConfig::builder_with_details(provider.clone(), Arc::new(Clock))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?;
        let verifier: Arc<dyn ServerCertVerifier> = if self.insecure {
            Arc::new(verify::AnyCertificate::new(provider))
        } else if let Some(ca) = &self.ca {
            Arc::new(
                verify::CacertVerifier::new(ca.clone(), provider)
                    .map_err(|e| format!("TLS: --cacert: {e}"))?,
            )
        } else {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("TLS: {e}"))?
        };
        let verifier = match self.any_name {
            true => Arc::new(verify::AnyName::new(verifier)),
            false => verifier,
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let auth = Arc::new(ClientAuth {
            key: self.identity.as_ref().map(|id| id.0.clone()),
            asked: AtomicBool::new(false),
        });
        let mut config = builder.with_client_cert_resolver(auth.clone());
        config.alpn_protocols = alpn.ids();
        // One connection per process: nothing to resume.
        config.resumption = Resumption::disabled();
        Ok(Client {
            config: Arc::new(config),
            auth,
        })
    }
}

/// The time rustls judges certificate validity by: [`crate::clock::now`],
/// right past 2038 on the 32-bit targets too (rustls' own clock is std's).
#[derive(Debug)]
struct Clock;

impl rustls::time_provider::TimeProvider for Clock {
    fn current_time(&self) -> Option<UnixTime> {
        let secs = u64::try_from(crate::clock::secs(crate::clock::now())).ok()?;
        Some(UnixTime::since_unix_epoch(Duration::from_secs(secs)))
    }
}

/// One connection's TLS configuration.
#[derive(Debug)]
pub struct Client {
    config: Arc<ClientConfig>,
    auth: Arc<ClientAuth>,
}

/// Our client certificate, if any, and whether the server asked for one:
/// rustls asks the resolver only when a CertificateRequest arrives.
#[derive(Debug)]
struct ClientAuth {
    key: Option<Arc<CertifiedKey>>,
    asked: AtomicBool,
}

impl ResolvesClientCert for ClientAuth {
    fn resolve(&self, _: &[&[u8]], sigschemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.asked.store(true, Ordering::Relaxed);
        self.key
            .clone()
            .filter(|k| k.key.choose_scheme(sigschemes).is_some())
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// The most a certificate or key file may hold: a bundle of every public
/// root is about 220 KiB.
const MAX_FILE: u64 = 1024 * 1024;

/// The file `option` names, whole: a regular file of at most [`MAX_FILE`]
/// bytes, else an error naming the option. Opened without blocking and
/// checked before reading, so that a FIFO (which would block the open) or
/// a device (`/dev/zero` never ends) is a quick one-line error, and a
/// regular file that size reads in well under a millisecond.
fn read_file(option: FileOption<'_>) -> anyhow::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = option.path;
    let named = || option.to_string();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .with_context(named)?;
    let meta = file.metadata().with_context(named)?;
    if !meta.is_file() {
        bail!("{}: not a regular file", named());
    }
    if meta.len() > MAX_FILE {
        bail!(
            "{}: {} bytes, more than a certificate or key file holds ({} KiB at most)",
            named(),
            meta.len(),
            MAX_FILE / 1024
        );
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE + 1)
        .read_to_end(&mut data)
        .with_context(named)?;
    if data.len() as u64 > MAX_FILE {
        bail!("{}: grew past {} KiB while read", named(), MAX_FILE / 1024);
    }
    Ok(data)
}

fn load_ca(path: FileOption<'_>) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = read_file(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        bail!("{path}: no PEM certificate in the file");
    }
    Ok(certs)
}

/// Reads --cert (the chain, and the key too when --key is not given) and
/// --key, and checks that the key belongs to the certificate.
fn load_identity(cert: FileOption<'_>, key: Option<FileOption<'_>>) -> anyhow::Result<Identity> {
    let cert_pem = read_file(cert)?;
    let chain: Vec<_> = CertificateDer::pem_slice_iter(&cert_pem)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        bail!("{cert}: no PEM certificate in the file");
    }
    let (key_file, key_pem) = match key {
        Some(file) => (file, read_file(file)?),
        None => (cert, cert_pem),
    };
    let or_key = if key.is_some() {
        ""
    } else {
        " (or give --key FILE)"
    };
    let unusable = || {
        anyhow::anyhow!(
            "{key_file}{or_key}: no usable private key in the file (PEM: PKCS#8, RSA or EC)"
        )
    };
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| unusable())?;
    let provider = rustls::crypto::ring::default_provider();
    let key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|_| unusable())?;
    // The key must be the certificate's. Compared here, not by rustls'
    // CertifiedKey::from_der: that parses the certificate as webpki parses a
    // server's, and refuses X.509 v1 (what `openssl x509 -req` makes without
    // extensions), which servers accept from clients. A certificate holds
    // its public key verbatim, so the key's must be found in it.
    if let Some(public) = key.public_key()
        && !contains(chain[0].as_ref(), public.as_ref())
    {
        bail!("{key_file} does not belong to the certificate in {cert}");
    }
    let certified = CertifiedKey::new(chain, key);
    Ok(Identity(Arc::new(certified)))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A TLS session over `S`.
pub struct Stream<S: Read + Write> {
    tls: rustls::StreamOwned<ClientConnection, S>,
    auth: Arc<ClientAuth>,
    /// The server has sent application data: it accepted us.
    answered: bool,
}

impl<S: Read + Write> fmt::Debug for Stream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tls::Stream")
    }
}

/// Sets up TLS over `io` for `server_name`, the handshake completed: the
/// deadline of `io` bounds it. `Err` carries rustls' error inside when TLS
/// itself failed ([`reason`] puts it in words).
pub fn handshake<S: Read + Write>(
    client: Client,
    server_name: &str,
    mut io: S,
) -> io::Result<Stream<S>> {
    let name = ServerName::try_from(server_name.to_string()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("TLS: {server_name:?} is not a valid server name"),
        )
    })?;
    let mut conn = ClientConnection::new(client.config, name).map_err(io::Error::other)?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut io) {
            return Err(explain(&client.auth, false, e));
        }
    }
    Ok(Stream {
        tls: rustls::StreamOwned::new(conn, io),
        auth: client.auth,
        answered: false,
    })
}

/// The protocol the server chose by ALPN, if any.
pub fn alpn<S: Read + Write>(stream: &Stream<S>) -> Option<&[u8]> {
    stream.tls.conn.alpn_protocol()
}

impl<S: Read + Write> Read for Stream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.tls.read(buf) {
            Ok(0) if !buf.is_empty() => Err(explain(
                &self.auth,
                self.answered,
                io::ErrorKind::UnexpectedEof.into(),
            )),
            Ok(n) => {
                self.answered = true;
                Ok(n)
            }
            Err(e) => Err(explain(&self.auth, self.answered, e)),
        }
    }
}

impl<S: Read + Write> Write for Stream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tls
            .write(buf)
            .map_err(|e| explain(&self.auth, self.answered, e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tls
            .flush()
            .map_err(|e| explain(&self.auth, self.answered, e))
    }
}

/// A server that asked for a client certificate and then hung up before any
/// answer (an alert it sent is lost when our next write meets its closed
/// socket, and some servers send none): that is why, most likely.
fn explain(auth: &ClientAuth, answered: bool, e: io::Error) -> io::Error {
    let dropped = matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    );
    if answered || !dropped || !auth.asked.load(Ordering::Relaxed) {
        return e;
    }
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        ClosedAfterCertificateRequest {
            presented: auth.key.is_some(),
        },
    )
}

#[derive(Debug)]
struct ClosedAfterCertificateRequest {
    presented: bool,
}

impl fmt::Display for ClosedAfterCertificateRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.presented {
            false => f.write_str(
                "the server asked for a client certificate and closed the connection \
                 (use --cert and --key)",
            ),
            true => f.write_str(
                "the server closed the connection after our client certificate (not accepted?)",
            ),
        }
    }
}

impl std::error::Error for ClosedAfterCertificateRequest {}

/// What a TLS failure inside `e` means, in words a person can act on; `None`
/// when `e` is not a TLS failure.
pub fn reason(e: &io::Error) -> Option<String> {
    let inner = e.get_ref()?;
    if let Some(closed) = inner.downcast_ref::<ClosedAfterCertificateRequest>() {
        return Some(format!("TLS: {closed}"));
    }
    let tls = inner.downcast_ref::<rustls::Error>()?;
    Some(format!("TLS: {}", describe(tls)))
}

/// A certificate's date as RFC 3339 UTC, to the second.
fn date(t: UnixTime) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_secs(t.as_secs());
    humantime::format_rfc3339_seconds(t).to_string()
}

fn describe(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => {
                "certificate not trusted (unknown issuer; use --cacert FILE or --insecure)".into()
            }
            CertificateError::ExpiredContext { not_after, .. } => {
                format!("certificate has expired (valid until {})", date(*not_after))
            }
            CertificateError::Expired => "certificate has expired".into(),
            CertificateError::NotValidYetContext { not_before, .. } => {
                format!(
                    "certificate is not valid yet (valid from {})",
                    date(*not_before)
                )
            }
            CertificateError::NotValidYet => "certificate is not valid yet".into(),
            CertificateError::NotValidForNameContext { expected, .. } => {
                format!("certificate not valid for name {:?}", expected.to_str())
            }
            CertificateError::BadSignature => "certificate has a bad signature".into(),
            other if verify::is_ca_used_as_end_entity(other) => {
                "certificate is a CA certificate, not a server certificate \
                 (give that very certificate with --cacert, or use --insecure)"
                    .into()
            }
            other => format!("certificate rejected: {other:?}"),
        },
        rustls::Error::AlertReceived(alert) => match alert {
            AlertDescription::CertificateRequired => {
                "the server requires a client certificate (use --cert and --key)".into()
            }
            AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
            | AlertDescription::AccessDenied => {
                format!("the server rejected the client certificate ({alert:?})")
            }
            other => format!("the server ended the handshake ({other:?})"),
        },
        other => other.to_string(),
    }
}
