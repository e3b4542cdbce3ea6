//! The Huffman code of HPACK (RFC 7541 section 5.2 and Appendix B), decoded
//! from its code lengths alone: the code is canonical.

use super::HpackError;

/// Code lengths of the Huffman code of RFC 7541 Appendix B, for symbols 0-255
/// and EOS (256). The code is canonical: codes follow from the lengths alone,
/// assigned in order of (length, symbol).
pub const HUFFMAN_LENGTHS: [u8; 257] = [
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
pub struct Huffman {
    first_code: [u32; MAX_CODE_LENGTH + 1],
    count: [u32; MAX_CODE_LENGTH + 1],
    offset: [u16; MAX_CODE_LENGTH + 1],
    symbols: [u16; 257],
}

impl Huffman {
    pub fn new() -> Huffman {
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

    /// Decodes a Huffman-coded string (RFC 7541 section 5.2) of at most
    /// `max` bytes.
    pub fn decode(&self, input: &[u8], max: usize) -> Result<Vec<u8>, HpackError> {
        let mut out = Vec::with_capacity((input.len() * 8 / 5).min(max));
        let (mut code, mut len) = (0u32, 0usize);
        for byte in input {
            for shift in (0..8).rev() {
                code = (code << 1) | u32::from((byte >> shift) & 1);
                len += 1;
                let index = code.wrapping_sub(self.first_code[len]);
                if index < self.count[len] {
                    let symbol = self.symbols[(self.offset[len] as u32 + index) as usize];
                    if symbol == EOS {
                        return Err(HpackError::Malformed("EOS inside a Huffman string"));
                    }
                    if out.len() == max {
                        return Err(HpackError::TooLarge);
                    }
                    out.push(symbol as u8);
                    code = 0;
                    len = 0;
                } else if len == MAX_CODE_LENGTH {
                    return Err(HpackError::Malformed("invalid Huffman code"));
                }
            }
        }
        // Padding: at most 7 bits, all ones (the start of EOS).
        if len > 7 || code != (1 << len) - 1 {
            return Err(HpackError::Malformed("invalid Huffman padding"));
        }
        Ok(out)
    }
}

impl Default for Huffman {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_byte_and_rejects_bad_padding() {
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
        assert_eq!(h.decode(&out, 256).unwrap(), input);
        assert_eq!(h.decode(&out, 255), Err(HpackError::TooLarge));
        assert!(h.decode(&[0x00], 10).is_err(), "padding must be ones");
        assert!(
            h.decode(&[0xff, 0xff], 10).is_err(),
            "more than 7 bits of padding"
        );
    }
}
