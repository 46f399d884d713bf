//! The voice channel: inbound phone calls answered by the same engine as text.
//!
//! - [`audio`]: PCM, the 20 ms telephone frame, μ-law, resampling, WAV.
//! - [`decode`]: compressed audio (Avito's Opus-in-MP4 voice messages) to PCM with ffmpeg.
//! - [`speech`]: recognition and synthesis behind traits (whisper.cpp and espeak-ng offline,
//!   OpenAI-compatible APIs, a scripted recogniser for tests).

pub mod ami;
pub mod audio;
pub mod audiosocket;
pub mod call;
pub mod caller;
pub mod decode;
pub mod leg;
pub mod line;
pub mod media_stream;
pub mod service;
pub mod speech;
pub mod transfer;
pub mod vad;

pub use service::{VoiceChannel, VoiceStats};
