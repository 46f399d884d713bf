//! The JSON shapes of the API, with their OpenAPI schemas. Domain types never go on the wire directly:
//! they are converted here, in one place: one file per group of routes (`routes/`), with the shared
//! wire enums and the timestamp format here.

mod accounts;
mod auth;
mod bot;
mod conversations;
mod inbound;
mod knowledge;
mod operators;
mod quick_replies;
mod system;
mod voice;
mod workflows;

pub use accounts::*;
pub use auth::*;
pub use bot::*;
pub use conversations::*;
pub use inbound::*;
pub use knowledge::*;
pub use operators::*;
pub use quick_replies::*;
pub use system::*;
pub use voice::*;
pub use workflows::*;

use frontline_domain as d;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-21T10:20:00.123Z`.
pub fn rfc3339(t: d::Timestamp) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.millis()) * 1_000_000)
        .ok()
        .and_then(|dt| {
            dt.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident <=> $domain:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl From<d::$domain> for $name {
            fn from(v: d::$domain) -> Self {
                match v { $(d::$domain::$variant => $name::$variant),+ }
            }
        }

        impl From<$name> for d::$domain {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => d::$domain::$variant),+ }
            }
        }
    };
}

wire_enum!(
    /// Who leads a conversation.
    Lead <=> Lead { Bot, Operator }
);
wire_enum!(ConversationStatus <=> ConversationStatus { Open, Resolved });
wire_enum!(Direction <=> Direction { In, Out });
wire_enum!(
    /// Delivery state of a message.
    DeliveryStatus <=> DeliveryStatus { Queued, Sent, Delivered, Read, Failed }
);
wire_enum!(AttachmentKind <=> AttachmentKind { Image, File, Voice, Video, Other });
wire_enum!(Role <=> Role { Admin, Operator });
wire_enum!(AccountKind <=> AccountKind { Api, Avito, Voice });
wire_enum!(
    /// Why the lead changed.
    HandoffReason <=> HandoffReason {
        NoBot, LowConfidence, CustomerAsked, TopicPolicy, ActionFailed, RepeatedClarify,
        CustomerUpset, LlmUnavailable, BotError, Manual, OperatorReplied, ExternalReply
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_as_utc_rfc3339_with_millis() {
        assert_eq!(rfc3339(d::Timestamp(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(d::Timestamp(1_767_323_045_123)),
            "2026-01-02T03:04:05.123Z"
        );
    }

    #[test]
    fn enums_use_snake_case_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&HandoffReason::NoBot).unwrap(),
            "\"no_bot\""
        );
        assert_eq!(
            serde_json::from_str::<Lead>("\"operator\"").unwrap(),
            Lead::Operator
        );
    }
}
