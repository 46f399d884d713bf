//! What the bot finds for a question: retrieval's fragments, and the check («Проверить») of the
//! answer the production cascade would give, optionally as if a draft article were saved.

use std::sync::Arc;

use axum::extract::State;
use frontline_domain::{
    AccountId, AccountKind, Author, Conversation, ConversationId, ConversationStatus,
    ConversationView, Customer, CustomerId, DeliveryStatus, Direction, KbArticle, KbArticleDraft,
    Lead, Message, MessageId, Slots, Timestamp,
};
use frontline_engine::bot::Knowledge;
use frontline_lifecycle::{Bot, BotDecision, BotInput};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    auth::CurrentOperator,
    dto,
    error::{ApiError, ApiJson, ApiQuery},
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KbSearchParams {
    /// The question, as a customer would write it.
    pub q: String,
    pub category: Option<String>,
    /// 1–20, default 5.
    pub limit: Option<usize>,
}

/// Retrieve passages as the bot does (published articles only), with their confidence.
#[utoipa::path(
    operation_id = "search_knowledge",
    get, path = "/api/v1/kb/search", tag = "knowledge",
    params(KbSearchParams),
    responses((status = 200, body = Vec<dto::KbFragment>), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn search(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiQuery(p): ApiQuery<KbSearchParams>,
) -> Result<ApiJson<Vec<dto::KbFragment>>, ApiError> {
    if p.q.trim().is_empty() || p.q.chars().count() > 500 {
        return Err(ApiError::validation("q", "must be 1 to 500 characters"));
    }
    let limit = match p.limit {
        None => 5,
        Some(n) if (1..=20).contains(&n) => n,
        Some(_) => return Err(ApiError::validation("limit", "must be 1 to 20")),
    };
    let hits = state
        .knowledge()
        .search(&p.q, limit, p.category.as_deref())
        .map_err(ApiError::internal)?;
    Ok(ApiJson(
        hits.into_iter()
            .map(|f| dto::KbFragment {
                article_key: f.article_id,
                category: f.category,
                title: f.title,
                text: f.text,
                score: f.score,
                confidence: f.confidence,
            })
            .collect(),
    ))
}

/// The question as the first message of a fresh conversation on no channel in particular, with no
/// workflow: what the bot's cascade decides for a new customer.
fn check_input(question: &str) -> BotInput {
    let now = Timestamp::now();
    let (account_id, customer_id, conversation_id) =
        (AccountId(0), CustomerId(0), ConversationId(0));
    let message = Message {
        id: MessageId(0),
        conversation_id,
        account_id,
        direction: Direction::In,
        author: Author::Customer,
        text: question.to_owned(),
        attachments: Vec::new(),
        quote: None,
        link: None,
        external_id: None,
        status: DeliveryStatus::Delivered,
        error: None,
        created_at: now,
    };
    BotInput {
        conversation: ConversationView {
            conversation: Conversation {
                id: conversation_id,
                account_id,
                customer_id,
                external_chat_id: "kb-check".into(),
                listing: None,
                lead: Lead::Bot,
                assignee: None,
                status: ConversationStatus::Open,
                intent: None,
                slots: Slots::default(),
                unread_count: 1,
                last_message: None,
                created_at: now,
                updated_at: now,
            },
            customer: Customer {
                id: customer_id,
                account_id,
                external_id: "kb-check".into(),
                name: None,
                avatar_url: None,
                phone: None,
                created_at: now,
            },
            account_name: "kb-check".into(),
            account_kind: AccountKind::Api,
            assignee_name: None,
        },
        history: vec![message.clone()],
        message,
        recent_decisions: Vec::new(),
        workflow: None,
    }
}

/// «Проверить»: what retrieval finds for a customer's question (fragments, scores, confidences,
/// the articles they come from) and what the bot would answer — decided by the production cascade,
/// optionally as if an unsaved draft article were saved. Nothing is stored.
#[utoipa::path(
    post, path = "/api/v1/kb/check", tag = "knowledge",
    request_body = dto::KbCheckRequest,
    responses(
        (status = 200, body = dto::KbCheckResult),
        (status = 403, description = "A `draft` from someone who is not an admin (drafts are the editor's)", body = crate::error::ErrorBody),
        (status = 422, description = "An empty or long question, or an invalid draft (`field` is `draft.<field>`)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn check(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiJson(req): ApiJson<dto::KbCheckRequest>,
) -> Result<ApiJson<dto::KbCheckResult>, ApiError> {
    // Checking a draft re-indexes every article: it is the editor's (admins'), not everyone's.
    if req.draft.is_some() && me.role != frontline_domain::Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let question = req.question.trim();
    if question.is_empty() || question.chars().count() > 500 {
        return Err(ApiError::validation(
            "question",
            "must be 1 to 500 characters",
        ));
    }
    let (knowledge, draft_key) = match req.draft {
        None => (state.knowledge().clone(), None),
        Some(d) => {
            let draft = KbArticleDraft {
                key: d.key,
                category: d.category,
                title: d.title,
                body: d.body,
                tags: d.tags,
                published: d.published,
            }
            .cleaned()
            .map_err(|e| ApiError::validation(format!("draft.{}", e.what), e.why))?;
            let mut articles = state.store().list_kb_articles(None).await?;
            articles.retain(|a| a.key != draft.key);
            let now = Timestamp::now();
            articles.push(KbArticle {
                key: draft.key.clone(),
                category: draft.category,
                title: draft.title,
                body: draft.body,
                tags: draft.tags,
                published: draft.published,
                version: 0,
                created_at: now,
                updated_at: now,
            });
            // Ranked as production ranks: with the sentence encoder when the server has one.
            let encoder = state.knowledge().encoder();
            let index =
                tokio::task::spawn_blocking(move || Knowledge::with_encoder(&articles, encoder))
                    .await
                    .map_err(ApiError::internal)?
                    .map_err(ApiError::internal)?;
            (Arc::new(index), Some(draft.key))
        }
    };
    let settings = state.engine().map(|e| e.config().config.knowledge.clone());
    let top_k = settings.as_ref().map_or(5, |k| k.top_k);
    let hits = knowledge
        .search(question, top_k, req.category.as_deref())
        .map_err(ApiError::internal)?;
    let answer = match state.engine() {
        None => None,
        Some(engine) => {
            let bot = match &draft_key {
                Some(_) => engine.with_knowledge(knowledge.clone()),
                None => (*engine).clone(),
            };
            let outcome = bot.decide(check_input(question)).await;
            let (text, handoff_reason) = match outcome.decision {
                BotDecision::Reply { text, .. } => (Some(text), None),
                BotDecision::Handoff {
                    reason, farewell, ..
                } => (farewell, Some(reason.into())),
                BotDecision::Ignore => (None, None),
            };
            let t = outcome.trace;
            Some(dto::KbCheckAnswer {
                action: t.action.as_str().to_owned(),
                stage: t.stage.map(|s| s.as_str().to_owned()),
                text,
                intent: t.intent,
                confidence: t.confidence,
                article_ids: t.article_ids,
                handoff_reason,
                note: t.note,
            })
        }
    };
    let cited = |key: &str| {
        answer
            .as_ref()
            .is_some_and(|a| a.article_ids.iter().any(|k| k == key))
    };
    let fragments = hits
        .into_iter()
        .map(|f| dto::KbCheckFragment {
            draft: draft_key.as_deref() == Some(f.article_id.as_str()),
            used: cited(&f.article_id),
            fragment: dto::KbFragment {
                article_key: f.article_id,
                category: f.category,
                title: f.title,
                text: f.text,
                score: f.score,
                confidence: f.confidence,
            },
        })
        .collect();
    Ok(ApiJson(dto::KbCheckResult {
        fragments,
        answer,
        answer_threshold: settings.as_ref().map(|k| k.answer_threshold),
        direct_threshold: settings.as_ref().map(|k| k.direct_threshold),
    }))
}
