//! What the bot answers from: the knowledge base as stored, its categories and articles, the
//! drafts editors and imports write, and each article's history of revisions.

use std::collections::BTreeMap;

use crate::{OperatorId, ParseError, Timestamp};

/// Longest key of a category or article.
pub const MAX_KB_KEY_CHARS: usize = 64;
pub const MAX_KB_TITLE_CHARS: usize = 200;
pub const MAX_KB_BODY_CHARS: usize = 20_000;
pub const MAX_KB_TAGS: usize = 30;
pub const MAX_KB_TAG_CHARS: usize = 60;

/// Checks a category or article key: 1–64 characters of `a-z`, `0-9`, `-` and `_`. Keys are what
/// imports, citations and URLs refer to, so they are kept boring.
pub fn check_kb_key(key: &str) -> Result<(), ParseError> {
    if key.is_empty() || key.chars().count() > MAX_KB_KEY_CHARS {
        return Err(ParseError::new("key", "must be 1 to 64 characters"));
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(ParseError::new(
            "key",
            "only lowercase latin letters, digits, `-` and `_` are allowed",
        ));
    }
    Ok(())
}

/// A heading articles are grouped under (доставка, оплата, возврат…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbCategory {
    pub key: String,
    pub title: String,
    /// Where the editor put it among the categories: lists are ordered by it (then by key). A new
    /// category goes last.
    pub position: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A category as written by an editor or an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbCategoryDraft {
    pub key: String,
    pub title: String,
}

impl KbCategoryDraft {
    /// Trims the title and checks key and title.
    pub fn cleaned(self) -> Result<Self, ParseError> {
        check_kb_key(&self.key)?;
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > MAX_KB_TITLE_CHARS {
            return Err(ParseError::new("title", "must be 1 to 200 characters"));
        }
        Ok(Self {
            key: self.key,
            title,
        })
    }
}

/// One stored article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbArticle {
    pub key: String,
    /// The [`KbCategory::key`] it belongs to.
    pub category: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    /// Unpublished articles are kept but never used to answer.
    pub published: bool,
    /// 1 on creation, +1 on every change that alters a field.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl KbArticle {
    /// Whether storing `draft` over this article would change nothing. The one definition of "a
    /// change": the stores use it to decide whether to write (and bump the version), import previews
    /// to say what an import would do.
    pub fn same_as(&self, draft: &KbArticleDraft) -> bool {
        self.key == draft.key
            && self.category == draft.category
            && self.title == draft.title
            && self.body == draft.body
            && self.tags == draft.tags
            && self.published == draft.published
    }

    /// The article's content as a draft, to write it again with a change.
    pub fn to_draft(&self) -> KbArticleDraft {
        KbArticleDraft {
            key: self.key.clone(),
            category: self.category.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            tags: self.tags.clone(),
            published: self.published,
        }
    }
}

/// An article as written by an editor or an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbArticleDraft {
    pub key: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub published: bool,
}

impl KbArticleDraft {
    /// Trims title, body and tags, drops empty and repeated tags (keeping the first spelling), and
    /// checks every limit.
    pub fn cleaned(self) -> Result<Self, ParseError> {
        check_kb_key(&self.key)?;
        check_kb_key(&self.category).map_err(|e| ParseError::new("category", e.why))?;
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > MAX_KB_TITLE_CHARS {
            return Err(ParseError::new("title", "must be 1 to 200 characters"));
        }
        let body = self.body.trim().to_string();
        if body.is_empty() || body.chars().count() > MAX_KB_BODY_CHARS {
            return Err(ParseError::new("body", "must be 1 to 20000 characters"));
        }
        let mut tags: Vec<String> = Vec::new();
        for tag in self.tags {
            let tag = tag.trim().to_string();
            if tag.is_empty() || tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
                continue;
            }
            if tag.chars().count() > MAX_KB_TAG_CHARS {
                return Err(ParseError::new("tags", "a tag is at most 60 characters"));
            }
            tags.push(tag);
        }
        if tags.len() > MAX_KB_TAGS {
            return Err(ParseError::new("tags", "at most 30 tags"));
        }
        Ok(Self {
            key: self.key,
            category: self.category,
            title,
            body,
            tags,
            published: self.published,
        })
    }
}

/// What an article upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KbWrite {
    Created,
    Updated,
    /// Every field was already as given: nothing was written and the version stayed.
    Unchanged,
}

/// A whole knowledge base (or a part of one) to store at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KbImport {
    pub categories: Vec<KbCategoryDraft>,
    pub articles: Vec<KbArticleDraft>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KbImportStats {
    pub categories_created: u64,
    pub categories_updated: u64,
    pub articles_created: u64,
    pub articles_updated: u64,
    pub articles_unchanged: u64,
}

string_enum!(
    /// What made an article revision.
    KbRevisionSource {
        /// An editor saved the article.
        Editor => "editor",
        /// An import (a file, a shop database) wrote it.
        Import => "import",
        /// An editor brought back an earlier version.
        Restore => "restore",
    }
);

/// One version of an article as it was written: its content after the change, who made it, when
/// and how. Every write that creates an article or bumps its version records one, in the same
/// transaction; an article's history goes when the article is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbRevision {
    pub key: String,
    /// The article's version this revision made.
    pub version: i64,
    pub category: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub published: bool,
    pub source: KbRevisionSource,
    /// For [`KbRevisionSource::Restore`]: the version whose content was brought back.
    pub restored_from: Option<i64>,
    /// The operator who made the change; `None` for the system (the demo seed, a script).
    pub author: Option<OperatorId>,
    /// The author's display name at the time of reading.
    pub author_name: Option<String>,
    pub created_at: Timestamp,
}

impl KbRevision {
    /// The revision's content as a draft, for restoring it.
    pub fn draft(&self) -> KbArticleDraft {
        KbArticleDraft {
            key: self.key.clone(),
            category: self.category.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            tags: self.tags.clone(),
            published: self.published,
        }
    }
}

/// What an import would do, item by item, in the import's order: [`plan_kb_import`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KbImportPlan {
    pub categories: Vec<KbWrite>,
    pub articles: Vec<KbWrite>,
}

/// What storing `import` over the stored categories and articles would do, by the same rules the
/// stores apply (a category is unchanged when its title is; an article when [`KbArticle::same_as`]),
/// without writing anything. A key given twice is judged against its first occurrence, as the store
/// writes them one after the other.
pub fn plan_kb_import(
    categories: &[KbCategory],
    articles: &[KbArticle],
    import: &KbImport,
) -> KbImportPlan {
    let mut titles: BTreeMap<&str, &str> = categories
        .iter()
        .map(|c| (c.key.as_str(), c.title.as_str()))
        .collect();
    let mut plan = KbImportPlan::default();
    for c in &import.categories {
        plan.categories.push(match titles.insert(&c.key, &c.title) {
            None => KbWrite::Created,
            Some(old) if old == c.title => KbWrite::Unchanged,
            Some(_) => KbWrite::Updated,
        });
    }
    let stored: BTreeMap<&str, &KbArticle> = articles.iter().map(|a| (a.key.as_str(), a)).collect();
    let mut written: BTreeMap<&str, &KbArticleDraft> = BTreeMap::new();
    for a in &import.articles {
        let write = match (written.get(a.key.as_str()), stored.get(a.key.as_str())) {
            (Some(earlier), _) if *earlier == a => KbWrite::Unchanged,
            (Some(_), _) => KbWrite::Updated,
            (None, Some(s)) if s.same_as(a) => KbWrite::Unchanged,
            (None, Some(_)) => KbWrite::Updated,
            (None, None) => KbWrite::Created,
        };
        written.insert(&a.key, a);
        plan.articles.push(write);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(key: &str, title: &str) -> KbArticleDraft {
        KbArticleDraft {
            key: key.into(),
            category: "delivery".into(),
            title: title.into(),
            body: "Текст.".into(),
            tags: vec!["a".into()],
            published: true,
        }
    }

    fn stored(d: &KbArticleDraft) -> KbArticle {
        KbArticle {
            key: d.key.clone(),
            category: d.category.clone(),
            title: d.title.clone(),
            body: d.body.clone(),
            tags: d.tags.clone(),
            published: d.published,
            version: 3,
            created_at: Timestamp(1),
            updated_at: Timestamp(2),
        }
    }

    #[test]
    fn a_plan_says_what_the_store_would_write() {
        let category = KbCategory {
            key: "delivery".into(),
            title: "Доставка".into(),
            position: 1,
            created_at: Timestamp(1),
            updated_at: Timestamp(1),
        };
        let same = draft("same", "Сроки");
        let edited = draft("edited", "Было");
        let import = KbImport {
            categories: vec![
                KbCategoryDraft {
                    key: "delivery".into(),
                    title: "Доставка".into(),
                },
                KbCategoryDraft {
                    key: "payment".into(),
                    title: "Оплата".into(),
                },
                KbCategoryDraft {
                    key: "delivery".into(),
                    title: "Доставка и самовывоз".into(),
                },
            ],
            articles: vec![
                same.clone(),
                draft("edited", "Стало"),
                draft("new", "Новая"),
                // Repeated: judged against the first occurrence.
                draft("new", "Новая"),
                draft("new", "Другая"),
                KbArticleDraft {
                    published: false,
                    ..same.clone()
                },
            ],
        };
        let plan = plan_kb_import(&[category], &[stored(&same), stored(&edited)], &import);
        use KbWrite::*;
        assert_eq!(plan.categories, [Unchanged, Created, Updated]);
        assert_eq!(
            plan.articles,
            [Unchanged, Updated, Created, Unchanged, Updated, Updated]
        );
    }
}
