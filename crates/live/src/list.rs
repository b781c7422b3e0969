//! Listing one resource type page by page: `limit` and `continue`, a restart from the first
//! page when the continue token expired (410 Gone), and each page parsed on the parser pool
//! while the next one is fetched.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use mcp_diag_model::{Builder, Doc, Object};
use serde::Deserialize;

use crate::fetch::{Counters, Failure, Fetcher};

/// One resource type to list, at one version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListJob {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    /// The plural resource name (`pods`).
    pub resource: String,
    pub kind: String,
    pub namespaced: bool,
}

impl ListJob {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection path, across all namespaces.
    pub fn path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}/{}", self.version, self.resource)
        } else {
            format!("/apis/{}/{}/{}", self.group, self.version, self.resource)
        }
    }

    /// `pods (v1)`, `deployments.apps (apps/v1)`: how messages name the type.
    pub fn display(&self) -> String {
        if self.group.is_empty() {
            format!("{} ({})", self.resource, self.api_version())
        } else {
            format!("{}.{} ({})", self.resource, self.group, self.api_version())
        }
    }
}

/// How often one list may start over after its continue token expired.
pub const MAX_RESTARTS: u32 = 3;

/// The URL of one page.
pub fn page_url(base: &str, limit: u32, token: Option<&str>, label_selector: Option<&str>) -> String {
    let mut url = format!("{base}?limit={limit}");
    if let Some(selector) = label_selector {
        url.push_str("&labelSelector=");
        url.push_str(&encode_query(selector));
    }
    if let Some(token) = token {
        url.push_str("&continue=");
        url.push_str(&encode_query(token));
    }
    url
}

/// Percent-encodes a query value (continue tokens are base64 and may hold `+`, `/`, `=`).
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `metadata` of a list: what pagination needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ListMeta {
    /// The token for the next page; `None` on the last.
    #[serde(default, rename = "continue")]
    pub continue_: Option<String>,
    /// How many items the pages after this one hold (when the server says).
    #[serde(default, rename = "remainingItemCount")]
    pub remaining: Option<i64>,
}

/// `metadata.continue` of a list body (see [`list_meta`]).
pub fn continue_token(body: &[u8]) -> Result<Option<String>, String> {
    list_meta(body).map(|m| m.continue_)
}

/// Pages grow to at most this many items (see [`next_limit`]).
pub const MAX_GROWN_PAGE: u32 = 2000;

/// The `limit` for the pages after the first. Small lists keep `page_size` (500 is what
/// kubectl and client-go use, what API server operators expect); a list that still has more
/// than ten pages to go continues with pages four times as big (at most [`MAX_GROWN_PAGE`]),
/// because its chain of sequential round trips is what the whole read waits for: 150,000
/// pods are 300 round trips at 500, 75 at 2000.
pub fn next_limit(page_size: u32, remaining: Option<i64>) -> u32 {
    let page_size = page_size.max(1);
    match remaining {
        Some(n) if n > 10 * i64::from(page_size) => {
            page_size.saturating_mul(4).min(MAX_GROWN_PAGE.max(page_size))
        }
        _ => page_size,
    }
}

/// The `metadata` of a list body, found without parsing the items: a scan that skips
/// strings and nesting until the top-level `metadata` key, then a parse of that value only.
/// The API server writes `metadata` before `items`, so this usually reads a few bytes.
pub fn list_meta(body: &[u8]) -> Result<ListMeta, String> {
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => {
                let start = i + 1;
                i = string_end(body, start).ok_or("the answer ends inside a string")?;
                if depth == 1 && expect_key {
                    expect_key = false;
                    let name = &body[start..i];
                    i = skip_space(body, i + 1);
                    if body.get(i) != Some(&b':') {
                        return Err("the answer is not a JSON object".to_owned());
                    }
                    if name == b"metadata" {
                        let mut de = serde_json::Deserializer::from_slice(&body[i + 1..]);
                        let mut meta =
                            ListMeta::deserialize(&mut de).map_err(|e| format!("metadata: {e}"))?;
                        meta.continue_ = meta.continue_.filter(|t| !t.is_empty());
                        return Ok(meta);
                    }
                }
            }
            b'{' => {
                depth += 1;
                if depth == 1 {
                    expect_key = true;
                }
            }
            b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        i += 1;
    }
    Ok(ListMeta::default())
}

/// The index of the quote closing the string that starts at `start`.
fn string_end(body: &[u8], mut i: usize) -> Option<usize> {
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn skip_space(body: &[u8], mut i: usize) -> usize {
    while i < body.len() && matches!(body[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The items of one page as objects, each given the list's apiVersion and kind (items of a
/// list from the API server carry neither).
pub fn page_objects(body: &[u8], api_version: &str, kind: &str) -> Result<Vec<Object>, String> {
    // Each item straight into its packed form, in one pass over the page.
    let items = mcp_diag_model::parse_json_list_items(body).map_err(|e| format!("invalid list: {e}"))?;
    let mut objects = Vec::with_capacity(items.len());
    for mut item in items {
        if !item.root().is_map() {
            continue;
        }
        let stated =
            |doc: &Doc, key: &str, want: &str| doc.get(key).is_some_and(|v| v.as_str() != Some(want));
        if stated(&item, "apiVersion", api_version) || stated(&item, "kind", kind) {
            // Rare: an item that states another apiVersion or kind; the list's win.
            item = with_identity(&item, api_version, kind);
        } else {
            item.insert_if_missing("apiVersion", api_version);
            item.insert_if_missing("kind", kind);
        }
        if let Some(object) = Object::from_node(item, None) {
            objects.push(object);
        }
    }
    Ok(objects)
}

/// A copy of the mapping `doc` with `apiVersion` and `kind` replaced (put first).
fn with_identity(doc: &Doc, api_version: &str, kind: &str) -> Doc {
    let mut b = Builder::default();
    b.begin();
    b.str(api_version);
    b.key("apiVersion");
    b.str(kind);
    b.key("kind");
    for (k, v) in doc.as_map().unwrap_or_default() {
        if k != "apiVersion" && k != "kind" {
            b.node(v);
            b.key(k);
        }
    }
    b.end_map();
    b.finish()
}

/// Parses a page on the parser pool (deep stacks, one thread per core), off the async threads.
pub async fn parse_off_thread<T, F>(work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, String> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    mcp_diag_sources::parse::parser_pool().spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.map_err(|_| "the parser stopped".to_owned())?
}

/// What listing one type gave.
#[derive(Debug)]
pub enum ListOutcome {
    /// Every object.
    Objects(Vec<Object>),
    /// The list stopped: the objects of the pages read before (none when the first page
    /// failed), and why.
    Stopped { objects: Vec<Object>, error: PageError },
}

/// Lists every object of `job`, page by page. Each page's bytes are parsed while the next
/// page is fetched. An expired continue token restarts the list (at most [`MAX_RESTARTS`]
/// times); a dropped connection is retried by the fetcher with the same token, so the list
/// resumes where it was. No request starts or waits past `deadline`.
pub(crate) async fn list_all(
    fetcher: &Fetcher,
    job: &ListJob,
    page_size: u32,
    deadline: Option<Instant>,
) -> ListOutcome {
    let flatten = |pages: Vec<Vec<Object>>| {
        // Sized once: a list of 150,000 objects would otherwise be copied while it grows.
        let mut objects = Vec::with_capacity(pages.iter().map(Vec::len).sum());
        for page in pages {
            objects.extend(page);
        }
        objects
    };
    let api_version = job.api_version();
    let kind = job.kind.clone();
    match list_pages(
        fetcher,
        &job.path(),
        page_size,
        None,
        deadline,
        move |body: Bytes| page_objects(&body, &api_version, &kind),
    )
    .await
    {
        Ok(pages) => ListOutcome::Objects(flatten(pages)),
        Err(stopped) => ListOutcome::Stopped {
            objects: flatten(stopped.pages),
            error: stopped.error,
        },
    }
}

/// Why a paged list stopped.
#[derive(Debug)]
pub enum PageError {
    Fetch(Failure),
    Parse(String),
}

/// A paged list that stopped: the pages parsed before, in order, and why.
#[derive(Debug)]
pub struct Stopped<T> {
    pub pages: Vec<T>,
    pub error: PageError,
}

/// Fetches every page of `base` and parses each with `parse` (on the parser pool, while the
/// next page is fetched); the parsed pages in order. When a page cannot be fetched, the pages
/// read before it are returned with the failure (the caller decides whether a part is worth
/// keeping); pages of a list that was started over after an expired token are never mixed
/// with those of the new start.
pub(crate) async fn list_pages<T, P>(
    fetcher: &Fetcher,
    base: &str,
    page_size: u32,
    label_selector: Option<&str>,
    deadline: Option<Instant>,
    parse: P,
) -> Result<Vec<T>, Stopped<T>>
where
    T: Send + 'static,
    P: Fn(Bytes) -> Result<T, String> + Clone + Send + Sync + 'static,
{
    let mut restarts = 0;
    let attempts = fetcher.policy.max_attempts;
    'restart: loop {
        let mut parsed: Vec<T> = Vec::new();
        // Pages parsed in the background, oldest first: fetching runs ahead of parsing by
        // up to PARSE_AHEAD pages, so a list's chain of requests is never held up by the
        // parser (which other lists share), while the raw pages held stay bounded.
        let mut pending: VecDeque<tokio::task::JoinHandle<Result<T, String>>> = VecDeque::new();
        let mut token: Option<String> = None;
        let mut limit = page_size.max(1);
        loop {
            let url = page_url(base, limit, token.as_deref(), label_selector);
            let answer = match fetcher
                .get_within(&url, "application/json", attempts, deadline)
                .await
            {
                Ok(answer) => answer,
                Err(failure) if failure.code() == Some(410) && token.is_some() && restarts < MAX_RESTARTS => {
                    // The continue token expired (etcd compacted the revision): the list
                    // starts over, since pages of two revisions do not make one list.
                    restarts += 1;
                    Counters::add(&fetcher.counters.restarts, 1);
                    tracing::debug!(base, restarts, "continue token expired; listing again");
                    abort_all(&mut pending);
                    continue 'restart;
                }
                Err(failure) => {
                    // The pages already fetched are parsed to the end: they are a part of
                    // the list, kept as such.
                    while let Some(task) = pending.pop_front() {
                        match join(task).await {
                            Ok(page) => parsed.push(page),
                            Err(_) => {
                                abort_all(&mut pending);
                                break;
                            }
                        }
                    }
                    return Err(Stopped {
                        pages: parsed,
                        error: PageError::Fetch(failure),
                    });
                }
            };
            Counters::add(&fetcher.counters.pages, 1);
            let next = match list_meta(&answer.body) {
                Ok(meta) => {
                    if token.is_none() {
                        limit = next_limit(page_size, meta.remaining);
                    }
                    meta.continue_
                }
                Err(message) => {
                    abort_all(&mut pending);
                    return Err(Stopped {
                        pages: parsed,
                        error: PageError::Parse(message),
                    });
                }
            };
            let parse = parse.clone();
            let body = answer.body;
            pending.push_back(tokio::spawn(parse_off_thread(move || parse(body))));
            while pending.len() > PARSE_AHEAD {
                if let Some(task) = pending.pop_front() {
                    match join(task).await {
                        Ok(page) => parsed.push(page),
                        Err(error) => {
                            abort_all(&mut pending);
                            return Err(Stopped { pages: parsed, error });
                        }
                    }
                }
            }
            match next {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        while let Some(task) = pending.pop_front() {
            match join(task).await {
                Ok(page) => parsed.push(page),
                Err(error) => {
                    abort_all(&mut pending);
                    return Err(Stopped { pages: parsed, error });
                }
            }
        }
        return Ok(parsed);
    }
}

/// Pages of one list fetched but not yet parsed, at most.
pub const PARSE_AHEAD: usize = 4;

fn abort_all<T>(pending: &mut VecDeque<tokio::task::JoinHandle<T>>) {
    for task in pending.drain(..) {
        task.abort();
    }
}

async fn join<T>(task: tokio::task::JoinHandle<Result<T, String>>) -> Result<T, PageError> {
    match task.await {
        Ok(result) => result.map_err(PageError::Parse),
        Err(e) => Err(PageError::Parse(format!("the parser task failed: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_diag_model::Node;

    #[test]
    fn continue_tokens() {
        let first = br#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"12","continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTJ9","remainingItemCount":3},"items":[{"metadata":{"name":"a"}}]}"#;
        assert_eq!(
            continue_token(first).unwrap().as_deref(),
            Some("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTJ9")
        );
        // metadata after items, with a decoy key inside an item and braces inside strings.
        let last = br#"{ "items" : [ {"metadata": {"continue": "decoy"}, "x": "}\"{,"} ],
            "kind": "metadata", "metadata" : { "continue" : "tok+/=" } }"#;
        assert_eq!(continue_token(last).unwrap().as_deref(), Some("tok+/="));
        assert_eq!(
            continue_token(br#"{"metadata":{"continue":""},"items":[]}"#).unwrap(),
            None
        );
        assert_eq!(continue_token(br#"{"metadata":{},"items":[]}"#).unwrap(), None);
        assert_eq!(continue_token(br#"{"items":[]}"#).unwrap(), None);
        assert!(continue_token(br#"{"metadata":{"continue":5}}"#).is_err());
        assert!(continue_token(br#"{"metadata"#).is_err());
        assert!(continue_token(br#"{"a" 1}"#).is_err());
        assert_eq!(continue_token(b"").unwrap(), None);
        assert_eq!(continue_token(b"\xff\xfe{{{{[[[").unwrap(), None);
    }

    #[test]
    fn big_lists_get_bigger_pages() {
        assert_eq!(next_limit(500, None), 500);
        assert_eq!(next_limit(500, Some(5000)), 500);
        assert_eq!(next_limit(500, Some(5001)), 2000);
        assert_eq!(next_limit(1000, Some(149_000)), 2000);
        assert_eq!(next_limit(3000, Some(1_000_000)), 3000);
        assert_eq!(next_limit(0, Some(100)), 4);
        assert_eq!(next_limit(u32::MAX, Some(i64::MAX)), u32::MAX);
        let meta =
            list_meta(br#"{"metadata":{"continue":"t","remainingItemCount":149500},"items":[]}"#).unwrap();
        assert_eq!(meta.remaining, Some(149_500));
    }

    #[test]
    fn urls() {
        assert_eq!(
            page_url("/api/v1/pods", 500, None, None),
            "/api/v1/pods?limit=500"
        );
        assert_eq!(
            page_url("/api/v1/secrets", 10, Some("a+b/c="), Some("owner=helm")),
            "/api/v1/secrets?limit=10&labelSelector=owner%3Dhelm&continue=a%2Bb%2Fc%3D"
        );
        let job = ListJob {
            group: "apps".into(),
            version: "v1".into(),
            resource: "deployments".into(),
            kind: "Deployment".into(),
            namespaced: true,
        };
        assert_eq!(job.path(), "/apis/apps/v1/deployments");
        assert_eq!(job.display(), "deployments.apps (apps/v1)");
        assert_eq!(encode_query("ä"), "%C3%A4");
    }

    #[test]
    fn items_get_api_version_and_kind() {
        let body = br#"{"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{},"items":[
            {"metadata":{"name":"web","namespace":"shop","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"Deployment\"}"}}},
            {"apiVersion":"wrong/v9","kind":"Wrong","metadata":{"name":"db","namespace":"shop"}},
            7]}"#;
        let objects = page_objects(body, "apps/v1", "Deployment").unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].api_version, "apps/v1");
        assert_eq!(objects[0].kind, "Deployment");
        assert_eq!(objects[0].namespace.as_deref(), Some("shop"));
        assert_eq!(objects[0].location, None);
        assert_eq!(
            objects[0].applied_api_version.as_deref(),
            Some("extensions/v1beta1")
        );
        assert_eq!(objects[1].kind, "Deployment");
        assert_eq!(
            objects[1].raw.get("apiVersion").and_then(Node::as_str),
            Some("apps/v1")
        );
        assert_eq!(page_objects(br#"{"items":null}"#, "v1", "Pod").unwrap().len(), 0);
        assert!(page_objects(b"not json", "v1", "Pod").is_err());
        assert!(page_objects(b"{\"items\":[\"\xff\"]}", "v1", "Pod").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            "{{\"items\":[{{\"metadata\":{{\"name\":\"x\"}},\"spec\":{}1{}}}]}}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert!(page_objects(deep.as_bytes(), "v1", "Pod").is_err());
    }
}
