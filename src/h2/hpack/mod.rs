//! HPACK (RFC 7541): the decoder a gRPC health check needs for the server's
//! response headers and trailers (Huffman strings, the dynamic table, size
//! updates), and the one encoding the request needs (literals, no indexing).
//!
//! The decoded header list is bounded (SETTINGS_MAX_HEADER_LIST_SIZE, RFC
//! 9113 sections 6.5.2 and 10.5.1) and every field is counted against the
//! bound as it is produced, before it is copied: references to one large
//! dynamic-table entry once turned a 64 KiB block into 487 MB.

mod huffman;
mod table;

use std::fmt;

use huffman::Huffman;
use table::{DynamicTable, field_size};

/// A decoded header field: name and value, as bytes.
pub type Header = (Vec<u8>, Vec<u8>);

/// The dynamic table size we announce (the protocol's default).
pub const TABLE_SIZE: usize = 4096;

/// A header block that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HpackError {
    Malformed(&'static str),
    /// The decoded list would exceed the limit.
    TooLarge,
}

impl fmt::Display for HpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HpackError::Malformed(why) => write!(f, "bad HPACK header block: {why}"),
            HpackError::TooLarge => f.write_str("header list larger than the limit"),
        }
    }
}

/// The decoding side of one HTTP/2 connection (its dynamic table lives as
/// long as the connection).
pub struct Decoder {
    table: DynamicTable,
    huffman: Huffman,
    /// The most a decoded header list may count, in RFC 9113's measure.
    max_list_size: usize,
}

impl Decoder {
    pub fn new(max_list_size: usize) -> Self {
        Decoder {
            table: DynamicTable::new(TABLE_SIZE),
            huffman: Huffman::new(),
            max_list_size,
        }
    }

    /// Decodes one complete header block into (name, value) pairs.
    pub fn decode(&mut self, block: &[u8]) -> Result<Vec<Header>, HpackError> {
        let mut headers = Vec::new();
        let mut room = self.max_list_size;
        let mut input = block;
        while let Some(&first) = input.first() {
            if first & 0x80 != 0 {
                let index = integer(&mut input, 7)?;
                let (name, value) = self.table.get(index)?;
                room = take_room(room, field_size(name, value))?;
                headers.push((name.to_vec(), value.to_vec()));
            } else if first & 0xc0 == 0x40 {
                let header = self.literal(&mut input, 6, &mut room)?;
                self.table.insert(header.clone());
                headers.push(header);
            } else if first & 0xe0 == 0x20 {
                let size = integer(&mut input, 5)?;
                self.table.resize(size)?;
            } else {
                // 0000xxxx without indexing, 0001xxxx never indexed.
                headers.push(self.literal(&mut input, 4, &mut room)?);
            }
        }
        Ok(headers)
    }

    /// A literal field; its name and value count against `room` as they are read.
    fn literal(
        &mut self,
        input: &mut &[u8],
        prefix: u32,
        room: &mut usize,
    ) -> Result<Header, HpackError> {
        *room = take_room(*room, 32)?;
        let index = integer(input, prefix)?;
        let name = if index == 0 {
            self.string(input, *room)?
        } else {
            let (name, _) = self.table.get(index)?;
            if name.len() > *room {
                return Err(HpackError::TooLarge);
            }
            name.to_vec()
        };
        *room -= name.len();
        let value = self.string(input, *room)?;
        *room -= value.len();
        Ok((name, value))
    }

    /// A string literal of at most `max` bytes once decoded.
    fn string(&self, input: &mut &[u8], max: usize) -> Result<Vec<u8>, HpackError> {
        let huffman = input
            .first()
            .ok_or(HpackError::Malformed("truncated string"))?
            & 0x80
            != 0;
        let len = integer(input, 7)?;
        if len > input.len() {
            return Err(HpackError::Malformed("string longer than the block"));
        }
        let (raw, rest) = input.split_at(len);
        *input = rest;
        if huffman {
            self.huffman.decode(raw, max)
        } else if raw.len() > max {
            Err(HpackError::TooLarge)
        } else {
            Ok(raw.to_vec())
        }
    }
}

fn take_room(room: usize, size: usize) -> Result<usize, HpackError> {
    room.checked_sub(size).ok_or(HpackError::TooLarge)
}

/// An integer with an N-bit prefix (RFC 7541 section 5.1); consumes its bytes.
fn integer(input: &mut &[u8], prefix: u32) -> Result<usize, HpackError> {
    let truncated = HpackError::Malformed("truncated integer");
    let (&first, mut rest) = input.split_first().ok_or(truncated.clone())?;
    let max = (1usize << prefix) - 1;
    let mut value = usize::from(first) & max;
    if value == max {
        let mut shift = 0;
        loop {
            let (&b, tail) = rest.split_first().ok_or(truncated.clone())?;
            rest = tail;
            if shift > 28 {
                return Err(HpackError::Malformed("integer too large"));
            }
            value += usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    *input = rest;
    Ok(value)
}

/// Appends a header as "literal without indexing, new name", plain strings.
pub fn encode_literal(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.push(0);
    encode_string(out, name);
    encode_string(out, value);
}

fn encode_string(out: &mut Vec<u8>, s: &[u8]) {
    // 7-bit prefix, Huffman bit clear.
    let mut len = s.len();
    if len < 127 {
        out.push(len as u8);
    } else {
        out.push(127);
        len -= 127;
        while len >= 128 {
            out.push((len % 128) as u8 | 0x80);
            len /= 128;
        }
        out.push(len as u8);
    }
    out.extend_from_slice(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 16 * 1024;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn text(headers: &[Header]) -> Vec<String> {
        headers
            .iter()
            .map(|(n, v)| {
                format!(
                    "{}: {}",
                    String::from_utf8_lossy(n),
                    String::from_utf8_lossy(v)
                )
            })
            .collect()
    }

    #[test]
    fn integers_rfc7541_c1() {
        // C.1.1: 10 with a 5-bit prefix; C.1.2: 1337 with a 5-bit prefix; C.1.3: 42 at an octet boundary.
        assert_eq!(integer(&mut &[0x0a][..], 5), Ok(10));
        assert_eq!(integer(&mut &[0x1f, 0x9a, 0x0a][..], 5), Ok(1337));
        assert_eq!(integer(&mut &[0x2a][..], 8), Ok(42));
        assert!(integer(&mut &[0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f][..], 5).is_err());
    }

    #[test]
    fn literal_with_indexing_rfc7541_c2_1() {
        let mut d = Decoder::new(LIMIT);
        let block = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        assert_eq!(
            text(&d.decode(&block).unwrap()),
            ["custom-key: custom-header"]
        );
        assert_eq!(d.table.size(), 55);
    }

    #[test]
    fn requests_without_huffman_rfc7541_c3() {
        let mut d = Decoder::new(LIMIT);
        let first = d
            .decode(&hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"))
            .unwrap();
        assert_eq!(
            text(&first),
            [
                ":method: GET",
                ":scheme: http",
                ":path: /",
                ":authority: www.example.com"
            ]
        );
        let second = d
            .decode(&hex("8286 84be 5808 6e6f 2d63 6163 6865"))
            .unwrap();
        assert_eq!(
            text(&second)[3..],
            [":authority: www.example.com", "cache-control: no-cache"]
        );
        assert_eq!(d.table.size(), 110);
    }

    #[test]
    fn requests_with_huffman_rfc7541_c4() {
        let mut d = Decoder::new(LIMIT);
        let first = d
            .decode(&hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"))
            .unwrap();
        assert_eq!(
            text(&first),
            [
                ":method: GET",
                ":scheme: http",
                ":path: /",
                ":authority: www.example.com"
            ]
        );
        let second = d.decode(&hex("8286 84be 5886 a8eb 1064 9cbf")).unwrap();
        assert_eq!(text(&second)[4], "cache-control: no-cache");
        let third = d
            .decode(&hex(
                "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
            ))
            .unwrap();
        assert_eq!(
            text(&third),
            [
                ":method: GET",
                ":scheme: https",
                ":path: /index.html",
                ":authority: www.example.com",
                "custom-key: custom-value"
            ]
        );
        assert_eq!(d.table.size(), 164);
    }

    #[test]
    fn table_size_updates_evict_and_are_bounded() {
        let mut d = Decoder::new(LIMIT);
        d.decode(&hex(
            "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
        ))
        .unwrap();
        // Size update to 0 empties the table; index 62 is then gone.
        assert!(d.decode(&hex("20")).unwrap().is_empty());
        assert_eq!((d.table.size(), d.table.len()), (0, 0));
        assert!(d.decode(&hex("be")).is_err());
        // Above the announced 4096: refused.
        assert!(d.decode(&hex("3fe2 1f")).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        let mut d = Decoder::new(LIMIT);
        for seed in 0u32..2000 {
            let block: Vec<u8> = (0..(seed % 40))
                .map(|i| (seed.wrapping_mul(2654435761).rotate_left(i)) as u8)
                .collect();
            let _ = d.decode(&block);
        }
    }

    #[test]
    fn encoded_literals_decode() {
        let mut block = Vec::new();
        encode_literal(&mut block, b":path", b"/grpc.health.v1.Health/Check");
        encode_literal(&mut block, b"x-long", &[b'v'; 300]);
        let headers = Decoder::new(LIMIT).decode(&block).unwrap();
        assert_eq!(headers[0].1, b"/grpc.health.v1.Health/Check");
        assert_eq!(headers[1].1.len(), 300);
    }

    #[test]
    fn the_decoded_list_is_bounded_while_it_is_decoded() {
        // Issue 10: one 4,000-byte literal with incremental indexing, then
        // 60,000 one-byte references to it. Undecoded: under 64 KiB; decoded:
        // 240 MB. The decoder stops at the limit, having held at most that.
        let mut block = vec![0x40]; // literal with incremental indexing, new name
        encode_string(&mut block, b"x-big");
        encode_string(&mut block, &[b'v'; 4000]);
        block.extend(std::iter::repeat_n(0xbe, 60_000)); // index 62: the newest dynamic entry
        assert!(block.len() < 65_536);
        let err = Decoder::new(LIMIT).decode(&block).unwrap_err();
        assert_eq!(err, HpackError::TooLarge);
        // Huffman strings count too, before they are whole.
        let mut huff = vec![0x00]; // literal without indexing, new name
        encode_string(&mut huff, b"x");
        huff.push(0xff); // Huffman, 7-bit length prefix full
        huff.extend_from_slice(&[0xe1, 0x01]); // length 127 + 225 = 352 bytes of code
        huff.extend(std::iter::repeat_n(0x00, 352)); // '0' (5 bits) over and over: 563 bytes
        assert_eq!(Decoder::new(300).decode(&huff), Err(HpackError::TooLarge));
        assert!(Decoder::new(LIMIT).decode(&huff).is_err()); // padding of zeros is invalid
    }

    #[test]
    fn a_list_within_the_limit_decodes() {
        let mut block = Vec::new();
        for i in 0..10 {
            encode_literal(&mut block, format!("x-{i}").as_bytes(), &[b'v'; 100]);
        }
        assert_eq!(
            Decoder::new(10 * (3 + 100 + 32))
                .decode(&block)
                .unwrap()
                .len(),
            10
        );
        assert_eq!(
            Decoder::new(10 * (3 + 100 + 32) - 1).decode(&block),
            Err(HpackError::TooLarge)
        );
    }
}
