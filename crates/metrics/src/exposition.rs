//! [`Exposition`]: the Prometheus text format, version 0.0.4.

use crate::{Histogram, HistogramSnapshot};
use std::fmt::{self, Write};

/// The `# TYPE` of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// Only goes up; names end in `_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// `_bucket`, `_sum` and `_count` series.
    Histogram,
}

impl MetricType {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// A metrics page being written. A family is one [`Self::family`] call followed by its samples
/// (one per label set); the single-series helpers ([`Self::counter`], [`Self::gauge`],
/// [`Self::histogram`]) do both.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// The MIME type of the page.
    pub const CONTENT_TYPE: &'static str = "text/plain; version=0.0.4; charset=utf-8";

    /// An empty page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the family `name`: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, help: &str, kind: MetricType) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {}", kind.as_str());
    }

    /// One integer sample of the current family.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        self.series(name, labels, None);
        let _ = writeln!(self.text, " {value}");
    }

    /// One floating-point sample of the current family.
    pub fn sample_f64(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.series(name, labels, None);
        let _ = writeln!(self.text, " {}", Float(value));
    }

    /// The `_bucket` (cumulative, ending with `le="+Inf"`), `_sum` and `_count` samples of one
    /// histogram series of the current family.
    pub fn histogram_samples(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        snapshot: &HistogramSnapshot,
    ) {
        let bucket = format!("{name}_bucket");
        for &(bound, count) in &snapshot.buckets {
            self.series(&bucket, labels, Some(&Float(bound).to_string()));
            let _ = writeln!(self.text, " {count}");
        }
        self.series(&bucket, labels, Some("+Inf"));
        let _ = writeln!(self.text, " {}", snapshot.count);
        self.sample_f64(&format!("{name}_sum"), labels, snapshot.sum);
        self.sample(&format!("{name}_count"), labels, snapshot.count);
    }

    /// A counter family with one unlabelled series.
    pub fn counter(&mut self, name: &str, help: &str, value: u64) {
        self.family(name, help, MetricType::Counter);
        self.sample(name, &[], value);
    }

    /// A gauge family with one unlabelled series.
    pub fn gauge(&mut self, name: &str, help: &str, value: u64) {
        self.family(name, help, MetricType::Gauge);
        self.sample(name, &[], value);
    }

    /// A histogram family with one unlabelled series.
    pub fn histogram(&mut self, name: &str, help: &str, histogram: &Histogram) {
        self.family(name, help, MetricType::Histogram);
        self.histogram_samples(name, &[], &histogram.snapshot());
    }

    /// The page.
    pub fn finish(self) -> String {
        self.text
    }

    /// Writes `name{labels,le="…"}` (without the value).
    fn series(&mut self, name: &str, labels: &[(&str, &str)], le: Option<&str>) {
        self.text.push_str(name);
        let mut labels = labels.iter().copied().chain(le.map(|le| ("le", le))).peekable();
        if labels.peek().is_none() {
            return;
        }
        self.text.push('{');
        for (index, (key, value)) in labels.enumerate() {
            if index > 0 {
                self.text.push(',');
            }
            let _ = write!(self.text, "{key}=\"{}\"", LabelValue(value));
        }
        self.text.push('}');
    }
}

/// A float as Prometheus writes it (`+Inf`, `-Inf`, `NaN`; no exponent).
struct Float(f64);

impl fmt::Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.0;
        if value.is_nan() {
            f.write_str("NaN")
        } else if value.is_infinite() {
            f.write_str(if value > 0.0 { "+Inf" } else { "-Inf" })
        } else {
            write!(f, "{value}")
        }
    }
}

/// A label value with `\`, `"` and newlines escaped.
struct LabelValue<'a>(&'a str);

impl fmt::Display for LabelValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The samples of `page` named `name` with their labels, as `(labels, value)`.
    fn samples<'a>(page: &'a str, name: &str) -> Vec<(&'a str, &'a str)> {
        page.lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.rsplit_once(' '))
            .filter_map(|(series, value)| {
                let (series_name, labels) = series.split_once('{').unwrap_or((series, ""));
                (series_name == name).then_some((labels.trim_end_matches('}'), value))
            })
            .collect()
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_inf_equals_count() {
        let histogram = Histogram::new(&[0.005, 0.5, 1.0]);
        for value in [0.001, 0.002, 0.3, 0.7, 4.0] {
            histogram.observe(value);
        }
        let mut page = Exposition::new();
        page.family("phala_test_seconds", "Test latency", MetricType::Histogram);
        page.histogram_samples(
            "phala_test_seconds",
            &[("method", "eth_call")],
            &histogram.snapshot(),
        );
        let page = page.finish();
        assert!(page.starts_with(
            "# HELP phala_test_seconds Test latency\n# TYPE phala_test_seconds histogram\n"
        ));
        let buckets = samples(&page, "phala_test_seconds_bucket");
        assert_eq!(
            buckets,
            vec![
                ("method=\"eth_call\",le=\"0.005\"", "2"),
                ("method=\"eth_call\",le=\"0.5\"", "3"),
                ("method=\"eth_call\",le=\"1\"", "4"),
                ("method=\"eth_call\",le=\"+Inf\"", "5"),
            ]
        );
        let counts: Vec<u64> = buckets.iter().map(|(_, value)| value.parse().unwrap()).collect();
        assert!(counts.windows(2).all(|pair| pair[0] <= pair[1]), "cumulative");
        let count = samples(&page, "phala_test_seconds_count");
        assert_eq!(count, vec![("method=\"eth_call\"", "5")]);
        assert_eq!(buckets.last().map(|(_, value)| *value), Some(count[0].1), "+Inf = count");
        let sum: f64 = samples(&page, "phala_test_seconds_sum")[0].1.parse().unwrap();
        assert!((sum - 5.003).abs() < 1e-9);
    }

    #[test]
    fn single_series_and_escaping() {
        let mut page = Exposition::new();
        page.counter("phala_x_total", "Things\\done\nsince start", 7);
        page.family("phala_y", "Y", MetricType::Gauge);
        page.sample("phala_y", &[("table", "a\"b\\c\nd")], 3);
        page.sample_f64("phala_y", &[("table", "inf")], f64::INFINITY);
        assert_eq!(
            page.finish(),
            "# HELP phala_x_total Things\\\\done\\nsince start\n# TYPE phala_x_total counter\n\
             phala_x_total 7\n# HELP phala_y Y\n# TYPE phala_y gauge\n\
             phala_y{table=\"a\\\"b\\\\c\\nd\"} 3\nphala_y{table=\"inf\"} +Inf\n"
        );
    }
}
