//! The OpenAPI description, assembled from the handlers' annotations.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::{dto, error, realtime, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "frontline",
        description = include_str!("../../../docs/api.md"),
    ),
    paths(
        routes::system::healthz,
        routes::system::openapi,
        routes::auth::login,
        routes::auth::logout,
        routes::auth::me,
        routes::auth::preferences,
        routes::auth::save_preferences,
        routes::conversations::list,
        routes::conversations::get,
        routes::conversations::messages,
        routes::conversations::reply,
        routes::conversations::set_lead,
        routes::conversations::assign,
        routes::conversations::set_status,
        routes::conversations::mark_read,
        routes::conversations::handoffs,
        routes::conversations::decisions,
        routes::conversations::decision_counts,
        routes::conversations::retry,
        routes::conversations::search,
        routes::quick_replies::list,
        routes::quick_replies::create,
        routes::quick_replies::update,
        routes::quick_replies::delete,
        routes::accounts::list_accounts,
        routes::accounts::create_account,
        routes::accounts::get_account,
        routes::accounts::update_account,
        routes::accounts::rotate_token,
        routes::accounts::delete_account,
        routes::voice::call_turns,
        routes::operators::list_operators,
        routes::operators::create_operator,
        routes::operators::update_operator,
        routes::operators::delete_operator,
        routes::inbound::receive,
        routes::knowledge::list_categories,
        routes::knowledge::put_category,
        routes::knowledge::delete_category,
        routes::knowledge::list_articles,
        routes::knowledge::get_article,
        routes::knowledge::put_article,
        routes::knowledge::move_articles,
        routes::knowledge::delete_article,
        routes::knowledge::reorder_categories,
        routes::knowledge::article_history,
        routes::knowledge::restore_article,
        routes::knowledge::import,
        routes::knowledge::import_opencart,
        routes::knowledge::import_opencart_dump,
        routes::knowledge::search,
        routes::knowledge::check,
        routes::bot::get_state,
        routes::bot::save_draft,
        routes::bot::discard_draft,
        routes::bot::publish,
        routes::bot::versions,
        routes::bot::version,
        routes::bot::export,
        routes::bot::rollback,
        routes::llm::get,
        routes::llm::save,
        routes::llm::check,
        routes::workflows::list,
        routes::workflows::create,
        routes::workflows::get,
        routes::workflows::update,
        routes::workflows::delete,
        routes::workflows::publish,
        routes::workflows::rollback,
        routes::workflows::versions,
        routes::workflows::version,
        routes::workflows::catalogue,
        routes::workflows::test,
        routes::workflows::suite,
        routes::workflows::set_account_workflow,
        routes::workflows::list_integrations,
        routes::workflows::put_integration,
        routes::workflows::delete_integration,
        routes::avito::connect,
        routes::avito::disconnect,
        routes::avito::webhook_health,
        routes::avito::resubscribe,
        routes::avito::status,
        routes::avito::sync,
        routes::avito::poll,
        routes::avito::webhook,
        routes::avito::upload,
        routes::avito::media,
        realtime::stream,
    ),
    components(schemas(
        error::ErrorBody,
        frontline_channels::api::CallbackPayload,
        dto::Lead,
        dto::HandoffReason,
        dto::BotConfigReport,
    )),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sessions"),
        (name = "conversations", description = "The inbox: conversations, messages, lead, assignment"),
        (name = "search", description = "Full-text search over messages (Russian and English morphology)"),
        (name = "realtime", description = "The gap-free event stream (WebSocket)"),
        (name = "quick_replies", description = "Reply templates"),
        (name = "accounts", description = "Channel accounts (management needs the admin role)"),
        (name = "operators", description = "Operators (management needs the admin role)"),
        (name = "knowledge", description = "The knowledge base the bot answers from (editing needs the admin role)"),
        (name = "workflows", description = "Bot behaviour as graphs: drafts, versions, the tester, integrations (editing needs the admin role)"),
        (name = "bot", description = "The bot's configuration (intents, thresholds; drafts, versions, figures; admin role) and what it decided and why"),
        (name = "inbound", description = "The generic inbound API channel"),
        (name = "avito", description = "Avito accounts (admin) and Avito's webhook receiver"),
        (name = "voice", description = "Phone calls: turns with what was heard, answered and how fast"),
        (name = "media", description = "Stored files: customers' images and voice messages, operators' uploads"),
        (name = "system", description = "Health and description"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Session token from /api/v1/auth/login (or the frontline_session cookie)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "inbound_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The inbound token of an api account"))
                    .build(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Client generators (the web app's openapi-typescript) key operations by id: two handlers
    /// named `list` in different modules would silently get one another's types.
    #[test]
    fn operation_ids_are_unique() {
        let doc = ApiDoc::openapi();
        let mut seen = std::collections::BTreeMap::new();
        for (path, item) in &doc.paths.paths {
            let ops = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for op in ops.into_iter().flatten() {
                let id = op.operation_id.clone().expect("every operation has an id");
                if let Some(other) = seen.insert(id.clone(), path.clone()) {
                    panic!("operation id `{id}` is used by {other} and {path}");
                }
            }
        }
        assert!(seen.len() > 40, "{} operations", seen.len());
    }
}
