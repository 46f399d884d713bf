//! The offline default synthesiser: espeak-ng run as a subprocess (GPL-3, so it is not linked),
//! Russian and English voices from Debian's `espeak-ng` package. Robotic but intelligible, and fast
//! (tens of milliseconds a sentence), which keeps the first reply byte early.

use std::{path::PathBuf, process::Stdio, time::Duration};

use async_trait::async_trait;
use tokio::{io::AsyncWriteExt, process::Command};

use super::{SpeechError, Synthesizer};
use crate::audio::{Pcm, read_wav};

#[derive(Debug, Clone)]
pub struct EspeakSettings {
    /// The program; `espeak-ng` on the PATH by default.
    pub program: PathBuf,
    /// Words per minute.
    pub speed: u32,
    /// espeak-ng voice for Russian and for English.
    pub voice_ru: String,
    pub voice_en: String,
    pub timeout: Duration,
}

impl Default for EspeakSettings {
    fn default() -> Self {
        Self {
            program: PathBuf::from("espeak-ng"),
            speed: 165,
            voice_ru: "ru".into(),
            voice_en: "en-us".into(),
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Espeak {
    settings: EspeakSettings,
}

impl Espeak {
    pub fn new(settings: EspeakSettings) -> Self {
        Self { settings }
    }

    fn voice(&self, language: &str) -> &str {
        match language {
            "en" => &self.settings.voice_en,
            _ => &self.settings.voice_ru,
        }
    }
}

#[async_trait]
impl Synthesizer for Espeak {
    fn name(&self) -> &str {
        "espeak-ng"
    }

    async fn synthesize(&self, text: &str, language: &str) -> Result<Pcm, SpeechError> {
        // Text goes through stdin, never the command line: no length limit, nothing parsed as a flag.
        let mut child = Command::new(&self.settings.program)
            .args(["-v", self.voice(language), "-s"])
            .arg(self.settings.speed.to_string())
            .args(["-b", "1", "--stdin", "--stdout"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                SpeechError::Unavailable(format!(
                    "cannot run {}: {e} (install Debian's espeak-ng)",
                    self.settings.program.display()
                ))
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(text.as_bytes())
                .await
                .map_err(|e| SpeechError::Failed(format!("writing to espeak-ng: {e}")))?;
        }
        let output = tokio::time::timeout(self.settings.timeout, child.wait_with_output())
            .await
            .map_err(|_| SpeechError::Timeout(self.settings.timeout))?
            .map_err(|e| SpeechError::Failed(format!("espeak-ng: {e}")))?;
        if !output.status.success() {
            return Err(SpeechError::Failed(format!(
                "espeak-ng exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        read_wav(&output.stdout).map_err(|e| SpeechError::Failed(format!("espeak-ng output: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_program_is_unavailable_not_a_crash() {
        let e = Espeak::new(EspeakSettings {
            program: "/nonexistent/espeak-ng".into(),
            ..EspeakSettings::default()
        });
        let err = e.synthesize("привет", "ru").await.unwrap_err();
        assert!(matches!(err, SpeechError::Unavailable(_)), "{err:?}");
    }
}
