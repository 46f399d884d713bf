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

/// Which importer reads a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat<'a> {
    Json,
    Csv,
    /// Every article goes into this category.
    Markdown {
        category: &'a str,
    },
}

/// Where an article is in its file: its number (from 1, in file order) and, where the format has
/// lines, its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub item: usize,
    pub line: Option<usize>,
}

/// One thing wrong with a file, where it is.
#[derive(Debug)]
pub struct ImportProblem {
    /// The article it is about, when it is about one.
    pub place: Option<Place>,
    /// The line, for problems about the file itself (unreadable JSON or CSV, Markdown structure).
    pub line: Option<usize>,
    /// The article's id, when known.
    pub id: Option<String>,
    /// The field to blame, when one is.
    pub field: Option<&'static str>,
    pub error: ImportError,
}

impl ImportProblem {
    /// The line to show: the problem's own, or its article's.
    pub fn line(&self) -> Option<usize> {
        self.line.or(self.place.and_then(|p| p.line))
    }
}

/// A file read as far as it could be: the articles it holds, where each is, and every problem
/// found — not just the first, so a preview can show them all at their lines. An article with a
/// problem is still listed (its problem names it); a file that cannot be read at all has no
/// articles and one problem.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub kb: KnowledgeBase,
    /// One per article of `kb`.
    pub places: Vec<Place>,
    pub problems: Vec<ImportProblem>,
}

impl ParsedFile {
    fn failed(line: Option<usize>, error: ImportError) -> Self {
        ParsedFile {
            problems: vec![ImportProblem {
                place: None,
                line,
                id: None,
                field: None,
                error,
            }],
            ..ParsedFile::default()
        }
    }

    /// The file as a knowledge base, or its first problem.
    fn into_result(mut self) -> Result<KnowledgeBase, ImportError> {
        if self.problems.is_empty() {
            Ok(self.kb)
        } else {
            Err(self.problems.swap_remove(0).error)
        }
    }
}

/// Read a file with `format`, collecting every problem (see [`ParsedFile`]).
pub fn parse_file(format: FileFormat<'_>, text: &str) -> ParsedFile {
    match format {
        FileFormat::Json => parse_json(text),
        FileFormat::Csv => parse_csv(text.as_bytes()),
        FileFormat::Markdown { category } => parse_markdown(text, category),
    }
}

/// Reads a JSON array of articles, or an object `{"categories": [...], "articles": [...]}`.
/// Articles have `id`, `category`, `title`, `body` and optional `tags` (a list or `"a; b"`).
pub fn import_json(text: &str) -> Result<KnowledgeBase, ImportError> {
    parse_json(text).into_result()
}

fn parse_json(text: &str) -> ParsedFile {
    // Look at the shape first, then parse typed from the text: an untagged enum's error would
    // only say "did not match any variant", a typed pass names the field, line and column.
    let is_array = text.trim_start().starts_with('[');
    let parsed = if is_array {
        serde_json::from_str::<Vec<JsonArticle>>(text).map(|a| (Vec::new(), a))
    } else {
        serde_json::from_str::<JsonFile>(text).map(|f| (f.categories, f.articles))
    };
    let (categories, articles) = match parsed {
        Ok(p) => p,
        Err(e) => return ParsedFile::failed(Some(e.line()), e.into()),
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
    let places: Vec<Place> = (1..=out.len())
        .map(|item| Place { item, line: None })
        .collect();
    let mut problems = check(&out, &places, |i| format!("article #{}", i + 1));
    if !categories.is_empty() {
        for (i, a) in out.iter().enumerate() {
            if !categories.iter().any(|c| c.id == a.category) {
                problems.push(ImportProblem {
                    place: Some(places[i]),
                    line: None,
                    id: Some(a.id.clone()),
                    field: Some("category"),
                    error: ImportError::UnknownCategory {
                        at: format!("article #{} (id {:?})", i + 1, a.id),
                        category: a.category.clone(),
                    },
                });
            }
        }
    }
    ParsedFile {
        kb: KnowledgeBase {
            categories,
            articles: out,
        },
        places,
        problems,
    }
}

/// Reads CSV with a header row naming the columns `id`, `category`, `title`, `body` and optionally
/// `tags` (`;`-separated), in any order; other columns are ignored.
pub fn import_csv(reader: impl io::Read) -> Result<Vec<Article>, ImportError> {
    Ok(parse_csv(reader).into_result()?.articles)
}

fn parse_csv(reader: impl io::Read) -> ParsedFile {
    let csv_line = |e: &csv::Error| e.position().map(|p| p.line() as usize);
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header = match csv.headers() {
        Ok(h) => h.clone(),
        Err(e) => return ParsedFile::failed(csv_line(&e).or(Some(1)), e.into()),
    };
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
    let columns = (|| {
        Ok((
            column("id")?,
            column("category")?,
            column("title")?,
            column("body")?,
        ))
    })();
    let (id, category, title, body) = match columns {
        Ok(c) => c,
        Err(e) => return ParsedFile::failed(Some(1), e),
    };
    let tags = column("tags").ok();
    let mut out = Vec::new();
    let mut places = Vec::new();
    for record in csv.records() {
        let record = match record {
            Ok(r) => r,
            // The reader cannot go on past a broken record: report it, keep what came before.
            Err(e) => {
                let mut parsed = ParsedFile::failed(csv_line(&e), e.into());
                parsed.kb.articles = out;
                parsed.places = places;
                return parsed;
            }
        };
        let field = |i: usize| record.get(i).unwrap_or_default().to_owned();
        out.push(article(
            field(id),
            field(category),
            field(title),
            field(body),
            tags.map(|i| split_tags(&field(i))).unwrap_or_default(),
        ));
        places.push(Place {
            item: out.len(),
            line: record.position().map(|p| p.line() as usize),
        });
    }
    let problems = check(&out, &places, |i| {
        format!("csv line {}", places[i].line.unwrap_or(0))
    });
    ParsedFile {
        kb: KnowledgeBase {
            categories: Vec::new(),
            articles: out,
        },
        places,
        problems,
    }
}

/// Reads Markdown where every `# Heading` starts an article titled by it, in `category`. Right
/// under the heading, optional `id: …` and `tags: a, b` lines set the id (otherwise a slug of the
/// heading) and the tags; the rest of the section, `##` subheadings included, is the body.
pub fn import_markdown(text: &str, category: &str) -> Result<Vec<Article>, ImportError> {
    Ok(parse_markdown(text, category).into_result()?.articles)
}

fn parse_markdown(text: &str, category: &str) -> ParsedFile {
    struct Section {
        line: usize,
        title: String,
        id: Option<String>,
        tags: Vec<String>,
        body: Vec<String>,
    }
    let structure = |line: usize, reason: &'static str| ImportProblem {
        place: None,
        line: Some(line),
        id: None,
        field: None,
        error: ImportError::Markdown { line, reason },
    };
    let mut problems = Vec::new();
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
            // Reported once, at the first such line.
            if !trimmed.is_empty() && problems.is_empty() {
                problems.push(structure(n, "text before the first `# ` heading"));
            }
            continue;
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
        problems.push(structure(1, "no `# ` heading, so no article"));
    }
    let mut out = Vec::with_capacity(sections.len());
    let mut places = Vec::with_capacity(sections.len());
    for s in &sections {
        let body = s.body.join("\n").trim().to_owned();
        if body.is_empty() {
            problems.push(structure(s.line, "section has no text"));
            continue;
        }
        let id = s.id.clone().unwrap_or_else(|| slug(&s.title));
        out.push(article(
            id,
            category.to_owned(),
            s.title.clone(),
            body,
            s.tags.clone(),
        ));
        places.push(Place {
            item: out.len(),
            line: Some(s.line),
        });
    }
    problems.extend(check(&out, &places, |i| {
        format!("markdown line {}", places[i].line.unwrap_or(0))
    }));
    ParsedFile {
        kb: KnowledgeBase {
            categories: Vec::new(),
            articles: out,
        },
        places,
        problems,
    }
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

/// Required fields present and ids unique, every problem; `at(i)` names where article `i` came from.
fn check(
    articles: &[Article],
    places: &[Place],
    at: impl Fn(usize) -> String,
) -> Vec<ImportProblem> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (i, a) in articles.iter().enumerate() {
        let problem = |field, error| ImportProblem {
            place: Some(places[i]),
            line: None,
            id: (!a.id.is_empty()).then(|| a.id.clone()),
            field: Some(field),
            error,
        };
        for (field, value) in [
            ("id", &a.id),
            ("category", &a.category),
            ("title", &a.title),
            ("body", &a.body),
        ] {
            if value.is_empty() {
                problems.push(problem(field, ImportError::EmptyField { at: at(i), field }));
            }
        }
        if !a.id.is_empty() && !seen.insert(a.id.as_str()) {
            problems.push(problem(
                "id",
                ImportError::DuplicateId {
                    at: at(i),
                    id: a.id.clone(),
                },
            ));
        }
    }
    problems
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
    fn every_problem_is_reported_at_its_line() {
        let csv = "id,category,title,body\na,c,T,B\nb,c,,B\na,c,T,\n";
        let parsed = parse_file(FileFormat::Csv, csv);
        assert_eq!(parsed.kb.articles.len(), 3);
        let got: Vec<_> = parsed
            .problems
            .iter()
            .map(|p| (p.line(), p.id.as_deref(), p.field))
            .collect();
        assert_eq!(
            got,
            [
                (Some(3), Some("b"), Some("title")),
                (Some(4), Some("a"), Some("body")),
                (Some(4), Some("a"), Some("id")),
            ]
        );
        assert_eq!(
            parsed.places[1],
            Place {
                item: 2,
                line: Some(3)
            }
        );

        let md = "вступление\n# A\nтекст\n# Пусто\n\n# A\nещё\n";
        let parsed = parse_file(FileFormat::Markdown { category: "c" }, md);
        let got: Vec<_> = parsed
            .problems
            .iter()
            .map(|p| (p.line(), p.error.to_string()))
            .collect();
        assert_eq!(
            got[0],
            (
                Some(1),
                "markdown line 1: text before the first `# ` heading".into()
            )
        );
        assert_eq!(
            got[1],
            (Some(4), "markdown line 4: section has no text".into())
        );
        assert_eq!(got[2].0, Some(6), "{got:?}");
        assert_eq!(parsed.kb.articles.len(), 2);

        let parsed = parse_file(FileFormat::Json, "[\n{\"id\": 1}\n]");
        assert_eq!(parsed.problems.len(), 1);
        assert_eq!(parsed.problems[0].line(), Some(2));
        let parsed = parse_file(
            FileFormat::Json,
            r#"[{"id": "a", "category": "c", "title": "", "body": "B"}, {"id": "b", "category": "c", "title": "T", "body": ""}]"#,
        );
        let got: Vec<_> = parsed
            .problems
            .iter()
            .map(|p| (p.place.map(|p| p.item), p.field))
            .collect();
        assert_eq!(got, [(Some(1), Some("title")), (Some(2), Some("body"))]);
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
