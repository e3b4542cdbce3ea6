//! The HPACK tables (RFC 7541 section 2.3): the static table, and the
//! dynamic table a connection's header blocks add to, bounded by the size we
//! announced (SETTINGS_HEADER_TABLE_SIZE, 4096 by default).

use std::collections::VecDeque;

use super::{Header, HpackError};

/// RFC 7541 Appendix A.
pub const STATIC: [(&str, &str); 61] = [
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

/// The dynamic table of one connection.
pub struct DynamicTable {
    entries: VecDeque<Header>,
    size: usize,
    max_size: usize,
    /// The most the peer may set `max_size` to: what we announced.
    allowed_max: usize,
}

impl DynamicTable {
    pub fn new(allowed_max: usize) -> Self {
        DynamicTable {
            entries: VecDeque::new(),
            size: 0,
            max_size: allowed_max,
            allowed_max,
        }
    }

    /// The entry at `index` of the combined index space (1-61 static, then
    /// dynamic, newest first).
    pub fn get(&self, index: usize) -> Result<(&[u8], &[u8]), HpackError> {
        match index {
            0 => Err(HpackError::Malformed("index 0")),
            1..=61 => {
                let (n, v) = STATIC[index - 1];
                Ok((n.as_bytes(), v.as_bytes()))
            }
            _ => self
                .entries
                .get(index - 62)
                .map(|(n, v)| (n.as_slice(), v.as_slice()))
                .ok_or(HpackError::Malformed("index past the tables")),
        }
    }

    pub fn insert(&mut self, header: Header) {
        let size = entry_size(&header);
        self.evict(size);
        if size <= self.max_size {
            self.size += size;
            self.entries.push_front(header);
        }
    }

    /// A dynamic table size update from the peer.
    pub fn resize(&mut self, max_size: usize) -> Result<(), HpackError> {
        if max_size > self.allowed_max {
            return Err(HpackError::Malformed("table size update above the limit"));
        }
        self.max_size = max_size;
        self.evict(0);
        Ok(())
    }

    /// Evicts the oldest entries until `incoming` more bytes fit.
    fn evict(&mut self, incoming: usize) {
        while self.size + incoming > self.max_size {
            match self.entries.pop_back() {
                Some(old) => self.size -= entry_size(&old),
                None => {
                    self.size = 0;
                    break;
                }
            }
        }
    }

    #[cfg(test)]
    pub fn size(&self) -> usize {
        self.size
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// An entry's size as RFC 7541 section 4.1 (and RFC 9113 section 6.5.2 for
/// header lists) counts it.
pub fn entry_size((name, value): &Header) -> usize {
    field_size(name, value)
}

pub fn field_size(name: &[u8], value: &[u8]) -> usize {
    name.len() + value.len() + 32
}
