//! Trigger phrases: the business's own "if the customer says this, it is that scenario" rules,
//! with priorities, matched through morphology and with calibrated confidence.
//!
//! A phrase matches when the stems of all its words occur in the message in the phrase's order,
//! with at most [`MAX_GAP`] other words between neighbours: `заказ` matches `заказа`, `где
//! посылка` matches `где же моя посылка`. Among matching phrases the highest priority wins, then
//! the longest phrase (more words is more specific), then the one listed first.
//!
//! Confidence is what makes a trigger comparable with the classifier and the LLM in the policy:
//! [`TriggerSet::calibrate`] replays labelled examples (the business's own messages, labelled by
//! intent) through [`TriggerSet::match_text`] and sets every phrase's confidence to its smoothed
//! precision as the *winning* phrase, `(correct + 1) / (total + 2)`. So a reported 0.9 means: on
//! the business's own examples, when this phrase decided, it was right about nine times in ten.
//! The `+1/+2` (Laplace) smoothing keeps a phrase that won twice out of two from claiming
//! certainty; a phrase with no evidence reports 0.5, "no idea".

use frontline_text::tokens;

/// Words allowed between two neighbouring words of a phrase.
pub const MAX_GAP: usize = 2;

/// One scenario's triggers, like the brief's `DialogScenario(name, triggers, priority)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRule {
    pub intent: String,
    pub phrases: Vec<String>,
    pub priority: i32,
}

impl TriggerRule {
    pub fn new(intent: impl Into<String>, phrases: &[&str], priority: i32) -> Self {
        Self {
            intent: intent.into(),
            phrases: phrases.iter().map(|p| p.to_string()).collect(),
            priority,
        }
    }
}

/// The phrase that decided a message.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerMatch {
    pub intent: String,
    pub phrase: String,
    pub priority: i32,
    /// Calibrated precision of this phrase, see the module docs.
    pub confidence: f32,
}

/// How a phrase fared in the last calibration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PhraseStats {
    /// Examples this phrase decided.
    pub total: u32,
    /// Of those, examples whose label was the phrase's intent.
    pub correct: u32,
}

#[derive(Debug, Clone)]
struct Phrase {
    rule: usize,
    text: String,
    terms: Vec<String>,
    stats: PhraseStats,
    confidence: f32,
}

/// Compiled trigger rules.
#[derive(Debug, Clone)]
pub struct TriggerSet {
    rules: Vec<TriggerRule>,
    phrases: Vec<Phrase>,
}

impl TriggerSet {
    /// Compiles the rules. Phrases without a single word are ignored.
    pub fn new(rules: Vec<TriggerRule>) -> Self {
        let mut phrases = Vec::new();
        for (rule, r) in rules.iter().enumerate() {
            for text in &r.phrases {
                let terms: Vec<String> = tokens(text).into_iter().map(|t| t.term).collect();
                if terms.is_empty() {
                    continue;
                }
                phrases.push(Phrase {
                    rule,
                    text: text.clone(),
                    terms,
                    stats: PhraseStats::default(),
                    confidence: 0.5,
                });
            }
        }
        Self { rules, phrases }
    }

    pub fn rules(&self) -> &[TriggerRule] {
        &self.rules
    }

    /// The winning phrase for `text`, if any phrase matches.
    pub fn match_text(&self, text: &str) -> Option<TriggerMatch> {
        self.best(text).map(|i| self.to_match(i))
    }

    /// Every matching phrase, best first.
    pub fn match_all(&self, text: &str) -> Vec<TriggerMatch> {
        let mut hits = self.hits(text);
        hits.sort_by_key(|&i| std::cmp::Reverse(self.rank(i)));
        hits.into_iter().map(|i| self.to_match(i)).collect()
    }

    /// Sets every phrase's confidence to its smoothed precision as the winning phrase on
    /// `examples` (`(text, intent)`), see the module docs. Examples labelled with an intent that
    /// has no rule (out-of-scope ones included) count against whichever phrase fires on them,
    /// which is exactly what should lower its confidence. Calling it again starts from scratch.
    pub fn calibrate(&mut self, examples: &[(&str, &str)]) {
        for p in &mut self.phrases {
            p.stats = PhraseStats::default();
        }
        for (text, intent) in examples {
            if let Some(i) = self.best(text) {
                let right = self.rules[self.phrases[i].rule].intent == *intent;
                let s = &mut self.phrases[i].stats;
                s.total += 1;
                s.correct += u32::from(right);
            }
        }
        for p in &mut self.phrases {
            p.confidence = (p.stats.correct as f32 + 1.0) / (p.stats.total as f32 + 2.0);
        }
    }

    /// Each phrase with its intent and last calibration stats, in rule order.
    pub fn phrase_stats(&self) -> Vec<(&str, &str, PhraseStats)> {
        self.phrases
            .iter()
            .map(|p| (self.rules[p.rule].intent.as_str(), p.text.as_str(), p.stats))
            .collect()
    }

    fn to_match(&self, i: usize) -> TriggerMatch {
        let p = &self.phrases[i];
        let r = &self.rules[p.rule];
        TriggerMatch {
            intent: r.intent.clone(),
            phrase: p.text.clone(),
            priority: r.priority,
            confidence: p.confidence,
        }
    }

    /// Priority, then phrase length; earlier phrases win ties. Confidence is deliberately not a
    /// tie-breaker: the winner must not depend on calibration, or calibration would measure a
    /// different decision than the one made afterwards.
    fn rank(&self, i: usize) -> (i32, usize) {
        let p = &self.phrases[i];
        (self.rules[p.rule].priority, p.terms.len())
    }

    fn hits(&self, text: &str) -> Vec<usize> {
        let terms: Vec<String> = tokens(text).into_iter().map(|t| t.term).collect();
        (0..self.phrases.len())
            .filter(|&i| matches_in_order(&terms, &self.phrases[i].terms))
            .collect()
    }

    fn best(&self, text: &str) -> Option<usize> {
        let mut best: Option<usize> = None;
        for i in self.hits(text) {
            if best.is_none_or(|b| self.rank(i) > self.rank(b)) {
                best = Some(i);
            }
        }
        best
    }
}

/// Do `phrase`'s terms occur in `message` in order, with at most [`MAX_GAP`] words between
/// neighbours? A small backtracking search: phrases are a few words long.
fn matches_in_order(message: &[String], phrase: &[String]) -> bool {
    fn from(message: &[String], phrase: &[String], after: usize) -> bool {
        let Some((first, rest)) = phrase.split_first() else {
            return true;
        };
        let window = message.len().min(after + 2 + MAX_GAP);
        (after + 1..window).any(|j| message[j] == *first && from(message, rest, j))
    }
    let Some((first, rest)) = phrase.split_first() else {
        return false;
    };
    (0..message.len()).any(|i| message[i] == *first && from(message, rest, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The brief's scenarios.
    fn brief() -> TriggerSet {
        TriggerSet::new(vec![
            TriggerRule::new(
                "order_status",
                &["заказ", "статус", "где посылка", "когда доставят"],
                10,
            ),
            TriggerRule::new(
                "account_balance",
                &["баланс", "остаток", "сколько денег", "счёт"],
                10,
            ),
            TriggerRule::new(
                "technical_issue",
                &["не работает", "ошибка", "сломалось", "проблема"],
                5,
            ),
            TriggerRule::new("refund", &["вернуть деньги", "refund", "money back"], 20),
        ])
    }

    fn check(set: &TriggerSet, input: &str, expected: Option<(&str, &str)>) {
        let got = set.match_text(input);
        let got = got.as_ref().map(|m| (m.intent.as_str(), m.phrase.as_str()));
        assert_eq!(got, expected, "input: {input:?}");
    }

    #[test]
    fn phrases_match_through_morphology_and_gaps() {
        let set = brief();
        for (input, expected) in [
            ("Где мой заказ?", Some(("order_status", "заказ"))),
            ("статус заказа 7157703", Some(("order_status", "заказ"))),
            ("где же моя посылка", Some(("order_status", "где посылка"))),
            ("Где посылку искать?", Some(("order_status", "где посылка"))),
            (
                "когда же мне доставят",
                Some(("order_status", "когда доставят")),
            ),
            ("Какой у меня баланс?", Some(("account_balance", "баланс"))),
            (
                "сколько осталось денег",
                Some(("account_balance", "сколько денег")),
            ),
            (
                "сколько у меня денег",
                Some(("account_balance", "сколько денег")),
            ),
            ("по счету вопрос", Some(("account_balance", "счёт"))),
            (
                "приложение не работает",
                Some(("technical_issue", "не работает")),
            ),
            ("ошибки при оплате", Some(("technical_issue", "ошибка"))),
            ("I want a refund", Some(("refund", "refund"))),
            ("can I get my money back", Some(("refund", "money back"))),
            // Words out of order, or too far apart.
            ("посылка где", None),
            ("где я вчера оставила свою посылку", None),
            ("добрый день", None),
        ] {
            check(&set, input, expected);
        }
    }

    #[test]
    fn priority_then_length_decides() {
        let set = brief();
        // order_status and technical_issue both match: priority 10 beats 5.
        check(
            &set,
            "заказ не работает оплата",
            Some(("order_status", "заказ")),
        );
        // refund (20) beats order_status (10).
        check(
            &set,
            "хочу вернуть деньги за заказ",
            Some(("refund", "вернуть деньги")),
        );
        // Same priority: the longer phrase is more specific.
        let set = TriggerSet::new(vec![
            TriggerRule::new("delivery", &["доставка"], 5),
            TriggerRule::new("delivery_cost", &["стоимость доставки"], 5),
        ]);
        check(
            &set,
            "какая стоимость доставки?",
            Some(("delivery_cost", "стоимость доставки")),
        );
        let all: Vec<String> = set
            .match_all("стоимость доставки")
            .into_iter()
            .map(|m| m.intent)
            .collect();
        assert_eq!(all, ["delivery_cost", "delivery"]);
    }

    #[test]
    fn calibration_is_smoothed_precision_of_the_winner() {
        let mut set = brief();
        assert_eq!(set.match_text("где заказ").map(|m| m.confidence), Some(0.5));
        let examples = [
            ("где мой заказ", "order_status"),
            ("заказ не пришёл", "order_status"),
            ("статус заказа?", "order_status"),
            ("хочу отменить заказ", "cancel_order"),
            ("ошибка в приложении", "technical_issue"),
            ("ошибка в чеке", "complaint"),
            ("какой баланс", "account_balance"),
            ("привет", "greeting"),
        ];
        set.calibrate(&examples);
        let conf = |text: &str| set.match_text(text).map(|m| m.confidence);
        // "заказ" decided 4 examples and was right on 3: (3+1)/(4+2).
        assert_eq!(conf("заказ"), Some(4.0 / 6.0));
        assert_eq!(conf("ошибка"), Some(2.0 / 4.0));
        assert_eq!(conf("баланс"), Some(2.0 / 3.0));
        // Never decided anything: no evidence either way.
        assert_eq!(conf("сломалось"), Some(0.5));
        let stats = set.phrase_stats();
        assert!(stats.contains(&(
            "order_status",
            "заказ",
            PhraseStats {
                total: 4,
                correct: 3
            }
        )));
        // Re-calibration starts from scratch.
        set.calibrate(&[]);
        assert_eq!(set.match_text("заказ").map(|m| m.confidence), Some(0.5));
    }

    #[test]
    fn calibrated_confidence_tracks_accuracy() {
        // One phrase right 9 times in 10 over many examples reports about 0.9.
        let mut set = TriggerSet::new(vec![TriggerRule::new("order_status", &["заказ"], 1)]);
        let examples: Vec<(&str, &str)> = (0..200)
            .map(|i| {
                if i % 10 == 0 {
                    ("отменить заказ", "cancel")
                } else {
                    ("где заказ", "order_status")
                }
            })
            .collect();
        set.calibrate(&examples);
        let c = set.match_text("заказ").unwrap().confidence;
        assert!((c - 0.9).abs() < 0.01, "{c}");
    }

    #[test]
    fn empty_phrases_are_ignored() {
        let set = TriggerSet::new(vec![TriggerRule::new("x", &["", "!!"], 1)]);
        check(&set, "что угодно", None);
    }
}
