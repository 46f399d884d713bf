//! Imports into the knowledge base: JSON, CSV and Markdown files and OpenCart / ocStore shops
//! (from the database or a dump), each planned first so a dry run previews exactly what the import
//! would do.

use axum::{body::Bytes, extract::State, http::StatusCode};
use frontline_domain::{KbImport, KbImportStats, KbWrite};
use frontline_engine::bot::knowledge::to_import;
use frontline_engine::kb::{self, FileFormat};
use frontline_import_opencart as opencart;
use serde::Deserialize;
use tracing::info;
use utoipa::IntoParams;

use crate::{
    AppState,
    auth::Admin,
    dto,
    error::{ApiError, ApiJson, ApiQuery},
};

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
            e.report.action = (*plan.articles.get(i).ok_or_else(out_of_step)?).into();
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
            field: None,
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
                let d = converted
                    .import
                    .articles
                    .get(next)
                    .ok_or_else(out_of_step)?;
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

/// A report that does not line up with the drafts it describes: a bug here, answered as a 500
/// rather than a panic.
fn out_of_step() -> ApiError {
    ApiError::internal(std::io::Error::other(
        "an import's report is out of step with its drafts",
    ))
}
