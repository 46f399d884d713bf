//! Full-text search over messages.
//!
//! Messages carry `search_terms` (the stemmed terms of `frontline_text::index_terms`) and a stored
//! generated `search_vector = to_tsvector('simple', search_terms)` with a GIN index. A query is the
//! caller's terms joined by spaces and passed, as a bind parameter, to `plainto_tsquery('simple', …)`,
//! which treats its input as plain words ANDed together: tsquery operators (`&`, `|`, `!`, `:*`, `<->`)
//! and quotes in the input are just separators, so no input can change the query's shape.
//!
//! The plan is built for a large table: the GIN match is aggregated to (conversation, newest matching
//! message) straight away, reading no other table; `conversations` is joined only when the lead filter
//! needs it (the account filter uses `messages.account_id`), and only once per matching conversation
//! rather than per message. The total is counted over the same aggregate in the same statement, and
//! the message texts are fetched for the page's rows only.

use async_trait::async_trait;
use frontline_domain::{ConversationId, MessageId};
use frontline_store::rows::Columns;
use frontline_store::{Result, SearchHit, SearchQuery, SearchResults, SearchStore};
use sqlx::{Postgres, QueryBuilder};

use crate::error::db;
use crate::{PgStore, sql_int};

/// The text handed to `plainto_tsquery`. NUL cannot be sent in a PostgreSQL text value; it is no word
/// character either, so dropping it changes nothing about what matches.
fn tsquery_text(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| t.replace('\0', " "))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The matching part of the search: CTE `hits(conversation_id, message_id)`, every filter applied.
fn push_hits(q: &mut QueryBuilder<'_, Postgres>, query: &SearchQuery, text: String) {
    q.push(
        "WITH matched AS ( \
             SELECT m.conversation_id, MAX(m.id) AS message_id FROM messages m \
             WHERE m.search_vector @@ plainto_tsquery('simple', ",
    )
    .push_bind(text)
    .push(")");
    if let Some(ids) = &query.account_ids {
        let ids: Vec<i64> = ids.iter().map(|a| a.0).collect();
        q.push(" AND m.account_id = ANY(").push_bind(ids).push(")");
    }
    q.push(" GROUP BY m.conversation_id), hits AS (");
    match query.lead {
        Some(lead) => {
            // The conversation's current lead, checked once per matching conversation.
            q.push(
                "SELECT h.conversation_id, h.message_id FROM matched h \
                 JOIN conversations c ON c.id = h.conversation_id AND c.lead = ",
            )
            .push_bind(lead.as_str());
        }
        None => {
            q.push("SELECT conversation_id, message_id FROM matched");
        }
    }
    q.push(") ");
}

#[async_trait]
impl SearchStore for PgStore {
    async fn search_messages(&self, query: &SearchQuery) -> Result<SearchResults> {
        let nothing = SearchResults {
            total_conversations: 0,
            hits: Vec::new(),
        };
        let text = tsquery_text(&query.terms);
        if query.terms.is_empty()
            || text.trim().is_empty()
            || query.account_ids.as_ref().is_some_and(Vec::is_empty)
        {
            return Ok(nothing);
        }

        let mut q = QueryBuilder::<Postgres>::new("");
        push_hits(&mut q, query, text);
        // One round trip whatever the page: the total row always exists (LEFT JOINs), with NULLs when the
        // page is past the end. `hits` is referenced twice and so computed once.
        q.push(
            "SELECT t.total, p.conversation_id, p.message_id, m.text, m.created_at \
         FROM (SELECT COUNT(*) AS total FROM hits) t \
         LEFT JOIN LATERAL ( \
             SELECT conversation_id, message_id FROM hits ORDER BY message_id DESC LIMIT ",
        )
        .push_bind(sql_int(query.limit))
        .push(" OFFSET ")
        .push_bind(sql_int(query.offset))
        .push(
            ") p ON TRUE \
         LEFT JOIN messages m ON m.id = p.message_id \
         ORDER BY p.message_id DESC",
        );
        // Not a cached prepared statement: the selectivity of the terms decides the plan, so it must be
        // planned with the actual values every time instead of switching to a generic plan.
        let rows = q
            .build()
            .persistent(false)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let total_conversations = match rows.first() {
            Some(row) => row.int("total")?,
            None => 0,
        };
        let mut hits = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(message_id) = row.opt_int("message_id")? else {
                continue;
            };
            hits.push(SearchHit {
                conversation_id: ConversationId(row.int("conversation_id")?),
                message_id: MessageId(message_id),
                text: row.text("text")?,
                created_at: row.ts("created_at")?,
            });
        }
        Ok(SearchResults {
            total_conversations,
            hits,
        })
    }
}
