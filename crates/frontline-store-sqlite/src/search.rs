//! Full-text search over FTS5 on terms precomputed by `frontline-text`, so that the word forms
//! matched here are exactly the PostgreSQL backend's.

use crate::error::db;
use crate::{SqliteStore, sql_int};
use async_trait::async_trait;
use frontline_domain::{ConversationId, MessageId, Timestamp};
use frontline_store::{Result, SearchHit, SearchQuery, SearchResults, SearchStore};
use sqlx::{QueryBuilder, Row, Sqlite};

/// The FTS5 MATCH expression for `terms` (implicit AND), or `None` when nothing can match.
pub(crate) fn fts_query(terms: &[String]) -> Option<String> {
    if terms.is_empty() || terms.iter().any(|t| t.trim().is_empty()) {
        return None;
    }
    let quoted: Vec<String> = terms
        .iter()
        // FTS5 reads the expression as a C string: a NUL would end it inside the quotes.
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"").replace('\0', " ")))
        .collect();
    Some(quoted.join(" "))
}

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search_messages(&self, query: &SearchQuery) -> Result<SearchResults> {
        let q = query;
        let nothing = SearchResults {
            total_conversations: 0,
            hits: Vec::new(),
        };
        let Some(matcher) = fts_query(&q.terms) else {
            return Ok(nothing);
        };
        if q.account_ids.as_ref().is_some_and(|ids| ids.is_empty()) {
            return Ok(nothing);
        }

        // One read transaction, so that the page and (when needed) the separate count see the same data.
        let mut conn = self.read.begin().await.map_err(db)?;

        let hits_cte = |b: &mut QueryBuilder<'_, Sqlite>| {
            b.push(
                "WITH hits AS MATERIALIZED ( \
                 SELECT g.cid, g.mid FROM ( \
                     SELECT m.conversation_id AS cid, MAX(m.id) AS mid \
                     FROM messages_fts f JOIN messages m ON m.id = f.rowid \
                     WHERE messages_fts MATCH ",
            )
            .push_bind(matcher.clone());
            if let Some(ids) = &q.account_ids {
                b.push(" AND m.account_id IN (");
                let mut list = b.separated(", ");
                for id in ids {
                    list.push_bind(id.0);
                }
                b.push(")");
            }
            b.push(" GROUP BY m.conversation_id) g");
            // The lead is a property of the conversation: filter the groups, not every matching message.
            if let Some(lead) = q.lead {
                b.push(" JOIN conversations c ON c.id = g.cid WHERE c.lead = ")
                    .push_bind(lead.as_str());
            }
            b.push(") ");
        };

        // Sort and cut the page before touching message texts, so only `limit` rows are read.
        let mut page = QueryBuilder::<Sqlite>::new("");
        hits_cte(&mut page);
        page.push(", page AS MATERIALIZED (SELECT cid, mid FROM hits ORDER BY mid DESC LIMIT ")
            .push_bind(sql_int(q.limit))
            .push(" OFFSET ")
            .push_bind(sql_int(q.offset))
            .push(
                ") SELECT p.cid, p.mid, m.text, m.created_at, (SELECT COUNT(*) FROM hits) AS total \
                 FROM page p JOIN messages m ON m.id = p.mid ORDER BY p.mid DESC",
            );
        let rows = page.build().fetch_all(&mut *conn).await.map_err(db)?;

        let total = match rows.first() {
            Some(row) => row.try_get::<i64, _>("total").map_err(db)?,
            // A page past the end (or a zero limit) carries no count: ask for it alone.
            None => {
                let mut count = QueryBuilder::<Sqlite>::new("");
                hits_cte(&mut count);
                count.push("SELECT COUNT(*) FROM hits");
                count
                    .build_query_scalar::<i64>()
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db)?
            }
        };
        let hits = rows
            .iter()
            .map(|r| {
                Ok(SearchHit {
                    conversation_id: ConversationId(r.try_get("cid").map_err(db)?),
                    message_id: MessageId(r.try_get("mid").map_err(db)?),
                    text: r.try_get("text").map_err(db)?,
                    created_at: Timestamp(r.try_get("created_at").map_err(db)?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        conn.commit().await.map_err(db)?;
        Ok(SearchResults {
            total_conversations: total,
            hits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_quoted_and_anded() {
        let t = |v: &[&str]| fts_query(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(t(&["заказ", "42"]).unwrap(), r#""заказ" "42""#);
        assert_eq!(t(&[r#""a" OR b*"#]).unwrap(), r#""""a"" OR b*""#);
        assert_eq!(t(&["a\0b"]).unwrap(), "\"a b\"");
        assert_eq!(t(&[]), None);
        assert_eq!(t(&["ok", " "]), None);
    }

    /// FTS5 syntax in a term stays literal: `"a" OR b*` must not turn into "a, or anything starting
    /// with b".
    #[tokio::test]
    async fn hostile_terms_do_not_become_fts_syntax() {
        use frontline_domain::{AccountKind, CustomerProfile, InboundMessage, NewAccount};
        use frontline_store::prelude::*;

        let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
        let acc = store
            .create_account(NewAccount {
                kind: AccountKind::Api,
                name: "a".into(),
                callback_url: None,
                inbound_token_hash: None,
                settings: None,
                sealed_secrets: None,
            })
            .await
            .unwrap();
        for (chat, text) in [("1", "a or b"), ("2", "bravo only"), ("3", "alpha")] {
            store
                .ingest_inbound(InboundMessage {
                    account_id: acc.id,
                    external_chat_id: chat.into(),
                    external_message_id: chat.into(),
                    customer: CustomerProfile {
                        external_id: chat.into(),
                        ..CustomerProfile::default()
                    },
                    listing: None,
                    text: text.into(),
                    attachments: Vec::new(),
                    quote: None,
                    link: None,
                    sent_at: None,
                })
                .await
                .unwrap();
        }
        let raw = |term: &str| SearchQuery {
            terms: vec![term.to_owned()],
            limit: 10,
            ..SearchQuery::default()
        };
        // As one raw term it is the phrase "a or b", which only the first message contains.
        let r = store.search_messages(&raw(r#""a" OR b*"#)).await.unwrap();
        assert_eq!(r.total_conversations, 1);
        assert_eq!(r.hits[0].text, "a or b");
        // Prefix and boolean operators are plain words.
        assert_eq!(
            store
                .search_messages(&raw("b*"))
                .await
                .unwrap()
                .total_conversations,
            1
        );
        assert_eq!(
            store
                .search_messages(&raw("br*"))
                .await
                .unwrap()
                .total_conversations,
            0
        );
        assert_eq!(
            store
                .search_messages(&raw("NOT"))
                .await
                .unwrap()
                .total_conversations,
            0
        );
        let r = store
            .search_messages(&raw("search_terms : alpha"))
            .await
            .unwrap();
        assert_eq!(r.total_conversations, 0);
    }
}

/// Timing at scale, run by hand: `FRONTLINE_SEARCH_N=1000000 cargo test -p frontline-store-sqlite
/// --release -- --ignored --nocapture search_at_scale`.
#[cfg(test)]
mod scale {
    use std::time::Instant;

    use frontline_domain::{AccountKind, Author, CustomerProfile, Lead, NewAccount, Timestamp};
    use frontline_store::prelude::*;
    use frontline_store::{ImportedMessage, SearchQuery};

    use crate::SqliteStore;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "slow: a timing run, not a check"]
    async fn search_at_scale() {
        let n: usize = std::env::var("FRONTLINE_SEARCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200_000);
        let dir = tempfile::tempdir().unwrap();
        // FRONTLINE_SEARCH_DB keeps the database for a look at query plans afterwards.
        let path = std::env::var("FRONTLINE_SEARCH_DB")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| dir.path().join("scale.db"));
        let url = format!("sqlite://{}", path.display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let acc = store
            .create_account(NewAccount {
                kind: AccountKind::Avito,
                name: "a".into(),
                callback_url: None,
                inbound_token_hash: None,
                settings: None,
                sealed_secrets: None,
            })
            .await
            .unwrap();
        let words = [
            "привет",
            "доставка",
            "диван",
            "цена",
            "скидка",
            "адрес",
            "курьер",
            "оплата",
            "возврат",
            "размер",
            "цвет",
            "гарантия",
            "магазин",
            "склад",
            "завтра",
            "сегодня",
            "order",
            "sofa",
            "price",
            "delivery",
        ];
        let started = Instant::now();
        let mut seed: u64 = 42;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let batch_size = 5000;
        let mut i = 0;
        while i < n {
            let mut batch = Vec::with_capacity(batch_size);
            for _ in 0..batch_size.min(n - i) {
                let chat = i / 10;
                let mut text: Vec<&str> = (0..8).map(|_| words[next() % words.len()]).collect();
                if next() % 20 == 0 {
                    text.push("заказа");
                }
                batch.push(ImportedMessage {
                    account_id: acc.id,
                    external_chat_id: format!("chat-{chat}"),
                    external_message_id: format!("m-{i}"),
                    customer: CustomerProfile {
                        external_id: format!("cust-{chat}"),
                        ..CustomerProfile::default()
                    },
                    listing: None,
                    author: if i % 2 == 0 {
                        Author::Customer
                    } else {
                        Author::Bot
                    },
                    text: text.join(" "),
                    attachments: Vec::new(),
                    quote: None,
                    link: None,
                    sent_at: Timestamp(1_600_000_000_000 + i as i64 * 1000),
                });
                i += 1;
            }
            store.import_messages(batch).await.unwrap();
        }
        eprintln!("imported {n} messages in {:?}", started.elapsed());
        for (q, lead) in [
            ("заказ", None),
            ("доставка", None),
            ("заказ доставка", None),
            ("заказ", Some(Lead::Operator)),
            ("диван цена скидка", None),
        ] {
            let query = SearchQuery {
                terms: frontline_text::query_terms(q),
                lead,
                limit: 20,
                ..SearchQuery::default()
            };
            let t = Instant::now();
            let r = store.search_messages(&query).await.unwrap();
            eprintln!(
                "search {q:?} lead={lead:?}: {} conversations, {} hits in {:?}",
                r.total_conversations,
                r.hits.len(),
                t.elapsed()
            );
        }
    }
}
