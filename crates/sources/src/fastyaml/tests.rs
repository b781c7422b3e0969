use serde_json::{Value, json};

use super::*;

fn saphyr(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).unwrap_or_else(|e| panic!("saphyr rejects {text:?}: {e}"))
}

/// The fast path must agree with saphyr whenever it does not give up.
fn agree(text: &str) -> bool {
    match parse_document(text, 1) {
        Ok(Some(doc)) => {
            assert_eq!(doc.doc.to_json(), saphyr(text), "fast path differs on:\n{text}");
            true
        }
        Ok(None) => false,
        Err(Unsupported) => false,
    }
}

const HANDLED: &[&str] = &[
    "a: 1\nb: two\nc: true\nd: null\ne: ~\nf:\n",
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n    labels: {app: web, tier: \"front end\"}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n",
    "a:\n  - x\n  - z\nb:\n- 1\n- -2\nc: []\nd: {}\n",
    "s: 'it''s'\nd: \"tab\\there \\u00e9 \\\"q\\\"\"\ne: \"\"\nf: ''\n",
    "lit: |\n  line one\n    indented\n\n  after blank\nnext: x\n",
    "strip: |-\n  a\n  b\n\nkeep: |+\n  a\n\nclip: >\n  folded\n  text\n\n  para\nend: 1\n",
    "c: x # comment\n# full line comment\nd: 'q' # c\ne: [a, b] # c\nf: \"v\" #c\ng: red#1\nh: a #b\n",
    "resources:\n  requests: {cpu: 100m, memory: 128Mi}\n  limits:\n    cpu: \"1\"\n    memory: 1Gi\nimage: registry.k8s.io/etcd:3.5.10-0\nv: v1.29.4\nver: 3.5.10\n",
    "nested:\n- - a\n  - b\n- - c\nmaps:\n- a: 1\n  b: 2\n- c: 3\n",
    "\"quoted key\": 1\n'single key': 2\nkey with spaces: 3\napp.kubernetes.io/name: x\n",
    "items:\n- a\n- b\nkind: List\napiVersion: v1\n",
    "neg: -5\nbig: 18446744073709551615\nurl: http://x.example.com:8080/path\ntime: \"2026-01-01T00:00:00Z\"\n",
    "a: |\n  #not a comment\n  x\nb: 2\n",
    "---\na: 1\n",
    "--- # doc\na: 1\n",
    "a: 1\r\nb: |\r\n  x\r\n  y\r\nc: 3\r\n",
    "empty_seq_item:\n-\n- a\n",
    "cmd: [\"sh\", \"-c\", \"echo hi; sleep 1\"]\nargs: [--port=8080, --v=2]\n",
    // hashes and other text that starts like a number (pod-template-hash and the like)
    "hash: 0bbe1e0823\nh2: 0x1Fzz\nh3: 0o9\nh4: 1e5abc\nh5: 7d9f8c6b5\nh6: 0b2\nh7: 12:3x\n",
];

#[test]
fn handled_documents_match_saphyr() {
    for text in HANDLED {
        assert!(agree(text), "expected the fast path to handle:\n{text}");
    }
}

const DEFERRED: &[&str] = &[
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "a: yes\n",
    "a: 0755\n",
    "a: 1.5\n",
    "a: .inf\n",
    "a: this is\n  continued\n",
    "a: \"multi\n  line\"\n",
    "a: 1\na: 2\n",
    "? complex\n: key\n",
    "a:\n\tb: 1\n",
    "- top level sequence\n",
    "just text\n",
    "<<: {a: 1}\n",
    "a: [unclosed\n",
    "a: b: c\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: |\n  no final newline",
    "a: 0x1F\n",
    "a: 0b101\n",
    "a: 0o17\n",
    "a: 1_000\n",
    "a: 190:20:30\n",
    "true: 1\n",
];

#[test]
fn unusual_documents_are_left_to_saphyr() {
    for text in DEFERRED {
        assert!(
            parse_document(text, 1).is_err(),
            "the fast path should give up on:\n{text}"
        );
    }
}

#[test]
fn lines_of_document_and_items() {
    let doc = parse_document(
        "# c\n\napiVersion: v1\nkind: List\nitems:\n# c\n- a: 1\n\n- b: 2\n",
        10,
    )
    .unwrap()
    .unwrap();
    assert_eq!(doc.line, 12);
    assert_eq!(doc.item_lines, Some(vec![16, 18]));
    assert_eq!(doc.doc.to_json()["items"], json!([{"a": 1}, {"b": 2}]));
}

#[test]
fn items_indented_under_key() {
    let doc = parse_document("kind: List\nitems:\n  - a: 1\n  - a: 2\n", 1)
        .unwrap()
        .unwrap();
    assert_eq!(doc.item_lines, Some(vec![3, 4]));
}

#[test]
fn blank_document_is_none() {
    assert!(matches!(parse_document("# nothing\n\n", 1), Ok(None)));
}

#[test]
fn deep_nesting_gives_up_instead_of_overflowing() {
    let mut text = String::new();
    for i in 0..1_000 {
        text.push_str(&" ".repeat(i));
        text.push_str("a:\n");
    }
    assert!(parse_document(&text, 1).is_err());
}

/// A hash that reads as a float too big for a double stays text, as Kubernetes' YAML reader
/// has it (saphyr rejects it, so it cannot be in `HANDLED`).
#[test]
fn overflowing_float_forms_are_text() {
    let doc = parse_document("a: 6380e38851\nb: -1e999\n", 1).unwrap().unwrap();
    assert_eq!(doc.doc.to_json(), json!({"a": "6380e38851", "b": "-1e999"}));
    assert!(parse_document("a: 1e3\n", 1).is_err());
}

/// Repeated keys make the fast path give up, in small and big mappings (a ConfigMap's data)
/// and in flow mappings; the same key in different mappings is fine.
#[test]
fn repeated_keys_give_up() {
    let mut big = String::from("data:\n");
    for i in 0..100 {
        big.push_str(&format!("  key{i}: v{i}\n"));
    }
    assert!(agree(&big));
    for repeat in ["  key0: again\n", "  key99: again\n", "  key50: again\n"] {
        assert!(parse_document(&format!("{big}{repeat}"), 1).is_err(), "{repeat}");
    }
    assert!(parse_document("a: 1\nb: 2\na: 3\n", 1).is_err());
    assert!(agree("a: {x: 1, z: 2}\n"));
    assert!(parse_document("a: {x: 1, z: 2, x: 3}\n", 1).is_err());
    assert!(agree("a: {x: 1, z: {x: 2}}\nb:\n  a: 1\n  b:\n    a: 2\n"));
}

/// A document given up half way leaves nothing behind in the thread's builder.
#[test]
fn a_document_after_one_given_up() {
    assert!(parse_document("a:\n  b: 1\n  c: [1, 2\n", 1).is_err());
    assert!(parse_document("a:\n  b: 1\n  b: 2\n", 1).is_err());
    let doc = parse_document("x: 1\nz: [a, 'b''c', \"d\"]\n", 1)
        .unwrap()
        .unwrap();
    assert_eq!(doc.doc.to_json(), json!({"x": 1, "z": ["a", "b'c", "d"]}));
}
