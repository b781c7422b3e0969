//! Counts in messages: "1 pod", "2 pods".

/// `n` followed by the singular or plural noun: `plural(1, "pod", "pods")` is "1 pod".
/// Both forms are given because English plurals are irregular ("1 replica", "2 replicas";
/// "1 match", "2 matches").
pub fn plural(n: impl Count, one: &str, many: &str) -> String {
    let n = n.count();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The noun alone, agreeing with `n`: `noun(2, "pod", "pods")` is "pods".
pub fn noun<'a>(n: impl Count, one: &'a str, many: &'a str) -> &'a str {
    if n.count() == 1 { one } else { many }
}

/// The integer types counts come in.
pub trait Count: Copy {
    fn count(self) -> u128;
}

macro_rules! count {
    ($($t:ty),*) => {$(
        impl Count for $t {
            fn count(self) -> u128 {
                // Negative counts do not occur; they read as plural, like zero.
                u128::try_from(self).unwrap_or(0)
            }
        }
    )*};
}
count!(u8, u16, u32, u64, usize, i32, i64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_count() {
        assert_eq!(plural(1u32, "pod", "pods"), "1 pod");
        assert_eq!(plural(0usize, "pod", "pods"), "0 pods");
        assert_eq!(plural(2u64, "replica", "replicas"), "2 replicas");
        assert_eq!(plural(1i64, "node", "nodes"), "1 node");
        assert_eq!(noun(1u8, "row", "rows"), "row");
        assert_eq!(noun(3usize, "row", "rows"), "rows");
    }
}
