//! The shop's opening hours as data — per weekday, exceptions by date, a time zone — and exact
//! answers to schedule questions from it: «сегодня, четверг, мы работаем 10:00–20:00», «в субботу
//! выходной», "until 20:00 today".
//!
//! An article about opening hours answers "when are you open" with the whole week; a customer who
//! asks «а завтра работаете?» on a Friday wants one line, and one that knows tomorrow is a
//! holiday. [`Schedule::answer`] reads which day the question is about (today, tomorrow, the day
//! after, a weekday, a date like «31.12» or «8 марта»), whether it asks about the closing or
//! opening time, and the language (Cyrillic or not), and answers from the configured hours for
//! that date, exceptions first. The conversation's own time (the message's timestamp) is "now".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::slots::CivilDate;

/// Days in `Schedule::week` order.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const RU_DAY: [&str; 7] = [
    "понедельник",
    "вторник",
    "среда",
    "четверг",
    "пятница",
    "суббота",
    "воскресенье",
];
/// «в понедельник», «во вторник», «в среду»…
const RU_DAY_IN: [&str; 7] = [
    "в понедельник",
    "во вторник",
    "в среду",
    "в четверг",
    "в пятницу",
    "в субботу",
    "в воскресенье",
];
const EN_DAY: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// Stems that name a weekday, Russian and English.
const DAY_STEMS: [&[&str]; 7] = [
    &["понедельн", "пн", "monday", "mon"],
    &["вторник", "вт", "tuesday", "tue"],
    &["сред", "ср", "wednesday", "wed"],
    &["четверг", "чт", "thursday", "thu"],
    &["пятниц", "пт", "friday", "fri"],
    &["суббот", "сб", "saturday", "sat"],
    &["воскресен", "вс", "sunday", "sun"],
];
const RU_MONTHS: [&str; 12] = [
    "январ",
    "феврал",
    "март",
    "апрел",
    "ма",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
];
const RU_MONTH_OF: [&str; 12] = [
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

/// Opening and closing time of one day, `"10:00"`–`"20:00"` in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hours {
    /// Minutes after midnight.
    pub open: u16,
    pub close: u16,
}

impl TryFrom<String> for Hours {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let (a, b) = s
            .split_once(['-', '–'])
            .ok_or_else(|| format!("hours must look like 10:00-20:00, not {s:?}"))?;
        let (open, close) = (minutes(a.trim())?, minutes(b.trim())?);
        if open >= close {
            return Err(format!("{s:?}: opening must be before closing"));
        }
        Ok(Hours { open, close })
    }
}

impl From<Hours> for String {
    fn from(h: Hours) -> String {
        format!("{}-{}", hhmm(h.open), hhmm(h.close))
    }
}

fn minutes(s: &str) -> Result<u16, String> {
    let (h, m) = s
        .split_once(':')
        .ok_or_else(|| format!("time must be HH:MM, not {s:?}"))?;
    let (h, m): (u16, u16) = (
        h.parse().map_err(|_| format!("bad hour in {s:?}"))?,
        m.parse().map_err(|_| format!("bad minutes in {s:?}"))?,
    );
    // 24:00 closes at midnight.
    if h > 24 || m > 59 || (h == 24 && m > 0) {
        return Err(format!("{s:?} is not a time of day"));
    }
    Ok(h * 60 + m)
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// A date whose hours differ from its weekday's: a holiday (closed) or shortened hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Absent: closed that day.
    #[serde(default)]
    pub hours: Option<Hours>,
    /// «Новый год», said with the answer.
    #[serde(default)]
    pub note: Option<String>,
}

/// Opening hours: `week` by weekday key (`mon`…`sun`, a day absent is a day off), `exceptions`
/// by date, and the UTC offset the hours are in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub utc_offset_minutes: i32,
    pub week: BTreeMap<String, Hours>,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

/// Which day a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Day {
    Today,
    Tomorrow,
    AfterTomorrow,
    Date(CivilDate),
}

impl Schedule {
    /// Every problem with the data.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        for key in self.week.keys() {
            if !WEEKDAYS.contains(&key.as_str()) {
                p.push(format!(
                    "schedule.week: unknown day `{key}` (mon, tue, wed, thu, fri, sat, sun)"
                ));
            }
        }
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            p.push("schedule.utc_offset_minutes must be within ±14 hours".into());
        }
        for (i, e) in self.exceptions.iter().enumerate() {
            if CivilDate::parse_iso(&e.date).is_none() {
                p.push(format!(
                    "schedule.exceptions[{i}]: date must be YYYY-MM-DD, not {:?}",
                    e.date
                ));
            }
        }
        p
    }

    /// The hours of `date` (`None`: closed) and the exception's note, if any.
    pub fn hours_on(&self, date: CivilDate) -> (Option<Hours>, Option<&str>) {
        if let Some(e) = self
            .exceptions
            .iter()
            .find(|e| CivilDate::parse_iso(&e.date) == Some(date))
        {
            return (e.hours, e.note.as_deref());
        }
        (
            self.week
                .get(WEEKDAYS[date.weekday() as usize - 1])
                .copied(),
            None,
        )
    }

    /// Whether `question` asks about the shop's opening hours: it names a time or opening
    /// («до скольки», «работаете», "open") and not the phone line or the support chat, whose
    /// hours are the knowledge base's to tell. A schedule intent without such words («можно
    /// забрать в магазине?») is not a question these hours answer.
    pub fn is_hours_question(question: &str) -> bool {
        const HOURS: &[&str] = &[
            "работ",
            "открыт",
            "открыва",
            "закрыва",
            "закрыт",
            "час",
            "время",
            "времени",
            "скольки",
            "сколько",
            "график",
            "режим",
            "выходн",
            "праздник",
            "сегодня",
            "завтра",
            "open",
            "close",
            "hour",
            "time",
            "today",
            "tomorrow",
            "weekend",
            "holiday",
            "when",
        ];
        const ELSEWHERE: &[&str] = &[
            "позвон",
            "звон",
            "телефон",
            "поддержк",
            "оператор",
            "чат",
            "call",
            "phone",
            "support",
            "chat",
        ];
        let words: Vec<String> = frontline_text::tokens(question)
            .iter()
            .map(|t| frontline_text::normalize(t.text))
            .collect();
        let has = |stems: &[&str]| words.iter().any(|w| stems.iter().any(|s| w.starts_with(s)));
        let weekday = words.iter().any(|w| {
            DAY_STEMS
                .iter()
                .flat_map(|d| d.iter())
                .any(|s| s.chars().count() > 3 && w.starts_with(s))
        });
        (has(HOURS) || weekday) && !has(ELSEWHERE)
    }

    /// The answer to a schedule question asked at `now_millis` (Unix milliseconds).
    pub fn answer(&self, question: &str, now_millis: i64) -> String {
        let local = now_millis + i64::from(self.utc_offset_minutes) * 60_000;
        let today = CivilDate::from_unix_millis(now_millis, self.utc_offset_minutes);
        let minute_now = (local.rem_euclid(86_400_000) / 60_000) as u16;
        let en = !question
            .chars()
            .any(|c| matches!(c, '\u{0400}'..='\u{04FF}'));
        let words: Vec<String> = frontline_text::tokens(question)
            .iter()
            .map(|t| frontline_text::normalize(t.text))
            .collect();
        let day = which_day(&words, question, today);
        let date = match day {
            Day::Today => today,
            Day::Tomorrow => today.add_days(1),
            Day::AfterTomorrow => today.add_days(2),
            Day::Date(d) => d,
        };
        let (hours, note) = self.hours_on(date);
        let wd = date.weekday() as usize - 1;
        let label = if en {
            match day {
                Day::Today => format!("Today, {}", EN_DAY[wd]),
                Day::Tomorrow => format!("Tomorrow, {}", EN_DAY[wd]),
                _ => format!(
                    "On {}, {} {}",
                    EN_DAY[wd],
                    EN_MONTHS[date.month as usize - 1],
                    date.day
                ),
            }
        } else {
            match day {
                Day::Today => format!("Сегодня, {},", RU_DAY[wd]),
                Day::Tomorrow => format!("Завтра, {},", RU_DAY[wd]),
                Day::AfterTomorrow => format!("Послезавтра, {},", RU_DAY[wd]),
                Day::Date(_) => format!(
                    "{}, {} {},",
                    capitalise(RU_DAY_IN[wd]),
                    date.day,
                    RU_MONTH_OF[date.month as usize - 1]
                ),
            }
        };
        let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
        let mut out = match (hours, en) {
            (None, false) => format!("{label} у нас выходной{note}."),
            (None, true) => format!("{label}, we are closed{note}."),
            (Some(h), false) => format!(
                "{label} мы работаем {}–{}{note}.",
                hhmm(h.open),
                hhmm(h.close)
            ),
            (Some(h), true) => format!(
                "{label}, we are open {}–{}{note}.",
                hhmm(h.open),
                hhmm(h.close)
            ),
        };
        if day == Day::Today {
            if let Some(h) = hours {
                let line = if minute_now < h.open {
                    if en {
                        format!(" We open at {}.", hhmm(h.open))
                    } else {
                        format!(" Откроемся в {}.", hhmm(h.open))
                    }
                } else if minute_now < h.close {
                    if en {
                        format!(" We are open now, until {}.", hhmm(h.close))
                    } else {
                        format!(" Сейчас открыто, до {}.", hhmm(h.close))
                    }
                } else if en {
                    " We are already closed for today.".to_owned()
                } else {
                    " Сегодня мы уже закрылись.".to_owned()
                };
                out.push_str(&line);
            }
            // Closed today, or already closed: say when the next open day is.
            if hours.is_none_or(|h| minute_now >= h.close)
                && let Some((d, h)) = self.next_open(today)
            {
                let wd = d.weekday() as usize - 1;
                out.push_str(&if en {
                    format!(
                        " Next open on {}, {}–{}.",
                        EN_DAY[wd],
                        hhmm(h.open),
                        hhmm(h.close)
                    )
                } else {
                    format!(
                        " Ближайший рабочий день — {}, {}–{}.",
                        RU_DAY[wd],
                        hhmm(h.open),
                        hhmm(h.close)
                    )
                });
            }
        }
        out
    }

    /// The first day after `from` the shop is open, within two weeks.
    fn next_open(&self, from: CivilDate) -> Option<(CivilDate, Hours)> {
        (1..=14).find_map(|i| {
            let d = from.add_days(i);
            self.hours_on(d).0.map(|h| (d, h))
        })
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn which_day(words: &[String], text: &str, today: CivilDate) -> Day {
    let has = |stems: &[&str]| words.iter().any(|w| stems.iter().any(|s| w.starts_with(s)));
    if has(&["послезавтр"]) || text.to_lowercase().contains("day after tomorrow") {
        return Day::AfterTomorrow;
    }
    if has(&["завтр", "tomorrow"]) {
        return Day::Tomorrow;
    }
    if let Some(d) = explicit_date(words, today) {
        return Day::Date(d);
    }
    // A weekday: the next one of that name (today if it is today).
    for (i, stems) in DAY_STEMS.iter().enumerate() {
        let named = words.iter().any(|w| {
            stems.iter().any(|s| {
                // Two-letter abbreviations only as whole words («вс», «сб»), long names by stem.
                if s.chars().count() <= 3 {
                    w == s
                } else {
                    w.starts_with(s)
                }
            })
        });
        if named {
            let ahead = (i + 7 - (today.weekday() as usize - 1)) % 7;
            return if ahead == 0 {
                Day::Today
            } else {
                Day::Date(today.add_days(ahead as i64))
            };
        }
    }
    // «в выходные», "on the weekend": the coming Saturday.
    if has(&["выходн", "weekend"]) {
        let ahead = (5 + 7 - (today.weekday() as usize - 1)) % 7;
        return if ahead == 0 {
            Day::Today
        } else {
            Day::Date(today.add_days(ahead as i64))
        };
    }
    Day::Today
}

/// «31.12», «31/12/2025», «8 марта», "March 8", "8th of March": the next such date.
fn explicit_date(words: &[String], today: CivilDate) -> Option<CivilDate> {
    let month_of = |w: &str| {
        RU_MONTHS
            .iter()
            .position(|m| w.starts_with(m) && (m.len() > 4 || w.chars().count() <= 4))
            .or_else(|| {
                EN_MONTHS
                    .iter()
                    .position(|m| w.len() >= 3 && m.to_lowercase().starts_with(w))
            })
    };
    let number = |w: &str| {
        w.trim_end_matches(|c: char| c.is_alphabetic())
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=31).contains(d))
    };
    let next = |day: u32, month: u32| {
        let this = CivilDate::new(today.year, month, day)?;
        if this >= today {
            Some(this)
        } else {
            CivilDate::new(today.year + 1, month, day)
        }
    };
    for (i, w) in words.iter().enumerate() {
        if let Some(d) = number(w) {
            // «8 марта», "8th of March".
            let following = words.get(i + 1).map(String::as_str);
            let after_of = match following {
                Some("of") => words.get(i + 2).map(String::as_str),
                f => f,
            };
            if let Some(m) = after_of.and_then(month_of) {
                return next(d, m as u32 + 1);
            }
            // «31.12» arrives as two tokens: 31 and 12.
            if let Some(m) = following
                .and_then(|f| f.parse::<u32>().ok())
                .filter(|m| (1..=12).contains(m))
            {
                return next(d, m);
            }
        }
        // "March 8".
        if let Some(m) = month_of(w)
            && w.chars().all(|c| c.is_ascii_alphabetic())
            && let Some(d) = words.get(i + 1).and_then(|n| number(n))
        {
            return next(d, m as u32 + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Schedule {
        serde_json::from_str(
            r#"{"utc_offset_minutes": 180,
                "week": {"mon": "10:00-20:00", "tue": "10:00-20:00", "wed": "10:00-20:00",
                         "thu": "10:00-20:00", "fri": "10:00-20:00", "sat": "11:00-18:00"},
                "exceptions": [{"date": "2025-12-31", "hours": "10:00-15:00", "note": "предпраздничный день"},
                               {"date": "2026-01-01", "note": "Новый год"}]}"#,
        )
        .unwrap()
    }

    /// Unix milliseconds of a local time in UTC+3.
    fn at(y: i32, m: u32, d: u32, hh: i64, mm: i64) -> i64 {
        let days = CivilDate::new(y, m, d).unwrap().days_since_epoch();
        (days * 86_400 + (hh - 3) * 3600 + mm * 60) * 1000
    }

    fn check(question: &str, now: i64, expected: &str) {
        assert_eq!(demo().answer(question, now), expected, "{question}");
    }

    #[test]
    fn answers_for_today_tomorrow_a_weekday_and_a_date() {
        // 2025-11-20 is a Thursday.
        let thu = at(2025, 11, 20, 14, 30);
        check(
            "до скольки вы сегодня работаете",
            thu,
            "Сегодня, четверг, мы работаем 10:00–20:00. Сейчас открыто, до 20:00.",
        );
        check(
            "а в субботу работаете?",
            thu,
            "В субботу, 22 ноября, мы работаем 11:00–18:00.",
        );
        check(
            "в воскресенье открыто",
            thu,
            "В воскресенье, 23 ноября, у нас выходной.",
        );
        check(
            "завтра во сколько открываетесь",
            thu,
            "Завтра, пятница, мы работаем 10:00–20:00.",
        );
        check(
            "31.12 работаете?",
            thu,
            "В среду, 31 декабря, мы работаем 10:00–15:00 (предпраздничный день).",
        );
        check(
            "1 января открыты",
            thu,
            "В четверг, 1 января, у нас выходной (Новый год).",
        );
        check(
            "what are your hours on saturday",
            thu,
            "On Saturday, November 22, we are open 11:00–18:00.",
        );
        check(
            "are you open today",
            thu,
            "Today, Thursday, we are open 10:00–20:00. We are open now, until 20:00.",
        );
    }

    #[test]
    fn now_decides_open_closed_and_the_next_day() {
        check(
            "вы сейчас открыты",
            at(2025, 11, 20, 8, 15),
            "Сегодня, четверг, мы работаем 10:00–20:00. Откроемся в 10:00.",
        );
        check(
            "работаете еще",
            at(2025, 11, 20, 21, 0),
            "Сегодня, четверг, мы работаем 10:00–20:00. Сегодня мы уже закрылись. Ближайший рабочий день — пятница, 10:00–20:00.",
        );
        check(
            "you open now?",
            at(2025, 11, 23, 12, 0),
            "Today, Sunday, we are closed. Next open on Monday, 10:00–20:00.",
        );
        // Late in the evening UTC is already the next day in Moscow.
        check(
            "сегодня работаете",
            at(2025, 11, 23, 0, 30),
            "Сегодня, воскресенье, у нас выходной. Ближайший рабочий день — понедельник, 10:00–20:00.",
        );
    }

    #[test]
    fn only_questions_about_opening_hours_are_answered_from_them() {
        for q in [
            "до скольки вы сегодня работаете",
            "в субботу открыты?",
            "what time do you close",
            "вы 1 января работаете",
        ] {
            assert!(Schedule::is_hours_question(q), "{q}");
        }
        for q in [
            "когда можно позвонить в поддержку",
            "а можно самому забрать в магазине",
            "what are your support phone hours",
        ] {
            assert!(!Schedule::is_hours_question(q), "{q}");
        }
    }

    #[test]
    fn the_data_is_validated() {
        let bad: Result<Schedule, _> =
            serde_json::from_str(r#"{"utc_offset_minutes": 180, "week": {"mon": "20:00-10:00"}}"#);
        assert!(bad.is_err());
        let bad: Result<Schedule, _> =
            serde_json::from_str(r#"{"utc_offset_minutes": 180, "week": {"mon": "9-18"}}"#);
        assert!(bad.is_err());
        let s: Schedule = serde_json::from_str(
            r#"{"utc_offset_minutes": 900, "week": {"monday": "09:00-18:00"},
                "exceptions": [{"date": "31.12.2025"}]}"#,
        )
        .unwrap();
        assert_eq!(s.problems().len(), 3, "{:?}", s.problems());
        assert!(demo().problems().is_empty());
        let json = serde_json::to_string(&demo()).unwrap();
        assert_eq!(serde_json::from_str::<Schedule>(&json).unwrap(), demo());
    }
}
