//! DNS messages (RFC 1035): the query we send, and the checks a response
//! must pass before we believe it. The response comes from whoever can send
//! to our port, so nothing in it is trusted: the ID and the question must be
//! ours; every count and length is checked against the bytes actually there
//! before anything is read; a compressed name may only point backwards, to
//! before where the current part of it started (so a pointer loop cannot
//! happen, and the walk is a loop, never recursion); a name is at most 255
//! bytes; at most [`MAX_RECORDS`] records (the rest counted) and
//! [`MAX_CHAIN`] CNAMEs are kept.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_MX: u16 = 15;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_SRV: u16 = 33;
const CLASS_IN: u16 = 1;

/// The record types a check may ask for (`?type=`), by name.
pub static TYPES: [(&str, u16); 7] = [
    ("A", TYPE_A),
    ("AAAA", TYPE_AAAA),
    ("CNAME", TYPE_CNAME),
    ("MX", TYPE_MX),
    ("NS", TYPE_NS),
    ("TXT", TYPE_TXT),
    ("SRV", TYPE_SRV),
];

/// The name of a type we ask for.
pub fn type_name(qtype: u16) -> &'static str {
    TYPES
        .iter()
        .find(|(_, t)| *t == qtype)
        .map_or("?", |(name, _)| name)
}

/// The longest name on the wire, length bytes and root label included.
pub const MAX_NAME: usize = 255;
/// Records kept from one response (the line shows fewer; the rest are counted).
pub const MAX_RECORDS: usize = 64;
/// The most of a TXT record's text the line shows (escaped, then cut with `…`).
const SHOWN_TEXT: usize = 64;
/// CNAMEs followed from the name asked for to its addresses.
const MAX_CHAIN: usize = 16;
/// Compression pointers followed in one name (each must point further back,
/// so this only bounds the work).
const MAX_JUMPS: usize = 128;

/// The response codes we name.
pub const NOERROR: u8 = 0;
pub const NXDOMAIN: u8 = 3;

/// A name in wire form (length-prefixed labels, then 0), lower-case; an
/// error saying why when it breaks DNS's limits.
pub fn encode_name(name: &str) -> Result<Vec<u8>, String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let mut wire = Vec::with_capacity(name.len() + 2);
    for label in name.split('.') {
        if label.is_empty() {
            return Err(format!("{name:?} has an empty label"));
        }
        if label.len() > 63 {
            return Err(format!("{name:?} has a label longer than 63 bytes"));
        }
        wire.push(label.len() as u8);
        wire.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
    }
    wire.push(0);
    if wire.len() > MAX_NAME {
        return Err(format!("{name:?} is longer than 253 characters"));
    }
    Ok(wire)
}

/// A query for `qtype` records of `qname` (wire form), recursion desired.
pub fn query(id: u16, qname: &[u8], qtype: u16) -> Vec<u8> {
    let mut q = Vec::with_capacity(12 + qname.len() + 4);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00]); // RD
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question
    q.extend_from_slice(qname);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    q
}

/// What a response that passed every check says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub rcode: u8,
    /// TC: the answer did not fit; ask again over TCP.
    pub truncated: bool,
    /// Records of the type asked for, owned by the name asked for or a
    /// CNAME it leads to; at most [`MAX_RECORDS`].
    pub records: Vec<Record>,
    /// Records of that type beyond [`MAX_RECORDS`], counted.
    pub more: usize,
}

/// One record of the type asked for, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A, AAAA.
    Address(IpAddr),
    /// CNAME, NS (no numbers), MX (preference), SRV (priority, weight,
    /// port): the numbers as dig shows them, then the name, without its
    /// final dot.
    Name(String, String),
    /// TXT: its strings, joined.
    Text(Vec<u8>),
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Record::Address(ip) => ip.fmt(f),
            Record::Name(numbers, name) if numbers.is_empty() => f.write_str(name),
            Record::Name(numbers, name) => write!(f, "{numbers} {name}"),
            Record::Text(text) => {
                let text = crate::report::printable(&String::from_utf8_lossy(text), SHOWN_TEXT);
                write!(f, "\"{text}\"")
            }
        }
    }
}

/// Why a datagram is not the response to our query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// Another ID: someone else's response, or a late one to an earlier try.
    OtherId,
    /// Our ID, but not our question, or not a response.
    NotOurs(&'static str),
    /// Our ID, but it breaks the format.
    Malformed(&'static str),
}

/// Checks `msg` against the query (`id`, `qname`, `qtype`) and reads it.
pub fn parse_response(msg: &[u8], id: u16, qname: &[u8], qtype: u16) -> Result<Response, Rejected> {
    use Rejected::{Malformed, NotOurs};
    let header = msg.get(..12).ok_or(Malformed("shorter than a header"))?;
    if u16::from_be_bytes([header[0], header[1]]) != id {
        return Err(Rejected::OtherId);
    }
    let flags = u16::from_be_bytes([header[2], header[3]]);
    if flags & 0x8000 == 0 {
        return Err(NotOurs("a query, not a response"));
    }
    if (flags >> 11) & 0xf != 0 {
        return Err(NotOurs("another opcode"));
    }
    let truncated = flags & 0x0200 != 0;
    let rcode = (flags & 0xf) as u8;
    let count = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]) as usize;
    let (qdcount, ancount) = (count(4), count(6));
    let mut at = 12;
    match qdcount {
        1 => {
            let mut name = [0u8; MAX_NAME];
            let (len, next) = read_name(msg, at, &mut name)?;
            if name[..len] != *qname {
                return Err(NotOurs("another question"));
            }
            let fixed = msg
                .get(next..next + 4)
                .ok_or(Malformed("cut in the question"))?;
            if fixed[..2] != qtype.to_be_bytes() || fixed[2..] != CLASS_IN.to_be_bytes() {
                return Err(NotOurs("another question"));
            }
            at = next + 4;
        }
        // Some servers leave the question out of an error; the ID must do.
        0 if rcode != NOERROR => {}
        _ => return Err(NotOurs("another question")),
    }
    // A record takes at least 11 bytes (a pointer or root name, ten fixed):
    // a count the bytes cannot hold is refused before any work.
    if ancount > (msg.len() - at.min(msg.len())) / 11 {
        return Err(Malformed("more answers counted than the message holds"));
    }
    // The name asked for and the CNAMEs it leads to: whose addresses count.
    let mut chain: Vec<Vec<u8>> = vec![qname.to_vec()];
    let mut records = Vec::new();
    let mut more = 0;
    for _ in 0..ancount {
        let mut owner = [0u8; MAX_NAME];
        let (owner_len, next) = read_name(msg, at, &mut owner)?;
        let fixed = msg
            .get(next..next + 10)
            .ok_or(Malformed("cut in a record"))?;
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let class = u16::from_be_bytes([fixed[2], fixed[3]]);
        let rdlength = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        let rdata_at = next + 10;
        let rdata = msg
            .get(rdata_at..rdata_at + rdlength)
            .ok_or(Malformed("a record's data runs past the end"))?;
        at = rdata_at + rdlength;
        if class != CLASS_IN || !chain.iter().any(|n| n[..] == owner[..owner_len]) {
            continue;
        }
        match rtype {
            // Asked for the CNAME itself, it is the record, not a link.
            TYPE_CNAME if qtype != TYPE_CNAME && chain.len() < MAX_CHAIN => {
                let mut target = [0u8; MAX_NAME];
                let len = name_in(msg, rdata_at, rdata.len(), &mut target)?;
                chain.push(target[..len].to_vec());
            }
            t if t == qtype && records.len() < MAX_RECORDS => {
                records.push(record(msg, rdata_at, rdata, rtype)?);
            }
            t if t == qtype => more += 1,
            _ => {}
        }
    }
    Ok(Response {
        rcode,
        truncated,
        records,
        more,
    })
}

/// The record of type `rtype` whose data, `rdata`, starts at `at` in `msg`.
fn record(msg: &[u8], at: usize, rdata: &[u8], rtype: u16) -> Result<Record, Rejected> {
    use Rejected::Malformed;
    let number = |i: usize| {
        rdata
            .get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    let named = |numbers: String, skip: usize| {
        let mut name = [0u8; MAX_NAME];
        let len = name_in(msg, at + skip, rdata.len().saturating_sub(skip), &mut name)?;
        Ok(Record::Name(numbers, name_text(&name[..len])))
    };
    match (rtype, rdata.len()) {
        (TYPE_A, 4) => Ok(Record::Address(IpAddr::V4(Ipv4Addr::new(
            rdata[0], rdata[1], rdata[2], rdata[3],
        )))),
        (TYPE_AAAA, 16) => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(rdata);
            Ok(Record::Address(IpAddr::V6(Ipv6Addr::from(octets))))
        }
        (TYPE_A | TYPE_AAAA, _) => Err(Malformed("an address of the wrong length")),
        (TYPE_CNAME | TYPE_NS, _) => named(String::new(), 0),
        (TYPE_MX, 3..) => named(number(0).unwrap_or(0).to_string(), 2),
        (TYPE_SRV, 7..) => {
            let [p, w, port] = [0, 2, 4].map(|i| number(i).unwrap_or(0));
            named(format!("{p} {w} {port}"), 6)
        }
        (TYPE_TXT, _) => {
            // Strings of a length byte and that many bytes, filling the data.
            let (mut text, mut i) = (Vec::new(), 0);
            while let Some(&n) = rdata.get(i) {
                let s = rdata
                    .get(i + 1..i + 1 + n as usize)
                    .ok_or(Malformed("a TXT string runs past its record"))?;
                text.extend_from_slice(s);
                i += 1 + n as usize;
            }
            Ok(Record::Text(text))
        }
        _ => Err(Malformed("a record too short for its type")),
    }
}

/// Reads the name at `at` into `out` (as [`read_name`]); it must end within
/// the `len` bytes of its record's data.
fn name_in(msg: &[u8], at: usize, len: usize, out: &mut [u8; MAX_NAME]) -> Result<usize, Rejected> {
    let (n, next) = read_name(msg, at, out)?;
    if next > at + len {
        return Err(Rejected::Malformed("a name runs past its record"));
    }
    Ok(n)
}

/// A name in wire form as text: `mail.example.com` (the root: `.`); a byte
/// other than a letter, digit, `-` or `_` is written `\DDD`, as dig does.
pub fn name_text(wire: &[u8]) -> String {
    let mut text = String::new();
    let mut i = 0;
    while let Some(&n) = wire.get(i).filter(|&&n| n != 0) {
        if !text.is_empty() {
            text.push('.');
        }
        for &b in wire.get(i + 1..i + 1 + n as usize).unwrap_or_default() {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                text.push(b as char);
            } else {
                text.push_str(&format!("\\{b:03}"));
            }
        }
        i += 1 + n as usize;
    }
    if text.is_empty() {
        text.push('.');
    }
    text
}

/// Reads the (possibly compressed) name at `start` into `out`, lower-case,
/// in wire form: its length there, and where the bytes after it begin.
///
/// A pointer must point before the start of the part of the name being
/// read, so the parts start ever further back and the walk ends; no
/// recursion, and at most [`MAX_JUMPS`] pointers.
fn read_name(
    msg: &[u8],
    start: usize,
    out: &mut [u8; MAX_NAME],
) -> Result<(usize, usize), Rejected> {
    use Rejected::Malformed;
    let mut at = start;
    let mut part_start = start;
    let mut after: Option<usize> = None;
    let mut len = 0;
    let mut jumps = 0;
    loop {
        let byte = *msg.get(at).ok_or(Malformed("a name runs past the end"))?;
        match byte & 0xc0 {
            0x00 => {
                let n = byte as usize;
                if len + 1 + n > MAX_NAME {
                    return Err(Malformed("a name longer than 255 bytes"));
                }
                out[len] = byte;
                if n == 0 {
                    return Ok((len + 1, after.unwrap_or(at + 1)));
                }
                let label = msg
                    .get(at + 1..at + 1 + n)
                    .ok_or(Malformed("a name runs past the end"))?;
                for (o, b) in out[len + 1..len + 1 + n].iter_mut().zip(label) {
                    *o = b.to_ascii_lowercase();
                }
                len += 1 + n;
                at += 1 + n;
            }
            0xc0 => {
                let low = *msg
                    .get(at + 1)
                    .ok_or(Malformed("a name runs past the end"))?;
                let target = (usize::from(byte & 0x3f) << 8) | usize::from(low);
                if target >= part_start {
                    return Err(Malformed("a compression pointer that does not point back"));
                }
                jumps += 1;
                if jumps > MAX_JUMPS {
                    return Err(Malformed("too many compression pointers"));
                }
                after.get_or_insert(at + 2);
                at = target;
                part_start = target;
            }
            _ => return Err(Malformed("a reserved label type")),
        }
    }
}

/// What `server` answering with `rcode` means, in words.
pub fn rcode_words(rcode: u8, server: &str) -> String {
    match rcode {
        1 => format!("{server} could not read the query (FORMERR)"),
        2 => format!("{server} failed (SERVFAIL)"),
        3 => "no such name (NXDOMAIN)".into(),
        4 => format!("{server} does not do such queries (NOTIMP)"),
        5 => format!("{server} refused the query (REFUSED)"),
        n => format!("{server} answered with error code {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: u16 = 0xbeef;

    fn qname() -> Vec<u8> {
        encode_name("Db.Example.").unwrap()
    }

    /// A response to our A query: header, question, then `answers` (raw).
    fn response(flags: u16, ancount: u16, answers: &[u8]) -> Vec<u8> {
        let mut m = query(ID, &qname(), TYPE_A);
        m[2..4].copy_from_slice(&flags.to_be_bytes());
        m[6..8].copy_from_slice(&ancount.to_be_bytes());
        m.extend_from_slice(answers);
        m
    }

    /// A record owned by the question's name (pointer to offset 12).
    fn record(rtype: u16, rdata: &[u8]) -> Vec<u8> {
        let mut r = vec![0xc0, 12];
        r.extend_from_slice(&rtype.to_be_bytes());
        r.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        r.extend_from_slice(rdata);
        r
    }

    #[test]
    fn names_encode_with_their_limits() {
        assert_eq!(encode_name("db.example").unwrap(), b"\x02db\x07example\x00");
        assert_eq!(encode_name("A.").unwrap(), b"\x01a\x00");
        assert!(encode_name("a..b").is_err());
        assert!(encode_name(&"x".repeat(64)).is_err());
        let long = vec!["abcdefghi"; 26].join(".");
        assert!(encode_name(&long).is_err());
    }

    #[test]
    fn addresses_of_the_name_and_its_cnames() {
        let mut answers = record(TYPE_A, &[10, 0, 0, 1]);
        answers.extend(record(TYPE_A, &[10, 0, 0, 2]));
        let r = parse_response(&response(0x8180, 2, &answers), ID, &qname(), TYPE_A).unwrap();
        assert_eq!(
            r.records,
            [[10, 0, 0, 1], [10, 0, 0, 2]].map(|a| Record::Address(IpAddr::from(a)))
        );
        assert_eq!((r.rcode, r.truncated), (NOERROR, false));
        // db.example CNAME www.example (www + pointer to "example" at 15), A.
        let mut answers = record(TYPE_CNAME, b"\x03www\xc0\x0f");
        let www_at = (12 + qname().len() + 4 + 12) as u8;
        answers.extend_from_slice(&[0xc0, www_at]);
        answers.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 3]);
        // An address of some other name is not ours.
        answers.extend_from_slice(
            b"\x05other\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04",
        );
        let r = parse_response(&response(0x8180, 3, &answers), ID, &qname(), TYPE_A).unwrap();
        assert_eq!(r.records, [Record::Address(IpAddr::from([10, 0, 0, 3]))]);
    }

    #[test]
    fn records_of_each_type_read_as_dig_shows_them() {
        let read = |qtype: u16, rdata: &[u8]| {
            let mut m = query(ID, &qname(), qtype);
            m[2..4].copy_from_slice(&0x8180u16.to_be_bytes());
            m[6..8].copy_from_slice(&1u16.to_be_bytes());
            let mut r = vec![0xc0, 12];
            r.extend_from_slice(&qtype.to_be_bytes());
            r.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            r.extend_from_slice(rdata);
            m.extend(r);
            parse_response(&m, ID, &qname(), qtype).map(|r| r.records)
        };
        let shown = |qtype, rdata: &[u8]| read(qtype, rdata).unwrap()[0].to_string();
        // MX 10, then "mail" and a pointer to "example" (at 15).
        assert_eq!(
            shown(TYPE_MX, b"\x00\x0a\x04mail\xc0\x0f"),
            "10 mail.example"
        );
        assert_eq!(
            shown(TYPE_SRV, b"\x00\x01\x00\x05\x13\xc4\x03sip\x00"),
            "1 5 5060 sip"
        );
        assert_eq!(shown(TYPE_NS, b"\x02NS\x01\x2e\x00"), "ns.\\046");
        assert_eq!(shown(TYPE_CNAME, b"\x00"), ".");
        assert_eq!(shown(TYPE_TXT, b"\x03a\"b\x02\n!"), "\"a\"b\\n!\"");
        assert_eq!(read(TYPE_TXT, b""), Ok(vec![Record::Text(Vec::new())]));
        // Cut strings and names, and data too short for the type.
        for (qtype, rdata, why) in [
            (TYPE_TXT, &b"\x05abc"[..], "TXT string runs past"),
            (TYPE_MX, b"\x00\x0a\x04mail", "runs past the end"),
            (TYPE_NS, b"\x02ns\x00\x00", ""),
            (TYPE_MX, b"\x00\x0a", "too short"),
        ] {
            let got = read(qtype, rdata);
            if why.is_empty() {
                assert!(got.is_ok(), "{got:?}");
            } else {
                assert!(
                    matches!(got, Err(Rejected::Malformed(w)) if w.contains(why)),
                    "{got:?}"
                );
            }
        }
        // A name that ends past its record's data.
        let mut m = query(ID, &qname(), TYPE_NS);
        m[2..4].copy_from_slice(&0x8180u16.to_be_bytes());
        m[6..8].copy_from_slice(&1u16.to_be_bytes());
        m.extend_from_slice(&[0xc0, 12, 0, 2, 0, 1, 0, 0, 0, 60, 0, 1, 2, b'n', b's', 0]);
        assert_eq!(
            parse_response(&m, ID, &qname(), TYPE_NS),
            Err(Rejected::Malformed("a name runs past its record"))
        );
    }

    #[test]
    fn records_past_the_bound_are_counted() {
        let mut answers = Vec::new();
        for i in 0..300u16 {
            answers.extend(record(TYPE_A, &[10, 0, (i >> 8) as u8, i as u8]));
        }
        let r = parse_response(&response(0x8180, 300, &answers), ID, &qname(), TYPE_A).unwrap();
        assert_eq!((r.records.len(), r.more), (MAX_RECORDS, 300 - MAX_RECORDS));
    }

    #[test]
    fn other_ids_questions_and_queries_are_not_ours() {
        let ok = response(0x8180, 0, &[]);
        assert_eq!(
            parse_response(&ok, ID + 1, &qname(), TYPE_A),
            Err(Rejected::OtherId)
        );
        assert!(matches!(
            parse_response(&ok, ID, &encode_name("other").unwrap(), TYPE_A),
            Err(Rejected::NotOurs(_))
        ));
        assert!(matches!(
            parse_response(&ok, ID, &qname(), TYPE_AAAA),
            Err(Rejected::NotOurs(_))
        ));
        let q = query(ID, &qname(), TYPE_A);
        assert!(matches!(
            parse_response(&q, ID, &qname(), TYPE_A),
            Err(Rejected::NotOurs(_))
        ));
        // NXDOMAIN and TC are read.
        let r = parse_response(&response(0x8383, 0, &[]), ID, &qname(), TYPE_A).unwrap();
        assert_eq!((r.rcode, r.truncated), (NXDOMAIN, true));
        // An error without the question, on the ID's word.
        let bare = [0xbe, 0xef, 0x81, 0x85, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            parse_response(&bare, ID, &qname(), TYPE_A).unwrap().rcode,
            5
        );
    }

    #[test]
    fn hostile_responses_are_refused_not_followed() {
        let malformed = |m: &[u8], why: &str| {
            let got = parse_response(m, ID, &qname(), TYPE_A);
            assert!(
                matches!(got, Err(Rejected::Malformed(w)) if w.contains(why)),
                "{why}: {got:?}"
            );
        };
        let fixed = [0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4];
        // A pointer to itself (the answer starts at 28), one forward.
        let mut own = vec![0xc0, 28];
        own.extend_from_slice(&fixed);
        malformed(&response(0x8180, 1, &own), "does not point back");
        let mut forward = vec![0xc0, 200];
        forward.extend_from_slice(&fixed);
        malformed(&response(0x8180, 1, &forward), "does not point back");
        // A label, then a pointer back to that label: a loop.
        let mut m = response(0x8180, 1, &[]);
        let at = m.len() as u8;
        m.extend_from_slice(&[1, b'a', 0xc0, at]);
        m.extend_from_slice(&fixed);
        malformed(&m, "does not point back");
        // Two names pointing at each other: the second points back to the
        // first, whose pointer goes forward.
        let mut m = response(0x8180, 2, &[]);
        let first = m.len() as u8;
        m.extend_from_slice(&[0xc0, first + 16]);
        m.extend_from_slice(&fixed);
        m.extend_from_slice(&[0xc0, first]);
        m.extend_from_slice(&fixed);
        malformed(&m, "does not point back");
        // 65535 answers counted in a short message.
        malformed(
            &response(0x8180, 0xffff, &record(TYPE_A, &[1, 2, 3, 4])),
            "more answers counted",
        );
        // A record whose data runs past the end; an A of 5 bytes; a cut header.
        let mut cut = record(TYPE_A, &[1, 2, 3, 4]);
        cut.truncate(cut.len() - 1);
        malformed(&response(0x8180, 1, &cut), "past the end");
        malformed(
            &response(0x8180, 1, &record(TYPE_A, &[1, 2, 3, 4, 5])),
            "wrong length",
        );
        malformed(&[0xbe, 0xef, 0x81], "shorter than a header");
        let mut reserved = vec![0x80, 0];
        reserved.extend_from_slice(&fixed);
        malformed(&response(0x8180, 1, &reserved), "reserved label");
        // A name of 317 bytes, built from pointers each going further back:
        // five 60-byte labels in the data of a record of another type (at
        // 40), then a record owned by the last of them.
        let mut names = Vec::new();
        let mut prev = 12u16;
        for _ in 0..5 {
            let at = 40 + names.len() as u16;
            names.push(60);
            names.extend(std::iter::repeat_n(b'x', 60));
            names.extend_from_slice(&(0xc000 | prev).to_be_bytes());
            prev = at;
        }
        let mut answers = record(99, &names);
        answers.extend_from_slice(&(0xc000 | prev).to_be_bytes());
        answers.extend_from_slice(&fixed);
        let m = response(0x8180, 2, &answers);
        malformed(&m, "longer than 255");
    }
}
