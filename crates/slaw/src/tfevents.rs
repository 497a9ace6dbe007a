//! TensorBoard event files (`events.out.tfevents.*`, as written by
//! TensorBoard, tensorboardX and PyTorch's SummaryWriter) as a table: a
//! `step` column, a `wall_time` column and one column per scalar tag
//! (`train/loss`, `lr`, ...), a row per step; a tag not logged at a step is
//! an empty cell, as in the sparse logs of the other readers.
//!
//! The file is a sequence of TFRecords (length, masked CRC-32C of the
//! length, an `Event` protocol buffer, masked CRC-32C of the data); the
//! messages are decoded with prost from the few fields we need. Scalars come
//! as `simple_value` (tensorboardX, PyTorch) or as a rank-0 float/double
//! tensor (TensorFlow 2). Non-scalar summaries (text, histograms, images)
//! are skipped. A truncated last record — a run still writing — is ignored;
//! a corrupt record elsewhere is an error naming its index and byte offset.

use crate::error::{Error, Result};
use crate::table::Table;
use prost::Message;
use std::collections::BTreeMap;

#[derive(Clone, PartialEq, prost::Message)]
struct Event {
    #[prost(double, tag = "1")]
    wall_time: f64,
    #[prost(int64, tag = "2")]
    step: i64,
    #[prost(message, optional, tag = "5")]
    summary: Option<Summary>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Summary {
    #[prost(message, repeated, tag = "1")]
    value: Vec<SummaryValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SummaryValue {
    #[prost(string, tag = "1")]
    tag: String,
    #[prost(float, optional, tag = "2")]
    simple_value: Option<f32>,
    #[prost(message, optional, tag = "8")]
    tensor: Option<Tensor>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Tensor {
    #[prost(int32, tag = "1")]
    dtype: i32,
    #[prost(message, optional, tag = "2")]
    shape: Option<TensorShape>,
    #[prost(bytes = "vec", tag = "4")]
    content: Vec<u8>,
    #[prost(float, repeated, tag = "5")]
    float_val: Vec<f32>,
    #[prost(double, repeated, tag = "6")]
    double_val: Vec<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct TensorShape {
    #[prost(message, repeated, tag = "2")]
    dim: Vec<Dim>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Dim {
    #[prost(int64, tag = "1")]
    size: i64,
}

const DT_FLOAT: i32 = 1;
const DT_DOUBLE: i32 = 2;

impl Tensor {
    /// The value of a scalar (one element) float or double tensor.
    fn scalar(&self) -> Option<f64> {
        let elements: i64 = self
            .shape
            .as_ref()
            .map_or(1, |s| s.dim.iter().map(|d| d.size).product());
        if elements != 1 {
            return None;
        }
        match self.dtype {
            DT_FLOAT => self.float_val.first().map(|&v| v as f64).or_else(|| {
                Some(f32::from_le_bytes(self.content.get(..4)?.try_into().ok()?) as f64)
            }),
            DT_DOUBLE => self
                .double_val
                .first()
                .copied()
                .or_else(|| Some(f64::from_le_bytes(self.content.get(..8)?.try_into().ok()?))),
            _ => None,
        }
    }
}

fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Whether `bytes` start with a TFRecord whose length checksum holds (how a
/// file without the usual name is recognized).
pub fn looks_like(bytes: &[u8]) -> bool {
    bytes.len() >= 12
        && u32::from_le_bytes(bytes[8..12].try_into().unwrap()) == masked_crc(&bytes[..8])
}

/// Whether the file name is that of a TensorBoard event file.
pub fn is_event_file_name(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains("tfevents"))
}

/// The scalars of an event file as a table (see the module comment).
pub fn read(source: &str, bytes: &[u8]) -> Result<Table> {
    // step -> (first record index, wall time, tag -> value)
    type Row = (usize, f64, BTreeMap<usize, f64>);
    let mut rows: BTreeMap<i64, Row> = BTreeMap::new();
    let mut tags: Vec<String> = Vec::new();
    // Restarts: each tag's last step, the values dropped by a restart and
    // not logged again (tag, step), those logged again (tag, step, earlier,
    // later).
    let mut tag_max: Vec<i64> = Vec::new();
    let mut merged = crate::restarts::Merged::default();
    // The largest step since the last restart (a tag going back below it
    // is a new restart).
    let mut max_since = i64::MIN;
    let mut removed: BTreeMap<(usize, i64), f64> = BTreeMap::new();
    let mut relogged: Vec<(usize, i64, f64, f64)> = Vec::new();
    let mut at = 0usize;
    let mut index = 0usize;
    let bad = |index: usize, at: usize, what: &str| {
        Error::input(
            source,
            None,
            None,
            format!("record {index} (byte {at}): {what}; not a TensorBoard event file, or damaged"),
        )
    };
    while at < bytes.len() {
        index += 1;
        let rest = &bytes[at..];
        if rest.len() < 12 {
            break; // truncated header: a run still writing
        }
        let len = u64::from_le_bytes(rest[..8].try_into().unwrap());
        if u32::from_le_bytes(rest[8..12].try_into().unwrap()) != masked_crc(&rest[..8]) {
            return Err(bad(index, at, "length checksum mismatch"));
        }
        let Some(end) = usize::try_from(len).ok().and_then(|l| l.checked_add(16)) else {
            return Err(bad(index, at, "record length out of range"));
        };
        if rest.len() < end {
            break; // truncated record: a run still writing
        }
        let data = &rest[12..12 + len as usize];
        let crc = u32::from_le_bytes(rest[12 + len as usize..end].try_into().unwrap());
        if crc != masked_crc(data) {
            return Err(bad(index, at, "data checksum mismatch"));
        }
        let event = Event::decode(data).map_err(|e| bad(index, at, &e.to_string()))?;
        max_since = max_since.max(event.step);
        if let Some(summary) = event.summary {
            for v in summary.value {
                let value = v
                    .simple_value
                    .map(|x| x as f64)
                    .or_else(|| v.tensor.as_ref().and_then(Tensor::scalar));
                let Some(value) = value else { continue };
                let k = match tags.iter().position(|t| *t == v.tag) {
                    Some(k) => k,
                    None => {
                        tags.push(v.tag.clone());
                        tags.len() - 1
                    }
                };
                if tag_max.len() < tags.len() {
                    tag_max.push(i64::MIN);
                }
                // A step below one this tag was logged at: a resumed run
                // logging again from its checkpoint. Its earlier records at
                // this step and later are dropped (TensorBoard's purge of
                // orphaned data), kept aside to say what was replaced.
                if event.step < tag_max[k] {
                    // One restart for every tag that goes back with it (a
                    // tag logged less often goes back at a later record).
                    if merged.restarts.is_empty() || event.step < max_since {
                        merged.restarts.push(crate::restarts::Restart {
                            step: event.step as f64,
                            after: tag_max[k] as f64,
                            row: None,
                            record: false,
                        });
                        max_since = event.step;
                    }
                    let mut emptied = Vec::new();
                    for (&step, row) in rows.range_mut(event.step..) {
                        if let Some(old) = row.2.remove(&k) {
                            removed.insert((k, step), old);
                        }
                        if row.2.is_empty() {
                            emptied.push(step);
                        }
                    }
                    for step in emptied {
                        rows.remove(&step);
                    }
                }
                tag_max[k] = event.step;
                if let Some(old) = removed.remove(&(k, event.step)) {
                    relogged.push((k, event.step, old, value));
                }
                let row = rows
                    .entry(event.step)
                    .or_insert_with(|| (index, event.wall_time, BTreeMap::new()));
                // A step logged again without going back keeps its latest value.
                row.2.insert(k, value);
            }
        }
        at += end;
    }
    if tags.is_empty() {
        return Err(Error::input(
            source,
            None,
            None,
            format!("no scalar summaries in {index} records (is this a TensorBoard event file?)"),
        ));
    }
    for reserved in ["step", "wall_time"] {
        if tags.iter().any(|t| t == reserved) {
            return Err(Error::input(
                source,
                None,
                None,
                format!("a scalar tag is named '{reserved}', which is the reader's own column"),
            ));
        }
    }
    let mut columns = vec!["step".to_string(), "wall_time".to_string()];
    columns.extend(tags.iter().cloned());
    let mut table = Table::new(source, columns);
    table.steps = true;
    if !merged.restarts.is_empty() {
        let twice: std::collections::BTreeSet<i64> = relogged.iter().map(|r| r.1).collect();
        merged.twice = twice.len();
        merged.orphaned = removed
            .keys()
            .map(|&(_, step)| step)
            .filter(|s| !twice.contains(s))
            .collect::<std::collections::BTreeSet<i64>>()
            .len();
        for (k, tag) in tags.iter().enumerate() {
            let pairs: Vec<(f64, f64)> = relogged
                .iter()
                .filter(|r| r.0 == k)
                .map(|r| (r.2, r.3))
                .collect();
            if pairs.is_empty() {
                continue;
            }
            let kept: Vec<f64> = rows.values().filter_map(|r| r.2.get(&k).copied()).collect();
            merged.copies.push((tag.clone(), pairs, kept));
        }
        table.notes.extend(merged.note());
    }
    for (step, (record, wall, values)) in rows {
        let mut r = vec![step.to_string(), format!("{wall}")];
        r.extend((0..tags.len()).map(|k| values.get(&k).map_or(String::new(), |v| format!("{v}"))));
        table.push_row(record, r)?;
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One record around an encoded event.
    fn record(event: &Event) -> Vec<u8> {
        let data = event.encode_to_vec();
        let len = (data.len() as u64).to_le_bytes();
        let mut out = len.to_vec();
        out.extend(masked_crc(&len).to_le_bytes());
        out.extend(&data);
        out.extend(masked_crc(&data).to_le_bytes());
        out
    }

    fn scalar(step: i64, tag: &str, v: f32) -> Event {
        Event {
            wall_time: 1.0 + step as f64,
            step,
            summary: Some(Summary {
                value: vec![SummaryValue {
                    tag: tag.into(),
                    simple_value: Some(v),
                    tensor: None,
                }],
            }),
        }
    }

    #[test]
    fn tf2_tensor_scalars_and_a_truncated_last_record() {
        let mut bytes = record(&Event {
            wall_time: 0.0,
            step: 0,
            summary: None,
        });
        bytes.extend(record(&scalar(10, "loss", 3.5)));
        bytes.extend(record(&Event {
            wall_time: 2.0,
            step: 20,
            summary: Some(Summary {
                value: vec![SummaryValue {
                    tag: "loss".into(),
                    simple_value: None,
                    tensor: Some(Tensor {
                        dtype: DT_DOUBLE,
                        shape: Some(TensorShape { dim: vec![] }),
                        content: 2.25f64.to_le_bytes().to_vec(),
                        float_val: vec![],
                        double_val: vec![],
                    }),
                }],
            }),
        }));
        let whole = bytes.len();
        bytes.extend(record(&scalar(30, "loss", 1.0)));
        bytes.truncate(whole + 20);
        assert!(looks_like(&bytes));
        let t = read("ev", &bytes).unwrap();
        assert_eq!(t.columns, ["step", "wall_time", "loss"]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.text(1, 2), "2.25");
    }

    #[test]
    fn corrupt_records_and_other_files_are_clear_errors() {
        let mut bytes = record(&scalar(1, "loss", 1.0));
        let n = bytes.len();
        bytes[n - 6] ^= 0xff;
        let e = read("ev", &bytes).unwrap_err().to_string();
        assert!(e.contains("record 1") && e.contains("checksum"), "{e}");
        assert!(!looks_like(b"step,loss\n1,2\n"));
        let e = read("ev", &record(&Event::default()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no scalar summaries"), "{e}");
    }
}
