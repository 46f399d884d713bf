//! The requests the server received, as a test asserts on them: what the client sent, when, and
//! how the server answered.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value;

use crate::Endpoint;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub endpoint: Endpoint,
    /// When it arrived (before any scripted delay).
    pub at: Instant,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The JSON body (chat, speech); `Null` when the body was not JSON or was a multipart form.
    pub json: Value,
    /// The multipart fields by name (transcriptions); empty otherwise.
    pub fields: BTreeMap<String, Field>,
    /// The status the server answered with: the scripted reply's, or its own refusal's.
    pub status: u16,
}

impl Request {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One multipart field as the server parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl Field {
    /// The field's value as text (lossy: a form field is text unless it is a file).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}
