//! How each kind of Avito message reads in frontline: text as it is, images and voice through
//! [`super::media`], links, listings, locations and calls as a line of text, and what Avito does not
//! pass through its API (files, videos, app calls) said as such instead of silently dropped (A5).
//! A reply's quoted message and a link's preview card are carried along as they are.

use frontline_domain::{Attachment, AttachmentKind, Direction, LinkPreview, Quote};

use super::{accounts::ReadyAccount, channel::AvitoChannel, inbound::AvitoMessage, wire};

impl AvitoChannel {
    /// Text and attachments of a message. `fetch`: download images and voice into frontline's media
    /// store (voice URLs expire after an hour, A4 #9); otherwise point at Avito's URLs.
    pub(super) async fn render(
        &self,
        acct: &ReadyAccount,
        ev: &AvitoMessage,
        fetch: bool,
    ) -> (String, Vec<Attachment>) {
        let c = &ev.content;
        match ev.kind.as_str() {
            "image" => {
                let Some(url) = c.image.as_ref().and_then(|i| i.largest()) else {
                    return ("[изображение]".into(), Vec::new());
                };
                let attachment = if fetch {
                    self.fetch_into_media(acct, url, AttachmentKind::Image, "image.jpg")
                        .await
                } else {
                    None
                };
                let attachment = attachment.unwrap_or_else(|| Attachment {
                    kind: AttachmentKind::Image,
                    url: url.to_string(),
                    name: None,
                    mime: None,
                    size: None,
                });
                (String::new(), vec![attachment])
            }
            "voice" => {
                let Some(voice) = &c.voice else {
                    return ("[голосовое сообщение]".into(), Vec::new());
                };
                self.render_voice(acct, &voice.voice_id, fetch).await
            }
            other => (text_of(other, c), Vec::new()),
        }
    }
}

/// The text frontline shows for a message of `kind` without fetching anything: what the text-like
/// kinds say, a note in brackets for the rest.
pub(super) fn text_of(kind: &str, c: &wire::Content) -> String {
    match kind {
        "text" | "system" => c.text.clone().unwrap_or_default(),
        "image" => "[изображение]".into(),
        "voice" => "[голосовое сообщение]".into(),
        "link" => {
            let l = c.link.as_ref();
            let text = l.and_then(|l| l.text.as_deref());
            let url = l.and_then(|l| l.url.as_deref());
            // Avito's example sends the same string as text and url (`habr.com`): said once.
            let parts: Vec<&str> = match (text, url) {
                (Some(t), Some(u)) if t == u => vec![u],
                _ => [text, url].into_iter().flatten().collect(),
            };
            parts.join(" ")
        }
        "item" => {
            let i = c.item.as_ref();
            let parts: Vec<&str> = [
                i.and_then(|i| i.title.as_deref()),
                i.and_then(|i| i.price_string.as_deref()),
                i.and_then(|i| i.item_url.as_deref()),
            ]
            .into_iter()
            .flatten()
            .collect();
            format!("[объявление] {}", parts.join(" · "))
        }
        "location" => {
            let l = c.location.as_ref();
            let text = l
                .and_then(|l| l.text.clone().or_else(|| l.title.clone()))
                .unwrap_or_default();
            format!("[геопозиция] {text}").trim().to_string()
        }
        "call" => {
            let status = c
                .call
                .as_ref()
                .and_then(|c| c.status.as_deref())
                .unwrap_or("");
            format!("[звонок {status}]").replace(" ]", "]")
        }
        // The spec says these come with an empty content (A5): the note says what it was. Anything
        // Avito does send for them follows the note, so it is not lost.
        "file" => with_sent("[файл: Авито не передаёт файлы через API]", c),
        "video" => with_sent("[видео: Авито не передаёт видео через API]", c),
        "appCall" => with_sent("[звонок через приложение Авито]", c),
        other => c
            .text
            .clone()
            .unwrap_or_else(|| format!("[сообщение типа {other}]")),
    }
}

/// `note`, then every text the content carries: a `text`, a link's text and URL, and the string
/// values of keys the spec does not list (a file's name and URL, say), in key order.
fn with_sent(note: &str, c: &wire::Content) -> String {
    let mut parts = vec![note.to_owned()];
    parts.extend(c.text.clone());
    if let Some(l) = &c.link {
        parts.extend(l.text.clone());
        parts.extend(l.url.clone());
    }
    for value in c.other.values() {
        strings_in(value, &mut parts);
    }
    parts.retain(|p| !p.trim().is_empty());
    parts.dedup();
    parts.join(" ")
}

fn strings_in(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings_in(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings_in(v, out)),
        _ => {}
    }
}

/// A link's preview card (A5 `link.preview`), when the message is a link that has one.
pub(super) fn link_preview(ev: &AvitoMessage) -> Option<LinkPreview> {
    let link = ev.content.link.as_ref()?;
    let p = link.preview.as_ref()?;
    let url = p.url.clone().or_else(|| link.url.clone())?;
    Some(LinkPreview {
        url,
        domain: p.domain.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        image_url: p
            .images
            .as_ref()
            .and_then(|i| i.largest())
            .map(str::to_owned),
    })
}

/// The quoted message of a reply as frontline shows it; `account` is the Avito user id of the
/// account, whose own messages are the `Out` side.
pub(super) fn quote_of(q: &wire::Quote, account: i64) -> Quote {
    let kind = q.kind.as_deref().unwrap_or("text");
    Quote {
        external_id: q.id.clone(),
        direction: if q.author_id == Some(account) {
            Direction::Out
        } else {
            Direction::In
        },
        text: text_of(kind, &q.content.clone().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(json: &str) -> wire::Content {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn unsupported_kinds_keep_their_note_and_whatever_came_with_them() {
        for (kind, json, expected) in [
            ("file", "{}", "[файл: Авито не передаёт файлы через API]"),
            ("video", "{}", "[видео: Авито не передаёт видео через API]"),
            ("appCall", "{}", "[звонок через приложение Авито]"),
            (
                "file",
                r#"{"file":{"name":"счёт.pdf","url":"https://avito.st/f/1"}}"#,
                "[файл: Авито не передаёт файлы через API] счёт.pdf https://avito.st/f/1",
            ),
            (
                "video",
                r#"{"text":"смотрите"}"#,
                "[видео: Авито не передаёт видео через API] смотрите",
            ),
        ] {
            assert_eq!(text_of(kind, &content(json)), expected, "{kind} {json}");
        }
    }

    #[test]
    fn a_quote_reads_like_the_message_it_quotes() {
        let q: wire::Quote = serde_json::from_str(
            r#"{"id":"m1","author_id":42,"created":1,"type":"link",
                "content":{"link":{"text":"habr.com","url":"habr.com"}}}"#,
        )
        .unwrap();
        let quote = quote_of(&q, 42);
        assert_eq!(quote.direction, Direction::Out);
        assert_eq!(quote.text, "habr.com");
        assert_eq!(quote_of(&q, 7).direction, Direction::In);
    }
}
