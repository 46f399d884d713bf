//! A shop as knowledge-base drafts.
//!
//! Keys are the shop's own ids with a prefix per kind — `oc-info-7`, `oc-category-20`,
//! `oc-product-42` — so importing the same shop again finds and updates the same articles. Two
//! knowledge-base categories hold them: [`CATEGORY_INFO`] for the information pages and
//! [`CATEGORY_PRODUCTS`] («Товары») for products and shop categories.
//!
//! A product's article starts with one paragraph of facts — «Смартфон X стоит 32 990 ₽. Есть в
//! наличии: 12 шт. Производитель: Xiaomi.» — followed by its description. The knowledge index splits
//! articles at blank lines and quotes the best passage, so the facts are kept together where a
//! question about price or availability finds them; the title (the product's name) and the tags
//! (manufacturer, model, SKU, the shop's own tags, «цена», «наличие») go with every passage.
//! Disabled pages and products are imported unpublished, so the bot stops answering about them
//! while the history keeps what they said.

use std::collections::{BTreeMap, BTreeSet};

use frontline_domain::{
    KbArticle, KbArticleDraft, KbCategoryDraft, KbImport, MAX_KB_BODY_CHARS, MAX_KB_TAG_CHARS,
    MAX_KB_TAGS, MAX_KB_TITLE_CHARS,
};

use crate::html::{clean_html, decode_entities};
use crate::{Product, Shop};

/// Every key this importer writes starts with it.
pub const KEY_PREFIX: &str = "oc-";
/// The knowledge-base category of information pages.
pub const CATEGORY_INFO: (&str, &str) = ("oc-info", "Информация магазина");
/// The knowledge-base category of products and shop categories.
pub const CATEGORY_PRODUCTS: (&str, &str) = ("oc-products", "Товары");

/// Products listed on a shop category's article.
const PRODUCTS_PER_CATEGORY: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemKind {
    Information,
    Category,
    Product,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Information => "information",
            ItemKind::Category => "category",
            ItemKind::Product => "product",
        }
    }

    fn key_part(self) -> &'static str {
        match self {
            ItemKind::Information => "info",
            ItemKind::Category => "category",
            ItemKind::Product => "product",
        }
    }

    /// The article key of the shop's item `id`.
    pub fn key(self, id: i64) -> String {
        format!("{KEY_PREFIX}{}-{id}", self.key_part())
    }
}

/// One item of the shop and what becomes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: String,
    pub kind: ItemKind,
    /// The shop's id (`information_id`, `category_id`, `product_id`).
    pub source_id: i64,
    pub title: String,
    /// The dump line of its row, when read from a dump.
    pub line: Option<usize>,
    /// Why it is not imported, when it is not.
    pub skipped: Option<String>,
}

/// The drafts to import (categories first), and every item of the shop in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Converted {
    pub import: KbImport,
    pub items: Vec<Item>,
}

/// The shop's content as cleaned drafts; `currency` follows prices («₽», «руб.»).
pub fn convert(shop: &Shop, currency: &str) -> Converted {
    let mut out = Converted::default();
    for (key, title) in [CATEGORY_INFO, CATEGORY_PRODUCTS] {
        out.import.categories.push(KbCategoryDraft {
            key: key.into(),
            title: title.into(),
        });
    }
    for u in &shop.untranslated {
        out.items.push(Item {
            key: u.kind.key(u.id),
            kind: u.kind,
            source_id: u.id,
            title: String::new(),
            line: u.line,
            skipped: Some("no text in the chosen language".into()),
        });
    }

    for info in &shop.information {
        let title = one_line(&decode_entities(&info.title));
        let body = clean_html(&info.description);
        let draft = KbArticleDraft {
            key: ItemKind::Information.key(info.id),
            category: CATEGORY_INFO.0.into(),
            title: title.clone(),
            body: bounded(&body, MAX_KB_BODY_CHARS),
            tags: tags(info.meta_keyword.split(',').map(decode_entities)),
            published: info.enabled,
        };
        out.push(ItemKind::Information, info.id, title, info.line, draft);
    }

    let category_names: BTreeMap<i64, String> = shop
        .categories
        .iter()
        .map(|c| (c.id, one_line(&decode_entities(&c.name))))
        .collect();
    for c in &shop.categories {
        let name = category_names[&c.id].clone();
        let listed: Vec<String> = shop
            .products
            .iter()
            .filter(|p| p.enabled && p.category_ids.contains(&c.id))
            .take(PRODUCTS_PER_CATEGORY)
            .map(|p| {
                format!(
                    "{} — {}",
                    one_line(&decode_entities(&p.name)),
                    price(&p.price, currency)
                )
            })
            .collect();
        let mut body = clean_html(&c.description);
        if !listed.is_empty() {
            if !body.is_empty() {
                body.push_str("\n\n");
            }
            body.push_str(&format!(
                "Товары в категории «{name}»: {}.",
                listed.join("; ")
            ));
        }
        let draft = KbArticleDraft {
            key: ItemKind::Category.key(c.id),
            category: CATEGORY_PRODUCTS.0.into(),
            title: format!("Категория «{name}»"),
            body: bounded(&body, MAX_KB_BODY_CHARS),
            tags: tags([name.clone(), "каталог".into()]),
            published: c.enabled,
        };
        out.push(ItemKind::Category, c.id, name, c.line, draft);
    }

    for p in &shop.products {
        let name = one_line(&decode_entities(&p.name));
        let categories: Vec<&str> = p
            .category_ids
            .iter()
            .filter_map(|id| category_names.get(id).map(String::as_str))
            .collect();
        let facts = facts(p, &name, &categories, currency);
        let description = clean_html(&p.description);
        let body = if description.is_empty() {
            facts
        } else {
            format!("{facts}\n\n{description}")
        };
        let mut words = vec!["цена".to_owned(), "стоимость".into(), "наличие".into()];
        words.extend(p.manufacturer.iter().map(|m| decode_entities(m)));
        words.extend([p.model.clone(), p.sku.clone()]);
        words.extend(p.tag.split(',').map(decode_entities));
        words.extend(categories.iter().map(|c| c.to_string()));
        let draft = KbArticleDraft {
            key: ItemKind::Product.key(p.id),
            category: CATEGORY_PRODUCTS.0.into(),
            title: name.clone(),
            body: bounded(&body, MAX_KB_BODY_CHARS),
            tags: tags(words),
            published: p.enabled,
        };
        out.push(ItemKind::Product, p.id, name, p.line, draft);
    }
    out
}

impl Converted {
    fn push(
        &mut self,
        kind: ItemKind,
        id: i64,
        title: String,
        line: Option<usize>,
        draft: KbArticleDraft,
    ) {
        let key = draft.key.clone();
        let draft = KbArticleDraft {
            title: bounded(&draft.title, MAX_KB_TITLE_CHARS),
            ..draft
        };
        let skipped = if draft.title.is_empty() {
            Some("no title".to_owned())
        } else if draft.body.is_empty() {
            Some("no text".to_owned())
        } else {
            match draft.cleaned() {
                Ok(draft) => {
                    self.import.articles.push(draft);
                    None
                }
                Err(e) => Some(e.to_string()),
            }
        };
        self.items.push(Item {
            key,
            kind,
            source_id: id,
            title,
            line,
            skipped,
        });
    }
}

/// Drafts that unpublish the articles of an earlier import of this shop whose pages, categories
/// or products are gone from it now, so the bot stops answering about what the shop no longer
/// has; the articles stay, with their history, for an editor to delete or keep.
pub fn unpublish_missing(converted: &mut Converted, stored: &[KbArticle]) {
    let present: BTreeSet<&str> = converted.items.iter().map(|i| i.key.as_str()).collect();
    let gone: Vec<KbArticleDraft> = stored
        .iter()
        .filter(|a| {
            a.key.starts_with(KEY_PREFIX) && a.published && !present.contains(a.key.as_str())
        })
        .map(|a| KbArticleDraft {
            key: a.key.clone(),
            category: a.category.clone(),
            title: a.title.clone(),
            body: a.body.clone(),
            tags: a.tags.clone(),
            published: false,
        })
        .collect();
    converted.import.articles.extend(gone);
}

/// The first paragraph of a product: what it costs, whether it is there, who makes it.
fn facts(p: &Product, name: &str, categories: &[&str], currency: &str) -> String {
    let mut s = format!("{name} стоит {}.", price(&p.price, currency));
    if p.quantity > 0 {
        s.push_str(&format!(" Есть в наличии: {} шт.", p.quantity));
    } else {
        match p.stock_status.as_deref().map(decode_entities) {
            Some(status) if !status.trim().is_empty() => s.push_str(&format!(
                " Сейчас нет в наличии, статус: «{}».",
                status.trim()
            )),
            _ => s.push_str(" Сейчас нет в наличии."),
        }
    }
    if let Some(m) = p.manufacturer.as_deref().filter(|m| !m.trim().is_empty()) {
        s.push_str(&format!(" Производитель: {}.", decode_entities(m).trim()));
    }
    if !p.model.trim().is_empty() {
        s.push_str(&format!(" Модель: {}.", p.model.trim()));
    }
    if !p.sku.trim().is_empty() {
        s.push_str(&format!(" Артикул: {}.", p.sku.trim()));
    }
    if !categories.is_empty() {
        s.push_str(&format!(" Категория: {}.", categories.join(", ")));
    }
    s
}

/// `32990.0000` → `32 990 ₽`, `199.5` → `199,50 ₽`: how prices are written in Russian.
fn price(raw: &str, currency: &str) -> String {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    let cents: String = fraction.chars().chain("00".chars()).take(2).collect();
    let digits: Vec<char> = whole.trim_start_matches('-').chars().collect();
    let mut grouped = String::new();
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(*d);
    }
    if grouped.is_empty() {
        grouped.push('0');
    }
    let mut out = grouped;
    if cents != "00" && cents.chars().all(|c| c.is_ascii_digit()) {
        out.push(',');
        out.push_str(&cents);
    }
    if currency.is_empty() {
        out
    } else {
        format!("{out} {currency}")
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters, cut at the last sentence or word end before the limit.
fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max - 1).collect();
    let end = cut
        .rfind(['.', '!', '?', '\n'])
        .filter(|&i| i > cut.len() / 2)
        .map(|i| i + 1)
        .or_else(|| cut.rfind(' '))
        .unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

/// Distinct, trimmed, within the tag limits.
fn tags(words: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        let w = one_line(&w);
        if w.is_empty()
            || w.chars().count() > MAX_KB_TAG_CHARS
            || out.iter().any(|t| t.to_lowercase() == w.to_lowercase())
        {
            continue;
        }
        out.push(w);
        if out.len() == MAX_KB_TAGS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_as_written_in_russian() {
        let nb = |s: &str| s.to_owned();
        assert_eq!(price("32990.0000", "₽"), nb("32 990 ₽"));
        assert_eq!(price("199.5000", "₽"), nb("199,50 ₽"));
        assert_eq!(price("1234567", "руб."), nb("1 234 567 руб."));
        assert_eq!(price("0.0000", ""), "0");
        assert_eq!(price("990", "₽"), nb("990 ₽"));
    }

    #[test]
    fn long_texts_are_cut_at_a_sentence() {
        let s = "Первое предложение. Второе предложение длиннее.";
        assert_eq!(bounded(s, 30), "Первое предложение.…");
        assert_eq!(bounded(s, 100), s);
        let t = tags(["a".to_owned(), " A ".into(), "x".repeat(61), "b".into()]);
        assert_eq!(t, ["a", "b"]);
    }
}
