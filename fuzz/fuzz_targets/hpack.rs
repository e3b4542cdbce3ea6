//! The HPACK decoder: header blocks from a hostile server, several in a row
//! sharing the dynamic table. Property: the decoded list never counts more
//! than the limit (RFC 9113 section 6.5.2's measure).
#![no_main]

use healthprobe::h2::hpack;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 16 * 1024;

fuzz_target!(|input: &[u8]| {
    let mut decoder = hpack::Decoder::new(LIMIT);
    for block in input.split(|&b| b == 0xfe) {
        if let Ok(headers) = decoder.decode(block) {
            let total: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
            assert!(total <= LIMIT, "{total}");
        }
    }
});
