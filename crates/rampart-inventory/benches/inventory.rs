//! Speed of `rampart inventory` on a synthetic 10,000-file repository and
//! of `rampart data scan` on synthetic CSV and JSONL (MB/s per core).
//! Run: `cargo bench -p rampart-inventory --bench inventory`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rampart_inventory::data::scan::{scan, ScanOptions};
use std::io::Write;
use std::path::Path;

/// A repository-like tree: mostly ordinary source and docs, some AI code,
/// configs, notebooks, small model files and datasets.
pub fn make_repo(root: &Path, files: usize) {
    for i in 0..files {
        let dir = root.join(format!("pkg{}/sub{}", i % 50, i % 7));
        std::fs::create_dir_all(&dir).unwrap();
        let (name, body): (String, Vec<u8>) = match i % 20 {
            0 => (format!("train{i}.py"), format!("from transformers import AutoModel\nm = AutoModel.from_pretrained(\"org/model-{i}\")\n").into_bytes()),
            1 => (format!("chat{i}.ts"), b"import OpenAI from 'openai';\nconst r = await c.chat.completions.create({ model: 'gpt-4o-mini' });\n".to_vec()),
            2 => (format!("cfg{i}.yaml"), b"llm:\n  base_url: https://api.openai.com/v1\n".to_vec()),
            3 => (format!("w{i}.safetensors"), {
                let mut v = 12u64.to_le_bytes().to_vec();
                v.extend_from_slice(b"{\"a\":\"b\"}   ");
                v.extend([0u8; 4096]);
                v
            }),
            4 => (format!("d{i}.csv"), b"text,label\nhello,0\nworld,1\n".repeat(20)),
            _ => (format!("mod{i}.rs"), "fn main() { println!(\"hello\"); }\n".repeat(30).into_bytes()),
        };
        std::fs::write(dir.join(name), body).unwrap();
    }
}

fn make_csv(path: &Path, rows: usize) -> u64 {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "id,text,email,label").unwrap();
    for i in 0..rows {
        let email = if i % 50 == 0 {
            format!("user{i}@example.org")
        } else {
            String::new()
        };
        writeln!(f, "{i},\"The quick brown fox {i} jumps over the lazy dog, then writes a longer sentence about models and data number {}.\",{email},{}", i * 7, i % 2).unwrap();
    }
    drop(f);
    std::fs::metadata(path).unwrap().len()
}

fn make_jsonl(path: &Path, rows: usize) -> u64 {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..rows {
        writeln!(f, "{{\"id\": {i}, \"text\": \"The quick brown fox {i} jumps over the lazy dog, then writes a longer sentence about models and data.\", \"meta\": {{\"src\": \"web\", \"ip\": \"{}\"}}, \"label\": {}}}", if i % 100 == 0 { "10.1.2.3" } else { "" }, i % 2).unwrap();
    }
    drop(f);
    std::fs::metadata(path).unwrap().len()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    make_repo(dir.path(), 10_000);
    let mut g = c.benchmark_group("inventory");
    g.sample_size(10);
    g.bench_function("repo_10k_files", |b| {
        b.iter(|| {
            let inv = rampart_inventory::inventory(
                &[dir.path().to_path_buf()],
                &rampart_inventory::Options::default(),
            );
            assert!(inv.files_seen >= 10_000);
        })
    });
    g.finish();

    let d2 = tempfile::tempdir().unwrap();
    let csv = d2.path().join("d.csv");
    let n = make_csv(&csv, 400_000);
    let jsonl = d2.path().join("d.jsonl");
    let m = make_jsonl(&jsonl, 300_000);
    let opts = ScanOptions {
        no_poison: true,
        ..Default::default()
    };
    let mut g = c.benchmark_group("data_scan");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(n));
    g.bench_function("csv_pii", |b| b.iter(|| scan(&csv, &opts).unwrap()));
    g.throughput(Throughput::Bytes(m));
    g.bench_function("jsonl_pii", |b| b.iter(|| scan(&jsonl, &opts).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
