//! `file PATH [--max-age D]`: a heartbeat file, for workers with no port.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::deadline::Deadline;
use crate::probe::{Notes, Outcome, Probe};

#[derive(Debug, Clone)]
pub struct FileCheck {
    pub path: PathBuf,
    pub max_age: Option<Duration>,
}

impl Probe for FileCheck {
    fn subject(&self) -> String {
        format!("file {}", self.path.display())
    }

    fn probe(&self, _: &Deadline, _: &mut Notes) -> Outcome {
        let meta = match std::fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Outcome::Unhealthy("does not exist".into());
            }
            Err(e) => {
                return Outcome::Unhealthy(format!("cannot read: {}", crate::net::io_reason(&e)));
            }
        };
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
        match (self.max_age, age) {
            (Some(max), Some(age)) if age > max => Outcome::Unhealthy(format!(
                "last modified {shown}, more than {}",
                humantime::format_duration(max)
            )),
            (Some(_), None) => Outcome::Unhealthy("has no modification time".into()),
            _ => Outcome::Healthy(format!("modified {shown}")),
        }
    }
}
