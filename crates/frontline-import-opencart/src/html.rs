//! OpenCart's HTML as plain text for the knowledge base.
//!
//! OpenCart runs every form field through `htmlspecialchars` before saving it, so a description is
//! stored *escaped* (`&lt;p&gt;Доставка&lt;/p&gt;`) and the shop decodes it before printing. We do
//! the same: decode once to get the editor's HTML back, turn block elements into line breaks and
//! list items into `- ` lines, drop the other tags (and whatever `<script>`/`<style>` hold), decode
//! the entities the editor's HTML itself carried (`&laquo;`, `&nbsp;`), and tidy the whitespace.
//! Paragraphs end up separated by blank lines, which is what the knowledge index splits fragments
//! on. Text that was never escaped passes the first decoding unchanged, so raw HTML works too.

/// The text of an OpenCart description (escaped or raw HTML).
pub fn clean_html(stored: &str) -> String {
    let html = decode_entities(stored);
    let mut text = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        rest = &rest[open..];
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |end| &rest[end + 3..]);
            continue;
        }
        let Some(close) = rest.find('>') else {
            // A lone `<` is text ("цена < 1000").
            text.push('<');
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        let (closing, name) = match tag.strip_prefix('/') {
            Some(t) => (true, t),
            None => (false, tag),
        };
        let name: String = name
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            // `< 5` or `<3`: not a tag.
            text.push('<');
            text.push_str(tag);
            text.push('>');
            continue;
        }
        match name.as_str() {
            "script" | "style" if !closing => {
                let end = format!("</{name}");
                rest = find_ignore_case(rest, &end)
                    .and_then(|i| rest[i..].find('>').map(|j| &rest[i + j + 1..]))
                    .unwrap_or("");
            }
            "br" => text.push('\n'),
            "li" if !closing => text.push_str("\n- "),
            "td" | "th" if closing => text.push(' '),
            "tr" | "dt" | "dd" if closing => text.push('\n'),
            "p" | "div" | "ul" | "ol" | "table" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
            | "blockquote" | "section" | "article" | "hr" | "pre" | "dl" | "header" | "footer" => {
                text.push_str("\n\n")
            }
            _ => {}
        }
    }
    text.push_str(rest);
    tidy(&decode_entities(&text))
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .to_ascii_lowercase()
        .find(&needle.to_ascii_lowercase())
}

/// Spaces collapsed within lines, lines trimmed, at most one blank line in a row, none at the ends.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line
            .split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if line.is_empty() || line == "-" {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(&line);
    }
    out
}

/// HTML character references: the named ones shop editors produce, decimal and hexadecimal.
/// Unknown names stay as written.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest[1..]
            .find(';')
            .filter(|&end| end > 0 && end <= 10)
            .and_then(|end| entity(&rest[1..=end]).map(|c| (c, end + 2)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "laquo" => '«',
        "raquo" => '»',
        "bdquo" => '„',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "mdash" => '—',
        "ndash" => '–',
        "minus" => '−',
        "hellip" => '…',
        "middot" => '·',
        "bull" => '•',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "plusmn" => '±',
        "times" => '×',
        "divide" => '÷',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "sup2" => '²',
        "sup3" => '³',
        "micro" => 'µ',
        "sect" => '§',
        "para" => '¶',
        "euro" => '€',
        "pound" => '£',
        "cent" => '¢',
        "yen" => '¥',
        "shy" => '\u{ad}',
        "thinsp" => '\u{2009}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "prime" => '′',
        "Prime" => '″',
        "num" => '#',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(stored: &str, expected: &str) {
        assert_eq!(clean_html(stored), expected, "{stored:?}");
    }

    #[test]
    fn escaped_html_becomes_paragraphs_and_lists() {
        check(
            "&lt;h2&gt;Доставка по Москве&lt;/h2&gt;\r\n&lt;p&gt;Курьер привозит заказ &lt;strong&gt;на следующий день&lt;/strong&gt;.&lt;/p&gt;\r\n&lt;ul&gt;&lt;li&gt;до МКАД — 300&amp;nbsp;₽&lt;/li&gt;&lt;li&gt;за МКАД — 500&amp;nbsp;₽&lt;/li&gt;&lt;/ul&gt;",
            "Доставка по Москве\n\nКурьер привозит заказ на следующий день.\n\n- до МКАД — 300 ₽\n- за МКАД — 500 ₽",
        );
    }

    #[test]
    fn entities_are_decoded_once_per_layer() {
        // The editor's own `&laquo;` arrives escaped as `&amp;laquo;`.
        check(
            "&lt;p&gt;Пункт &amp;laquo;Боксберри&amp;raquo; &amp;amp; почта&lt;/p&gt;",
            "Пункт «Боксберри» & почта",
        );
        check("&#1056;&#x443;&#1073;&#x43b;&#1100;", "Рубль");
        check("AT&T &unknown; &", "AT&T &unknown; &");
    }

    #[test]
    fn raw_html_scripts_comments_and_stray_brackets() {
        check(
            "<div>Текст<br>вторая строка</div><script>alert('x')</script><!-- скрыто --><p>цена < 1000 и 5 > 3</p>",
            "Текст\nвторая строка\n\nцена < 1000 и 5 > 3",
        );
        check(
            "<table><tr><td>Вес</td><td>2 кг</td></tr><tr><td>Цвет</td><td>чёрный</td></tr></table>",
            "Вес 2 кг\nЦвет чёрный",
        );
        check("", "");
        check("&lt;p&gt;&amp;nbsp;&lt;/p&gt;", "");
    }
}
