//! CPU time spent by this process and by the children it has waited for (Linux `/proc`).
//!
//! Wall-clock rates swing with whatever else this shared machine runs; CPU time per job
//! swings much less, so the pulse section prints both.

/// Seconds of CPU (user and system) so far.
#[derive(Debug, Clone, Copy)]
pub struct CpuTime {
    /// Every thread of this process.
    pub own: f64,
    /// Children already waited for (the `sqlite3`/`psql` of the raw reference).
    pub children: f64,
}

/// Clock ticks per second of `/proc`'s times: `USER_HZ`, 100 on every Linux architecture
/// this runs on.
const TICKS: f64 = 100.0;

/// Now, or `None` off Linux.
pub fn now() -> Option<CpuTime> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    // After the name: state is field 3 of the man page, so utime (14) is index 11 here.
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    Some(CpuTime {
        own: (tick(11)? + tick(12)?) / TICKS,
        children: (tick(13)? + tick(14)?) / TICKS,
    })
}

/// CPU seconds this process spent between `before` and now.
pub fn own_since(before: Option<CpuTime>) -> Option<f64> {
    Some(now()?.own - before?.own)
}

/// CPU seconds waited-for children spent between `before` and now.
pub fn children_since(before: Option<CpuTime>) -> Option<f64> {
    Some(now()?.children - before?.children)
}
