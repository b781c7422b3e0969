//! Bearer tokens and RBAC rules: who may call the emulator, and the 401 and 403 bodies the
//! real API server sends.
//!
//! Sources for the behaviour mirrored here (Kubernetes 1.3x): the request-info parser
//! (`k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`: which paths are resource
//! requests, their verb, namespace, name and subresource), the RBAC rule matching
//! (`pkg/apis/rbac/v1/evaluation_helpers.go`: `*` wildcards, `resource/subresource`, `*/sub`,
//! resourceNames, nonResourceURLs with a trailing `*`), the bootstrap roles every
//! authenticated user holds (`system:discovery`, `system:public-info-viewer`), and the
//! Forbidden wording (`responsewriters.forbiddenMessage`, `errors.NewForbidden`).

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Access, PolicyRule, Token};

/// What a request asks for, as the authorizer sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RequestInfo {
    pub resource_request: bool,
    pub verb: String,
    pub path: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
}

/// `requestinfo.go`, for the paths the emulator serves.
pub(crate) fn request_info(method: &Method, path: &str, watch: bool) -> RequestInfo {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut info = RequestInfo {
        resource_request: false,
        verb: method.as_str().to_ascii_lowercase(),
        path: path.to_owned(),
        group: String::new(),
        resource: String::new(),
        subresource: String::new(),
        namespace: String::new(),
        name: String::new(),
    };
    let (group, rest) = match segs.as_slice() {
        ["api", _version, rest @ ..] if !rest.is_empty() => ("", rest),
        ["apis", group, _version, rest @ ..] if !rest.is_empty() => (*group, rest),
        _ => return info,
    };
    info.resource_request = true;
    info.group = group.to_owned();
    let mut parts = rest;
    if parts[0] == "namespaces" && parts.len() > 1 {
        info.namespace = parts[1].to_owned();
        if parts.len() > 2 && !matches!(parts[2], "status" | "finalize") {
            parts = &parts[2..];
        }
    }
    if parts.len() >= 3 {
        info.subresource = parts[2].to_owned();
    }
    if parts.len() >= 2 {
        info.name = parts[1].to_owned();
    }
    info.resource = parts[0].to_owned();
    info.verb = match *method {
        Method::GET | Method::HEAD if watch => "watch",
        Method::GET | Method::HEAD if info.name.is_empty() => "list",
        Method::GET | Method::HEAD => "get",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if info.name.is_empty() => "deletecollection",
        Method::DELETE => "delete",
        _ => return info,
    }
    .to_owned();
    info
}

fn has(list: &[String], want: &str) -> bool {
    list.iter().any(|x| x == "*" || x == want)
}

impl PolicyRule {
    /// Does this rule allow the request? (RBAC's `RuleAllows`.)
    pub(crate) fn allows(&self, r: &RequestInfo) -> bool {
        if !has(&self.verbs, &r.verb) {
            return false;
        }
        if !r.resource_request {
            return self.non_resource_urls.iter().any(|u| {
                u == "*"
                    || *u == r.path
                    || u.strip_suffix('*')
                        .is_some_and(|prefix| r.path.starts_with(prefix))
            });
        }
        let combined = if r.subresource.is_empty() {
            r.resource.clone()
        } else {
            format!("{}/{}", r.resource, r.subresource)
        };
        has(&self.api_groups, &r.group)
            && self.resources.iter().any(|x| {
                x == "*"
                    || *x == combined
                    || (!r.subresource.is_empty() && *x == format!("*/{}", r.subresource))
            })
            && (self.resource_names.is_empty() || self.resource_names.contains(&r.name))
    }
}

/// The non-resource paths the bootstrap roles `system:discovery` and
/// `system:public-info-viewer` give every authenticated user.
const EVERYONE: &[&str] = &[
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/version/",
    "/openapi",
    "/openapi/*",
];

fn everyone_allows(r: &RequestInfo) -> bool {
    !r.resource_request
        && r.verb == "get"
        && EVERYONE.iter().any(|u| match u.strip_suffix('*') {
            Some(prefix) => r.path.starts_with(prefix),
            None => r.path == *u,
        })
}

/// The caller a request authenticates as, or the 401 to send.
pub(crate) fn authenticate<'a>(access: &'a Access, authorization: &str) -> Result<Option<&'a Token>, ()> {
    if access.tokens.is_empty() {
        return Ok(None);
    }
    let presented = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
        .map(str::trim);
    match presented.and_then(|p| access.tokens.iter().find(|t| t.token == p)) {
        Some(t) => Ok(Some(t)),
        None => Err(()),
    }
}

/// `None` when the token may make this request, else the 403 body's message and details.
pub(crate) fn authorize(token: &Token, r: &RequestInfo) -> Option<(String, Value)> {
    let Some(rules) = &token.rules else {
        return None;
    };
    if everyone_allows(r) || rules.iter().any(|rule| rule.allows(r)) {
        return None;
    }
    Some(forbidden(&token.user, r))
}

/// The real server's Forbidden message and details.
pub(crate) fn forbidden(user: &str, r: &RequestInfo) -> (String, Value) {
    let q = |s: &str| Value::String(s.to_owned()).to_string();
    if !r.resource_request {
        let why = format!("User {} cannot {} path {}", q(user), r.verb, q(&r.path));
        return (format!("forbidden: {why}"), json!({}));
    }
    let resource = if r.subresource.is_empty() {
        r.resource.clone()
    } else {
        format!("{}/{}", r.resource, r.subresource)
    };
    let scope = if r.namespace.is_empty() {
        "at the cluster scope".to_owned()
    } else {
        format!("in the namespace {}", q(&r.namespace))
    };
    let why = format!(
        "User {} cannot {} resource {} in API group {} {scope}",
        q(user),
        r.verb,
        q(&resource),
        q(&r.group)
    );
    let qualified = if r.group.is_empty() {
        r.resource.clone()
    } else {
        format!("{}.{}", r.resource, r.group)
    };
    let message = if r.name.is_empty() {
        format!("{qualified} is forbidden: {why}")
    } else {
        format!("{qualified} {} is forbidden: {why}", q(&r.name))
    };
    let mut details = json!({"kind": r.resource});
    if !r.group.is_empty() {
        details["group"] = json!(r.group);
    }
    if !r.name.is_empty() {
        details["name"] = json!(r.name);
    }
    (message, details)
}

/// The status code and body of a refusal.
pub(crate) fn unauthorized() -> (StatusCode, &'static str, &'static str) {
    (StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized")
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{what} holds {i}, not a string"))
            })
            .collect(),
        Some(other) => Err(format!("{what} is {other}, not a list")),
    }
}

/// The rules of every ClusterRole or Role among `docs` (other kinds are skipped).
pub(crate) fn rules_of(docs: &[Value]) -> Result<Vec<PolicyRule>, String> {
    let mut out = Vec::new();
    let mut roles = 0;
    for doc in docs {
        if !matches!(
            doc.get("kind").and_then(Value::as_str),
            Some("ClusterRole" | "Role")
        ) {
            continue;
        }
        roles += 1;
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)");
        let rules = match doc.get("rules") {
            None | Some(Value::Null) => &Vec::new(),
            Some(Value::Array(r)) => r,
            Some(_) => return Err(format!("role {name}: rules is not a list")),
        };
        for (i, rule) in rules.iter().enumerate() {
            let at = |field: &str| format!("role {name}, rule {i}: {field}");
            let rule = PolicyRule {
                api_groups: strings(rule.get("apiGroups"), &at("apiGroups"))?,
                resources: strings(rule.get("resources"), &at("resources"))?,
                verbs: strings(rule.get("verbs"), &at("verbs"))?,
                resource_names: strings(rule.get("resourceNames"), &at("resourceNames"))?,
                non_resource_urls: strings(rule.get("nonResourceURLs"), &at("nonResourceURLs"))?,
            };
            if rule.verbs.is_empty() {
                return Err(at("verbs is empty"));
            }
            out.push(rule);
        }
    }
    if roles == 0 {
        return Err("no ClusterRole or Role in it".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect();
        PolicyRule {
            api_groups: v(groups),
            resources: v(resources),
            verbs: v(verbs),
            ..PolicyRule::default()
        }
    }

    #[test]
    fn request_info_follows_the_server() {
        let i = request_info(&Method::GET, "/api/v1/pods", false);
        assert!(i.resource_request);
        assert_eq!(
            (i.verb.as_str(), i.resource.as_str(), i.namespace.as_str()),
            ("list", "pods", "")
        );
        let i = request_info(&Method::POST, "/api/v1/namespaces/a/pods/web/eviction", false);
        assert_eq!(
            (
                i.verb.as_str(),
                i.resource.as_str(),
                i.name.as_str(),
                i.subresource.as_str()
            ),
            ("create", "pods", "web", "eviction")
        );
        let i = request_info(&Method::GET, "/apis/apps/v1/namespaces/a/deployments", true);
        assert_eq!(
            (i.verb.as_str(), i.group.as_str(), i.namespace.as_str()),
            ("watch", "apps", "a")
        );
        let i = request_info(&Method::GET, "/api/v1/namespaces/a", false);
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.namespace.as_str()),
            ("namespaces", "a", "a")
        );
        let i = request_info(&Method::PUT, "/api/v1/namespaces/a/finalize", false);
        assert_eq!(
            (i.resource.as_str(), i.subresource.as_str(), i.verb.as_str()),
            ("namespaces", "finalize", "update")
        );
        for p in ["/apis/apps/v1", "/api", "/version", "/metrics"] {
            assert!(!request_info(&Method::GET, p, false).resource_request, "{p}");
        }
    }

    #[test]
    fn rules_match_as_rbac_does() {
        let list_pods = request_info(&Method::GET, "/api/v1/pods", false);
        assert!(rule(&[""], &["pods"], &["list"]).allows(&list_pods));
        assert!(rule(&["*"], &["*"], &["*"]).allows(&list_pods));
        assert!(!rule(&["apps"], &["pods"], &["list"]).allows(&list_pods));
        assert!(!rule(&[""], &["pods"], &["get"]).allows(&list_pods));
        let evict = request_info(&Method::POST, "/api/v1/namespaces/a/pods/p/eviction", false);
        assert!(!rule(&[""], &["pods"], &["create"]).allows(&evict));
        assert!(rule(&[""], &["pods/eviction"], &["create"]).allows(&evict));
        assert!(rule(&[""], &["*/eviction"], &["create"]).allows(&evict));
        let mut named = rule(&[""], &["pods"], &["get"]);
        named.resource_names = vec!["p".into()];
        assert!(named.allows(&request_info(&Method::GET, "/api/v1/namespaces/a/pods/p", false)));
        assert!(!named.allows(&request_info(&Method::GET, "/api/v1/namespaces/a/pods/q", false)));
        let metrics = request_info(&Method::GET, "/metrics", false);
        let mut urls = rule(&[], &[], &["get"]);
        urls.non_resource_urls = vec!["/metr*".into()];
        assert!(urls.allows(&metrics));
        assert!(!urls.allows(&list_pods));
        assert!(!rule(&["*"], &["*"], &["*"]).allows(&metrics));
    }

    #[test]
    fn forbidden_in_the_servers_words() {
        let (m, d) = forbidden("jane", &request_info(&Method::GET, "/api/v1/pods", false));
        assert_eq!(
            m,
            "pods is forbidden: User \"jane\" cannot list resource \"pods\" in API group \"\" at the cluster scope"
        );
        assert_eq!(d, json!({"kind": "pods"}));
        let r = request_info(&Method::GET, "/apis/apps/v1/namespaces/a/deployments/web", false);
        let (m, d) = forbidden("jane", &r);
        assert_eq!(
            m,
            "deployments.apps \"web\" is forbidden: User \"jane\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"a\""
        );
        assert_eq!(d, json!({"kind": "deployments", "group": "apps", "name": "web"}));
        let (m, _) = forbidden("jane", &request_info(&Method::GET, "/metrics", false));
        assert_eq!(m, "forbidden: User \"jane\" cannot get path \"/metrics\"");
    }

    #[test]
    fn roles_parse_and_bad_ones_say_why() {
        let docs = vec![
            json!({"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
                {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]}),
            json!({"kind": "ClusterRoleBinding"}),
        ];
        let rules = rules_of(&docs).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].non_resource_urls, ["/metrics"]);
        assert!(
            rules_of(&[json!({"kind": "ConfigMap"})])
                .unwrap_err()
                .contains("no ClusterRole")
        );
        let bad = json!({"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": [{"verbs": "get"}]});
        assert!(rules_of(&[bad]).unwrap_err().contains("role r, rule 0: verbs"));
    }

    #[test]
    fn tokens_authenticate() {
        let access = Access {
            tokens: vec![Token {
                token: "t1".into(),
                user: "u".into(),
                rules: None,
            }],
        };
        assert!(authenticate(&access, "Bearer t1").unwrap().is_some());
        assert!(authenticate(&access, "Bearer t2").is_err());
        assert!(authenticate(&access, "").is_err());
        assert!(authenticate(&Access::default(), "").unwrap().is_none());
    }
}
