//! Streaming voice-activity detection and end-of-utterance: telephone frames in, "the caller started
//! speaking" (for barge-in) and finished utterances (for recognition) out.
//!
//! The detector is earshot's small neural VAD (pure Rust, weights inside the crate), which wants
//! 16 kHz audio in 256-sample windows; telephone frames are upsampled linearly for it (the
//! detector only needs the speech band, which 8 kHz already bounds). An utterance starts after
//! `start_ms` of voiced frames, keeps `pre_roll_ms` before that so the first syllable is not cut,
//! and ends after `silence_ms` without voice or at `max_utterance_ms`. Shorter than
//! `min_speech_ms` of voice is dropped as a cough or a click.

use std::collections::VecDeque;

use earshot::Detector;

use crate::audio::{FRAME_MS, PHONE_RATE, Pcm, linear_resample};

#[derive(Debug, Clone, PartialEq)]
pub struct VadSettings {
    /// Voiced time before an utterance is considered started (and barge-in fires).
    pub start_ms: u64,
    /// Silence that ends an utterance: the largest single slice of the reply latency.
    pub silence_ms: u64,
    /// Utterances with less voice than this are dropped.
    pub min_speech_ms: u64,
    /// An utterance is cut here even if the caller keeps talking (recognition windows are bounded).
    pub max_utterance_ms: u64,
    /// Audio kept from before the start.
    pub pre_roll_ms: u64,
    /// Detector score counted as voice.
    pub threshold: f32,
}

impl Default for VadSettings {
    fn default() -> Self {
        Self {
            start_ms: 80,
            silence_ms: 500,
            min_speech_ms: 200,
            max_utterance_ms: 10_000,
            pre_roll_ms: 300,
            threshold: 0.5,
        }
    }
}

/// What one frame changed.
#[derive(Debug, Clone, PartialEq)]
pub enum VadEvent {
    /// The caller has been speaking for `start_ms`: stop any playback now.
    SpeechStarted,
    /// A finished utterance: its audio (8 kHz, with pre-roll) and how much of it was voiced.
    Utterance {
        audio: Pcm,
        speech_ms: u64,
        /// Frames since the last voiced one when it ended (the end-of-speech point is that many
        /// frames before the frame that produced this event).
        trailing_silence_frames: u64,
    },
}

/// One per call.
pub struct Endpointer {
    settings: VadSettings,
    detector: Box<Detector>,
    /// 16 kHz samples waiting for a full detector window.
    pending16: Vec<i16>,
    last_score: f32,
    /// Frames before the utterance, for pre-roll.
    history: VecDeque<Vec<i16>>,
    state: State,
}

impl std::fmt::Debug for Endpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpointer")
            .field("settings", &self.settings)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum State {
    Idle {
        voiced_run: u64,
    },
    Speaking {
        audio: Vec<i16>,
        voiced_frames: u64,
        silent_run: u64,
        frames: u64,
    },
}

const WINDOW: usize = 256;

impl Endpointer {
    pub fn new(settings: VadSettings) -> Self {
        Self {
            settings,
            detector: Detector::default_boxed(),
            pending16: Vec::with_capacity(WINDOW * 2),
            last_score: 0.0,
            history: VecDeque::new(),
            state: State::Idle { voiced_run: 0 },
        }
    }

    pub fn settings(&self) -> &VadSettings {
        &self.settings
    }

    /// Whether the caller is inside an utterance.
    pub fn in_speech(&self) -> bool {
        matches!(self.state, State::Speaking { .. })
    }

    /// Forget everything (after a hang-up, or to ignore what was said during a transfer notice).
    pub fn reset(&mut self) {
        self.detector.reset();
        self.pending16.clear();
        self.history.clear();
        self.last_score = 0.0;
        self.state = State::Idle { voiced_run: 0 };
    }

    fn frames(&self, ms: u64) -> u64 {
        ms.div_ceil(FRAME_MS).max(1)
    }

    /// Whether this 8 kHz frame is voice, by the detector's latest score over it.
    fn classify(&mut self, frame: &[i16]) -> bool {
        self.pending16
            .extend(linear_resample(frame, PHONE_RATE, 16_000));
        let mut best: Option<f32> = None;
        while self.pending16.len() >= WINDOW {
            let window: Vec<i16> = self.pending16.drain(..WINDOW).collect();
            let score = self.detector.predict_i16(&window);
            best = Some(best.map_or(score, |b: f32| b.max(score)));
        }
        if let Some(s) = best {
            self.last_score = s;
        }
        self.last_score >= self.settings.threshold
    }

    /// Feed one frame (any length, normally 20 ms at 8 kHz).
    pub fn push(&mut self, frame: &[i16]) -> Option<VadEvent> {
        let voiced = self.classify(frame);
        let start_frames = self.frames(self.settings.start_ms);
        let silence_frames = self.frames(self.settings.silence_ms);
        let max_frames = self.frames(self.settings.max_utterance_ms);
        let pre_roll_frames = self.frames(self.settings.pre_roll_ms) as usize;
        match &mut self.state {
            State::Idle { voiced_run } => {
                self.history.push_back(frame.to_vec());
                while self.history.len() > pre_roll_frames + start_frames as usize {
                    self.history.pop_front();
                }
                *voiced_run = if voiced { *voiced_run + 1 } else { 0 };
                if *voiced_run >= start_frames {
                    let audio: Vec<i16> = self.history.drain(..).flatten().collect();
                    let frames = (audio.len() / frame.len().max(1)) as u64;
                    self.state = State::Speaking {
                        audio,
                        voiced_frames: start_frames,
                        silent_run: 0,
                        frames,
                    };
                    return Some(VadEvent::SpeechStarted);
                }
                None
            }
            State::Speaking {
                audio,
                voiced_frames,
                silent_run,
                frames,
            } => {
                audio.extend_from_slice(frame);
                *frames += 1;
                if voiced {
                    *voiced_frames += 1;
                    *silent_run = 0;
                } else {
                    *silent_run += 1;
                }
                let ended = *silent_run >= silence_frames || *frames >= max_frames;
                if !ended {
                    return None;
                }
                let speech_ms = *voiced_frames * FRAME_MS;
                let trailing = *silent_run;
                let audio = std::mem::take(audio);
                self.state = State::Idle { voiced_run: 0 };
                self.history.clear();
                if speech_ms < self.settings.min_speech_ms {
                    return None;
                }
                Some(VadEvent::Utterance {
                    audio: Pcm::new(PHONE_RATE, audio),
                    speech_ms,
                    trailing_silence_frames: trailing,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::FRAME_SAMPLES;

    fn silence(ms: u64) -> Vec<i16> {
        vec![0; (ms * 8) as usize]
    }

    fn frames(samples: &[i16]) -> impl Iterator<Item = &[i16]> {
        samples.chunks(FRAME_SAMPLES)
    }

    /// Real speech, if espeak-ng is installed (CI installs it); otherwise the test says so.
    fn speech(text: &str) -> Option<Vec<i16>> {
        let out = std::process::Command::new("espeak-ng")
            .args(["-v", "ru", "--stdout", text])
            .output()
            .ok()?;
        let pcm = crate::audio::read_wav(&out.stdout).ok()?;
        Some(pcm.resampled(PHONE_RATE).samples)
    }

    #[test]
    fn silence_and_a_pure_tone_are_not_speech() {
        let mut ep = Endpointer::new(VadSettings::default());
        for f in frames(&silence(2000)) {
            assert_eq!(ep.push(f), None);
        }
        let hum: Vec<i16> = (0..16_000)
            .map(|i| ((i as f64 * 50.0 * std::f64::consts::TAU / 8000.0).sin() * 3000.0) as i16)
            .collect();
        let events: Vec<_> = frames(&hum).filter_map(|f| ep.push(f)).collect();
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn an_utterance_is_started_then_ended_after_the_silence() {
        let Some(words) = speech("Здравствуйте, где мой заказ?") else {
            eprintln!("espeak-ng not installed; skipping (scripts/ensure-voice-deps installs it)");
            assert!(
                std::env::var("FRONTLINE_TEST_REQUIRE_SPEECH").is_err(),
                "espeak-ng required"
            );
            return;
        };
        let settings = VadSettings::default();
        let mut ep = Endpointer::new(settings.clone());
        let mut audio = silence(500);
        audio.extend(&words);
        audio.extend(silence(1500));
        let mut started_at = None;
        let mut utterance = None;
        for (i, f) in frames(&audio).enumerate() {
            match ep.push(f) {
                Some(VadEvent::SpeechStarted) => started_at = Some(i),
                Some(VadEvent::Utterance {
                    audio,
                    speech_ms,
                    trailing_silence_frames,
                }) => {
                    utterance = Some((i, audio, speech_ms, trailing_silence_frames));
                    break;
                }
                None => {}
            }
        }
        let started_at = started_at.expect("speech start detected");
        // Onset within 300 ms of the words starting (frame 25 = 500 ms).
        assert!(
            (25..40).contains(&started_at),
            "started at frame {started_at}"
        );
        let (ended_at, audio, speech_ms, trailing) = utterance.expect("utterance ended");
        assert_eq!(trailing, settings.silence_ms / FRAME_MS);
        let words_ms = words.len() as u64 / 8;
        assert!(
            audio.duration_ms() + 200 >= words_ms && speech_ms <= words_ms + 100,
            "utterance {} ms, voiced {speech_ms} ms, words {words_ms} ms",
            audio.duration_ms()
        );
        // Ended within the silence window after the words (+ a little detector latency).
        let words_end = 25 + words.len() / FRAME_SAMPLES;
        assert!(
            ended_at >= words_end && ended_at <= words_end + 25 + 15,
            "ended at frame {ended_at}, words ended at {words_end}"
        );
    }

    #[test]
    fn a_click_is_dropped_and_long_speech_is_cut() {
        let Some(words) = speech("Раз два три четыре пять шесть семь восемь девять десять")
        else {
            return;
        };
        let settings = VadSettings {
            max_utterance_ms: 1000,
            ..VadSettings::default()
        };
        let mut ep = Endpointer::new(settings);
        let mut cut = None;
        for f in frames(&words) {
            if let Some(VadEvent::Utterance { audio, .. }) = ep.push(f) {
                cut = Some(audio.duration_ms());
                break;
            }
        }
        let cut = cut.expect("cut at the maximum");
        assert!((1000..=1400).contains(&cut), "cut after {cut} ms");

        let mut ep = Endpointer::new(VadSettings {
            min_speech_ms: 2000,
            ..VadSettings::default()
        });
        let short = &words[..(8 * 700).min(words.len())];
        let mut audio = short.to_vec();
        audio.extend(silence(1000));
        let utterances = frames(&audio)
            .filter_map(|f| ep.push(f))
            .filter(|e| matches!(e, VadEvent::Utterance { .. }))
            .count();
        assert_eq!(utterances, 0);
    }
}
