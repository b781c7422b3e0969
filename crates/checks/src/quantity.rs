//! Kubernetes resource quantities: CPU in millicores, memory and storage in bytes.

/// Millicores of a CPU quantity: `500m`, `2`, `1.5`, `0.25`; `None` when unreadable.
pub fn cpu_millis(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Some(m) = text.strip_suffix('m') {
        return m
            .parse::<f64>()
            .ok()
            .filter(|v| *v >= 0.0)
            .map(|v| v.round() as u64);
    }
    if let Some(n) = text.strip_suffix('n') {
        return n
            .parse::<f64>()
            .ok()
            .filter(|v| *v >= 0.0)
            .map(|v| (v / 1_000_000.0).round() as u64);
    }
    if let Some(u) = text.strip_suffix('u') {
        return u
            .parse::<f64>()
            .ok()
            .filter(|v| *v >= 0.0)
            .map(|v| (v / 1_000.0).round() as u64);
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| *v >= 0.0)
        .map(|v| (v * 1000.0).round() as u64)
}

/// Bytes of a memory or storage quantity: `128Mi`, `1Gi`, `500M`, `1e9`, `1024`.
pub fn bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("k", 1e3),
        ("K", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
        ("m", 1e-3),
    ];
    for (suffix, factor) in SUFFIXES {
        if let Some(n) = text.strip_suffix(suffix) {
            return n
                .parse::<f64>()
                .ok()
                .filter(|v| *v >= 0.0)
                .map(|v| (v * factor).round() as u64);
        }
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| *v >= 0.0)
        .map(|v| v.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(cpu_millis("500m"), Some(500));
        assert_eq!(cpu_millis("2"), Some(2000));
        assert_eq!(cpu_millis("0.25"), Some(250));
        assert_eq!(cpu_millis("lots"), None);
        assert_eq!(bytes("128Mi"), Some(134_217_728));
        assert_eq!(bytes("1G"), Some(1_000_000_000));
        assert_eq!(bytes("1e3"), Some(1000));
        assert_eq!(bytes("-1Gi"), None);
        assert_eq!(bytes("x"), None);
    }
}
