//! Conformance checks: quick replies.

use super::*;

pub async fn quick_replies_crud_and_visibility(store: Arc<dyn Store>) {
    let anna = operator(&*store, "anna", Role::Operator).await;
    let bob = operator(&*store, "bob", Role::Operator).await;
    let greet = store
        .create_quick_reply("Приветствие", "Здравствуйте!", None)
        .await
        .unwrap();
    let addr = store
        .create_quick_reply("Адрес", "ул. Ленина, 1", Some(anna.id))
        .await
        .unwrap();
    let bobs = store
        .create_quick_reply("Боб", "личное Боба", Some(bob.id))
        .await
        .unwrap();
    let thanks = store
        .create_quick_reply("Адрес", "второй с тем же названием", None)
        .await
        .unwrap();
    assert_eq!(greet.title, "Приветствие");
    assert_eq!(greet.text, "Здравствуйте!");
    assert_eq!(greet.owner, None);
    assert_eq!(addr.owner, Some(anna.id));
    assert_eq!(
        store.quick_reply(addr.id).await.unwrap(),
        Some(addr.clone())
    );

    let for_anna = store.list_quick_replies(anna.id).await.unwrap();
    assert_eq!(
        for_anna,
        vec![addr.clone(), thanks.clone(), greet.clone()],
        "shared and own, by title then id"
    );
    let for_bob = store.list_quick_replies(bob.id).await.unwrap();
    assert_eq!(for_bob, vec![thanks.clone(), bobs.clone(), greet.clone()]);
    assert!(for_bob.iter().all(|q| q.visible_to(bob.id)));

    let edited = store
        .update_quick_reply(greet.id, "Привет", "Добрый день!")
        .await
        .unwrap();
    assert_eq!(
        (edited.title.as_str(), edited.text.as_str()),
        ("Привет", "Добрый день!")
    );
    assert_eq!(edited.owner, None);
    assert_eq!(edited.created_at, greet.created_at);
    assert_eq!(store.quick_reply(greet.id).await.unwrap(), Some(edited));

    store.delete_quick_reply(addr.id).await.unwrap();
    assert_eq!(store.quick_reply(addr.id).await.unwrap(), None);
    assert_not_found("delete twice", store.delete_quick_reply(addr.id).await);
    assert_eq!(store.list_quick_replies(anna.id).await.unwrap().len(), 2);
}
