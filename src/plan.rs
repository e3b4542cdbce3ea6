//! What to check: the checks the command line and the environment ask for.

use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::cli::{self, Command, Options};
use crate::probe::Check;
use crate::probe::exec::ExecCheck;
use crate::probe::file::FileCheck;
use crate::probe::grpc::GrpcCheck;
use crate::probe::http::HttpCheck;
use crate::probe::mysql::MysqlCheck;
use crate::probe::postgres::PostgresCheck;
use crate::probe::redis::RedisCheck;
use crate::probe::tcp::TcpCheck;
use crate::target::{self, Family, HostPort, Scheme};
use crate::tls;

/// Turns the parsed command line into checks.
pub fn checks(
    command: Option<Command>,
    targets: Vec<String>,
    opts: &Options,
) -> Result<Vec<Check>> {
    let mut builder = Builder::new(opts);
    match command {
        Some(Command::Http { url }) => {
            let url = target::expand_vars(&url)?;
            Ok(vec![builder.http(&url)?])
        }
        Some(Command::Tcp { address }) => Ok(vec![Check::Tcp(TcpCheck {
            target: builder.host_port(&target::expand_vars(&address)?)?,
        })]),
        Some(Command::Grpc {
            address,
            service,
            tls,
            authority,
        }) => {
            // `grpc grpcs://host:port/svc` means what the target form means;
            // --tls and --service add to it.
            let (mut target, tls_in_url, service_in_url) =
                target::parse_grpc(&target::expand_vars(&address)?)?;
            target.family = builder.family();
            let service = if service.is_empty() {
                service_in_url
            } else {
                service
            };
            Ok(vec![builder.grpc(
                target,
                service,
                tls || tls_in_url,
                authority,
            )?])
        }
        Some(Command::File {
            path,
            max_age,
            non_empty,
            contains,
            min_size,
            max_size,
        }) => Ok(vec![Check::File(FileCheck {
            path,
            max_age,
            non_empty,
            contains,
            min_size,
            max_size,
        })]),
        Some(Command::Exec {
            command,
            redact_args,
            stdout_contains,
        }) => {
            let mut parts = command.into_iter();
            let program = parts.next().context("exec needs a program to run")?;
            if program.is_empty() {
                bail!("exec: the program name is empty");
            }
            Ok(vec![Check::Exec(ExecCheck {
                program,
                args: parts.collect(),
                redact_args,
                stdout_contains,
            })])
        }
        Some(Command::Wait { targets, .. }) => target_checks(&targets, opts),
        None => {
            let targets = if targets.is_empty() {
                targets_from_env()?
            } else {
                targets
            };
            builder.targets(&targets)
        }
    }
}

/// Checks for bare targets (`http(s)://`, `tcp://`, `grpc(s)://`), as
/// `wait` and the targets without a subcommand name them.
pub fn target_checks(targets: &[String], opts: &Options) -> Result<Vec<Check>> {
    Builder::new(opts).targets(targets)
}

/// Builds checks from the options; what HTTP and gRPC checks read from files
/// and the environment (--cacert, --cert, --key, HEALTHPROBE_HEADER) is read
/// once, when first needed, and shared.
struct Builder<'a> {
    opts: &'a Options,
    shared: Option<(Arc<tls::Settings>, Vec<cli::Header>)>,
}

impl<'a> Builder<'a> {
    fn new(opts: &'a Options) -> Self {
        Builder { opts, shared: None }
    }

    /// Checks for bare targets: `http(s)://`, `tcp://`, `grpc(s)://`.
    fn targets(&mut self, targets: &[String]) -> Result<Vec<Check>> {
        targets.iter().map(|t| self.target(t)).collect()
    }

    fn target(&mut self, raw: &str) -> Result<Check> {
        let t = target::expand_vars(raw)?;
        let lower = t.get(..8).unwrap_or(&t).to_ascii_lowercase();
        match target::scheme_of(&t) {
            Some(Scheme::Http | Scheme::Https) => return self.http(&t),
            Some(Scheme::Redis | Scheme::Rediss) => {
                let url = self.service_url(&t)?;
                let (tls, _) = self.shared()?;
                return Ok(Check::Redis(Box::new(RedisCheck { url, tls })));
            }
            Some(Scheme::Postgres | Scheme::Postgresql) => {
                let url = self.service_url(&t)?;
                let (tls, _) = self.shared()?;
                return Ok(Check::Postgres(Box::new(PostgresCheck { url, tls })));
            }
            Some(Scheme::Mysql) => {
                let url = self.service_url(&t)?;
                return Ok(Check::Mysql(Box::new(MysqlCheck { url })));
            }
            // issue 24: no scheme at all is http, as curl reads it.
            None if !target::has_scheme(&t) => return self.http(&t),
            None => {}
        }
        if lower.starts_with("tcp://") {
            Ok(Check::Tcp(TcpCheck {
                target: self.host_port(&t)?,
            }))
        } else if lower.starts_with("grpc://") || lower.starts_with("grpcs://") {
            let (mut target, tls, service) = target::parse_grpc(&t)?;
            target.family = self.family();
            self.grpc(target, service, tls, None)
        } else {
            bail!(
                "don't know how to check {}: use http(s)://, tcp://, grpc(s)://, redis(s)://, \
                 postgres:// or mysql://, or a subcommand",
                target::shown_url(&t)
            )
        }
    }

    /// The address family every target is narrowed to (-4, -6).
    fn family(&self) -> Family {
        match (self.opts.ipv4, self.opts.ipv6) {
            (true, _) => Family::V4,
            (_, true) => Family::V6,
            _ => Family::Any,
        }
    }

    fn host_port(&self, address: &str) -> Result<HostPort> {
        let mut target = target::parse_host_port(address)?;
        target.family = self.family();
        Ok(target)
    }

    fn service_url(&self, input: &str) -> Result<target::Url> {
        let mut url = target::parse_service_url(input)?;
        url.family = self.family();
        Ok(url)
    }

    /// The TLS settings and the headers (-H or HEALTHPROBE_HEADER).
    fn shared(&mut self) -> Result<(Arc<tls::Settings>, Vec<cli::Header>)> {
        if let Some(shared) = &self.shared {
            return Ok(shared.clone());
        }
        let opts = self.opts;
        let settings = tls::Settings::load(&tls::Options {
            insecure: opts.insecure,
            cacert: opts.cacert.as_deref(),
            cert: opts.cert.as_deref(),
            key: opts.key.as_deref(),
        })?;
        let headers = if opts.headers.is_empty() {
            lines_from_env("HEALTHPROBE_HEADER", cli::Header::parse)?
        } else {
            opts.headers.clone()
        };
        let shared = (Arc::new(settings), headers);
        self.shared = Some(shared.clone());
        Ok(shared)
    }

    fn http(&mut self, url: &str) -> Result<Check> {
        let (tls, headers) = self.shared()?;
        let opts = self.opts;
        // POST when there is a body to send, as curl -d does.
        let method = match (&opts.method, &opts.data) {
            (Some(m), _) => m.clone(),
            (None, Some(_)) => "POST".into(),
            (None, None) => "GET".into(),
        };
        let body_json = if opts.body_json.is_empty() {
            lines_from_env("HEALTHPROBE_BODY_JSON", cli::JsonCheck::parse)?
        } else {
            opts.body_json.clone()
        };
        let mut url = target::parse_url(url)?;
        url.family = self.family();
        let header_contains = if opts.header_contains.is_empty() {
            lines_from_env("HEALTHPROBE_HEADER_CONTAINS", cli::HeaderCheck::parse)?
        } else {
            opts.header_contains.clone()
        };
        Ok(Check::Http(Box::new(HttpCheck {
            url,
            method,
            status: opts.status.clone(),
            headers,
            host: opts.host.clone(),
            body_contains: opts.body_contains.clone(),
            body_not_contains: opts.body_not_contains.clone(),
            header_contains,
            body_json,
            data: opts.data.clone(),
            basic_auth: opts.basic_auth.clone(),
            tls,
            unix_socket: opts.unix_socket.clone(),
        })))
    }

    fn grpc(
        &mut self,
        target: HostPort,
        service: String,
        tls: bool,
        authority: Option<String>,
    ) -> Result<Check> {
        let (tls_settings, headers) = self.shared()?;
        Ok(Check::Grpc(Box::new(GrpcCheck {
            target,
            service,
            tls,
            authority,
            headers,
            tls_settings,
        })))
    }
}

/// A variable holding one value per line (HEALTHPROBE_HEADER,
/// HEALTHPROBE_BODY_JSON, HEALTHPROBE_HEADER_CONTAINS), for when the
/// repeatable option is not given.
fn lines_from_env<T>(name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>> {
    let Ok(value) = std::env::var(name) else {
        return Ok(Vec::new());
    };
    value
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| parse(l.trim_end_matches('\r')).map_err(|e| anyhow::anyhow!("{name}: {e}")))
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
