//! Streaming completions without I/O: [`SseDecoder`] cuts a byte stream into server-sent-event
//! payloads, [`StreamAssembler`] turns the payloads into [`StreamEvent`]s (OpenRouter
//! reference B4). The client only moves bytes between the socket and these two, so every
//! framing case is testable with plain byte strings.

use super::error::LlmError;
use super::types::{ChatResponse, StreamEvent, Usage};
use super::wire::{empty_content, error_in, parse_body};

/// Incremental SSE framing. Bytes may arrive split anywhere, even inside a UTF-8 character, so
/// it buffers bytes and decodes whole lines only.
#[derive(Debug, Default)]
pub(super) struct SseDecoder {
    buf: Vec<u8>,
    /// `data:` lines of the event being read, joined by `\n` as the SSE spec says.
    data: Option<String>,
}

impl SseDecoder {
    /// Feeds received bytes; returns the data of every event they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buf.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut start = 0;
        while let Some(offset) = self.buf[start..].iter().position(|&b| b == b'\n') {
            let end = start + offset;
            let line = self.buf[start..end]
                .strip_suffix(b"\r")
                .unwrap_or(&self.buf[start..end]);
            let line = String::from_utf8_lossy(line).into_owned();
            start = end + 1;
            if let Some(event) = self.line(&line) {
                events.push(event);
            }
        }
        self.buf.drain(..start);
        events
    }

    /// The end of the byte stream: a last event not followed by a blank line still counts.
    pub fn finish(&mut self) -> Vec<String> {
        let mut events = Vec::new();
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            let line = String::from_utf8_lossy(&rest)
                .trim_end_matches('\r')
                .to_owned();
            events.extend(self.line(&line));
        }
        events.extend(self.data.take());
        events
    }

    fn line(&mut self, line: &str) -> Option<String> {
        if line.is_empty() {
            return self.data.take();
        }
        // Comments: OpenRouter's `: OPENROUTER PROCESSING` keep-alives.
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        if field == "data" {
            let value = value.strip_prefix(' ').unwrap_or(value);
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            }
        }
        // `event:`, `id:` and `retry:` carry nothing for chat completions.
        None
    }
}

/// Accumulates chunks into the final response.
#[derive(Debug, Default)]
pub(super) struct StreamAssembler {
    content: String,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    model: Option<String>,
    generation_id: Option<String>,
    finished: bool,
}

impl StreamAssembler {
    /// `generation_id` is the `X-Generation-Id` header, preferred over the chunks' `id`.
    pub fn new(generation_id: Option<String>) -> Self {
        Self {
            generation_id,
            ..Self::default()
        }
    }

    /// Whether the stream has ended (done or failed); later data is ignored.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Handles one event's data. An `Err` (or `Done`) ends the stream.
    pub fn on_data(&mut self, data: &str) -> Option<Result<StreamEvent, LlmError>> {
        if self.finished {
            return None;
        }
        if data.trim() == "[DONE]" {
            return Some(self.complete());
        }
        let chunk = match parse_body(data) {
            Ok(chunk) => chunk,
            Err(error) => return Some(self.fail(error)),
        };
        // Mid-stream errors keep HTTP 200 and come as a chunk with an `error` object (and a
        // choice with finish_reason "error"); the content so far has already been yielded.
        if let Some(failure) = error_in(&chunk) {
            return Some(self.fail(failure.error));
        }
        if self.generation_id.is_none() {
            self.generation_id = chunk.id;
        }
        if let Some(model) = chunk.model.filter(|m| !m.is_empty()) {
            self.model = Some(model);
        }
        // Usage comes once, in a last chunk whose `choices` is empty.
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.into());
        }
        let choice = chunk.choices.into_iter().next()?;
        if let Some(reason) = choice.finish_reason {
            self.finish_reason = Some(reason);
        }
        let delta = choice.delta?.text();
        if delta.is_empty() {
            return None;
        }
        self.content.push_str(&delta);
        Some(Ok(StreamEvent::Delta(delta)))
    }

    /// The byte stream ended. Servers that forget `[DONE]` but did finish are forgiven.
    pub fn on_eof(&mut self) -> Option<Result<StreamEvent, LlmError>> {
        if self.finished {
            return None;
        }
        if self.finish_reason.is_some() {
            return Some(self.complete());
        }
        Some(self.fail(LlmError::Network(
            "stream ended before the completion finished".to_owned(),
        )))
    }

    fn complete(&mut self) -> Result<StreamEvent, LlmError> {
        self.finished = true;
        if self.content.trim().is_empty() {
            return Err(empty_content().error);
        }
        Ok(StreamEvent::Done(ChatResponse {
            content: std::mem::take(&mut self.content),
            finish_reason: self.finish_reason.take(),
            usage: self.usage.take(),
            model: self.model.take().unwrap_or_default(),
            generation_id: self.generation_id.take(),
        }))
    }

    /// Ends the stream with a transport error (timeout, reset), unless it already ended.
    pub fn fail_with(&mut self, error: LlmError) -> Option<Result<StreamEvent, LlmError>> {
        (!self.finished).then(|| self.fail(error))
    }

    fn fail(&mut self, error: LlmError) -> Result<StreamEvent, LlmError> {
        self.finished = true;
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` split into pieces of `step` bytes and collects the event data.
    fn decode(input: &[u8], step: usize) -> Vec<String> {
        let mut decoder = SseDecoder::default();
        let mut events = Vec::new();
        for piece in input.chunks(step) {
            events.extend(decoder.feed(piece));
        }
        events.extend(decoder.finish());
        events
    }

    #[test]
    fn framing_survives_any_split() {
        let input = ": OPENROUTER PROCESSING\r\n\r\ndata: {\"a\":\"привет\"}\r\n\r\n\
                     event: x\ndata:one\ndata: two\n\n: ping\n\ndata: [DONE]";
        let expected = vec![
            "{\"a\":\"привет\"}".to_owned(),
            "one\ntwo".to_owned(),
            "[DONE]".to_owned(),
        ];
        for step in 1..=input.len() {
            assert_eq!(decode(input.as_bytes(), step), expected, "step {step}");
        }
    }

    fn run(events: &[&str]) -> Vec<Result<StreamEvent, LlmError>> {
        let mut assembler = StreamAssembler::new(None);
        let mut out: Vec<_> = events.iter().filter_map(|e| assembler.on_data(e)).collect();
        out.extend(assembler.on_eof());
        out
    }

    #[test]
    fn assembles_content_and_usage() {
        let out = run(&[
            r#"{"id":"gen-1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"#,
            r#"{"id":"gen-1","model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
            r#"{"id":"gen-1","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"cost":0.001}}"#,
            "[DONE]",
        ]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], Ok(StreamEvent::Delta("Hel".into())));
        let Ok(StreamEvent::Done(done)) = &out[2] else {
            panic!("{out:?}")
        };
        assert_eq!(done.content, "Hello");
        assert_eq!(done.generation_id.as_deref(), Some("gen-1"));
        assert_eq!(done.usage.unwrap().cost, Some(0.001));
    }

    #[test]
    fn endings() {
        // cut before finishing
        let out = run(&[r#"{"choices":[{"delta":{"content":"a"}}]}"#]);
        assert!(matches!(out[1], Err(LlmError::Network(_))));
        // no [DONE] but a finish reason
        let out = run(&[r#"{"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}]}"#]);
        assert!(matches!(out[1], Ok(StreamEvent::Done(_))));
        // empty completion
        let out = run(&["[DONE]"]);
        assert!(matches!(out[0], Err(LlmError::Malformed { .. })));
        // garbage, then nothing more
        let out = run(&["<html>", r#"{"choices":[{"delta":{"content":"a"}}]}"#]);
        assert_eq!(out.len(), 1);
        assert!(matches!(out[0], Err(LlmError::Malformed { .. })));
    }
}
