//! The `frontline` command line.

use std::{io::Read, path::PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use frontline::{Config, config::Overrides};
use frontline_domain::Role;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

#[derive(Debug, Parser)]
#[command(
    name = "frontline",
    version,
    about = "The first line of customer support: bot, handoff, operator inbox"
)]
struct Cli {
    /// Configuration file (TOML). Defaults to ./frontline.toml when present.
    #[arg(long, global = true, env = "FRONTLINE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<String>,
        /// sqlite://path/to/file.db or postgres://user@host/db.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Run the server as a self-contained demo on a fresh SQLite file (data/demo.db, unless
    /// --database-url is given): the dialog engine on the demo shop configuration, the demo shop API
    /// at /demo/shop with its published workflow, an embedded Avito simulator with three accounts
    /// connected through the real channel and simulated customers writing to them, an `api` account
    /// (its inbound token is logged), and an admin `admin` / `admin12345` unless
    /// FRONTLINE_BOOTSTRAP_ADMIN says otherwise.
    Demo {
        #[arg(long)]
        listen: Option<String>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Print a commented example configuration.
    PrintConfig,
    /// Print the API's OpenAPI document (the web app's TypeScript types are generated from it).
    Openapi,
    /// Manage operators.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Measure the engine on labelled data.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// Run workflow regression suites offline (actions answered by the cases' stubs) and exit
    /// non-zero when a case fails. Without arguments: the built-in demo shop workflow and its suite.
    TestWorkflows {
        /// A workflow document (JSON); default: the built-in one.
        #[arg(long)]
        workflow: Option<PathBuf>,
        /// A suite (JSON array of cases); default: the built-in one.
        #[arg(long)]
        suite: Option<PathBuf>,
        /// The bot configuration the workflow's intents come from; default: the demo.
        #[arg(long)]
        bot_config: Option<PathBuf>,
        /// A knowledge base in the JSON import format; default: the demo shop's articles.
        #[arg(long)]
        knowledge: Option<PathBuf>,
        /// Print every case's turns and trace as JSON instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// Work with bot configurations.
    Bot {
        #[command(subcommand)]
        command: BotCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BotCommand {
    /// Validate a bot configuration (JSON) and train it, printing every problem with its place, or
    /// a JSON summary: intents, the classifier's out-of-fold operating point and each trigger
    /// phrase's measured precision. Without a file, checks the built-in demo.
    Check { file: Option<PathBuf> },
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Train the intent classifier on one labelled file and report on another (or cross-validate),
    /// printing one JSON object.
    Intents {
        /// Training data: CSV with a header, or CLINC150-style JSON (`train`, `val`, `test`, `oos_*`).
        #[arg(long)]
        train: PathBuf,
        /// Evaluation data (CSV). Without it, a CSV is cross-validated with --folds.
        #[arg(long)]
        test: Option<PathBuf>,
        /// `csv` or `clinc`; guessed from the extension when omitted.
        #[arg(long)]
        format: Option<String>,
        #[arg(long, default_value = "text")]
        text_column: String,
        #[arg(long, default_value = "label")]
        label_column: String,
        /// CLINC150 split to evaluate on: `val` or `test` (training uses `train` + `oos_train`).
        #[arg(long, default_value = "val")]
        eval_split: String,
        /// Folds for cross-validation when no --test is given.
        #[arg(long, default_value_t = 5)]
        folds: usize,
    },
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Create an operator; the password is read from standard input.
    Add {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// `admin` or `operator`.
        #[arg(long, default_value = "operator")]
        role: String,
        #[arg(long)]
        database_url: Option<String>,
    },
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new(config.log.level.clone()));
    let registry = tracing_subscriber::registry().with(filter);
    if config.log.format == "json" {
        registry.with(fmt::layer().json()).init();
    } else {
        registry.with(fmt::layer()).init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::PrintConfig => {
            print!("{}", frontline::config::EXAMPLE);
            Ok(())
        }
        Command::Openapi => {
            use utoipa::OpenApi as _;
            let doc = frontline_api::openapi::ApiDoc::openapi();
            println!("{}", doc.to_pretty_json()?);
            Ok(())
        }
        Command::Serve {
            listen,
            database_url,
        } => {
            let config = Config::load(
                cli.config,
                Overrides {
                    listen,
                    database_url,
                },
            )?;
            serve(config).await
        }
        Command::Demo {
            listen,
            database_url,
        } => {
            let fresh = database_url.is_none();
            let mut config = Config::load(
                cli.config,
                Overrides {
                    listen,
                    database_url: Some(database_url.unwrap_or_else(|| DEMO_DATABASE.into())),
                },
            )?;
            if fresh {
                // The simulated Avito lives in memory: start its mirror in frontline afresh too.
                fresh_demo_database()?;
            }
            config.demo.shop = true;
            config.demo.avito = true;
            config.bot.mode = "engine".into();
            config
                .bootstrap_admin
                .get_or_insert_with(|| "admin:admin12345".into());
            serve(config).await
        }

        Command::Eval { command } => eval_intents(command),
        Command::Bot {
            command: BotCommand::Check { file },
        } => check_bot(file),
        Command::TestWorkflows {
            workflow,
            suite,
            bot_config,
            knowledge,
            json,
        } => test_workflows(workflow, suite, bot_config, knowledge, json).await,
        Command::Operator {
            command:
                OperatorCommand::Add {
                    login,
                    name,
                    role,
                    database_url,
                },
        } => {
            let config = Config::load(
                cli.config,
                Overrides {
                    listen: None,
                    database_url,
                },
            )?;
            let role = Role::parse(&role).context("--role must be admin or operator")?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let store = frontline::open_store(&config.database_url).await?;
            frontline::create_operator(&*store, &login, &name, role, password).await?;
            println!("operator `{login}` created");
            Ok(())
        }
    }
}

async fn test_workflows(
    workflow: Option<PathBuf>,
    suite: Option<PathBuf>,
    bot_config: Option<PathBuf>,
    knowledge: Option<PathBuf>,
    json: bool,
) -> anyhow::Result<()> {
    use std::sync::Arc;

    use frontline_engine::bot::flows::{
        DEFAULT_SUITE_JSON, DEFAULT_WORKFLOW_JSON, compile_document,
    };
    use frontline_engine::bot::suite::{parse_suite, run_suite};
    use frontline_engine::bot::{BotConfig, EngineBot, Knowledge};

    let read = |path: &Option<PathBuf>, default: &str| -> anyhow::Result<String> {
        match path {
            Some(p) => {
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
            }
            None => Ok(default.to_owned()),
        }
    };
    let config = match &bot_config {
        Some(p) => BotConfig::from_json(&read(&bot_config, "")?)
            .with_context(|| format!("bot configuration {}", p.display()))?,
        None => BotConfig::demo(),
    };
    let kb = match &knowledge {
        Some(_) => frontline_engine::kb::import_json(&read(&knowledge, "")?)?,
        None => frontline_engine::kb::demo::demo(),
    };
    let bot = EngineBot::new(
        Arc::new(config.compile()?),
        Arc::new(Knowledge::from_kb(&kb)?),
        None,
    );
    let graph = compile_document(&read(&workflow, DEFAULT_WORKFLOW_JSON)?, bot.config()).map_err(
        |problems| {
            let list: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
            anyhow::anyhow!("the workflow is invalid:\n{}", list.join("\n"))
        },
    )?;
    let cases = parse_suite(&read(&suite, DEFAULT_SUITE_JSON)?).context("reading the suite")?;
    let started = std::time::Instant::now();
    let results = run_suite(&graph, &cases, |stubs| bot.effects(None, stubs)).await;
    let failed = results.iter().filter(|r| !r.passed).count();
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for r in &results {
            println!("{} {}", if r.passed { "ok  " } else { "FAIL" }, r.name);
            for f in &r.failures {
                println!("       {f}");
            }
        }
        println!(
            "{} cases: {} passed, {failed} failed ({:.0} ms)",
            results.len(),
            results.len() - failed,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    anyhow::ensure!(failed == 0, "{failed} workflow test case(s) failed");
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    init_logging(&config);
    tracing::debug!(?config, "configuration");
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        stop.cancel();
    });
    frontline::launch(config, listener, shutdown).await
}

fn check_bot(file: Option<PathBuf>) -> anyhow::Result<()> {
    use frontline_engine::bot::BotConfig;
    let config = match &file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            BotConfig::from_json(&text)?
        }
        None => BotConfig::demo(),
    };
    let started = std::time::Instant::now();
    let compiled = config.compile()?;
    let train_seconds = started.elapsed().as_secs_f64();
    let abstain = compiled.model.abstain_threshold();
    let triggers: Vec<serde_json::Value> = compiled
        .triggers
        .phrase_stats()
        .into_iter()
        .map(|(intent, phrase, s)| {
            serde_json::json!({
                "intent": intent, "phrase": phrase,
                "decided": s.total, "correct": s.correct,
            })
        })
        .collect();
    let summary = serde_json::json!({
        "name": compiled.config.name,
        "intents": compiled.config.intents.iter().map(|i| serde_json::json!({
            "name": i.name, "request_type": i.request_type,
            "threshold": compiled.policy.intent(&i.name).answer_threshold,
            "examples": i.examples.len(), "slots": i.slots,
        })).collect::<Vec<_>>(),
        "out_of_scope_examples": compiled.config.out_of_scope_examples.len(),
        "classifier": {
            "abstain_threshold": abstain.threshold,
            "out_of_fold_coverage": abstain.coverage,
            "out_of_fold_wrong_rate": abstain.wrong_rate,
            "train_seconds": train_seconds,
        },
        "triggers": triggers,
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

fn eval_intents(command: EvalCommand) -> anyhow::Result<()> {
    use frontline_engine::{
        TrainOptions,
        eval::{self, ClincSplit},
    };
    let EvalCommand::Intents {
        train,
        test,
        format,
        text_column,
        label_column,
        eval_split,
        folds,
    } = command;
    let format = format.unwrap_or_else(|| {
        if train.extension().is_some_and(|e| e == "json") {
            "clinc".into()
        } else {
            "csv".into()
        }
    });
    let opts = TrainOptions::default();
    let report = match format.as_str() {
        "clinc" => {
            anyhow::ensure!(
                test.is_none(),
                "--test does not apply to CLINC files: use --eval-split"
            );
            let split = match eval_split.as_str() {
                "val" => ClincSplit::Val,
                "test" => ClincSplit::Test,
                other => anyhow::bail!("--eval-split must be val or test, not `{other}`"),
            };
            let (train, test) = eval::load_clinc(&train, split)?;
            eval::evaluate(&train, &test, &opts)?
        }
        "csv" => {
            let train = eval::load_csv(&train, &text_column, &label_column)?;
            match test {
                Some(test) => {
                    let test = eval::load_csv(&test, &text_column, &label_column)?;
                    eval::evaluate(&train, &test, &opts)?
                }
                None => eval::cross_validate(&train, folds, &opts)?,
            }
        }
        other => anyhow::bail!("--format must be csv or clinc, not `{other}`"),
    };
    println!("{}", report.to_json());
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Where `frontline demo` keeps its database when none is given.
const DEMO_DATABASE: &str = "sqlite://data/demo.db";

/// Remove the previous demo database (and its WAL files) so the demo starts from scratch.
fn fresh_demo_database() -> anyhow::Result<()> {
    let path = DEMO_DATABASE.trim_start_matches("sqlite://");
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {file}")),
        }
    }
    Ok(())
}
