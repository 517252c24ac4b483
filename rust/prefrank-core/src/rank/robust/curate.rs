//! Batched per-prompt curation: millions of small ranking problems (2..=255 responses per prompt,
//! scored by several judges) fitted in one parallel call.
//!
//! Input: a `prompts x responses x judges` score tensor (row-major, NaN = not scored). Judge `r`
//! prefers response `a` to `b` in a prompt when its score of `a` is higher; equal scores are ties
//! and carry no information. Model (Dawid-Skene with a Bradley-Terry prior): per prompt, strengths
//! `theta` with a Gaussian prior of precision `alpha`; each pair of responses has one latent true
//! preference, `P(a beats b) = sigma(theta_a - theta_b)`; every judge reports it flipped with
//! probability `eps[judge]`, shared by all prompts, independently of the other judges. Generalised
//! EM: each pass computes the posterior of every latent preference, takes one Newton step of every
//! prompt's strengths on those soft outcomes, and re-estimates `eps` from the pooled expected flips. Prompts are processed in fixed chunks in parallel; the
//! per-judge sums are reduced in chunk order, so results are identical for any thread count.
//!
//! [`curate_pairs`] takes pairwise judgments instead (one row per judge per judged pair: `a` preferred,
//! `b` preferred or a tie); a pair's votes enter the same model, and the verdicts implied by a score
//! tensor give exactly the [`curate_scores`] fit. A judge may judge a pair several times: each
//! judgment is a separate vote with the judge's flip rate.
//!
//! A pair's votes are coded as one pattern (per judge: its counts of votes for the first and for the
//! second response; base 3, none / first / second, when every judge votes at most once per pair),
//! so each EM pass costs two exponentials per pair and the per-judge sums reduce to sums per pattern.
//!
//! Output pairs `(prompt, chosen, rejected, weight)` (pairs with at least one decisive vote):
//! `weight` is the posterior probability that
//! `chosen` truly beats `rejected` given the judges' votes on that pair, their flip rates and the
//! prompt's fitted strengths (log-odds `theta_c - theta_r + sum_r vote_r ln((1-eps_r)/eps_r)`).

use super::{EPS_MAX, EPS_MIN};
use crate::error::{Error, Result};
use crate::limits;
use crate::numeric::linalg::{cholesky, cholesky_solve};
use crate::numeric::logistic::sigmoid;
use rayon::prelude::*;

/// Prompts per parallel chunk (fixed: results do not depend on the machine).
pub const PROMPT_CHUNK: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairMode {
    /// Every observed pair of responses.
    All,
    /// The best against the worst response of each prompt.
    BestWorst,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurateOptions {
    pub alpha: f64,
    pub eps_init: f64,
    pub max_iter: usize,
    /// Converged when no judge's flip rate moves by more than `tol` in a pass.
    pub tol: f64,
    pub pairs: PairMode,
    /// Pairs with a weight below this are dropped.
    pub min_weight: f64,
}

impl Default for CurateOptions {
    fn default() -> Self {
        CurateOptions {
            alpha: 1.0,
            eps_init: 0.1,
            max_iter: 100,
            tol: 1e-4,
            pairs: PairMode::All,
            min_weight: 0.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Curated {
    pub prompt: Vec<u32>,
    pub chosen: Vec<u32>,
    pub rejected: Vec<u32>,
    pub weight: Vec<f64>,
    /// Flip rate per judge.
    pub judge_epsilon: Vec<f64>,
    /// Decisive votes per judge.
    pub judge_votes: Vec<f64>,
    /// Pooled flip rate of the judges' decisive votes.
    pub label_epsilon: f64,
    /// Expected share of emitted pairs whose orientation is wrong: mean of `1 - weight`.
    pub epsilon: f64,
    /// `prompts x responses` strengths (NaN for responses no judge scored).
    pub theta: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

/// Most judges per tensor: vote patterns of a pair are coded in base 3 (`3^10` patterns).
pub const MAX_JUDGES: usize = 10;

/// One generalised-EM step for one prompt: E-step at `th`, one Newton step in place.
/// `pp`: vote pattern of each pair `(a < b)` in lexicographic order (0 = no decisive vote);
/// `tab[k]`: log-likelihood ratio `ln P(votes | a > b) - ln P(votes | b > a)` of pattern `k`;
/// `post`: sums of the posterior `P(a > b | votes)` per pattern.
fn prompt_step(
    pp: &[u16],
    th: &mut [f64],
    tab: &[f64],
    alpha: f64,
    post: &mut [f64],
    h: &mut [f64],
    g: &mut [f64],
) {
    let nr = th.len();
    h.iter_mut().for_each(|v| *v = 0.0);
    g.iter_mut().for_each(|v| *v = 0.0);
    let mut idx = 0;
    for a in 0..nr {
        for b in a + 1..nr {
            let k = pp[idx] as usize;
            idx += 1;
            if k == 0 {
                continue;
            }
            let dd = th[a] - th[b];
            let s = sigmoid(dd);
            let mu = sigmoid(dd + tab[k]);
            post[k] += mu;
            let gr = mu - s;
            g[a] += gr;
            g[b] -= gr;
            let w = s * (1.0 - s);
            h[a * nr + a] += w;
            h[b * nr + b] += w;
            h[a * nr + b] -= w;
            h[b * nr + a] -= w;
        }
    }
    for a in 0..nr {
        if th[a].is_nan() {
            // Unscored response: keep it out of the system.
            h[a * nr + a] = 1.0;
            g[a] = 0.0;
            continue;
        }
        g[a] -= alpha * th[a];
        h[a * nr + a] += alpha;
    }
    if cholesky(h, nr) {
        cholesky_solve(h, nr, g);
        for a in 0..nr {
            th[a] += g[a];
        }
    }
}

/// Validate the tensor: finite or NaN, dimensions consistent.
fn check(
    scores: &[f64],
    n_prompts: usize,
    n_resp: usize,
    n_judges: usize,
    o: &CurateOptions,
) -> Result<()> {
    if n_prompts == 0 {
        return Err(Error::Empty {
            what: "the score tensor".into(),
        });
    }
    if !(2..=255).contains(&n_resp) {
        return Err(Error::invalid(
            "responses",
            format!("each prompt needs 2 to 255 responses, got {n_resp}"),
        ));
    }
    if n_judges == 0 || n_judges > MAX_JUDGES {
        return Err(Error::invalid(
            "judges",
            format!("need 1 to {MAX_JUDGES} judges per score tensor, got {n_judges}"),
        ));
    }
    let want = n_prompts * n_resp * n_judges;
    if scores.len() != want {
        return Err(Error::LengthMismatch {
            left: "prompts x responses x judges".into(),
            left_len: want,
            right: "scores".into(),
            right_len: scores.len(),
        });
    }
    if let Some(k) = scores.iter().position(|v| v.is_infinite()) {
        return Err(Error::NonFinite {
            row: k / (n_resp * n_judges),
            column: "scores".into(),
            value: scores[k],
        });
    }
    check_options(o)
}

fn check_options(o: &CurateOptions) -> Result<()> {
    if !(o.alpha > 0.0 && o.alpha.is_finite()) {
        return Err(Error::invalid(
            "alpha",
            format!(
                "must be > 0 (each prompt is a tiny problem), got {}",
                o.alpha
            ),
        ));
    }
    if !(o.eps_init > 0.0 && o.eps_init < 0.5) {
        return Err(Error::invalid(
            "eps_init",
            format!("must be in (0, 1/2), got {}", o.eps_init),
        ));
    }
    if o.tol.is_nan() || o.tol <= 0.0 {
        return Err(Error::invalid("tol", format!("must be > 0, got {}", o.tol)));
    }
    if !(0.0..=1.0).contains(&o.min_weight) {
        return Err(Error::invalid(
            "min_weight",
            format!("must be in [0, 1], got {}", o.min_weight),
        ));
    }
    Ok(())
}

/// Most distinct vote patterns of a pair (patterns are stored as `u16`).
pub const MAX_PATTERNS: usize = 1 << 16;

/// How the votes on one pair are coded as one pattern. Judge `r` contributes its state times
/// `mult[r]`; a state is the judge's vote counts `(n_first, n_second)` on the pair, enumerated by
/// total then by `n_second`: `(0,0), (1,0), (0,1), (2,0), (1,1), (0,2), ...`. With at most one vote per
/// judge and pair the states are none / first / second and the coding is base 3.
struct Coding {
    n_judges: usize,
    mult: Vec<usize>,
    n_pat: usize,
    /// Votes of judge `r` for the first (`n1`) and second (`n2`) response in pattern `k`, at
    /// `k * n_judges + r`.
    n1: Vec<u32>,
    n2: Vec<u32>,
}

/// States of a judge that votes at most `c` times on one pair.
fn n_states(c: u64) -> u64 {
    (c + 1) * (c + 2) / 2
}

#[inline]
fn state(n1: u32, n2: u32) -> usize {
    let t = (n1 + n2) as usize;
    t * (t + 1) / 2 + n2 as usize
}

impl Coding {
    /// `max_votes[r]`: most decisive votes judge `r` gives one pair (at least base 3 per judge).
    fn new(max_votes: &[u32]) -> Result<Coding> {
        let n_judges = max_votes.len();
        let mut mult = Vec::with_capacity(n_judges);
        let mut radix = Vec::with_capacity(n_judges);
        let mut n_pat: u64 = 1;
        for &c in max_votes {
            let s = n_states(u64::from(c.max(1)));
            mult.push(n_pat as usize);
            radix.push(s as usize);
            n_pat = n_pat.saturating_mul(s);
            if n_pat > MAX_PATTERNS as u64 {
                return Err(Error::invalid(
                    "judges",
                    format!(
                        "the votes on one pair take more than {MAX_PATTERNS} patterns (most decisive \
                         votes on one pair per judge code: {max_votes:?}); aggregate a judge's repeated \
                         votes on a pair or pass fewer judges"
                    ),
                ));
            }
        }
        let n_pat = n_pat as usize;
        let mut n1 = vec![0u32; n_pat * n_judges];
        let mut n2 = vec![0u32; n_pat * n_judges];
        for k in 0..n_pat {
            for r in 0..n_judges {
                let s = (k / mult[r]) % radix[r];
                let mut t = 0usize;
                while (t + 1) * (t + 2) / 2 <= s {
                    t += 1;
                }
                let b = s - t * (t + 1) / 2;
                n1[k * n_judges + r] = (t - b) as u32;
                n2[k * n_judges + r] = b as u32;
            }
        }
        Ok(Coding {
            n_judges,
            mult,
            n_pat,
            n1,
            n2,
        })
    }
}

/// Fit the batched model on a score tensor and emit cleaned pairs.
pub fn curate_scores(
    scores: &[f64],
    n_prompts: usize,
    n_resp: usize,
    n_judges: usize,
    o: &CurateOptions,
) -> Result<Curated> {
    check(scores, n_prompts, n_resp, n_judges, o)?;
    let stride = n_resp * n_judges;
    let npairs = n_resp * (n_resp - 1) / 2;
    // Vote pattern of every (prompt, pair); theta = 0 for scored responses, NaN otherwise.
    let mut pat = vec![0u16; n_prompts * npairs];
    let mut theta = vec![0.0; n_prompts * n_resp];
    pat.par_chunks_mut(PROMPT_CHUNK * npairs)
        .zip(theta.par_chunks_mut(PROMPT_CHUNK * n_resp))
        .enumerate()
        .for_each(|(c, (pp, th))| {
            let p0 = c * PROMPT_CHUNK;
            for (q, (pq, t)) in pp
                .chunks_exact_mut(npairs)
                .zip(th.chunks_exact_mut(n_resp))
                .enumerate()
            {
                let sc = &scores[(p0 + q) * stride..(p0 + q + 1) * stride];
                for a in 0..n_resp {
                    if sc[a * n_judges..(a + 1) * n_judges]
                        .iter()
                        .all(|v| v.is_nan())
                    {
                        t[a] = f64::NAN;
                    }
                }
                let mut idx = 0;
                for a in 0..n_resp {
                    for b in a + 1..n_resp {
                        let mut k = 0usize;
                        let mut m = 1usize;
                        for r in 0..n_judges {
                            let (u, v) = (sc[a * n_judges + r], sc[b * n_judges + r]);
                            if u > v {
                                k += m;
                            } else if u < v {
                                k += 2 * m;
                            }
                            m *= 3;
                        }
                        pq[idx] = k as u16;
                        idx += 1;
                    }
                }
            }
        });
    let coding = Coding::new(&vec![1; n_judges])?;
    let curated = fit(pat, theta, n_prompts, n_resp, &coding, o);
    crate::cancel::checkpoint()?;
    Ok(curated)
}

/// Pairwise judgments, one row per judge per judged pair, as codes.
#[derive(Debug, Clone, Copy)]
pub struct PairVotes<'a> {
    /// Prompt code of each row (`< n_prompts`).
    pub prompt: &'a [u32],
    /// Response codes (`< n_items`); responses are labels within a prompt: the same code in two
    /// prompts is two different responses.
    pub a: &'a [u32],
    pub b: &'a [u32],
    /// Judge code of each row (`< n_judges`).
    pub judge: &'a [u32],
    /// `1`: the judge prefers `a`; `-1`: `b`; `0`: a tie (no information, like equal scores).
    pub vote: &'a [i8],
    pub n_prompts: usize,
    pub n_items: usize,
    pub n_judges: usize,
}

/// [`curate_pairs`] output: the fit, with responses as local codes `0..n_resp` per prompt, and
/// `items[p * n_resp + local]`, the response code of each local code (`u32::MAX`: padding).
#[derive(Debug, Clone, PartialEq)]
pub struct CuratedPairs {
    pub curated: Curated,
    pub n_resp: usize,
    pub items: Vec<u32>,
}

fn check_pairs(v: &PairVotes) -> Result<()> {
    let n = v.prompt.len();
    for (name, len) in [
        ("a", v.a.len()),
        ("b", v.b.len()),
        ("judge", v.judge.len()),
        ("vote", v.vote.len()),
    ] {
        if len != n {
            return Err(Error::LengthMismatch {
                left: "prompt".into(),
                left_len: n,
                right: name.into(),
                right_len: len,
            });
        }
    }
    if n == 0 {
        return Err(Error::Empty {
            what: "the pairwise judgment table".into(),
        });
    }
    if n > u32::MAX as usize {
        return Err(Error::invalid(
            "prompt",
            format!("at most {} rows, got {n}", u32::MAX),
        ));
    }
    if v.n_judges == 0 || v.n_judges > MAX_JUDGES {
        return Err(Error::invalid(
            "judges",
            format!("need 1 to {MAX_JUDGES} judges, got {}", v.n_judges),
        ));
    }
    for i in 0..n {
        let (a, b) = (v.a[i], v.b[i]);
        let bad = if v.prompt[i] as usize >= v.n_prompts {
            Some(("prompt", v.prompt[i] as i64, v.n_prompts))
        } else if a as usize >= v.n_items {
            Some(("a", a as i64, v.n_items))
        } else if b as usize >= v.n_items {
            Some(("b", b as i64, v.n_items))
        } else if v.judge[i] as usize >= v.n_judges {
            Some(("judge", v.judge[i] as i64, v.n_judges))
        } else {
            None
        };
        if let Some((name, code, n_codes)) = bad {
            return Err(Error::invalid(
                name,
                format!("row {i}: code {code} is not below {n_codes}"),
            ));
        }
        if !(-1..=1).contains(&v.vote[i]) {
            return Err(Error::invalid(
                "vote",
                format!("row {i}: vote {} is not -1, 0 or 1", v.vote[i]),
            ));
        }
        if a == b {
            return Err(Error::invalid(
                "b",
                format!("row {i}: response {a} is compared with itself"),
            ));
        }
    }
    Ok(())
}

/// One judgment, packed.
#[derive(Debug, Clone, Copy, Default)]
struct Rec {
    prompt: u32,
    a: u32,
    b: u32,
    judge: u16,
    vote: i8,
}

/// Pair index of local responses `lo < hi` among `n` (lexicographic order of `(lo, hi)`).
#[inline]
fn pair_idx(lo: usize, hi: usize, n: usize) -> usize {
    lo * n - lo * (lo + 1) / 2 + (hi - lo - 1)
}

/// Local codes of a row's responses in the sorted list, smaller first, and the vote re-oriented
/// (`true`: the first of the two is preferred).
#[inline]
fn local_pair(list: &[u32], a: u32, b: u32) -> (usize, usize, bool) {
    let la = list.partition_point(|&x| x < a);
    let lb = list.partition_point(|&x| x < b);
    if la < lb {
        (la, lb, true)
    } else {
        (lb, la, false)
    }
}

/// Fit the batched model on pairwise judgments and emit cleaned pairs.
///
/// Same model as [`curate_scores`]: a row with vote `+1` is judge `judge` reporting that `a` beats
/// `b`, `-1` the reverse, `0` (a tie) carries no information. Several rows of one judge on one pair
/// are separate votes, each flipped independently with the judge's rate (so the log-likelihood
/// ratio of a pair sums `(n_first - n_second) ln((1-eps)/eps)` over judges). A prompt's responses
/// are the responses of its rows, given local codes in the order of their codes; the results do
/// not depend on the order of the rows.
pub fn curate_pairs(v: &PairVotes, o: &CurateOptions) -> Result<CuratedPairs> {
    check_options(o)?;
    check_pairs(v)?;
    let (n_prompts, nj) = (v.n_prompts, v.n_judges);
    // Rows grouped by prompt (a stable counting sort), packed as contiguous records so that the two
    // passes below read each prompt's rows in one run. In two steps, so that the scattered writes stay
    // in cache: rows into their chunk of prompts (few buckets), then, per chunk in parallel, into
    // their prompt. The result is the order of one stable counting sort by prompt.
    let n_chunks = n_prompts.div_ceil(PROMPT_CHUNK);
    let mut start = vec![0usize; n_prompts + 1];
    for &p in v.prompt {
        start[p as usize + 1] += 1;
    }
    for p in 0..n_prompts {
        start[p + 1] += start[p];
    }
    let mut recs = vec![Rec::default(); v.prompt.len()];
    {
        let mut fill: Vec<usize> = (0..n_chunks).map(|c| start[c * PROMPT_CHUNK]).collect();
        for (i, &p) in v.prompt.iter().enumerate() {
            let f = &mut fill[p as usize / PROMPT_CHUNK];
            recs[*f] = Rec {
                prompt: p,
                a: v.a[i],
                b: v.b[i],
                judge: v.judge[i] as u16,
                vote: v.vote[i],
            };
            *f += 1;
        }
    }
    let mut slices: Vec<&mut [Rec]> = Vec::with_capacity(n_chunks);
    let mut rest: &mut [Rec] = &mut recs;
    for c in 0..n_chunks {
        let len = start[((c + 1) * PROMPT_CHUNK).min(n_prompts)] - start[c * PROMPT_CHUNK];
        let (head, tail) = rest.split_at_mut(len);
        slices.push(head);
        rest = tail;
    }
    slices.into_par_iter().enumerate().for_each(|(c, sl)| {
        let p0 = c * PROMPT_CHUNK;
        let base = start[p0];
        let mut fill: Vec<usize> = start[p0..((c + 1) * PROMPT_CHUNK).min(n_prompts)]
            .iter()
            .map(|s| s - base)
            .collect();
        let tmp = sl.to_vec();
        for r in tmp {
            let f = &mut fill[r.prompt as usize - p0];
            sl[*f] = r;
            *f += 1;
        }
    });
    let (start, recs) = (&start, &recs);
    // Pass 1, per chunk of prompts: the sorted responses of each prompt and the most decisive votes
    // any judge gives one pair.
    type Lists = (Vec<usize>, Vec<u32>, Vec<u32>);
    let lists: Vec<Result<Lists>> = (0..n_chunks)
        .into_par_iter()
        .map(|c| {
            let mut offs = vec![0usize];
            let mut flat: Vec<u32> = Vec::new();
            let mut maxv = vec![0u32; nj];
            let mut cnt: Vec<u32> = Vec::new();
            for p in c * PROMPT_CHUNK..((c + 1) * PROMPT_CHUNK).min(n_prompts) {
                let rows = &recs[start[p]..start[p + 1]];
                let s0 = flat.len();
                for r in rows {
                    flat.push(r.a);
                    flat.push(r.b);
                }
                flat[s0..].sort_unstable();
                let mut w = s0;
                for k in s0..flat.len() {
                    if k == s0 || flat[k] != flat[w - 1] {
                        flat[w] = flat[k];
                        w += 1;
                    }
                }
                flat.truncate(w);
                offs.push(w);
                let list = &flat[s0..];
                let ng = list.len();
                if ng > 255 {
                    return Err(Error::invalid(
                        "responses",
                        format!("prompt code {p} has {ng} responses; at most 255 per prompt"),
                    ));
                }
                cnt.clear();
                cnt.resize(ng * ng.saturating_sub(1) / 2 * nj, 0);
                for row in rows {
                    if row.vote == 0 {
                        continue;
                    }
                    let (lo, hi, _) = local_pair(list, row.a, row.b);
                    let r = row.judge as usize;
                    let e = &mut cnt[pair_idx(lo, hi, ng) * nj + r];
                    *e += 1;
                    maxv[r] = maxv[r].max(*e);
                }
            }
            Ok((offs, flat, maxv))
        })
        .collect();
    let mut chunks: Vec<Lists> = Vec::with_capacity(n_chunks);
    for l in lists {
        chunks.push(l?);
    }
    let mut maxv = vec![0u32; nj];
    let mut n_resp = 2;
    for (offs, _, m) in &chunks {
        for (x, y) in maxv.iter_mut().zip(m) {
            *x = (*x).max(*y);
        }
        for w in offs.windows(2) {
            n_resp = n_resp.max(w[1] - w[0]);
        }
    }
    let coding = Coding::new(&maxv)?;
    let npairs = n_resp * (n_resp - 1) / 2;
    // Every prompt gets the pattern slots of the largest prompt (u16 each), and 12 bytes per
    // response slot (strength and item).
    limits::check_alloc(
        &format!("vote patterns of {n_prompts} prompts with up to {n_resp} responses"),
        limits::bytes_of::<u16>(&[n_prompts, npairs])
            .zip(limits::bytes_of::<[u32; 3]>(&[n_prompts, n_resp]))
            .and_then(|(a, b)| a.checked_add(b)),
        "curate prompts with many responses separately from the rest",
    )?;
    let mut pat = vec![0u16; n_prompts * npairs];
    let mut theta = vec![f64::NAN; n_prompts * n_resp];
    let mut items = vec![u32::MAX; n_prompts * n_resp];
    let chunks = &chunks;
    let coding_ref = &coding;
    // Pass 2: every pair's vote pattern.
    pat.par_chunks_mut(PROMPT_CHUNK * npairs)
        .zip(theta.par_chunks_mut(PROMPT_CHUNK * n_resp))
        .zip(items.par_chunks_mut(PROMPT_CHUNK * n_resp))
        .enumerate()
        .for_each(|(c, ((pp, th), it))| {
            let (offs, flat, _) = &chunks[c];
            let mut n1 = vec![0u32; npairs * nj];
            let mut n2 = vec![0u32; npairs * nj];
            for (q, ((pq, t), its)) in pp
                .chunks_exact_mut(npairs)
                .zip(th.chunks_exact_mut(n_resp))
                .zip(it.chunks_exact_mut(n_resp))
                .enumerate()
            {
                let p = c * PROMPT_CHUNK + q;
                let list = &flat[offs[q]..offs[q + 1]];
                its[..list.len()].copy_from_slice(list);
                t[..list.len()].iter_mut().for_each(|x| *x = 0.0);
                for row in &recs[start[p]..start[p + 1]] {
                    if row.vote == 0 {
                        continue;
                    }
                    let (lo, hi, first) = local_pair(list, row.a, row.b);
                    let e = pair_idx(lo, hi, n_resp) * nj + row.judge as usize;
                    if first == (row.vote > 0) {
                        n1[e] += 1;
                    } else {
                        n2[e] += 1;
                    }
                }
                for (k, pk) in pq.iter_mut().enumerate() {
                    let mut code = 0usize;
                    for r in 0..nj {
                        let e = k * nj + r;
                        code += state(n1[e], n2[e]) * coding_ref.mult[r];
                        n1[e] = 0;
                        n2[e] = 0;
                    }
                    *pk = code as u16;
                }
            }
        });
    let curated = fit(pat, theta, n_prompts, n_resp, &coding, o);
    crate::cancel::checkpoint()?;
    Ok(CuratedPairs {
        curated,
        n_resp,
        items,
    })
}

/// Generalised EM over the coded pairs, then the emitted pairs.
fn fit(
    pat: Vec<u16>,
    mut theta: Vec<f64>,
    n_prompts: usize,
    n_resp: usize,
    cd: &Coding,
    o: &CurateOptions,
) -> Curated {
    let npairs = n_resp * (n_resp - 1) / 2;
    let (n_pat, n_judges) = (cd.n_pat, cd.n_judges);
    let counts: Vec<Vec<f64>> = pat
        .par_chunks(PROMPT_CHUNK * npairs)
        .map(|pp| {
            let mut cnt = vec![0.0; n_pat];
            for &k in pp {
                cnt[k as usize] += 1.0;
            }
            cnt
        })
        .collect();
    let mut cnt = vec![0.0; n_pat];
    for c in &counts {
        crate::simd::add_assign(&mut cnt, c);
    }
    let (n1, n2) = (&cd.n1, &cd.n2);
    let mut votes = vec![0.0; n_judges];
    for (k, &ck) in cnt.iter().enumerate().skip(1) {
        for (r, v) in votes.iter_mut().enumerate() {
            let t = n1[k * n_judges + r] + n2[k * n_judges + r];
            if t != 0 {
                *v += f64::from(t) * ck;
            }
        }
    }
    let table = |eps: &[f64]| -> Vec<f64> {
        let lo: Vec<f64> = eps.iter().map(|e| ((1.0 - e) / e).ln()).collect();
        (0..n_pat)
            .map(|k| {
                (0..n_judges)
                    .map(|r| {
                        let d = i64::from(n1[k * n_judges + r]) - i64::from(n2[k * n_judges + r]);
                        if d == 0 {
                            0.0
                        } else {
                            d as f64 * lo[r]
                        }
                    })
                    .sum()
            })
            .collect()
    };
    let mut eps = vec![o.eps_init; n_judges];
    let mut converged = false;
    let mut iterations = 0;
    // SQUAREM-style extrapolation of the flip rates from three successive EM maps (Varadhan and
    // Roland 2008): EM converges slowly here because every pair's latent preference is missing.
    let mut hist: Vec<Vec<f64>> = vec![eps.clone()];
    for it in 0..o.max_iter.max(1) {
        // Cancelled: stop; the callers' checkpoint reports it.
        if crate::cancel::cancelled() {
            break;
        }
        iterations = it + 1;
        let tab = table(&eps);
        let tab_ref = &tab;
        let token = crate::cancel::current();
        // Offloaded so that the owner thread keeps polling; a cancelled chunk stops early and
        // the check below ends the loop.
        let parts: Vec<Vec<f64>> = crate::cancel::offload(|| {
            theta
                .par_chunks_mut(PROMPT_CHUNK * n_resp)
                .zip(pat.par_chunks(PROMPT_CHUNK * npairs))
                .map(|(th, pp)| {
                    let mut post = vec![0.0; n_pat];
                    let mut h = vec![0.0; n_resp * n_resp];
                    let mut g = vec![0.0; n_resp];
                    if token.is_cancelled() {
                        return post;
                    }
                    for (t, pq) in th.chunks_exact_mut(n_resp).zip(pp.chunks_exact(npairs)) {
                        prompt_step(pq, t, tab_ref, o.alpha, &mut post, &mut h, &mut g);
                    }
                    post
                })
                .collect()
        });
        if token.is_cancelled() {
            break;
        }
        let mut post = vec![0.0; n_pat];
        for p in &parts {
            crate::simd::add_assign(&mut post, p);
        }
        let mut change = 0.0f64;
        for r in 0..n_judges {
            // Expected wrong votes: a vote for the first response is wrong with P(second > first).
            let mut wrong = 0.0;
            for k in 1..n_pat {
                let (a, b) = (n1[k * n_judges + r], n2[k * n_judges + r]);
                if a != 0 {
                    wrong += f64::from(a) * (cnt[k] - post[k]);
                }
                if b != 0 {
                    wrong += f64::from(b) * post[k];
                }
            }
            let v = if votes[r] > 0.0 {
                wrong / votes[r]
            } else {
                eps[r]
            };
            let v = v.clamp(EPS_MIN, EPS_MAX);
            change = change.max((v - eps[r]).abs());
            eps[r] = v;
        }
        // The first pass starts from theta = 0; require a second pass before stopping. `f64::max`
        // skips NaN in `change`, so the rates themselves must be finite too.
        if it > 0 && change <= o.tol && crate::numeric::scale::all_finite(&eps) {
            converged = true;
            break;
        }
        hist.push(eps.clone());
        if hist.len() == 3 {
            let (e0, e1, e2) = (&hist[0], &hist[1], &hist[2]);
            let (mut rr, mut vv) = (0.0, 0.0);
            for r in 0..n_judges {
                let d1 = e1[r] - e0[r];
                let d2 = e2[r] - 2.0 * e1[r] + e0[r];
                rr += d1 * d1;
                vv += d2 * d2;
            }
            if vv > 0.0 {
                let step = -(rr / vv).sqrt().max(1.0);
                for r in 0..n_judges {
                    let d1 = e1[r] - e0[r];
                    let d2 = e2[r] - 2.0 * e1[r] + e0[r];
                    eps[r] = (e0[r] - 2.0 * step * d1 + step * step * d2).clamp(EPS_MIN, EPS_MAX);
                }
            }
            hist.clear();
            hist.push(eps.clone());
        }
    }
    let total_votes: f64 = votes.iter().sum();
    let label_epsilon = if total_votes > 0.0 {
        eps.iter().zip(&votes).map(|(e, v)| e * v).sum::<f64>() / total_votes
    } else {
        0.0
    };
    // Emit pairs, chunk by chunk, concatenated in chunk order.
    let tab = table(&eps);
    let n_chunks = n_prompts.div_ceil(PROMPT_CHUNK);
    type Out = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<f64>);
    let outs: Vec<Out> = (0..n_chunks)
        .into_par_iter()
        .map(|c| {
            let mut out: Out = Default::default();
            let p_hi = ((c + 1) * PROMPT_CHUNK).min(n_prompts);
            for p in c * PROMPT_CHUNK..p_hi {
                let th = &theta[p * n_resp..(p + 1) * n_resp];
                let pp = &pat[p * npairs..(p + 1) * npairs];
                let pair_index = |a: usize, b: usize| a * n_resp - a * (a + 1) / 2 + (b - a - 1);
                let mut emit = |a: usize, b: usize| {
                    let k = pp[pair_index(a, b)] as usize;
                    let z = th[a] - th[b] + tab[k];
                    if z == 0.0 || z.is_nan() {
                        return;
                    }
                    let w = sigmoid(z.abs());
                    if w < o.min_weight {
                        return;
                    }
                    let (ch, rj) = if z > 0.0 { (a, b) } else { (b, a) };
                    out.0.push(p as u32);
                    out.1.push(ch as u32);
                    out.2.push(rj as u32);
                    out.3.push(w);
                };
                match o.pairs {
                    PairMode::All => {
                        for a in 0..n_resp {
                            for b in a + 1..n_resp {
                                if pp[pair_index(a, b)] != 0 {
                                    emit(a, b);
                                }
                            }
                        }
                    }
                    PairMode::BestWorst => {
                        let (mut best, mut worst) = (usize::MAX, usize::MAX);
                        for a in 0..n_resp {
                            if th[a].is_nan() {
                                continue;
                            }
                            if best == usize::MAX || th[a] > th[best] {
                                best = a;
                            }
                            if worst == usize::MAX || th[a] < th[worst] {
                                worst = a;
                            }
                        }
                        if best != usize::MAX && best != worst {
                            emit(best.min(worst), best.max(worst));
                        }
                    }
                }
            }
            out
        })
        .collect();
    let total: usize = outs.iter().map(|o| o.0.len()).sum();
    let mut res = Curated {
        prompt: Vec::with_capacity(total),
        chosen: Vec::with_capacity(total),
        rejected: Vec::with_capacity(total),
        weight: Vec::with_capacity(total),
        judge_epsilon: eps,
        judge_votes: votes,
        label_epsilon,
        epsilon: 0.0,
        theta,
        iterations,
        converged,
    };
    for o in outs {
        res.prompt.extend_from_slice(&o.0);
        res.chosen.extend_from_slice(&o.1);
        res.rejected.extend_from_slice(&o.2);
        res.weight.extend_from_slice(&o.3);
    }
    res.epsilon = if total > 0 {
        res.weight.iter().map(|w| 1.0 - w).sum::<f64>() / total as f64
    } else {
        0.0
    };
    res
}
