//! The one suite both telephony adapters run. Each adapter turns its wire into the same [`Leg`], so
//! what a call may rely on is checked once, here, against every adapter: the start of a call and
//! its parameters, caller audio in order and in real time at 8 kHz, DTMF, bot audio out, marks and
//! `clear` where the wire has them, hang-ups from either side and from a shutdown, and malformed
//! input skipped without ending the call.
//!
//! An adapter's tests implement [`Wire`] (how to start the adapter, what its wire can carry, how a
//! raw peer sends garbage) and instantiate every check with
//! [`leg_conformance_suite!`](crate::voice::leg::conformance::leg_conformance_suite). The checks
//! drive the adapter from the telephone network's side with [`Caller`], as Asterisk or Twilio would;
//! what only one wire has (its byte framing, its refusals, its close codes) stays in that adapter's
//! own tests.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use frontline_domain::AccountId;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{CallSink, CallStart, Leg, LegCommand, LegEvent};
use crate::audio::{FRAME_SAMPLES, PHONE_RATE, Pcm};
use crate::voice::caller::{Caller, CallerOptions, EndedBy, Transport};

/// Instantiate every check as a `#[tokio::test]` for the [`Wire`] `$wire`.
macro_rules! leg_conformance_suite {
    ($wire:ty) => {
        $crate::voice::leg::conformance::leg_conformance_suite!(@checks $wire;
            a_call_starts_with_its_parameters,
            a_call_without_options_starts_with_generated_ids,
            caller_audio_arrives_in_order_and_in_real_time,
            bot_audio_reaches_the_caller,
            marks_come_back_where_the_wire_has_them,
            clear_reaches_the_caller_where_the_wire_has_it,
            the_bot_hanging_up_ends_the_call,
            the_caller_hanging_up_ends_the_leg,
            shutdown_ends_calls_in_progress,
            malformed_input_is_skipped_and_the_call_goes_on,
        );
    };
    (@checks $wire:ty; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                $crate::voice::leg::conformance::$check::<$wire>().await;
            }
        )+
    };
}
pub(crate) use leg_conformance_suite;

/// A telephony adapter as the suite sees it.
pub(crate) trait Wire {
    /// The wire echoes a mark once the audio before it has played (media streams do; AudioSocket
    /// has no such message).
    const MARKS: bool;
    /// The wire can tell the far side to drop the audio it buffers (media streams' `clear`).
    const CLEAR: bool;
    /// A raw connection kept open while a check looks at what it caused.
    type Raw;

    /// Start the adapter on a fresh loopback port.
    async fn start() -> Running;
    /// Where a [`Caller`] reaches the running adapter.
    fn transport(running: &Running) -> Transport;
    /// The line every call to the running adapter is on.
    fn line() -> AccountId;
    /// Caller options using everything the wire can carry at the start of a call.
    fn options() -> CallerOptions;
    /// Caller audio as the pipeline hears it after the wire (lossless, or through μ-law).
    fn through_wire(samples: &[i16]) -> Vec<i16>;
    /// The wire-specific part of a call's start: its id, its caller's number, [`Telephony`](super::Telephony).
    fn check_start(start: &CallStart, caller: &Caller, options: &CallerOptions);
    /// Connect without [`Caller`], start a call, send the wire's kinds of garbage, then `frame`
    /// of audio, then the wire's hang-up.
    async fn raw_call_with_garbage(running: &Running, frame: &[i16]) -> Self::Raw;
}

/// An adapter serving on a loopback port, handing its calls to `legs`.
#[derive(Debug)]
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    pub(crate) legs: mpsc::Receiver<Leg>,
    pub(crate) shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    /// Bind `127.0.0.1:0` and run `serve` on it until the returned [`Running::shutdown`].
    pub(crate) async fn spawn<F, Fut>(serve: F) -> Running
    where
        F: FnOnce(TcpListener, CallSink, CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (sink, legs) = mpsc::channel(8);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve(listener, sink, shutdown.clone()));
        Running {
            addr,
            legs,
            shutdown,
            task,
        }
    }

    pub(crate) async fn next_leg(&mut self) -> Leg {
        tokio::time::timeout(Duration::from_secs(10), self.legs.recv())
            .await
            .expect("a call in time")
            .expect("sink open")
    }

    /// Shut down and wait for the adapter to finish (its calls included).
    pub(crate) async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the adapter stops after its shutdown")
            .expect("the adapter did not fail");
    }
}

pub(crate) async fn next_event(leg: &mut Leg) -> LegEvent {
    tokio::time::timeout(Duration::from_secs(10), leg.events.recv())
        .await
        .expect("event in time")
        .expect("events open")
}

/// Events up to the first non-audio one, with the audio frames before it.
pub(crate) async fn audio_until_control(leg: &mut Leg) -> (Vec<Vec<i16>>, LegEvent) {
    let mut frames = Vec::new();
    loop {
        match next_event(leg).await {
            LegEvent::Audio(frame) => frames.push(frame),
            other => return (frames, other),
        }
    }
}

/// A tone whose first sample is not zero, so where it starts is plain to see.
pub(crate) fn tone(ms: u64, hz: f64) -> Vec<i16> {
    let n = (u64::from(PHONE_RATE) * ms / 1000) as usize;
    (0..n)
        .map(|i| {
            ((i as f64 * hz * std::f64::consts::TAU / f64::from(PHONE_RATE)).cos() * 9000.0) as i16
        })
        .collect()
}

async fn call<W: Wire>(options: CallerOptions) -> (Running, Caller, Leg) {
    let mut running = W::start().await;
    let caller = Caller::connect(W::transport(&running), options)
        .await
        .unwrap();
    let leg = running.next_leg().await;
    (running, caller, leg)
}

/// Send bot audio frame by frame, as the call's playout clock would.
async fn play(leg: &Leg, samples: &[i16]) {
    for frame in samples.chunks(FRAME_SAMPLES) {
        leg.commands
            .send(LegCommand::Audio(frame.to_vec()))
            .await
            .unwrap();
    }
}

/// The bot's audio as the caller heard it, sent now.
async fn bot_says(caller: &Caller, leg: &Leg, samples: &[i16]) -> Vec<i16> {
    let sent_at = Instant::now();
    play(leg, samples).await;
    let turn = caller
        .bot_turn(sent_at, Duration::from_millis(300), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(turn.audio.rate, PHONE_RATE);
    assert!(turn.first_audio <= turn.last_audio);
    turn.audio.samples
}

pub(crate) async fn a_call_starts_with_its_parameters<W: Wire>() {
    let options = W::options();
    let (running, caller, leg) = call::<W>(options.clone()).await;
    assert_eq!(leg.start.line, W::line());
    assert_eq!(leg.start.call_id, caller.call_id());
    W::check_start(&leg.start, &caller, &options);
    running.stop().await;
}

pub(crate) async fn a_call_without_options_starts_with_generated_ids<W: Wire>() {
    let options = CallerOptions::default();
    let (running, caller, leg) = call::<W>(options.clone()).await;
    assert_eq!(leg.start.line, W::line());
    assert_eq!(leg.start.call_id, caller.call_id());
    assert_eq!(leg.start.from, None);
    W::check_start(&leg.start, &caller, &options);
    running.stop().await;
}

pub(crate) async fn caller_audio_arrives_in_order_and_in_real_time<W: Wire>() {
    let (running, caller, mut leg) = call::<W>(W::options()).await;
    // The caller streams continuously: silence, then what it says, at real-time pace.
    let said = tone(300, 440.0);
    let began = Instant::now();
    let speech = caller.say(&Pcm::new(PHONE_RATE, said.clone()));
    caller.dtmf('7');
    caller.dtmf('#');
    let end_of_speech = speech.await.unwrap();
    assert!(
        end_of_speech - began >= Duration::from_millis(250),
        "300 ms of speech took {:?}",
        end_of_speech - began
    );
    let (frames, event) = audio_until_control(&mut leg).await;
    assert_eq!(
        event,
        LegEvent::Dtmf('7'),
        "dtmf comes after the audio queued before it"
    );
    assert!(frames.iter().all(|f| f.len() == FRAME_SAMPLES));
    let heard: Vec<i16> = frames.concat();
    let start = heard.iter().position(|&s| s != 0).expect("speech arrived");
    // Exactly what was said (after the wire's coding), padded to whole frames with silence.
    assert_eq!(
        &heard[start..start + said.len()],
        &W::through_wire(&said)[..]
    );
    assert_eq!(audio_until_control(&mut leg).await.1, LegEvent::Dtmf('#'));
    let pace = Instant::now();
    let mut more = 0;
    while more < 25 {
        if let LegEvent::Audio(_) = next_event(&mut leg).await {
            more += 1;
        }
    }
    let took = pace.elapsed();
    // 25 frames are 500 ms of real time; a generous window for a loaded machine.
    assert!(
        took >= Duration::from_millis(350) && took < Duration::from_secs(5),
        "25 frames in {took:?}"
    );
    running.stop().await;
}

pub(crate) async fn bot_audio_reaches_the_caller<W: Wire>() {
    let (running, caller, leg) = call::<W>(W::options()).await;
    let bot = tone(200, 700.0);
    assert_eq!(bot_says(&caller, &leg, &bot).await, W::through_wire(&bot));
    assert!(!caller.hung_up_by_bot());
    running.stop().await;
}

pub(crate) async fn marks_come_back_where_the_wire_has_them<W: Wire>() {
    let (running, caller, mut leg) = call::<W>(W::options()).await;
    let bot = tone(200, 700.0);
    let sent_at = Instant::now();
    play(&leg, &bot).await;
    leg.commands
        .send(LegCommand::Mark("utt-1".into()))
        .await
        .unwrap();
    let turn = caller
        .bot_turn(sent_at, Duration::from_millis(300), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        turn.audio.samples,
        W::through_wire(&bot),
        "a mark is not audio"
    );
    if W::MARKS {
        let (_, event) = audio_until_control(&mut leg).await;
        assert_eq!(event, LegEvent::Mark("utt-1".into()));
        assert_eq!(caller.marks().len(), 1);
    } else {
        assert!(caller.marks().is_empty());
        // Nothing comes back for it: the next event after the caller's audio is the hang-up.
        caller.hangup().await.unwrap();
        assert_eq!(audio_until_control(&mut leg).await.1, LegEvent::Hangup);
    }
    running.stop().await;
}

pub(crate) async fn clear_reaches_the_caller_where_the_wire_has_it<W: Wire>() {
    let (running, caller, leg) = call::<W>(W::options()).await;
    let before_clear = Instant::now();
    leg.commands.send(LegCommand::Clear).await.unwrap();
    if W::CLEAR {
        let cleared = caller
            .clear_after(before_clear, Duration::from_secs(10))
            .await
            .unwrap();
        assert!(cleared >= before_clear);
    }
    // The call goes on either way: audio after a clear is heard in full.
    let bot = tone(200, 700.0);
    assert_eq!(bot_says(&caller, &leg, &bot).await, W::through_wire(&bot));
    if !W::CLEAR {
        assert!(caller.clears().is_empty());
    }
    assert!(!caller.hung_up_by_bot());
    running.stop().await;
}

pub(crate) async fn the_bot_hanging_up_ends_the_call<W: Wire>() {
    let (running, caller, mut leg) = call::<W>(W::options()).await;
    leg.commands.send(LegCommand::Hangup).await.unwrap();
    caller.wait_closed(Duration::from_secs(10)).await.unwrap();
    assert!(caller.hung_up_by_bot());
    // The pipeline sees the end too, and nothing after it.
    assert_eq!(audio_until_control(&mut leg).await.1, LegEvent::Hangup);
    assert!(
        leg.events.recv().await.is_none(),
        "hang-up is the last event"
    );
    running.stop().await;
}

pub(crate) async fn the_caller_hanging_up_ends_the_leg<W: Wire>() {
    let (running, caller, mut leg) = call::<W>(CallerOptions::default()).await;
    caller.hangup().await.unwrap();
    assert_eq!(audio_until_control(&mut leg).await.1, LegEvent::Hangup);
    assert!(
        leg.events.recv().await.is_none(),
        "hang-up is the last event"
    );
    assert!(!caller.hung_up_by_bot());
    // The adapter closes the connection in turn.
    caller.wait_closed(Duration::from_secs(10)).await.unwrap();
    assert!(!caller.hung_up_by_bot());
    running.stop().await;
}

pub(crate) async fn shutdown_ends_calls_in_progress<W: Wire>() {
    let (running, caller, mut leg) = call::<W>(W::options()).await;
    running.stop().await;
    assert_eq!(
        caller.wait_end(Duration::from_secs(10)).await.unwrap(),
        EndedBy::Bot,
        "the adapter hangs up on the caller"
    );
    assert_eq!(audio_until_control(&mut leg).await.1, LegEvent::Hangup);
}

pub(crate) async fn malformed_input_is_skipped_and_the_call_goes_on<W: Wire>() {
    let mut running = W::start().await;
    let frame = vec![1000; FRAME_SAMPLES];
    let _raw = W::raw_call_with_garbage(&running, &frame).await;
    let mut leg = running.next_leg().await;
    assert_eq!(leg.start.line, W::line());
    assert_eq!(
        next_event(&mut leg).await,
        LegEvent::Audio(W::through_wire(&frame)),
        "the garbage made no events"
    );
    assert_eq!(next_event(&mut leg).await, LegEvent::Hangup);
    assert!(running.legs.try_recv().is_err(), "one connection, one call");
    running.stop().await;
}
