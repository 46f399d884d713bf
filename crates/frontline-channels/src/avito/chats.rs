//! Who the customer is and what the chat is about: Avito's chat details (the other participant,
//! their name and avatar, the listing) turned into the conversation's customer and listing, and
//! cached for `context_ttl` so a busy chat does not ask Avito on every message.

use std::time::Instant;

use frontline_domain::{AccountId, CustomerProfile, Listing};
use tracing::warn;

use super::{accounts::ReadyAccount, channel::AvitoChannel, inbound::AvitoMessage, wire};

/// Who the customer is and what the chat is about, from `GET …/chats/{chat_id}` (A4 #2).
#[derive(Debug, Clone, Default)]
pub(super) struct ChatInfo {
    /// Avito's id of the other participant: the customer.
    pub(super) peer_id: Option<i64>,
    pub(super) customer_name: Option<String>,
    pub(super) customer_avatar: Option<String>,
    pub(super) listing: Option<Listing>,
}

impl AvitoChannel {
    /// The chat's customer and listing, cached for `context_ttl`. When Avito cannot be asked, the
    /// message goes on with ids only (and the next message tries again).
    pub(super) async fn chat_info(&self, acct: &ReadyAccount, chat_id: &str) -> ChatInfo {
        let key = (acct.id(), chat_id.to_string());
        if let Some((at, info)) = self.0.contexts.lock().expect("poisoned").get(&key)
            && at.elapsed() < self.0.settings.context_ttl
        {
            return info.clone();
        }
        match self.0.client.chat(&acct.auth, chat_id).await {
            Ok(chat) => {
                let info = chat_info_of(&chat, acct.user_id());
                self.cache_chat_info(acct.id(), chat_id, info.clone());
                info
            }
            Err(e) => {
                warn!(account = acct.id().0, chat = chat_id, error = %e, "chat details unavailable");
                ChatInfo::default()
            }
        }
    }

    pub(super) fn cache_chat_info(&self, account: AccountId, chat_id: &str, info: ChatInfo) {
        let mut contexts = self.0.contexts.lock().expect("poisoned");
        if contexts.len() > 50_000 {
            let ttl = self.0.settings.context_ttl;
            contexts.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        contexts.insert((account, chat_id.to_string()), (Instant::now(), info));
    }
}

pub(super) fn chat_info_of(chat: &wire::Chat, own_user_id: i64) -> ChatInfo {
    let peer = chat.users.iter().find(|u| u.id != own_user_id);
    let avatar = peer
        .and_then(|u| u.public_user_profile.as_ref())
        .and_then(|p| p.avatar.as_ref())
        .and_then(|a| {
            a.images
                .as_ref()
                .and_then(|i| i.get("128x128").or_else(|| i.values().last()).cloned())
                .or_else(|| a.default.clone())
        });
    let listing = chat
        .context
        .as_ref()
        .filter(|c| c.kind.as_deref().unwrap_or("item") == "item")
        .and_then(|c| c.value.as_ref())
        .and_then(|v| {
            Some(Listing {
                external_id: v.id?.to_string(),
                title: v.title.clone(),
                price: v.price_string.clone(),
                url: v.url.clone(),
                image_url: v
                    .images
                    .as_ref()
                    .and_then(|i| i.main.as_ref())
                    .and_then(|m| m.get("140x105").or_else(|| m.values().next()).cloned()),
            })
        });
    ChatInfo {
        peer_id: peer.map(|u| u.id),
        customer_name: peer.and_then(|u| u.name.clone()),
        customer_avatar: avatar,
        listing,
    }
}

/// The customer of a customer-authored message.
pub(super) fn customer_profile(
    ev: &AvitoMessage,
    acct: &ReadyAccount,
    info: &ChatInfo,
) -> CustomerProfile {
    let id = match ev.author_id {
        Some(a) if a != 0 && a != acct.user_id() => a.to_string(),
        _ => return chat_customer(info, ev),
    };
    CustomerProfile {
        external_id: id,
        name: info.customer_name.clone(),
        avatar_url: info.customer_avatar.clone(),
        phone: None,
    }
}

/// The customer of a chat when the message at hand is the seller's own.
/// Avito's id of the other participant; when the chat could not be fetched, the chat itself stands
/// for the customer.
pub(super) fn chat_customer(info: &ChatInfo, ev: &AvitoMessage) -> CustomerProfile {
    CustomerProfile {
        external_id: info
            .peer_id
            .map(|id| id.to_string())
            .unwrap_or_else(|| format!("chat:{}", ev.chat_id)),
        name: info.customer_name.clone(),
        avatar_url: info.customer_avatar.clone(),
        phone: None,
    }
}
