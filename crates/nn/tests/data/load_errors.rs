//! IDX images and labels into a dataset: `from_idx`'s (and `Dataset::new`'s) errors and inputs.

use autograd::Tensor;
use nn::data::{digits, Dataset};

use super::{assert_contains, idx};

fn from_idx_err(images: &[u8], labels: &[u8]) -> String {
    match Dataset::<f32>::from_idx(images, labels, 16.0, "pair") {
        Ok(d) => panic!("expected an error, got a dataset of {} examples", d.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn count_mismatch_between_images_and_labels_is_an_error() {
    let msg = from_idx_err(digits::TRAIN_IMAGES, digits::TEST_LABELS);
    assert_contains(
        &msg,
        &["pair images has 1500 images but pair labels has 297 labels"],
    );
    let msg = from_idx_err(&idx(&[2, 1, 1], &[1, 2]), &idx(&[3], &[0, 1, 2]));
    assert_contains(&msg, &["2 images", "3 labels"]);
}

#[test]
fn label_file_of_rank_2_is_an_error() {
    let msg = from_idx_err(&idx(&[2, 1, 1], &[1, 2]), &idx(&[2, 1], &[0, 1]));
    assert_contains(&msg, &["pair labels: rank 2", "not a label file"]);
    // The images file given as labels, and vice versa.
    assert_contains(
        &from_idx_err(digits::TEST_IMAGES, digits::TEST_IMAGES),
        &["pair labels: rank 3"],
    );
}

#[test]
fn image_file_of_rank_1_is_an_error() {
    let msg = from_idx_err(&idx(&[2], &[1, 2]), &idx(&[2], &[0, 1]));
    assert_contains(&msg, &["pair images: rank 1", "not an image file"]);
    assert_contains(
        &from_idx_err(digits::TEST_LABELS, digits::TEST_LABELS),
        &["pair images: rank 1"],
    );
}

#[test]
fn errors_in_either_file_name_that_file() {
    let mut labels = digits::TEST_LABELS.to_vec();
    labels.pop();
    assert_contains(
        &from_idx_err(digits::TEST_IMAGES, &labels),
        &["pair labels: truncated data"],
    );
    let images = &digits::TEST_IMAGES[..100];
    assert_contains(
        &from_idx_err(images, digits::TEST_LABELS),
        &["pair images: truncated data"],
    );
}

#[test]
fn label_out_of_range_is_an_error() {
    let mut labels = digits::TEST_LABELS.to_vec();
    labels[8 + 5] = 10;
    let r = Dataset::<f32>::from_idx_with_classes(digits::TEST_IMAGES, &labels, 16.0, 10, "digits test");
    let msg = r.unwrap_err().to_string();
    assert_contains(
        &msg,
        &[
            "digits test labels",
            "label 10 of example 5",
            "offset 13",
            "out of range for 10 classes",
        ],
    );
    labels[8 + 5] = 255;
    let r = Dataset::<f32>::from_idx_with_classes(digits::TEST_IMAGES, &labels, 16.0, 10, "d");
    assert_contains(&r.unwrap_err().to_string(), &["label 255"]);
    // From inputs and labels directly.
    let x = Tensor::<f32>::zeros(&[3, 2]);
    let msg = Dataset::new(x, vec![0, 1, 2], 2).unwrap_err().to_string();
    assert_contains(&msg, &["label 2 of example 2", "out of range for 2 classes"]);
}

#[test]
fn from_idx_guesses_the_number_of_classes() {
    // max(10, largest label + 1), as documented: IDX does not store it.
    let images = idx(&[2, 1, 1], &[0, 16]);
    let d = Dataset::<f32>::from_idx(&images, &idx(&[2], &[0, 3]), 16.0, "x").unwrap();
    assert_eq!(d.classes, 10);
    let d = Dataset::<f32>::from_idx(&images, &idx(&[2], &[0, 41]), 16.0, "x").unwrap();
    assert_eq!(d.classes, 42);
    assert_eq!(d.x.as_slice(), [0.0, 1.0]);
    let d = Dataset::<f32>::from_idx_with_classes(&images, &idx(&[2], &[0, 1]), 16.0, 2, "x").unwrap();
    assert_eq!((d.classes, d.class_counts()), (2, vec![1, 1]));
}

#[test]
fn bad_pixel_max_is_an_error() {
    for pm in [0.0, -16.0, f64::NAN, f64::INFINITY] {
        let r = Dataset::<f32>::from_idx(digits::TEST_IMAGES, digits::TEST_LABELS, pm, "digits test");
        assert_contains(
            &r.unwrap_err().to_string(),
            &["pixel_max must be finite and positive"],
        );
    }
}

#[test]
fn inputs_are_pixels_over_pixel_max() {
    let images = idx(&[1, 1, 3], &[0, 128, 255]);
    let d = Dataset::<f64>::from_idx(&images, &idx(&[1], &[0]), 255.0, "x").unwrap();
    assert_eq!(d.x.as_slice(), [0.0, 128.0 / 255.0, 1.0]);
}

#[test]
fn dataset_new_checks_shapes() {
    let msg = Dataset::new(Tensor::<f32>::zeros(&[3, 2]), vec![0, 1], 2)
        .unwrap_err()
        .to_string();
    assert_contains(&msg, &["[3, 2]", "2 labels"]);
    assert!(Dataset::new(Tensor::<f32>::zeros(&[6]), vec![0; 6], 2).is_err());
}
