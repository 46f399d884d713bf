//! The voice channel: inbound phone calls answered by the same engine as text. Only this module
//! knows telephony; the audio it carries ([`crate::audio`]) and the speech it hears and speaks
//! ([`crate::speech`]) are shared with the other channels.

pub mod audiosocket;
pub mod call;
pub mod caller;
pub mod channel;
pub mod leg;
pub mod line;
pub mod media_stream;
pub mod stats;
pub mod transfer;
pub mod vad;

pub use channel::{LineError, VoiceChannel};
pub use stats::VoiceStats;
