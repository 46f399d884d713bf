//! Sending for the outbox: frontline's messages as Avito messages (texts over 1000 characters in
//! parts, images uploaded first), and read marks. No part is ever sent twice: each part's Avito id
//! is recorded as soon as it is known, and an attempt after one whose outcome is unknown first
//! looks for the part in the chat (reconciliation) before sending it again.

use std::collections::BTreeMap;

use async_trait::async_trait;
use frontline_domain::{
    Attachment, AttachmentKind, Author, ConversationView, MediaId, MessageId, Timestamp,
};
use frontline_lifecycle::{ChannelSender, Delivery, SendError, Sent};
use frontline_store::{Store, StoreError};
use tracing::{debug, info};

use super::{
    accounts::ReadyAccount,
    activity::Work,
    channel::{AvitoChannel, ServiceError, bump},
    client::AvitoError,
    media::{MEDIA_PATH, image_attachments},
    split::{MAX_CHARS, split_text},
    wire,
};

impl AvitoChannel {
    /// Tell Avito the chat was read (an operator opened it, or the bot answered).
    pub async fn mark_read(&self, conversation: &ConversationView) -> Result<(), ServiceError> {
        let acct = self
            .ready_account(conversation.conversation.account_id)
            .await?;
        self.0
            .client
            .mark_read(&acct.auth, &conversation.conversation.external_chat_id)
            .await?;
        Ok(())
    }

    async fn deliver(&self, d: &Delivery) -> Result<Sent, SendError> {
        let acct = self
            .ready_account(d.account.id)
            .await
            .map_err(|e| SendError::Permanent {
                reason: format!("avito account unusable: {e}"),
            })?;
        let store = self.store();
        let chat_id = &d.conversation.conversation.external_chat_id;
        let m = &d.message;
        let parts = split_text(&m.text, MAX_CHARS);
        let images: Vec<&Attachment> = image_attachments(&m.attachments).collect();
        let unsupported = m
            .attachments
            .iter()
            .filter(|a| a.kind != AttachmentKind::Image)
            .count();
        if unsupported > 0 {
            // Sending the text without the file would look delivered while the customer never
            // gets the file: say so instead.
            return Err(SendError::Permanent {
                reason: "Avito accepts only text and images: send the file another way".into(),
            });
        }
        if parts.is_empty() && images.is_empty() {
            return Err(SendError::Permanent {
                reason: "nothing to send".into(),
            });
        }
        let mut done: BTreeMap<i32, String> = store
            .external_sends(m.id)
            .await
            .map_err(storage_retry)?
            .into_iter()
            .collect();
        // An earlier attempt may have reached Avito without us recording it (crash, lost answer):
        // look at the chat before sending anything again.
        let mut reconcile = if d.attempt > 1 {
            Some(
                self.unclaimed_out_messages(&acct, chat_id, m.created_at)
                    .await?,
            )
        } else {
            None
        };
        let total = parts.len() + images.len();
        for index in 0..total {
            let part = index as i32;
            if done.contains_key(&part) {
                continue;
            }
            let text = parts.get(index);
            if let Some(candidates) = reconcile.as_mut() {
                let found = candidates.iter().position(|c| match text {
                    Some(t) => {
                        c.kind.as_deref() == Some("text")
                            && c.content
                                .as_ref()
                                .and_then(|x| x.text.as_deref())
                                .map(str::trim)
                                == Some(t.as_str())
                    }
                    None => c.kind.as_deref() == Some("image"),
                });
                if let Some(i) = found {
                    let c = candidates.remove(i);
                    record_part_id(&**store, m.id, part, &c.id).await?;
                    bump(&self.0.stats.sends_reconciled);
                    info!(message = m.id.0, part, avito_id = %c.id, "earlier send found in the chat; not sending again");
                    done.insert(part, c.id);
                    continue;
                }
            }
            let sent = match text {
                Some(t) => self.0.client.send_text(&acct.auth, chat_id, t).await,
                None => {
                    let attachment = images[index - parts.len()];
                    self.send_image(&acct, chat_id, attachment).await
                }
            }
            .map_err(send_error)?;
            record_part_id(&**store, m.id, part, &sent.id).await?;
            done.insert(part, sent.id);
        }
        if m.author == Author::Bot {
            // The bot has read what it answered.
            if let Err(e) = self.0.client.mark_read(&acct.auth, chat_id).await {
                debug!(error = %e, "marking the chat read failed");
            }
        }
        Ok(Sent {
            external_id: done.into_values().next(),
        })
    }

    /// The account's outgoing messages in the chat, newest 100, created since `since` (minus a
    /// minute of clock skew), that frontline has not attributed to any message.
    async fn unclaimed_out_messages(
        &self,
        acct: &ReadyAccount,
        chat_id: &str,
        since: Timestamp,
    ) -> Result<Vec<wire::Message>, SendError> {
        let listed = self
            .0
            .client
            .messages(&acct.auth, chat_id, 100, 0)
            .await
            .map_err(send_error)?;
        let since = since.millis() / 1000 - 60;
        let mut out = Vec::new();
        for m in listed.into_iter().rev() {
            if m.author_id != Some(acct.user_id()) || m.created.unwrap_or(0) < since {
                continue;
            }
            let known = self
                .store()
                .message_by_external_id(acct.id(), &m.id)
                .await
                .map_err(storage_retry)?;
            if known.is_none() {
                out.push(m);
            }
        }
        Ok(out)
    }

    async fn send_image(
        &self,
        acct: &ReadyAccount,
        chat_id: &str,
        attachment: &Attachment,
    ) -> Result<wire::Sent, AvitoError> {
        let (bytes, mime, name) = match attachment
            .url
            .strip_prefix(MEDIA_PATH)
            .and_then(|id| id.parse::<i64>().ok())
        {
            Some(id) => {
                let media = self
                    .store()
                    .media(MediaId(id))
                    .await
                    .map_err(|e| AvitoError::Transport(format!("reading the image: {e}")))?
                    .ok_or_else(|| AvitoError::Decode("the image is no longer stored".into()))?;
                (media.bytes, media.mime, media.name)
            }
            None => {
                let (bytes, mime) = self
                    .0
                    .client
                    .fetch_media(&acct.auth, &attachment.url)
                    .await?;
                (bytes, mime.unwrap_or_else(|| "image/jpeg".into()), None)
            }
        };
        let name = attachment
            .name
            .clone()
            .or(name)
            .unwrap_or_else(|| "image.jpg".into());
        let image_id = self
            .0
            .client
            .upload_image(&acct.auth, bytes, &name, &mime)
            .await?;
        self.0
            .client
            .send_image(&acct.auth, chat_id, &image_id)
            .await
    }
}

#[async_trait]
impl ChannelSender for AvitoChannel {
    async fn deliver(&self, delivery: &Delivery) -> Result<Sent, SendError> {
        let sent = self.deliver(delivery).await;
        if let Err(e) = &sent {
            self.0
                .activity
                .error(delivery.account.id, Work::Send, &e.to_string());
        }
        sent
    }
}

async fn record_part_id(
    store: &dyn Store,
    message: MessageId,
    part: i32,
    avito_id: &str,
) -> Result<(), SendError> {
    match store.record_external_send(message, part, avito_id).await {
        Ok(()) => Ok(()),
        // Already recorded for this part (the echo got there first): fine.
        Err(StoreError::Conflict(why)) => {
            let existing = store.external_sends(message).await.map_err(storage_retry)?;
            if existing.iter().any(|(p, id)| *p == part && id == avito_id) {
                Ok(())
            } else {
                Err(SendError::Permanent {
                    reason: format!("Avito message {avito_id} is recorded elsewhere: {why}"),
                })
            }
        }
        Err(e) => Err(storage_retry(e)),
    }
}

fn send_error(e: AvitoError) -> SendError {
    if e.is_retryable() {
        SendError::Retryable {
            retry_after: e.retry_after(),
            reason: e.to_string(),
        }
    } else {
        SendError::Permanent {
            reason: e.to_string(),
        }
    }
}

fn storage_retry(e: StoreError) -> SendError {
    SendError::Retryable {
        reason: format!("storage: {e}"),
        retry_after: None,
    }
}
