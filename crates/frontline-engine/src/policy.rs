//! The decision after each customer message: answer, ask for a missing value, clarify, hand off to
//! an operator, or fall back — from the signals the other parts produced.
//!
//! [`decide`] is a pure function of a [`Policy`] (per-intent settings) and [`Signals`] (what the
//! trigger phrases, the classifier and the LLM made of the message, plus conversation counters).
//! The rules, in the order they are applied, and why:
//!
//! 1. **The customer asked for a human → hand off (`customer_asked`).** Always, whatever else
//!    looks confident: keeping someone with a bot they asked to leave is the fastest way to lose
//!    them, and the brief's "по запросу клиента" makes it a product promise.
//! 2. **An urgent topic → hand off (`topic_policy`)** as soon as any stage recognises it above its
//!    (low) threshold, even if another stage is confident about something else: missing an urgent
//!    case costs the customer, a needless handoff costs an operator a minute.
//! 3. **A complaint → hand off (`topic_policy`).** The brief automates only 20% of complaints, and
//!    that 20% is the empathetic acknowledgement, which is the workflow's business (its Handoff
//!    node may send one before the operator joins), not a decision of this function.
//! 4. **A confident intent → answer**, where confident means: the stage (trigger, classifier, LLM)
//!    with the highest *calibrated* confidence among those at or above the intent's threshold.
//!    Calibrated confidences are comparable across stages, so the best one wins regardless of
//!    which stage produced it. If the intent needs a value (an order number) that is neither in
//!    the conversation's slots nor in this message, ask for it first — and never for a known one.
//! 5. **Out of scope → fall back** the first time (the workflow's fallback answer says what the
//!    bot can do), **hand off (`low_confidence`)** when it happens again: two misses in a row mean
//!    the customer needs something the bot does not cover.
//! 6. **The LLM failed and nothing else has a lead → hand off (`llm_unavailable`).** If a trigger
//!    or the classifier has at least a weak guess, a clarifying question can still make progress
//!    without the LLM, so clarify instead.
//! 7. **Otherwise clarify**: one precise question (see [`clarify_question`]), at most
//!    [`Policy::max_clarify`] times in a row; then **hand off (`repeated_clarify`)**, because a
//!    third "не понял" annoys more than it helps.
//!
//! Thresholds default per [`RequestType`], see [`RequestType::default_threshold`].

use std::collections::BTreeMap;

use frontline_domain::HandoffReason;

use crate::human::asks_for_human;
use crate::intent::OOS_LABEL;
use crate::slots::{CivilDate, SlotKind, extract};
use crate::triggers::TriggerMatch;

/// The brief's typology of incoming requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestType {
    StatusCheck,
    DataChange,
    Faq,
    Complaint,
    Urgent,
    Other,
}

impl RequestType {
    pub const ALL: [RequestType; 6] = [
        RequestType::StatusCheck,
        RequestType::DataChange,
        RequestType::Faq,
        RequestType::Complaint,
        RequestType::Urgent,
        RequestType::Other,
    ];

    /// The name used in configuration files and analytics (`status_check`).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestType::StatusCheck => "status_check",
            RequestType::DataChange => "data_change",
            RequestType::Faq => "faq",
            RequestType::Complaint => "complaint",
            RequestType::Urgent => "urgent",
            RequestType::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The share of this type the brief expects the bot to close by itself.
    pub fn automation_target(self) -> f32 {
        match self {
            RequestType::StatusCheck => 0.95,
            RequestType::Faq => 0.90,
            RequestType::DataChange => 0.75,
            RequestType::Urgent => 0.40,
            RequestType::Complaint => 0.20,
            RequestType::Other => 0.60,
        }
    }

    /// The calibrated confidence at which an intent of this type is acted upon.
    ///
    /// For types the bot answers, the threshold follows the cost of a wrong answer and the
    /// automation target together: a status check is read-only and should be automated almost
    /// always (95%), so the bot answers when moderately sure (0.60) — a wrong status is cheap to
    /// correct. FAQ answers mislead more when wrong and aim a little lower (0.70). A data change
    /// writes the customer's data and aims at 75% automation only, so it needs 0.85: a wrong
    /// change is expensive and the operator is the right fallback. `Other` sits in between (0.75).
    ///
    /// For complaints (0.50) and urgent requests (0.40) the threshold is the confidence needed to
    /// *recognise* the topic, which leads to a handoff, so it is low: handing off a false alarm
    /// costs an operator a minute, keeping an urgent case with the bot costs the customer.
    pub fn default_threshold(self) -> f32 {
        match self {
            RequestType::StatusCheck => 0.60,
            RequestType::Faq => 0.70,
            RequestType::DataChange => 0.85,
            RequestType::Complaint => 0.50,
            RequestType::Urgent => 0.40,
            RequestType::Other => 0.75,
        }
    }
}

/// How one intent is handled.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentPolicy {
    pub intent: String,
    pub request_type: RequestType,
    pub answer_threshold: f32,
    /// The question that tells this intent apart from its neighbours («Вы хотите узнать статус
    /// заказа или оформить возврат?»).
    pub clarify_question: Option<String>,
    /// Values the answer needs; asked for one at a time, in this order.
    pub required_slots: Vec<SlotKind>,
    /// A short human name («статус заказа»), used to build "this or that?" questions.
    pub label: Option<String>,
}

impl IntentPolicy {
    pub fn new(intent: impl Into<String>, request_type: RequestType) -> Self {
        Self {
            intent: intent.into(),
            request_type,
            answer_threshold: request_type.default_threshold(),
            clarify_question: None,
            required_slots: Vec::new(),
            label: None,
        }
    }

    pub fn with_threshold(mut self, threshold: f32) -> Self {
        self.answer_threshold = threshold;
        self
    }

    pub fn with_clarify(mut self, question: impl Into<String>) -> Self {
        self.clarify_question = Some(question.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn requires(mut self, slots: &[SlotKind]) -> Self {
        self.required_slots = slots.to_vec();
        self
    }
}

/// Per-intent settings plus the conversation-level limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub intents: BTreeMap<String, IntentPolicy>,
    /// Clarifying questions in a row before handing off.
    pub max_clarify: u32,
    /// Out-of-scope fallbacks in a row before handing off.
    pub max_fallbacks: u32,
    /// Below this, a trigger or classifier guess is no lead at all (rule 6 of the module docs).
    pub min_lead_confidence: f32,
    pub generic_clarify: String,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            intents: BTreeMap::new(),
            max_clarify: 2,
            max_fallbacks: 1,
            min_lead_confidence: 0.2,
            generic_clarify:
                "Не совсем понял вопрос. Уточните, пожалуйста, что именно вас интересует?".into(),
        }
    }
}

impl Policy {
    pub fn new(intents: Vec<IntentPolicy>) -> Self {
        Self {
            intents: intents.into_iter().map(|p| (p.intent.clone(), p)).collect(),
            ..Self::default()
        }
    }

    /// The intent's policy. Intents the policy does not list are answerable `Other`s: the policy
    /// only has to name what needs special handling.
    pub fn intent(&self, intent: &str) -> IntentPolicy {
        self.intents
            .get(intent)
            .cloned()
            .unwrap_or_else(|| IntentPolicy::new(intent, RequestType::Other))
    }
}

/// Which part of the engine produced a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Trigger,
    Classifier,
    Llm,
}

/// Everything [`decide`] looks at for one customer message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    pub text: String,
    /// Set by [`Signals::new`] from [`asks_for_human`]; [`decide`] checks the text again anyway.
    pub human_requested: bool,
    pub trigger: Option<TriggerMatch>,
    /// The classifier's best intent and calibrated confidence.
    pub classifier: Option<(String, f32)>,
    /// The LLM router's intent and confidence (calibrated by the caller if possible).
    pub llm: Option<(String, f32)>,
    /// The out-of-scope detector (the classifier's abstention) says no intent fits.
    pub out_of_scope: bool,
    /// Slots known so far, *including* those found in this message (see
    /// [`Signals::with_slots_from_text`]).
    pub known_slots: BTreeMap<String, String>,
    /// Clarifying questions asked in a row before this message.
    pub clarify_count: u32,
    /// Fallback answers given in a row before this message.
    pub fallback_count: u32,
    /// The LLM was asked and did not answer (timeout, error, unparsable reply).
    pub llm_failed: bool,
}

impl Signals {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            human_requested: asks_for_human(&text),
            text,
            ..Self::default()
        }
    }

    pub fn with_trigger(mut self, m: Option<TriggerMatch>) -> Self {
        self.trigger = m;
        self
    }

    pub fn with_classifier(mut self, intent: impl Into<String>, confidence: f32) -> Self {
        self.classifier = Some((intent.into(), confidence));
        self
    }

    pub fn with_llm(mut self, intent: impl Into<String>, confidence: f32) -> Self {
        self.llm = Some((intent.into(), confidence));
        self
    }

    pub fn with_known(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.known_slots.insert(key.into(), value.into());
        self
    }

    /// Adds the slot values found in the message text to `known_slots` (the first of each kind,
    /// without overwriting values already known).
    pub fn with_slots_from_text(mut self, today: CivilDate) -> Self {
        for v in extract(&self.text, today) {
            self.known_slots
                .entry(v.kind.key().to_string())
                .or_insert(v.value);
        }
        self
    }

    /// Every stage's guess, skipping out-of-scope labels, in stage order.
    fn guesses(&self) -> Vec<Guess> {
        let mut out = Vec::new();
        if let Some(t) = &self.trigger {
            out.push(Guess::new(&t.intent, t.confidence, Stage::Trigger));
        }
        if let Some((i, c)) = &self.classifier {
            out.push(Guess::new(i, *c, Stage::Classifier));
        }
        if let Some((i, c)) = &self.llm {
            out.push(Guess::new(i, *c, Stage::Llm));
        }
        out.retain(|g| !g.intent.is_empty() && g.intent != OOS_LABEL);
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Guess {
    intent: String,
    confidence: f32,
    stage: Stage,
}

impl Guess {
    fn new(intent: &str, confidence: f32, stage: Stage) -> Self {
        Self {
            intent: intent.to_string(),
            confidence,
            stage,
        }
    }
}

/// What the bot does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Answer {
        intent: String,
        confidence: f32,
        stage: Stage,
    },
    AskSlot {
        intent: String,
        slot: SlotKind,
        question: String,
    },
    Clarify {
        question: String,
    },
    Handoff {
        reason: HandoffReason,
        /// The best guess of what the conversation is about, for the operator's briefing.
        intent: Option<String>,
    },
    Fallback,
}

/// The decision for one customer message; see the module docs for the rules.
pub fn decide(policy: &Policy, s: &Signals) -> Decision {
    let mut guesses = s.guesses();
    // Best first; the stable sort keeps stage order (trigger, classifier, LLM) among equals.
    guesses.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let best_guess = guesses.first().map(|g| g.intent.clone());
    let handoff = |reason, intent: Option<String>| Decision::Handoff { reason, intent };

    if s.human_requested || asks_for_human(&s.text) {
        return handoff(HandoffReason::CustomerAsked, best_guess);
    }

    let confident: Vec<(&Guess, IntentPolicy)> = guesses
        .iter()
        .map(|g| (g, policy.intent(&g.intent)))
        .filter(|(g, p)| g.confidence >= p.answer_threshold)
        .collect();
    for topic in [RequestType::Urgent, RequestType::Complaint] {
        if let Some((g, _)) = confident.iter().find(|(_, p)| p.request_type == topic) {
            return handoff(HandoffReason::TopicPolicy, Some(g.intent.clone()));
        }
    }
    if let Some((g, p)) = confident.first() {
        let missing = p
            .required_slots
            .iter()
            .find(|k| !s.known_slots.contains_key(k.key()));
        return match missing {
            Some(&slot) => Decision::AskSlot {
                intent: g.intent.clone(),
                slot,
                question: slot.question_ru().to_string(),
            },
            None => Decision::Answer {
                intent: g.intent.clone(),
                confidence: g.confidence,
                stage: g.stage,
            },
        };
    }

    if s.out_of_scope {
        return if s.fallback_count < policy.max_fallbacks {
            Decision::Fallback
        } else {
            handoff(HandoffReason::LowConfidence, None)
        };
    }
    if s.llm_failed {
        let lead = guesses
            .iter()
            .any(|g| g.stage != Stage::Llm && g.confidence >= policy.min_lead_confidence);
        if !lead {
            return handoff(HandoffReason::LlmUnavailable, best_guess);
        }
    }
    if s.clarify_count >= policy.max_clarify {
        return handoff(HandoffReason::RepeatedClarify, best_guess);
    }
    let top: Vec<IntentPolicy> = distinct_top(&guesses, 2)
        .into_iter()
        .map(|g| policy.intent(&g.intent))
        .collect();
    Decision::Clarify {
        question: clarify_question(policy, &top),
    }
}

/// The best guesses with distinct intents.
fn distinct_top(guesses: &[Guess], n: usize) -> Vec<&Guess> {
    let mut out: Vec<&Guess> = Vec::new();
    for g in guesses {
        if out.len() < n && out.iter().all(|o| o.intent != g.intent) {
            out.push(g);
        }
    }
    out
}

/// One precise question about the top intents (best first): "this or that?" when both have a
/// label, else the first one's own clarifying question, else the second's, else the generic one.
pub fn clarify_question(policy: &Policy, top: &[IntentPolicy]) -> String {
    if let [a, b, ..] = top
        && let (Some(la), Some(lb)) = (&a.label, &b.label)
    {
        return format!("Уточните, пожалуйста: вас интересует {la} или {lb}?");
    }
    top.iter()
        .find_map(|p| p.clarify_question.clone())
        .unwrap_or_else(|| policy.generic_clarify.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new(vec![
            IntentPolicy::new("order_status", RequestType::StatusCheck)
                .requires(&[SlotKind::OrderNumber])
                .with_label("статус заказа")
                .with_clarify("Вы хотите узнать, где ваш заказ?"),
            IntentPolicy::new("change_address", RequestType::DataChange)
                .requires(&[SlotKind::OrderNumber, SlotKind::Date])
                .with_label("смена адреса доставки"),
            IntentPolicy::new("delivery_faq", RequestType::Faq)
                .with_clarify("Вас интересуют сроки или стоимость доставки?"),
            IntentPolicy::new("complaint", RequestType::Complaint),
            IntentPolicy::new("urgent", RequestType::Urgent),
        ])
    }

    fn trig(intent: &str, confidence: f32) -> Option<TriggerMatch> {
        Some(TriggerMatch {
            intent: intent.into(),
            phrase: intent.into(),
            priority: 1,
            confidence,
        })
    }

    fn render(d: &Decision) -> String {
        match d {
            Decision::Answer {
                intent,
                confidence,
                stage,
            } => format!("answer {intent} {confidence:.2} {stage:?}"),
            Decision::AskSlot { intent, slot, .. } => format!("ask {intent} {slot}"),
            Decision::Clarify { question } => format!("clarify {question}"),
            Decision::Handoff { reason, intent } => {
                format!("handoff {reason} {}", intent.as_deref().unwrap_or("-"))
            }
            Decision::Fallback => "fallback".into(),
        }
    }

    fn check(s: Signals, expected: &str) {
        let got = render(&decide(&policy(), &s));
        assert_eq!(got, expected, "signals: {s:?}");
    }

    #[test]
    fn thresholds_follow_the_cost_of_mistakes() {
        use RequestType::*;
        assert!(DataChange.default_threshold() > Faq.default_threshold());
        assert!(Faq.default_threshold() > StatusCheck.default_threshold());
        assert!(Urgent.default_threshold() < StatusCheck.default_threshold());
        assert!(Complaint.default_threshold() < StatusCheck.default_threshold());
        // Higher automation target among answered types ⇒ lower threshold.
        let answered = [StatusCheck, Faq, DataChange];
        for a in answered {
            for b in answered {
                if a.automation_target() > b.automation_target() {
                    assert!(
                        a.default_threshold() < b.default_threshold(),
                        "{a:?} vs {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn decisions() {
        let cases: Vec<(Signals, &str)> = vec![
            // 1. A human request wins over everything, with the best guess for the briefing.
            (
                Signals::new("позовите оператора, где мой заказ")
                    .with_trigger(trig("order_status", 0.99)),
                "handoff customer_asked order_status",
            ),
            (
                Signals {
                    human_requested: true,
                    ..Signals::new("...")
                },
                "handoff customer_asked -",
            ),
            // 2. Urgent, even when another stage is confident about something else.
            (
                Signals::new("срочно, списали дважды")
                    .with_trigger(trig("order_status", 0.95))
                    .with_classifier("urgent", 0.45),
                "handoff topic_policy urgent",
            ),
            // Below its threshold, urgent is just an unsure guess.
            (
                Signals::new("x")
                    .with_classifier("urgent", 0.3)
                    .with_known("order_number", "1"),
                "clarify Не совсем понял вопрос. Уточните, пожалуйста, что именно вас интересует?",
            ),
            // 3. Complaints go to a person.
            (
                Signals::new("безобразие").with_llm("complaint", 0.6),
                "handoff topic_policy complaint",
            ),
            // 4. Confident: answer, or ask for a missing slot first.
            (
                Signals::new("где заказ 7157703")
                    .with_trigger(trig("order_status", 0.9))
                    .with_known("order_number", "7157703"),
                "answer order_status 0.90 Trigger",
            ),
            (
                Signals::new("где мой заказ").with_trigger(trig("order_status", 0.9)),
                "ask order_status order_number",
            ),
            (
                Signals::new("поменяйте адрес")
                    .with_classifier("change_address", 0.9)
                    .with_known("order_number", "1"),
                "ask change_address date",
            ),
            // The best calibrated stage wins, whichever it is.
            (
                Signals::new("сколько стоит доставка")
                    .with_trigger(trig("order_status", 0.62))
                    .with_classifier("delivery_faq", 0.93),
                "answer delivery_faq 0.93 Classifier",
            ),
            // Data changes need more confidence than status checks.
            (
                Signals::new("x")
                    .with_classifier("change_address", 0.8)
                    .with_known("order_number", "1"),
                "clarify Не совсем понял вопрос. Уточните, пожалуйста, что именно вас интересует?",
            ),
            // Unknown intents are answerable Others.
            (
                Signals::new("x").with_llm("opening_hours", 0.8),
                "answer opening_hours 0.80 Llm",
            ),
            // Out-of-scope labels are not guesses.
            (
                Signals::new("x").with_classifier("oos", 0.99),
                "clarify Не совсем понял вопрос. Уточните, пожалуйста, что именно вас интересует?",
            ),
        ];
        for (s, expected) in cases {
            check(s, expected);
        }
    }

    #[test]
    fn clarify_then_hand_off() {
        let unsure = || {
            Signals::new("мне про заказ")
                .with_trigger(trig("order_status", 0.5))
                .with_classifier("change_address", 0.4)
        };
        check(
            unsure(),
            "clarify Уточните, пожалуйста: вас интересует статус заказа или смена адреса доставки?",
        );
        check(
            Signals {
                clarify_count: 1,
                ..unsure()
            },
            &render(&decide(&policy(), &unsure())),
        );
        check(
            Signals {
                clarify_count: 2,
                ..unsure()
            },
            "handoff repeated_clarify order_status",
        );
        // Only one labelled intent: its own question.
        check(
            Signals::new("x").with_trigger(trig("order_status", 0.5)),
            "clarify Вы хотите узнать, где ваш заказ?",
        );
        check(
            Signals::new("x")
                .with_classifier("delivery_faq", 0.5)
                .with_llm("opening_hours", 0.3),
            "clarify Вас интересуют сроки или стоимость доставки?",
        );
    }

    #[test]
    fn out_of_scope_falls_back_once() {
        let oos = || Signals {
            out_of_scope: true,
            ..Signals::new("какая погода")
        };
        check(oos(), "fallback");
        check(
            Signals {
                fallback_count: 1,
                ..oos()
            },
            "handoff low_confidence -",
        );
        // A confident trigger outranks the detector.
        check(
            Signals {
                out_of_scope: true,
                ..Signals::new("статус")
                    .with_trigger(trig("order_status", 0.9))
                    .with_known("order_number", "1")
            },
            "answer order_status 0.90 Trigger",
        );
    }

    #[test]
    fn llm_failure() {
        let failed = |s: Signals| Signals {
            llm_failed: true,
            ..s
        };
        // The LLM was the only hope.
        check(failed(Signals::new("эээ")), "handoff llm_unavailable -");
        check(
            failed(Signals::new("эээ").with_classifier("delivery_faq", 0.1)),
            "handoff llm_unavailable delivery_faq",
        );
        // Something else has a lead: clarify.
        check(
            failed(Signals::new("доставка?").with_classifier("delivery_faq", 0.4)),
            "clarify Вас интересуют сроки или стоимость доставки?",
        );
        // Something confident: answer without the LLM.
        check(
            failed(Signals::new("x").with_classifier("delivery_faq", 0.95)),
            "answer delivery_faq 0.95 Classifier",
        );
    }

    #[test]
    fn slots_from_the_message_count_as_known() {
        let today = CivilDate::new(2026, 3, 10).unwrap();
        let s = Signals::new("где заказ 7157703?")
            .with_trigger(trig("order_status", 0.9))
            .with_slots_from_text(today);
        check(s, "answer order_status 0.90 Trigger");
        let s = Signals::new("перенесите заказ 7157703 на пятницу")
            .with_classifier("change_address", 0.9)
            .with_slots_from_text(today);
        assert_eq!(
            s.known_slots.get("date").map(String::as_str),
            Some("2026-03-13")
        );
        check(s, "answer change_address 0.90 Classifier");
    }
}
