//! The knowledge index: articles as fragments in an in-RAM tantivy index, ranked by BM25 and,
//! with a sentence encoder, by BM25 and embedding similarity together.
//!
//! Every fragment is one tantivy document carrying its article's id, category, title and tags, so
//! a fragment is found by the words of its title and tags as well as its own text. Title and tags
//! are boosted over the text ([`TITLE_BOOST`], [`TAGS_BOOST`]): they are short, written on purpose,
//! and name what the article is about. Queries are built term by term from
//! [`analyzer::query_terms`] rather than through tantivy's query parser, so a customer's `:` or
//! `"` is just punctuation.
//!
//! Raw BM25 is not comparable between queries (it grows with the number and rarity of the query's
//! words), so every hit also carries a **confidence** in `[0, 1]`: the IDF-weighted share of the
//! query's terms that the fragment (with its title and tags) contains. Thresholds —
//! [`KnowledgeIndex::best_answer`], [`KnowledgeIndex::choose_threshold`] — apply to that confidence,
//! never to the raw score. A word the knowledge base has never seen gets the highest IDF, so
//! «рецепт борща» or a question about another shop's product scores low even when one common word
//! matches.
//!
//! # Hybrid retrieval
//!
//! With a [`TextEmbedder`] ([`KnowledgeIndex::build_with`]) every fragment is also embedded as an
//! e5 passage (its article's title, then its text), in one batch per change and through the
//! encoder's disk cache, so a restart embeds nothing it has seen. A query is then ranked twice —
//! BM25 as above, and by cosine to the query's embedding — and the two rankings are fused by
//! reciprocal rank fusion ([`fuse`], Cormack et al. 2009: `Σ 1/(60 + rank)`), which needs no
//! score normalisation between two scales that have nothing in common. Embeddings find the
//! fragment that says the same thing in other words («когда придут деньги» → «срок
//! возврата»); BM25 keeps exact names, numbers and rare words on top.
//!
//! The fused score only orders the hits. The **confidence** stays the lexical coverage above,
//! for every hit however it was found: it is what the bot's thresholds and
//! [`KnowledgeIndex::choose_threshold`] were set on, and it keeps meaning the same thing. A raw
//! e5 cosine could not take its place — the cosines of unrelated texts sit around 0.75 and shift
//! with the query's length and language — and a calibrated mix of the two would need labelled
//! questions per knowledge base, which a shop does not have. So a fragment found only by meaning
//! ranks high and reaches the LLM's grounded prompt, but is quoted word for word without an LLM
//! only when it also covers the question's words.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use tantivy::collector::TopDocs;
use tantivy::indexer::IndexWriterOptions;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::analyzer::{self, FrontlineTokenizer, TOKENIZER_NAME};
use super::{Article, fragment};
use crate::intent::embedding::{Embedding, Kind, TextEmbedder, dot};
use crate::intent::{ThresholdChoice, threshold_for_wrong_rate};

/// Weight of a title match relative to a body match.
pub const TITLE_BOOST: f32 = 2.0;
/// Weight of a tag match relative to a body match.
pub const TAGS_BOOST: f32 = 2.0;

/// One retrieved passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    pub article_id: String,
    pub category: String,
    /// The article's title, context for the passage.
    pub title: String,
    /// The passage itself, as written in the article.
    pub text: String,
    /// Orders hits of one query, means nothing across queries: raw BM25 with boosts, or with an
    /// encoder the fused reciprocal-rank score of BM25 and embedding similarity.
    pub score: f32,
    /// IDF-weighted share of the query's terms found in this fragment, in `[0, 1]`; the value
    /// thresholds apply to.
    pub confidence: f32,
}

/// Why the index could not be changed or searched.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("article {id:?}: {reason}")]
    InvalidArticle { id: String, reason: &'static str },
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    article_id: Field,
    category: Field,
    title: Field,
    tags: Field,
    text: Field,
}

/// The searchable knowledge base. See the module documentation for ranking and confidence.
///
/// Changes are visible to the next search: [`upsert`](Self::upsert) and [`remove`](Self::remove)
/// commit and reload the reader each time. A commit writes a new (small) segment and reloading
/// opens it, about a millisecond for an article; tantivy merges segments in the background. That
/// suits editors saving articles one by one; bulk changes should use
/// [`upsert_many`](Self::upsert_many), which commits once. Deleted fragments still count in term
/// statistics until their segment is merged, which shifts raw scores slightly, not the ranking of a
/// well-separated answer.
pub struct KnowledgeIndex {
    writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
    articles: BTreeMap<String, Article>,
    /// With an encoder: every article's fragments with their embeddings, in fragment order.
    encoder: Option<TextEmbedder>,
    passages: BTreeMap<String, Vec<Passage>>,
}

/// One fragment as the dense ranking sees it.
#[derive(Debug, Clone)]
struct Passage {
    text: String,
    embedding: Embedding,
}

/// Candidates taken from each ranking before fusion (at least `k`): deep enough that a fragment
/// ranked well by one of them is not lost, shallow enough that the tail of a ranking adds nothing.
const FUSION_DEPTH: usize = 20;

/// Reciprocal rank fusion's constant: 60, as in the paper, where it was robust across
/// collections; it damps the difference between the first few ranks.
const RRF_K: f32 = 60.0;

impl fmt::Debug for KnowledgeIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnowledgeIndex")
            .field("articles", &self.articles.len())
            .field("encoder", &self.encoder.is_some())
            .finish_non_exhaustive()
    }
}

impl KnowledgeIndex {
    /// An index of `articles`; a later article with the same id replaces an earlier one.
    pub fn build(articles: impl IntoIterator<Item = Article>) -> Result<Self, KbError> {
        Self::build_with(articles, None)
    }

    /// [`build`](Self::build), ranking with `encoder`'s embeddings too when given (see the module
    /// documentation).
    pub fn build_with(
        articles: impl IntoIterator<Item = Article>,
        encoder: Option<TextEmbedder>,
    ) -> Result<Self, KbError> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        index
            .tokenizers()
            .register(TOKENIZER_NAME, FrontlineTokenizer);
        // One indexing thread and one merge thread: a knowledge base is small, and the engine
        // shares the machine with everything else.
        let options = IndexWriterOptions::builder()
            .num_worker_threads(1)
            .num_merge_threads(1)
            .build();
        let writer = index.writer_with_options(options)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut kb = KnowledgeIndex {
            writer,
            reader,
            fields,
            articles: BTreeMap::new(),
            encoder,
            passages: BTreeMap::new(),
        };
        let articles: Vec<Article> = articles.into_iter().collect();
        kb.upsert_many(&articles)?;
        Ok(kb)
    }

    /// Adds or replaces one article; visible to the next search.
    pub fn upsert(&mut self, article: &Article) -> Result<(), KbError> {
        self.upsert_many(std::slice::from_ref(article))
    }

    /// Adds or replaces several articles with a single commit.
    pub fn upsert_many(&mut self, articles: &[Article]) -> Result<(), KbError> {
        for a in articles {
            validate(a)?;
        }
        self.embed_passages(articles);
        for a in articles {
            self.writer
                .delete_term(Term::from_field_text(self.fields.article_id, &a.id));
            for doc in self.documents(a) {
                self.writer.add_document(doc)?;
            }
            self.articles.insert(a.id.clone(), a.clone());
        }
        self.commit()
    }

    /// Removes an article; returns whether it was there. Visible to the next search.
    pub fn remove(&mut self, id: &str) -> Result<bool, KbError> {
        if self.articles.remove(id).is_none() {
            return Ok(false);
        }
        self.passages.remove(id);
        self.writer
            .delete_term(Term::from_field_text(self.fields.article_id, id));
        self.commit()?;
        Ok(true)
    }

    /// Embeds the fragments of `articles` (one batch for all of them) and replaces their
    /// passages. Without an encoder, nothing.
    fn embed_passages(&mut self, articles: &[Article]) {
        let Some(encoder) = &self.encoder else {
            return;
        };
        let fragments: Vec<(usize, String)> = articles
            .iter()
            .enumerate()
            .flat_map(|(i, a)| fragment::split(&a.body).into_iter().map(move |t| (i, t)))
            .collect();
        // The title gives a fragment its subject («Самовывоз…: Когда заказ поступит…»), as it
        // does for BM25 through the title field.
        let inputs: Vec<String> = fragments
            .iter()
            .map(|(i, text)| format!("{}. {text}", articles[*i].title))
            .collect();
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let embeddings = encoder.known(&refs, Kind::Passage);
        for a in articles {
            self.passages.insert(a.id.clone(), Vec::new());
        }
        for ((i, text), embedding) in fragments.into_iter().zip(embeddings) {
            let list = self
                .passages
                .get_mut(&articles[i].id)
                .expect("inserted above");
            list.push(Passage { text, embedding });
        }
    }

    /// Whether searches rank by embeddings too.
    pub fn is_hybrid(&self) -> bool {
        self.encoder.is_some()
    }

    fn commit(&mut self) -> Result<(), KbError> {
        self.writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// The article with this id, as last upserted.
    pub fn get(&self, id: &str) -> Option<&Article> {
        self.articles.get(id)
    }

    /// All articles, by id.
    pub fn articles(&self) -> impl Iterator<Item = &Article> {
        self.articles.values()
    }

    pub fn len(&self) -> usize {
        self.articles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    fn documents(&self, a: &Article) -> Vec<TantivyDocument> {
        let f = self.fields;
        let tags = a.tags.join("; ");
        fragment::split(&a.body)
            .into_iter()
            .map(|text| {
                let mut doc = TantivyDocument::default();
                doc.add_text(f.article_id, &a.id);
                doc.add_text(f.category, &a.category);
                doc.add_text(f.title, &a.title);
                doc.add_text(f.tags, &tags);
                doc.add_text(f.text, text);
                doc
            })
            .collect()
    }

    /// The `k` best fragments for `query`, best first, optionally only from one category.
    /// A query with no searchable words (only punctuation or function words) finds nothing.
    pub fn search(
        &self,
        query: &str,
        k: usize,
        category: Option<&str>,
    ) -> Result<Vec<Fragment>, KbError> {
        let terms = analyzer::query_terms(query);
        if terms.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let Some(encoder) = &self.encoder else {
            return self.lexical(&terms, k, category);
        };
        let depth = k.max(FUSION_DEPTH);
        let lexical = self.lexical(&terms, depth, category)?;
        let dense = self.dense(&encoder.message(query), depth, category);
        let lexical_keys: Vec<(&str, &str)> = lexical
            .iter()
            .map(|f| (f.article_id.as_str(), f.text.as_str()))
            .collect();
        let dense_keys: Vec<(&str, &str)> = dense
            .iter()
            .map(|&(id, p, _)| (id, p.text.as_str()))
            .collect();
        let fused = fuse(&[&lexical_keys, &dense_keys]);

        let searcher = self.reader.searcher();
        let idf = self.idf(&searcher, &terms)?;
        let mut out = Vec::with_capacity(k);
        for ((id, text), score) in fused.into_iter().take(k) {
            let mut fragment = match lexical
                .iter()
                .find(|f| f.article_id == id && f.text == text)
            {
                Some(f) => f.clone(),
                None => {
                    let a = &self.articles[id];
                    Fragment {
                        article_id: a.id.clone(),
                        category: a.category.clone(),
                        title: a.title.clone(),
                        text: text.to_owned(),
                        score: 0.0,
                        confidence: coverage(&terms, &idf, &a.title, &a.tags.join("; "), text),
                    }
                }
            };
            fragment.score = score;
            out.push(fragment);
        }
        Ok(out)
    }

    /// The `k` passages closest to `query` by cosine, best first, with their article id.
    fn dense(
        &self,
        query: &Embedding,
        k: usize,
        category: Option<&str>,
    ) -> Vec<(&str, &Passage, f32)> {
        let mut scored: Vec<(&str, &Passage, f32)> = self
            .passages
            .iter()
            .filter(|(id, _)| category.is_none_or(|c| self.articles[*id].category == c))
            .flat_map(|(id, list)| {
                list.iter()
                    .map(move |p| (id.as_str(), p, dot(&p.embedding, query)))
            })
            .collect();
        scored.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(b.0)));
        scored.truncate(k);
        scored
    }

    /// The BM25 ranking of [`search`](Self::search), for a query's analysed `terms`.
    fn lexical(
        &self,
        terms: &[String],
        k: usize,
        category: Option<&str>,
    ) -> Result<Vec<Fragment>, KbError> {
        let f = self.fields;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in terms {
            for (field, boost) in [(f.title, TITLE_BOOST), (f.tags, TAGS_BOOST), (f.text, 1.0)] {
                let q = TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        let mut query: Box<dyn Query> = Box::new(BooleanQuery::new(should));
        if let Some(category) = category {
            // The filter must not add to the score, or every fragment of the category would
            // match on it alone.
            let filter = TermQuery::new(
                Term::from_field_text(f.category, category),
                IndexRecordOption::Basic,
            );
            query = Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(Box::new(filter), 0.0)),
                ),
            ]));
        }

        let searcher = self.reader.searcher();
        let idf = self.idf(&searcher, terms)?;
        let hits = searcher.search(&query, &TopDocs::with_limit(k).order_by_score())?;
        let mut out = Vec::with_capacity(hits.len());
        for (score, address) in hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            let get = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let (title, tags, text) = (get(f.title), get(f.tags), get(f.text));
            let confidence = coverage(terms, &idf, &title, &tags, &text);
            out.push(Fragment {
                article_id: get(f.article_id),
                category: get(f.category),
                title,
                text,
                score,
                confidence,
            });
        }
        Ok(out)
    }

    /// BM25's IDF of each term over fragments, taking the field where the term is most common
    /// (a fragment's fields are one text as far as coverage is concerned).
    fn idf(&self, searcher: &tantivy::Searcher, terms: &[String]) -> Result<Vec<f32>, KbError> {
        let f = self.fields;
        let n = searcher.num_docs() as f32;
        terms
            .iter()
            .map(|t| {
                let mut df = 0u64;
                for field in [f.title, f.tags, f.text] {
                    df = df.max(searcher.doc_freq(&Term::from_field_text(field, t))?);
                }
                // Deleted fragments still count in doc_freq until merged; never exceed n.
                let df = (df as f32).min(n);
                Ok((1.0 + (n - df + 0.5) / (df + 0.5)).ln())
            })
            .collect()
    }

    /// The top fragment for `query` when its [`Fragment::confidence`] is at least `threshold`.
    pub fn best_answer(&self, query: &str, threshold: f32) -> Result<Option<Fragment>, KbError> {
        let top = self.search(query, 1, None)?.into_iter().next();
        Ok(top.filter(|f| f.confidence >= threshold))
    }

    /// The smallest confidence threshold for [`best_answer`](Self::best_answer) at which at most
    /// `target_wrong_rate` of the answered questions in `labelled` are answered wrongly, as
    /// [`threshold_for_wrong_rate`] does for intents. A question labelled `None` must not be
    /// answered, so any answer to it is wrong; one labelled with an article id is answered right
    /// when the top fragment comes from that article. Questions that find nothing are never
    /// answered and do not count.
    pub fn choose_threshold(
        &self,
        labelled: &[(&str, Option<&str>)],
        target_wrong_rate: f64,
    ) -> Result<f32, KbError> {
        Ok(self
            .threshold_choice(labelled, target_wrong_rate)?
            .threshold)
    }

    /// [`choose_threshold`](Self::choose_threshold) with the coverage and wrong rate it achieves.
    pub fn threshold_choice(
        &self,
        labelled: &[(&str, Option<&str>)],
        target_wrong_rate: f64,
    ) -> Result<ThresholdChoice, KbError> {
        let mut scored = Vec::with_capacity(labelled.len());
        for &(query, expected) in labelled {
            if let Some(top) = self.search(query, 1, None)?.into_iter().next() {
                scored.push((top.confidence, expected == Some(top.article_id.as_str())));
            }
        }
        Ok(threshold_for_wrong_rate(&scored, target_wrong_rate))
    }
}

/// The IDF-weighted share of the query's `terms` (with their `idf`) that a fragment's title, tags
/// and text contain, in `[0, 1]`: the [`Fragment::confidence`].
fn coverage(terms: &[String], idf: &[f32], title: &str, tags: &str, text: &str) -> f32 {
    let total: f32 = idf.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let present: HashSet<String> = analyzer::terms(&format!("{title} {tags} {text}"))
        .into_iter()
        .collect();
    let covered: f32 = terms
        .iter()
        .zip(idf)
        .filter(|(t, _)| present.contains(*t))
        .map(|(_, w)| w)
        .sum();
    (covered / total).clamp(0.0, 1.0)
}

/// Reciprocal rank fusion of several rankings (best first) of the same kind of items: each item
/// scores `Σ 1/(RRF_K + rank)` over the rankings it appears in (rank from 1), best first; ties
/// keep the order in which the items first appear, earlier rankings first.
pub fn fuse<T: PartialEq + Copy>(rankings: &[&[T]]) -> Vec<(T, f32)> {
    let mut scores: Vec<(T, f32)> = Vec::new();
    for ranking in rankings {
        for (rank, item) in ranking.iter().enumerate() {
            let s = 1.0 / (RRF_K + rank as f32 + 1.0);
            match scores.iter_mut().find(|(t, _)| t == item) {
                Some((_, total)) => *total += s,
                None => scores.push((*item, s)),
            }
        }
    }
    // A stable sort keeps first appearance as the tie-break.
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

fn validate(a: &Article) -> Result<(), KbError> {
    let invalid = |reason| KbError::InvalidArticle {
        id: a.id.clone(),
        reason,
    };
    if a.id.trim().is_empty() {
        return Err(invalid("empty id"));
    }
    if a.category.trim().is_empty() {
        return Err(invalid("empty category"));
    }
    Ok(())
}

fn schema() -> (Schema, Fields) {
    // Frequencies without positions: ranking is bag-of-words, and positions would only cost RAM.
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER_NAME)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
        .set_stored();
    let mut b = Schema::builder();
    let fields = Fields {
        article_id: b.add_text_field("article_id", STRING | STORED),
        category: b.add_text_field("category", STRING | STORED),
        title: b.add_text_field("title", text.clone()),
        tags: b.add_text_field("tags", text.clone()),
        text: b.add_text_field("text", text),
    };
    (b.build(), fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::demo::demo;

    fn demo_index() -> KnowledgeIndex {
        KnowledgeIndex::build(demo().articles).unwrap()
    }

    fn article(id: &str, category: &str, title: &str, body: &str, tags: &[&str]) -> Article {
        Article {
            id: id.to_owned(),
            category: category.to_owned(),
            title: title.to_owned(),
            body: body.to_owned(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    /// The article ids of the top `k` hits.
    fn check_top(index: &KnowledgeIndex, query: &str, category: Option<&str>, expected: &str) {
        let hits = index.search(query, 3, category).unwrap();
        assert_eq!(
            hits.first().map(|f| f.article_id.as_str()),
            Some(expected),
            "{query:?} in {category:?}: {hits:#?}"
        );
    }

    #[test]
    fn inflected_forms_find_each_other() {
        let index = KnowledgeIndex::build([
            article("a", "delivery", "Курьер", "Сроки доставки по городу.", &[]),
            article("b", "orders", "Статус", "Номер заказа приходит в SMS.", &[]),
            article(
                "c",
                "en",
                "Refunds",
                "Refunds are processed in five days.",
                &[],
            ),
        ])
        .unwrap();
        check_top(&index, "доставка", None, "a");
        check_top(&index, "заказ", None, "b");
        check_top(&index, "refund processing", None, "c");
        assert!(index.search("борщ", 5, None).unwrap().is_empty());
        assert!(index.search("и в на", 5, None).unwrap().is_empty());
    }

    #[test]
    fn category_filter_restricts_without_scoring() {
        let index = demo_index();
        // «деньги» is about refunds first, but the filter keeps only payment articles.
        check_top(&index, "вернуть деньги", None, "refund-times");
        let hits = index.search("вернуть деньги", 5, Some("payment")).unwrap();
        assert!(!hits.is_empty());
        assert!(hits.iter().all(|f| f.category == "payment"), "{hits:#?}");
        // The filter alone matches nothing: an unrelated query stays empty.
        assert!(index.search("борщ", 5, Some("payment")).unwrap().is_empty());
        assert!(
            index
                .search("доставка", 5, Some("nope"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn title_and_tags_outrank_body() {
        let index = KnowledgeIndex::build([
            article(
                "body",
                "x",
                "Общие вопросы",
                "Иногда спрашивают про рассрочку.",
                &[],
            ),
            article("title", "x", "Рассрочка", "Условия для покупателей.", &[]),
        ])
        .unwrap();
        check_top(&index, "рассрочка", None, "title");
    }

    #[test]
    fn upsert_and_remove_show_in_the_next_search() {
        let mut index = demo_index();
        assert!(index.search("подарочный сертификат", 1, None).unwrap()[0].confidence < 1.0);
        let gift = article(
            "gift-cards",
            "payment",
            "Подарочные сертификаты",
            "Подарочный сертификат на 1000–50 000 ₽ действует год.",
            &["подарок"],
        );
        index.upsert(&gift).unwrap();
        check_top(&index, "подарочный сертификат", None, "gift-cards");
        assert_eq!(index.len(), 15);

        // Replacing the text replaces the fragments: the old wording is gone.
        let mut changed = gift.clone();
        changed.body = "Электронную карту-подарок можно купить на любую сумму.".to_owned();
        changed.title = "Карты-подарки".to_owned();
        changed.tags.clear();
        index.upsert(&changed).unwrap();
        let hits = index.search("сертификат 50 000", 20, None).unwrap();
        assert!(
            hits.iter().all(|f| f.article_id != "gift-cards"),
            "{hits:#?}"
        );
        check_top(&index, "карта подарок", None, "gift-cards");
        assert_eq!(index.get("gift-cards"), Some(&changed));

        assert!(index.remove("gift-cards").unwrap());
        assert!(!index.remove("gift-cards").unwrap());
        let hits = index.search("карта подарок", 20, None).unwrap();
        assert!(hits.iter().all(|f| f.article_id != "gift-cards"));
        assert_eq!(index.len(), 14);
    }

    fn check_fuse(rankings: &[&[&str]], expected: &[&str]) {
        let fused: Vec<&str> = fuse(rankings).into_iter().map(|(t, _)| t).collect();
        assert_eq!(fused, expected, "fuse({rankings:?})");
    }

    #[test]
    fn fusion_rewards_agreement_between_rankings() {
        // a: 1/61 + 1/62; c: 1/63 + 1/61; b: 1/62; d: 1/63.
        check_fuse(&[&["a", "b", "c"], &["c", "a", "d"]], &["a", "c", "b", "d"]);
        // Being second in both beats being first in one.
        check_fuse(&[&["x", "y"], &["z", "y"]], &["y", "x", "z"]);
        // Ties keep the order of first appearance.
        check_fuse(&[&["p"], &["q"]], &["p", "q"]);
        check_fuse(&[&["only"], &[]], &["only"]);
        let scores = fuse(&[&["a"], &["a"]]);
        assert!((scores[0].1 - 2.0 / 61.0).abs() < 1e-7);
    }

    fn hybrid(articles: Vec<Article>, encoder: TextEmbedder) -> KnowledgeIndex {
        KnowledgeIndex::build_with(articles, Some(encoder)).unwrap()
    }

    fn stand_in() -> TextEmbedder {
        use crate::intent::embedding::TrigramEmbedder;
        TextEmbedder::new(std::sync::Arc::new(TrigramEmbedder))
    }

    #[test]
    fn the_dense_ranking_adds_hits_and_keeps_the_lexical_confidence() {
        let articles = vec![
            article(
                "scooters",
                "delivery",
                "Самокаты",
                "Самокаты доставляем отдельно.",
                &[],
            ),
            article(
                "pickup",
                "delivery",
                "Самовывоз",
                "Пункт выдачи работает до 21:00.",
                &[],
            ),
            article("pay", "payment", "Оплата", "Картой или наличными.", &[]),
        ];
        let lexical = KnowledgeIndex::build(articles.clone()).unwrap();
        let index = hybrid(articles, stand_in());
        assert!(index.is_hybrid() && !lexical.is_hybrid());
        // A misspelling the stemmer cannot mend: only the (trigram) embedding finds it, and since
        // the fragment does not contain the query's word, its confidence says so.
        assert!(lexical.search("самокатты", 3, None).unwrap().is_empty());
        let hits = index.search("самокатты", 3, None).unwrap();
        assert_eq!(hits[0].article_id, "scooters", "{hits:#?}");
        assert_eq!(hits[0].confidence, 0.0);
        // Found by both: the same fragment with the same confidence as BM25 alone gives it.
        let (l, h) = (
            &lexical.search("пункт выдачи", 1, None).unwrap()[0],
            &index.search("пункт выдачи", 1, None).unwrap()[0],
        );
        assert_eq!(
            (&h.article_id, &h.text, h.confidence),
            (&l.article_id, &l.text, l.confidence)
        );
        // The category filter holds for the dense ranking too.
        let hits = index.search("самокатты", 5, Some("payment")).unwrap();
        assert!(hits.iter().all(|f| f.category == "payment"), "{hits:#?}");
        // No searchable words, no hits, as without embeddings.
        assert!(index.search("и в на", 5, None).unwrap().is_empty());
    }

    #[test]
    fn hybrid_index_follows_upserts_and_removals() {
        let mut index = hybrid(demo().articles, stand_in());
        let gift = article(
            "gift-cards",
            "payment",
            "Подарочные сертификаты",
            "Подарочный сертификат на 1000–50 000 ₽ действует год.",
            &[],
        );
        index.upsert(&gift).unwrap();
        check_top(&index, "подарочный сертификат", None, "gift-cards");
        assert!(index.remove("gift-cards").unwrap());
        let hits = index.search("подарочный сертификат", 20, None).unwrap();
        assert!(
            hits.iter().all(|f| f.article_id != "gift-cards"),
            "{hits:#?}"
        );
    }

    #[test]
    fn e5_finds_paraphrases_bm25_misses() {
        let Some(encoder) = crate::intent::embedding::test_encoder() else {
            return;
        };
        let lexical = demo_index();
        let index = hybrid(demo().articles, encoder);
        // No word of the question is in the article («умер» is no «сломался»): BM25 ranks the
        // installment article first on «через».
        let q = "мой телевизор умер через неделю";
        assert_ne!(
            lexical.search(q, 1, None).unwrap()[0].article_id,
            "warranty-repair"
        );
        check_top(&index, q, None, "warranty-repair");
        // Nothing in common but the meaning: ranked first, yet not confident enough to be quoted.
        let q = "как с вами связаться";
        assert!(lexical.search(q, 3, None).unwrap().is_empty());
        let top = &index.search(q, 3, None).unwrap()[0];
        assert_eq!(top.article_id, "contacts-hours");
        assert_eq!(index.best_answer(q, 0.5).unwrap(), None);
        // What BM25 already got right stays right.
        check_top(&index, "когда вернут деньги на карту", None, "refund-times");
        check_top(
            &index,
            "сколько хранится заказ в пункте выдачи",
            None,
            "pickup-points",
        );
    }

    #[test]
    fn invalid_articles_are_refused() {
        let mut index = demo_index();
        let err = index
            .upsert(&article("x", " ", "T", "Body.", &[]))
            .unwrap_err();
        assert_eq!(err.to_string(), r#"article "x": empty category"#);
        assert!(index.upsert(&article("", "c", "T", "Body.", &[])).is_err());
    }

    #[test]
    fn fragments_quote_one_passage_with_the_title() {
        let index = demo_index();
        let top = &index
            .search("сколько хранится заказ в пункте выдачи", 1, None)
            .unwrap()[0];
        assert_eq!(top.article_id, "pickup-points");
        assert_eq!(top.title, "Самовывоз и пункты выдачи");
        assert!(top.text.starts_with("Когда заказ поступит"), "{}", top.text);
        assert!(
            !top.text.contains("Профсоюзная"),
            "only the matching passage"
        );
    }

    #[test]
    fn confidence_is_idf_weighted_coverage() {
        let index = demo_index();
        // Every term of the query is in the fragment.
        let full = &index.search("бесплатная доставка", 1, None).unwrap()[0];
        assert!((full.confidence - 1.0).abs() < 1e-6, "{full:?}");
        // One known word, one the knowledge base has never seen: the unknown word weighs most.
        let half = &index.search("доставка борща", 1, None).unwrap()[0];
        assert!(half.confidence > 0.0 && half.confidence < 0.5, "{half:?}");
        for f in index
            .search("сколько стоит доставка в Казань", 10, None)
            .unwrap()
        {
            assert!((0.0..=1.0).contains(&f.confidence), "{f:?}");
        }
    }

    #[test]
    fn best_answer_clears_the_threshold_or_abstains() {
        let index = demo_index();
        let answer = index
            .best_answer("когда вернут деньги на карту", 0.6)
            .unwrap()
            .expect("a covered question is answered");
        assert_eq!(answer.article_id, "refund-times");
        assert!(answer.confidence >= 0.6);
        assert_eq!(
            index.best_answer("как приготовить борщ", 0.6).unwrap(),
            None
        );
        assert_eq!(
            index
                .best_answer("какая погода в Казани завтра", 0.6)
                .unwrap(),
            None
        );
        // The same question at a threshold above its confidence is not answered.
        let c = answer.confidence;
        assert_eq!(
            index
                .best_answer("когда вернут деньги на карту", c.next_up())
                .unwrap(),
            None
        );
    }

    #[test]
    fn threshold_is_chosen_on_labelled_questions() {
        let index = demo_index();
        let labelled: &[(&str, Option<&str>)] = &[
            ("когда вернут деньги на карту", Some("refund-times")),
            ("бесплатная доставка от какой суммы", Some("delivery-times")),
            ("телефон поддержки", Some("contacts-hours")),
            ("можно оплатить через СБП", Some("payment-methods")),
            // Out of scope: must not be answered.
            ("какая погода в Казани завтра", None),
            ("продаёте ли вы автомобили в кредит", None),
            ("как приготовить борщ", None),
        ];
        let strict = index.threshold_choice(labelled, 0.0).unwrap();
        assert_eq!(strict.wrong_rate, 0.0);
        assert!(strict.coverage > 0.0, "{strict:?}");
        // Every in-scope question is answered at the chosen threshold, nothing out of scope is.
        for &(q, expected) in labelled {
            let got = index.best_answer(q, strict.threshold).unwrap();
            match expected {
                Some(id) => assert_eq!(got.map(|f| f.article_id), Some(id.to_owned()), "{q}"),
                None => assert_eq!(got, None, "{q}"),
            }
        }
        // Tolerating mistakes never raises the threshold.
        let lax = index.choose_threshold(labelled, 0.5).unwrap();
        assert!(lax <= strict.threshold);
        // Nothing qualifies: nothing is answered.
        let only_wrong: &[(&str, Option<&str>)] = &[("доставка", None)];
        let t = index.choose_threshold(only_wrong, 0.0).unwrap();
        assert!(t > 1.0);
    }
}
