//! The bot's configuration file: intents with examples, trigger phrases, the values they need and how
//! each is answered, plus the texts and limits of the conversation. [`BotConfig::compile`] trains the
//! classifier, calibrates the triggers and builds the [`Policy`] from it.
//!
//! The format is JSON (see `demo.json`, the built-in demo shop, for a complete example). Unknown
//! fields are refused, so a typo in a key is an error at start-up, not a silently ignored setting.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::briefing::DEFAULT_BRIEFING_TEMPLATE;
use crate::intent::embedding::TextEmbedder;
use crate::intent::{IntentExample, IntentModel, OOS_LABEL, TrainOptions};
use crate::policy::{IntentPolicy, Policy, RequestType};
use crate::schedule::Schedule;
use crate::slots::SlotKind;
use crate::triggers::{TriggerRule, TriggerSet};
use crate::upset::UpsetDetector;

/// The built-in demo configuration: a Russian online electronics shop.
pub const DEMO_CONFIG_JSON: &str = include_str!("demo.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    /// A name for logs and the admin API.
    pub name: String,
    /// The customers' UTC offset, for "today" and "tomorrow" in dates.
    #[serde(default = "default_utc_offset")]
    pub utc_offset_minutes: i32,
    /// What the bot says when a message is outside every topic (the first time; the second time
    /// it hands off).
    pub fallback: String,
    /// What the bot says the second time in a row a message is off topic, when
    /// `after_fallbacks` is `end`, and instead of repeating `fallback` word for word otherwise.
    #[serde(default = "default_fallback_again")]
    pub fallback_again: String,
    /// What happens when messages stay off topic after `max_fallbacks` fallbacks: a person takes
    /// over (`handoff`, the default) or the bot ends politely (`end`).
    #[serde(default)]
    pub after_fallbacks: AfterFallbacks,
    /// What the bot says before handing over, unless the intent has its own message.
    pub handoff_message: String,
    /// Said when handing over an upset customer ([`crate::upset`]).
    #[serde(default = "default_upset_message")]
    pub upset_message: String,
    /// Said when handing over a customer in a hurry.
    #[serde(default = "default_urgent_message")]
    pub urgent_message: String,
    /// Opening hours: when present, schedule questions (the intent named `schedule`) are
    /// answered exactly from them, for the day asked about.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    /// The answer to a message with attachments and no text.
    pub attachment_reply: String,
    /// The operator briefing; placeholders as in [`crate::briefing::render_briefing`].
    #[serde(default = "default_briefing")]
    pub briefing_template: String,
    /// The confidence the bot needs to answer an intent that sets no `threshold` of its own;
    /// without it each request type has its own default ([`RequestType::default_threshold`]).
    /// Below it the bot asks a clarifying question, and after `max_clarify` of them a person
    /// takes over. Complaints and urgent requests keep their own (low) thresholds: theirs is the
    /// confidence needed to recognise a case for a person, not to answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_threshold: Option<f32>,
    /// Clarifying questions in a row before a person takes over (0: hand over at once).
    #[serde(default = "default_max_clarify")]
    pub max_clarify: u32,
    #[serde(default = "default_max_fallbacks")]
    pub max_fallbacks: u32,
    #[serde(default)]
    pub knowledge: KnowledgeSettings,
    /// Messages no intent covers, trained as the out-of-scope class so the classifier learns what
    /// "none of these" looks like.
    #[serde(default)]
    pub out_of_scope_examples: Vec<String>,
    pub intents: Vec<IntentConfig>,
}

/// How the knowledge base is used to answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KnowledgeSettings {
    /// Fragments retrieved per question (the LLM sees all of them).
    pub top_k: usize,
    /// Confidence a fragment needs to be quoted as the answer to a recognised FAQ intent.
    pub answer_threshold: f32,
    /// Confidence a fragment needs to answer a question *no intent recognised*: higher, because
    /// nothing else vouches for the topic.
    pub direct_threshold: f32,
}

impl Default for KnowledgeSettings {
    fn default() -> Self {
        Self {
            top_k: 4,
            answer_threshold: 0.5,
            direct_threshold: 0.75,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentConfig {
    /// `order_status`; lowercase latin, digits and `_`.
    pub name: String,
    /// A short human name («статус заказа») for clarifying questions and briefings.
    pub label: String,
    /// `status_check`, `data_change`, `faq`, `complaint`, `urgent` or `other`.
    pub request_type: String,
    /// Calibrated confidence needed to act; defaults by request type.
    #[serde(default)]
    pub threshold: Option<f32>,
    /// Slot keys the answer needs, asked in this order: `order_number`, `phone`, `email`, `date`,
    /// `amount`.
    #[serde(default)]
    pub slots: Vec<String>,
    /// Phrases that decide the intent when they occur (by stems: `заказ` matches `заказа`).
    #[serde(default)]
    pub triggers: Vec<String>,
    #[serde(default)]
    pub trigger_priority: i32,
    /// The question that tells this intent apart from its neighbours.
    #[serde(default)]
    pub clarify: Option<String>,
    /// How customers phrase it; the classifier learns from these.
    pub examples: Vec<String>,
    pub answer: AnswerConfig,
}

/// What follows repeated off-topic messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterFallbacks {
    #[default]
    Handoff,
    End,
}

/// How a recognised intent is answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AnswerConfig {
    /// A fixed reply; `{order_number}`-style placeholders take the collected slots.
    Text { text: String },
    /// An answer from the knowledge base, optionally from one category only.
    Knowledge {
        #[serde(default)]
        category: Option<String>,
    },
    /// A person handles it (after the slots are collected); `message` is said first.
    Handoff {
        #[serde(default)]
        message: Option<String>,
    },
}

fn default_utc_offset() -> i32 {
    180
}
fn default_briefing() -> String {
    DEFAULT_BRIEFING_TEMPLATE.to_owned()
}
fn default_max_clarify() -> u32 {
    2
}
fn default_max_fallbacks() -> u32 {
    1
}
fn default_fallback_again() -> String {
    "Боюсь, с этим я не помогу. Если появится вопрос о заказе, доставке, оплате, возврате или \
     гарантии — пишите, я на связи."
        .to_owned()
}
fn default_upset_message() -> String {
    "Понимаю, как это неприятно, и прошу прощения. Сразу передаю ваше обращение оператору — он \
     ответит здесь в ближайшее время."
        .to_owned()
}
fn default_urgent_message() -> String {
    "Понимаю, что это срочно. Сразу подключаю оператора — он ответит в течение нескольких минут."
        .to_owned()
}

/// Everything wrong with a configuration, each problem with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid bot configuration:\n- {}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n- "))]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

/// One problem of a configuration: the field it is in (`intents[2].examples`,
/// `knowledge.top_k`; empty for the document as a whole) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// A configuration ready to run: the trained classifier, calibrated triggers and the policy.
#[derive(Debug, Clone)]
pub struct CompiledConfig {
    pub config: BotConfig,
    pub model: IntentModel,
    pub triggers: TriggerSet,
    pub policy: Policy,
    /// The sentence encoder the classifier was trained with, when there is one: any stage may
    /// ask it for a message's embedding ([`TextEmbedder::message`]); the classifier's own
    /// [`IntentModel::predict`] already does, and the answer is remembered for the turn, so
    /// asking again costs nothing.
    pub encoder: Option<TextEmbedder>,
    /// Reads upset customers; calibrated with the encoder when there is one.
    pub upset: UpsetDetector,
}

impl CompiledConfig {
    pub fn intent(&self, name: &str) -> Option<&IntentConfig> {
        self.config.intents.iter().find(|i| i.name == name)
    }
}

impl BotConfig {
    /// The built-in demo shop.
    pub fn demo() -> Self {
        Self::from_json(DEMO_CONFIG_JSON).expect("demo.json is a valid bot configuration")
    }

    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(text).map_err(|e| ConfigError {
            problems: vec![Problem::new(
                "",
                format!("line {}, column {}: {e}", e.line(), e.column()),
            )],
        })
    }

    /// Every problem at once, so an editor fixes them in one go.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        let mut names = BTreeSet::new();
        if self.intents.len() < 2 {
            problems.push(Problem::new("intents", "at least two intents are needed"));
        }
        for (i, intent) in self.intents.iter().enumerate() {
            let at = |field: &str| format!("intents[{i}].{field}");
            let valid_name = !intent.name.is_empty()
                && intent
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid_name || intent.name == OOS_LABEL {
                problems.push(Problem::new(
                    at("name"),
                    format!(
                        "`{}`: a name is lowercase latin letters, digits and `_`, not `{OOS_LABEL}`",
                        intent.name
                    ),
                ));
            }
            if !names.insert(intent.name.as_str()) {
                problems.push(Problem::new(
                    at("name"),
                    format!("duplicate intent name `{}`", intent.name),
                ));
            }
            if RequestType::parse(&intent.request_type).is_none() {
                problems.push(Problem::new(
                    at("request_type"),
                    format!(
                        "unknown request_type `{}` (status_check, data_change, faq, complaint, urgent, other)",
                        intent.request_type
                    ),
                ));
            }
            if let Some(t) = intent.threshold
                && !(0.0..=1.0).contains(&t)
            {
                problems.push(Problem::new(at("threshold"), "must be within [0, 1]"));
            }
            for slot in &intent.slots {
                if SlotKind::from_key(slot).is_none() {
                    problems.push(Problem::new(
                        at("slots"),
                        format!("unknown slot `{slot}` (order_number, phone, email, date, amount)"),
                    ));
                }
            }
            let examples = intent.examples.iter().filter(|e| !e.trim().is_empty());
            if examples.count() < 3 {
                problems.push(Problem::new(
                    at("examples"),
                    "at least 3 examples are needed",
                ));
            }
            if let AnswerConfig::Text { text } = &intent.answer
                && text.trim().is_empty()
            {
                problems.push(Problem::new(at("answer.text"), "answer text is empty"));
            }
        }
        for (what, text) in [
            ("fallback", &self.fallback),
            ("handoff_message", &self.handoff_message),
            ("fallback_again", &self.fallback_again),
            ("upset_message", &self.upset_message),
            ("urgent_message", &self.urgent_message),
            ("attachment_reply", &self.attachment_reply),
        ] {
            if text.trim().is_empty() {
                problems.push(Problem::new(what, "is empty"));
            }
        }
        if self.fallback_again.trim() == self.fallback.trim() {
            problems.push(Problem::new("fallback_again", "must differ from fallback: the same canned text twice in a row reads as a broken bot"));
        }
        if let Some(s) = &self.schedule {
            problems.extend(
                s.problems()
                    .into_iter()
                    .map(|p| Problem::new("schedule", p)),
            );
        }
        let k = &self.knowledge;
        if k.top_k == 0 {
            problems.push(Problem::new("knowledge.top_k", "must be at least 1"));
        }
        for (what, v) in [
            ("knowledge.answer_threshold", k.answer_threshold),
            ("knowledge.direct_threshold", k.direct_threshold),
        ] {
            if !(0.0..=1.0).contains(&v) {
                problems.push(Problem::new(what, "must be within [0, 1]"));
            }
        }
        if let Some(t) = self.confidence_threshold
            && !(0.0..=1.0).contains(&t)
        {
            problems.push(Problem::new(
                "confidence_threshold",
                "must be within [0, 1]",
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The calibrated confidence `intent` needs: its own threshold, else the configuration's
    /// `confidence_threshold` (for the types the bot answers), else its request type's default.
    pub fn threshold_of(&self, intent: &IntentConfig) -> f32 {
        let request_type = RequestType::parse(&intent.request_type).unwrap_or(RequestType::Other);
        let global = self
            .confidence_threshold
            .filter(|_| !matches!(request_type, RequestType::Complaint | RequestType::Urgent));
        intent
            .threshold
            .or(global)
            .unwrap_or_else(|| request_type.default_threshold())
    }

    /// Validates, trains the classifier on the examples (plus the out-of-scope ones), and
    /// calibrates the trigger phrases on the same examples.
    pub fn compile(self) -> Result<CompiledConfig, ConfigError> {
        self.compile_with(None)
    }

    /// [`compile`](Self::compile) with the classifier also trained on `encoder`'s sentence
    /// embeddings (and using it for out-of-scope detection), when given.
    pub fn compile_with(
        self,
        encoder: Option<TextEmbedder>,
    ) -> Result<CompiledConfig, ConfigError> {
        self.validate()?;
        let mut examples: Vec<IntentExample> = Vec::new();
        for intent in &self.intents {
            for e in intent.examples.iter().filter(|e| !e.trim().is_empty()) {
                examples.push(IntentExample::new(e.as_str(), intent.name.as_str()));
            }
        }
        for e in self
            .out_of_scope_examples
            .iter()
            .filter(|e| !e.trim().is_empty())
        {
            examples.push(IntentExample::new(e.as_str(), OOS_LABEL));
        }
        let model = IntentModel::train_with(&examples, &TrainOptions::default(), encoder.as_ref())
            .map_err(|e| ConfigError {
                problems: vec![Problem::new(
                    "intents",
                    format!("training the classifier failed: {e}"),
                )],
            })?;

        let rules: Vec<TriggerRule> = self
            .intents
            .iter()
            .filter(|i| !i.triggers.is_empty())
            .map(|i| TriggerRule {
                intent: i.name.clone(),
                phrases: i.triggers.clone(),
                priority: i.trigger_priority,
            })
            .collect();
        let mut triggers = TriggerSet::new(rules);
        let labelled: Vec<(&str, &str)> = examples
            .iter()
            .map(|e| (e.text.as_str(), e.intent.as_str()))
            .collect();
        triggers.calibrate(&labelled);

        let mut policy = Policy::new(
            self.intents
                .iter()
                .map(|i| {
                    let request_type =
                        RequestType::parse(&i.request_type).unwrap_or(RequestType::Other);
                    let mut p = IntentPolicy::new(i.name.as_str(), request_type)
                        .with_label(i.label.as_str())
                        .requires(
                            &i.slots
                                .iter()
                                .filter_map(|s| SlotKind::from_key(s))
                                .collect::<Vec<_>>(),
                        );
                    p = p.with_threshold(self.threshold_of(i));
                    if let Some(q) = &i.clarify {
                        p = p.with_clarify(q.as_str());
                    }
                    p
                })
                .collect(),
        );
        policy.max_clarify = self.max_clarify;
        policy.max_fallbacks = self.max_fallbacks;
        Ok(CompiledConfig {
            config: self,
            model,
            triggers,
            policy,
            upset: UpsetDetector::calibrated(encoder.clone()),
            encoder,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_compiles_and_covers_the_typology() {
        let compiled = BotConfig::demo().compile().expect("demo compiles");
        let types: BTreeSet<&str> = compiled
            .config
            .intents
            .iter()
            .map(|i| i.request_type.as_str())
            .collect();
        for t in ["status_check", "data_change", "faq", "complaint", "urgent"] {
            assert!(types.contains(t), "demo has no {t} intent");
        }
        for name in [
            "order_status",
            "balance",
            "schedule",
            "change_data",
            "delivery",
            "payment",
            "returns",
            "complaint",
            "urgent",
        ] {
            assert!(compiled.intent(name).is_some(), "demo lacks {name}");
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let mut c = BotConfig::demo();
        c.intents[0].request_type = "nonsense".into();
        c.intents[1].slots.push("passport".into());
        c.intents[2].name = c.intents[3].name.clone();
        c.intents[4].examples.truncate(1);
        c.knowledge.top_k = 0;
        let err = c.validate().unwrap_err();
        let all = err.to_string();
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "intents[0].request_type",
                "intents[1].slots",
                "intents[3].name",
                "intents[4].examples",
                "knowledge.top_k"
            ],
            "{all}"
        );
        assert!(all.contains("unknown request_type `nonsense`"));
        assert!(all.contains("unknown slot `passport`"));
        assert!(all.contains("duplicate intent name"));
        assert!(all.contains("at least 3 examples"));
        assert_eq!(err.problems.len(), 5, "{all}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = BotConfig::from_json(r#"{"name":"x","fallbak":"typo"}"#).unwrap_err();
        assert!(err.problems[0].message.contains("fallbak"), "{err}");
    }
}
