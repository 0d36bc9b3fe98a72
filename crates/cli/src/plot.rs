//! The learning curve as an SVG picture (plotters' SVG backend, no fonts needed): the train and
//! test loss per epoch on the left, the train and test accuracy on the right.

use anyhow::{anyhow, Result};
use nn::train::EpochMetrics;
use plotters::prelude::*;

const TRAIN: RGBColor = RGBColor(31, 119, 180);
const TEST: RGBColor = RGBColor(214, 39, 40);

/// `(epoch, value)` points, skipping values that are missing or not finite (a diverged run).
fn points(history: &[EpochMetrics], f: impl Fn(&EpochMetrics) -> Option<f64>) -> Vec<(f64, f64)> {
    history
        .iter()
        .filter_map(|m| f(m).filter(|v| v.is_finite()).map(|v| (m.epoch as f64, v)))
        .collect()
}

fn x_range(history: &[EpochMetrics]) -> std::ops::Range<f64> {
    let n = history.last().map_or(1, |m| m.epoch) as f64;
    if n <= 1.0 {
        0.5..1.5
    } else {
        1.0..n
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// One labelled line of a panel.
type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

fn panel(
    area: &Area<'_>,
    caption: &str,
    y_desc: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    series: [Series<'_>; 2],
    legend: SeriesLabelPosition,
) -> Result<()> {
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("cannot draw the learning curve: {e}");
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        .x_labels(10)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| {
            let text = if y_desc.contains('%') {
                format!("{y:.0}")
            } else {
                format!("{y:.2}")
            };
            // A tick just below zero rounds to "-0.00": print it as zero.
            match text.strip_prefix('-') {
                Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
                _ => text,
            }
        })
        .draw()
        .map_err(err)?;
    for (label, color, pts) in series {
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 2, color.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    Ok(())
}

/// The SVG document of a learning curve: loss and accuracy per epoch for classification,
/// loss (mean squared error of the standardised target) and R² for regression.
pub fn curve_svg(history: &[EpochMetrics], title: &str) -> Result<String> {
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("cannot draw the learning curve: {e}");
    let regression = history
        .iter()
        .any(|m| m.train_r2.is_some() || m.test_r2.is_some());
    let train_loss = points(history, |m| Some(m.train_loss));
    let test_loss = points(history, |m| m.test_loss);
    let (train_score, test_score) = if regression {
        (points(history, |m| m.train_r2), points(history, |m| m.test_r2))
    } else {
        (
            points(history, |m| m.train_accuracy.map(|a| 100.0 * a)),
            points(history, |m| m.test_accuracy.map(|a| 100.0 * a)),
        )
    };

    let max_loss = train_loss
        .iter()
        .chain(&test_loss)
        .map(|p| p.1)
        .fold(0.0, f64::max);
    let loss_top = if max_loss > 0.0 { max_loss * 1.05 } else { 1.0 };
    let lowest = |top: f64| {
        train_score
            .iter()
            .chain(&test_score)
            .map(|p| p.1)
            .fold(top, f64::min)
    };
    let (score_panel, score_axis, score_range) = if regression {
        // R² can be any negative number early on; the panel shows [-1, 1] at most.
        let bottom = ((lowest(1.0) - 0.05) * 10.0).floor().clamp(-10.0, 9.0) / 10.0;
        ("R²", "R²", bottom..1.02)
    } else {
        let bottom = ((lowest(100.0) - 2.0) / 5.0).floor().clamp(0.0, 19.0) * 5.0;
        ("accuracy", "accuracy (%)", bottom..100.5)
    };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(title, ("sans-serif", 20)).map_err(err)?;
        let (left, right) = root.split_horizontally(500);
        panel(
            &left,
            "loss",
            if regression {
                "mean squared error (standardised)"
            } else {
                "cross-entropy"
            },
            x_range(history),
            0.0..loss_top,
            [("train", TRAIN, train_loss), ("test", TEST, test_loss)],
            SeriesLabelPosition::UpperRight,
        )?;
        panel(
            &right,
            score_panel,
            score_axis,
            x_range(history),
            score_range,
            [("train", TRAIN, train_score), ("test", TEST, test_score)],
            SeriesLabelPosition::LowerRight,
        )?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(epoch: usize, loss: f64, acc: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            train_loss: loss,
            train_accuracy: Some(acc),
            train_r2: None,
            test_loss: Some(loss * 1.1),
            test_accuracy: Some(acc - 0.01),
            test_r2: None,
            lr: 0.01,
            seconds: 0.001,
        }
    }

    #[test]
    fn draws_normal_single_and_diverged_runs() {
        let svg = curve_svg(&[m(1, 1.0, 0.5), m(2, 0.5, 0.8), m(3, 0.2, 0.95)], "t").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("polyline") && svg.contains("accuracy"));
        assert!(curve_svg(&[m(1, 1.0, 0.5)], "one epoch").is_ok());
        assert!(curve_svg(&[m(1, f64::NAN, 0.1), m(2, f64::INFINITY, 0.1)], "diverged").is_ok());
        assert!(curve_svg(&[], "empty").is_ok());
    }

    #[test]
    fn a_regression_curve_shows_r2() {
        let r = |epoch, loss: f64, r2: f64| EpochMetrics {
            train_accuracy: None,
            test_accuracy: None,
            train_r2: Some(r2),
            test_r2: Some(r2 - 0.1),
            ..m(epoch, loss, 0.0)
        };
        let svg = curve_svg(&[r(1, 1.0, -3.0), r(2, 0.4, 0.6)], "t").unwrap();
        assert!(svg.contains("R²") && svg.contains("mean squared error"), "{svg}");
        assert!(!svg.contains("accuracy (%)"));
    }
}
