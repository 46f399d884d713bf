//! Templates: `{slots.order_number}`, `{vars.status}`, `{customer.name}` filled from a [`Scope`].
//!
//! A placeholder is `{` + a name + `}`, where a name is ASCII letters, digits, `_` and `.` starting
//! with a letter (the names of [`super::expr`]). Everything else is text, which is why a JSON body
//! (`{"order": "{slots.order_number}"}`) needs no escaping: `{"` does not start a placeholder.
//!
//! A name that is not known (an absent slot, a typo) stays visible as written: a `{vars.status}`
//! in a reply is an obvious bug someone reports, an empty gap is a silent wrong answer.
//! Strings render as they are, numbers and booleans as JSON does, `null` as nothing, arrays and
//! objects as compact JSON.
//!
//! Where the result goes decides how values are escaped ([`Escape`]): a slot value in a URL is
//! percent-encoded so `../admin` or `?x=` typed by a customer cannot change the request, in a JSON
//! body it is escaped for a JSON string, in a header it loses line breaks.

use serde_json::Value;

use super::expr::Scope;

/// How placeholder values are escaped; the template's own text is never touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    None,
    /// RFC 3986 percent-encoding of everything but unreserved characters.
    Url,
    /// Escaped for the inside of a JSON string (no surrounding quotes added).
    JsonString,
    /// Line breaks removed, so a value cannot start another header.
    Header,
}

/// One piece of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'t> {
    Text(&'t str),
    /// The name, and the placeholder as written (`{name}`).
    Name(&'t str, &'t str),
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let name = &after[..len];
        let is_name =
            name.starts_with(|c: char| c.is_ascii_alphabetic()) && after[len..].starts_with('}');
        if is_name {
            if open > 0 {
                out.push(Piece::Text(&rest[..open]));
            }
            out.push(Piece::Name(name, &rest[open..open + len + 2]));
            rest = &after[len + 1..];
        } else {
            out.push(Piece::Text(&rest[..=open]));
            rest = after;
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// The names a template refers to, for validation.
pub fn placeholders(template: &str) -> Vec<&str> {
    pieces(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Name(n, _) => Some(n),
            Piece::Text(_) => None,
        })
        .collect()
}

/// The name when the whole template is one placeholder (`"{vars.order}"`), so a `context` node
/// can copy a JSON value instead of its text.
pub fn single_placeholder(template: &str) -> Option<&str> {
    match pieces(template.trim()).as_slice() {
        [Piece::Name(n, _)] => Some(n),
        _ => None,
    }
}

pub fn render(template: &str, scope: &Scope<'_>) -> String {
    render_with(template, scope, Escape::None)
}

pub fn render_with(template: &str, scope: &Scope<'_>, escape: Escape) -> String {
    render_pieces(template, scope, escape, None)
}

/// For text people read as a report (the operator's briefing): a value nobody learned shows as
/// `missing` instead of the placeholder's own `{slots.x}`.
pub fn render_for_people(template: &str, scope: &Scope<'_>, missing: &str) -> String {
    render_pieces(template, scope, Escape::None, Some(missing))
}

fn render_pieces(
    template: &str,
    scope: &Scope<'_>,
    escape: Escape,
    missing: Option<&str>,
) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    for piece in pieces(template) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Name(name, written) => match scope.lookup(name) {
                Some(v) => out.push_str(&escaped(&value_text(&v), escape)),
                None => out.push_str(missing.unwrap_or(written)),
            },
        }
    }
    out
}

/// A value as text in a reply or request.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn escaped(s: &str, escape: Escape) -> String {
    match escape {
        Escape::None => s.to_owned(),
        Escape::Url => {
            let mut out = String::with_capacity(s.len());
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        }
        Escape::JsonString => {
            let quoted = Value::from(s).to_string();
            quoted[1..quoted.len() - 1].to_owned()
        }
        Escape::Header => s.replace(['\r', '\n'], " "),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::workflow::expr::tests::{customer, now};

    fn check(template: &str, escape: Escape, expected: &str) {
        let slots: BTreeMap<String, String> = [
            ("order_number".to_owned(), "7157703".to_owned()),
            ("email".to_owned(), "a b/../x?y=\"1\"\n".to_owned()),
        ]
        .into();
        let vars: BTreeMap<String, Value> = [
            ("status".to_owned(), Value::from("в пути")),
            ("n".to_owned(), Value::from(2.5)),
            ("none".to_owned(), Value::Null),
            ("obj".to_owned(), serde_json::json!({"a": [1, true]})),
        ]
        .into();
        let customer = customer();
        let scope = Scope {
            text: "привет",
            channel: "api",
            intent: None,
            confidence: None,
            now: now(),
            slots: &slots,
            vars: &vars,
            customer: &customer,
        };
        assert_eq!(
            render_with(template, &scope, escape),
            expected,
            "{template}"
        );
    }

    #[test]
    fn briefings_show_unknown_values_as_missing() {
        let slots = BTreeMap::new();
        let vars = BTreeMap::new();
        let customer = customer();
        let scope = Scope {
            text: "жалоба",
            channel: "api",
            intent: None,
            confidence: None,
            now: now(),
            slots: &slots,
            vars: &vars,
            customer: &customer,
        };
        let t = "Заказ: {slots.order_number}. Клиент написал: «{text}».";
        assert_eq!(
            render_for_people(t, &scope, "—"),
            "Заказ: —. Клиент написал: «жалоба»."
        );
        // Replies and requests keep the placeholder, so a tester sees what was not filled.
        assert_eq!(
            render(t, &scope),
            "Заказ: {slots.order_number}. Клиент написал: «жалоба»."
        );
    }

    #[test]
    fn rendering() {
        use Escape::*;
        for (template, escape, expected) in [
            (
                "Заказ {slots.order_number}: {vars.status}.",
                None,
                "Заказ 7157703: в пути.",
            ),
            ("{customer.name}, {customer.city}", None, "Анна, Казань"),
            // Unknown names stay visible.
            (
                "{customer.phone} {slots.phone} {vars.nope} {nonsense}",
                None,
                "{customer.phone} {slots.phone} {vars.nope} {nonsense}",
            ),
            (
                "{vars.n}|{vars.none}|{vars.obj}",
                None,
                "2.5||{\"a\":[1,true]}",
            ),
            (
                "{hour}:{minute} {date} {channel} {text}",
                None,
                "14:5 2026-03-10 api привет",
            ),
            // Not placeholders.
            (
                "{} { x } {1a} {vars.status",
                None,
                "{} { x } {1a} {vars.status",
            ),
            ("{{slots.order_number}}", None, "{7157703}"),
            (
                r#"{"order": "{slots.order_number}", "e": "{slots.email}"}"#,
                JsonString,
                r#"{"order": "7157703", "e": "a b/../x?y=\"1\"\n"}"#,
            ),
            (
                "/orders/{slots.email}?o={slots.order_number}",
                Url,
                "/orders/a%20b%2F..%2Fx%3Fy%3D%221%22%0A?o=7157703",
            ),
            (
                "/s/{vars.status}",
                Url,
                "/s/%D0%B2%20%D0%BF%D1%83%D1%82%D0%B8",
            ),
            ("Bearer {slots.email}", Header, "Bearer a b/../x?y=\"1\" "),
        ] {
            check(template, escape, expected);
        }
    }

    #[test]
    fn names_in_templates() {
        assert_eq!(
            placeholders(r#"{"a": "{slots.x}"} {vars.y.z} {bad"#),
            ["slots.x", "vars.y.z"]
        );
        assert_eq!(single_placeholder(" {vars.order} "), Some("vars.order"));
        assert_eq!(single_placeholder("{vars.order}!"), None);
        assert_eq!(single_placeholder("text"), None);
    }
}
