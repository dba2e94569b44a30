//! Reading the measured RTT matrix and the region mapping used by `planetsim calibrate`.
//!
//! Both are small CSV files without quoting: the matrix's first row is `source,<code>,…` and
//! each row `<code>,<ms>,…`; the mapping is `gcp_region,region,note` with `region` empty for
//! measured regions the topology does not model.

use super::diagnostic::{Diagnostic, LoadError, did_you_mean};
use crate::world::calibration::MeasuredRtt;
use crate::world::{RegionId, Topology};
use std::path::Path;

fn at(file: &Path, line: usize, column: usize, message: String) -> Diagnostic {
    let mut diagnostic = Diagnostic::whole_file(file, message);
    diagnostic.line = line as u64;
    diagnostic.column = column as u64;
    diagnostic
}

fn read(file: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(file).map_err(|e| Diagnostic::whole_file(file, format!("cannot read the file: {e}")).into())
}

pub fn load_measured(file: &Path) -> Result<MeasuredRtt, LoadError> {
    let text = read(file)?;
    let mut lines = text.lines();
    let header = lines.next().ok_or_else(|| LoadError::from(Diagnostic::whole_file(file, "the file is empty")))?;
    let codes: Vec<String> = header.split(',').skip(1).map(|c| c.trim().to_string()).collect();
    let n = codes.len();
    let mut ms = vec![None; n * n];
    let mut problems = Vec::new();
    for (row_index, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line_no = row_index + 2;
        let cells: Vec<&str> = line.split(',').collect();
        let Some(row) = codes.iter().position(|c| c == cells[0].trim()) else {
            problems.push(at(file, line_no, 1, format!("row `{}` is not among the header's regions", cells[0])));
            continue;
        };
        if cells.len() != n + 1 {
            problems.push(at(file, line_no, 1, format!("{} cells, expected {}", cells.len(), n + 1)));
            continue;
        }
        let mut column = cells[0].len() + 2;
        for (col, cell) in cells[1..].iter().enumerate() {
            match cell.trim() {
                "" => {}
                value => match value.parse::<f64>() {
                    Ok(v) if v.is_finite() && v >= 0.0 => ms[row * n + col] = Some(v),
                    _ => problems.push(at(file, line_no, column, format!("`{value}` is not a round-trip time in ms"))),
                },
            }
            column += cell.len() + 1;
        }
    }
    if problems.is_empty() { Ok(MeasuredRtt { codes, ms }) } else { Err(LoadError { diagnostics: problems }) }
}

/// Maps each measured region code to a topology region (or to none).
pub fn load_mapping(file: &Path, measured: &MeasuredRtt, topology: &Topology) -> Result<Vec<Option<RegionId>>, LoadError> {
    let text = read(file)?;
    let mut mapping = vec![None; measured.codes.len()];
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.splitn(3, ',').collect();
        let (code, region) = (cells[0].trim(), cells.get(1).map_or("", |r| r.trim()));
        let Some(slot) = measured.codes.iter().position(|c| c == code) else {
            problems.push(at(file, index + 1, 1, format!("`{code}` is not in the measured matrix")));
            continue;
        };
        if region.is_empty() {
            continue;
        }
        match topology.region_by_id(region) {
            Some(id) => mapping[slot] = Some(id),
            None => {
                let mut diagnostic =
                    at(file, index + 1, code.len() + 2, format!("unknown region `{region}` in topology `{}`", topology.name));
                diagnostic.suggestion = did_you_mean(region, topology.regions.iter().map(|r| r.id.as_str()));
                problems.push(diagnostic);
            }
        }
    }
    if problems.is_empty() { Ok(mapping) } else { Err(LoadError { diagnostics: problems }) }
}
