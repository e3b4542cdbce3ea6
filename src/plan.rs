//! What to check: the checks the command line and the environment ask for.

use anyhow::{Context, Result, bail};

use crate::cli::{self, Command, Options};
use crate::probe::{self, Check};
use crate::target;

/// Turns the parsed command line into checks.
pub fn checks(
    command: Option<Command>,
    targets: Vec<String>,
    opts: &Options,
) -> Result<Vec<Check>> {
    match command {
        Some(Command::Http { url }) => {
            let url = target::expand_vars(&url)?;
            Ok(vec![Builder::new(opts).http(&url)?])
        }
        Some(Command::Tcp { address }) => Ok(vec![Check::Tcp(target::parse_host_port(
            &target::expand_vars(&address)?,
        )?)]),
        Some(Command::Grpc {
            address,
            service,
            tls,
            authority,
        }) => {
            // `grpc grpcs://host:port/svc` means what the target form means;
            // --tls and --service add to it.
            let (target, tls_in_url, service_in_url) =
                target::parse_grpc(&target::expand_vars(&address)?)?;
            let service = if service.is_empty() {
                service_in_url
            } else {
                service
            };
            let grpc = Builder::new(opts).grpc(target, service, tls || tls_in_url, authority)?;
            Ok(vec![grpc])
        }
        Some(Command::File { path, max_age }) => {
            Ok(vec![Check::File(probe::file::FileCheck { path, max_age })])
        }
        Some(Command::Exec { command }) => {
            let mut parts = command.into_iter();
            let program = parts.next().context("exec needs a program to run")?;
            if program.is_empty() {
                bail!("exec: the program name is empty");
            }
            Ok(vec![Check::Exec(probe::exec::ExecCheck {
                program,
                args: parts.collect(),
            })])
        }
        Some(Command::Wait { .. }) => unreachable!("wait is handled by run()"),
        None => {
            let targets = if targets.is_empty() {
                targets_from_env()?
            } else {
                targets
            };
            target_checks(&targets, opts)
        }
    }
}

/// Checks for bare targets: `http(s)://`, `tcp://`, `grpc(s)://`.
pub fn target_checks(targets: &[String], opts: &Options) -> Result<Vec<Check>> {
    let mut builder = Builder::new(opts);
    targets.iter().map(|t| builder.target(t)).collect()
}

/// Builds checks from the options; what HTTP and gRPC checks read from files
/// and the environment (--cacert, HEALTHPROBE_HEADER) is read once, when first
/// needed.
struct Builder<'a> {
    opts: &'a Options,
    shared: Option<(Option<probe::http::CaCerts>, Vec<cli::Header>)>,
}

impl<'a> Builder<'a> {
    fn new(opts: &'a Options) -> Self {
        Builder { opts, shared: None }
    }

    fn target(&mut self, raw: &str) -> Result<Check> {
        let t = target::expand_vars(raw)?;
        let lower = t.get(..8).unwrap_or(&t).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            self.http(&t)
        } else if lower.starts_with("tcp://") {
            Ok(Check::Tcp(target::parse_host_port(&t)?))
        } else if lower.starts_with("grpc://") || lower.starts_with("grpcs://") {
            let (target, tls, service) = target::parse_grpc(&t)?;
            self.grpc(target, service, tls, None)
        } else {
            bail!(
                "don't know how to check {}: use http://, https://, tcp:// or grpc://, or a subcommand",
                target::shown(&target::redact_userinfo(&t))
            )
        }
    }

    /// The CA certificates of --cacert and the headers (-H or HEALTHPROBE_HEADER).
    fn tls_and_headers(&mut self) -> Result<(Option<probe::http::CaCerts>, Vec<cli::Header>)> {
        if self.shared.is_none() {
            let ca_certs = match &self.opts.cacert {
                Some(path) => Some(probe::http::load_ca_certs(path)?),
                None => None,
            };
            let headers = if self.opts.headers.is_empty() {
                headers_from_env()?
            } else {
                self.opts.headers.clone()
            };
            self.shared = Some((ca_certs, headers));
        }
        Ok(self.shared.clone().unwrap_or_default())
    }

    fn http(&mut self, url: &str) -> Result<Check> {
        let (ca_certs, headers) = self.tls_and_headers()?;
        let opts = self.opts;
        Ok(Check::Http(Box::new(probe::http::HttpCheck {
            url: target::parse_url(url)?,
            method: opts.method.clone(),
            status: opts.status.clone(),
            headers,
            host: opts.host.clone(),
            body_contains: opts.body_contains.clone(),
            basic_auth: opts.basic_auth.clone(),
            insecure: opts.insecure,
            ca_certs,
            unix_socket: opts.unix_socket.clone(),
        })))
    }

    fn grpc(
        &mut self,
        target: target::HostPort,
        service: String,
        tls: bool,
        authority: Option<String>,
    ) -> Result<Check> {
        let (ca_certs, headers) = self.tls_and_headers()?;
        Ok(Check::Grpc(Box::new(probe::grpc::GrpcCheck {
            target,
            service,
            tls,
            authority,
            headers,
            insecure: self.opts.insecure,
            ca_certs,
        })))
    }
}

/// HEALTHPROBE_HEADER: one `Name: value` per line, when no -H is given.
fn headers_from_env() -> Result<Vec<cli::Header>> {
    let Ok(value) = std::env::var("HEALTHPROBE_HEADER") else {
        return Ok(Vec::new());
    };
    value
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            cli::Header::parse(l.trim_end_matches('\r'))
                .map_err(|e| anyhow::anyhow!("HEALTHPROBE_HEADER: {e}"))
        })
        .collect()
}

fn targets_from_env() -> Result<Vec<String>> {
    let value = match std::env::var("HEALTHPROBE_URL") {
        Ok(v) => v,
        Err(std::env::VarError::NotPresent) => {
            bail!(
                "nothing to check: give a target (e.g. http://localhost:8080/health) or set HEALTHPROBE_URL"
            )
        }
        Err(std::env::VarError::NotUnicode(_)) => bail!("HEALTHPROBE_URL is not valid UTF-8"),
    };
    let targets: Vec<String> = value.split_whitespace().map(String::from).collect();
    if targets.is_empty() {
        bail!("HEALTHPROBE_URL is empty: nothing to check");
    }
    Ok(targets)
}
