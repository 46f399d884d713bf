//! Conformance checks: the knowledge base.

use super::*;

/// A category draft as callers pass it: cleaned.
pub fn kb_category_draft(key: &str, title: &str) -> KbCategoryDraft {
    KbCategoryDraft {
        key: key.into(),
        title: title.into(),
    }
    .cleaned()
    .unwrap()
}

/// A published article draft as callers pass it: cleaned.
pub fn kb_article_draft(key: &str, category: &str, title: &str, tags: &[&str]) -> KbArticleDraft {
    KbArticleDraft {
        key: key.into(),
        category: category.into(),
        title: title.into(),
        body: format!("{title}: текст статьи"),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        published: true,
    }
    .cleaned()
    .unwrap()
}

fn keys_of(articles: &[KbArticle]) -> Vec<&str> {
    articles.iter().map(|a| a.key.as_str()).collect()
}

pub async fn kb_categories_upsert_and_order(store: Arc<dyn Store>) {
    assert!(store.list_kb_categories().await.unwrap().is_empty());
    let before = Timestamp::now();
    let (returns, write) = store
        .upsert_kb_category(kb_category_draft("returns", "Возврат"))
        .await
        .unwrap();
    assert_eq!(write, KbWrite::Created);
    assert_eq!(
        (returns.key.as_str(), returns.title.as_str()),
        ("returns", "Возврат")
    );
    assert!(returns.created_at >= before && returns.created_at <= Timestamp::now());
    assert_eq!(returns.updated_at, returns.created_at);
    // Created out of key order: lists keep the order of creation, each new one last.
    let mut created = vec![returns.clone()];
    for (key, title) in [
        ("a_z", "Подчёркивание"),
        ("delivery", "Доставка"),
        ("a-z", "Дефис"),
    ] {
        let (c, write) = store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
        assert_eq!(write, KbWrite::Created, "{key}");
        created.push(c);
    }

    // The same title again writes nothing.
    tick().await;
    let (same, write) = store
        .upsert_kb_category(kb_category_draft("returns", "Возврат"))
        .await
        .unwrap();
    assert_eq!(write, KbWrite::Unchanged);
    assert_eq!(same, returns, "updated_at stays when nothing changes");

    // A new title retitles the category and moves updated_at only.
    let (retitled, write) = store
        .upsert_kb_category(kb_category_draft("returns", "Возврат и обмен"))
        .await
        .unwrap();
    assert_eq!(write, KbWrite::Updated);
    assert_eq!(retitled.key, "returns");
    assert_eq!(retitled.title, "Возврат и обмен");
    assert_eq!(retitled.created_at, returns.created_at);
    assert!(retitled.updated_at > returns.updated_at, "{retitled:?}");
    created[0] = retitled;

    let listed = store.list_kb_categories().await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        ["returns", "a_z", "delivery", "a-z"],
        "ordered by position: the order of creation"
    );
    let positions: Vec<i64> = listed.iter().map(|c| c.position).collect();
    assert_eq!(positions, [1, 2, 3, 4]);
    assert_eq!(listed, created, "listed as returned by the upserts");
}

pub async fn kb_category_delete_not_found_and_conflict(store: Arc<dyn Store>) {
    assert_not_found_named(
        "delete unknown category",
        "category",
        store.delete_kb_category("nowhere").await,
    );
    for (key, title) in [("delivery", "Доставка"), ("empty", "Пустая")] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    let (article, _) = store
        .upsert_kb_article(kb_article_draft("terms", "delivery", "Сроки", &[]), None)
        .await
        .unwrap();

    assert_conflict(
        "delete a category with articles",
        store.delete_kb_category("delivery").await,
    );
    assert_eq!(
        store.kb_article("terms").await.unwrap(),
        Some(article),
        "the article survives the refused delete"
    );

    // An empty category goes; the other one stays.
    store.delete_kb_category("empty").await.unwrap();
    let keys: Vec<String> = store
        .list_kb_categories()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.key)
        .collect();
    assert_eq!(keys, ["delivery"]);

    // Once its last article is gone, so can the category be.
    store.delete_kb_article("terms").await.unwrap();
    store.delete_kb_category("delivery").await.unwrap();
    assert!(store.list_kb_categories().await.unwrap().is_empty());
    assert_not_found_named(
        "delete twice",
        "category",
        store.delete_kb_category("delivery").await,
    );
}

pub async fn kb_article_upsert_versions_and_tags(store: Arc<dyn Store>) {
    for (key, title) in [("delivery", "Доставка"), ("payment", "Оплата")] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    // Tags deliberately out of any sorted order.
    let draft = kb_article_draft(
        "terms",
        "delivery",
        "Сроки",
        &["сроки", "Доставка", "курьер", "a"],
    );
    let before = Timestamp::now();
    let (created, write) = store.upsert_kb_article(draft.clone(), None).await.unwrap();
    assert_eq!(write, KbWrite::Created);
    assert_eq!(
        created,
        KbArticle {
            key: "terms".into(),
            category: "delivery".into(),
            title: "Сроки".into(),
            body: draft.body.clone(),
            tags: draft.tags.clone(),
            published: true,
            version: 1,
            created_at: created.created_at,
            updated_at: created.created_at,
        }
    );
    assert_eq!(
        created.tags,
        ["сроки", "Доставка", "курьер", "a"],
        "tag order kept"
    );
    assert!(created.created_at >= before && created.created_at <= Timestamp::now());
    assert_eq!(
        store.kb_article("terms").await.unwrap(),
        Some(created.clone())
    );

    // The identical draft writes nothing.
    tick().await;
    let (same, write) = store.upsert_kb_article(draft.clone(), None).await.unwrap();
    assert_eq!(write, KbWrite::Unchanged);
    assert_eq!(same, created, "version and updated_at stay");
    assert_eq!(
        store.kb_article("terms").await.unwrap(),
        Some(created.clone())
    );

    // Any changed field bumps the version and updated_at, never created_at.
    let body = KbArticleDraft {
        body: "Доставка занимает 2–3 дня.".into(),
        ..draft.clone()
    };
    let (v2, write) = store.upsert_kb_article(body.clone(), None).await.unwrap();
    assert_eq!(write, KbWrite::Updated);
    assert_eq!(v2.version, 2);
    assert_eq!(v2.body, "Доставка занимает 2–3 дня.");
    assert_eq!(v2.created_at, created.created_at);
    assert!(v2.updated_at > created.updated_at, "{v2:?}");
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(v2.clone()));

    // Tag order alone is a change, and it is kept.
    tick().await;
    let reordered = KbArticleDraft {
        tags: vec![
            "a".into(),
            "курьер".into(),
            "Доставка".into(),
            "сроки".into(),
        ],
        ..body.clone()
    };
    let (v3, write) = store
        .upsert_kb_article(reordered.clone(), None)
        .await
        .unwrap();
    assert_eq!(write, KbWrite::Updated);
    assert_eq!((v3.version, v3.tags.clone()), (3, reordered.tags.clone()));
    assert!(v3.updated_at > v2.updated_at);

    // The published flag round-trips both ways and counts as a change.
    let hidden = KbArticleDraft {
        published: false,
        ..reordered.clone()
    };
    let (v4, write) = store.upsert_kb_article(hidden.clone(), None).await.unwrap();
    assert_eq!(
        (write, v4.version, v4.published),
        (KbWrite::Updated, 4, false)
    );
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(v4.clone()));
    let (same, write) = store.upsert_kb_article(hidden.clone(), None).await.unwrap();
    assert_eq!((write, same), (KbWrite::Unchanged, v4.clone()));
    let (v5, _) = store
        .upsert_kb_article(reordered.clone(), None)
        .await
        .unwrap();
    assert_eq!((v5.version, v5.published), (5, true));

    // Moving to another category, and emptying the tags.
    let moved = KbArticleDraft {
        category: "payment".into(),
        tags: Vec::new(),
        ..reordered.clone()
    };
    let (v6, write) = store.upsert_kb_article(moved, None).await.unwrap();
    assert_eq!(write, KbWrite::Updated);
    assert_eq!((v6.version, v6.category.as_str()), (6, "payment"));
    assert!(v6.tags.is_empty());
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(v6.clone()));

    // Unknown categories: neither a new article nor a move is stored.
    assert_not_found_named(
        "create in unknown category",
        "category",
        store
            .upsert_kb_article(kb_article_draft("other", "nowhere", "Другое", &[]), None)
            .await,
    );
    assert_eq!(store.kb_article("other").await.unwrap(), None);
    assert_not_found_named(
        "move to unknown category",
        "category",
        store
            .upsert_kb_article(
                KbArticleDraft {
                    category: "nowhere".into(),
                    ..reordered
                },
                None,
            )
            .await,
    );
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(v6));
    assert_eq!(store.kb_article("missing").await.unwrap(), None);
}

pub async fn kb_articles_list_filter_and_delete(store: Arc<dyn Store>) {
    for (key, title) in [
        ("delivery", "Доставка"),
        ("payment", "Оплата"),
        ("empty", "Пустая"),
    ] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    // Inserted out of key order; `-` < digits < `_` < letters by code point.
    let mut stored = Vec::new();
    for (key, category) in [
        ("pay-card", "payment"),
        ("delivery_time", "delivery"),
        ("a_1", "payment"),
        ("a-1", "delivery"),
        ("a0", "delivery"),
    ] {
        let mut draft = kb_article_draft(key, category, &format!("Статья {key}"), &["t"]);
        draft.published = key != "a0";
        stored.push(store.upsert_kb_article(draft, None).await.unwrap().0);
    }

    let all = store.list_kb_articles(None).await.unwrap();
    assert_eq!(
        keys_of(&all),
        ["a-1", "a0", "a_1", "delivery_time", "pay-card"],
        "every article, published or not, by key"
    );
    stored.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(all, stored, "listed as returned by the upserts");
    assert!(!all[1].published, "the unpublished one is listed too");
    assert_eq!(
        keys_of(&store.list_kb_articles(Some("delivery")).await.unwrap()),
        ["a-1", "a0", "delivery_time"]
    );
    assert_eq!(
        keys_of(&store.list_kb_articles(Some("payment")).await.unwrap()),
        ["a_1", "pay-card"]
    );
    assert!(
        store
            .list_kb_articles(Some("empty"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found_named(
        "list an unknown category",
        "category",
        store.list_kb_articles(Some("nowhere")).await,
    );

    let deleted = store.delete_kb_article("a0").await.unwrap();
    assert_eq!(deleted, all[1], "the deleted article is returned whole");
    assert_eq!(store.kb_article("a0").await.unwrap(), None);
    assert_not_found_named(
        "delete twice",
        "article",
        store.delete_kb_article("a0").await,
    );
    assert_not_found_named(
        "delete unknown",
        "article",
        store.delete_kb_article("never").await,
    );
    assert_eq!(
        keys_of(&store.list_kb_articles(Some("delivery")).await.unwrap()),
        ["a-1", "delivery_time"]
    );
    assert_eq!(store.list_kb_articles(None).await.unwrap().len(), 4);
}

pub async fn kb_import_counts_and_is_atomic(store: Arc<dyn Store>) {
    assert_eq!(
        store.import_kb(KbImport::default(), None).await.unwrap(),
        KbImportStats::default()
    );
    for (key, title) in [("delivery", "Доставка"), ("old", "Старое")] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    let (kept, _) = store
        .upsert_kb_article(
            kb_article_draft("kept", "delivery", "Без изменений", &["x"]),
            None,
        )
        .await
        .unwrap();
    let (edited, _) = store
        .upsert_kb_article(kb_article_draft("edited", "old", "Было", &["x"]), None)
        .await
        .unwrap();

    let import = KbImport {
        categories: vec![
            kb_category_draft("delivery", "Доставка и самовывоз"),
            kb_category_draft("old", "Старое"),
            kb_category_draft("payment", "Оплата"),
        ],
        articles: vec![
            kb_article_draft("kept", "delivery", "Без изменений", &["x"]),
            // In a category that only this import creates.
            kb_article_draft("card", "payment", "Картой", &["карта", "visa"]),
            kb_article_draft("edited", "old", "Стало", &["x"]),
        ],
    };
    let stats = store.import_kb(import.clone(), None).await.unwrap();
    assert_eq!(
        stats,
        KbImportStats {
            categories_created: 1,
            categories_updated: 1,
            articles_created: 1,
            articles_updated: 1,
            articles_unchanged: 1,
        }
    );
    let titles: Vec<(String, String)> = store
        .list_kb_categories()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.key, c.title))
        .collect();
    assert_eq!(
        titles,
        [
            ("delivery".to_string(), "Доставка и самовывоз".to_string()),
            ("old".into(), "Старое".into()),
            ("payment".into(), "Оплата".into()),
        ]
    );
    assert_eq!(store.kb_article("kept").await.unwrap(), Some(kept.clone()));
    let after = store.kb_article("edited").await.unwrap().unwrap();
    assert_eq!((after.title.as_str(), after.version), ("Стало", 2));
    assert_eq!(after.created_at, edited.created_at);
    let card = store.kb_article("card").await.unwrap().unwrap();
    assert_eq!(
        (card.category.as_str(), card.version, card.tags.clone()),
        ("payment", 1, vec!["карта".to_string(), "visa".to_string()])
    );

    // The same import again changes nothing.
    assert_eq!(
        store.import_kb(import, None).await.unwrap(),
        KbImportStats {
            articles_unchanged: 3,
            ..KbImportStats::default()
        }
    );

    // One article in a category nobody has: the whole import stores nothing, not even the new
    // category and articles that come before it.
    let categories_before = store.list_kb_categories().await.unwrap();
    let articles_before = store.list_kb_articles(None).await.unwrap();
    let broken = KbImport {
        categories: vec![
            kb_category_draft("gifts", "Подарки"),
            kb_category_draft("delivery", "Доставка (новое)"),
        ],
        articles: vec![
            kb_article_draft("gift-card", "gifts", "Подарочная карта", &[]),
            kb_article_draft("kept", "delivery", "Изменено", &["x"]),
            kb_article_draft("stray", "nowhere", "Потерянная", &[]),
        ],
    };
    assert_not_found_named(
        "import with an unknown category",
        "category",
        store.import_kb(broken, None).await,
    );
    assert_eq!(store.list_kb_categories().await.unwrap(), categories_before);
    assert_eq!(store.list_kb_articles(None).await.unwrap(), articles_before);
    assert_eq!(store.kb_article("gift-card").await.unwrap(), None);
}

pub async fn kb_categories_reorder(store: Arc<dyn Store>) {
    for (key, title) in [
        ("delivery", "Доставка"),
        ("payment", "Оплата"),
        ("returns", "Возврат"),
    ] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    let before = store.list_kb_categories().await.unwrap();
    let keys = |list: &[KbCategory]| list.iter().map(|c| c.key.clone()).collect::<Vec<_>>();
    let order = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();

    tick().await;
    let listed = store
        .reorder_kb_categories(&order(&["returns", "delivery", "payment"]))
        .await
        .unwrap();
    assert_eq!(keys(&listed), ["returns", "delivery", "payment"]);
    assert_eq!(
        listed.iter().map(|c| c.position).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(listed, store.list_kb_categories().await.unwrap());
    for c in &listed {
        let old = before.iter().find(|b| b.key == c.key).unwrap();
        assert_eq!(
            (c.updated_at, &c.title),
            (old.updated_at, &old.title),
            "a reorder is no edit"
        );
    }

    // Refused orders change nothing.
    assert_not_found_named(
        "an unknown key",
        "category",
        store
            .reorder_kb_categories(&order(&["returns", "delivery", "payment", "gifts"]))
            .await,
    );
    assert_conflict(
        "a missing key",
        store
            .reorder_kb_categories(&order(&["returns", "delivery"]))
            .await,
    );
    assert_conflict(
        "a repeated key",
        store
            .reorder_kb_categories(&order(&["returns", "delivery", "delivery", "payment"]))
            .await,
    );
    assert_eq!(store.list_kb_categories().await.unwrap(), listed);

    // Retitling keeps the place; a new category goes last.
    store
        .upsert_kb_category(kb_category_draft("delivery", "Доставка и самовывоз"))
        .await
        .unwrap();
    let (gifts, _) = store
        .upsert_kb_category(kb_category_draft("gifts", "Подарки"))
        .await
        .unwrap();
    assert_eq!(gifts.position, 4);
    assert_eq!(
        keys(&store.list_kb_categories().await.unwrap()),
        ["returns", "delivery", "payment", "gifts"]
    );
}

pub async fn kb_article_history_records_every_write(store: Arc<dyn Store>) {
    let olga = super::operator(&*store, "olga", Role::Admin).await;
    for (key, title) in [("delivery", "Доставка"), ("payment", "Оплата")] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    assert_not_found_named(
        "history of an unknown article",
        "article",
        store.kb_article_history("terms").await,
    );
    let v1 = kb_article_draft("terms", "delivery", "Сроки", &["курьер", "сроки"]);
    let before = Timestamp::now();
    store
        .upsert_kb_article(v1.clone(), Some(olga.id))
        .await
        .unwrap();
    // An unchanged save records nothing.
    store
        .upsert_kb_article(v1.clone(), Some(olga.id))
        .await
        .unwrap();
    let v2 = KbArticleDraft {
        body: "Доставка занимает 2–3 дня.".into(),
        published: false,
        ..v1.clone()
    };
    store.upsert_kb_article(v2.clone(), None).await.unwrap();
    let v3 = KbArticleDraft {
        category: "payment".into(),
        title: "Сроки и оплата".into(),
        tags: vec!["оплата".into()],
        ..v2.clone()
    };
    store
        .import_kb(
            KbImport {
                categories: vec![],
                articles: vec![v3.clone()],
            },
            Some(olga.id),
        )
        .await
        .unwrap();

    let history = store.kb_article_history("terms").await.unwrap();
    let summary: Vec<_> = history
        .iter()
        .map(|r| (r.version, r.source, r.author, r.author_name.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                3,
                KbRevisionSource::Import,
                Some(olga.id),
                Some("olga display")
            ),
            (2, KbRevisionSource::Editor, None, None),
            (
                1,
                KbRevisionSource::Editor,
                Some(olga.id),
                Some("olga display")
            ),
        ],
        "newest first, each with who made it"
    );
    for (revision, draft) in history.iter().zip([&v3, &v2, &v1]) {
        assert_eq!(
            &revision.draft(),
            draft,
            "v{} holds what it wrote",
            revision.version
        );
        assert_eq!(revision.restored_from, None);
        assert!(revision.created_at >= before && revision.created_at <= Timestamp::now());
    }
    assert!(history[0].created_at >= history[2].created_at);
    let stored = store.kb_article("terms").await.unwrap().unwrap();
    assert_eq!(history[0].created_at, stored.updated_at);
    assert_eq!(history[2].created_at, stored.created_at);

    // A failed import records no revision either.
    let broken = KbImport {
        categories: vec![],
        articles: vec![
            KbArticleDraft {
                title: "Не сохранится".into(),
                ..v3.clone()
            },
            kb_article_draft("stray", "nowhere", "Потерянная", &[]),
        ],
    };
    assert_not_found("a broken import", store.import_kb(broken, None).await);
    assert_eq!(store.kb_article_history("terms").await.unwrap(), history);

    // The history goes with the article; the key starts over.
    store.delete_kb_article("terms").await.unwrap();
    assert_not_found_named(
        "history of a deleted article",
        "article",
        store.kb_article_history("terms").await,
    );
    let (again, _) = store.upsert_kb_article(v1.clone(), None).await.unwrap();
    assert_eq!(again.version, 1);
    let history = store.kb_article_history("terms").await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].draft(), v1);
}

pub async fn kb_article_restore_writes_a_new_version(store: Arc<dyn Store>) {
    let olga = super::operator(&*store, "olga", Role::Admin).await;
    for (key, title) in [("delivery", "Доставка"), ("old", "Старое")] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    let v1 = kb_article_draft("terms", "delivery", "Сроки", &["курьер"]);
    store.upsert_kb_article(v1.clone(), None).await.unwrap();
    let v2 = KbArticleDraft {
        title: "Сроки доставки".into(),
        body: "Новый текст.".into(),
        ..v1.clone()
    };
    store.upsert_kb_article(v2.clone(), None).await.unwrap();

    tick().await;
    let (v3, write) = store
        .restore_kb_article("terms", 1, Some(olga.id))
        .await
        .unwrap();
    assert_eq!(write, KbWrite::Updated);
    assert_eq!(v3.version, 3);
    assert!(v3.same_as(&v1), "{v3:?}");
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(v3.clone()));
    let top = &store.kb_article_history("terms").await.unwrap()[0];
    assert_eq!(
        (top.version, top.source, top.restored_from, top.author),
        (3, KbRevisionSource::Restore, Some(1), Some(olga.id))
    );
    assert_eq!(top.draft(), v1);

    // Restoring what is already there writes nothing.
    let (same, write) = store.restore_kb_article("terms", 1, None).await.unwrap();
    assert_eq!((write, same), (KbWrite::Unchanged, v3.clone()));
    assert_eq!(store.kb_article_history("terms").await.unwrap().len(), 3);

    assert_not_found_named(
        "an unknown version",
        "revision",
        store.restore_kb_article("terms", 9, None).await,
    );
    assert_not_found_named(
        "an unknown article",
        "article",
        store.restore_kb_article("never", 1, None).await,
    );

    // A version whose category is gone cannot come back, and nothing changes.
    let v4 = KbArticleDraft {
        category: "old".into(),
        ..v2.clone()
    };
    store.upsert_kb_article(v4, None).await.unwrap();
    let v5 = KbArticleDraft {
        category: "delivery".into(),
        body: "Ещё текст.".into(),
        ..v2.clone()
    };
    let (current, _) = store.upsert_kb_article(v5, None).await.unwrap();
    store.delete_kb_category("old").await.unwrap();
    assert_not_found_named(
        "a version in a deleted category",
        "category",
        store.restore_kb_article("terms", 4, None).await,
    );
    assert_eq!(store.kb_article("terms").await.unwrap(), Some(current));
    assert_eq!(store.kb_article_history("terms").await.unwrap().len(), 5);
}

pub async fn kb_article_save_from_a_stale_version_conflicts(store: Arc<dyn Store>) {
    store
        .upsert_kb_category(kb_category_draft("delivery", "Доставка"))
        .await
        .unwrap();
    let mut draft = kb_article_draft("terms", "delivery", "Сроки", &[]);
    let (v1, write) = store
        .upsert_kb_article_from(draft.clone(), None, Some(0))
        .await
        .unwrap();
    assert_eq!((v1.version, write), (1, KbWrite::Created));

    // Created from nothing again: someone else made it meanwhile.
    let err = store
        .upsert_kb_article_from(draft.clone(), None, Some(0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    // Two editors opened version 1: the first save lands, the second is refused and writes nothing.
    draft.body = "Доставка за 2 дня".into();
    let (v2, write) = store
        .upsert_kb_article_from(draft.clone(), None, Some(1))
        .await
        .unwrap();
    assert_eq!((v2.version, write), (2, KbWrite::Updated));
    let mut theirs = draft.clone();
    theirs.body = "Доставка за 5 дней".into();
    let err = store
        .upsert_kb_article_from(theirs.clone(), None, Some(1))
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict(why) => assert!(why.contains("version 2"), "{why}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let stored = store.kb_article("terms").await.unwrap().unwrap();
    assert_eq!(
        (stored.version, stored.body.as_str()),
        (2, "Доставка за 2 дня")
    );
    assert_eq!(store.kb_article_history("terms").await.unwrap().len(), 2);

    // From the current version it lands; without a base nothing is checked.
    let (v3, _) = store
        .upsert_kb_article_from(theirs, None, Some(2))
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    draft.body = "Без проверки".into();
    let (v4, _) = store.upsert_kb_article(draft.clone(), None).await.unwrap();
    assert_eq!(v4.version, 4);

    // Deleted meanwhile: a save from its version does not bring it back.
    store.delete_kb_article("terms").await.unwrap();
    let err = store
        .upsert_kb_article_from(draft, None, Some(4))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(store.kb_article("terms").await.unwrap().is_none());
}

pub async fn kb_articles_move_together_or_not_at_all(store: Arc<dyn Store>) {
    for (key, title) in [("delivery", "Доставка"), ("payment", "Оплата")] {
        store
            .upsert_kb_category(kb_category_draft(key, title))
            .await
            .unwrap();
    }
    for key in ["a", "b", "c"] {
        store
            .upsert_kb_article(kb_article_draft(key, "delivery", key, &["x"]), None)
            .await
            .unwrap();
    }
    store
        .upsert_kb_article(kb_article_draft("p", "payment", "p", &[]), None)
        .await
        .unwrap();

    // An unknown key among them: nothing moves.
    let keys = |ks: &[&str]| ks.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    let err = store
        .move_kb_articles(&keys(&["a", "nope"]), "payment", None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("article")), "{err:?}");
    let err = store
        .move_kb_articles(&keys(&["a"]), "nowhere", None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("category")), "{err:?}");
    assert_eq!(
        store.kb_article("a").await.unwrap().unwrap().category,
        "delivery"
    );

    // Moved in the order given, repeated keys once; one already there is unchanged.
    let moved = store
        .move_kb_articles(&keys(&["b", "a", "b", "p"]), "payment", None)
        .await
        .unwrap();
    let summary: Vec<(&str, i64, KbWrite)> = moved
        .iter()
        .map(|(a, w)| (a.key.as_str(), a.version, *w))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("b", 2, KbWrite::Updated),
            ("a", 2, KbWrite::Updated),
            ("p", 1, KbWrite::Unchanged)
        ]
    );
    let a = store.kb_article("a").await.unwrap().unwrap();
    assert_eq!(
        (a.category.as_str(), a.tags.clone()),
        ("payment", vec!["x".to_owned()])
    );
    assert_eq!(
        keys_of(&store.list_kb_articles(Some("delivery")).await.unwrap()),
        vec!["c"]
    );
    // Each move is a revision of its article.
    assert_eq!(store.kb_article_history("a").await.unwrap().len(), 2);
    assert_eq!(store.kb_article_history("p").await.unwrap().len(), 1);
}
