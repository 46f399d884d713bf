//! "The customer asks for a human" — the one signal that beats every other (see [`crate::policy`]).
//!
//! Asking for a person is a *request*, so [`asks_for_human`] looks for a request form around a
//! human noun rather than for the noun alone, which would fire on «оператор связи не работает»
//! (a complaint about a phone carrier) or "the agent said my order shipped". It accepts:
//!
//! 1. a request chain: a request word (`позовите`, `хочу`, `дайте`, `можно`, `talk`, `want`, …)
//!    followed, through light words only (`с`, `мне`, `живым`, `to`, `a`, `real`, …), by a human
//!    noun: «хочу поговорить с живым человеком», "can I talk to a real person";
//! 2. the noun first, then the request: «оператора позовите», «человек нужен»;
//! 3. a message that is nothing but the noun with light words: «оператор!», "human please",
//!    «есть тут живые люди?».
//!
//! Vague people (`someone`, `кто-нибудь`, `support`) count only next to a verb of talking or
//! connecting ("speak to someone", «соедините с кем-нибудь»), since "can someone tell me where my
//! parcel is" is not a request for a person. English modals (`can`, `could`) are light words, not
//! requests: "can a person pick up the parcel?" is a question about pickup. A negation right before
//! the request («не надо оператора», "I don't want an agent") cancels it.
//!
//! Russian nouns are compared by stem (so `оператора`, `оператором`, `операторы` all count);
//! request and light words by exact form, because their other forms mean other things (`хочу`
//! is a request, `хочет` is a report about someone else).

use std::collections::HashSet;
use std::sync::OnceLock;

use frontline_text::{normalize, term, tokens};

/// Russian human nouns; every listed form is stemmed, so one form per lemma would do, the others
/// guard against stemmer surprises.
const RU_PEOPLE: &[&str] = &[
    "оператор",
    "оператора",
    "операторы",
    "человек",
    "человека",
    "люди",
    "людей",
    "людьми",
    "менеджер",
    "менеджера",
    "специалист",
    "специалиста",
    "консультант",
    "консультанта",
    "сотрудник",
    "сотрудника",
    "администратор",
    "администратора",
    "админ",
    "админа",
];

const EN_PEOPLE: &[&str] = &[
    "operator",
    "operators",
    "human",
    "humans",
    "person",
    "persons",
    "people",
    "agent",
    "agents",
    "representative",
    "representatives",
    "rep",
    "manager",
    "supervisor",
    "staff",
    "specialist",
    "consultant",
];

/// People only a verb of talking makes into a request.
const VAGUE_PEOPLE: &[&str] = &[
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "support",
    "кто",
    "кого",
    "кем",
    "кому",
    "поддержка",
    "поддержкой",
    "поддержку",
    "поддержки",
    "техподдержка",
    "техподдержкой",
    "техподдержку",
    "техподдержки",
];

/// Verbs of talking, calling and connecting.
const TALK: &[&str] = &[
    "позовите",
    "позови",
    "позвать",
    "зовите",
    "пригласите",
    "пригласить",
    "вызовите",
    "вызвать",
    "подключите",
    "подключи",
    "подключить",
    "переключите",
    "переключи",
    "переключить",
    "соедините",
    "соедини",
    "соединить",
    "переведите",
    "переведи",
    "перевести",
    "передайте",
    "передай",
    "передать",
    "свяжите",
    "свяжи",
    "связать",
    "связаться",
    "поговорить",
    "поговорю",
    "пообщаться",
    "общаться",
    "побеседовать",
    "talk",
    "speak",
    "chat",
    "connect",
    "transfer",
    "escalate",
    "contact",
    "reach",
    "put",
];

/// Wanting, needing, asking.
const WANT: &[&str] = &[
    "хочу",
    "хотим",
    "хотел",
    "хотела",
    "хотелось",
    "нужен",
    "нужна",
    "нужно",
    "нужны",
    "надо",
    "дайте",
    "дай",
    "давайте",
    "можно",
    "требую",
    "прошу",
    "жду",
    "want",
    "need",
    "like",
    "get",
    "give",
    "require",
    "request",
    "wanna",
];

/// Words that may sit between a request and its noun without changing what is asked.
const LIGHT: &[&str] = &[
    "с",
    "со",
    "к",
    "на",
    "мне",
    "меня",
    "нам",
    "нас",
    "мной",
    "бы",
    "ли",
    "уже",
    "же",
    "ну",
    "а",
    "пожалуйста",
    "плиз",
    "пжл",
    "пж",
    "срочно",
    "скорее",
    "сейчас",
    "хоть",
    "какого",
    "какого-нибудь",
    "нибудь",
    "то",
    "либо",
    "живой",
    "живого",
    "живым",
    "живому",
    "живые",
    "живых",
    "живыми",
    "реального",
    "реальным",
    "реальный",
    "настоящего",
    "настоящим",
    "нормального",
    "нормальным",
    "вашего",
    "вашим",
    "ваш",
    "вашему",
    "из",
    "помощь",
    "вы",
    "to",
    "with",
    "a",
    "an",
    "the",
    "me",
    "us",
    "please",
    "pls",
    "plz",
    "real",
    "live",
    "actual",
    "human",
    "your",
    "some",
    "i",
    "we",
    "you",
    "can",
    "could",
    "may",
    "would",
    "d",
    "just",
    "now",
    "right",
    "away",
    "from",
    "help",
    "of",
    "for",
    "one",
    "immediately",
    "asap",
    "through",
    "over",
];

/// Words a message made only of a human noun may also contain: greetings, summons, "is there".
const ONLY_NOUN_EXTRA: &[&str] = &[
    "эй",
    "алло",
    "здравствуйте",
    "привет",
    "добрый",
    "день",
    "вечер",
    "утро",
    "ответьте",
    "отзовитесь",
    "есть",
    "тут",
    "здесь",
    "кто",
    "hey",
    "hi",
    "hello",
    "is",
    "there",
    "are",
    "only",
    "any",
    "here",
];

const NEGATIONS: &[&str] = &["не", "нет", "без", "ни", "not", "no", "never", "dont"];

fn ru_people() -> &'static HashSet<String> {
    static S: OnceLock<HashSet<String>> = OnceLock::new();
    S.get_or_init(|| RU_PEOPLE.iter().map(|w| term(w)).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// An unmistakable human noun.
    Person,
    /// `someone`, `поддержка`: a person only next to a verb of talking.
    Vague,
    Talk,
    Want,
    Light,
    Negation,
    Other,
}

struct Word {
    norm: String,
    class: Class,
}

fn classify(norm: &str, prev: Option<&str>) -> Class {
    if norm == "t" && prev.is_some_and(|p| matches!(p, "don" | "doesn" | "didn" | "won" | "wouldn"))
    {
        return Class::Negation;
    }
    if NEGATIONS.contains(&norm) {
        Class::Negation
    } else if (EN_PEOPLE.contains(&norm) && norm != "human") || ru_people().contains(&term(norm)) {
        Class::Person
    } else if VAGUE_PEOPLE.contains(&norm) {
        Class::Vague
    } else if TALK.contains(&norm) {
        Class::Talk
    } else if WANT.contains(&norm) {
        Class::Want
    } else if LIGHT.contains(&norm) {
        Class::Light
    } else {
        Class::Other
    }
}

/// Does the message ask to talk to a person? See the module docs for what counts.
pub fn asks_for_human(text: &str) -> bool {
    let mut words: Vec<Word> = Vec::new();
    for t in tokens(text) {
        let norm = normalize(t.text);
        let class = classify(&norm, words.last().map(|w| w.norm.as_str()));
        words.push(Word { norm, class });
    }
    // "human" is a light word ("human agent") and a person ("talk to a human"): the noun when
    // nothing person-like follows it.
    for i in 0..words.len() {
        if words[i].norm == "human" {
            let next = words.get(i + 1).map(|w| w.class);
            if !matches!(next, Some(Class::Person | Class::Vague)) {
                words[i].class = Class::Person;
            }
        }
    }
    request_chain(&words) || noun_then_request(&words) || only_the_noun(&words)
}

fn is_person_at(words: &[Word], j: usize, talked: bool) -> bool {
    let possessive = words.get(j + 1).is_some_and(|w| w.norm == "s");
    match words[j].class {
        Class::Person => !possessive,
        Class::Vague => talked && !possessive,
        _ => false,
    }
}

/// Is the request starting at `i` negated? Walks back over the chain's own words (`I don't
/// *want to* talk`) to the word before it.
fn negated(words: &[Word], i: usize) -> bool {
    let mut k = i;
    while k > 0 && matches!(words[k - 1].class, Class::Light | Class::Want | Class::Talk) {
        k -= 1;
    }
    k > 0 && words[k - 1].class == Class::Negation
}

fn request_chain(words: &[Word]) -> bool {
    for i in 0..words.len() {
        if !matches!(words[i].class, Class::Want | Class::Talk) || negated(words, i) {
            continue;
        }
        let mut talked = words[i].class == Class::Talk;
        for j in i + 1..words.len().min(i + 8) {
            if is_person_at(words, j, talked) {
                return true;
            }
            match words[j].class {
                Class::Light | Class::Want => {}
                Class::Talk => talked = true,
                _ => break,
            }
        }
    }
    false
}

fn noun_then_request(words: &[Word]) -> bool {
    for i in 0..words.len() {
        if words[i].class != Class::Person {
            continue;
        }
        for w in words.iter().skip(i + 1).take(4) {
            match w.class {
                Class::Want | Class::Talk => return true,
                Class::Light => {}
                _ => break,
            }
        }
    }
    false
}

fn only_the_noun(words: &[Word]) -> bool {
    if words.is_empty() || words.len() > 8 {
        return false;
    }
    let talked = words.iter().any(|w| w.class == Class::Talk);
    let mut person = false;
    for (j, w) in words.iter().enumerate() {
        match w.class {
            Class::Person | Class::Vague if is_person_at(words, j, talked) => person = true,
            Class::Light | Class::Want | Class::Talk => {}
            Class::Vague => {}
            _ if ONLY_NOUN_EXTRA.contains(&w.norm.as_str()) => {}
            _ => return false,
        }
    }
    person
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: bool) {
        assert_eq!(asks_for_human(input), expected, "input: {input:?}");
    }

    #[test]
    fn russian_requests() {
        for input in [
            "позовите оператора",
            "Позовите, пожалуйста, оператора!",
            "хочу поговорить с человеком",
            "соедините с живым человеком",
            "дайте менеджера",
            "оператор!",
            "ОПЕРАТОР",
            "Оператора!!!",
            "можно специалиста",
            "а можно живого человека?",
            "переключите на оператора",
            "Переведите меня на оператора, пожалуйста",
            "свяжите меня с менеджером",
            "мне нужен оператор",
            "нужна помощь специалиста",
            "хочу пообщаться с живым человеком, а не с ботом",
            "можно с человеком поговорить?",
            "соедините с кем-нибудь из сотрудников",
            "хочу поговорить с кем-нибудь",
            "оператора позовите",
            "человек нужен срочно",
            "Есть тут живые люди?",
            "живого человека пожалуйста",
            "Здравствуйте, оператора пожалуйста",
            "связаться с поддержкой",
            "хочу с оператором",
            "давайте оператора",
            "требую менеджера",
            "Не могу дозвониться, позовите оператора",
            "человек",
            "консультанта можно?",
        ] {
            check(input, true);
        }
    }

    #[test]
    fn english_requests() {
        for input in [
            "talk to a person",
            "human please",
            "agent",
            "AGENT!!!",
            "real person",
            "speak to someone",
            "Can I talk to a real person?",
            "I want to speak with a manager",
            "get me a human",
            "connect me to an agent",
            "Transfer me to a live agent please",
            "I need a human",
            "representative",
            "operator",
            "is there a human?",
            "Is there someone I can talk to?",
            "live chat with agent please",
            "I'd like to talk to a human",
            "can I get a human agent",
            "contact support",
            "why can't I talk to a human",
        ] {
            check(input, true);
        }
    }

    #[test]
    fn not_requests() {
        for input in [
            "оператор связи не работает",
            "бот ответил, спасибо",
            "the agent said my order shipped",
            "Менеджер сказал, что заказ придёт завтра",
            "Специалист приезжал, но не починил",
            "дайте номер оператора",
            "Можно поменять оператора связи в тарифе?",
            "не надо оператора",
            "Оператор не нужен, спасибо",
            "мне не нужен человек",
            "Вы бот или человек?",
            "хочу жаловаться на менеджера",
            "хочу вернуть товар",
            "где мой заказ",
            "I don't want to talk to an agent",
            "I need the agent's name",
            "can a person pick up the parcel for me?",
            "can someone tell me where my order is",
            "The representative was rude",
            "Operator error when paying",
            "I am a human",
            "someone stole my package",
            "позвоните мне",
            "человек, который принял заказ, нагрубил",
            "personal account is blocked",
            "",
        ] {
            check(input, false);
        }
    }
}
