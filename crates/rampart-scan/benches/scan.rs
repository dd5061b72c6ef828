//! Benchmarks: the pickle machine on a torch state dict, and a PyTorch zip
//! checkpoint scanned end to end (only its pickle is read).

use criterion::{criterion_group, criterion_main, Criterion};
use rampart_scan::fixtures;

fn bench(c: &mut Criterion) {
    let pkl = fixtures::pickle::torch_state_dict(2000, 16);
    c.bench_function("pickle_machine_2000_tensors", |b| {
        b.iter(|| rampart_scan::scan_pickle(&pkl))
    });
    let ckpt = fixtures::torch_zip(64, 4096, None);
    let opts = rampart_scan::ScanOptions::default();
    c.bench_function("torch_zip_64_tensors", |b| {
        b.iter(|| rampart_scan::scan_bytes("model.pt", &ckpt, &opts))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
