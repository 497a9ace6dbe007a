//! Values by parameter name, in the law's order: the one shape parameters
//! take everywhere. Serialized as a JSON object `{"name": value}` (keys in
//! the law's order); their intervals, where there are any, sit beside them
//! in the same shape (`{"name": {"lo": .., "hi": ..}}`).

use serde::ser::SerializeMap;

/// Values of type `T` keyed by parameter name. Reads as a slice in the
/// law's order (`named[0]`, `named.iter()`), looks up by name with `by_name`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Named<T> {
    names: Vec<String>,
    values: Vec<T>,
}

/// Parameter values by name.
pub type Params = Named<f64>;

impl<T> Named<T> {
    /// Names and values in the same order. Panics when their lengths differ
    /// (a programming error, not bad input).
    pub fn new(names: Vec<String>, values: Vec<T>) -> Named<T> {
        assert_eq!(
            names.len(),
            values.len(),
            "as many names as values: {names:?}"
        );
        Named { names, values }
    }
    /// From (name, value) pairs.
    pub fn from_pairs<S: Into<String>>(pairs: impl IntoIterator<Item = (S, T)>) -> Named<T> {
        let (names, values) = pairs.into_iter().map(|(n, v)| (n.into(), v)).unzip();
        Named { names, values }
    }
    /// The names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The values, in the order of the names.
    pub fn values(&self) -> &[T] {
        &self.values
    }
    /// The values, in the order of the names, owned.
    pub fn into_values(self) -> Vec<T> {
        self.values
    }
    /// The value of parameter `name`.
    pub fn by_name(&self, name: &str) -> Option<&T> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.values[i])
    }
    /// (name, value) in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &T)> {
        self.names.iter().map(String::as_str).zip(&self.values)
    }
    /// The same names with values mapped.
    pub fn map<U>(&self, f: impl FnMut(&T) -> U) -> Named<U> {
        Named {
            names: self.names.clone(),
            values: self.values.iter().map(f).collect(),
        }
    }
}

impl Named<f64> {
    /// The value of parameter `name` (NaN when the law has none: callers
    /// name parameters of a law they know).
    pub fn value(&self, name: &str) -> f64 {
        self.by_name(name).copied().unwrap_or(f64::NAN)
    }
}

impl<T> std::ops::Deref for Named<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.values
    }
}

impl<T: serde::Serialize> serde::Serialize for Named<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.names.len()))?;
        for (n, v) in self.names.iter().zip(&self.values) {
            m.serialize_entry(n, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_one_object_in_order_and_reads_as_a_slice() {
        let p = Params::from_pairs([("E", 1.8), ("A", 406.4), ("alpha", 0.34)]);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"E":1.8,"A":406.4,"alpha":0.34}"#
        );
        assert_eq!(p[1], 406.4);
        assert_eq!(p.value("alpha"), 0.34);
        assert!(p.by_name("B").is_none());
        let iv = p.map(|v| crate::bootstrap::Interval {
            lo: v - 1.0,
            hi: v + 1.0,
        });
        assert_eq!(
            serde_json::to_value(&iv).unwrap()["A"]["hi"].as_f64(),
            Some(407.4)
        );
    }
}
