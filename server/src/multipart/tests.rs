//! Table-driven tests of the multipart parser, over whole-slice readers and
//! readers that return one byte (or a few) per call.

use super::header::MAX_BOUNDARY_LEN;
use super::*;
use crate::urlencoded::parse_urlencoded;

type Parsed = Vec<PartData>;

/// Parses with several read sizes; all must agree.
fn parse(body: &[u8]) -> Result<Parsed, String> {
    let ct = "multipart/form-data; boundary=XyZ";
    let mut results = [1, 2, 3, 7, 64, 1 << 20]
        .map(|step| parse_in_steps(body, ct, step, Limits::default()).map_err(|e| e.to_string()));
    let first = results[0].clone();
    for (r, step) in results.iter_mut().zip([1, 2, 3, 7, 64, 1 << 20]) {
        assert_eq!(
            *r,
            first,
            "read size {step} disagrees for {:?}",
            String::from_utf8_lossy(body)
        );
    }
    first
}

fn field(name: &str, data: &str) -> (String, Option<String>, Vec<u8>) {
    (name.to_owned(), None, data.as_bytes().to_vec())
}

#[test]
fn multipart_table() {
    let file = |name: &str, filename: &str, data: &str| {
        (
            name.to_owned(),
            Some(filename.to_owned()),
            data.as_bytes().to_vec(),
        )
    };
    let ok: Vec<(&str, &[u8], Parsed)> = vec![
        (
            "two fields, CRLF",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\ntwo\r\n--XyZ--\r\n",
            vec![field("a", "1"), field("b", "two")],
        ),
        (
            "LF only",
            b"--XyZ\nContent-Disposition: form-data; name=\"a\"\n\n1\n--XyZ\nContent-Disposition: form-data; name=b\n\ntwo\n--XyZ--\n",
            vec![field("a", "1"), field("b", "two")],
        ),
        (
            "preamble and epilogue",
            b"This is a preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ--\r\nepilogue --XyZ junk",
            vec![field("a", "x")],
        ),
        (
            "empty part body and missing final CRLF",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--XyZ--",
            vec![field("e", "")],
        ),
        (
            "part without headers",
            b"--XyZ\r\n\r\ndata\r\n--XyZ--\r\n",
            vec![field("", "data")],
        ),
        ("no parts", b"--XyZ--\r\n", vec![]),
        (
            "boundary followed by text is not a delimiter",
            b"--XyZjunk\r\n--XyZ\r\n\r\nx\r\n--XyZ\rz\r\n--XyZ--",
            vec![field("", "x\r\n--XyZ\rz")],
        ),
        (
            "file with CRs, LFs and boundary-like data",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"datafile\"; filename=\"a b;c.txt\"\r\nContent-Type: text/plain\r\n\r\nline\r\n\r\n--XyZa\r\r\n--Xy\r\n\r\n--XyZ--\r\n",
            vec![file("datafile", "a b;c.txt", "line\r\n\r\n--XyZa\r\r\n--Xy\r\n")],
        ),
        (
            "quoted escapes, filename*, folded header, padding after boundary",
            b"--XyZ \t\r\nContent-Disposition: form-data;\r\n name=\"q\\\"x\"; filename=\"fallback\"; filename*=UTF-8''na%C3%AFve.txt\r\n\r\nz\r\n--XyZ--\r\n",
            vec![file("q\"x", "na\u{ef}ve.txt", "z")],
        ),
    ];
    for (what, body, expected) in ok {
        assert_eq!(parse(body), Ok(expected), "{what}");
    }
}

#[test]
fn multipart_malformed() {
    let bad: &[(&str, &[u8], &str)] = &[
        ("empty body", b"", "multipart body ended early"),
        (
            "no delimiter at all",
            b"hello world",
            "multipart body ended early",
        ),
        (
            "truncated body",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc",
            "multipart body ended early",
        ),
        (
            "no final boundary",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc\r\n",
            "multipart body ended early",
        ),
        (
            "truncated headers",
            b"--XyZ\r\nContent-Disposition: form-da",
            "multipart body ended early",
        ),
        (
            "ends after boundary",
            b"--XyZ",
            "multipart body ended early",
        ),
        (
            "bare CR after boundary",
            b"--XyZ\rx",
            "multipart body ended early",
        ),
        (
            "boundary prefix at the end",
            b"--XyZ\r\n\r\nx\r\n--XyZ-",
            "multipart body ended early",
        ),
        (
            "header without colon",
            b"--XyZ\r\nContent-Disposition form-data\r\n\r\nx\r\n--XyZ--",
            "part header line without a colon",
        ),
        (
            "continuation first",
            b"--XyZ\r\n folded\r\n\r\nx\r\n--XyZ--",
            "part header starts with whitespace",
        ),
    ];
    for &(what, body, message) in bad {
        assert_eq!(parse(body), Err(message.to_owned()), "{what}");
    }
}

#[test]
fn multipart_limits() {
    let ct = "multipart/form-data; boundary=XyZ";
    let mut huge = b"--XyZ\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', MAX_PART_HEADER_BYTES));
    huge.extend_from_slice(b"\r\n\r\nx\r\n--XyZ--\r\n");
    for step in [1, 4096, 1 << 20] {
        let e = parse_in_steps(&huge, ct, step, Limits::default()).unwrap_err();
        assert!(matches!(e, FormError::HeaderTooLarge), "{e:?}");
        assert_eq!(e.status(), 413);
    }
    // A header block exactly at the limit passes.
    let line = b"X: a\r\n";
    let mut at_limit = b"--XyZ\r\n".to_vec();
    let limits = Limits {
        max_part_header_bytes: line.len() * 3 + 2,
        ..Limits::default()
    };
    for _ in 0..3 {
        at_limit.extend_from_slice(line);
    }
    at_limit.extend_from_slice(b"\r\nx\r\n--XyZ--");
    assert_eq!(parse_in_steps(&at_limit, ct, 1, limits).unwrap().len(), 1);
    at_limit.insert(7, b'X');
    assert!(matches!(
        parse_in_steps(&at_limit, ct, 1, limits),
        Err(FormError::HeaderTooLarge)
    ));

    let many: Vec<u8> = (0..4)
        .flat_map(|_| b"--XyZ\r\n\r\nx\r\n".iter().copied())
        .chain(*b"--XyZ--")
        .collect();
    let limits = Limits {
        max_parts: 3,
        ..Limits::default()
    };
    let e = parse_in_steps(&many, ct, 5, limits).unwrap_err();
    assert!(
        matches!(e, FormError::TooManyParts) && e.status() == 400,
        "{e:?}"
    );
    assert_eq!(
        parse_in_steps(
            &many,
            ct,
            5,
            Limits {
                max_parts: 4,
                ..limits
            }
        )
        .unwrap()
        .len(),
        4
    );

    let limits = Limits {
        max_total_size: 20,
        ..Limits::default()
    };
    let e = parse_in_steps(&many, ct, 1, limits).unwrap_err();
    assert!(
        matches!(e, FormError::TooLarge) && e.status() == 413,
        "{e:?}"
    );

    // Field size: text() is capped, copy_to() is not.
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n12345\r\n--XyZ--";
    let limits = Limits {
        max_field_size: 4,
        ..Limits::default()
    };
    let mut mp = Multipart::with_limits(&body[..], ct, limits).unwrap();
    let e = mp.next_part().unwrap().unwrap().text().unwrap_err();
    assert!(matches!(e, FormError::FieldTooLarge) && e.status() == 413);
    let mut mp = Multipart::with_limits(
        &body[..],
        ct,
        Limits {
            max_field_size: 5,
            ..limits
        },
    )
    .unwrap();
    assert_eq!(mp.next_part().unwrap().unwrap().text().unwrap(), "12345");
}

#[test]
fn unread_parts_are_skipped_and_read_works() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nskipped data\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nread me\r\n--XyZ--\r\n";
    let mut mp = Multipart::new(
        Trickle {
            data: body,
            step: 1,
        },
        "multipart/form-data; boundary=XyZ",
    )
    .unwrap();
    assert_eq!(mp.next_part().unwrap().unwrap().name(), "a");
    let mut b = mp.next_part().unwrap().unwrap();
    let mut s = String::new();
    b.read_to_string(&mut s).unwrap();
    assert_eq!((b.name(), s.as_str()), ("b", "read me"));
    assert!(mp.next_part().unwrap().is_none());
    assert!(mp.next_part().unwrap().is_none());
    // The epilogue (here the last CRLF) is never read.
    assert_eq!(mp.bytes_read(), body.len() as u64 - 2);
}

#[test]
fn read_errors_round_trip_through_io() {
    let body = b"--XyZ\r\n\r\nabc";
    let mut mp = Multipart::new(&body[..], "multipart/form-data; boundary=XyZ").unwrap();
    let mut part = mp.next_part().unwrap().unwrap();
    let e = io::copy(&mut part, &mut io::sink()).unwrap_err();
    assert!(matches!(FormError::from(e), FormError::Truncated));
}

#[test]
fn boundary_table() {
    let table: &[(&str, Result<&str, &str>)] = &[
        ("multipart/form-data; boundary=abc", Ok("abc")),
        ("Multipart/Form-Data;boundary=\"a b:c\"", Ok("a b:c")),
        (
            "multipart/form-data; charset=utf-8; BOUNDARY = x-y ",
            Ok("x-y"),
        ),
        (
            "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
            Ok("----WebKitFormBoundary7MA4YWxkTrZu0gW"),
        ),
        (
            "multipart/form-data",
            Err("multipart body without a boundary"),
        ),
        (
            "multipart/form-data; boundary=",
            Err("invalid multipart boundary"),
        ),
        (
            "multipart/form-data; boundary=\"\"",
            Err("invalid multipart boundary"),
        ),
        (
            "multipart/form-data; boundary=a\u{e9}",
            Err("invalid multipart boundary"),
        ),
        (
            "multipart/form-data; boundary=\"ends \"",
            Err("invalid multipart boundary"),
        ),
        (
            "application/x-www-form-urlencoded",
            Err("form content type not supported"),
        ),
        ("", Err("form content type not supported")),
    ];
    for &(ct, expected) in table {
        let got = boundary_from_content_type(ct).map_err(|e| e.to_string());
        assert_eq!(got.as_deref().map_err(String::as_str), expected, "{ct:?}");
    }
    let long = format!(
        "multipart/form-data; boundary={}",
        "b".repeat(MAX_BOUNDARY_LEN + 1)
    );
    assert!(matches!(
        boundary_from_content_type(&long),
        Err(FormError::InvalidBoundary)
    ));
}

#[test]
fn content_disposition_params() {
    let (kind, params) = split_header_value(r#"form-data; name="a;b"; filename="c\"d.txt"; x"#);
    assert_eq!(kind, "form-data");
    assert_eq!(
        params,
        vec![
            ("name".into(), "a;b".into()),
            ("filename".into(), "c\"d.txt".into()),
            ("x".into(), String::new())
        ]
    );
}

/// Deterministic stand-in for the cargo-fuzz target: many pseudo-random
/// bodies built from multipart-shaped fragments must never panic, and
/// every read size must give the same answer.
#[test]
fn pseudo_random_inputs_never_panic() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let fragments: &[&[u8]] = &[
        b"--XyZ",
        b"--XyZ--",
        b"\r\n",
        b"\n",
        b"\r",
        b"--",
        b"Content-Disposition: form-data; name=\"f\"",
        b"; filename=\"x\"",
        b"Content-Type: text/plain",
        b":",
        b" ",
        b"\t",
        b"data",
        b"\xff\xfe",
        b"\"",
        b"X",
        b"=",
        b";",
        b"%",
        b"+",
        b"&",
    ];
    let ct = "multipart/form-data; boundary=XyZ";
    let limits = Limits {
        max_parts: 8,
        max_part_header_bytes: 64,
        max_total_size: 512,
        max_field_size: 32,
    };
    for _ in 0..3000 {
        let len = (next() % 24) as usize;
        let mut body = Vec::new();
        for _ in 0..len {
            let r = next();
            if r % 5 == 0 {
                body.push((r >> 8) as u8);
            } else {
                body.extend_from_slice(fragments[(r >> 8) as usize % fragments.len()]);
            }
        }
        let whole = parse_in_steps(&body, ct, usize::MAX, limits).map_err(|e| e.to_string());
        let step = 1 + (next() % 5) as usize;
        let trickled = parse_in_steps(&body, ct, step, limits).map_err(|e| e.to_string());
        assert_eq!(whole, trickled, "{:?}", String::from_utf8_lossy(&body));
        let _ = parse_urlencoded(&body);
        let _ = split_header_value(&String::from_utf8_lossy(&body));
    }
}

#[test]
fn status_table() {
    let table: Vec<(FormError, u16)> = vec![
        (FormError::NotMultipart, 400),
        (FormError::MissingBoundary, 400),
        (FormError::InvalidBoundary, 400),
        (FormError::Malformed("x"), 400),
        (FormError::Truncated, 400),
        (FormError::TooManyParts, 400),
        (FormError::HeaderTooLarge, 413),
        (FormError::TooLarge, 413),
        (FormError::FieldTooLarge, 413),
        (FormError::Io(io::ErrorKind::ConnectionReset.into()), 400),
        (FormError::Write(io::ErrorKind::StorageFull.into()), 500),
    ];
    for (e, status) in table {
        assert_eq!(e.status(), status, "{e:?}");
    }
}

#[test]
fn sink_errors_are_write_errors() {
    struct Full;
    impl io::Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::StorageFull.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let body = b"--XyZ\r\n\r\ndata\r\n--XyZ--";
    let mut mp = Multipart::new(&body[..], "multipart/form-data; boundary=XyZ").unwrap();
    let e = mp
        .next_part()
        .unwrap()
        .unwrap()
        .copy_to(&mut Full)
        .unwrap_err();
    assert!(
        matches!(e, FormError::Write(_)) && e.status() == 500,
        "{e:?}"
    );
}

/// Throughput figure, not a check: `cargo test --release -p basehttp --lib
/// multipart::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore = "measurement"]
fn throughput() {
    let mut body =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n".to_vec();
    let mut state: u64 = 1;
    body.extend((0..64 << 20).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    }));
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let start = std::time::Instant::now();
    let mut mp = Multipart::new(&body[..], "multipart/form-data; boundary=XyZ").unwrap();
    let n = mp
        .next_part()
        .unwrap()
        .unwrap()
        .copy_to(&mut io::sink())
        .unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(n, 64 << 20);
    println!("multipart: {:.0} MB/s", n as f64 / secs / 1e6);
}
