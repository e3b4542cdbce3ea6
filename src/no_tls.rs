//! Stands in for `tls` in builds without the `tls` feature (the slim binary):
//! the same names, so the checks compile unchanged, and https, grpcs and the
//! TLS options say that this build has no TLS.

use std::io::{self, Read, Write};
use std::marker::PhantomData;

use anyhow::bail;

/// No TLS session can exist in this build.
#[derive(Debug)]
pub enum Stream<S> {
    Never(std::convert::Infallible, PhantomData<S>),
}

/// No TLS client can exist in this build.
#[derive(Debug)]
pub enum Client {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alpn {
    Http1,
    H2,
    H2OrHttp1,
    None,
}

#[derive(Debug, Clone, Default)]
pub struct Settings;

#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    pub insecure: bool,
    pub cacert: Option<FileOption<'a>>,
    pub cert: Option<FileOption<'a>>,
    pub key: Option<FileOption<'a>>,
}

pub use crate::values::FileOption;

impl Settings {
    pub fn load(options: &Options<'_>) -> anyhow::Result<Settings> {
        if let Some(file) = [options.cacert, options.cert, options.key]
            .into_iter()
            .flatten()
            .next()
        {
            bail!("{file}: this build has no TLS (built without the tls feature)");
        }
        Ok(Settings)
    }

    pub fn for_encryption_only(&self) -> Settings {
        Settings
    }

    pub fn for_chain_only(&self) -> Settings {
        Settings
    }

    pub fn client(&self, alpn: Alpn) -> Result<Client, String> {
        Err(match alpn {
            Alpn::Http1 | Alpn::H2OrHttp1 => {
                "https is not supported by this build (built without the tls feature)"
            }
            Alpn::H2 | Alpn::None => {
                "TLS is not supported by this build (built without the tls feature)"
            }
        }
        .into())
    }
}

pub fn handshake<S: Read + Write>(client: Client, _: &str, _: S) -> io::Result<Stream<S>> {
    match client {}
}

pub fn alpn<S>(stream: &Stream<S>) -> Option<&[u8]> {
    match *stream {
        Stream::Never(never, _) => match never {},
    }
}

pub fn reason(_: &io::Error) -> Option<String> {
    None
}

impl<S> Read for Stream<S> {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match *self {
            Stream::Never(never, _) => match never {},
        }
    }
}

impl<S> Write for Stream<S> {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        match *self {
            Stream::Never(never, _) => match never {},
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match *self {
            Stream::Never(never, _) => match never {},
        }
    }
}
