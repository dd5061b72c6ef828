//! Train the injection head without building the whole CLI (the same code
//! path as `rampart detector train --backend transformer`):
//!
//! `cargo run -p rampart-transformer --features candle --example train_head -- MODEL_DIR OUT.json [CARD.md] [REPORT.json]`
//! (reads `$RAMPART_SHARED_DATA`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: train_head MODEL_DIR OUT.json [CARD.md] [REPORT.json]");
        std::process::exit(2);
    }
    let run = || -> Result<(), rampart_transformer::Error> {
        let model = rampart_transformer::TransformerModel::load(std::path::Path::new(&args[0]))?;
        // RAMPART_HEAD_TARGET=harm trains the harm head; RAMPART_EMBED_CACHE
        // keeps embeddings across runs.
        let target = match std::env::var("RAMPART_HEAD_TARGET") {
            Ok(t) => t.parse().map_err(rampart_transformer::Error::Train)?,
            Err(_) => Default::default(),
        };
        let opts = rampart_transformer::train::TrainOptions {
            progress: true,
            target,
            cache: std::env::var_os("RAMPART_EMBED_CACHE").map(Into::into),
            ..Default::default()
        };
        let dir = rampart_ml::data::default_data_dir();
        let t =
            rampart_transformer::train::train_head(&model, model.files().to_vec(), &dir, &opts)?;
        let w = |p: &str, s: String| std::fs::write(p, s).unwrap_or_else(|e| panic!("{p}: {e}"));
        w(&args[1], t.head.to_json());
        if let Some(c) = args.get(2) {
            w(c, t.report.to_markdown());
        }
        if let Some(r) = args.get(3) {
            w(
                r,
                serde_json::to_string_pretty(&t.report).expect("report serialises"),
            );
        }
        println!("{}", t.report.to_markdown());
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("train_head: {e}");
        std::process::exit(2);
    }
}
