//! Images and voice messages brought into frontline's media store, since Avito's URLs need the
//! account's token and voice URLs expire after an hour (A4 #9); and voice messages transcribed,
//! when a recogniser is set, so the bot answers the customer's words. A failure here never holds a
//! message up: it goes on with a link, or as audio only.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use frontline_domain::{Attachment, AttachmentKind, MAX_MESSAGE_CHARS, NewMedia};
use tracing::{info, warn};

use super::{
    accounts::ReadyAccount,
    channel::{AvitoChannel, bump},
};
use crate::{
    audio::{
        RECOGNITION_RATE,
        decode::{DecodeError, decode_to_pcm},
    },
    speech::{Recognizer, SpeechError},
};

/// Where stored media is served; attachments of Avito messages point here.
pub const MEDIA_PATH: &str = "/api/v1/media/";

/// The recogniser voice messages are transcribed with.
#[derive(Debug)]
pub(super) struct VoiceRecognition {
    pub(super) recognizer: Arc<dyn Recognizer>,
    /// ISO 639-1, or `None` to let the recogniser detect it.
    pub(super) language: Option<String>,
}

/// Why a voice message stayed untranscribed (logged, never surfaced: the message goes on).
#[derive(Debug, thiserror::Error)]
enum VoiceError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Speech(#[from] SpeechError),
    #[error("transcription took longer than {0:?}")]
    OverBudget(Duration),
}

/// What a transcribed voice message's text starts with, so operators (and exports) can tell the
/// recogniser's words from typed ones.
const TRANSCRIPT_MARK: &str = "🎤 ";

impl AvitoChannel {
    /// A voice message: its audio fetched into the media store (the URL expires, A4 #9) and, when a
    /// recogniser is set, its words as the text. Without words the text stays empty (the bot asks
    /// the customer to write) or, when not even the audio could be fetched, says so.
    pub(super) async fn render_voice(
        &self,
        acct: &ReadyAccount,
        voice_id: &str,
        fetch: bool,
    ) -> (String, Vec<Attachment>) {
        let mut downloaded = None;
        if fetch {
            match self
                .0
                .client
                .voice_urls(&acct.auth, &[voice_id.to_string()])
                .await
            {
                Ok(urls) => match urls.get(voice_id) {
                    Some(url) => downloaded = self.download(acct, url).await,
                    None => warn!(voice = %voice_id, "avito gave no URL for a voice message"),
                },
                Err(e) => warn!(voice = %voice_id, error = %e, "voice URL unavailable"),
            }
        }
        let Some((bytes, mime)) = downloaded else {
            return (
                format!("[голосовое сообщение {voice_id}: не загружено]"),
                Vec::new(),
            );
        };
        let words = self.transcribe(acct, voice_id, &bytes).await;
        let attachment = self
            .keep_media(acct, bytes, mime, AttachmentKind::Voice, "voice.mp4")
            .await;
        match (words, attachment) {
            (Some(words), attachment) => (
                format!("{TRANSCRIPT_MARK}{words}"),
                attachment.into_iter().collect(),
            ),
            (None, Some(a)) => (String::new(), vec![a]),
            (None, None) => (
                format!("[голосовое сообщение {voice_id}: не загружено]"),
                Vec::new(),
            ),
        }
    }

    /// The words of a voice message, when a recogniser is set and hears some within the time
    /// budget. Every failure only logs: the message goes on as audio, never lost or held up.
    async fn transcribe(
        &self,
        acct: &ReadyAccount,
        voice_id: &str,
        audio: &[u8],
    ) -> Option<String> {
        let recognition = self
            .0
            .voice
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        let budget = self
            .0
            .settings
            .transcription_timeout
            .min(self.0.settings.delivery_lease / 2);
        let started = Instant::now();
        let work = async {
            // The semaphore is never closed, so this only waits for a turn.
            let _turn = self.0.transcriptions.acquire().await;
            let pcm = decode_to_pcm(audio, RECOGNITION_RATE, &self.0.settings.voice_decode).await?;
            let heard = recognition
                .recognizer
                .transcribe(&pcm, recognition.language.as_deref())
                .await?;
            Ok::<_, VoiceError>((pcm.duration_ms(), heard))
        };
        let outcome = tokio::time::timeout(budget, work)
            .await
            .unwrap_or(Err(VoiceError::OverBudget(budget)));
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let recognizer = recognition.recognizer.name();
        match outcome {
            Ok((audio_ms, heard)) if !heard.text.trim().is_empty() => {
                bump(&self.0.stats.voice_transcribed);
                info!(account = acct.id().0, voice = %voice_id, recognizer, audio_ms, elapsed_ms, language = ?heard.language, "voice message transcribed");
                // Room for the mark within the message limit; a recogniser never writes that much
                // for a voice message, but a runaway one must not make the message unstorable.
                let limit = MAX_MESSAGE_CHARS - TRANSCRIPT_MARK.chars().count();
                Some(heard.text.trim().chars().take(limit).collect())
            }
            Ok((audio_ms, _)) => {
                bump(&self.0.stats.voice_untranscribed);
                warn!(account = acct.id().0, voice = %voice_id, recognizer, audio_ms, elapsed_ms, "voice message recognised as no words; kept as audio");
                None
            }
            Err(e) => {
                bump(&self.0.stats.voice_untranscribed);
                warn!(account = acct.id().0, voice = %voice_id, recognizer, elapsed_ms, error = %e, "voice message not transcribed; kept as audio");
                None
            }
        }
    }

    pub(super) async fn fetch_into_media(
        &self,
        acct: &ReadyAccount,
        url: &str,
        kind: AttachmentKind,
        name: &str,
    ) -> Option<Attachment> {
        let (bytes, mime) = self.download(acct, url).await?;
        self.keep_media(acct, bytes, mime, kind, name).await
    }

    pub(super) async fn download(
        &self,
        acct: &ReadyAccount,
        url: &str,
    ) -> Option<(Vec<u8>, Option<String>)> {
        match self.0.client.fetch_media(&acct.auth, url).await {
            Ok(x) => Some(x),
            Err(e) => {
                warn!(account = acct.id().0, error = %e, "media download failed; keeping the link");
                None
            }
        }
    }

    /// Stores downloaded media; `None` (logged) when the store refuses it.
    async fn keep_media(
        &self,
        acct: &ReadyAccount,
        bytes: Vec<u8>,
        mime: Option<String>,
        kind: AttachmentKind,
        name: &str,
    ) -> Option<Attachment> {
        let mime = mime
            .map(|m| m.split(';').next().unwrap_or_default().trim().to_string())
            .filter(|m| m.contains('/'))
            .unwrap_or_else(|| match kind {
                AttachmentKind::Voice => "audio/mp4".into(),
                _ => "application/octet-stream".into(),
            });
        let name = match (kind, mime.as_str()) {
            (AttachmentKind::Voice, _) => name.to_string(),
            (_, "image/png") => "image.png".into(),
            (_, "image/gif") => "image.gif".into(),
            (_, "image/webp") => "image.webp".into(),
            (_, "image/svg+xml") => "image.svg".into(),
            _ => name.to_string(),
        };
        let name = name.as_str();
        let size = bytes.len() as i64;
        match self
            .store()
            .save_media(NewMedia {
                account_id: Some(acct.id()),
                mime: mime.clone(),
                name: Some(name.to_string()),
                bytes,
            })
            .await
        {
            Ok(media) => Some(Attachment {
                kind,
                url: format!("{MEDIA_PATH}{}", media.id.0),
                name: Some(name.to_string()),
                mime: Some(mime),
                size: Some(size),
            }),
            Err(e) => {
                warn!(error = %e, "storing media failed; keeping the link");
                None
            }
        }
    }
}

pub(super) fn image_attachments(attachments: &[Attachment]) -> impl Iterator<Item = &Attachment> {
    attachments
        .iter()
        .filter(|a| a.kind == AttachmentKind::Image)
}
