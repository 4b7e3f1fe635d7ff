//! Fixture round trips: JSON and NPZ give back every bit; the NPZ reader handles what numpy
//! writes (Fortran order, unicode scalars) and refuses what it cannot read, saying why.
use lro::oracle::fixture::{Fixture, Role, SCHEMA_VERSION, TensorSet};
use lro::oracle::npz::{self, NpyData};
use lro::oracle::{cases, conventions, json};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[test]
fn every_builtin_round_trips_exactly_through_json_and_npz() {
    for name in cases::builtin_names() {
        let f = cases::builtin(name).unwrap().build().unwrap();
        assert_eq!(f.schema_version, SCHEMA_VERSION);
        assert!(cases::description(name).is_some());
        let back = json::read_fixture(&json::write_fixture(&f).unwrap()).unwrap();
        assert_eq!(back, f, "JSON round trip of {name}");
        let back = npz::read_fixture(&npz::write_fixture(&f).unwrap()).unwrap();
        assert_eq!(back, f, "NPZ round trip of {name}");
    }
}

fn finite_f64() -> impl Strategy<Value = f64> {
    // Every class of finite double, including subnormals and the extremes, where a printer that
    // is not shortest-round-trip or a parser that is not correctly rounded loses bits.
    prop_oneof![
        prop::num::f64::NORMAL,
        prop::num::f64::SUBNORMAL,
        prop::num::f64::ZERO,
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(-f64::MAX),
        Just(0.1),
        Just(1.0 / 3.0),
    ]
}

fn fixture_with(tensors: Vec<(Vec<usize>, Vec<f64>)>) -> Fixture {
    let mut ts = TensorSet::default();
    for (i, (shape, data)) in tensors.into_iter().enumerate() {
        ts.add(
            &format!("t{i}.x"),
            Role::State,
            "forward",
            Some(1),
            "test tensor",
            shape,
            data,
        )
        .unwrap();
    }
    Fixture {
        schema_version: SCHEMA_VERSION,
        case: "prop".into(),
        description: "random tensors".into(),
        conventions: conventions::lro("identity", false, BTreeMap::new(), BTreeMap::new()),
        provenance: Default::default(),
        tensors: ts.tensors,
    }
}

fn tensor() -> impl Strategy<Value = (Vec<usize>, Vec<f64>)> {
    prop::collection::vec(1usize..4, 0..4).prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        (Just(shape), prop::collection::vec(finite_f64(), n))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_finite_values_round_trip_bit_for_bit(ts in prop::collection::vec(tensor(), 1..5)) {
        let f = fixture_with(ts);
        let j = json::read_fixture(&json::write_fixture(&f).unwrap()).unwrap();
        let z = npz::read_fixture(&npz::write_fixture(&f).unwrap()).unwrap();
        for (name, t) in &f.tensors {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&j.tensors[name].data), bits(&t.data));
            prop_assert_eq!(bits(&z.tensors[name].data), bits(&t.data));
            prop_assert_eq!(&z.tensors[name].shape, &t.shape);
        }
    }
}

#[test]
fn crc32_has_the_standard_check_value() {
    // The CRC-32/ISO-HDLC check value of "123456789" (every CRC catalogue lists 0xCBF43926).
    assert_eq!(npz::crc32(b"123456789"), 0xCBF4_3926);
}

fn npy_with_header(dict: &str, payload: &[u8]) -> Vec<u8> {
    let mut h = dict.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(payload);
    out
}

#[test]
fn fortran_order_arrays_are_read_in_c_order() {
    // The 2x3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column (what numpy writes for a
    // transposed array): 1 4 2 5 3 6.
    let payload: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let bytes = npy_with_header(
        "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
        &payload,
    );
    let a = npz::parse_npy(&bytes).unwrap();
    assert_eq!(a.shape, vec![2, 3]);
    assert_eq!(a.data, NpyData::Float(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
}

#[test]
fn big_endian_and_single_precision_arrays_are_converted() {
    let payload: Vec<u8> = [1.5f64, -2.0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let a = npz::parse_npy(&npy_with_header(
        "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }",
        &payload,
    ))
    .unwrap();
    assert_eq!(a.data, NpyData::Float(vec![1.5, -2.0]));
    let payload: Vec<u8> = [0.25f32].iter().flat_map(|v| v.to_le_bytes()).collect();
    let a = npz::parse_npy(&npy_with_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
        &payload,
    ))
    .unwrap();
    assert_eq!((a.shape.len(), a.data), (0, NpyData::Float(vec![0.25])));
}

#[test]
fn unicode_scalars_round_trip() {
    let s = "case ŵ → α";
    let a = npz::parse_npy(&npz::npy_str_scalar(s)).unwrap();
    assert_eq!(a.data, NpyData::Str(vec![s.to_string()]));
}

#[test]
fn deflated_archives_are_read_like_stored_ones() {
    use std::io::Write;
    let data: Vec<f64> = (0..64).map(|i| (i as f64).sin()).collect();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("x.npy", opts).unwrap();
        w.write_all(&npz::npy_f64(&[8, 8], &data)).unwrap();
        let big = opts.large_file(true);
        w.start_file("y.npy", big).unwrap();
        w.write_all(&npz::npy_f64(&[2], &[1.0, 2.0])).unwrap();
        w.finish().unwrap();
    }
    let a = npz::read_arrays(buf.get_ref()).unwrap();
    assert_eq!(a["x"].shape, vec![8, 8]);
    assert_eq!(a["x"].data, NpyData::Float(data));
    assert_eq!(a["y"].data, NpyData::Float(vec![1.0, 2.0]));
    // An inflation cap is honoured.
    let err = npz::read_zip_limited(buf.get_ref(), 100).unwrap_err();
    assert!(err.0.contains("inflates past 100 bytes"), "{err}");
}

#[test]
fn corrupt_archives_are_refused_with_a_reason() {
    let members = vec![("x.npy".to_string(), npz::npy_f64(&[2], &[1.0, 2.0]))];
    let good = npz::zip_store(&members);
    assert!(npz::read_arrays(&good).is_ok());
    // Flip one data byte: the CRC-32 no longer matches.
    let mut bad = good.clone();
    let pos = 30 + "x.npy".len() + 70;
    bad[pos] ^= 0xFF;
    assert!(npz::read_arrays(&bad).unwrap_err().0.contains("CRC"));
    // Mark the stored member as deflated (method 8) in both headers: its bytes are no valid
    // deflate stream, and the reader says the member is corrupt.
    let mut deflated = good.clone();
    deflated[8] = 8;
    let cd = deflated
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
        .unwrap();
    deflated[cd + 10] = 8;
    assert!(
        npz::read_arrays(&deflated)
            .unwrap_err()
            .0
            .contains("corrupt")
    );
    assert!(
        npz::read_arrays(b"not a zip")
            .unwrap_err()
            .0
            .contains("zip")
    );
}
