//! Prometheus metrics at `GET /metrics`: request latency by route, WebSocket clients, outbox depth, and
//! the lifecycle's inbound/outbound counters.
//!
//! Each server instance owns its registry (no global recorder), so tests can run several servers in one
//! process without their figures mixing.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use frontline_lifecycle::Stats;
use frontline_store::JobKind;
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, NoLabelSet, text::encode},
    metrics::{
        MetricType,
        counter::ConstCounter,
        family::Family,
        gauge::{ConstGauge, Gauge},
        histogram::Histogram,
    },
    registry::Registry,
};

use crate::{AppState, error::ApiError};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Histogram>,
    pub ws_clients: Gauge,
    outbox_depth: Gauge,
    bot_queue_depth: Gauge,
    channel_deliveries_pending: Gauge,
    /// Set once the Avito channel is wired (`AppState::with_avito`).
    pub(crate) avito: Arc<std::sync::OnceLock<frontline_channels::avito::AvitoChannel>>,
    /// Set once the voice channel is wired (`AppState::with_voice`).
    pub(crate) voice: Arc<std::sync::OnceLock<frontline_channels::voice::VoiceChannel>>,
}

impl Metrics {
    pub fn new(stats: Arc<Stats>) -> Self {
        let mut registry = Registry::with_prefix("frontline");
        let requests = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ])
        });
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route and status",
            requests.clone(),
        );
        let ws_clients = Gauge::default();
        registry.register(
            "websocket_clients",
            "Connected realtime stream clients",
            ws_clients.clone(),
        );
        let outbox_depth = Gauge::default();
        registry.register(
            "outbox_depth",
            "Outbound messages waiting for delivery (read at scrape time)",
            outbox_depth.clone(),
        );
        let bot_queue_depth = Gauge::default();
        registry.register(
            "bot_queue_depth",
            "Inbound messages waiting for the bot (read at scrape time)",
            bot_queue_depth.clone(),
        );
        let channel_deliveries_pending = Gauge::default();
        registry.register(
            "channel_deliveries_pending",
            "Channel webhook deliveries stored but not yet processed (read at scrape time)",
            channel_deliveries_pending.clone(),
        );
        registry.register_collector(Box::new(StatsCollector(stats)));
        let avito = Arc::new(std::sync::OnceLock::new());
        registry.register_collector(Box::new(AvitoCollector(avito.clone())));
        let voice = Arc::new(std::sync::OnceLock::new());
        registry.register_collector(Box::new(VoiceCollector(voice.clone())));
        Self {
            registry,
            requests,
            ws_clients,
            outbox_depth,
            bot_queue_depth,
            channel_deliveries_pending,
            avito,
            voice,
        }
    }
}

/// Exposes the lifecycle's atomic counters without making the lifecycle depend on a metrics library.
#[derive(Debug)]
struct StatsCollector(Arc<Stats>);

impl Collector for StatsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        for (name, help, v) in [
            (
                "inbound_messages",
                "Inbound messages stored",
                &s.inbound_received,
            ),
            (
                "inbound_duplicates",
                "Inbound deliveries ignored as duplicates",
                &s.inbound_duplicates,
            ),
            (
                "outbound_queued",
                "Outbound messages queued",
                &s.outbound_queued,
            ),
            (
                "outbound_sent",
                "Outbound messages delivered to their channel",
                &s.outbound_sent,
            ),
            (
                "outbound_retries",
                "Outbound delivery attempts that failed and will be retried",
                &s.outbound_retried,
            ),
            (
                "outbound_failed",
                "Outbound messages that failed for good",
                &s.outbound_failed,
            ),
            ("bot_replies", "Answers sent by the bot", &s.bot_replies),
            (
                "bot_handoffs",
                "Conversations the bot handed to operators",
                &s.bot_handoffs,
            ),
        ] {
            let c = ConstCounter::new(Stats::get(v));
            let m = encoder.encode_descriptor(name, help, None, c.metric_type())?;
            c.encode(m)?;
        }
        Ok(())
    }
}

/// The Avito channel's counters, once the channel is wired.
#[derive(Debug)]
struct AvitoCollector(Arc<std::sync::OnceLock<frontline_channels::avito::AvitoChannel>>);

impl Collector for AvitoCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(channel) = self.0.get() else {
            return Ok(());
        };
        let s = channel.stats();
        let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        for (name, help, v) in [
            (
                "avito_webhooks_stored",
                "Avito webhook deliveries stored",
                get(&s.webhooks_stored),
            ),
            (
                "avito_webhook_probes",
                "Avito `{}` probes answered",
                get(&s.webhook_probes),
            ),
            (
                "avito_webhooks_rejected",
                "Webhook requests with an unknown account or a wrong secret",
                get(&s.webhooks_rejected),
            ),
            (
                "avito_deliveries_processed",
                "Avito deliveries processed",
                get(&s.deliveries_processed),
            ),
            (
                "avito_duplicates",
                "Avito messages already stored (duplicate or echo)",
                get(&s.duplicates),
            ),
            (
                "avito_echoes_ours",
                "Echoes of frontline's own sends attributed to them",
                get(&s.echoes_ours),
            ),
            (
                "avito_external_replies",
                "Messages written by a person in the Avito app",
                get(&s.external_replies),
            ),
            (
                "avito_ignored",
                "System, a2u, deleted and non-message events kept from the bot",
                get(&s.ignored),
            ),
            (
                "avito_poller_recovered",
                "Messages the poller found that no webhook brought",
                get(&s.poller_recovered),
            ),
            (
                "avito_sends_reconciled",
                "Sends found in the chat after an uncertain attempt, not repeated",
                get(&s.sends_reconciled),
            ),
            (
                "avito_voice_transcribed",
                "Avito voice messages transcribed",
                get(&s.voice_transcribed),
            ),
            (
                "avito_voice_untranscribed",
                "Avito voice messages that could not be transcribed (kept with the audio)",
                get(&s.voice_untranscribed),
            ),
            (
                "avito_token_requests",
                "Requests to Avito's /token",
                channel.client().token_requests(),
            ),
        ] {
            let c = ConstCounter::new(v);
            let m = encoder.encode_descriptor(name, help, None, c.metric_type())?;
            c.encode(m)?;
        }
        Ok(())
    }
}

/// The voice channel's counters and latency histograms, once the channel is wired.
#[derive(Debug)]
struct VoiceCollector(Arc<std::sync::OnceLock<frontline_channels::voice::VoiceChannel>>);

impl Collector for VoiceCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use frontline_channels::voice::stats::Histogram as VoiceHistogram;
        let Some(channel) = self.0.get() else {
            return Ok(());
        };
        let s = channel.stats();
        let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        for (name, help, v) in [
            ("voice_calls", "Calls taken", get(&s.calls_total)),
            (
                "voice_calls_refused",
                "Calls refused (unknown or disabled line, wrong token)",
                get(&s.calls_rejected),
            ),
            (
                "voice_turns",
                "Caller utterances (or DTMF entries) given to the engine",
                get(&s.turns),
            ),
            (
                "voice_barge_ins",
                "Bot playback stopped because the caller spoke or typed",
                get(&s.barge_ins),
            ),
            (
                "voice_early_recognitions",
                "Utterances whose transcript was recognised during the closing silence",
                get(&s.early_recognitions),
            ),
            (
                "voice_transfers",
                "Calls transferred to operators",
                get(&s.transfers_ok),
            ),
            (
                "voice_transfers_failed",
                "Transfers that failed (a callback was left for operators)",
                get(&s.transfers_failed),
            ),
            (
                "voice_recognition_failures",
                "Utterances the recogniser failed on",
                get(&s.recognition_failures),
            ),
            (
                "voice_synthesis_failures",
                "Texts the synthesiser failed on",
                get(&s.synthesis_failures),
            ),
        ] {
            let c = ConstCounter::new(v);
            let m = encoder.encode_descriptor(name, help, None, c.metric_type())?;
            c.encode(m)?;
        }
        let g = ConstGauge::new(get(&s.calls_active) as i64);
        let m = encoder.encode_descriptor(
            "voice_calls_active",
            "Calls in progress",
            None,
            g.metric_type(),
        )?;
        g.encode(m)?;
        let audio = ConstCounter::new(get(&s.recognised_audio_us) as f64 / 1e6);
        let m = encoder.encode_descriptor(
            "voice_recognised_audio_seconds",
            "Speech given to the recogniser (with voice_recognition_seconds_sum: the real-time factor)",
            None,
            audio.metric_type(),
        )?;
        audio.encode(m)?;
        let histogram =
            |encoder: &mut DescriptorEncoder, name: &str, help: &str, h: &VoiceHistogram| {
                let (sum, count, cumulative) = h.snapshot();
                // The encoder accumulates: hand it per-bucket counts, +Inf last.
                let mut buckets = Vec::with_capacity(cumulative.len() + 1);
                let mut below = 0;
                for (bound, c) in cumulative {
                    buckets.push((bound, c.saturating_sub(below)));
                    below = c;
                }
                buckets.push((f64::MAX, count.saturating_sub(below)));
                let mut m = encoder.encode_descriptor(name, help, None, MetricType::Histogram)?;
                m.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
            };
        histogram(
            &mut encoder,
            "voice_reply_latency_seconds",
            "Caller's end of speech to the first frame of the bot's reply",
            &s.reply_latency,
        )?;
        histogram(
            &mut encoder,
            "voice_recognition_seconds",
            "Time to recognise one utterance",
            &s.recognition_time,
        )?;
        Ok(())
    }
}

/// Record latency per matched route (not per raw path, which would explode the label space).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    state
        .metrics()
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: resp.status().as_u16(),
        })
        .observe(start.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics` in the Prometheus (OpenMetrics) text format.
pub async fn render(State(state): State<AppState>) -> Result<Response, ApiError> {
    let m = state.metrics();
    m.outbox_depth
        .set(state.store().count_jobs(JobKind::Deliver).await?);
    m.bot_queue_depth
        .set(state.store().count_jobs(JobKind::Bot).await?);
    m.channel_deliveries_pending
        .set(state.store().count_channel_deliveries().await?);
    let mut body = String::new();
    encode(&mut body, &m.registry).map_err(ApiError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response())
}
