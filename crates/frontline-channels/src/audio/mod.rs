//! Audio as the channels handle it, so phone calls and Avito's voice messages reach a recogniser in
//! one form: mono 16-bit PCM with its rate, the telephone 20 ms frame, G.711 μ-law, resampling and
//! WAV files (read leniently: espeak-ng writes a streaming header).
//!
//! [`decode`] turns compressed audio (Avito's Opus-in-MP4 voice messages) into the same PCM.

pub mod decode;

use rubato::{FftFixedIn, Resampler};

/// The telephone rate both adapters speak (AudioSocket `slin`, Twilio μ-law).
pub const PHONE_RATE: u32 = 8_000;
/// The rate Whisper and most recognisers want.
pub const RECOGNITION_RATE: u32 = 16_000;
/// One telephone frame: 20 ms at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;
pub const FRAME_MS: u64 = 20;

/// Mono signed 16-bit samples at `rate` Hz.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pcm {
    pub rate: u32,
    pub samples: Vec<i16>,
}

impl Pcm {
    pub fn new(rate: u32, samples: Vec<i16>) -> Self {
        Self { rate, samples }
    }

    pub fn duration_ms(&self) -> u64 {
        if self.rate == 0 {
            return 0;
        }
        self.samples.len() as u64 * 1000 / u64::from(self.rate)
    }

    /// The same sound at `rate`.
    pub fn resampled(&self, rate: u32) -> Pcm {
        Pcm::new(rate, resample(&self.samples, self.rate, rate))
    }

    /// Samples as `f32` in [-1, 1], as recognisers take them.
    pub fn to_f32(&self) -> Vec<f32> {
        self.samples
            .iter()
            .map(|&s| f32::from(s) / 32768.0)
            .collect()
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AudioError {
    #[error("not a WAV file: {0}")]
    NotWav(&'static str),
    #[error("unsupported WAV format: {0}")]
    Unsupported(String),
}

/// μ-law byte to a linear sample.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    audio_codec_algorithms::decode_ulaw(byte)
}

/// A linear sample to μ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    audio_codec_algorithms::encode_ulaw(sample)
}

pub fn decode_ulaw(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().map(|&b| ulaw_to_linear(b)).collect()
}

pub fn encode_ulaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| linear_to_ulaw(s)).collect()
}

/// Little-endian 16-bit PCM bytes (AudioSocket's `slin`) to samples; an odd last byte is dropped.
pub fn slin_to_samples(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

pub fn samples_to_slin(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Band-limited resampling of a whole clip (FFT resampler: speech-quality low-pass, so 22.05 kHz
/// synthesis does not alias when it goes down to the telephone's 8 kHz).
pub fn resample(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || samples.is_empty() || from == 0 || to == 0 {
        return samples.to_vec();
    }
    const CHUNK: usize = 1024;
    let Ok(mut resampler) = FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, 1) else {
        return linear_resample(samples, from, to);
    };
    let delay = resampler.output_delay();
    let expected = (samples.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let input: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let mut out: Vec<f32> = Vec::with_capacity(expected + delay + CHUNK);
    let mut pos = 0;
    // Feed whole chunks, then zeros until the delayed tail has come out.
    while out.len() < expected + delay {
        let need = resampler.input_frames_next();
        let mut chunk = vec![0f32; need];
        if pos < input.len() {
            let n = need.min(input.len() - pos);
            chunk[..n].copy_from_slice(&input[pos..pos + n]);
            pos += n;
        }
        match resampler.process(&[chunk], None) {
            Ok(frames) => out.extend_from_slice(&frames[0]),
            Err(_) => return linear_resample(samples, from, to),
        }
    }
    out.into_iter()
        .skip(delay)
        .take(expected)
        .map(|v| (v * 32768.0).clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// Linear interpolation: cheap, for streams where a few samples of imaging do not matter (feeding
/// the voice-activity detector).
pub fn linear_resample(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || samples.is_empty() {
        return samples.to_vec();
    }
    let n = (samples.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    (0..n)
        .map(|i| {
            let x = i as f64 * f64::from(from) / f64::from(to);
            let i0 = x.floor() as usize;
            let i1 = (i0 + 1).min(samples.len() - 1);
            let frac = x - i0 as f64;
            (f64::from(samples[i0]) * (1.0 - frac) + f64::from(samples[i1]) * frac) as i16
        })
        .collect()
}

/// Read a mono or stereo 16-bit PCM WAV (stereo is mixed down). Lenient about the sizes in the
/// header: espeak-ng's `--stdout` writes 0xFFFFFFFF for a stream of unknown length.
pub fn read_wav(bytes: &[u8]) -> Result<Pcm, AudioError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(AudioError::NotWav("missing RIFF/WAVE header"));
    }
    let mut pos = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if body + 16 > bytes.len() {
                return Err(AudioError::NotWav("truncated fmt chunk"));
            }
            let f = &bytes[body..body + 16];
            format = Some((
                u16::from_le_bytes([f[0], f[1]]),
                u16::from_le_bytes([f[2], f[3]]),
                u32::from_le_bytes([f[4], f[5], f[6], f[7]]),
                u16::from_le_bytes([f[14], f[15]]),
            ));
        } else if id == b"data" {
            let (tag, channels, rate, bits) =
                format.ok_or(AudioError::NotWav("data before fmt"))?;
            // 1 = PCM, 0xFFFE = WAVE_FORMAT_EXTENSIBLE (PCM subformat assumed from the bits).
            if (tag != 1 && tag != 0xFFFE) || bits != 16 || channels == 0 {
                return Err(AudioError::Unsupported(format!(
                    "format tag {tag}, {bits} bits, {channels} channels (want 16-bit PCM)"
                )));
            }
            let end = body.saturating_add(size).min(bytes.len());
            let interleaved = slin_to_samples(&bytes[body..end]);
            let channels = usize::from(channels);
            let samples = if channels == 1 {
                interleaved
            } else {
                interleaved
                    .chunks_exact(channels)
                    .map(|c| {
                        (c.iter().map(|&s| i32::from(s)).sum::<i32>() / channels as i32) as i16
                    })
                    .collect()
            };
            return Ok(Pcm::new(rate, samples));
        }
        pos = body.saturating_add(size + (size & 1));
    }
    Err(AudioError::NotWav("no data chunk"))
}

/// A mono 16-bit PCM WAV file.
pub fn write_wav(pcm: &Pcm) -> Vec<u8> {
    let data_len = (pcm.samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&pcm.rate.to_le_bytes());
    out.extend_from_slice(&(pcm.rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(&samples_to_slin(&pcm.samples));
    out
}

/// The clip without its leading and trailing silence (20 ms frames below `threshold` RMS), so a
/// caller's "end of speech" is where the voice ends, not where the file does.
pub fn trim_silence(pcm: &Pcm, threshold: f64) -> Pcm {
    let frame = (pcm.rate as usize / 50).max(1);
    let frames: Vec<&[i16]> = pcm.samples.chunks(frame).collect();
    let loud = |f: &&[i16]| rms(f) >= threshold;
    let (Some(first), Some(last)) = (frames.iter().position(loud), frames.iter().rposition(loud))
    else {
        return Pcm::new(pcm.rate, Vec::new());
    };
    let end = ((last + 1) * frame).min(pcm.samples.len());
    Pcm::new(pcm.rate, pcm.samples[first * frame..end].to_vec())
}

/// Root-mean-square level of a frame, 0..=32767.
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, ms: u64) -> Vec<i16> {
        let n = (u64::from(rate) * ms / 1000) as usize;
        (0..n)
            .map(|i| {
                ((i as f64 * hz * std::f64::consts::TAU / f64::from(rate)).sin() * 12000.0) as i16
            })
            .collect()
    }

    #[test]
    fn ulaw_round_trip_keeps_speech_levels() {
        for s in [-32000i16, -1000, -1, 0, 1, 1000, 32000] {
            let back = ulaw_to_linear(linear_to_ulaw(s));
            let err = (i32::from(back) - i32::from(s)).abs();
            assert!(err <= (i32::from(s).abs() / 16).max(8), "{s} -> {back}");
        }
        // Silence is 0xFF in μ-law.
        assert_eq!(linear_to_ulaw(0), 0xFF);
    }

    #[test]
    fn resampling_keeps_length_and_level() {
        let x = tone(22_050, 440.0, 1000);
        let y = resample(&x, 22_050, 8_000);
        assert_eq!(y.len(), 8_000);
        let (a, b) = (rms(&x), rms(&y));
        assert!((a - b).abs() / a < 0.05, "rms {a} vs {b}");
        let z = resample(&tone(8_000, 300.0, 500), 8_000, 16_000);
        assert_eq!(z.len(), 8_000);
    }

    #[test]
    fn a_tone_above_the_new_nyquist_is_filtered_not_folded() {
        // 6 kHz at 22.05 kHz would fold to 2 kHz at 8 kHz without the low-pass.
        let y = resample(&tone(22_050, 6_000.0, 500), 22_050, 8_000);
        assert!(rms(&y[400..]) < 600.0, "rms {}", rms(&y[400..]));
    }

    #[test]
    fn wav_round_trip_and_streaming_header() {
        let pcm = Pcm::new(8_000, tone(8_000, 300.0, 100));
        let bytes = write_wav(&pcm);
        assert_eq!(read_wav(&bytes).unwrap(), pcm);
        // espeak-ng --stdout: sizes unknown.
        let mut streaming = bytes.clone();
        streaming[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        streaming[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(read_wav(&streaming).unwrap(), pcm);
        assert_eq!(
            read_wav(b"nope"),
            Err(AudioError::NotWav("missing RIFF/WAVE header"))
        );
    }

    #[test]
    fn silence_is_trimmed_at_both_ends_only() {
        let mut samples = vec![0i16; 800];
        samples.extend(tone(8_000, 300.0, 100));
        samples.extend(vec![0i16; 160]);
        samples.extend(tone(8_000, 300.0, 100));
        samples.extend(vec![3i16; 1600]);
        let trimmed = trim_silence(&Pcm::new(8_000, samples), 100.0);
        assert_eq!(trimmed.samples.len(), 800 + 160 + 800);
        assert!(
            trim_silence(&Pcm::new(8_000, vec![0; 100]), 100.0)
                .samples
                .is_empty()
        );
    }

    #[test]
    fn slin_is_little_endian() {
        assert_eq!(slin_to_samples(&[0x01, 0x02, 0xff]), vec![0x0201]);
        assert_eq!(samples_to_slin(&[0x0201, -1]), vec![0x01, 0x02, 0xff, 0xff]);
    }
}
