//! Conformance checks: workflows, versions, flow states and integrations.

use super::*;

/// A workflow draft as callers pass it: cleaned, with an empty test suite.
pub fn workflow_draft(name: &str, draft: &str) -> WorkflowDraft {
    WorkflowDraft {
        name: name.into(),
        draft: draft.into(),
        tests: "[]".into(),
    }
    .cleaned()
    .unwrap()
}

/// A flow state as the interpreter hands it over (the store sets `updated_at`).
pub fn flow(
    conversation: ConversationId,
    workflow: WorkflowId,
    version: i32,
    state: &str,
) -> FlowState {
    FlowState {
        conversation_id: conversation,
        workflow_id: workflow,
        version,
        state: state.into(),
        updated_at: Timestamp(0),
    }
}

pub async fn published(store: &dyn Store, id: WorkflowId) -> Option<i32> {
    store
        .workflow(id)
        .await
        .unwrap()
        .expect("workflow exists")
        .published_version
}

pub fn version_numbers(versions: &[WorkflowVersion]) -> Vec<i32> {
    versions.iter().map(|v| v.version).collect()
}

pub async fn workflows_create_update_and_list(store: Arc<dyn Store>) {
    assert!(store.list_workflows().await.unwrap().is_empty());
    let before = Timestamp::now();
    let orders = store
        .create_workflow(WorkflowDraft {
            tests: r#"[{"name":"greets"}]"#.into(),
            ..workflow_draft("  Заказы  ", r#"{"version":1,"nodes":[]}"#)
        })
        .await
        .unwrap();
    assert_eq!(orders.name, "Заказы");
    assert_eq!(orders.draft, r#"{"version":1,"nodes":[]}"#);
    assert_eq!(orders.tests, r#"[{"name":"greets"}]"#);
    assert_eq!(
        orders.published_version, None,
        "unpublished until published"
    );
    assert!(orders.created_at >= before && orders.created_at <= Timestamp::now());
    assert_eq!(orders.updated_at, orders.created_at);
    assert_eq!(orders.revision, 1, "a new draft is revision 1");
    assert_eq!(
        store.workflow(orders.id).await.unwrap(),
        Some(orders.clone())
    );

    let returns = store
        .create_workflow(workflow_draft("Возвраты", "{}"))
        .await
        .unwrap();
    // Created in the other order of names: the list is by id, not by name.
    let again = store
        .create_workflow(workflow_draft("Авторизация", "{}"))
        .await
        .unwrap();
    assert!(orders.id < returns.id && returns.id < again.id);
    assert_eq!(
        store.list_workflows().await.unwrap(),
        vec![orders.clone(), returns.clone(), again.clone()],
        "ordered by id"
    );

    // Editing replaces name, draft and tests, moves updated_at, and leaves what is published alone.
    let v1 = store.publish_workflow(orders.id, None, None).await.unwrap();
    let orders = store.workflow(orders.id).await.unwrap().unwrap();
    tick().await;
    // Documents are kept byte for byte (JSON whitespace and key order included).
    let new_draft = "{\"version\":1,\n  \"nodes\": [\"ответ\"], \"a\": 1}";
    let updated = store
        .update_workflow(
            orders.id,
            WorkflowDraft {
                tests: "[]".into(),
                ..workflow_draft("Заказы и доставка", new_draft)
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(updated.id, orders.id);
    assert_eq!(updated.name, "Заказы и доставка");
    assert_eq!(updated.draft, new_draft);
    assert_eq!(updated.tests, "[]");
    assert_eq!(updated.created_at, orders.created_at);
    assert!(updated.updated_at > orders.updated_at, "{updated:?}");
    assert_eq!(updated.published_version, Some(1), "published untouched");
    assert_eq!(
        updated.revision,
        orders.revision + 1,
        "every save is a revision"
    );
    assert_eq!(
        store.workflow(orders.id).await.unwrap(),
        Some(updated.clone())
    );
    assert_eq!(
        store.workflow_version(orders.id, 1).await.unwrap(),
        Some(v1),
        "the published version keeps the old document"
    );
    assert_eq!(
        store.list_workflows().await.unwrap(),
        vec![updated, returns, again]
    );

    assert_not_found_named(
        "update an unknown workflow",
        "workflow",
        store
            .update_workflow(WorkflowId(987_654), workflow_draft("x", "{}"), None)
            .await,
    );
    assert_eq!(store.list_workflows().await.unwrap().len(), 3);
    assert_eq!(
        latest_seq(&*store).await,
        Seq(0),
        "workflows append no events"
    );
}

pub async fn workflow_publish_numbering_and_rollback(store: Arc<dyn Store>) {
    let anna = operator(&*store, "anna", Role::Admin).await;
    let wf = store
        .create_workflow(workflow_draft("Заказы", r#"{"d":1}"#))
        .await
        .unwrap();
    assert!(
        store
            .list_workflow_versions(wf.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.workflow_version(wf.id, 1).await.unwrap(), None);

    let before = Timestamp::now();
    let v1 = store
        .publish_workflow(wf.id, Some(anna.id), None)
        .await
        .unwrap();
    assert_eq!(v1.workflow_id, wf.id);
    assert_eq!(v1.version, 1, "numbering starts at 1");
    assert_eq!(v1.document, r#"{"d":1}"#, "the draft is copied");
    assert_eq!(v1.published_by, Some(anna.id));
    assert_eq!(v1.note, None);
    assert!(v1.published_at >= before && v1.published_at <= Timestamp::now());
    let after_publish = store.workflow(wf.id).await.unwrap().unwrap();
    assert_eq!(after_publish.published_version, Some(1));
    assert_eq!(
        after_publish.updated_at, wf.updated_at,
        "updated_at dates the draft; publishing does not move it"
    );
    assert_eq!(after_publish.draft, wf.draft, "the draft stays as it was");

    // Each publish copies the draft as it is at that moment.
    let mut versions = vec![v1.clone()];
    for d in [r#"{"d":2}"#, r#"{"d":3}"#] {
        store
            .update_workflow(wf.id, workflow_draft("Заказы", d), None)
            .await
            .unwrap();
        let v = store.publish_workflow(wf.id, None, None).await.unwrap();
        assert_eq!(v.document, d);
        assert_eq!(v.published_by, None);
        versions.push(v);
    }
    assert_eq!(version_numbers(&versions), [1, 2, 3]);
    assert_eq!(published(&*store, wf.id).await, Some(3));
    // An edit after publishing changes no version.
    let edited = store
        .update_workflow(wf.id, workflow_draft("Заказы", r#"{"d":4}"#), None)
        .await
        .unwrap();
    for v in &versions {
        assert_eq!(
            store
                .workflow_version(wf.id, v.version)
                .await
                .unwrap()
                .as_ref(),
            Some(v),
            "version {} is immutable",
            v.version
        );
    }
    let mut newest_first = versions.clone();
    newest_first.reverse();
    assert_eq!(
        store.list_workflow_versions(wf.id).await.unwrap(),
        newest_first,
        "newest first"
    );

    // Rolling back re-publishes an old version and nothing else.
    let rolled = store.rollback_workflow(wf.id, 1).await.unwrap();
    assert_eq!(
        rolled,
        Workflow {
            published_version: Some(1),
            ..edited.clone()
        },
        "only the published version changes"
    );
    assert_eq!(store.workflow(wf.id).await.unwrap(), Some(rolled));
    assert_eq!(store.list_workflow_versions(wf.id).await.unwrap().len(), 3);
    // Rolling back to the version already published is allowed and changes nothing.
    store.rollback_workflow(wf.id, 1).await.unwrap();
    assert_eq!(published(&*store, wf.id).await, Some(1));

    // The next publish continues after the highest version, not after the published one.
    let v4 = store
        .publish_workflow(wf.id, Some(anna.id), None)
        .await
        .unwrap();
    assert_eq!(v4.version, 4);
    assert_eq!(v4.document, r#"{"d":4}"#);
    assert_eq!(published(&*store, wf.id).await, Some(4));

    for unknown in [0, 5, -1] {
        assert_not_found_named(
            "roll back to an unknown version",
            "workflow version",
            store.rollback_workflow(wf.id, unknown).await,
        );
    }
    assert_eq!(
        published(&*store, wf.id).await,
        Some(4),
        "a refused rollback changes nothing"
    );

    // An unknown publisher stores nothing.
    assert_not_found(
        "publish by an unknown operator",
        store
            .publish_workflow(wf.id, Some(OperatorId(987_654)), None)
            .await,
    );
    assert_eq!(
        version_numbers(&store.list_workflow_versions(wf.id).await.unwrap()),
        [4, 3, 2, 1]
    );
    assert_eq!(published(&*store, wf.id).await, Some(4));

    // Numbering is per workflow; another workflow's versions are not listed.
    let other = store
        .create_workflow(workflow_draft("Другой", "{}"))
        .await
        .unwrap();
    assert_eq!(
        store
            .publish_workflow(other.id, None, None)
            .await
            .unwrap()
            .version,
        1
    );
    assert_eq!(store.workflow_version(other.id, 2).await.unwrap(), None);
    assert_eq!(
        store.list_workflow_versions(other.id).await.unwrap().len(),
        1
    );
    assert_eq!(store.list_workflow_versions(wf.id).await.unwrap().len(), 4);
    assert_not_found_named(
        "roll back another workflow's version",
        "workflow version",
        store.rollback_workflow(other.id, 3).await,
    );

    let unknown = WorkflowId(987_654);
    assert_not_found_named(
        "publish an unknown workflow",
        "workflow",
        store.publish_workflow(unknown, None, None).await,
    );
    assert_not_found_named(
        "roll back an unknown workflow",
        "workflow",
        store.rollback_workflow(unknown, 1).await,
    );
    assert_not_found_named(
        "versions of an unknown workflow",
        "workflow",
        store.list_workflow_versions(unknown).await,
    );
    assert_eq!(store.workflow_version(unknown, 1).await.unwrap(), None);
}

pub async fn concurrent_publishes_get_distinct_versions(store: Arc<dyn Store>) {
    let wf = store
        .create_workflow(workflow_draft("Заказы", "{}"))
        .await
        .unwrap();
    const PUBLISHES: i32 = 8;
    let tasks: Vec<_> = (0..PUBLISHES)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.publish_workflow(wf.id, None, None).await })
        })
        .collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(
            t.await
                .unwrap()
                .expect("a concurrent publish fails")
                .version,
        );
    }
    got.sort_unstable();
    assert_eq!(
        got,
        (1..=PUBLISHES).collect::<Vec<_>>(),
        "distinct versions"
    );
    // The last publish to commit has the highest version, and it is the published one.
    assert_eq!(published(&*store, wf.id).await, Some(PUBLISHES));
    assert_eq!(
        store.list_workflow_versions(wf.id).await.unwrap().len(),
        PUBLISHES as usize
    );
}

pub async fn workflow_delete_conflicts_while_in_use(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "chat", "m1", "привет")
        .await
        .conversation
        .id;
    let wf = store
        .create_workflow(workflow_draft("Заказы", "{}"))
        .await
        .unwrap();
    let v1 = store.publish_workflow(wf.id, None, None).await.unwrap();
    store
        .set_account_workflow(acc.id, Some(wf.id))
        .await
        .unwrap();
    let state = store
        .save_flow_state(flow(conv, wf.id, 1, r#"{"at":"start"}"#))
        .await
        .unwrap();

    assert_conflict(
        "delete a workflow an account runs",
        store.delete_workflow(wf.id).await,
    );
    assert!(store.workflow(wf.id).await.unwrap().is_some());
    assert_eq!(store.workflow_version(wf.id, 1).await.unwrap(), Some(v1));
    assert_eq!(store.flow_state(conv).await.unwrap(), Some(state), "kept");
    assert_eq!(store.account_workflow(acc.id).await.unwrap(), Some(wf.id));

    // Once no account runs it, it goes with its versions and the flow states on it.
    store.set_account_workflow(acc.id, None).await.unwrap();
    store.delete_workflow(wf.id).await.unwrap();
    assert_eq!(store.workflow(wf.id).await.unwrap(), None);
    assert!(store.list_workflows().await.unwrap().is_empty());
    assert_eq!(store.workflow_version(wf.id, 1).await.unwrap(), None);
    assert_not_found_named(
        "versions of a deleted workflow",
        "workflow",
        store.list_workflow_versions(wf.id).await,
    );
    assert_eq!(store.flow_state(conv).await.unwrap(), None);
    assert_not_found_named(
        "versions in use of a deleted workflow",
        "workflow",
        store.flow_versions_in_use(wf.id).await,
    );
    assert_not_found_named(
        "delete twice",
        "workflow",
        store.delete_workflow(wf.id).await,
    );
    // The conversation itself is untouched, and can start on another workflow.
    assert_eq!(view(&*store, conv).await.conversation.id, conv);
    let next = store
        .create_workflow(workflow_draft("Следующий", "{}"))
        .await
        .unwrap();
    store
        .save_flow_state(flow(conv, next.id, 1, "{}"))
        .await
        .unwrap();

    // Deleting an account without conversations drops its choice of workflow, which frees it.
    let idle = account(&*store, "idle").await;
    store
        .set_account_workflow(idle.id, Some(next.id))
        .await
        .unwrap();
    assert_conflict(
        "in use by the idle account",
        store.delete_workflow(next.id).await,
    );
    store.delete_account(idle.id).await.unwrap();
    store.delete_workflow(next.id).await.unwrap();
    assert_eq!(store.flow_state(conv).await.unwrap(), None);
}

pub async fn account_workflow_set_and_clear(store: Arc<dyn Store>) {
    let a = account(&*store, "a").await;
    let b = account(&*store, "b").await;
    let w1 = store
        .create_workflow(workflow_draft("Первый", "{}"))
        .await
        .unwrap();
    let w2 = store
        .create_workflow(workflow_draft("Второй", "{}"))
        .await
        .unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), None);

    store.set_account_workflow(a.id, Some(w1.id)).await.unwrap();
    store.set_account_workflow(b.id, Some(w1.id)).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), Some(w1.id));
    assert_eq!(store.account_workflow(b.id).await.unwrap(), Some(w1.id));
    // Choosing again replaces the choice of that account only.
    store.set_account_workflow(a.id, Some(w2.id)).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), Some(w2.id));
    assert_eq!(store.account_workflow(b.id).await.unwrap(), Some(w1.id));
    store.set_account_workflow(a.id, Some(w2.id)).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), Some(w2.id));
    assert_eq!(
        store.list_account_workflows().await.unwrap(),
        vec![(a.id, w2.id), (b.id, w1.id)],
        "every account's choice, by account"
    );

    let unknown_account = AccountId(987_654);
    let unknown_workflow = WorkflowId(987_654);
    assert_not_found_named(
        "run an unknown workflow",
        "workflow",
        store
            .set_account_workflow(a.id, Some(unknown_workflow))
            .await,
    );
    assert_eq!(
        store.account_workflow(a.id).await.unwrap(),
        Some(w2.id),
        "a refused choice changes nothing"
    );
    assert_not_found_named(
        "choose for an unknown account",
        "account",
        store
            .set_account_workflow(unknown_account, Some(w1.id))
            .await,
    );
    assert_not_found_named(
        "clear for an unknown account",
        "account",
        store.set_account_workflow(unknown_account, None).await,
    );
    assert_not_found_named(
        "the workflow of an unknown account",
        "account",
        store.account_workflow(unknown_account).await,
    );

    // Clearing is idempotent and leaves other accounts alone.
    store.set_account_workflow(a.id, None).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), None);
    assert_eq!(
        store.list_account_workflows().await.unwrap(),
        vec![(b.id, w1.id)]
    );
    store.set_account_workflow(a.id, None).await.unwrap();
    assert_eq!(store.account_workflow(a.id).await.unwrap(), None);
    assert_eq!(store.account_workflow(b.id).await.unwrap(), Some(w1.id));
    // w2 is no longer in use; w1 still is.
    store.delete_workflow(w2.id).await.unwrap();
    assert_conflict("w1 still runs on b", store.delete_workflow(w1.id).await);
    assert_eq!(latest_seq(&*store).await, Seq(0), "no events");
}

pub async fn flow_states_save_clear_and_count(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let mut convs = Vec::new();
    for chat in ["one", "two", "three"] {
        convs.push(
            ingest(&*store, acc.id, chat, chat, "привет")
                .await
                .conversation
                .id,
        );
    }
    let seq = latest_seq(&*store).await;
    let (c1, c2, c3) = (convs[0], convs[1], convs[2]);
    let wf = store
        .create_workflow(workflow_draft("Заказы", "{}"))
        .await
        .unwrap();
    let other = store
        .create_workflow(workflow_draft("Другой", "{}"))
        .await
        .unwrap();
    for id in [wf.id, wf.id, other.id] {
        store.publish_workflow(id, None, None).await.unwrap();
    }
    assert_eq!(store.flow_state(c1).await.unwrap(), None);
    assert!(store.flow_versions_in_use(wf.id).await.unwrap().is_empty());

    // Insert: updated_at is the store's, whatever the caller passed.
    let before = Timestamp::now();
    let first = store
        .save_flow_state(flow(c1, wf.id, 1, r#"{"at":"ask_order","vars":{"n":"1"}}"#))
        .await
        .unwrap();
    assert_eq!(
        first,
        FlowState {
            updated_at: first.updated_at,
            ..flow(c1, wf.id, 1, r#"{"at":"ask_order","vars":{"n":"1"}}"#)
        }
    );
    assert!(first.updated_at >= before && first.updated_at <= Timestamp::now());
    assert_eq!(store.flow_state(c1).await.unwrap(), Some(first.clone()));

    // Replace: one state per conversation, every field taken from the new one.
    tick().await;
    let second = store
        .save_flow_state(flow(c1, wf.id, 2, r#"{"at":"done"}"#))
        .await
        .unwrap();
    assert_eq!(
        (second.version, second.state.as_str()),
        (2, r#"{"at":"done"}"#)
    );
    assert!(second.updated_at > first.updated_at);
    assert_eq!(store.flow_state(c1).await.unwrap(), Some(second.clone()));

    store
        .save_flow_state(flow(c2, wf.id, 1, "{}"))
        .await
        .unwrap();
    store
        .save_flow_state(flow(c3, wf.id, 2, "{}"))
        .await
        .unwrap();
    assert_eq!(
        store.flow_versions_in_use(wf.id).await.unwrap(),
        [(1, 1), (2, 2)],
        "counted by version, ascending"
    );
    assert!(
        store
            .flow_versions_in_use(other.id)
            .await
            .unwrap()
            .is_empty()
    );

    // Moving a conversation to another workflow moves its count.
    store
        .save_flow_state(flow(c3, other.id, 1, "{}"))
        .await
        .unwrap();
    assert_eq!(
        store.flow_versions_in_use(wf.id).await.unwrap(),
        [(1, 1), (2, 1)]
    );
    assert_eq!(
        store.flow_versions_in_use(other.id).await.unwrap(),
        [(1, 1)]
    );

    // Clearing is idempotent.
    store.clear_flow_state(c2).await.unwrap();
    assert_eq!(store.flow_state(c2).await.unwrap(), None);
    store.clear_flow_state(c2).await.unwrap();
    store
        .clear_flow_state(ConversationId(987_654))
        .await
        .unwrap();
    assert_eq!(store.flow_versions_in_use(wf.id).await.unwrap(), [(2, 1)]);
    assert_eq!(store.flow_state(c1).await.unwrap(), Some(second.clone()));

    assert_not_found_named(
        "save for an unknown conversation",
        "conversation",
        store
            .save_flow_state(flow(ConversationId(987_654), wf.id, 1, "{}"))
            .await,
    );
    assert_not_found_named(
        "save on an unknown workflow",
        "workflow",
        store
            .save_flow_state(flow(c1, WorkflowId(987_654), 1, "{}"))
            .await,
    );
    assert_eq!(
        store.flow_state(c1).await.unwrap(),
        Some(second),
        "a refused save changes nothing"
    );
    assert_not_found_named(
        "the state of an unknown conversation",
        "conversation",
        store.flow_state(ConversationId(987_654)).await,
    );
    assert_not_found_named(
        "versions in use of an unknown workflow",
        "workflow",
        store.flow_versions_in_use(WorkflowId(987_654)).await,
    );
    assert_eq!(
        latest_seq(&*store).await,
        seq,
        "flow states append no events"
    );
}

pub async fn integrations_upsert_list_and_delete(store: Arc<dyn Store>) {
    assert!(store.list_integrations().await.unwrap().is_empty());
    assert_eq!(store.integration("shop").await.unwrap(), None);

    let headers = std::collections::BTreeMap::from([
        (
            "Authorization".to_string(),
            "Bearer s3cr\u{e9}t".to_string(),
        ),
        ("X-Api-Key".to_string(), "ключ \"с кавычками\"".to_string()),
        ("x-empty".to_string(), String::new()),
    ]);
    let before = Timestamp::now();
    let shop = store
        .upsert_integration("shop", "https://shop.example/api", headers.clone())
        .await
        .unwrap();
    assert_eq!(shop.name, "shop");
    assert_eq!(shop.base_url, "https://shop.example/api");
    assert_eq!(shop.headers, headers, "headers round-trip");
    assert!(shop.created_at >= before && shop.created_at <= Timestamp::now());
    assert_eq!(shop.updated_at, shop.created_at);
    assert_eq!(store.integration("shop").await.unwrap(), Some(shop.clone()));

    // Replacing keeps created_at, moves updated_at, and replaces the headers (no merge).
    tick().await;
    let only = std::collections::BTreeMap::from([("X-Token".to_string(), "t".to_string())]);
    let replaced = store
        .upsert_integration("shop", "https://shop.example/v2", only.clone())
        .await
        .unwrap();
    assert_eq!(replaced.base_url, "https://shop.example/v2");
    assert_eq!(replaced.headers, only);
    assert_eq!(replaced.created_at, shop.created_at, "created_at kept");
    assert!(replaced.updated_at > shop.updated_at);
    assert_eq!(
        store.integration("shop").await.unwrap(),
        Some(replaced.clone())
    );
    let emptied = store
        .upsert_integration("shop", "https://shop.example/v2", Default::default())
        .await
        .unwrap();
    assert!(emptied.headers.is_empty());

    // Names sort by code point: `-` < `_` < letters.
    for name in ["crm", "a_b", "a-b"] {
        store
            .upsert_integration(name, "http://127.0.0.1:9", Default::default())
            .await
            .unwrap();
    }
    let names = |list: Vec<Integration>| list.into_iter().map(|i| i.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.list_integrations().await.unwrap()),
        ["a-b", "a_b", "crm", "shop"]
    );

    store.delete_integration("crm").await.unwrap();
    assert_eq!(store.integration("crm").await.unwrap(), None);
    assert_eq!(
        names(store.list_integrations().await.unwrap()),
        ["a-b", "a_b", "shop"]
    );
    assert_not_found_named(
        "delete twice",
        "integration",
        store.delete_integration("crm").await,
    );
    assert_not_found_named(
        "delete an unknown integration",
        "integration",
        store.delete_integration("nowhere").await,
    );
    assert_eq!(store.integration("shop").await.unwrap(), Some(emptied));
}

pub async fn workflow_saves_check_the_revision(store: Arc<dyn Store>) {
    let wf = store
        .create_workflow(workflow_draft("Заказы", r#"{"d":1}"#))
        .await
        .unwrap();
    assert_eq!(wf.revision, 1);
    let mine = store
        .update_workflow(wf.id, workflow_draft("Заказы", r#"{"d":"mine"}"#), Some(1))
        .await
        .unwrap();
    assert_eq!(mine.revision, 2);

    // A second editor who also started from revision 1 is refused, and nothing of theirs lands.
    assert_conflict(
        "a save from an older revision",
        store
            .update_workflow(wf.id, workflow_draft("Чужое", r#"{"d":"theirs"}"#), Some(1))
            .await,
    );
    assert_conflict(
        "a save from a revision that never was",
        store
            .update_workflow(wf.id, workflow_draft("Чужое", r#"{"d":"theirs"}"#), Some(7))
            .await,
    );
    assert_eq!(store.workflow(wf.id).await.unwrap(), Some(mine.clone()));

    // Publishing and rolling back are not saves of the draft.
    store.publish_workflow(wf.id, None, None).await.unwrap();
    store.rollback_workflow(wf.id, 1).await.unwrap();
    assert_eq!(store.workflow(wf.id).await.unwrap().unwrap().revision, 2);

    // Without an expected revision the save is unconditional (curl, imports), and still counts.
    let forced = store
        .update_workflow(wf.id, workflow_draft("Заказы", r#"{"d":3}"#), None)
        .await
        .unwrap();
    assert_eq!(forced.revision, 3);
    assert_not_found_named(
        "save an unknown workflow with a revision",
        "workflow",
        store
            .update_workflow(WorkflowId(987_654), workflow_draft("x", "{}"), Some(1))
            .await,
    );

    // Saves racing from the same revision: exactly one wins, the rest conflict.
    let racers = 6;
    let tasks: Vec<_> = (0..racers)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let draft = workflow_draft("Гонка", &format!(r#"{{"by":{i}}}"#));
                store.update_workflow(wf.id, draft, Some(3)).await
            })
        })
        .collect();
    let mut won = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(w) => won.push(w),
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("a racing save failed otherwise: {e}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one of the racing saves wins");
    assert_eq!(won[0].revision, 4);
    assert_eq!(store.workflow(wf.id).await.unwrap(), Some(won[0].clone()));
}

pub async fn workflow_versions_keep_their_notes(store: Arc<dyn Store>) {
    let wf = store
        .create_workflow(workflow_draft("Заказы", "{}"))
        .await
        .unwrap();
    let v1 = store
        .publish_workflow(wf.id, None, Some("первая версия: статус заказа".into()))
        .await
        .unwrap();
    assert_eq!(v1.note.as_deref(), Some("первая версия: статус заказа"));
    let v2 = store.publish_workflow(wf.id, None, None).await.unwrap();
    assert_eq!(v2.note, None);
    assert_eq!(
        store.list_workflow_versions(wf.id).await.unwrap(),
        vec![v2, v1.clone()]
    );
    assert_eq!(store.workflow_version(wf.id, 1).await.unwrap(), Some(v1));
}
