//! Built-in games: tables identical for any thread count, exact vs sampled.

use prefrank_core::data::ComparisonsRef;
use prefrank_core::rank::bt::BtOptions;
use prefrank_core::shapley::games::{par_values, Game};
use prefrank_core::shapley::{
    game_table, permutation_shapley, semivalues_from_table, MajorityGame, SamplingOptions,
    Semivalue, ShiftGame, SliceGame, SliceTarget,
};

fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

fn bits(t: &[f64]) -> Vec<u64> {
    t.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn shift_and_majority_tables_are_thread_independent() {
    let n = 3000;
    let k = 9;
    let metric: Vec<f64> = (0..n).map(|j| ((j * 7) % 5) as f64 / 4.0).collect();
    let ratios: Vec<f64> = (0..n * k)
        .map(|i| 0.3 + ((i * 37) % 23) as f64 / 11.0)
        .collect();
    let g = ShiftGame::new(&metric, &ratios, k, None, true).unwrap();
    let a = with_threads(1, || game_table(&g, None).unwrap());
    let b = with_threads(3, || game_table(&g, None).unwrap());
    assert_eq!(bits(&a), bits(&b));

    let (mut unit, mut rater, mut label) = (vec![], vec![], vec![]);
    for i in 0..400u32 {
        unit.push(i % 80);
        rater.push((i * 11 + i / 80) % 10);
        label.push((i * 7 / 3) % 3);
    }
    let reference: Vec<u32> = (0..80).map(|u| u % 3).collect();
    let m = MajorityGame::new(&unit, &rater, &label, &reference, 10, 3).unwrap();
    let a = with_threads(1, || game_table(&m, None).unwrap());
    let b = with_threads(4, || game_table(&m, None).unwrap());
    assert_eq!(bits(&a), bits(&b));
}

#[test]
fn slice_game_is_thread_independent_and_sampling_agrees() {
    let rows = 3000usize;
    let n_items = 8u32;
    let (mut a, mut b, mut p, mut t, mut s) = (vec![], vec![], vec![], vec![], vec![]);
    for r in 0..rows {
        let i = (r as u32 * 7) % n_items;
        let j = (i + 1 + (r as u32 / 3) % (n_items - 1)) % n_items;
        a.push(i);
        b.push(j);
        let tie = r % 17 == 0;
        let win = (i + (r as u32 % 5)) > (j + (r as u32 % 3));
        p.push(if tie { 0.5 } else { f64::from(u8::from(win)) });
        t.push(u8::from(tie));
        s.push(((r * 13) % 9) as u32);
    }
    let c = ComparisonsRef {
        n_items: n_items as usize,
        a: &a,
        b: &b,
        p: &p,
        tie: &t,
        weight: None,
    };
    let opts = BtOptions {
        alpha: 0.05,
        ..Default::default()
    };
    let g = SliceGame::new(&c, &s, 9, SliceTarget::Gap(7, 0), opts).unwrap();
    let t1 = with_threads(1, || g.table().unwrap());
    let t3 = with_threads(3, || g.table().unwrap());
    assert_eq!(bits(&t1), bits(&t3));
    let exact = semivalues_from_table(&t1, &Semivalue::Shapley).unwrap();
    assert!(exact.residual.abs() < 1e-9);
    let mut eval = |m: &[u8], out: &mut [f64]| par_values(&g, m, out);
    let sampled = permutation_shapley(
        g.n_players(),
        &mut eval,
        &SamplingOptions {
            max_evaluations: 6000,
            seed: 5,
            ..Default::default()
        },
    )
    .unwrap();
    for i in 0..9 {
        assert!(
            (sampled.values[i] - exact.values[i]).abs() <= 4.0 * sampled.stderr[i] + 1e-9,
            "player {i}: {} vs {} (se {})",
            sampled.values[i],
            exact.values[i],
            sampled.stderr[i]
        );
    }
}
