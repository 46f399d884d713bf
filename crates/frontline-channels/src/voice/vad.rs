//! Streaming voice-activity detection and end-of-utterance: telephone frames in, "the caller started
//! speaking" (for barge-in) and finished utterances (for recognition) out.
//!
//! The detector is earshot's small neural VAD (pure Rust, weights inside the crate), which wants
//! 16 kHz audio in 256-sample windows; telephone frames are upsampled linearly for it (the
//! detector only needs the speech band, which 8 kHz already bounds). An utterance starts after
//! `start_ms` of voiced frames, keeps `pre_roll_ms` before that so the first syllable is not cut,
//! and ends after `silence_ms` without voice or at `max_utterance_ms`. Shorter than
//! `min_speech_ms` of voice is dropped as a cough or a click.
//!
//! The silence that ends an utterance is dead time for the caller, so the endpointer also reports a
//! **pause** once `pause_ms` of it has passed: the audio so far, which the call recognises while
//! the rest of the silence runs out. If the caller stays silent, the utterance that follows is the
//! same speech plus silence and says so (`after_pause`), and the pause's transcript stands for it;
//! if they go on speaking, the pause is void and a later one (or the whole utterance) replaces it.

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
    /// Silence after which the speech so far is offered for early recognition (a
    /// [`VadEvent::Pause`]); at or above `silence_ms`, never.
    pub pause_ms: u64,
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
            pause_ms: 160,
        }
    }
}

/// What one frame changed.
#[derive(Debug, Clone, PartialEq)]
pub enum VadEvent {
    /// The caller has been speaking for `start_ms`: stop any playback now.
    SpeechStarted,
    /// The caller paused for `pause_ms` inside an utterance: the audio so far, to recognise early.
    /// `id` names it for the [`VadEvent::Utterance`] that may confirm it.
    Pause { id: u64, audio: Pcm, speech_ms: u64 },
    /// A finished utterance: its audio (8 kHz, with pre-roll) and how much of it was voiced.
    Utterance {
        audio: Pcm,
        speech_ms: u64,
        /// Frames since the last voiced one when it ended (the end-of-speech point is that many
        /// frames before the frame that produced this event).
        trailing_silence_frames: u64,
        /// The pause this utterance is, silence added: nothing was voiced since it, so its
        /// transcript is this utterance's.
        after_pause: Option<u64>,
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
    /// Ids of pauses, counting.
    pauses: u64,
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
        /// The pause reported in the current silent run, if any.
        paused: Option<u64>,
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
            pauses: 0,
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
                        paused: None,
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
                paused,
            } => {
                audio.extend_from_slice(frame);
                *frames += 1;
                if voiced {
                    *voiced_frames += 1;
                    *silent_run = 0;
                    *paused = None;
                } else {
                    *silent_run += 1;
                }
                let ended = *silent_run >= silence_frames || *frames >= max_frames;
                if !ended {
                    let pause_frames = self.settings.pause_ms.div_ceil(FRAME_MS);
                    let speech_ms = *voiced_frames * FRAME_MS;
                    if paused.is_none()
                        && pause_frames > 0
                        && *silent_run == pause_frames
                        && pause_frames < silence_frames
                        && speech_ms >= self.settings.min_speech_ms
                    {
                        self.pauses += 1;
                        *paused = Some(self.pauses);
                        return Some(VadEvent::Pause {
                            id: self.pauses,
                            audio: Pcm::new(PHONE_RATE, audio.clone()),
                            speech_ms,
                        });
                    }
                    return None;
                }
                // Cut at the maximum length while voiced: no pause stands for it.
                let after_pause = if *silent_run > 0 { *paused } else { None };
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
                    after_pause,
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
        let mut last_pause = None;
        for (i, f) in frames(&audio).enumerate() {
            match ep.push(f) {
                Some(VadEvent::SpeechStarted) => started_at = Some(i),
                Some(VadEvent::Pause { id, audio, .. }) => last_pause = Some((i, id, audio)),
                Some(VadEvent::Utterance {
                    audio,
                    speech_ms,
                    trailing_silence_frames,
                    after_pause,
                }) => {
                    utterance = Some((i, audio, speech_ms, trailing_silence_frames, after_pause));
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
        let (ended_at, audio, speech_ms, trailing, after_pause) =
            utterance.expect("utterance ended");
        assert_eq!(trailing, settings.silence_ms / FRAME_MS);
        // The last pause came `pause_ms` into the final silence, and the utterance is it plus the
        // rest of that silence, so its transcript can stand for the utterance.
        let (paused_at, pause_id, pause_audio) = last_pause.expect("a pause before the end");
        assert_eq!(after_pause, Some(pause_id));
        assert_eq!(
            ended_at - paused_at,
            ((settings.silence_ms - settings.pause_ms) / FRAME_MS) as usize
        );
        assert_eq!(
            &audio.samples[..pause_audio.samples.len()],
            &pause_audio.samples[..]
        );
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
    fn speech_after_a_pause_voids_it() {
        let (Some(first), Some(second)) = (speech("Где мой заказ"), speech("номер двенадцать"))
        else {
            return;
        };
        // A long closing silence, so the breath between the phrases (with espeak's own silence
        // around each) is a pause and not an end.
        let settings = VadSettings {
            silence_ms: 1500,
            ..VadSettings::default()
        };
        let mut ep = Endpointer::new(settings.clone());
        let mut audio = first.clone();
        audio.extend(silence(300));
        audio.extend(&second);
        audio.extend(silence(2000));
        let events: Vec<VadEvent> = frames(&audio).filter_map(|f| ep.push(f)).collect();
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| match e {
                VadEvent::SpeechStarted => "started",
                VadEvent::Pause { .. } => "pause",
                VadEvent::Utterance { .. } => "utterance",
            })
            .collect();
        let pauses: Vec<(u64, usize)> = events
            .iter()
            .filter_map(|e| match e {
                VadEvent::Pause { id, audio, .. } => Some((*id, audio.samples.len())),
                _ => None,
            })
            .collect();
        let utterances: Vec<(&Pcm, Option<u64>)> = events
            .iter()
            .filter_map(|e| match e {
                VadEvent::Utterance {
                    audio, after_pause, ..
                } => Some((audio, *after_pause)),
                _ => None,
            })
            .collect();
        assert_eq!(utterances.len(), 1, "{kinds:?}");
        let (audio, after_pause) = utterances[0];
        // One pause in the breath (at least), voided by the second phrase; the one that stands is
        // the last, and it holds both phrases.
        assert!(pauses.len() >= 2, "{kinds:?} {pauses:?}");
        let (last_id, last_len) = *pauses.last().unwrap();
        assert_eq!(after_pause, Some(last_id));
        assert!(pauses[0].1 < first.len() + 8 * 300, "{pauses:?}");
        assert!(last_len >= first.len() + second.len(), "{pauses:?}");
        assert!(audio.samples.len() > last_len);

        // Pauses off: no early recognition, the utterance stands alone.
        let mut ep = Endpointer::new(VadSettings {
            pause_ms: settings.silence_ms,
            ..settings
        });
        let paused = frames(&audio.samples)
            .filter_map(|f| ep.push(f))
            .any(|e| matches!(e, VadEvent::Pause { .. }));
        assert!(!paused);
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
