//! The tape's unit tests: the node's size and where tensors sit in the value buffer.

use super::*;

/// After a reset, every tensor of a cache line or more starts on a line in memory (the
/// first record may reallocate the buffer as it grows, so the check is on the second), on
/// buffers of 8 sizes, wherever the allocator put them (most not on a line).
#[test]
fn tensors_start_on_a_cache_line_after_a_reset() {
    fn check<T: Float>(rows: usize) {
        let mut tape = Tape::<T>::new();
        for _ in 0..2 {
            tape.reset();
            let odd = tape.var(crate::Tensor::ones(&[3]));
            let x = tape.var(crate::Tensor::ones(&[rows, 7]));
            let y = (x * odd.sum()).tanh().sum_axes(&[1], false) + x.sum();
            let _ = y.sum().backward();
        }
        let g = tape.inner.borrow();
        let mut tensors = 0;
        for nd in g.nodes.iter() {
            let n: usize = g.dims[nd.dims as usize..][..nd.rank as usize].iter().product();
            if n >= line::<T>() {
                tensors += 1;
                let at = g.data[nd.data as usize..].as_ptr() as usize;
                assert!(
                    at.is_multiple_of(64),
                    "{} node of {n} elements at {at:#x}",
                    T::NAME
                );
            }
        }
        assert!(tensors >= 3, "{tensors}");
    }
    for rows in 3..11 {
        check::<f32>(rows);
        check::<f64>(rows);
    }
}

#[test]
fn node_is_small() {
    assert!(
        std::mem::size_of::<Node>() <= 32,
        "{}",
        std::mem::size_of::<Node>()
    );
}
