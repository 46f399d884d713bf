//! The channels' writes: see [`ChannelStore`](crate::ChannelStore).

use frontline_domain::{Author, DeliveryStatus, Direction, EventKind, ExternalReply, Timestamp};

use super::{NewMessage, WriteTx, apply_lead_change};
use crate::{ExternalRecorded, Result, StoreError};

/// [`ChannelStore::record_external_reply`](crate::ChannelStore::record_external_reply).
pub async fn record_external_reply(
    mut tx: impl WriteTx,
    reply: ExternalReply,
) -> Result<ExternalRecorded> {
    let now = Timestamp::now();
    let mut conv = tx
        .find_conversation(reply.account_id, &reply.external_chat_id)
        .await?
        .ok_or(StoreError::NotFound("conversation"))?;
    // Seen before, or the channel echoing one of our own sends: nothing changes.
    if let Some(message) = tx
        .message_by_external_id(reply.account_id, &reply.external_message_id)
        .await?
    {
        return Ok(ExternalRecorded {
            message,
            handoff: None,
            new_message: false,
        });
    }
    let message = tx
        .insert_message(NewMessage {
            conversation: &conv,
            author: Author::External,
            direction: Direction::Out,
            text: &reply.text,
            attachments: &reply.attachments,
            quote: None,
            link: None,
            external_id: Some(&reply.external_message_id),
            status: DeliveryStatus::Sent,
            created_at: reply.sent_at.unwrap_or(now),
        })
        .await?;
    conv.show_message(&message);
    conv.updated_at = now;
    tx.append_event(
        EventKind::MessageCreated,
        conv.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    // A person has answered: the bot must not talk over them.
    let handoff = match conv.takeover_by(Author::External) {
        Some(change) => Some(apply_lead_change(&mut tx, &mut conv, &change, now).await?),
        None => None,
    };
    tx.save_conversation(&conv).await?;
    tx.append_event(EventKind::ConversationUpdated, conv.id, None, None, now)
        .await?;
    tx.commit().await?;
    Ok(ExternalRecorded {
        message,
        handoff,
        new_message: true,
    })
}
