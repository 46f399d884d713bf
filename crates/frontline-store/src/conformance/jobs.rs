//! Conformance checks: the outbox and bot queues and delivery outcomes.

use super::*;

pub async fn claim_jobs_leases(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let got = ingest(&*store, acc.id, "chat", "m1", "a").await;
    let now = Timestamp::now().plus(secs(1));
    let lease = secs(30);

    let jobs = store
        .claim_jobs(JobKind::Bot, now, lease, 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let job = jobs[0].clone();
    assert_eq!(job.attempts, 1, "the claim counts as an attempt");
    assert_eq!(job.last_error, None);
    assert_eq!(job.message_id, got.message.id);
    assert!(
        store
            .claim_jobs(JobKind::Deliver, now, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "kinds are separate queues"
    );

    // Leased: nobody else gets it until the lease expires.
    assert!(
        store
            .claim_jobs(JobKind::Bot, now, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .claim_jobs(JobKind::Bot, now.plus(secs(29)), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.next_job_at(JobKind::Bot).await.unwrap(),
        Some(now.plus(lease))
    );
    assert_eq!(
        store.count_jobs(JobKind::Bot).await.unwrap(),
        1,
        "a leased job is still pending"
    );

    // A crashed worker's job comes back after the lease.
    let later = now.plus(lease).plus(Duration::from_millis(1));
    let again = store
        .claim_jobs(JobKind::Bot, later, lease, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, job.id);
    assert_eq!(again[0].attempts, 2);

    // Released for a later run, with its error kept.
    let run_at = later.plus(secs(60));
    store
        .retry_job(job.id, run_at, "llm timeout")
        .await
        .unwrap();
    assert_eq!(store.next_job_at(JobKind::Bot).await.unwrap(), Some(run_at));
    assert!(
        store
            .claim_jobs(
                JobKind::Bot,
                run_at.minus(Duration::from_millis(1)),
                lease,
                10
            )
            .await
            .unwrap()
            .is_empty(),
        "not due before run_at"
    );
    let third = store
        .claim_jobs(JobKind::Bot, run_at, lease, 10)
        .await
        .unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].attempts, 3);
    assert_eq!(third[0].last_error.as_deref(), Some("llm timeout"));

    store.complete_job(job.id).await.unwrap();
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 0);
    assert_eq!(store.next_job_at(JobKind::Bot).await.unwrap(), None);
    assert!(
        store
            .claim_jobs(JobKind::Bot, run_at.plus(secs(3600)), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found("complete twice", store.complete_job(job.id).await);
}

pub async fn claim_jobs_limit_order_and_counts(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    assert_eq!(store.next_job_at(JobKind::Bot).await.unwrap(), None);
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 0);
    let before = Timestamp::now();
    let mut messages = Vec::new();
    for i in 0..5 {
        messages.push(
            ingest(
                &*store,
                acc.id,
                &format!("chat-{}", i % 2),
                &format!("m{i}"),
                "a",
            )
            .await
            .message
            .id,
        );
    }
    let after = Timestamp::now();
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 5);
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 0);
    let next = store.next_job_at(JobKind::Bot).await.unwrap().expect("due");
    assert!(before <= next && next <= after, "new jobs are due at once");

    let now = Timestamp::now().plus(secs(1));
    let first = store
        .claim_jobs(JobKind::Bot, now, secs(30), 2)
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|j| j.message_id).collect::<Vec<_>>(),
        messages[0..2].to_vec(),
        "oldest first"
    );
    let rest = store
        .claim_jobs(JobKind::Bot, now, secs(30), 10)
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|j| j.message_id).collect::<Vec<_>>(),
        messages[2..5].to_vec()
    );
    assert!(
        store
            .claim_jobs(JobKind::Bot, now, secs(30), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 5);
    for j in first.iter().chain(&rest) {
        store.complete_job(j.id).await.unwrap();
    }
    assert_eq!(store.count_jobs(JobKind::Bot).await.unwrap(), 0);
}

pub async fn concurrent_claims_never_share_a_job(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    const JOBS: usize = 40;
    for i in 0..JOBS {
        ingest(
            &*store,
            acc.id,
            &format!("chat-{}", i % 5),
            &format!("m{i}"),
            "a",
        )
        .await;
    }
    let now = Timestamp::now().plus(secs(1));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_jobs(JobKind::Bot, now, secs(60), 3)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|j| j.id));
                // Leases that do not hold would hand the same jobs out forever.
                assert!(
                    mine.len() <= JOBS,
                    "more claims than jobs: leases are not respected"
                );
                tokio::task::yield_now().await;
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: HashSet<JobId> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a job was handed out twice");
    assert_eq!(all.len(), JOBS, "every job was claimed");
}

/// A bot-led conversation with one queued outbound message, and that message's claimed job.
async fn claimed_delivery(store: &dyn Store) -> (Message, Job, Timestamp) {
    let acc = account(store, "a").await;
    let conv = ingest(store, acc.id, "chat", "in-1", "вопрос")
        .await
        .conversation;
    let m = store
        .enqueue_outbound(outbound(conv.id, Author::Bot, "ответ"))
        .await
        .unwrap()
        .message;
    let now = Timestamp::now().plus(secs(1));
    let jobs = store
        .claim_jobs(JobKind::Deliver, now, secs(30), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].message_id, m.id);
    (m, jobs[0].clone(), now)
}

pub async fn delivery_succeeded_marks_sent(store: Arc<dyn Store>) {
    let (m, job, _) = claimed_delivery(&*store).await;
    let seq = latest_seq(&*store).await;
    let sent = store
        .delivery_succeeded(job.id, m.id, Some("ext-out-1".into()))
        .await
        .unwrap();
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_eq!(sent.external_id.as_deref(), Some("ext-out-1"));
    assert_eq!(sent.error, None);
    assert_eq!(sent.text, m.text);
    assert_eq!(store.message(m.id).await.unwrap(), Some(sent.clone()));
    assert_eq!(
        store.count_jobs(JobKind::Deliver).await.unwrap(),
        0,
        "the job is gone"
    );
    let events = events_since(&*store, seq).await;
    assert_eq!(kinds(&events), vec![EventKind::MessageUpdated]);
    assert_eq!(events[0].message_id, Some(m.id));
    assert_eq!(events[0].conversation_id, m.conversation_id);

    // A channel that assigns no id.
    let conv = m.conversation_id;
    let m2 = store
        .enqueue_outbound(outbound(conv, Author::Bot, "ещё"))
        .await
        .unwrap()
        .message;
    let job2 = store
        .claim_jobs(
            JobKind::Deliver,
            Timestamp::now().plus(secs(1)),
            secs(30),
            10,
        )
        .await
        .unwrap()
        .remove(0);
    let sent2 = store
        .delivery_succeeded(job2.id, m2.id, None)
        .await
        .unwrap();
    assert_eq!(sent2.status, DeliveryStatus::Sent);
    assert_eq!(sent2.external_id, None);
}

pub async fn delivery_failed_retries_then_fails(store: Arc<dyn Store>) {
    let (m, job, now) = claimed_delivery(&*store).await;
    let retry_at = now.plus(secs(10));
    let seq = latest_seq(&*store).await;
    let retrying = store
        .delivery_failed(job.id, m.id, "HTTP 503", Some(retry_at))
        .await
        .unwrap();
    assert_eq!(retrying.status, DeliveryStatus::Queued, "still on its way");
    assert_eq!(
        retrying.error.as_deref(),
        Some("HTTP 503"),
        "the error is visible meanwhile"
    );
    assert_eq!(store.message(m.id).await.unwrap(), Some(retrying.clone()));
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::MessageUpdated]
    );
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 1);
    assert_eq!(
        store.next_job_at(JobKind::Deliver).await.unwrap(),
        Some(retry_at)
    );
    assert!(
        store
            .claim_jobs(JobKind::Deliver, now, secs(30), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let again = store
        .claim_jobs(JobKind::Deliver, retry_at, secs(30), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, job.id);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].last_error.as_deref(), Some("HTTP 503"));

    let seq = latest_seq(&*store).await;
    let failed = store
        .delivery_failed(job.id, m.id, "HTTP 400", None)
        .await
        .unwrap();
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some("HTTP 400"));
    assert_eq!(store.message(m.id).await.unwrap(), Some(failed));
    assert_eq!(
        store.count_jobs(JobKind::Deliver).await.unwrap(),
        0,
        "no more attempts"
    );
    assert_eq!(store.next_job_at(JobKind::Deliver).await.unwrap(), None);
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::MessageUpdated]
    );
}

pub async fn retry_message_only_for_failed_outbound(store: Arc<dyn Store>) {
    let (m, job, _) = claimed_delivery(&*store).await;
    assert_conflict("retry a queued message", store.retry_message(m.id).await);
    store
        .delivery_failed(job.id, m.id, "boom", None)
        .await
        .unwrap();

    let seq = latest_seq(&*store).await;
    let queued = store.retry_message(m.id).await.unwrap();
    assert_eq!(queued.status, DeliveryStatus::Queued);
    assert_eq!(
        store.message(m.id).await.unwrap().unwrap().status,
        DeliveryStatus::Queued
    );
    assert_eq!(
        kinds(&events_since(&*store, seq).await),
        vec![EventKind::MessageUpdated]
    );
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 1);
    assert_conflict("retry twice", store.retry_message(m.id).await);

    let jobs = store
        .claim_jobs(
            JobKind::Deliver,
            Timestamp::now().plus(secs(1)),
            secs(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].message_id, m.id);
    let sent = store
        .delivery_succeeded(jobs[0].id, m.id, None)
        .await
        .unwrap();
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_conflict("retry a sent message", store.retry_message(m.id).await);

    // Inbound messages are never retried.
    let inbound_id = store
        .list_messages(m.conversation_id, None, 10)
        .await
        .unwrap()[0]
        .id;
    assert_conflict(
        "retry an inbound message",
        store.retry_message(inbound_id).await,
    );
}

pub async fn set_delivery_status_records_receipts(store: Arc<dyn Store>) {
    let (m, job, _) = claimed_delivery(&*store).await;
    store
        .delivery_succeeded(job.id, m.id, Some("ext-9".into()))
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;
    let d = store
        .set_delivery_status(m.id, DeliveryStatus::Delivered)
        .await
        .unwrap();
    assert_eq!(d.status, DeliveryStatus::Delivered);
    assert_eq!(d.external_id.as_deref(), Some("ext-9"));
    let r = store
        .set_delivery_status(m.id, DeliveryStatus::Read)
        .await
        .unwrap();
    assert_eq!(r.status, DeliveryStatus::Read);
    assert_eq!(store.message(m.id).await.unwrap(), Some(r));
    let events = events_since(&*store, seq).await;
    assert_eq!(
        kinds(&events),
        vec![EventKind::MessageUpdated, EventKind::MessageUpdated]
    );
    assert!(events.iter().all(|e| e.message_id == Some(m.id)));
}

pub async fn stale_delivery_reports_are_rejected(store: Arc<dyn Store>) {
    // Once a job is finished, a late report about it (a worker whose lease expired) changes nothing.
    let (m, job, _) = claimed_delivery(&*store).await;
    store
        .delivery_succeeded(job.id, m.id, Some("ext-1".into()))
        .await
        .unwrap();
    let seq = latest_seq(&*store).await;
    assert_not_found(
        "succeeded twice",
        store.delivery_succeeded(job.id, m.id, None).await,
    );
    assert_not_found(
        "failed after success",
        store
            .delivery_failed(job.id, m.id, "late", Some(Timestamp::now()))
            .await,
    );
    assert_not_found(
        "failed for good after success",
        store.delivery_failed(job.id, m.id, "late", None).await,
    );
    let stored = store.message(m.id).await.unwrap().unwrap();
    assert_eq!(stored.status, DeliveryStatus::Sent);
    assert_eq!(stored.error, None);
    assert_eq!(stored.external_id.as_deref(), Some("ext-1"));
    assert!(events_since(&*store, seq).await.is_empty());
    assert_eq!(store.count_jobs(JobKind::Deliver).await.unwrap(), 0);
}
