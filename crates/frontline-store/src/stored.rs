//! The JSON shapes the backends keep in text/JSON columns: attachments, slots, string lists and
//! integration headers. Defined once here so that both backends store byte-identical shapes, and
//! private to storage: the domain has no serde on purpose, so changing a domain type cannot silently
//! change stored data (changing a shape here needs a migration in both backends).

use std::collections::BTreeMap;

use frontline_domain::{Attachment, AttachmentKind, Direction, LinkPreview, Quote, Slots};
use serde::{Deserialize, Serialize};

use crate::{Result, StoreError};

/// One attachment as stored in a message's `attachments` array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAttachment {
    kind: String,
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<i64>,
}

fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::backend(e)
}

/// The stored form of `attachments`, for backends that bind JSON values.
pub fn stored_attachments(attachments: &[Attachment]) -> Vec<StoredAttachment> {
    attachments
        .iter()
        .map(|a| StoredAttachment {
            kind: a.kind.as_str().to_owned(),
            url: a.url.clone(),
            name: a.name.clone(),
            mime: a.mime.clone(),
            size: a.size,
        })
        .collect()
}

/// Back from the stored form; an unknown kind means the data is corrupt.
pub fn attachments_from_stored(stored: Vec<StoredAttachment>) -> Result<Vec<Attachment>> {
    stored
        .into_iter()
        .map(|a| {
            Ok(Attachment {
                kind: AttachmentKind::parse(&a.kind).map_err(corrupt)?,
                url: a.url,
                name: a.name,
                mime: a.mime,
                size: a.size,
            })
        })
        .collect()
}

pub fn attachments_to_json(attachments: &[Attachment]) -> Result<String> {
    serde_json::to_string(&stored_attachments(attachments)).map_err(corrupt)
}

pub fn attachments_from_json(s: &str) -> Result<Vec<Attachment>> {
    attachments_from_stored(serde_json::from_str(s).map_err(corrupt)?)
}

/// A message's `quote` column: the quoted message as the channel showed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredQuote {
    external_id: String,
    direction: String,
    text: String,
}

pub fn quote_to_json(quote: Option<&Quote>) -> Result<Option<String>> {
    quote
        .map(|q| {
            serde_json::to_string(&StoredQuote {
                external_id: q.external_id.clone(),
                direction: q.direction.as_str().to_owned(),
                text: q.text.clone(),
            })
            .map_err(corrupt)
        })
        .transpose()
}

pub fn quote_from_json(s: Option<&str>) -> Result<Option<Quote>> {
    s.map(|s| {
        let q: StoredQuote = serde_json::from_str(s).map_err(corrupt)?;
        Ok(Quote {
            external_id: q.external_id,
            direction: Direction::parse(&q.direction).map_err(corrupt)?,
            text: q.text,
        })
    })
    .transpose()
}

/// A message's `link_preview` column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredLinkPreview {
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image_url: Option<String>,
}

pub fn link_to_json(link: Option<&LinkPreview>) -> Result<Option<String>> {
    link.map(|l| {
        serde_json::to_string(&StoredLinkPreview {
            url: l.url.clone(),
            domain: l.domain.clone(),
            title: l.title.clone(),
            description: l.description.clone(),
            image_url: l.image_url.clone(),
        })
        .map_err(corrupt)
    })
    .transpose()
}

pub fn link_from_json(s: Option<&str>) -> Result<Option<LinkPreview>> {
    s.map(|s| {
        let l: StoredLinkPreview = serde_json::from_str(s).map_err(corrupt)?;
        Ok(LinkPreview {
            url: l.url,
            domain: l.domain,
            title: l.title,
            description: l.description,
            image_url: l.image_url,
        })
    })
    .transpose()
}

/// Slots are a string map; a JSON object keeps them readable from a database shell.
pub fn slots_to_json(slots: &Slots) -> Result<String> {
    serde_json::to_string(slots).map_err(corrupt)
}

pub fn slots_from_json(s: &str) -> Result<Slots> {
    serde_json::from_str(s).map_err(corrupt)
}

/// Article tags and cited article keys: a JSON array keeps their order in one column.
pub fn strings_to_json(list: &[String]) -> Result<String> {
    serde_json::to_string(list).map_err(corrupt)
}

pub fn strings_from_json(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(corrupt)
}

/// An integration's headers: a JSON object of name to value.
pub fn headers_to_json(headers: &BTreeMap<String, String>) -> Result<String> {
    serde_json::to_string(headers).map_err(corrupt)
}

pub fn headers_from_json(s: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(s).map_err(corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_round_trip() {
        let list = vec![
            Attachment {
                kind: AttachmentKind::Image,
                url: "https://x/y.png".into(),
                name: Some("y.png".into()),
                mime: Some("image/png".into()),
                size: Some(42),
            },
            Attachment {
                kind: AttachmentKind::Voice,
                url: "u".into(),
                name: None,
                mime: None,
                size: None,
            },
        ];
        let json = attachments_to_json(&list).unwrap();
        assert_eq!(
            json,
            r#"[{"kind":"image","url":"https://x/y.png","name":"y.png","mime":"image/png","size":42},{"kind":"voice","url":"u"}]"#
        );
        assert_eq!(attachments_from_json(&json).unwrap(), list);
        assert!(attachments_from_json(r#"[{"kind":"hologram","url":"u"}]"#).is_err());
    }

    #[test]
    fn string_lists_keep_their_order() {
        let list = vec!["курьер".to_string(), "Доставка".into(), "a \"b\"".into()];
        let json = strings_to_json(&list).unwrap();
        assert_eq!(strings_from_json(&json).unwrap(), list);
        assert_eq!(strings_from_json("[]").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn slots_and_headers_round_trip() {
        let slots = Slots::from([
            ("order_number".into(), "123".into()),
            ("город".into(), "Тверь".into()),
        ]);
        assert_eq!(
            slots_from_json(&slots_to_json(&slots).unwrap()).unwrap(),
            slots
        );
        let headers = BTreeMap::from([("X-Key".to_string(), "s3cret".to_string())]);
        assert_eq!(
            headers_from_json(&headers_to_json(&headers).unwrap()).unwrap(),
            headers
        );
    }
}
