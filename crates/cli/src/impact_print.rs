//! The impact report as text, JSON and markdown (a pull-request comment): three printers
//! over one `impact::Report`.

use impact::{Change, DbtImpact, HexImpact, NodeChange, Reason, Report};
use serde::Serialize;
use std::fmt::Write;

/// The JSON document: the report and what was compared.
#[derive(Serialize)]
struct Output<'a> {
    input: &'a str,
    #[serde(flatten)]
    report: &'a Report,
}

/// One JSON object.
pub fn json(report: &Report, input: &str) -> serde_json::Result<String> {
    let mut out = serde_json::to_string_pretty(&Output { input, report })?;
    out.push('\n');
    Ok(out)
}

/// For a terminal.
pub fn text(report: &Report, input: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "downstream impact of {input}, against the synced project of {}",
        report.connection
    );
    let _ = writeln!(out, "{}", summary(report));
    section(&mut out, "Changed dbt nodes", report.changes.len());
    for c in &report.changes {
        let _ = writeln!(out, "  {}", describe_change(c, false));
    }
    let broken: Vec<&HexImpact> = report.broken().collect();
    section(&mut out, "BREAKING Hex cells", broken.len());
    for h in broken {
        hex_lines(&mut out, h);
    }
    let affected: Vec<&HexImpact> = report.affected().collect();
    section(&mut out, "Affected Hex cells, not broken", affected.len());
    for h in affected {
        hex_lines(&mut out, h);
    }
    section(&mut out, "dbt nodes downstream", report.dbt.len());
    for d in &report.dbt {
        let _ = writeln!(out, "  {}", describe_dbt(d));
    }
    section(&mut out, "Notes", report.notes.len());
    for n in &report.notes {
        let _ = writeln!(out, "  - {n}");
    }
    out
}

fn section(out: &mut String, title: &str, count: usize) {
    if count > 0 {
        let _ = writeln!(out, "\n{title} ({count}):");
    }
}

fn hex_lines(out: &mut String, h: &HexImpact) {
    let mark = if h.breaking { "✗" } else { "-" };
    let _ = writeln!(
        out,
        "  {mark} {} ({}){}",
        hex_name(h),
        liveness(h),
        h.url
            .as_deref()
            .map(|u| format!(" {u}"))
            .unwrap_or_default()
    );
    for r in &h.reasons {
        let _ = writeln!(out, "      {}", describe_reason(r, false));
    }
}

fn hex_name(h: &HexImpact) -> String {
    match &h.cell {
        Some(cell) => format!("{} / {cell}", h.project),
        None => format!("{} (the project)", h.project),
    }
}

fn liveness(h: &HexImpact) -> &'static str {
    if h.live {
        "live"
    } else {
        "stale"
    }
}

/// One line counting what breaks and what is affected.
fn summary(report: &Report) -> String {
    let broken: Vec<&HexImpact> = report.broken().collect();
    let projects = |list: &[&HexImpact]| {
        let mut ids: Vec<&str> = list.iter().map(|h| h.project_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    let affected: Vec<&HexImpact> = report.affected().collect();
    let broken_dbt = report.dbt.iter().filter(|d| d.breaking).count();
    let head = if broken.is_empty() && broken_dbt == 0 {
        "nothing downstream breaks".to_string()
    } else {
        let mut parts = Vec::new();
        if !broken.is_empty() {
            parts.push(format!(
                "{} in {} break",
                plural(broken.len(), "Hex cell"),
                plural(projects(&broken), "project")
            ));
        }
        if broken_dbt > 0 {
            parts.push(format!(
                "{} read a removed node",
                plural(broken_dbt, "dbt node")
            ));
        }
        parts.join("; ")
    };
    let other = if broken.is_empty() {
        "Hex cell"
    } else {
        "other Hex cell"
    };
    format!(
        "{head}: {} changed, {} affected, {} downstream",
        plural(report.changes.len(), "dbt node"),
        plural(affected.len(), other),
        plural(report.dbt.len(), "dbt node")
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn describe_change(c: &NodeChange, md: bool) -> String {
    let q = |s: &str| code(s, md);
    let mut parts = Vec::new();
    if !c.renamed.is_empty() {
        let list: Vec<String> = c
            .renamed
            .iter()
            .map(|r| format!("{} → {}", q(&r.from), q(&r.to)))
            .collect();
        parts.push(format!("renamed {}", list.join(", ")));
    }
    for (word, list) in [("dropped", &c.dropped), ("added", &c.added)] {
        if !list.is_empty() {
            let list: Vec<String> = list.iter().map(|s| q(s)).collect();
            parts.push(format!("{word} {}", list.join(", ")));
        }
    }
    let what = match c.change {
        Change::Removed => "removed",
        Change::Modified => "modified",
    };
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join("; "))
    };
    format!("{} ({}, {what}){detail}", q(&c.name), c.kind)
}

fn describe_reason(r: &Reason, md: bool) -> String {
    let q = |s: &str| code(s, md);
    let column = r.column.as_deref().unwrap_or_default();
    let what = match (r.change, &r.renamed_to) {
        ("renamed", Some(to)) => format!(
            "{} renamed to {}",
            q(&format!("{}.{column}", r.node)),
            q(to)
        ),
        ("dropped", _) => format!("{} dropped", q(&format!("{}.{column}", r.node))),
        (word, _) => format!("{} {word}", q(&r.node)),
    };
    let uses = r
        .uses
        .as_deref()
        .map(|u| format!("uses {}: ", q(u)))
        .unwrap_or_default();
    if !r.breaking && r.through == [r.node.clone()] {
        return format!("reads {what}");
    }
    if !r.breaking && !r.through.is_empty() {
        let reads: Vec<String> = r.through.iter().map(|s| q(s)).collect();
        return format!("reads {}, downstream of {what}", reads.join(", "));
    }
    let through = if r.through.is_empty() {
        String::new()
    } else {
        format!(", through {}", join_code(&r.through, md))
    };
    format!("{uses}{what}{through}")
}

fn describe_dbt(d: &DbtImpact) -> String {
    let mut line = format!("{} ({}, {} away)", d.name, d.kind, d.depth);
    if d.breaking {
        line.push_str(": reads a removed node");
    }
    if !d.columns.is_empty() {
        let _ = write!(line, "  {}", d.columns.join("; "));
    }
    line
}

fn join_code(list: &[String], md: bool) -> String {
    list.iter()
        .map(|s| code(s, md))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn code(s: &str, md: bool) -> String {
    if md {
        format!("`{}`", s.replace('`', "'"))
    } else {
        s.to_string()
    }
}

/// A pull-request comment: a summary line, a table of broken Hex cells, and collapsible
/// details of the changes, the affected cells and the dbt nodes downstream.
pub fn markdown(report: &Report, input: &str) -> String {
    let mut out = String::new();
    let icon = if report.breaking { "❌" } else { "✅" };
    let _ = writeln!(
        out,
        "### downstream impact {icon} {}\n",
        cell(&summary(report))
    );
    let _ = writeln!(
        out,
        "Compared {} with the synced project of `{}`.\n",
        cell(input),
        report.connection
    );
    let broken: Vec<&HexImpact> = report.broken().collect();
    if !broken.is_empty() {
        hex_table(&mut out, &broken, "Breaks because");
        out.push('\n');
    }
    details(&mut out, "Changed dbt nodes", report.changes.len(), |out| {
        for c in &report.changes {
            let _ = writeln!(out, "- {}", cell(&describe_change(c, true)));
        }
    });
    let affected: Vec<&HexImpact> = report.affected().collect();
    details(
        &mut out,
        "Affected Hex cells that do not break",
        affected.len(),
        |out| {
            hex_table(out, &affected, "Affected because");
        },
    );
    details(&mut out, "Affected dbt nodes", report.dbt.len(), |out| {
        let _ = writeln!(
            out,
            "| dbt node | Kind | Distance | Columns from changed ones |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for d in &report.dbt {
            let name = if d.breaking {
                format!("`{}` (reads a removed node)", d.name)
            } else {
                format!("`{}`", d.name)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&name),
                d.kind,
                d.depth,
                cell(&d.columns.join("; "))
            );
        }
    });
    details(&mut out, "Notes", report.notes.len(), |out| {
        for n in &report.notes {
            let _ = writeln!(out, "- {}", cell(n));
        }
    });
    out
}

fn hex_table(out: &mut String, list: &[&HexImpact], why: &str) {
    let _ = writeln!(out, "| Hex project | Cell | Status | {why} |");
    let _ = writeln!(out, "|---|---|---|---|");
    for h in list {
        let project = match &h.url {
            Some(url) => format!("[{}]({})", cell(&h.project), url.replace(')', "%29")),
            None => cell(&h.project),
        };
        let reasons: Vec<String> = h
            .reasons
            .iter()
            .filter(|r| r.breaking == h.breaking)
            .map(|r| cell(&describe_reason(r, true)))
            .collect();
        let _ = writeln!(
            out,
            "| {project} | {} | {} | {} |",
            cell(h.cell.as_deref().unwrap_or("(the project)")),
            liveness(h),
            reasons.join("<br>")
        );
    }
}

fn details(out: &mut String, title: &str, count: usize, body: impl FnOnce(&mut String)) {
    if count == 0 {
        return;
    }
    let _ = writeln!(out, "<details><summary>{title} ({count})</summary>\n");
    body(out);
    let _ = writeln!(out, "\n</details>\n");
}

/// Text safe inside a markdown table cell: no pipes, no line breaks, no raw HTML.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
