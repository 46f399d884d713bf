//! [`Simulator`]: the handle tests and the demo hold. It owns the state, serves the HTTP surface, and
//! offers the scenario controls ("a customer writes", "a human answers in the Avito app", faults) and
//! the inspection helpers (what was sent, read, delivered, requested).

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::runtime::Handle;

use crate::state::{
    AVITO_AUTHOR_ID, Account, Body, CUSTOMER_IMAGE_SIZES, Peer, SimError, State, Stored, Target,
    new_image_id, random_uuid,
};
use crate::webhook::Delivery;
use crate::wire::Render;
use crate::{
    AccountSpec, Content, CustomerSpec, Fault, ListingSpec, LoggedRequest, MessagesShape, Posted,
    SimConfig, SimMessage, WebhookAttempt,
};

/// A running (or mountable) simulator. Cheap to clone: every clone shares one world.
#[derive(Clone)]
pub struct Simulator {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: SimConfig,
    pub state: Mutex<State>,
    pub base_url: RwLock<String>,
    /// Webhook deliveries and probes; never through a proxy, the receivers are local.
    pub http: reqwest::Client,
    /// The runtime to spawn deliveries on when a control call comes from outside one.
    pub runtime: Mutex<Option<Handle>>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Simulator {
    pub fn new(config: SimConfig) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let mut state = State::new(config.messages_shape, config.rate_limit_per_minute);
        state.chats_meta = config.chats_meta;
        Simulator {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(state),
                base_url: RwLock::new(String::new()),
                http,
                runtime: Mutex::new(Handle::try_current().ok()),
            }),
        }
    }

    /// The HTTP surface (Avito's paths, the static assets and the `/_sim/` control API), to mount in
    /// another server. Call [`Simulator::set_base_url`] so returned URLs point at where it is mounted.
    pub fn router(&self) -> axum::Router {
        crate::api::router(self.clone())
    }

    /// Binds `127.0.0.1:0`, serves in a background task, and returns with [`Simulator::base_url`] set.
    pub async fn spawn(config: SimConfig) -> std::io::Result<Simulator> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let sim = Simulator::new(config);
        sim.set_base_url(&format!("http://{}", listener.local_addr()?));
        let server = sim.clone();
        tokio::spawn(async move {
            if let Err(error) = server.serve(listener, std::future::pending()).await {
                tracing::error!(%error, "avito simulator stopped");
            }
        });
        Ok(sim)
    }

    /// Serves on `listener` until `shutdown` completes; sets the base URL from the listener's address.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            // Bound to every interface: URLs handed to clients and browsers use the loopback address.
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        self.set_base_url(&format!("http://{addr}"));
        *lock(&self.inner.runtime) = Some(Handle::current());
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// `http://127.0.0.1:PORT`, or whatever [`Simulator::set_base_url`] set; empty until then.
    pub fn base_url(&self) -> String {
        self.inner
            .base_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The absolute URL prefix that image, avatar and voice URLs are built on (no trailing slash).
    pub fn set_base_url(&self, url: &str) {
        *self
            .inner
            .base_url
            .write()
            .unwrap_or_else(|e| e.into_inner()) = url.trim_end_matches('/').to_owned();
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.inner.state)
    }

    pub(crate) fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    // ---- world setup ----

    /// Adds an account (or updates its credentials and name, keeping its chats).
    pub fn add_account(&self, spec: AccountSpec) {
        let mut state = self.state();
        state.user_names.insert(spec.user_id, spec.name.clone());
        match state.accounts.get_mut(&spec.user_id) {
            Some(account) => account.spec = spec,
            None => {
                state.accounts.insert(
                    spec.user_id,
                    Account {
                        spec,
                        listings: Default::default(),
                        chats: Vec::new(),
                        subscriptions: Vec::new(),
                        token_grants: 0,
                        blacklist: Vec::new(),
                    },
                );
            }
        }
    }

    /// Adds a listing to an account. Panics on an unknown account.
    pub fn add_listing(&self, account_user_id: i64, spec: ListingSpec) {
        let mut state = self.state();
        let account = state
            .account_mut(account_user_id)
            .unwrap_or_else(|e| panic!("{e}"));
        account.listings.insert(spec.id, spec);
    }

    /// Registers an authorization code for the `authorization_code` grant. A registered code works once;
    /// any other non-empty code of a known client is accepted too (there is no consent screen to pass).
    pub fn authorize_code(&self, account_user_id: i64, code: &str) {
        self.state()
            .codes
            .insert(code.to_owned(), (account_user_id, false));
    }

    // ---- scenario controls; each new message is delivered to the account's webhooks ----

    /// A customer writes text; creates the chat (u2i with an item, u2u without) on the first message.
    pub fn customer_writes(
        &self,
        account_user_id: i64,
        customer: &CustomerSpec,
        item_id: Option<i64>,
        text: &str,
    ) -> Posted {
        self.customer_sends(
            account_user_id,
            customer,
            item_id,
            Content::Text(text.to_owned()),
        )
    }

    /// A customer sends any kind of content. Panics on an unknown account.
    pub fn customer_sends(
        &self,
        account_user_id: i64,
        customer: &CustomerSpec,
        item_id: Option<i64>,
        content: Content,
    ) -> Posted {
        self.try_customer_sends(account_user_id, customer, item_id, content)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) fn try_customer_sends(
        &self,
        account_user_id: i64,
        customer: &CustomerSpec,
        item_id: Option<i64>,
        content: Content,
    ) -> Result<Posted, SimError> {
        let target = Target::Customer {
            peer: Peer {
                user_id: customer.user_id,
                name: customer.name.clone(),
            },
            item_id,
        };
        self.commit_with(account_user_id, target, customer.user_id, false, |state| {
            body_from_content(state, content, account_user_id)
        })
        .map(posted)
    }

    /// The customer of an existing chat answers with text quoting one of the chat's messages (A5
    /// `quote`). Panics on an unknown account, chat or message.
    pub fn customer_replies(
        &self,
        account_user_id: i64,
        chat_id: &str,
        quoted_id: &str,
        text: &str,
    ) -> Posted {
        self.try_customer_replies(account_user_id, chat_id, quoted_id, text)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) fn try_customer_replies(
        &self,
        account_user_id: i64,
        chat_id: &str,
        quoted_id: &str,
        text: &str,
    ) -> Result<Posted, SimError> {
        let (stored, deliveries) = {
            let mut state = self.state();
            let chat = state.chat(account_user_id, chat_id)?;
            let author = chat.peer.user_id;
            let quoted = chat
                .messages
                .iter()
                .find(|m| m.id == quoted_id)
                .ok_or_else(|| SimError::MessageNotInChat(quoted_id.to_owned()))?;
            let quote = Box::new(crate::state::Quoted {
                id: quoted.id.clone(),
                author_id: quoted.author_id,
                created: quoted.created,
                body: quoted.body.clone(),
            });
            let mut stored = state.post(
                account_user_id,
                Target::Chat(chat_id.to_owned()),
                author,
                Body::Text(text.to_owned()),
                false,
            )?;
            if let Some(m) = state
                .chat_mut(account_user_id, chat_id)?
                .messages
                .last_mut()
            {
                m.quote = Some(quote.clone());
            }
            stored.message.quote = Some(quote);
            let deliveries = self.deliveries_for(&mut state, &stored);
            (stored, deliveries)
        };
        self.launch(deliveries);
        Ok(posted(stored))
    }

    /// A system message (`type: system`, `author_id` 0, `content.flow_id`, A7.2) in an existing chat.
    pub fn system_message(
        &self,
        account_user_id: i64,
        chat_id: &str,
        text: &str,
        flow_id: &str,
    ) -> Posted {
        self.try_system_message(account_user_id, chat_id, text, flow_id)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) fn try_system_message(
        &self,
        account_user_id: i64,
        chat_id: &str,
        text: &str,
        flow_id: &str,
    ) -> Result<Posted, SimError> {
        let body = Body::System {
            text: text.to_owned(),
            flow_id: flow_id.to_owned(),
        };
        self.commit(
            account_user_id,
            Target::Chat(chat_id.to_owned()),
            AVITO_AUTHOR_ID,
            body,
            false,
        )
        .map(posted)
    }

    /// Avito itself writes to the account: an `a2u` chat, author 0 (\[I\]: the author of such messages is
    /// undocumented).
    pub fn avito_writes(&self, account_user_id: i64, text: &str) -> Posted {
        self.commit(
            account_user_id,
            Target::Avito,
            AVITO_AUTHOR_ID,
            Body::Text(text.to_owned()),
            false,
        )
        .map(posted)
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A human answers from the Avito app: authored by the account, echoed by webhook with an id no API
    /// send returned (A7.1's handover signal).
    pub fn app_reply(&self, account_user_id: i64, chat_id: &str, text: &str) -> Posted {
        self.try_app_reply(account_user_id, chat_id, text)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) fn try_app_reply(
        &self,
        account_user_id: i64,
        chat_id: &str,
        text: &str,
    ) -> Result<Posted, SimError> {
        self.commit(
            account_user_id,
            Target::Chat(chat_id.to_owned()),
            account_user_id,
            Body::Text(text.to_owned()),
            false,
        )
        .map(posted)
    }

    /// The customer deletes one of their messages: it becomes `type: deleted` and, \[I\], a `deleted`
    /// event with the same id is delivered (checklist item 4: "inject deleted events on demand").
    /// Returns false when there is no such message.
    pub fn customer_deletes(&self, account_user_id: i64, chat_id: &str, message_id: &str) -> bool {
        let deliveries = {
            let mut state = self.state();
            let Ok(chat) = state.chat_mut(account_user_id, chat_id) else {
                return false;
            };
            let (kind, item_id) = (chat.kind, chat.item_id);
            let Some(message) = chat.messages.iter_mut().find(|m| m.id == message_id) else {
                return false;
            };
            message.body = Body::Deleted;
            let stored = Stored {
                account: account_user_id,
                chat_id: chat_id.to_owned(),
                chat_kind: kind,
                item_id,
                message: message.clone(),
            };
            self.deliveries_for(&mut state, &stored)
        };
        self.launch(deliveries);
        true
    }

    /// The customer reads the chat: the account's messages get their `read` timestamp.
    pub fn customer_reads(&self, account_user_id: i64, chat_id: &str) {
        let mut state = self.state();
        let now = state.now();
        let chat = state
            .chat_mut(account_user_id, chat_id)
            .unwrap_or_else(|e| panic!("{e}"));
        for m in &mut chat.messages {
            if m.author_id == account_user_id && m.read.is_none() {
                m.read = Some(now);
            }
        }
    }

    // ---- inspection ----

    /// The chat's messages, oldest first. Empty for an unknown chat.
    pub fn messages(&self, account_user_id: i64, chat_id: &str) -> Vec<SimMessage> {
        let state = self.state();
        state
            .chat(account_user_id, chat_id)
            .map(|chat| {
                chat.messages
                    .iter()
                    .map(|m| State::sim_message(&chat.id, m))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Messages created by the send endpoints (#4, #6), oldest first, across the account's chats.
    pub fn sent_via_api(&self, account_user_id: i64) -> Vec<SimMessage> {
        let state = self.state();
        let Ok(account) = state.account(account_user_id) else {
            return Vec::new();
        };
        let mut sent: Vec<(u64, SimMessage)> = account
            .chats
            .iter()
            .flat_map(|chat| {
                chat.messages
                    .iter()
                    .filter(|m| m.via_api)
                    .map(|m| (m.seq, State::sim_message(&chat.id, m)))
            })
            .collect();
        sent.sort_by_key(|(seq, _)| *seq);
        sent.into_iter().map(|(_, m)| m).collect()
    }

    /// The account's chat ids in creation order.
    pub fn chats(&self, account_user_id: i64) -> Vec<String> {
        let state = self.state();
        state
            .account(account_user_id)
            .map(|a| a.chats.iter().map(|c| c.id.clone()).collect())
            .unwrap_or_default()
    }

    /// How many times `/read` was called for the chat.
    pub fn read_calls(&self, account_user_id: i64, chat_id: &str) -> u32 {
        self.state()
            .chat(account_user_id, chat_id)
            .map_or(0, |c| c.read_calls)
    }

    /// The account's subscribed webhook URLs.
    pub fn subscriptions(&self, account_user_id: i64) -> Vec<String> {
        self.state()
            .account(account_user_id)
            .map(|a| a.subscriptions.clone())
            .unwrap_or_default()
    }

    /// User ids the account blacklisted (#10).
    pub fn blacklisted(&self, account_user_id: i64) -> Vec<i64> {
        self.state()
            .account(account_user_id)
            .map(|a| a.blacklist.clone())
            .unwrap_or_default()
    }

    pub fn webhook_log(&self) -> Vec<WebhookAttempt> {
        self.state().webhook_log.clone()
    }

    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.state().request_log.clone()
    }

    /// Successful `/token` calls of the account.
    pub fn token_grants(&self, account_user_id: i64) -> u32 {
        self.state()
            .account(account_user_id)
            .map_or(0, |a| a.token_grants)
    }

    // ---- faults and knobs ----

    /// Every token issued so far to the account answers 403 from now on (A2: expiry means 403).
    pub fn expire_tokens(&self, account_user_id: i64) {
        let mut state = self.state();
        for token in state.tokens.values_mut() {
            if token.account == account_user_id {
                token.expires_at_ms = i64::MIN;
            }
        }
    }

    /// Moves the simulator's clock forward: tokens expire, the one-hour delete window and voice links
    /// lapse, and new messages are stamped with the moved clock.
    pub fn advance_clock(&self, by: Duration) {
        self.state().clock_offset_ms += i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
    }

    pub fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            self.state().faults.push(fault);
        }
    }

    /// Removes injected request faults and pending webhook drop/duplicate counts (held deliveries stay
    /// held until [`Simulator::release_webhooks`]).
    pub fn clear_faults(&self) {
        let mut state = self.state();
        state.faults.clear();
        state.hooks.drop = 0;
        state.hooks.duplicate = 0;
    }

    /// The next `n` deliveries are dropped: the message exists in the API but never arrives.
    pub fn drop_webhooks(&self, n: u32) {
        self.state().hooks.drop += n;
    }

    /// The next `n` deliveries are delivered twice.
    pub fn duplicate_webhooks(&self, n: u32) {
        self.state().hooks.duplicate += n;
    }

    /// Queue deliveries instead of sending them, until [`Simulator::release_webhooks`].
    pub fn hold_webhooks(&self) {
        self.state().hooks.holding = true;
    }

    /// Stops holding and sends the queued deliveries one after another, in reverse order if asked.
    pub fn release_webhooks(&self, reverse: bool) {
        let mut held = {
            let mut state = self.state();
            state.hooks.holding = false;
            std::mem::take(&mut state.hooks.held)
        };
        if reverse {
            held.reverse();
        }
        self.launch_sequential(held);
    }

    /// How many deliveries are held.
    pub fn held_webhooks(&self) -> usize {
        self.state().hooks.held.len()
    }

    pub fn set_messages_shape(&self, shape: MessagesShape) {
        self.state().messages_shape = shape;
    }

    /// Whether getChatsV2 adds `meta.has_more` ([`SimConfig::chats_meta`]).
    pub fn set_chats_meta(&self, on: bool) {
        self.state().chats_meta = on;
    }

    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        let mut state = self.state();
        state.rate_limit = per_minute;
        state.rate_windows.clear();
    }

    // ---- internals shared with the handlers ----

    /// Stores a message and launches its webhook deliveries.
    pub(crate) fn commit(
        &self,
        account: i64,
        target: Target,
        author: i64,
        body: Body,
        via_api: bool,
    ) -> Result<Stored, SimError> {
        self.commit_with(account, target, author, via_api, |_| body)
    }

    fn commit_with(
        &self,
        account: i64,
        target: Target,
        author: i64,
        via_api: bool,
        body: impl FnOnce(&mut State) -> Body,
    ) -> Result<Stored, SimError> {
        let (stored, deliveries) = {
            let mut state = self.state();
            state.account(account)?;
            let body = body(&mut state);
            let stored = state.post(account, target, author, body, via_api)?;
            let deliveries = self.deliveries_for(&mut state, &stored);
            (stored, deliveries)
        };
        self.launch(deliveries);
        Ok(stored)
    }

    /// Builds the deliveries of a stored message and applies the drop/duplicate/hold controls; returns
    /// what should be sent now.
    fn deliveries_for(&self, state: &mut State, stored: &Stored) -> Vec<Delivery> {
        let urls = state
            .account(stored.account)
            .map(|a| a.subscriptions.clone())
            .unwrap_or_default();
        if urls.is_empty() {
            return Vec::new();
        }
        let base = self.base_url();
        let value = Render { state, base: &base }.webhook_value(stored);
        let timestamp = state.now();
        let mut now = Vec::new();
        for url in urls {
            let body = serde_json::json!({
                "id": random_uuid(),
                "version": "v3.0.0",
                "timestamp": timestamp,
                "payload": {"type": "message", "value": value},
            });
            let mut delivery = Delivery {
                url,
                message_id: stored.message.id.clone(),
                body,
                copies: 1,
            };
            let hooks = &mut state.hooks;
            if hooks.drop > 0 {
                hooks.drop -= 1;
                tracing::info!(url = %delivery.url, message_id = %delivery.message_id, "webhook delivery dropped by fault");
                state.webhook_log.push(WebhookAttempt {
                    url: delivery.url,
                    message_id: Some(delivery.message_id),
                    status: None,
                    error: Some("dropped by fault".to_owned()),
                });
                continue;
            }
            if hooks.duplicate > 0 {
                hooks.duplicate -= 1;
                delivery.copies = 2;
            }
            if hooks.holding {
                hooks.held.push(delivery);
            } else {
                now.push(delivery);
            }
        }
        now
    }

    pub(crate) fn runtime(&self) -> Option<Handle> {
        Handle::try_current()
            .ok()
            .or_else(|| lock(&self.inner.runtime).clone())
    }
}

fn posted(stored: Stored) -> Posted {
    Posted {
        chat_id: stored.chat_id,
        message_id: stored.message.id,
    }
}

/// Turns a customer's content into a stored body, keeping the bytes the simulator will serve.
fn body_from_content(state: &mut State, content: Content, account: i64) -> Body {
    match content {
        Content::Text(text) => Body::Text(text),
        Content::Image => Body::Image {
            image_id: drawn_image(state),
            sizes: CUSTOMER_IMAGE_SIZES,
        },
        Content::Voice(bytes) => {
            let voice_id = random_uuid();
            state.voices.insert(voice_id.clone(), bytes);
            Body::Voice { voice_id }
        }
        Content::File => Body::File,
        Content::Video => Body::Video,
        Content::AppCall => Body::AppCall,
        Content::Location { lat, lon, text } => Body::Location { lat, lon, text },
        Content::Link { url, text, preview } => Body::Link {
            url,
            text,
            preview: preview.map(|p| crate::state::Preview {
                title: p.title,
                description: p.description,
                image_id: drawn_image(state),
            }),
        },
        Content::Call => Body::Call {
            target_user_id: account,
        },
        Content::Item(item_id) => Body::Item { item_id },
    }
}

/// A picture drawn and served under a new image id (customers' images, link previews).
fn drawn_image(state: &mut State) -> String {
    let image_id = new_image_id();
    let svg = crate::assets::photo_svg(&image_id);
    state.images.insert(
        image_id.clone(),
        crate::state::StoredImage {
            owner: None,
            content_type: "image/svg+xml",
            bytes: svg.into_bytes(),
        },
    );
    image_id
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
