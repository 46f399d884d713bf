//! Reading the OpenCart tables out of an SQL dump (mysqldump, mariadb-dump, phpMyAdmin, Adminer),
//! for shops whose database frontline cannot reach.
//!
//! A dump is machine-written SQL with a small grammar, so it is read with a purpose-built lexer
//! rather than a general SQL parser: statements are split on `;` outside quotes and comments, and
//! only two kinds matter — `CREATE TABLE` of a wanted table (for its column order, since mysqldump's
//! `INSERT`s name no columns by default) and `INSERT`/`REPLACE` into one (for its rows). Everything
//! else (`SET`, `LOCK TABLES`, `/*!40101 … */`, other tables) is skipped without being understood,
//! so a dialect corner in a statement we do not need can never fail the import, and the file is read
//! in one pass. Strings follow MySQL's rules: `\`-escapes (`\n`, `\'`, `\\`, `\0`, …) and doubled
//! quotes; `_utf8mb4'…'` introducers and `0x…` literals are understood too.

use std::collections::BTreeMap;

use crate::{OpencartError, Table, TableKind, TablePrefix, Tables, Value};

/// The wanted tables of `dump`, under `prefix`. Every row remembers the line its tuple starts on.
pub fn read_tables(dump: &str, prefix: &TablePrefix) -> Result<Tables, OpencartError> {
    let wanted: BTreeMap<String, TableKind> = TableKind::ALL
        .iter()
        .map(|k| (prefix.table(*k), *k))
        .collect();
    let mut columns: BTreeMap<TableKind, Vec<String>> = BTreeMap::new();
    let mut tables = Tables::default();
    let mut lexer = Lexer::new(dump);
    loop {
        lexer.skip_space_and_comments();
        if lexer.at_end() {
            break;
        }
        let line = lexer.line;
        let start = lexer.pos;
        let words = lexer.leading_words(4);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["CREATE", "TABLE", ..] => {
                lexer.pos = start;
                lexer.line = line;
                if let Some((name, cols)) = lexer.create_table()?
                    && let Some(kind) = wanted.get(&name)
                {
                    columns.insert(*kind, cols);
                }
            }
            ["INSERT", ..] | ["REPLACE", ..] => {
                lexer.pos = start;
                lexer.line = line;
                lexer.insert(&wanted, &columns, &mut tables)?;
            }
            _ => {}
        }
        lexer.skip_statement()?;
    }
    // Tables that were created but hold no rows are there, empty.
    for (kind, cols) in columns {
        tables.0.entry(kind).or_insert_with(|| Table {
            columns: cols,
            rows: Vec::new(),
        });
    }
    Ok(tables)
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// 1-based line of `pos`.
    line: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Lexer {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    fn error(&self, line: usize, why: impl Into<String>) -> OpencartError {
        OpencartError::Dump {
            line,
            why: why.into(),
        }
    }

    /// Whitespace, `-- …` and `# …` line comments, and `/* … */` blocks — including mysqldump's
    /// `/*!40101 SET … */`, which only matter to a MySQL server.
    fn skip_space_and_comments(&mut self) {
        loop {
            match self.peek() {
                Some(b) if b.is_ascii_whitespace() => {
                    self.bump();
                }
                Some(b'#') => self.skip_line(),
                Some(b'-')
                    if self.rest().starts_with(b"--")
                        && self.rest().get(2).is_none_or(|c| c.is_ascii_whitespace()) =>
                {
                    self.skip_line()
                }
                Some(b'/') if self.rest().starts_with(b"/*") => {
                    self.pos += 2;
                    while !self.at_end() && !self.rest().starts_with(b"*/") {
                        self.bump();
                    }
                    self.pos = (self.pos + 2).min(self.bytes.len());
                }
                _ => return,
            }
        }
    }

    fn skip_line(&mut self) {
        while let Some(b) = self.bump() {
            if b == b'\n' {
                return;
            }
        }
    }

    /// Up to `n` leading bare words, upper-cased, skipping modifiers; leaves `pos` after them.
    fn leading_words(&mut self, n: usize) -> Vec<String> {
        let mut words = Vec::new();
        while words.len() < n {
            self.skip_space_and_comments();
            let start = self.pos;
            while self
                .peek()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.pos += 1;
            }
            if self.pos == start {
                break;
            }
            words.push(self.text[start..self.pos].to_ascii_uppercase());
        }
        words
    }

    /// Past the end of the current statement: its `;` outside quotes and comments (or the end).
    fn skip_statement(&mut self) -> Result<(), OpencartError> {
        while let Some(b) = self.peek() {
            match b {
                b';' => {
                    self.bump();
                    return Ok(());
                }
                b'\'' | b'"' | b'`' => {
                    self.quoted()?;
                }
                b'#' => self.skip_line(),
                b'-' if self.rest().starts_with(b"-- ") => self.skip_line(),
                b'/' if self.rest().starts_with(b"/*") => self.skip_space_and_comments(),
                _ => {
                    self.bump();
                }
            }
        }
        Ok(())
    }

    /// A quoted string or identifier starting at `pos`, unescaped.
    fn quoted(&mut self) -> Result<String, OpencartError> {
        let line = self.line;
        let quote = self.bump().unwrap_or(b'\'');
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.bump() else {
                return Err(self.error(line, "a quoted string is never closed"));
            };
            match b {
                b'\\' if quote != b'`' => {
                    let Some(e) = self.bump() else {
                        return Err(self.error(line, "a quoted string is never closed"));
                    };
                    let unescaped = match e {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'0' => 0,
                        b'b' => 8,
                        b'Z' => 26,
                        // `\%` and `\_` keep their backslash, as in MySQL.
                        b'%' | b'_' => {
                            out.push(b'\\');
                            e
                        }
                        other => other,
                    };
                    out.push(unescaped);
                }
                q if q == quote => {
                    if self.peek() == Some(quote) {
                        self.bump();
                        out.push(quote);
                    } else {
                        break;
                    }
                }
                other => out.push(other),
            }
        }
        String::from_utf8(out).map_err(|_| self.error(line, "a string is not valid UTF-8"))
    }

    /// An identifier: `` `quoted` `` or bare.
    fn identifier(&mut self) -> Result<Option<String>, OpencartError> {
        self.skip_space_and_comments();
        match self.peek() {
            Some(b'`') | Some(b'"') => self.quoted().map(Some),
            Some(b) if b.is_ascii_alphanumeric() || b == b'_' => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
                {
                    self.pos += 1;
                }
                Ok(Some(self.text[start..self.pos].to_owned()))
            }
            _ => Ok(None),
        }
    }

    /// A possibly schema-qualified table name (`db`.`t` → `t`).
    fn table_name(&mut self) -> Result<Option<String>, OpencartError> {
        let mut name = self.identifier()?;
        while self.peek() == Some(b'.') {
            self.bump();
            name = self.identifier()?;
        }
        Ok(name)
    }

    fn eat(&mut self, b: u8) -> bool {
        self.skip_space_and_comments();
        if self.peek() == Some(b) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        self.skip_space_and_comments();
        let n = word.len();
        let matches = self
            .rest()
            .get(..n)
            .is_some_and(|w| w.eq_ignore_ascii_case(word.as_bytes()))
            && self
                .rest()
                .get(n)
                .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
        if matches {
            self.pos += n;
        }
        matches
    }

    /// `CREATE TABLE [IF NOT EXISTS] name (col …, KEY …)`: the name and the column names in order.
    fn create_table(&mut self) -> Result<Option<(String, Vec<String>)>, OpencartError> {
        self.eat_word("CREATE");
        self.eat_word("TABLE");
        if self.eat_word("IF") {
            self.eat_word("NOT");
            self.eat_word("EXISTS");
        }
        let Some(name) = self.table_name()? else {
            return Ok(None);
        };
        if !self.eat(b'(') {
            // `CREATE TABLE t LIKE u` and the like: no columns to learn.
            return Ok(None);
        }
        let mut columns = Vec::new();
        loop {
            self.skip_space_and_comments();
            let definition_start = self.peek();
            let word = self.identifier()?;
            if let Some(word) = word {
                let constraint = matches!(
                    word.to_ascii_uppercase().as_str(),
                    "PRIMARY"
                        | "KEY"
                        | "INDEX"
                        | "UNIQUE"
                        | "CONSTRAINT"
                        | "FOREIGN"
                        | "FULLTEXT"
                        | "SPATIAL"
                        | "CHECK"
                );
                if definition_start == Some(b'`') || !constraint {
                    columns.push(word);
                }
            }
            // The rest of this definition: up to a comma or the closing parenthesis at depth 0.
            let mut depth = 0usize;
            loop {
                match self.peek() {
                    None => return Err(self.error(self.line, "CREATE TABLE is never closed")),
                    Some(b'\'') | Some(b'"') | Some(b'`') => {
                        self.quoted()?;
                    }
                    Some(b'(') => {
                        depth += 1;
                        self.bump();
                    }
                    Some(b')') if depth > 0 => {
                        depth -= 1;
                        self.bump();
                    }
                    Some(b')') => {
                        self.bump();
                        return Ok(Some((name, columns)));
                    }
                    Some(b',') if depth == 0 => {
                        self.bump();
                        break;
                    }
                    Some(_) => {
                        self.bump();
                    }
                }
            }
        }
    }

    /// `INSERT [IGNORE] [INTO] name [(cols)] VALUES (…), (…)` into a wanted table: its rows.
    fn insert(
        &mut self,
        wanted: &BTreeMap<String, TableKind>,
        created: &BTreeMap<TableKind, Vec<String>>,
        tables: &mut Tables,
    ) -> Result<(), OpencartError> {
        let line = self.line;
        if !self.eat_word("INSERT") {
            self.eat_word("REPLACE");
        }
        for modifier in ["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO"] {
            self.eat_word(modifier);
        }
        let Some(name) = self.table_name()? else {
            return Ok(());
        };
        let Some(&kind) = wanted.get(&name) else {
            return Ok(());
        };
        let mut columns = Vec::new();
        if self.eat(b'(') {
            loop {
                match self.identifier()? {
                    Some(c) => columns.push(c),
                    None => return Err(self.error(line, format!("bad column list for `{name}`"))),
                }
                if self.eat(b')') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.error(line, format!("bad column list for `{name}`")));
                }
            }
        } else {
            columns = created.get(&kind).cloned().ok_or_else(|| {
                self.error(
                    line,
                    format!(
                        "the rows of `{name}` name no columns and the dump has no CREATE TABLE \
                         for it before them"
                    ),
                )
            })?;
        }
        if !self.eat_word("VALUES") && !self.eat_word("VALUE") {
            // INSERT … SELECT: nothing we can read.
            return Ok(());
        }
        let table = tables.0.entry(kind).or_insert_with(|| Table {
            columns: columns.clone(),
            rows: Vec::new(),
        });
        // Rows of another INSERT may list the columns in another order: store them in the table's.
        let order: Vec<Option<usize>> = table
            .columns
            .iter()
            .map(|c| columns.iter().position(|x| x.eq_ignore_ascii_case(c)))
            .collect();
        loop {
            self.skip_space_and_comments();
            let row_line = self.line;
            if !self.eat(b'(') {
                return Err(self.error(row_line, format!("expected a row of `{name}`")));
            }
            let mut values = Vec::with_capacity(columns.len());
            loop {
                values.push(self.value()?);
                if self.eat(b')') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.error(self.line, format!("bad row of `{name}`")));
                }
            }
            if values.len() != columns.len() {
                return Err(self.error(
                    row_line,
                    format!(
                        "a row of `{name}` has {} values for {} columns",
                        values.len(),
                        columns.len()
                    ),
                ));
            }
            table.rows.push(crate::Row {
                values: order
                    .iter()
                    .map(|i| i.map_or(Value::Null, |i| values[i].clone()))
                    .collect(),
                line: Some(row_line),
            });
            if !self.eat(b',') {
                return Ok(());
            }
        }
    }

    /// One literal of a row.
    fn value(&mut self) -> Result<Value, OpencartError> {
        self.skip_space_and_comments();
        let line = self.line;
        match self.peek() {
            Some(b'\'') | Some(b'"') => self.quoted().map(Value::Text),
            // A character-set introducer: `_utf8mb4'…'`, `_binary'…'`.
            Some(b'_') => {
                self.identifier()?;
                self.skip_space_and_comments();
                self.quoted().map(Value::Text)
            }
            Some(b'0') if matches!(self.rest().get(1), Some(b'x') | Some(b'X')) => {
                self.pos += 2;
                let start = self.pos;
                while self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
                    self.pos += 1;
                }
                let bytes: Option<Vec<u8>> = self.text.as_bytes()[start..self.pos]
                    .chunks(2)
                    .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
                    .collect();
                bytes
                    .and_then(|b| String::from_utf8(b).ok())
                    .map(Value::Text)
                    .ok_or_else(|| self.error(line, "a hexadecimal literal is not UTF-8 text"))
            }
            _ => {
                let start = self.pos;
                while self.peek().is_some_and(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.' | b'_')
                }) {
                    self.pos += 1;
                }
                let word = &self.text[start..self.pos];
                if word.is_empty() {
                    Err(self.error(line, "expected a value"))
                } else if word.eq_ignore_ascii_case("NULL") {
                    Ok(Value::Null)
                } else {
                    Ok(Value::Text(word.to_owned()))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix() -> TablePrefix {
        TablePrefix::parse("oc_").unwrap()
    }

    #[test]
    fn mysqldump_style_rows_take_their_columns_from_create_table() {
        let dump = "-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;\nDROP TABLE IF EXISTS `oc_manufacturer`;\n\
            CREATE TABLE `oc_manufacturer` (\n  `manufacturer_id` int(11) NOT NULL AUTO_INCREMENT,\n  `name` varchar(64) NOT NULL,\n  `image` varchar(255) DEFAULT NULL,\n  `sort_order` int(3) NOT NULL,\n  PRIMARY KEY (`manufacturer_id`),\n  KEY `name` (`name`(10))\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='a; b';\n\
            LOCK TABLES `oc_manufacturer` WRITE;\n/*!40000 ALTER TABLE `oc_manufacturer` DISABLE KEYS */;\n\
            INSERT INTO `oc_manufacturer` VALUES (5,'Xiaomi',NULL,0),(8,'O\\'Neill; \\\"Ко\\\"','catalog/x.png',1),\n(9,'It''s',_utf8mb4'x',-2);\nUNLOCK TABLES;\n\
            INSERT INTO `oc_other` VALUES ('ignored');\n";
        let tables = read_tables(dump, &prefix()).unwrap();
        let t = &tables.0[&TableKind::Manufacturer];
        assert_eq!(
            t.columns,
            ["manufacturer_id", "name", "image", "sort_order"]
        );
        let names: Vec<_> = t.rows.iter().map(|r| r.values[1].clone()).collect();
        assert_eq!(
            names,
            [
                Value::Text("Xiaomi".into()),
                Value::Text("O'Neill; \"Ко\"".into()),
                Value::Text("It's".into())
            ]
        );
        assert_eq!(t.rows[0].values[2], Value::Null);
        assert_eq!(t.rows[2].values[3], Value::Text("-2".into()));
        assert_eq!(
            t.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [Some(14), Some(14), Some(15)]
        );
        assert_eq!(tables.0.len(), 1);
    }

    #[test]
    fn column_lists_hex_and_escapes() {
        let dump = "INSERT INTO `oc_stock_status` (`name`, `language_id`, `stock_status_id`) VALUES\n('В наличии', 1, 7),\n(0xD09FD180D0B5D0B4D0B7D0B0D0BAD0B0D0B7, 1, 8),\n('a\\r\\nb\\\\c\\%', 2, 9);";
        let tables = read_tables(dump, &prefix()).unwrap();
        let t = &tables.0[&TableKind::StockStatus];
        assert_eq!(t.columns, ["name", "language_id", "stock_status_id"]);
        assert_eq!(t.rows[1].values[0], Value::Text("Предзаказ".into()));
        assert_eq!(t.rows[2].values[0], Value::Text("a\r\nb\\c\\%".into()));
        assert_eq!(t.rows[2].line, Some(4));
    }

    #[test]
    fn broken_dumps_say_where() {
        let err = read_tables("INSERT INTO `oc_product` VALUES (1,'x');", &prefix()).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        assert!(err.to_string().contains("no CREATE TABLE"), "{err}");
        let err = read_tables(
            "\n\nINSERT INTO `oc_manufacturer` (`manufacturer_id`, `name`) VALUES (1, 'Xiaomi), (2, 'Apple');",
            &prefix(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = read_tables(
            "INSERT INTO `oc_manufacturer` (`manufacturer_id`, `name`) VALUES\n(1, 'Xiaomi'),\n(2);",
            &prefix(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "dump line 3: a row of `oc_manufacturer` has 1 values for 2 columns"
        );
        // Another prefix: none of these tables are wanted.
        let tables =
            read_tables("INSERT INTO `shop_manufacturer` VALUES (1,'x');", &prefix()).unwrap();
        assert!(tables.0.is_empty());
    }
}
