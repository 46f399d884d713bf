//! Messages authored by the account itself. Avito echoes every send back, and the echo can
//! overtake the send's own answer, so an echo is first matched to a part frontline is sending (its
//! Avito id recorded, so the part is never sent again). An echo nobody here sent is a person
//! answering in Avito's own app: the message is recorded and that person takes the lead.

use std::collections::HashSet;

use frontline_domain::{
    Author, DeliveryStatus, Direction, ExternalReply, HandoffContext, HandoffReason, Lead,
    Timestamp,
};
use frontline_lifecycle::LifecycleError;
use frontline_store::{ImportedMessage, StoreError};
use tracing::info;

use super::{
    accounts::ReadyAccount,
    channel::{AvitoChannel, ServiceError, bump},
    chats::chat_customer,
    inbound::{AvitoMessage, Handled, created_at},
    media::image_attachments,
    split::{MAX_CHARS, split_text},
};

impl AvitoChannel {
    /// A message authored by the account itself: either one frontline is sending (its Avito id may
    /// not be recorded yet — the echo can overtake the send's answer), or a person answering in the
    /// Avito app, who thereby takes the conversation.
    pub(super) async fn handle_echo(
        &self,
        acct: &ReadyAccount,
        ev: &AvitoMessage,
    ) -> Result<Handled, ServiceError> {
        let store = self.store();
        let conversation = store
            .conversation_by_external_chat(acct.id(), &ev.chat_id)
            .await?;
        if let Some(view) = &conversation {
            let recent = store.list_messages(view.conversation.id, None, 50).await?;
            // Oldest first: the outbox sends a conversation's messages in order, so the oldest
            // queued one is the send in flight (two identical queued texts go to the right one).
            for m in recent.iter() {
                if m.direction != Direction::Out
                    || m.status != DeliveryStatus::Queued
                    || m.author == Author::External
                {
                    continue;
                }
                let recorded: HashSet<i32> = store
                    .external_sends(m.id)
                    .await?
                    .into_iter()
                    .map(|(part, _)| part)
                    .collect();
                let parts = split_text(&m.text, MAX_CHARS);
                let slot = match ev.kind.as_str() {
                    "text" => {
                        let text = ev.content.text.as_deref().unwrap_or_default().trim();
                        parts
                            .iter()
                            .position(|p| p == text)
                            .filter(|i| !recorded.contains(&(*i as i32)))
                    }
                    "image" => (0..image_attachments(&m.attachments).count())
                        .map(|k| parts.len() + k)
                        .find(|i| !recorded.contains(&(*i as i32))),
                    _ => None,
                };
                if let Some(part) = slot {
                    match store.record_external_send(m.id, part as i32, &ev.id).await {
                        Ok(()) | Err(StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    bump(&self.0.stats.echoes_ours);
                    return Ok(Handled::OwnEcho);
                }
            }
        }
        let (text, attachments) = self.render(acct, ev, true).await;
        bump(&self.0.stats.external_replies);
        if conversation.is_some() {
            let recorded = store
                .record_external_reply(ExternalReply {
                    account_id: acct.id(),
                    external_chat_id: ev.chat_id.clone(),
                    external_message_id: ev.id.clone(),
                    text,
                    attachments,
                    sent_at: created_at(ev.created),
                })
                .await?;
            if recorded.new_message {
                info!(account = acct.id().0, chat = %ev.chat_id, lead_changed = recorded.handoff.is_some(), "a person answered in the Avito app");
                self.0.lifecycle.signals().events.notify_one();
            }
            return Ok(Handled::ExternalReply);
        }
        // A chat that starts with the seller's message: create it, led by whoever wrote.
        let info = self.chat_info(acct, &ev.chat_id).await;
        let peer = chat_customer(&info, ev);
        store
            .import_messages(vec![ImportedMessage {
                account_id: acct.id(),
                external_chat_id: ev.chat_id.clone(),
                external_message_id: ev.id.clone(),
                customer: peer,
                listing: info.listing.clone(),
                author: Author::External,
                text,
                attachments,
                quote: ev
                    .quote
                    .as_ref()
                    .map(|q| super::content::quote_of(q, acct.user_id())),
                link: super::content::link_preview(ev),
                sent_at: created_at(ev.created).unwrap_or_else(Timestamp::now),
            }])
            .await?;
        if let Some(view) = store
            .conversation_by_external_chat(acct.id(), &ev.chat_id)
            .await?
            && view.conversation.lead == Lead::Bot
        {
            match self
                .0
                .lifecycle
                .set_lead(
                    Author::External,
                    view.conversation.id,
                    Lead::Operator,
                    HandoffReason::ExternalReply,
                    HandoffContext::default(),
                )
                .await
            {
                Ok(_) | Err(LifecycleError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.0.lifecycle.signals().events.notify_one();
        Ok(Handled::ExternalReply)
    }
}
