//! Importers: knowledge bases arrive as JSON exports, spreadsheets (CSV) or Markdown notes.
//!
//! Each importer returns plain [`Article`]s (and [`Category`]s where the format has them) after
//! the checks every source needs — required fields present, ids unique — and says where a problem
//! is (article number, CSV line, Markdown line) so an editor can fix the file. Reading files is the
//! caller's business: the engine takes text or a reader.

use std::collections::HashSet;
use std::io;

use serde::Deserialize;

use super::{Article, Category, KnowledgeBase};

/// Why an import failed; the message names the place and the field.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("invalid json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid csv: {0}")]
    Csv(#[from] csv::Error),
    #[error(
        "csv header has no `{0}` column (expected id, category, title, body and optionally tags)"
    )]
    MissingColumn(&'static str),
    #[error("{at}: field `{field}` is empty")]
    EmptyField { at: String, field: &'static str },
    #[error("{at}: id {id:?} is used twice")]
    DuplicateId { at: String, id: String },
    #[error("{at}: category {category:?} is not among the file's categories")]
    UnknownCategory { at: String, category: String },
    #[error("markdown line {line}: {reason}")]
    Markdown { line: usize, reason: &'static str },
}

#[derive(Deserialize)]
struct JsonFile {
    #[serde(default)]
    categories: Vec<JsonCategory>,
    articles: Vec<JsonArticle>,
}

#[derive(Deserialize)]
struct JsonCategory {
    id: String,
    title: String,
}

#[derive(Deserialize)]
struct JsonArticle {
    id: String,
    category: String,
    title: String,
    body: String,
    #[serde(default)]
    tags: JsonTags,
}

/// Exports disagree on tags: a list, or one `;`-separated string as in the CSV format.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsonTags {
    List(Vec<String>),
    Joined(String),
}

impl Default for JsonTags {
    fn default() -> Self {
        JsonTags::List(Vec::new())
    }
}

/// Reads a JSON array of articles, or an object `{"categories": [...], "articles": [...]}`.
/// Articles have `id`, `category`, `title`, `body` and optional `tags` (a list or `"a; b"`).
pub fn import_json(text: &str) -> Result<KnowledgeBase, ImportError> {
    // Look at the shape first, then parse typed from the text: an untagged enum's error would
    // only say "did not match any variant", a typed pass names the field, line and column.
    let is_array = text.trim_start().starts_with('[');
    let (categories, articles) = if is_array {
        (Vec::new(), serde_json::from_str::<Vec<JsonArticle>>(text)?)
    } else {
        let file: JsonFile = serde_json::from_str(text)?;
        (file.categories, file.articles)
    };
    let categories: Vec<Category> = categories
        .into_iter()
        .map(|c| Category {
            id: c.id.trim().to_owned(),
            title: c.title.trim().to_owned(),
        })
        .collect();
    let mut out = Vec::with_capacity(articles.len());
    for a in articles {
        let tags = match a.tags {
            JsonTags::List(tags) => clean_tags(tags.iter().map(String::as_str)),
            JsonTags::Joined(s) => split_tags(&s),
        };
        out.push(article(a.id, a.category, a.title, a.body, tags));
    }
    check(&out, |i| format!("article #{}", i + 1))?;
    if !categories.is_empty() {
        for (i, a) in out.iter().enumerate() {
            if !categories.iter().any(|c| c.id == a.category) {
                return Err(ImportError::UnknownCategory {
                    at: format!("article #{} (id {:?})", i + 1, a.id),
                    category: a.category.clone(),
                });
            }
        }
    }
    Ok(KnowledgeBase {
        categories,
        articles: out,
    })
}

/// Reads CSV with a header row naming the columns `id`, `category`, `title`, `body` and optionally
/// `tags` (`;`-separated), in any order; other columns are ignored.
pub fn import_csv(reader: impl io::Read) -> Result<Vec<Article>, ImportError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header = csv.headers()?.clone();
    let column = |name: &'static str| {
        header
            .iter()
            .position(|h| {
                h.trim()
                    .trim_start_matches('\u{feff}')
                    .eq_ignore_ascii_case(name)
            })
            .ok_or(ImportError::MissingColumn(name))
    };
    let (id, category, title, body) = (
        column("id")?,
        column("category")?,
        column("title")?,
        column("body")?,
    );
    let tags = column("tags").ok();
    let mut out = Vec::new();
    let mut lines = Vec::new();
    for record in csv.records() {
        let record = record?;
        let field = |i: usize| record.get(i).unwrap_or_default().to_owned();
        out.push(article(
            field(id),
            field(category),
            field(title),
            field(body),
            tags.map(|i| split_tags(&field(i))).unwrap_or_default(),
        ));
        lines.push(record.position().map_or(0, |p| p.line()));
    }
    check(&out, |i| format!("csv line {}", lines[i]))?;
    Ok(out)
}

/// Reads Markdown where every `# Heading` starts an article titled by it, in `category`. Right
/// under the heading, optional `id: …` and `tags: a, b` lines set the id (otherwise a slug of the
/// heading) and the tags; the rest of the section, `##` subheadings included, is the body.
pub fn import_markdown(text: &str, category: &str) -> Result<Vec<Article>, ImportError> {
    struct Section {
        line: usize,
        title: String,
        id: Option<String>,
        tags: Vec<String>,
        body: Vec<String>,
    }
    let mut sections: Vec<Section> = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        let trimmed = line.trim();
        if let Some(title) = trimmed.strip_prefix("# ") {
            sections.push(Section {
                line: n,
                title: title.trim().to_owned(),
                id: None,
                tags: Vec::new(),
                body: Vec::new(),
            });
            continue;
        }
        let Some(s) = sections.last_mut() else {
            if trimmed.is_empty() {
                continue;
            }
            return Err(ImportError::Markdown {
                line: n,
                reason: "text before the first `# ` heading",
            });
        };
        // Metadata lines count only before the body starts, so prose may say "tags: …".
        let in_header = s.body.iter().all(|l| l.trim().is_empty());
        if in_header && let Some(v) = meta(trimmed, &["tags:", "теги:"]) {
            s.tags = split_tags(&v.replace(',', ";"));
        } else if in_header && let Some(v) = meta(trimmed, &["id:"]) {
            s.id = Some(v.to_owned());
        } else {
            s.body.push(line.trim_start_matches('#').trim().to_owned());
        }
    }
    if sections.is_empty() {
        return Err(ImportError::Markdown {
            line: 1,
            reason: "no `# ` heading, so no article",
        });
    }
    let mut out = Vec::with_capacity(sections.len());
    for s in &sections {
        let body = s.body.join("\n").trim().to_owned();
        if body.is_empty() {
            return Err(ImportError::Markdown {
                line: s.line,
                reason: "section has no text",
            });
        }
        let id = s.id.clone().unwrap_or_else(|| slug(&s.title));
        out.push(article(
            id,
            category.to_owned(),
            s.title.clone(),
            body,
            s.tags.clone(),
        ));
    }
    check(&out, |i| format!("markdown line {}", sections[i].line))?;
    Ok(out)
}

fn meta<'a>(line: &'a str, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| {
        let head = line.get(..k.len())?;
        head.eq_ignore_ascii_case(k).then(|| line[k.len()..].trim())
    })
}

fn article(
    id: String,
    category: String,
    title: String,
    body: String,
    tags: Vec<String>,
) -> Article {
    Article {
        id: id.trim().to_owned(),
        category: category.trim().to_owned(),
        title: title.trim().to_owned(),
        body: body.trim().to_owned(),
        tags,
    }
}

fn split_tags(s: &str) -> Vec<String> {
    clean_tags(s.split(';'))
}

fn clean_tags<'a>(tags: impl Iterator<Item = &'a str>) -> Vec<String> {
    tags.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Required fields present and ids unique; `at(i)` names where article `i` came from.
fn check(articles: &[Article], at: impl Fn(usize) -> String) -> Result<(), ImportError> {
    let mut seen = HashSet::new();
    for (i, a) in articles.iter().enumerate() {
        for (field, value) in [
            ("id", &a.id),
            ("category", &a.category),
            ("title", &a.title),
            ("body", &a.body),
        ] {
            if value.is_empty() {
                return Err(ImportError::EmptyField { at: at(i), field });
            }
        }
        if !seen.insert(a.id.as_str()) {
            return Err(ImportError::DuplicateId {
                at: at(i),
                id: a.id.clone(),
            });
        }
    }
    Ok(())
}

/// A URL-safe id from a heading, Russian transliterated: «Сроки доставки» → `sroki-dostavki`.
fn slug(title: &str) -> String {
    const CYRILLIC: &str = "абвгдежзийклмнопрстуфхцчшщъыьэюя";
    const LATIN: [&str; 32] = [
        "a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
        "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
    ];
    let mut out = String::new();
    for c in frontline_text::normalize(title).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if let Some(i) = CYRILLIC.chars().position(|x| x == c) {
            out.push_str(LATIN[i]);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_err<T: std::fmt::Debug>(result: Result<T, ImportError>, expected: &str) {
        let err = result.expect_err("import should fail");
        assert!(err.to_string().contains(expected), "{err}");
    }

    #[test]
    fn json_array_and_object() {
        let kb = import_json(
            r#"[{"id": "a", "category": "delivery", "title": "Доставка", "body": "Текст.", "tags": ["курьер", " "]},
                {"id": "b", "category": "payment", "title": "Оплата", "body": "Текст.", "tags": "карта; СБП"}]"#,
        )
        .unwrap();
        assert!(kb.categories.is_empty());
        assert_eq!(kb.articles[0].tags, vec!["курьер"]);
        assert_eq!(kb.articles[1].tags, vec!["карта", "СБП"]);

        let kb = import_json(
            r#"{"categories": [{"id": "delivery", "title": "Доставка"}],
                "articles": [{"id": "a", "category": "delivery", "title": "T", "body": "B"}]}"#,
        )
        .unwrap();
        assert_eq!(kb.categories[0].title, "Доставка");
        assert!(kb.articles[0].tags.is_empty());
    }

    #[test]
    fn json_errors_name_the_place() {
        check_err(
            import_json(r#"[{"id": "a", "category": "c", "body": "B"}]"#),
            "missing field `title` at line 1",
        );
        check_err(
            import_json(
                r#"[{"id": "a", "category": "c", "title": "T", "body": "B"},
                           {"id": "a", "category": "c", "title": "T", "body": "B"}]"#,
            ),
            r#"article #2: id "a" is used twice"#,
        );
        check_err(
            import_json(r#"[{"id": "a", "category": "c", "title": " ", "body": "B"}]"#),
            "article #1: field `title` is empty",
        );
        check_err(
            import_json(
                r#"{"categories": [{"id": "x", "title": "X"}],
                            "articles": [{"id": "a", "category": "c", "title": "T", "body": "B"}]}"#,
            ),
            r#"article #1 (id "a"): category "c" is not among"#,
        );
        check_err(import_json("{"), "invalid json");
    }

    #[test]
    fn demo_json_round_trips_through_csv() {
        let kb = crate::kb::demo::demo();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["id", "category", "title", "body", "tags"])
            .unwrap();
        for a in &kb.articles {
            w.write_record([&a.id, &a.category, &a.title, &a.body, &a.tags.join(";")])
                .unwrap();
        }
        let bytes = w.into_inner().unwrap();
        assert_eq!(import_csv(bytes.as_slice()).unwrap(), kb.articles);
    }

    #[test]
    fn csv_columns_in_any_order_and_errors() {
        let text = "title,id,body,category,extra\nДоставка,a,\"Текст, с запятой.\",delivery,x\n";
        let got = import_csv(text.as_bytes()).unwrap();
        assert_eq!(got[0].id, "a");
        assert_eq!(got[0].body, "Текст, с запятой.");
        assert!(got[0].tags.is_empty());

        check_err(
            import_csv("id,category,body\n".as_bytes()),
            "no `title` column",
        );
        check_err(
            import_csv("id,category,title,body\na,c,T,B\nb,c,,B\n".as_bytes()),
            "csv line 3: field `title` is empty",
        );
        check_err(
            import_csv("id,category,title,body\na,c,T,B\nb,c,T\n".as_bytes()),
            "invalid csv",
        );
    }

    #[test]
    fn markdown_sections_become_articles() {
        let text = "\n# Сроки доставки\ntags: посылка, курьер\n\nПо Москве — на следующий день.\n\n## Регионы\nОт 2 до 7 дней.\n\n# Пункты выдачи\nid: pickup\nЗаказ хранится 7 дней.\ntags: это уже текст\n";
        let got = import_markdown(text, "delivery").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id, "sroki-dostavki");
        assert_eq!(got[0].tags, vec!["посылка", "курьер"]);
        assert_eq!(
            got[0].body,
            "По Москве — на следующий день.\n\nРегионы\nОт 2 до 7 дней."
        );
        assert_eq!(got[1].id, "pickup");
        assert_eq!(got[1].category, "delivery");
        assert!(got[1].body.ends_with("tags: это уже текст"));
    }

    #[test]
    fn markdown_errors_name_the_line() {
        check_err(
            import_markdown("вступление\n# A\nтекст", "c"),
            "markdown line 1: text before",
        );
        check_err(
            import_markdown("# A\ntags: x\n\n# B\nтекст", "c"),
            "markdown line 1: section has no text",
        );
        check_err(
            import_markdown("# A\nтекст\n# A\nещё", "c"),
            r#"markdown line 3: id "a" is used twice"#,
        );
        check_err(import_markdown("", "c"), "no `# ` heading");
    }
}
