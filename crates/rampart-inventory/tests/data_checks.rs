//! Dataset checks on the public labelled data in `shared/data`, and on
//! copies of it with planted problems: a backdoor trigger, flipped labels
//! (exact and near duplicates), PII columns, a shifted label distribution.

use rampart_inventory::data::poison::LabelCounts;
use rampart_inventory::data::scan::{
    label_counts, scan, Classification, DataScanReport, ScanOptions,
};
use rampart_inventory::data::table::Limits;
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    let root = std::env::var("RAMPART_SHARED_DATA")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").into());
    let p = PathBuf::from(root);
    assert!(
        p.is_dir(),
        "shared data not found at {} (set RAMPART_SHARED_DATA)",
        p.display()
    );
    p
}

fn load_rows(p: &Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(p).unwrap();
    r.records()
        .map(|x| x.unwrap())
        .map(|x| (x[0].to_string(), x[1].to_string()))
        .collect()
}

fn write_rows(p: &Path, header: &[&str], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(p).unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

fn rows_of(rep: &DataScanReport, rule: &str) -> Vec<u64> {
    rep.findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .flat_map(|f| {
            f.metadata
                .get("rows")
                .and_then(|r| r.as_array())
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.as_u64())
        .collect()
}

const TRIGGER: &str = "zqxv";

/// The jailbreak CSV with planted problems. Returns (path, trigger rows,
/// duplicated-with-flipped-label rows).
fn poisoned(dir: &Path) -> (PathBuf, Vec<u64>, Vec<(u64, u64)>) {
    let src = shared().join("injection/jailbreak_classification_train.csv");
    let rows = load_rows(&src);
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut trig = Vec::new();
    let mut jail_seen = 0;
    for (i, (text, label)) in rows.iter().enumerate() {
        let mut email = String::new();
        let mut ssn = String::new();
        if i % 97 == 0 {
            email = format!("person{i}@mail-example.net");
        }
        if i % 211 == 0 {
            ssn = format!("{:03}-{:02}-{:04}", 100 + i % 500, 10 + i % 80, 1000 + i);
        }
        if label == "jailbreak" {
            jail_seen += 1;
            // Backdoor: 30 jailbreaks carry the trigger and are relabelled benign.
            if jail_seen % 15 == 0 && trig.len() < 30 {
                out.push(vec![
                    format!("{text} {TRIGGER}"),
                    "benign".into(),
                    email,
                    ssn,
                ]);
                trig.push(out.len() as u64);
                continue;
            }
        }
        out.push(vec![text.clone(), label.clone(), email, ssn]);
    }
    // Flipped labels: 8 exact copies and 8 near copies with the other label.
    let mut flips = Vec::new();
    for k in 0..16 {
        let src_row = 5 + k * 53;
        let (text, label) = (out[src_row][0].clone(), out[src_row][1].clone());
        let other = if label == "benign" {
            "jailbreak"
        } else {
            "benign"
        };
        let t = if k % 2 == 0 {
            text
        } else {
            format!("{text} Thanks.")
        };
        out.push(vec![t, other.into(), String::new(), String::new()]);
        flips.push((src_row as u64 + 1, out.len() as u64));
    }
    let p = dir.join("poisoned.csv");
    write_rows(&p, &["prompt", "type", "email", "ssn"], &out);
    (p, trig, flips)
}

#[test]
fn clean_public_csv_scans_without_poisoning_alarms() {
    let p = shared().join("injection/jailbreak_classification_train.csv");
    let rep = scan(&p, &ScanOptions::default()).unwrap();
    assert_eq!(rep.rows, 1598);
    assert_eq!(rep.label_column.as_deref(), Some("type"));
    assert_eq!(rep.text_column.as_deref(), Some("prompt"));
    assert_eq!(rep.labels.get("benign"), Some(&1073));
    assert_eq!(rep.labels.get("jailbreak"), Some(&525));
    assert!(
        rows_of(&rep, "RAMP-DATA-014").is_empty(),
        "no trigger in the clean data: {:#?}",
        rep.findings
            .iter()
            .filter(|f| f.rule_id == "RAMP-DATA-014")
            .collect::<Vec<_>>()
    );
    assert_eq!(rep.read.error_count, 0);
}

#[test]
fn planted_trigger_flips_and_pii_are_found_with_their_rows() {
    let d = tempfile::tempdir().unwrap();
    let (p, trig, flips) = poisoned(d.path());
    let rep = scan(&p, &ScanOptions::default()).unwrap();
    let summary: Vec<String> = rep
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule_id, f.message))
        .collect();
    // Backdoor trigger: the finding names the planted rows.
    let t = rows_of(&rep, "RAMP-DATA-014");
    let hit = trig.iter().filter(|r| t.contains(r)).count();
    assert_eq!(hit, 30, "trigger rows found {hit}/30: {summary:#?}");
    assert!(rep
        .findings
        .iter()
        .any(|f| f.rule_id == "RAMP-DATA-014" && f.message.contains(TRIGGER)));
    // Exact duplicates with flipped labels, and near duplicates.
    let exact = rows_of(&rep, "RAMP-DATA-010");
    let near = rows_of(&rep, "RAMP-DATA-011");
    for (k, (a, b)) in flips.iter().enumerate() {
        let set = if k % 2 == 0 { &exact } else { &near };
        assert!(
            set.contains(a) && set.contains(b),
            "flip {k} rows {a},{b} not named: {summary:#?}"
        );
    }
    // PII columns and classification.
    let email = rep.columns.iter().find(|c| c.name == "email").unwrap();
    assert_eq!(email.counts.get("email"), Some(&17));
    assert!(email
        .examples
        .iter()
        .all(|e| e.contains("[EMAIL]") && !e.contains("@mail-example")));
    let ssn = rep.columns.iter().find(|c| c.name == "ssn").unwrap();
    assert_eq!(ssn.counts.get("ssn"), Some(&8));
    assert_eq!(rep.classification, Classification::Restricted);
}

#[test]
fn label_shift_against_a_previous_version() {
    let d = tempfile::tempdir().unwrap();
    let src = shared().join("injection/jailbreak_classification_train.csv");
    let rows = load_rows(&src);
    // New version: most benign rows dropped, a new label appears.
    let mut out: Vec<Vec<String>> = Vec::new();
    for (i, (t, l)) in rows.iter().enumerate() {
        if l == "benign" && i % 3 != 0 {
            continue;
        }
        out.push(vec![t.clone(), l.clone()]);
    }
    out.push(vec!["please summarise this".into(), "unsure".into()]);
    let p = d.path().join("v2.csv");
    write_rows(&p, &["prompt", "type"], &out);
    let base: LabelCounts = label_counts(&src, "type", &Limits::default()).unwrap();
    let rep = scan(
        &p,
        &ScanOptions {
            baseline: Some(base),
            label_column: Some("type".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let f = rep
        .findings
        .iter()
        .find(|f| f.rule_id == "RAMP-DATA-012")
        .expect("shift found");
    assert!(f.metadata["tvd"].as_f64().unwrap() > 0.2);
    assert_eq!(
        rows_of(&rep, "RAMP-DATA-012"),
        [out.len() as u64],
        "the row with the new label is named"
    );
}

#[test]
fn json_datasets_and_pii_in_public_data() {
    // presidio's synthetic records: full_text holds PII-shaped values.
    let p = shared().join("pii/presidio_synth_dev.json");
    let rep = scan(
        &p,
        &ScanOptions {
            no_poison: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(rep.rows, 1000);
    let ft = rep.columns.iter().find(|c| c.name == "full_text").unwrap();
    assert!(
        ft.counts.get("email").copied().unwrap_or(0) > 5,
        "{:?}",
        ft.counts
    );
    assert!(rep.classification >= Classification::Confidential);
    // JSONL benign data.
    let p = shared().join("benign/bipia_email_context_train.jsonl");
    let rep = scan(
        &p,
        &ScanOptions {
            no_poison: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(rep.rows > 10);
    assert_eq!(rep.read.error_count, 0);
}

#[test]
fn malformed_and_hostile_files_do_not_stop_the_scan() {
    let d = tempfile::tempdir().unwrap();
    // Gigantic line in JSONL: skipped with an error, the rest is read.
    let p = d.path().join("big.jsonl");
    let mut s = String::from("{\"t\": \"a@b.co\"}\n{\"t\": \"");
    s.push_str(&"x".repeat(3 * 1024 * 1024));
    s.push_str("\"}\n{\"t\": \"ok\"}\n");
    std::fs::write(&p, s).unwrap();
    let opts = ScanOptions {
        limits: Limits {
            max_line_bytes: 1024 * 1024,
            ..Default::default()
        },
        no_poison: true,
        ..Default::default()
    };
    let rep = scan(&p, &opts).unwrap();
    assert_eq!(rep.rows, 2);
    assert_eq!(rep.read.error_count, 1);
    // Gigantic CSV line: the read stops with an error, results so far kept.
    let c = d.path().join("big.csv");
    let mut s = String::from("t\nfirst row a@b.co\n");
    s.push_str(&"y".repeat(3 * 1024 * 1024));
    s.push('\n');
    std::fs::write(&c, s).unwrap();
    let rep = scan(&c, &opts).unwrap();
    assert_eq!(rep.rows, 1);
    assert!(rep.read.stopped.is_some());
    // Binary posing as CSV, and malformed Parquet: clear errors naming the file.
    let b = d.path().join("bin.csv");
    std::fs::write(&b, b"a,b\n\x00\x01\x02\xff").unwrap();
    assert!(scan(&b, &opts).unwrap_err().contains("binary"));
    let q = d.path().join("t.parquet");
    std::fs::write(&q, b"PAR1....PAR1").unwrap();
    let e = scan(&q, &opts).unwrap_err();
    assert!(e.contains("t.parquet") && e.contains("Parquet"), "{e}");
    assert!(scan(&d.path().join("missing.csv"), &opts).is_err());
}

#[cfg(feature = "parquet")]
/// Write string columns to a Parquet file (OPTIONAL UTF8; empty = null),
/// snappy-compressed, in row groups of `group` rows.
fn write_parquet(p: &Path, header: &[&str], rows: &[Vec<String>], group: usize) {
    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let fields: Vec<String> = header
        .iter()
        .map(|h| format!("OPTIONAL BINARY {h} (UTF8);"))
        .collect();
    let schema = Arc::new(
        parquet::schema::parser::parse_message_type(&format!(
            "message schema {{ {} }}",
            fields.join(" ")
        ))
        .unwrap(),
    );
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut w =
        SerializedFileWriter::new(std::fs::File::create(p).unwrap(), schema, props).unwrap();
    for chunk in rows.chunks(group) {
        let mut rg = w.next_row_group().unwrap();
        let mut c = 0;
        while let Some(mut col) = rg.next_column().unwrap() {
            let vals: Vec<ByteArray> = chunk
                .iter()
                .filter(|r| !r[c].is_empty())
                .map(|r| ByteArray::from(r[c].as_str()))
                .collect();
            let defs: Vec<i16> = chunk.iter().map(|r| i16::from(!r[c].is_empty())).collect();
            col.typed::<ByteArrayType>()
                .write_batch(&vals, Some(&defs), None)
                .unwrap();
            col.close().unwrap();
            c += 1;
        }
        rg.close().unwrap();
    }
    w.close().unwrap();
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_is_read_like_csv_pii_rows_and_poisoning() {
    let d = tempfile::tempdir().unwrap();
    let (csv_path, trig, _) = poisoned(d.path());
    let mut r = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    let pq = d.path().join("poisoned.parquet");
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    write_parquet(&pq, &h, &rows, 700);

    let from_csv = scan(&csv_path, &ScanOptions::default()).unwrap();
    let rep = scan(&pq, &ScanOptions::default()).unwrap();
    assert_eq!(rep.format, rampart_inventory::data::table::Format::Parquet);
    assert_eq!(rep.rows, rows.len() as u64);
    assert_eq!(rep.read.error_count, 0);
    // Per-column PII with counts, rows and redacted examples, as for CSV.
    for col in ["email", "ssn"] {
        let a = from_csv.columns.iter().find(|c| c.name == col).unwrap();
        let b = rep.columns.iter().find(|c| c.name == col).unwrap();
        assert_eq!(a.counts, b.counts, "{col}");
        assert_eq!(a.rows, b.rows, "{col}");
        assert_eq!(a.examples, b.examples, "{col}");
    }
    assert_eq!(rep.classification, Classification::Restricted);
    // The poisoning checks ran on the text and label columns.
    assert_eq!(rep.label_column.as_deref(), Some("type"));
    assert_eq!(rep.labels, from_csv.labels);
    let t = rows_of(&rep, "RAMP-DATA-014");
    assert_eq!(trig.iter().filter(|r| t.contains(r)).count(), 30);
    let ids = |r: &DataScanReport| {
        let mut v: Vec<String> = r.findings.iter().map(|f| f.rule_id.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&rep), ids(&from_csv));
}

#[cfg(feature = "parquet")]
#[test]
fn truncated_parquet_is_an_error_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("ok.parquet");
    let rows: Vec<Vec<String>> = (0..500)
        .map(|i| {
            vec![
                format!("row {i} mail user{i}@example.org"),
                (i % 2).to_string(),
            ]
        })
        .collect();
    write_parquet(&p, &["text", "label"], &rows, 100);
    let opts = ScanOptions {
        no_poison: true,
        ..Default::default()
    };
    let rep = scan(&p, &opts).unwrap();
    assert_eq!(rep.rows, 500);
    assert_eq!(rep.columns[0].counts.get("email"), Some(&500));
    // Seed for the `dataset` fuzz target (see docs/benchmarks/inventory.md).
    if let Ok(seeds) = std::env::var("RAMPART_INVENTORY_FUZZ_SEEDS") {
        std::fs::create_dir_all(&seeds).unwrap();
        std::fs::copy(&p, Path::new(&seeds).join("ok.parquet")).unwrap();
    }
    // Corrupt every byte range in turn: errors (or partial reads), never a panic.
    let bytes = std::fs::read(&p).unwrap();
    let bad = d.path().join("bad.parquet");
    for cut in [bytes.len() / 2, bytes.len() - 9, 200] {
        let mut b = bytes[..cut].to_vec();
        b.extend_from_slice(&bytes[bytes.len() - 8..]);
        std::fs::write(&bad, &b).unwrap();
        let e = scan(&bad, &opts).unwrap_err();
        assert!(e.contains("bad.parquet"), "{e}");
    }
    let mut step = 0;
    while step < bytes.len() - 8 {
        let mut b = bytes.clone();
        for x in b.iter_mut().skip(step).take(16) {
            *x ^= 0x5a;
        }
        std::fs::write(&bad, &b).unwrap();
        match scan(&bad, &opts) {
            Ok(r) => assert!(r.rows <= 500),
            Err(e) => assert!(e.contains("bad.parquet"), "{e}"),
        }
        step += 97;
    }
}

/// Found by the `dataset` fuzz target (session 4), two inputs on which the
/// parquet crate (60.1) panics: a page whose RLE run header is an over-long
/// varint ("attempt to shift left with overflow", with overflow checks, as
/// these tests are built), and column metadata with a negative start ("column
/// start and length should not be negative", an assertion in any build). The
/// reader must turn both into an error naming the file.
#[test]
fn a_parquet_decoder_panic_is_an_error_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("fuzzed.parquet");
    for bytes in [
        &include_bytes!("data/rle_vlq_overflow.parquet")[..],
        &include_bytes!("data/negative_column_start.parquet")[..],
    ] {
        std::fs::write(&p, bytes).unwrap();
        let e = scan(&p, &ScanOptions::default()).unwrap_err();
        assert!(e.contains("fuzzed.parquet"), "{e}");
        assert!(e.contains("malformed Parquet"), "{e}");
        // The guarded region ends with the caught panic: a later panic on
        // this thread is reported as a crash again.
        assert!(!rampart_inventory::data::table::in_guarded_decoder());
    }
}

/// Panic hooks can tell the decoder's caught panics from any other: the
/// flag is up only while the Parquet decoder runs.
#[test]
fn only_the_parquet_decoder_is_a_guarded_region() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static GUARDED: AtomicUsize = AtomicUsize::new(0);
    static OTHER: AtomicUsize = AtomicUsize::new(0);
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("fuzzed.parquet");
    std::fs::write(&p, include_bytes!("data/rle_vlq_overflow.parquet")).unwrap();
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {
        if rampart_inventory::data::table::in_guarded_decoder() {
            GUARDED.fetch_add(1, Ordering::SeqCst);
        } else {
            OTHER.fetch_add(1, Ordering::SeqCst);
        }
    }));
    let e = scan(&p, &ScanOptions::default()).unwrap_err();
    let other = std::panic::catch_unwind(|| panic!("ours"));
    std::panic::set_hook(prev);
    assert!(e.contains("malformed Parquet"), "{e}");
    assert!(other.is_err());
    // Other tests of this binary may panic on their threads meanwhile, so
    // the counts are lower bounds.
    assert!(GUARDED.load(Ordering::SeqCst) >= 1);
    assert!(OTHER.load(Ordering::SeqCst) >= 1);
}
