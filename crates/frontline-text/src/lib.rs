//! Text analysis for Russian and English chat messages.
//!
//! Search has to find `заказа` for the query `заказ` on SQLite and on PostgreSQL alike, so stemming happens
//! here, in Rust, once: stores index the *terms* this crate produces and match query terms produced the
//! same way. That keeps both backends' results identical (PostgreSQL's `russian` config and SQLite's
//! tokenizers disagree) and lets the snippet highlighter mark exactly the words that matched.

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

/// A word of the input with its byte range and its search term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
    pub term: String,
}

fn russian() -> &'static Stemmer {
    static S: OnceLock<Stemmer> = OnceLock::new();
    S.get_or_init(|| Stemmer::create(Algorithm::Russian))
}

fn english() -> &'static Stemmer {
    static S: OnceLock<Stemmer> = OnceLock::new();
    S.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// Lowercase and fold `ё` to `е`, which Russian writers use interchangeably.
pub fn normalize(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

/// The search term of one word: normalised, then stemmed with the stemmer of its script. Numbers and
/// mixed tokens are kept as they are, so order numbers are found exactly.
pub fn term(word: &str) -> String {
    let w = normalize(word);
    if w.chars().any(|c| c.is_ascii_digit()) {
        return w;
    }
    if w.chars().any(is_cyrillic) {
        russian().stem(&w).into_owned()
    } else if w.chars().all(|c| c.is_ascii_alphabetic()) {
        english().stem(&w).into_owned()
    } else {
        w
    }
}

/// Split text into words (runs of letters and digits) with their terms.
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            push_token(&mut out, text, s, i);
        }
    }
    if let Some(s) = start {
        push_token(&mut out, text, s, text.len());
    }
    out
}

fn push_token<'a>(out: &mut Vec<Token<'a>>, text: &'a str, start: usize, end: usize) {
    let word = &text[start..end];
    out.push(Token {
        text: word,
        start,
        end,
        term: term(word),
    });
}

/// The terms to index for a message, space separated (what the stores put in their full-text index).
pub fn index_terms(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for t in tokens(text) {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&t.term);
    }
    s
}

/// The distinct terms of a search query, in order. Every one of them must match (AND).
pub fn query_terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tokens(query) {
        if !out.contains(&t.term) {
            out.push(t.term);
        }
    }
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// HTML-escape `s`.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// A snippet of about `max_chars` characters around the first word matching `terms`, HTML-escaped, with
/// every matching word wrapped in `<mark>…</mark>` and `…` where the text was cut.
pub fn highlight(text: &str, terms: &[String], max_chars: usize) -> String {
    let toks = tokens(text);
    let is_hit = |t: &Token<'_>| terms.contains(&t.term);
    let first_hit = toks.iter().position(is_hit);

    // Window in bytes: start a little before the first hit so the reader sees its context.
    let total_chars = text.chars().count();
    let (from, to) = if total_chars <= max_chars {
        (0, text.len())
    } else {
        let hit_start = first_hit.map(|i| toks[i].start).unwrap_or(0);
        let lead = max_chars / 4;
        let chars_before = text[..hit_start].chars().count();
        let from_char = chars_before.saturating_sub(lead);
        let mut from = char_to_byte(text, from_char);
        // Snap forward to a word start so no word is cut in half.
        if let Some(t) = toks.iter().find(|t| t.end > from)
            && t.start < from
        {
            from = t.start.min(hit_start);
        }
        let from_chars = text[..from].chars().count();
        let mut to = char_to_byte(text, (from_chars + max_chars).min(total_chars));
        if let Some(t) = toks.iter().find(|t| t.start < to && t.end > to) {
            to = if t.start > from { t.start } else { t.end };
        }
        (from, to)
    };

    let mut out = String::with_capacity(to - from + 32);
    if from > 0 {
        out.push('…');
    }
    let mut pos = from;
    for t in toks.iter().filter(|t| t.start >= from && t.end <= to) {
        if is_hit(t) {
            escape_into(&mut out, &text[pos..t.start]);
            out.push_str("<mark>");
            escape_into(&mut out, t.text);
            out.push_str("</mark>");
            pos = t.end;
        }
    }
    escape_into(&mut out, &text[pos..to]);
    if to < text.len() {
        out.push('…');
    }
    out
}

fn char_to_byte(text: &str, n: usize) -> usize {
    text.char_indices()
        .nth(n)
        .map(|(i, _)| i)
        .unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_same_term(a: &str, b: &str) {
        assert_eq!(term(a), term(b), "{a} vs {b}");
    }

    #[test]
    fn russian_inflections_share_a_term() {
        for w in ["заказа", "заказу", "заказом", "заказы", "Заказ"] {
            check_same_term("заказ", w);
        }
        for w in ["доставки", "доставку", "доставкой"] {
            check_same_term("доставка", w);
        }
        check_same_term("пришёл", "пришел");
    }

    #[test]
    fn english_inflections_share_a_term() {
        check_same_term("order", "orders");
        check_same_term("delivery", "deliveries");
        check_same_term("refund", "refunded");
    }

    #[test]
    fn numbers_stay_exact() {
        assert_eq!(term("7157703"), "7157703");
        assert_eq!(term("AB12"), "ab12");
        assert_eq!(query_terms("заказ №7157703"), vec!["заказ", "7157703"]);
    }

    #[test]
    fn tokens_split_on_punctuation() {
        let words: Vec<_> = tokens("трек-номер, «Где»?")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(words, vec!["трек", "номер", "Где"]);
    }

    #[test]
    fn index_and_query_agree() {
        let idx = index_terms("Где мой заказ? Доставка опять задерживается");
        for q in query_terms("заказа доставки") {
            assert!(idx.split(' ').any(|t| t == q), "{q} not in {idx}");
        }
    }

    #[test]
    fn highlight_marks_matches_and_escapes() {
        let terms = query_terms("заказ");
        assert_eq!(
            highlight("Статус <b>заказа</b> & заказу", &terms, 200),
            "Статус &lt;b&gt;<mark>заказа</mark>&lt;/b&gt; &amp; <mark>заказу</mark>"
        );
    }

    #[test]
    fn highlight_windows_long_text_around_the_hit() {
        let text = format!(
            "{} где мой заказ {}",
            "слово ".repeat(100),
            "хвост ".repeat(100)
        );
        let s = highlight(&text, &query_terms("заказ"), 60);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>заказ</mark>"), "{s}");
        assert!(s.chars().count() < 100, "{s}");
    }

    #[test]
    fn highlight_without_hit_returns_the_start() {
        let s = highlight("short text", &query_terms("absent"), 100);
        assert_eq!(s, "short text");
    }
}
