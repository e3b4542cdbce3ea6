//! `file PATH [--max-age D]`: a heartbeat file, for workers with no port.

use std::path::PathBuf;
use std::time::Duration;

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
        // 64-bit times on every target (crate::clock says why).
        let modified = match crate::clock::modified(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Outcome::Unhealthy("does not exist".into());
            }
            Err(e) => {
                return Outcome::Unhealthy(format!("cannot read: {}", crate::net::io_reason(&e)));
            }
        };
        let ago = crate::clock::secs(crate::clock::now() - modified);
        let shown =
            |secs: i64| humantime::format_duration(Duration::from_secs(secs.unsigned_abs()));
        // A modification time in the future (clock skew) counts as just now,
        // and says so.
        let (age, shown) = if ago < 0 {
            (Duration::ZERO, format!("{} in the future", shown(ago)))
        } else {
            (
                Duration::from_secs(ago.unsigned_abs()),
                format!("{} ago", shown(ago)),
            )
        };
        match self.max_age {
            Some(max) if age > max => Outcome::Unhealthy(format!(
                "last modified {shown}, more than {}",
                humantime::format_duration(max)
            )),
            _ => Outcome::Healthy(format!("modified {shown}")),
        }
    }
}
