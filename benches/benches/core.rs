use criterion::{criterion_group, criterion_main, Criterion};
use prefrank_benches::bt_comparisons;
use prefrank_core::data::{ComparisonsRef, PairCounts};

fn pair_counts(c: &mut Criterion) {
    let (a, b, p, t) = bt_comparisons(1000, 1_000_000, 1);
    let view = ComparisonsRef {
        n_items: 1000,
        a: &a,
        b: &b,
        p: &p,
        tie: &t,
        weight: None,
    };
    c.bench_function("pair_counts dense 1e6 x 1000", |bch| {
        bch.iter(|| PairCounts::from_comparisons(&view, None, Some(true)))
    });
    c.bench_function("pair_counts sparse 1e6 x 1000", |bch| {
        bch.iter(|| PairCounts::from_comparisons(&view, None, Some(false)))
    });
}

criterion_group!(benches, pair_counts);
criterion_main!(benches);
