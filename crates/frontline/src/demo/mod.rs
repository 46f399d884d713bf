//! `frontline demo`: what a newcomer sees without configuring anything — the demo shop's knowledge
//! base, its workflow on a stand-in shop API ([`shop`]), quick replies, a phone line, and an
//! embedded Avito simulator with simulated customers ([`avito`]). Nothing here runs under `serve`
//! unless the configuration's `demo.*` switches ask for it.

pub(crate) mod avito;
pub mod shop;

use frontline_domain::AccountKind;
use frontline_engine::bot::knowledge::to_import;
use frontline_engine::kb::demo::demo as demo_knowledge;
use frontline_store::Store;
use tracing::info;

/// Seed the demo shop's articles into an empty knowledge base.
pub(crate) async fn seed_knowledge(store: &dyn Store) -> anyhow::Result<()> {
    if !store.list_kb_articles(None).await?.is_empty() {
        return Ok(());
    }
    let raw = to_import(&demo_knowledge());
    let import = frontline_domain::KbImport {
        categories: raw
            .categories
            .into_iter()
            .map(|c| c.cleaned())
            .collect::<Result<_, _>>()?,
        articles: raw
            .articles
            .into_iter()
            .map(|a| a.cleaned())
            .collect::<Result<_, _>>()?,
    };
    let stats = store.import_kb(import, None).await?;
    info!(
        articles = stats.articles_created,
        "knowledge base was empty: seeded the demo shop's articles"
    );
    Ok(())
}

/// Point the `shop` integration at the demo shop on this server and, when no workflow exists yet,
/// create and publish the demo shop workflow with its regression suite.
pub(crate) async fn seed_workflow(
    store: &dyn Store,
    addr: std::net::SocketAddr,
) -> anyhow::Result<()> {
    use frontline_engine::bot::flows::{DEFAULT_SUITE_JSON, DEFAULT_WORKFLOW_JSON};
    let base = format!("http://{}{}", crate::reachable(addr), shop::PREFIX);
    // Never overwrite an integration someone pointed at a real system.
    let ours = match store.integration("shop").await? {
        None => true,
        Some(i) => i.base_url.ends_with(shop::PREFIX),
    };
    if ours {
        store
            .upsert_integration("shop", &base, Default::default())
            .await?;
    }
    if store.list_workflows().await?.is_empty() {
        let w = store
            .create_workflow(
                frontline_domain::WorkflowDraft {
                    name: "Демо-магазин".into(),
                    draft: DEFAULT_WORKFLOW_JSON.into(),
                    tests: DEFAULT_SUITE_JSON.into(),
                }
                .cleaned()?,
            )
            .await?;
        let v = store.publish_workflow(w.id, None, None).await?;
        info!(
            workflow = w.id.0,
            version = v.version,
            "demo shop workflow published"
        );
        // A first start with no channel yet: an api account running the workflow, so a message
        // posted to the inbound API goes through the whole flow.
        if store.list_accounts().await?.is_empty() {
            let token = frontline_api::auth::new_token();
            let account = store
                .create_account(frontline_domain::NewAccount {
                    kind: AccountKind::Api,
                    name: "Демо-сайт".into(),
                    callback_url: None,
                    inbound_token_hash: Some(frontline_api::auth::token_hash(&token)),
                    settings: None,
                    sealed_secrets: None,
                })
                .await?;
            store.set_account_workflow(account.id, Some(w.id)).await?;
            info!(
                account = account.id.0,
                inbound_token = %token,
                "demo account created and running the demo shop workflow; post customer messages \
                 to /api/v1/inbound/{{account}}/messages with this token (shown once)"
            );
        }
    }
    // Shared quick replies for the messenger's ⚡ panel, with the placeholders it fills from the
    // conversation.
    // No operator has id 0: this lists the shared ones only.
    let shared = store
        .list_quick_replies(frontline_domain::OperatorId(0))
        .await?;
    if shared.is_empty() {
        for (title, text) in DEMO_QUICK_REPLIES {
            store.create_quick_reply(title, text, None).await?;
        }
    }
    Ok(())
}

const DEMO_QUICK_REPLIES: [(&str, &str); 5] = [
    (
        "Приветствие",
        "Здравствуйте, {customer_name}! Меня зовут {operator_name}, я помогу разобраться.",
    ),
    (
        "Статус заказа",
        "{customer_name}, проверил заказ {order_number}: он передан в доставку, трек-номер пришлю сюда же.",
    ),
    (
        "Уточнить номер заказа",
        "Подскажите, пожалуйста, номер заказа — он есть в письме о покупке.",
    ),
    (
        "Возврат",
        "Вернуть товар можно в течение 14 дней: оформим заявку здесь, курьер заберёт его бесплатно.",
    ),
    (
        "Спасибо",
        "Спасибо за обращение, {customer_name}! Если появятся вопросы — пишите, мы на связи.",
    ),
];

/// The demo phone line: a voice account on the demo workflow, created once.
pub(crate) async fn voice_line(store: &dyn Store) -> anyhow::Result<frontline_domain::AccountId> {
    if let Some(a) = store
        .list_accounts()
        .await?
        .into_iter()
        .find(|a| a.kind == AccountKind::Voice)
    {
        return Ok(a.id);
    }
    let account = store
        .create_account(frontline_domain::NewAccount {
            kind: AccountKind::Voice,
            name: "Демо-линия (телефон)".into(),
            callback_url: None,
            inbound_token_hash: None,
            settings: Some("{}".into()),
            sealed_secrets: None,
        })
        .await?;
    if let Some(w) = store
        .list_workflows()
        .await?
        .into_iter()
        .find(|w| w.published_version.is_some())
    {
        store.set_account_workflow(account.id, Some(w.id)).await?;
    }
    Ok(account.id)
}
