//! Grounded answers on the LLM path: a prompt that confines the model to retrieved fragments, and
//! the check of its reply.
//!
//! The model gets the fragments numbered, each labelled with its article id, and must reply with
//! JSON (see [`grounded_schema`]) naming the articles it used. [`parse_grounded`] keeps only ids
//! that were actually given: a model that cites an article it never saw has made the answer up, so
//! such ids are dropped and reported, and an answer left with no valid source is not treated as
//! answerable. Sending the request is the [`llm`](crate::llm) module's business.

use serde::Deserialize;
use serde_json::{Value, json};

use super::Fragment;

/// The system prompt: the rules of a grounded answer.
const SYSTEM: &str = "You are the customer-support assistant of an online shop. Answer the \
customer's question using ONLY the numbered knowledge-base fragments in the user message. Do not \
use outside knowledge and do not guess facts such as prices, dates, addresses or terms. Reply in \
the language of the question, briefly and politely. Reply with a JSON object: \"answer\" (the text \
for the customer), \"article_ids\" (the ids of the articles whose fragments you used, exactly as \
given in brackets) and \"answerable\" (true if the fragments contain the answer). If they do not, \
set \"answerable\" to false, \"article_ids\" to [] and say in \"answer\" that you do not know and \
will pass the question to an operator.";

/// The `(system, user)` messages asking for an answer to `question` grounded in `fragments`.
pub fn grounded_prompt(question: &str, fragments: &[Fragment]) -> (String, String) {
    let mut user = String::from("Knowledge-base fragments:\n");
    if fragments.is_empty() {
        user.push_str("(none)\n");
    }
    for (i, f) in fragments.iter().enumerate() {
        user.push_str(&format!(
            "\n[{}] article_id: {} | category: {} | title: {}\n{}\n",
            i + 1,
            f.article_id,
            f.category,
            f.title,
            f.text.trim()
        ));
    }
    user.push_str(&format!("\nCustomer question: {}", question.trim()));
    (SYSTEM.to_owned(), user)
}

/// The JSON schema of the reply, for structured output (`LlmClient::chat_json`).
pub fn grounded_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "answer": { "type": "string" },
            "article_ids": { "type": "array", "items": { "type": "string" } },
            "answerable": { "type": "boolean" }
        },
        "required": ["answer", "article_ids", "answerable"],
        "additionalProperties": false
    })
}

/// A checked grounded reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroundedAnswer {
    /// The answer for the customer (a "don't know" when not answerable).
    pub text: String,
    /// Cited article ids that were among the given fragments, in citation order, without repeats.
    pub article_ids: Vec<String>,
    /// The model said the fragments answer the question *and* cited at least one of them.
    pub answerable: bool,
    /// Cited ids that were not among the fragments, dropped from `article_ids`; non-empty means
    /// the model invented a source and the answer deserves suspicion (or a handoff).
    pub invented_ids: Vec<String>,
}

/// Why a reply could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GroundedError {
    #[error("grounded answer is not the expected json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("grounded answer is marked answerable but its text is empty")]
    EmptyAnswer,
}

#[derive(Deserialize)]
struct Reply {
    answer: String,
    #[serde(default)]
    article_ids: Vec<String>,
    answerable: bool,
}

/// Reads the model's reply to [`grounded_prompt`] and keeps only citations of `fragments`.
pub fn parse_grounded(json: &str, fragments: &[Fragment]) -> Result<GroundedAnswer, GroundedError> {
    let reply: Reply = serde_json::from_str(strip_code_fence(json))?;
    let mut article_ids: Vec<String> = Vec::new();
    let mut invented_ids: Vec<String> = Vec::new();
    for id in reply.article_ids.iter().map(|s| s.trim()) {
        let known = fragments.iter().any(|f| f.article_id == id);
        let list = if known {
            &mut article_ids
        } else {
            &mut invented_ids
        };
        if !list.iter().any(|x| x == id) {
            list.push(id.to_owned());
        }
    }
    let answerable = reply.answerable && !article_ids.is_empty();
    if answerable && reply.answer.trim().is_empty() {
        return Err(GroundedError::EmptyAnswer);
    }
    Ok(GroundedAnswer {
        text: reply.answer.trim().to_owned(),
        article_ids,
        answerable,
        invented_ids,
    })
}

/// Models outside strict JSON mode like to wrap the object in a Markdown fence.
fn strip_code_fence(s: &str) -> &str {
    let t = s.trim();
    match t.strip_prefix("```") {
        Some(rest) => {
            let rest = rest.strip_prefix("json").unwrap_or(rest);
            rest.strip_suffix("```").unwrap_or(rest).trim()
        }
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(id: &str, text: &str) -> Fragment {
        Fragment {
            article_id: id.to_owned(),
            category: "delivery".to_owned(),
            title: "Сроки доставки".to_owned(),
            text: text.to_owned(),
            score: 1.0,
            confidence: 1.0,
        }
    }

    fn fragments() -> Vec<Fragment> {
        vec![
            fragment(
                "delivery-times",
                "По Москве курьер привозит заказ на следующий день.",
            ),
            fragment("pickup-points", "Заказ хранится в пункте выдачи 7 дней."),
        ]
    }

    #[test]
    fn prompt_numbers_fragments_with_their_ids() {
        let (system, user) = grounded_prompt("Когда привезут?", &fragments());
        assert!(system.contains("ONLY") && system.contains("article_ids"));
        assert!(user.contains("[1] article_id: delivery-times"), "{user}");
        assert!(user.contains("[2] article_id: pickup-points"), "{user}");
        assert!(user.contains("курьер привозит заказ на следующий день"));
        assert!(user.ends_with("Customer question: Когда привезут?"));
        let (_, empty) = grounded_prompt("?", &[]);
        assert!(empty.contains("(none)"));
    }

    #[test]
    fn keeps_given_ids_and_drops_invented_ones() {
        let reply = r#"```json
        {"answer": "Курьер привезёт завтра.", "article_ids": ["delivery-times", "warranty", "delivery-times"], "answerable": true}
        ```"#;
        let got = parse_grounded(reply, &fragments()).unwrap();
        assert_eq!(
            got,
            GroundedAnswer {
                text: "Курьер привезёт завтра.".to_owned(),
                article_ids: vec!["delivery-times".to_owned()],
                answerable: true,
                invented_ids: vec!["warranty".to_owned()],
            }
        );
    }

    #[test]
    fn an_answer_citing_only_invented_ids_is_not_answerable() {
        let reply =
            r#"{"answer": "Гарантия 5 лет.", "article_ids": ["warranty"], "answerable": true}"#;
        let got = parse_grounded(reply, &fragments()).unwrap();
        assert!(!got.answerable);
        assert!(got.article_ids.is_empty());
        assert_eq!(got.invented_ids, vec!["warranty"]);
    }

    #[test]
    fn dont_know_and_malformed_replies() {
        let reply =
            r#"{"answer": "Не знаю, передам оператору.", "article_ids": [], "answerable": false}"#;
        let got = parse_grounded(reply, &fragments()).unwrap();
        assert!(!got.answerable && got.article_ids.is_empty());

        let err = parse_grounded(r#"{"answer": "x"}"#, &fragments()).unwrap_err();
        assert!(err.to_string().contains("answerable"), "{err}");
        let err = parse_grounded(
            r#"{"answer": " ", "article_ids": ["delivery-times"], "answerable": true}"#,
            &fragments(),
        )
        .unwrap_err();
        assert!(matches!(err, GroundedError::EmptyAnswer));
    }
}
