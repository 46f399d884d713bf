//! Conversations, their messages, lead, assignment and status, and message search.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use base64::Engine;
use frontline_domain::{
    AccountId, Author, ConversationId, ConversationView, HandoffContext, HandoffReason, Lead,
    MessageId, OperatorId, Role, Timestamp,
};
use frontline_store::{AssigneeFilter, ConversationCursor, ConversationFilter, SearchQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    auth::CurrentOperator,
    dto,
    error::{ApiError, ApiJson, ApiPath, ApiQuery},
    routes::parse_id_list,
};

const MAX_PAGE: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `bot` (the «Бот» tab) or `operator`.
    pub lead: Option<dto::Lead>,
    /// `me`, `me_or_unassigned` (the «Мои» tab), `unassigned`, or an operator id.
    pub assignee: Option<String>,
    /// Comma-separated account ids; an empty value shows no accounts.
    pub account_ids: Option<String>,
    pub status: Option<dto::ConversationStatus>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<usize>,
}

fn encode_cursor(c: ConversationCursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{}:{}",
        c.activity.millis(),
        c.id.0
    ))
}

fn decode_cursor(s: &str) -> Result<ConversationCursor, ApiError> {
    let bad = || ApiError::validation("cursor", "not a cursor returned by this API");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (at, id) = raw.split_once(':').ok_or_else(bad)?;
    Ok(ConversationCursor {
        activity: Timestamp(at.parse().map_err(|_| bad())?),
        id: ConversationId(id.parse().map_err(|_| bad())?),
    })
}

fn page_limit(limit: Option<usize>, default: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::validation(
            "limit",
            format!("must be 1 to {MAX_PAGE}"),
        )),
    }
}

/// List conversations, most recently active first.
#[utoipa::path(
    operation_id = "list_conversations",
    get, path = "/api/v1/conversations", tag = "conversations",
    params(ListParams),
    responses((status = 200, body = dto::ConversationPage), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<ApiJson<dto::ConversationPage>, ApiError> {
    let assignee = match p.assignee.as_deref() {
        None | Some("") | Some("any") => AssigneeFilter::Any,
        Some("me") => AssigneeFilter::Is(me.id),
        Some("me_or_unassigned") => AssigneeFilter::IsOrUnassigned(me.id),
        Some("unassigned") => AssigneeFilter::Unassigned,
        Some(other) => AssigneeFilter::Is(OperatorId(other.parse().map_err(|_| {
            ApiError::validation(
                "assignee",
                "use me, me_or_unassigned, unassigned or an operator id",
            )
        })?)),
    };
    let filter = ConversationFilter {
        lead: p.lead.map(Into::into),
        assignee,
        account_ids: p
            .account_ids
            .as_deref()
            .map(|s| parse_id_list(s, "account_ids"))
            .transpose()?
            .map(|ids| ids.into_iter().map(AccountId).collect()),
        status: p.status.map(Into::into),
        cursor: p.cursor.as_deref().map(decode_cursor).transpose()?,
        limit: page_limit(p.limit, 50)?,
    };
    let page = state.store().list_conversations(&filter).await?;
    Ok(ApiJson(dto::ConversationPage {
        items: page.items.iter().map(dto::Conversation::from).collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

/// One conversation, with the briefing of the handoff that gave it to operators.
#[utoipa::path(
    operation_id = "get_conversation",
    get, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = i64, Path)),
    responses((status = 200, body = dto::ConversationDetail), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<dto::ConversationDetail>, ApiError> {
    let view = load(&state, id).await?;
    let briefing = if view.conversation.lead == Lead::Operator {
        state
            .store()
            .handoffs(ConversationId(id))
            .await?
            .iter()
            .rev()
            .find(|h| h.to == Lead::Operator)
            .map(dto::Handoff::from)
    } else {
        None
    };
    Ok(ApiJson(dto::ConversationDetail {
        conversation: (&view).into(),
        briefing,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesParams {
    /// Only messages older than this id (for scrolling up).
    pub before: Option<i64>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<usize>,
}

/// A page of a conversation's history: the newest messages older than `before`, oldest first.
#[utoipa::path(
    get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = i64, Path), MessagesParams),
    responses((status = 200, body = dto::MessagePage), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn messages(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<MessagesParams>,
) -> Result<ApiJson<dto::MessagePage>, ApiError> {
    let limit = page_limit(p.limit, 50)?;
    let store = state.store();
    load(&state, id).await?;
    // One extra row tells whether older messages exist.
    let mut items = store
        .list_messages(ConversationId(id), p.before.map(MessageId), limit + 1)
        .await?;
    let has_more = items.len() > limit;
    if has_more {
        items.remove(0);
    }
    Ok(ApiJson(dto::MessagePage {
        items: items.iter().map(dto::Message::from).collect(),
        has_more,
    }))
}

/// Reply as the current operator. In a bot-led conversation this takes the lead from the bot.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = i64, Path)),
    request_body = dto::SendMessageRequest,
    responses(
        (status = 201, body = dto::SendMessageResponse),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reply(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::SendMessageRequest>,
) -> Result<impl IntoResponse, ApiError> {
    for (i, a) in req.attachments.iter().enumerate() {
        // A file uploaded to frontline (`POST /api/v1/media`) or a public http(s) URL.
        let stored = a
            .url
            .strip_prefix(frontline_channels::avito::MEDIA_PATH)
            .and_then(|id| id.parse::<i64>().ok());
        match stored {
            Some(media) => {
                if state
                    .store()
                    .media(frontline_domain::MediaId(media))
                    .await?
                    .is_none()
                {
                    return Err(ApiError::validation(
                        format!("attachments[{i}].url"),
                        "no such uploaded file",
                    ));
                }
            }
            None if frontline_domain::is_http_url(&a.url) => {}
            None => {
                return Err(ApiError::validation(
                    format!("attachments[{i}].url"),
                    "must be an http(s) URL or an uploaded file's /api/v1/media/{id}",
                ));
            }
        }
    }
    let queued = state
        .lifecycle()
        .reply(
            me.id,
            ConversationId(id),
            &req.text,
            req.attachments.into_iter().map(Into::into).collect(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(dto::SendMessageResponse {
            message: (&queued.message).into(),
            takeover: queued.takeover.as_ref().map(dto::Handoff::from),
        }),
    ))
}

/// Hand the conversation to the bot or to operators («Передать оператору» / «Передать боту»).
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/lead", tag = "conversations",
    params(("id" = i64, Path)),
    request_body = dto::LeadRequest,
    responses(
        (status = 200, description = "The recorded handoff", body = dto::Handoff),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Already led that way", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_lead(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::LeadRequest>,
) -> Result<ApiJson<dto::Handoff>, ApiError> {
    let view = load(&state, id).await?;
    let c = view.conversation;
    let context = HandoffContext {
        intent: c.intent.clone(),
        summary: None,
        slots: c.slots.clone(),
        briefing: req
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
    };
    let handoff = state
        .lifecycle()
        .set_lead(
            Author::Operator(me.id),
            ConversationId(id),
            req.lead.into(),
            HandoffReason::Manual,
            context,
        )
        .await?;
    Ok(ApiJson((&handoff).into()))
}

/// Assign the conversation to an operator, or unassign it. Operators may assign to themselves or
/// unassign themselves; admins may assign anyone.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/assign", tag = "conversations",
    params(("id" = i64, Path)),
    request_body = dto::AssignRequest,
    responses(
        (status = 200, body = dto::Conversation),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn assign(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::AssignRequest>,
) -> Result<ApiJson<dto::Conversation>, ApiError> {
    let target = req.operator_id.map(OperatorId);
    if me.role != Role::Admin {
        let current = load(&state, id).await?.conversation.assignee;
        let allowed = match target {
            Some(t) => t == me.id,
            None => current.is_none_or(|c| c == me.id),
        };
        if !allowed {
            return Err(ApiError::Forbidden);
        }
    }
    state.lifecycle().assign(ConversationId(id), target).await?;
    view(&state, id).await
}

/// Resolve or reopen.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/status", tag = "conversations",
    params(("id" = i64, Path)),
    request_body = dto::StatusRequest,
    responses((status = 200, body = dto::Conversation), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn set_status(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::StatusRequest>,
) -> Result<ApiJson<dto::Conversation>, ApiError> {
    state
        .lifecycle()
        .set_status(ConversationId(id), req.status.into())
        .await?;
    view(&state, id).await
}

/// Mark the conversation read (unread count back to 0).
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/read", tag = "conversations",
    params(("id" = i64, Path)),
    responses((status = 200, body = dto::Conversation), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn mark_read(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<dto::Conversation>, ApiError> {
    state.lifecycle().mark_read(ConversationId(id)).await?;
    let shown = view(&state, id).await?;
    // Tell the channel too (Avito's own unread marks), without making the operator wait for it.
    if let Some(avito) = state.avito().cloned()
        && let Some(v) = state.store().conversation(ConversationId(id)).await?
        && v.account_kind == frontline_domain::AccountKind::Avito
    {
        tokio::spawn(async move {
            if let Err(e) = avito.mark_read(&v).await {
                tracing::debug!(error = %e, "marking the Avito chat read failed");
            }
        });
    }
    Ok(shown)
}

/// Every handoff of the conversation, oldest first.
#[utoipa::path(
    get, path = "/api/v1/conversations/{id}/handoffs", tag = "conversations",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<dto::Handoff>), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn handoffs(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Vec<dto::Handoff>>, ApiError> {
    load(&state, id).await?;
    let hs = state.store().handoffs(ConversationId(id)).await?;
    Ok(ApiJson(hs.iter().map(dto::Handoff::from).collect()))
}

/// Queue a failed outbound message again.
#[utoipa::path(
    post, path = "/api/v1/messages/{id}/retry", tag = "conversations",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = dto::Message),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "The message has not failed", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn retry(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<dto::Message>, ApiError> {
    let m = state.lifecycle().retry_message(MessageId(id)).await?;
    Ok(ApiJson((&m).into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionParams {
    /// 1–200, default 50: the newest ones, returned oldest first.
    pub limit: Option<usize>,
}

/// The bot's recorded decisions in the conversation: action, stage, intent, confidence, articles,
/// latency and a note on how it got there.
#[utoipa::path(
    get, path = "/api/v1/conversations/{id}/decisions", tag = "bot",
    params(("id" = i64, Path), DecisionParams),
    responses((status = 200, body = Vec<dto::Decision>), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn decisions(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<DecisionParams>,
) -> Result<ApiJson<Vec<dto::Decision>>, ApiError> {
    // The store answers not_found for an unknown conversation: no need to load it first.
    let ds = state
        .store()
        .list_decisions(ConversationId(id), page_limit(p.limit, 50)?)
        .await?;
    Ok(ApiJson(ds.iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionCountParams {
    /// Look back this many days, 1–366, default 7.
    pub days: Option<u32>,
}

/// How many messages the bot answered, clarified, handed off… per intent, over the last days.
#[utoipa::path(
    get, path = "/api/v1/analytics/decisions", tag = "bot",
    params(DecisionCountParams),
    responses((status = 200, body = Vec<dto::DecisionCount>), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn decision_counts(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiQuery(p): ApiQuery<DecisionCountParams>,
) -> Result<ApiJson<Vec<dto::DecisionCount>>, ApiError> {
    let days = p.days.unwrap_or(7);
    if !(1..=366).contains(&days) {
        return Err(ApiError::validation("days", "must be 1 to 366"));
    }
    let since = Timestamp::now().minus(std::time::Duration::from_secs(u64::from(days) * 86_400));
    let counts = state.store().decision_counts(since).await?;
    Ok(ApiJson(counts.iter().map(Into::into).collect()))
}

/// The conversation with its surroundings, or `not_found`.
async fn load(state: &AppState, id: i64) -> Result<ConversationView, ApiError> {
    state
        .store()
        .conversation(ConversationId(id))
        .await?
        .ok_or(ApiError::NotFound("conversation"))
}

async fn view(state: &AppState, id: i64) -> Result<ApiJson<dto::Conversation>, ApiError> {
    Ok(ApiJson((&load(state, id).await?).into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find; each must occur (any inflection: `заказ` finds `заказа`).
    pub q: String,
    /// Only conversations currently led by the bot or by an operator.
    pub lead: Option<dto::Lead>,
    /// Comma-separated account ids.
    pub account_ids: Option<String>,
    /// 1–200, default 20.
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// Search message text across all conversations.
#[utoipa::path(
    operation_id = "search_messages",
    get, path = "/api/v1/search", tag = "search",
    params(SearchParams),
    responses((status = 200, body = dto::SearchResponse), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn search(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<ApiJson<dto::SearchResponse>, ApiError> {
    if p.q.chars().count() > 200 {
        return Err(ApiError::validation("q", "must be at most 200 characters"));
    }
    let terms = frontline_text::query_terms(&p.q);
    if terms.is_empty() {
        return Err(ApiError::validation(
            "q",
            "must contain a word to search for",
        ));
    }
    let query = SearchQuery {
        terms: terms.clone(),
        lead: p.lead.map(Into::into),
        account_ids: p
            .account_ids
            .as_deref()
            .map(|s| parse_id_list(s, "account_ids"))
            .transpose()?
            .map(|ids| ids.into_iter().map(AccountId).collect()),
        limit: page_limit(p.limit, 20)?,
        offset: p.offset.unwrap_or(0).min(10_000),
    };
    let results = state.store().search_messages(&query).await?;
    // A page holds at most MAX_PAGE hits, one per conversation: their rows are read one by one.
    let mut hits = Vec::with_capacity(results.hits.len());
    for h in &results.hits {
        let Some(view) = state.store().conversation(h.conversation_id).await? else {
            continue; // deleted between the search and now
        };
        hits.push(dto::SearchHit {
            conversation_id: h.conversation_id.0,
            message_id: h.message_id.0,
            created: dto::rfc3339(h.created_at),
            snippet: frontline_text::highlight(&h.text, &terms, 160),
            conversation: (&view).into(),
        });
    }
    Ok(ApiJson(dto::SearchResponse {
        total_conversations: results.total_conversations,
        hits,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = ConversationCursor {
            activity: Timestamp(1_700_000_000_123),
            id: ConversationId(42),
        };
        assert_eq!(decode_cursor(&encode_cursor(c)).unwrap(), c);
        assert!(decode_cursor("not-a-cursor").is_err());
        assert!(decode_cursor("").is_err());
    }
}
