//! A synthetic support-chat corpus modelled on `search-baselines.md`: ~50,000 conversations per million
//! messages (2–120 messages each, mean ~20), 75% Russian / 25% English, five accounts of unequal size,
//! customer, bot and operator authors, templates about order status, delivery, payment, returns,
//! complaints, promo codes and products, with Russian inflections, ё/е variants, typos in 3% of customer
//! messages, order and tracking numbers, amounts, dates and addresses.
//!
//! Deterministic: the same seed and size give the same texts in the same order. Messages come out in
//! time order across all conversations (a heap over per-conversation cursors), so that message ids,
//! which stores assign in insertion order, follow time as in a real history. Only the timestamps
//! depend on when the run starts: they lie in the 84 days before `base_ms`.
//!
//! Controlled rarities, because the reference's queries rely on them: the rare words (рассрочку,
//! самовывоз, претензию, кэшбэк, Роспотребнадзор, увлажнитель, Хабаровске, кофемашину, chargeback,
//! warranty, invoice) occur only in rare templates, about 0.2% of customer messages between them;
//! `шиномонтаж` occurs nowhere; order number 7157703 occurs in exactly four messages (at fixed
//! positions of the stream) and is never drawn at random.

use std::{cmp::Reverse, collections::BinaryHeap};

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};

/// The reference's seed.
pub const SEED: u64 = 20_240_601;
/// Relative sizes of the accounts the conversations belong to.
pub const ACCOUNT_WEIGHTS: [u32; 5] = [40, 25, 15, 12, 8];
/// Operators who answer in operator-led conversations.
pub const OPERATORS: usize = 4;
/// The order number the reference expects in exactly four messages.
pub const RESERVED_ORDER: u64 = 7_157_703;
/// Mean messages per conversation.
const MEAN_LEN: usize = 20;
const MAX_LEN: u32 = 120;
const DAY_MS: i64 = 86_400_000;
const SPAN_MS: i64 = 84 * DAY_MS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

/// Who wrote a message; operators by index `0..OPERATORS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Customer,
    Bot,
    Operator(usize),
}

/// One generated message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Index of the conversation, `0..conversations`.
    pub conversation: usize,
    /// Position in its conversation.
    pub seq: u32,
    /// Index into [`ACCOUNT_WEIGHTS`].
    pub account: usize,
    pub lang: Lang,
    pub who: Who,
    pub text: String,
    pub at_ms: i64,
}

/// The shape of one conversation, fixed before any text is drawn.
#[derive(Debug, Clone)]
pub struct Plan {
    pub account: usize,
    pub lang: Lang,
    pub len: u32,
    /// The operator who takes over from the bot at message `handoff_at`; `None`: bot-led throughout.
    pub operator: Option<usize>,
    pub handoff_at: u32,
    topic: usize,
}

#[derive(Debug)]
struct Cursor {
    rng: StdRng,
    seq: u32,
    next_at: i64,
    next_who: Who,
    order: u64,
    order2: Option<u64>,
    track: String,
    city: usize,
    product: usize,
    operator_spoke: bool,
}

/// The corpus as an iterator of messages in time order.
#[derive(Debug)]
pub struct Corpus {
    plans: Vec<Plan>,
    cursors: Vec<Cursor>,
    heap: BinaryHeap<Reverse<(i64, usize)>>,
    emitted: usize,
    total: usize,
    reserved_at: Vec<usize>,
}

impl Corpus {
    /// `messages` messages in about `messages / 20` conversations, timestamped before `base_ms`.
    pub fn new(messages: usize, seed: u64, base_ms: i64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let conversations = (messages / MEAN_LEN).max(1);
        let lo: u32 = if messages >= 2 * conversations { 2 } else { 1 };
        let hi: u32 = MAX_LEN.max(messages.div_ceil(conversations) as u32);

        // Lengths: 2 + exponential (long tail like real chats), clipped, then nudged to the exact total.
        let mut lens: Vec<u32> = (0..conversations)
            .map(|_| {
                let u: f64 = rng.r#gen::<f64>().max(1e-12);
                (lo as f64 + (-u.ln() * (MEAN_LEN as f64 - 2.0)).floor()).min(hi as f64) as u32
            })
            .collect();
        let mut sum: usize = lens.iter().map(|&l| l as usize).sum();
        while sum != messages {
            let i = rng.gen_range(0..conversations);
            if sum > messages && lens[i] > lo {
                lens[i] -= 1;
                sum -= 1;
            } else if sum < messages && lens[i] < hi {
                lens[i] += 1;
                sum += 1;
            }
        }

        let weight_total: u32 = ACCOUNT_WEIGHTS.iter().sum();
        let mut plans = Vec::with_capacity(conversations);
        let mut cursors = Vec::with_capacity(conversations);
        let mut heap = BinaryHeap::with_capacity(conversations);
        for (i, &len) in lens.iter().enumerate() {
            let mut pick = rng.gen_range(0..weight_total);
            let mut account = 0;
            while pick >= ACCOUNT_WEIGHTS[account] {
                pick -= ACCOUNT_WEIGHTS[account];
                account += 1;
            }
            let lang = if rng.gen_bool(0.75) {
                Lang::Ru
            } else {
                Lang::En
            };
            // About a third of the conversations end up with a person.
            let operator = (len >= 3 && rng.gen_bool(0.35)).then(|| rng.gen_range(0..OPERATORS));
            let handoff_at = rng.gen_range(1..=len.clamp(2, 7) - 1);
            let topic = rng.gen_range(0..TOPICS);
            let start = base_ms - rng.gen_range(0..SPAN_MS);
            plans.push(Plan {
                account,
                lang,
                len,
                operator,
                handoff_at,
                topic,
            });
            let mut crng =
                StdRng::seed_from_u64(seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let order = order_number(&mut crng);
            let order2 = crng.gen_bool(0.2).then(|| order_number(&mut crng));
            let track = tracking_number(&mut crng);
            cursors.push(Cursor {
                city: crng.gen_range(0..RU_CITIES.len()),
                product: crng.gen_range(0..RU_PRODUCTS.len()),
                rng: crng,
                seq: 0,
                next_at: start,
                next_who: Who::Customer,
                order,
                order2,
                track,
                operator_spoke: false,
            });
            heap.push(Reverse((start, i)));
        }
        let reserved_at = if messages >= 5 {
            (1..=4).map(|k| messages * k / 5).collect()
        } else {
            Vec::new()
        };
        Self {
            plans,
            cursors,
            heap,
            emitted: 0,
            total: messages,
            reserved_at,
        }
    }

    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    /// Messages generated so far.
    pub fn emitted(&self) -> usize {
        self.emitted
    }

    pub fn total(&self) -> usize {
        self.total
    }
}

impl Iterator for Corpus {
    type Item = Message;

    fn next(&mut self) -> Option<Message> {
        let Reverse((at, i)) = self.heap.pop()?;
        let plan = &self.plans[i];
        let c = &mut self.cursors[i];
        let who = c.next_who;
        let last = c.seq + 1 == plan.len;
        let mut text = if self.reserved_at.contains(&self.emitted) {
            reserved_text(plan.lang, who)
        } else {
            compose(plan, c, who, last)
        };
        if who == Who::Customer {
            text = roughen(&mut c.rng, text);
        }
        if matches!(who, Who::Operator(_)) {
            c.operator_spoke = true;
        }
        let msg = Message {
            conversation: i,
            seq: c.seq,
            account: plan.account,
            lang: plan.lang,
            who,
            text,
            at_ms: at,
        };
        self.emitted += 1;
        c.seq += 1;
        if c.seq < plan.len {
            let agent = match plan.operator {
                Some(op) if c.seq >= plan.handoff_at => Who::Operator(op),
                _ => Who::Bot,
            };
            let next = match who {
                Who::Customer if c.rng.gen_bool(0.3) => Who::Customer,
                Who::Customer => agent,
                _ if c.rng.gen_bool(0.2) => agent,
                _ => Who::Customer,
            };
            let gap_s: i64 = match (who, next) {
                (_, Who::Bot) => c.rng.gen_range(1..8),
                (_, Who::Operator(_)) if !c.operator_spoke => c.rng.gen_range(60..2_400),
                (_, Who::Operator(_)) => c.rng.gen_range(20..900),
                (Who::Customer, Who::Customer) => c.rng.gen_range(5..90),
                _ => {
                    let r: f64 = c.rng.r#gen();
                    if r < 0.02 {
                        c.rng.gen_range(86_400..3 * 86_400)
                    } else if r < 0.12 {
                        c.rng.gen_range(3_600..12 * 3_600)
                    } else {
                        c.rng.gen_range(10..1_800)
                    }
                }
            };
            c.next_who = next;
            c.next_at = at + gap_s * 1000;
            self.heap.push(Reverse((c.next_at, i)));
        }
        Some(msg)
    }
}

fn order_number(rng: &mut StdRng) -> u64 {
    loop {
        let n = rng.gen_range(1_000_000..10_000_000);
        if n != RESERVED_ORDER {
            return n;
        }
    }
}

fn tracking_number(rng: &mut StdRng) -> String {
    if rng.gen_bool(0.6) {
        format!("RA{:09}RU", rng.gen_range(0..1_000_000_000u64))
    } else {
        format!("{:014}", rng.gen_range(0..100_000_000_000_000u64))
    }
}

fn reserved_text(lang: Lang, who: Who) -> String {
    match (lang, who) {
        (Lang::Ru, Who::Customer) => format!("Где мой заказ {RESERVED_ORDER}?"),
        (Lang::Ru, _) => format!("Заказ {RESERVED_ORDER} передан в службу доставки"),
        (Lang::En, Who::Customer) => format!("Where is my order {RESERVED_ORDER}?"),
        (Lang::En, _) => format!("Order {RESERVED_ORDER} has been shipped"),
    }
}

/// The text of one message, before customer-side roughening.
fn compose(plan: &Plan, c: &mut Cursor, who: Who, last: bool) -> String {
    let lang = plan.lang;
    let t = |ru: &'static [&'static str], en: &'static [&'static str]| match lang {
        Lang::Ru => ru,
        Lang::En => en,
    };
    let rng = &mut c.rng;
    let topic = if rng.gen_bool(0.75) {
        plan.topic
    } else {
        rng.gen_range(0..TOPICS)
    };
    let template: String = match who {
        Who::Customer => {
            let r: f64 = rng.r#gen();
            if c.seq == 0 {
                let greeting = pick(rng, t(RU_GREETINGS, EN_GREETINGS));
                let question = pick(rng, t(RU_CUSTOMER[topic], EN_CUSTOMER[topic]));
                if r < 0.6 {
                    format!("{greeting}! {question}")
                } else if r < 0.85 {
                    question.to_owned()
                } else {
                    greeting.to_owned()
                }
            } else if last && r < 0.6 {
                pick(rng, t(RU_CLOSINGS, EN_CLOSINGS)).to_owned()
            } else if r < 0.002 {
                pick(rng, t(RU_RARE, EN_RARE)).to_owned()
            } else if r < 0.06 {
                pick(rng, t(RU_SHORT, EN_SHORT)).to_owned()
            } else if r < 0.4 {
                let a = pick(rng, t(RU_CUSTOMER[topic], EN_CUSTOMER[topic]));
                let b = pick(rng, t(RU_CUSTOMER[plan.topic], EN_CUSTOMER[plan.topic]));
                format!("{a}. {b}")
            } else {
                pick(rng, t(RU_CUSTOMER[topic], EN_CUSTOMER[topic])).to_owned()
            }
        }
        Who::Bot => {
            let r: f64 = rng.r#gen();
            if c.seq == 1 && r < 0.3 {
                t(RU_BOT_GENERAL, EN_BOT_GENERAL)[0].to_owned()
            } else if r < 0.12 {
                pick(rng, t(RU_BOT_GENERAL, EN_BOT_GENERAL)).to_owned()
            } else if r < 0.3 {
                let a = pick(rng, t(RU_BOT[topic], EN_BOT[topic]));
                let b = pick(rng, t(RU_BOT[plan.topic], EN_BOT[plan.topic]));
                format!("{a}. {b}")
            } else {
                pick(rng, t(RU_BOT[topic], EN_BOT[topic])).to_owned()
            }
        }
        Who::Operator(_) => {
            if !c.operator_spoke {
                pick(rng, t(RU_OPERATOR_GREETINGS, EN_OPERATOR_GREETINGS)).to_owned()
            } else if last {
                pick(rng, t(RU_OPERATOR_CLOSINGS, EN_OPERATOR_CLOSINGS)).to_owned()
            } else {
                pick(rng, t(RU_OPERATOR[topic], EN_OPERATOR[topic])).to_owned()
            }
        }
    };
    fill(&template, c, lang, who)
}

fn pick<'a>(rng: &mut StdRng, list: &'a [&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or("")
}

/// Replace `{slot}`s with this conversation's values or fresh random ones.
fn fill(template: &str, c: &mut Cursor, lang: Lang, who: Who) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let key = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let rng = &mut c.rng;
        match key {
            "order" => {
                let n = match c.order2 {
                    Some(o2) if rng.gen_bool(0.3) => o2,
                    _ => c.order,
                };
                out.push_str(&n.to_string());
            }
            "track" => out.push_str(&c.track),
            "amount" => {
                let rub = rng.gen_range(30..15_000) * 10;
                // `12 490`, the Russian way.
                out.push_str(&super::group_digits(rub, ' '));
            }
            "date" => {
                let day = rng.gen_range(1..=28);
                let month = rng.gen_range(0..12);
                match lang {
                    Lang::Ru => out.push_str(&format!("{day} {}", RU_MONTHS[month])),
                    Lang::En => out.push_str(&format!("{} {day}", EN_MONTHS[month])),
                }
            }
            "days" => out.push_str(&rng.gen_range(3..30).to_string()),
            "city" => out.push_str(match lang {
                Lang::Ru => RU_CITIES[c.city],
                Lang::En => EN_CITIES[c.city % EN_CITIES.len()],
            }),
            "product" => out.push_str(match lang {
                Lang::Ru => RU_PRODUCTS[c.product].0,
                Lang::En => EN_PRODUCTS[c.product % EN_PRODUCTS.len()],
            }),
            "product_nom" => out.push_str(RU_PRODUCTS[c.product].1),
            "promo" => out.push_str(pick(rng, PROMO_CODES)),
            "addr" => {
                let street = pick(rng, RU_STREETS);
                let house = rng.gen_range(1..120);
                out.push_str(&format!("ул. {street}, д. {house}"));
            }
            "name" => {
                let i = match who {
                    Who::Operator(i) => i,
                    _ => 0,
                };
                out.push_str(match lang {
                    Lang::Ru => RU_OPERATOR_NAMES[i % RU_OPERATOR_NAMES.len()],
                    Lang::En => EN_OPERATOR_NAMES[i % EN_OPERATOR_NAMES.len()],
                });
            }
            other => out.push_str(other),
        }
    }
    out.push_str(rest);
    out
}

/// How customers actually type: ё written as е half the time, 10% all lowercase without the final
/// punctuation, and a swapped pair of letters in 3% of messages.
fn roughen(rng: &mut StdRng, text: String) -> String {
    let mut text = if rng.gen_bool(0.5) {
        text.replace('ё', "е")
    } else {
        text
    };
    if rng.gen_bool(0.1) {
        let lower = text.to_lowercase();
        let trimmed = lower.trim_end_matches(['?', '!', '.']);
        // A bare «?» stays: an empty message is no message.
        if !trimmed.is_empty() {
            text = trimmed.to_owned();
        }
    }
    if rng.gen_bool(0.03) {
        let words: Vec<&str> = text.split(' ').collect();
        let long: Vec<usize> = (0..words.len())
            .filter(|&i| words[i].chars().filter(|c| c.is_alphabetic()).count() >= 4)
            .collect();
        if let Some(&w) = long.choose(rng) {
            let mut chars: Vec<char> = words[w].chars().collect();
            let letters: Vec<usize> = (0..chars.len() - 1)
                .filter(|&k| chars[k].is_alphabetic() && chars[k + 1].is_alphabetic())
                .collect();
            if let Some(&k) = letters.choose(rng) {
                chars.swap(k, k + 1);
            }
            let typo: String = chars.into_iter().collect();
            let mut owned: Vec<String> = words.iter().map(|s| (*s).to_owned()).collect();
            owned[w] = typo;
            text = owned.join(" ");
        }
    }
    text
}

// ---- word lists -------------------------------------------------------------------------------

const RU_MONTHS: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Where to: the accusative after «в».
const RU_CITIES: &[&str] = &[
    "Москву",
    "Санкт-Петербург",
    "Казань",
    "Новосибирск",
    "Екатеринбург",
    "Краснодар",
    "Самару",
    "Ростов",
    "Воронеж",
    "Пермь",
    "Уфу",
    "Тюмень",
];
const EN_CITIES: &[&str] = &[
    "Moscow", "London", "Berlin", "Almaty", "Tbilisi", "Yerevan", "Riga", "Dubai",
];
/// (accusative, nominative). Rare products (увлажнитель, кофемашина) are only in rare templates.
const RU_PRODUCTS: &[(&str, &str)] = &[
    ("наушники", "наушники"),
    ("чайник", "чайник"),
    ("пылесос", "пылесос"),
    ("куртку", "куртка"),
    ("кроссовки", "кроссовки"),
    ("блендер", "блендер"),
    ("фен", "фен"),
    ("монитор", "монитор"),
    ("сковороду", "сковорода"),
    ("рюкзак", "рюкзак"),
    ("игрушку", "игрушка"),
    ("часы", "часы"),
    ("телефон", "телефон"),
    ("чехол", "чехол"),
];
const EN_PRODUCTS: &[&str] = &[
    "headphones",
    "kettle",
    "vacuum cleaner",
    "jacket",
    "sneakers",
    "blender",
    "hair dryer",
    "monitor",
    "backpack",
    "phone case",
];
const RU_STREETS: &[&str] = &[
    "Ленина",
    "Гагарина",
    "Пушкина",
    "Мира",
    "Советская",
    "Садовая",
    "Лесная",
    "Молодёжная",
];
const PROMO_CODES: &[&str] = &[
    "SALE10", "WELCOME", "SPRING25", "FRONT500", "BONUS15", "VIP2024",
];
const RU_OPERATOR_NAMES: &[&str] = &["Анна", "Мария", "Дмитрий", "Елена"];
const EN_OPERATOR_NAMES: &[&str] = &["Anna", "Maria", "Dmitry", "Elena"];

// ---- templates --------------------------------------------------------------------------------

/// Status, delivery, payment, returns, complaints, promo, product.
const TOPICS: usize = 7;

const RU_GREETINGS: &[&str] = &[
    "Здравствуйте",
    "Добрый день",
    "Добрый вечер",
    "Привет",
    "Доброе утро",
    "Алло",
];
const EN_GREETINGS: &[&str] = &["Hello", "Hi", "Hi there", "Good morning", "Good evening"];
const RU_CLOSINGS: &[&str] = &[
    "Спасибо!",
    "Спасибо, жду",
    "Понятно, спасибо",
    "Ок",
    "Хорошо, спасибо за помощь",
    "Спасибо большое!",
    "Всё, получил, спасибо",
];
const EN_CLOSINGS: &[&str] = &[
    "Thanks!",
    "Thank you",
    "Ok, thanks",
    "Got it, thank you",
    "Great, thanks a lot",
];
const RU_SHORT: &[&str] = &[
    "Ок",
    "Да",
    "Нет",
    "Понятно",
    "Жду",
    "?",
    "Алло?",
    "Ну что там?",
    "Есть кто?",
];
const EN_SHORT: &[&str] = &["Ok", "Yes", "No", "?", "Any news?", "Hello?"];

/// Each rare word in one template only.
const RU_RARE: &[&str] = &[
    "Можно купить в рассрочку?",
    "Есть самовывоз со склада?",
    "Я хочу подать претензию",
    "Когда начислят кэшбэк за заказ {order}?",
    "Буду жаловаться в Роспотребнадзор",
    "Увлажнитель не включается",
    "Есть ли пункт выдачи в Хабаровске?",
    "Хочу вернуть кофемашину",
];
const EN_RARE: &[&str] = &[
    "Can I file a chargeback?",
    "Is the {product} under warranty?",
    "Please send me an invoice for order {order}",
];

const RU_CUSTOMER: [&[&str]; TOPICS] = [
    &[
        "Где мой заказ?",
        "Где мой заказ {order}?",
        "Подскажите, какой статус заказа {order}?",
        "Какой статус заказа? Номер {order}",
        "Номер заказа {order}, когда он придёт?",
        "Заказ {order} до сих пор не пришёл",
        "Заказ не пришёл, хотя обещали {date}",
        "Я оформил заказ {date}, а он всё ещё в обработке",
        "Почему заказ так долго собирают?",
        "Хочу отменить заказ {order}",
        "Можно добавить товар в заказ {order}?",
        "Оформила два заказа, пришёл только один",
        "Заказы не отображаются в личном кабинете",
        "Что с моим заказом? Уже неделя прошла",
        "Дайте трек номер, пожалуйста",
        "Какой трек-номер у заказа {order}?",
        "Трек номер не отслеживается",
    ],
    &[
        "Когда будет доставка?",
        "Сколько стоит доставка в {city}?",
        "Можно изменить адрес доставки?",
        "Хочу поменять адрес на {addr}",
        "Курьер опаздывает уже на час",
        "Курьер опаздывает, а мне нужно уходить",
        "Курьер не позвонил, заказ не пришёл",
        "Где курьер? Жду с утра",
        "Дайте номер курьера",
        "Курьера не было, хотя статус «доставлен»",
        "Посылку так и не получил",
        "Посылка пришла помятая",
        "Можно забрать посылку в пункте выдачи?",
        "Какой адрес пункта выдачи?",
        "Доставку перенесли уже второй раз",
        "Почему доставка так долго?",
        "Можно доставку на завтра после 18:00?",
        "Пункт выдачи закрыт, куда ехать?",
        "Доставкой в {city} занимаетесь?",
    ],
    &[
        "Не проходит оплата картой",
        "Оплата картой не проходит, пишет ошибку",
        "Можно оплату при получении?",
        "Хочу оплатить заказ картой, но кнопка не нажимается",
        "Списали деньги дважды за заказ {order}",
        "Деньги списали, а заказ не оформлен",
        "Оплата прошла? Номер заказа {order}",
        "Где взять чек на заказ {order}?",
        "Пришлите, пожалуйста, чек",
        "Не пришёл чек на почту",
        "Списали {amount} ₽, хотя в корзине было меньше",
        "Оплатил {amount} ₽, а статус «ожидает оплаты»",
        "Как оплатить заказ частями?",
    ],
    &[
        "Хочу вернуть деньги за {product}",
        "Как вернуть деньги?",
        "Как оформить возврат товара?",
        "Товар пришёл с браком, хочу возврат",
        "Когда вернут деньги? Прошло уже {days} дней",
        "Верните деньги, товар не соответствует описанию",
        "Хочу вернуть {product}, не подошёл размер",
        "Возврат оформил {date}, денег до сих пор нет",
        "Куда отправить товар для возврата?",
        "Можно обменять {product} на другой цвет?",
    ],
    &[
        "Это уже третий раз, безобразие!",
        "Почему мне никто не отвечает?",
        "Товар не соответствует описанию",
        "Товар сломался через неделю",
        "Курьер нагрубил",
        "Заказ пришёл не полностью",
        "Вместо моего товара прислали чужой",
        "Отвратительный сервис, верните деньги",
        "Жду ответа уже два дня",
        "Посылку вскрыли до меня",
        "Позовите оператора",
        "Хочу поговорить с человеком",
    ],
    &[
        "Промокод не работает",
        "Промокод {promo} не работает",
        "Как применить промокод на скидку?",
        "Где ввести промокод?",
        "Почему не применилась скидка?",
        "Есть скидки на {product}?",
        "Скидку дадите, если возьму два?",
        "Не начислились бонусы за заказ",
        "Как получить скидку на следующий заказ?",
    ],
    &[
        "Есть в наличии {product_nom}?",
        "Подскажите цену на {product}",
        "Какая гарантия на {product}?",
        "Можно заказать {product} с доставкой в {city}?",
        "Когда снова появится {product_nom}?",
        "Какой размер лучше взять?",
        "Это оригинал?",
        "Сколько будет стоить {product} со скидкой?",
    ],
];
const EN_CUSTOMER: [&[&str]; TOPICS] = [
    &[
        "Where is my order {order}?",
        "What is the status of my order?",
        "Order {order} still has not arrived",
        "Can you send me the tracking number?",
        "The tracking link does not work",
        "I want to cancel my order {order}",
        "My orders are not showing in my account",
    ],
    &[
        "How long does delivery take to {city}?",
        "Can I change the delivery address?",
        "The courier is late",
        "My package has not arrived yet",
        "The package arrived damaged",
        "Where is the pickup point?",
    ],
    &[
        "Payment failed but money was taken from my card",
        "Can I pay on delivery?",
        "I was charged twice for order {order}",
        "Please send me the receipt",
        "My card payment keeps failing",
    ],
    &[
        "I want a refund for the {product}",
        "How do I return an item?",
        "When will I get my money back?",
        "I want my money back",
        "The item is broken, I need a refund",
    ],
    &[
        "This is the third time, unacceptable",
        "Nobody answers me",
        "Let me talk to a human",
        "The courier was rude",
    ],
    &[
        "Promo code does not work",
        "Promo code {promo} is not working",
        "How do I apply a discount code?",
    ],
    &[
        "Is the {product} in stock?",
        "How much is the {product}?",
        "Is this original?",
    ],
];

const RU_BOT_GENERAL: &[&str] = &[
    "Здравствуйте! Я виртуальный помощник. Чем могу помочь?",
    "Перевожу вас на оператора, подождите, пожалуйста",
    "Не совсем понял вопрос. Уточните, пожалуйста",
    "Могу ещё чем-то помочь?",
];
const EN_BOT_GENERAL: &[&str] = &[
    "Hello! I am a virtual assistant. How can I help?",
    "Connecting you to an operator, please wait",
    "Sorry, I did not understand. Could you rephrase?",
    "Anything else I can help with?",
];
const RU_BOT: [&[&str]; TOPICS] = [
    &[
        "Пожалуйста, укажите номер заказа",
        "Заказ {order} передан в службу доставки, ожидаемая дата {date}",
        "Статус заказа {order}: в пути",
        "Статус заказа {order}: собирается на складе",
        "Ваш трек-номер: {track}",
        "Заказ {order} доставлен в пункт выдачи",
        "Отследить заказ можно в личном кабинете в разделе «Мои заказы»",
    ],
    &[
        "Доставка курьером стоит {amount} ₽, в пункт выдачи бесплатно",
        "Курьер привезёт заказ {date} с 10:00 до 18:00",
        "Пункт выдачи по адресу {addr} работает с 10 до 21",
        "Изменить адрес доставки можно до передачи заказа курьеру",
        "Срок доставки в {city} — 3–5 дней",
    ],
    &[
        "Оплата заказа {order} получена, спасибо!",
        "Оплата картой временно недоступна, попробуйте позже",
        "Чек отправлен на вашу почту",
        "Можно оплатить заказ картой или при получении",
        "Если деньги списали дважды, они вернутся автоматически в течение 3 дней",
    ],
    &[
        "Возврат денег занимает до 10 рабочих дней",
        "Чтобы оформить возврат, заполните заявку в личном кабинете",
        "Вернуть товар можно в течение 14 дней",
        "Заявка на возврат по заказу {order} принята",
    ],
    &[
        "Мне жаль, что так вышло. Перевожу вас на оператора",
        "Понимаю ваше недовольство, сейчас позову специалиста",
    ],
    &[
        "Промокод {promo} даёт скидку 10% на первый заказ",
        "Промокод вводится в корзине перед оплатой",
        "Скидка не суммируется с другими акциями",
    ],
    &[
        "Товар есть в наличии, доставка от 1 дня",
        "Цена {amount} ₽, доставка бесплатно",
        "Гарантия на товар — 12 месяцев",
    ],
];
const EN_BOT: [&[&str]; TOPICS] = [
    &[
        "Please provide your order number",
        "Your order {order} has been shipped, tracking number {track}",
        "Order {order} is being packed",
        "Order {order} is at the pickup point",
    ],
    &[
        "Delivery to {city} takes 3-5 days",
        "The courier will deliver your order on {date}",
    ],
    &[
        "Payment for order {order} received",
        "We have sent the receipt to your email",
    ],
    &[
        "Refunds are processed within 10 business days",
        "You can request a return in your account",
    ],
    &["I am sorry about that. Connecting you to an operator"],
    &["Promo code {promo} gives 10% off your first order"],
    &["The item is in stock", "The price is {amount} RUB"],
];

const RU_OPERATOR_GREETINGS: &[&str] = &[
    "Добрый день! Меня зовут {name}, сейчас проверю ваш заказ",
    "Здравствуйте, это {name}. Уже смотрю",
    "Добрый день, я {name}, помогу разобраться",
];
const EN_OPERATOR_GREETINGS: &[&str] = &[
    "Hi, this is {name}, let me check your order",
    "Hello, {name} here, looking into it now",
];
const RU_OPERATOR_CLOSINGS: &[&str] = &[
    "Хорошего дня!",
    "Есть ли у вас ещё вопросы?",
    "Обращайтесь, всегда рады помочь",
];
const EN_OPERATOR_CLOSINGS: &[&str] = &["Have a nice day!", "Anything else I can help with?"];
const RU_OPERATOR: [&[&str]; TOPICS] = [
    &[
        "Проверила: заказ {order} задержался на складе, приносим извинения",
        "Заказ {order} сегодня передадут курьеру",
        "Ваш заказ уже в пути, трек-номер {track}",
        "Уточните, пожалуйста, номер заказа",
        "Заказ {order} отменён, деньги вернутся в течение 3 дней",
    ],
    &[
        "Курьер свяжется с вами за час до доставки",
        "Передала информацию в службу доставки",
        "Адрес доставки изменён на {addr}",
        "Курьер будет у вас до 20:00",
        "Перенесли доставку на {date}",
        "Посылку можно забрать в пункте выдачи по адресу {addr}",
    ],
    &[
        "Отправили чек на вашу почту",
        "Вижу оплату по заказу {order}, всё в порядке",
        "Повторное списание вернём в течение 3 дней",
        "Попробуйте оплатить другой картой",
    ],
    &[
        "Оформила возврат, деньги вернутся на карту в течение 3–5 дней",
        "Возврат по заказу {order} одобрен",
        "Извините за неудобства, мы вернём деньги в полном объёме",
        "Отправьте, пожалуйста, фото брака",
    ],
    &[
        "Приносим извинения, разберёмся с курьером",
        "Компенсировали доставку промокодом {promo}",
        "Очень жаль, передала жалобу руководителю",
    ],
    &[
        "Начислила вам скидку 500 ₽ на следующий заказ",
        "Промокод {promo} действует до конца месяца",
        "Скидку применила вручную, проверьте корзину",
    ],
    &[
        "Да, есть на складе, можно оформлять",
        "Уточню у склада и вернусь с ответом",
        "Цена {amount} ₽",
    ],
];
const EN_OPERATOR: [&[&str]; TOPICS] = [
    &[
        "Your order {order} was delayed at the warehouse, sorry about that",
        "Your package is with the courier, tracking number {track}",
    ],
    &[
        "The courier will call you an hour before delivery",
        "I have changed the delivery address",
    ],
    &[
        "I can see the payment for order {order}, all good",
        "The double charge will be refunded within 3 days",
    ],
    &[
        "I have issued a refund, the money will be back in 3-5 days",
        "Your refund for order {order} is approved",
    ],
    &["We apologise, we will talk to the courier"],
    &["I have added a discount to your next order"],
    &["Yes, it is in stock"],
];
