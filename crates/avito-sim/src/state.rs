//! The simulator's world: accounts, listings, chats, messages, tokens, uploads and the fault/log
//! bookkeeping. Plain data behind one mutex (see `sim.rs`); nothing here awaits or renders JSON.

use std::collections::{BTreeMap, HashMap};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rand::Rng as _;
use rand::distributions::Alphanumeric;

use crate::{
    AccountSpec, Fault, FaultKind, ListingSpec, LoggedRequest, MessagesShape, Op, SimMessage,
    WebhookAttempt,
};

/// A2: a deletion is allowed only within an hour of sending.
pub(crate) const DELETE_WINDOW_SECS: i64 = 3600;
/// A4 #9: a voice URL is valid for one hour.
pub(crate) const VOICE_LINK_TTL_MS: i64 = 3_600_000;
/// Author id of system messages and of Avito's own messages in a2u chats (A7.2 \[C\]: 0 or absent).
pub(crate) const AVITO_AUTHOR_ID: i64 = 0;

#[derive(Debug)]
pub(crate) struct State {
    pub accounts: BTreeMap<i64, Account>,
    /// Display names of every user the simulator knows (accounts and customers), for avatars.
    pub user_names: HashMap<i64, String>,
    pub tokens: HashMap<String, AccessToken>,
    /// Refresh token -> account; a refresh token is removed when used (rotation, A2).
    pub refresh_tokens: HashMap<String, i64>,
    /// Authorization codes registered through `Simulator::authorize_code`: code -> (account, used).
    pub codes: HashMap<String, (i64, bool)>,
    pub seq: u64,
    /// Added to the wall clock; moved by `Simulator::advance_clock`.
    pub clock_offset_ms: i64,
    pub faults: Vec<Fault>,
    pub request_log: Vec<LoggedRequest>,
    pub webhook_log: Vec<WebhookAttempt>,
    pub hooks: HookControl,
    pub messages_shape: MessagesShape,
    /// `SimConfig::chats_meta`.
    pub chats_meta: bool,
    pub rate_limit: Option<u32>,
    pub rate_windows: HashMap<i64, RateWindow>,
    pub images: HashMap<String, StoredImage>,
    /// voice_id -> bytes.
    pub voices: HashMap<String, Vec<u8>>,
    /// link token -> (voice_id, expiry in sim-clock milliseconds).
    pub voice_links: HashMap<String, (String, i64)>,
}

#[derive(Debug)]
pub(crate) struct Account {
    pub spec: AccountSpec,
    pub listings: BTreeMap<i64, ListingSpec>,
    /// In creation order.
    pub chats: Vec<Chat>,
    pub subscriptions: Vec<String>,
    pub token_grants: u32,
    pub blacklist: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChatKind {
    U2i,
    U2u,
    A2u,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::U2i => "u2i",
            ChatKind::U2u => "u2u",
            ChatKind::A2u => "a2u",
        }
    }

    pub fn parse(s: &str) -> Option<ChatKind> {
        match s {
            "u2i" => Some(ChatKind::U2i),
            "u2u" => Some(ChatKind::U2u),
            "a2u" => Some(ChatKind::A2u),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Peer {
    pub user_id: i64,
    pub name: String,
}

#[derive(Debug)]
pub(crate) struct Chat {
    pub id: String,
    pub kind: ChatKind,
    pub item_id: Option<i64>,
    pub peer: Peer,
    pub created: i64,
    /// Oldest first.
    pub messages: Vec<Message>,
    pub read_calls: u32,
}

impl Chat {
    /// (updated, seq of the last message): the sort key of the chats list.
    pub fn recency(&self) -> (i64, u64) {
        self.messages
            .last()
            .map_or((self.created, 0), |m| (m.created, m.seq))
    }

    pub fn has_unread(&self, account: i64) -> bool {
        self.messages
            .iter()
            .any(|m| m.author_id != account && !m.is_read)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub id: String,
    pub author_id: i64,
    pub created: i64,
    /// Global creation order, so messages of the same second keep a stable order.
    pub seq: u64,
    pub body: Body,
    /// A5: read by the requesting account (always true for its own messages).
    pub is_read: bool,
    /// A5 `read`: when the recipient read it (\[I\]: the customer for outgoing messages, the account for
    /// incoming ones).
    pub read: Option<i64>,
    pub via_api: bool,
    /// A5 `quote`: the message this one replies to, as it was when the reply was written.
    pub quote: Option<Box<Quoted>>,
}

/// A5 MessageQuote `{id, author_id, created, type, content}`: a snapshot of the quoted message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quoted {
    pub id: String,
    pub author_id: i64,
    pub created: i64,
    pub body: Body,
}

/// A5 `link.preview`: the page's card under a link. Its picture is drawn and served like a
/// customer's image.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Preview {
    pub title: String,
    pub description: String,
    pub image_id: String,
}

/// A message's content; rendered by `wire.rs` with the only key its type allows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    Text(String),
    /// `sizes` lists the size names served for this image.
    Image {
        image_id: String,
        sizes: &'static [&'static str],
    },
    Voice {
        voice_id: String,
    },
    File,
    Video,
    AppCall,
    Location {
        lat: f64,
        lon: f64,
        text: String,
    },
    Link {
        url: String,
        text: String,
        preview: Option<Preview>,
    },
    Call {
        target_user_id: i64,
    },
    Item {
        item_id: i64,
    },
    System {
        text: String,
        flow_id: String,
    },
    Deleted,
}

/// Sizes an uploaded image is offered in (A4 #5).
pub(crate) const UPLOAD_SIZES: &[&str] = &["1280x960", "140x105", "32x32"];
/// Sizes of a customer's picture (A5 MessageContent `image`).
pub(crate) const CUSTOMER_IMAGE_SIZES: &[&str] = &["1280x960", "140x105", "32x32", "640x480"];

impl Body {
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Text(_) => "text",
            Body::Image { .. } => "image",
            Body::Voice { .. } => "voice",
            Body::File => "file",
            Body::Video => "video",
            Body::AppCall => "appCall",
            Body::Location { .. } => "location",
            Body::Link { .. } => "link",
            Body::Call { .. } => "call",
            Body::Item { .. } => "item",
            Body::System { .. } => "system",
            Body::Deleted => "deleted",
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Body::Text(t) | Body::System { text: t, .. } => Some(t),
            _ => None,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct HookControl {
    pub drop: u32,
    pub duplicate: u32,
    pub holding: bool,
    pub held: Vec<crate::webhook::Delivery>,
}

#[derive(Debug)]
pub(crate) struct AccessToken {
    pub account: i64,
    pub expires_at_ms: i64,
}

#[derive(Debug)]
pub(crate) struct RateWindow {
    pub started: Instant,
    pub used: u32,
}

#[derive(Debug)]
pub(crate) struct StoredImage {
    /// The account that uploaded it; `None` for pictures customers sent.
    pub owner: Option<i64>,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Errors of the control operations (the public helpers panic with them, the control API answers 404).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SimError {
    #[error("unknown account {0}")]
    UnknownAccount(i64),
    #[error("unknown chat {0}")]
    UnknownChat(String),
    #[error("message {0} is not in the chat")]
    MessageNotInChat(String),
}

/// Where a new message goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// An existing chat.
    Chat(String),
    /// The chat of this customer (about this item, if any), created on first use.
    Customer { peer: Peer, item_id: Option<i64> },
    /// The account's chat with Avito itself.
    Avito,
}

/// A message just stored, with what webhook delivery needs.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub account: i64,
    pub chat_id: String,
    pub chat_kind: ChatKind,
    pub item_id: Option<i64>,
    pub message: Message,
}

impl State {
    pub fn new(messages_shape: MessagesShape, rate_limit: Option<u32>) -> Self {
        Self {
            accounts: BTreeMap::new(),
            user_names: HashMap::new(),
            tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            codes: HashMap::new(),
            seq: 0,
            clock_offset_ms: 0,
            faults: Vec::new(),
            request_log: Vec::new(),
            webhook_log: Vec::new(),
            hooks: HookControl::default(),
            messages_shape,
            chats_meta: false,
            rate_limit,
            rate_windows: HashMap::new(),
            images: HashMap::new(),
            voices: HashMap::new(),
            voice_links: HashMap::new(),
        }
    }

    /// The simulator's clock in unix milliseconds: the wall clock plus any `advance_clock` offset.
    pub fn now_ms(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        wall + self.clock_offset_ms
    }

    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    pub fn account(&self, id: i64) -> Result<&Account, SimError> {
        self.accounts.get(&id).ok_or(SimError::UnknownAccount(id))
    }

    pub fn account_mut(&mut self, id: i64) -> Result<&mut Account, SimError> {
        self.accounts
            .get_mut(&id)
            .ok_or(SimError::UnknownAccount(id))
    }

    pub fn chat(&self, account: i64, chat_id: &str) -> Result<&Chat, SimError> {
        self.account(account)?
            .chats
            .iter()
            .find(|c| c.id == chat_id)
            .ok_or_else(|| SimError::UnknownChat(chat_id.to_owned()))
    }

    pub fn chat_mut(&mut self, account: i64, chat_id: &str) -> Result<&mut Chat, SimError> {
        self.account_mut(account)?
            .chats
            .iter_mut()
            .find(|c| c.id == chat_id)
            .ok_or_else(|| SimError::UnknownChat(chat_id.to_owned()))
    }

    /// Finds a listing by id in any account (for the item pictures).
    pub fn listing(&self, item_id: i64) -> Option<&ListingSpec> {
        self.accounts
            .values()
            .find_map(|a| a.listings.get(&item_id))
    }

    /// Stores a new message, creating its chat when the target asks for one.
    pub fn post(
        &mut self,
        account_id: i64,
        target: Target,
        author_id: i64,
        body: Body,
        via_api: bool,
    ) -> Result<Stored, SimError> {
        let now = self.now();
        self.seq += 1;
        let seq = self.seq;
        if let Target::Customer { peer, .. } = &target {
            self.user_names.insert(peer.user_id, peer.name.clone());
        }
        let account = self.account_mut(account_id)?;
        if let Target::Customer {
            item_id: Some(item),
            ..
        } = &target
        {
            // A message about an item the test never registered: invent a plausible listing.
            account
                .listings
                .entry(*item)
                .or_insert_with(|| ListingSpec {
                    id: *item,
                    title: format!("Объявление {item}"),
                    price_string: "1 000 ₽".to_owned(),
                    url: format!("https://www.avito.ru/items/{item}"),
                });
        }
        let index = match &target {
            Target::Chat(id) => account
                .chats
                .iter()
                .position(|c| c.id == *id)
                .ok_or_else(|| SimError::UnknownChat(id.clone()))?,
            Target::Customer { peer, item_id } => {
                let kind = if item_id.is_some() {
                    ChatKind::U2i
                } else {
                    ChatKind::U2u
                };
                match account.chats.iter().position(|c| {
                    c.kind == kind && c.peer.user_id == peer.user_id && c.item_id == *item_id
                }) {
                    Some(i) => i,
                    None => {
                        account.chats.push(Chat {
                            id: new_chat_id(kind),
                            kind,
                            item_id: *item_id,
                            peer: peer.clone(),
                            created: now,
                            messages: Vec::new(),
                            read_calls: 0,
                        });
                        account.chats.len() - 1
                    }
                }
            }
            Target::Avito => match account.chats.iter().position(|c| c.kind == ChatKind::A2u) {
                Some(i) => i,
                None => {
                    account.chats.push(Chat {
                        id: new_chat_id(ChatKind::A2u),
                        kind: ChatKind::A2u,
                        item_id: None,
                        peer: Peer {
                            user_id: AVITO_AUTHOR_ID,
                            name: "Авито".to_owned(),
                        },
                        created: now,
                        messages: Vec::new(),
                        read_calls: 0,
                    });
                    account.chats.len() - 1
                }
            },
        };
        let chat = &mut account.chats[index];
        let message = Message {
            id: random_hex(32),
            author_id,
            created: now,
            seq,
            body,
            is_read: author_id == account_id,
            read: None,
            via_api,
            quote: None,
        };
        chat.messages.push(message.clone());
        Ok(Stored {
            account: account_id,
            chat_id: chat.id.clone(),
            chat_kind: chat.kind,
            item_id: chat.item_id,
            message,
        })
    }

    /// Takes the first fault that matches `op`, consuming one of its `times`.
    pub fn take_fault(&mut self, op: Op) -> Option<FaultKind> {
        let index = self
            .faults
            .iter()
            .position(|f| f.times > 0 && (f.op == op || f.op == Op::Any))?;
        let fault = &mut self.faults[index];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }

    /// Counts a request against the account's per-minute window. Returns (limit, remaining, allowed).
    pub fn rate_check(&mut self, account: i64) -> Option<(u32, u32, bool)> {
        let limit = self.rate_limit?;
        let window = self.rate_windows.entry(account).or_insert(RateWindow {
            started: Instant::now(),
            used: 0,
        });
        if window.started.elapsed().as_secs() >= 60 {
            window.started = Instant::now();
            window.used = 0;
        }
        if window.used >= limit {
            return Some((limit, 0, false));
        }
        window.used += 1;
        Some((limit, limit - window.used, true))
    }

    pub fn sim_message(chat_id: &str, m: &Message) -> SimMessage {
        SimMessage {
            id: m.id.clone(),
            chat_id: chat_id.to_owned(),
            author_id: m.author_id,
            created: m.created,
            kind: m.body.kind().to_owned(),
            text: m.body.text().map(str::to_owned),
            via_api: m.via_api,
        }
    }
}

/// `u2i-` plus 22 url-safe base64 characters, like the ids community code shows (A5 \[C\]).
pub(crate) fn new_chat_id(kind: ChatKind) -> String {
    let bytes: [u8; 16] = rand::thread_rng().r#gen();
    format!(
        "{}-{}",
        kind.as_str(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

pub(crate) fn random_hex(len: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(HEX[rng.gen_range(0..16)]))
        .collect()
}

pub(crate) fn random_alnum(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A random version-4 UUID in its usual text form.
pub(crate) fn random_uuid() -> String {
    let h = random_hex(32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// An image id shaped like A4 #5's example `12345.12345abcdefghijklm`.
pub(crate) fn new_image_id() -> String {
    let mut rng = rand::thread_rng();
    let letters: String = (0..13)
        .map(|_| char::from(b'a' + rng.gen_range(0..26u8)))
        .collect();
    format!(
        "{}.{}{}",
        rng.gen_range(10_000..100_000),
        rng.gen_range(10_000..100_000),
        letters
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_documented_shapes() {
        let chat = new_chat_id(ChatKind::U2i);
        assert!(chat.starts_with("u2i-"));
        assert_eq!(chat.len(), 4 + 22);
        let id = random_hex(32);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        let uuid = random_uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.matches('-').count(), 4);
        let image = new_image_id();
        let (a, b) = image.split_once('.').unwrap();
        assert_eq!(a.len(), 5);
        assert_eq!(b.len(), 18);
    }

    #[test]
    fn faults_are_consumed_in_order() {
        let mut s = State::new(MessagesShape::Array, None);
        s.faults.push(Fault {
            op: Op::SendMessage,
            kind: FaultKind::Status(500),
            times: 1,
        });
        s.faults.push(Fault {
            op: Op::Any,
            kind: FaultKind::Status(502),
            times: 2,
        });
        assert_eq!(s.take_fault(Op::GetChats), Some(FaultKind::Status(502)));
        assert_eq!(s.take_fault(Op::SendMessage), Some(FaultKind::Status(500)));
        assert_eq!(s.take_fault(Op::SendMessage), Some(FaultKind::Status(502)));
        assert_eq!(s.take_fault(Op::SendMessage), None);
    }

    #[test]
    fn rate_window_counts_down() {
        let mut s = State::new(MessagesShape::Array, Some(2));
        assert_eq!(s.rate_check(1), Some((2, 1, true)));
        assert_eq!(s.rate_check(1), Some((2, 0, true)));
        assert_eq!(s.rate_check(1), Some((2, 0, false)));
        assert_eq!(s.rate_check(2), Some((2, 1, true)));
    }
}
