//! OpenCart and ocStore shops as knowledge-base articles: the shop's information pages (delivery,
//! payment, returns…), its categories and its products with price, availability and manufacturer,
//! read for one language from the shop's MySQL/MariaDB database ([`read_database`]) or from an SQL
//! dump of it ([`read_dump`]).
//!
//! Both readers produce the same [`Tables`] — the nine OpenCart tables we need, as rows of text —
//! and one [`Shop::assemble`] joins them, so a database and its dump can never give different
//! articles. [`convert`] then turns the shop into drafts with stable keys (`oc-info-7`,
//! `oc-category-20`, `oc-product-42`): importing again updates the same articles in place.
//!
//! This crate is apart from the engine because it does I/O against a foreign database with its own
//! driver; nothing here runs unless an admin asks for an import.

mod convert;
mod database;
mod dump;
mod html;
pub mod testing;

use std::collections::BTreeMap;

pub use convert::{
    CATEGORY_INFO, CATEGORY_PRODUCTS, Converted, Item, ItemKind, KEY_PREFIX, convert,
    unpublish_missing,
};
pub use database::{DatabaseUrl, Limits, read_database};
pub use html::{clean_html, decode_entities};

/// Why a shop could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OpencartError {
    #[error("{0}")]
    Invalid(String),
    #[error("dump line {line}: {why}")]
    Dump { line: usize, why: String },
    #[error("the shop has no table `{0}`: check the table prefix")]
    MissingTable(String),
    #[error("table `{table}` has no column `{column}`")]
    MissingColumn { table: String, column: &'static str },
    #[error("table `{table}`{at}: column `{column}` is not a number: {value:?}")]
    NotANumber {
        table: String,
        column: &'static str,
        value: String,
        at: String,
    },
    #[error("the shop has more than {limit} rows in `{table}`")]
    TooLarge { table: String, limit: usize },
    #[error("cannot read the shop database: {0}")]
    Database(String),
    #[error("the shop database did not answer within {0} seconds")]
    Timeout(u64),
}

/// The prefix of the shop's table names (`oc_` by default): letters, digits and `_`, up to 32.
/// Checked because it becomes part of SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePrefix(String);

impl TablePrefix {
    pub fn parse(prefix: &str) -> Result<Self, OpencartError> {
        if prefix.len() > 32
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(OpencartError::Invalid(
                "the table prefix may hold only latin letters, digits and `_`, up to 32".into(),
            ));
        }
        Ok(TablePrefix(prefix.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn table(&self, kind: TableKind) -> String {
        format!("{}{}", self.0, kind.name())
    }
}

/// The OpenCart tables an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableKind {
    Information,
    InformationDescription,
    Category,
    CategoryDescription,
    Product,
    ProductDescription,
    ProductToCategory,
    StockStatus,
    Manufacturer,
}

impl TableKind {
    pub const ALL: [TableKind; 9] = [
        TableKind::Information,
        TableKind::InformationDescription,
        TableKind::Category,
        TableKind::CategoryDescription,
        TableKind::Product,
        TableKind::ProductDescription,
        TableKind::ProductToCategory,
        TableKind::StockStatus,
        TableKind::Manufacturer,
    ];

    /// The name without the prefix.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Information => "information",
            TableKind::InformationDescription => "information_description",
            TableKind::Category => "category",
            TableKind::CategoryDescription => "category_description",
            TableKind::Product => "product",
            TableKind::ProductDescription => "product_description",
            TableKind::ProductToCategory => "product_to_category",
            TableKind::StockStatus => "stock_status",
            TableKind::Manufacturer => "manufacturer",
        }
    }

    /// The columns we read (OpenCart 3 / ocStore names; every version since 1.5 has them).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            TableKind::Information => &["information_id", "sort_order", "status"],
            TableKind::InformationDescription => &[
                "information_id",
                "language_id",
                "title",
                "description",
                "meta_keyword",
            ],
            TableKind::Category => &["category_id", "parent_id", "sort_order", "status"],
            TableKind::CategoryDescription => {
                &["category_id", "language_id", "name", "description"]
            }
            TableKind::Product => &[
                "product_id",
                "model",
                "sku",
                "quantity",
                "stock_status_id",
                "manufacturer_id",
                "price",
                "sort_order",
                "status",
            ],
            TableKind::ProductDescription => {
                &["product_id", "language_id", "name", "description", "tag"]
            }
            TableKind::ProductToCategory => &["product_id", "category_id"],
            TableKind::StockStatus => &["stock_status_id", "language_id", "name"],
            TableKind::Manufacturer => &["manufacturer_id", "name"],
        }
    }
}

/// One value as the shop holds it: every column is read as text (numbers too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Text(String),
}

/// One row, and the dump line its tuple starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub values: Vec<Value>,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

/// The tables read, by kind; a kind the source lacks is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables(pub BTreeMap<TableKind, Table>);

/// Which part of a shop to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub prefix: TablePrefix,
    /// `oc_language.language_id` of the texts to import.
    pub language_id: i64,
}

/// An information page (delivery, payment, returns…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Information {
    pub id: i64,
    pub title: String,
    /// As stored: escaped HTML.
    pub description: String,
    pub meta_keyword: String,
    pub enabled: bool,
    pub sort_order: i64,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopCategory {
    pub id: i64,
    pub parent_id: i64,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub sort_order: i64,
    pub line: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// OpenCart's comma-separated product tags.
    pub tag: String,
    pub model: String,
    pub sku: String,
    /// `decimal(15,4)` as written, e.g. `32990.0000`.
    pub price: String,
    pub quantity: i64,
    /// The stock status shown when the quantity is 0 or less («Нет в наличии», «Предзаказ»…).
    pub stock_status: Option<String>,
    pub manufacturer: Option<String>,
    pub category_ids: Vec<i64>,
    pub enabled: bool,
    pub sort_order: i64,
    pub line: Option<usize>,
}

/// Something of the shop that has no text in the chosen language, so it cannot become an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslated {
    pub kind: ItemKind,
    pub id: i64,
    pub line: Option<usize>,
}

/// A shop's content for one language, joined from its tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shop {
    pub information: Vec<Information>,
    pub categories: Vec<ShopCategory>,
    pub products: Vec<Product>,
    pub untranslated: Vec<Untranslated>,
}

/// Read the wanted tables from an SQL dump (see the `dump` module) and assemble the shop.
pub fn read_dump(dump: &str, settings: &Settings) -> Result<Shop, OpencartError> {
    let tables = dump::read_tables(dump, &settings.prefix)?;
    if tables.0.is_empty() {
        return Err(OpencartError::Invalid(format!(
            "the dump holds none of the OpenCart tables with the prefix `{}` \
             (`{}information`, `{}product`, …)",
            settings.prefix.as_str(),
            settings.prefix.as_str(),
            settings.prefix.as_str()
        )));
    }
    Shop::assemble(&tables, settings)
}

/// Typed access to a table's rows by column name.
struct View<'a> {
    name: String,
    table: &'a Table,
    index: Vec<usize>,
}

impl<'a> View<'a> {
    fn new(
        tables: &'a Tables,
        kind: TableKind,
        settings: &Settings,
    ) -> Result<Option<Self>, OpencartError> {
        let name = settings.prefix.table(kind);
        let Some(table) = tables.0.get(&kind) else {
            return Ok(None);
        };
        let index = kind
            .columns()
            .iter()
            .map(|c| {
                table
                    .columns
                    .iter()
                    .position(|x| x.eq_ignore_ascii_case(c))
                    .ok_or(OpencartError::MissingColumn {
                        table: name.clone(),
                        column: c,
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(View { name, table, index }))
    }

    fn rows(&self) -> impl Iterator<Item = RowView<'_>> {
        self.table
            .rows
            .iter()
            .map(move |row| RowView { view: self, row })
    }
}

struct RowView<'a> {
    view: &'a View<'a>,
    row: &'a Row,
}

impl RowView<'_> {
    /// Column `i` of the kind's [`TableKind::columns`].
    fn text(&self, i: usize) -> &str {
        match self.row.values.get(self.view.index[i]) {
            Some(Value::Text(s)) => s,
            _ => "",
        }
    }

    fn opt_text(&self, i: usize) -> Option<&str> {
        match self.row.values.get(self.view.index[i]) {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }

    fn int(&self, i: usize, column: &'static str) -> Result<i64, OpencartError> {
        let raw = self.text(i).trim();
        // Integers, and decimals written by the server for computed columns (`5.0000`).
        raw.parse::<i64>()
            .ok()
            .or_else(|| raw.parse::<f64>().ok().map(|f| f as i64))
            .ok_or_else(|| OpencartError::NotANumber {
                table: self.view.name.clone(),
                column,
                value: raw.to_owned(),
                at: self
                    .row
                    .line
                    .map(|l| format!(" at dump line {l}"))
                    .unwrap_or_default(),
            })
    }

    fn line(&self) -> Option<usize> {
        self.row.line
    }
}

impl Shop {
    /// Join the tables for `settings.language_id`: what OpenCart's catalog pages show.
    pub fn assemble(tables: &Tables, settings: &Settings) -> Result<Shop, OpencartError> {
        let lang = settings.language_id;
        let view = |kind| View::new(tables, kind, settings);
        let mut shop = Shop::default();

        // Texts of the chosen language, by id.
        let texts = |kind, cols: usize| -> Result<BTreeMap<i64, Vec<String>>, OpencartError> {
            let mut out = BTreeMap::new();
            if let Some(v) = view(kind)? {
                for r in v.rows() {
                    if r.int(1, "language_id")? == lang {
                        out.insert(
                            r.int(0, kind.columns()[0])?,
                            (2..2 + cols).map(|i| r.text(i).to_owned()).collect(),
                        );
                    }
                }
            }
            Ok(out)
        };

        let info_texts = texts(TableKind::InformationDescription, 3)?;
        if let Some(v) = view(TableKind::Information)? {
            for r in v.rows() {
                let id = r.int(0, "information_id")?;
                match info_texts.get(&id) {
                    Some(t) => shop.information.push(Information {
                        id,
                        title: t[0].clone(),
                        description: t[1].clone(),
                        meta_keyword: t[2].clone(),
                        sort_order: r.int(1, "sort_order")?,
                        enabled: r.int(2, "status")? == 1,
                        line: r.line(),
                    }),
                    None => shop.untranslated.push(Untranslated {
                        kind: ItemKind::Information,
                        id,
                        line: r.line(),
                    }),
                }
            }
        }
        shop.information.sort_by_key(|i| (i.sort_order, i.id));

        let category_texts = texts(TableKind::CategoryDescription, 2)?;
        if let Some(v) = view(TableKind::Category)? {
            for r in v.rows() {
                let id = r.int(0, "category_id")?;
                match category_texts.get(&id) {
                    Some(t) => shop.categories.push(ShopCategory {
                        id,
                        parent_id: r.int(1, "parent_id")?,
                        name: t[0].clone(),
                        description: t[1].clone(),
                        sort_order: r.int(2, "sort_order")?,
                        enabled: r.int(3, "status")? == 1,
                        line: r.line(),
                    }),
                    None => shop.untranslated.push(Untranslated {
                        kind: ItemKind::Category,
                        id,
                        line: r.line(),
                    }),
                }
            }
        }
        shop.categories.sort_by_key(|c| (c.sort_order, c.id));

        let mut stock = BTreeMap::new();
        if let Some(v) = view(TableKind::StockStatus)? {
            for r in v.rows() {
                if r.int(1, "language_id")? == lang {
                    stock.insert(r.int(0, "stock_status_id")?, r.text(2).to_owned());
                }
            }
        }
        let mut makers = BTreeMap::new();
        if let Some(v) = view(TableKind::Manufacturer)? {
            for r in v.rows() {
                makers.insert(r.int(0, "manufacturer_id")?, r.text(1).to_owned());
            }
        }
        let mut in_category: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        if let Some(v) = view(TableKind::ProductToCategory)? {
            for r in v.rows() {
                in_category
                    .entry(r.int(0, "product_id")?)
                    .or_default()
                    .push(r.int(1, "category_id")?);
            }
        }
        let product_texts = texts(TableKind::ProductDescription, 3)?;
        if let Some(v) = view(TableKind::Product)? {
            for r in v.rows() {
                let id = r.int(0, "product_id")?;
                let Some(t) = product_texts.get(&id) else {
                    shop.untranslated.push(Untranslated {
                        kind: ItemKind::Product,
                        id,
                        line: r.line(),
                    });
                    continue;
                };
                let mut category_ids = in_category.remove(&id).unwrap_or_default();
                category_ids.sort_unstable();
                shop.products.push(Product {
                    id,
                    name: t[0].clone(),
                    description: t[1].clone(),
                    tag: t[2].clone(),
                    model: r.text(1).to_owned(),
                    sku: r.text(2).to_owned(),
                    quantity: r.int(3, "quantity")?,
                    stock_status: stock.get(&r.int(4, "stock_status_id")?).cloned(),
                    manufacturer: makers.get(&r.int(5, "manufacturer_id")?).cloned(),
                    price: r.opt_text(6).unwrap_or("0").to_owned(),
                    sort_order: r.int(7, "sort_order")?,
                    enabled: r.int(8, "status")? == 1,
                    category_ids,
                    line: r.line(),
                });
            }
        }
        shop.products.sort_by_key(|p| p.id);
        Ok(shop)
    }
}
