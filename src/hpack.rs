//! HPACK (RFC 7541): the decoder a gRPC health check needs for the server's
//! response headers and trailers (Huffman strings, the dynamic table, size
//! updates), and the one encoding the request needs (literals, no indexing).

use std::collections::VecDeque;
use std::fmt;

/// A header block that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpackError(&'static str);

impl fmt::Display for HpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad HPACK header block: {}", self.0)
    }
}

pub type Header = (Vec<u8>, Vec<u8>);

/// RFC 7541 Appendix A.
const STATIC_TABLE: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// Code lengths of the Huffman code of RFC 7541 Appendix B, for symbols 0-255
/// and EOS (256). The code is canonical: codes follow from the lengths alone,
/// assigned in order of (length, symbol).
const HUFFMAN_LENGTHS: [u8; 257] = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0-15
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16-31
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // ' '-'/'
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // '0'-'?'
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // '@'-'O'
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 'P'-'_'
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // '`'-'o'
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 'p'-127
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128-143
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144-159
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160-175
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176-191
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192-207
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208-223
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224-239
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240-255
    30, // EOS
];

const MAX_CODE_LENGTH: usize = 30;
const EOS: u16 = 256;

/// A canonical-Huffman decoding table: per code length, the first code, how
/// many codes there are, and where their symbols start in `symbols`.
struct Huffman {
    first_code: [u32; MAX_CODE_LENGTH + 1],
    count: [u32; MAX_CODE_LENGTH + 1],
    offset: [u16; MAX_CODE_LENGTH + 1],
    symbols: [u16; 257],
}

impl Huffman {
    fn new() -> Huffman {
        let mut h = Huffman {
            first_code: [0; MAX_CODE_LENGTH + 1],
            count: [0; MAX_CODE_LENGTH + 1],
            offset: [0; MAX_CODE_LENGTH + 1],
            symbols: [0; 257],
        };
        for &len in &HUFFMAN_LENGTHS {
            h.count[len as usize] += 1;
        }
        let (mut code, mut index) = (0u32, 0u16);
        for len in 1..=MAX_CODE_LENGTH {
            h.first_code[len] = code;
            h.offset[len] = index;
            code = (code + h.count[len]) << 1;
            index += h.count[len] as u16;
        }
        // Symbols in code order: by length, then by value.
        h.symbols = std::array::from_fn(|i| i as u16);
        h.symbols
            .sort_unstable_by_key(|&s| (HUFFMAN_LENGTHS[s as usize], s));
        h
    }

    /// Decodes a Huffman-coded string (RFC 7541 section 5.2).
    fn decode(&self, input: &[u8]) -> Result<Vec<u8>, HpackError> {
        let mut out = Vec::with_capacity(input.len() * 8 / 5);
        let (mut code, mut len) = (0u32, 0usize);
        for byte in input {
            for shift in (0..8).rev() {
                code = (code << 1) | u32::from((byte >> shift) & 1);
                len += 1;
                let index = code.wrapping_sub(self.first_code[len]);
                if index < self.count[len] {
                    let symbol = self.symbols[(self.offset[len] as u32 + index) as usize];
                    if symbol == EOS {
                        return Err(HpackError("EOS inside a Huffman string"));
                    }
                    out.push(symbol as u8);
                    code = 0;
                    len = 0;
                } else if len == MAX_CODE_LENGTH {
                    return Err(HpackError("invalid Huffman code"));
                }
            }
        }
        // Padding: at most 7 bits, all ones (the start of EOS).
        if len > 7 || code != (1 << len) - 1 {
            return Err(HpackError("invalid Huffman padding"));
        }
        Ok(out)
    }
}

/// The decoding side of one HTTP/2 connection (its dynamic table lives as
/// long as the connection).
pub struct Decoder {
    table: VecDeque<Header>,
    size: usize,
    max_size: usize,
    /// The limit we announced (SETTINGS_HEADER_TABLE_SIZE, default 4096).
    allowed_max: usize,
    huffman: Huffman,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            table: VecDeque::new(),
            size: 0,
            max_size: 4096,
            allowed_max: 4096,
            huffman: Huffman::new(),
        }
    }
}

impl Decoder {
    /// Decodes one complete header block into (name, value) pairs.
    pub fn decode(&mut self, block: &[u8]) -> Result<Vec<Header>, HpackError> {
        let mut headers = Vec::new();
        let mut input = block;
        while let Some(&first) = input.first() {
            if first & 0x80 != 0 {
                let index = integer(&mut input, 7)?;
                headers.push(self.entry(index)?);
            } else if first & 0xc0 == 0x40 {
                let header = self.literal(&mut input, 6)?;
                self.insert(header.clone());
                headers.push(header);
            } else if first & 0xe0 == 0x20 {
                let size = integer(&mut input, 5)?;
                if size > self.allowed_max {
                    return Err(HpackError("table size update above the limit"));
                }
                self.max_size = size;
                self.evict(0);
            } else {
                // 0000xxxx without indexing, 0001xxxx never indexed.
                headers.push(self.literal(&mut input, 4)?);
            }
        }
        Ok(headers)
    }

    fn entry(&self, index: usize) -> Result<Header, HpackError> {
        match index {
            0 => Err(HpackError("index 0")),
            1..=61 => {
                let (n, v) = STATIC_TABLE[index - 1];
                Ok((n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            }
            _ => self
                .table
                .get(index - 62)
                .cloned()
                .ok_or(HpackError("index past the tables")),
        }
    }

    fn literal(&mut self, input: &mut &[u8], prefix: u32) -> Result<Header, HpackError> {
        let index = integer(input, prefix)?;
        let name = if index == 0 {
            self.string(input)?
        } else {
            self.entry(index)?.0
        };
        let value = self.string(input)?;
        Ok((name, value))
    }

    fn string(&self, input: &mut &[u8]) -> Result<Vec<u8>, HpackError> {
        let huffman = input.first().ok_or(HpackError("truncated string"))? & 0x80 != 0;
        let len = integer(input, 7)?;
        if len > input.len() {
            return Err(HpackError("string longer than the block"));
        }
        let (raw, rest) = input.split_at(len);
        *input = rest;
        if huffman {
            self.huffman.decode(raw)
        } else {
            Ok(raw.to_vec())
        }
    }

    fn insert(&mut self, header: Header) {
        let size = entry_size(&header);
        self.evict(size);
        if size <= self.max_size {
            self.size += size;
            self.table.push_front(header);
        }
    }

    /// Evicts the oldest entries until `incoming` more bytes fit.
    fn evict(&mut self, incoming: usize) {
        while self.size + incoming > self.max_size {
            match self.table.pop_back() {
                Some(old) => self.size -= entry_size(&old),
                None => {
                    self.size = 0;
                    break;
                }
            }
        }
    }
}

fn entry_size((name, value): &Header) -> usize {
    name.len() + value.len() + 32
}

/// An integer with an N-bit prefix (RFC 7541 section 5.1); consumes its bytes.
fn integer(input: &mut &[u8], prefix: u32) -> Result<usize, HpackError> {
    let (&first, mut rest) = input.split_first().ok_or(HpackError("truncated integer"))?;
    let max = (1usize << prefix) - 1;
    let mut value = usize::from(first) & max;
    if value == max {
        let mut shift = 0;
        loop {
            let (&b, tail) = rest.split_first().ok_or(HpackError("truncated integer"))?;
            rest = tail;
            if shift > 28 {
                return Err(HpackError("integer too large"));
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
        let mut d = Decoder::default();
        let block = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        assert_eq!(
            text(&d.decode(&block).unwrap()),
            ["custom-key: custom-header"]
        );
        assert_eq!(d.size, 55);
    }

    #[test]
    fn requests_without_huffman_rfc7541_c3() {
        let mut d = Decoder::default();
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
        assert_eq!(d.size, 110);
    }

    #[test]
    fn requests_with_huffman_rfc7541_c4() {
        let mut d = Decoder::default();
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
        assert_eq!(d.size, 164);
    }

    #[test]
    fn table_size_updates_evict_and_are_bounded() {
        let mut d = Decoder::default();
        d.decode(&hex(
            "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
        ))
        .unwrap();
        // Size update to 0 empties the table; index 62 is then gone.
        assert!(d.decode(&hex("20")).unwrap().is_empty());
        assert_eq!((d.size, d.table.len()), (0, 0));
        assert!(d.decode(&hex("be")).is_err());
        // Above the announced 4096: refused.
        assert!(d.decode(&hex("3fe2 1f")).is_err());
    }

    #[test]
    fn huffman_round_trips_every_byte_and_rejects_bad_padding() {
        let h = Huffman::new();
        // Encode with the canonical codes, decode back.
        let mut codes = [(0u32, 0u8); 257];
        let mut order: Vec<usize> = (0..257).collect();
        order.sort_by_key(|&s| (HUFFMAN_LENGTHS[s], s));
        let (mut code, mut prev) = (0u32, HUFFMAN_LENGTHS[order[0]]);
        for (i, &s) in order.iter().enumerate() {
            if i > 0 {
                code = (code + 1) << (HUFFMAN_LENGTHS[s] - prev);
            }
            prev = HUFFMAN_LENGTHS[s];
            codes[s] = (code, prev);
        }
        assert_eq!(codes[b'a' as usize], (0x3, 5));
        assert_eq!(codes[256], (0x3fff_ffff, 30));
        let input: Vec<u8> = (0..=255).collect();
        let (mut bits, mut nbits, mut out) = (0u64, 0u32, Vec::new());
        for &b in &input {
            let (c, l) = codes[b as usize];
            bits = (bits << l) | u64::from(c);
            nbits += u32::from(l);
            while nbits >= 8 {
                out.push((bits >> (nbits - 8)) as u8);
                nbits -= 8;
            }
        }
        if nbits > 0 {
            out.push(((bits << (8 - nbits)) as u8) | ((1u8 << (8 - nbits)) - 1));
        }
        assert_eq!(h.decode(&out).unwrap(), input);
        assert!(h.decode(&[0x00]).is_err(), "padding must be ones");
        assert!(
            h.decode(&[0xff, 0xff]).is_err(),
            "more than 7 bits of padding"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut d = Decoder::default();
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
        let headers = Decoder::default().decode(&block).unwrap();
        assert_eq!(headers[0].1, b"/grpc.health.v1.Health/Check");
        assert_eq!(headers[1].1.len(), 300);
    }
}
