//! Problems found in a TOML file, each with its file, line and column, and
//! the reading helpers that collect them all instead of stopping at the first.
//!
//! Each table is declared once, as a struct deserialised with serde
//! (`#[serde(deny_unknown_fields)]`, every field an `Option`, spans kept
//! with `Spanned`), and read with [`Collector::read`]. serde alone stops at
//! the first mistake, and a roster with three mistakes must report all
//! three: so `read` takes the known keys from the struct's own declaration,
//! reports every unknown key, then deserialises and sets aside each value of
//! the wrong type until the rest reads. Validation then turns the raw struct
//! into types that cannot be invalid, with the span of every field at hand.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// One problem in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as the user named it.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)
    }
}

/// Every problem found in one or more files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(f, "{count} problem{}", if count == 1 { "" } else { "s" })?;
        for problem in &self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// Collects problems for one file and turns byte offsets into line:column.
pub struct Collector<'a> {
    file: &'a Path,
    text: &'a str,
    /// Problems so far.
    pub problems: Vec<Problem>,
}

impl<'a> Collector<'a> {
    /// Starts collecting for `text`, read from `file`.
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Collector { file, text, problems: Vec::new() }
    }

    /// The text being read.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Records a problem at a byte offset.
    pub fn at(&mut self, offset: usize, message: impl Into<String>) {
        let (line, column) = line_column(self.text, offset);
        self.problems.push(Problem { file: self.file.to_owned(), line, column, message: message.into() });
    }

    /// Records a problem at a span.
    pub fn at_span(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.at(span.start, message);
    }

    /// Parses the document; syntax errors are all recorded and yield `None`
    /// (checking the meaning of a half-parsed file would only add noise).
    pub fn parse(&mut self) -> Option<Spanned<DeTable<'a>>> {
        let (table, errors) = DeTable::parse_recoverable(self.text);
        for error in &errors {
            let offset = error.span().map_or(0, |span| span.start);
            self.at(offset, error.message().trim().to_owned());
        }
        errors.is_empty().then_some(table)
    }

    /// The problems, in the order they appear in the file.
    pub fn finish(mut self) -> Vec<Problem> {
        self.problems.sort_by_key(|problem| (problem.line, problem.column));
        self.problems
    }

    /// Records every key of `table` that is not in `known`, naming the keys
    /// that are allowed.
    fn unknown_keys(&mut self, table: &DeTable<'a>, what: &str, known: &[&str]) {
        for (key, _) in table.iter() {
            if !known.contains(&key.get_ref().as_ref()) {
                let expected = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                self.at_span(&key.span(), format!("unknown key `{}` in {what}; expected one of {expected}", key.get_ref()));
            }
        }
    }
}

/// The field names a derived `Deserialize` struct declares (serde hands them
/// to `deserialize_struct`), in declaration order.
pub fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    #[derive(Debug)]
    struct Stop;
    impl fmt::Display for Stop {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("field names captured")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Stop
        }
    }
    struct Capture<'c>(&'c mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Capture<'_> {
        type Error = Stop;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            *self.0 = fields;
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Capture(&mut fields));
    fields
}

impl<'a> Collector<'a> {
    /// Reads `table` into `T`, a struct declared with
    /// `#[serde(deny_unknown_fields)]` whose fields are all `Option`s: every
    /// unknown key and every value of the wrong type is a problem (`what`
    /// names the table in them), and everything else is read.
    pub fn read<T: DeserializeOwned + Default>(&mut self, table: &DeTable<'a>, what: &str) -> T {
        let known = field_names::<T>();
        self.unknown_keys(table, what, known);
        let mut kept: Vec<(&Spanned<toml::de::DeString<'a>>, &Spanned<DeValue<'a>>)> =
            table.iter().filter(|(key, _)| known.contains(&key.get_ref().as_ref())).collect();
        loop {
            let mut rebuilt = DeTable::default();
            for (key, value) in &kept {
                rebuilt.insert((*key).clone(), (*value).clone());
            }
            match T::deserialize(ValueDeserializer::from(Spanned::new(0..0, DeValue::Table(rebuilt)))) {
                Ok(read) => return read,
                Err(error) => {
                    let at = error.span().map_or(0, |span| span.start);
                    let culprit = kept.iter().position(|(key, value)| value.span().contains(&at) || key.span().contains(&at));
                    match culprit {
                        Some(index) => {
                            let (key, _) = kept.remove(index);
                            self.at(at, format!("`{}`: {}", key.get_ref(), error.message().trim()));
                        }
                        None => {
                            self.at(at, format!("{what}: {}", error.message().trim()));
                            return T::default();
                        }
                    }
                }
            }
        }
    }
}

impl<'a> Collector<'a> {
    /// Reads the array of tables `key` of `table` (`[[what]]` in the file),
    /// each with [`Collector::read`] and with the span it starts at.
    pub fn read_tables<T: DeserializeOwned + Default>(&mut self, table: &DeTable<'a>, key: &str, what: &str) -> Vec<(Range<usize>, T)> {
        let Some((_, value)) = table.iter().find(|(name, _)| name.get_ref().as_ref() == key) else {
            return Vec::new();
        };
        let Some(array) = value.get_ref().as_array() else {
            self.at_span(&value.span(), format!("`{key}` must be an array of tables: write each as [[{what}]]"));
            return Vec::new();
        };
        let mut tables = Vec::new();
        for item in array {
            match item.get_ref().as_table() {
                Some(entry) => tables.push((item.span(), self.read::<T>(entry, &format!("[[{what}]]")))),
                None => self.at_span(&item.span(), format!("each `{key}` must be a table: write it as [[{what}]]")),
            }
        }
        tables
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_columns() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(line_column(text, 999), (3, 1));
    }
}
