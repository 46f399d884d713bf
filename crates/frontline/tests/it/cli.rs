//! The `frontline` binary as a user runs it.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
};

const BIN: &str = env!("CARGO_BIN_EXE_frontline");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `frontline serve` in `dir` on a free port and return it with its address, read from its log.
fn serve(dir: &std::path::Path, extra_env: &[(&str, &str)]) -> (Server, String) {
    let (server, addr, _) = start(dir, "serve", extra_env);
    (server, addr)
}

/// Start `frontline <command>` in `dir` on a free port; return it, its address and the log lines
/// (JSON) written before it listened.
fn start(
    dir: &std::path::Path,
    command: &str,
    extra_env: &[(&str, &str)],
) -> (Server, String, Vec<serde_json::Value>) {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .args([command, "--listen", "127.0.0.1:0"])
        .env_remove("FRONTLINE_DATABASE_URL")
        .env("FRONTLINE_LOG__FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start frontline");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut before = Vec::new();
    let addr = loop {
        let line = lines
            .next()
            .expect("frontline exited before listening")
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if v["fields"]["message"] == "frontline listening" {
            break v["fields"]["addr"].as_str().unwrap().to_owned();
        }
        before.push(v);
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (server, addr, before)
}

#[tokio::test]
async fn demo_runs_a_message_through_the_demo_shop_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr, log) = start(dir.path(), "demo", &[]);
    let created = log
        .iter()
        .find(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("demo account created"))
        })
        .expect("the demo account is announced");
    let account = created["fields"]["account"].as_i64().unwrap();
    let token = created["fields"]["inbound_token"].as_str().unwrap();

    let http = reqwest::Client::new();
    let r = http
        .post(format!("http://{addr}/api/v1/inbound/{account}/messages"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "external_chat_id": "demo-chat", "external_message_id": "demo-1",
            "customer": {"external_id": "c1", "name": "Анна"},
            "text": "Где мой заказ 784512?"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let conversation = r.json::<serde_json::Value>().await.unwrap()["conversation_id"]
        .as_i64()
        .unwrap();
    let admin: serde_json::Value = http
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "admin", "password": "admin12345"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = admin["token"].as_str().unwrap().to_owned();
    // The messenger's quick replies are seeded, shared, with placeholders it fills.
    let replies: serde_json::Value = http
        .get(format!("http://{addr}/api/v1/quick-replies"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let replies = replies.as_array().unwrap();
    assert_eq!(replies.len(), 5, "{replies:?}");
    assert!(replies.iter().all(|q| q["shared"] == true));
    assert!(
        replies
            .iter()
            .any(|q| q["text"].as_str().unwrap().contains("{customer_name}"))
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let messages: serde_json::Value = http
            .get(format!(
                "http://{addr}/api/v1/conversations/{conversation}/messages"
            ))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let bot = messages["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["author"]["kind"] == "bot")
            .map(|m| m["text"].as_str().unwrap().to_owned());
        if let Some(text) = bot {
            // The demo shop's answer for 784512, through the workflow's Action node.
            assert_eq!(
                text,
                "Заказ 784512: доставлен. Ожидаемая дата доставки — 28 декабря."
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no bot reply");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn serve_creates_the_embedded_database_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr) = serve(
        dir.path(),
        &[("FRONTLINE_BOOTSTRAP_ADMIN", "boss:boss-password")],
    );
    assert!(dir.path().join("data/frontline.db").exists());
    let http = reqwest::Client::new();
    let health: serde_json::Value = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["store"], "sqlite");
    let r = http
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "boss", "password": "boss-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn operator_add_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "operator",
            "add",
            "--login",
            "olga",
            "--name",
            "Ольга",
            "--role",
            "admin",
        ])
        .env_remove("FRONTLINE_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"olga-password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("operator `olga` created"));

    // A short password is refused with a clear message, and nothing is created.
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .args(["operator", "add", "--login", "ivan", "--name", "Иван"])
        .env_remove("FRONTLINE_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("at least 8 characters"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_added_operator_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .args(["operator", "add", "--login", "olga", "--name", "Ольга"])
        .env_remove("FRONTLINE_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"olga-password")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let (_server, addr) = serve(dir.path(), &[]);
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "olga", "password": "olga-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["operator"]["role"], "operator");
}

#[test]
fn print_config_prints_the_commented_example() {
    let out = Command::new(BIN).arg("print-config").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("database_url = \"sqlite://data/frontline.db\""));
    assert!(text.lines().filter(|l| l.starts_with('#')).count() > 10);
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let out = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            "mysql://x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported database URL"), "{err}");
}

#[test]
fn eval_intents_prints_one_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let intents = [
        (
            "order_status",
            [
                "где мой заказ",
                "статус заказа",
                "когда доставят заказ",
                "where is my order",
                "track my order",
                "заказ не пришёл",
            ],
        ),
        (
            "balance",
            [
                "какой у меня баланс",
                "сколько денег на счёте",
                "остаток на счёте",
                "what is my balance",
                "check my balance",
                "баланс карты",
            ],
        ),
        (
            "operator",
            [
                "позовите оператора",
                "хочу поговорить с человеком",
                "соедините с оператором",
                "talk to a person",
                "human please",
                "живой человек нужен",
            ],
        ),
    ];
    let mut train = String::from("text,label\n");
    let mut test = String::from("text,label\n");
    for (label, examples) in intents {
        for (i, e) in examples.iter().enumerate() {
            let line = format!("\"{e}\",{label}\n");
            if i % 3 == 2 {
                test.push_str(&line);
            } else {
                train.push_str(&line);
            }
        }
    }
    std::fs::write(dir.path().join("train.csv"), train).unwrap();
    std::fs::write(dir.path().join("test.csv"), test).unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "eval",
            "intents",
            "--train",
            "train.csv",
            "--test",
            "test.csv",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1, "{stdout}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    for key in ["accuracy", "macro_f1", "train_seconds", "p50_us", "p99_us"] {
        assert!(report[key].is_number(), "{key} missing: {report}");
    }
    let accuracy = report["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy));

    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "eval",
            "intents",
            "--train",
            "train.csv",
            "--label-column",
            "intent",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column"));
}

#[test]
fn bot_check_summarises_a_configuration_or_lists_its_problems() {
    let out = Command::new(BIN).args(["bot", "check"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["name"], "demo-shop");
    let intents = summary["intents"].as_array().unwrap();
    assert!(
        intents
            .iter()
            .any(|i| i["name"] == "order_status" && i["slots"][0] == "order_number")
    );
    assert!(
        summary["classifier"]["out_of_fold_wrong_rate"]
            .as_f64()
            .unwrap()
            <= 1.0
    );
    assert!(summary["triggers"].as_array().unwrap().len() > 10);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bot.json");
    let mut broken: serde_json::Value =
        serde_json::from_str(frontline_engine::bot::config::DEMO_CONFIG_JSON).unwrap();
    broken["intents"][0]["request_type"] = "nonsense".into();
    broken["intents"][1]["slots"] = serde_json::json!(["passport"]);
    std::fs::write(&file, broken.to_string()).unwrap();
    let out = Command::new(BIN)
        .args(["bot", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("intents[0].request_type: unknown request_type `nonsense`"),
        "{err}"
    );
    assert!(
        err.contains("intents[1].slots: unknown slot `passport`"),
        "{err}"
    );
}

#[test]
fn test_workflows_passes_the_default_suite_and_fails_a_broken_one() {
    let out = Command::new(BIN).arg("test-workflows").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("0 failed"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.json");
    std::fs::write(
        &suite,
        r#"[{"name": "wrong on purpose", "messages": ["Добрый день!"],
             "expect": [{"intent": "complaint"}]}]"#,
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("test-workflows")
        .arg("--suite")
        .arg(&suite)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("FAIL wrong on purpose"), "{stdout}");
    assert!(stdout.contains("expected \"complaint\""), "{stdout}");
}
