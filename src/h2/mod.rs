//! HTTP/2 (RFC 9113) and HPACK (RFC 7541), spoken without a client library:
//! the frames (`frame.rs`), header compression (`hpack/`), the client side
//! of one connection for one request (`client.rs`, the gRPC check's) and
//! the server side of a connection (`server.rs`, `serve`'s gRPC health).
//! They live below `probe/` so that any check or server that speaks HTTP/2
//! shares one codec, with one set of limits.

pub mod client;
pub mod frame;
pub mod hpack;
pub mod server;

/// Frames that carry no part of a request or an answer (SETTINGS, PING,
/// WINDOW_UPDATE, empty DATA or CONTINUATION, unknown types): a peer sends a
/// handful; past this many, client and server alike end the exchange.
pub const MAX_IDLE_FRAMES: usize = 100;
