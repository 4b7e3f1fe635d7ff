//! NPZ files (a zip archive of `.npy` arrays).
//!
//! Writing: every member is stored uncompressed (zip method 0) with its CRC-32, which
//! `numpy.load` reads. Reading uses maintained crates: `zip` for the archive (stored and deflated
//! members, i.e. `numpy.savez` and `numpy.savez_compressed`, zip64 included, CRC-checked, with a
//! cap on the inflated size) and `npyz` for the `.npy` headers and data (versions 1–3; float,
//! integer, boolean and unicode dtypes in either byte order; C or Fortran order). Duplicate
//! members are refused.
//!
//! A fixture is stored as one `<tensor name>.npy` (float64) per tensor, plus `schema_version`
//! (int64 scalar), `case` (unicode scalar) and `meta` (unicode scalar: the fixture's JSON without
//! tensor data, giving each tensor's role, group, first step and doc).
use super::error::Malformed;
use super::fixture::{Fixture, Tensor};
use crate::error::{LroError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// CRC-32 (IEEE 802.3, as zip uses).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc = table[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc ^ 0xFFFF_FFFF
}

fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_txt = match dims.len() {
        0 => "()".to_string(),
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // Pad so that magic (6) + version (2) + length (2) + header is a multiple of 64, ending in \n.
    let total = 10 + dict.len() + 1;
    dict.push_str(&" ".repeat((64 - total % 64) % 64));
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// A float64 `.npy` file (C order).
pub fn npy_f64(shape: &[usize], data: &[f64]) -> Vec<u8> {
    let mut out = npy_header("<f8", shape);
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// An int64 scalar `.npy` file.
pub fn npy_i64_scalar(v: i64) -> Vec<u8> {
    let mut out = npy_header("<i8", &[]);
    out.extend_from_slice(&v.to_le_bytes());
    out
}

/// A unicode scalar `.npy` file (`<U{len}`, UTF-32LE).
pub fn npy_str_scalar(s: &str) -> Vec<u8> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = npy_header(&format!("<U{}", chars.len().max(1)), &[]);
    for c in &chars {
        out.extend_from_slice(&(*c as u32).to_le_bytes());
    }
    if chars.is_empty() {
        out.extend_from_slice(&[0; 4]);
    }
    out
}

/// A zip archive with stored (uncompressed) members.
pub fn zip_store(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let size = data.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&0u16.to_le_bytes()); // method: stored
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra length
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Largest total of decompressed member bytes read from one archive by default (a guard against
/// archives that inflate far beyond their size).
pub const MAX_INFLATED_BYTES: u64 = 2 << 30;

/// The members of a zip archive (name, bytes), in archive order: stored or deflated members
/// (`numpy.savez` and `numpy.savez_compressed`), zip64 included, each CRC-checked; at most
/// `max_total` decompressed bytes in all.
pub fn read_zip_limited(
    b: &[u8],
    max_total: u64,
) -> std::result::Result<Vec<(String, Vec<u8>)>, Malformed> {
    use std::io::Read;
    let mut ar = zip::ZipArchive::new(std::io::Cursor::new(b)).map_err(|e| {
        format!("not a readable zip archive ({e}); an .npz file is a zip of .npy files")
    })?;
    // The zip crate indexes members by name and keeps one of each; the end-of-central-directory
    // record counts them all, so a difference means a name occurs twice.
    if let Some(declared) = declared_entries(b)
        && declared != ar.len()
    {
        return Err(Malformed(format!(
            "the archive declares {declared} members but holds {} distinct names: a member \
             occurs twice; which one is meant is ambiguous, write each array once",
            ar.len()
        )));
    }
    let mut out: Vec<(String, Vec<u8>)> = Vec::with_capacity(ar.len().min(4096));
    let mut total = 0u64;
    for i in 0..ar.len() {
        let mut f = ar
            .by_index(i)
            .map_err(|e| format!("zip member {i} cannot be read: {e}"))?;
        let name = f
            .name()
            .map_err(|e| format!("zip member {i} has an unreadable name ({e})"))?
            .to_string();
        if out.iter().any(|(n, _)| *n == name) {
            return Err(Malformed(format!(
                "the archive holds member {name} twice; which one is meant is ambiguous, write \
                 each array once"
            )));
        }
        let budget = max_total.saturating_sub(total);
        let mut data = Vec::new();
        (&mut f)
            .take(budget.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| format!("zip member {name} is corrupt ({e}; size or CRC-32 mismatch)"))?;
        if data.len() as u64 > budget {
            return Err(Malformed(format!(
                "zip member {name} inflates past {max_total} bytes in all; the archive is too \
                 large (or a zip bomb)"
            )));
        }
        total += data.len() as u64;
        out.push((name, data));
    }
    Ok(out)
}

/// The member count of the end-of-central-directory record (None when absent or zip64-sized).
fn declared_entries(b: &[u8]) -> Option<usize> {
    if b.len() < 22 {
        return None;
    }
    let lo = b.len().saturating_sub(65_536 + 22);
    let eocd = (lo..=b.len() - 22)
        .rev()
        .find(|&i| b[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])?;
    let n = u16::from_le_bytes([b[eocd + 10], b[eocd + 11]]);
    (n != 0xFFFF).then_some(n as usize)
}

/// [`read_zip_limited`] with [`MAX_INFLATED_BYTES`].
pub fn read_zip(b: &[u8]) -> std::result::Result<Vec<(String, Vec<u8>)>, Malformed> {
    read_zip_limited(b, MAX_INFLATED_BYTES)
}

/// The values of a parsed `.npy` array.
#[derive(Clone, Debug, PartialEq)]
pub enum NpyData {
    /// Floating-point values (f8 or f4), as f64.
    Float(Vec<f64>),
    /// Integer or boolean values, as i64.
    Int(Vec<i64>),
    /// Unicode strings.
    Str(Vec<String>),
}

/// A parsed `.npy` array: shape and values in C order.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// The dtype as the header writes it (e.g. `<f8`, `<f4`, `<i8`, `|b1`).
    pub dtype: String,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Values, C order.
    pub data: NpyData,
}

/// Parses one `.npy` file (versions 1–3; dtypes `f8`, `f4`, signed and unsigned integers,
/// `b1`, `U`; either byte order; C or Fortran order).
pub fn parse_npy(b: &[u8]) -> std::result::Result<NpyArray, Malformed> {
    use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar};
    precheck_header(b)?;
    let mut cursor = std::io::Cursor::new(b);
    let header = NpyHeader::from_reader(&mut cursor)
        .map_err(|e| format!("not a readable .npy array ({e})"))?;
    let body = &b[cursor.position() as usize..];
    let npy = NpyFile::with_header(header, body);
    let DType::Plain(ts) = npy.dtype() else {
        return Err("structured .npy dtypes are not supported; store plain arrays".into());
    };
    let descr = ts.to_string();
    let shape: Vec<usize> = npy
        .shape()
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| format!("the .npy shape {:?} does not fit in memory", npy.shape()))?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| format!("the .npy shape {shape:?} has more entries than memory can hold"))?;
    let item = ts
        .num_bytes()
        .ok_or_else(|| format!("the .npy dtype {descr} is too wide"))?;
    let need = count.checked_mul(item);
    if need.is_none_or(|need| body.len() < need) {
        return Err(format!(
            ".npy data too short: shape {shape:?} of {descr} needs {} bytes, found {}",
            need.map_or("more than memory holds".to_string(), |n| n.to_string()),
            body.len()
        )
        .into());
    }
    let fortran = npy.order() == Order::Fortran;
    let bad = |e: std::io::Error| format!("cannot read the .npy data of dtype {descr}: {e}");
    let floats = |v: Vec<f64>| NpyData::Float(v);
    let ints = |v: Vec<i64>| NpyData::Int(v);
    let mut data = match (ts.type_char(), item) {
        (TypeChar::Float, 8) => floats(npy.into_vec::<f64>().map_err(bad)?),
        (TypeChar::Float, 4) => floats(
            npy.into_vec::<f32>()
                .map_err(bad)?
                .into_iter()
                .map(f64::from)
                .collect(),
        ),
        (TypeChar::Int, 8) => ints(npy.into_vec::<i64>().map_err(bad)?),
        (TypeChar::Int, 4) => ints(conv(npy.into_vec::<i32>().map_err(bad)?)),
        (TypeChar::Int, 2) => ints(conv(npy.into_vec::<i16>().map_err(bad)?)),
        (TypeChar::Int, 1) => ints(conv(npy.into_vec::<i8>().map_err(bad)?)),
        (TypeChar::Uint, 4) => ints(conv(npy.into_vec::<u32>().map_err(bad)?)),
        (TypeChar::Uint, 2) => ints(conv(npy.into_vec::<u16>().map_err(bad)?)),
        (TypeChar::Uint, 1) => ints(conv(npy.into_vec::<u8>().map_err(bad)?)),
        (TypeChar::Bool, 1) => ints(conv(npy.into_vec::<bool>().map_err(bad)?)),
        (TypeChar::UnicodeStr, _) => NpyData::Str(npy.into_vec::<String>().map_err(bad)?),
        _ => {
            return Err(format!(
                "unsupported .npy dtype {descr}; store tensors as float64 or float32"
            )
            .into());
        }
    };
    if fortran && shape.len() > 1 {
        data = reorder_fortran(&shape, data);
    }
    Ok(NpyArray {
        dtype: descr,
        shape,
        data,
    })
}

/// Refuses a header whose shape has more entries, or whose `U` dtype more bytes per entry, than
/// `usize` holds, before `npyz` multiplies them unchecked (an overflow panic in builds with
/// overflow checks). Anything it cannot read is left to `npyz`, which reports it.
fn precheck_header(b: &[u8]) -> std::result::Result<(), Malformed> {
    let Some(major) = b.get(6).copied() else {
        return Ok(());
    };
    let (start, len) = match major {
        1 => (
            10usize,
            b.get(8..10)
                .map(|x| u16::from_le_bytes([x[0], x[1]]) as usize),
        ),
        _ => (
            12,
            b.get(8..12)
                .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as usize),
        ),
    };
    let Some(text) = len
        .and_then(|len| b.get(start..start.checked_add(len)?))
        .and_then(|h| std::str::from_utf8(h).ok())
    else {
        return Ok(());
    };
    let too_big = |what: String| Err(Malformed::from(what));
    if let Some(dims) = text
        .split_once("'shape'")
        .and_then(|(_, rest)| rest.split_once('(')?.1.split_once(')'))
        .map(|(inside, _)| inside)
    {
        let mut count: Option<u64> = Some(1);
        for d in dims.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            if let Ok(d) = d.parse::<u64>() {
                count = count.and_then(|c| c.checked_mul(d));
            }
        }
        if count.is_none_or(|c| usize::try_from(c).is_err()) {
            return too_big(format!(
                "the .npy shape ({dims}) has more entries than memory can hold"
            ));
        }
    }
    if let Some(width) = text
        .split_once("'descr'")
        .and_then(|(_, rest)| rest.split_once('\'')?.1.split_once('\''))
        .and_then(|(descr, _)| descr.split_once('U'))
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
    {
        let fits = width
            .parse::<u64>()
            .ok()
            .and_then(|w| w.checked_mul(4))
            .is_some_and(|bytes| usize::try_from(bytes).is_ok());
        if !fits {
            return too_big(format!("the .npy dtype U{width} is too wide"));
        }
    }
    Ok(())
}

fn conv<T: Into<i64>>(v: Vec<T>) -> Vec<i64> {
    v.into_iter().map(Into::into).collect()
}

/// Converts Fortran-order values to C order.
fn reorder_fortran(shape: &[usize], data: NpyData) -> NpyData {
    let count: usize = shape.iter().product();
    let perm: Vec<usize> = (0..count)
        .map(|c_index| {
            // Multi-index from the C-order position, then its Fortran-order position.
            let mut rem = c_index;
            let mut idx = vec![0; shape.len()];
            for k in (0..shape.len()).rev() {
                idx[k] = rem % shape[k];
                rem /= shape[k];
            }
            let mut f = 0;
            for k in (0..shape.len()).rev() {
                f = f * shape[k] + idx[k];
            }
            f
        })
        .collect();
    fn pick<T: Clone>(v: Vec<T>, perm: &[usize]) -> Vec<T> {
        perm.iter().map(|&i| v[i].clone()).collect()
    }
    match data {
        NpyData::Float(v) => NpyData::Float(pick(v, &perm)),
        NpyData::Int(v) => NpyData::Int(pick(v, &perm)),
        NpyData::Str(v) => NpyData::Str(pick(v, &perm)),
    }
}

/// Per-tensor metadata kept in the `meta` member.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaTensor {
    role: super::fixture::Role,
    group: String,
    first_step: Option<usize>,
    doc: String,
    shape: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    f64_error: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    batch_axis: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    schema_version: u32,
    case: String,
    description: String,
    conventions: super::conventions::Conventions,
    #[serde(default)]
    provenance: super::fixture::Provenance,
    tensors: BTreeMap<String, MetaTensor>,
}

/// Names an NPZ may hold besides tensors.
pub const RESERVED: [&str; 3] = ["schema_version", "case", "meta"];

/// Serialises a fixture as NPZ bytes.
pub fn write_fixture(f: &Fixture) -> Result<Vec<u8>> {
    let meta = Meta {
        schema_version: f.schema_version,
        case: f.case.clone(),
        description: f.description.clone(),
        conventions: f.conventions.clone(),
        provenance: f.provenance.clone(),
        tensors: f
            .tensors
            .iter()
            .map(|(k, t)| {
                (
                    k.clone(),
                    MetaTensor {
                        role: t.role,
                        group: t.group.clone(),
                        first_step: t.first_step,
                        doc: t.doc.clone(),
                        shape: t.shape.clone(),
                        f64_error: t.f64_error,
                        batch_axis: t.batch_axis,
                    },
                )
            })
            .collect(),
    };
    let meta_json =
        serde_json::to_string(&meta).map_err(|e| LroError::Unsupported(e.to_string()))?;
    let mut members = vec![
        (
            "schema_version.npy".to_string(),
            npy_i64_scalar(f.schema_version as i64),
        ),
        ("case.npy".to_string(), npy_str_scalar(&f.case)),
        ("meta.npy".to_string(), npy_str_scalar(&meta_json)),
    ];
    for (name, t) in &f.tensors {
        if RESERVED.contains(&name.as_str()) {
            return Err(LroError::InvalidParameter {
                name: format!("tensor {name}"),
                reason: "the name is reserved in NPZ files".into(),
            });
        }
        members.push((format!("{name}.npy"), npy_f64(&t.shape, &t.data)));
    }
    Ok(zip_store(&members))
}

/// The arrays of an NPZ file by key (member name without `.npy`).
pub fn read_arrays(bytes: &[u8]) -> std::result::Result<BTreeMap<String, NpyArray>, Malformed> {
    let mut out = BTreeMap::new();
    for (name, data) in read_zip(bytes)? {
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        let arr = parse_npy(&data).map_err(|e| format!("member {name}: {e}"))?;
        out.insert(key, arr);
    }
    Ok(out)
}

fn scalar_str(a: &NpyArray) -> Option<String> {
    match &a.data {
        NpyData::Str(v) if v.len() == 1 => Some(v[0].clone()),
        _ => None,
    }
}

/// Reads a fixture written by [`write_fixture`].
pub fn read_fixture(bytes: &[u8]) -> Result<Fixture> {
    let bad = |reason: String| LroError::InvalidParameter {
        name: "fixture NPZ".into(),
        reason,
    };
    let mut arrays = read_arrays(bytes).map_err(|e| bad(e.0))?;
    let meta_txt = arrays
        .remove("meta")
        .as_ref()
        .and_then(scalar_str)
        .ok_or_else(|| bad("no 'meta' string member: not an lro fixture".into()))?;
    let meta: Meta = serde_json::from_str(&meta_txt).map_err(|e| bad(format!("meta: {e}")))?;
    let mut tensors = BTreeMap::new();
    for (name, mt) in meta.tensors {
        let arr = arrays
            .remove(&name)
            .ok_or_else(|| bad(format!("tensor {name} listed in meta is missing")))?;
        let NpyData::Float(data) = arr.data else {
            return Err(bad(format!("tensor {name} is not a float array")));
        };
        if arr.shape != mt.shape {
            return Err(bad(format!(
                "tensor {name} has shape {:?}, meta says {:?}",
                arr.shape, mt.shape
            )));
        }
        tensors.insert(
            name,
            Tensor {
                role: mt.role,
                group: mt.group,
                first_step: mt.first_step,
                doc: mt.doc,
                shape: mt.shape,
                data,
                f64_error: mt.f64_error,
                batch_axis: mt.batch_axis,
            },
        );
    }
    let f = Fixture {
        schema_version: meta.schema_version,
        case: meta.case,
        description: meta.description,
        conventions: meta.conventions,
        provenance: meta.provenance,
        tensors,
    };
    f.validate()?;
    Ok(f)
}
