//! Line charts over time as inline SVG: the geometry is computed here, the template
//! (`dashboard/account.html`) only draws it, so a chart needs no script and no fetch.

use serde::Serialize;

/// Drawing area in SVG units; the SVG scales to its box.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 30.0;

/// One point: where it is drawn, and what its tooltip says.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub title: String,
}

/// A horizontal grid line with its value.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub y: f64,
    pub label: String,
}

/// A chart of one series: `path` for the line, `points` for its dots.
#[derive(Debug, Clone, Serialize)]
pub struct LineChart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub bottom: f64,
    pub path: String,
    pub points: Vec<Point>,
    pub ticks: Vec<Tick>,
    /// The first and last labels along the time axis.
    pub first: String,
    pub last: String,
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

impl LineChart {
    /// A chart of `(label, value)` in time order, values from 0 to `max`, with a grid
    /// line at each of `ticks`. `None` for no values.
    pub fn new(values: &[(String, f64)], max: f64, ticks: &[f64], unit: &str) -> Option<Self> {
        if values.is_empty() || max <= 0.0 {
            return None;
        }
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let step = if values.len() > 1 {
            plot_w / (values.len() - 1) as f64
        } else {
            0.0
        };
        let y_of = |v: f64| round(TOP + plot_h - v.clamp(0.0, max) / max * plot_h);
        let points: Vec<Point> = values
            .iter()
            .enumerate()
            .map(|(i, (label, v))| Point {
                x: round(if values.len() > 1 {
                    LEFT + i as f64 * step
                } else {
                    LEFT + plot_w / 2.0
                }),
                y: y_of(*v),
                title: format!("{label}: {}{unit}", round(*v)),
            })
            .collect();
        let path = points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}{} {}", if i == 0 { "M" } else { "L" }, p.x, p.y))
            .collect::<Vec<_>>()
            .join(" ");
        Some(LineChart {
            width: WIDTH,
            height: HEIGHT,
            left: LEFT,
            right: WIDTH - RIGHT,
            bottom: HEIGHT - BOTTOM,
            path,
            points,
            ticks: ticks
                .iter()
                .map(|t| Tick {
                    y: y_of(*t),
                    label: format!("{t}{unit}"),
                })
                .collect(),
            first: values.first().map(|(l, _)| l.clone()).unwrap_or_default(),
            last: values.last().map(|(l, _)| l.clone()).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_span_the_plot_and_rise_with_the_value() {
        let values = vec![
            ("a".to_owned(), 0.0),
            ("b".to_owned(), 1.5),
            ("c".to_owned(), 3.0),
        ];
        let chart = LineChart::new(&values, 3.0, &[0.0, 3.0], "").unwrap();
        assert_eq!(chart.points[0].x, LEFT);
        assert_eq!(chart.points[2].x, WIDTH - RIGHT);
        assert_eq!(chart.points[0].y, HEIGHT - BOTTOM, "0 on the axis");
        assert_eq!(chart.points[2].y, TOP, "the maximum at the top");
        assert!(chart.points[1].y < chart.points[0].y);
        assert!(chart.path.starts_with("M40 170 L"));
        assert_eq!(chart.first, "a");
        assert_eq!(chart.last, "c");
    }

    #[test]
    fn one_point_is_centred_and_none_is_no_chart() {
        let chart = LineChart::new(&[("x".to_owned(), 50.0)], 100.0, &[], "%").unwrap();
        assert_eq!(chart.points.len(), 1);
        assert_eq!(chart.points[0].title, "x: 50%");
        assert!(LineChart::new(&[], 3.0, &[], "").is_none());
    }
}
