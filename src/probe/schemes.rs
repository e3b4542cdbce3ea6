//! Every target scheme, once: its name, default port, whether it is TLS
//! from the first byte, which options its check reads, and how its target
//! becomes a check (the parse and the probe that runs it). Parsing targets,
//! the `--help` and `wait --help` lists, the "don't know how to check"
//! message and which HEALTHPROBE_* variables are read all come from
//! [`SCHEMES`].
//!
//! To add a scheme: write its probe as one new file under `probe/` (a type
//! implementing [`Probe`](super::Probe)), declare it in `probe/mod.rs`
//! (`pub mod NAME;`), and add one row below: `name` lower case without
//! `://`; `port` its default; `tls` true when TLS starts with the first
//! byte (`rediss`); `uses` the option groups whose variables it reads
//! (`TLS` if it may speak TLS, `HTTP`/`HEADERS` for requests); `example`
//! `None` unless the help's 4,096 bytes have room; `build` parses
//! the target with `target::parse_url` (URL form), `parse_host_port` or its
//! own parser, and wraps the probe in `Check::new`. A TLS twin (`amqps`)
//! right after its plain row (`amqp`) is listed as `amqp(s)://` in the help.

use std::sync::Arc;

use anyhow::{Result, bail};

use super::Check;
use super::amqp::AmqpCheck;
use super::dns::DnsCheck;
use super::grpc::GrpcCheck;
use super::http::HttpCheck;
use super::http::header_check::HeaderCheck;
use super::http::json::JsonCheck;
use super::http::redirect::Follow;
use super::memcached::MemcachedCheck;
use super::mqtt::MqttCheck;
use super::mysql::MysqlCheck;
use super::nats::NatsCheck;
use super::postgres::PostgresCheck;
use super::redis::RedisCheck;
use super::tcp::TcpCheck;
use crate::target::{self, Scheme, shown_url};
use crate::tls;
use crate::values::{Group, Groups, Options};

/// One scheme.
pub struct SchemeRow {
    pub scheme: Scheme,
    /// The probe that runs it, as the subcommands name them: `http`, `tcp`,
    /// `grpc` accept the targets of rows with their name here.
    pub probe: &'static str,
    /// Another spelling of the row before it (`postgresql`): not listed.
    pub alias: bool,
    /// The option groups whose variables its check reads.
    pub uses: Groups,
    /// Arguments that check it, for the help's examples (after
    /// `healthprobe `); `None` keeps the help within its 4,096 bytes.
    pub example: Option<&'static str>,
    /// The check for `target` (`${VAR}`s expanded; starts with `name://`,
    /// or is bare where the subcommand allows it).
    pub build: fn(&str, &SchemeRow, &mut Context) -> Result<Check>,
}

const HTTP: Groups = Groups::of(&[Group::Http, Group::Headers]);
const HTTPS: Groups = Groups::of(&[Group::Http, Group::Headers, Group::Tls]);
const GRPC: Groups = Groups::of(&[Group::Headers, Group::Tls]);
const TLS: Groups = Groups::of(&[Group::Tls]);
const NONE: Groups = Groups::NONE;

const fn scheme(name: &'static str, default_port: u16, tls: bool) -> Scheme {
    Scheme {
        name,
        default_port,
        tls,
        opaque: false,
    }
}

/// The schemes, in the order the help lists them.
pub static SCHEMES: [SchemeRow; 17] = [
    SchemeRow {
        scheme: scheme("http", 80, false),
        probe: "http",
        alias: false,
        uses: HTTP,
        example: None,
        build: http,
    },
    SchemeRow {
        scheme: scheme("https", 443, true),
        probe: "http",
        alias: false,
        uses: HTTPS,
        example: Some("--cacert /etc/app/ca.pem https://localhost:8443/ready"),
        build: http,
    },
    SchemeRow {
        scheme: scheme("tcp", 0, false),
        probe: "tcp",
        alias: false,
        uses: NONE,
        example: Some("tcp localhost:5432"),
        build: |t, _, _| {
            Ok(Check::new(TcpCheck {
                target: target::parse_host_port(t)?,
            }))
        },
    },
    SchemeRow {
        scheme: scheme("grpc", 0, false),
        probe: "grpc",
        alias: false,
        uses: GRPC,
        example: Some("grpc localhost:50051 --service db   (or grpc://localhost:50051/db)"),
        build: grpc,
    },
    SchemeRow {
        scheme: scheme("grpcs", 0, true),
        probe: "grpc",
        alias: false,
        uses: GRPC,
        example: None,
        build: grpc,
    },
    SchemeRow {
        scheme: scheme("redis", 6379, false),
        probe: "redis",
        alias: false,
        uses: NONE,
        example: Some("redis://:${REDIS_PASSWORD}@localhost:6379"),
        build: redis,
    },
    SchemeRow {
        scheme: scheme("rediss", 6379, true),
        probe: "redis",
        alias: false,
        uses: TLS,
        example: None,
        build: redis,
    },
    SchemeRow {
        scheme: scheme("postgres", 5432, false),
        probe: "postgres",
        alias: false,
        uses: TLS,
        example: None,
        build: postgres,
    },
    SchemeRow {
        scheme: scheme("postgresql", 5432, false),
        probe: "postgres",
        alias: true,
        uses: TLS,
        example: None,
        build: postgres,
    },
    SchemeRow {
        scheme: scheme("mysql", 3306, false),
        probe: "mysql",
        alias: false,
        uses: NONE,
        example: None,
        build: |t, row, _| {
            Ok(Check::new(MysqlCheck::new(target::parse_url(
                t, row.scheme,
            )?)))
        },
    },
    SchemeRow {
        scheme: scheme("amqp", 5672, false),
        probe: "amqp",
        alias: false,
        uses: NONE,
        example: None,
        build: amqp,
    },
    SchemeRow {
        scheme: scheme("amqps", 5671, true),
        probe: "amqp",
        alias: false,
        uses: TLS,
        example: None,
        build: amqp,
    },
    SchemeRow {
        scheme: scheme("mqtt", 1883, false),
        probe: "mqtt",
        alias: false,
        uses: NONE,
        example: None,
        build: mqtt,
    },
    SchemeRow {
        scheme: scheme("mqtts", 8883, true),
        probe: "mqtt",
        alias: false,
        uses: TLS,
        example: None,
        build: mqtt,
    },
    SchemeRow {
        scheme: scheme("memcached", 11211, false),
        probe: "memcached",
        alias: false,
        uses: NONE,
        example: None,
        build: |t, row, _| {
            Ok(Check::new(MemcachedCheck::new(target::parse_url(
                t, row.scheme,
            )?)?))
        },
    },
    SchemeRow {
        scheme: scheme("nats", 4222, false),
        probe: "nats",
        alias: false,
        uses: NONE,
        example: None,
        build: |t, row, _| {
            Ok(Check::new(NatsCheck::new(target::parse_url(
                t, row.scheme,
            )?)))
        },
    },
    SchemeRow {
        scheme: Scheme {
            opaque: true,
            ..scheme("dns", 53, false)
        },
        probe: "dns",
        alias: false,
        uses: NONE,
        example: None,
        build: |t, _, _| Ok(Check::new(DnsCheck::parse(t, crate::net::family())?)),
    },
];

fn http(t: &str, row: &SchemeRow, cx: &mut Context) -> Result<Check> {
    // No scheme at all is http, as curl reads it.
    let mut url = target::parse_url(&target::with_default_scheme(t), row.scheme)?;
    // Sent, and shown, as curl sends it: without dot segments.
    url.path = target::without_dot_segments(&url.path);
    // -L may lead an http:// check to https://.
    let tls = match cx.opts.location {
        true => cx.tls()?,
        false => cx.tls_of(row)?,
    };
    let opts = cx.opts;
    // POST when there is a body to send, as curl -d does.
    let method = match (&opts.method, &opts.data) {
        (Some(m), _) => m.clone(),
        (None, Some(_)) => "POST".into(),
        (None, None) => "GET".into(),
    };
    let body_json = opts
        .body_json
        .iter()
        .map(|s| {
            JsonCheck::parse(s)
                .map_err(|e| anyhow::anyhow!("--body-json {}: {e}", crate::report::shown(s)))
        })
        .collect::<Result<_>>()?;
    let header_contains = opts
        .header_contains
        .iter()
        .map(|s| {
            HeaderCheck::parse(s)
                .map_err(|e| anyhow::anyhow!("--header-contains {}: {e}", crate::report::shown(s)))
        })
        .collect::<Result<_>>()?;
    Ok(Check::new(HttpCheck {
        authorization: HttpCheck::basic(opts.basic_auth.as_ref(), &url),
        url,
        method,
        status: opts.status.clone(),
        headers: opts.headers.clone(),
        host: opts.host.clone(),
        body_contains: opts.body_contains.clone(),
        body_not_contains: opts.body_not_contains.clone(),
        header_contains,
        body_json,
        data: opts.data.clone(),
        basic_auth: opts.basic_auth.clone(),
        tls,
        unix_socket: opts.unix_socket.clone(),
        // A redirect may go to any scheme the http check speaks.
        follow: opts.location.then(|| Follow {
            max: opts.max_redirs,
            schemes: rows_of("http").map(|r| r.scheme).collect(),
        }),
        http2: opts.http2,
    }))
}

/// `grpc(s)://HOST:PORT[/SERVICE]` or, after the subcommand, `HOST:PORT`
/// with --service, --tls and --authority adding to it.
fn grpc(t: &str, _: &SchemeRow, cx: &mut Context) -> Result<Check> {
    let (target, tls_in_url, service_in_url) = target::parse_grpc(t)?;
    let opts = cx.opts;
    let service = match opts.service.is_empty() {
        true => service_in_url,
        false => opts.service.clone(),
    };
    Ok(Check::new(GrpcCheck {
        target,
        service,
        tls: opts.tls || tls_in_url,
        authority: opts.authority.clone(),
        headers: opts.headers.clone(),
        tls_settings: cx.tls()?,
    }))
}

fn redis(t: &str, row: &SchemeRow, cx: &mut Context) -> Result<Check> {
    let url = target::parse_url(t, row.scheme)?;
    Ok(Check::new(RedisCheck {
        url,
        tls: cx.tls_of(row)?,
    }))
}

fn postgres(t: &str, row: &SchemeRow, cx: &mut Context) -> Result<Check> {
    let url = target::parse_url(t, row.scheme)?;
    Ok(Check::new(PostgresCheck::new(url, cx.tls()?)?))
}

fn amqp(t: &str, row: &SchemeRow, cx: &mut Context) -> Result<Check> {
    Ok(Check::new(AmqpCheck {
        url: target::parse_url(t, row.scheme)?,
        tls: cx.tls_of(row)?,
    }))
}

fn mqtt(t: &str, row: &SchemeRow, cx: &mut Context) -> Result<Check> {
    Ok(Check::new(MqttCheck {
        url: target::parse_url(t, row.scheme)?,
        tls: cx.tls_of(row)?,
    }))
}

/// What building checks shares: the options, and the TLS settings, loaded
/// (--cacert, --cert, --key read) once, when a check first needs them.
pub struct Context<'a> {
    pub opts: &'a Options,
    tls: Option<Arc<tls::Settings>>,
}

impl<'a> Context<'a> {
    pub fn new(opts: &'a Options) -> Self {
        Context { opts, tls: None }
    }

    /// The TLS settings for a row that is TLS from the first byte; none
    /// (nothing read, no file opened) for its plain twin (`mqtt://`).
    fn tls_of(&mut self, row: &SchemeRow) -> Result<Arc<tls::Settings>> {
        match row.scheme.tls {
            true => self.tls(),
            false => Ok(Arc::default()),
        }
    }

    fn tls(&mut self) -> Result<Arc<tls::Settings>> {
        if let Some(tls) = &self.tls {
            return Ok(tls.clone());
        }
        let opts = self.opts;
        let file = |path: &'a Option<std::path::PathBuf>, flag| {
            path.as_deref().map(|path| tls::FileOption {
                path,
                given_as: opts.given_as(flag),
            })
        };
        let settings = Arc::new(tls::Settings::load(&tls::Options {
            insecure: opts.insecure,
            cacert: file(&opts.cacert, "--cacert"),
            cert: file(&opts.cert, "--cert"),
            key: file(&opts.key, "--key"),
        })?);
        self.tls = Some(settings.clone());
        Ok(settings)
    }
}

/// The row whose scheme `target` starts with; http's for a target without
/// a scheme (`localhost:8080/health`), as curl reads it.
pub fn row_of(target: &str) -> Option<&'static SchemeRow> {
    SCHEMES
        .iter()
        .find(|r| r.scheme.starts(target))
        .or_else(|| target::names_no_scheme(target).then_some(&SCHEMES[0]))
}

/// `target` parsed as a URL of its scheme (tests, fuzzing, messages).
pub fn url(target: &str) -> Result<crate::target::Url> {
    match row_of(target) {
        Some(row) if row.scheme.opaque => target::parse_url(target, row.scheme),
        Some(row) => target::parse_url(&target::with_default_scheme(target), row.scheme),
        None => bail!("bad URL {}: unknown scheme", shown_url(target)),
    }
}

/// The rows `probe` runs.
fn rows_of(probe: &str) -> impl Iterator<Item = &'static SchemeRow> + use<'_> {
    SCHEMES.iter().filter(move |r| r.probe == probe)
}

/// The check for a bare target (`scheme://...`, no subcommand).
pub fn check(target: &str, cx: &mut Context) -> Result<Check> {
    match row_of(target) {
        Some(row) => (row.build)(target, row, cx),
        None => bail!(
            "don't know how to check {}: use {}, or a subcommand",
            shown_url(target),
            listed(" or ")
        ),
    }
}

/// The check for a subcommand's target: one of `probe`'s schemes, or, where
/// `bare` is allowed (tcp, grpc), `HOST:PORT` without one.
pub fn check_as(probe: &str, target: &str, bare: bool, cx: &mut Context) -> Result<Check> {
    let mut rows = rows_of(probe);
    let first = rows.next();
    let row = match (
        std::iter::once(first)
            .flatten()
            .chain(rows)
            .find(|r| r.scheme.starts(target)),
        first,
    ) {
        (Some(row), _) => row,
        (None, Some(first)) if bare && target::names_no_scheme(target) => first,
        _ => bail!(
            "bad URL {}: must start with {}",
            shown_url(target),
            rows_of(probe)
                .map(|r| format!("{}://", r.scheme.name))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    };
    (row.build)(target, row, cx)
}

/// The option groups a check of `probe`'s (or of `target`'s scheme) reads.
pub fn uses_of_probe(probe: &str) -> Groups {
    rows_of(probe).fold(Groups::NONE, |g, r| g.with(r.uses))
}

pub fn uses_of_target(target: &str) -> Groups {
    row_of(target).map_or(Groups::NONE, |r| r.uses)
}

/// The rows' examples, for the help.
pub fn examples() -> Vec<&'static str> {
    SCHEMES.iter().filter_map(|r| r.example).collect()
}

/// The schemes for the help: `http(s)://, tcp://, ...`; the last joined by `last`.
pub fn listed(last: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    let rows: Vec<&SchemeRow> = SCHEMES.iter().filter(|r| !r.alias).collect();
    let mut i = 0;
    while i < rows.len() {
        let name = rows[i].scheme.name;
        match rows.get(i + 1) {
            _ if rows[i].scheme.opaque => {
                names.push(format!("{name}:"));
                i += 1;
            }
            Some(next) if next.scheme.name.strip_suffix('s') == Some(name) => {
                names.push(format!("{name}(s)://"));
                i += 2;
            }
            _ => {
                names.push(format!("{name}://"));
                i += 1;
            }
        }
    }
    match names.split_last() {
        Some((tail, head)) if !head.is_empty() && last != ", " => {
            format!("{}{last}{tail}", head.join(", "))
        }
        _ => names.join(", "),
    }
}
