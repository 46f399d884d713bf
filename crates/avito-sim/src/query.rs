//! `application/x-www-form-urlencoded` parsing for query strings and the `/token` form.
//!
//! Hand-rolled because Avito's array parameters arrive in two forms (A4 quirks): repeated
//! (`chat_types=u2i&chat_types=u2u`, also PHP-style `chat_types[]=…`) and CSV (`chat_types=u2i,u2u`);
//! [`Params::list`] accepts both.

#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: &str) -> Params {
        Params(
            raw.split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    /// The first value of a scalar parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of an array parameter, repeated or comma-separated; empty items are skipped.
    pub fn list(&self, key: &str) -> Vec<String> {
        let bracketed = format!("{key}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == key || *k == bracketed)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Percent-decoding with `+` as space; invalid escapes are kept literally.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_accept_both_forms() {
        for raw in [
            "chat_types=u2i,u2u",
            "chat_types=u2i&chat_types=u2u",
            "chat_types%5B%5D=u2i&chat_types%5B%5D=u2u",
            "chat_types=u2i%2Cu2u",
        ] {
            assert_eq!(
                Params::parse(raw).list("chat_types"),
                ["u2i", "u2u"],
                "{raw}"
            );
        }
        assert!(Params::parse("limit=5").list("chat_types").is_empty());
    }

    #[test]
    fn decoding() {
        let p = Params::parse("a=%D0%BF%D1%80%D0%B8+x&b=%zz&c=%4");
        assert_eq!(p.get("a"), Some("при x"));
        assert_eq!(p.get("b"), Some("%zz"));
        assert_eq!(p.get("c"), Some("%4"));
        assert_eq!(p.get("d"), None);
    }
}
