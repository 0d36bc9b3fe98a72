//! A layered (Sugiyama-style) layout of a graph whose nodes come in topological order, drawn
//! left to right: longest-path layers, dummy vertices where an edge spans several layers,
//! barycentre sweeps to reduce crossings (keeping the best order seen), then vertical positions
//! pulled towards their neighbours by isotonic regression under the layer's spacing. Every
//! step is linear or `n log n` in the vertices per sweep, so a graph of thousands of nodes is
//! laid out in milliseconds.

/// Horizontal space between layers.
const LAYER_GAP: f64 = 56.0;
/// Vertical space between two nodes of a layer (half of it next to an edge's bend).
const NODE_GAP: f64 = 22.0;
/// Space around the drawing.
pub(crate) const MARGIN: f64 = 16.0;
/// Barycentre sweeps (each one down and one up).
const SWEEPS: usize = 12;
/// Position passes (each one down and one up).
const PLACEMENTS: usize = 8;

/// Where everything goes. Node boxes are `(x, y, width, height)` with `(x, y)` the top left.
pub(crate) struct Layout {
    /// One box per node.
    pub boxes: Vec<(f64, f64, f64, f64)>,
    /// One polyline per edge, from the source's right side to the target's left side.
    pub routes: Vec<Vec<(f64, f64)>>,
    /// The drawing's size.
    pub width: f64,
    /// The drawing's height.
    pub height: f64,
}

/// The number of vertices (nodes plus one per layer an edge passes through) of the layout of
/// these edges, to refuse a drawing before doing it.
pub(crate) fn vertex_count(n: usize, edges: &[(usize, usize)]) -> usize {
    let layer = layers(n, edges);
    n + edges.iter().map(|&(u, v)| layer[v] - layer[u] - 1).sum::<usize>()
}

/// Longest-path layers from the sources; a source then moves right to just before its first
/// user, so that constants sit beside the op that uses them.
fn layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(u, v) in edges {
        preds[v].push(u);
        succs[u].push(v);
    }
    let mut layer = vec![0usize; n];
    for v in 0..n {
        layer[v] = preds[v].iter().map(|&u| layer[u] + 1).max().unwrap_or(0);
    }
    for v in 0..n {
        if preds[v].is_empty()
            && let Some(first) = succs[v].iter().map(|&s| layer[s]).min()
        {
            layer[v] = first - 1;
        }
    }
    layer
}

/// Lays out `sizes.len()` nodes (`(width, height)` each, in topological order: every edge
/// `(u, v)` has `u < v`).
pub(crate) fn layered(sizes: &[(f64, f64)], edges: &[(usize, usize)]) -> Layout {
    let n = sizes.len();
    let layer = layers(n, edges);
    // Vertices: the nodes, then the dummies. Each edge becomes a chain of vertices.
    let mut vlayer = layer.clone();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    for &(u, v) in edges {
        let mut chain = vec![u];
        for l in layer[u] + 1..layer[v] {
            chain.push(vlayer.len());
            vlayer.push(l);
        }
        chain.push(v);
        chains.push(chain);
    }
    let nv = vlayer.len();
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); nv];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); nv];
    for chain in &chains {
        for w in chain.windows(2) {
            succs[w[0]].push(w[1]);
            preds[w[1]].push(w[0]);
        }
    }
    let depth = vlayer.iter().max().map_or(0, |&l| l + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (v, &l) in vlayer.iter().enumerate() {
        rows[l].push(v);
    }
    order_rows(&mut rows, &preds, &succs, nv);

    // Columns: as wide as their widest node.
    let size = |v: usize| if v < n { sizes[v] } else { (0.0, 0.0) };
    let widths: Vec<f64> = rows
        .iter()
        .map(|r| r.iter().map(|&v| size(v).0).fold(0.0, f64::max))
        .collect();
    let mut col_x = Vec::with_capacity(depth);
    let mut x = MARGIN;
    for w in &widths {
        col_x.push(x);
        x += w + LAYER_GAP;
    }
    let width = x - LAYER_GAP + MARGIN;

    // Vertical centres, pulled towards the neighbours' in alternating passes.
    let mut cy = vec![0.0; nv];
    for row in &rows {
        place(row, &vec![0.0; row.len()], &size, &mut cy);
    }
    for _ in 0..PLACEMENTS {
        for row in rows.iter().skip(1) {
            let want: Vec<f64> = row
                .iter()
                .map(|&v| mean(&preds[v], &cy).unwrap_or(cy[v]))
                .collect();
            place(row, &want, &size, &mut cy);
        }
        for row in rows.iter().rev().skip(1) {
            let want: Vec<f64> = row
                .iter()
                .map(|&v| mean(&succs[v], &cy).unwrap_or(cy[v]))
                .collect();
            place(row, &want, &size, &mut cy);
        }
    }
    let top = (0..nv)
        .map(|v| cy[v] - size(v).1 / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = MARGIN - if top.is_finite() { top } else { 0.0 };
    for y in &mut cy {
        *y += shift;
    }
    let height = (0..nv).map(|v| cy[v] + size(v).1 / 2.0).fold(0.0, f64::max) + MARGIN;

    let boxes: Vec<(f64, f64, f64, f64)> = (0..n)
        .map(|v| {
            let (w, h) = sizes[v];
            (
                col_x[layer[v]] + (widths[layer[v]] - w) / 2.0,
                cy[v] - h / 2.0,
                w,
                h,
            )
        })
        .collect();
    let routes = route(&chains, &boxes, &cy, &vlayer, &col_x, &widths);
    Layout {
        boxes,
        routes,
        width,
        height,
    }
}

fn mean(of: &[usize], at: &[f64]) -> Option<f64> {
    (!of.is_empty()).then(|| of.iter().map(|&u| at[u]).sum::<f64>() / of.len() as f64)
}

/// Orders each row by barycentres, sweeping down (by predecessors) and up (by successors),
/// and keeps the order with the fewest crossings.
fn order_rows(rows: &mut [Vec<usize>], preds: &[Vec<usize>], succs: &[Vec<usize>], nv: usize) {
    let mut pos = vec![0.0; nv];
    let index = |rows: &[Vec<usize>], pos: &mut [f64]| {
        for row in rows {
            for (i, &v) in row.iter().enumerate() {
                pos[v] = i as f64;
            }
        }
    };
    index(rows, &mut pos);
    let mut best = (crossings(rows, succs, &pos), rows.to_vec());
    for _ in 0..SWEEPS {
        for row in rows.iter_mut().skip(1) {
            sort_by_barycentre(row, preds, &mut pos);
        }
        for l in (0..rows.len().saturating_sub(1)).rev() {
            sort_by_barycentre(&mut rows[l], succs, &mut pos);
        }
        let c = crossings(rows, succs, &pos);
        if c < best.0 {
            best = (c, rows.to_vec());
        }
        if best.0 == 0 {
            break;
        }
    }
    rows.clone_from_slice(&best.1);
}

fn sort_by_barycentre(row: &mut [usize], neighbours: &[Vec<usize>], pos: &mut [f64]) {
    // A vertex without neighbours on that side keeps its place.
    let keys: Vec<(f64, usize)> = row
        .iter()
        .map(|&v| (mean(&neighbours[v], pos).unwrap_or(pos[v]), v))
        .collect();
    let mut keyed: Vec<(f64, f64, usize)> = keys.iter().map(|&(k, v)| (k, pos[v], v)).collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    for (i, &(_, _, v)) in keyed.iter().enumerate() {
        row[i] = v;
        pos[v] = i as f64;
    }
}

/// Edge crossings between consecutive rows: inversions of the targets' positions when the
/// edges are sorted by their sources' (a Fenwick tree, `e log e` per pair of rows).
fn crossings(rows: &[Vec<usize>], succs: &[Vec<usize>], pos: &[f64]) -> usize {
    let mut total = 0;
    for l in 0..rows.len().saturating_sub(1) {
        let mut pairs: Vec<(usize, usize)> = rows[l]
            .iter()
            .flat_map(|&u| succs[u].iter().map(move |&v| (pos[u] as usize, pos[v] as usize)))
            .collect();
        pairs.sort_unstable();
        let size = rows[l + 1].len() + 1;
        let mut tree = vec![0usize; size + 1];
        for (seen, &(_, t)) in pairs.iter().enumerate() {
            // Earlier edges whose target is further down cross this one.
            let mut i = t + 1;
            let mut at_most = 0;
            while i > 0 {
                at_most += tree[i];
                i -= i & i.wrapping_neg();
            }
            total += seen - at_most;
            let mut i = t + 1;
            while i <= size {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

/// Vertical centres for one row, in its order, as close as possible (least squares) to `want`
/// while keeping each vertex at least its spacing below the previous one: isotonic regression
/// by pooling adjacent violators.
fn place(row: &[usize], want: &[f64], size: &dyn Fn(usize) -> (f64, f64), cy: &mut [f64]) {
    let mut offsets = Vec::with_capacity(row.len());
    let mut o = 0.0;
    for (i, &v) in row.iter().enumerate() {
        if i > 0 {
            let (h0, h1) = (size(row[i - 1]).1, size(v).1);
            let gap = if h0 > 0.0 && h1 > 0.0 {
                NODE_GAP
            } else {
                NODE_GAP / 2.0
            };
            o += h0 / 2.0 + h1 / 2.0 + gap;
        }
        offsets.push(o);
    }
    // Blocks of (sum of targets, count), merged while their means decrease.
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for (i, w) in want.iter().enumerate() {
        blocks.push((w - offsets[i], 1));
        while blocks.len() > 1 {
            let (s1, c1) = blocks[blocks.len() - 1];
            let (s0, c0) = blocks[blocks.len() - 2];
            if s0 / c0 as f64 <= s1 / c1 as f64 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (s0 + s1, c0 + c1);
        }
    }
    let mut i = 0;
    for (s, c) in blocks {
        for _ in 0..c {
            cy[row[i]] = s / c as f64 + offsets[i];
            i += 1;
        }
    }
}

/// Each edge's polyline. Edges leave a node's right side and enter the next one's left side at
/// points spread over its height (ordered by where the other end lies, so they do not cross
/// there), and run straight through the columns they pass.
fn route(
    chains: &[Vec<usize>],
    boxes: &[(f64, f64, f64, f64)],
    cy: &[f64],
    vlayer: &[usize],
    col_x: &[f64],
    widths: &[f64],
) -> Vec<Vec<(f64, f64)>> {
    let n = boxes.len();
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut incoming: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (e, chain) in chains.iter().enumerate() {
        outgoing[chain[0]].push(e);
        incoming[chain[chain.len() - 1]].push(e);
    }
    let mut start = vec![(0.0, 0.0); chains.len()];
    let mut end = vec![(0.0, 0.0); chains.len()];
    for v in 0..n {
        let (x, y, w, h) = boxes[v];
        let mut out = outgoing[v].clone();
        out.sort_by(|&a, &b| cy[chains[a][1]].total_cmp(&cy[chains[b][1]]).then(a.cmp(&b)));
        for (k, &e) in out.iter().enumerate() {
            start[e] = (x + w, y + h * (k + 1) as f64 / (out.len() + 1) as f64);
        }
        let mut inc = incoming[v].clone();
        let before = |e: usize| cy[chains[e][chains[e].len() - 2]];
        inc.sort_by(|&a, &b| before(a).total_cmp(&before(b)).then(a.cmp(&b)));
        for (k, &e) in inc.iter().enumerate() {
            end[e] = (x, y + h * (k + 1) as f64 / (inc.len() + 1) as f64);
        }
    }
    chains
        .iter()
        .enumerate()
        .map(|(e, chain)| {
            let mut points = vec![start[e]];
            for &d in &chain[1..chain.len() - 1] {
                let l = vlayer[d];
                points.push((col_x[l], cy[d]));
                points.push((col_x[l] + widths[l], cy[d]));
            }
            points.push(end[e]);
            points
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossings_are_counted_and_removed() {
        // Two edges a->d, b->c with c above d cross once; the sweeps uncross them.
        let rows = vec![vec![0, 1], vec![2, 3]];
        let succs = vec![vec![3], vec![2], vec![], vec![]];
        let pos = [0.0, 1.0, 0.0, 1.0];
        assert_eq!(crossings(&rows, &succs, &pos), 1);
        let sizes = [(10.0, 10.0); 4];
        let edges = [(0, 3), (1, 2)];
        let l = layered(&sizes, &edges);
        // Node 0's edge goes to 3: after ordering, 3 is level with 0 and 2 with 1.
        assert!((l.boxes[0].1 < l.boxes[1].1) == (l.boxes[3].1 < l.boxes[2].1));
    }

    #[test]
    fn placement_keeps_order_and_spacing_and_meets_free_targets() {
        let mut cy = vec![0.0; 3];
        let size = |_| (10.0, 20.0);
        place(&[0, 1, 2], &[100.0, 100.0, 500.0], &size, &mut cy);
        // The first two pool around 100 at 42 apart; the third is free to sit at 500.
        assert_eq!(cy, vec![79.0, 121.0, 500.0]);
    }

    #[test]
    fn long_edges_bend_through_every_layer_they_pass() {
        // 0 -> 1 -> 2 -> 3 and 0 -> 3: the long edge passes layers 1 and 2.
        let sizes = [(20.0, 10.0); 4];
        let edges = [(0, 1), (1, 2), (2, 3), (0, 3)];
        assert_eq!(vertex_count(4, &edges), 6);
        let l = layered(&sizes, &edges);
        assert_eq!(l.routes[3].len(), 2 + 2 * 2);
        for w in l.routes[3].windows(2) {
            assert!(w[0].0 <= w[1].0, "left to right: {:?}", l.routes[3]);
        }
    }
}
