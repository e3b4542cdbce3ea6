//! `--header-contains 'Name: TEXT'` (issue 24): healthy only when the
//! response has the header and one of its values holds TEXT.
//!
//! Each field line counts on its own, as `grep -i '^name:.*TEXT'` over the
//! head would see it: a header sent twice passes when either line holds the
//! text, and TEXT is not looked for across the comma a proxy would put
//! between joined lines. An empty TEXT asks only that the header be there.
//! What the line shows of a value is escaped and cut; the values of secret
//! headers (`Set-Cookie`, ...) are checked but never shown.

use ureq::http::{HeaderMap, HeaderName};

use crate::probe::contains;
use crate::redacted::shown_header_value;
use crate::report::cut;

/// Values shown when none holds the text.
const SHOWN_VALUES: usize = 2;
/// Bytes shown of each value.
const SHOWN_VALUE_BYTES: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderCheck {
    pub name: HeaderName,
    pub text: String,
}

impl HeaderCheck {
    /// `Name: TEXT`; the name case-insensitive, TEXT without the blanks
    /// around it (it may be empty).
    pub fn parse(s: &str) -> Result<HeaderCheck, String> {
        let Some((name, text)) = s.split_once(':') else {
            return Err("expected 'Name: TEXT'".into());
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("{:?} is not a header name", cut(name.trim(), 60)))?;
        Ok(HeaderCheck {
            name,
            text: text.trim_matches([' ', '\t']).to_string(),
        })
    }

    /// What the line says when the check passes, e.g. `header x-ready has "yes"`.
    pub fn describe(&self) -> String {
        match self.text.is_empty() {
            true => format!("header {} present", self.name),
            false => format!("header {} has {:?}", self.name, self.text),
        }
    }

    /// `Ok(())` when one of the response's `name` lines holds the text; else
    /// why not, with the values seen (bounded, escaped, secrets withheld).
    pub fn check(&self, headers: &HeaderMap) -> Result<(), String> {
        let values: Vec<&[u8]> = headers
            .get_all(&self.name)
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        if values.is_empty() {
            return Err(format!("no {} header", self.name));
        }
        if values.iter().any(|v| contains(v, self.text.as_bytes())) {
            return Ok(());
        }
        let shown: Vec<String> = values
            .iter()
            .take(SHOWN_VALUES)
            .map(|v| {
                let value = shown_header_value(self.name.as_str(), v);
                format!("{:?}", cut(&value, SHOWN_VALUE_BYTES))
            })
            .collect();
        let more = match values.len() {
            n if n > SHOWN_VALUES => format!(" and {} more", n - SHOWN_VALUES),
            _ => String::new(),
        };
        Err(format!(
            "header {} is {}{more}, without {:?}",
            self.name,
            shown.join(", "),
            cut(&self.text, SHOWN_VALUE_BYTES)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::http::HeaderValue;

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn parses_name_and_text() {
        let c = HeaderCheck::parse("Content-Type:  application/json ").unwrap();
        assert_eq!(
            (c.name.as_str(), c.text.as_str()),
            ("content-type", "application/json")
        );
        assert_eq!(HeaderCheck::parse("X-Ready:").unwrap().text, "");
        assert!(HeaderCheck::parse("no colon").is_err());
        assert!(HeaderCheck::parse("bad name: x").is_err());
        assert!(HeaderCheck::parse(": x").is_err());
    }

    #[test]
    fn any_line_of_a_repeated_header_passes() {
        let c = HeaderCheck::parse("x-a: yes").unwrap();
        assert!(
            c.check(&headers(&[("X-A", b"no"), ("x-a", b"oh yes")]))
                .is_ok()
        );
        let e = c
            .check(&headers(&[("x-a", b"no"), ("x-a", b"nope"), ("x-a", b"n")]))
            .unwrap_err();
        assert_eq!(e, r#"header x-a is "no", "nope" and 1 more, without "yes""#);
        assert_eq!(c.check(&headers(&[])).unwrap_err(), "no x-a header");
    }

    #[test]
    fn secret_values_are_checked_but_not_shown() {
        let c = HeaderCheck::parse("set-cookie: admin").unwrap();
        let e = c
            .check(&headers(&[("set-cookie", b"session=hunter2")]))
            .unwrap_err();
        assert!(!e.contains("hunter2") && e.contains("(redacted)"), "{e}");
    }
}
