//! Quick replies: the shared and personal templates operators insert with one click.

use crate::*;

#[derive(Debug, Clone, PartialEq)]
pub struct QuickReply {
    pub id: QuickReplyId,
    pub title: String,
    pub text: String,
    /// `None`: shared with every operator; `Some`: personal to that operator.
    pub owner: Option<OperatorId>,
    pub created_at: Timestamp,
}

impl QuickReply {
    pub fn visible_to(&self, operator: OperatorId) -> bool {
        self.owner.is_none_or(|o| o == operator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_reply_visibility() {
        let mut q = QuickReply {
            id: QuickReplyId(1),
            title: "t".into(),
            text: "x".into(),
            owner: None,
            created_at: Timestamp(0),
        };
        assert!(q.visible_to(OperatorId(1)));
        q.owner = Some(OperatorId(2));
        assert!(!q.visible_to(OperatorId(1)));
        assert!(q.visible_to(OperatorId(2)));
    }
}
