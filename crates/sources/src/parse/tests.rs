use super::*;

fn parse(text: &str) -> ParsedFile {
    parse_bytes("f.yaml", text.as_bytes())
}

fn lines(p: &ParsedFile) -> Vec<(String, u64)> {
    p.objects
        .iter()
        .map(|o| (o.kind.clone(), o.location.as_ref().unwrap().line))
        .collect()
}

#[test]
fn multi_document_yaml_keeps_lines() {
    let p = parse(
        "# leading comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# c\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: x}\n",
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(lines(&p), vec![("ConfigMap".into(), 2), ("Deployment".into(), 9)]);
    assert_eq!(p.objects[1].namespace.as_deref(), Some("x"));
}

#[test]
fn yaml_list_items_have_their_own_lines() {
    let p = parse(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n- apiVersion: policy/v1beta1\n  kind: PodDisruptionBudget\n  metadata:\n    name: b\n",
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(
        lines(&p),
        vec![("Pod".into(), 4), ("PodDisruptionBudget".into(), 8)]
    );
}

#[test]
fn typed_list_items_inherit_kind() {
    let p = parse("apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata:\n    name: a\n");
    assert_eq!(p.objects[0].kind, "Deployment");
    assert_eq!(p.objects[0].api_version, "apps/v1");
}

#[test]
fn empty_list_and_null_items() {
    assert!(
        parse("apiVersion: v1\nkind: List\nitems: []\n")
            .objects
            .is_empty()
    );
    let p = parse("apiVersion: v1\nkind: List\nitems:\n");
    assert!(p.objects.is_empty() && p.problems.is_empty(), "{:?}", p.problems);
}

#[test]
fn json_list_items_have_their_own_lines() {
    let text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"metadata\": {\"x\": [1, {\"items\": 2}]},\n  \"items\": [\n    {\n      \"apiVersion\": \"v1\",\n      \"kind\": \"Pod\",\n      \"metadata\": {\"name\": \"a\"}\n    },\n    {\"apiVersion\": \"batch/v1beta1\", \"kind\": \"CronJob\", \"metadata\": {\"name\": \"b \\\" ]\"}}\n  ]\n}\n";
    let p = parse_bytes("f.json", text.as_bytes());
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(lines(&p), vec![("Pod".into(), 6), ("CronJob".into(), 11)]);
}

#[test]
fn concatenated_json_documents() {
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}\n\n{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"b\"}}\n";
    let p = parse_bytes("f.json", text.as_bytes());
    assert_eq!(lines(&p), vec![("Pod".into(), 1), ("Pod".into(), 3)]);
}

#[test]
fn malformed_yaml_reports_line_and_keeps_other_documents() {
    let p = parse(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: Pod\nmetadata: [unclosed\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
    );
    assert_eq!(p.objects.len(), 2);
    assert_eq!(p.problems.len(), 1);
    let loc = p.problems[0].location.as_ref().unwrap();
    assert!(loc.line >= 8 && loc.line <= 9, "{loc:?}");
    assert!(loc.column.is_some());
    assert_eq!(p.problems[0].check, "input-invalid");
    assert_eq!(p.problems[0].severity, Severity::High);
}

#[test]
fn malformed_json_reports_line_and_column() {
    let p = parse_bytes(
        "f.json",
        b"{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",,\n}\n",
    );
    assert_eq!(p.problems.len(), 1);
    let loc = p.problems[0].location.as_ref().unwrap();
    assert_eq!(loc.line, 3);
    assert!(p.problems[0].message.contains("invalid JSON"));
}

#[test]
fn invalid_utf8_is_reported_with_position() {
    let p = parse_bytes(
        "f.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: \xff\xfe\n",
    );
    assert!(p.objects.is_empty());
    let loc = p.problems[0].location.as_ref().unwrap();
    assert_eq!((loc.line, loc.column), (4, Some(9)));
    assert!(p.problems[0].message.contains("UTF-8"));
}

#[test]
fn binary_file_is_reported() {
    let mut bytes = vec![0x7f, b'E', b'L', b'F', 0, 0, 1];
    bytes.extend(std::iter::repeat_n(0u8, 100));
    let p = parse_bytes("bin.yaml", &bytes);
    assert!(p.problems[0].message.contains("binary"));
}

#[test]
fn empty_and_comment_only_files_are_fine() {
    for text in ["", "\n\n", "# only a comment\n", "---\n", "---\n---\n...\n"] {
        let p = parse(text);
        assert!(
            p.objects.is_empty() && p.problems.is_empty(),
            "{text:?}: {:?}",
            p.problems
        );
    }
}

#[test]
fn document_without_api_version_or_kind() {
    let p = parse(
        "metadata:\n  name: x\n---\napiVersion: v1\nmetadata: {}\n---\nkind: Pod\n---\n- a\n- b\n---\njust a string\n",
    );
    assert!(p.objects.is_empty());
    assert_eq!(p.problems.len(), 5, "{:?}", p.problems);
    assert!(p.problems[0].message.contains("no apiVersion and no kind"));
    assert!(p.problems[1].message.contains("no kind"));
    assert!(p.problems[2].message.contains("no apiVersion"));
    assert!(p.problems[3].message.contains("sequence"));
    assert_eq!(p.problems[1].location.as_ref().unwrap().line, 4);
}

#[test]
fn yaml_bomb_is_capped() {
    let bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\napiVersion: v1\nkind: ConfigMap\n";
    let p = parse(bomb);
    assert!(p.objects.is_empty());
    assert_eq!(p.problems.len(), 1);
}

#[test]
fn reasonable_nesting_is_accepted() {
    let mut block = String::from("apiVersion: v1\nkind: X\nmetadata:\n  name: deep\nspec:\n");
    for i in 0..60 {
        block.push_str(&" ".repeat(2 * (i + 1)));
        block.push_str("a:\n");
    }
    block.push_str(&" ".repeat(122));
    block.push_str("b: 1\n");
    let p = parse(&block);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
}

#[test]
fn bom_and_crlf_are_accepted() {
    let p = parse(
        "\u{feff}apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: a\r\n---\r\napiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: b\r\n",
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(lines(&p), vec![("Pod".into(), 1), ("Pod".into(), 6)]);
}

#[test]
fn utf16_is_reported() {
    let p = parse_bytes("w.yaml", &[0xFF, 0xFE, b'a', 0]);
    assert!(p.problems[0].message.contains("UTF-16"));
}

#[test]
fn splitter_ignores_markers_inside_lines() {
    let chunks = split_documents("a: 1\nb: '---'\n--- # doc\nc: 2\n---x: 3\n");
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[1].first_line, 3);
}

#[test]
fn deep_flow_nesting_is_reported_not_overflowed() {
    let depth = 100_000;
    let flow = format!(
        "apiVersion: v1\nkind: X\nspec: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let p = parse(&flow);
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
}

#[test]
fn deep_block_nesting_is_reported_not_overflowed() {
    let mut block = String::from("apiVersion: v1\nkind: X\nspec:\n");
    for i in 0..5_000 {
        block.push_str(&" ".repeat(i + 1));
        block.push_str("a:\n");
    }
    let p = parse(&block);
    assert_eq!(p.problems.len(), 1);
}

#[test]
fn deep_json_nesting_is_reported_not_overflowed() {
    let depth = 100_000;
    let json = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"X\", \"spec\": {}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let p = parse_bytes("deep.json", json.as_bytes());
    assert_eq!(p.problems.len(), 1);
}

#[test]
fn helm_source_comments_name_the_template() {
    let p = parse_bytes(
        "<stdin>",
        b"---\n# Source: web/templates/pdb.yaml\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: plain\n",
    );
    let loc = p.objects[0].location.as_ref().unwrap();
    assert_eq!(loc.template.as_deref(), Some("web/templates/pdb.yaml"));
    assert_eq!(loc.to_string(), "<stdin>:3 (web/templates/pdb.yaml)");
    assert_eq!(p.objects[1].location.as_ref().unwrap().template, None);
}

#[test]
fn yaml_flow_documents_and_json_followed_by_yaml() {
    let p = parse("{apiVersion: networking.k8s.io/v1beta1, kind: Ingress, metadata: {name: x}}\n");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.objects[0].kind, "Ingress");
    let p = parse(
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}\n---\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: c\n",
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(lines(&p), vec![("Pod".into(), 1), ("CronJob".into(), 3)]);
    // A broken .json file keeps the JSON parser's words.
    let p = parse_bytes("f.json", b"{\"apiVersion\": \"v1\",, }");
    assert!(p.problems[0].message.contains("invalid JSON"), "{:?}", p.problems);
}

#[test]
fn nested_lists_are_expanded() {
    let p = parse(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - apiVersion: batch/v1beta1\n    kind: CronJob\n    metadata: {name: inner}\n",
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.objects.len(), 1);
    assert_eq!(p.objects[0].name, "inner");
}

#[test]
fn parser_messages_are_for_people() {
    let p = parse("apiVersion: v1\nkind: Pod\nkind: Pod\nmetadata: {name: d}\n");
    assert_eq!(p.problems.len(), 1);
    assert!(
        !p.problems[0].message.contains("DuplicateKeyPolicy"),
        "{}",
        p.problems[0].message
    );
    assert_eq!(p.problems[0].check, dupkeys::INPUT_DUPLICATE_KEY);
    assert_eq!(p.objects.len(), 1, "the document is still read");
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, prev) in ["b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g"])
    {
        bomb.push_str(&format!(
            "{}: &{} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
            i,
            i,
            p = prev
        ));
    }
    let p = parse(&bomb);
    assert!(
        p.problems[0].message.contains("limits"),
        "{}",
        p.problems[0].message
    );
}

/// The parallel reading of a big JSON `List` must give exactly what the sequential one
/// gives: objects (documents, names, lines) and problems, in order.
#[test]
fn parallel_json_list_matches_sequential() {
    let cases = [
        // typed list: items get the list's apiVersion and kind
        "{\"apiVersion\": \"v1\", \"kind\": \"PodList\", \"items\": [\n {\"metadata\": {\"name\": \"a\", \"namespace\": \"x\"}, \"spec\": {\"nodeName\": \"n1\"}},\n {\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"b\"}}\n]}",
        // generic list with mixed kinds, a nested list, bad items
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"web\"}},\n    3,\n    {\"metadata\": {\"name\": \"no-kind\"}},\n    {\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"inner\"}}]},\n    \"text\",\n    {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"s\", \"labels\": {\"a.example.com/x\": \"1\"}}}\n  ],\n  \"metadata\": {\"resourceVersion\": \"7\"}\n}\n",
        // empty and null items
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}",
        "{\"items\": [{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a \\\" ] } , \\\\\"}}], \"kind\": \"List\", \"apiVersion\": \"v1\"}",
    ];
    for text in cases {
        for per_task in [1, 2, 100] {
            let mut parallel = ParsedFile::default();
            assert!(parse_json_list("f.json", text, per_task, &mut parallel), "{text}");
            let mut sequential = ParsedFile::default();
            parse_json_sequential("f.json", text, &mut sequential);
            assert_eq!(parallel.objects, sequential.objects, "{text}");
            let problems = |p: &ParsedFile| {
                p.problems
                    .iter()
                    .map(|f| (f.message.clone(), f.location.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(problems(&parallel), problems(&sequential), "{text}");
        }
    }
    let mut out = ParsedFile::default();
    let typed = parse_json_list("f.json", cases[0], 1, &mut out);
    assert!(typed);
    assert_eq!(out.objects[0].kind, "Pod");
    assert_eq!(out.objects[0].location.as_ref().map(|l| l.line), Some(2));
    assert_eq!(out.objects[1].location.as_ref().map(|l| l.line), Some(3));
    assert_eq!(out.objects.len(), 2);
}

/// What the parallel reading leaves to the sequential one: anything but exactly one
/// well-formed `List` document.
#[test]
fn parallel_json_list_declines_other_input() {
    for text in [
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"items\": [1]}",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"a\": 1},]}",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"a\": 1}]} {\"kind\": \"Pod\"}",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [], \"items\": [{\"a\": 1}]}",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\"}",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": null}",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [, {\"a\": 1}]}",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"a\": 1} {\"b\": 2}]}",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"a\": 1}], \"x\": }",
        "[1, 2]",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"a\": ",
    ] {
        let mut out = ParsedFile::default();
        assert!(!parse_json_list("f.json", text, 1, &mut out), "{text}");
        assert!(out.objects.is_empty() && out.problems.is_empty(), "{text}");
    }
}

/// A big List goes through the parallel reading from `parse_bytes`, with the same result.
#[test]
fn big_json_list_through_parse_bytes() {
    let mut text = String::from("{\"apiVersion\": \"v1\", \"kind\": \"PodList\", \"items\": [\n");
    let n = 6000;
    for i in 0..n {
        text.push_str(&format!(
            "  {{\"metadata\": {{\"name\": \"pod-{i}\", \"namespace\": \"ns-{}\", \"labels\": {{\"app\": \"a{}\"}}}}, \"spec\": {{\"nodeName\": \"node-{}\", \"containers\": [{{\"name\": \"c\", \"image\": \"registry.example.com/app:{i}\"}}]}}}}{}\n",
            i % 7,
            i % 13,
            i % 50,
            if i + 1 < n { "," } else { "" }
        ));
    }
    text.push_str("]}\n");
    assert!(text.len() >= PARALLEL_JSON_MIN);
    let p = parse_bytes("pods.json", text.as_bytes());
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.objects.len(), n);
    let mut sequential = ParsedFile::default();
    parse_json_sequential("pods.json", &text, &mut sequential);
    assert_eq!(p.objects, sequential.objects);
    assert_eq!(p.objects[4321].name, "pod-4321");
    assert_eq!(p.objects[4321].location.as_ref().map(|l| l.line), Some(4323));
}

/// The layout `snapshot` writes (an object per line) and a pretty-printed one read the same
/// objects; the first goes through the line reading, the second through the scanner.
#[test]
fn object_per_line_and_pretty_lists_read_the_same() {
    let items = [
        serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a,b", "namespace": "x"}, "spec": {"nodeName": "n\u{2028}1"}}),
        serde_json::json!({"metadata": {"name": "typed"}}),
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 3}}),
    ];
    let mut per_line = String::from("{\"apiVersion\":\"v1\",\"kind\":\"PodList\",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        per_line.push_str(if i == 0 { "\n" } else { ",\n" });
        per_line.push_str(&item.to_string());
    }
    per_line.push_str("\n]}\n");
    let pretty = serde_json::to_string_pretty(
        &serde_json::json!({"apiVersion": "v1", "kind": "PodList", "items": items}),
    )
    .unwrap();
    assert!(line_item_spans(per_line.as_bytes()).is_some());
    let read = |text: &str| {
        let mut out = ParsedFile::default();
        assert!(parse_json_list("f.json", text, 2, &mut out), "{text}");
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        out.objects
    };
    let a = read(&per_line);
    let b = read(&pretty);
    assert_eq!(a.len(), 3);
    assert_eq!(
        a.iter().map(|o| (&o.kind, &o.name, &o.raw)).collect::<Vec<_>>(),
        b.iter().map(|o| (&o.kind, &o.name, &o.raw)).collect::<Vec<_>>()
    );
    assert_eq!(
        a.iter()
            .map(|o| o.location.as_ref().unwrap().line)
            .collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    // Lines that are not whole values make the line reading fail, and the scanner reads them.
    let split = per_line.replacen("\"name\":\"typed\"}", "\"name\":\n\"typed\"}", 1);
    assert_eq!(read(&split).len(), 3);
}

/// Streaming a List in blocks (any block size, lines longer than a block, a final newline
/// or none, a BOM) reads exactly what reading it whole reads; what is not a List of
/// objects is declined.
#[test]
fn streamed_list_matches_whole_reading() {
    let mut text = String::from("\u{feff}{\"apiVersion\":\"v1\",\"kind\":\"PodList\",\"items\":[");
    for i in 0..40 {
        text.push_str(if i == 0 { "\n" } else { ",\n" });
        let item = if i % 7 == 3 {
            serde_json::json!({"metadata": {"name": format!("typed-{i}"), "labels": {"k": "v".repeat(i * 3)}}})
        } else {
            serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p-{i}"), "namespace": "ns"}})
        };
        text.push_str(&item.to_string());
    }
    for ending in [
        "\n]}\n",
        "\n]}",
        "\n]\n,\"metadata\":{\"resourceVersion\":\"9\"}}\n",
    ] {
        let full = format!("{text}{ending}");
        let whole = parse_bytes("f.json", full.as_bytes());
        assert!(whole.problems.is_empty(), "{:?}", whole.problems);
        assert_eq!(whole.objects.len(), 40);
        for block in [1, 7, 64, 1000, 1 << 20] {
            let streamed = stream::read_list_from("f.json", std::io::Cursor::new(full.as_bytes()), block)
                .unwrap_or_else(|| panic!("declined with block {block}: {ending:?}"));
            assert_eq!(streamed.objects, whole.objects, "block {block}");
            assert!(streamed.problems.is_empty());
        }
    }
    for other in [
        // one per line, but: closing on the last element's line, a blank line, a broken
        // element; elements that are not objects; not a List
        format!("{text}]}}"),
        format!("{text},\n\n{{\"a\":1}}\n]}}"),
        format!("{text},\n{{\"a\":\n]}}"),
        "{\"apiVersion\":\"v1\",\"kind\":\"PodList\",\"items\":[\n1\n]}".to_owned(),
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"items\":[\n{\"a\":1}\n]}".to_owned(),
        // any layout, but: an element cut short, a missing comma, a trailing comma
        "{\"kind\":\"List\",\"items\":[\n  {\"a\": [1,\n 2]\n  }, {\"b\": \"}\"\n]}".to_owned(),
        "{\"kind\":\"List\",\"items\":[\n  {\"a\": 1\n  } {\"b\": 2}\n]}".to_owned(),
        "{\"kind\":\"List\",\"items\":[\n  {\"a\": 1\n  },\n]}".to_owned(),
    ] {
        assert!(
            stream::read_list_from("f.json", std::io::Cursor::new(other.as_bytes()), 64).is_none(),
            "{other}"
        );
    }
}

/// Lists in other layouts (kubectl's pretty printing, everything on one line, elements
/// with brackets and escaped quotes inside strings) stream too, with the same objects and
/// the same line numbers as reading them whole.
#[test]
fn streamed_list_in_any_layout_matches_whole_reading() {
    let items: Vec<serde_json::Value> = (0..30)
        .map(|i| {
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": format!("c-{i}"), "namespace": "ns", "labels": {"a": "b"}},
                "data": {"tricky": format!("{{[\\\"]}} \\ {}", "x".repeat(i * 5)), "list": "[1, 2]"},
                "nested": [[{"deep": [i]}], []],
            })
        })
        .collect();
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": items,
        "metadata": {"resourceVersion": ""},
    });
    // kubectl -o json indents by four spaces.
    let mut pretty = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut pretty, formatter);
    serde::Serialize::serialize(&list, &mut ser).unwrap();
    let pretty = String::from_utf8(pretty).unwrap();
    let compact = list.to_string();
    let spaced = compact.replace(",{\"apiVersion\"", " ,\n\n\t{\"apiVersion\"");
    for text in [
        pretty,
        compact,
        spaced,
        "{\"kind\":\"List\",\"items\":[ ]}".to_owned(),
    ] {
        let whole = parse_bytes("f.json", text.as_bytes());
        assert!(whole.problems.is_empty(), "{:?}", whole.problems);
        for block in [1, 7, 64, 1000, 1 << 20] {
            let streamed = stream::read_list_from("f.json", std::io::Cursor::new(text.as_bytes()), block)
                .unwrap_or_else(|| panic!("declined with block {block}: {text}"));
            assert_eq!(streamed.objects, whole.objects, "block {block}");
            assert!(streamed.problems.is_empty());
        }
    }
}

/// A YAML List over [`yaml_list::YAML_LIST_MIN`] with items in every layout writers use:
/// `kubectl -o yaml` (items at column 0), items indented under `items:`, `-` alone on its
/// line, extra spaces after `-`, comments and blank lines between items, block scalars with
/// blank lines, flow collections, quoted text that looks like structure, hashes that look
/// like numbers, and top-level keys after the items.
fn big_yaml_list(indent: &str, newline: &str) -> String {
    let mut text = format!("apiVersion: v1{newline}kind: List{newline}items:{newline}");
    let mut i = 0;
    while text.len() < yaml_list::YAML_LIST_MIN + 4096 {
        let p = |line: &str| format!("{indent}{line}{newline}");
        let item = match i % 5 {
            0 => [
                p("- apiVersion: v1"),
                p("  kind: ConfigMap"),
                p("  metadata:"),
                p(&format!("    name: cm-{i}")),
                p("    labels: {app: web, pod-template-hash: 0bbe1e0823}"),
                p("  data:"),
                p("    script: |"),
                p("      #!/bin/sh"),
                String::from(newline),
                p("      - not: an item"),
                p("    other: \"items:\\n- x\""),
            ]
            .concat(),
            1 => [
                p("-"),
                p("  # the content starts on the next line"),
                p("  apiVersion: apps/v1"),
                p("  kind: Deployment"),
                p(&format!("  metadata: {{name: d-{i}, namespace: shop}}")),
                p("  spec:"),
                p("    template:"),
                p("      spec:"),
                p("        containers:"),
                p("        - name: c"),
                p("          args: [\"--port\", \"8080\"]"),
                p("          env:"),
                p("          - {name: A, value: '1'}"),
            ]
            .concat(),
            2 => [
                p("-   apiVersion: v1"),
                p("    kind: Service"),
                p("    metadata:"),
                p(&format!("      name: s-{i}")),
                p("    spec:"),
                p("      ports:"),
                p("        - port: 80"),
                p("          targetPort: http"),
            ]
            .concat(),
            3 => [
                p("# a comment between items"),
                String::from(newline),
                p("- kind: Pod"),
                p("  apiVersion: v1"),
                p("  metadata:"),
                p(&format!("    name: 'p-{i}'")),
                p("    annotations:"),
                p("      note: >-"),
                p("        folded"),
                p("        text"),
                p("  spec: {containers: [{name: c, image: 'x:1'}]}"),
            ]
            .concat(),
            _ => [
                p("- apiVersion: policy/v1"),
                p("  kind: PodDisruptionBudget"),
                p(&format!("  metadata: {{name: b-{i}}}")),
                p("  spec:"),
                p("    minAvailable: 1"),
                p("    selector:"),
                p("      matchExpressions:"),
                p("      - - nested"),
                p("        - sequence"),
            ]
            .concat(),
        };
        text.push_str(&item);
        i += 1;
    }
    text.push_str(&format!("metadata:{newline}  resourceVersion: \"\"{newline}"));
    text
}

/// Big YAML Lists are read item by item, with the same objects and lines as reading the
/// whole document with the general parser.
#[test]
fn yaml_list_read_item_by_item_matches_the_whole_reading() {
    for (indent, newline) in [("", "\n"), ("  ", "\n"), ("", "\r\n")] {
        let text = big_yaml_list(indent, newline);
        let chunk = Chunk {
            text: &text,
            first_line: 1,
        };
        let mut read = ParsedFile::default();
        assert!(
            matches!(
                yaml_list::parse_list("f.yaml", &chunk, &mut read),
                yaml_list::ListOutcome::Read
            ),
            "not read item by item (indent {indent:?}, newline {newline:?})"
        );
        let fast = parse_bytes("f.yaml", text.as_bytes());
        let general = parse_bytes_general("f.yaml", text.as_bytes());
        assert!(general.problems.is_empty(), "{:?}", general.problems);
        assert!(fast.problems.is_empty(), "{:?}", fast.problems);
        assert!(general.objects.len() > 300);
        for (which, got) in [("items", &read.objects), ("fast", &fast.objects)] {
            assert_eq!(got.len(), general.objects.len(), "{which}");
            for (a, b) in got.iter().zip(&general.objects) {
                assert!(
                    a == b,
                    "{which} (indent {indent:?}, newline {newline:?}):\n{:?} {:?}\n{:?} {:?}",
                    a.location,
                    a.raw.to_json(),
                    b.location,
                    b.raw.to_json()
                );
            }
        }
    }
}

/// In a big List, an item that does not parse costs that item only, reported at its line;
/// one that parses only as part of the whole (an alias into another item) is read whole.
#[test]
fn yaml_list_bad_item_costs_only_that_item() {
    let good = big_yaml_list("", "\n");
    let total = parse_bytes("f.yaml", good.as_bytes()).objects.len();
    let broken = good.replacen("    name: s-2\n", "    name: [s-2\n", 1);
    let bad_line = 1 + good[..good.find("    name: s-2\n").unwrap()]
        .matches('\n')
        .count() as u64;
    let p = parse_bytes("f.yaml", broken.as_bytes());
    assert_eq!(p.objects.len(), total - 1);
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
    let line = p.problems[0].location.as_ref().unwrap().line;
    assert!(
        (bad_line..bad_line + 4).contains(&line),
        "line {line}, expected about {bad_line}"
    );
    assert_eq!(parse_bytes_general("f.yaml", broken.as_bytes()).objects.len(), 0);

    let aliased = good
        .replacen("  kind: Deployment\n", "  kind: &k Deployment\n", 1)
        .replacen("  kind: Service\n", "  kind: *k\n", 1);
    let p = parse_bytes("f.yaml", aliased.as_bytes());
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(
        p.objects,
        parse_bytes_general("f.yaml", aliased.as_bytes()).objects
    );
    assert_eq!(
        p.objects.iter().filter(|o| o.kind == "Deployment").count(),
        total / 5 + 1
    );
}

/// Damaged big Lists: reading item by item never panics, and whenever the general parser
/// reads the whole document cleanly, the objects are the same.
#[test]
fn yaml_list_damage_agrees_with_the_whole_reading() {
    let seed = big_yaml_list("", "\n").into_bytes();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    };
    const SPECIAL: &[u8] = b"-:{}[]'\"#&*!|>\n \t,";
    let mut clean = 0;
    for round in 0..50 {
        let mut bytes = seed.clone();
        for _ in 0..(1 + next() % 3) {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, SPECIAL[(next() as usize) % SPECIAL.len()]),
                _ => bytes[at] = SPECIAL[(next() as usize) % SPECIAL.len()],
            }
        }
        let fast = parse_bytes("f.yaml", &bytes);
        let general = parse_bytes_general("f.yaml", &bytes);
        if general.problems.is_empty() {
            clean += 1;
            assert_eq!(fast.objects, general.objects, "round {round}");
        } else {
            assert!(fast.objects.len() >= general.objects.len(), "round {round}");
        }
    }
    assert!(clean > 3, "only {clean} damaged documents still parsed");
}

/// Ordinary List items, at least `n` bytes of them.
fn pad_items(n: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < n {
        s.push_str(&format!(
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm-{i}\n    namespace: ns\n  data:\n    k: v\n"
        ));
        i += 1;
    }
    s
}

/// Big YAML Lists that the item cut could misread (found in review): whenever the whole
/// document is YAML, reading item by item gives exactly its objects; when it is not, the
/// reading says so (a problem), never silently reads something else.
#[test]
fn yaml_list_cut_never_misreads() {
    let pad = pad_items(yaml_list::YAML_LIST_MIN + 1000);
    let head = "apiVersion: v1\nkind: List\nitems:\n";
    let cases: Vec<(&str, String)> = vec![
        (
            "a line less indented than the item's content",
            format!("{head}- apiVersion: v1\n kind: Pod\n metadata: {{name: x}}\n{pad}"),
        ),
        (
            "`-` alone, a later line less indented",
            format!("{head}-\n    apiVersion: v1\n  kind: Pod\n  metadata: {{name: x}}\n{pad}"),
        ),
        (
            "spaces after `-`, later lines less indented",
            format!("{head}-   apiVersion: v1\n  kind: Pod\n  metadata: {{name: x}}\n{pad}"),
        ),
        (
            "a document end marker at the content's column",
            format!("{head}- apiVersion: v1\n  kind: Pod\n  metadata: {{name: x}}\n  ...\n{pad}"),
        ),
        (
            "a document start marker at the content's column",
            format!("{head}- apiVersion: v1\n  kind: Pod\n  metadata: {{name: x}}\n  ---\n{pad}"),
        ),
        (
            "a tab after `-`",
            format!("{head}- \tapiVersion: v1\n  kind: Pod\n  metadata: {{name: x}}\n{pad}"),
        ),
        (
            "a quoted head value running over the items",
            format!("apiVersion: v1\nkind: List\nnote: 'abc\nitems:\n{pad}end'\n"),
        ),
        (
            "a double-quoted head value running over the items",
            format!("apiVersion: v1\nkind: List\nnote: \"abc\nitems:\n{pad}end\"\n"),
        ),
        (
            "a quoted second `items` after",
            format!("{head}{pad}\"items\": []\n"),
        ),
        (
            "a quoted second `items` before",
            format!("apiVersion: v1\nkind: List\n\"items\": []\nitems:\n{pad}"),
        ),
        ("`items :` a second time", format!("{head}{pad}items : []\n")),
        (
            "an alias across items and a non-object item",
            format!(
                "{head}- apiVersion: v1\n  kind: &k Pod\n  metadata: {{name: a}}\n- apiVersion: v1\n  kind: *k\n  metadata: {{name: b}}\n- just a string\n{pad}"
            ),
        ),
        ("a BOM", format!("\u{feff}{head}{pad}")),
        ("CRLF", format!("{head}{pad}").replace('\n', "\r\n")),
        (
            "a plain scalar continued at column 1",
            format!("{head}- apiVersion: v1\n  kind: Pod\n  metadata: {{name: x}}\n  note: a\n b\n{pad}"),
        ),
        (
            "a quoted scalar continued at column 0",
            format!("{head}- apiVersion: v1\n  kind: Pod\n  metadata: {{name: x}}\n  note: \"a\nb\"\n{pad}"),
        ),
        (
            "a flow mapping continued at column 0",
            format!("{head}- apiVersion: v1\n  kind: Pod\n  metadata: {{name: x,\nnamespace: y}}\n{pad}"),
        ),
        (
            "a flow mapping continued at column 2",
            format!("{head}- apiVersion: v1\n  kind: Pod\n  metadata: {{name: x,\n  namespace: y}}\n{pad}"),
        ),
        (
            "a block scalar with an indentation indicator",
            format!(
                "{head}-   apiVersion: v1\n    kind: Pod\n    metadata: {{name: x}}\n    data: |1\n      x\n{pad}"
            ),
        ),
        (
            "non-ASCII text near the cuts",
            format!("{head}- apiVersion: v1\n  kind: Pod\n  metadata: {{name: é}}\n  n: ü\n{pad}é: 1\n"),
        ),
        (
            "a column-0 comment inside a block scalar",
            format!(
                "{head}- apiVersion: v1\n  kind: Pod\n  metadata: {{name: x}}\n  data: |\n    a\n# c\n    b\n{pad}"
            ),
        ),
        (
            "a top-level sequence after the items",
            format!("{head}{pad}metadata:\n- a\n"),
        ),
    ];
    for (name, text) in &cases {
        let fast = parse_bytes("f.yaml", text.as_bytes());
        let general = parse_bytes_general("f.yaml", text.as_bytes());
        let whole_is_yaml = !general
            .problems
            .iter()
            .any(|p| p.message.starts_with("invalid YAML"));
        if whole_is_yaml {
            assert_eq!(fast.objects, general.objects, "{name}");
            assert_eq!(
                fast.problems.len(),
                general.problems.len(),
                "{name}: {:?}",
                fast.problems
            );
        } else {
            assert!(!fast.problems.is_empty(), "{name}: read silently");
        }
    }
}

/// JSON's whitespace is space, tab, line feed and carriage return: a form feed between
/// elements makes a streamed List fall back to the ordinary reading, which reports it.
#[test]
fn streamed_list_refuses_what_json_refuses() {
    for pretty in [true, false] {
        let mut text = String::from("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\": [\n");
        for i in 0..400 {
            if i > 0 {
                text.push_str(",\n");
            }
            if i == 200 {
                text.push('\x0c');
            }
            let item =
                format!("{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"p-{i}\"}}}}");
            text.push_str(&if pretty {
                item.replace(',', ",\n    ")
            } else {
                item
            });
        }
        text.push_str("\n]}\n");
        let whole = parse_bytes("f.json", text.as_bytes());
        assert!(whole.objects.is_empty() && !whole.problems.is_empty());
        assert!(stream::read_list_from("f.json", std::io::Cursor::new(text.as_bytes()), 4096).is_none());
    }
}

/// The repeated-key findings of a parse, as (line, column, key, path, first line).
fn duplicates(p: &ParsedFile) -> Vec<(u64, Option<u64>, String, String, String)> {
    p.problems
        .iter()
        .filter(|f| f.check == dupkeys::INPUT_DUPLICATE_KEY)
        .map(|f| {
            let loc = f.location.as_ref().unwrap();
            (
                loc.line,
                loc.column,
                f.details["key"].clone(),
                f.details["path"].clone(),
                f.details["first_line"].clone(),
            )
        })
        .collect()
}

/// Both readings (the fast path, which hands a repeat to the general parser, and the
/// general parser alone) give the same objects and findings.
fn parse_both(text: &str) -> ParsedFile {
    let fast = parse(text);
    let general = parse_bytes_general("f.yaml", text.as_bytes());
    assert_eq!(fast.objects, general.objects, "objects differ on:\n{text}");
    assert_eq!(
        duplicates(&fast),
        duplicates(&general),
        "findings differ on:\n{text}"
    );
    fast
}

const DUP_LABEL: &str = "\
apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: web
  labels:
    app: old
    tier: front
    app: web
spec:
  template:
    spec:
      containers:
      - name: c
        image: nginx:1.0
        image: nginx:2.0
        ports:
        - containerPort: 80
      - name: sidecar
        image: envoy
";

#[test]
fn duplicate_keys_are_reported_and_the_last_value_wins() {
    let p = parse_both(DUP_LABEL);
    assert_eq!(
        duplicates(&p),
        vec![
            (8, Some(5), "app".into(), "metadata.labels".into(), "6".into()),
            (
                15,
                Some(9),
                "image".into(),
                "spec.template.spec.containers[0]".into(),
                "14".into()
            ),
        ]
    );
    assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
    let f = &p.problems[0];
    assert_eq!(f.severity, Severity::Medium);
    assert!(
        f.message.starts_with(
            "duplicate key `app` in metadata.labels (first at line 6): kubectl apply --validate=strict"
        ),
        "{}",
        f.message
    );
    // The object is kept, with the last value, and one entry per key.
    assert_eq!(p.objects.len(), 1);
    let o = &p.objects[0];
    assert_eq!(
        (o.api_version.as_str(), o.kind.as_str()),
        ("extensions/v1beta1", "Deployment")
    );
    let labels = o
        .raw
        .path(&["metadata", "labels"])
        .and_then(Node::as_map)
        .unwrap();
    assert_eq!(labels.len(), 2);
    assert_eq!(
        o.raw.path(&["metadata", "labels", "app"]).and_then(Node::as_str),
        Some("web")
    );
    let containers = o
        .raw
        .path(&["spec", "template", "spec", "containers"])
        .and_then(Node::as_seq)
        .unwrap();
    let first = containers.get(0).unwrap();
    assert_eq!(first.get("image").and_then(Node::as_str), Some("nginx:2.0"));
    assert_eq!(first.as_map().map(|m| m.len()), Some(3));
    assert_eq!(
        containers
            .get(1)
            .and_then(|c| c.get("image"))
            .and_then(Node::as_str),
        Some("envoy")
    );
}

#[test]
fn duplicate_keys_in_forms_only_the_general_parser_reads() {
    // An anchor and a flow mapping over several lines: the fast path does not take these
    // at all, repeat or not.
    let text = "\
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: pdb,
  labels: {app: a, app: b}}
spec:
  selector:
    matchLabels: &sel
      app: web
  minAvailable: 1
  minAvailable: 2
";
    assert!(crate::fastyaml::parse_document(text, 1).is_err());
    let p = parse_both(text);
    assert_eq!(
        duplicates(&p),
        vec![
            (4, Some(20), "app".into(), "metadata.labels".into(), "4".into()),
            (10, Some(3), "minAvailable".into(), "spec".into(), "9".into()),
        ]
    );
    let o = &p.objects[0];
    assert_eq!(o.kind, "PodDisruptionBudget");
    assert_eq!(
        o.raw.path(&["metadata", "labels", "app"]).and_then(Node::as_str),
        Some("b")
    );
    assert_eq!(
        o.raw.path(&["spec", "minAvailable"]).and_then(Node::as_i64),
        Some(2)
    );
    // A repeat at the top level, after a `---` further down the file.
    let p = parse_both(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nkind: ConfigMap\nmetadata: {name: b}\n",
    );
    assert_eq!(
        duplicates(&p),
        vec![(7, Some(1), "kind".into(), "".into(), "6".into())]
    );
    assert!(
        p.problems[0]
            .message
            .contains("`kind` in the top level of the document (first at line 6)")
    );
    assert_eq!(p.objects[1].kind, "ConfigMap");
    // `helm template` output: the finding names the chart's template, where the fix goes.
    let p = parse_both(
        "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: x\n  k: y\n",
    );
    assert_eq!(
        duplicates(&p),
        vec![(8, Some(3), "k".into(), "data".into(), "7".into())]
    );
    let loc = p.problems[0].location.as_ref().unwrap();
    assert_eq!(loc.template.as_deref(), Some("web/templates/cm.yaml"));
}

#[test]
fn duplicate_keys_in_big_mappings_and_behind_aliases() {
    // More keys than are compared one by one: the repeat is found by the index.
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n");
    for i in 0..40 {
        text.push_str(&format!("  key{i}: v{i}\n"));
    }
    text.push_str("  key3: last\n  key39: last\n");
    let p = parse_both(&text);
    assert_eq!(
        duplicates(&p),
        vec![
            (45, Some(3), "key3".into(), "data".into(), "8".into()),
            (46, Some(3), "key39".into(), "data".into(), "44".into())
        ]
    );
    let data = p.objects[0].raw.get("data").and_then(Node::as_map).unwrap();
    assert_eq!(data.len(), 40);
    assert_eq!(
        p.objects[0].raw.path(&["data", "key3"]).and_then(Node::as_str),
        Some("last")
    );
    // A repeat inside an anchored mapping is reported once, at its place, however often
    // aliases use the mapping.
    let p = parse_both(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &l\n    app: old\n    app: new\n  annotations: *l\ndata: *l\n",
    );
    assert_eq!(
        duplicates(&p),
        vec![(7, Some(5), "app".into(), "metadata.labels".into(), "6".into())]
    );
    assert_eq!(
        p.objects[0].raw.path(&["data", "app"]).and_then(Node::as_str),
        Some("new")
    );
}

#[test]
fn the_same_key_in_different_mappings_is_no_duplicate() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: a
        image: nginx
      - name: b
        image: envoy
";
    let p = parse_both(text);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    // Handled by the fast path, which a repeat would have sent to the general parser.
    assert!(crate::fastyaml::parse_document(text, 1).is_ok(), "{text}");
    assert!(crate::fastyaml::parse_document("a:\n  x: 1\nb:\n  x: 1\n", 1).is_ok());
    // A merge key's entries overridden by the mapping's own are not repeats either.
    let p = parse_both(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata:\n  <<: {a: x, b: y}\n  a: z\n",
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(
        p.objects[0].raw.path(&["data", "a"]).and_then(Node::as_str),
        Some("z")
    );
}

#[test]
fn duplicate_keys_in_list_items() {
    let text = "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: a
- apiVersion: batch/v1beta1
  kind: CronJob
  metadata:
    name: b
    labels:
      team: blue
      team: red
";
    let p = parse_both(text);
    assert_eq!(
        duplicates(&p),
        vec![(
            14,
            Some(7),
            "team".into(),
            "items[1].metadata.labels".into(),
            "13".into()
        )]
    );
    assert_eq!(p.objects.len(), 2, "{:?} {:?}", p.objects, p.problems);
    assert_eq!(p.objects[1].kind, "CronJob");
    assert_eq!(p.objects[1].location.as_ref().unwrap().line, 8);
    assert_eq!(
        p.objects[1]
            .raw
            .path(&["metadata", "labels", "team"])
            .and_then(Node::as_str),
        Some("red")
    );
}

/// A big List is read item by item; a repeat in an item is reported at its place in the
/// file, as reading the whole document reports it.
#[test]
fn duplicate_keys_in_items_of_a_big_list() {
    for indent in ["", "  "] {
        let whole = big_yaml_list(indent, "\n");
        // Before the List's trailing `metadata`.
        let tail = whole.rfind("\nmetadata:").unwrap() + 1;
        let mut text = whole[..tail].to_owned();
        let line = text.lines().count() as u64 + 1;
        for l in [
            "- apiVersion: extensions/v1beta1",
            "  kind: Ingress",
            "  metadata:",
            "    name: dup",
            "    annotations: {a: \"1\"}",
            "    annotations:",
            "      b: \"2\"",
        ] {
            text.push_str(indent);
            text.push_str(l);
            text.push('\n');
        }
        text.push_str(&whole[tail..]);
        let chunk = Chunk {
            text: &text,
            first_line: 1,
        };
        let mut read = ParsedFile::default();
        assert!(matches!(
            yaml_list::parse_list("f.yaml", &chunk, &mut read),
            yaml_list::ListOutcome::Read
        ));
        let want: Vec<(u64, Option<u64>, String, String, String)> = vec![(
            line + 5,
            Some(indent.len() as u64 + 5),
            "annotations".into(),
            "metadata".into(),
            (line + 4).to_string(),
        )];
        let general = parse_bytes_general("f.yaml", text.as_bytes());
        let items = text
            .lines()
            .filter(|l| l.strip_prefix(indent).is_some_and(|l| l.starts_with('-')))
            .count();
        let want_general: Vec<_> = want
            .iter()
            .map(|(l, c, k, p, f)| (*l, *c, k.clone(), format!("items[{}].{p}", items - 1), f.clone()))
            .collect();
        assert_eq!(duplicates(&general), want_general, "indent {indent:?}");
        // Item by item, the path starts at the item (its index is not known there).
        assert_eq!(duplicates(&read), want, "indent {indent:?}");
        let last = read.objects.last().unwrap();
        assert_eq!(last.name, "dup");
        assert_eq!(last.kind, "Ingress");
        assert_eq!(
            last.raw
                .path(&["metadata", "annotations", "b"])
                .and_then(Node::as_str),
            Some("2")
        );
        assert_eq!(read.objects, general.objects);
    }
}

#[test]
fn duplicate_keys_in_json() {
    let text = "{\n  \"apiVersion\": \"extensions/v1beta1\",\n  \"kind\": \"Ingress\",\n  \"metadata\": {\"name\": \"a\", \"labels\": {\"app\": \"x\",\n    \"app\": \"y\"}}\n}\n";
    for file in ["f.json", "f.yaml"] {
        let p = parse_bytes(file, text.as_bytes());
        assert_eq!(
            duplicates(&p),
            vec![(5, Some(5), "app".into(), "metadata.labels".into(), "4".into())],
            "{file}"
        );
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.objects.len(), 1);
        let labels = p.objects[0]
            .raw
            .path(&["metadata", "labels"])
            .and_then(Node::as_map)
            .unwrap();
        assert_eq!(labels.len(), 1, "one entry per key, the last");
        assert_eq!(
            p.objects[0]
                .raw
                .path(&["metadata", "labels", "app"])
                .and_then(Node::as_str),
            Some("y")
        );
    }
    // On one line, after another document: the column says which of the two.
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}}\n  {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"b\", \"name\": \"c\"}}\n";
    let p = parse_bytes("f.json", text.as_bytes());
    assert_eq!(
        duplicates(&p),
        vec![(2, Some(71), "name".into(), "metadata".into(), "2".into())]
    );
    assert_eq!(&text.lines().nth(1).unwrap()[70..76], "\"name\"");
    assert_eq!(p.objects[1].name, "c");
    // The same key repeated in two mappings: two findings, each at its place.
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"a\", \"name\": \"b\"},\n \"data\": {\"name\": \"a\", \"name\": \"b\"}}\n";
    let p = parse_bytes("f.json", text.as_bytes());
    assert_eq!(
        duplicates(&p),
        vec![
            (2, Some(28), "name".into(), "metadata".into(), "2".into()),
            (3, Some(24), "name".into(), "data".into(), "3".into())
        ]
    );
    // Where the YAML reading of the JSON does not find the same repeat (here it cannot read
    // the document at all), the repeat is reported at the document's line.
    dupkeys::begin();
    serde_json::from_str::<dupkeys::Value>("{\"a\": 1, \"a\": 2}").unwrap();
    let found = dupkeys::finish();
    assert_eq!(found.len(), 1);
    let located = locate_json_duplicates("{\"a\": 1, \"a\": 2, \"b\": @}", found, 1);
    let mut out = ParsedFile::default();
    push_duplicates("f.json", located, 6, 0, &mut out);
    let f = &out.problems[0];
    assert_eq!(f.location.as_ref().map(|l| (l.line, l.column)), Some((7, None)));
    assert!(
        f.message
            .starts_with("duplicate key `a` in the top level of the document: "),
        "{}",
        f.message
    );
}

/// Big JSON Lists are read in parallel by a reader that does not look for repeats: the
/// document is still read, and lookups take the last value.
#[test]
fn big_json_lists_with_a_repeated_key_are_still_read() {
    let mut text = String::from("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n");
    let mut i = 0;
    while text.len() < PARALLEL_JSON_MIN + 1024 {
        text.push_str(&format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"c{i}\"}}}},\n"
        ));
        i += 1;
    }
    text.push_str("{\"apiVersion\": \"batch/v1beta1\", \"kind\": \"CronJob\", \"metadata\": {\"name\": \"x\", \"name\": \"last\"}}\n]}\n");
    let p = parse_bytes("f.json", text.as_bytes());
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(p.objects.len(), i + 1);
    assert_eq!(p.objects[i].name, "last");
}
