//! report.html and email.html, rendered with minijinja from `reports/`.
//!
//! Safety: templates have HTML auto-escaping on (their names end in `.html`), and a formatter
//! removes control characters from every value before escaping, so nothing Azure DevOps returns
//! can add markup, break the page or hide text. Long names are clipped for display only.

use std::path::Path;

use minijinja::value::Value;
use minijinja::{Environment, Error, State, context};
use serde::Serialize;

use super::data::{MAX_ROWS, ReportData, TrendPoint};
use super::{ReportError, ReportOptions, ReportPaths};

const REPORT_TEMPLATE: &str = include_str!("../../reports/report.html");
const EMAIL_TEMPLATE: &str = include_str!("../../reports/email.html");

/// Changes of the estate the e-mail lists (the rest are in the report and the dataset).
const EMAIL_CHANGES: usize = 20;
const EMAIL_RECOMMENDATIONS: usize = 10;

/// Text with control characters replaced (U+FFFD), so they can neither hide nor break markup.
/// Bidirectional overrides are neutralized by `<bdi>` in the templates, and shown here as U+FFFD
/// too since they only serve to disguise names.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
            {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

fn environment() -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_formatter(|out, state: &State<'_, '_>, value: &Value| {
        if let Some(text) = value.as_str() {
            minijinja::escape_formatter(out, state, &Value::from(clean(text)))
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.add_filter("clip", |text: String, max: usize| -> String {
        if text.chars().count() > max {
            let cut: String = text.chars().take(max).collect();
            format!("{cut}… ({} characters)", text.chars().count())
        } else {
            text
        }
    });
    env.add_filter("thousands", |n: u64| -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    });
    env.add_template("report.html", REPORT_TEMPLATE)?;
    env.add_template("email.html", EMAIL_TEMPLATE)?;
    Ok(env)
}

/// A list shown up to a limit, with its full length.
#[derive(Serialize)]
struct Capped<'a, T: Serialize> {
    rows: &'a [T],
    total: usize,
}

fn capped<T: Serialize>(rows: &[T], max: usize) -> Capped<'_, T> {
    Capped {
        rows: &rows[..rows.len().min(max)],
        total: rows.len(),
    }
}

/// The trend as SVG coordinates (numbers only, so nothing untrusted reaches the chart).
#[derive(Serialize)]
struct Chart {
    width: u32,
    height: u32,
    y_max: u64,
    series: Vec<ChartSeries>,
    first_date: String,
    last_date: String,
}

#[derive(Serialize)]
struct ChartSeries {
    severity: &'static str,
    points: String,
    dots: Vec<(f64, f64, u64, String)>,
}

fn chart(trend: &[TrendPoint]) -> Chart {
    let (width, height, pad) = (640u32, 180u32, 24.0f64);
    let y_max = trend
        .iter()
        .map(|p| {
            p.counts
                .critical
                .max(p.counts.high)
                .max(p.counts.medium)
                .max(p.counts.low)
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let n = trend.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            f64::from(width) / 2.0
        } else {
            pad + (f64::from(width) - 2.0 * pad) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: u64| {
        f64::from(height) - pad - (f64::from(height) - 2.0 * pad) * v as f64 / y_max as f64
    };
    let series = [("critical", 0), ("high", 1), ("medium", 2), ("low", 3)]
        .into_iter()
        .map(|(severity, k)| {
            let value = |p: &TrendPoint| {
                [
                    p.counts.critical,
                    p.counts.high,
                    p.counts.medium,
                    p.counts.low,
                ][k]
            };
            let dots: Vec<(f64, f64, u64, String)> = trend
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        (x(i) * 10.0).round() / 10.0,
                        (y(value(p)) * 10.0).round() / 10.0,
                        value(p),
                        p.date.clone(),
                    )
                })
                .collect();
            let points = dots
                .iter()
                .map(|(x, y, _, _)| format!("{x},{y}"))
                .collect::<Vec<_>>()
                .join(" ");
            ChartSeries {
                severity,
                points,
                dots,
            }
        })
        .collect();
    Chart {
        width,
        height,
        y_max,
        series,
        first_date: trend.first().map(|p| p.date.clone()).unwrap_or_default(),
        last_date: trend.last().map(|p| p.date.clone()).unwrap_or_default(),
    }
}

fn render(path: &Path, template: &str, ctx: Value) -> Result<(), ReportError> {
    let render_error = |e: Error| ReportError::Write {
        path: path.to_path_buf(),
        message: format!("rendering {template}: {e:#}"),
    };
    let env = environment().map_err(render_error)?;
    let html = env
        .get_template(template)
        .and_then(|t| t.render(ctx))
        .map_err(render_error)?;
    std::fs::write(path, html).map_err(|e| ReportError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

pub fn write_report(
    path: &Path,
    data: &ReportData,
    options: &ReportOptions,
) -> Result<(), ReportError> {
    let sections: Vec<Value> = data
        .by_severity
        .iter()
        .map(|(severity, findings)| {
            let recommendations: Vec<_> = data
                .recommendations
                .iter()
                .filter(|r| r.severity.as_str() == *severity)
                .collect();
            context! {
                severity,
                recommendations,
                findings,
            }
        })
        .collect();
    let ctx = context! {
        data => data,
        sections,
        resolved => &data.resolved,
        changes => capped(&data.changes, MAX_ROWS),
        projects => capped(&data.projects, MAX_ROWS),
        repositories => Capped {
            rows: &data.repositories,
            total: usize::try_from(data.inventory.repositories).unwrap_or(usize::MAX),
        },
        chart => chart(&data.trend),
        generated_at => options.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        tool_version => env!("CARGO_PKG_VERSION"),
    };
    render(path, "report.html", ctx)
}

pub fn write_email(
    path: &Path,
    data: &ReportData,
    options: &ReportOptions,
    paths: &ReportPaths,
) -> Result<(), ReportError> {
    let top: Vec<_> = data
        .recommendations
        .iter()
        .filter(|r| r.affected > 0)
        .take(EMAIL_RECOMMENDATIONS)
        .collect();
    let ctx = context! {
        data => data,
        new_high => &data.new_high,
        changes => capped(&data.changes, EMAIL_CHANGES),
        recommendations => top,
        resolved_total => data.resolved.total,
        report_location => options.report_url.clone().unwrap_or_else(|| paths.report_html.display().to_string()),
        generated_at => options.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        tool_version => env!("CARGO_PKG_VERSION"),
    };
    render(path, "email.html", ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_controls_and_bidi_overrides() {
        assert_eq!(
            clean("a\u{1b}[31mb\r\n\u{202e}c"),
            "a\u{fffd}[31mb\u{fffd}\u{fffd}\u{fffd}c"
        );
    }

    #[test]
    fn formatter_escapes_markup_after_cleaning() {
        let mut env = environment().unwrap();
        env.add_template("t.html", "<td>{{ name }}</td><td>{{ name|clip(5) }}</td>")
            .unwrap();
        let html = env
            .get_template("t.html")
            .unwrap()
            .render(context! { name => "\"><img src=x onerror=alert(1)>" })
            .unwrap();
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;img"), "{html}");
        assert!(html.contains("&quot;&gt;&lt;im… (30 characters)"), "{html}");
    }

    #[test]
    fn chart_has_one_series_per_severity_with_numeric_points() {
        let trend = vec![
            TrendPoint {
                date: "2026-01-01".into(),
                counts: Default::default(),
            },
            TrendPoint {
                date: "2026-01-02".into(),
                counts: super::super::SeverityCounts {
                    critical: 0,
                    high: 3,
                    medium: 1,
                    low: 0,
                    total: 4,
                },
            },
        ];
        let c = chart(&trend);
        assert_eq!(c.series.len(), 4);
        assert!(
            c.series[0]
                .points
                .chars()
                .all(|ch| ch.is_ascii_digit() || ", .".contains(ch))
        );
        assert_eq!(c.y_max, 3);
    }
}
