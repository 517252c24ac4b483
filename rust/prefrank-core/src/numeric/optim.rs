//! L-BFGS with a backtracking (Armijo) line search, for smooth convex objectives.

/// Result of a minimisation.
#[derive(Debug, Clone)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// Minimise `f` (which writes the gradient into its second argument and returns the value, or
/// `f64::INFINITY` outside the domain) from `x0`. Converged when `max |grad| <= gtol` at a finite value (a NaN gradient never passes).
pub fn lbfgs<F>(mut f: F, x0: Vec<f64>, memory: usize, max_iter: usize, gtol: f64) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut rho: Vec<f64> = Vec::new();
    let mut d = vec![0.0; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    // NaN-aware: a NaN gradient must never pass the tolerance.
    let inf_norm = crate::numeric::scale::max_abs;
    let done = |g: &[f64], fx: f64| inf_norm(g) <= gtol && fx.is_finite();
    for it in 0..max_iter {
        // Cancelled: stop unconverged; the caller's checkpoint reports it.
        if crate::cancel::cancelled() {
            return Minimum {
                x,
                value: fx,
                iterations: it,
                converged: false,
            };
        }
        if done(&g, fx) {
            return Minimum {
                x,
                value: fx,
                iterations: it,
                converged: true,
            };
        }
        // Two-loop recursion: d = -H g.
        d.copy_from_slice(&g);
        let k = s_hist.len();
        let mut alpha = vec![0.0; k];
        for m in (0..k).rev() {
            alpha[m] = rho[m] * crate::simd::dot(&s_hist[m], &d);
            for (di, yi) in d.iter_mut().zip(&y_hist[m]) {
                *di -= alpha[m] * yi;
            }
        }
        if k > 0 {
            let gamma = crate::simd::dot(&s_hist[k - 1], &y_hist[k - 1])
                / crate::simd::dot(&y_hist[k - 1], &y_hist[k - 1]);
            d.iter_mut().for_each(|v| *v *= gamma);
        } else {
            let scale = 1.0 / inf_norm(&g).max(1.0);
            d.iter_mut().for_each(|v| *v *= scale);
        }
        for m in 0..k {
            let beta = rho[m] * crate::simd::dot(&y_hist[m], &d);
            for (di, si) in d.iter_mut().zip(&s_hist[m]) {
                *di += (alpha[m] - beta) * si;
            }
        }
        d.iter_mut().for_each(|v| *v = -*v);
        let mut slope = crate::simd::dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            rho.clear();
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
            slope = -crate::simd::dot(&g, &g);
        }
        let mut step = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            for i in 0..n {
                x_new[i] = x[i] + step * d[i];
            }
            let f_new = f(&x_new, &mut g_new);
            // Near the optimum the decrease falls below the resolution of f: then accept a step that
            // keeps f within rounding and shrinks the gradient.
            let armijo = f_new <= fx + 1e-4 * step * slope;
            let flat = f_new <= fx + 1e-13 * fx.abs().max(1.0) && inf_norm(&g_new) < inf_norm(&g);
            if f_new.is_finite() && (armijo || flat) {
                let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
                let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
                let sy = crate::simd::dot(&s, &y);
                if sy > 1e-300 {
                    if s_hist.len() == memory {
                        s_hist.remove(0);
                        y_hist.remove(0);
                        rho.remove(0);
                    }
                    s_hist.push(s);
                    y_hist.push(y);
                    rho.push(1.0 / sy);
                }
                std::mem::swap(&mut x, &mut x_new);
                std::mem::swap(&mut g, &mut g_new);
                fx = f_new;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            return Minimum {
                converged: done(&g, fx),
                x,
                value: fx,
                iterations: it + 1,
            };
        }
    }
    Minimum {
        converged: done(&g, fx),
        x,
        value: fx,
        iterations: max_iter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_nan_gradient_never_converges() {
        // f64::max ignores NaN: a plain fold would see a zero gradient and report convergence.
        let m = lbfgs(
            |_x, g| {
                g[0] = f64::NAN;
                0.0
            },
            vec![0.0],
            5,
            10,
            1e-9,
        );
        assert!(!m.converged, "{m:?}");
    }

    #[test]
    fn minimises_a_quadratic() {
        let m = lbfgs(
            |x, g| {
                g[0] = 2.0 * (x[0] - 3.0);
                g[1] = 20.0 * (x[1] + 1.0);
                (x[0] - 3.0).powi(2) + 10.0 * (x[1] + 1.0).powi(2)
            },
            vec![0.0, 0.0],
            5,
            200,
            1e-9,
        );
        assert!(m.converged, "{m:?}");
        assert!((m.x[0] - 3.0).abs() < 1e-8 && (m.x[1] + 1.0).abs() < 1e-8);
    }
}
