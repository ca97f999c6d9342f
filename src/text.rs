//! Text that came from outside (Meta's answers, the OAuth redirect) made safe
//! to show: control characters removed, so an ad account named with an
//! escape sequence cannot repaint, retitle or hide lines of an operator's
//! terminal, and a CSV or log line stays one line.

use std::borrow::Cow;

/// Removes C0 controls (but newline and tab, which layouts use), DEL and C1
/// controls. Borrowed when there is nothing to remove.
pub fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_unsafe) {
        Cow::Owned(text.chars().filter(|c| !is_unsafe(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// Like [`clean`], for a single-line field (a table cell, a CSV value): newlines and tabs go too.
pub fn clean_line(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(text.chars().filter(|c| !c.is_control()).collect())
    } else {
        Cow::Borrowed(text)
    }
}

fn is_unsafe(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Cleans every string in a JSON value, keys included, in place.
pub fn clean_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Cow::Owned(cleaned) = clean_line(s) {
                *s = cleaned;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clean_json),
        Value::Object(map) => {
            if map.keys().any(|k| k.chars().any(char::is_control)) {
                let entries = std::mem::take(map);
                *map = entries
                    .into_iter()
                    .map(|(k, v)| (clean_line(&k).into_owned(), v))
                    .collect();
            }
            map.values_mut().for_each(clean_json);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_c1_controls_are_removed() {
        assert_eq!(clean("Ads\u{1b}[2J\u{1b}]0;pwned\u{7}"), "Ads[2J]0;pwned");
        assert_eq!(clean("a\u{9b}31mb\u{7f}c"), "a31mbc");
        assert_eq!(clean("two\nlines\tok"), "two\nlines\tok");
        assert_eq!(clean_line("two\nlines"), "twolines");
        assert!(matches!(clean("plain ñandú"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_strings_are_cleaned_everywhere() {
        let mut v = serde_json::json!({"data": [{"name": "x\u{1b}[31my", "n": 1}], "k\u{7}": "v"});
        clean_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"data": [{"name": "x[31my", "n": 1}], "k": "v"})
        );
    }
}
