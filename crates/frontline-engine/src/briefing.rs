//! The operator's briefing at handoff: who the customer is, what they want, why the bot stepped
//! back, what they already said and what not to ask again — the brief's `AGENT_BRIEFING_TEMPLATE`.
//!
//! [`render_briefing`] fills a template the business can edit; [`extractive_summary`] writes the
//! "what they already said" part without an LLM (handoffs also happen *because* the LLM is down),
//! by picking the customer's most informative sentences.

use std::collections::{BTreeMap, HashMap, HashSet};

use frontline_domain::HandoffReason;
use frontline_text::{normalize, tokens};

/// Modelled on the brief's `AGENT_BRIEFING_TEMPLATE`. `{summary}` ends its line without a full
/// stop because the summary brings its own punctuation.
pub const DEFAULT_BRIEFING_TEMPLATE: &str = "Переключаю клиента {customer}, {phone}.
Причина обращения: {intent}.
Почему оператор: {reason}.
Клиент уже сообщил: {summary}
Известно: {known}.
Не нужно спрашивать: {dont_ask}.";

/// What is shown for a missing value.
const NONE: &str = "—";

/// Everything a briefing may mention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BriefingContext {
    /// Falls back to the `phone` slot.
    pub phone: Option<String>,
    pub customer: Option<String>,
    /// A human label of the intent («статус заказа») or, lacking one, the intent's name.
    pub intent: Option<String>,
    pub reason: Option<HandoffReason>,
    /// What exactly made the bot step back, after the reason: «срочно, товар пришёл
    /// повреждённым», «номер 12345 не найден дважды».
    pub reason_detail: Option<String>,
    pub summary: String,
    /// The conversation's slots, by key (`order_number`).
    pub known_slots: BTreeMap<String, String>,
    /// The listing the chat is about (a marketplace item): «title, price».
    pub listing: Option<String>,
}

/// Fills `{phone}`, `{customer}`, `{intent}`, `{reason}` (with its detail in brackets), `{summary}`, `{known}`, `{dont_ask}` and
/// `{listing}`. Unknown placeholders stay visible, so a typo in an edited template shows up in the
/// first briefing instead of silently vanishing. Missing values render as `—`. A template without
/// `{listing}` still names the listing, on a last line, when the chat is about one.
pub fn render_briefing(template: &str, ctx: &BriefingContext) -> String {
    let mut out = fill_template(template, ctx);
    if let Some(listing) = ctx.listing.as_deref().filter(|l| !l.trim().is_empty())
        && !template.contains("{listing}")
    {
        out.push_str("\nОбъявление: ");
        out.push_str(listing.trim());
        out.push('.');
    }
    out
}

fn fill_template(template: &str, ctx: &BriefingContext) -> String {
    let mut out = String::with_capacity(template.len() + 128);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        let value = (after[name_len..].starts_with('}'))
            .then(|| placeholder(&after[..name_len], ctx))
            .flatten();
        match value {
            Some(v) => {
                out.push_str(&v);
                rest = &after[name_len + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn placeholder(name: &str, ctx: &BriefingContext) -> Option<String> {
    let or_none = |v: Option<&str>| match v.map(str::trim) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => NONE.to_string(),
    };
    Some(match name {
        "phone" => {
            let phone = ctx
                .phone
                .as_deref()
                .or(ctx.known_slots.get("phone").map(String::as_str));
            or_none(phone.map(pretty_phone).as_deref())
        }
        "customer" => or_none(ctx.customer.as_deref()),
        "intent" => or_none(ctx.intent.as_deref()),
        "reason" => match (ctx.reason.map(reason_ru), ctx.reason_detail.as_deref()) {
            (Some(r), Some(d)) if !d.trim().is_empty() => format!("{r} ({})", d.trim()),
            (r, _) => or_none(r),
        },
        "summary" => or_none(Some(ctx.summary.as_str())),
        "known" => or_none(Some(&known(&ctx.known_slots))),
        "dont_ask" => or_none(Some(&dont_ask(&ctx.known_slots))),
        "listing" => or_none(ctx.listing.as_deref()),
        _ => return None,
    })
}

/// `+79123456789` → `+7 912 345-67-89`; anything else unchanged.
fn pretty_phone(p: &str) -> String {
    let d = p.strip_prefix("+7").unwrap_or("");
    if d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit()) {
        format!("+7 {} {}-{}-{}", &d[..3], &d[3..6], &d[6..8], &d[8..])
    } else {
        p.to_string()
    }
}

/// Why the bot stepped back, for the operator.
pub fn reason_ru(reason: HandoffReason) -> &'static str {
    match reason {
        HandoffReason::NoBot => "бот не подключён",
        HandoffReason::LowConfidence => "вопрос вне тем бота",
        HandoffReason::CustomerAsked => "клиент попросил оператора",
        HandoffReason::TopicPolicy => "тема требует оператора",
        HandoffReason::ActionFailed => "не удалось выполнить действие",
        HandoffReason::RepeatedClarify => "бот не смог уточнить вопрос",
        HandoffReason::CustomerUpset => "клиент расстроен или торопится",
        HandoffReason::LlmUnavailable => "языковая модель недоступна",
        HandoffReason::BotError => "ошибка бота",
        HandoffReason::Manual => "передано вручную",
        HandoffReason::OperatorReplied => "оператор ответил сам",
        HandoffReason::ExternalReply => "ответ из приложения канала",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gender {
    Masculine,
    Feminine,
    Neuter,
}

/// Known slot keys in the order an operator reads them, with their Russian names.
const SLOT_NAMES: &[(&str, &str, Gender)] = &[
    ("order_number", "номер заказа", Gender::Masculine),
    ("tracking_number", "трек-номер", Gender::Masculine),
    ("name", "имя", Gender::Neuter),
    ("phone", "телефон", Gender::Masculine),
    ("email", "e-mail", Gender::Masculine),
    ("address", "адрес", Gender::Masculine),
    ("city", "город", Gender::Masculine),
    ("date", "дата", Gender::Feminine),
    ("amount", "сумма", Gender::Feminine),
];

fn slot_entry(key: &str) -> (usize, String, Gender) {
    match SLOT_NAMES.iter().position(|(k, _, _)| *k == key) {
        Some(i) => (i, SLOT_NAMES[i].1.to_string(), SLOT_NAMES[i].2),
        None => (SLOT_NAMES.len(), key.replace('_', " "), Gender::Masculine),
    }
}

/// The Russian name of a slot: `order_number` → «номер заказа»; unknown keys with spaces for `_`.
pub fn slot_name_ru(key: &str) -> String {
    slot_entry(key).1
}

/// Non-empty slots in reading order.
fn ordered(slots: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> = slots
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    v.sort_by_key(|(k, _)| slot_entry(k).0);
    v
}

/// «номер заказа 7157703, телефон +7 912 345-67-89».
pub fn known(slots: &BTreeMap<String, String>) -> String {
    ordered(slots)
        .into_iter()
        .map(|(k, v)| {
            let v = if k == "phone" {
                pretty_phone(v)
            } else {
                v.to_string()
            };
            format!("{} {}", slot_name_ru(k), v)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// «номер заказа и телефон — уже получены», «дата — уже получена»; empty when nothing is known.
pub fn dont_ask(slots: &BTreeMap<String, String>) -> String {
    let keys = ordered(slots);
    let names: Vec<String> = keys.iter().map(|(k, _)| slot_name_ru(k)).collect();
    let verb = match keys.as_slice() {
        [] => return String::new(),
        [(k, _)] => match slot_entry(k).2 {
            Gender::Masculine => "получен",
            Gender::Feminine => "получена",
            Gender::Neuter => "получено",
        },
        _ => "получены",
    };
    format!("{} — уже {verb}", join_ru(&names))
}

/// «a», «a и b», «a, b и c».
fn join_ru(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} и {last}", init.join(", ")),
    }
}

/// Words that carry no information about the request.
const STOP_WORDS: &[&str] = &[
    "здравствуйте",
    "привет",
    "добрый",
    "доброе",
    "день",
    "вечер",
    "утро",
    "спасибо",
    "пожалуйста",
    "и",
    "в",
    "во",
    "на",
    "с",
    "со",
    "по",
    "к",
    "у",
    "о",
    "об",
    "от",
    "до",
    "за",
    "из",
    "а",
    "но",
    "да",
    "нет",
    "не",
    "что",
    "это",
    "как",
    "так",
    "мне",
    "меня",
    "мой",
    "моя",
    "мое",
    "мои",
    "я",
    "вы",
    "вас",
    "вам",
    "он",
    "она",
    "они",
    "оно",
    "бы",
    "же",
    "ли",
    "уже",
    "еще",
    "тут",
    "там",
    "вот",
    "ну",
    "или",
    "то",
    "для",
    "при",
    "был",
    "была",
    "было",
    "есть",
    "все",
    "всё",
    "хорошо",
    "ок",
    "hello",
    "hi",
    "hey",
    "thanks",
    "thank",
    "you",
    "please",
    "the",
    "a",
    "an",
    "and",
    "or",
    "to",
    "of",
    "in",
    "on",
    "for",
    "is",
    "are",
    "was",
    "my",
    "i",
    "me",
    "it",
    "this",
    "that",
    "with",
    "at",
    "be",
    "have",
    "has",
    "do",
    "ok",
    "okay",
    "good",
];

#[derive(Debug)]
struct Sentence {
    text: String,
    terms: HashSet<String>,
    has_number: bool,
}

/// Splits at `.`, `!`, `?`, `…` followed by a space or the end (so `15.03` and `1.5` stay whole),
/// and at line breaks.
fn sentences(message: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = message.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_is_space = chars.peek().is_none_or(|&(_, n)| n.is_whitespace());
        let end = if c == '\n' {
            Some(i)
        } else if matches!(c, '.' | '!' | '?' | '…') && next_is_space {
            Some(i + c.len_utf8())
        } else {
            None
        };
        if let Some(end) = end {
            out.push(message[start..end].trim());
            start = end;
        }
    }
    out.push(message[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// A short summary of what the customer wrote, without an LLM: the sentences with the most
/// weight, in their original order, deduplicated, at most `max_chars` characters.
///
/// A sentence's weight is the sum over its distinct content words (stop words and greetings
/// excluded) of `1 + ln(frequency in the conversation)`, so words the customer keeps coming back
/// to count more, divided by the square root of the word count so long rambles do not win by
/// length alone, plus a bonus for numbers (order numbers, dates, amounts are what operators look
/// for). A sentence whose words mostly repeat a chosen one is skipped. If even the best sentence
/// is too long, it is cut at a word boundary with `…`.
pub fn extractive_summary(customer_messages: &[&str], max_chars: usize) -> String {
    let mut all: Vec<Sentence> = Vec::new();
    for m in customer_messages {
        for s in sentences(m) {
            let mut terms = HashSet::new();
            let mut has_number = false;
            for t in tokens(s) {
                let norm = normalize(t.text);
                if STOP_WORDS.contains(&norm.as_str()) {
                    continue;
                }
                has_number |= t.text.chars().any(|c| c.is_ascii_digit());
                terms.insert(t.term);
            }
            if !terms.is_empty() {
                all.push(Sentence {
                    text: s.to_string(),
                    terms,
                    has_number,
                });
            }
        }
    }
    if all.is_empty() || max_chars == 0 {
        return String::new();
    }
    let mut freq: HashMap<&str, usize> = HashMap::new();
    for s in &all {
        for t in &s.terms {
            *freq.entry(t.as_str()).or_default() += 1;
        }
    }
    let score = |s: &Sentence| -> f32 {
        let weight: f32 = s
            .terms
            .iter()
            .map(|t| 1.0 + (freq[t.as_str()] as f32).ln())
            .sum();
        weight / (s.terms.len() as f32).sqrt() + if s.has_number { 1.5 } else { 0.0 }
    };
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by(|&a, &b| score(&all[b]).total_cmp(&score(&all[a])));

    let mut chosen: Vec<usize> = Vec::new();
    let mut used = 0;
    for i in order {
        let s = &all[i];
        let duplicate = chosen.iter().any(|&c| {
            let shared = s.terms.intersection(&all[c].terms).count();
            shared as f32 >= 0.7 * s.terms.len().min(all[c].terms.len()) as f32
        });
        if duplicate {
            continue;
        }
        let len = s.text.chars().count() + usize::from(!chosen.is_empty());
        if used + len <= max_chars {
            chosen.push(i);
            used += len;
        } else if chosen.is_empty() {
            return cut(&s.text, max_chars);
        }
    }
    chosen.sort_unstable();
    chosen
        .iter()
        .map(|&i| all[i].text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` cut to at most `max_chars` characters at a word boundary, with `…`.
fn cut(text: &str, max_chars: usize) -> String {
    let budget = max_chars.saturating_sub(1);
    let mut end = 0;
    for (n, (i, c)) in text.char_indices().enumerate() {
        if n >= budget {
            break;
        }
        if c.is_whitespace() {
            end = i;
        }
        if n + 1 == budget && end == 0 {
            end = i + c.len_utf8();
        }
    }
    format!("{}…", text[..end].trim_end_matches([',', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn default_template_renders_everything() {
        let ctx = BriefingContext {
            phone: None,
            customer: Some("Иван Петров".into()),
            intent: Some("статус заказа".into()),
            reason: Some(HandoffReason::CustomerAsked),
            reason_detail: None,
            summary: "Заказ 7157703 не пришёл к 15 марта.".into(),
            known_slots: slots(&[("phone", "+79123456789"), ("order_number", "7157703")]),
            listing: None,
        };
        assert_eq!(
            render_briefing(DEFAULT_BRIEFING_TEMPLATE, &ctx),
            "Переключаю клиента Иван Петров, +7 912 345-67-89.
Причина обращения: статус заказа.
Почему оператор: клиент попросил оператора.
Клиент уже сообщил: Заказ 7157703 не пришёл к 15 марта.
Известно: номер заказа 7157703, телефон +7 912 345-67-89.
Не нужно спрашивать: номер заказа и телефон — уже получены."
        );
    }

    #[test]
    fn the_reason_carries_its_detail() {
        let ctx = BriefingContext {
            reason: Some(HandoffReason::CustomerUpset),
            reason_detail: Some("раздражён, срочно".into()),
            ..BriefingContext::default()
        };
        assert_eq!(
            render_briefing("{reason}", &ctx),
            "клиент расстроен или торопится (раздражён, срочно)"
        );
        let without = BriefingContext {
            reason_detail: Some("  ".into()),
            ..ctx
        };
        assert_eq!(
            render_briefing("{reason}", &without),
            "клиент расстроен или торопится"
        );
    }

    #[test]
    fn the_listing_is_named_when_the_chat_is_about_one() {
        let ctx = BriefingContext {
            listing: Some("Диван угловой «Лофт», 54 990 ₽".into()),
            ..BriefingContext::default()
        };
        let text = render_briefing(DEFAULT_BRIEFING_TEMPLATE, &ctx);
        assert!(
            text.ends_with("\nОбъявление: Диван угловой «Лофт», 54 990 ₽."),
            "{text}"
        );
        assert_eq!(
            render_briefing("Про {listing}", &ctx),
            "Про Диван угловой «Лофт», 54 990 ₽"
        );
        let none = BriefingContext::default();
        assert!(!render_briefing(DEFAULT_BRIEFING_TEMPLATE, &none).contains("Объявление"));
    }

    #[test]
    fn placeholders() {
        let ctx = BriefingContext {
            phone: Some("+442079460958".into()),
            known_slots: slots(&[("date", "2026-03-15")]),
            ..BriefingContext::default()
        };
        for (template, expected) in [
            ("{phone}", "+442079460958"),
            (
                "{customer} / {intent} / {reason} / {summary}",
                "— / — / — / —",
            ),
            ("{dont_ask}", "дата — уже получена"),
            ("{known}", "дата 2026-03-15"),
            ("{unknown} {phone", "{unknown} {phone"),
            ("{{phone}}", "{+442079460958}"),
            ("{Phone} {}", "{Phone} {}"),
            ("нет плейсхолдеров", "нет плейсхолдеров"),
        ] {
            assert_eq!(
                render_briefing(template, &ctx),
                expected,
                "template: {template:?}"
            );
        }
        let empty = BriefingContext::default();
        assert_eq!(
            render_briefing("{known}|{dont_ask}|{phone}", &empty),
            "—|—|—"
        );
    }

    #[test]
    fn dont_ask_agrees_in_gender_and_number() {
        for (pairs, expected) in [
            (&[("order_number", "1")][..], "номер заказа — уже получен"),
            (&[("amount", "1500.00 RUB")][..], "сумма — уже получена"),
            (&[("name", "Иван")][..], "имя — уже получено"),
            (
                &[("order_number", "1"), ("name", "Иван")][..],
                "номер заказа и имя — уже получены",
            ),
            (
                &[
                    ("email", "a@b.ru"),
                    ("phone", "+79123456789"),
                    ("order_number", "1"),
                ][..],
                "номер заказа, телефон и e-mail — уже получены",
            ),
            (
                &[("favourite_colour", "синий")][..],
                "favourite colour — уже получен",
            ),
            (&[("order_number", " ")][..], ""),
        ] {
            assert_eq!(dont_ask(&slots(pairs)), expected);
        }
        assert_eq!(slot_name_ru("order_number"), "номер заказа");
    }

    #[test]
    fn summary_keeps_informative_sentences_in_order() {
        let messages = [
            "Здравствуйте!",
            "Заказ 7157703 до сих пор не пришёл, хотя обещали доставить к 15.03.",
            "Спасибо.",
            "Трек-номер не обновляется уже неделю, курьер не звонит.",
            "Заказ 7157703 до сих пор не пришёл!",
            "Позовите оператора.",
        ];
        let s = extractive_summary(&messages, 200);
        assert_eq!(
            s,
            "Заказ 7157703 до сих пор не пришёл, хотя обещали доставить к 15.03. \
             Трек-номер не обновляется уже неделю, курьер не звонит. Позовите оператора."
        );
        // A tighter budget keeps the sentence with the order number.
        let s = extractive_summary(&messages, 80);
        assert_eq!(
            s,
            "Заказ 7157703 до сих пор не пришёл, хотя обещали доставить к 15.03."
        );
        assert!(extractive_summary(&messages, 30).chars().count() <= 30);
    }

    #[test]
    fn summary_edge_cases() {
        assert_eq!(extractive_summary(&[], 100), "");
        assert_eq!(extractive_summary(&["Здравствуйте! Спасибо."], 100), "");
        assert_eq!(extractive_summary(&["где заказ"], 0), "");
        assert_eq!(
            extractive_summary(&["Очень длинное сообщение про заказ и доставку"], 20),
            "Очень длинное…"
        );
        assert_eq!(extractive_summary(&["Суперкалифрагилистик"], 6), "Супер…");
        assert_eq!(
            sentences("Цена 1.5 тыс. Дата 15.03!\nИ всё"),
            ["Цена 1.5 тыс.", "Дата 15.03!", "И всё"]
        );
    }
}
