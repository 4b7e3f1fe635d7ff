//! NPZ files (a zip archive of `.npy` arrays), written and read without extra dependencies.
//!
//! Writing: every member is stored uncompressed (zip method 0) with its CRC-32, which
//! `numpy.load` reads. Reading: stored members (what `numpy.savez` writes, including its zip64
//! local headers); deflated members (`numpy.savez_compressed`) are reported as unsupported. `.npy`
//! versions 1–3; dtypes `f8`, `f4`, `i8`, `i4` (either byte order), `b1` and `U` (unicode
//! strings); C or Fortran order.
//!
//! A fixture is stored as one `<tensor name>.npy` (float64) per tensor, plus `schema_version`
//! (int64 scalar), `case` (unicode scalar) and `meta` (unicode scalar: the fixture's JSON without
//! tensor data, giving each tensor's role, group, first step and doc).
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

fn u16_at(b: &[u8], i: usize) -> std::result::Result<u16, String> {
    b.get(i..i + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| "truncated zip archive".to_string())
}
fn u32_at(b: &[u8], i: usize) -> std::result::Result<u32, String> {
    b.get(i..i + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| "truncated zip archive".to_string())
}
fn u64_at(b: &[u8], i: usize) -> std::result::Result<u64, String> {
    b.get(i..i + 8)
        .map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
        .ok_or_else(|| "truncated zip archive".to_string())
}

/// The members of a zip archive (name, bytes), in archive order.
pub fn read_zip(b: &[u8]) -> std::result::Result<Vec<(String, Vec<u8>)>, String> {
    if b.len() < 22 {
        return Err("not a zip archive (too short); an .npz file is a zip of .npy files".into());
    }
    let eocd = (0..=b.len() - 22)
        .rev()
        .take(65_536 + 22)
        .find(|&i| b[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or("not a zip archive (no end-of-central-directory record)")?;
    let entries = u16_at(b, eocd + 10)? as usize;
    let mut p = u32_at(b, eocd + 16)? as usize;
    let mut out = Vec::with_capacity(entries);
    for _ in 0..entries {
        if u32_at(b, p)? != 0x0201_4b50 {
            return Err("corrupt zip central directory".into());
        }
        let method = u16_at(b, p + 10)?;
        let crc = u32_at(b, p + 16)?;
        let mut csize = u32_at(b, p + 20)? as u64;
        let mut usize_ = u32_at(b, p + 24)? as u64;
        let name_len = u16_at(b, p + 28)? as usize;
        let extra_len = u16_at(b, p + 30)? as usize;
        let comment_len = u16_at(b, p + 32)? as usize;
        let mut local = u32_at(b, p + 42)? as u64;
        let name_bytes = b
            .get(p + 46..p + 46 + name_len)
            .ok_or("truncated zip archive")?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        // Zip64 extended information: present fields replace the 0xFFFFFFFF ones, in order.
        let mut e = p + 46 + name_len;
        let end = e + extra_len;
        while e + 4 <= end {
            let id = u16_at(b, e)?;
            let len = u16_at(b, e + 2)? as usize;
            if id == 1 {
                let mut f = e + 4;
                if usize_ == 0xFFFF_FFFF {
                    usize_ = u64_at(b, f)?;
                    f += 8;
                }
                if csize == 0xFFFF_FFFF {
                    csize = u64_at(b, f)?;
                    f += 8;
                }
                if local == 0xFFFF_FFFF {
                    local = u64_at(b, f)?;
                }
            }
            e += 4 + len;
        }
        p = end + comment_len;
        let local = local as usize;
        if u32_at(b, local)? != 0x0403_4b50 {
            return Err(format!("corrupt zip local header for {name}"));
        }
        let start = local + 30 + u16_at(b, local + 26)? as usize + u16_at(b, local + 28)? as usize;
        let data = b
            .get(start..start + csize as usize)
            .ok_or_else(|| format!("truncated zip member {name}"))?;
        match method {
            0 => {}
            8 => {
                return Err(format!(
                    "member {name} is deflate-compressed (numpy.savez_compressed); write the \
                     candidate with numpy.savez (uncompressed) instead"
                ));
            }
            m => return Err(format!("member {name} uses unsupported zip method {m}")),
        }
        if csize != usize_ || crc32(data) != crc {
            return Err(format!(
                "zip member {name} is corrupt (size or CRC-32 mismatch)"
            ));
        }
        if out.iter().any(|(n, _)| *n == name) {
            return Err(format!(
                "the archive holds member {name} twice; which one is meant is ambiguous, write \
                 each array once"
            ));
        }
        out.push((name, data.to_vec()));
    }
    Ok(out)
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

fn header_field<'a>(h: &'a str, key: &str) -> std::result::Result<&'a str, String> {
    let k = format!("'{key}':");
    let i = h
        .find(&k)
        .ok_or_else(|| format!(".npy header has no '{key}'"))?;
    Ok(h[i + k.len()..].trim_start())
}

/// Parses one `.npy` file.
pub fn parse_npy(b: &[u8]) -> std::result::Result<NpyArray, String> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err("not a .npy array (bad magic)".into());
    }
    let (hlen, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 => (u32_at(b, 8)? as usize, 12),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = std::str::from_utf8(b.get(start..start + hlen).ok_or("truncated .npy header")?)
        .map_err(|_| "the .npy header is not text".to_string())?;
    let descr_txt = header_field(header, "descr")?;
    let descr = descr_txt
        .strip_prefix('\'')
        .and_then(|s| s.split('\'').next())
        .ok_or("cannot read the .npy dtype (structured dtypes are not supported)")?;
    let fortran = header_field(header, "fortran_order")?.starts_with("True");
    let shape_txt = header_field(header, "shape")?;
    let close = shape_txt.find(')').ok_or("cannot read the .npy shape")?;
    let inner = shape_txt
        .get(..close)
        .and_then(|s| s.strip_prefix('('))
        .ok_or("cannot read the .npy shape (expected a tuple such as (3, 4))")?;
    let shape: Vec<usize> = inner
        .split(',')
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| "cannot read the .npy shape".to_string())?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| format!("the .npy shape {shape:?} has more entries than memory can hold"))?;
    let body = &b[start + hlen..];
    let (order, kind, width) = {
        let mut c = descr.chars();
        let order = c.next().ok_or("empty .npy dtype")?;
        let kind = c.next().ok_or("bad .npy dtype")?;
        let width: usize = c
            .as_str()
            .parse()
            .map_err(|_| format!("bad .npy dtype {descr}"))?;
        (order, kind, width)
    };
    let big = order == '>';
    let item = if kind == 'U' {
        width
            .checked_mul(4)
            .ok_or("the .npy string dtype is too wide")?
    } else {
        width
    };
    let need = count.checked_mul(item);
    if need.is_none_or(|need| body.len() < need) {
        return Err(format!(
            ".npy data too short: shape {shape:?} of {descr} needs {} bytes, found {}",
            need.map_or("more than memory holds".to_string(), |n| n.to_string()),
            body.len()
        ));
    }
    if item == 0 {
        return Err(format!("bad .npy dtype {descr} (zero-width items)"));
    }
    let chunk = |i: usize| -> &[u8] { &body[i * item..(i + 1) * item] };
    let word = |s: &[u8]| -> Vec<u8> {
        let mut v = s.to_vec();
        if big {
            v.reverse();
        }
        v
    };
    let mut data = match (kind, width) {
        ('f', 8) => NpyData::Float(
            (0..count)
                .map(|i| f64::from_le_bytes(word(chunk(i)).try_into().expect("8")))
                .collect(),
        ),
        ('f', 4) => NpyData::Float(
            (0..count)
                .map(|i| f32::from_le_bytes(word(chunk(i)).try_into().expect("4")) as f64)
                .collect(),
        ),
        ('i', 8) => NpyData::Int(
            (0..count)
                .map(|i| i64::from_le_bytes(word(chunk(i)).try_into().expect("8")))
                .collect(),
        ),
        ('i', 4) => NpyData::Int(
            (0..count)
                .map(|i| i32::from_le_bytes(word(chunk(i)).try_into().expect("4")) as i64)
                .collect(),
        ),
        ('b', 1) => NpyData::Int((0..count).map(|i| chunk(i)[0] as i64).collect()),
        ('U', _) => NpyData::Str(
            (0..count)
                .map(|i| {
                    let c = chunk(i);
                    (0..width)
                        .map(|k| {
                            let mut w = [0u8; 4];
                            w.copy_from_slice(&c[4 * k..4 * k + 4]);
                            if big {
                                w.reverse();
                            }
                            u32::from_le_bytes(w)
                        })
                        .take_while(|&u| u != 0)
                        .filter_map(char::from_u32)
                        .collect()
                })
                .collect(),
        ),
        _ => return Err(format!("unsupported .npy dtype {descr}")),
    };
    if fortran && shape.len() > 1 {
        data = reorder_fortran(&shape, data);
    }
    Ok(NpyArray {
        dtype: descr.to_string(),
        shape,
        data,
    })
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
pub fn read_arrays(bytes: &[u8]) -> std::result::Result<BTreeMap<String, NpyArray>, String> {
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
    let mut arrays = read_arrays(bytes).map_err(bad)?;
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
