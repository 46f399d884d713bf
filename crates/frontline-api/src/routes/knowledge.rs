//! The knowledge base as the admin console edits it: categories (with counts, in the editor's
//! order), articles (filtered and searched, with their history and restore), imports from JSON,
//! CSV, Markdown and OpenCart shops (each with a dry run that previews it), retrieval as the bot
//! sees it, and the check («Проверить») of what the bot would answer. Admins edit, everyone reads.
//! Every committed change is passed on to the engine's index, so the bot answers from the new text
//! with the next message.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use frontline_domain::{
    AccountId, AccountKind, Author, Conversation, ConversationId, ConversationStatus,
    ConversationView, Customer, CustomerId, DeliveryStatus, Direction, KbArticle, KbArticleDraft,
    KbCategoryDraft, KbImport, KbImportStats, KbWrite, Lead, Message, MessageId, Slots, Timestamp,
};
use frontline_engine::bot::Knowledge;
use frontline_engine::bot::knowledge::to_import;
use frontline_engine::kb::{self, FileFormat};
use frontline_import_opencart as opencart;
use frontline_lifecycle::{Bot, BotDecision, BotInput};
use serde::Deserialize;
use tracing::info;
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
        Err(frontline_lifecycle::LifecycleError::Store(frontline_store::StoreError::Conflict(
            why,
        ))) => {
            // Its own code, so the screen can say "move or delete its N articles first" rather
            // than a generic conflict.
            let body = ErrorBody {
                error: ErrorDetail {
                    code: "kb_category_not_empty".into(),
                    message: why,
                    field: Some("key".into()),
                    problems: None,
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `json` (`{"categories": [...], "articles": [...]}`), `csv` (columns `id`, `category`,
    /// `title`, `body`, optional `tags` separated by `;`) or `markdown` (`# Title` per article).
    pub format: String,
    /// The category of every article of a Markdown file.
    pub category: Option<String>,
    /// Only say what would happen: nothing is written.
    #[serde(default)]
    pub dry_run: bool,
}

/// The stats an import plan amounts to.
fn planned_stats(plan: &frontline_domain::KbImportPlan) -> KbImportStats {
    let mut stats = KbImportStats::default();
    for w in &plan.categories {
        match w {
            KbWrite::Created => stats.categories_created += 1,
            KbWrite::Updated => stats.categories_updated += 1,
            KbWrite::Unchanged => {}
        }
    }
    for w in &plan.articles {
        match w {
            KbWrite::Created => stats.articles_created += 1,
            KbWrite::Updated => stats.articles_updated += 1,
            KbWrite::Unchanged => stats.articles_unchanged += 1,
        }
    }
    stats
}

/// One article of an import's report, and its place among the drafts to store (`None`: skipped).
struct Entry {
    draft: Option<usize>,
    report: dto::KbImportedArticle,
}

fn skipped_entry(
    key: String,
    category: String,
    title: String,
    reason: String,
) -> dto::KbImportedArticle {
    dto::KbImportedArticle {
        key,
        category,
        title,
        published: false,
        action: dto::KbImportAction::Skip,
        line: None,
        item: None,
        source: None,
        reason: Some(reason),
    }
}

/// Plan `import`, then store it unless `dry_run`, and report both per item.
async fn run_import(
    state: &AppState,
    actor: frontline_domain::OperatorId,
    import: KbImport,
    mut entries: Vec<Entry>,
    problems: Vec<dto::KbImportProblem>,
    dry_run: bool,
) -> Result<dto::KbImportResult, ApiError> {
    let plan = state.admin().plan_import(&import).await?;
    for e in &mut entries {
        if let Some(i) = e.draft {
            e.report.action = plan.articles[i].into();
        }
    }
    let categories = import
        .categories
        .iter()
        .zip(&plan.categories)
        .map(|(c, w)| dto::KbImportedCategory {
            key: c.key.clone(),
            title: c.title.clone(),
            action: (*w).into(),
        })
        .collect();
    let stats = if dry_run {
        planned_stats(&plan)
    } else {
        state.admin().import_knowledge(import, actor).await?
    };
    Ok(dto::KbImportResult {
        dry_run,
        stats: stats.into(),
        skipped: entries.iter().filter(|e| e.draft.is_none()).count() as u64,
        categories,
        articles: entries.into_iter().map(|e| e.report).collect(),
        problems,
    })
}

/// Import a file of articles (and, from JSON, categories); with `dry_run`, only preview it.
///
/// The preview lists every category and article with what the import does to it (`create`,
/// `update`, `unchanged`, `skip`) and every problem at its line and field. A file with problems is
/// not imported (422, naming the first; unknown categories all at once); otherwise it is stored in
/// one transaction, all or nothing: existing articles with the same keys are updated, unchanged ones
/// left alone. CSV and Markdown articles must name categories that exist.
#[utoipa::path(
    post, path = "/api/v1/kb/import", tag = "knowledge",
    params(ImportParams),
    request_body(content = String, description = "The file's text (UTF-8)", content_type = "text/plain"),
    responses(
        (status = 200, body = dto::KbImportResult),
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
) -> Result<ApiJson<dto::KbImportResult>, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::validation("body", "the file is not UTF-8 text"))?;
    let format = match p.format.as_str() {
        "json" => FileFormat::Json,
        "csv" => FileFormat::Csv,
        "markdown" => FileFormat::Markdown {
            category: p.category.as_deref().ok_or_else(|| {
                ApiError::validation("category", "a Markdown import needs `category`")
            })?,
        },
        other => {
            return Err(ApiError::validation(
                "format",
                format!("unknown format `{other}`: use json, csv or markdown"),
            ));
        }
    };
    let parsed = kb::parse_file(format, text);
    let mut problems: Vec<dto::KbImportProblem> = parsed
        .problems
        .iter()
        .map(|p| dto::KbImportProblem {
            line: p.line(),
            item: p.place.map(|p| p.item),
            key: p.id.clone(),
            field: p.field.map(str::to_owned),
            message: p.error.to_string(),
        })
        .collect();
    let raw = to_import(&parsed.kb);
    let mut import = KbImport::default();
    for c in raw.categories {
        let key = c.key.clone();
        match c.cleaned() {
            Ok(c) => import.categories.push(c),
            Err(e) => problems.push(dto::KbImportProblem {
                line: None,
                item: None,
                key: Some(key.clone()),
                field: Some(format!("categories.{}", e.what)),
                message: format!("category `{key}`: {e}"),
            }),
        }
    }
    let stored = state.store().list_kb_categories().await?;
    let mut unknown: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    for (a, place) in raw.articles.into_iter().zip(&parsed.places) {
        let at = place.line.map_or_else(
            || format!("article #{}", place.item),
            |l| format!("line {l}"),
        );
        let mut report = dto::KbImportedArticle {
            key: a.key.clone(),
            category: a.category.clone(),
            title: a.title.clone(),
            published: a.published,
            action: dto::KbImportAction::Skip,
            line: place.line,
            item: Some(place.item),
            source: None,
            reason: None,
        };
        let mut problem = |field: String, message: String| {
            problems.push(dto::KbImportProblem {
                line: place.line,
                item: Some(place.item),
                key: Some(a.key.clone()).filter(|k| !k.is_empty()),
                field: Some(field),
                message,
            })
        };
        let flagged = parsed
            .problems
            .iter()
            .any(|p| p.place.is_some_and(|q| q.item == place.item));
        match a.clone().cleaned() {
            _ if flagged => report.reason = Some("see the problems of this item".into()),
            Err(e) => {
                problem(e.what.into(), format!("{at} `{}`: {e}", a.key));
                report.reason = Some(e.to_string());
            }
            Ok(draft)
                if !stored.iter().any(|c| c.key == draft.category)
                    && !import.categories.iter().any(|c| c.key == draft.category) =>
            {
                problem(
                    "category".into(),
                    format!("{at}: unknown category `{}`", draft.category),
                );
                unknown.push(draft.category.clone());
                report.reason = Some(format!("unknown category `{}`", draft.category));
            }
            Ok(draft) => {
                entries.push(Entry {
                    draft: Some(import.articles.len()),
                    report,
                });
                import.articles.push(draft);
                continue;
            }
        }
        entries.push(Entry {
            draft: None,
            report,
        });
    }
    if !p.dry_run && !problems.is_empty() {
        unknown.sort_unstable();
        unknown.dedup();
        return Err(if unknown.is_empty() {
            let first = &problems[0];
            ApiError::validation(
                first.field.clone().unwrap_or_else(|| "body".into()),
                format!(
                    "{} (and {} more problems; a dry run lists them all)",
                    first.message,
                    problems.len() - 1
                ),
            )
        } else {
            ApiError::validation(
                "body",
                format!("unknown categories: {}", unknown.join(", ")),
            )
        });
    }
    let result = run_import(&state, admin.id, import, entries, problems, p.dry_run).await?;
    Ok(ApiJson(result))
}

/// The shop part of an OpenCart import: prefix and language checked.
fn opencart_settings(prefix: &str, language_id: i64) -> Result<opencart::Settings, ApiError> {
    let prefix = opencart::TablePrefix::parse(prefix)
        .map_err(|e| ApiError::validation("prefix", e.to_string()))?;
    if language_id < 1 {
        return Err(ApiError::validation("language_id", "must be 1 or more"));
    }
    Ok(opencart::Settings {
        prefix,
        language_id,
    })
}

fn check_currency(currency: &str) -> Result<(), ApiError> {
    if currency.chars().count() > 10 {
        return Err(ApiError::validation("currency", "at most 10 characters"));
    }
    Ok(())
}

fn opencart_error(e: opencart::OpencartError) -> ApiError {
    use opencart::OpencartError as E;
    match e {
        E::Database(_) | E::Timeout(_) => ApiError::Upstream {
            status: StatusCode::BAD_GATEWAY,
            code: "opencart_unavailable",
            message: e.to_string(),
        },
        E::MissingTable(_) => ApiError::validation("prefix", e.to_string()),
        E::Invalid(_) | E::Dump { .. } | E::MissingColumn { .. } | E::NotANumber { .. } => {
            ApiError::validation("body", e.to_string())
        }
        E::TooLarge { .. } => ApiError::validation("body", e.to_string()),
    }
}

/// Convert a shop, unpublish what it no longer has, then plan or store it.
async fn import_shop(
    state: &AppState,
    actor: frontline_domain::OperatorId,
    shop: opencart::Shop,
    currency: &str,
    dry_run: bool,
) -> Result<dto::KbImportResult, ApiError> {
    let mut converted = opencart::convert(&shop, currency);
    let imported = converted.import.articles.len();
    let stored = state.store().list_kb_articles(None).await?;
    opencart::unpublish_missing(&mut converted, &stored);
    let mut entries = Vec::with_capacity(converted.items.len());
    let mut next = 0;
    for item in &converted.items {
        let source = Some(dto::KbImportSource {
            kind: item.kind.as_str().into(),
            id: item.source_id,
        });
        let category = match item.kind {
            opencart::ItemKind::Information => opencart::CATEGORY_INFO.0,
            _ => opencart::CATEGORY_PRODUCTS.0,
        };
        let report = match &item.skipped {
            Some(reason) => dto::KbImportedArticle {
                line: item.line,
                source,
                ..skipped_entry(
                    item.key.clone(),
                    category.into(),
                    item.title.clone(),
                    reason.clone(),
                )
            },
            None => {
                let d = &converted.import.articles[next];
                dto::KbImportedArticle {
                    key: d.key.clone(),
                    category: d.category.clone(),
                    title: d.title.clone(),
                    published: d.published,
                    action: dto::KbImportAction::Skip,
                    line: item.line,
                    item: None,
                    source,
                    reason: None,
                }
            }
        };
        let draft = item.skipped.is_none().then(|| {
            next += 1;
            next - 1
        });
        entries.push(Entry { draft, report });
    }
    for (i, d) in converted.import.articles.iter().enumerate().skip(imported) {
        entries.push(Entry {
            draft: Some(i),
            report: dto::KbImportedArticle {
                key: d.key.clone(),
                category: d.category.clone(),
                title: d.title.clone(),
                published: false,
                action: dto::KbImportAction::Skip,
                line: None,
                item: None,
                source: None,
                reason: Some("no longer in the shop: unpublished".into()),
            },
        });
    }
    run_import(state, actor, converted.import, entries, Vec::new(), dry_run).await
}

/// Import an OpenCart / ocStore shop from its MySQL/MariaDB database; with `dry_run`, only
/// preview it.
///
/// Reads the information pages, categories and products (price, stock, manufacturer) of
/// `language_id` in one read-only transaction, bounded in time and rows, and turns them into
/// articles keyed by the shop's ids (`oc-info-6`, `oc-category-20`, `oc-product-40`) in the
/// categories `oc-info` («Информация магазина») and `oc-products` («Товары»): importing again
/// updates them in place, and unpublishes the articles of items the shop no longer has. Disabled
/// items are imported unpublished. The URL is used for this request only and never logged with its
/// password.
#[utoipa::path(
    post, path = "/api/v1/kb/import/opencart", tag = "knowledge",
    request_body = dto::KbOpencartRequest,
    responses(
        (status = 200, body = dto::KbImportResult),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, description = "A bad URL, prefix or language, or tables that are not OpenCart's", body = crate::error::ErrorBody),
        (status = 502, description = "`opencart_unavailable`: the shop database cannot be reached or refused", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn import_opencart(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiJson(req): ApiJson<dto::KbOpencartRequest>,
) -> Result<ApiJson<dto::KbImportResult>, ApiError> {
    let url = opencart::DatabaseUrl::parse(&req.database_url)
        .map_err(|e| ApiError::validation("database_url", e.to_string()))?;
    let settings = opencart_settings(&req.prefix, req.language_id)?;
    check_currency(&req.currency)?;
    info!(database = %url, prefix = %req.prefix, language_id = req.language_id, dry_run = req.dry_run, "importing an opencart shop");
    let shop = opencart::read_database(&url, &settings, opencart::Limits::default())
        .await
        .map_err(opencart_error)?;
    let result = import_shop(&state, admin.id, shop, &req.currency, req.dry_run).await?;
    Ok(ApiJson(result))
}

/// Largest SQL dump accepted, in bytes.
pub const MAX_DUMP_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DumpParams {
    /// The shop's table prefix; `oc_` by default.
    pub prefix: Option<String>,
    /// `oc_language.language_id` of the texts to import; 1 by default.
    pub language_id: Option<i64>,
    /// Written after prices; `₽` by default.
    pub currency: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
}

/// Import an OpenCart / ocStore shop from an SQL dump of its database (mysqldump, mariadb-dump,
/// phpMyAdmin; up to 64 MiB), as `/kb/import/opencart` does; problems name their dump line.
#[utoipa::path(
    post, path = "/api/v1/kb/import/opencart/dump", tag = "knowledge",
    params(DumpParams),
    request_body(content = String, description = "The dump (UTF-8 SQL)", content_type = "application/sql"),
    responses(
        (status = 200, body = dto::KbImportResult),
        (status = 403, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody),
        (status = 422, description = "Not UTF-8, unreadable at a line, or without the shop's tables", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn import_opencart_dump(
    State(state): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(p): ApiQuery<DumpParams>,
    body: Bytes,
) -> Result<ApiJson<dto::KbImportResult>, ApiError> {
    let settings = opencart_settings(
        p.prefix.as_deref().unwrap_or("oc_"),
        p.language_id.unwrap_or(1),
    )?;
    let currency = p.currency.unwrap_or_else(|| "₽".into());
    check_currency(&currency)?;
    // Tens of megabytes of lexing: off the async workers.
    let shop = tokio::task::spawn_blocking(move || {
        let text = std::str::from_utf8(&body)
            .map_err(|_| ApiError::validation("body", "the dump is not UTF-8 text"))?;
        opencart::read_dump(text, &settings).map_err(opencart_error)
    })
    .await
    .map_err(ApiError::internal)??;
    let result = import_shop(&state, admin.id, shop, &currency, p.dry_run).await?;
    Ok(ApiJson(result))
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
        (status = 422, description = "An empty or long question, or an invalid draft (`field` is `draft.<field>`)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn check(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiJson(req): ApiJson<dto::KbCheckRequest>,
) -> Result<ApiJson<dto::KbCheckResult>, ApiError> {
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
            let index = Knowledge::new(&articles).map_err(ApiError::internal)?;
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
                None => (**engine).clone(),
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
