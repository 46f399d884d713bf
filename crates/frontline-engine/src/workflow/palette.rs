//! The node types as an editor offers them: for each, the `data` a new node starts with (the
//! document's defaults filled in), its output handles and the ones that must be connected, plus the
//! choices its forms offer (handoff reasons, HTTP methods, slot kinds and the names templates read).
//! Everything is derived from the code that validates and runs a workflow, so the editor's palette
//! cannot disagree with the engine: a new output of a node type shows up in the editor by itself.

use frontline_domain::HandoffReason;
use serde_json::{Value, json};

use super::document::{NodeData, NodeType};
use super::graph::{METHODS, required_outputs};
use crate::slots::SlotKind;

/// One node type of the palette.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    pub node_type: NodeType,
    /// The `data` of a new node of this type, with the document's defaults filled in. Required
    /// text fields start empty: validation then points at what is left to fill.
    pub data: Value,
    /// Its output handles, in display order. An `intent` node has one more per listed intent,
    /// before `fallback` ([`NodeSpec::outputs_per_intent`]).
    pub outputs: Vec<String>,
    /// The outputs that must be connected before the workflow can be published.
    pub required_outputs: Vec<String>,
    pub outputs_per_intent: bool,
}

/// The least `data` each type parses from; serde then fills the defaults.
fn seed(node_type: NodeType) -> Value {
    match node_type {
        NodeType::Start | NodeType::Search | NodeType::End => json!({}),
        NodeType::Intent => json!({"intents": []}),
        NodeType::Confidence => json!({"threshold": 0.7}),
        NodeType::Context => json!({"set": {}}),
        NodeType::AiResponse => json!({"system_prompt": ""}),
        NodeType::Condition => json!({"expression": ""}),
        NodeType::Action => json!({"url": ""}),
        NodeType::Ask => json!({"slot": "", "question": ""}),
        NodeType::Message => json!({"text": ""}),
        NodeType::Handoff => json!({"reason": HandoffReason::TopicPolicy.as_str()}),
    }
}

/// Every node type the engine knows, in [`NodeType::ALL`]'s order.
pub fn node_specs() -> Vec<NodeSpec> {
    NodeType::ALL
        .into_iter()
        .map(|node_type| {
            // The seeds are literals of the right shape: parsing them cannot fail (a test checks).
            let data = NodeData::parse(node_type, &seed(node_type)).unwrap_or_else(|e| {
                panic!("the palette's seed of {node_type} does not parse: {e}")
            });
            let mut value = data.to_value();
            tidy_floats(&mut value);
            NodeSpec {
                node_type,
                data: value,
                outputs: data.outputs(),
                required_outputs: required_outputs(&data),
                outputs_per_intent: node_type == NodeType::Intent,
            }
        })
        .collect()
}

/// `f32` fields (a temperature of 0.3) come out of serde as their exact `f64` value
/// (0.30000001192092896); an editor should show and save what the author would type.
fn tidy_floats(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64() {
                // Only values that are exactly an f32 (not an f64 an author typed).
                #[allow(clippy::cast_possible_truncation)]
                let narrow = x as f32;
                if f64::from(narrow) == x
                    && let Ok(tidy) = narrow.to_string().parse::<f64>()
                {
                    *v = Value::from(tidy);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(tidy_floats),
        Value::Object(m) => m.values_mut().for_each(tidy_floats),
        _ => {}
    }
}

/// The reasons a `handoff` node may give: the bot's own reasons, not the operators' (`manual`,
/// `operator_replied`, `external_reply`) or the platform's (`no_bot`).
pub fn handoff_reasons() -> Vec<&'static str> {
    HandoffReason::ALL
        .iter()
        .filter(|r| {
            !matches!(
                r,
                HandoffReason::NoBot
                    | HandoffReason::Manual
                    | HandoffReason::OperatorReplied
                    | HandoffReason::ExternalReply
            )
        })
        .map(|r| r.as_str())
        .collect()
}

/// The HTTP methods an `action` node may use.
pub fn http_methods() -> &'static [&'static str] {
    METHODS
}

/// The built-in slot kinds, which are also an `ask` node's named validators.
pub fn slot_kinds() -> Vec<&'static str> {
    SlotKind::ALL.iter().map(|k| k.key()).collect()
}

/// The names templates and conditions read without a prefix (`slots.`, `vars.`, `customer.` are
/// the others); see [`super::expr`].
pub fn plain_names() -> &'static [&'static str] {
    super::expr::PLAIN_NAMES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_type_has_a_spec_whose_data_validates_as_its_type() {
        let specs = node_specs();
        assert_eq!(specs.len(), NodeType::ALL.len());
        for spec in &specs {
            let again = NodeData::parse(spec.node_type, &spec.data).unwrap();
            let mut value = again.to_value();
            tidy_floats(&mut value);
            assert_eq!(value, spec.data, "{}", spec.node_type);
            for r in &spec.required_outputs {
                assert!(spec.outputs.contains(r), "{}: {r}", spec.node_type);
            }
        }
        let by = |t: NodeType| specs.iter().find(|s| s.node_type == t).unwrap();
        assert_eq!(by(NodeType::Confidence).outputs, ["high", "low"]);
        assert_eq!(by(NodeType::Intent).outputs, ["fallback"]);
        assert!(by(NodeType::Intent).outputs_per_intent);
        assert_eq!(by(NodeType::Search).data["top_k"], 4);
        // The f32 temperature as an author types it, not 0.30000001192092896.
        assert_eq!(by(NodeType::AiResponse).data["temperature"], 0.3);
        assert_eq!(by(NodeType::Action).required_outputs, ["ok"]);
        assert!(by(NodeType::End).outputs.is_empty());
        assert!(by(NodeType::Message).required_outputs.is_empty());
    }

    #[test]
    fn choices_are_the_ones_validation_accepts() {
        for r in handoff_reasons() {
            assert!(HandoffReason::parse(r).is_ok(), "{r}");
        }
        assert!(!handoff_reasons().contains(&"manual"));
        assert!(http_methods().contains(&"POST"));
        assert!(slot_kinds().contains(&"order_number"));
        assert!(plain_names().contains(&"text"));
    }
}
