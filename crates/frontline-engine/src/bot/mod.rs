//! The bot the lifecycle calls: the cascade of stages that turns one customer message into an
//! answer, a question, or a handoff with a briefing.
//!
//! For each message, [`EngineBot`] runs, cheapest first:
//! 1. **the customer's own words**: a request for a person (any phrasing, [`crate::human`]) wins over
//!    everything, and an answer to the bot's last question («123456» after «какой номер заказа?») is
//!    read as the value asked for ([`crate::slots::parse_one`]) and continues that intent;
//! 2. **trigger phrases** and **the classifier**, both with calibrated confidences, combined by
//!    [`policy::decide`] with the per-request-type thresholds;
//! 3. **the LLM router**, only when those stages are unsure (the policy would clarify or fall back)
//!    and an LLM is configured; its failure or timeout only marks the signals (`llm_failed`), so the
//!    policy clarifies or hands off (`llm_unavailable`) — a customer is never kept waiting on it;
//! 4. **the knowledge base**, for FAQ intents (grounded LLM answer citing articles, or the best
//!    fragment when it clears the threshold) and for questions no intent recognised but an article
//!    answers with high confidence.
//!
//! Counters that span messages (clarifying questions in a row, fallbacks in a row, the value being
//! awaited) come from the bot's recorded decisions ([`BotInput::recent_decisions`]), so they survive
//! restarts and need no state here. Values the customer gave are kept in the conversation's slots and
//! never asked for again. Every outcome carries a [`DecisionTrace`] (stage, intent, confidence,
//! articles, note) that the lifecycle records.
//!
//! Size: the cascade is one ordered procedure; its stages that stand alone (knowledge, LLM calls,
//! workflows, suites, dialogs) are their own files, and its tests are in `tests.rs`.

pub mod config;
pub mod dialogs;
pub mod flows;
pub mod knowledge;
pub mod live;
pub mod llm_options;
mod llm_stage;
pub mod report;
pub mod suite;

use std::sync::Arc;

use async_trait::async_trait;
use frontline_domain::{
    DecisionAction, DecisionRecord, DecisionStage, Direction, FlowChange, HandoffContext,
    HandoffReason, Slots,
};
use frontline_lifecycle::{Bot, BotDecision, BotInput, BotOutcome, DecisionTrace};
use tracing::warn;

pub use config::{AnswerConfig, BotConfig, CompiledConfig, ConfigError, IntentConfig, Problem};
pub use knowledge::Knowledge;
pub use live::LiveBot;
pub use llm_stage::LlmStage;

use crate::briefing::{BriefingContext, extractive_summary, render_briefing};
use crate::policy::{self, Decision, RequestType, Signals};
use crate::slots::{CivilDate, SlotKind, parse_one};

/// Longest extractive summary put into a briefing.
const SUMMARY_CHARS: usize = 400;

/// Messages of at most this many words may be follow-up questions to the previous answer.
const FOLLOW_UP_WORDS: usize = 6;

/// The intent answered from [`BotConfig::schedule`] when the configuration has one.
pub const SCHEDULE_INTENT: &str = "schedule";

/// The dialog engine as a [`Bot`].
#[derive(Debug, Clone)]
pub struct EngineBot {
    compiled: Arc<CompiledConfig>,
    knowledge: Arc<Knowledge>,
    llm: Option<LlmStage>,
    /// Published workflow versions, compiled once each.
    graphs: Arc<flows::GraphCache>,
    /// For workflows' Action nodes.
    http: reqwest::Client,
}

/// What the cascade settled on, before it becomes words.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Answer {
        intent: String,
        confidence: Option<f32>,
        stage: DecisionStage,
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
        intent: Option<String>,
        stage: DecisionStage,
    },
    Fallback,
}

/// What the recent decisions say about where the conversation stands.
#[derive(Debug, Default, PartialEq)]
struct Streak {
    /// Clarifying questions (including repeated value requests) in a row.
    clarify: u32,
    fallback: u32,
    /// The intent whose value the bot asked for last, when its last action was that question.
    awaiting: Option<String>,
}

impl Streak {
    fn of(decisions: &[DecisionRecord]) -> Self {
        let mut s = Streak::default();
        if let Some(last) = decisions.last()
            && last.action == DecisionAction::AskSlot
        {
            s.awaiting = last.intent.clone();
        }
        for d in decisions.iter().rev() {
            match d.action {
                DecisionAction::Clarify | DecisionAction::AskSlot if s.fallback == 0 => {
                    s.clarify += 1
                }
                DecisionAction::Fallback if s.clarify == 0 => s.fallback += 1,
                _ => break,
            }
        }
        s
    }
}

fn stage_of(stage: policy::Stage) -> DecisionStage {
    match stage {
        policy::Stage::Trigger => DecisionStage::Trigger,
        policy::Stage::Classifier => DecisionStage::Classifier,
        policy::Stage::Llm => DecisionStage::Llm,
    }
}

fn step_of(decision: Decision) -> Step {
    match decision {
        Decision::Answer {
            intent,
            confidence,
            stage,
        } => Step::Answer {
            intent,
            confidence: Some(confidence),
            stage: stage_of(stage),
        },
        Decision::AskSlot {
            intent,
            slot,
            question,
        } => Step::AskSlot {
            intent,
            slot,
            question,
        },
        Decision::Clarify { question } => Step::Clarify { question },
        Decision::Handoff { reason, intent } => Step::Handoff {
            stage: if reason == HandoffReason::CustomerAsked {
                DecisionStage::Human
            } else {
                DecisionStage::Policy
            },
            reason,
            intent,
        },
        Decision::Fallback => Step::Fallback,
    }
}

/// Fills `{slot_key}` placeholders with known values; unknown ones stay visible.
fn fill(template: &str, slots: &Slots) -> String {
    let mut out = template.to_owned();
    for (k, v) in slots {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Everything the cascade collected for one message, for building the outcome.
struct Turn<'a> {
    input: &'a BotInput,
    text: &'a str,
    known: Slots,
    notes: Vec<String>,
    /// What the knowledge base is asked: the message, or — for a follow-up question inside a
    /// topic — the previous question with it.
    query: String,
    /// Why exactly the bot steps back, for the briefing's reason (see
    /// [`BriefingContext::reason_detail`]).
    detail: Option<String>,
    /// The customer reads as upset ([`crate::upset`]).
    upset: Option<crate::upset::Assessment>,
}

impl EngineBot {
    pub fn new(
        compiled: Arc<CompiledConfig>,
        knowledge: Arc<Knowledge>,
        llm: Option<LlmStage>,
    ) -> Self {
        Self {
            compiled,
            knowledge,
            llm,
            graphs: Arc::default(),
            http: reqwest::Client::new(),
        }
    }

    /// The effects a workflow run uses: the engine's classifier, knowledge base and LLM, and HTTP
    /// to `integrations` for Action nodes (`stubs` answer actions by URL instead, for the tester
    /// and offline suites).
    pub fn effects(
        &self,
        integrations: &[frontline_domain::Integration],
        stubs: std::collections::BTreeMap<String, flows::Stub>,
    ) -> flows::EngineEffects {
        flows::EngineEffects {
            compiled: self.compiled.clone(),
            knowledge: self.knowledge.clone(),
            llm: self.llm.clone(),
            integrations: integrations
                .iter()
                .map(|i| (i.name.clone(), i.clone()))
                .collect(),
            http: self.http.clone(),
            stubs,
            clock: None,
        }
    }

    /// One message through the conversation's workflow, or `None` when the cascade should decide
    /// (no workflow, an invalid one, or the customer asks for a person — which always wins).
    async fn run_workflow(&self, input: &BotInput) -> Option<BotOutcome> {
        let flow = input.workflow.as_ref()?;
        let conversation = &input.conversation.conversation;
        if crate::human::asks_for_human(&input.message.text) || self.upset_reading(input).is_some()
        {
            return None;
        }
        let workflow = flow.workflow_id;
        let version = flow.version;
        let state = match flow.state.as_deref().map(crate::workflow::State::from_json) {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                warn!(error = %e, "a stored flow state is unreadable; starting over");
                crate::workflow::State::default()
            }
            None => crate::workflow::State::default(),
        };
        let graph = self
            .graphs
            .get(&self.compiled, workflow, version, &flow.document)?;
        let effects = self.effects(&flow.integrations, Default::default());
        // Between topics (the workflow waits for nothing), two questions are the engine's own
        // whatever the graph says: the schedule, answered exactly from the configured hours,
        // and a short follow-up to the previous answer, read in that answer's topic.
        if state.position.is_none() && self.engine_answers(input, &effects).await {
            return None;
        }
        let view = &input.conversation;
        let turn_input = crate::workflow::TurnInput {
            text: input.message.text.clone(),
            channel: view.account_kind.as_str().to_owned(),
            customer: crate::workflow::CustomerProfile {
                name: view.customer.name.clone(),
                phone: view.customer.phone.clone(),
                attributes: listing_attributes(view),
            },
            slots: conversation.slots.clone(),
        };
        let out = crate::workflow::Interpreter::new(&graph)
            .turn(state, &turn_input, &effects)
            .await;
        let flow_change = match &out.outcome {
            crate::workflow::Outcome::Waiting { .. } => FlowChange::Save {
                workflow_id: workflow,
                version,
                state: out.state.to_json(),
            },
            _ => FlowChange::Clear,
        };

        let path: Vec<String> = out
            .trace
            .iter()
            .map(|s| format!("{}({})", s.node_id, s.node_type))
            .collect();
        let articles: Vec<String> = out
            .trace
            .iter()
            .filter(|s| s.node_type == "search")
            .filter_map(|s| s.output.get("hits").and_then(|h| h.as_array()).cloned())
            .flatten()
            .filter_map(|h| {
                h.get("article_id")
                    .and_then(|a| a.as_str())
                    .map(str::to_owned)
            })
            .collect();
        let note = format!("workflow {} v{version}: {}", workflow.0, path.join(" → "));
        let text = out.replies.join("\n\n");
        let intent = out
            .state
            .intent
            .clone()
            .or_else(|| conversation.intent.clone());
        let steps = serde_json::to_string(&out.trace).ok();
        let trace = |action| DecisionTrace {
            action,
            stage: Some(DecisionStage::Workflow),
            intent: intent.clone(),
            confidence: out.state.confidence.map(|c| c as f32),
            article_ids: articles.clone(),
            note: Some(note.clone()),
            steps: steps.clone(),
        };
        // The workflow's "I can help with…" answer to an off-topic message is a fallback, not an
        // answer: recorded as one, worded differently the second time, and after the configured
        // number in a row a person takes over (or the bot ends politely).
        let fallback = matches!(out.outcome, crate::workflow::Outcome::Ended)
            && !text.is_empty()
            && is_fallback_run(&out.trace);
        if fallback {
            let streak = Streak::of(&input.recent_decisions);
            let cfg = &self.compiled;
            if streak.fallback >= cfg.policy.max_fallbacks
                && cfg.config.after_fallbacks == config::AfterFallbacks::Handoff
            {
                let turn = Turn {
                    input,
                    text: input.message.text.trim(),
                    known: out.slots.clone(),
                    notes: vec![note.clone(), "off topic again".into()],
                    query: input.message.text.trim().to_owned(),
                    detail: Some("вопрос снова вне тем бота".into()),
                    upset: None,
                };
                let mut outcome = self
                    .handoff(
                        HandoffReason::LowConfidence,
                        None,
                        DecisionStage::Workflow,
                        turn,
                    )
                    .await;
                outcome.trace.steps = steps;
                outcome.flow = FlowChange::Clear;
                return Some(outcome);
            }
            let last_said = input
                .history
                .iter()
                .rev()
                .find(|m| m.direction == Direction::Out)
                .map(|m| m.text.trim());
            let text = if streak.fallback > 0 || last_said == Some(text.trim()) {
                self.fallback_text(input)
            } else {
                text.clone()
            };
            return Some(BotOutcome {
                decision: BotDecision::Reply {
                    text,
                    intent: conversation.intent.clone(),
                    slots: out.slots.clone(),
                },
                trace: trace(DecisionAction::Fallback),
                flow: flow_change,
            });
        }
        let mut outcome = match &out.outcome {
            crate::workflow::Outcome::Handoff(h) => {
                let mut notes = vec![note.clone()];
                let turn = Turn {
                    input,
                    text: input.message.text.trim(),
                    known: out.slots.clone(),
                    notes: Vec::new(),
                    query: input.message.text.trim().to_owned(),
                    detail: action_detail(&out.trace),
                    upset: None,
                };
                let mut outcome = self
                    .handoff(
                        h.reason,
                        h.intent.clone().or(intent.clone()),
                        DecisionStage::Workflow,
                        turn,
                    )
                    .await;
                if let BotDecision::Handoff {
                    context, farewell, ..
                } = &mut outcome.decision
                {
                    if let Some(b) = &h.briefing {
                        context.briefing = Some(b.clone());
                    }
                    if !text.is_empty() {
                        *farewell = Some(text.clone());
                    }
                }
                notes.extend(outcome.trace.note.take());
                outcome.trace.note = Some(notes.join("; "));
                outcome.trace.article_ids = articles;
                outcome.trace.steps = steps;
                outcome
            }
            crate::workflow::Outcome::Waiting { .. } => BotOutcome {
                decision: BotDecision::Reply {
                    text,
                    intent: intent.clone(),
                    slots: out.slots.clone(),
                },
                trace: trace(DecisionAction::AskSlot),
                flow: FlowChange::Keep,
            },
            crate::workflow::Outcome::Ended if text.is_empty() => BotOutcome {
                decision: BotDecision::Ignore,
                trace: trace(DecisionAction::Ignore),
                flow: FlowChange::Keep,
            },
            crate::workflow::Outcome::Ended => BotOutcome {
                decision: BotDecision::Reply {
                    text,
                    intent: intent.clone(),
                    slots: out.slots.clone(),
                },
                trace: trace(DecisionAction::Answer),
                flow: FlowChange::Keep,
            },
        };
        outcome.flow = flow_change;
        Some(outcome)
    }

    pub fn config(&self) -> &CompiledConfig {
        &self.compiled
    }

    /// This bot with another configuration (same knowledge, LLM and HTTP client): what a
    /// published configuration swaps in.
    pub fn with_config(&self, compiled: Arc<CompiledConfig>) -> Self {
        Self {
            compiled,
            graphs: Arc::default(),
            ..self.clone()
        }
    }

    /// This bot with another language-model stage (or none): new LLM settings saved.
    pub fn with_llm(&self, llm: Option<LlmStage>) -> Self {
        Self {
            llm,
            ..self.clone()
        }
    }

    /// This bot answering from `knowledge` instead: for the knowledge-base check («Проверить»),
    /// which asks what the bot would answer with an unsaved article, through the very same cascade.
    pub fn with_knowledge(&self, knowledge: Arc<Knowledge>) -> Self {
        Self {
            knowledge,
            ..self.clone()
        }
    }

    async fn run(&self, input: &BotInput) -> BotOutcome {
        if let Some(outcome) = self.run_workflow(input).await {
            return outcome;
        }
        let mut outcome = self.cascade(input).await;
        // A customer asking for a person (or upset) leaves the workflow: next time it starts over.
        if input.workflow.is_some()
            && (crate::human::asks_for_human(&input.message.text)
                || self.upset_reading(input).is_some())
        {
            outcome.flow = FlowChange::Clear;
        }
        outcome
    }

    /// Whether the cascade, not the workflow, should take this message (see `run_workflow`).
    async fn engine_answers(&self, input: &BotInput, effects: &flows::EngineEffects) -> bool {
        use crate::workflow::Effects as _;
        let text = input.message.text.trim();
        let c = effects.classify(text).await;
        if self.compiled.config.schedule.is_some()
            && !c.out_of_scope
            && c.intent.as_deref() == Some(SCHEDULE_INTENT)
            && crate::schedule::Schedule::is_hours_question(text)
        {
            return true;
        }
        // A message with a number in it is more likely a value the workflow can use (a
        // corrected order number) than a question about the last answer.
        c.out_of_scope
            && Self::answered_intent(input).is_some()
            && !text.bytes().any(|b| b.is_ascii_digit())
            && frontline_text::tokens(text).len() <= FOLLOW_UP_WORDS
    }

    /// The fallback, worded differently from the bot's previous message: the same canned text
    /// twice in a row reads as a broken bot.
    fn fallback_text(&self, input: &BotInput) -> String {
        let cfg = &self.compiled.config;
        let last_said = input
            .history
            .iter()
            .rev()
            .find(|m| m.direction == Direction::Out)
            .map(|m| m.text.trim());
        let after_fallback = Streak::of(&input.recent_decisions).fallback > 0;
        if last_said == Some(cfg.fallback_again.trim()) {
            cfg.fallback.clone()
        } else if after_fallback || last_said == Some(cfg.fallback.trim()) {
            cfg.fallback_again.clone()
        } else {
            cfg.fallback.clone()
        }
    }

    /// The message read for upset, with the customer's earlier messages for repetition; `None`
    /// when it reads as calm.
    fn upset_reading(&self, input: &BotInput) -> Option<crate::upset::Assessment> {
        let text = input.message.text.trim();
        if text.is_empty() {
            return None;
        }
        let earlier: Vec<&str> = input
            .history
            .iter()
            .filter(|m| m.direction == Direction::In && m.id != input.message.id)
            .map(|m| m.text.trim())
            .filter(|t| !t.is_empty())
            .collect();
        let detector = &self.compiled.upset;
        let a = detector.assess(text, &earlier);
        detector.is_upset(&a).then_some(a)
    }

    /// The intent the bot last answered in this conversation, when its last decision was that
    /// answer: the context a short follow-up question («а сколько стоит?») is read in.
    fn answered_intent(input: &BotInput) -> Option<&str> {
        let last = input.recent_decisions.last()?;
        (last.action == DecisionAction::Answer)
            .then_some(last.intent.as_deref())
            .flatten()
    }

    /// The built-in cascade of stages (see the module docs).
    async fn cascade(&self, input: &BotInput) -> BotOutcome {
        let cfg = &self.compiled;
        let text = input.message.text.trim();
        let conversation = &input.conversation.conversation;
        if text.is_empty() {
            let mut trace =
                DecisionTrace::new(DecisionAction::Clarify, Some(DecisionStage::Policy));
            trace.note = Some("message without text".into());
            return BotOutcome {
                decision: BotDecision::Reply {
                    text: cfg.config.attachment_reply.clone(),
                    intent: conversation.intent.clone(),
                    slots: conversation.slots.clone(),
                },
                trace,
                flow: FlowChange::Keep,
            };
        }
        let today =
            CivilDate::from_unix_millis(input.message.created_at.0, cfg.config.utc_offset_minutes);
        let streak = Streak::of(&input.recent_decisions);

        let mut turn = Turn {
            input,
            text,
            known: conversation.slots.clone(),
            notes: Vec::new(),
            query: text.to_owned(),
            detail: None,
            upset: self.upset_reading(input),
        };
        // The channel's customer card counts as given: a known phone is never asked for.
        if let Some(phone) = &input.conversation.customer.phone
            && !turn.known.contains_key(SlotKind::Phone.key())
            && let Ok(v) = parse_one(SlotKind::Phone, phone, today)
        {
            turn.known.insert(SlotKind::Phone.key().to_owned(), v.value);
        }
        // The value the bot asked for, read with the question in mind: a bare number after «номер
        // заказа?» is an order number, not a phone.
        let awaited = streak.awaiting.as_deref().and_then(|intent| {
            let p = cfg.policy.intent(intent);
            let slot = p
                .required_slots
                .iter()
                .copied()
                .find(|k| !turn.known.contains_key(k.key()))?;
            Some((intent.to_owned(), slot))
        });
        let mut got_awaited = false;
        if let Some((_, slot)) = &awaited
            && let Ok(v) = parse_one(*slot, text, today)
        {
            turn.known.insert(slot.key().to_owned(), v.value);
            got_awaited = true;
        }

        let prediction = cfg.model.predict(text);
        let mut signals = Signals::new(text).with_trigger(cfg.triggers.match_text(text));
        signals.classifier = Some((prediction.intent.clone(), prediction.answer_confidence()));
        signals.out_of_scope = prediction.out_of_scope;
        signals.known_slots = turn.known.clone();
        signals = signals.with_slots_from_text(today);
        signals.clarify_count = streak.clarify;
        signals.fallback_count = streak.fallback;
        turn.known = signals.known_slots.clone();

        let mut step = step_of(policy::decide(&cfg.policy, &signals));

        // The customer answered the bot's question: carry on with that intent unless they clearly
        // moved on (a person, an urgent topic, or a confident different request).
        if let Some((intent, slot)) = &awaited {
            let moved_on = match &step {
                Step::Handoff { reason, .. } => *reason != HandoffReason::RepeatedClarify,
                Step::Answer { intent: other, .. } | Step::AskSlot { intent: other, .. } => {
                    other != intent && !got_awaited
                }
                _ => false,
            };
            if !moved_on {
                step = self.continue_intent(intent, *slot, got_awaited, &turn.known, &streak);
                turn.notes.push(format!("continues {intent}"));
            }
        }

        // A short question right after an answer is about that answer's topic («а сколько
        // стоит?» after delivery terms): read it together with the previous question.
        if awaited.is_none()
            && let Some(previous) = Self::answered_intent(input)
            && let Some((followed, query)) = self.follow_up(input, text, previous, &step, today)
        {
            turn.notes.push(format!("follow-up on {previous}"));
            turn.query = query;
            step = followed;
        }

        if let Some(a) = &turn.upset {
            turn.notes
                .push(format!("upset {:.2}: {}", a.score, a.describe()));
            turn.detail = Some(a.describe());
            if !matches!(step, Step::Handoff { .. }) {
                let intent = match &step {
                    Step::Answer { intent, .. } | Step::AskSlot { intent, .. } => {
                        Some(intent.clone())
                    }
                    _ => (!prediction.out_of_scope
                        && prediction.intent != crate::intent::OOS_LABEL)
                        .then(|| prediction.intent.clone()),
                };
                return self
                    .handoff(
                        HandoffReason::CustomerUpset,
                        intent,
                        DecisionStage::Policy,
                        turn,
                    )
                    .await;
            }
        }

        // Off topic again after the configured fallbacks: end politely instead of handing off,
        // when configured so.
        if signals.out_of_scope
            && streak.fallback >= cfg.policy.max_fallbacks
            && cfg.config.after_fallbacks == config::AfterFallbacks::End
            && matches!(
                step,
                Step::Handoff {
                    reason: HandoffReason::LowConfidence,
                    ..
                }
            )
        {
            turn.notes.push("off topic again; ending politely".into());
            step = Step::Fallback;
        }

        // Unsure: ask the LLM router, when there is one.
        if matches!(step, Step::Clarify { .. } | Step::Fallback)
            && awaited.is_none()
            && let Some(llm) = &self.llm
        {
            match llm.route(cfg, &input.history, text).await {
                Ok(route) => {
                    turn.notes.push(format!(
                        "llm router: {} ({:.2})",
                        route.intent.as_deref().unwrap_or("none"),
                        route.confidence
                    ));
                    match route.intent {
                        Some(intent) => signals.llm = Some((intent, route.confidence)),
                        None => signals.out_of_scope = true,
                    }
                }
                Err(e) => {
                    turn.notes.push(format!("llm router failed: {e}"));
                    signals.llm_failed = true;
                }
            }
            step = step_of(policy::decide(&cfg.policy, &signals));
        }

        // Still no intent: an article may answer it outright.
        if matches!(
            step,
            Step::Clarify { .. }
                | Step::Fallback
                | Step::Handoff {
                    reason: HandoffReason::LowConfidence | HandoffReason::RepeatedClarify,
                    ..
                }
        ) && awaited.is_none()
            && let Some(outcome) = self.direct_knowledge(&mut turn).await
        {
            return outcome;
        }

        self.outcome(step, turn).await
    }

    /// The next step of an intent whose value the bot asked for.
    fn continue_intent(
        &self,
        intent: &str,
        asked: SlotKind,
        got_it: bool,
        known: &Slots,
        streak: &Streak,
    ) -> Step {
        let cfg = &self.compiled;
        let p = cfg.policy.intent(intent);
        match p
            .required_slots
            .iter()
            .copied()
            .find(|k| !known.contains_key(k.key()))
        {
            None => Step::Answer {
                intent: intent.to_owned(),
                confidence: None,
                stage: DecisionStage::Policy,
            },
            Some(_) if streak.clarify >= cfg.policy.max_clarify => Step::Handoff {
                reason: HandoffReason::RepeatedClarify,
                intent: Some(intent.to_owned()),
                stage: DecisionStage::Policy,
            },
            Some(next) if got_it || next != asked => Step::AskSlot {
                intent: intent.to_owned(),
                slot: next,
                question: next.question_ru().to_owned(),
            },
            Some(next) => Step::AskSlot {
                intent: intent.to_owned(),
                slot: next,
                question: retry_question(next, known),
            },
        }
    }

    /// A short question after an answer, read in that answer's topic: the previous customer
    /// message and this one are classified together, and when that settles on an answer (for
    /// the previous intent, or a confident other one) it replaces an unsure step. A confident
    /// reading of the message alone is kept unless it starts like a follow-up («а…», "and…").
    fn follow_up(
        &self,
        input: &BotInput,
        text: &str,
        previous: &str,
        step: &Step,
        today: CivilDate,
    ) -> Option<(Step, String)> {
        let words = frontline_text::tokens(text);
        if words.is_empty() || words.len() > FOLLOW_UP_WORDS {
            return None;
        }
        let first = frontline_text::normalize(words[0].text);
        let sounds_like_follow_up = matches!(
            first.as_str(),
            "а" | "и" | "ещё" | "еще" | "также" | "тогда" | "and" | "also" | "what" | "how"
        ) && words.len() <= 4;
        let unsure = match step {
            Step::Clarify { .. } | Step::Fallback => true,
            Step::Handoff { reason, .. } => matches!(
                reason,
                HandoffReason::LowConfidence | HandoffReason::RepeatedClarify
            ),
            Step::Answer { intent, .. } => sounds_like_follow_up && intent != previous,
            Step::AskSlot { .. } => false,
        };
        if !unsure {
            return None;
        }
        let before = input
            .history
            .iter()
            .rev()
            .filter(|m| m.direction == Direction::In && m.id != input.message.id)
            .map(|m| m.text.trim())
            .find(|t| !t.is_empty())?;
        let joined = format!("{before} {text}");
        let cfg = &self.compiled;
        let p = cfg.model.predict(&joined);
        let mut signals = Signals::new(&joined).with_trigger(cfg.triggers.match_text(&joined));
        signals.classifier = Some((p.intent.clone(), p.answer_confidence()));
        signals.out_of_scope = p.out_of_scope;
        signals.known_slots = input.conversation.conversation.slots.clone();
        signals = signals.with_slots_from_text(today);
        match step_of(policy::decide(&cfg.policy, &signals)) {
            Step::Answer {
                intent,
                confidence,
                stage,
            } if intent == previous || !sounds_like_follow_up => Some((
                Step::Answer {
                    intent,
                    confidence,
                    stage,
                },
                joined,
            )),
            // The joined text names another topic, or nothing: the previous one it is.
            _ => Some((
                Step::Answer {
                    intent: previous.to_owned(),
                    confidence: None,
                    stage: DecisionStage::Policy,
                },
                joined,
            )),
        }
        .filter(|(s, _)| match s {
            Step::Answer { intent, .. } => cfg.intent(intent).is_some_and(|i| {
                !matches!(i.answer, AnswerConfig::Handoff { .. }) || intent == previous
            }),
            _ => false,
        })
    }

    /// An article answering a message no intent recognised, when one clears the direct threshold.
    async fn direct_knowledge(&self, turn: &mut Turn<'_>) -> Option<BotOutcome> {
        let k = &self.compiled.config.knowledge;
        let fragments = match self.knowledge.search(turn.text, k.top_k, None) {
            Ok(f) => f,
            Err(e) => {
                warn!(error = %e, "knowledge search failed");
                return None;
            }
        };
        if fragments
            .first()
            .is_none_or(|f| f.confidence < k.direct_threshold)
        {
            return None;
        }
        let (text, article_ids, confidence, note) = self
            .answer_from(turn.text, &fragments, k.direct_threshold)
            .await?;
        turn.notes
            .push("no intent; answered from the knowledge base".into());
        turn.notes.extend(note);
        Some(BotOutcome {
            decision: BotDecision::Reply {
                text,
                intent: turn.input.conversation.conversation.intent.clone(),
                slots: turn.known.clone(),
            },
            trace: DecisionTrace {
                action: DecisionAction::Answer,
                stage: Some(DecisionStage::Knowledge),
                intent: None,
                confidence: Some(confidence),
                article_ids,
                note: Some(turn.notes.join("; ")),
                steps: None,
            },
            flow: FlowChange::Keep,
        })
    }

    /// A grounded LLM answer from `fragments` when an LLM is configured and it answers; else the
    /// top fragment when it clears `threshold`. Returns the text, the article ids, the retrieval
    /// confidence and a note on how it was made.
    async fn answer_from(
        &self,
        question: &str,
        fragments: &[crate::kb::Fragment],
        threshold: f32,
    ) -> Option<(String, Vec<String>, f32, Option<String>)> {
        let top = fragments.first()?;
        let mut note = None;
        if let Some(llm) = &self.llm {
            match llm.grounded(question, fragments).await {
                Ok(a) if a.answerable && a.invented_ids.is_empty() => {
                    return Some((
                        a.text,
                        a.article_ids,
                        top.confidence,
                        Some("grounded answer by the LLM".into()),
                    ));
                }
                Ok(a) if !a.invented_ids.is_empty() => {
                    note = Some(format!(
                        "LLM cited unknown articles {:?}; answer discarded",
                        a.invented_ids
                    ))
                }
                Ok(_) => return None,
                Err(e) => note = Some(format!("grounded answer failed: {e}")),
            }
        }
        (top.confidence >= threshold).then(|| {
            (
                top.text.clone(),
                vec![top.article_id.clone()],
                top.confidence,
                note,
            )
        })
    }

    async fn outcome(&self, step: Step, mut turn: Turn<'_>) -> BotOutcome {
        let cfg = &self.compiled;
        let conversation = &turn.input.conversation.conversation;
        let reply = |text: String, intent: Option<String>, known: &Slots| BotDecision::Reply {
            text,
            intent: intent.or_else(|| conversation.intent.clone()),
            slots: known.clone(),
        };
        match step {
            Step::Answer {
                intent,
                confidence,
                stage,
            } => {
                let Some(ic) = cfg.intent(&intent) else {
                    // The policy only names configured intents; be safe anyway.
                    return self
                        .handoff(
                            HandoffReason::LowConfidence,
                            None,
                            DecisionStage::Policy,
                            turn,
                        )
                        .await;
                };
                if intent == SCHEDULE_INTENT
                    && let Some(schedule) = &cfg.config.schedule
                    && crate::schedule::Schedule::is_hours_question(&turn.query)
                {
                    turn.notes.push("answered from the schedule".into());
                    // The day the message itself names wins over the one in the previous question.
                    let asked = if crate::schedule::Schedule::is_hours_question(turn.text) {
                        turn.text
                    } else {
                        turn.query.as_str()
                    };
                    let text = schedule.answer(asked, turn.input.message.created_at.0);
                    return BotOutcome {
                        decision: reply(text, Some(intent.clone()), &turn.known),
                        trace: trace(
                            DecisionAction::Answer,
                            stage,
                            Some(intent),
                            confidence,
                            &turn.notes,
                        ),
                        flow: FlowChange::Keep,
                    };
                }
                match &ic.answer {
                    AnswerConfig::Text { text } => {
                        let text = fill(text, &turn.known);
                        BotOutcome {
                            decision: reply(text, Some(intent.clone()), &turn.known),
                            trace: trace(
                                DecisionAction::Answer,
                                stage,
                                Some(intent),
                                confidence,
                                &turn.notes,
                            ),
                            flow: FlowChange::Keep,
                        }
                    }
                    AnswerConfig::Knowledge { category } => {
                        let k = &cfg.config.knowledge;
                        let search = |query: &str| {
                            self.knowledge
                                .search(query, k.top_k, category.as_deref())
                                .unwrap_or_else(|e| {
                                    warn!(error = %e, "knowledge search failed");
                                    Vec::new()
                                })
                        };
                        // A follow-up is searched on its own words first, within the topic
                        // («а стоимость?» finds the price); the previous question joins only
                        // when they find nothing, since a longer query dilutes the match.
                        let mut query = turn.text.to_owned();
                        let mut fragments = search(&query);
                        if turn.query != turn.text
                            && fragments
                                .first()
                                .is_none_or(|f| f.confidence < k.answer_threshold)
                        {
                            query = turn.query.clone();
                            fragments = search(&query);
                        }
                        match self
                            .answer_from(&query, &fragments, k.answer_threshold)
                            .await
                        {
                            Some((text, article_ids, _, note)) => {
                                turn.notes.extend(note);
                                let mut t = trace(
                                    DecisionAction::Answer,
                                    stage,
                                    Some(intent.clone()),
                                    confidence,
                                    &turn.notes,
                                );
                                t.article_ids = article_ids;
                                BotOutcome {
                                    decision: reply(text, Some(intent), &turn.known),
                                    trace: t,
                                    flow: FlowChange::Keep,
                                }
                            }
                            None => {
                                turn.notes
                                    .push("no knowledge-base article answers it".into());
                                self.handoff(
                                    HandoffReason::LowConfidence,
                                    Some(intent),
                                    DecisionStage::Knowledge,
                                    turn,
                                )
                                .await
                            }
                        }
                    }
                    AnswerConfig::Handoff { .. } => {
                        self.handoff(HandoffReason::TopicPolicy, Some(intent), stage, turn)
                            .await
                    }
                }
            }
            Step::AskSlot {
                intent,
                slot,
                question,
            } => {
                turn.notes.push(format!("needs {}", slot.key()));
                BotOutcome {
                    decision: reply(question, Some(intent.clone()), &turn.known),
                    trace: trace(
                        DecisionAction::AskSlot,
                        DecisionStage::Policy,
                        Some(intent),
                        None,
                        &turn.notes,
                    ),
                    flow: FlowChange::Keep,
                }
            }
            Step::Clarify { question } => BotOutcome {
                decision: reply(question, None, &turn.known),
                trace: trace(
                    DecisionAction::Clarify,
                    DecisionStage::Policy,
                    None,
                    None,
                    &turn.notes,
                ),
                flow: FlowChange::Keep,
            },
            Step::Fallback => BotOutcome {
                decision: reply(self.fallback_text(turn.input), None, &turn.known),
                trace: trace(
                    DecisionAction::Fallback,
                    DecisionStage::Policy,
                    None,
                    None,
                    &turn.notes,
                ),
                flow: FlowChange::Keep,
            },
            Step::Handoff {
                reason,
                intent,
                stage,
            } => self.handoff(reason, intent, stage, turn).await,
        }
    }

    /// Hand over with the full context: slots, summary, customer card and the rendered briefing.
    async fn handoff(
        &self,
        reason: HandoffReason,
        intent: Option<String>,
        stage: DecisionStage,
        turn: Turn<'_>,
    ) -> BotOutcome {
        let cfg = &self.compiled;
        let view = &turn.input.conversation;
        let customer_texts: Vec<&str> = turn
            .input
            .history
            .iter()
            .filter(|m| m.direction == Direction::In && !m.text.trim().is_empty())
            .map(|m| m.text.as_str())
            .collect();
        let mut notes = turn.notes;
        let summary = match &self.llm {
            Some(llm) => match llm.summarize(&turn.input.history).await {
                Ok(s) => s,
                Err(e) => {
                    notes.push(format!("llm summary failed: {e}"));
                    extractive_summary(&customer_texts, SUMMARY_CHARS)
                }
            },
            None => extractive_summary(&customer_texts, SUMMARY_CHARS),
        };
        let intent_config = intent.as_deref().and_then(|i| cfg.intent(i));
        let briefing = render_briefing(
            &cfg.config.briefing_template,
            &BriefingContext {
                phone: view.customer.phone.clone(),
                customer: view.customer.name.clone(),
                intent: intent_config
                    .map(|i| i.label.clone())
                    .or_else(|| intent.clone()),
                reason: Some(reason),
                reason_detail: turn.detail.clone(),
                summary: summary.clone(),
                known_slots: turn.known.clone(),
                listing: listing_line(view),
            },
        );
        // The intent's own words when its topic is why a person takes over (an apology for a
        // complaint, "right away" for an urgent case); the general message otherwise.
        let farewell = match intent_config.map(|i| &i.answer) {
            Some(AnswerConfig::Handoff {
                message: Some(message),
            }) if reason == HandoffReason::TopicPolicy => fill(message, &turn.known),
            _ if reason == HandoffReason::CustomerUpset => match &turn.upset {
                Some(a) if a.is_urgent() && a.cues.len() == 1 => cfg.config.urgent_message.clone(),
                _ => cfg.config.upset_message.clone(),
            },
            _ => cfg.config.handoff_message.clone(),
        };
        let request_type = intent_config
            .and_then(|i| RequestType::parse(&i.request_type))
            .map(RequestType::as_str);
        if let Some(t) = request_type {
            notes.push(format!("request type {t}"));
        }
        BotOutcome {
            decision: BotDecision::Handoff {
                reason,
                context: HandoffContext {
                    intent: intent.clone(),
                    summary: Some(summary),
                    slots: turn.known,
                    briefing: Some(briefing),
                },
                farewell: Some(farewell),
            },
            trace: trace(DecisionAction::Handoff, stage, intent, None, &notes),
            flow: FlowChange::Keep,
        }
    }
}

/// The question asked again when the answer held no value: for an order number, that no such
/// order was found, with the other key the customer may have (the phone) offered.
fn retry_question(slot: SlotKind, known: &Slots) -> String {
    match slot {
        SlotKind::OrderNumber if !known.contains_key(SlotKind::Phone.key()) => {
            "Не нашёл заказа с таким номером. Проверьте, пожалуйста, номер — он есть в письме с \
             подтверждением, — или напишите телефон, на который оформлен заказ."
                .to_owned()
        }
        SlotKind::OrderNumber => "Не нашёл заказа с таким номером. Проверьте, пожалуйста, номер \
             — он есть в письме или SMS с подтверждением заказа."
            .to_owned(),
        other => format!("Не нашёл этого в сообщении. {}", other.question_ru()),
    }
}

/// Whether a workflow run was the answer to an off-topic message: its intent node found no
/// topic and no knowledge search found anything.
fn is_fallback_run(steps: &[crate::workflow::Step]) -> bool {
    let off_topic = steps.iter().any(|s| {
        s.node_type == "intent"
            && (s.output.get("out_of_scope").and_then(|v| v.as_bool()) == Some(true)
                || s.output.get("intent").is_none_or(|v| v.is_null()))
    });
    let found = steps.iter().any(|s| {
        s.node_type == "search"
            && s.output
                .get("hits")
                .and_then(|h| h.as_array())
                .is_some_and(|h| !h.is_empty())
    });
    let acted = steps
        .iter()
        .any(|s| matches!(s.node_type.as_str(), "action" | "ask" | "ai_response"));
    off_topic && !found && !acted
}

/// «заказ 12345 не найден (404)»: why an Action failed, from a workflow's trace, for the
/// briefing.
fn action_detail(steps: &[crate::workflow::Step]) -> Option<String> {
    let failed: Vec<String> = steps
        .iter()
        .filter(|s| s.node_type == "action")
        .filter_map(|s| {
            let url = s.input.get("url")?.as_str()?;
            match s.output.get("status").and_then(|v| v.as_u64()) {
                Some(404) => Some(format!("не найдено: {url}")),
                Some(status) if !(200..300).contains(&status) => {
                    Some(format!("{url} ответил {status}"))
                }
                _ => s
                    .output
                    .get("error")
                    .and_then(|e| e.as_str())
                    .map(|e| format!("{url}: {e}")),
            }
        })
        .collect();
    (!failed.is_empty()).then(|| failed.join("; "))
}

fn trace(
    action: DecisionAction,
    stage: DecisionStage,
    intent: Option<String>,
    confidence: Option<f32>,
    notes: &[String],
) -> DecisionTrace {
    DecisionTrace {
        action,
        stage: Some(stage),
        intent,
        confidence,
        article_ids: Vec::new(),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
        steps: None,
    }
}

#[async_trait]
impl Bot for EngineBot {
    async fn decide(&self, input: BotInput) -> BotOutcome {
        self.run(&input).await
    }
}

#[cfg(test)]
mod tests;

/// What a marketplace chat is about, for workflows: `customer.listing_title`, `…_price`, `…_url`,
/// `…_id` (absent when the chat is not about a listing).
fn listing_attributes(
    view: &frontline_domain::ConversationView,
) -> std::collections::BTreeMap<String, String> {
    let mut attributes = std::collections::BTreeMap::new();
    if let Some(l) = &view.conversation.listing {
        attributes.insert("listing_id".into(), l.external_id.clone());
        for (key, value) in [
            ("listing_title", &l.title),
            ("listing_price", &l.price),
            ("listing_url", &l.url),
        ] {
            if let Some(v) = value {
                attributes.insert(key.into(), v.clone());
            }
        }
    }
    attributes
}

/// «title, price» of the chat's listing, for the operator's briefing.
fn listing_line(view: &frontline_domain::ConversationView) -> Option<String> {
    let l = view.conversation.listing.as_ref()?;
    let parts: Vec<&str> = [l.title.as_deref(), l.price.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}
