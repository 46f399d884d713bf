//! The importer against the fixture shop: read as a dump file, read from a real MariaDB seeded with
//! it, and from that server's own `mariadb-dump` of it — all three must give the same shop.

use frontline_import_opencart::testing::{FIXTURE, admin_url, fresh_shop};
use frontline_import_opencart::{
    CATEGORY_PRODUCTS, Converted, DatabaseUrl, ItemKind, Limits, OpencartError, Settings, Shop,
    TablePrefix, convert, read_database, read_dump,
};

fn settings(language_id: i64) -> Settings {
    Settings {
        prefix: TablePrefix::parse("oc_").unwrap(),
        language_id,
    }
}

fn article<'a>(c: &'a Converted, key: &str) -> &'a frontline_domain::KbArticleDraft {
    c.import
        .articles
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no article {key}"))
}

/// The same shop without the dump lines, which only a dump has.
fn without_lines(mut shop: Shop) -> Shop {
    shop.information.iter_mut().for_each(|i| i.line = None);
    shop.categories.iter_mut().for_each(|c| c.line = None);
    shop.products.iter_mut().for_each(|p| p.line = None);
    shop.untranslated.iter_mut().for_each(|u| u.line = None);
    shop
}

#[test]
fn the_fixture_dump_becomes_pages_categories_and_products() {
    let shop = read_dump(FIXTURE, &settings(1)).unwrap();
    let titles: Vec<&str> = shop.information.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "О магазине",
            "Доставка",
            "Оплата",
            "Возврат и обмен",
            "Распродажа 2019"
        ],
        "by sort order"
    );
    assert_eq!(shop.products.len(), 12);
    assert_eq!(shop.untranslated.len(), 1, "{:?}", shop.untranslated);

    let c = convert(&shop, "₽");
    let keys: Vec<&str> = c.import.categories.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["oc-info", "oc-products"]);
    assert_eq!(c.import.categories[1].title, "Товары");

    // Pages: the escaped HTML is clean text, paragraphs apart, the editor's entities decoded.
    let delivery = article(&c, "oc-info-6");
    assert_eq!(delivery.title, "Доставка");
    assert!(
        delivery.body.starts_with(
            "Доставка по Москве\n\nКурьер привозит заказ на следующий день с 10:00 до 22:00."
        ),
        "{}",
        delivery.body
    );
    assert!(
        delivery
            .body
            .contains("- Пункты выдачи «СДЭК» — хранение 7 дней;")
    );
    assert!(!delivery.body.contains('<') && !delivery.body.contains("&"));
    assert_eq!(delivery.tags, ["доставка", "курьер", "сдэк", "почта"]);
    assert!(delivery.published);
    assert!(
        !article(&c, "oc-info-9").published,
        "a disabled page is unpublished"
    );

    // Products: price, availability, maker and category in the first paragraph.
    let redmi = article(&c, "oc-product-40");
    assert_eq!(redmi.category, CATEGORY_PRODUCTS.0);
    assert_eq!(redmi.title, "Смартфон Xiaomi Redmi Note 13 Pro 8/256 ГБ");
    let facts = redmi.body.split("\n\n").next().unwrap();
    assert_eq!(
        facts,
        "Смартфон Xiaomi Redmi Note 13 Pro 8/256 ГБ стоит 32 990 ₽. Есть в наличии: 12 шт. \
         Производитель: Xiaomi. Модель: Redmi Note 13 Pro. Артикул: XM-RN13P-256. \
         Категория: Смартфоны."
    );
    assert!(redmi.body.contains("AMOLED-экран 6,67\""), "{}", redmi.body);
    for tag in [
        "цена",
        "наличие",
        "Xiaomi",
        "XM-RN13P-256",
        "redmi",
        "Смартфоны",
    ] {
        assert!(
            redmi.tags.iter().any(|t| t == tag),
            "{tag}: {:?}",
            redmi.tags
        );
    }
    let iphone = article(&c, "oc-product-41");
    assert!(
        iphone
            .body
            .starts_with("Смартфон Apple iPhone 15 128 ГБ стоит 89 990 ₽. Сейчас нет в наличии, статус: «Предзаказ»."),
        "{}",
        iphone.body
    );
    assert!(
        article(&c, "oc-product-49")
            .body
            .contains("стоит 4 490,50 ₽")
    );
    assert_eq!(
        article(&c, "oc-product-43").title,
        "Ноутбук Lenovo IdeaPad Slim 3 15,6\""
    );
    assert!(
        !article(&c, "oc-product-51").published,
        "a disabled product"
    );
    let phones = article(&c, "oc-category-20");
    assert_eq!(phones.title, "Категория «Смартфоны»");
    assert!(
        phones
            .body
            .contains("Смартфон Apple iPhone 15 128 ГБ — 89 990 ₽")
            && !phones.body.contains("Galaxy S21"),
        "enabled products listed: {}",
        phones.body
    );

    // Every item accounted for, with its dump line; the product without Russian text and the
    // archive category with neither text nor enabled products are skipped.
    assert_eq!(c.items.len(), 5 + 5 + 13);
    let skipped: Vec<_> = c
        .items
        .iter()
        .filter(|i| i.skipped.is_some())
        .map(|i| (i.key.as_str(), i.kind, i.skipped.as_deref().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "oc-product-52",
                ItemKind::Product,
                "no text in the chosen language"
            ),
            ("oc-category-60", ItemKind::Category, "no text"),
        ]
    );
    assert_eq!(c.import.articles.len(), c.items.len() - 2);
    let line = c
        .items
        .iter()
        .find(|i| i.key == "oc-product-40")
        .unwrap()
        .line;
    let expected = FIXTURE
        .lines()
        .position(|l| l.starts_with("(40, 'Redmi Note 13 Pro'"))
        .map(|i| i + 1);
    assert_eq!(line, expected);
}

#[test]
fn another_language_or_prefix() {
    let shop = read_dump(FIXTURE, &settings(2)).unwrap();
    let titles: Vec<&str> = shop.information.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["About us", "Delivery", "Payment", "Returns"]);
    let p = shop.products.iter().find(|p| p.id == 41).unwrap();
    assert_eq!(p.stock_status.as_deref(), Some("Pre-Order"));

    let other = Settings {
        prefix: TablePrefix::parse("shop_").unwrap(),
        language_id: 1,
    };
    let err = read_dump(FIXTURE, &other).unwrap_err();
    assert!(err.to_string().contains("prefix `shop_`"), "{err}");
    assert!(TablePrefix::parse("oc_; DROP TABLE x").is_err());
}

/// `mariadb-dump` of `database` on the test server, as a person would make it.
fn mariadb_dump(database: &str) -> String {
    let admin = admin_url();
    let rest = admin.strip_prefix("mysql://").unwrap();
    let (credentials, host) = rest.split_once('@').unwrap();
    let host = host.split('/').next().unwrap();
    let (host, port) = host.split_once(':').unwrap_or((host, "3306"));
    let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
    let mut cmd = std::process::Command::new("mariadb-dump");
    cmd.args(["--host", host, "--port", port, "--user", user]);
    if !password.is_empty() {
        cmd.env("MYSQL_PWD", password);
    }
    let out = cmd
        .arg(database)
        .output()
        .expect("mariadb-dump (the MariaDB client) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn mariadb_and_its_dump_give_the_same_shop() {
    let db = fresh_shop(&admin_url(), FIXTURE).await;
    let url = DatabaseUrl::parse(&db.url).unwrap();
    let from_db = read_database(&url, &settings(1), Limits::default())
        .await
        .unwrap();
    assert_eq!(from_db.products.len(), 12);
    assert!(from_db.products.iter().all(|p| p.line.is_none()));
    let from_fixture = without_lines(read_dump(FIXTURE, &settings(1)).unwrap());
    assert_eq!(from_db, from_fixture);

    let dump = mariadb_dump(&db.name);
    assert!(
        dump.contains("INSERT INTO `oc_product` VALUES"),
        "mysqldump writes rows without column lists"
    );
    let from_dump = read_dump(&dump, &settings(1)).unwrap();
    assert!(from_dump.products.iter().all(|p| p.line.is_some()));
    assert_eq!(without_lines(from_dump), from_db);
    assert_eq!(
        convert(&from_db, "₽").import,
        convert(&read_dump(&dump, &settings(1)).unwrap(), "₽").import
    );
}

#[tokio::test]
async fn database_problems_are_named_without_the_password() {
    let db = fresh_shop(&admin_url(), FIXTURE).await;
    let url = DatabaseUrl::parse(&db.url).unwrap();
    let other = Settings {
        prefix: TablePrefix::parse("shop_").unwrap(),
        language_id: 1,
    };
    let err = read_database(&url, &other, Limits::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OpencartError::MissingTable(t) if t == "shop_information"),
        "{err}"
    );

    let tight = Limits {
        max_rows: 5,
        ..Limits::default()
    };
    let err = read_database(&url, &settings(1), tight).await.unwrap_err();
    assert!(matches!(err, OpencartError::TooLarge { .. }), "{err}");

    // Nobody listens on port 1; the password must not appear in what is said about it.
    let closed = DatabaseUrl::parse("mysql://shop:sekret-pass@127.0.0.1:1/shop").unwrap();
    let err = read_database(&closed, &settings(1), Limits::default())
        .await
        .unwrap_err();
    assert!(matches!(err, OpencartError::Database(_)), "{err}");
    assert!(!err.to_string().contains("sekret"), "{err}");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}
