//! Compressed audio to PCM: Avito's voice messages (Opus inside an MP4 container) and anything else
//! a recogniser should hear, decoded by Debian's `ffmpeg` run as a subprocess.
//!
//! Why a subprocess: no pure-Rust stack decodes Opus-in-MP4. Symphonia demuxes MP4 but has no Opus
//! decoder; the Opus crates (`opus`, `audiopus`) bind libopus through C and still need an MP4
//! demuxer beside them. `ffmpeg` is one Debian package that does both, is already how the voice
//! tooling makes its fixtures, and keeps a crash on a hostile file outside our process. The input
//! is untrusted, so it is bounded on every side: its size, the decoded duration (`-t`), the wall
//! time (the process is killed on timeout), and the protocols ffmpeg may open (the temporary file
//! only, so a crafted container cannot make it fetch anything).
//!
//! MP4 keeps its index (`moov`) wherever the muxer put it, usually at the end, so ffmpeg must seek:
//! the bytes go through a temporary file (deleted when decoding ends), not stdin.

use std::{io::Write, path::PathBuf, process::Stdio, time::Duration};

use tokio::process::Command;

use super::{Pcm, slin_to_samples};

/// Limits and the program used.
#[derive(Debug, Clone)]
pub struct DecodeSettings {
    /// The program; `ffmpeg` on the PATH by default.
    pub program: PathBuf,
    /// Wall time for one decode, after which ffmpeg is killed.
    pub timeout: Duration,
    /// Larger inputs are refused before anything runs (Avito's media downloads stop at 25 MiB).
    pub max_input_bytes: usize,
    /// Audio past this is not decoded: it bounds the PCM held in memory (16 kHz mono is 32 kB/s).
    pub max_duration: Duration,
}

impl Default for DecodeSettings {
    fn default() -> Self {
        Self {
            program: PathBuf::from("ffmpeg"),
            timeout: Duration::from_secs(15),
            max_input_bytes: 25 * 1024 * 1024,
            max_duration: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The decoder cannot run at all: a configuration problem, not this file's fault.
    #[error("audio decoder unavailable: {0}")]
    Unavailable(String),
    #[error("audio is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("unsupported output rate {0} Hz")]
    InvalidRate(u32),
    #[error("audio decoding timed out after {0:?}")]
    Timeout(Duration),
    /// The input is not audio ffmpeg can read, or ffmpeg failed on it.
    #[error("audio decoding failed: {0}")]
    Failed(String),
    /// It decoded to no samples at all.
    #[error("the input holds no audio")]
    Empty,
    #[error("temporary audio file: {0}")]
    TempFile(#[source] std::io::Error),
}

/// Decode `bytes` (any container and codec ffmpeg reads) to mono 16-bit PCM at `rate` Hz.
pub async fn decode_to_pcm(
    bytes: &[u8],
    rate: u32,
    settings: &DecodeSettings,
) -> Result<Pcm, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > settings.max_input_bytes {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            limit: settings.max_input_bytes,
        });
    }
    if !(1_000..=192_000).contains(&rate) {
        return Err(DecodeError::InvalidRate(rate));
    }
    let owned = bytes.to_vec();
    // Writing a few megabytes is blocking I/O: off the runtime's threads.
    let input = tokio::task::spawn_blocking(move || {
        let mut file = tempfile::Builder::new()
            .prefix("frontline-audio-")
            .tempfile()?;
        file.write_all(&owned)?;
        file.flush()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| DecodeError::TempFile(std::io::Error::other(e)))?
    .map_err(DecodeError::TempFile)?;

    let child = Command::new(&settings.program)
        .args(["-nostdin", "-hide_banner", "-loglevel", "error"])
        // An input option: the container may only open the file itself.
        .args(["-protocol_whitelist", "file", "-i"])
        .arg(input.path())
        .args(["-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar"])
        .arg(rate.to_string())
        .arg("-t")
        .arg(format!("{:.3}", settings.max_duration.as_secs_f64()))
        .args(["-f", "s16le", "-acodec", "pcm_s16le", "pipe:1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            DecodeError::Unavailable(format!(
                "cannot run {}: {e} (install Debian's ffmpeg)",
                settings.program.display()
            ))
        })?;
    // Dropping the future on timeout drops the child, which kills it (`kill_on_drop`).
    let output = tokio::time::timeout(settings.timeout, child.wait_with_output())
        .await
        .map_err(|_| DecodeError::Timeout(settings.timeout))?
        .map_err(|e| DecodeError::Failed(format!("waiting for ffmpeg: {e}")))?;
    drop(input);
    if !output.status.success() {
        return Err(DecodeError::Failed(format!(
            "ffmpeg exited with {}: {}",
            output.status,
            last_line(&output.stderr)
        )));
    }
    let samples = slin_to_samples(&output.stdout);
    if samples.is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(Pcm::new(rate, samples))
}

/// ffmpeg's last complaint, bounded: stderr of a corrupt file can repeat an error per packet.
fn last_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    line.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use std::process::Command as StdCommand;

    use super::*;

    /// A sine tone of `secs` encoded by ffmpeg as Opus in MP4, as Avito serves voice messages.
    fn tone_mp4(freq: u32, secs: f64) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("tone.mp4");
        let status = StdCommand::new("ffmpeg")
            .args([
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
            ])
            .arg("-i")
            .arg(format!(
                "sine=frequency={freq}:sample_rate=48000:duration={secs}"
            ))
            .args(["-c:a", "libopus", "-b:a", "32k", "-f", "mp4"])
            .arg(&out)
            .status()
            .expect("ffmpeg is installed (scripts/ensure-voice-deps)");
        assert!(status.success());
        std::fs::read(out).unwrap()
    }

    /// Upward zero crossings per second: the frequency of a pure tone.
    fn frequency(pcm: &Pcm) -> f64 {
        let ups = pcm
            .samples
            .windows(2)
            .filter(|w| w[0] < 0 && w[1] >= 0)
            .count();
        ups as f64 * f64::from(pcm.rate) / pcm.samples.len() as f64
    }

    #[tokio::test]
    async fn opus_in_mp4_decodes_to_pcm_of_its_duration_and_pitch() {
        let mp4 = tone_mp4(440, 1.5);
        assert_eq!(&mp4[4..8], b"ftyp", "an MP4 container");
        for rate in [16_000, 8_000] {
            let pcm = decode_to_pcm(&mp4, rate, &DecodeSettings::default())
                .await
                .unwrap();
            assert_eq!(pcm.rate, rate);
            let ms = pcm.duration_ms() as i64;
            assert!((ms - 1500).abs() <= 50, "{ms} ms at {rate} Hz");
            let f = frequency(&pcm);
            assert!((f - 440.0).abs() < 10.0, "{f} Hz at {rate} Hz");
            assert!(crate::audio::rms(&pcm.samples) > 1000.0);
        }
    }

    #[tokio::test]
    async fn decoding_stops_at_the_duration_limit() {
        let mp4 = tone_mp4(300, 3.0);
        let settings = DecodeSettings {
            max_duration: Duration::from_millis(1000),
            ..DecodeSettings::default()
        };
        let pcm = decode_to_pcm(&mp4, 16_000, &settings).await.unwrap();
        let ms = pcm.duration_ms() as i64;
        assert!((ms - 1000).abs() <= 50, "{ms} ms");
    }

    #[tokio::test]
    async fn bytes_that_are_not_audio_fail_cleanly() {
        let err = decode_to_pcm(
            b"\x00\x00\x00\x18ftypmp42voice",
            16_000,
            &DecodeSettings::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, DecodeError::Failed(_)), "{err:?}");
        let err = decode_to_pcm(b"", 16_000, &DecodeSettings::default())
            .await
            .unwrap_err();
        assert!(matches!(err, DecodeError::Empty), "{err:?}");
    }

    #[tokio::test]
    async fn limits_are_checked_before_anything_runs() {
        let settings = DecodeSettings {
            program: "/nonexistent/ffmpeg".into(),
            max_input_bytes: 4,
            ..DecodeSettings::default()
        };
        let err = decode_to_pcm(b"12345", 16_000, &settings)
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecodeError::TooLarge { size: 5, limit: 4 }),
            "{err:?}"
        );
        let err = decode_to_pcm(b"1234", 0, &settings).await.unwrap_err();
        assert!(matches!(err, DecodeError::InvalidRate(0)), "{err:?}");
    }

    #[tokio::test]
    async fn a_missing_program_is_unavailable_not_a_crash() {
        let settings = DecodeSettings {
            program: "/nonexistent/ffmpeg".into(),
            ..DecodeSettings::default()
        };
        let err = decode_to_pcm(&tone_mp4(440, 0.2), 16_000, &settings)
            .await
            .unwrap_err();
        assert!(matches!(err, DecodeError::Unavailable(_)), "{err:?}");
        assert!(err.to_string().contains("ffmpeg"), "{err}");
    }

    #[tokio::test]
    async fn a_hung_decoder_is_killed_at_the_timeout() {
        // A stand-in program that never answers, like ffmpeg stuck on a pathological file.
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("hangs");
        // Written by a child shell, never by this process: a file this (multi-threaded) test
        // process held open for writing could leak into another test's fork and make exec fail
        // with "text file busy".
        let made = StdCommand::new("sh")
            .arg("-c")
            .arg(r#"printf '#!/bin/sh\nexec sleep 30\n' > "$1" && chmod +x "$1""#)
            .arg("sh")
            .arg(&program)
            .status()
            .unwrap();
        assert!(made.success());
        let settings = DecodeSettings {
            program,
            timeout: Duration::from_millis(300),
            ..DecodeSettings::default()
        };
        let started = std::time::Instant::now();
        let err = decode_to_pcm(b"anything", 16_000, &settings)
            .await
            .unwrap_err();
        assert!(matches!(err, DecodeError::Timeout(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
