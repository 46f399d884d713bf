//! Splitting an article body into fragments, the unit retrieval ranks and answers quote.
//!
//! A whole article is too long to quote and dilutes BM25 with unrelated paragraphs; a single
//! sentence loses its context. Paragraphs are the natural unit editors already write in, so a
//! paragraph is a fragment; a paragraph longer than [`MAX_CHARS`] is cut into passages at sentence
//! boundaries, and a paragraph shorter than [`MIN_CHARS`] (a lead line, a one-line note) is joined
//! with the next one. The article title is not repeated here: the index stores it beside every
//! fragment as context.

/// Passages are cut to about this many characters (a sentence longer than this is cut at a word).
pub const MAX_CHARS: usize = 400;
/// Paragraphs shorter than this are joined to the next one.
pub const MIN_CHARS: usize = 80;

/// The fragments of `body`, in order; an empty body has none.
pub fn split(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for p in paragraphs(body) {
        let p = if pending.is_empty() {
            p
        } else {
            let joined = format!("{pending}\n{p}");
            if chars(&joined) <= MAX_CHARS {
                pending.clear();
                joined
            } else {
                // Too long together: the short paragraph stands on its own.
                out.push(std::mem::take(&mut pending));
                p
            }
        };
        if chars(&p) < MIN_CHARS {
            pending = p;
        } else if chars(&p) <= MAX_CHARS {
            out.push(p);
        } else {
            out.extend(passages(&p));
        }
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Paragraphs separated by blank lines, with their lines joined by spaces.
fn paragraphs(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in body.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// Greedy packing of whole sentences into passages of at most [`MAX_CHARS`].
fn passages(paragraph: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for sentence in sentences(paragraph) {
        for piece in cut_long(sentence) {
            if !current.is_empty() && chars(&current) + 1 + chars(piece) > MAX_CHARS {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(piece);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Sentences end at `.`, `!`, `?` or `…` followed by a space and a capital letter, digit or
/// quote; requiring the capital keeps abbreviations such as «руб. в месяц» in one sentence.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let end = i + c.len_utf8();
        let rest = &text[end..];
        let trimmed = rest.trim_start();
        if trimmed.len() == rest.len() {
            continue;
        }
        let starts_sentence = trimmed
            .chars()
            .next()
            .is_some_and(|n| n.is_uppercase() || n.is_ascii_digit() || matches!(n, '«' | '"'));
        if starts_sentence {
            out.push(text[start..end].trim());
            start = text.len() - trimmed.len();
        }
    }
    let tail = text[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

/// A sentence longer than [`MAX_CHARS`] cut at spaces.
fn cut_long(sentence: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = sentence;
    while chars(rest) > MAX_CHARS {
        let limit = rest
            .char_indices()
            .nth(MAX_CHARS)
            .map_or(rest.len(), |(i, _)| i);
        let cut = rest[..limit].rfind(' ').filter(|&c| c > 0).unwrap_or(limit);
        out.push(rest[..cut].trim_end());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_fragments() {
        let body = "Первый абзац о доставке курьером по городу, он достаточно длинный, чтобы стоять отдельно.\n\n\
                    Второй абзац о пунктах выдачи: их больше двухсот, заказ хранится там семь дней.";
        let got = split(body);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("Первый") && got[1].starts_with("Второй"));
    }

    #[test]
    fn short_paragraphs_join_the_next() {
        let got = split(
            "Коротко.\n\nЕщё коротко.\n\nДлинный абзац, который объясняет условия подробно и сам по себе дотягивает до минимума.",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("Коротко.\nЕщё коротко.\nДлинный"));
        assert_eq!(split("Одна строка."), vec!["Одна строка."]);
        assert!(split(" \n\n ").is_empty());
    }

    #[test]
    fn long_paragraphs_split_at_sentences() {
        let sentence = "Курьер привезёт заказ в выбранный интервал и позвонит за час до приезда, стоимость 1 руб. в минуту ожидания. ";
        let body = sentence.repeat(8);
        let got = split(&body);
        assert!(got.len() >= 2, "{got:?}");
        for f in &got {
            assert!(chars(f) <= MAX_CHARS, "{} chars: {f}", chars(f));
            assert!(f.starts_with("Курьер") && f.ends_with("ожидания."), "{f}");
        }
        // Nothing is lost: the passages put back together are the paragraph.
        assert_eq!(got.join(" "), body.trim());
    }

    #[test]
    fn a_sentence_longer_than_a_passage_is_cut_at_words() {
        let body = "слово ".repeat(200);
        let got = split(&body);
        assert!(got.len() >= 3);
        assert!(
            got.iter()
                .all(|f| chars(f) <= MAX_CHARS && !f.contains("  "))
        );
        assert_eq!(got.join(" "), body.trim());
    }
}
