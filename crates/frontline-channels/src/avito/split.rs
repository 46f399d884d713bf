//! Avito accepts at most 1000 characters per text message (A4 #4); longer answers go out as several
//! messages, cut where a reader would pause.

/// Avito's limit, in characters (not bytes).
pub const MAX_CHARS: usize = 1000;

/// Split `text` into parts of at most `max` characters: at the last paragraph or line break that
/// leaves the part at least half full, else after the last sentence end (`.`, `!`, `?`, `…` followed by
/// a space), else at the last space, else hard. Parts are trimmed; empty parts are dropped.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if rest.chars().count() <= max {
            parts.push(rest.to_string());
            break;
        }
        // Byte offset just past the `max`-th character.
        let limit = rest
            .char_indices()
            .nth(max)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let window = &rest[..limit];
        let half = window.len() / 2;
        let cut = last_break(window, half)
            .or_else(|| last_sentence_end(window, half))
            .or_else(|| window.rfind(' ').filter(|&i| i > 0))
            .unwrap_or(limit);
        let (head, tail) = rest.split_at(cut);
        let head = head.trim();
        if !head.is_empty() {
            parts.push(head.to_string());
        }
        rest = tail.trim_start();
    }
    parts
}

fn last_break(window: &str, min: usize) -> Option<usize> {
    window
        .rfind("\n\n")
        .or_else(|| window.rfind('\n'))
        .filter(|&i| i >= min)
}

fn last_sentence_end(window: &str, min: usize) -> Option<usize> {
    let mut best = None;
    let mut chars = window.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?' | '…')
            && chars.peek().is_some_and(|(_, next)| next.is_whitespace())
        {
            let end = i + c.len_utf8();
            if end >= min {
                best = Some(end);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_text("  Привет!  ", 1000), vec!["Привет!"]);
        assert!(split_text("   ", 1000).is_empty());
    }

    #[test]
    fn cuts_after_a_sentence_and_counts_characters() {
        let sentence = "Ваш заказ уже в пути. ";
        let text = sentence.repeat(100); // 2200 characters, 4000+ bytes
        let parts = split_text(&text, MAX_CHARS);
        assert!(parts.len() >= 3);
        for p in &parts {
            assert!(
                p.chars().count() <= MAX_CHARS,
                "{} chars",
                p.chars().count()
            );
            assert!(
                p.ends_with('.'),
                "cut mid-sentence: …{}",
                &p[p.len() - 10..]
            );
        }
        assert_eq!(parts.join(" "), text.trim());
    }

    #[test]
    fn prefers_a_paragraph_break() {
        let text = format!("{}\n\n{}", "а".repeat(700), "б ".repeat(300));
        let parts = split_text(&text, MAX_CHARS);
        assert_eq!(parts[0], "а".repeat(700));
    }

    #[test]
    fn falls_back_to_spaces_then_hard_cuts() {
        let words = "слово ".repeat(400);
        for p in split_text(&words, 100) {
            assert!(p.chars().count() <= 100);
            assert!(!p.contains("сло ") && p.ends_with("слово"));
        }
        let blob = "x".repeat(2500);
        let parts = split_text(&blob, MAX_CHARS);
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            vec![1000, 1000, 500]
        );
    }
}
