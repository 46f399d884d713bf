//! The `frontline` command line.
//!
//! Size: one clap command tree and a short function per command; the wiring they call lives in the
//! library (`lib.rs` and its modules).

use std::{io::Read, path::PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use frontline::{Config, config::Overrides};
use frontline_channels::{
    audio::{Pcm, read_wav, trim_silence},
    voice::caller::{Caller, CallerOptions, Transport},
};
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
    /// Call a phone line as a caller would: play WAV utterances in real time over AudioSocket or a
    /// media stream and print one JSON line per bot turn (what the bot recognised and answered,
    /// with --server; the end-of-speech → first-audio latency always).
    Call {
        /// An AudioSocket listener, e.g. 127.0.0.1:9092.
        #[arg(
            long,
            conflicts_with = "media_stream",
            required_unless_present = "media_stream"
        )]
        audiosocket: Option<std::net::SocketAddr>,
        /// A media-stream URL, e.g. ws://127.0.0.1:9093/lines/1.
        #[arg(long)]
        media_stream: Option<String>,
        /// Utterances to say, in order (any rate, 16-bit PCM WAV).
        #[arg(long, required = true, num_args = 1..)]
        wav: Vec<PathBuf>,
        /// Keys to press after the utterances (DTMF), e.g. 123456#.
        #[arg(long)]
        dtmf: Option<String>,
        /// The caller's number (media streams).
        #[arg(long)]
        from: Option<String>,
        /// The line's token (media streams).
        #[arg(long, env = "FRONTLINE_LINE_TOKEN")]
        token: Option<String>,
        /// The frontline server, to read what the bot recognised and answered, e.g.
        /// http://127.0.0.1:8080.
        #[arg(long)]
        server: Option<String>,
        #[arg(long, default_value = "admin")]
        login: String,
        #[arg(long, env = "FRONTLINE_PASSWORD", default_value = "admin12345")]
        password: String,
        /// Bot silence that ends its turn.
        #[arg(long, default_value_t = 700)]
        gap_ms: u64,
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
        /// `csv`, `clinc` or `autointent` (DeepPavlov's intent records, cross-validated with
        /// --folds); `csv` or `clinc` is guessed from the extension when omitted.
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
        /// Train on words alone, without the sentence encoder (the "without" column).
        #[arg(long)]
        no_encoder: bool,
        /// The e5 model file; default: where scripts/fetch-e5-model puts it. Without the file the
        /// evaluation runs on words alone and says so on stderr (and `"encoder": false`).
        #[arg(long)]
        encoder_model: Option<PathBuf>,
        /// Threads embedding one message (the latency figures are per message).
        #[arg(long, default_value_t = 1)]
        encoder_threads: usize,
        /// Fail (after printing the report) when the accuracy is below this: a regression floor.
        #[arg(long)]
        min_accuracy: Option<f64>,
        /// Fail when the out-of-scope recall is below this (data with out-of-scope examples).
        #[arg(long)]
        min_oos_recall: Option<f64>,
    },
    /// Run scripted multi-turn dialogs (JSON lines: turns and the expected outcome of each, see
    /// `frontline_engine::bot::dialogs`) through the real engine on the demo shop configuration:
    /// the built-in cascade and the published demo workflow, whose Action calls go to the demo shop
    /// API served locally. Prints the figures per request type; exits non-zero when a floor is
    /// missed.
    Dialogs {
        /// Dialog files; each is reported on its own (a development set, a held-out set).
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// `cascade`, `workflow` or `both`.
        #[arg(long, default_value = "both")]
        path: String,
        /// Fail when a file's share of passed dialogs on a path is below this (0–1).
        #[arg(long)]
        min_pass: Option<f64>,
        /// Print every failed dialog with its turns.
        #[arg(long)]
        failures: bool,
        /// Print the results as JSON instead.
        #[arg(long)]
        json: bool,
        /// Run the engine on words alone, without the sentence encoder (as with no model file).
        #[arg(long)]
        no_encoder: bool,
        /// The e5 model file; default: where scripts/fetch-e5-model puts it.
        #[arg(long)]
        encoder_model: Option<PathBuf>,
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
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| {
        // whisper.cpp logs every model load and decode at info.
        let level = &config.log.level;
        if level.contains("whisper_rs") {
            EnvFilter::new(level.clone())
        } else {
            EnvFilter::new(format!("{level},whisper_rs=warn"))
        }
    });
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
        Command::Call {
            audiosocket,
            media_stream,
            wav,
            dtmf,
            from,
            token,
            server,
            login,
            password,
            gap_ms,
        } => {
            let transport = match (audiosocket, media_stream) {
                (Some(a), _) => Transport::AudioSocket(a),
                (None, Some(url)) => Transport::MediaStream(url),
                (None, None) => anyhow::bail!("give --audiosocket or --media-stream"),
            };
            call(CallArgs {
                transport,
                wavs: wav,
                dtmf,
                from,
                token,
                server,
                login,
                password,
                gap: std::time::Duration::from_millis(gap_ms),
            })
            .await
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
            config.demo.voice = true;
            config.bot.mode = "engine".into();
            config
                .bootstrap_admin
                .get_or_insert_with(|| "admin:admin12345".into());
            serve(config).await
        }

        Command::Eval { command } => match command {
            EvalCommand::Dialogs {
                files,
                path,
                min_pass,
                failures,
                json,
                no_encoder,
                encoder_model,
            } => {
                let encoder = eval_encoder(no_encoder, encoder_model, 1);
                eval_dialogs(files, &path, min_pass, failures, json, encoder).await
            }
            intents => eval_intents(intents),
        },
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
    let results = run_suite(&graph, &cases, |stubs| bot.effects(&[], stubs)).await;
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

/// The sentence encoder an evaluation runs with: none with `--no-encoder`, else the e5 model (as
/// given, or where `scripts/fetch-e5-model` puts it); without the file, none, said on stderr.
fn eval_encoder(
    no_encoder: bool,
    encoder_model: Option<PathBuf>,
    threads: usize,
) -> Option<frontline_engine::intent::embedding::TextEmbedder> {
    let settings = frontline::config::BotSettings {
        encoder: if no_encoder { "none" } else { "e5" }.into(),
        encoder_model: encoder_model
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        encoder_threads: threads,
        ..Default::default()
    };
    if !no_encoder && !settings.encoder_model_path().exists() {
        eprintln!(
            "eval: no e5 model at {}; measuring without the encoder (run scripts/fetch-e5-model)",
            settings.encoder_model_path().display()
        );
    }
    frontline::sentence_encoder(&settings)
}

/// `frontline eval dialogs`: see the command's help.
async fn eval_dialogs(
    files: Vec<PathBuf>,
    path: &str,
    min_pass: Option<f64>,
    show_failures: bool,
    json: bool,
    encoder: Option<frontline_engine::intent::embedding::TextEmbedder>,
) -> anyhow::Result<()> {
    use std::sync::Arc;

    use frontline_engine::bot::dialogs::{Reader, Summary, parse_dialogs, run_dialog};
    use frontline_engine::bot::flows::DEFAULT_WORKFLOW_JSON;
    use frontline_engine::bot::{BotConfig, EngineBot, Knowledge};

    let paths: &[&str] = match path {
        "both" => &["cascade", "workflow"],
        "cascade" => &["cascade"],
        "workflow" => &["workflow"],
        other => anyhow::bail!("--path must be cascade, workflow or both, not `{other}`"),
    };
    let kb = frontline_engine::kb::demo::demo();
    // As the demo runs: with the encoder when its model is here.
    let bot = EngineBot::new(
        Arc::new(BotConfig::demo().compile_with(encoder.clone())?),
        Arc::new(Knowledge::from_kb_with(&kb, encoder)?),
        None,
    );
    let reader = Reader::new(bot.config(), &kb);
    // The demo shop's own API, as `frontline demo` serves it, for the workflow's Action nodes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let shop = format!(
        "http://{}{}",
        listener.local_addr()?,
        frontline::demo::shop::PREFIX
    );
    tokio::spawn(async move { axum::serve(listener, frontline::demo::shop::router()).await });
    let now = frontline_domain::Timestamp(0);
    let workflow = frontline_lifecycle::WorkflowInput {
        workflow_id: frontline_domain::WorkflowId(1),
        version: 1,
        document: DEFAULT_WORKFLOW_JSON.to_owned(),
        state: None,
        integrations: vec![frontline_domain::Integration {
            name: "shop".into(),
            base_url: shop,
            headers: Default::default(),
            created_at: now,
            updated_at: now,
        }],
    };

    let mut report = Vec::new();
    let mut missed = Vec::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let dialogs =
            parse_dialogs(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        for &p in paths {
            let mut results = Vec::with_capacity(dialogs.len());
            for d in &dialogs {
                let flow = (p == "workflow").then(|| workflow.clone());
                results.push(run_dialog(&bot, &reader, d, flow).await);
            }
            let summary = Summary::of(&results);
            if let Some(floor) = min_pass
                && summary.all.pass_rate() < floor
            {
                missed.push(format!(
                    "{} on the {p}: {:.1}% of dialogs passed, below the floor of {:.1}%",
                    file.display(),
                    summary.all.pass_rate() * 100.0,
                    floor * 100.0
                ));
            }
            report.push((file.display().to_string(), p, summary, results));
        }
    }

    if json {
        let out: Vec<serde_json::Value> = report
            .iter()
            .map(|(file, p, summary, results)| {
                serde_json::json!({"file": file, "path": p, "summary": summary, "dialogs": results})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for (file, p, summary, results) in &report {
            println!("{file} — {p}");
            println!(
                "  {:<14} {:>7} {:>8} {:>11} {:>9}",
                "request type", "dialogs", "passed", "first turn", "turns"
            );
            let rows = summary
                .by_type
                .iter()
                .map(|(t, tally)| (t.as_str(), tally))
                .chain(std::iter::once(("all", &summary.all)));
            for (t, tally) in rows {
                println!(
                    "  {:<14} {:>7} {:>7.1}% {:>10.1}% {:>8.1}%",
                    t,
                    tally.dialogs,
                    tally.pass_rate() * 100.0,
                    tally.first_turn_rate() * 100.0,
                    if tally.turns == 0 {
                        0.0
                    } else {
                        tally.turns_ok as f64 * 100.0 / tally.turns as f64
                    }
                );
            }
            if show_failures {
                for r in results.iter().filter(|r| !r.passed) {
                    println!("  FAIL {} ({})", r.id, r.request_type);
                    for f in &r.failures {
                        println!("       {f}");
                    }
                    for (i, t) in r.turns.iter().enumerate() {
                        let o = &t.observed;
                        println!(
                            "       {}. {:?} → {}{} [{}] {:?}",
                            i + 1,
                            t.say,
                            o.action.as_str(),
                            o.reason.map(|r| format!(" ({r})")).unwrap_or_default(),
                            o.intent.as_deref().unwrap_or("-"),
                            o.text.chars().take(120).collect::<String>()
                        );
                        for f in &t.failures {
                            println!("          ✗ {f}");
                        }
                    }
                }
            }
            println!();
        }
    }
    anyhow::ensure!(missed.is_empty(), "{}", missed.join("\n"));
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
        no_encoder,
        encoder_model,
        encoder_threads,
        min_accuracy,
        min_oos_recall,
    } = command
    else {
        anyhow::bail!("not an intent evaluation");
    };
    let encoder = eval_encoder(no_encoder, encoder_model, encoder_threads);
    let encoder = encoder.as_ref();
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
            eval::evaluate_with(&train, &test, &opts, encoder)?
        }
        "csv" => {
            let train = eval::load_csv(&train, &text_column, &label_column)?;
            match test {
                Some(test) => {
                    let test = eval::load_csv(&test, &text_column, &label_column)?;
                    eval::evaluate_with(&train, &test, &opts, encoder)?
                }
                None => eval::cross_validate_with(&train, folds, &opts, encoder)?,
            }
        }
        "autointent" => {
            anyhow::ensure!(
                test.is_none(),
                "AutoIntent files have no test split: they are cross-validated with --folds"
            );
            let all = eval::load_autointent(&train)?;
            eval::cross_validate_with(&all, folds, &opts, encoder)?
        }
        other => anyhow::bail!("--format must be csv, clinc or autointent, not `{other}`"),
    };
    println!("{}", report.to_json());
    if let Some(floor) = min_accuracy {
        anyhow::ensure!(
            report.accuracy >= floor,
            "accuracy {:.4} is below the floor {floor}",
            report.accuracy
        );
    }
    if let Some(floor) = min_oos_recall {
        let recall = report
            .oos_recall
            .context("--min-oos-recall needs evaluation data with out-of-scope examples")?;
        anyhow::ensure!(
            recall >= floor,
            "out-of-scope recall {recall:.4} is below the floor {floor}"
        );
    }
    Ok(())
}

#[derive(Debug)]
struct CallArgs {
    transport: Transport,
    wavs: Vec<PathBuf>,
    dtmf: Option<String>,
    from: Option<String>,
    token: Option<String>,
    server: Option<String>,
    login: String,
    password: String,
    gap: std::time::Duration,
}

/// `frontline call`: the caller side of a phone call, for people and scripts.
async fn call(args: CallArgs) -> anyhow::Result<()> {
    use std::time::Duration;
    let mut utterances = Vec::new();
    for path in &args.wavs {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let pcm = read_wav(&bytes).with_context(|| format!("{}", path.display()))?;
        // The file's own leading and trailing silence would blur "end of speech".
        let pcm = trim_silence(&pcm, 100.0);
        utterances.push((path.display().to_string(), pcm));
    }
    let caller = Caller::connect(
        args.transport,
        CallerOptions {
            from: args.from,
            token: args.token,
            ..CallerOptions::default()
        },
    )
    .await?;
    let wait = Duration::from_secs(60);
    let greeting = caller.bot_turn(caller.started(), args.gap, wait).await?;
    println!(
        "{}",
        serde_json::json!({
            "call_id": caller.call_id(),
            "greeting_ms": greeting.audio.duration_ms(),
            "connect_to_greeting_ms": greeting.first_audio.duration_since(caller.started()).as_millis() as u64,
        })
    );
    let mut turns = Vec::new();
    let mut inputs: Vec<(String, Pcm)> = utterances;
    let keys = args.dtmf.unwrap_or_default();
    for (name, pcm) in inputs.drain(..) {
        let end = caller.say(&pcm).await?;
        let reply = caller.bot_turn(end, args.gap, wait).await;
        turns.push((name, pcm.duration_ms(), end, reply));
    }
    if !keys.is_empty() {
        let start = std::time::Instant::now();
        for key in keys.chars() {
            caller.dtmf(key);
        }
        let reply = caller.bot_turn(start, args.gap, wait).await;
        turns.push((format!("dtmf:{keys}"), 0, start, reply));
    }
    // Let a last reply finish, then hang up: the server stores the call's turns at its end.
    let _ = caller.hangup().await;
    let server_turns = match &args.server {
        Some(server) => fetch_turns(
            server,
            &args.login,
            &args.password,
            caller.call_id(),
            turns.len(),
        )
        .await
        .unwrap_or_else(|e| {
            eprintln!("could not read the turns from {server}: {e:#}");
            Vec::new()
        }),
        None => Vec::new(),
    };
    for (i, (input, speech_ms, end, reply)) in turns.into_iter().enumerate() {
        let st = server_turns.get(i);
        let (latency, reply_ms) = match &reply {
            Ok(r) => (
                Some(r.first_audio.saturating_duration_since(end).as_millis() as u64),
                Some(r.audio.duration_ms()),
            ),
            Err(_) => (None, None),
        };
        println!(
            "{}",
            serde_json::json!({
                "turn": i + 1,
                "input": input,
                "speech_ms": speech_ms,
                "recognised": st.map(|t| t["recognised"].clone()),
                "answer": st.map(|t| t["answer"].clone()),
                "intent": st.map(|t| t["intent"].clone()),
                "end_of_speech_to_first_audio_ms": latency,
                "reply_audio_ms": reply_ms,
                "server_recognition_ms": st.map(|t| t["recognition_ms"].clone()),
                "server_engine_ms": st.map(|t| t["engine_ms"].clone()),
            })
        );
    }
    Ok(())
}

async fn fetch_turns(
    server: &str,
    login: &str,
    password: &str,
    call_id: &str,
    expected: usize,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let http = reqwest::Client::new();
    let base = server.trim_end_matches('/');
    let token = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": login, "password": password}))
        .send()
        .await?
        .error_for_status()?
        .json::<serde_json::Value>()
        .await?["token"]
        .as_str()
        .context("no token in the login answer")?
        .to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = http
            .get(format!("{base}/api/v1/voice/calls/{call_id}/turns"))
            .bearer_auth(&token)
            .send()
            .await?;
        if r.status().is_success() {
            let turns: Vec<serde_json::Value> = r.json().await?;
            if turns.len() >= expected || std::time::Instant::now() > deadline {
                return Ok(turns);
            }
        } else if std::time::Instant::now() > deadline {
            anyhow::bail!("{}", r.status());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
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
