//! `frontline demo`'s Avito side: an embedded Avito simulator with a few accounts connected through
//! the real channel (token, webhook subscription, history), and simulated customers who write
//! realistic Russian messages from time to time, so a newcomer sees the bot answering and handoffs
//! arriving in real time.
//!
//! The simulator is a test double of Avito; it runs only under `frontline demo` (never in `serve`).

use std::time::Duration;

use avito_sim::{AccountSpec, CustomerSpec, ListingSpec, SimConfig, Simulator};
use frontline_channels::avito::{AvitoChannel, ConnectRequest};
use frontline_domain::{AccountKind, WorkflowId};
use frontline_store::Store;
use rand::{Rng, seq::SliceRandom};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

struct DemoAccount {
    user_id: i64,
    name: &'static str,
    listings: &'static [(i64, &'static str, &'static str)],
}

const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        user_id: 41_000_001,
        name: "Авито · Мебель Лофт",
        listings: &[
            (
                4_100_000_101,
                "Диван угловой «Лофт», серый велюр",
                "54 990 ₽",
            ),
            (4_100_000_102, "Стол обеденный из массива дуба", "32 500 ₽"),
        ],
    },
    DemoAccount {
        user_id: 41_000_002,
        name: "Авито · Электроника Плюс",
        listings: &[
            (
                4_100_000_201,
                "Смартфон Galaxy A55, 128 ГБ, новый",
                "31 990 ₽",
            ),
            (
                4_100_000_202,
                "Наушники беспроводные с шумоподавлением",
                "7 490 ₽",
            ),
        ],
    },
    DemoAccount {
        user_id: 41_000_003,
        name: "Авито · Велосклад",
        listings: &[(
            4_100_000_301,
            "Велосипед горный Stels, рама 18\"",
            "23 900 ₽",
        )],
    },
];

const CUSTOMERS: &[&str] = &[
    "Анна Смирнова",
    "Дмитрий Ковалёв",
    "Ольга Петрова",
    "Игорь Никитин",
    "Марина Соколова",
    "Сергей Волков",
    "Екатерина Орлова",
    "Алексей Фёдоров",
    "Наталья Морозова",
    "Павел Лебедев",
    "Юлия Козлова",
    "Артём Васильев",
];

/// A customer's visit: messages written one after another, with a pause for the answer between.
const SCENARIOS: &[&[&str]] = &[
    &["Здравствуйте! Где мой заказ 104523?", "Спасибо, жду"],
    &[
        "Добрый день, подскажите статус заказа 228761",
        "А когда примерно привезут?",
    ],
    &["Сколько стоит доставка до Казани?"],
    &["Можно оплатить картой при получении?"],
    &["Как вернуть товар, если не подошёл?"],
    &["Какой у вас график работы?"],
    &["Есть самовывоз?"],
    &["Сколько у меня бонусов? Мой телефон +7 916 555-12-34"],
    &["Какой срок гарантии на товар?"],
    &[
        "Мне привезли товар с царапиной, это безобразие! Хочу вернуть деньги",
        "Жду ответа",
    ],
    &["Срочно! Курьер стоит у подъезда и не может дозвониться, что делать?"],
    &["Позовите, пожалуйста, живого человека"],
    &["Здравствуйте", "Хотел уточнить про заказ 550214"],
];

/// Settings of the embedded simulator and its customers.
#[derive(Debug, Clone)]
pub struct DemoAvito {
    pub sim: Simulator,
}

/// Start the simulator with the demo accounts and their listings.
pub async fn start_simulator() -> anyhow::Result<DemoAvito> {
    let sim = Simulator::spawn(SimConfig::default()).await?;
    for (i, a) in ACCOUNTS.iter().enumerate() {
        sim.add_account(AccountSpec {
            user_id: a.user_id,
            name: a.name.to_string(),
            client_id: format!("demo-client-{}", i + 1),
            client_secret: format!("demo-secret-{}", i + 1),
        });
        for (id, title, price) in a.listings {
            sim.add_listing(
                a.user_id,
                ListingSpec {
                    id: *id,
                    title: title.to_string(),
                    price_string: price.to_string(),
                    url: format!("https://www.avito.ru/demo/{id}"),
                },
            );
        }
    }
    info!(url = %sim.base_url(), accounts = ACCOUNTS.len(), "embedded Avito simulator started (demo only)");
    Ok(DemoAvito { sim })
}

impl DemoAvito {
    /// Connect the demo accounts through the real channel (first start only) and point them at the
    /// demo workflow; then let customers write until `shutdown`.
    pub async fn run(
        self,
        channel: AvitoChannel,
        store: std::sync::Arc<dyn Store>,
        workflow: Option<WorkflowId>,
        every: Duration,
        shutdown: CancellationToken,
    ) {
        // A little history, so the inbox is not empty before the first live message.
        for (i, a) in ACCOUNTS.iter().enumerate() {
            let customer = CustomerSpec {
                user_id: 90_000_000 + i as i64,
                name: CUSTOMERS[i % CUSTOMERS.len()].to_string(),
            };
            self.sim.customer_writes(
                a.user_id,
                &customer,
                Some(a.listings[0].0),
                "Добрый вечер! Товар ещё актуален?",
            );
        }
        match store.list_accounts().await {
            Ok(existing) if !existing.iter().any(|a| a.kind == AccountKind::Avito) => {
                for (i, a) in ACCOUNTS.iter().enumerate() {
                    let connected = channel
                        .connect(ConnectRequest {
                            name: a.name.to_string(),
                            user_id: a.user_id,
                            client_id: format!("demo-client-{}", i + 1),
                            client_secret: format!("demo-secret-{}", i + 1),
                            refresh_token: None,
                        })
                        .await;
                    match connected {
                        Ok(c) => {
                            if let Some(w) = workflow
                                && let Err(e) =
                                    store.set_account_workflow(c.account.id, Some(w)).await
                            {
                                warn!(error = %e, "demo account keeps the built-in cascade");
                            }
                            info!(
                                account = c.account.id.0,
                                name = a.name,
                                subscribed = c.subscribed,
                                "demo Avito account connected"
                            );
                        }
                        Err(e) => warn!(error = %e, "connecting a demo Avito account failed"),
                    }
                }
            }
            Ok(_) => info!("demo Avito accounts already connected"),
            Err(e) => warn!(error = %e, "cannot list accounts"),
        }
        let mut customer_no = 0i64;
        loop {
            let pause = {
                let mut rng = rand::thread_rng();
                every.mul_f64(rng.gen_range(0.6..1.4))
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
            customer_no += 1;
            let (account, listing, name, scenario) = {
                let mut rng = rand::thread_rng();
                let account = ACCOUNTS.choose(&mut rng).expect("accounts");
                let listing = account
                    .listings
                    .choose(&mut rng)
                    .map(|l| l.0)
                    .filter(|_| rng.gen_bool(0.8));
                let name = CUSTOMERS.choose(&mut rng).expect("customers");
                let scenario = SCENARIOS.choose(&mut rng).expect("scenarios");
                (account, listing, *name, *scenario)
            };
            let customer = CustomerSpec {
                user_id: 91_000_000 + customer_no,
                name: name.to_string(),
            };
            let sim = self.sim.clone();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                for (i, text) in scenario.iter().enumerate() {
                    if i > 0 {
                        tokio::select! {
                            _ = stop.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_secs(6)) => {}
                        }
                    }
                    sim.customer_writes(account.user_id, &customer, listing, text);
                }
            });
        }
    }
}
