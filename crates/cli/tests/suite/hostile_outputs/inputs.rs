//! Hostile input files: huge sparse checkpoints and IDX files rejected from their first bytes, images of 0 pixels.

use super::{assert_fails, digits_dir, limited, run, stderr, wide_checkpoint};
use std::fs;
use std::path::Path;

/// A sparse file of `len` bytes starting with `head`.
fn sparse(path: &Path, head: &[u8], len: u64) {
    let f = fs::File::create(path).unwrap();
    f.set_len(len).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, head, 0).unwrap();
}

#[test]
fn huge_sparse_files_are_rejected_from_their_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = 3u64 << 30;
    // Checkpoints: a zero header length, garbage, a length past the limit, a valid header
    // followed by 3 GiB.
    let good = {
        let p = d.join("good.safetensors");
        wide_checkpoint(&p, 10);
        fs::read(&p).unwrap()
    };
    let header_len = 8 + u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![0; 8], "invalid JSON in header"),
        (b"XXXXXXXXXXXX".to_vec(), "header too large"),
        (
            [&99_999_999u64.to_le_bytes()[..], b"garbage"].concat(),
            "invalid JSON in header",
        ),
        (
            good[..header_len].to_vec(),
            "bytes after the end of the last tensor's data",
        ),
    ];
    for (i, (head, want)) in cases.iter().enumerate() {
        let p = d.join(format!("sparse{i}.safetensors"));
        sparse(&p, head, big);
        // 200 MiB of address space: reading the file would need 3 GiB.
        let out = limited(d, 200 << 20, &["eval", "--model", p.to_str().unwrap()]);
        assert_fails(
            &out,
            1,
            &["is not a valid safetensors file", want],
            &format!("checkpoint {i}"),
        );
    }
    // IDX: bad magic, a header that does not describe the size.
    let idx_cases: Vec<(Vec<u8>, &str)> = vec![
        (b"XXXX".to_vec(), "bad magic number"),
        (
            vec![0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 8, 0, 0, 0, 8],
            "trailing bytes",
        ),
        (vec![0, 0, 9, 3], "element type 0x09"),
    ];
    for (i, (head, want)) in idx_cases.iter().enumerate() {
        let data = d.join(format!("idx{i}"));
        digits_dir(&data);
        sparse(&data.join("train-images-idx3-ubyte"), head, big);
        let out = limited(
            d,
            200 << 20,
            &["train", "--epochs", "1", "--data", data.to_str().unwrap()],
        );
        assert_fails(&out, 1, &["train-images-idx3-ubyte", want], &format!("idx {i}"));
    }
}

#[test]
fn zero_pixel_images_name_the_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let idx = |dims: &[u32], data: &[u8]| {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        dims.iter().for_each(|x| b.extend(x.to_be_bytes()));
        b.extend_from_slice(data);
        b
    };
    for dims in [[5u32, 0, 0], [5, 0, 7], [5, 7, 0]] {
        for prefix in ["train", "t10k"] {
            let data = d.join(format!("zero-{}-{}-{prefix}", dims[1], dims[2]));
            digits_dir(&data);
            fs::write(data.join(format!("{prefix}-images-idx3-ubyte")), idx(&dims, &[])).unwrap();
            fs::write(
                data.join(format!("{prefix}-labels-idx1-ubyte")),
                idx(&[5], &[0, 1, 2, 3, 4]),
            )
            .unwrap();
            let out = run(d, &["train", "--epochs", "1", "--data", data.to_str().unwrap()]);
            let file = data.join(format!("{prefix}-images-idx3-ubyte"));
            let want = if prefix == "train" {
                "the images have 0 pixels"
            } else {
                "0 pixels"
            };
            assert_fails(&out, 1, &[want], &format!("{dims:?} {prefix}"));
            assert!(
                stderr(&out).contains(file.to_str().unwrap()) || prefix == "t10k",
                "{}",
                stderr(&out)
            );
        }
    }
}
