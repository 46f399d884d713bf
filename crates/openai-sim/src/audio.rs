//! `POST /audio/transcriptions` and `POST /audio/speech` (B7): the multipart upload and JSON body
//! checked as the real API checks them, and speech audio in the shapes OpenAI sends it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use crate::log::{Field, Request};
use crate::reply::{Reply, slin};
use crate::server::{Shared, header_list, is_json};
use crate::{Dialect, Endpoint};

/// The rate of `/audio/speech`'s `pcm` output and of its WAVs: 24 kHz mono s16le.
pub const SPEECH_RATE: u32 = 24_000;

/// File extensions `/audio/transcriptions` accepts.
pub const TRANSCRIPTION_EXTENSIONS: &[&str] = &[
    "flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm",
];

/// The parameters of `/audio/speech`; any other is a 400.
pub const SPEECH_PARAMETERS: &[&str] = &[
    "model",
    "input",
    "voice",
    "instructions",
    "response_format",
    "speed",
    "stream_format",
];

/// The `response_format`s `/audio/speech` accepts (only `wav` and `pcm` are rendered).
pub const SPEECH_FORMATS: &[&str] = &["mp3", "opus", "aac", "flac", "wav", "pcm"];

/// The longest `input` `/audio/speech` accepts, in characters.
const MAX_SPEECH_INPUT_CHARS: usize = 4096;

const TRANSCRIPTION_FORMATS: &[&str] = &["json", "text", "srt", "verbose_json", "vtt"];

pub(crate) async fn transcriptions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let at = Instant::now();
    let (fields, reply) = match shared.check_key(&headers) {
        Err(refusal) => (BTreeMap::new(), refusal),
        Ok(()) => match read_form(multipart).await {
            Err(message) => (
                BTreeMap::new(),
                Reply::error(400, &message).with_code("bad_request"),
            ),
            Ok(fields) => {
                let reply = match check_transcription(&fields) {
                    Err((message, code)) => Reply::error(400, message).with_code(code),
                    Ok(()) => shared.next_reply(Endpoint::Transcriptions),
                };
                (fields, reply)
            }
        },
    };
    shared.log(Request {
        endpoint: Endpoint::Transcriptions,
        at,
        headers: header_list(&headers),
        json: Value::Null,
        fields,
        status: reply.status(),
    });
    reply.render(shared.config.dialect, None).await
}

async fn read_form(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<BTreeMap<String, Field>, String> {
    let mut multipart =
        multipart.map_err(|e| format!("expected a multipart/form-data body: {e}"))?;
    let mut fields = BTreeMap::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| format!("bad multipart: {e}"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("bad multipart: {e}"))?
            .to_vec();
        fields.insert(
            name,
            Field {
                file_name,
                content_type,
                bytes,
            },
        );
    }
    Ok(fields)
}

/// The API's own checks: a file with a known extension, a model, a known format.
fn check_transcription(
    fields: &BTreeMap<String, Field>,
) -> Result<(), (&'static str, &'static str)> {
    let file = fields
        .get("file")
        .ok_or(("Missing required parameter: 'file'.", "missing_parameter"))?;
    let extension_ok = file
        .file_name
        .as_deref()
        .and_then(|n| n.rsplit_once('.'))
        .is_some_and(|(_, ext)| TRANSCRIPTION_EXTENSIONS.contains(&ext));
    if !extension_ok {
        return Err(("Unrecognized file format.", "invalid_value"));
    }
    if !fields.contains_key("model") {
        return Err(("Missing required parameter: 'model'.", "missing_parameter"));
    }
    let format = fields
        .get("response_format")
        .map_or_else(|| "json".to_owned(), Field::text);
    if !TRANSCRIPTION_FORMATS.contains(&format.as_str()) {
        return Err(("Invalid response_format.", "invalid_value"));
    }
    Ok(())
}

pub(crate) async fn speech(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let dialect = shared.config.dialect;
    let json = serde_json::from_slice::<Value>(&body).ok();
    let reply = shared
        .check_key(&headers)
        .and_then(|()| {
            if is_json(&headers) {
                Ok(())
            } else {
                Err(Reply::error(400, "Content-Type must be application/json")
                    .with_code("bad_request"))
            }
        })
        .and_then(|()| match &json {
            None => Err(Reply::error(
                400,
                "We could not parse the JSON body of your request.",
            )),
            Some(json) => check_speech(json, dialect)
                .map_err(|m| Reply::error(400, &m).with_code("invalid_request_error")),
        })
        .map_or_else(|refusal| refusal, |()| shared.next_reply(Endpoint::Speech));
    let json = json.unwrap_or(Value::Null);
    let format = json["response_format"]
        .as_str()
        .unwrap_or(dialect.default_speech_format())
        .to_owned();
    shared.log(Request {
        endpoint: Endpoint::Speech,
        at,
        headers: header_list(&headers),
        json,
        fields: BTreeMap::new(),
        status: reply.status(),
    });
    reply.render(dialect, Some(&format)).await
}

/// The checks the API makes on a speech request, strict about unknown parameters.
fn check_speech(body: &Value, dialect: Dialect) -> Result<(), String> {
    let object = body.as_object().ok_or("body is not a JSON object")?;
    if let Some(key) = object
        .keys()
        .find(|k| !SPEECH_PARAMETERS.contains(&k.as_str()))
    {
        return Err(format!("Unrecognized request argument supplied: {key}"));
    }
    let required: &[&str] = if dialect.speech_needs_voice() {
        &["model", "input", "voice"]
    } else {
        &["model", "input"]
    };
    for name in required {
        if !object.get(*name).is_some_and(Value::is_string) {
            return Err(format!("Missing required parameter: '{name}'."));
        }
    }
    let input = object["input"].as_str().unwrap_or_default();
    if input.is_empty() || input.chars().count() > MAX_SPEECH_INPUT_CHARS {
        return Err(format!(
            "'input' must be 1 to {MAX_SPEECH_INPUT_CHARS} characters"
        ));
    }
    let format_ok = object
        .get("response_format")
        .is_none_or(|f| SPEECH_FORMATS.contains(&f.as_str().unwrap_or("")));
    if !format_ok {
        return Err("Invalid value for 'response_format'.".into());
    }
    let speed_ok = object
        .get("speed")
        .is_none_or(|s| s.as_f64().is_some_and(|s| (0.25..=4.0).contains(&s)));
    if !speed_ok {
        return Err("'speed' must be within 0.25 and 4.0".into());
    }
    Ok(())
}

/// A WAV as OpenAI streams it: 24 kHz mono s16le, with 0xFFFFFFFF for the RIFF and data sizes
/// because the length is not known when the header goes out.
pub(crate) fn streamed_wav(samples: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SPEECH_RATE.to_le_bytes());
    out.extend_from_slice(&(SPEECH_RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    out.extend_from_slice(&slin(samples));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn speech_requests_are_checked_per_dialect() {
        let ok =
            json!({"model": "tts-1", "input": "Алло", "voice": "alloy", "response_format": "wav"});
        assert_eq!(check_speech(&ok, Dialect::OpenAi), Ok(()));
        let no_voice = json!({"model": "tts-1", "input": "Алло"});
        assert_eq!(
            check_speech(&no_voice, Dialect::OpenAi),
            Err("Missing required parameter: 'voice'.".into())
        );
        assert_eq!(check_speech(&no_voice, Dialect::OpenRouter), Ok(()));
        for bad in [
            json!({"model": "m", "input": "", "voice": "v"}),
            json!({"model": "m", "input": "x".repeat(4097), "voice": "v"}),
            json!({"model": "m", "input": "x", "voice": "v", "response_format": "ogg"}),
            json!({"model": "m", "input": "x", "voice": "v", "speed": 5}),
            json!({"model": "m", "input": "x", "voice": "v", "language": "ru"}),
        ] {
            assert!(check_speech(&bad, Dialect::OpenAi).is_err(), "{bad}");
        }
    }

    #[test]
    fn uploads_need_a_known_file_a_model_and_a_known_format() {
        let field = |name: Option<&str>, value: &str| Field {
            file_name: name.map(str::to_owned),
            content_type: None,
            bytes: value.as_bytes().to_vec(),
        };
        let mut fields = BTreeMap::from([
            ("file".to_owned(), field(Some("a.wav"), "RIFF")),
            ("model".to_owned(), field(None, "whisper-1")),
        ]);
        assert_eq!(check_transcription(&fields), Ok(()));
        fields.insert("response_format".into(), field(None, "xml"));
        assert_eq!(
            check_transcription(&fields).unwrap_err().0,
            "Invalid response_format."
        );
        fields.remove("response_format");
        fields.insert("file".into(), field(Some("a.exe"), "MZ"));
        assert_eq!(
            check_transcription(&fields).unwrap_err().0,
            "Unrecognized file format."
        );
        fields.remove("file");
        assert_eq!(
            check_transcription(&fields).unwrap_err().0,
            "Missing required parameter: 'file'."
        );
    }

    #[test]
    fn a_streamed_wav_has_unknown_sizes_and_the_samples() {
        let wav = streamed_wav(&[1, -2]);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[4..8], &[0xff; 4]);
        assert_eq!(
            u32::from_le_bytes(wav[24..28].try_into().unwrap()),
            SPEECH_RATE
        );
        assert_eq!(&wav[40..44], &[0xff; 4]);
        assert_eq!(&wav[44..], &[1, 0, 0xfe, 0xff]);
    }
}
