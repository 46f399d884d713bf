//! `avito-sim`: runs the Avito Messenger API simulator on its own, seeded with two demo accounts, so a
//! person can point a client at it and drive it through the `/_sim/` control API with curl (see the
//! library docs for the routes).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use avito_sim::{AccountSpec, CustomerSpec, ListingSpec, MessagesShape, SimConfig, Simulator};
use clap::{Parser, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "avito-sim",
    about = "A local simulator of Avito's Messenger API"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8089")]
    listen: SocketAddr,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 86_400)]
    token_ttl_secs: u64,
    /// Top-level shape of the messages list.
    #[arg(long, value_enum, default_value_t = Shape::Array)]
    messages_shape: Shape,
    /// Add `meta.has_more` to the chats list (not in the spec; reported in live answers).
    #[arg(long)]
    chats_meta: bool,
    /// Per-account requests per minute (off when absent).
    #[arg(long)]
    rate_limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Shape {
    Array,
    Wrapped,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let sim = Simulator::new(SimConfig {
        token_ttl: Duration::from_secs(args.token_ttl_secs),
        messages_shape: match args.messages_shape {
            Shape::Array => MessagesShape::Array,
            Shape::Wrapped => MessagesShape::Wrapped,
        },
        chats_meta: args.chats_meta,
        rate_limit_per_minute: args.rate_limit,
        ..SimConfig::default()
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let mut addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let base = format!("http://{addr}");
    sim.set_base_url(&base);
    seed(&sim);

    println!("avito-sim listening on {base}");
    for account in [1001, 1002] {
        let creds = seeded_account(account);
        println!(
            "  account user_id={} name={:?} client_id={} client_secret={}",
            creds.user_id, creds.name, creds.client_id, creds.client_secret
        );
    }
    println!(
        "  token:   curl -s {base}/token -d grant_type=client_credentials -d client_id=demo-shop -d client_secret=demo-shop-secret"
    );
    println!(
        "  write:   curl -s {base}/_sim/customer_writes -H 'content-type: application/json' -d '{{\"account\":1001,\"customer_id\":5001,\"customer_name\":\"Анна\",\"item_id\":700001,\"text\":\"Здравствуйте!\"}}'"
    );

    sim.serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")?;
    Ok(())
}

fn seeded_account(user_id: i64) -> AccountSpec {
    match user_id {
        1001 => AccountSpec {
            user_id,
            name: "Демо-магазин".into(),
            client_id: "demo-shop".into(),
            client_secret: "demo-shop-secret".into(),
        },
        _ => AccountSpec {
            user_id,
            name: "Демо-сервис".into(),
            client_id: "demo-service".into(),
            client_secret: "demo-service-secret".into(),
        },
    }
}

/// Two accounts with listings and a few conversations, so a fresh client sees something at once.
fn seed(sim: &Simulator) {
    sim.add_account(seeded_account(1001));
    sim.add_account(seeded_account(1002));
    for (account, id, title, price) in [
        (1001, 700_001, "Велосипед горный Stels", "18 500 ₽"),
        (1001, 700_002, "Кофемашина DeLonghi", "24 900 ₽"),
        (1002, 800_001, "Ремонт стиральных машин", "от 1 500 ₽"),
    ] {
        sim.add_listing(
            account,
            ListingSpec {
                id,
                title: title.into(),
                price_string: price.into(),
                url: format!("https://www.avito.ru/items/{id}"),
            },
        );
    }
    let anna = CustomerSpec {
        user_id: 5001,
        name: "Анна Смирнова".into(),
    };
    let igor = CustomerSpec {
        user_id: 5002,
        name: "Игорь".into(),
    };
    sim.customer_writes(
        1001,
        &anna,
        Some(700_001),
        "Здравствуйте! Велосипед ещё продаётся?",
    );
    sim.customer_writes(1001, &igor, Some(700_002), "Какой гарантийный срок?");
    sim.customer_writes(
        1002,
        &anna,
        Some(800_001),
        "Можно мастера на завтра после 18:00?",
    );
}
