//! Comparison-graph structure: strongly connected components (iterative Tarjan) on a CSR graph.

/// A directed graph in compressed sparse row form.
#[derive(Debug, Clone)]
pub struct Csr {
    pub offsets: Vec<usize>,
    pub targets: Vec<u32>,
}

impl Csr {
    /// Build from directed edges `(from, to)` over `n` nodes.
    pub fn from_edges(n: usize, edges: &[(u32, u32)]) -> Self {
        let mut deg = vec![0usize; n + 1];
        for &(u, _) in edges {
            deg[u as usize + 1] += 1;
        }
        for k in 0..n {
            deg[k + 1] += deg[k];
        }
        let mut pos = deg.clone();
        let mut targets = vec![0u32; edges.len()];
        for &(u, v) in edges {
            targets[pos[u as usize]] = v;
            pos[u as usize] += 1;
        }
        Csr {
            offsets: deg,
            targets,
        }
    }

    pub fn n(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn neighbours(&self, u: usize) -> &[u32] {
        &self.targets[self.offsets[u]..self.offsets[u + 1]]
    }
}

/// Strongly connected components. Returns `(component id per node, number of components)`;
/// component ids are numbered in order of their smallest member, so the labelling is canonical.
pub fn strongly_connected_components(g: &Csr) -> (Vec<u32>, usize) {
    let n = g.n();
    const UNSET: u32 = u32::MAX;
    let mut index = vec![UNSET; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut comp = vec![UNSET; n];
    let mut n_comp = 0usize;
    let mut next = 0u32;
    // Explicit call stack of (node, next neighbour position).
    let mut calls: Vec<(u32, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSET {
            continue;
        }
        calls.push((root as u32, g.offsets[root]));
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        while let Some(&mut (u, ref mut pos)) = calls.last_mut() {
            let u = u as usize;
            if *pos < g.offsets[u + 1] {
                let v = g.targets[*pos] as usize;
                *pos += 1;
                if index[v] == UNSET {
                    index[v] = next;
                    low[v] = next;
                    next += 1;
                    stack.push(v as u32);
                    on_stack[v] = true;
                    calls.push((v as u32, g.offsets[v]));
                } else if on_stack[v] {
                    low[u] = low[u].min(index[v]);
                }
            } else {
                calls.pop();
                if let Some(&(p, _)) = calls.last() {
                    let p = p as usize;
                    low[p] = low[p].min(low[u]);
                }
                if low[u] == index[u] {
                    loop {
                        let w = stack.pop().expect("tarjan stack") as usize;
                        on_stack[w] = false;
                        comp[w] = n_comp as u32;
                        if w == u {
                            break;
                        }
                    }
                    n_comp += 1;
                }
            }
        }
    }
    // Renumber by smallest member.
    let mut first = vec![UNSET; n_comp];
    let mut order = 0u32;
    for c in comp.iter_mut() {
        let k = *c as usize;
        if first[k] == UNSET {
            first[k] = order;
            order += 1;
        }
        *c = first[k];
    }
    (comp, n_comp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cycles_and_a_bridge() {
        // 0 <-> 1 -> 2 <-> 3, plus isolated 4.
        let g = Csr::from_edges(5, &[(0, 1), (1, 0), (1, 2), (2, 3), (3, 2)]);
        let (comp, k) = strongly_connected_components(&g);
        assert_eq!(k, 3);
        assert_eq!(comp, vec![0, 0, 1, 1, 2]);
        let g = Csr::from_edges(3, &[(0, 1), (1, 2), (2, 0)]);
        assert_eq!(strongly_connected_components(&g).1, 1);
    }
}
