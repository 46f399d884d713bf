//! The knowledge base: categories and articles (admins edit, everyone reads), imports from JSON, CSV
//! and Markdown, and retrieval as the bot sees it. Every committed change is passed on to the
//! engine's index, so the bot answers from the new text with the next message.

use axum::{
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use frontline_domain::{KbArticleDraft, KbCategoryDraft, KbImport, KbWrite};
use frontline_engine::bot::knowledge::to_import;
use frontline_engine::kb::{self, KnowledgeBase};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    auth::{Admin, CurrentOperator},
    dto,
    error::{ApiError, ApiJson, ApiPath, ApiQuery},
};

fn created_or_ok(write: KbWrite) -> StatusCode {
    match write {
        KbWrite::Created => StatusCode::CREATED,
        KbWrite::Updated | KbWrite::Unchanged => StatusCode::OK,
    }
}

#[utoipa::path(
    get, path = "/api/v1/kb/categories", tag = "knowledge",
    responses((status = 200, body = Vec<dto::KbCategory>)),
    security(("bearer" = []))
)]
pub async fn list_categories(
    State(state): State<AppState>,
    _op: CurrentOperator,
) -> Result<ApiJson<Vec<dto::KbCategory>>, ApiError> {
    let cs = state.store().list_kb_categories().await?;
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
        (status = 409, description = "The category still has articles", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_category(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(key): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.admin().delete_category(&key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleFilter {
    /// Only this category's articles.
    pub category: Option<String>,
}

/// Every article (published or not), by key.
#[utoipa::path(
    get, path = "/api/v1/kb/articles", tag = "knowledge",
    params(ArticleFilter),
    responses((status = 200, body = Vec<dto::KbArticle>), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_articles(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiQuery(f): ApiQuery<ArticleFilter>,
) -> Result<ApiJson<Vec<dto::KbArticle>>, ApiError> {
    let articles = state
        .store()
        .list_kb_articles(f.category.as_deref())
        .await?;
    Ok(ApiJson(articles.iter().map(Into::into).collect()))
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
    let (a, write) = state.admin().put_article(draft, admin.id).await?;
    Ok((created_or_ok(write), ApiJson(dto::KbArticle::from(&a))).into_response())
}

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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `json` (`{"categories": [...], "articles": [...]}`), `csv` (columns `id`, `category`,
    /// `title`, `body`, optional `tags` separated by `;`) or `markdown` (`# Title` per article).
    pub format: String,
    /// The category of every article of a Markdown file.
    pub category: Option<String>,
}

/// Import articles (and, from JSON, categories) in one transaction: all or nothing.
///
/// Existing articles with the same keys are updated; unchanged ones are left alone. CSV and
/// Markdown articles must name categories that exist.
#[utoipa::path(
    post, path = "/api/v1/kb/import", tag = "knowledge",
    params(ImportParams),
    request_body(content = String, description = "The file's text (UTF-8)", content_type = "text/plain"),
    responses(
        (status = 200, body = dto::KbImportStats),
        (status = 403, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody),
        (status = 422, description = "The file cannot be read, or names unknown categories", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: Bytes,
) -> Result<ApiJson<dto::KbImportStats>, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::validation("body", "the file is not UTF-8 text"))?;
    let invalid = |e: kb::ImportError| ApiError::validation("body", e.to_string());
    let parsed = match p.format.as_str() {
        "json" => kb::import_json(text).map_err(invalid)?,
        "csv" => KnowledgeBase {
            categories: Vec::new(),
            articles: kb::import_csv(text.as_bytes()).map_err(invalid)?,
        },
        "markdown" => {
            let category = p.category.as_deref().ok_or_else(|| {
                ApiError::validation("category", "a Markdown import needs `category`")
            })?;
            KnowledgeBase {
                categories: Vec::new(),
                articles: kb::import_markdown(text, category).map_err(invalid)?,
            }
        }
        other => {
            return Err(ApiError::validation(
                "format",
                format!("unknown format `{other}`: use json, csv or markdown"),
            ));
        }
    };
    let raw = to_import(&parsed);
    let mut import = KbImport::default();
    for (i, c) in raw.categories.into_iter().enumerate() {
        import.categories.push(c.cleaned().map_err(|e| {
            ApiError::validation("body", format!("category {} ({}): {e}", i + 1, e.what))
        })?);
    }
    for (i, a) in raw.articles.into_iter().enumerate() {
        let key = a.key.clone();
        import.articles.push(a.cleaned().map_err(|e| {
            ApiError::validation("body", format!("article {} `{key}`: {e}", i + 1))
        })?);
    }
    // Name the unknown categories instead of failing on the first one inside the transaction.
    let stored = state.store().list_kb_categories().await?;
    let mut unknown: Vec<&str> = import
        .articles
        .iter()
        .map(|a| a.category.as_str())
        .filter(|c| {
            !stored.iter().any(|s| s.key == *c) && !import.categories.iter().any(|n| n.key == *c)
        })
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        return Err(ApiError::validation(
            "body",
            format!("unknown categories: {}", unknown.join(", ")),
        ));
    }
    let stats = state.admin().import_knowledge(import, admin.id).await?;
    Ok(ApiJson(stats.into()))
}

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
