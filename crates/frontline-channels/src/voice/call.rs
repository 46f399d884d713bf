//! One phone call, from the first frame to the hang-up: endpointing → recognition → the same
//! lifecycle and engine as text → synthesis → paced 20 ms frames back.
//!
//! The caller's utterances enter as ordinary inbound messages (stored before anything else
//! happens), the bot answers through the outbox like on any channel, and the outbox's delivery
//! for a voice account lands here ([`CallCommand::Say`]) to be spoken. So the transcript, the
//! decisions, the handoff and its briefing are the same records operators see for chats, and a
//! restart or a slow engine loses nothing but the caller's patience.
//!
//! Everything a call does runs in one task (one `select!` loop), which owns the playout clock: a
//! frame is due every 20 ms from the start of a prompt, never queued ahead on the telephony side,
//! so barge-in can take the audio back at once.
//!
//! Size: one call's task is one `select!` loop over one state; its handlers share that state and the
//! playout clock, and splitting them would spread the loop's invariants over several files.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use frontline_domain::{
    Account, Author, ConversationId, CustomerProfile, Handoff, InboundMessage, Lead, NewVoiceTurn,
    Timestamp,
};
use frontline_lifecycle::Lifecycle;
use frontline_store::ImportedMessage;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::{
    audio::{FRAME_MS, FRAME_SAMPLES, PHONE_RATE, Pcm},
    speech::{CachedSynthesizer, Recognizer, SpeechError, Transcript},
};

use super::{
    leg::{CallStart, Leg, LegCommand, LegEvent, Telephony},
    line::LineSettings,
    stats::VoiceStats,
    transfer::{TransferRequest, Transferer},
    vad::{Endpointer, VadEvent},
};

/// What the rest of frontline asks of a live call.
#[derive(Debug)]
pub enum CallCommand {
    /// Speak a message of the conversation (the bot's answer, or an operator's typed reply).
    /// `done` gets `Ok` once the audio is queued for playback.
    Say {
        text: String,
        author: Author,
        done: oneshot::Sender<Result<(), String>>,
    },
    /// The conversation's lead changed (the bot handed off, or an operator pressed the toggle).
    LeadChanged(Handoff),
}

/// Live calls by conversation: where the channel finds the call a delivery or a lead change is
/// for. A call joins when it opens and leaves when it finishes.
#[derive(Debug, Default)]
pub struct Calls {
    inner: Mutex<HashMap<ConversationId, mpsc::Sender<CallCommand>>>,
}

impl Calls {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<ConversationId, mpsc::Sender<CallCommand>>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn insert(&self, conversation: ConversationId, tx: mpsc::Sender<CallCommand>) {
        self.lock().insert(conversation, tx);
    }

    pub fn remove(&self, conversation: ConversationId) {
        self.lock().remove(&conversation);
    }

    pub fn get(&self, conversation: ConversationId) -> Option<mpsc::Sender<CallCommand>> {
        self.lock().get(&conversation).cloned()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What every call of a server shares.
#[derive(Debug)]
pub struct CallDeps {
    pub lifecycle: Lifecycle,
    pub recognizer: Arc<dyn Recognizer>,
    pub synthesizer: Arc<CachedSynthesizer>,
    pub calls: Arc<Calls>,
    pub stats: Arc<VoiceStats>,
    /// Recognitions at once: about one per core. More would only slow every call down (each
    /// recognition is one busy thread), so later utterances wait their turn.
    pub recognition_slots: Arc<tokio::sync::Semaphore>,
}

/// What the pipeline knows of one call's line.
#[derive(Debug, Clone)]
pub struct LineContext {
    pub account: Account,
    pub settings: LineSettings,
    pub transferer: Option<Arc<dyn Transferer>>,
}

/// One caller turn: what was heard and how fast the bot answered it.
#[derive(Debug)]
struct Turn {
    number: i32,
    recognised: String,
    intent: Option<String>,
    speech_ms: u64,
    /// The caller's end of speech (last voiced frame), or the last DTMF key.
    end_of_speech: Instant,
    recognition: Duration,
    submitted: Instant,
    engine: Option<Duration>,
    synthesis: Option<Duration>,
    answer: Option<String>,
    first_audio: Option<Instant>,
    barge_in: bool,
    dtmf: bool,
    recorded: bool,
}

/// What happens once an item has played.
#[derive(Debug, Clone, Copy, PartialEq)]
enum After {
    Nothing,
    Hangup,
    Transfer,
}

#[derive(Debug)]
struct PlayItem {
    samples: Vec<i16>,
    pos: usize,
    interruptible: bool,
    /// The turn this answers, for latency.
    turn: Option<usize>,
    after: After,
}

/// Early recognition of a pause (see [`VadEvent::Pause`]): running, or done and waiting for the
/// utterance to confirm it.
#[derive(Debug)]
struct Early {
    pause: u64,
    /// The utterance confirmed it: its voiced length and end of speech.
    confirmed: Option<(u64, Instant)>,
    /// The transcript, once recognition finished, and how long it took.
    heard: Option<(Result<Transcript, SpeechError>, Duration)>,
}

/// Recognition and synthesis run beside the loop, so frames keep flowing while they work.
#[derive(Debug)]
enum Work {
    Heard {
        /// The pause recognised early, or `None` for a whole utterance (or DTMF).
        pause: Option<u64>,
        result: Result<Transcript, SpeechError>,
        /// Length of the audio given to the recogniser (0 for DTMF).
        audio_ms: u64,
        speech_ms: u64,
        end_of_speech: Instant,
        took: Duration,
    },
    Spoken {
        seq: u64,
        result: Result<Arc<Pcm>, SpeechError>,
        took: Duration,
        turn: Option<usize>,
        interruptible: bool,
        after: After,
        done: Option<oneshot::Sender<Result<(), String>>>,
    },
    Transferred(Result<(), String>),
}

struct Call {
    deps: Arc<CallDeps>,
    line: LineContext,
    start: CallStart,
    conversation: ConversationId,
    customer: CustomerProfile,
    language: Option<String>,
    commands_out: mpsc::Sender<LegCommand>,
    endpointer: Endpointer,
    queue: VecDeque<PlayItem>,
    next_frame: Instant,
    turns: Vec<Turn>,
    /// Turn waiting for the engine's answer.
    awaiting: Option<usize>,
    recognizing: usize,
    /// The latest pause being recognised ahead of its utterance.
    early: Option<Early>,
    work_tx: mpsc::Sender<Work>,
    /// Synthesis results are played in the order they were asked for.
    speak_seq: u64,
    next_to_play: u64,
    spoken_early: Vec<Work>,
    /// Requests that continue the one before them (the rest of an answer after its first
    /// sentence): a barge-in that cut their beginning drops them too.
    continuations: Vec<u64>,
    /// Continuations below this were cut with their beginning.
    cut_before: u64,
    dtmf: String,
    dtmf_deadline: Option<Instant>,
    reprompt_deadline: Option<Instant>,
    reprompts: u32,
    /// A handoff waiting for the bot's last words before the transfer.
    pending_transfer: Option<(Handoff, Instant)>,
    /// The handoff being carried out once the transfer notice has played.
    transfer_handoff: Option<Handoff>,
    transferring: bool,
    started_at: Instant,
    hangup_deadline: Option<Instant>,
    last_bot_said: Option<Instant>,
    ended_by: &'static str,
}

/// Run a call until it ends. The leg's commands are closed when this returns.
pub async fn run(leg: Leg, line: LineContext, deps: Arc<CallDeps>, shutdown: CancellationToken) {
    let Leg {
        start,
        mut events,
        commands,
    } = leg;
    let stats = deps.stats.clone();
    stats.call_started();
    let call_id = start.call_id.clone();
    match Call::open(start, line, deps.clone(), commands.clone()).await {
        Ok((mut call, mut cmd_rx, mut work_rx)) => {
            info!(call = %call_id, conversation = call.conversation.0, "call started");
            call.main(&mut events, &mut cmd_rx, &mut work_rx, shutdown)
                .await;
            call.finish().await;
        }
        Err(e) => {
            warn!(call = %call_id, error = %e, "call could not start");
            let _ = commands.send(LegCommand::Hangup).await;
        }
    }
    stats.call_ended();
}

impl Call {
    async fn open(
        start: CallStart,
        line: LineContext,
        deps: Arc<CallDeps>,
        commands_out: mpsc::Sender<LegCommand>,
    ) -> Result<(Self, mpsc::Receiver<CallCommand>, mpsc::Receiver<Work>), String> {
        let store = deps.lifecycle.store().clone();
        let customer = CustomerProfile {
            external_id: start
                .from
                .clone()
                .unwrap_or_else(|| format!("call:{}", start.call_id)),
            name: None,
            avatar_url: None,
            phone: start.from.clone(),
        };
        // The call is visible in the inbox from its first ring: a note and the greeting, imported
        // (they wake no bot), make the conversation.
        let note = match &start.from {
            Some(n) => format!("📞 Входящий звонок с {n} ({})", start.telephony.kind()),
            None => format!("📞 Входящий звонок ({})", start.telephony.kind()),
        };
        let at = Timestamp::now();
        let mut batch = vec![ImportedMessage {
            account_id: line.account.id,
            external_chat_id: start.call_id.clone(),
            external_message_id: format!("{}:start", start.call_id),
            customer: customer.clone(),
            listing: None,
            author: Author::System,
            text: note,
            attachments: Vec::new(),
            quote: None,
            link: None,
            sent_at: at,
        }];
        if !line.settings.greeting.trim().is_empty() {
            batch.push(ImportedMessage {
                external_message_id: format!("{}:greeting", start.call_id),
                author: Author::Bot,
                text: line.settings.greeting.clone(),
                ..batch[0].clone()
            });
        }
        store
            .import_messages(batch)
            .await
            .map_err(|e| format!("recording the call: {e}"))?;
        deps.lifecycle.signals().events.notify_one();
        let conversation = store
            .conversation_by_external_chat(line.account.id, &start.call_id)
            .await
            .map_err(|e| format!("finding the call's conversation: {e}"))?
            .ok_or("the call's conversation was not created")?
            .conversation
            .id;
        let (cmd_tx, cmd_rx) = mpsc::channel(32);
        deps.calls.insert(conversation, cmd_tx);
        let (work_tx, work_rx) = mpsc::channel(32);
        let vad = line.settings.vad.to_settings();
        let language = line.settings.fixed_language().map(str::to_owned);
        Ok((
            Call {
                deps,
                line,
                start,
                conversation,
                customer,
                language,
                commands_out,
                endpointer: Endpointer::new(vad),
                queue: VecDeque::new(),
                next_frame: Instant::now(),
                turns: Vec::new(),
                awaiting: None,
                recognizing: 0,
                early: None,
                work_tx,
                speak_seq: 0,
                next_to_play: 0,
                spoken_early: Vec::new(),
                continuations: Vec::new(),
                cut_before: 0,
                dtmf: String::new(),
                dtmf_deadline: None,
                reprompt_deadline: None,
                reprompts: 0,
                pending_transfer: None,
                transfer_handoff: None,
                transferring: false,
                started_at: Instant::now(),
                hangup_deadline: None,
                last_bot_said: None,
                ended_by: "caller",
            },
            cmd_rx,
            work_rx,
        ))
    }

    fn lang(&self) -> &str {
        self.language.as_deref().unwrap_or("ru")
    }

    async fn main(
        &mut self,
        events: &mut mpsc::Receiver<LegEvent>,
        commands: &mut mpsc::Receiver<CallCommand>,
        work: &mut mpsc::Receiver<Work>,
        shutdown: CancellationToken,
    ) {
        let greeting = self.line.settings.greeting.clone();
        if !greeting.trim().is_empty() {
            self.speak(greeting, None, true, After::Nothing, None);
        } else {
            self.arm_reprompt();
        }
        let far = Instant::now() + Duration::from_secs(86_400);
        loop {
            let frame_due = (!self.queue.is_empty()).then_some(self.next_frame);
            let timer = [
                frame_due,
                self.dtmf_deadline,
                self.reprompt_deadline,
                self.pending_transfer.as_ref().map(|(_, at)| *at),
                self.hangup_deadline,
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(far);
            tokio::select! {
                biased;
                () = shutdown.cancelled() => {
                    self.ended_by = "shutdown";
                    let _ = self.commands_out.send(LegCommand::Hangup).await;
                    return;
                }
                event = events.recv() => match event {
                    Some(LegEvent::Audio(samples)) => self.on_audio(&samples).await,
                    Some(LegEvent::Dtmf(key)) => self.on_dtmf(key),
                    Some(LegEvent::Mark(_)) => {}
                    Some(LegEvent::Error(e)) => {
                        warn!(call = %self.start.call_id, error = %e, "telephony error");
                        self.ended_by = "error";
                        return;
                    }
                    Some(LegEvent::Hangup) | None => {
                        if self.ended_by != "bot" { self.ended_by = "caller"; }
                        return;
                    }
                },
                Some(cmd) = commands.recv() => self.on_command(cmd),
                Some(w) = work.recv() => self.on_work(w).await,
                () = tokio::time::sleep_until(timer.into()) => {
                    if self.on_timer().await { return; }
                }
            }
        }
    }

    async fn on_audio(&mut self, samples: &[i16]) {
        let Some(event) = self.endpointer.push(samples) else {
            return;
        };
        match event {
            VadEvent::SpeechStarted => {
                self.reprompt_deadline = None;
                self.barge_in("speech");
            }
            VadEvent::Pause {
                id,
                audio,
                speech_ms,
            } => {
                // Any earlier pause is void: the caller spoke since.
                self.early = Some(Early {
                    pause: id,
                    confirmed: None,
                    heard: None,
                });
                self.recognize(audio, Some(id), speech_ms, Instant::now());
            }
            VadEvent::Utterance {
                audio,
                speech_ms,
                trailing_silence_frames,
                after_pause,
            } => {
                let end_of_speech = Instant::now()
                    .checked_sub(Duration::from_millis(trailing_silence_frames * FRAME_MS))
                    .unwrap_or_else(Instant::now);
                let early = self.early.take();
                match early {
                    Some(mut early) if after_pause == Some(early.pause) => {
                        // The pause's recognition stands for this utterance.
                        self.deps.stats.early_recognition();
                        match early.heard.take() {
                            Some((result, took)) => {
                                self.on_heard(result, speech_ms, end_of_speech, took).await
                            }
                            None => {
                                early.confirmed = Some((speech_ms, end_of_speech));
                                self.early = Some(early);
                            }
                        }
                    }
                    _ => self.recognize(audio, None, speech_ms, end_of_speech),
                }
            }
        }
    }

    /// The caller talks (or types) over the bot: stop the audio now, and tell the telephony side to
    /// drop whatever it still buffers.
    fn barge_in(&mut self, why: &str) {
        if !self.line.settings.barge_in {
            return;
        }
        let Some(front) = self.queue.front() else {
            return;
        };
        if !front.interruptible {
            return;
        }
        let mut cut_turns = Vec::new();
        while let Some(item) = self.queue.front() {
            if !item.interruptible {
                break;
            }
            if let Some(t) = item.turn {
                cut_turns.push(t);
            }
            self.queue.pop_front();
        }
        for t in cut_turns {
            self.turns[t].barge_in = true;
        }
        self.cut_before = self.speak_seq;
        let _ = self.commands_out.try_send(LegCommand::Clear);
        self.deps.stats.barge_in();
        debug!(call = %self.start.call_id, why, "barge-in: playback stopped");
        self.flush_turns_soon();
    }

    fn on_dtmf(&mut self, key: char) {
        self.barge_in("dtmf");
        self.reprompt_deadline = None;
        if key == '#' {
            self.submit_dtmf();
            return;
        }
        if key.is_ascii_digit() || key == '*' {
            self.dtmf.push(key);
            self.dtmf_deadline =
                Some(Instant::now() + Duration::from_millis(self.line.settings.dtmf_timeout_ms));
        }
    }

    fn submit_dtmf(&mut self) {
        self.dtmf_deadline = None;
        let digits = std::mem::take(&mut self.dtmf);
        if digits.is_empty() {
            return;
        }
        let now = Instant::now();
        self.work_tx
            .try_send(Work::Heard {
                pause: None,
                result: Ok(Transcript {
                    text: digits,
                    language: None,
                }),
                audio_ms: 0,
                speech_ms: 0,
                end_of_speech: now,
                took: Duration::ZERO,
            })
            .ok();
        // Marked as DTMF when it comes back: speech_ms 0 is only ever keypad input.
    }

    /// Recognise beside the loop; `pause` marks an early recognition.
    fn recognize(
        &mut self,
        audio: Pcm,
        pause: Option<u64>,
        speech_ms: u64,
        end_of_speech: Instant,
    ) {
        let recognizer = self.deps.recognizer.clone();
        let language = self.language.clone();
        let tx = self.work_tx.clone();
        self.recognizing += 1;
        let slots = self.deps.recognition_slots.clone();
        tokio::spawn(async move {
            let _slot = slots.acquire_owned().await;
            let started = Instant::now();
            let result = recognizer.transcribe(&audio, language.as_deref()).await;
            let _ = tx
                .send(Work::Heard {
                    pause,
                    result,
                    audio_ms: audio.duration_ms(),
                    speech_ms,
                    end_of_speech,
                    took: started.elapsed(),
                })
                .await;
        });
    }

    fn on_command(&mut self, cmd: CallCommand) {
        match cmd {
            CallCommand::Say { text, author, done } => {
                let turn = match author {
                    Author::Bot => self.awaiting.take(),
                    _ => None,
                };
                if let Some(t) = turn {
                    let turn = &mut self.turns[t];
                    turn.engine = Some(turn.submitted.elapsed());
                    turn.answer = Some(text.clone());
                }
                // The first sentence is rendered and playing while the rest is synthesised.
                match split_first_sentence(&text) {
                    Some((head, rest)) => {
                        self.speak(head.to_owned(), turn, true, After::Nothing, None);
                        let seq = self.speak_seq;
                        self.continuations.push(seq);
                        self.speak(rest.to_owned(), None, true, After::Nothing, Some(done));
                    }
                    None => self.speak(text, turn, true, After::Nothing, Some(done)),
                }
            }
            CallCommand::LeadChanged(handoff) => {
                if handoff.to == Lead::Operator && !self.transferring {
                    // Give the bot's farewell (queued just before the handoff) time to arrive.
                    self.pending_transfer =
                        Some((handoff, Instant::now() + Duration::from_millis(600)));
                    self.reprompt_deadline = None;
                }
            }
        }
    }

    /// Synthesize beside the loop; results play in request order.
    fn speak(
        &mut self,
        text: String,
        turn: Option<usize>,
        interruptible: bool,
        after: After,
        done: Option<oneshot::Sender<Result<(), String>>>,
    ) {
        let seq = self.speak_seq;
        self.speak_seq += 1;
        let synth = self.deps.synthesizer.clone();
        let language = self.lang().to_owned();
        let tx = self.work_tx.clone();
        self.reprompt_deadline = None;
        tokio::spawn(async move {
            let started = Instant::now();
            let result = synth.speak(&text, &language).await;
            let _ = tx
                .send(Work::Spoken {
                    seq,
                    result,
                    took: started.elapsed(),
                    turn,
                    interruptible,
                    after,
                    done,
                })
                .await;
        });
    }

    async fn on_work(&mut self, work: Work) {
        match work {
            Work::Heard {
                pause,
                result,
                audio_ms,
                speech_ms,
                end_of_speech,
                took,
            } => {
                if audio_ms > 0 {
                    self.recognizing = self.recognizing.saturating_sub(1);
                    self.deps
                        .stats
                        .recognition(took, Duration::from_millis(audio_ms));
                }
                let Some(pause) = pause else {
                    self.on_heard(result, speech_ms, end_of_speech, took).await;
                    return;
                };
                // An early recognition: heard now if its utterance already confirmed it, kept
                // for it otherwise, dropped if the caller went on speaking.
                match self.early.take() {
                    Some(early) if early.pause == pause => match early.confirmed {
                        Some((speech_ms, end_of_speech)) => {
                            self.on_heard(result, speech_ms, end_of_speech, took).await;
                        }
                        None => {
                            self.early = Some(Early {
                                heard: Some((result, took)),
                                ..early
                            });
                        }
                    },
                    other => self.early = other,
                }
            }
            Work::Spoken { seq, .. } if seq != self.next_to_play => {
                self.spoken_early.push(work);
            }
            spoken @ Work::Spoken { .. } => {
                self.play_spoken(spoken);
                // Later results that were waiting for this one.
                while let Some(i) = self.spoken_early.iter().position(
                    |w| matches!(w, Work::Spoken { seq, .. } if *seq == self.next_to_play),
                ) {
                    let w = self.spoken_early.swap_remove(i);
                    self.play_spoken(w);
                }
            }
            Work::Transferred(result) => self.on_transferred(result).await,
        }
    }

    fn play_spoken(&mut self, work: Work) {
        let Work::Spoken {
            seq,
            result,
            took,
            turn,
            interruptible,
            after,
            done,
            ..
        } = work
        else {
            return;
        };
        self.next_to_play += 1;
        let continuation = match self.continuations.iter().position(|&c| c == seq) {
            Some(i) => {
                self.continuations.swap_remove(i);
                true
            }
            None => false,
        };
        if continuation && seq < self.cut_before {
            // The caller interrupted its first sentence: the rest goes unsaid.
            if let Some(done) = done {
                let _ = done.send(Ok(()));
            }
            return;
        }
        match result {
            Ok(pcm) => {
                if let Some(t) = turn {
                    self.turns[t].synthesis = Some(took);
                }
                let samples = if pcm.rate == PHONE_RATE {
                    pcm.samples.clone()
                } else {
                    pcm.resampled(PHONE_RATE).samples
                };
                if self.queue.is_empty() {
                    self.next_frame = Instant::now();
                }
                self.queue.push_back(PlayItem {
                    samples,
                    pos: 0,
                    interruptible,
                    turn,
                    after,
                });
                if let Some(done) = done {
                    let _ = done.send(Ok(()));
                }
            }
            Err(e) => {
                warn!(call = %self.start.call_id, error = %e, "speech synthesis failed");
                self.deps.stats.synthesis_failed();
                if let Some(done) = done {
                    let _ = done.send(Err(e.to_string()));
                }
                // What was to follow the audio still happens.
                match after {
                    After::Hangup => self.hangup_deadline = Some(Instant::now()),
                    After::Transfer => self.start_transfer(),
                    After::Nothing => self.arm_reprompt_if_idle(),
                }
            }
        }
    }

    async fn on_heard(
        &mut self,
        result: Result<Transcript, SpeechError>,
        speech_ms: u64,
        end_of_speech: Instant,
        took: Duration,
    ) {
        if self.transferring || self.pending_transfer.is_some() {
            return;
        }
        let transcript = match result {
            Ok(t) => t,
            Err(e) => {
                warn!(call = %self.start.call_id, error = %e, "recognition failed");
                self.deps.stats.recognition_failed();
                let text = self.line.settings.not_heard.clone();
                self.speak(text, None, true, After::Nothing, None);
                return;
            }
        };
        if self.language.is_none() {
            self.language = Some(
                transcript
                    .language
                    .clone()
                    .filter(|l| l == "ru" || l == "en")
                    .unwrap_or_else(|| "ru".into()),
            );
        }
        let text = transcript.text.trim().to_owned();
        if text.is_empty() || !text.chars().any(char::is_alphanumeric) {
            let text = self.line.settings.not_heard.clone();
            self.speak(text, None, true, After::Nothing, None);
            return;
        }
        self.flush_turns_soon();
        let number = self.turns.len() as i32 + 1;
        let message = InboundMessage {
            account_id: self.line.account.id,
            external_chat_id: self.start.call_id.clone(),
            external_message_id: format!("{}:{number}", self.start.call_id),
            customer: self.customer.clone(),
            listing: None,
            text: text.clone(),
            attachments: Vec::new(),
            quote: None,
            link: None,
            sent_at: None,
        };
        let submitted = Instant::now();
        match self.deps.lifecycle.receive(message).await {
            Ok(ingested) => {
                self.turns.push(Turn {
                    number,
                    recognised: text,
                    intent: None,
                    speech_ms,
                    end_of_speech,
                    recognition: took,
                    submitted,
                    engine: None,
                    synthesis: None,
                    answer: None,
                    first_audio: None,
                    barge_in: false,
                    dtmf: speech_ms == 0,
                    recorded: false,
                });
                self.deps.stats.turn();
                if ingested.bot_job {
                    self.awaiting = Some(self.turns.len() - 1);
                }
            }
            Err(e) => {
                warn!(call = %self.start.call_id, error = %e, "storing the caller's words failed");
                let text = self.line.settings.not_heard.clone();
                self.speak(text, None, true, After::Nothing, None);
            }
        }
    }

    /// Returns `true` when the call is over.
    async fn on_timer(&mut self) -> bool {
        let now = Instant::now();
        if !self.queue.is_empty() && self.next_frame <= now {
            self.play_frame().await;
        }
        if self.dtmf_deadline.is_some_and(|d| d <= now) {
            self.submit_dtmf();
        }
        if self.hangup_deadline.is_some_and(|d| d <= now) {
            self.ended_by = "bot";
            let _ = self.commands_out.send(LegCommand::Hangup).await;
            return true;
        }
        if let Some((_, at)) = &self.pending_transfer
            && *at <= now
            && self.queue.is_empty()
        {
            let (handoff, _) = self.pending_transfer.take().expect("checked");
            self.transferring = true;
            self.awaiting = None;
            let bot_just_spoke = self
                .last_bot_said
                .is_some_and(|t| t.elapsed() < Duration::from_secs(2))
                && handoff.actor == Author::Bot;
            if bot_just_spoke || self.line.settings.transfer_notice.trim().is_empty() {
                self.start_transfer_with(&handoff);
            } else {
                self.transfer_handoff = Some(handoff);
                let text = self.line.settings.transfer_notice.clone();
                self.speak(text, None, false, After::Transfer, None);
            }
        }
        if self.reprompt_deadline.is_some_and(|d| d <= now) {
            self.reprompt_deadline = None;
            if self.is_idle() {
                self.reprompts += 1;
                if self.reprompts > self.line.settings.max_reprompts {
                    let text = self.line.settings.goodbye.clone();
                    self.speak(text, None, false, After::Hangup, None);
                } else {
                    let text = self.line.settings.reprompt.clone();
                    self.speak(text, None, true, After::Nothing, None);
                }
            }
        }
        false
    }

    fn is_idle(&self) -> bool {
        self.queue.is_empty()
            && !self.endpointer.in_speech()
            && self.awaiting.is_none()
            && self.recognizing == 0
            && !self.transferring
            && self.pending_transfer.is_none()
            && self.next_to_play == self.speak_seq
    }

    fn arm_reprompt(&mut self) {
        let secs = self.line.settings.reprompt_after_secs;
        if secs > 0 {
            self.reprompt_deadline = Some(Instant::now() + Duration::from_secs(secs));
        }
    }

    fn arm_reprompt_if_idle(&mut self) {
        if self.is_idle() {
            self.arm_reprompt();
        }
    }

    async fn play_frame(&mut self) {
        let Some(item) = self.queue.front_mut() else {
            return;
        };
        let end = (item.pos + FRAME_SAMPLES).min(item.samples.len());
        let mut frame = item.samples[item.pos..end].to_vec();
        frame.resize(FRAME_SAMPLES, 0);
        let first = item.pos == 0;
        item.pos = end;
        let finished = item.pos >= item.samples.len();
        let turn = item.turn;
        let after = item.after;
        if self
            .commands_out
            .try_send(LegCommand::Audio(frame))
            .is_err()
        {
            debug!(call = %self.start.call_id, "telephony side not taking audio; frame dropped");
        }
        let now = Instant::now();
        self.last_bot_said = Some(now);
        if first && let Some(t) = turn {
            let turn = &mut self.turns[t];
            turn.first_audio = Some(now);
            let latency = now.saturating_duration_since(turn.end_of_speech);
            self.deps.stats.reply_latency(latency);
        }
        // The clock advances by exactly one frame, so the average rate is exact even when a tick
        // is late; after a long stall it restarts instead of bursting.
        self.next_frame += Duration::from_millis(FRAME_MS);
        if self.next_frame + Duration::from_millis(200) < now {
            self.next_frame = now;
        }
        if finished {
            self.queue.pop_front();
            if turn.is_some() {
                self.flush_turns_soon();
            }
            match after {
                After::Nothing => {}
                After::Hangup => {
                    self.hangup_deadline = Some(now + Duration::from_millis(200));
                }
                After::Transfer => self.start_transfer(),
            }
            if self.queue.is_empty() {
                self.arm_reprompt_if_idle();
            }
        }
    }
}

impl Call {
    fn start_transfer(&mut self) {
        match self.transfer_handoff.take() {
            Some(h) => self.start_transfer_with(&h),
            None => {
                let _ = self
                    .work_tx
                    .try_send(Work::Transferred(Err("no handoff to carry out".into())));
            }
        }
    }

    /// Ask the telephony side to move the caller to operators, with everything the bot learned.
    fn start_transfer_with(&mut self, handoff: &Handoff) {
        let tx = self.work_tx.clone();
        let Some(transferer) = self.line.transferer.clone() else {
            let _ = tx.try_send(Work::Transferred(Err(
                "no call transfer is configured for this line".into(),
            )));
            return;
        };
        let ctx = &handoff.context;
        let request = TransferRequest {
            call: self.start.clone(),
            conversation_id: self.conversation,
            caller: self.start.from.clone(),
            reason: handoff.reason.as_str().to_owned(),
            intent: ctx.intent.clone(),
            summary: ctx.summary.clone(),
            briefing: ctx.briefing.clone().unwrap_or_default(),
            slots: ctx.slots.clone(),
        };
        info!(call = %self.start.call_id, via = transferer.name(), "transferring the call");
        tokio::spawn(async move {
            let result =
                match tokio::time::timeout(Duration::from_secs(15), transferer.transfer(&request))
                    .await
                {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("the transfer did not complete in 15 s".into()),
                };
            let _ = tx.send(Work::Transferred(result)).await;
        });
    }

    async fn on_transferred(&mut self, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.deps.stats.transfer(true);
                self.note("🔀 Звонок переведён на оператора.".to_owned())
                    .await;
                // A media stream must close for the telephony side's next step (<Enqueue>) to
                // run; Asterisk closes the AudioSocket itself once the channel is redirected.
                let wait = match self.start.telephony {
                    Telephony::MediaStream { .. } => Duration::ZERO,
                    Telephony::AudioSocket { .. } => Duration::from_secs(5),
                };
                self.ended_by = "transfer";
                self.hangup_deadline = Some(Instant::now() + wait);
            }
            Err(reason) => {
                warn!(call = %self.start.call_id, %reason, "call transfer failed");
                self.deps.stats.transfer(false);
                let who = self.start.from.as_deref().unwrap_or("(номер неизвестен)");
                self.note(format!(
                    "⚠️ Перевод звонка не удался: {reason}. Нужно перезвонить клиенту: {who}."
                ))
                .await;
                let text = self.line.settings.transfer_failed.clone();
                self.speak(text, None, false, After::Hangup, None);
            }
        }
    }

    /// A system note in the conversation (imported: it wakes no bot and goes to no channel).
    async fn note(&self, text: String) {
        let store = self.deps.lifecycle.store();
        let n = self.deps.stats.next_note();
        let note = ImportedMessage {
            account_id: self.line.account.id,
            external_chat_id: self.start.call_id.clone(),
            external_message_id: format!("{}:note:{n}", self.start.call_id),
            customer: self.customer.clone(),
            listing: None,
            author: Author::System,
            text,
            attachments: Vec::new(),
            quote: None,
            link: None,
            sent_at: Timestamp::now(),
        };
        match store.import_messages(vec![note]).await {
            Ok(_) => self.deps.lifecycle.signals().events.notify_one(),
            Err(e) => warn!(call = %self.start.call_id, error = %e, "recording a call note failed"),
        }
    }

    /// Store the turns that can no longer change (all but the newest).
    fn flush_turns_soon(&mut self) {
        let keep = self.turns.len().saturating_sub(1);
        self.record_turns(keep);
    }

    fn record_turns(&mut self, upto: usize) {
        let mut batch = Vec::new();
        for turn in self.turns.iter_mut().take(upto) {
            if turn.recorded {
                continue;
            }
            turn.recorded = true;
            batch.push(NewVoiceTurn {
                conversation_id: self.conversation,
                call_id: self.start.call_id.clone(),
                turn: turn.number,
                recognised: turn.recognised.clone(),
                answer: turn.answer.clone(),
                intent: turn.intent.clone(),
                speech_ms: turn.speech_ms as i64,
                end_of_speech_to_audio_ms: turn
                    .first_audio
                    .map(|t| t.saturating_duration_since(turn.end_of_speech).as_millis() as i64),
                recognition_ms: turn.recognition.as_millis() as i64,
                engine_ms: turn.engine.map(|d| d.as_millis() as i64),
                synthesis_ms: turn.synthesis.map(|d| d.as_millis() as i64),
                barge_in: turn.barge_in,
                dtmf: turn.dtmf,
            });
        }
        if batch.is_empty() {
            return;
        }
        let store = self.deps.lifecycle.store().clone();
        let conversation = self.conversation;
        tokio::spawn(async move {
            let intent = match store.conversation(conversation).await {
                Ok(Some(c)) => c.conversation.intent,
                _ => None,
            };
            for mut turn in batch {
                if turn.intent.is_none() {
                    turn.intent = intent.clone();
                }
                if let Err(e) = store.record_voice_turn(turn).await {
                    warn!(conversation = conversation.0, error = %e, "recording a voice turn failed");
                }
            }
        });
    }

    async fn finish(&mut self) {
        self.deps.calls.remove(self.conversation);
        let all = self.turns.len();
        self.record_turns(all);
        let secs = self.started_at.elapsed().as_secs();
        let who = match self.ended_by {
            "caller" => "клиент положил трубку",
            "bot" => "бот завершил звонок",
            "transfer" => "звонок переведён",
            "shutdown" => "сервер остановлен",
            _ => "ошибка связи",
        };
        self.note(format!("📞 Звонок завершён: {who}, {secs} с."))
            .await;
        // A call the bot finished on its own is resolved; one handed to operators stays open for
        // them (a failed transfer is a callback to make).
        if let Ok(Some(view)) = self
            .deps
            .lifecycle
            .store()
            .conversation(self.conversation)
            .await
            && view.conversation.lead == Lead::Bot
        {
            let _ = self
                .deps
                .lifecycle
                .set_status(
                    self.conversation,
                    frontline_domain::ConversationStatus::Resolved,
                )
                .await;
        }
        info!(
            call = %self.start.call_id,
            conversation = self.conversation.0,
            turns = self.turns.len(),
            ended_by = self.ended_by,
            secs,
            "call ended"
        );
    }
}

/// An answer's first sentence and the rest, when it has more than one worth splitting: the first
/// is synthesised alone so the caller hears it sooner. Splits after `.`, `!`, `?` or `…` followed by
/// a space and a capital letter, not after a short lower-case abbreviation (so «10.00», «т. е. да»
/// and «ул. Ленина» stay whole); a first part shorter than three words is kept with what follows.
fn split_first_sentence(text: &str) -> Option<(&str, &str)> {
    let text = text.trim();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        // Runs like «?!» or «...» end together.
        while let Some(&(_, next)) = chars.peek() {
            if matches!(next, '.' | '!' | '?' | '…') {
                chars.next();
            } else {
                break;
            }
        }
        let end = chars.peek().map_or(text.len(), |&(j, _)| j);
        let (head, rest) = text.split_at(end);
        let rest_trimmed = rest.trim_start();
        if rest.len() == rest_trimmed.len() || rest_trimmed.is_empty() {
            continue;
        }
        let starts_sentence = rest_trimmed
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c == '«' || c == '"');
        // «ул.», «д.», «тел.»: a short lower-case word before the dot abbreviates.
        let last = head
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .trim_end_matches(['.', '!', '?', '…']);
        let abbreviation = c == '.'
            && last.chars().count() <= 3
            && last.chars().all(|c| c.is_alphabetic() && c.is_lowercase());
        if !starts_sentence || abbreviation || head.split_whitespace().count() < 3 {
            continue;
        }
        return Some((head, rest_trimmed));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::split_first_sentence;

    #[test]
    fn the_first_sentence_is_split_off_where_a_sentence_really_ends() {
        assert_eq!(
            split_first_sentence("Заказ 123456 передан в доставку. Курьер привезёт его завтра."),
            Some((
                "Заказ 123456 передан в доставку.",
                "Курьер привезёт его завтра."
            ))
        );
        assert_eq!(
            split_first_sentence("Your order has shipped! It arrives tomorrow?! Thanks."),
            Some(("Your order has shipped!", "It arrives tomorrow?! Thanks."))
        );
        // One sentence, times, abbreviations, a short opener: whole.
        assert_eq!(split_first_sentence("Мы работаем с 10.00 до 20.00."), None);
        assert_eq!(split_first_sentence("Ждём вас на ул. Ленина, 5."), None);
        assert_eq!(split_first_sentence("Да. Всё верно."), None);
        assert_eq!(split_first_sentence("Ваш баланс 120 бонусов."), None);
        assert_eq!(split_first_sentence(""), None);
    }
}
