//! Slots: the values a scenario needs (order number, phone, e-mail, date, amount), found in free
//! text and normalised, so the bot never asks for something the customer has already written.
//!
//! [`extract`] scans a whole message; [`parse_one`] validates the answer to a question about one
//! kind and leans towards that kind when the text is ambiguous (a bare `89123456789` is a phone in
//! a message, but an order number when we just asked for the order number).
//!
//! Ambiguity between kinds is resolved by evidence strength, not by the order of the scanners:
//! every scanner proposes candidates with a priority, and the strongest non-overlapping ones win.
//! From strongest to weakest: e-mail (an `@` is unmistakable), an amount (needs a currency), a date
//! (needs a date shape or a month/day word), an order number with a marker (`№`, `#`, `заказ`),
//! a phone (needs a phone shape: `+`, or 11 digits starting with 7/8), a bare 5–12-digit number
//! (taken as an order number, the most common long number in support chats).
//!
//! Normalised forms: order numbers as upper-case letters and digits (`A12345`), phones in E.164
//! (`+79123456789`), e-mails with a lower-cased domain, dates in ISO 8601 (`2026-03-15`), amounts
//! as `<units>.<cents> <ISO 4217>` (`1500.00 RUB`).
//!
//! Size: one concept, the value kinds and their scanners, which must be read together: the priorities
//! below only make sense side by side, and splitting the scanners apart would hide their ranking.

use std::fmt;

use frontline_text::{normalize, term};

/// What a slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SlotKind {
    OrderNumber,
    Phone,
    Email,
    Date,
    Amount,
}

impl SlotKind {
    pub const ALL: [SlotKind; 5] = [
        SlotKind::OrderNumber,
        SlotKind::Phone,
        SlotKind::Email,
        SlotKind::Date,
        SlotKind::Amount,
    ];

    /// The key under which the value is stored in a conversation's slots (`order_number`).
    pub fn key(self) -> &'static str {
        match self {
            SlotKind::OrderNumber => "order_number",
            SlotKind::Phone => "phone",
            SlotKind::Email => "email",
            SlotKind::Date => "date",
            SlotKind::Amount => "amount",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        SlotKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The default question that asks the customer for this value.
    pub fn question_ru(self) -> &'static str {
        match self {
            SlotKind::OrderNumber => "Подскажите, пожалуйста, номер заказа.",
            SlotKind::Phone => "Подскажите, пожалуйста, номер телефона для связи.",
            SlotKind::Email => "Подскажите, пожалуйста, ваш e-mail.",
            SlotKind::Date => "Уточните, пожалуйста, дату.",
            SlotKind::Amount => "Уточните, пожалуйста, сумму.",
        }
    }
}

impl fmt::Display for SlotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A calendar date without time zone, enough to resolve "завтра" and "в пятницу".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl CivilDate {
    /// A valid date, or `None` (31 February, month 13, …).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > Self::days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    pub fn is_leap_year(year: i32) -> bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    pub fn days_in_month(year: i32, month: u32) -> u32 {
        match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if Self::is_leap_year(year) => 29,
            2 => 28,
            _ => 0,
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    pub fn days_since_epoch(self) -> i64 {
        let m = i64::from(self.month);
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`CivilDate::days_since_epoch`].
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year: year as i32,
            month: month as u32,
            day: day as u32,
        }
    }

    /// The local date of an instant (milliseconds since the epoch) at a fixed UTC offset.
    pub fn from_unix_millis(millis: i64, utc_offset_minutes: i32) -> Self {
        let local = millis + i64::from(utc_offset_minutes) * 60_000;
        Self::from_days_since_epoch(local.div_euclid(86_400_000))
    }

    pub fn add_days(self, days: i64) -> Self {
        Self::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// ISO weekday: Monday = 1 … Sunday = 7.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (4).
        (self.days_since_epoch() + 3).rem_euclid(7) as u32 + 1
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let mut parts = s.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Self::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A value found in a message. `start..end` is the byte range of `raw` in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotValue {
    pub kind: SlotKind,
    /// The normalised value (see the module docs for each kind's form).
    pub value: String,
    pub raw: String,
    pub start: usize,
    pub end: usize,
}

/// Why an answer did not yield the asked-for value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("no {0} in the text")]
    NotFound(SlotKind),
    #[error("invalid {kind}: {reason}")]
    Invalid { kind: SlotKind, reason: String },
}

/// Every slot value in `text`, in text order, non-overlapping. Relative dates resolve against
/// `today` (the customer's local date).
pub fn extract(text: &str, today: CivilDate) -> Vec<SlotValue> {
    Scanner::new(text, today).run(None).0
}

/// The value of `kind` in an answer to a question about it. Ambiguous numbers are read as `kind`
/// (an 11-digit number answering "what is your order number?" is an order number). When several
/// values of the kind are present, the first wins.
pub fn parse_one(kind: SlotKind, text: &str, today: CivilDate) -> Result<SlotValue, SlotError> {
    let (found, invalid) = Scanner::new(text, today).run(Some(kind));
    if let Some(v) = found.into_iter().find(|v| v.kind == kind) {
        return Ok(v);
    }
    match invalid.into_iter().find(|(k, _)| *k == kind) {
        Some((kind, reason)) => Err(SlotError::Invalid { kind, reason }),
        None => Err(SlotError::NotFound(kind)),
    }
}

// Evidence strength of each kind of candidate; see the module docs.
const P_EMAIL: i32 = 100;
const P_AMOUNT: i32 = 90;
const P_DATE: i32 = 80;
const P_ORDER_MARKED: i32 = 70;
const P_PHONE: i32 = 60;
const P_ORDER_BARE: i32 = 40;
const P_PHONE_BARE: i32 = 30;
/// Added to the asked-for kind in [`parse_one`].
const P_PREFERRED: i32 = 1000;

#[derive(Debug)]
struct Candidate {
    kind: SlotKind,
    /// Char indices.
    start: usize,
    end: usize,
    value: Result<String, String>,
    priority: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Currency {
    Rub,
    Usd,
    Eur,
}

impl Currency {
    fn code(self) -> &'static str {
        match self {
            Currency::Rub => "RUB",
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
        }
    }

    fn from_symbol(c: char) -> Option<Self> {
        match c {
            '₽' => Some(Currency::Rub),
            '$' => Some(Currency::Usd),
            '€' => Some(Currency::Eur),
            _ => None,
        }
    }

    /// A currency word after a number; the flag says whether a trailing `.` belongs to it.
    fn from_word(w: &str) -> Option<(Self, bool)> {
        let abbrev = matches!(w, "р" | "руб" | "долл" | "дол");
        let cur = match w {
            "р" | "руб" | "rub" | "rur" | "rubles" | "roubles" | "ruble" | "rouble" => {
                Currency::Rub
            }
            w if w.starts_with("рубл") => Currency::Rub,
            "usd" | "dollar" | "dollars" | "bucks" | "долл" | "дол" => Currency::Usd,
            w if w.starts_with("доллар") || w.starts_with("бакс") => Currency::Usd,
            "eur" | "euro" | "euros" | "евро" => Currency::Eur,
            _ => return None,
        };
        Some((cur, abbrev))
    }

    /// A currency code written before a number (`USD 20`).
    fn from_prefix_word(w: &str) -> Option<Self> {
        match w {
            "usd" => Some(Currency::Usd),
            "eur" => Some(Currency::Eur),
            "rub" => Some(Currency::Rub),
            _ => None,
        }
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{a0}' | '\u{2009}' | '\u{202f}')
}

fn month_of(w: &str) -> Option<u32> {
    const RU: [&[&str]; 12] = [
        &["января", "январь", "янв"],
        &["февраля", "февраль", "фев"],
        &["марта", "март", "мар"],
        &["апреля", "апрель", "апр"],
        &["мая", "май"],
        &["июня", "июнь", "июн"],
        &["июля", "июль", "июл"],
        &["августа", "август", "авг"],
        &["сентября", "сентябрь", "сен", "сент"],
        &["октября", "октябрь", "окт"],
        &["ноября", "ноябрь", "ноя"],
        &["декабря", "декабрь", "дек"],
    ];
    const EN: [&[&str]; 12] = [
        &["january", "jan"],
        &["february", "feb"],
        &["march", "mar"],
        &["april", "apr"],
        &["may"],
        &["june", "jun"],
        &["july", "jul"],
        &["august", "aug"],
        &["september", "sep", "sept"],
        &["october", "oct"],
        &["november", "nov"],
        &["december", "dec"],
    ];
    (0..12)
        .find(|&i| RU[i].contains(&w) || EN[i].contains(&w))
        .map(|i| i as u32 + 1)
}

fn weekday_of(w: &str) -> Option<u32> {
    const DAYS: [&[&str]; 7] = [
        &["понедельник", "понедельника", "понедельнику", "monday"],
        &["вторник", "вторника", "вторнику", "tuesday"],
        &["среда", "среду", "среды", "wednesday"],
        &["четверг", "четверга", "четвергу", "thursday"],
        &["пятница", "пятницу", "пятницы", "friday"],
        &["суббота", "субботу", "субботы", "saturday"],
        &["воскресенье", "воскресенья", "sunday"],
    ];
    (0..7).find(|&i| DAYS[i].contains(&w)).map(|i| i as u32 + 1)
}

fn relative_day(w: &str) -> Option<i64> {
    match w {
        "сегодня" | "today" => Some(0),
        "завтра" | "tomorrow" => Some(1),
        "послезавтра" => Some(2),
        "вчера" | "yesterday" => Some(-1),
        "позавчера" => Some(-2),
        _ => None,
    }
}

/// Words before a bare number that say it is something other than an order number.
const NOT_AN_ORDER: &[&str] = &[
    "индекс",
    "инн",
    "огрн",
    "бик",
    "кпп",
    "снилс",
    "паспорт",
    "zip",
    "код",
    "кода",
    "code",
    "смс",
    "sms",
    "артикул",
    "арт",
    "sku",
    "postcode",
    "стоимость",
    "цена",
    "сумма",
    "стоит",
    "оплатил",
    "оплатила",
    "заплатил",
    "заплатила",
    "price",
    "cost",
    "paid",
    "total",
];

/// Words between an order keyword and the number (`заказ номер 123456`, `order no. 123456`).
const ORDER_FILLERS: &[&str] = &[
    "номер",
    "номеру",
    "номера",
    "number",
    "no",
    "nr",
    "n",
    "id",
    "мой",
    "моего",
    "моему",
    "my",
];

struct Scanner<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
    today: CivilDate,
    found: Vec<Candidate>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str, today: CivilDate) -> Self {
        Self {
            text,
            chars: text.char_indices().collect(),
            today,
            found: Vec::new(),
        }
    }

    /// Valid values after overlap resolution, plus the reasons of invalid candidates (for
    /// [`parse_one`]'s error).
    fn run(mut self, prefer: Option<SlotKind>) -> (Vec<SlotValue>, Vec<(SlotKind, String)>) {
        self.scan_emails();
        self.scan_amounts();
        self.scan_numeric_dates();
        self.scan_words();
        self.scan_order_markers();
        self.scan_phones();
        self.scan_bare_orders();

        let mut invalid = Vec::new();
        let mut valid = Vec::new();
        for mut c in std::mem::take(&mut self.found) {
            if Some(c.kind) == prefer {
                c.priority += P_PREFERRED;
            }
            match &c.value {
                Ok(_) => valid.push(c),
                Err(why) => invalid.push((c.kind, why.clone())),
            }
        }
        valid.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
                .then(a.start.cmp(&b.start))
        });
        let mut taken: Vec<Candidate> = Vec::new();
        for c in valid {
            if taken.iter().all(|t| c.end <= t.start || c.start >= t.end) {
                taken.push(c);
            }
        }
        taken.sort_by_key(|c| c.start);
        let values = taken
            .into_iter()
            .map(|c| {
                let (start, end) = (self.byte(c.start), self.byte(c.end));
                SlotValue {
                    kind: c.kind,
                    value: c.value.unwrap_or_default(),
                    raw: self.text[start..end].to_string(),
                    start,
                    end,
                }
            })
            .collect();
        (values, invalid)
    }

    // ----- character helpers (all indices are char indices) -----

    fn len(&self) -> usize {
        self.chars.len()
    }

    fn ch(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|&(_, c)| c)
    }

    fn byte(&self, i: usize) -> usize {
        self.chars.get(i).map_or(self.text.len(), |&(b, _)| b)
    }

    fn is_digit(&self, i: usize) -> bool {
        self.ch(i).is_some_and(|c| c.is_ascii_digit())
    }

    fn is_alnum(&self, i: usize) -> bool {
        self.ch(i).is_some_and(char::is_alphanumeric)
    }

    fn digits_end(&self, mut i: usize) -> usize {
        while self.is_digit(i) {
            i += 1;
        }
        i
    }

    fn letters_end(&self, mut i: usize) -> usize {
        while self.ch(i).is_some_and(char::is_alphabetic) {
            i += 1;
        }
        i
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.ch(i).is_some_and(is_space) {
            i += 1;
        }
        i
    }

    fn slice(&self, a: usize, b: usize) -> &'a str {
        let text: &'a str = self.text;
        &text[self.byte(a)..self.byte(b)]
    }

    fn lower(&self, a: usize, b: usize) -> String {
        normalize(self.slice(a, b))
    }

    fn number(&self, a: usize, b: usize) -> u64 {
        self.slice(a, b).parse().unwrap_or(u64::MAX)
    }

    /// Can a number start at `i`? Not inside a word, nor right after `12.` / `12-`.
    fn starts_number(&self, i: usize) -> bool {
        if i == 0 {
            return true;
        }
        let p = self.ch(i - 1).unwrap_or(' ');
        if p.is_alphanumeric() || p == '+' {
            return false;
        }
        !(matches!(p, '.' | ',' | '-' | '/' | ':') && i >= 2 && self.is_digit(i - 2))
    }

    /// Can a number end at `j`? Not inside a word, nor right before `.5` / `-7`.
    fn ends_number(&self, j: usize) -> bool {
        match self.ch(j) {
            None => true,
            Some(c) if c.is_alphanumeric() => false,
            Some('.' | ',' | '-' | '/' | ':') => !self.is_digit(j + 1),
            Some(_) => true,
        }
    }

    /// The word ending just before `i` (skipping spaces and light punctuation): its start and text.
    fn word_before(&self, i: usize) -> Option<(usize, String)> {
        let mut k = i;
        while k > 0
            && self
                .ch(k - 1)
                .is_some_and(|c| is_space(c) || matches!(c, ':' | ','))
        {
            k -= 1;
        }
        let end = k;
        while k > 0 && self.ch(k - 1).is_some_and(char::is_alphabetic) {
            k -= 1;
        }
        (k < end).then(|| (k, self.lower(k, end)))
    }

    /// Letter runs that are whole words (not glued to digits on the left).
    fn words(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.len() {
            if self.ch(i).is_some_and(char::is_alphabetic) {
                let e = self.letters_end(i);
                let glued_left = i > 0 && self.is_alnum(i - 1);
                if !glued_left && !self.is_digit(e) {
                    out.push((i, e));
                }
                i = e;
            } else {
                i += 1;
            }
        }
        out
    }

    fn push(
        &mut self,
        kind: SlotKind,
        start: usize,
        end: usize,
        value: Result<String, String>,
        priority: i32,
    ) {
        self.found.push(Candidate {
            kind,
            start,
            end,
            value,
            priority,
        });
    }

    // ----- e-mail -----

    fn scan_emails(&mut self) {
        let local_char = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
        let domain_char = |c: char| c.is_alphanumeric() || c == '.' || c == '-';
        for at in 0..self.len() {
            if self.ch(at) != Some('@') {
                continue;
            }
            let mut s = at;
            while s > 0 && self.ch(s - 1).is_some_and(local_char) {
                s -= 1;
            }
            let mut e = at + 1;
            while self.ch(e).is_some_and(domain_char) {
                e += 1;
            }
            // A sentence may end right after the address.
            while e > at + 1 && self.ch(e - 1).is_some_and(|c| c == '.' || c == '-') {
                e -= 1;
            }
            if s == at || e == at + 1 {
                continue;
            }
            let local = self.slice(s, at);
            let domain = self.lower(at + 1, e);
            let value = validate_email(local, &domain).map(|()| format!("{local}@{domain}"));
            self.push(SlotKind::Email, s, e, value, P_EMAIL);
        }
    }

    // ----- amounts -----

    /// A number in `i..end` with optional thousands groups (`1 500`, `1,500`) and up to two
    /// decimals (`2 500,50`, `5.99`), as cents.
    fn number_at(&self, i: usize) -> Option<(usize, u128)> {
        let e0 = self.digits_end(i);
        if e0 - i > 15 {
            return None;
        }
        let mut int = self.slice(i, e0).to_string();
        let mut j = e0;
        if e0 - i <= 3 {
            while let Some(s) = self.ch(j) {
                if !(is_space(s) || matches!(s, '\'' | ',' | '.')) {
                    break;
                }
                let b = self.digits_end(j + 1);
                if b - (j + 1) != 3 || int.len() > 12 {
                    break;
                }
                int.push_str(self.slice(j + 1, b));
                j = b;
            }
        }
        let mut cents: u128 = int.parse::<u128>().ok()? * 100;
        if let Some('.' | ',') = self.ch(j) {
            let b = self.digits_end(j + 1);
            let n = b - (j + 1);
            if n == 1 || n == 2 {
                let frac: u128 = self.slice(j + 1, b).parse().ok()?;
                cents += if n == 1 { frac * 10 } else { frac };
                j = b;
            }
        }
        Some((j, cents))
    }

    /// A currency word or symbol at `j` (after optional spaces): the currency and where it ends.
    fn currency_after(&self, j: usize) -> Option<(Currency, usize)> {
        let k = self.skip_spaces(j);
        let c = self.ch(k)?;
        if let Some(cur) = Currency::from_symbol(c) {
            return Some((cur, k + 1));
        }
        if !c.is_alphabetic() {
            return None;
        }
        let e = self.letters_end(k);
        if self.is_digit(e) {
            return None;
        }
        let (cur, abbrev) = Currency::from_word(&self.lower(k, e))?;
        let end = if abbrev && self.ch(e) == Some('.') {
            e + 1
        } else {
            e
        };
        Some((cur, end))
    }

    fn scan_amounts(&mut self) {
        for i in 0..self.len() {
            if !self.is_digit(i) || !self.starts_number(i) {
                continue;
            }
            let Some((num_end, cents)) = self.number_at(i) else {
                continue;
            };
            let mut j = num_end;
            let mut multiplier: u128 = 1;
            let k = self.skip_spaces(j);
            let e = self.letters_end(k);
            if e > k {
                let m = match self.lower(k, e).as_str() {
                    "тыс" | "тысяч" | "тысячи" | "тысяча" | "тысячу" | "k" | "к" | "thousand" => {
                        1_000
                    }
                    "млн" | "миллион" | "миллиона" | "миллионов" | "million" => {
                        1_000_000
                    }
                    _ => 1,
                };
                if m > 1
                    && self
                        .currency_after(e + usize::from(self.ch(e) == Some('.')))
                        .is_some()
                {
                    multiplier = m;
                    j = e + usize::from(self.ch(e) == Some('.'));
                }
            }
            let mut start = i;
            let mut end = j;
            let currency = if let Some((cur, e)) = self.currency_after(j) {
                end = e;
                Some(cur)
            } else {
                // A symbol or code before the number: `$20`, `€ 5.99`, `USD 20`.
                let mut k = i;
                while k > 0 && self.ch(k - 1).is_some_and(is_space) {
                    k -= 1;
                }
                if let Some(cur) = k
                    .checked_sub(1)
                    .and_then(|p| self.ch(p))
                    .and_then(Currency::from_symbol)
                {
                    start = k - 1;
                    Some(cur)
                } else if let Some((ws, w)) = self.word_before(i)
                    && let Some(cur) = Currency::from_prefix_word(&w)
                {
                    start = ws;
                    Some(cur)
                } else {
                    None
                }
            };
            let Some(cur) = currency else { continue };
            let total = cents * multiplier;
            let value = format!("{}.{:02} {}", total / 100, total % 100, cur.code());
            self.push(SlotKind::Amount, start, end, Ok(value), P_AMOUNT);
        }
    }

    // ----- dates -----

    /// The date with this month and day nearest to today: "15 марта" said in January is this
    /// March, said about an order in early January "28 декабря" is last December.
    fn nearest(&self, month: u32, day: u32) -> Option<CivilDate> {
        let today = self.today.days_since_epoch();
        (self.today.year - 1..=self.today.year + 1)
            .filter_map(|y| CivilDate::new(y, month, day))
            .min_by_key(|d| (d.days_since_epoch() - today).abs())
    }

    fn dated(&self, year: Option<i64>, month: u64, day: u64) -> Result<String, String> {
        let (Ok(m), Ok(d)) = (u32::try_from(month), u32::try_from(day)) else {
            return Err("no such date".into());
        };
        let date = match year {
            Some(y) => i32::try_from(y).ok().and_then(|y| CivilDate::new(y, m, d)),
            None => self.nearest(m, d),
        };
        date.map(|d| d.to_string())
            .ok_or_else(|| "no such date".into())
    }

    /// `15.03`, `15.03.2026`, `15/03/26`, `15-03-2026`, `2026-03-15`.
    fn scan_numeric_dates(&mut self) {
        for i in 0..self.len() {
            if !self.is_digit(i) || !self.starts_number(i) {
                continue;
            }
            let e1 = self.digits_end(i);
            let Some(sep @ ('.' | '/' | '-')) = self.ch(e1) else {
                continue;
            };
            let e2 = self.digits_end(e1 + 1);
            let l2 = e2 - (e1 + 1);
            if !(1..=2).contains(&l2) {
                continue;
            }
            let third = (self.ch(e2) == Some(sep) && self.is_digit(e2 + 1))
                .then(|| (e2 + 1, self.digits_end(e2 + 1)));
            let end = third.map_or(e2, |(_, e3)| e3);
            if !self.ends_number(end) {
                continue;
            }
            let v1 = self.number(i, e1);
            let v2 = self.number(e1 + 1, e2);
            let value = match (e1 - i, third) {
                (4, Some((a3, e3))) if e3 - a3 <= 2 => {
                    self.dated(Some(v1 as i64), v2, self.number(a3, e3))
                }
                (1 | 2, None) if sep != '-' && l2 == 2 => self.dated(None, v2, v1),
                (1 | 2, Some((a3, e3))) => {
                    let y = self.number(a3, e3) as i64;
                    match (e3 - a3, sep) {
                        (4, _) => self.dated(Some(y), v2, v1),
                        (2, '.' | '/') => self.dated(Some(2000 + y), v2, v1),
                        _ => continue,
                    }
                }
                _ => continue,
            };
            self.push(SlotKind::Date, i, end, value, P_DATE);
        }
    }

    /// A year after a day-and-month (`15 марта 2026 г.`, `March 15, 2026`), unless the number is
    /// really an amount (`15 марта 2000 руб`).
    fn year_after(&self, j: usize) -> Option<(i64, usize)> {
        let mut k = self.skip_spaces(j);
        if self.ch(k) == Some(',') {
            k = self.skip_spaces(k + 1);
        }
        let e = self.digits_end(k);
        if e - k != 4 || !self.ends_number(e) || self.currency_after(e).is_some() {
            return None;
        }
        let y = self.number(k, e) as i64;
        if !(1900..=2100).contains(&y) {
            return None;
        }
        let g = self.skip_spaces(e);
        let ge = self.letters_end(g);
        let end = match self.lower(g, ge).as_str() {
            "г" if self.ch(ge) == Some('.') => ge + 1,
            "г" | "года" | "год" | "гг" => ge,
            _ => e,
        };
        Some((y, end))
    }

    /// Day number just before `k` (`15 марта`, `15th March`, `15-го марта`): value and start.
    fn day_before(&self, k: usize) -> Option<(u64, usize)> {
        let mut p = k;
        while p > 0 && self.ch(p - 1).is_some_and(is_space) {
            p -= 1;
        }
        let suffix_end = p;
        while p > 0 && self.ch(p - 1).is_some_and(|c| c.is_alphabetic()) {
            p -= 1;
        }
        match self.lower(p, suffix_end).as_str() {
            "" | "st" | "nd" | "rd" | "th" => {}
            "го" if p > 0 && self.ch(p - 1) == Some('-') => p -= 1,
            _ => return None,
        }
        let digits_end = p;
        while p > 0 && self.is_digit(p - 1) {
            p -= 1;
        }
        let n = digits_end - p;
        ((1..=2).contains(&n) && self.starts_number(p)).then(|| (self.number(p, digits_end), p))
    }

    /// Day number just after `j` (`March 15`, `March 15th`): value and end.
    fn day_after(&self, j: usize) -> Option<(u64, usize)> {
        let a = self.skip_spaces(j);
        let e = self.digits_end(a);
        if !(1..=2).contains(&(e - a)) {
            return None;
        }
        let se = self.letters_end(e);
        let end = match self.lower(e, se).as_str() {
            "" => e,
            "st" | "nd" | "rd" | "th" => se,
            _ => return None,
        };
        self.ends_number(end).then(|| (self.number(a, e), end))
    }

    /// Month names with a day, relative days and weekdays.
    fn scan_words(&mut self) {
        for (k, e) in self.words() {
            let w = self.lower(k, e);
            if let Some(month) = month_of(&w) {
                // Abbreviations may carry a dot: `15 мар.`, `Sept. 5`.
                let mut end = e + usize::from(w.chars().count() <= 4 && self.ch(e) == Some('.'));
                let (day, start) = if let Some((d, s)) = self.day_before(k) {
                    (d, s)
                } else if let Some((d, de)) = self.day_after(e) {
                    end = de;
                    (d, k)
                } else {
                    continue;
                };
                let year = self.year_after(end).map(|(y, ye)| {
                    end = ye;
                    y
                });
                let value = self.dated(year, u64::from(month), day);
                self.push(SlotKind::Date, start, end, value, P_DATE);
            } else if let Some(mut offset) = relative_day(&w) {
                let mut start = k;
                if w == "tomorrow"
                    && let Some((ws, before)) = self.word_before(k)
                    && before == "after"
                    && let Some((ds, day)) = self.word_before(ws)
                    && day == "day"
                {
                    offset = 2;
                    start = ds;
                }
                let date = self.today.add_days(offset);
                self.push(SlotKind::Date, start, e, Ok(date.to_string()), P_DATE);
            } else if let Some(wd) = weekday_of(&w) {
                let today = self.today.weekday();
                let mut start = k;
                let mut past = false;
                if let Some((ws, before)) = self.word_before(k) {
                    if before.starts_with("прошл") || before == "last" {
                        past = true;
                        start = ws;
                    } else if before.starts_with("следующ")
                        || before == "next"
                        || before == "this"
                        || before.starts_with("эт")
                    {
                        start = ws;
                    }
                }
                // "в пятницу" is the next Friday after today; a Friday said on a Friday means a
                // week ahead, since "today" would have been said as "сегодня".
                let d = if past {
                    (today + 7 - wd) % 7
                } else {
                    (wd + 7 - today) % 7
                };
                let d = if d == 0 { 7 } else { i64::from(d) };
                let offset = if past { -d } else { d };
                let date = self.today.add_days(offset);
                self.push(SlotKind::Date, start, e, Ok(date.to_string()), P_DATE);
            }
        }
    }

    // ----- order numbers -----

    /// An order number at `j`: optional letter prefix (`A-12345`), digits with optional hyphens
    /// (`12-345-678`). Returns the end and the normalised value (or why it is not one).
    fn order_token(&self, j: usize) -> Option<(usize, Result<String, String>)> {
        let mut k = j;
        let mut norm = String::new();
        let le = self.letters_end(k);
        if le > k {
            if le - k > 4 {
                return None;
            }
            norm.extend(self.slice(k, le).chars().flat_map(char::to_uppercase));
            k = le;
            if self.ch(k) == Some('-') {
                k += 1;
            }
        }
        if !self.is_digit(k) {
            return None;
        }
        let mut digits = 0;
        loop {
            let e = self.digits_end(k);
            digits += e - k;
            norm.push_str(self.slice(k, e));
            k = e;
            if self.ch(k) == Some('-') && self.is_digit(k + 1) {
                k += 1;
                continue;
            }
            break;
        }
        if !self.ends_number(k) {
            return None;
        }
        let value = if (5..=12).contains(&digits) {
            Ok(norm)
        } else {
            Err("an order number has 5 to 12 digits".to_string())
        };
        Some((k, value))
    }

    /// `№ 123456`, `#A-12345`, `N 123456`, `заказ 7157703`, `номер заказа: 7157703`, `order no. 123456`.
    fn scan_order_markers(&mut self) {
        for i in 0..self.len() {
            let c = self.ch(i).unwrap_or(' ');
            let mut keyword = false;
            let after_marker = if c == '№' || c == '#' {
                Some(self.skip_spaces(i + 1))
            } else if c.is_alphabetic() && !(i > 0 && self.is_alnum(i - 1)) {
                let e = self.letters_end(i);
                let w = self.lower(i, e);
                let after = self.skip_spaces(e + usize::from(self.ch(e) == Some('.')));
                if matches!(w.as_str(), "n" | "no" | "nr") && self.is_digit(after) {
                    Some(after)
                } else if term(&w) == "заказ" || w == "order" || w == "orders" {
                    keyword = true;
                    Some(self.skip_order_fillers(e))
                } else {
                    None
                }
            } else {
                None
            };
            let Some(j) = after_marker else { continue };
            if let Some((end, value)) = self.order_token(j) {
                // A keyword is not part of the value's raw text; a `№` or `#` sign is.
                let start = if keyword { j } else { i };
                self.push(SlotKind::OrderNumber, start, end, value, P_ORDER_MARKED);
            }
        }
    }

    fn skip_order_fillers(&self, mut j: usize) -> usize {
        for _ in 0..4 {
            let k = {
                let mut k = j;
                while self
                    .ch(k)
                    .is_some_and(|c| is_space(c) || matches!(c, ':' | '-' | '–' | '.' | '№' | '#'))
                {
                    k += 1;
                }
                k
            };
            let e = self.letters_end(k);
            if e > k && ORDER_FILLERS.contains(&self.lower(k, e).as_str()) && !self.is_digit(e) {
                j = e;
            } else {
                return k;
            }
        }
        j
    }

    fn scan_bare_orders(&mut self) {
        for i in 0..self.len() {
            if !self.is_digit(i) || !self.starts_number(i) {
                continue;
            }
            let Some((end, value)) = self.order_token(i) else {
                continue;
            };
            let Ok(v) = &value else { continue };
            let groups: Vec<usize> = self.slice(i, end).split('-').map(str::len).collect();
            // 345-67-89 is a local phone number, 2026-03-15 a date.
            if groups == [3, 2, 2] || groups == [4, 2, 2] || v.len() < 5 {
                continue;
            }
            if self
                .word_before(i)
                .is_some_and(|(_, w)| NOT_AN_ORDER.contains(&w.as_str()))
            {
                continue;
            }
            self.push(SlotKind::OrderNumber, i, end, value, P_ORDER_BARE);
        }
    }

    // ----- phones -----

    fn scan_phones(&mut self) {
        for i in 0..self.len() {
            let c = self.ch(i).unwrap_or(' ');
            let plus = c == '+'
                && (self.is_digit(i + 1)
                    || (self.ch(i + 1).is_some_and(is_space) && self.is_digit(i + 2)));
            let opens = c == '(' && self.is_digit(i + 1);
            if !(plus || opens || c.is_ascii_digit()) {
                continue;
            }
            if i > 0
                && self
                    .ch(i - 1)
                    .is_some_and(|p| p.is_alphanumeric() || p == '+')
            {
                continue;
            }
            if c.is_ascii_digit() && !self.starts_number(i) {
                continue;
            }
            // Digit groups separated by spaces, hyphens and brackets: (end of group, digits so far).
            let mut j = if plus { self.skip_spaces(i + 1) } else { i };
            let mut groups: Vec<(usize, String)> = Vec::new();
            let mut digits = String::new();
            let mut bracketed = false;
            loop {
                let open = self.ch(j) == Some('(');
                let a = j + usize::from(open);
                let e = self.digits_end(a);
                if e == a || digits.len() > 16 {
                    break;
                }
                digits.push_str(self.slice(a, e));
                j = e;
                if open || self.ch(j) == Some(')') {
                    bracketed = true;
                    if self.ch(j) == Some(')') {
                        j += 1;
                    } else {
                        break;
                    }
                }
                groups.push((j, digits.clone()));
                let mut k = j;
                let mut seps = 0;
                while seps < 2 && self.ch(k).is_some_and(|c| is_space(c) || c == '-') {
                    k += 1;
                    seps += 1;
                }
                if seps == 0 && self.ch(k) != Some('(') {
                    break;
                }
                if !(self.is_digit(k) || (self.ch(k) == Some('(') && self.is_digit(k + 1))) {
                    break;
                }
                j = k;
            }
            let grouped = groups.len() > 1 || bracketed;
            let best = groups
                .iter()
                .rev()
                .filter(|(end, _)| self.ends_number(*end) || self.ch(*end) == Some('.'))
                .find_map(|(end, d)| phone_value(d, plus, grouped).map(|(v, p)| (*end, v, p)));
            match best {
                Some((end, value, priority)) => {
                    self.push(SlotKind::Phone, i, end, Ok(value), priority)
                }
                None => {
                    if let Some((end, d)) = groups.last()
                        && (plus || (grouped && d.len() >= 5) || (7..=16).contains(&d.len()))
                    {
                        let why = "expected a phone number like +7 912 345-67-89".to_string();
                        self.push(SlotKind::Phone, i, *end, Err(why), P_PHONE);
                    }
                }
            }
        }
    }
}

/// A phone number in E.164 and its priority, or `None` when the digits are not a phone.
fn phone_value(d: &str, plus: bool, grouped: bool) -> Option<(String, i32)> {
    if plus {
        let ok = if d.starts_with('7') {
            d.len() == 11
        } else {
            (8..=15).contains(&d.len())
        };
        return ok.then(|| (format!("+{d}"), P_PHONE));
    }
    match d.len() {
        11 if d.starts_with('8') || d.starts_with('7') => Some((format!("+7{}", &d[1..]), P_PHONE)),
        10 if d.starts_with('9') => Some((
            format!("+7{d}"),
            if grouped { P_PHONE } else { P_PHONE_BARE },
        )),
        _ => None,
    }
}

fn validate_email(local: &str, domain: &str) -> Result<(), String> {
    let bad = |why: &str| Err(why.to_string());
    if local.is_empty() || local.len() > 64 {
        return bad("the part before @ is empty or too long");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return bad("misplaced dot before @");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return bad("the domain has no dot");
    }
    for l in &labels {
        if l.is_empty() || l.starts_with('-') || l.ends_with('-') {
            return bad("malformed domain");
        }
    }
    let tld = labels.last().copied().unwrap_or_default();
    if tld.chars().count() < 2 || !tld.chars().all(char::is_alphabetic) {
        return bad("malformed top-level domain");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tuesday.
    fn today() -> CivilDate {
        CivilDate::new(2026, 3, 10).unwrap()
    }

    fn render(values: &[SlotValue]) -> String {
        values
            .iter()
            .map(|v| format!("{}={}", v.kind, v.value))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn check(input: &str, expected: &str) {
        let got = render(&extract(input, today()));
        assert_eq!(got, expected, "input: {input:?}");
    }

    #[test]
    fn civil_date_arithmetic() {
        assert_eq!(today().weekday(), 2);
        assert_eq!(CivilDate::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(CivilDate::new(2000, 3, 1).unwrap().weekday(), 3);
        for days in [-800_000, -1, 0, 59, 11_016, 20_522, 1_000_000] {
            let d = CivilDate::from_days_since_epoch(days);
            assert_eq!(d.days_since_epoch(), days, "{d}");
            assert!(CivilDate::new(d.year, d.month, d.day).is_some());
        }
        assert_eq!(today().add_days(-10).to_string(), "2026-02-28");
        assert_eq!(
            CivilDate::new(2024, 2, 28).unwrap().add_days(1).to_string(),
            "2024-02-29"
        );
        assert_eq!(CivilDate::new(2026, 2, 29), None);
        assert_eq!(CivilDate::new(2026, 4, 31), None);
        assert_eq!(
            CivilDate::parse_iso("2026-03-15"),
            CivilDate::new(2026, 3, 15)
        );
        assert_eq!(CivilDate::parse_iso("2026-3-15"), None);
        // 2026-03-10T22:30Z is already the 11th in Moscow (UTC+3).
        let ms = CivilDate::new(2026, 3, 10).unwrap().days_since_epoch() * 86_400_000 + 81_000_000;
        assert_eq!(CivilDate::from_unix_millis(ms, 0).to_string(), "2026-03-10");
        assert_eq!(
            CivilDate::from_unix_millis(ms, 180).to_string(),
            "2026-03-11"
        );
    }

    #[test]
    fn order_numbers() {
        for (input, expected) in [
            ("заказ 7157703", "order_number=7157703"),
            ("Где мой заказ №7157703?", "order_number=7157703"),
            ("№ 123456", "order_number=123456"),
            ("номер заказа: 7157703", "order_number=7157703"),
            ("заказ номер 12345678 не пришёл", "order_number=12345678"),
            ("#A-12345", "order_number=A12345"),
            ("order #98765", "order_number=98765"),
            ("order no. 123456", "order_number=123456"),
            ("N 123456", "order_number=123456"),
            ("12-345-678", "order_number=12345678"),
            ("7157703", "order_number=7157703"),
            ("по заказу 7157703 ничего", "order_number=7157703"),
            // A marker makes an 11-digit number an order number, not a phone.
            ("заказ 89123456789", "order_number=89123456789"),
            // Too short or too long, or something else.
            ("заказ 1234", ""),
            ("1234567890123", ""),
            ("индекс 123456", ""),
            ("ИНН 7707083893", ""),
            ("в 2026 году", ""),
            ("заказ от 15.03", "date=2026-03-15"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn phones() {
        for (input, expected) in [
            ("+7 (912) 345-67-89", "phone=+79123456789"),
            ("8 912 345 67 89", "phone=+79123456789"),
            ("89123456789", "phone=+79123456789"),
            ("тел. 8-912-345-67-89", "phone=+79123456789"),
            ("мой номер +79123456789, звоните", "phone=+79123456789"),
            ("8 (912) 345-67-89.", "phone=+79123456789"),
            ("(912) 345-67-89", "phone=+79123456789"),
            ("+44 20 7946 0958", "phone=+442079460958"),
            ("+1 415 555 2671", "phone=+14155552671"),
            // Too short / too long.
            ("+7 912 345", ""),
            ("+7912345678912", ""),
            ("+12 345", ""),
            // A phone followed by another number keeps its own digits.
            ("+7 912 345 67 89 12 шт", "phone=+79123456789"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn emails() {
        for (input, expected) in [
            ("почта Ivan.Petrov@Mail.RU", "email=Ivan.Petrov@mail.ru"),
            (
                "пишите на test+tag@example.co.uk.",
                "email=test+tag@example.co.uk",
            ),
            ("ivan.7157703@yandex.ru", "email=ivan.7157703@yandex.ru"),
            ("a@b", ""),
            ("bad..dots@example.com", ""),
            ("x@-example.com", ""),
            ("@example.com", ""),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn dates() {
        for (input, expected) in [
            ("сегодня", "date=2026-03-10"),
            ("доставьте завтра", "date=2026-03-11"),
            ("послезавтра", "date=2026-03-12"),
            ("вчера заказал", "date=2026-03-09"),
            ("today", "date=2026-03-10"),
            ("tomorrow please", "date=2026-03-11"),
            ("the day after tomorrow", "date=2026-03-12"),
            ("15 марта", "date=2026-03-15"),
            ("к 1 мая", "date=2026-05-01"),
            ("15-го марта", "date=2026-03-15"),
            ("15.03", "date=2026-03-15"),
            ("15.03.2026", "date=2026-03-15"),
            ("15/03/26", "date=2026-03-15"),
            ("2026-03-15", "date=2026-03-15"),
            ("15-03-2026", "date=2026-03-15"),
            ("March 15", "date=2026-03-15"),
            ("March 15th, 2027", "date=2027-03-15"),
            ("15 March 2026", "date=2026-03-15"),
            ("15 марта 2026 г.", "date=2026-03-15"),
            ("в пятницу", "date=2026-03-13"),
            ("on Friday", "date=2026-03-13"),
            ("во вторник", "date=2026-03-17"),
            ("в понедельник", "date=2026-03-16"),
            ("в прошлую пятницу", "date=2026-03-06"),
            ("last Tuesday", "date=2026-03-03"),
            // Nearest occurrence: late December said in March is last December.
            ("28 декабря", "date=2025-12-28"),
            ("29.02.2024", "date=2024-02-29"),
            // Invalid dates are rejected.
            ("31.02", ""),
            ("31.02.2026", ""),
            ("2026-13-01", ""),
            ("30 февраля", ""),
            // Not dates.
            ("в 15:30", ""),
            ("завтрак", ""),
            ("версия 1.5", ""),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn amounts() {
        for (input, expected) in [
            ("1 500 руб", "amount=1500.00 RUB"),
            ("1500₽", "amount=1500.00 RUB"),
            ("2 500,50 рублей", "amount=2500.50 RUB"),
            ("$20", "amount=20.00 USD"),
            ("20 долларов", "amount=20.00 USD"),
            ("€5.99", "amount=5.99 EUR"),
            ("5,99 €", "amount=5.99 EUR"),
            ("300 р.", "amount=300.00 RUB"),
            ("1.5 тыс руб", "amount=1500.00 RUB"),
            ("$1,500", "amount=1500.00 USD"),
            ("вернули 1 рубль", "amount=1.00 RUB"),
            ("USD 20", "amount=20.00 USD"),
            ("10 евро", "amount=10.00 EUR"),
            // Without a currency a number is not an amount.
            ("1500", ""),
            ("стоимость 15000", ""),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn realistic_messages_do_not_confuse_kinds() {
        for (input, expected) in [
            (
                "Здравствуйте, заказ 7157703 от 15.03 на 1 500 руб так и не пришёл, мой телефон +7 (912) 345-67-89",
                "order_number=7157703; date=2026-03-15; amount=1500.00 RUB; phone=+79123456789",
            ),
            (
                "Оплатил 2 500,50 рублей 12.03.2026, номер 89123456789",
                "amount=2500.50 RUB; date=2026-03-12; phone=+79123456789",
            ),
            ("заказ 15000 руб", "amount=15000.00 RUB"),
            ("15 марта 2000 руб", "date=2026-03-15; amount=2000.00 RUB"),
            (
                "Заказ №A-12345, доставка в пятницу, почта ivan@mail.ru",
                "order_number=A12345; date=2026-03-13; email=ivan@mail.ru",
            ),
            (
                "Order 12345678 for $20 arrives March 15, call +44 20 7946 0958",
                "order_number=12345678; amount=20.00 USD; date=2026-03-15; phone=+442079460958",
            ),
            ("2 шт по 300 р.", "amount=300.00 RUB"),
            (
                "Мой номер 8 (912) 345-67-89, заказ № 7157703, оплатил 1 500 ₽ вчера",
                "phone=+79123456789; order_number=7157703; amount=1500.00 RUB; date=2026-03-09",
            ),
            ("Привезите 5 марта с 10 до 14", "date=2026-03-05"),
            ("доставка 15.03 в 18:00", "date=2026-03-15"),
            (
                "номер заказа 12-345-678 сумма 2 500,50 рублей",
                "order_number=12345678; amount=2500.50 RUB",
            ),
            ("код из смс 123456", ""),
            ("артикул 123456789", ""),
            ("квартира 12, дом 5, подъезд 3", ""),
            (
                "перезвоните 8 912 345 67 89 завтра",
                "phone=+79123456789; date=2026-03-11",
            ),
            (
                "трек 12-345-678, сумма 1500₽",
                "order_number=12345678; amount=1500.00 RUB",
            ),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn spans_point_at_the_raw_text() {
        let text = "мой телефон +7 (912) 345-67-89!";
        let v = &extract(text, today())[0];
        assert_eq!(v.raw, "+7 (912) 345-67-89");
        assert_eq!(&text[v.start..v.end], v.raw);
    }

    #[test]
    fn parse_one_prefers_the_asked_kind() {
        let ok = |kind, text: &str| parse_one(kind, text, today()).map(|v| v.value);
        assert_eq!(
            ok(SlotKind::OrderNumber, "89123456789"),
            Ok("89123456789".into())
        );
        assert_eq!(
            ok(SlotKind::Phone, "89123456789"),
            Ok("+79123456789".into())
        );
        assert_eq!(ok(SlotKind::Phone, "9123456789"), Ok("+79123456789".into()));
        assert_eq!(
            ok(SlotKind::OrderNumber, "вот он: 7157703"),
            Ok("7157703".into())
        );
        assert_eq!(
            ok(SlotKind::Date, "в пятницу удобно"),
            Ok("2026-03-13".into())
        );
        assert_eq!(
            ok(SlotKind::Email, "Ivan@Mail.ru"),
            Ok("Ivan@mail.ru".into())
        );
        assert_eq!(ok(SlotKind::Amount, "1500₽"), Ok("1500.00 RUB".into()));
        assert!(matches!(
            parse_one(SlotKind::Date, "31.02", today()),
            Err(SlotError::Invalid {
                kind: SlotKind::Date,
                ..
            })
        ));
        assert!(matches!(
            parse_one(SlotKind::Phone, "+7 912 345", today()),
            Err(SlotError::Invalid {
                kind: SlotKind::Phone,
                ..
            })
        ));
        assert!(matches!(
            parse_one(SlotKind::OrderNumber, "заказ 123", today()),
            Err(SlotError::Invalid { .. })
        ));
        assert_eq!(
            parse_one(SlotKind::Email, "не помню", today()),
            Err(SlotError::NotFound(SlotKind::Email))
        );
    }

    #[test]
    fn slot_keys_round_trip() {
        for k in SlotKind::ALL {
            assert_eq!(SlotKind::from_key(k.key()), Some(k));
        }
    }
}
