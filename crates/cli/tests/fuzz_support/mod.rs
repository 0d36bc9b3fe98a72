//! The fixture and the runner of `fuzz_cli.rs`: the files the command lines name (IDX data,
//! CSV tables and their mutants, checkpoints of images and of tables, outputs of every kind)
//! and one run of the binary checked for its exit code and its stderr.

use autograd::Tensor;
use nn::checkpoint::{self, Metadata, MlpSpec};
use nn::{Activation, ParamStore};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs: `CHAINRULE_FUZZ_CASES` if set (the long run uses 100000), else 256.
pub fn cases() -> u32 {
    std::env::var("CHAINRULE_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

/// A run longer than this is a hang.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A scratch directory: in memory (`/dev/shm`) where there is one, as `train` syncs the files
/// it writes.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().unwrap()
}

fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

/// The files the options name: data directories good and bad, checkpoints good and bad.
pub fn fixture(root: &Path) {
    use nn::data::digits;
    let w = |p: &str, b: &[u8]| {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    };
    w("afile", b"not a directory");
    std::fs::create_dir_all(root.join("adir")).unwrap();
    // The digits, and a tiny 4x4 problem that trains in no time.
    for (name, bytes) in [
        ("train-images-idx3-ubyte", digits::TRAIN_IMAGES),
        ("train-labels-idx1-ubyte", digits::TRAIN_LABELS),
        ("t10k-images-idx3-ubyte", digits::TEST_IMAGES),
        ("t10k-labels-idx1-ubyte", digits::TEST_LABELS),
    ] {
        w(&format!("idx/{name}"), bytes);
        w(&format!("truncated/{name}"), &bytes[..bytes.len() - 5]);
    }
    let pixels: Vec<u8> = (0..40 * 16).map(|i| (i * 37 % 256) as u8).collect();
    let labels: Vec<u8> = (0..40).map(|i| (i % 3) as u8).collect();
    w(
        "tiny/train-images-idx3-ubyte",
        &idx(&[30, 4, 4], &pixels[..30 * 16]),
    );
    w("tiny/train-labels-idx1-ubyte", &idx(&[30], &labels[..30]));
    w(
        "tiny/t10k-images-idx3-ubyte",
        &idx(&[10, 4, 4], &pixels[30 * 16..]),
    );
    w("tiny/t10k-labels-idx1-ubyte", &idx(&[10], &labels[30..]));
    w(
        "half/train-images-idx3-ubyte",
        &idx(&[30, 4, 4], &pixels[..30 * 16]),
    );
    std::fs::create_dir_all(root.join("dir_inside/train-labels-idx1-ubyte")).unwrap();
    w(
        "dir_inside/train-images-idx3-ubyte",
        &idx(&[30, 4, 4], &pixels[..30 * 16]),
    );
    #[cfg(unix)]
    {
        // Outputs of every kind: a FIFO, a device node (root only), links to a file, to a
        // directory, in a loop and dangling, a read-only file.
        use std::os::unix::fs::{symlink, PermissionsExt};
        let _ = Command::new("mkfifo").arg(root.join("fifo")).status();
        let _ = Command::new("mknod")
            .arg(root.join("nulldev"))
            .args(["c", "1", "3"])
            .stderr(Stdio::null())
            .status();
        w("target_file", b"a file that links point to");
        let _ = symlink("target_file", root.join("link_file"));
        let _ = symlink("adir", root.join("link_dir"));
        let _ = symlink("link_loop_b", root.join("link_loop_a"));
        let _ = symlink("link_loop_a", root.join("link_loop_b"));
        let _ = symlink("made_by_dangling", root.join("dangling"));
        w("ro_file", b"read-only");
        std::fs::set_permissions(root.join("ro_file"), std::fs::Permissions::from_mode(0o400)).unwrap();
        std::fs::create_dir_all(root.join("device")).unwrap();
        let _ = std::os::unix::fs::symlink("/dev/zero", root.join("device/train-images-idx3-ubyte"));
        let _ = std::os::unix::fs::symlink("/dev/zero", root.join("zero.safetensors"));
    }
    // Checkpoints: an MLP for the digits (64 inputs), one for the tiny data (16 inputs), a
    // truncated one, one whose metadata declares a huge MLP, one without metadata.
    let model = |sizes: Vec<usize>, dtype64: bool| -> Vec<u8> {
        let acts = vec![Activation::Relu; sizes.len() - 2]
            .into_iter()
            .chain([Activation::Identity])
            .collect();
        let spec = MlpSpec::new(sizes, acts).unwrap();
        if dtype64 {
            let mut ps = ParamStore::<f64>::new();
            spec.build(&mut ps, "layers", 1).unwrap();
            checkpoint::to_bytes(&ps, &spec.to_metadata()).unwrap()
        } else {
            let mut ps = ParamStore::<f32>::new();
            spec.build(&mut ps, "layers", 1).unwrap();
            checkpoint::to_bytes(&ps, &spec.to_metadata()).unwrap()
        }
    };
    let good = model(vec![64, 8, 10], false);
    w("good.safetensors", &good);
    w("good64.safetensors", &model(vec![64, 10], true));
    w("tiny.safetensors", &model(vec![16, 4, 3], false));
    w("truncated.safetensors", &good[..good.len() - 9]);
    let mut ps = ParamStore::<f32>::new();
    ps.add("layers.0.weight", Tensor::zeros(&[2, 2])).unwrap();
    let huge: Metadata = [
        ("chainrule.sizes", "100000,100000,10"),
        ("chainrule.activations", "relu,identity"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    w("huge.safetensors", &checkpoint::to_bytes(&ps, &huge).unwrap());
    w(
        "nometa.safetensors",
        &checkpoint::to_bytes(&ps, &Metadata::new()).unwrap(),
    );
    csv_fixture(root);
}

/// CSV tables (good, with a string target, a regression target, and mutants), the models of
/// two of them (trained by the binary) and mutants of a model's metadata, rows to predict.
fn csv_fixture(root: &Path) {
    let w = |p: &str, b: &[u8]| std::fs::write(root.join(p), b).unwrap();
    w("iris.csv", include_bytes!("../../../../data/iris.csv"));
    let mut small = String::from("a,b,c,y\n");
    let mut reg = String::from("a,b,v\n");
    let mut rows = String::from("a,b,c\n");
    for i in 0..30 {
        let (a, b, c) = (i as f64 * 0.37, (i * 7 % 11) as f64, (i as f64).sin());
        small.push_str(&format!("{a},{b},{c},{}\n", ["cat", "dog", "emu"][i % 3]));
        reg.push_str(&format!("{a},{b},{}\n", 2.0 * a - b + 0.5));
        rows.push_str(&format!("{b},{c},{a}\n"));
    }
    w("small.csv", small.as_bytes());
    w("reg.csv", reg.as_bytes());
    w("rows.csv", rows.as_bytes());
    // Mutants: a cell replaced (NA, inf, 1e400, text, bytes that are not UTF-8, beyond f32),
    // a ragged row, a duplicate and a missing header name, an unbalanced quote, a BOM, CR/LF
    // mixes, a truncation, a header of 70,000 columns.
    let lines: Vec<&str> = small.lines().collect();
    let with_line = |i: usize, line: &str| {
        let mut l = lines.clone();
        l[i] = line;
        l.join("\n").into_bytes()
    };
    for (name, cell) in [
        ("na", "NA"),
        ("inf", "inf"),
        ("huge", "1e400"),
        ("text", "abc"),
        ("f32max", "1e39"),
    ] {
        w(
            &format!("bad_{name}.csv"),
            &with_line(5, &format!("1,{cell},3,cat")),
        );
    }
    let mut not_utf8 = with_line(4, "1,2,3,cat");
    not_utf8.extend_from_slice(b"\n4,\xff\xfe,6,dog\n");
    w("bad_utf8.csv", &not_utf8);
    w("bad_ragged.csv", &with_line(7, "1,2,cat"));
    w("bad_dup.csv", &with_line(0, "a,a,c,y"));
    w("bad_noname.csv", &with_line(0, "a,,c,y"));
    w("bad_quote.csv", &with_line(3, "1,\"2,3,cat"));
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(small.as_bytes());
    w("bad_bom.csv", &bom);
    w(
        "bad_crlf.csv",
        small.replacen('\n', "\r\n", 9).replace("\n4", "\r4").as_bytes(),
    );
    w("bad_truncated.csv", &small.as_bytes()[..small.len() / 2 + 3]);
    let wide: Vec<String> = (0..70_000).map(|i| format!("c{i}")).collect();
    w("bad_wide.csv", format!("{},y\n", wide.join(",")).as_bytes());
    w("bad_rows.csv", rows.replacen("0,", "inf,", 1).as_bytes());
    w("rows_columns.csv", b"a,z\n1,2\n");
    // Models of a table: classification and regression, trained by the binary.
    for (data, target, model) in [
        ("small.csv", "y", "csvmodel.safetensors"),
        ("reg.csv", "v", "regmodel.safetensors"),
    ] {
        let status = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .args([
                "train", "--data", data, "--target", target, "--epochs", "2", "--hidden", "4",
            ])
            .args(["--out", &format!("out_{model}"), "--save", model])
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "training the fixture's {model}");
    }
    // The classification model with its table metadata mutated.
    let path = root.join("csvmodel.safetensors");
    let meta = checkpoint::read_metadata(&path).unwrap();
    let header = checkpoint::read_header(&path).unwrap();
    let mut ps = ParamStore::<f32>::new();
    for t in &header.tensors {
        ps.add(&t.name, Tensor::zeros(&t.shape)).unwrap();
    }
    checkpoint::load(&mut ps, &path).unwrap();
    for (i, (key, value)) in [
        ("scaler.features.mean", Some("[1e400,0,0]")),
        ("scaler.features.scale", Some("[0,0,0]")),
        ("scaler.features.mean", Some("[1]")),
        ("data.features", Some("[\"a\",\"b\"]")),
        ("data.features", Some("[\"a\",\"a\",\"a\"]")),
        ("data.classes", Some("[]")),
        ("data.classes", Some("[\"cat\"]")),
        ("data.task", Some("regression")),
        ("data.target", None),
        ("scaler.features.scale", None),
    ]
    .into_iter()
    .enumerate()
    {
        let mut m = meta.clone();
        match value {
            Some(v) => m.insert(key.to_string(), v.to_string()),
            None => m.remove(key),
        };
        w(
            &format!("csvmodel_mut{i}.safetensors"),
            &checkpoint::to_bytes(&ps, &m).unwrap(),
        );
    }
}

/// An argument with every `<FF>` replaced by the byte 0xFF: a path that is not UTF-8.
fn os_arg(a: &str) -> std::ffi::OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        let mut bytes = Vec::new();
        for (i, part) in a.split("<FF>").enumerate() {
            if i > 0 {
                bytes.push(0xFF);
            }
            bytes.extend_from_slice(part.as_bytes());
        }
        std::ffi::OsString::from_vec(bytes)
    }
    #[cfg(not(unix))]
    a.into()
}

/// The outcome of one run, or why it is a failure.
pub fn run_one(args: &[String], cwd: &Path, fixture: &Path) -> Result<i32, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args.iter().map(|a| os_arg(a)))
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "1")
        .env("CHAINRULE_FIXTURE", fixture)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot spawn: {e}"))?;
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no exit within {DEADLINE:?} (a hang)"));
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let err = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    let code = match status.code() {
        Some(c) => c,
        None => return Err(format!("killed by a signal: {status:?}; stderr: {err}")),
    };
    if !matches!(code, 0..=2) {
        return Err(format!("exit code {code}; stderr: {err}"));
    }
    for bad in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        if err.contains(bad) {
            return Err(format!("{bad:?} on stderr: {err}"));
        }
    }
    // `check`'s verdict "a claim does not hold": exit 1, the report on stdout, stderr empty.
    let verdict = code == 1 && args.first().map(String::as_str) == Some("check") && err.is_empty();
    if code != 0 && !verdict {
        let help = err.contains("Usage: chainrule");
        let first = err.lines().next().unwrap_or("");
        if !help && !first.starts_with("error: ") {
            return Err(format!("exit code {code} without an `error:` line: {err}"));
        }
        let caret = err.lines().count() == 3 && err.trim_end().ends_with('^');
        if code == 2 && !help && !caret && err.lines().count() != 1 {
            return Err(format!("a usage error of {} lines: {err}", err.lines().count()));
        }
    }
    Ok(code)
}
