//! The tokenizer of the knowledge index, shared by indexing and queries.
//!
//! Terms come from [`frontline_text::term`] (lowercase, `ё`→`е`, Snowball stem of the word's
//! script) rather than tantivy's own stemmer, so retrieval, message search and triggers agree on
//! what counts as the same word. Function words are dropped: BM25 already gives them little
//! weight, but the normalised confidence counts every query term, and «как мне», «can I» would
//! otherwise dilute it for questions the knowledge base answers well.

use std::collections::HashSet;
use std::sync::OnceLock;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The name the tokenizer is registered under in the index.
pub const TOKENIZER_NAME: &str = "frontline";

/// Words that carry no topic, compared after [`frontline_text::normalize`]. Question words that do
/// carry one (`где`, `когда`, `сколько` — place, time, amount) are kept.
const STOP_WORDS: &str = "\
    а без бы в во вот вы вам вас ваш ваша ваше ваши да для до его ее если есть же за и из или им \
    их к как ко ли либо мне меня мой моя мое мои мы на над нам нас не нет ни но о об от по под при \
    про с со так там то тот у уже что чтобы это эта этот эти я можно пожалуйста здравствуйте \
    подскажите скажите хочу хотел хотела будет был была было были ну вообще какой какая какие \
    каким какими какую \
    a an and are as at be can could do does for from how i if in is it me my of on or please the \
    to we what with you your";

fn is_stop_word(word: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.split_whitespace().collect())
        .contains(frontline_text::normalize(word).as_str())
}

/// The index terms of `text` in order, stop words removed.
pub fn terms(text: &str) -> Vec<String> {
    frontline_text::tokens(text)
        .into_iter()
        .filter(|t| !is_stop_word(t.text))
        .map(|t| t.term)
        .collect()
}

/// The distinct terms of a query, in order of first appearance.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in terms(query) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// [`terms`] as a tantivy tokenizer.
#[derive(Debug, Clone, Default)]
pub struct FrontlineTokenizer;

/// The tokens of one text, computed up front: frontline-text works on whole strings, and the
/// texts here are fragments of a few hundred characters.
#[derive(Debug)]
pub struct FrontlineTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for FrontlineTokenizer {
    type TokenStream<'a> = FrontlineTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> FrontlineTokenStream {
        let tokens = frontline_text::tokens(text)
            .into_iter()
            .filter(|t| !is_stop_word(t.text))
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.start,
                offset_to: t.end,
                position,
                text: t.term,
                position_length: 1,
            })
            .collect();
        FrontlineTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for FrontlineTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &[&str]) {
        assert_eq!(terms(text), expected, "terms({text:?})");
    }

    #[test]
    fn stems_and_drops_function_words() {
        check(
            "Как оформить возврат заказа?",
            &["оформ", "возврат", "заказ"],
        );
        check("Где мои посылки", &["где", "посылк"]);
        check("How do I return orders", &["return", "order"]);
        check("Ёлка", &["елк"]);
    }

    #[test]
    fn stream_yields_the_same_terms() {
        let mut tokenizer = FrontlineTokenizer;
        let mut stream = tokenizer.token_stream("Доставка в Казань за 3 дня");
        let mut got = Vec::new();
        while stream.advance() {
            got.push(stream.token().text.clone());
        }
        assert_eq!(got, terms("Доставка в Казань за 3 дня"));
        assert_eq!(query_terms("заказ заказа"), vec!["заказ"]);
    }
}
