//! Conformance checks: the bot's configuration draft and versions.

use super::*;

pub async fn bot_config_draft_saves_check_the_revision(store: Arc<dyn Store>) {
    let admin = operator(&*store, "admin", Role::Admin).await;
    assert_eq!(store.bot_config_draft().await.unwrap(), None);

    let first = store
        .save_bot_config_draft(r#"{"name":"a"}"#, None, None, Some(admin.id))
        .await
        .unwrap();
    assert_eq!(first.revision, 1);
    assert_eq!(first.document, r#"{"name":"a"}"#);
    assert_eq!(first.updated_by, Some(admin.id));
    assert_eq!(first.based_on, None);
    assert_eq!(store.bot_config_draft().await.unwrap(), Some(first.clone()));

    // Starting a new draft while one exists, or saving an old revision, is refused.
    for stale in [None, Some(0), Some(2)] {
        let err = store
            .save_bot_config_draft(r#"{"name":"b"}"#, None, stale, None)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{stale:?}: {err:?}");
    }
    let second = store
        .save_bot_config_draft(r#"{"name":"b"}"#, Some(3), Some(1), None)
        .await
        .unwrap();
    assert_eq!((second.revision, second.based_on), (2, Some(3)));
    assert_eq!(second.updated_by, None);
    assert_eq!(
        store.bot_config_draft().await.unwrap().unwrap().document,
        r#"{"name":"b"}"#,
        "the refused saves changed nothing"
    );

    let err = store
        .save_bot_config_draft("{}", None, Some(2), Some(OperatorId(999_999)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("operator")), "{err:?}");

    store.discard_bot_config_draft().await.unwrap();
    store.discard_bot_config_draft().await.unwrap();
    assert_eq!(store.bot_config_draft().await.unwrap(), None);
    // After a discard, the editor of revision 2 learns the draft is gone.
    let err = store
        .save_bot_config_draft("{}", None, Some(2), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

pub async fn bot_config_publish_numbers_versions_and_clears_the_draft(store: Arc<dyn Store>) {
    let admin = operator(&*store, "admin", Role::Admin).await;
    assert_eq!(store.latest_bot_config().await.unwrap(), None);
    assert!(store.bot_config_versions().await.unwrap().is_empty());

    store
        .save_bot_config_draft("draft", None, None, Some(admin.id))
        .await
        .unwrap();
    let v1 = store
        .publish_bot_config("one", Some("seeded"), None)
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.document, "one");
    assert_eq!(v1.note.as_deref(), Some("seeded"));
    assert_eq!(v1.published_by, None);
    assert_eq!(v1.report, None);
    assert_eq!(
        store.bot_config_draft().await.unwrap(),
        None,
        "publishing ends the draft"
    );

    let v2 = store
        .publish_bot_config("two", None, Some(admin.id))
        .await
        .unwrap();
    assert_eq!((v2.version, v2.published_by), (2, Some(admin.id)));
    assert_eq!(store.latest_bot_config().await.unwrap(), Some(v2.clone()));
    assert_eq!(
        store.bot_config_versions().await.unwrap(),
        vec![v2.clone(), v1.clone()],
        "newest first"
    );
    assert_eq!(store.bot_config_version(1).await.unwrap(), Some(v1.clone()));
    assert_eq!(store.bot_config_version(3).await.unwrap(), None);

    store
        .set_bot_config_report(1, r#"{"accuracy":0.9}"#)
        .await
        .unwrap();
    assert_eq!(
        store
            .bot_config_version(1)
            .await
            .unwrap()
            .unwrap()
            .report
            .as_deref(),
        Some(r#"{"accuracy":0.9}"#)
    );
    let err = store.set_bot_config_report(7, "{}").await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    let err = store
        .publish_bot_config("x", None, Some(OperatorId(999_999)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("operator")), "{err:?}");
    assert_eq!(store.latest_bot_config().await.unwrap(), Some(v2));
}

pub async fn concurrent_bot_config_publishes_get_distinct_versions(store: Arc<dyn Store>) {
    const PUBLISHES: i32 = 8;
    let tasks: Vec<_> = (0..PUBLISHES)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .publish_bot_config(&format!("doc {i}"), None, None)
                    .await
            })
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
    assert_eq!(got, (1..=PUBLISHES).collect::<Vec<_>>());
    assert_eq!(
        store.latest_bot_config().await.unwrap().map(|v| v.version),
        Some(PUBLISHES)
    );
}

pub async fn llm_settings_keep_replace_and_clear_the_sealed_key(store: Arc<dyn Store>) {
    let admin = operator(&*store, "admin", Role::Admin).await;
    assert_eq!(store.llm_settings().await.unwrap(), None);

    let first = store
        .save_llm_settings(r#"{"enabled":false}"#, KeyChange::Keep, None)
        .await
        .unwrap();
    assert_eq!(first.settings, r#"{"enabled":false}"#);
    assert_eq!(first.sealed_api_key, None);

    let set = store
        .save_llm_settings(
            r#"{"enabled":true}"#,
            KeyChange::Set("sealed:one"),
            Some(admin.id),
        )
        .await
        .unwrap();
    assert_eq!(set.sealed_api_key.as_deref(), Some("sealed:one"));
    assert_eq!(set.updated_by, Some(admin.id));

    let kept = store
        .save_llm_settings(r#"{"enabled":true,"x":1}"#, KeyChange::Keep, None)
        .await
        .unwrap();
    assert_eq!(kept.sealed_api_key.as_deref(), Some("sealed:one"), "kept");
    assert_eq!(kept.settings, r#"{"enabled":true,"x":1}"#);
    assert_eq!(store.llm_settings().await.unwrap(), Some(kept));

    let cleared = store
        .save_llm_settings("{}", KeyChange::Clear, None)
        .await
        .unwrap();
    assert_eq!(cleared.sealed_api_key, None);

    let err = store
        .save_llm_settings("{}", KeyChange::Keep, Some(OperatorId(999_999)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("operator")), "{err:?}");
}
