//! Results, `BENCHMARKS.md` and the SVG chart.

use crate::common::Res;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Unit {
    /// Latency, nanoseconds per operation (lower is better).
    Ns,
    /// Throughput, GiB/s (higher is better).
    GiBps,
}

/// One line of a table.
#[derive(Clone, Debug)]
pub struct Row {
    pub group: &'static str,
    pub case: String,
    pub imp: String,
    /// None: the implementation cannot do the operation (`note` says why).
    pub median: Option<f64>,
    pub p99: Option<f64>,
    /// CPU time per operation (both processes where two take part).
    pub cpu: Option<f64>,
    pub unit: Unit,
    /// The raw primitive this row is compared with (an `imp` of the same group and case).
    pub base: Option<String>,
    pub note: String,
}

impl Row {
    pub fn ns(
        group: &'static str,
        case: &str,
        imp: &str,
        med: f64,
        p99: f64,
        cpu: Option<f64>,
    ) -> Row {
        Row {
            group,
            case: case.into(),
            imp: imp.into(),
            median: Some(med),
            p99: Some(p99),
            cpu,
            unit: Unit::Ns,
            base: None,
            note: String::new(),
        }
    }

    /// A throughput row (GiB/s); `cpu`: CPU time per message.
    pub fn gibps(group: &'static str, case: &str, imp: &str, v: f64, cpu: Option<f64>) -> Row {
        Row {
            group,
            case: case.into(),
            imp: imp.into(),
            median: Some(v),
            p99: None,
            cpu,
            unit: Unit::GiBps,
            base: None,
            note: String::new(),
        }
    }

    pub fn na(group: &'static str, case: &str, imp: &str, why: &str) -> Row {
        Row {
            group,
            case: case.into(),
            imp: imp.into(),
            median: None,
            p99: None,
            cpu: None,
            unit: Unit::Ns,
            base: None,
            note: why.into(),
        }
    }

    pub fn base(mut self, b: &str) -> Row {
        self.base = Some(b.into());
        self
    }

    pub fn note(mut self, n: &str) -> Row {
        self.note = n.into();
        self
    }
}

/// A table: the group key, its title and what it measures.
pub struct Group {
    pub key: &'static str,
    pub title: &'static str,
    pub what: String,
}

pub fn fmt_ns(v: f64) -> String {
    if v >= 10_000_000.0 {
        format!("{:.1} ms", v / 1e6)
    } else if v >= 10_000.0 {
        format!("{:.1} µs", v / 1e3)
    } else if v >= 100.0 {
        format!("{v:.0} ns")
    } else {
        format!("{v:.1} ns")
    }
}

fn fmt_val(v: f64, u: Unit) -> String {
    match u {
        Unit::Ns => fmt_ns(v),
        Unit::GiBps => format!("{v:.2} GiB/s"),
    }
}

pub fn find<'a>(rows: &'a [Row], group: &str, case: &str, imp: &str) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.group == group && r.case == case && r.imp == imp)
}

/// Ratio of a row's median (and p99) to its base row's.
pub fn ratio(rows: &[Row], r: &Row) -> Option<(f64, Option<f64>)> {
    let b = find(rows, r.group, &r.case, r.base.as_deref()?)?;
    let m = r.median? / b.median?;
    let p = match (r.p99, b.p99) {
        (Some(a), Some(b)) => Some(a / b),
        _ => None,
    };
    Some((m, p))
}

pub fn markdown(header: &str, groups: &[Group], rows: &[Row], footer: &str) -> String {
    let mut s = String::new();
    s.push_str(header);
    for g in groups {
        let mut rs: Vec<&Row> = rows.iter().filter(|r| r.group == g.key).collect();
        // Each case's rows together, cases in the order they first appear.
        let mut cases: Vec<&str> = Vec::new();
        for r in &rs {
            if !cases.contains(&r.case.as_str()) {
                cases.push(&r.case);
            }
        }
        rs.sort_by_key(|r| cases.iter().position(|c| *c == r.case));
        if rs.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n## {}\n\n{}\n", g.title, g.what);
        let thr = rs.iter().any(|r| r.unit == Unit::GiBps);
        if thr {
            s.push_str("| case | implementation | median | CPU per message (both processes) | ratio to raw | raw primitive | note |\n|---|---|---:|---:|---:|---|---|\n");
        } else {
            s.push_str("| case | implementation | median | p99 | CPU per operation | ratio to raw: median | p99 | raw primitive | note |\n|---|---|---:|---:|---:|---:|---:|---|---|\n");
        }
        for r in rs {
            let (med, p99) = match r.median {
                Some(m) => (
                    fmt_val(m, r.unit),
                    r.p99
                        .map(|p| fmt_val(p, r.unit))
                        .unwrap_or_else(|| "-".into()),
                ),
                None => (format!("n/a ({})", r.note), "-".into()),
            };
            let cpu = r.cpu.map(fmt_ns).unwrap_or_else(|| "-".into());
            let (rm, rp) = match ratio(rows, r) {
                Some((m, p)) => (
                    format!("{m:.2}×"),
                    p.map(|p| format!("{p:.2}×")).unwrap_or_else(|| "-".into()),
                ),
                None if r.median.is_some()
                    && r.base.is_none()
                    && (r.imp.starts_with("raw ")
                        || rows.iter().any(|x| {
                            x.group == r.group
                                && x.case == r.case
                                && x.base.as_ref() == Some(&r.imp)
                        })) =>
                {
                    ("1 (baseline)".into(), "".into())
                }
                None => ("-".into(), "-".into()),
            };
            let note = if r.median.is_some() {
                r.note.as_str()
            } else {
                ""
            };
            let base = r.base.clone().unwrap_or_default();
            if thr {
                let _ = writeln!(
                    s,
                    "| {} | {} | {med} | {cpu} | {rm} | {base} | {note} |",
                    r.case, r.imp
                );
            } else {
                let _ = writeln!(
                    s,
                    "| {} | {} | {med} | {p99} | {cpu} | {rm} | {rp} | {base} | {note} |",
                    r.case, r.imp
                );
            }
        }
    }
    s.push_str(footer);
    s
}

/// A horizontal bar chart of the selected rows' median ratios to their raw primitive.
/// `bars`: label, ratio, and whether higher is better (throughput).
pub fn svg(path: &Path, title: &str, bars: &[(String, f64, bool)]) -> Res<()> {
    use plotters::prelude::*;
    let n = bars.len().max(1);
    let h = 80 + 26 * n as u32;
    let root = SVGBackend::new(path, (1000, h)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = bars.iter().map(|b| b.1).fold(1.0f64, f64::max) * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(10)
        .build_cartesian_2d(0f64..max, 0f64..n as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc(
            "ratio to the raw Linux primitive, same run (1 = raw; lower is better except GiB/s)",
        )
        .draw()?;
    for (i, (label, v, higher_better)) in bars.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let good = if *higher_better { *v >= 1.0 } else { *v <= 1.0 };
        let color = if good { GREEN.mix(0.6) } else { RED.mix(0.5) };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y + 0.15), (*v, y + 0.85)],
            color.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            format!("{label}: {v:.2}×"),
            (max * 0.005, y + 0.72),
            ("sans-serif", 13),
        )))?;
    }
    chart.draw_series(LineSeries::new(vec![(1.0, 0.0), (1.0, n as f64)], BLACK))?;
    root.present()?;
    Ok(())
}
