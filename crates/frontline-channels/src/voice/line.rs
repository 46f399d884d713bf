//! A phone line's settings: a voice account's `settings` JSON, owned and parsed here.

use serde::{Deserialize, Serialize};

use super::vad::VadSettings;

/// What a voice line says and how it listens. Every field has a default, so `{}` is a working line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LineSettings {
    /// `ru` or `en`, fixed for the line; `auto` lets the recogniser detect it once, on the caller's
    /// first utterance (detection costs a full recognition window, so only once).
    pub language: String,
    pub greeting: String,
    /// Said when the caller is silent for `reprompt_after_secs`.
    pub reprompt: String,
    /// Said before hanging up after `max_reprompts` unanswered re-prompts.
    pub goodbye: String,
    /// Said when recognition heard nothing usable.
    pub not_heard: String,
    /// Said before the call is transferred to an operator, unless the bot just said goodbye itself.
    pub transfer_notice: String,
    /// Said when the transfer failed: somebody will call back.
    pub transfer_failed: String,
    pub reprompt_after_secs: u64,
    pub max_reprompts: u32,
    /// Digits typed on the keypad are sent after `#` or after this pause.
    pub dtmf_timeout_ms: u64,
    /// Whether the caller's speech interrupts the bot.
    pub barge_in: bool,
    pub vad: VadConfig,
    /// How to hand the call itself to operators (see [`super::transfer`]); `None`: the conversation
    /// goes to operators and the caller is told someone will call back.
    pub transfer: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VadConfig {
    pub silence_ms: u64,
    pub min_speech_ms: u64,
    pub max_utterance_ms: u64,
    pub start_ms: u64,
    /// Silence after which the speech so far is recognised early (0: off).
    pub pause_ms: u64,
}

impl Default for VadConfig {
    fn default() -> Self {
        let d = VadSettings::default();
        Self {
            silence_ms: d.silence_ms,
            min_speech_ms: d.min_speech_ms,
            max_utterance_ms: d.max_utterance_ms,
            start_ms: d.start_ms,
            pause_ms: d.pause_ms,
        }
    }
}

impl VadConfig {
    pub fn to_settings(&self) -> VadSettings {
        VadSettings {
            silence_ms: self.silence_ms.clamp(100, 5_000),
            min_speech_ms: self.min_speech_ms.min(5_000),
            max_utterance_ms: self.max_utterance_ms.clamp(1_000, 30_000),
            start_ms: self.start_ms.clamp(20, 1_000),
            pause_ms: self.pause_ms.min(5_000),
            ..VadSettings::default()
        }
    }
}

impl Default for LineSettings {
    fn default() -> Self {
        Self {
            language: "ru".into(),
            greeting: "Здравствуйте! Я виртуальный помощник. Чем могу помочь?".into(),
            reprompt: "Вы меня слышите? Скажите, чем я могу помочь.".into(),
            goodbye: "Не слышу вас. Перезвоните, пожалуйста. До свидания!".into(),
            not_heard: "Извините, не расслышал. Повторите, пожалуйста.".into(),
            transfer_notice: "Соединяю с оператором, оставайтесь на линии.".into(),
            transfer_failed:
                "Не удалось соединить с оператором. Мы перезвоним вам в ближайшее время.".into(),
            reprompt_after_secs: 8,
            max_reprompts: 2,
            dtmf_timeout_ms: 2_000,
            barge_in: true,
            vad: VadConfig::default(),
            transfer: None,
        }
    }
}

impl LineSettings {
    /// Parse an account's settings; `None` or empty means the defaults.
    pub fn parse(json: Option<&str>) -> Result<Self, serde_json::Error> {
        match json.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Self::default()),
            Some(text) => {
                let mut s: LineSettings = serde_json::from_str(text)?;
                s.language = s.language.trim().to_ascii_lowercase();
                if !matches!(s.language.as_str(), "ru" | "en" | "auto") {
                    return Err(serde::de::Error::custom(format!(
                        "language `{}`: use ru, en or auto",
                        s.language
                    )));
                }
                Ok(s)
            }
        }
    }

    /// The language fixed for recognition, or `None` to detect.
    pub fn fixed_language(&self) -> Option<&str> {
        (self.language != "auto").then_some(self.language.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_settings_are_a_working_russian_line() {
        let s = LineSettings::parse(None).unwrap();
        assert_eq!(s.fixed_language(), Some("ru"));
        assert!(s.greeting.contains("Здравствуйте"));
        assert_eq!(LineSettings::parse(Some(" ")).unwrap(), s);
    }

    #[test]
    fn fields_are_checked() {
        let s =
            LineSettings::parse(Some(r#"{"language":"AUTO","vad":{"silence_ms":350}}"#)).unwrap();
        assert_eq!(s.fixed_language(), None);
        assert_eq!(s.vad.to_settings().silence_ms, 350);
        assert!(LineSettings::parse(Some(r#"{"language":"de"}"#)).is_err());
        assert!(LineSettings::parse(Some(r#"{"greting":"typo"}"#)).is_err());
    }
}
