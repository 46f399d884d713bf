//! Conformance checks: channel accounts.

use super::*;

pub async fn accounts_crud(store: Arc<dyn Store>) {
    assert!(store.list_accounts().await.unwrap().is_empty());
    let api = store
        .create_account(NewAccount {
            kind: AccountKind::Api,
            name: "Сайт".into(),
            callback_url: Some("http://127.0.0.1:9/hook".into()),
            inbound_token_hash: Some("abc123".into()),
            settings: None,
            sealed_secrets: None,
        })
        .await
        .unwrap();
    assert_eq!(api.kind, AccountKind::Api);
    assert_eq!(api.name, "Сайт");
    assert!(api.enabled, "new accounts are enabled");
    assert_eq!(api.callback_url.as_deref(), Some("http://127.0.0.1:9/hook"));
    assert_eq!(api.inbound_token_hash.as_deref(), Some("abc123"));
    let avito = store
        .create_account(NewAccount {
            kind: AccountKind::Avito,
            name: "Avito".into(),
            callback_url: None,
            inbound_token_hash: None,
            settings: None,
            sealed_secrets: None,
        })
        .await
        .unwrap();
    assert_eq!(store.account(api.id).await.unwrap(), Some(api.clone()));
    assert_eq!(
        store.list_accounts().await.unwrap(),
        vec![api.clone(), avito.clone()]
    );

    let patched = store
        .update_account(
            api.id,
            AccountPatch {
                name: Some("Сайт 2".into()),
                enabled: Some(false),
                callback_url: Some(None),
                inbound_token_hash: None,
                settings: None,
                sealed_secrets: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.name, "Сайт 2");
    assert!(!patched.enabled);
    assert_eq!(patched.callback_url, None, "Some(None) clears");
    assert_eq!(
        patched.inbound_token_hash.as_deref(),
        Some("abc123"),
        "None keeps"
    );
    assert_eq!(patched.kind, AccountKind::Api);
    assert_eq!(store.account(api.id).await.unwrap(), Some(patched.clone()));
    let patched = store
        .update_account(
            api.id,
            AccountPatch {
                callback_url: Some(Some("http://127.0.0.1:9/new".into())),
                inbound_token_hash: Some(Some("def".into())),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        patched.callback_url.as_deref(),
        Some("http://127.0.0.1:9/new")
    );
    assert_eq!(patched.inbound_token_hash.as_deref(), Some("def"));
    assert_eq!(patched.name, "Сайт 2");
    assert!(!patched.enabled);

    store.delete_account(avito.id).await.unwrap();
    assert_eq!(store.account(avito.id).await.unwrap(), None);
    assert_eq!(store.list_accounts().await.unwrap(), vec![patched]);
    assert_not_found(
        "delete deleted account",
        store.delete_account(avito.id).await,
    );
}

pub async fn account_with_conversations_cannot_be_deleted(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    ingest(&*store, acc.id, "chat", "m1", "hello").await;
    assert_conflict(
        "delete account with history",
        store.delete_account(acc.id).await,
    );
    assert!(
        store.account(acc.id).await.unwrap().is_some(),
        "still there"
    );
    // Disabling is the way out, and it keeps the history.
    let disabled = store
        .update_account(
            acc.id,
            AccountPatch {
                enabled: Some(false),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(!disabled.enabled);
    let page = store
        .list_conversations(&ConversationFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
}

pub async fn accounts_keep_channel_settings_and_sealed_secrets(store: Arc<dyn Store>) {
    let settings = r#"{"user_id": 42, "client_id": "абв"}"#;
    let sealed = "v1.bm9uY2U.Y2lwaGVydGV4dA==";
    let avito = store
        .create_account(NewAccount {
            kind: AccountKind::Avito,
            name: "Avito".into(),
            callback_url: None,
            inbound_token_hash: None,
            settings: Some(settings.into()),
            sealed_secrets: Some(sealed.into()),
        })
        .await
        .unwrap();
    assert_eq!(
        avito.settings.as_deref(),
        Some(settings),
        "kept byte for byte"
    );
    assert_eq!(avito.sealed_secrets.as_deref(), Some(sealed));
    assert_eq!(store.account(avito.id).await.unwrap(), Some(avito.clone()));
    let plain = account(&*store, "api").await;
    assert_eq!((plain.settings, plain.sealed_secrets), (None, None));
    assert_eq!(
        store.list_accounts().await.unwrap()[0],
        avito,
        "listed with them"
    );

    // None keeps both; other fields change alone.
    let renamed = store
        .update_account(
            avito.id,
            AccountPatch {
                name: Some("Avito 2".into()),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.settings.as_deref(), Some(settings), "None keeps");
    assert_eq!(
        renamed.sealed_secrets.as_deref(),
        Some(sealed),
        "None keeps"
    );

    // Each is set on its own.
    let resealed = store
        .update_account(
            avito.id,
            AccountPatch {
                sealed_secrets: Some(Some("v1.new".into())),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(resealed.sealed_secrets.as_deref(), Some("v1.new"));
    assert_eq!(resealed.settings.as_deref(), Some(settings));
    let reset = store
        .update_account(
            avito.id,
            AccountPatch {
                settings: Some(Some("{}".into())),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reset.settings.as_deref(), Some("{}"));
    assert_eq!(reset.sealed_secrets.as_deref(), Some("v1.new"));
    assert_eq!(reset.name, "Avito 2");

    // Some(None) clears.
    let cleared = store
        .update_account(
            avito.id,
            AccountPatch {
                settings: Some(None),
                sealed_secrets: Some(None),
                ..AccountPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            cleared.settings.as_deref(),
            cleared.sealed_secrets.as_deref()
        ),
        (None, None)
    );
    assert_eq!(store.account(avito.id).await.unwrap(), Some(cleared));
}
