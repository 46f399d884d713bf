//! How each kind of Avito message reads in frontline: text as it is, images and voice through
//! [`super::media`], links, listings, locations and calls as a line of text, and what Avito does not
//! pass through its API (files, videos) said as such instead of silently dropped (A5).

use frontline_domain::{Attachment, AttachmentKind};

use super::{accounts::ReadyAccount, channel::AvitoChannel, inbound::AvitoMessage};

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
            "text" | "system" => (c.text.clone().unwrap_or_default(), Vec::new()),
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
            "link" => {
                let l = c.link.as_ref();
                let parts: Vec<&str> = [
                    l.and_then(|l| l.text.as_deref()),
                    l.and_then(|l| l.url.as_deref()),
                ]
                .into_iter()
                .flatten()
                .collect();
                (parts.join(" "), Vec::new())
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
                (format!("[объявление] {}", parts.join(" · ")), Vec::new())
            }
            "location" => {
                let l = c.location.as_ref();
                let text = l
                    .and_then(|l| l.text.clone().or_else(|| l.title.clone()))
                    .unwrap_or_default();
                (
                    format!("[геопозиция] {text}").trim().to_string(),
                    Vec::new(),
                )
            }
            "call" => {
                let status = c
                    .call
                    .as_ref()
                    .and_then(|c| c.status.as_deref())
                    .unwrap_or("");
                (format!("[звонок {status}]").replace(" ]", "]"), Vec::new())
            }
            // Avito does not give their content through the API (A5): shown as such.
            "file" => (
                "[файл: Авито не передаёт файлы через API]".into(),
                Vec::new(),
            ),
            "video" => (
                "[видео: Авито не передаёт видео через API]".into(),
                Vec::new(),
            ),
            "appCall" => ("[звонок через приложение Авито]".into(), Vec::new()),
            other => (
                c.text
                    .clone()
                    .unwrap_or_else(|| format!("[сообщение типа {other}]")),
                Vec::new(),
            ),
        }
    }
}
