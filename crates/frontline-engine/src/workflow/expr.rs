//! What a workflow can read ([`Scope`]) and the `condition` node's expressions ([`Expr`]).
//!
//! Names, shared with [`super::template`]:
//! - `text` — the customer's message; `channel` — `api`, `avito`, `voice`…;
//! - `intent` (the latest recognised intent, `""` if none) and `confidence` (its calibrated
//!   confidence, `0.0` if none);
//! - `hour`, `minute` (integers), `weekday` (1 = Monday … 7 = Sunday), `date` (`2026-03-15`), in
//!   the business's time zone;
//! - `slots.<key>` — collected slots (`slots.order_number`), `""` when not known;
//! - `vars.<name>` — workflow variables, with `.field` / `.0` to go into JSON objects and arrays
//!   (`vars.order.status`), `""` when absent;
//! - `customer.name`, `customer.phone` and any other profile attribute (`customer.city`).
//!
//! Expressions are [evalexpr](https://docs.rs/evalexpr) syntax:
//! `slots.order_number != "" && confidence >= 0.8 && channel == "avito" && hour >= 9`, with
//! `== != < <= > >= && || !`, arithmetic, parentheses and its built-in functions
//! (`str::to_lowercase(text)`, `contains(…)`, `len(vars.search)`). JSON integers are integers and
//! other numbers floats, and evalexpr's `==` does not equate `1` and `1.0`: compare numbers with
//! `>=`/`<=` or keep variables' types consistent.
//!
//! Why a crate and why this one: a condition language needs precedence, string and number
//! literals, typed comparisons and good error positions; a hand-written parser for that is a few
//! hundred lines the project would own forever. evalexpr is small (no dependencies by default), has
//! been maintained since 2019, parses once into a tree we evaluate per message, and exposes the
//! identifiers an expression reads, which is how [`super::graph`] validates `slots.x` against the
//! bot's catalogue before a workflow is published. Its identifiers may contain dots, so
//! `slots.order_number` needs no special syntax. Assignment (`a = 1`, `;` chains) is rejected at
//! parse time: a condition only reads. Licence: evalexpr 12+ is AGPL-3.0-only, which the project
//! (AGPL-3.0-or-later) may combine with; it pins the combined binary to AGPL-3.0.

use std::collections::BTreeMap;

use evalexpr::{DefaultNumericTypes, HashMapContext, Node, Operator, Value as EValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::slots::CivilDate;

/// The moment of a message in the business's time zone, for `hour`, `weekday` and relative dates
/// in answers («завтра»).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalNow {
    pub date: CivilDate,
    pub hour: u32,
    pub minute: u32,
}

impl LocalNow {
    /// An instant (milliseconds since the epoch) at a fixed UTC offset.
    pub fn from_unix_millis(millis: i64, utc_offset_minutes: i32) -> Self {
        let local = millis + i64::from(utc_offset_minutes) * 60_000;
        let minute_of_day = local.rem_euclid(86_400_000) / 60_000;
        Self {
            date: CivilDate::from_unix_millis(millis, utc_offset_minutes),
            hour: (minute_of_day / 60) as u32,
            minute: (minute_of_day % 60) as u32,
        }
    }
}

/// What the channel and the store know about the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerProfile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Anything else (`city`, `segment`), read as `customer.<key>`.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// Everything templates and expressions read, for one step.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub text: &'a str,
    pub channel: &'a str,
    pub intent: Option<&'a str>,
    pub confidence: Option<f64>,
    pub now: LocalNow,
    pub slots: &'a BTreeMap<String, String>,
    pub vars: &'a BTreeMap<String, Value>,
    pub customer: &'a CustomerProfile,
}

/// Names without a dot.
pub(super) const PLAIN_NAMES: &[&str] = &[
    "text",
    "channel",
    "intent",
    "confidence",
    "hour",
    "minute",
    "weekday",
    "date",
];

/// Why `name` cannot be read in a workflow, if it cannot; `slots` are the slot keys the bot knows.
pub fn check_name(name: &str, known_slots: &dyn Fn(&str) -> bool) -> Result<(), String> {
    if PLAIN_NAMES.contains(&name) {
        return Ok(());
    }
    let (root, rest) = name.split_once('.').unwrap_or((name, ""));
    let valid_rest = !rest.is_empty() && rest.split('.').all(is_var_name);
    match root {
        "slots" if valid_rest && known_slots(rest) => Ok(()),
        "slots" => Err(format!("unknown slot `{rest}` in `{name}`")),
        "vars" | "customer" if valid_rest => Ok(()),
        _ => Err(format!(
            "unknown name `{name}` (expected text, channel, intent, confidence, hour, minute, \
             weekday, date, slots.<key>, vars.<name> or customer.<field>)"
        )),
    }
}

/// Variable names: ASCII letters, digits and `_`, so they read unambiguously in expressions.
pub fn is_var_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Scope<'_> {
    /// The value of a name, or `None` when it is not known (an absent slot or variable).
    pub fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "text" => return Some(Value::from(self.text)),
            "channel" => return Some(Value::from(self.channel)),
            "intent" => return self.intent.map(Value::from),
            "confidence" => return self.confidence.map(Value::from),
            "hour" => return Some(Value::from(self.now.hour)),
            "minute" => return Some(Value::from(self.now.minute)),
            "weekday" => return Some(Value::from(self.now.date.weekday())),
            "date" => return Some(Value::from(self.now.date.to_string())),
            _ => {}
        }
        let (root, rest) = name.split_once('.')?;
        match root {
            "slots" => self.slots.get(rest).map(|v| Value::from(v.as_str())),
            "customer" => match rest {
                "name" => self.customer.name.as_deref().map(Value::from),
                "phone" => self.customer.phone.as_deref().map(Value::from),
                key => self
                    .customer
                    .attributes
                    .get(key)
                    .map(|v| Value::from(v.as_str())),
            },
            "vars" => {
                let mut path = rest.split('.');
                let mut v = self.vars.get(path.next()?)?;
                for seg in path {
                    v = match v {
                        Value::Object(m) => m.get(seg)?,
                        Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                        _ => return None,
                    };
                }
                Some(v.clone())
            }
            _ => None,
        }
    }
}

/// Longest condition accepted; real ones are a line.
const MAX_EXPR_BYTES: usize = 2000;

/// A parsed condition.
#[derive(Debug, Clone)]
pub struct Expr {
    source: String,
    tree: Node<DefaultNumericTypes>,
    names: Vec<String>,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Expr {
    /// Parses an expression; the error is evalexpr's description of what is wrong.
    pub fn parse(source: &str) -> Result<Self, String> {
        if source.trim().is_empty() {
            return Err("the expression is empty".to_owned());
        }
        // evalexpr parses and evaluates recursively; a bound on the length bounds the nesting a
        // pasted document can throw at it.
        if source.len() > MAX_EXPR_BYTES {
            return Err(format!(
                "the expression is longer than {MAX_EXPR_BYTES} bytes"
            ));
        }
        let tree = evalexpr::build_operator_tree::<DefaultNumericTypes>(source)
            .map_err(|e| e.to_string())?;
        let writes = tree.iter().any(|n| {
            matches!(
                n.operator(),
                Operator::VariableIdentifierWrite { .. } | Operator::Chain
            )
        });
        if writes {
            return Err("a condition cannot assign variables or chain statements with `;`".into());
        }
        let mut names: Vec<String> = tree
            .iter_read_variable_identifiers()
            .map(str::to_owned)
            .collect();
        names.sort();
        names.dedup();
        Ok(Self {
            source: source.to_owned(),
            tree,
            names,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The names the expression reads.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Evaluates to a boolean. Unknown slots, variables and profile fields read as `""`, an
    /// unknown confidence as `0.0`. A type error (comparing text with a number) or a non-boolean
    /// result is an error, which the interpreter treats as a fault rather than as `false`.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<bool, String> {
        let mut ctx = HashMapContext::<DefaultNumericTypes>::new();
        for name in &self.names {
            let value = match scope.lookup(name) {
                Some(v) => to_evalexpr(&v),
                None if name == "confidence" => EValue::Float(0.0),
                None => EValue::String(String::new()),
            };
            evalexpr::ContextWithMutableVariables::set_value(&mut ctx, name.clone(), value)
                .map_err(|e| e.to_string())?;
        }
        self.tree
            .eval_boolean_with_context(&ctx)
            .map_err(|e| e.to_string())
    }
}

fn to_evalexpr(v: &Value) -> EValue<DefaultNumericTypes> {
    match v {
        Value::Null => EValue::String(String::new()),
        Value::Bool(b) => EValue::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => EValue::Int(i),
            None => EValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => EValue::String(s.clone()),
        Value::Array(a) => EValue::Tuple(a.iter().map(to_evalexpr).collect()),
        Value::Object(_) => EValue::String(v.to_string()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn customer() -> CustomerProfile {
        CustomerProfile {
            name: Some("Анна".into()),
            phone: None,
            attributes: [("city".to_owned(), "Казань".to_owned())].into(),
        }
    }

    /// 2026-03-10 (a Tuesday) 14:05.
    pub(crate) fn now() -> LocalNow {
        LocalNow {
            date: CivilDate::new(2026, 3, 10).unwrap(),
            hour: 14,
            minute: 5,
        }
    }

    fn check(expr: &str, expected: Result<bool, &str>) {
        let slots: BTreeMap<String, String> =
            [("order_number".to_owned(), "7157703".to_owned())].into();
        let vars: BTreeMap<String, Value> = [
            (
                "order".to_owned(),
                serde_json::json!({"status": "shipped", "items": [{"sku": "A1"}], "total": 1500}),
            ),
            ("count".to_owned(), Value::from(3)),
            ("hits".to_owned(), serde_json::json!([1, 2])),
        ]
        .into();
        let customer = customer();
        let scope = Scope {
            text: "Где мой заказ?",
            channel: "avito",
            intent: Some("order_status"),
            confidence: Some(0.85),
            now: now(),
            slots: &slots,
            vars: &vars,
            customer: &customer,
        };
        let got = Expr::parse(expr).and_then(|e| e.eval(&scope));
        match expected {
            Ok(b) => assert_eq!(got, Ok(b), "{expr}"),
            Err(part) => {
                let err = got.expect_err(expr);
                assert!(err.contains(part), "{expr}: {err}");
            }
        }
    }

    #[test]
    fn conditions() {
        for (expr, expected) in [
            (
                r#"slots.order_number != "" && confidence >= 0.8 && channel == "avito" && hour >= 9"#,
                true,
            ),
            (r#"slots.phone != """#, false),
            (r#"slots.phone == """#, true),
            ("confidence > 0.9", false),
            (r#"intent == "order_status" || intent == "returns""#, true),
            (r#"vars.order.status == "shipped""#, true),
            (r#"vars.order.items.0.sku == "A1""#, true),
            ("vars.order.total >= 1000", true),
            ("vars.count + 1 == 4", true),
            (r#"vars.missing == """#, true),
            ("len(vars.hits) == 2", true),
            (
                r#"customer.name == "Анна" && customer.city == "Казань""#,
                true,
            ),
            (r#"customer.phone == """#, true),
            ("weekday <= 5 && hour < 18 && minute == 5", true),
            (r#"date == "2026-03-10""#, true),
            (r#"str::to_lowercase(text) == "где мой заказ?""#, true),
            (r#"!(channel == "voice")"#, true),
        ] {
            check(expr, Ok(expected));
        }
    }

    #[test]
    fn bad_conditions_are_errors() {
        check("", Err("empty"));
        check(
            &format!("{}1{}", "(".repeat(5000), ")".repeat(5000)),
            Err("longer than"),
        );
        check("hour >=", Err(""));
        check("x = 1", Err("cannot assign"));
        check("true; false", Err("cannot assign"));
        // Not a boolean, or text compared with a number: a fault, not `false`.
        check("hour + 1", Err("oolean"));
        check(r#"text > 3"#, Err(""));
    }

    #[test]
    fn names_are_checked() {
        let slots = |k: &str| k == "order_number";
        assert_eq!(
            Expr::parse(r#"slots.order_number != "" && hour > 9"#)
                .unwrap()
                .names(),
            ["hour", "slots.order_number"]
        );
        assert!(check_name("slots.order_number", &slots).is_ok());
        assert!(check_name("vars.order.status", &slots).is_ok());
        assert!(check_name("customer.name", &slots).is_ok());
        assert!(check_name("confidence", &slots).is_ok());
        assert!(
            check_name("slots.passport", &slots)
                .unwrap_err()
                .contains("unknown slot `passport`")
        );
        assert!(check_name("vars.", &slots).is_err());
        assert!(check_name("order_number", &slots).is_err());
        assert!(check_name("vars.a-b", &slots).is_err());
    }

    #[test]
    fn local_time_follows_the_offset() {
        let at = CivilDate::new(2026, 3, 10).unwrap().days_since_epoch() * 86_400_000
            + (22 * 60 + 30) * 60_000;
        let utc = LocalNow::from_unix_millis(at, 0);
        assert_eq!(
            (utc.date.to_string(), utc.hour, utc.minute),
            ("2026-03-10".into(), 22, 30)
        );
        let msk = LocalNow::from_unix_millis(at, 180);
        assert_eq!(
            (msk.date.to_string(), msk.hour, msk.minute),
            ("2026-03-11".into(), 1, 30)
        );
    }
}
