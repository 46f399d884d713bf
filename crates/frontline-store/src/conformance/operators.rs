//! Conformance checks: operators, sessions and preferences.

use super::*;

pub async fn operator(store: &dyn Store, login: &str, role: Role) -> Operator {
    store
        .create_operator(NewOperator {
            login: Login::parse(login).unwrap(),
            display_name: format!("{login} display"),
            role,
            password_hash: "hash".into(),
        })
        .await
        .unwrap()
}

pub async fn operators_and_sessions(store: Arc<dyn Store>) {
    assert_eq!(store.count_operators().await.unwrap(), 0);
    let anna = operator(&*store, "anna", Role::Admin).await;
    assert_eq!(anna.login, "anna");
    assert!(anna.active);
    assert_eq!(store.count_operators().await.unwrap(), 1);
    let dup = store
        .create_operator(NewOperator {
            login: Login::parse("Anna").unwrap(),
            display_name: "x".into(),
            role: Role::Operator,
            password_hash: "h".into(),
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");

    let now = Timestamp::now();
    store
        .create_session(
            "tokhash",
            anna.id,
            now.plus(std::time::Duration::from_secs(60)),
        )
        .await
        .unwrap();
    let who = store
        .session_operator("tokhash", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(who.id, anna.id);
    // Expired sessions do not authenticate.
    let later = now.plus(std::time::Duration::from_secs(120));
    assert!(
        store
            .session_operator("tokhash", later)
            .await
            .unwrap()
            .is_none()
    );
    // Deactivated operators do not authenticate.
    store
        .update_operator(
            anna.id,
            OperatorPatch {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        store
            .session_operator("tokhash", now)
            .await
            .unwrap()
            .is_none()
    );
    store.delete_session("tokhash").await.unwrap();
    store.delete_session("tokhash").await.unwrap();
}

pub async fn operators_crud(store: Arc<dyn Store>) {
    let bob = operator(&*store, "bob", Role::Operator).await;
    let anna = operator(&*store, "anna", Role::Admin).await;
    assert!(bob.id < anna.id);
    assert_eq!(bob.display_name, "bob display");
    assert_eq!(bob.role, Role::Operator);
    assert_eq!(bob.password_hash, "hash");

    let listed = store.list_operators().await.unwrap();
    assert_eq!(listed, vec![bob.clone(), anna.clone()], "ordered by id");
    assert_eq!(store.operator(anna.id).await.unwrap(), Some(anna.clone()));
    assert_eq!(
        store.operator_by_login("bob").await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(store.operator_by_login("nobody").await.unwrap(), None);

    let patched = store
        .update_operator(
            bob.id,
            OperatorPatch {
                display_name: Some("Боб".into()),
                role: Some(Role::Admin),
                password_hash: Some("new-hash".into()),
                active: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.display_name, "Боб");
    assert_eq!(patched.role, Role::Admin);
    assert_eq!(patched.password_hash, "new-hash");
    assert!(patched.active, "fields left out of the patch are kept");
    assert_eq!(patched.login, "bob");
    assert_eq!(patched.created_at, bob.created_at);
    assert_eq!(store.operator(bob.id).await.unwrap(), Some(patched.clone()));

    // An empty patch changes nothing.
    let same = store
        .update_operator(bob.id, OperatorPatch::default())
        .await
        .unwrap();
    assert_eq!(same, patched);
    assert_eq!(store.count_operators().await.unwrap(), 2);
}

pub async fn operator_sessions_are_deleted_together(store: Arc<dyn Store>) {
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let now = Timestamp::now();
    let until = now.plus(secs(3600));
    store.create_session("a1", anna.id, until).await.unwrap();
    store.create_session("a2", anna.id, until).await.unwrap();
    store.create_session("b1", bob.id, until).await.unwrap();
    assert_eq!(
        store
            .session_operator("a2", now)
            .await
            .unwrap()
            .map(|o| o.id),
        Some(anna.id)
    );

    store.delete_operator_sessions(anna.id).await.unwrap();
    store.delete_operator_sessions(anna.id).await.unwrap();
    assert!(store.session_operator("a1", now).await.unwrap().is_none());
    assert!(store.session_operator("a2", now).await.unwrap().is_none());
    assert_eq!(
        store
            .session_operator("b1", now)
            .await
            .unwrap()
            .map(|o| o.id),
        Some(bob.id)
    );

    store.delete_session("b1").await.unwrap();
    assert!(store.session_operator("b1", now).await.unwrap().is_none());
    assert!(
        store
            .session_operator("never-issued", now)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn operator_preferences_default_save_and_isolation(store: Arc<dyn Store>) {
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let a = account(&*store, "Авито: мебель").await;
    let b = account(&*store, "Авито: техника").await;

    assert_eq!(
        store.operator_preferences(anna.id).await.unwrap(),
        OperatorPreferences::default(),
        "nothing saved yet: every account shown, sound on, default language"
    );

    let saved = store
        .save_operator_preferences(
            anna.id,
            OperatorPreferences {
                hidden_accounts: vec![b.id, a.id, b.id],
                sound_muted: true,
                language: Some("en".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        saved.hidden_accounts,
        vec![a.id, b.id],
        "sorted, no repeats"
    );
    assert_eq!(store.operator_preferences(anna.id).await.unwrap(), saved);
    assert_eq!(
        store.operator_preferences(bob.id).await.unwrap(),
        OperatorPreferences::default(),
        "one operator's choice is not another's"
    );

    // Saving again replaces everything, including clearing the list and the language.
    let cleared = OperatorPreferences {
        hidden_accounts: vec![],
        sound_muted: false,
        language: None,
    };
    store
        .save_operator_preferences(anna.id, cleared.clone())
        .await
        .unwrap();
    assert_eq!(store.operator_preferences(anna.id).await.unwrap(), cleared);

    assert_not_found(
        "preferences of an unknown operator",
        store.operator_preferences(OperatorId(987_654)).await,
    );
    assert_not_found(
        "saving for an unknown operator",
        store
            .save_operator_preferences(OperatorId(987_654), OperatorPreferences::default())
            .await,
    );
}

pub async fn operator_last_seen_is_recorded_and_never_goes_back(store: Arc<dyn Store>) {
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    assert_eq!(anna.last_seen_at, None, "not seen before signing in");

    let at = Timestamp(1_800_000_000_000);
    store.record_operator_seen(anna.id, at).await.unwrap();
    let seen = |id| {
        let store = store.clone();
        async move { store.operator(id).await.unwrap().unwrap().last_seen_at }
    };
    assert_eq!(seen(anna.id).await, Some(at));
    assert_eq!(seen(bob.id).await, None, "only the one seen");

    // A late, older write (another node's request) does not move it back.
    store
        .record_operator_seen(anna.id, at.minus(std::time::Duration::from_secs(90)))
        .await
        .unwrap();
    assert_eq!(seen(anna.id).await, Some(at));
    let later = at.plus(std::time::Duration::from_secs(61));
    store.record_operator_seen(anna.id, later).await.unwrap();
    assert_eq!(seen(anna.id).await, Some(later));

    // Every read path carries it: the list and the session lookup.
    let listed = store.list_operators().await.unwrap();
    assert_eq!(
        listed
            .iter()
            .find(|o| o.id == anna.id)
            .unwrap()
            .last_seen_at,
        Some(later)
    );
    store
        .create_session(
            "seen-token",
            anna.id,
            later.plus(std::time::Duration::from_secs(3600)),
        )
        .await
        .unwrap();
    let by_session = store
        .session_operator("seen-token", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_session.last_seen_at, Some(later));
    assert!(!by_session.seen_is_stale(later.plus(std::time::Duration::from_secs(30))));
    assert!(by_session.seen_is_stale(later.plus(std::time::Duration::from_secs(61))));

    // Unknown operators are ignored.
    store
        .record_operator_seen(OperatorId(999_999), later)
        .await
        .unwrap();
}
