//! A progress bar on stderr: resource types done of all, and objects read. Shown only when
//! asked for and stderr is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    objects: AtomicU64,
}

impl Progress {
    pub fn new(wanted: bool, types: usize) -> Self {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(types as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} reading the cluster: {pos}/{len} resource types, {msg} [{elapsed}]",
            ) {
                bar.set_style(style);
            }
            bar.set_message("0 objects");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            objects: AtomicU64::new(0),
        }
    }

    pub fn add_type(&self) {
        if let Some(bar) = &self.bar {
            bar.inc_length(1);
        }
    }

    pub fn type_done(&self, objects: usize) {
        let total = self.objects.fetch_add(objects as u64, Ordering::Relaxed) + objects as u64;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("{total} objects"));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
