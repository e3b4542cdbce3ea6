//! `file PATH [--max-age D]`: a heartbeat file, for workers with no port.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use crate::report::CheckReport;

#[derive(Debug, Clone)]
pub struct FileCheck {
    pub path: PathBuf,
    pub max_age: Option<Duration>,
}

impl FileCheck {
    pub fn subject(&self) -> String {
        format!("file {}", self.path.display())
    }
}

pub fn check(c: &FileCheck) -> CheckReport {
    let started = Instant::now();
    let mut report = CheckReport::new(c.subject());
    match std::fs::metadata(&c.path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            report.result = "does not exist".into()
        }
        Err(e) => report.result = format!("cannot read: {}", crate::net::io_reason(&e)),
        Ok(meta) => {
            // A modification time in the future (clock skew) counts as just now.
            let age = meta
                .modified()
                .ok()
                .map(|m| SystemTime::now().duration_since(m).unwrap_or_default());
            let shown = age.map_or("an unknown time".to_string(), |a| {
                format!(
                    "{} ago",
                    humantime::format_duration(Duration::from_secs(a.as_secs()))
                )
            });
            match (c.max_age, age) {
                (Some(max), Some(age)) if age > max => {
                    report.result = format!(
                        "last modified {shown}, more than {}",
                        humantime::format_duration(max)
                    );
                }
                (Some(_), None) => report.result = "has no modification time".into(),
                _ => {
                    report.healthy = true;
                    report.result = format!("modified {shown}");
                }
            }
        }
    }
    report.elapsed = started.elapsed();
    report
}
