//! The webhook engine (A6): the subscribe probe and the delivery of `v3.0.0` envelopes, with timeouts,
//! retries, and an attempt log. Deliveries run in spawned tasks so that no API answer waits on them.

use serde_json::Value;

use crate::WebhookAttempt;
use crate::sim::Simulator;
use crate::state::random_hex;

/// One envelope bound for one subscribed URL.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub url: String,
    pub message_id: String,
    pub body: Value,
    /// 2 when a duplicate fault caught it.
    pub copies: u32,
}

/// The header real deliveries reportedly carry: 64 hex characters, algorithm unknown (A6 \[C\]).
const SIGNATURE_HEADER: &str = "x-avito-messenger-signature";

impl Simulator {
    /// POSTs `{}` to a URL being subscribed; Ok when it answers 200 within the webhook timeout.
    pub(crate) async fn probe(&self, url: &str) -> Result<(), String> {
        let result = self
            .inner
            .http
            .post(url)
            .timeout(self.config().webhook_timeout)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await;
        let (status, error) = match result {
            Ok(response) if response.status().as_u16() == 200 => (Some(200), None),
            Ok(response) => (
                Some(response.status().as_u16()),
                Some(format!("probe answered {}", response.status().as_u16())),
            ),
            Err(e) => (None, Some(describe(&e))),
        };
        self.state().webhook_log.push(WebhookAttempt {
            url: url.to_owned(),
            message_id: None,
            status,
            error: error.clone(),
        });
        match error {
            None => Ok(()),
            Some(e) => {
                tracing::info!(url, error = %e, "webhook probe failed");
                Err(e)
            }
        }
    }

    /// Sends each delivery in its own task.
    pub(crate) fn launch(&self, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        let Some(runtime) = self.runtime() else {
            tracing::error!("no tokio runtime to deliver webhooks on");
            return;
        };
        for delivery in deliveries {
            let sim = self.clone();
            runtime.spawn(async move { sim.deliver(delivery).await });
        }
    }

    /// Sends the deliveries one after another in one task (releasing held deliveries keeps their order).
    pub(crate) fn launch_sequential(&self, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        let Some(runtime) = self.runtime() else {
            tracing::error!("no tokio runtime to deliver webhooks on");
            return;
        };
        let sim = self.clone();
        runtime.spawn(async move {
            for delivery in deliveries {
                sim.deliver(delivery).await;
            }
        });
    }

    /// Every copy of a delivery, each with up to `1 + webhook_retries` attempts.
    async fn deliver(&self, delivery: Delivery) {
        let config = self.config();
        for _ in 0..delivery.copies {
            for attempt in 0..=config.webhook_retries {
                if attempt > 0 {
                    tokio::time::sleep(config.webhook_retry_delay).await;
                }
                if self.attempt(&delivery, attempt).await {
                    break;
                }
            }
        }
    }

    async fn attempt(&self, delivery: &Delivery, attempt: u32) -> bool {
        let result = self
            .inner
            .http
            .post(&delivery.url)
            .timeout(self.config().webhook_timeout)
            .header(SIGNATURE_HEADER, random_hex(64))
            .json(&delivery.body)
            .send()
            .await;
        let (status, error) = match result {
            Ok(response) => {
                let code = response.status().as_u16();
                let error = (code != 200).then(|| format!("receiver answered {code}"));
                (Some(code), error)
            }
            Err(e) => (None, Some(describe(&e))),
        };
        match &error {
            None => {
                tracing::debug!(url = %delivery.url, message_id = %delivery.message_id, attempt, "webhook delivered")
            }
            Some(e) => {
                tracing::info!(url = %delivery.url, message_id = %delivery.message_id, attempt, error = %e, "webhook delivery failed")
            }
        }
        let ok = error.is_none();
        self.state().webhook_log.push(WebhookAttempt {
            url: delivery.url.clone(),
            message_id: Some(delivery.message_id.clone()),
            status,
            error,
        });
        ok
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        e.to_string()
    }
}
