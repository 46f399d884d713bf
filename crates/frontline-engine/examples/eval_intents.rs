//! Developer tool: trains the intent classifier on a benchmark and prints the evaluation
//! report as one JSON line.
//!
//! ```text
//! eval_intents csv  TRAIN.csv TEST.csv TEXT_COL LABEL_COL
//! eval_intents clinc DATA.json val|test
//! eval_intents cv   ALL.csv TEXT_COL LABEL_COL K
//! ```
//! Options after the positional arguments: `--lr-c X`, `--svm-c X`,
//! `--learners lowrank,svm,lr,centroid,nb,nbsvm,knn`, `--rank N`, `--lowrank-c X`,
//! `--lowrank-epochs N`, `--lowrank-step X`, `--nb-alpha X`, `--folds N` (calibration folds),
//! `--min-df N`, `--char MIN MAX`, `--char-across`, `--word MIN MAX`, `--no-stems`,
//! `--stem-bigrams`, `--no-shapes`, `--balance X`, `--epochs N`, `--svm-epochs N`,
//! `--abstain X`, `--oos-catch X`, `--seed N`.

use std::path::Path;
use std::process::ExitCode;

use frontline_engine::TrainOptions;
use frontline_engine::eval::{self, ClincSplit, EvalError};
use frontline_engine::intent::Learner;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let positional: Vec<&str> = args
        .iter()
        .take_while(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let opts = parse_options(&args[positional.len()..])?;
    let show = |e: EvalError| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(&format!(": {s}"));
            source = s.source();
        }
        message
    };
    let report = match positional.as_slice() {
        ["csv", train, test, text, label] => {
            let train = eval::load_csv(Path::new(train), text, label).map_err(show)?;
            let test = eval::load_csv(Path::new(test), text, label).map_err(show)?;
            eval::evaluate(&train, &test, &opts).map_err(show)?
        }
        ["clinc", path, split] => {
            let split = match *split {
                "val" => ClincSplit::Val,
                "test" => ClincSplit::Test,
                other => return Err(format!("split must be val or test, not {other}")),
            };
            let (train, test) = eval::load_clinc(Path::new(path), split).map_err(show)?;
            eval::evaluate(&train, &test, &opts).map_err(show)?
        }
        ["cv", path, text, label, k] => {
            let k: usize = k.parse().map_err(|_| format!("bad fold count {k}"))?;
            let all = eval::load_csv(Path::new(path), text, label).map_err(show)?;
            eval::cross_validate(&all, k, &opts).map_err(show)?
        }
        _ => return Err(usage()),
    };
    Ok(report.to_json())
}

fn usage() -> String {
    "usage: eval_intents csv TRAIN TEST TEXT_COL LABEL_COL | clinc DATA.json val|test | cv ALL.csv TEXT_COL LABEL_COL K [--options]"
        .to_owned()
}

fn parse_options(args: &[String]) -> Result<TrainOptions, String> {
    let mut opts = TrainOptions::default();
    let mut it = args.iter();
    fn value<T: std::str::FromStr>(
        it: &mut std::slice::Iter<'_, String>,
        flag: &str,
    ) -> Result<T, String> {
        it.next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag} needs a value"))
    }
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--lr-c" => opts.lr_c = value(&mut it, flag)?,
            "--svm-c" => opts.svm_c = value(&mut it, flag)?,
            "--rank" => opts.lowrank_rank = value(&mut it, flag)?,
            "--lowrank-c" => opts.lowrank_c = value(&mut it, flag)?,
            "--lowrank-epochs" => opts.lowrank_epochs = value(&mut it, flag)?,
            "--lowrank-step" => opts.lowrank_step = value(&mut it, flag)?,
            "--learners" => {
                let list: String = value(&mut it, flag)?;
                opts.learners = list
                    .split(',')
                    .map(|l| match l {
                        "lr" => Ok(Learner::LogReg),
                        "lowrank" => Ok(Learner::LowRank),
                        "svm" => Ok(Learner::Svm),
                        "centroid" => Ok(Learner::Centroid),
                        "nb" => Ok(Learner::ComplementNb),
                        "nbsvm" => Ok(Learner::NbSvm),
                        "knn" => Ok(Learner::Neighbors),
                        other => Err(format!("unknown learner {other}")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--nb-alpha" => opts.nb_alpha = value(&mut it, flag)?,
            "--folds" => opts.calibration_folds = value(&mut it, flag)?,
            "--min-df" => opts.features.min_df = value(&mut it, flag)?,
            "--char" => opts.features.char_ngrams = (value(&mut it, flag)?, value(&mut it, flag)?),
            "--word" => opts.features.word_ngrams = (value(&mut it, flag)?, value(&mut it, flag)?),
            "--char-weight" => opts.features.char_weight = value(&mut it, flag)?,
            "--stem-bigrams" => opts.features.stem_bigrams = true,
            "--no-shapes" => opts.features.shapes = false,
            "--char-across" => opts.features.char_across_words = true,
            "--char-within" => opts.features.char_across_words = false,
            "--balance" => opts.class_balance = value(&mut it, flag)?,
            "--no-stems" => opts.features.stems = false,
            "--svm-epochs" => opts.svm_epochs = value(&mut it, flag)?,
            "--epochs" => opts.lr_epochs = value(&mut it, flag)?,
            "--abstain" => opts.abstain_wrong_rate = value(&mut it, flag)?,
            "--oos-catch" => opts.oos_catch_rate = value(&mut it, flag)?,
            "--seed" => opts.seed = value(&mut it, flag)?,
            other => return Err(format!("unknown option {other}\n{}", usage())),
        }
    }
    Ok(opts)
}
