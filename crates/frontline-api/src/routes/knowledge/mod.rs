//! The knowledge base as the admin console edits it: categories (with counts, in the editor's
//! order), articles (filtered and searched, with their history and restore), imports from JSON,
//! CSV, Markdown and OpenCart shops (each with a dry run that previews it), retrieval as the bot
//! sees it, and the check («Проверить») of what the bot would answer. Admins edit, everyone reads.
//! Every committed change is passed on to the engine's index, so the bot answers from the new text
//! with the next message.
//!
//! - this file: categories and articles, with history and restore;
//! - `imports.rs`: file and OpenCart imports, previewed;
//! - `retrieval.rs`: retrieval as the bot sees it, and the check.

mod imports;
mod retrieval;

pub use imports::*;
pub use retrieval::*;

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use frontline_domain::{KbArticle, KbArticleDraft, KbCategoryDraft, KbWrite};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    auth::{Admin, CurrentOperator},
    dto,
    error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody, ErrorDetail},
};

fn created_or_ok(write: KbWrite) -> StatusCode {
    match write {
        KbWrite::Created => StatusCode::CREATED,
        KbWrite::Updated | KbWrite::Unchanged => StatusCode::OK,
    }
}

/// Every category in the editor's order, with how many articles each holds.
#[utoipa::path(
    get, path = "/api/v1/kb/categories", tag = "knowledge",
    responses((status = 200, body = Vec<dto::KbCategoryListed>)),
    security(("bearer" = []))
)]
pub async fn list_categories(
    State(state): State<AppState>,
    _op: CurrentOperator,
) -> Result<ApiJson<Vec<dto::KbCategoryListed>>, ApiError> {
    let cs = state.store().list_kb_categories().await?;
    let articles = state.store().list_kb_articles(None).await?;
    let count = |key: &str, published_only: bool| {
        articles
            .iter()
            .filter(|a| a.category == key && (a.published || !published_only))
            .count() as u64
    };
    Ok(ApiJson(
        cs.iter()
            .map(|c| dto::KbCategoryListed {
                category: c.into(),
                articles: count(&c.key, false),
                published_articles: count(&c.key, true),
            })
            .collect(),
    ))
}

/// Put the categories in a new order.
#[utoipa::path(
    put, path = "/api/v1/kb/category-order", tag = "knowledge",
    request_body = dto::KbCategoryOrderRequest,
    responses(
        (status = 200, description = "The categories in their new order", body = Vec<dto::KbCategory>),
        (status = 404, description = "A key names no category", body = crate::error::ErrorBody),
        (status = 409, description = "Not every category named exactly once", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reorder_categories(
    State(state): State<AppState>,
    _admin: Admin,
    ApiJson(req): ApiJson<dto::KbCategoryOrderRequest>,
) -> Result<ApiJson<Vec<dto::KbCategory>>, ApiError> {
    let cs = state.admin().reorder_categories(&req.keys).await?;
    Ok(ApiJson(cs.iter().map(Into::into).collect()))
}

/// Create a category or retitle it.
#[utoipa::path(
    put, path = "/api/v1/kb/categories/{key}", tag = "knowledge",
    params(("key" = String, Path, description = "a-z, 0-9, `-`, `_`; up to 64")),
    request_body = dto::KbCategoryRequest,
    responses(
        (status = 201, body = dto::KbCategory),
        (status = 200, body = dto::KbCategory),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_category(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<dto::KbCategoryRequest>,
) -> Result<Response, ApiError> {
    let draft = KbCategoryDraft {
        key,
        title: req.title,
    }
    .cleaned()?;
    let (c, write) = state.admin().put_category(draft).await?;
    Ok((created_or_ok(write), ApiJson(dto::KbCategory::from(&c))).into_response())
}

/// Delete an empty category.
#[utoipa::path(
    delete, path = "/api/v1/kb/categories/{key}", tag = "knowledge",
    params(("key" = String, Path)),
    responses(
        (status = 204),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "`kb_category_not_empty`: the category still has articles; the message says how many", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_category(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(key): ApiPath<String>,
) -> Result<Response, ApiError> {
    match state.admin().delete_category(&key).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(frontline_lifecycle::LifecycleError::Conflict(why)) => {
            // Its own code, so the screen can say "move or delete its N articles first" rather
            // than a generic conflict.
            let body = ErrorBody {
                error: ErrorDetail {
                    code: "kb_category_not_empty".into(),
                    message: why,
                    field: Some("key".into()),
                    problems: None,
                    fields: None,
                },
            };
            Ok((StatusCode::CONFLICT, Json(body)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleFilter {
    /// Only this category's articles.
    pub category: Option<String>,
    /// Only published (`true`) or only unpublished (`false`) articles.
    pub published: Option<bool>,
    /// Only articles with this tag (any case).
    pub tag: Option<String>,
    /// Words that must all occur in the key, title, tags or text, in any form (`доставки` finds
    /// `доставка`); the last may be the start of a word, as while typing.
    pub q: Option<String>,
    /// Only articles whose key starts with this, e.g. `oc-` for those imported from OpenCart.
    pub key_prefix: Option<String>,
    /// 1–1000; all by default.
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// Whether `a` has every term of `terms`; the last may be the start of a word.
fn matches_terms(a: &KbArticle, terms: &[String]) -> bool {
    if terms.is_empty() {
        return true;
    }
    let text = format!("{} {} {} {}", a.key, a.title, a.tags.join(" "), a.body);
    let words: Vec<String> = frontline_text::tokens(&text)
        .into_iter()
        .flat_map(|t| [t.term, frontline_text::normalize(t.text)])
        .collect();
    terms.iter().enumerate().all(|(i, t)| {
        let last = i + 1 == terms.len();
        words
            .iter()
            .any(|w| w == t || (last && w.starts_with(t.as_str())))
    })
}

/// Articles (published or not) by key, filtered and searched as the article list needs.
#[utoipa::path(
    get, path = "/api/v1/kb/articles", tag = "knowledge",
    params(ArticleFilter),
    responses(
        (status = 200, body = dto::KbArticlePage),
        (status = 404, description = "Unknown category", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_articles(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiQuery(f): ApiQuery<ArticleFilter>,
) -> Result<ApiJson<dto::KbArticlePage>, ApiError> {
    let limit = match f.limit {
        None => usize::MAX,
        Some(n) if (1..=1000).contains(&n) => n,
        Some(_) => return Err(ApiError::validation("limit", "must be 1 to 1000")),
    };
    if f.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::validation("q", "at most 200 characters"));
    }
    // Each word of the query as its stem; the last also as typed, for a word not finished yet.
    let mut terms: Vec<String> =
        f.q.as_deref()
            .map(frontline_text::query_terms)
            .unwrap_or_default();
    if let Some(last) = f.q.as_deref().and_then(|q| {
        frontline_text::tokens(q)
            .last()
            .map(|t| frontline_text::normalize(t.text))
    }) && let Some(t) = terms.last_mut()
        && last.len() < t.len()
    {
        *t = last;
    }
    let tag = f.tag.as_deref().map(str::to_lowercase);
    let articles = state
        .store()
        .list_kb_articles(f.category.as_deref())
        .await?;
    let matching: Vec<&KbArticle> = articles
        .iter()
        .filter(|a| f.published.is_none_or(|p| a.published == p))
        .filter(|a| {
            tag.as_deref()
                .is_none_or(|t| a.tags.iter().any(|x| x.to_lowercase() == t))
        })
        .filter(|a| f.key_prefix.as_deref().is_none_or(|p| a.key.starts_with(p)))
        .filter(|a| matches_terms(a, &terms))
        .collect();
    Ok(ApiJson(dto::KbArticlePage {
        total: matching.len() as u64,
        items: matching
            .into_iter()
            .skip(f.offset.unwrap_or(0))
            .take(limit)
            .map(Into::into)
            .collect(),
    }))
}

#[utoipa::path(
    get, path = "/api/v1/kb/articles/{key}", tag = "knowledge",
    params(("key" = String, Path)),
    responses((status = 200, body = dto::KbArticle), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_article(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(key): ApiPath<String>,
) -> Result<ApiJson<dto::KbArticle>, ApiError> {
    let a = state
        .store()
        .kb_article(&key)
        .await?
        .ok_or(ApiError::NotFound("article"))?;
    Ok(ApiJson((&a).into()))
}

/// Create or replace an article; the bot answers from the new text right away.
#[utoipa::path(
    put, path = "/api/v1/kb/articles/{key}", tag = "knowledge",
    params(("key" = String, Path, description = "a-z, 0-9, `-`, `_`; up to 64")),
    request_body = dto::KbArticleRequest,
    responses(
        (status = 201, body = dto::KbArticle),
        (status = 200, body = dto::KbArticle),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, description = "Unknown category", body = crate::error::ErrorBody),
        (status = 409, description = "`kb_article_conflict`: changed by someone else since `version`", body = dto::KbArticleConflict),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_article(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<dto::KbArticleRequest>,
) -> Result<Response, ApiError> {
    let draft = KbArticleDraft {
        key,
        category: req.category,
        title: req.title,
        body: req.body,
        tags: req.tags,
        published: req.published,
    }
    .cleaned()?;
    let key = draft.key.clone();
    match state
        .admin()
        .put_article(draft, admin.id, req.version)
        .await
    {
        Ok((a, write)) => {
            Ok((created_or_ok(write), ApiJson(dto::KbArticle::from(&a))).into_response())
        }
        Err(frontline_lifecycle::LifecycleError::Conflict(why)) => {
            // Theirs as it is now, for the editor to show beside the unsaved edit.
            let current = state.store().kb_article(&key).await?;
            let body = dto::KbArticleConflict {
                error: crate::error::ErrorDetail {
                    code: "kb_article_conflict".into(),
                    message: why,
                    field: Some("version".into()),
                    problems: None,
                    fields: None,
                },
                current: current.as_ref().map(dto::KbArticle::from),
            };
            Ok((StatusCode::CONFLICT, ApiJson(body)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Move several articles into another category at once: all of them or, when a key or the
/// category is unknown, none.
#[utoipa::path(
    post, path = "/api/v1/kb/article-moves", tag = "knowledge",
    request_body = dto::KbMoveRequest,
    responses(
        (status = 200, body = dto::KbMoved),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, description = "An unknown article or category: nothing moved", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn move_articles(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiJson(req): ApiJson<dto::KbMoveRequest>,
) -> Result<ApiJson<dto::KbMoved>, ApiError> {
    if req.keys.is_empty() || req.keys.len() > MAX_MOVED {
        return Err(ApiError::validation(
            "keys",
            format!("name 1 to {MAX_MOVED} articles"),
        ));
    }
    let moved = state
        .admin()
        .move_articles(&req.keys, req.category.trim(), admin.id)
        .await?;
    Ok(ApiJson(dto::KbMoved {
        moved: moved
            .iter()
            .filter(|(_, w)| *w != frontline_domain::KbWrite::Unchanged)
            .count() as u64,
        articles: moved.iter().map(|(a, _)| dto::KbArticle::from(a)).collect(),
    }))
}

/// The most articles one move names.
const MAX_MOVED: usize = 500;

#[utoipa::path(
    delete, path = "/api/v1/kb/articles/{key}", tag = "knowledge",
    params(("key" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn delete_article(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(key): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.admin().delete_article(&key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of an article, newest first: what it said, who changed it, when and how.
#[utoipa::path(
    get, path = "/api/v1/kb/articles/{key}/history", tag = "knowledge",
    params(("key" = String, Path)),
    responses((status = 200, body = Vec<dto::KbRevision>), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn article_history(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(key): ApiPath<String>,
) -> Result<ApiJson<Vec<dto::KbRevision>>, ApiError> {
    let history = state.store().kb_article_history(&key).await?;
    Ok(ApiJson(
        history
            .iter()
            .enumerate()
            .map(|(i, r)| dto::KbRevision::new(r, history.get(i + 1)))
            .collect(),
    ))
}

/// Bring back an earlier version's content as a new version; the bot answers from it at once.
#[utoipa::path(
    post, path = "/api/v1/kb/articles/{key}/restore", tag = "knowledge",
    params(("key" = String, Path)),
    request_body = dto::KbRestoreRequest,
    responses(
        (status = 200, description = "The article now (unchanged when that content is current)", body = dto::KbArticle),
        (status = 404, description = "Unknown article or version, or that version's category is gone", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn restore_article(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<dto::KbRestoreRequest>,
) -> Result<ApiJson<dto::KbArticle>, ApiError> {
    let (a, _) = state
        .admin()
        .restore_article(&key, req.version, admin.id)
        .await?;
    Ok(ApiJson((&a).into()))
}
