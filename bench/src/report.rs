//! The figures table every section prints into: its header and one row at a time. It lives
//! in its own file so that `main.rs`, which runs the sections, and the sections themselves
//! (`logparse.rs`, `pushlog.rs`) share it without importing each other.

/// Prints the table's header: the columns every [`row`] fills.
pub fn header() {
    println!(
        "| {:<44} | {:>16} | {:<34} | {:>16} | {:>8} |",
        "measure", "treeherd", "reference", "reference", "ratio"
    );
    println!(
        "|{:-<46}|{:-<18}|{:-<36}|{:-<18}|{:-<10}|",
        "", "", "", "", ""
    );
}

/// One line of the table: a measure and its value beside its reference and the ratio.
pub fn row(what: &str, value: String, reference: &str, reference_value: String, ratio: String) {
    println!("| {what:<44} | {value:>16} | {reference:<34} | {reference_value:>16} | {ratio:>8} |");
}
