//! The HPACK decoder: header blocks from a hostile server, several in a row
//! sharing the dynamic table.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/hpack.rs"]
mod hpack;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut decoder = hpack::Decoder::default();
    for block in input.split(|&b| b == 0xfe) {
        if let Ok(headers) = decoder.decode(block) {
            let total: usize = headers.iter().map(|(n, v)| n.len() + v.len()).sum();
            // Without the dynamic table, output is bounded by 8/5 of the input per string;
            // with it, by the table's 4096 bytes per indexed entry.
            assert!(total <= block.len() * 4096 + 4096);
        }
    }
});
