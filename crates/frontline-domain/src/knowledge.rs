//! What the bot answers from: the knowledge base as stored, its categories and articles, and the
//! drafts editors and imports write.

use crate::{ParseError, Timestamp};

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
